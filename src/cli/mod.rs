//! The command line (SPEC §6): `tracetopo [FILE...]` opens the desktop app with those files;
//! `tracetopo FILE... --screenshot OUT.png [--view NAME]` saves a screenshot of the window and
//! exits (no FILE: of the start page); `tracetopo analyze FILE... [--format json|text] [--fail-on KIND,...]
//! [--tolerance-ms F]` prints the report of the files.
//!
//! `tracetopo export FILE... --view services|types|trace:<id> --format svg|png|dot|json -o OUT`
//! writes a topology snapshot.
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

use clap::{Args, Parser, Subcommand, ValueEnum};

mod listen;
pub use listen::ListenArgs;

use crate::analysis::breaks::BreakKind;
use crate::analysis::{Analysis, Options};
use crate::app::screenshot::{ScreenshotRequest, ViewSpec};
use crate::app::{self, AppConfig};
use crate::export::{self as snapshot, ExportView, Format};
use crate::ingest::{self, LoadOptions};
use crate::model::Store;
use crate::report::{Report, text};
use crate::synth::{self, LargeConfig};

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
    /// flame, services, types, breaks.
    #[arg(long, value_name = "NAME", value_parser = ViewSpec::parse, requires = "screenshot",
          requires = "files")]
    pub view: Option<ViewSpec>,
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
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Trace files, as for `analyze`.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// What to draw: services, types or trace:<trace_id>.
    #[arg(long, value_name = "VIEW", value_parser = ExportView::parse)]
    pub view: ExportView,
    /// File format.
    #[arg(long, value_enum)]
    pub format: Format,
    /// Output file.
    #[arg(short, long, value_name = "OUT")]
    pub out: PathBuf,
    /// Tolerance for time comparisons, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 1.0, value_parser = parse_tolerance)]
    pub tolerance_ms: f64,
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
}

#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// Trace files: OTLP JSON, JSON lines or protobuf, Jaeger JSON, Zipkin JSON (.gz/.zst too).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Report format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    /// Exit with status 1 when breaks of these kinds are found (comma separated).
    #[arg(long, value_name = "KIND,...", value_delimiter = ',', value_parser = parse_kind)]
    pub fail_on: Vec<BreakKind>,
    /// Tolerance for time comparisons, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 1.0, value_parser = parse_tolerance)]
    pub tolerance_ms: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Json,
    Text,
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

/// Runs a parsed command line and returns the process exit status.
pub fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Some(Command::Analyze(args)) => analyze(&args),
        Some(Command::Generate(cmd)) => generate(&cmd),
        Some(Command::Export(args)) => export(&args),
        Some(Command::Listen(args)) => listen::run(&args),
        None => open_app(
            AppConfig {
                files: cli.files,
                ..AppConfig::default()
            },
            cli.screenshot,
            cli.view,
        ),
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
        let _ = writeln!(std::io::stderr(), "tracetopo: {e}");
        return ExitCode::from(EXIT_INPUT);
    }
    match request.map(|r| r.outcome()) {
        None | Some(Some(Ok(()))) => ExitCode::SUCCESS,
        Some(Some(Err(e))) => {
            let _ = writeln!(std::io::stderr(), "tracetopo: screenshot: {e}");
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

/// Loads every file into one store, indexes and analyses it; reader warnings go to stderr.
/// `None` (after one line on stderr naming the file and position) when a file is unreadable.
fn load_and_analyse(files: &[PathBuf], tolerance_ms: f64) -> Option<(Store, Analysis)> {
    let mut store = Store::new();
    for path in files {
        if let Err(e) = ingest::load_path(&mut store, path, &LoadOptions::default()) {
            let _ = writeln!(std::io::stderr(), "tracetopo: {e}");
            return None;
        }
    }
    store.build_index();
    let mut err = std::io::stderr().lock();
    for w in &store.diag.warnings {
        let _ = writeln!(err, "tracetopo: warning: {w}");
    }
    let opts = Options {
        tolerance_ns: (tolerance_ms * 1e6).round() as u64,
    };
    let analysis = Analysis::run(&store, &opts);
    Some((store, analysis))
}

/// `tracetopo analyze`: loads every file into one store, prints the report to stdout and
/// reader warnings to stderr.
pub fn analyze(args: &AnalyzeArgs) -> ExitCode {
    let Some((store, analysis)) = load_and_analyse(&args.files, args.tolerance_ms) else {
        return ExitCode::from(EXIT_INPUT);
    };
    let mut err = std::io::stderr().lock();
    let report = Report::build(&store, &analysis);
    let out = match args.format {
        OutputFormat::Json => match report.to_json() {
            Ok(json) => json + "\n",
            Err(e) => {
                let _ = writeln!(err, "tracetopo: cannot write the report: {e}");
                return ExitCode::from(EXIT_INPUT);
            }
        },
        OutputFormat::Text => text::render(&report),
    };
    let written = std::io::stdout()
        .lock()
        .write_all(out.as_bytes())
        .and_then(|()| std::io::stdout().flush());
    match written {
        // A closed pipe (`| head`) is the reader's choice, not a failure.
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            let _ = writeln!(err, "tracetopo: stdout: {e}");
            return ExitCode::from(EXIT_INPUT);
        }
        _ => {}
    }

    if analysis
        .breaks
        .iter()
        .any(|b| args.fail_on.contains(&b.kind))
    {
        ExitCode::from(EXIT_BREAKS_FOUND)
    } else {
        ExitCode::SUCCESS
    }
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
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tracetopo: generate: {e}");
            ExitCode::from(EXIT_INPUT)
        }
    }
}

