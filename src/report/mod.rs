//! The report `analyze` prints: the spec §7 JSON document (`json`) and a readable summary of
//! the same content (`text`).

pub mod json;
pub mod text;

pub use json::Report;
