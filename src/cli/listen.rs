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
    /// Spans the app keeps in memory; beyond it the oldest traces are evicted.
    #[arg(long, value_name = "N", default_value_t = LiveConfig::default().retain_spans)]
    pub retain: usize,
    /// Largest request accepted, in MiB (after decompression).
    #[arg(long, value_name = "MIB", default_value_t = LiveConfig::default().max_request_bytes >> 20)]
    pub max_request_mib: usize,
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
            max_request_bytes: self.max_request_mib.max(1) << 20,
            retain_spans: self.retain.max(1),
            grace: Duration::from_secs_f64(self.grace.clamp(0.0, 86_400.0)),
        }
    }
}

pub fn run(args: &ListenArgs) -> ExitCode {
    let cfg = args.config();
    match (&args.out, args.headless) {
        (Some(out), true) => match headless(&cfg, out, args.max_spans) {
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
            args.view,
        ),
    }
}

/// Why recording stopped.
enum Stop {
    MaxSpans,
    Interrupted,
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
    let recorder = Recorder::start(out, rx, max_spans, on_limit)
        .map_err(|e| format!("{}: {e}", out.display()))?;
    let server = Server::start(cfg, sink, Arc::clone(&stats)).map_err(|e| e.to_string())?;
    // Scripts and tests read the addresses (port 0 picks a free one) from this line.
    eprintln!(
        "tracetopo: listening on OTLP/gRPC {} and OTLP/HTTP {}, recording to {}",
        server.grpc_addr,
        server.http_addr,
        out.display()
    );
    std::thread::Builder::new()
        .name("tracetopo-ctrl-c".into())
        .spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_io()
                .build();
            if let Ok(rt) = rt
                && rt.block_on(tokio::signal::ctrl_c()).is_ok()
            {
                let _ = stop_tx.send(Stop::Interrupted);
            }
        })
        .map_err(|e| e.to_string())?;
    let why = stop_rx.recv().unwrap_or(Stop::Interrupted);
    // Stopping the server lets requests in flight finish and drops its end of the sink, so
    // the recorder writes everything accepted and then ends.
    server.stop();
    let done = recorder
        .finish()
        .map_err(|e| format!("{}: {e}", out.display()))?;
    let s = stats.snapshot();
    eprintln!(
        "tracetopo: {}: recorded {} spans from {} requests to {} ({} refused)",
        match why {
            Stop::MaxSpans => "reached --max-spans",
            Stop::Interrupted => "interrupted",
        },
        done.spans,
        done.requests,
        out.display(),
        s.refused_requests()
    );
    Ok(())
}
