//! The receiver: OTLP/gRPC and OTLP/HTTP on their own tokio runtime thread. Both listeners are
//! bound before `start` returns, so a busy port is an immediate, named error and port 0 gives
//! the real address. Every accepted request becomes a `Batch` sent to the sink; when the sink
//! is full, requests wait (the client sees latency, nothing is dropped).

use std::io;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::thread::JoinHandle;

use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceResponse,
};
use tokio::sync::{mpsc, watch};

use super::stats::Stats;
use super::{LiveConfig, grpc, http};
use crate::model::Batch;

/// Where decoded requests go: the live store or the recorder.
pub type Sink = mpsc::Sender<Batch>;

/// How long a stop waits for requests in flight before closing their connections.
const STOP_GRACE: std::time::Duration = std::time::Duration::from_secs(3);

/// Requests decoded but not yet merged, at most; beyond it the receiver waits.
const SINK_DEPTH: usize = 64;

/// A sink and the receiving end its consumer reads.
pub fn sink() -> (Sink, mpsc::Receiver<Batch>) {
    mpsc::channel(SINK_DEPTH)
}

/// What both protocols share: where batches go, the counters, the limits.
pub(crate) struct Intake {
    pub sink: Sink,
    pub stats: Arc<Stats>,
    pub max_request_bytes: usize,
    /// A request with more spans than this is cut to it (the rest is reported rejected).
    pub max_spans: usize,
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

/// The consumer is gone (the receiver is shutting down).
pub(crate) struct Closed;

impl Intake {
    /// Hands a decoded request on; waits while the consumer is behind.
    pub async fn accept(&self, mut batch: Batch) -> Result<Accepted, Closed> {
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
        self.sink.send(batch).await.map_err(|_| Closed)?;
        Stats::add(&self.stats.spans, n);
        Stats::add(&self.stats.rejected_spans, out.rejected);
        Ok(out)
    }
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
            max_spans: cfg.retain_spans,
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
