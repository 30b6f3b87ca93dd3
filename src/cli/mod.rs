//! The command line (spec §6): `tracetopo [FILE...]` opens the desktop app with those files;
//! `tracetopo FILE... --screenshot OUT.png [--view NAME]` saves a screenshot of the window and
//! exits (no FILE: of the start page); `tracetopo analyze FILE... [--format json|text] [--fail-on KIND,...]
//! [--tolerance-ms F]` prints the report of the files.
//!
//! `tracetopo export FILE... --view services|types|trace|trace:<id>|flame [--format
//! svg|png|dot|json] -o OUT` writes a snapshot (the format from `OUT`'s extension when
//! `--format` is absent; `-o -` writes stdout). A FILE of `-` reads stdin.
//!
//! `tracetopo --follow FILE...` opens the app in live mode following the files as they grow;
//! `tracetopo -` follows standard input the same way (`go run . | tracetopo -`).
//!
//! `tracetopo listen [--grpc ADDR] [--http ADDR]` opens the app receiving OTLP live;
//! `tracetopo listen --headless --out FILE.jsonl [--max-spans N]` records without a window.
//!
//! Exit status: 0 on success; 1 when a `--fail-on` kind was found; 2 for a usage error
//! (clap's own code, also for unknown `--fail-on` kinds), an input that could not be read, or a
//! window or screenshot that could not be made.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};

mod listen;
mod pull;
mod query;
pub use listen::ListenArgs;
pub use pull::{KindArg, PullArgs, QueryArgs};
pub use query::TraceqlArgs;

use crate::analysis::breaks::BreakKind;
use crate::analysis::service_view::{Grouping, ServiceFilter};
use crate::analysis::{Analysis, Options};
use crate::app::screenshot::{ScreenshotRequest, ViewSpec};
use crate::app::{self, AppConfig};
use crate::escape::terminal;
use crate::export::{self as snapshot, ExportView, Format};
use crate::ingest::{self, LoadOptions};
use crate::model::Store;
use crate::report::{Report, text};
use crate::synth::{self, LargeConfig};
use crate::units::count;

/// Exit status when a `--fail-on` kind was found.
pub const EXIT_BREAKS_FOUND: u8 = 1;
/// Exit status when an input could not be read (and clap's status for usage errors).
pub const EXIT_INPUT: u8 = 2;

#[derive(Debug, Parser)]
#[command(
    name = "tracetopo",
    version,
    about = "See how a request travelled through Go microservices: services, type \
             conversions, goroutine hops and broken trace context"
)]
#[command(args_conflicts_with_subcommands = true)]
#[command(group(clap::ArgGroup::new("source").args(["files", "tempo", "jaeger"]).multiple(true)))]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Trace files to open in the desktop app (none: the start page with the samples).
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Open the window, load FILE..., show the view, save a screenshot as PNG here and exit
    /// (no FILE: the start page).
    #[arg(long, value_name = "OUT.png")]
    pub screenshot: Option<PathBuf>,
    /// The view to show: traces, trace (the trace with the most breaks), trace:<trace_id>,
    /// lanes or lanes:<trace_id> (the trace in lanes by goroutine), flame, services, types,
    /// breaks, logs.
    #[arg(long, value_name = "NAME", value_parser = ViewSpec::parse, requires = "screenshot",
          requires = "source")]
    pub view: Option<ViewSpec>,
    /// Follow FILE... as they grow, in live mode (an SDK's stdout exporter, a Collector file
    /// exporter); a FILE of `-` (standard input) is always followed, and then every FILE is.
    #[arg(long, requires = "files")]
    pub follow: bool,

    #[command(flatten)]
    pub backend: BackendArgs,
}

/// `--tempo URL | --jaeger URL` and the query: traces from a backend instead of files.
#[derive(Debug, Clone, Args)]
pub struct BackendArgs {
    /// Pull the traces of the query from this Grafana Tempo URL.
    #[arg(long, value_name = "URL", conflicts_with = "jaeger")]
    pub tempo: Option<String>,
    /// Pull the traces of the query from this Jaeger (v2, /api/v3) URL.
    #[arg(long, value_name = "URL")]
    pub jaeger: Option<String>,
    #[command(flatten)]
    pub query: QueryArgs,
}

