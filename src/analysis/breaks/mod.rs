//! Breaks: the places where trace context was lost or timing does not add up (SPEC §5).

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BreakKind {
    OrphanSpan,
    PropagationBreak,
    DetachedRoot,
    SpanOutlivesParent,
    ConversionError,
    ClockSkew,
    InvalidId,
    DuplicateSpan,
    UnmatchedClient,
}

impl BreakKind {
    pub const ALL: [BreakKind; 9] = [
        BreakKind::OrphanSpan,
        BreakKind::PropagationBreak,
        BreakKind::DetachedRoot,
        BreakKind::SpanOutlivesParent,
        BreakKind::ConversionError,
        BreakKind::ClockSkew,
        BreakKind::InvalidId,
        BreakKind::DuplicateSpan,
        BreakKind::UnmatchedClient,
    ];

    /// The SPEC name (`orphan_span`, ...).
    pub fn name(self) -> &'static str {
        match self {
            BreakKind::OrphanSpan => "orphan_span",
            BreakKind::PropagationBreak => "propagation_break",
            BreakKind::DetachedRoot => "detached_root",
            BreakKind::SpanOutlivesParent => "span_outlives_parent",
            BreakKind::ConversionError => "conversion_error",
            BreakKind::ClockSkew => "clock_skew",
            BreakKind::InvalidId => "invalid_id",
            BreakKind::DuplicateSpan => "duplicate_span",
            BreakKind::UnmatchedClient => "unmatched_client",
        }
    }

    pub fn from_name(s: &str) -> Option<BreakKind> {
        BreakKind::ALL.into_iter().find(|k| k.name() == s)
    }

    pub fn severity(self) -> Severity {
        match self {
            BreakKind::OrphanSpan
            | BreakKind::PropagationBreak
            | BreakKind::DetachedRoot
            | BreakKind::ConversionError => Severity::Error,
            BreakKind::SpanOutlivesParent | BreakKind::InvalidId | BreakKind::DuplicateSpan => {
                Severity::Warning
            }
            BreakKind::ClockSkew | BreakKind::UnmatchedClient => Severity::Info,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

/// One break. `span` and `related` are indexes into `Store::spans`; the report turns them
/// into hex ids, service and span name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Break {
    pub kind: BreakKind,
    pub span: u32,
    pub related: Option<u32>,
    pub message: String,
}
