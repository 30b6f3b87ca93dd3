//! `tracetopo query FILE... --q 'TRACEQL' [--format json|text] [--limit N]` (spec §8): the
//! traces that match, sorted by start time, with their matched spans; and the `--where` filter
//! `analyze` shares.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use serde::Serialize;

use super::{EXIT_INPUT, OutputFormat, analysis_options, error_line, load_indexed};
use crate::analysis::trace_summary::root_of;
use crate::analysis::{Analysis, Options};
use crate::escape::terminal;
use crate::model::Store;
use crate::model::ids::{span_hex, trace_hex};
use crate::query::traceql::{Query, TraceMatch};
use crate::units::count;

#[derive(Debug, Args)]
pub struct TraceqlArgs {
    /// Trace files, as for `analyze` (`-` reads stdin).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// The TraceQL query, e.g. `{ resource.service.name = "order-svc" && status = error }`.
    #[arg(long = "q", value_name = "TRACEQL")]
    pub q: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Json)]
    pub format: OutputFormat,
    /// At most this many traces (the earliest-starting).
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Tolerance for time comparisons (of the breaks `break = …` reads), in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 1.0, value_parser = super::parse_tolerance)]
    pub tolerance_ms: f64,
}

/// Parses `--q`/`--where`, or writes the error with its column to stderr.
pub fn parse_query(flag: &str, text: &str) -> Option<Query> {
    match Query::parse(text) {
        Ok(q) => Some(q),
        Err(e) => {
            error_line(&format!("tracetopo: {flag}: {e}"));
            None
        }
    }
}

#[derive(Serialize)]
struct Answer<'a> {
    query: &'a str,
    traces: Vec<Row>,
}

#[derive(Serialize)]
struct Row {
    trace_id: String,
    root_service: String,
    root_name: String,
    start_unix_nano: u64,
    duration_ms: f64,
    matched: Vec<String>,
}

/// The matches as rows, sorted by start time (then trace id), at most `limit`.
fn rows(store: &Store, matches: &[TraceMatch], limit: Option<usize>) -> Vec<Row> {
    let traces = &store.index.traces;
    let mut order: Vec<&TraceMatch> = matches.iter().collect();
    order.sort_by_key(|m| {
        let t = &traces[m.trace as usize];
        (t.start, t.id)
    });
    order.truncate(limit.unwrap_or(usize::MAX));
    order
        .into_iter()
        .map(|m| {
            let t = &traces[m.trace as usize];
            let root = root_of(store, t);
            Row {
                trace_id: trace_hex(t.id),
                root_service: store.service_name(root).to_string(),
                root_name: store.str(store.span(root).name).to_string(),
                start_unix_nano: t.start,
                duration_ms: t.end.saturating_sub(t.start) as f64 / 1e6,
                matched: m
                    .spans
                    .iter()
                    .map(|&i| span_hex(store.span(i).span_id))
                    .collect(),
            }
        })
        .collect()
}

fn write_text(out: &mut impl Write, rows: &[Row]) -> std::io::Result<()> {
    writeln!(
        out,
        "{:<32}  {:>12}  {:>7}  {:<20}  root",
        "trace", "duration_ms", "matched", "service"
    )?;
    for r in rows {
        writeln!(
            out,
            "{:<32}  {:>12.3}  {:>7}  {:<20}  {}",
            r.trace_id,
            r.duration_ms,
            r.matched.len(),
            terminal(&r.root_service),
            terminal(&r.root_name)
        )?;
    }
    writeln!(out, "{}", count(rows.len() as u64, "trace"))
}

/// `tracetopo query`.
pub fn run(args: &TraceqlArgs) -> ExitCode {
    let Some(query) = parse_query("--q", &args.q) else {
        return ExitCode::from(EXIT_INPUT);
    };
    let Some(store) = load_indexed(&args.files) else {
        return ExitCode::from(EXIT_INPUT);
    };
    // Only `break` needs the analysis: a query without it is answered from the store alone.
    let breaks = if query.needs_breaks() {
        Analysis::run(&store, &analysis_options(args.tolerance_ms)).breaks
    } else {
        Vec::new()
    };
    let matches = query.evaluate(&store, &breaks);
    let rows = rows(&store, &matches, args.limit);
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let written = match args.format {
        OutputFormat::Json => serde_json::to_writer(
            &mut out,
            &Answer {
                query: &args.q,
                traces: rows,
            },
        )
        .map_err(std::io::Error::from)
        .and_then(|()| out.write_all(b"\n")),
        OutputFormat::Text => write_text(&mut out, &rows),
    }
    .and_then(|()| out.flush());
    match written {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            error_line(&format!("tracetopo: stdout: {e}"));
            ExitCode::from(EXIT_INPUT)
        }
        _ => ExitCode::SUCCESS,
    }
}

/// `analyze --where`: keeps only the traces `query` matches and analyses them again, so the
/// report is that of the matching traces as if they were the whole input.
pub fn restrict(store: &mut Store, analysis: &mut Analysis, query: &Query, opts: &Options) {
    let mut keep: Vec<u128> = query
        .evaluate(store, &analysis.breaks)
        .iter()
        .map(|m| store.index.traces[m.trace as usize].id)
        .collect();
    keep.sort_unstable();
    store.retain_traces(|id| keep.binary_search(&id).is_ok());
    store.build_index();
    *analysis = Analysis::run(store, opts);
}
