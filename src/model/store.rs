//! The span store: every loaded span, compact, with indexes built once.
//!
//! Readers fill `Batch`es; `Store::add_batch` merges them (remapping strings, storing each
//! distinct resource once, deriving each span's goroutine and conversion);
//! `Store::build_index` sorts spans by trace and start time and builds the
//! parent/children/service indexes that analysis and views read. The store is meant to be
//! shared read-only (`Arc<Store>`) once indexed.

use std::hash::BuildHasher;

use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

use rustc_hash::FxHashMap;

use super::attr::{Attr, Value};
use super::batch::Batch;
use super::derive::{FactKeys, derive};
use super::diag::{Diagnostics, Position, WarningKind};
use super::interner::{Interner, Sym};
use super::log::LogRecord;
use super::ops;
use super::span::{ArenaRange, Event, Link, Process, Resource, Span, flags};

/// "No such span" in index vectors.
pub const NONE: u32 = u32::MAX;

/// The items of each group in one list: the items `k` with `owner[k] == g` are
/// `items[start[g]..start[g + 1]]`, in the order of `k`; an owner `NONE` is in no group.
/// Returns `(start, items)`.
pub(crate) fn group_by_owner(owner: &[u32], groups: usize) -> (Vec<u32>, Vec<u32>) {
    let mut start = vec![0u32; groups + 1];
    for &g in owner {
        if g != NONE {
            start[g as usize + 1] += 1;
        }
    }
    for k in 0..groups {
        start[k + 1] += start[k];
    }
    let mut fill = start.clone();
    let mut items = vec![0u32; start[groups] as usize];
    for (k, &g) in owner.iter().enumerate() {
        if g != NONE {
            items[fill[g as usize] as usize] = k as u32;
            fill[g as usize] += 1;
        }
    }
    (start, items)
}

/// One input file (or live source) and what it contributed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Input {
    pub path: String,
    pub format: String,
    pub spans: u64,
    /// Log records read from it (left out of the report when 0: trace-only inputs).
    #[serde(skip_serializing_if = "is_zero")]
    pub logs: u64,
    pub warnings: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// A trace: its spans are `Store::spans[range]`, sorted by start time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceInfo {
    pub id: u128,
    pub start_idx: u32,
    pub len: u32,
    pub start: u64,
    pub end: u64,
}

impl TraceInfo {
    pub fn range(&self) -> std::ops::Range<usize> {
        self.start_idx as usize..(self.start_idx + self.len) as usize
    }
}

/// Indexes over `Store::spans`, valid after `build_index`.
#[derive(Debug, Default, Clone)]
pub struct Index {
    /// Traces sorted by id.
    pub traces: Vec<TraceInfo>,
    /// Trace number (into `traces`) of each span.
    pub span_trace: Vec<u32>,
    /// Index of each span's parent in the same trace, or `NONE` (root or missing parent).
    pub parent: Vec<u32>,
    /// Children of span `i` are `children[child_start[i]..child_start[i+1]]`, by start time.
    pub child_start: Vec<u32>,
    pub children: Vec<u32>,
    /// The spans of each trace sorted by (span id, index): `by_id[trace.range()]` finds a span
    /// by id in O(log n) however many copies of an id a trace holds.
    pub by_id: Vec<u32>,
    /// Distinct services sorted by name; `service_of_resource[r]` indexes it.
    pub services: Vec<Sym>,
    pub service_of_resource: Vec<u32>,
    /// Per log record (`Store::logs`, sorted by trace id and time): the span it is placed
    /// on, or `NONE`, and how it was joined (`model::log_join`).
    pub log_span: Vec<u32>,
    pub log_join: Vec<super::log::Join>,
    /// Logs placed on span `i` are `span_logs[span_log_start[i]..span_log_start[i+1]]`, in
    /// time order.
    pub span_log_start: Vec<u32>,
    pub span_logs: Vec<u32>,
}

/// `Clone` lets the live receiver hand a copy to the thread that indexes it while it keeps
/// appending to its own.
#[derive(Default, Clone)]
pub struct Store {
    pub strings: Interner,
    pub spans: Vec<Span>,
    pub attrs: Vec<Attr>,
    pub res_attrs: Vec<Attr>,
    pub events: Vec<Event>,
    pub links: Vec<Link>,
    pub resources: Vec<Resource>,
    pub processes: Vec<Process>,
    /// Log records; attributes in `attrs`, bodies in `log_bytes`.
    pub logs: Vec<LogRecord>,
    pub log_bytes: Vec<u8>,
    pub inputs: Vec<Input>,
    pub diag: Diagnostics,
    pub index: Index,
    resource_ids: FxHashMap<(Sym, u32, Vec<Attr>), u32>,
    process_ids: FxHashMap<Process, u32>,
    /// The input each file (by canonical path) was read into, so a file is read once.
    files: FxHashMap<std::path::PathBuf, u16>,
}

