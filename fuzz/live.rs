//! AFL++ target (scripts/fuzz.sh, docs/fuzzing.md): any bytes as the body of an OTLP export
//! request, decoded by the functions the live receiver calls (no sockets). The first byte
//! picks the path: bit 0 protobuf (OTLP/HTTP and the gRPC message, which tonic hands over as
//! the same protobuf bytes) or JSON, bit 1 a gzip body (`Content-Encoding: gzip`). A decoded
//! batch is merged into a store and indexed, as the live store does.

use std::borrow::Cow;

use tracetopo::live::decode::{Payload, decode, gunzip, warning_summary};
use tracetopo::model::Store;

/// The receiver's default limit is 16 MiB; a smaller one reaches the "too large" path sooner.
const LIMIT: usize = 1 << 20;

fn main() {
    afl::fuzz!(|data: &[u8]| {
        let Some((&mode, body)) = data.split_first() else {
            return;
        };
        let payload = if mode & 1 == 0 {
            Payload::Protobuf
        } else {
            Payload::Json
        };
        let raw = if mode & 2 != 0 {
            match gunzip(body, LIMIT) {
                Ok(b) => Cow::Owned(b),
                Err(_) => return,
            }
        } else {
            Cow::Borrowed(body)
        };
        if let Ok(batch) = decode(&raw, payload, "fuzz") {
            std::hint::black_box(warning_summary(&batch));
            let mut store = Store::new();
            let input = store.add_input("fuzz", "otlp");
            store.add_batch(batch, input);
            store.build_index();
            std::hint::black_box(store);
        }
    });
}
