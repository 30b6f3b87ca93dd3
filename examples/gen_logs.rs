//! Writes log records for a trace dump, for the logs benchmark (docs/PERFORMANCE.md): see
//! `synth::logs`.
//!
//! `cargo run --release --example gen_logs -- big.jsonl logs.jsonl`

use std::io::{BufWriter, Write};
use std::path::Path;

use tracetopo::ingest::{LoadOptions, load_path};
use tracetopo::model::Store;
use tracetopo::synth::write_logs_jsonl;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(spans), Some(out)) = (args.get(1), args.get(2)) else {
        return Err("usage: gen_logs SPANS.jsonl OUT.jsonl".into());
    };
    let mut store = Store::new();
    load_path(&mut store, Path::new(spans), &LoadOptions::default())?;
    let mut w = BufWriter::new(std::fs::File::create(out)?);
    let n = write_logs_jsonl(&mut w, &store)?;
    w.flush()?;
    eprintln!("{out}: {n} log records");
    Ok(())
}
