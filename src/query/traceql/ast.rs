//! The parsed query: a spanset pipeline over field expressions.

use crate::analysis::breaks::BreakKind;
use crate::analysis::span_graph::SpanEdge;
use crate::model::{SpanKind, StatusCode};

pub use super::lex::Scope;

/// `{A} op {B}` between spansets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetOp {
    And,
    Or,
    /// `>`: B spans whose parent is an A span.
    Child,
    /// `<`: B spans that are the parent of an A span.
    Parent,
    /// `>>`: B spans with an A span among their ancestors.
    Desc,
    /// `<<`: B spans with an A span among their descendants.
    Ance,
    /// `~`: B spans with an A span among their siblings.
    Sibl,
    /// `!>` `!<` `!>>` `!<<` `!~`: B spans for which the relation does not hold.
    Not(Rel),
    /// `&>` `&<` `&>>` `&<<` `&~`: the B spans of the relation and the A spans they relate to.
    Union(Rel),
}

/// A structural relation "B is REL of some A".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rel {
    Child,
    Parent,
    Desc,
    Ance,
    Sibl,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
    Re,
    Nre,
}

impl CmpOp {
    pub const ALL: [CmpOp; 8] = [
        CmpOp::Eq,
        CmpOp::Ne,
        CmpOp::Gt,
        CmpOp::Ge,
        CmpOp::Lt,
        CmpOp::Le,
        CmpOp::Re,
        CmpOp::Nre,
    ];

    pub fn text(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "!=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Re => "=~",
            CmpOp::Nre => "!~",
        }
    }

    /// `a op b` is `b op.flip() a`.
    pub fn flip(self) -> CmpOp {
        match self {
            CmpOp::Gt => CmpOp::Lt,
            CmpOp::Ge => CmpOp::Le,
            CmpOp::Lt => CmpOp::Gt,
            CmpOp::Le => CmpOp::Ge,
            o => o,
        }
    }

    pub fn is_order(self) -> bool {
        matches!(self, CmpOp::Gt | CmpOp::Ge | CmpOp::Lt | CmpOp::Le)
    }
}

/// The span and trace properties a query can name without a scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intrinsic {
    Name,
    Status,
    StatusMessage,
    Kind,
    Duration,
    ChildCount,
    RootName,
    RootServiceName,
    TraceDuration,
    /// tracetopo: a break kind naming the span (as its span or its related span).
    Break,
    /// tracetopo: the span's goroutine id (spec §3).
    Goroutine,
    /// tracetopo: how control reached the span from its parent (spec §4.4).
    Hop,
    ConversionFrom,
    ConversionTo,
}

impl Intrinsic {
    pub const NAMES: [(&'static str, Intrinsic); 12] = [
        ("name", Intrinsic::Name),
        ("status", Intrinsic::Status),
        ("statusMessage", Intrinsic::StatusMessage),
        ("kind", Intrinsic::Kind),
        ("duration", Intrinsic::Duration),
        ("childCount", Intrinsic::ChildCount),
        ("rootName", Intrinsic::RootName),
        ("rootServiceName", Intrinsic::RootServiceName),
        ("traceDuration", Intrinsic::TraceDuration),
        ("break", Intrinsic::Break),
        ("goroutine", Intrinsic::Goroutine),
        ("hop", Intrinsic::Hop),
    ];

    /// The bare-word intrinsics (`conversion.from`/`.to` are lexed as attributes).
    pub fn from_name(w: &str) -> Option<Intrinsic> {
        if w == "rootService" {
            return Some(Intrinsic::RootServiceName);
        }
        Self::NAMES.iter().find(|(n, _)| *n == w).map(|&(_, i)| i)
    }

    /// Tempo's scoped spelling (`span:name`, `trace:rootService`, ...).
    pub fn from_scoped(scope: &str, name: &str) -> Option<Intrinsic> {
        Some(match (scope, name) {
            ("span", "name") => Intrinsic::Name,
            ("span", "status") => Intrinsic::Status,
            ("span", "statusMessage") => Intrinsic::StatusMessage,
            ("span", "kind") => Intrinsic::Kind,
            ("span", "duration") => Intrinsic::Duration,
            ("span", "childCount") => Intrinsic::ChildCount,
            ("trace", "rootName") => Intrinsic::RootName,
            ("trace", "rootService") => Intrinsic::RootServiceName,
            ("trace", "duration") => Intrinsic::TraceDuration,
            _ => return None,
        })
    }

    pub fn ty(self) -> Ty {
        match self {
            Intrinsic::Name
            | Intrinsic::StatusMessage
            | Intrinsic::RootName
            | Intrinsic::RootServiceName
            | Intrinsic::ConversionFrom
            | Intrinsic::ConversionTo => Ty::Str,
            Intrinsic::Status => Ty::Status,
            Intrinsic::Kind => Ty::Kind,
            Intrinsic::Duration | Intrinsic::TraceDuration => Ty::Num,
            Intrinsic::ChildCount | Intrinsic::Goroutine => Ty::Num,
            Intrinsic::Break => Ty::Break,
            Intrinsic::Hop => Ty::Hop,
        }
    }

    pub fn text(self) -> &'static str {
        match self {
            Intrinsic::ConversionFrom => "conversion.from",
            Intrinsic::ConversionTo => "conversion.to",
            i => Self::NAMES
                .iter()
                .find(|(_, j)| *j == i)
                .map_or("?", |(n, _)| n),
        }
    }
}

