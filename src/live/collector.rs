//! The live store: every batch the receiver decodes is merged into one `Store` as it arrives
//! (so a trace sent over several requests is one trace), bounded by a retention limit that
//! evicts the oldest traces first. Copies of it are indexed and analysed on a second thread,
//! at most as often as that takes, and handed to the app; the views never wait for it.

use std::collections::VecDeque;
use std::io;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rustc_hash::{FxHashMap, FxHashSet};
use tokio::sync::{mpsc, oneshot};

use super::server::{Delivery, Sink, sink};
use super::stats::Stats;
use super::{INPUT_NAME, LiveConfig};
use crate::model::{Batch, Store};

/// Snapshots are built no more often than this, and never more than a third of the time.
const MIN_SNAPSHOT_INTERVAL: Duration = Duration::from_millis(300);
/// Eviction frees down to this share of the limit, so it does not run on every request.
const EVICT_TO: f64 = 0.9;

/// When spans of each trace last arrived: a break caused by data that may still come
/// (a parent, a server span) is pending until its trace has been quiet for `grace`.
#[derive(Debug, Clone, Default)]
pub struct Arrivals {
    last: FxHashMap<u128, Instant>,
    pub grace: Duration,
}

impl Arrivals {
    /// Whether `trace` received spans less than `grace` before `now`.
    pub fn recent(&self, trace: u128, now: Instant) -> bool {
        self.last
            .get(&trace)
            .is_some_and(|&t| now.saturating_duration_since(t) < self.grace)
    }

    /// When `trace` stops being recent.
    pub fn quiet_at(&self, trace: u128) -> Option<Instant> {
        self.last.get(&trace).map(|&t| t + self.grace)
    }
}

/// A copy of the live store at one moment, not yet indexed.
pub struct Snapshot {
    pub store: Store,
    pub arrivals: Arrivals,
}

struct TraceEntry {
    spans: u64,
    last: Instant,
}

/// The store the receiver appends to, with what retention needs.
pub struct LiveStore {
    store: Store,
    input: u16,
    traces: FxHashMap<u128, TraceEntry>,
    /// Trace ids by first arrival: the front is evicted first.
    order: VecDeque<u128>,
    retain: usize,
    /// Log records held whose trace had no spans here when they arrived (no trace id, or a
    /// trace not received): bounded by `retain` on their own, oldest evicted first.
    loose_logs: usize,
    stats: Arc<Stats>,
}

