//! The `tracetopo` binary: parses the command line and runs it (see `tracetopo::cli`).

#![forbid(unsafe_code)]

use clap::Parser;

fn main() -> std::process::ExitCode {
    tracetopo::cli::run(tracetopo::cli::Cli::parse())
}