/// What a value is known to be before evaluation (attributes: anything).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    Any,
    Str,
    /// Integers, floats and durations compare with each other.
    Num,
    Bool,
    Nil,
    Status,
    Kind,
    Break,
    Hop,
}

impl Ty {
    pub fn text(self) -> &'static str {
        match self {
            Ty::Any => "a value",
            Ty::Str => "a string",
            Ty::Num => "a number",
            Ty::Bool => "a boolean",
            Ty::Nil => "nil",
            Ty::Status => "a status (error, ok, unset)",
            Ty::Kind => "a kind (server, client, producer, consumer, internal, unspecified)",
            Ty::Break => "a break kind",
            Ty::Hop => "a hop kind (goroutine_hop, process_hop, same_goroutine)",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Lit {
    Str(String),
    Int(i64),
    Float(f64),
    /// Nanoseconds.
    Dur(u64),
    Bool(bool),
    Nil,
    Status(StatusCode),
    Kind(SpanKind),
    Break(BreakKind),
    Hop(SpanEdge),
}

impl Lit {
    pub fn ty(&self) -> Ty {
        match self {
            Lit::Str(_) => Ty::Str,
            Lit::Int(_) | Lit::Float(_) | Lit::Dur(_) => Ty::Num,
            Lit::Bool(_) => Ty::Bool,
            Lit::Nil => Ty::Nil,
            Lit::Status(_) => Ty::Status,
            Lit::Kind(_) => Ty::Kind,
            Lit::Break(_) => Ty::Break,
            Lit::Hop(_) => Ty::Hop,
        }
    }

    /// A number as f64 (durations in nanoseconds).
    pub fn number(&self) -> Option<f64> {
        match *self {
            Lit::Int(v) => Some(v as f64),
            Lit::Float(v) => Some(v),
            Lit::Dur(v) => Some(v as f64),
            _ => None,
        }
    }
}

/// An expression inside `{ … }` (and in `by(…)`, `avg(…)`).
#[derive(Debug, Clone, PartialEq)]
pub enum Field {
    And(Box<Field>, Box<Field>),
    Or(Box<Field>, Box<Field>),
    Not(Box<Field>),
    Cmp(Box<Field>, CmpOp, Box<Field>),
    Attr { scope: Scope, name: String },
    Intrinsic(Intrinsic),
    Lit(Lit),
}

impl Field {
    pub fn ty(&self) -> Ty {
        match self {
            Field::And(..) | Field::Or(..) | Field::Not(_) | Field::Cmp(..) => Ty::Bool,
            Field::Attr { .. } => Ty::Any,
            Field::Intrinsic(i) => i.ty(),
            Field::Lit(l) => l.ty(),
        }
    }

    /// Calls `f` on every intrinsic the expression names.
    pub fn intrinsics(&self, f: &mut impl FnMut(Intrinsic)) {
        match self {
            Field::And(a, b) | Field::Or(a, b) | Field::Cmp(a, _, b) => {
                a.intrinsics(f);
                b.intrinsics(f);
            }
            Field::Not(a) => a.intrinsics(f),
            Field::Intrinsic(i) => f(*i),
            Field::Attr { .. } | Field::Lit(_) => {}
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum SetExpr {
    Filter(Field),
    Op(Box<SetExpr>, SetOp, Box<SetExpr>),
    Pipeline(Box<Pipeline>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggFn {
    Avg,
    Min,
    Max,
    Sum,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Agg {
    Count,
    Of(AggFn, Field),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Stage {
    /// `| { … }` (or any spanset expression): keeps the spans of each spanset it matches.
    Filter(SetExpr),
    /// `| count() > 2`, `| avg(duration) >= 20ms`: keeps the spansets whose figure passes.
    Scalar { agg: Agg, op: CmpOp, value: f64 },
    /// `| by(field)`: cuts each spanset by the field's value.
    By(Field),
    /// `| coalesce()`: joins a trace's spansets again.
    Coalesce,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Pipeline {
    pub first: SetExpr,
    pub stages: Vec<Stage>,
}

impl Pipeline {
    /// Calls `f` on every intrinsic the query names.
    pub fn intrinsics(&self, f: &mut impl FnMut(Intrinsic)) {
        self.first.intrinsics(f);
        for s in &self.stages {
            match s {
                Stage::Filter(e) => e.intrinsics(f),
                Stage::Scalar {
                    agg: Agg::Of(_, e), ..
                }
                | Stage::By(e) => e.intrinsics(f),
                Stage::Scalar { .. } | Stage::Coalesce => {}
            }
        }
    }
}

impl SetExpr {
    fn intrinsics(&self, f: &mut impl FnMut(Intrinsic)) {
        match self {
            SetExpr::Filter(e) => e.intrinsics(f),
            SetExpr::Op(a, _, b) => {
                a.intrinsics(f);
                b.intrinsics(f);
            }
            SetExpr::Pipeline(p) => p.intrinsics(f),
        }
    }
}
