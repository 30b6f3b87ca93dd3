//! AFL++ target (scripts/fuzz.sh, docs/fuzzing.md): any bytes as a trace file, through what
//! `tracetopo analyze` runs on it: decompression (gzip, zstd), format detection, every reader,
//! then indexing and the analysis. A panic, an abort or a hang is a finding.

use tracetopo::analysis::{Analysis, Options};
use tracetopo::ingest::{LoadOptions, load_bytes};
use tracetopo::model::Store;

fn main() {
    afl::fuzz!(|data: &[u8]| {
        let mut store = Store::new();
        match load_bytes(&mut store, "fuzz", data, &LoadOptions::default()) {
            Ok(_) => {
                store.build_index();
                let analysis = Analysis::run(&store, &Options::default());
                std::hint::black_box(analysis);
            }
            Err(e) => {
                std::hint::black_box(e.to_string());
            }
        }
    });
}