impl BackendArgs {
    /// The backend named, if one is.
    fn target(&self) -> Option<(crate::backend::Kind, &str)> {
        use crate::backend::Kind;
        match (&self.tempo, &self.jaeger) {
            (Some(u), _) => Some((Kind::Tempo, u)),
            (None, Some(u)) => Some((Kind::Jaeger, u)),
            (None, None) => None,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the report of trace files: service graph, conversions, goroutine hops, breaks.
    Analyze(AnalyzeArgs),
    /// Write synthetic traces: the bundled samples, or a large OTLP JSON-lines dump.
    #[command(subcommand)]
    Generate(GenerateCommand),
    /// Write a topology snapshot (services, types or one trace's span graph) without a window.
    Export(ExportArgs),
    /// Receive OTLP traces live (gRPC and HTTP): in the app, or recorded to a file with --headless.
    Listen(ListenArgs),
    /// Search a Grafana Tempo or Jaeger backend and write the matching traces as OTLP JSON
    /// lines.
    Pull(PullArgs),
    /// Find the traces a TraceQL query matches, with their matched spans.
    Query(TraceqlArgs),
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Trace files, as for `analyze` (`-` reads stdin).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// What to draw: services, types, trace (the trace with the most breaks),
    /// trace:<trace_id>, or flame (the flame graph of every trace).
    #[arg(long, value_name = "VIEW", value_parser = ExportView::parse)]
    pub view: ExportView,
    /// File format (default: from the extension of --out).
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Output file (`-`: standard output).
    #[arg(short, long, value_name = "OUT")]
    pub out: PathBuf,
    /// Tolerance for time comparisons, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 1.0, value_parser = parse_tolerance)]
    pub tolerance_ms: f64,
    #[command(flatten)]
    pub services: ServiceViewArgs,
    /// Draw only the traces a TraceQL query matches (as `analyze --where`).
    #[arg(long = "where", value_name = "TRACEQL")]
    pub where_: Option<String>,
}

/// What `--view services` draws of the service graph, as the Services view's toolbar sets it.
#[derive(Debug, Clone, Default, Args)]
pub struct ServiceViewArgs {
    /// Services view: draw this service with its callers and callees --depth hops out.
    #[arg(long, value_name = "SERVICE")]
    pub focus: Option<String>,
    /// Hops out from --focus.
    #[arg(long, value_name = "N", default_value_t = 1, requires = "focus")]
    pub depth: u32,
    /// Services view: hide edges with fewer calls.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub min_calls: u64,
    /// Services view: only edges with broken or unpaired calls.
    #[arg(long)]
    pub only_problems: bool,
    /// Services view: group services by a resource attribute into one box per group.
    #[arg(long, value_enum, value_name = "ATTRIBUTE")]
    pub group: Option<GroupArg>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GroupArg {
    /// `service.namespace`.
    #[value(name = "service.namespace")]
    ServiceNamespace,
    /// `k8s.namespace.name`.
    #[value(name = "k8s.namespace.name")]
    K8sNamespace,
}

impl ServiceViewArgs {
    pub fn filter(&self) -> ServiceFilter {
        ServiceFilter {
            focus: self.focus.clone(),
            depth: self.depth,
            min_calls: self.min_calls,
            only_problems: self.only_problems,
            group: match self.group {
                None => Grouping::None,
                Some(GroupArg::ServiceNamespace) => Grouping::ServiceNamespace,
                Some(GroupArg::K8sNamespace) => Grouping::K8sNamespace,
            },
            ..ServiceFilter::default()
        }
    }

    fn is_set(&self) -> bool {
        self.focus.is_some() || self.min_calls > 0 || self.only_problems || self.group.is_some()
    }
}

impl ExportArgs {
    /// The snapshot format: `--format`, else the extension of `--out`; an error (for a usage
    /// message) when neither tells, or when they disagree.
    pub fn resolve_format(&self) -> Result<Format, String> {
        let ext = self
            .out
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        let by_ext = ext
            .as_deref()
            .and_then(|e| Format::ALL.into_iter().find(|f| f.extension() == e));
        match (self.format, by_ext) {
            (Some(f), Some(e)) if f != e => Err(format!(
                "--format {} does not match the output file {} (a .{} file); \
                 change one of them",
                f.extension(),
                self.out.display(),
                e.extension()
            )),
            (Some(f), _) | (None, Some(f)) => Ok(f),
            (None, None) => Err(format!(
                "cannot tell the format of {} from its name; give --format svg, png, dot or json",
                self.out.display()
            )),
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum GenerateCommand {
    /// Rewrite the reviewed sample traces (sample-traces/) into DIR.
    Samples {
        #[arg(default_value = "sample-traces", value_name = "DIR")]
        dir: PathBuf,
    },
    /// Write a large OTLP JSON-lines dump (default: 10,000 traces x 100 spans, ~700 MB).
    Large(LargeArgs),
    /// Write a dense service mesh for the topology views (default: 12 services, every one
    /// calling every other: 132 edges), in namespaces (`service.namespace`,
    /// `k8s.namespace.name`).
    Mesh(MeshArgs),
}

#[derive(Debug, Args)]
pub struct MeshArgs {
    /// Output file (OTLP JSON lines).
    #[arg(short, long, value_name = "FILE")]
    pub out: PathBuf,
    #[arg(long, default_value_t = synth::MeshConfig::default().services,
          value_parser = clap::value_parser!(u32).range(2..=5000))]
    pub services: u32,
    /// Distinct caller → callee pairs (capped at every pair).
    #[arg(long, default_value_t = synth::MeshConfig::default().edges,
          value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub edges: u32,
    #[arg(long, default_value_t = synth::MeshConfig::default().seed)]
    pub seed: u64,
}

#[derive(Debug, Args)]
pub struct LargeArgs {
    /// Output file.
    #[arg(short, long, value_name = "FILE")]
    pub out: PathBuf,
    #[arg(long, default_value_t = LargeConfig::default().traces)]
    pub traces: u64,
    #[arg(long, default_value_t = LargeConfig::default().spans_per_trace)]
    pub spans_per_trace: u32,
    #[arg(long, default_value_t = LargeConfig::default().services)]
    pub services: u32,
    #[arg(long, default_value_t = LargeConfig::default().seed)]
    pub seed: u64,
    /// Traces per thousand that get one deliberate break.
    #[arg(long, default_value_t = LargeConfig::default().breaks_per_mille)]
    pub breaks_per_mille: u32,
    /// Give every span below a request's root a random interval in the request's time: a
    /// dump with a break on most spans (the worst case for the report's size).
    #[arg(long)]
    pub random_timings: bool,
}

#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// Trace files: OTLP JSON, JSON lines or protobuf, Jaeger JSON, Zipkin JSON (.gz/.zst
    /// too); `-` reads stdin.
    #[arg(required_unless_present_any = ["tempo", "jaeger"], conflicts_with_all = ["tempo", "jaeger"],
          value_name = "FILE")]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub backend: BackendArgs,
    /// Report format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    #[arg(long, value_name = "KIND,...", value_delimiter = ',', value_parser = parse_kind,
          help = fail_on_help())]
    pub fail_on: Vec<BreakKind>,
    /// Tolerance for time comparisons, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 1.0, value_parser = parse_tolerance)]
    pub tolerance_ms: f64,
    /// Report on the traces this TraceQL query matches only.
    #[arg(long = "where", value_name = "TRACEQL")]
    pub where_: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Json,
    Text,
}

