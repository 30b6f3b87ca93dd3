//! Writes the starting inputs of the fuzz targets (scripts/fuzz.sh): each given trace file as
//! it is, gzip- and zstd-compressed, and as OTLP protobuf when it is an OTLP JSON request; for
//! the live target the same bodies behind the mode byte that `fuzz/live.rs` reads.
//!
//! `fuzz_seeds OUT_DIR FILE...` writes OUT_DIR/load/ and OUT_DIR/live/.

use std::io::Write;
use std::path::{Path, PathBuf};

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message;

fn gzip(data: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(data)?;
    enc.finish()
}

fn write(dir: &Path, name: &str, mode: Option<u8>, data: &[u8]) -> std::io::Result<()> {
    let mut bytes = Vec::with_capacity(data.len() + 1);
    bytes.extend(mode);
    bytes.extend_from_slice(data);
    std::fs::write(dir.join(name), bytes)
}

fn main() -> std::io::Result<()> {
    let mut args = std::env::args_os().skip(1).map(PathBuf::from);
    let Some(out) = args.next() else {
        eprintln!("usage: fuzz_seeds OUT_DIR FILE...");
        std::process::exit(2);
    };
    let (load, live) = (out.join("load"), out.join("live"));
    std::fs::create_dir_all(&load)?;
    std::fs::create_dir_all(&live)?;
    for (n, path) in args.enumerate() {
        let data = std::fs::read(&path)?;
        let gz = gzip(&data)?;
        let zst = zstd::encode_all(&data[..], 3)?;
        write(&load, &format!("{n:03}"), None, &data)?;
        write(&load, &format!("{n:03}.gz"), None, &gz)?;
        write(&load, &format!("{n:03}.zst"), None, &zst)?;
        write(&live, &format!("{n:03}.json"), Some(1), &data)?;
        write(&live, &format!("{n:03}.json.gz"), Some(3), &gz)?;
        if let Ok(req) = serde_json::from_slice::<ExportTraceServiceRequest>(&data) {
            let pb = req.encode_to_vec();
            write(&load, &format!("{n:03}.pb"), None, &pb)?;
            write(&live, &format!("{n:03}.pb"), Some(0), &pb)?;
            write(&live, &format!("{n:03}.pb.gz"), Some(2), &gzip(&pb)?)?;
        }
    }
    Ok(())
}