impl Store {
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers an input; spans merged with this number are attributed to it.
    pub fn add_input(&mut self, path: &str, format: &str) -> u16 {
        self.inputs.push(Input {
            path: path.to_string(),
            format: format.to_string(),
            spans: 0,
            logs: 0,
            warnings: 0,
        });
        (self.inputs.len() - 1) as u16
    }

    /// The input `file` (a canonical path) was read into, if it was.
    pub fn input_of_file(&self, file: &std::path::Path) -> Option<u16> {
        self.files.get(file).copied()
    }

    /// Records that `file` (a canonical path) was read into `input`.
    pub fn set_input_file(&mut self, file: std::path::PathBuf, input: u16) {
        self.files.insert(file, input);
    }

    /// Merges a batch. Indexes are stale until `build_index` runs again.
    pub fn add_batch(&mut self, b: Batch, input: u16) {
        let map: Vec<Sym> = (0..b.strings.len() as u32)
            .map(|i| self.strings.intern(b.strings.resolve(Sym(i))))
            .collect();
        let m = |s: Sym| map[s.0 as usize];

        let proc_map: Vec<u32> = b
            .processes
            .iter()
            .map(|p| {
                let p = Process {
                    service: m(p.service),
                    key: m(p.key),
                };
                let next = self.processes.len() as u32;
                *self.process_ids.entry(p).or_insert_with(|| {
                    self.processes.push(p);
                    next
                })
            })
            .collect();
        let res_map: Vec<u32> = b
            .resources
            .iter()
            .map(|r| {
                let attrs: Vec<Attr> = b.res_attrs[r.attrs.range()]
                    .iter()
                    .map(|a| a.remap(m))
                    .collect();
                let key = (m(r.service), proc_map[r.process as usize], attrs);
                if let Some(&id) = self.resource_ids.get(&key) {
                    return id;
                }
                let start = self.res_attrs.len() as u32;
                self.res_attrs.extend_from_slice(&key.2);
                let res = Resource {
                    service: key.0,
                    process: key.1,
                    attrs: ArenaRange {
                        start,
                        len: key.2.len() as u32,
                    },
                };
                let id = self.resources.len() as u32;
                self.resources.push(res);
                self.resource_ids.insert(key, id);
                id
            })
            .collect();

        let attr_off = self.attrs.len() as u32;
        self.attrs.extend(b.attrs.iter().map(|a| a.remap(m)));
        let ev_off = self.events.len() as u32;
        self.events.extend(b.events.iter().map(|e| Event {
            time: e.time,
            name: m(e.name),
            attrs: e.attrs.shifted(attr_off),
        }));
        let link_off = self.links.len() as u32;
        self.links.extend(b.links.iter().map(|l| Link {
            attrs: l.attrs.shifted(attr_off),
            ..*l
        }));
        self.spans.reserve(b.spans.len());
        let keys = FactKeys::new(&self.strings);
        for s in &b.spans {
            let mut span = Span {
                name: m(s.name),
                scope: m(s.scope),
                status_message: m(s.status_message),
                resource: res_map[s.resource as usize],
                attrs: s.attrs.shifted(attr_off),
                events: s.events.shifted(ev_off),
                links: s.links.shifted(link_off),
                input,
                ..*s
            };
            let attrs = &self.attrs[span.attrs.range()];
            derive(&mut span, attrs, &keys, &mut self.strings);
            self.spans.push(span);
        }
        let body_off = self.log_bytes.len() as u32;
        self.log_bytes.extend_from_slice(&b.log_bytes);
        self.logs.extend(b.logs.iter().map(|l| LogRecord {
            severity_text: m(l.severity_text),
            resource: res_map[l.resource as usize],
            attrs: l.attrs.shifted(attr_off),
            body: l.body.shifted(body_off),
            input,
            ..*l
        }));
        if let Some(inp) = self.inputs.get_mut(input as usize) {
            inp.logs += b.logs.len() as u64;
            inp.spans += b.spans.len() as u64;
            inp.warnings += b.diag.total();
        }
        self.diag.extend(b.diag);
    }