/// `--fail-on`'s help, naming every kind (spec §5 order).
fn fail_on_help() -> String {
    let kinds: Vec<&str> = BreakKind::ALL.iter().map(|k| k.name()).collect();
    format!(
        "Exit with status 1 when breaks of these kinds are found (comma separated): {}",
        kinds.join(", ")
    )
}

fn parse_kind(s: &str) -> Result<BreakKind, String> {
    BreakKind::from_name(s.trim()).ok_or_else(|| {
        let valid: Vec<&str> = BreakKind::ALL.iter().map(|k| k.name()).collect();
        format!(
            "unknown break kind \"{s}\"; valid kinds: {}",
            valid.join(", ")
        )
    })
}

fn parse_tolerance(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ => Err(format!(
            "\"{s}\" is not a number of milliseconds (0 or more)"
        )),
    }
}

impl Cli {
    /// What the window starts with: FILE... loaded, or followed in live mode with `--follow`
    /// or when one of them is `-` (standard input).
    pub fn app_config(&self) -> AppConfig {
        let follow = self.follow || self.files.iter().any(|f| f.as_os_str() == "-");
        if follow {
            AppConfig {
                follow: self.files.clone(),
                ..AppConfig::default()
            }
        } else {
            AppConfig {
                files: self.files.clone(),
                ..AppConfig::default()
            }
        }
    }
}

