//! Readers: trace dumps in every supported format, decompressed and detected by content,
//! turned into `Batch`es and merged into a `Store`.

pub mod ids;
