//! Trace backends on the command line: `tracetopo pull tempo|jaeger URL … -o OUT.jsonl`, and
//! the query options `analyze --tempo/--jaeger URL` and `tracetopo --tempo/--jaeger URL` share.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, ValueEnum};

use super::{EXIT_INPUT, error_line};
use crate::analysis::{Analysis, Options};
use crate::backend::{
    self, Backend, BackendError, HttpConfig, Kind, Progress, PullOptions, Query, Summary, Window,
    follow,
};
use crate::export::otlp_jsonl;
use crate::model::Store;
use crate::units::count;

/// Which backend `pull` talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KindArg {
    Tempo,
    Jaeger,
}

impl From<KindArg> for Kind {
    fn from(k: KindArg) -> Kind {
        match k {
            KindArg::Tempo => Kind::Tempo,
            KindArg::Jaeger => Kind::Jaeger,
        }
    }
}

/// What to search and how to reach the backend (shared by `pull`, `analyze` and the app).
#[derive(Debug, Clone, Args)]
pub struct QueryArgs {
    /// TraceQL for Tempo (default: one built from --service and --operation, else `{}`).
    #[arg(long, value_name = "TRACEQL")]
    pub query: Option<String>,
    /// The service searched (Jaeger: without it, every service the backend lists).
    #[arg(long, value_name = "S")]
    pub service: Option<String>,
    /// The operation (span name) searched.
    #[arg(long, value_name = "O")]
    pub operation: Option<String>,
    /// Only traces with a span of at least this duration (100ms, 1.5s).
    #[arg(long, value_name = "DUR", value_parser = backend::parse_duration)]
    pub min_duration: Option<Duration>,
    /// Only traces with a span of at most this duration.
    #[arg(long, value_name = "DUR", value_parser = backend::parse_duration)]
    pub max_duration: Option<Duration>,
    /// Only traces with a span attribute KEY equal to VALUE (Jaeger's `query.attributes`;
    /// for Tempo a `span.KEY = "VALUE"` condition); repeatable.
    #[arg(long = "attribute", value_name = "KEY=VALUE", value_parser = parse_attribute)]
    pub attributes: Vec<(String, String)>,
    /// Search the last DUR (15m, 1h, 1d; default 1h).
    #[arg(long, value_name = "DUR", value_parser = backend::parse_duration,
          conflicts_with_all = ["start", "end"])]
    pub since: Option<Duration>,
    /// Start of the range: RFC 3339 (2026-11-28T10:00:00Z) or Unix seconds.
    #[arg(long, value_name = "T", value_parser = backend::parse_time, requires = "end")]
    pub start: Option<i64>,
    /// End of the range: RFC 3339 or Unix seconds.
    #[arg(long, value_name = "T", value_parser = backend::parse_time, requires = "start")]
    pub end: Option<i64>,
    /// Traces asked for per search request; a full answer is searched again in smaller
    /// time windows.
    #[arg(long, value_name = "N", default_value_t = backend::DEFAULT_LIMIT,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub limit: u32,
    /// Traces pulled at most.
    #[arg(long, value_name = "N", default_value_t = backend::DEFAULT_MAX_TRACES)]
    pub max_traces: usize,
    /// Fetch this trace by id (32 hex digits) instead of searching; repeatable.
    #[arg(long = "trace", value_name = "ID", value_parser = parse_trace_id)]
    pub traces: Vec<u128>,
    /// An extra header on every request, such as 'X-Scope-OrgID: acme'; repeatable.
    #[arg(long = "header", value_name = "'NAME: VALUE'", value_parser = parse_header)]
    pub headers: Vec<(String, String)>,
    /// The environment variable holding the credentials: a bearer token, `user:password`
    /// for basic auth, or a whole `Bearer …`/`Basic …` value. Never given on the command line.
    #[arg(long, value_name = "VAR")]
    pub token_env: Option<String>,
    /// Seconds one request may take.
    #[arg(long, value_name = "SECS", default_value_t = backend::http::DEFAULT_TIMEOUT.as_secs_f64(),
          value_parser = parse_secs)]
    pub timeout: f64,
    /// Ask the backend for the other half of the breaks found (callee traces in the call's
    /// window, traces with orphans again), within a bound of requests.
    #[arg(long)]
    pub follow_breaks: bool,
}

fn parse_trace_id(s: &str) -> Result<u128, String> {
    backend::hex_id(s).ok_or_else(|| format!("\"{s}\" is not a trace id (up to 32 hex digits)"))
}

fn parse_attribute(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
        _ => Err(format!("\"{s}\" is not KEY=VALUE")),
    }
}