/// Runs a parsed command line and returns the process exit status.
pub fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Some(Command::Analyze(args)) => analyze(&args),
        Some(Command::Generate(cmd)) => generate(&cmd),
        Some(Command::Export(args)) => export(&args),
        Some(Command::Listen(args)) => listen::run(&args),
        Some(Command::Pull(args)) => pull::run(&args),
        Some(Command::Query(args)) => query::run(&args),
        None => {
            let mut config = cli.app_config();
            // Kept until the app closes: the pulled traces, as a file the app loads.
            let mut pulled = None;
            if let Some((kind, url)) = cli.backend.target() {
                let Some(p) = pull::pull_to_temp(kind, url, &cli.backend.query) else {
                    return ExitCode::from(EXIT_INPUT);
                };
                config.files.insert(0, p.0.clone());
                pulled = Some(p);
            }
            let status = open_app(config, cli.screenshot, cli.view);
            drop(pulled);
            status
        }
    }
}

/// `tracetopo [FILE...] [--screenshot OUT.png [--view NAME]]` and `tracetopo listen`: runs
/// the desktop app.
pub fn open_app(
    config: AppConfig,
    screenshot: Option<PathBuf>,
    view: Option<ViewSpec>,
) -> ExitCode {
    let request = screenshot.map(|out| {
        ScreenshotRequest::new(out, view.unwrap_or(ViewSpec::Tab(app::state::Tab::Traces)))
    });
    let config = AppConfig {
        screenshot: request.clone(),
        ..config
    };
    if let Err(e) = app::run(config) {
        error_line(&format!("tracetopo: {e}"));
        return ExitCode::from(EXIT_INPUT);
    }
    match request.map(|r| r.outcome()) {
        None | Some(Some(Ok(()))) => ExitCode::SUCCESS,
        Some(Some(Err(e))) => {
            error_line(&format!("tracetopo: screenshot: {e}"));
            ExitCode::from(EXIT_INPUT)
        }
        Some(None) => {
            let _ = writeln!(
                std::io::stderr(),
                "tracetopo: screenshot: the window closed before the screenshot was taken"
            );
            ExitCode::from(EXIT_INPUT)
        }
    }
}

/// The input name of standard input (`-` on the command line).
pub const STDIN_NAME: &str = "<stdin>";

/// Writes one line to stderr with the input's control characters escaped.
fn error_line(line: &str) {
    let _ = writeln!(std::io::stderr(), "{}", terminal(line));
}

/// Loads every file into one store (`-`: stdin), indexes and analyses it; reader warnings go
/// to stderr. `None` (after one line on stderr naming the file and position) when a file is
/// unreadable.
fn load_and_analyse(files: &[PathBuf], tolerance_ms: f64) -> Option<(Store, Analysis)> {
    let store = load_indexed(files)?;
    let analysis = Analysis::run(&store, &analysis_options(tolerance_ms));
    Some((store, analysis))
}

/// `load_and_analyse` without the analysis.
fn load_indexed(files: &[PathBuf]) -> Option<Store> {
    let mut store = Store::new();
    for path in files {
        let opts = LoadOptions::default();
        let loaded = if path.as_os_str() == "-" {
            ingest::load_read(&mut store, STDIN_NAME, std::io::stdin(), &opts)
        } else {
            ingest::load_path(&mut store, path, &opts)
        };
        if let Err(e) = loaded {
            error_line(&format!("tracetopo: {e}"));
            return None;
        }
    }
    store.build_index();
    warn_all(&store);
    Some(store)
}

/// The store's reader warnings, on stderr.
fn warn_all(store: &Store) {
    for w in &store.diag.warnings {
        error_line(&format!("tracetopo: warning: {w}"));
    }
}

