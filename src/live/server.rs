//! The receiver: OTLP/gRPC and OTLP/HTTP on their own tokio runtime thread. Both listeners are
//! bound before `start` returns, so a busy port is an immediate, named error and port 0 gives
//! the real address. Every accepted request becomes a `Batch` delivered to the sink and is
//! answered once its consumer has stored or written it; when the sink is full, requests wait
//! (the client sees latency, nothing is dropped). What requests hold in memory meanwhile is
//! bounded by the in-flight budget (`budget`).

use std::io;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::thread::JoinHandle;

use bytes::Bytes;
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceResponse,
};
use tokio::sync::{mpsc, oneshot, watch};

use super::budget::{Budget, Permit};
use super::decode::{self, Payload, Refused, Signal};
use super::stats::Stats;
use super::{LiveConfig, cost, grpc, http};
use crate::model::Batch;

/// A decoded request on its way to the live store or the recorder.
pub struct Delivery {
    pub batch: Batch,
    /// Told once the batch is stored or written (`Err` says why it could not be); the request
    /// is answered only then, so a client is never told spans were accepted that were lost.
    pub done: oneshot::Sender<Result<(), String>>,
    /// The request's share of the in-flight budget, given back when the delivery is dropped.
    pub budget: Option<Permit>,
}

impl Delivery {
    /// A delivery made outside the receiver (tests); the receiver end says whether it was kept.
    pub fn new(batch: Batch) -> (Delivery, oneshot::Receiver<Result<(), String>>) {
        let (done, rx) = oneshot::channel();
        let d = Delivery {
            batch,
            done,
            budget: None,
        };
        (d, rx)
    }
}

/// Where decoded requests go: the live store or the recorder.
pub type Sink = mpsc::Sender<Delivery>;

/// How long a stop waits for requests in flight before closing their connections.
const STOP_GRACE: std::time::Duration = std::time::Duration::from_secs(3);

/// Requests decoded but not yet merged, at most; beyond it the receiver waits. (Their memory
/// is bounded by the in-flight budget they still hold.)
const SINK_DEPTH: usize = 64;

/// A sink and the receiving end its consumer reads.
pub fn sink() -> (Sink, mpsc::Receiver<Delivery>) {
    mpsc::channel(SINK_DEPTH)
}

/// What both protocols share: where batches go, the counters, the limits.
pub(crate) struct Intake {
    pub sink: Sink,
    pub stats: Arc<Stats>,
    pub max_request_bytes: usize,
    /// Largest decoded size (`cost`) of one request.
    pub max_decoded_bytes: u64,
    pub budget: Budget,
    /// A request with more spans than this is cut to it (the rest is reported rejected).
    pub max_spans: usize,
    pub cfg: LiveConfig,
}

/// The OTLP partial success of one accepted request.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Accepted {
    pub rejected: u64,
    pub message: Option<String>,
}

impl Accepted {
    /// The answer both protocols send: partial success when spans were cut or the reader
    /// warned, nothing otherwise.
    pub fn response(self) -> ExportTraceServiceResponse {
        ExportTraceServiceResponse {
            partial_success: (self.rejected > 0 || self.message.is_some()).then(|| {
                ExportTracePartialSuccess {
                    rejected_spans: self.rejected as i64,
                    error_message: self.message.unwrap_or_default(),
                }
            }),
        }
    }
}

/// Why a request was not accepted; each protocol answers it its own way.
#[derive(Debug)]
pub(crate) enum Refusal {
    /// Not a valid request (HTTP 400, gRPC INVALID_ARGUMENT).
    Bad(String),
    /// Over a size limit, on the wire or decoded: permanent (HTTP 413, gRPC RESOURCE_EXHAUSTED
    /// without retry advice).
    TooLarge(String),
    /// The in-flight budget is taken: retry later (HTTP 429, gRPC RESOURCE_EXHAUSTED with
    /// RetryInfo).
    Busy,
    /// The consumer is gone or could not keep the batch (HTTP 503, gRPC UNAVAILABLE).
    Closed(String),
}

/// How long a client refused for lack of budget is told to wait.
pub(crate) const RETRY_AFTER: std::time::Duration = std::time::Duration::from_secs(2);

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1 << 20) as f64)
}

impl Intake {
    /// The budget share a request takes before its body is read: what its body may hold
    /// (`wire`, the limit when unknown) and, for a compressed body, what it may inflate to.
    pub async fn reserve(&self, wire: Option<u64>, compressed: bool) -> Result<Permit, Refusal> {
        let limit = self.max_request_bytes as u64;
        let bytes = wire.unwrap_or(limit).min(limit) + if compressed { limit } else { 0 };
        self.budget.acquire(bytes).await.map_err(|_| self.busy())
    }

    fn busy(&self) -> Refusal {
        Stats::add(&self.stats.busy, 1);
        Refusal::Busy
    }

    /// A request over the size limit (counted; the message says which limit).
    pub fn too_large(&self, what: String) -> Refusal {
        Stats::add(&self.stats.too_large, 1);
        Refusal::TooLarge(what)
    }

    /// A request that is not valid (counted).
    pub fn bad(&self, msg: String) -> Refusal {
        Stats::add(&self.stats.bad_requests, 1);
        Refusal::Bad(msg)
    }