fn parse_header(s: &str) -> Result<(String, String), String> {
    let (name, value) = s
        .split_once(':')
        .ok_or_else(|| format!("\"{s}\" is not a header: give 'Name: value'"))?;
    let name = name.trim();
    let valid = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
    if !valid {
        return Err(format!("\"{name}\" is not a header name"));
    }
    if name.eq_ignore_ascii_case("authorization") {
        return Err(
            "an Authorization header on the command line would show the secret to every user \
             of this machine: put it in an environment variable and name it with --token-env"
                .to_string(),
        );
    }
    Ok((name.to_string(), value.trim().to_string()))
}

fn parse_secs(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v <= 86_400.0 => Ok(v),
        _ => Err(format!(
            "\"{s}\" is not a number of seconds (above 0, at most a day)"
        )),
    }
}

#[derive(Debug, Args)]
pub struct PullArgs {
    /// The backend's API.
    #[arg(value_enum)]
    pub kind: KindArg,
    /// Its query URL, with a path prefix if it has one (http://tempo:3200,
    /// https://example.net/jaeger).
    pub url: String,
    #[command(flatten)]
    pub query: QueryArgs,
    /// Where to write the traces, as OTLP JSON lines.
    #[arg(short, long, value_name = "OUT.jsonl")]
    pub out: PathBuf,
}

impl QueryArgs {
    fn http_config(&self) -> Result<HttpConfig, BackendError> {
        let authorization = match &self.token_env {
            Some(var) => Some(backend::authorization_from_env(var)?),
            None => None,
        };
        Ok(HttpConfig {
            headers: self.headers.clone(),
            authorization,
            timeout: Duration::from_secs_f64(self.timeout),
            ..HttpConfig::default()
        })
    }

    fn query(&self) -> Query {
        let window = match (self.start, self.end, self.since) {
            (Some(start), Some(end), _) => Some(Window { start, end }),
            (_, _, Some(d)) => {
                let end = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_secs() as i64)
                    .unwrap_or(0);
                Some(Window {
                    start: end - d.as_secs() as i64,
                    end,
                })
            }
            _ => None,
        };
        Query {
            traceql: self.query.clone(),
            service: self.service.clone(),
            operation: self.operation.clone(),
            attributes: self.attributes.clone(),
            min_duration: self.min_duration,
            max_duration: self.max_duration,
            window,
            limit: self.limit,
            max_traces: self.max_traces,
            trace_ids: self.traces.clone(),
        }
    }
}

/// A backend's traces in a store, indexed, with what is needed to name the other half.
pub struct Pulled {
    pub store: Store,
    /// The input the other half was read into, when `--follow-breaks` found any.
    pub other_half: Option<u16>,
    pub url: String,
}

/// Shows the progress figure on one stderr line (only on a terminal).
fn show_progress(p: &Progress) {
    let line = format!(
        "\r{} searches, {} found, {}/{} fetched, {} spans",
        p.searches, p.found, p.fetched, p.to_fetch, p.spans
    );
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(line.as_bytes());
    let _ = err.flush();
}

/// Pulls the query into an indexed store, following breaks when asked; every failure is one
/// line on stderr (the caller exits 2).
pub fn pull_store(
    kind: Option<Kind>,
    url: &str,
    args: &QueryArgs,
    tolerance_ms: f64,
) -> Option<Pulled> {
    match pull_store_inner(kind, url, args, tolerance_ms) {
        Ok(p) => Some(p),
        Err(e) => {
            if std::io::stderr().is_terminal() {
                eprintln!();
            }
            error_line(&format!("tracetopo: {e}"));
            None
        }
    }
}

fn pull_store_inner(
    kind: Option<Kind>,
    url: &str,
    args: &QueryArgs,
    tolerance_ms: f64,
) -> Result<Pulled, BackendError> {
    if kind == Some(Kind::Jaeger) && args.query.is_some() {
        return Err(BackendError::new(
            url,
            backend::ErrorKind::Config,
            "--query is TraceQL, for Tempo: search Jaeger with --service and --operation",
        ));
    }
    let b = Arc::new(Backend::connect(url, kind, args.http_config()?, None)?);
    let name = format!("{} {}", b.kind().name(), b.url());
    let terminal = std::io::stderr().is_terminal();
    let progress: &(dyn Fn(&Progress) + Sync) = &show_progress;
    let opts = PullOptions {
        progress: terminal.then_some(progress),
        ..PullOptions::default()
    };
    let q = args.query();
    if let Some(w) = q.window
        && w.start > w.end
    {
        return Err(BackendError::new(
            url,
            backend::ErrorKind::Config,
            format!("--start ({}) is after --end ({})", w.start, w.end),
        ));
    }
    let mut store = Store::new();
    let sum = backend::pull_into(&b, &q, &opts, &mut store, &name)?;
    if terminal {
        eprintln!();
    }
    say_summary(&name, &sum);
    let mut other_half = None;
    if args.follow_breaks {
        let mut first = store.clone();
        first.build_index();
        let analysis = Analysis::run(&first, &analysis_options(tolerance_ms));
        let asks = follow::plan(&first, &analysis);
        if !asks.is_empty() {
            let half = format!("{name} (other half)");
            let requests_before = b.requests();
            let input = store.add_input(&half, b.kind().name());
            let got = follow::follow_into(&b, &first, &asks, &opts, &mut store, input)?;
            if terminal {
                eprintln!();
            }
            backend::warn_all(&mut store, input, &half, &got.summary.warnings);
            error_line(&format!(
                "tracetopo: the other half of {}: {} ({} requests), {} found, {} fetched, {}",
                count(analysis.breaks.len() as u64, "break"),
                count(got.asks as u64 - got.skipped as u64, "ask"),
                b.requests() - requests_before,
                count(got.summary.found, "trace"),
                count(got.summary.fetched, "trace"),
                count(got.summary.spans, "new span"),
            ));
            other_half = Some(input);
        }
    }
    store.build_index();
    Ok(Pulled {
        store,
        other_half,
        url: b.url().to_string(),
    })
}