fn analysis_options(tolerance_ms: f64) -> Options {
    Options {
        tolerance_ns: (tolerance_ms * 1e6).round() as u64,
    }
}

/// `tracetopo analyze`: loads every file into one store, writes the report to stdout as it is
/// made and reader warnings to stderr.
pub fn analyze(args: &AnalyzeArgs) -> ExitCode {
    let filter = match &args.where_ {
        Some(text) => match query::parse_query("--where", text) {
            Some(q) => Some(q),
            None => return ExitCode::from(EXIT_INPUT),
        },
        None => None,
    };
    let loaded = match args.backend.target() {
        Some((kind, url)) => {
            pull::pull_store(Some(kind), url, &args.backend.query, args.tolerance_ms).map(|p| {
                warn_all(&p.store);
                let analysis = Analysis::run(&p.store, &analysis_options(args.tolerance_ms));
                pull::say_other_half(&p, &analysis);
                (p.store, analysis)
            })
        }
        None => load_and_analyse(&args.files, args.tolerance_ms),
    };
    let Some((mut store, mut analysis)) = loaded else {
        return ExitCode::from(EXIT_INPUT);
    };
    if let Some(q) = &filter {
        let opts = analysis_options(args.tolerance_ms);
        query::restrict(&mut store, &mut analysis, q, &opts);
    }
    let report = Report::build(&store, &analysis);
    let mut out = std::io::BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
    let written = match args.format {
        OutputFormat::Json => report
            .write_json(&mut out)
            .and_then(|()| out.write_all(b"\n")),
        OutputFormat::Text => text::write(&mut out, &report),
    }
    .and_then(|()| out.flush());
    match written {
        // A closed pipe (`| head`) is the reader's choice, not a failure.
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            error_line(&format!("tracetopo: stdout: {e}"));
            return ExitCode::from(EXIT_INPUT);
        }
        _ => {}
    }
    drop(out);

    let tripped = tripped_kinds(&analysis, &args.fail_on);
    if tripped.is_empty() {
        return ExitCode::SUCCESS;
    }
    let found: Vec<String> = tripped
        .iter()
        .map(|&(k, n)| count(n, &format!("{} break", k.name())))
        .collect();
    error_line(&format!("tracetopo: --fail-on: found {}", found.join(", ")));
    ExitCode::from(EXIT_BREAKS_FOUND)
}

/// The `--fail-on` kinds found, with their counts, in spec §5 order.
fn tripped_kinds(analysis: &Analysis, fail_on: &[BreakKind]) -> Vec<(BreakKind, u64)> {
    let mut counts = [0u64; BreakKind::ALL.len()];
    for b in &analysis.breaks {
        if let Some(k) = BreakKind::ALL.iter().position(|&k| k == b.kind) {
            counts[k] += 1;
        }
    }
    BreakKind::ALL
        .into_iter()
        .zip(counts)
        .filter(|&(k, n)| n > 0 && fail_on.contains(&k))
        .collect()
}

/// `tracetopo generate`: writes sample or large synthetic dumps.
pub fn generate(cmd: &GenerateCommand) -> ExitCode {
    let result = match cmd {
        GenerateCommand::Samples { dir } => synth::write_samples(dir).map(|files| {
            for f in files {
                println!("{}", f.display());
            }
        }),
        GenerateCommand::Large(a) => {
            let cfg = LargeConfig {
                traces: a.traces,
                spans_per_trace: a.spans_per_trace,
                services: a.services,
                seed: a.seed,
                breaks_per_mille: a.breaks_per_mille,
                random_timings: a.random_timings,
                ..LargeConfig::default()
            };
            std::fs::File::create(&a.out)
                .and_then(|f| synth::write_jsonl(f, &cfg, |_| {}))
                .map(|st| {
                    println!(
                        "{}: {} spans, {} traces, {} lines, {:.1} MB",
                        a.out.display(),
                        st.spans,
                        st.traces,
                        st.lines,
                        st.bytes as f64 / 1e6
                    );
                })
        }
        GenerateCommand::Mesh(a) => {
            let cfg = synth::MeshConfig {
                services: a.services,
                edges: a.edges,
                seed: a.seed,
            };
            std::fs::File::create(&a.out)
                .and_then(|f| synth::write_mesh(std::io::BufWriter::new(f), &cfg))
                .map(|st| {
                    println!(
                        "{}: {} services, {} edges, {} spans, {} traces",
                        a.out.display(),
                        st.services,
                        st.edges,
                        st.spans,
                        st.traces
                    );
                })
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            error_line(&format!("tracetopo: generate: {e}"));
            ExitCode::from(EXIT_INPUT)
        }
    }
}

