//! TraceQL, the span-filter language of Grafana Tempo, over a loaded store: parse a query
//! once (`Query::parse`), evaluate it over every trace on all cores (`Query::evaluate`), get
//! per matching trace the matched spans. What is supported and how it differs from Tempo:
//! spec §8 and docs/traceql.md. Analysis knows nothing of it: the query reads the store and,
//! for the `break` intrinsic, the breaks analysis found.

pub mod ast;
pub mod complete;
mod eval;
pub mod lex;
mod parse;

pub use eval::{Compiled, TraceMatch};
pub use lex::{Class, classes};

use crate::analysis::breaks::Break;
use crate::model::Store;
use crate::query::Session;

/// A query that does not parse: what was expected and the 1-based column (in characters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub message: String,
    pub column: usize,
}

impl ParseError {
    pub fn new(message: impl Into<String>, column: usize) -> Self {
        ParseError {
            message: message.into(),
            column,
        }
    }
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} at column {}", self.message, self.column)
    }
}

impl std::error::Error for ParseError {}

/// A parsed query.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub text: String,
    pub ast: ast::Pipeline,
}

impl Query {
    pub fn parse(text: &str) -> Result<Query, ParseError> {
        Ok(Query {
            text: text.to_string(),
            ast: parse::parse(text)?,
        })
    }

    /// Whether the query names `break`, so needs the breaks of an analysis.
    pub fn needs_breaks(&self) -> bool {
        let mut needs = false;
        self.ast
            .intrinsics(&mut |i| needs |= i == ast::Intrinsic::Break);
        needs
    }

    /// The traces of an indexed `store` that match, in trace-number order, each with its
    /// matched spans. `breaks` are the analysis's (only read when `needs_breaks`).
    pub fn evaluate(&self, store: &Store, breaks: &[Break]) -> Vec<TraceMatch> {
        Compiled::new(&self.ast, store, breaks).run()
    }
}

/// A query's answer over a session, as the app's views follow it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Matched {
    /// Matching trace numbers (into `store.index.traces`), ascending.
    pub traces: Vec<u32>,
    /// Every matched span (store indices), ascending.
    pub spans: Vec<u32>,
}

impl Query {
    /// The answer over `session`, with the breaks its analysis found.
    pub fn matched(&self, session: &Session) -> Matched {
        let found = self.evaluate(&session.store, &session.analysis.breaks);
        Matched {
            traces: found.iter().map(|m| m.trace).collect(),
            // Traces are contiguous in trace-number order, so this is ascending.
            spans: found.into_iter().flat_map(|m| m.spans).collect(),
        }
    }
}
