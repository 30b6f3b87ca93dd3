//! The data model: compact spans, interned strings, and the indexed store they live in.

pub mod attr;
pub mod batch;
pub mod derive;
pub mod diag;
pub mod ids;
pub mod interner;
pub mod log;
pub mod log_join;
pub(crate) mod ops;
pub mod span;
pub mod store;

pub use attr::{Attr, AttrType, Value};
pub use batch::{Batch, BatchMark};
pub use diag::{Diagnostics, LoadError, Position, Warning, WarningKind};
pub use interner::{Interner, Sym};
pub use log::{Join, Level, LogRecord};
pub use log_join::LogCounts;
pub use span::{ArenaRange, Event, Link, Process, Resource, Span, SpanKind, StatusCode};
pub use store::{Index, Input, NONE, Store, TraceInfo};

#[cfg(test)]
mod tests;