/// `tracetopo export`: loads every file like `analyze`, writes the snapshot to `--out` (`-`:
/// stdout) and prints nothing else on success (reader warnings go to stderr).
pub fn export(args: &ExportArgs) -> ExitCode {
    let checked = args.resolve_format().and_then(|f| {
        if args.services.is_set() && args.view != ExportView::Services {
            Err("--focus, --min-calls, --only-problems and --group need --view services".into())
        } else {
            Ok(f)
        }
    });
    let format = match checked {
        Ok(f) => f,
        Err(msg) => {
            // A usage error as clap prints one, with the `export` usage line.
            let mut cli = Cli::command();
            cli.build();
            let kind = clap::error::ErrorKind::ArgumentConflict;
            let e = match cli.find_subcommand_mut("export") {
                Some(export) => export.error(kind, msg),
                None => cli.error(kind, msg),
            };
            let _ = e.print();
            return ExitCode::from(EXIT_INPUT);
        }
    };
    let filter = match &args.where_ {
        Some(text) => match query::parse_query("--where", text) {
            Some(q) => Some(q),
            None => return ExitCode::from(EXIT_INPUT),
        },
        None => None,
    };
    let Some((mut store, mut analysis)) = load_and_analyse(&args.files, args.tolerance_ms) else {
        return ExitCode::from(EXIT_INPUT);
    };
    if let Some(q) = &filter {
        query::restrict(
            &mut store,
            &mut analysis,
            q,
            &analysis_options(args.tolerance_ms),
        );
    }
    let filter = args.services.filter();
    let result = if args.out.as_os_str() == "-" {
        snapshot::export_filtered(&store, &analysis, args.view, format, &filter).and_then(|bytes| {
            let mut out = std::io::stdout().lock();
            match out.write_all(&bytes).and_then(|()| out.flush()) {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                    Err(snapshot::ExportError::Write {
                        path: "stdout".to_string(),
                        source: e,
                    })
                }
                _ => Ok(()),
            }
        })
    } else {
        snapshot::export_filtered_to_file(&store, &analysis, args.view, format, &filter, &args.out)
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            error_line(&format!("tracetopo: export: {e}"));
            ExitCode::from(EXIT_INPUT)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A command line as typed in a shell.
    fn words(line: &str) -> Vec<String> {
        shlex::split(line).unwrap_or_else(|| panic!("unbalanced quotes in {line:?}"))
    }

    fn parse(line: &str) -> Cli {
        Cli::try_parse_from(words(line)).unwrap_or_else(|e| panic!("{line:?} did not parse: {e}"))
    }

    /// The arguments of an `analyze` command line.
    fn analyze(line: &str) -> AnalyzeArgs {
        match parse(line).command {
            Some(Command::Analyze(a)) => a,
            other => panic!("{line:?} is not analyze: {other:?}"),
        }
    }

    fn assert_usage_error(line: &str) {
        let e = Cli::try_parse_from(words(line)).err();
        assert_eq!(e.map(|e| e.exit_code()), Some(2), "{line:?}");
    }

    #[test]
    fn analyze_arguments_parse() {
        let a = analyze(
            "tracetopo analyze a.json b.pb --format json --fail-on orphan_span,clock_skew --tolerance-ms 2.5",
        );
        assert_eq!(a.files, [PathBuf::from("a.json"), PathBuf::from("b.pb")]);
        assert_eq!(a.format, OutputFormat::Json);
        assert_eq!(a.fail_on, [BreakKind::OrphanSpan, BreakKind::ClockSkew]);
        assert_eq!(a.tolerance_ms, 2.5);

        let a = analyze("tracetopo analyze a.json");
        assert_eq!((a.format, a.tolerance_ms), (OutputFormat::Text, 1.0));
        assert!(a.fail_on.is_empty());
    }

    #[test]
    fn bad_arguments_are_usage_errors() {
        for line in [
            "tracetopo analyze",
            "tracetopo analyze a.json --fail-on nonsense",
            "tracetopo analyze a.json --tolerance-ms -1",
            "tracetopo analyze a.json --tolerance-ms NaN",
            "tracetopo analyze a.json --format xml",
        ] {
            assert_usage_error(line);
        }
    }

    #[test]
    fn follow_and_stdin_open_the_app_in_live_mode() {
        let c = parse("tracetopo --follow a.log b.log").app_config();
        assert_eq!(c.follow, [PathBuf::from("a.log"), PathBuf::from("b.log")]);
        assert!(c.files.is_empty() && c.live.is_none());
        let c = parse("tracetopo -").app_config();
        assert_eq!(c.follow, [PathBuf::from("-")]);
        assert!(c.files.is_empty());
        let c = parse("tracetopo a.json").app_config();
        assert!(c.follow.is_empty() && c.files == [PathBuf::from("a.json")]);
        // --follow needs files.
        assert_usage_error("tracetopo --follow");
    }

    #[test]
    fn files_without_a_subcommand_open_the_app() {
        let cli = parse(
            "tracetopo a.json b.jsonl --screenshot out.png --view trace:6e0f1a2b3c4d4e5f8a9b0c1d2e3f4a51",
        );
        assert!(cli.command.is_none());
        assert_eq!(
            cli.files,
            [PathBuf::from("a.json"), PathBuf::from("b.jsonl")]
        );
        assert_eq!(cli.screenshot, Some(PathBuf::from("out.png")));
        assert_eq!(
            cli.view,
            Some(ViewSpec::Trace(0x6e0f1a2b3c4d4e5f8a9b0c1d2e3f4a51))
        );

        let cli = parse("tracetopo");
        assert!(cli.command.is_none() && cli.files.is_empty() && cli.screenshot.is_none());

        // No files: a screenshot of the start page.
        let cli = parse("tracetopo --screenshot out.png");
        assert!(cli.files.is_empty() && cli.screenshot == Some(PathBuf::from("out.png")));

        for line in [
            // A view needs a screenshot and files (the start page has no views), views have
            // names.
            "tracetopo --screenshot out.png --view breaks",
            "tracetopo a.json --view breaks",
            "tracetopo a.json --screenshot o.png --view graph",
        ] {
            assert_usage_error(line);
        }
    }

    #[test]
    fn a_backend_opens_the_app_or_replaces_the_files_of_analyze() {
        let cli =
            parse("tracetopo --tempo http://tempo:3200 --since 15m --header 'X-Scope-OrgID: acme'");
        assert!(cli.command.is_none());
        assert_eq!(
            cli.backend.target(),
            Some((crate::backend::Kind::Tempo, "http://tempo:3200"))
        );
        assert_eq!(
            cli.backend.query.since,
            Some(std::time::Duration::from_secs(900))
        );
        for line in [
            "tracetopo --tempo http://a --jaeger http://b",
            "tracetopo analyze a.json --jaeger http://b",
            "tracetopo analyze --jaeger http://b --since 1h --start 0 --end 1",
            "tracetopo pull zipkin http://b -o x.jsonl",
            // A view needs something to show: files or a backend.
            "tracetopo --screenshot o.png --view breaks --since 1h",
        ] {
            assert_usage_error(line);
        }
        let shot = "tracetopo --jaeger http://b --screenshot o.png --view breaks";
        assert!(Cli::try_parse_from(words(shot)).is_ok());
    }

    #[test]
    fn fail_on_help_names_every_kind() {
        let mut cmd = <Cli as clap::CommandFactory>::command();
        let help = cmd
            .find_subcommand_mut("analyze")
            .map(|a| a.render_help().to_string())
            .unwrap_or_default();
        for k in BreakKind::ALL {
            assert!(help.contains(k.name()), "{help}");
        }
    }

    #[test]
    fn unknown_kind_lists_the_valid_ones() {
        let e = parse_kind("nonsense").err().unwrap_or_default();
        assert!(e.contains("\"nonsense\""), "{e}");
        for k in BreakKind::ALL {
            assert!(e.contains(k.name()), "{e}");
        }
    }
}
