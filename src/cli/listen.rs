//! `tracetopo listen`: the app in live mode, or `--headless` recording to OTLP JSON lines
//! until Ctrl-C or `--max-spans`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use clap::Args;

use super::EXIT_INPUT;
use crate::app::AppConfig;
use crate::app::screenshot::ViewSpec;
use crate::live::LiveConfig;
use crate::live::recorder::Recorder;
use crate::live::server::{self, Server};
use crate::live::stats::Stats;

#[derive(Debug, Args)]
pub struct ListenArgs {
    /// OTLP/gRPC address (another interface than loopback only when named here).
    #[arg(long, value_name = "ADDR", default_value_t = LiveConfig::default().grpc)]
    pub grpc: SocketAddr,
    /// OTLP/HTTP address.
    #[arg(long, value_name = "ADDR", default_value_t = LiveConfig::default().http)]
    pub http: SocketAddr,
    /// Record without a window, to --out.
    #[arg(long, requires = "out")]
    pub headless: bool,
    /// Where --headless writes what arrives, as OTLP JSON lines (one request per line).
    #[arg(long, value_name = "FILE.jsonl", requires = "headless")]
    pub out: Option<PathBuf>,
    /// Stop recording after this many spans (the request that crosses it is kept whole).
    #[arg(long, value_name = "N", requires = "headless")]
    pub max_spans: Option<u64>,
    /// Spans the app keeps in memory; beyond it the oldest traces are evicted (--headless
    /// records everything it accepts).
    #[arg(long, value_name = "N", default_value_t = LiveConfig::default().retain_spans)]
    pub retain: usize,
    /// Largest request accepted, in MiB (after decompression).
    #[arg(long, value_name = "MIB", default_value_t = LiveConfig::default().max_request_bytes >> 20)]
    pub max_request_mib: usize,
    /// Memory requests in flight may hold at once, in MiB, decoded (one request at most half;
    /// at least 4 × --max-request-mib); beyond it requests wait, then get 429 /
    /// RESOURCE_EXHAUSTED to retry later.
    #[arg(long, value_name = "MIB", default_value_t = LiveConfig::default().in_flight_bytes >> 20)]
    pub max_in_flight_mib: u64,
    /// Open connections per protocol at most; more wait to be accepted.
    #[arg(long, value_name = "N", default_value_t = LiveConfig::default().max_connections)]
    pub max_connections: usize,
    /// Seconds a connection may move no byte before it is closed.
    #[arg(long, value_name = "SECS", default_value_t = LiveConfig::default().idle_timeout.as_secs_f64())]
    pub idle_timeout: f64,
    /// Save a screenshot of the window here once the first spans arrived and showed, then exit.
    #[arg(long, value_name = "OUT.png", conflicts_with = "headless")]
    pub screenshot: Option<PathBuf>,
    /// The view for --screenshot (as for `tracetopo FILE... --screenshot`).
    #[arg(long, value_name = "NAME", value_parser = ViewSpec::parse, requires = "screenshot")]
    pub view: Option<ViewSpec>,
    /// Seconds a break that later spans could undo (orphan, lost context) stays pending.
    #[arg(long, value_name = "SECS", default_value_t = LiveConfig::default().grace.as_secs_f64())]
    pub grace: f64,
}

impl ListenArgs {
    fn config(&self) -> LiveConfig {
        LiveConfig {
            grpc: self.grpc,
            http: self.http,
            max_request_bytes: self.max_request_mib.clamp(1, MAX_MIB as usize) << 20,
            retain_spans: self.retain.max(1),
            grace: secs(self.grace),
            // Room for a few bodies at the size limit, or no request could ever be served.
            in_flight_bytes: self
                .max_in_flight_mib
                .clamp(1, MAX_MIB)
                .max(4 * self.max_request_mib.clamp(1, MAX_MIB as usize) as u64)
                << 20,
            max_connections: self.max_connections.max(1),
            idle_timeout: secs(self.idle_timeout).max(Duration::from_millis(100)),
            ..LiveConfig::default()
        }
    }
}

/// Sizes in MiB beyond this (1 TiB) are taken as this, so shifting to bytes cannot overflow.
const MAX_MIB: u64 = 1 << 20;