fn analysis_options(tolerance_ms: f64) -> Options {
    Options {
        tolerance_ns: (tolerance_ms * 1e6).round() as u64,
    }
}

fn say_summary(name: &str, s: &Summary) {
    error_line(&format!(
        "tracetopo: {name}: {}, {} found, {} fetched, {}",
        count(u64::from(s.searches), "search request"),
        count(s.found, "trace"),
        count(s.fetched, "trace"),
        count(s.spans, "span"),
    ));
}

/// Names, on stderr, the breaks whose evidence came from the other half.
pub fn say_other_half(p: &Pulled, analysis: &Analysis) {
    let Some(input) = p.other_half else { return };
    for b in &analysis.breaks {
        if follow::from_backend(&p.store, b, input) {
            error_line(&format!(
                "tracetopo: other half: {} in trace {:032x}: evidence fetched from {}: {}",
                b.kind.name(),
                p.store.span(b.span).trace_id,
                p.url,
                b.message(&p.store)
            ));
        }
    }
}

/// `tracetopo pull`: writes the pulled traces as OTLP JSON lines.
pub fn run(args: &PullArgs) -> ExitCode {
    // Created first: a path that cannot be written fails before any request is made.
    let file = match std::fs::File::create(&args.out) {
        Ok(f) => f,
        Err(e) => {
            error_line(&format!("tracetopo: {}: {e}", args.out.display()));
            return ExitCode::from(EXIT_INPUT);
        }
    };
    let Some(p) = pull_store(Some(args.kind.into()), &args.url, &args.query, 1.0) else {
        // No half-made output is left to be mistaken for a pull.
        drop(file);
        let _ = std::fs::remove_file(&args.out);
        return ExitCode::from(EXIT_INPUT);
    };
    super::warn_all(&p.store);
    if p.other_half.is_some() {
        let analysis = Analysis::run(&p.store, &analysis_options(1.0));
        say_other_half(&p, &analysis);
    }
    let mut w = std::io::BufWriter::new(file);
    let written =
        otlp_jsonl::write_all(&mut w, &(&p.store).into(), LINE_SPANS).and_then(|_| w.flush());
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            error_line(&format!("tracetopo: {}: {e}", args.out.display()));
            ExitCode::from(EXIT_INPUT)
        }
    }
}

/// Spans per written line at most (whole traces per line where they fit).
const LINE_SPANS: usize = 10_000;

/// `tracetopo --tempo/--jaeger URL`: pulls into a temporary OTLP JSON-lines file that the app
/// opens like any file; removed when the app closes. `None` after an error line.
pub fn pull_to_temp(kind: Kind, url: &str, args: &QueryArgs) -> Option<TempPull> {
    let p = pull_store(Some(kind), url, args, 1.0)?;
    let host = p
        .url
        .split("://")
        .nth(1)
        .unwrap_or("backend")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect::<String>();
    let path = std::env::temp_dir().join(format!(
        "tracetopo-{}-{host}-{}.jsonl",
        kind.name(),
        std::process::id()
    ));
    let written = std::fs::File::create(&path).and_then(|f| {
        let mut w = std::io::BufWriter::new(f);
        otlp_jsonl::write_all(&mut w, &(&p.store).into(), LINE_SPANS)?;
        w.flush()
    });
    match written {
        Ok(()) => Some(TempPull(path)),
        Err(e) => {
            error_line(&format!("tracetopo: {}: {e}", path.display()));
            None
        }
    }
}

/// A pulled temporary file, removed on drop.
pub struct TempPull(pub PathBuf);

impl Drop for TempPull {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_parse_and_authorization_is_refused() {
        assert_eq!(
            parse_header("X-Scope-OrgID: acme"),
            Ok(("X-Scope-OrgID".to_string(), "acme".to_string()))
        );
        assert!(parse_header("no colon").is_err());
        assert!(parse_header("bad name: v").is_err());
        let e = parse_header("Authorization: Bearer s3cret").err();
        assert!(e.is_some_and(|e| !e.contains("s3cret")));
    }
}
