//! Live input: an OTLP receiver (gRPC and HTTP) whose requests become `Batch`es, the live
//! store they are merged into (bounded, oldest traces evicted first), and the headless
//! recorder that writes them to OTLP JSON lines. Sockets → batches → store, as files are.

pub mod collector;
pub mod decode;
mod grpc;
mod http;
pub mod recorder;
pub mod server;
pub mod stats;

use std::net::SocketAddr;
use std::time::Duration;

/// Where and how much the receiver accepts, and what the live store keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LiveConfig {
    /// OTLP/gRPC address (SPEC §2: 127.0.0.1:4317).
    pub grpc: SocketAddr,
    /// OTLP/HTTP address (SPEC §2: 127.0.0.1:4318).
    pub http: SocketAddr,
    /// Largest request body accepted, after decompression.
    pub max_request_bytes: usize,
    /// Spans kept in memory; beyond it the oldest traces are evicted.
    pub retain_spans: usize,
    /// How long a break caused by data that may still arrive stays pending.
    pub grace: Duration,
}

impl Default for LiveConfig {
    fn default() -> Self {
        LiveConfig {
            grpc: SocketAddr::from(([127, 0, 0, 1], 4317)),
            http: SocketAddr::from(([127, 0, 0, 1], 4318)),
            // The Collector's own receivers default to 4 MiB (gRPC) and 20 MiB (HTTP).
            max_request_bytes: 16 << 20,
            retain_spans: 2_000_000,
            // An SDK's batch processor exports every 5 s: a parent from another service can
            // arrive up to one export interval after its children.
            grace: Duration::from_secs(10),
        }
    }
}

/// The input name live spans carry in the store (`inputs[].path`).
pub const INPUT_NAME: &str = "live OTLP";