/// Seconds from the command line, within a day (`nan` is none).
fn secs(s: f64) -> Duration {
    Duration::try_from_secs_f64(s.clamp(0.0, 86_400.0)).unwrap_or_default()
}

pub fn run(args: &ListenArgs) -> ExitCode {
    let cfg = args.config();
    match (&args.out, args.headless) {
        // Recording keeps everything it acknowledges: retention bounds the app's memory.
        (Some(out), true) => match headless(
            &LiveConfig {
                retain_spans: usize::MAX,
                ..cfg
            },
            out,
            args.max_spans,
        ) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("tracetopo: listen: {e}");
                ExitCode::from(EXIT_INPUT)
            }
        },
        _ => super::open_app(
            AppConfig {
                live: Some(cfg),
                ..AppConfig::default()
            },
            args.screenshot.clone(),
            args.view.clone(),
        ),
    }
}

/// Why recording stopped.
enum Stop {
    MaxSpans,
    Interrupted(&'static str),
    WriteFailed,
}

/// Waits for Ctrl-C or SIGTERM (what `kill` and service managers send) and names which. The
/// handlers are installed before this returns, so a signal sent from then on is never the
/// default (death without the summary line).
fn signals() -> std::io::Result<impl FnOnce() -> &'static str + Send> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()?;
    #[cfg(unix)]
    let (mut int, mut term) = {
        use tokio::signal::unix::{SignalKind, signal};
        let _in_rt = rt.enter();
        (
            signal(SignalKind::interrupt())?,
            signal(SignalKind::terminate())?,
        )
    };
    Ok(move || {
        rt.block_on(async {
            #[cfg(unix)]
            return tokio::select! {
                _ = int.recv() => "interrupted",
                _ = term.recv() => "terminated",
            };
            #[cfg(not(unix))]
            {
                let _ = tokio::signal::ctrl_c().await;
                "interrupted"
            }
        })
    })
}

fn headless(cfg: &LiveConfig, out: &Path, max_spans: Option<u64>) -> Result<(), String> {
    let stats = Arc::new(Stats::default());
    let (sink, rx) = server::sink();
    let (stop_tx, stop_rx) = mpsc::channel();
    let on_limit = {
        let tx = stop_tx.clone();
        move || {
            let _ = tx.send(Stop::MaxSpans);
        }
    };
    let on_failure = {
        let tx = stop_tx.clone();
        move |_| {
            let _ = tx.send(Stop::WriteFailed);
        }
    };
    let recorder = Recorder::start(out, rx, max_spans, on_limit, on_failure)
        .map_err(|e| format!("{}: {e}", out.display()))?;
    let server = Server::start(cfg, sink, Arc::clone(&stats)).map_err(|e| e.to_string())?;
    // Scripts and tests read the addresses (port 0 picks a free one) from this line.
    eprintln!(
        "tracetopo: listening on OTLP/gRPC {} and OTLP/HTTP {}, recording to {}",
        server.grpc_addr,
        server.http_addr,
        out.display()
    );
    let wait = signals().map_err(|e| format!("cannot handle signals: {e}"))?;
    std::thread::Builder::new()
        .name("tracetopo-signals".into())
        .spawn(move || {
            let _ = stop_tx.send(Stop::Interrupted(wait()));
        })
        .map_err(|e| e.to_string())?;
    let why = stop_rx.recv().unwrap_or(Stop::Interrupted("interrupted"));
    // Stopping the server lets requests in flight finish and drops its end of the sink, so
    // the recorder writes everything accepted and then ends.
    server.stop();
    let s = stats.snapshot();
    let done = match recorder.finish() {
        Ok(done) => done,
        Err(f) => {
            return Err(format!(
                "{}: cannot write: {}; stopped after {} spans from {} requests (the file keeps \
                 whole lines; the request that failed was answered with an error)",
                out.display(),
                f.error,
                f.done.spans,
                f.done.requests
            ));
        }
    };
    eprintln!(
        "tracetopo: {}: recorded {} spans{} from {} requests to {} ({} refused)",
        match why {
            Stop::MaxSpans => "reached --max-spans",
            Stop::Interrupted(why) => why,
            Stop::WriteFailed => "write failed",
        },
        done.spans,
        match done.logs {
            0 => String::new(),
            n => format!(" and {n} log records"),
        },
        done.requests,
        out.display(),
        s.refused_requests()
    );
    Ok(())
}