    /// Sorts spans by (trace, start), merges identical copies of a span, flags differing
    /// duplicates, and builds every index. Runs in parallel; call once after loading.
    pub fn build_index(&mut self) {
        // One sort (unstable: no scratch buffer; total: the key ends with fields that tell
        // spans apart). Identical copies of a span (spec §5: merged silently) share trace,
        // start, end and id, so they end up in one run and merge in place: a second copy of a
        // million spans would double peak memory.
        self.spans.par_sort_unstable_by_key(|s| {
            (s.trace_id, s.start, s.end, s.span_id, s.name, s.attrs.start)
        });
        let mut merged_per_input: FxHashMap<u16, u64> = FxHashMap::default();
        // For each input, the inputs its merged copies were already loaded from.
        let mut merged_into: FxHashMap<u16, BTreeSet<u16>> = FxHashMap::default();
        // Per input: spans ending before they start, and the first of them.
        let mut backwards: BTreeMap<u16, (u64, Span)> = BTreeMap::new();
        // The trace ranges are found in the same pass (one read of the spans, not two).
        let mut traces: Vec<TraceInfo> = Vec::new();
        let mut span_trace: Vec<u32> = Vec::with_capacity(self.spans.len());
        // Copies of one id at one time are looked up by a hash of their contents, so that a
        // run of n differing copies costs n lookups, not n²/2 comparisons. The hash is keyed
        // at random: crafted input cannot make every copy collide.
        let hasher = std::hash::RandomState::new();
        let mut copies: FxHashMap<u64, Vec<usize>> = FxHashMap::default();
        let mut copies_run = usize::MAX;
        let mut w = 0usize;
        let mut run = 0usize;
        for r in 0..self.spans.len() {
            let s = self.spans[r];
            let same_key = |p: &Span| {
                p.trace_id == s.trace_id
                    && p.start == s.start
                    && p.end == s.end
                    && p.span_id == s.span_id
            };
            if w == 0 || !same_key(&self.spans[w - 1]) {
                run = w;
            } else if s.span_id != 0 {
                let hash = |k: &Span| {
                    hasher.hash_one(content_key(k, &self.attrs, &self.events, &self.resources))
                };
                if copies_run != run {
                    copies.clear();
                    for k in run..w {
                        copies.entry(hash(&self.spans[k])).or_default().push(k);
                    }
                    copies_run = run;
                }
                let h = hash(&s);
                ops::count(1);
                let same = copies.get(&h).and_then(|ks| {
                    ks.iter().copied().find(|&k| {
                        ops::count(1);
                        same_contents(
                            &self.spans[k],
                            &s,
                            &self.attrs,
                            &self.events,
                            &self.resources,
                        )
                    })
                });
                if let Some(k) = same {
                    *merged_per_input.entry(s.input).or_default() += 1;
                    merged_into
                        .entry(s.input)
                        .or_default()
                        .insert(self.spans[k].input);
                    continue;
                }
                copies.entry(h).or_default().push(w);
            }
            if s.end < s.start {
                backwards.entry(s.input).or_insert((0, s)).0 += 1;
            }
            self.spans[w] = s;
            match traces.last_mut() {
                Some(t) if t.id == s.trace_id => {
                    t.len += 1;
                    t.start = t.start.min(s.start);
                    t.end = t.end.max(s.end);
                }
                _ => traces.push(TraceInfo {
                    id: s.trace_id,
                    start_idx: w as u32,
                    len: 1,
                    start: s.start,
                    end: s.end,
                }),
            }
            span_trace.push(traces.len() as u32 - 1);
            w += 1;
        }
        self.spans.truncate(w);
        for (&input, &n) in &merged_per_input {
            if let Some(i) = self.inputs.get_mut(input as usize) {
                i.spans -= n;
            }
        }
        self.warn_repeated_inputs(&merged_per_input, &merged_into);
        self.warn_backwards(&backwards);

        // Per trace: ids sorted once give each span its parent and find the later copies of
        // an id with different contents (the earliest copy stays the span that id names).
        let spans = &self.spans;
        let per_trace: Vec<(Vec<u32>, Vec<u32>, Vec<u32>)> = traces
            .par_iter()
            .map(|t| {
                let range = t.range();
                let base = range.start as u32;
                let mut ids: Vec<(u64, u32)> = spans[range.clone()]
                    .iter()
                    .enumerate()
                    .map(|(k, s)| (s.span_id, base + k as u32))
                    .collect();
                ids.sort_unstable();
                let dups: Vec<u32> = ids
                    .windows(2)
                    .filter(|w| w[0].0 == w[1].0 && w[1].0 != 0)
                    .map(|w| w[1].1)
                    .collect();
                let parents = spans[range]
                    .iter()
                    .map(|s| {
                        // A span naming itself as parent is treated as having none.
                        if s.parent_id == 0 || s.parent_id == s.span_id {
                            return NONE;
                        }
                        let k = ids.partition_point(|&(id, _)| id < s.parent_id);
                        match ids.get(k) {
                            Some(&(id, idx)) if id == s.parent_id => idx,
                            _ => NONE,
                        }
                    })
                    .collect();
                (parents, dups, ids.into_iter().map(|(_, idx)| idx).collect())
            })
            .collect();
        let mut parent: Vec<u32> = Vec::with_capacity(self.spans.len());
        let mut by_id: Vec<u32> = Vec::with_capacity(self.spans.len());
        for (parents, dups, ids) in per_trace {
            parent.extend(parents);
            by_id.extend(ids);
            for d in dups {
                self.spans[d as usize].flags |= flags::DUPLICATE;
            }
        }

        let (child_start, children) = group_by_owner(&parent, self.spans.len());

        // Only services with spans are nodes of the graphs: one known only by log records, or
        // whose spans were all dropped (live eviction, `--where`), has service number `NONE`.
        let mut traced = vec![false; self.resources.len()];
        for s in &self.spans {
            traced[s.resource as usize] = true;
        }
        let mut services: Vec<Sym> = self
            .resources
            .iter()
            .zip(&traced)
            .filter(|&(_, &t)| t)
            .map(|(r, _)| r.service)
            .collect();
        services.sort_by(|a, b| self.strings.resolve(*a).cmp(self.strings.resolve(*b)));
        services.dedup();
        let service_of_resource = self
            .resources
            .iter()
            .map(|r| {
                services
                    .binary_search_by(|s| {
                        self.strings
                            .resolve(*s)
                            .cmp(self.strings.resolve(r.service))
                    })
                    .map(|i| i as u32)
                    .unwrap_or(NONE)
            })
            .collect();

        self.index = Index {
            traces,
            span_trace,
            parent,
            child_start,
            children,
            by_id,
            services,
            service_of_resource,
            ..Index::default()
        };
        self.join_logs();
    }

