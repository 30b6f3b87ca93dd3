//! Live input: an OTLP receiver (gRPC and HTTP) whose requests become `Batch`es, the live
//! store they are merged into (bounded, oldest traces evicted first), and the headless
//! recorder that writes them to OTLP JSON lines. Sockets → batches → store, as files are.

pub mod budget;
pub mod collector;
mod conn;
pub mod cost;
pub mod decode;
pub mod follow;
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
    /// OTLP/gRPC address (spec §2: 127.0.0.1:4317).
    pub grpc: SocketAddr,
    /// OTLP/HTTP address (spec §2: 127.0.0.1:4318).
    pub http: SocketAddr,
    /// Largest request body accepted, after decompression.
    pub max_request_bytes: usize,
    /// Spans kept in memory; beyond it the oldest traces are evicted.
    pub retain_spans: usize,
    /// How long a break caused by data that may still arrive stays pending.
    pub grace: Duration,
    /// Memory all requests in flight may hold at once (bodies, decoded requests, batches not
    /// yet stored or written), as estimated by `cost`; one request may take half of it.
    pub in_flight_bytes: u64,
    /// How long a request waits for its share of `in_flight_bytes` before it is refused with
    /// retry advice (HTTP 429, gRPC RESOURCE_EXHAUSTED with RetryInfo).
    pub budget_wait: Duration,
    /// Open connections per protocol; beyond it new ones wait in the listen backlog.
    pub max_connections: usize,
    /// A connection that moves no byte either way for this long is closed.
    pub idle_timeout: Duration,
    /// An HTTP request's headers must arrive within this.
    pub header_timeout: Duration,
    /// An HTTP request's body must arrive within this; a gRPC request must be answered within it.
    pub request_timeout: Duration,
}

impl LiveConfig {
    /// The largest decoded size of one request: half the budget, so two can decode at once.
    pub fn max_decoded_bytes(&self) -> u64 {
        self.in_flight_bytes / 2
    }
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
            // Eight requests at the size limit of realistic spans fit; adversarial shapes
            // (empty spans) are refused or wait. Peak RSS stays under 1 GB above the retained
            // data (docs/PERFORMANCE.md).
            in_flight_bytes: 512 << 20,
            budget_wait: Duration::from_secs(5),
            max_connections: 256,
            idle_timeout: Duration::from_secs(60),
            header_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
        }
    }
}

/// The input name live spans carry in the store (`inputs[].path`).
pub const INPUT_NAME: &str = "live OTLP";