impl LiveStore {
    pub fn new(retain: usize, stats: Arc<Stats>) -> Self {
        let mut store = Store::new();
        let input = store.add_input(INPUT_NAME, "otlp");
        LiveStore {
            store,
            input,
            traces: FxHashMap::default(),
            order: VecDeque::new(),
            retain: retain.max(1),
            loose_logs: 0,
            stats,
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Merges a batch that arrived at `now`, then evicts if over the limit.
    pub fn add(&mut self, batch: Batch, now: Instant) {
        for s in &batch.spans {
            let e = self.traces.entry(s.trace_id).or_insert_with(|| {
                self.order.push_back(s.trace_id);
                TraceEntry {
                    spans: 0,
                    last: now,
                }
            });
            e.spans += 1;
            e.last = now;
        }
        self.loose_logs += batch
            .logs
            .iter()
            .filter(|l| !self.traces.contains_key(&l.trace_id))
            .count();
        self.store.add_batch(batch, self.input);
        if self.store.spans.len() > self.retain {
            self.evict();
        }
        if self.loose_logs > self.retain {
            self.evict_loose_logs();
        }
        self.stats.held.store(
            self.store.spans.len() as u64,
            std::sync::atomic::Ordering::Relaxed,
        );
    }

    /// Drops the oldest traces until the store is back under `EVICT_TO` of the limit.
    fn evict(&mut self) {
        let target = (self.retain as f64 * EVICT_TO) as u64;
        let mut held = self.store.spans.len() as u64;
        let mut gone = FxHashSet::default();
        while held > target
            && let Some(id) = self.order.pop_front()
        {
            if let Some(e) = self.traces.remove(&id) {
                held -= e.spans.min(held);
                gone.insert(id);
            }
        }
        let before = self.store.spans.len() as u64;
        self.store.retain_traces(|t| !gone.contains(&t));
        Stats::add(
            &self.stats.evicted_spans,
            before - self.store.spans.len() as u64,
        );
        Stats::add(&self.stats.evicted_traces, gone.len() as u64);
    }

    /// Drops the oldest log records of no held trace down to `EVICT_TO` of the limit (the
    /// store's records are in arrival order). Records of held traces stay with them.
    fn evict_loose_logs(&mut self) {
        let target = (self.retain as f64 * EVICT_TO) as usize;
        let loose: Vec<bool> = self
            .store
            .logs
            .iter()
            .map(|l| !self.traces.contains_key(&l.trace_id))
            .collect();
        let total = loose.iter().filter(|&&x| x).count();
        let drop = total.saturating_sub(target);
        let mut seen = 0usize;
        let keep: Vec<bool> = loose
            .iter()
            .map(|&x| {
                if !x {
                    return true;
                }
                seen += 1;
                seen > drop
            })
            .collect();
        self.store.retain(&|_| true, |k, _| keep[k]);
        self.loose_logs = total - drop;
        Stats::add(&self.stats.evicted_logs, drop as u64);
    }

    /// A copy to index elsewhere while this one keeps growing.
    pub fn snapshot(&self, grace: Duration) -> Snapshot {
        Snapshot {
            store: self.store.clone(),
            arrivals: Arrivals {
                last: self.traces.iter().map(|(&id, e)| (id, e.last)).collect(),
                grace,
            },
        }
    }
}

/// The live store on its own thread, fed by a sink, publishing snapshots.
pub struct Collector {
    sink: Sink,
    stop: Option<oneshot::Sender<()>>,
    threads: Vec<JoinHandle<()>>,
    pub stats: Arc<Stats>,
}

impl Collector {
    /// Starts the store thread and the snapshot thread; `publish` runs on the latter with each
    /// new snapshot (index and analyse it there, then hand it to the UI).
    pub fn start(
        cfg: &LiveConfig,
        stats: Arc<Stats>,
        mut publish: impl FnMut(Snapshot) + Send + 'static,
    ) -> io::Result<Collector> {
        let (sink, mut rx) = sink();
        let (stop, mut stopped) = oneshot::channel::<()>();
        let (snap_tx, snap_rx) = std::sync::mpsc::channel::<Snapshot>();
        let (done_tx, mut done_rx) = mpsc::unbounded_channel::<Duration>();
        let builder = std::thread::Builder::new()
            .name("tracetopo-snapshot".into())
            .spawn(move || {
                for snap in snap_rx {
                    let t = Instant::now();
                    publish(snap);
                    let _ = done_tx.send(t.elapsed());
                }
            })?;
        let mut live = LiveStore::new(cfg.retain_spans, Arc::clone(&stats));
        let grace = cfg.grace;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()?;
        let store = std::thread::Builder::new()
            .name("tracetopo-live-store".into())
            .spawn(move || {
                rt.block_on(async move {
                    let (mut dirty, mut busy) = (false, false);
                    let mut next = Instant::now();
                    loop {
                        tokio::select! {
                            biased;
                            _ = &mut stopped => break,
                            Some(took) = done_rx.recv() => {
                                busy = false;
                                next = Instant::now() + MIN_SNAPSHOT_INTERVAL.max(took * 2);
                            }
                            delivery = rx.recv() => {
                                let Some(d) = delivery else { break };
                                // Merged, then acknowledged; the request's budget share is
                                // given back then (the store's memory has its own bound).
                                let Delivery { batch, done, budget } = d;
                                live.add(batch, Instant::now());
                                let _ = done.send(Ok(()));
                                drop(budget);
                                dirty = true;
                            }
                            _ = tokio::time::sleep_until(next.into()), if dirty && !busy => {
                                if snap_tx.send(live.snapshot(grace)).is_err() {
                                    break;
                                }
                                busy = true;
                                dirty = false;
                            }
                        }
                    }
                });
            })?;
        Ok(Collector {
            sink,
            stop: Some(stop),
            threads: vec![store, builder],
            stats,
        })
    }

    /// Where the receiver sends batches (the channel outlives receiver restarts).
    pub fn sink(&self) -> Sink {
        self.sink.clone()
    }
}

impl Drop for Collector {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Span;

    fn batch(spans: &[(u128, u64)]) -> Batch {
        let mut b = Batch::new();
        let r = b.add_service_resource("svc");
        let name = b.intern("op");
        for &(t, s) in spans {
            b.spans.push(Span {
                trace_id: t,
                span_id: s,
                name,
                resource: r,
                start: s,
                end: s + 1,
                ..Span::default()
            });
        }
        b
    }

    #[test]
    fn a_trace_over_several_batches_is_one_trace() {
        let mut live = LiveStore::new(100, Arc::default());
        let now = Instant::now();
        live.add(batch(&[(1, 1), (2, 1)]), now);
        live.add(batch(&[(1, 2)]), now);
        let mut store = live.snapshot(Duration::from_secs(1)).store;
        store.build_index();
        assert_eq!(store.index.traces.len(), 2);
        assert_eq!(store.trace(1).unwrap().len, 2);
    }

    #[test]
    fn oldest_traces_are_evicted_first_and_nothing_below_the_limit() {
        let stats = Arc::new(Stats::default());
        let mut live = LiveStore::new(10, Arc::clone(&stats));
        let now = Instant::now();
        for t in 1..=5u128 {
            live.add(batch(&[(t, 1), (t, 2)]), now);
        }
        assert_eq!(live.store().spans.len(), 10, "at the limit nothing goes");
        assert_eq!(stats.snapshot().evicted_spans, 0);
        // Trace 1 gets a late span: still the oldest by first arrival.
        live.add(batch(&[(1, 3), (6, 1)]), now);
        let s = stats.snapshot();
        assert_eq!(
            s.evicted_traces, 1,
            "trace 1 (3 spans) makes room down to 90%"
        );
        assert_eq!(s.evicted_spans, 3);
        assert_eq!(s.held, 9);
        let ids: FxHashSet<u128> = live.store().spans.iter().map(|s| s.trace_id).collect();
        assert_eq!(ids, FxHashSet::from_iter([2, 3, 4, 5, 6]));
    }

    /// A batch of log records of `trace` (0: none), with bodies `0..n` from `first`.
    fn logs(trace: u128, first: u64, n: u64) -> Batch {
        let mut b = Batch::new();
        let r = b.add_service_resource("svc");
        for k in first..first + n {
            let body = b.push_body(k.to_string().as_bytes());
            b.logs.push(crate::model::LogRecord {
                trace_id: trace,
                time: k,
                body,
                resource: r,
                ..Default::default()
            });
        }
        b
    }

    #[test]
    fn logs_go_with_their_trace_and_loose_ones_are_bounded_oldest_first() {
        let stats = Arc::new(Stats::default());
        let mut live = LiveStore::new(10, Arc::clone(&stats));
        let now = Instant::now();
        live.add(batch(&[(1, 1), (1, 2)]), now);
        live.add(logs(1, 100, 3), now);
        // Twelve records of no trace: two over the limit, evicted down to 9.
        live.add(logs(0, 0, 12), now);
        let s = stats.snapshot();
        assert_eq!(s.evicted_logs, 3);
        let bodies: Vec<String> = live
            .store()
            .logs
            .iter()
            .map(|l| String::from_utf8_lossy(&live.store().log_bytes[l.body.range()]).into_owned())
            .collect();
        let mut want: Vec<String> = (100..103).chain(3..12).map(|k| k.to_string()).collect();
        want.sort();
        let mut got = bodies.clone();
        got.sort();
        assert_eq!(got, want, "the oldest loose records went; trace 1's stayed");
        // Evicting trace 1 takes its records with it.
        for t in 2..=6u128 {
            live.add(batch(&[(t, 1), (t, 2)]), now);
        }
        assert!(live.store().logs.iter().all(|l| l.trace_id != 1));
        assert_eq!(live.store().logs.len(), 9);
    }

    #[test]
    fn arrivals_say_which_traces_are_still_receiving() {
        let mut live = LiveStore::new(100, Arc::default());
        let t0 = Instant::now();
        live.add(batch(&[(1, 1)]), t0);
        live.add(batch(&[(2, 1)]), t0 + Duration::from_secs(5));
        let a = live.snapshot(Duration::from_secs(10)).arrivals;
        let at = t0 + Duration::from_secs(12);
        assert!(!a.recent(1, at));
        assert!(a.recent(2, at));
        assert!(!a.recent(3, at));
        assert_eq!(a.quiet_at(2), Some(t0 + Duration::from_secs(15)));
    }

    #[test]
    fn the_collector_publishes_what_its_sink_received() {
        let (tx, rx) = std::sync::mpsc::channel();
        let cfg = LiveConfig::default();
        let c = Collector::start(&cfg, Arc::default(), move |s: Snapshot| {
            let _ = tx.send(s.store.spans.len());
        })
        .unwrap();
        let (delivery, acked) = Delivery::new(batch(&[(1, 1), (1, 2)]));
        c.sink().blocking_send(delivery).unwrap();
        assert_eq!(acked.blocking_recv(), Ok(Ok(())));
        let n = rx.recv_timeout(Duration::from_secs(10)).unwrap();
        assert_eq!(n, 2);
        assert_eq!(c.stats.snapshot().held, 2);
    }
}