    /// An input whose every span was a copy of one already loaded says so, instead of showing
    /// "0 spans" as if it were empty.
    fn warn_repeated_inputs(
        &mut self,
        merged: &FxHashMap<u16, u64>,
        merged_into: &FxHashMap<u16, BTreeSet<u16>>,
    ) {
        for (i, from) in merged_into {
            let Some(input) = self.inputs.get(*i as usize) else {
                continue;
            };
            let n = merged.get(i).copied().unwrap_or(0);
            if input.spans > 0 || n == 0 {
                continue;
            }
            let names: Vec<&str> = from
                .iter()
                .filter(|&f| f != i)
                .filter_map(|&f| self.inputs.get(f as usize).map(|f| f.path.as_str()))
                .collect();
            let from = if names.is_empty() {
                "earlier in the same input".to_string()
            } else {
                format!("from {}", names.join(", "))
            };
            let message = format!(
                "{n} {}, all already loaded {from}",
                if n == 1 { "span" } else { "spans" }
            );
            let path = input.path.clone();
            self.diag.warn(
                WarningKind::NothingLoaded,
                &path,
                Position::Unknown,
                message,
            );
            self.inputs[*i as usize].warnings += 1;
        }
    }

    /// Spans that end before they start are kept with their times as given (their duration
    /// reads as 0): one warning per input names the first and counts them all.
    fn warn_backwards(&mut self, backwards: &BTreeMap<u16, (u64, Span)>) {
        for (&i, &(n, s)) in backwards {
            let Some(input) = self.inputs.get_mut(i as usize) else {
                continue;
            };
            input.warnings += n;
            let path = input.path.clone();
            let message = format!(
                "span \"{}\" ends before it starts (start {} ns, end {} ns, unix time); kept \
                 with these times, its duration read as 0{}",
                self.strings.resolve(s.name),
                s.start,
                s.end,
                if n > 1 { ", and so are the others" } else { "" }
            );
            self.diag
                .warn_n(WarningKind::Timing, &path, Position::Unknown, message, n);
        }
    }