    /// Decodes a request body (inflating it first when `gzip`), within the decoded-size limit
    /// and the budget, and delivers it. `permit` is what `reserve` gave.
    pub async fn export(
        &self,
        body: Bytes,
        payload: Payload,
        signal: Signal,
        gzip: bool,
        mut permit: Permit,
    ) -> Result<Accepted, Refusal> {
        let limit = self.max_request_bytes;
        let body = if gzip {
            match blocking(move || decode::gunzip(&body, limit)).await? {
                Ok(raw) => Bytes::from(raw),
                Err(Refused::TooLarge { .. }) => {
                    return Err(self.too_large(format!(
                        "request larger than the limit of {limit} bytes once inflated"
                    )));
                }
                Err(Refused::Bad(m)) => return Err(self.bad(m)),
            }
        } else {
            body
        };
        let cost = match payload {
            Payload::Protobuf => cost::protobuf(&body),
            Payload::Json => cost::json(&body),
        };
        if cost > self.max_decoded_bytes {
            return Err(self.too_large(format!(
                "request would take about {} once decoded, over the limit of {} per request",
                mib(cost),
                mib(self.max_decoded_bytes)
            )));
        }
        // What decoding will hold, in place of what was reserved for the body.
        self.budget
            .resize(&mut permit, cost)
            .await
            .map_err(|_| self.busy())?;
        let batch =
            match blocking(move || decode::decode(&body, payload, signal, super::INPUT_NAME))
                .await?
            {
                Ok(b) => b,
                Err(Refused::Bad(m)) => return Err(self.bad(m)),
                Err(Refused::TooLarge { limit }) => {
                    return Err(self.too_large(format!("request larger than {limit} bytes")));
                }
            };
        self.accept(batch, permit).await
    }

    /// Hands a decoded request on and waits until it is stored or written.
    pub async fn accept(&self, mut batch: Batch, permit: Permit) -> Result<Accepted, Refusal> {
        let mut out = Accepted {
            rejected: 0,
            message: super::decode::warning_summary(&batch),
        };
        if batch.spans.len() > self.max_spans {
            out.rejected = (batch.spans.len() - self.max_spans) as u64;
            batch.spans.truncate(self.max_spans);
            out.message = Some(format!(
                "{} spans over the retention limit of {} were not kept",
                out.rejected, self.max_spans
            ));
        }
        let n = batch.spans.len() as u64;
        let (done, kept) = oneshot::channel();
        let delivery = Delivery {
            batch,
            done,
            budget: Some(permit),
        };
        let closed = || Refusal::Closed("tracetopo is shutting down".into());
        self.sink.send(delivery).await.map_err(|_| closed())?;
        match kept.await {
            Ok(Ok(())) => {}
            Ok(Err(why)) => return Err(Refusal::Closed(why)),
            Err(_) => return Err(closed()),
        }
        Stats::add(&self.stats.spans, n);
        Stats::add(&self.stats.rejected_spans, out.rejected);
        Ok(out)
    }
}

/// CPU work (inflating, decoding) off the threads that serve connections.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, Refusal> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Refusal::Bad(format!("the request could not be decoded: {e}")))
}

/// A running receiver. Dropping it stops it.
pub struct Server {
    pub grpc_addr: SocketAddr,
    pub http_addr: SocketAddr,
    stop: watch::Sender<bool>,
    thread: Option<JoinHandle<()>>,
}

fn bind(addr: SocketAddr, what: &str) -> io::Result<TcpListener> {
    let l = TcpListener::bind(addr)
        .map_err(|e| io::Error::new(e.kind(), format!("cannot listen on {addr} ({what}): {e}")))?;
    l.set_nonblocking(true)?;
    Ok(l)
}

impl Server {
    /// Binds both addresses and starts serving; batches go to `sink`.
    pub fn start(cfg: &LiveConfig, sink: Sink, stats: Arc<Stats>) -> io::Result<Server> {
        let grpc_l = bind(cfg.grpc, "OTLP/gRPC")?;
        let http_l = bind(cfg.http, "OTLP/HTTP")?;
        let (grpc_addr, http_addr) = (grpc_l.local_addr()?, http_l.local_addr()?);
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("tracetopo-otlp")
            .enable_all()
            .build()?;
        let intake = Arc::new(Intake {
            sink,
            stats,
            max_request_bytes: cfg.max_request_bytes,
            max_decoded_bytes: cfg.max_decoded_bytes(),
            budget: Budget::new(cfg.in_flight_bytes, cfg.budget_wait),
            max_spans: cfg.retain_spans,
            cfg: *cfg,
        });
        let (stop, stopped) = watch::channel(false);
        let thread = std::thread::Builder::new()
            .name("tracetopo-receiver".into())
            .spawn(move || {
                rt.block_on(async move {
                    let grpc = grpc::serve(grpc_l, Arc::clone(&intake), stopped.clone());
                    let http = http::serve(http_l, intake, stopped.clone());
                    // A graceful stop waits for requests in flight, but not for a client
                    // that never finishes one.
                    let overdue = async {
                        self::stopped(stopped).await;
                        tokio::time::sleep(STOP_GRACE).await;
                    };
                    tokio::select! {
                        (g, h) = async { tokio::join!(grpc, http) } => {
                            for r in [g, h] {
                                if let Err(e) = r {
                                    eprintln!("tracetopo: receiver stopped: {e}");
                                }
                            }
                        }
                        () = overdue => {
                            eprintln!("tracetopo: receiver stopped with requests unfinished after {} s", STOP_GRACE.as_secs());
                        }
                    }
                });
                rt.shutdown_background();
            })?;
        Ok(Server {
            grpc_addr,
            http_addr,
            stop,
            thread: Some(thread),
        })
    }

    /// Stops accepting, lets requests in flight finish, and waits for the runtime to end.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        let _ = self.stop.send(true);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Resolves when `stop` turns true (or its sender is gone).
pub(crate) async fn stopped(mut stop: watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}