/// `tracetopo export`: loads every file like `analyze`, writes the snapshot to `--out` and
/// prints nothing else on success (reader warnings go to stderr).
pub fn export(args: &ExportArgs) -> ExitCode {
    let Some((store, analysis)) = load_and_analyse(&args.files, args.tolerance_ms) else {
        return ExitCode::from(EXIT_INPUT);
    };
    let mut err = std::io::stderr().lock();
    match snapshot::export_to_file(&store, &analysis, args.view, args.format, &args.out) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(err, "tracetopo: export: {e}");
            ExitCode::from(EXIT_INPUT)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn analyze_arguments_parse() {
        let cli = Cli::try_parse_from([
            "tracetopo",
            "analyze",
            "a.json",
            "b.pb",
            "--format",
            "json",
            "--fail-on",
            "orphan_span,clock_skew",
            "--tolerance-ms",
            "2.5",
        ]);
        let Ok(Cli {
            command: Some(Command::Analyze(a)),
            ..
        }) = cli
        else {
            panic!("did not parse: {cli:?}");
        };
        assert_eq!(a.files, [PathBuf::from("a.json"), PathBuf::from("b.pb")]);
        assert_eq!(a.format, OutputFormat::Json);
        assert_eq!(a.fail_on, [BreakKind::OrphanSpan, BreakKind::ClockSkew]);
        assert_eq!(a.tolerance_ms, 2.5);

        let Ok(Cli {
            command: Some(Command::Analyze(a)),
            ..
        }) = Cli::try_parse_from(["tracetopo", "analyze", "a.json"])
        else {
            panic!("defaults did not parse");
        };
        assert_eq!((a.format, a.tolerance_ms), (OutputFormat::Text, 1.0));
        assert!(a.fail_on.is_empty());
    }

    #[test]
    fn bad_arguments_are_usage_errors() {
        for args in [
            &["tracetopo", "analyze"][..],
            &["tracetopo", "analyze", "a.json", "--fail-on", "nonsense"],
            &["tracetopo", "analyze", "a.json", "--tolerance-ms", "-1"],
            &["tracetopo", "analyze", "a.json", "--tolerance-ms", "NaN"],
            &["tracetopo", "analyze", "a.json", "--format", "xml"],
        ] {
            let e = Cli::try_parse_from(args).err();
            assert_eq!(e.map(|e| e.exit_code()), Some(2), "{args:?}");
        }
    }

    #[test]
    fn files_without_a_subcommand_open_the_app() {
        let Ok(cli) = Cli::try_parse_from([
            "tracetopo",
            "a.json",
            "b.jsonl",
            "--screenshot",
            "out.png",
            "--view",
            "trace:6e0f1a2b3c4d4e5f8a9b0c1d2e3f4a51",
        ]) else {
            panic!("did not parse");
        };
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

        let Ok(cli) = Cli::try_parse_from(["tracetopo"]) else {
            panic!("no arguments did not parse");
        };
        assert!(cli.command.is_none() && cli.files.is_empty() && cli.screenshot.is_none());

        // No files: a screenshot of the start page.
        let Ok(cli) = Cli::try_parse_from(["tracetopo", "--screenshot", "out.png"]) else {
            panic!("a start page screenshot did not parse");
        };
        assert!(cli.files.is_empty() && cli.screenshot == Some(PathBuf::from("out.png")));

        for args in [
            // A view needs a screenshot and files (the start page has no views), views have
            // names.
            &["tracetopo", "--screenshot", "out.png", "--view", "breaks"][..],
            &["tracetopo", "a.json", "--view", "breaks"],
            &[
                "tracetopo",
                "a.json",
                "--screenshot",
                "o.png",
                "--view",
                "graph",
            ],
        ] {
            let e = Cli::try_parse_from(args).err();
            assert_eq!(e.map(|e| e.exit_code()), Some(2), "{args:?}");
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