    /// Keeps only the spans whose trace `keep` accepts, with their attributes, events and
    /// links, and only the strings they still use (the live store evicts old traces this way,
    /// so memory stays bounded). Indexes are cleared: call `build_index` again.
    pub fn retain_traces(&mut self, keep: impl Fn(u128) -> bool) {
        self.retain(&keep, |_, l| keep(l.trace_id));
    }

    /// `retain_traces` with its own choice of log records: `keep_log(k, record)` for each
    /// record `k` of `logs` (the live store drops the oldest records of no held trace this
    /// way). Every arena is rebuilt, so what is dropped frees its memory.
    pub fn retain(
        &mut self,
        keep: &impl Fn(u128) -> bool,
        mut keep_log: impl FnMut(usize, &LogRecord) -> bool,
    ) {
        let old = std::mem::take(self);
        let mut map = vec![Sym(u32::MAX); old.strings.len()];
        let mut m = |s: Sym| {
            let slot = &mut map[s.0 as usize];
            if slot.0 == u32::MAX {
                *slot = self.strings.intern(old.strings.resolve(s));
            }
            *slot
        };
        for p in &old.processes {
            let p = Process {
                service: m(p.service),
                key: m(p.key),
            };
            self.process_ids.insert(p, self.processes.len() as u32);
            self.processes.push(p);
        }
        // Resources are few: all are kept, so span resource numbers stay valid.
        for r in &old.resources {
            let attrs: Vec<Attr> = old.res_attrs[r.attrs.range()]
                .iter()
                .map(|a| a.remap(&mut m))
                .collect();
            let start = self.res_attrs.len() as u32;
            self.res_attrs.extend_from_slice(&attrs);
            let len = attrs.len() as u32;
            self.resource_ids.insert(
                (m(r.service), r.process, attrs),
                self.resources.len() as u32,
            );
            self.resources.push(Resource {
                service: m(r.service),
                process: r.process,
                attrs: ArenaRange { start, len },
            });
        }
        self.inputs = old.inputs;
        for i in &mut self.inputs {
            i.spans = 0;
            i.logs = 0;
        }
        for s in old.spans.iter().filter(|s| keep(s.trace_id)) {
            let attrs = copy_attrs(&mut self.attrs, &old.attrs[s.attrs.range()], &mut m);
            let ev_start = self.events.len() as u32;
            for e in &old.events[s.events.range()] {
                let attrs = copy_attrs(&mut self.attrs, &old.attrs[e.attrs.range()], &mut m);
                self.events.push(Event {
                    time: e.time,
                    name: m(e.name),
                    attrs,
                });
            }
            let link_start = self.links.len() as u32;
            for l in &old.links[s.links.range()] {
                let attrs = copy_attrs(&mut self.attrs, &old.attrs[l.attrs.range()], &mut m);
                self.links.push(Link { attrs, ..*l });
            }
            if let Some(i) = self.inputs.get_mut(s.input as usize) {
                i.spans += 1;
            }
            self.spans.push(Span {
                name: m(s.name),
                scope: m(s.scope),
                status_message: m(s.status_message),
                conv: [m(s.conv[0]), m(s.conv[1])],
                attrs,
                events: ArenaRange {
                    start: ev_start,
                    len: s.events.len,
                },
                links: ArenaRange {
                    start: link_start,
                    len: s.links.len,
                },
                ..*s
            });
        }
        for (_, l) in old.logs.iter().enumerate().filter(|&(k, l)| keep_log(k, l)) {
            let attrs = copy_attrs(&mut self.attrs, &old.attrs[l.attrs.range()], &mut m);
            let body = &old.log_bytes[l.body.range()];
            let start = self.log_bytes.len() as u32;
            self.log_bytes.extend_from_slice(body);
            if let Some(i) = self.inputs.get_mut(l.input as usize) {
                i.logs += 1;
            }
            self.logs.push(LogRecord {
                severity_text: m(l.severity_text),
                attrs,
                body: ArenaRange {
                    start,
                    len: l.body.len,
                },
                ..*l
            });
        }
        self.diag = old.diag;
    }

    // ---- queries used by analysis and views ----

    pub fn str(&self, s: Sym) -> &str {
        self.strings.resolve(s)
    }

    pub fn span(&self, i: u32) -> &Span {
        &self.spans[i as usize]
    }

    pub fn children(&self, i: u32) -> &[u32] {
        let (a, b) = (
            self.index.child_start[i as usize],
            self.index.child_start[i as usize + 1],
        );
        &self.index.children[a as usize..b as usize]
    }

    pub fn parent(&self, i: u32) -> Option<u32> {
        let p = self.index.parent[i as usize];
        (p != NONE).then_some(p)
    }

    /// Service number (into `index.services`) of span `i`.
    pub fn service_idx(&self, i: u32) -> u32 {
        self.index.service_of_resource[self.spans[i as usize].resource as usize]
    }

    pub fn service_name(&self, i: u32) -> &str {
        self.str(self.resources[self.spans[i as usize].resource as usize].service)
    }

    pub fn process_of(&self, i: u32) -> u32 {
        self.resources[self.spans[i as usize].resource as usize].process
    }

    pub fn span_attrs(&self, i: u32) -> &[Attr] {
        &self.attrs[self.spans[i as usize].attrs.range()]
    }

    pub fn resource_attrs(&self, i: u32) -> &[Attr] {
        &self.res_attrs[self.resources[self.spans[i as usize].resource as usize]
            .attrs
            .range()]
    }

    pub fn span_events(&self, i: u32) -> &[Event] {
        &self.events[self.spans[i as usize].events.range()]
    }

    pub fn span_links(&self, i: u32) -> &[Link] {
        &self.links[self.spans[i as usize].links.range()]
    }

    /// The value of span attribute `key` (`None` when the key was never seen or is absent).
    pub fn attr(&self, i: u32, key: &str) -> Option<Value<'_>> {
        let k = self.strings.get(key)?;
        self.span_attrs(i)
            .iter()
            .find(|a| a.key == k)
            .map(|a| a.value(&self.strings))
    }

    /// Span number of trace `trace_id` by binary search over the sorted traces.
    pub fn trace(&self, trace_id: u128) -> Option<&TraceInfo> {
        let t = &self.index.traces;
        t.binary_search_by_key(&trace_id, |t| t.id)
            .ok()
            .map(|k| &t[k])
    }

    /// Index of the span with this trace and span id (the first copy when duplicated), by
    /// binary search in the trace's spans sorted by id.
    pub fn find_span(&self, trace_id: u128, span_id: u64) -> Option<u32> {
        let t = self.trace(trace_id)?;
        let ids = self.index.by_id.get(t.range())?;
        let k = ids.partition_point(|&i| {
            ops::count(1);
            self.spans[i as usize].span_id < span_id
        });
        ids.get(k)
            .copied()
            .filter(|&i| self.spans[i as usize].span_id == span_id)
    }
}

/// Appends `from` remapped through `m` and returns where it went.
fn copy_attrs(to: &mut Vec<Attr>, from: &[Attr], m: &mut impl FnMut(Sym) -> Sym) -> ArenaRange {
    let start = to.len() as u32;
    to.extend(from.iter().map(|a| a.remap(&mut *m)));
    ArenaRange {
        start,
        len: from.len() as u32,
    }
}

/// What `same_contents` compares, as a hashable value.
fn content_key<'a>(
    s: &Span,
    attrs: &'a [Attr],
    events: &'a [Event],
    resources: &[Resource],
) -> impl std::hash::Hash + 'a {
    (
        (s.parent_id, s.start, s.end, s.name, s.kind, s.status),
        s.status_message,
        resources[s.resource as usize].service,
        &attrs[s.attrs.range()],
        events[s.events.range()]
            .iter()
            .map(|e| (e.time, e.name))
            .collect::<Vec<_>>(),
    )
}

/// Two copies of one span id hold the same thing when every field and attribute matches.
fn same_contents(
    a: &Span,
    b: &Span,
    attrs: &[Attr],
    events: &[Event],
    resources: &[Resource],
) -> bool {
    a.parent_id == b.parent_id
        && a.start == b.start
        && a.end == b.end
        && a.name == b.name
        && a.kind == b.kind
        && a.status == b.status
        && a.status_message == b.status_message
        && resources[a.resource as usize].service == resources[b.resource as usize].service
        && attrs[a.attrs.range()] == attrs[b.attrs.range()]
        && a.events.len == b.events.len
        && events[a.events.range()]
            .iter()
            .zip(&events[b.events.range()])
            .all(|(x, y)| x.time == y.time && x.name == y.name)
}
