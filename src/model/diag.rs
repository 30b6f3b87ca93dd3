//! Diagnostics: what a reader skipped or repaired, counted and kept with its position.

use std::collections::hash_map::Entry;

use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::escape::terminal;

/// Where in an input something happened. Lines and columns are 1-based.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Position {
    LineCol { line: u64, column: u64 },
    Line { line: u64 },
    Byte { offset: u64 },
    Unknown,
}

impl std::fmt::Display for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Position::LineCol { line, column } => write!(f, "line {line} column {column}"),
            Position::Line { line } => write!(f, "line {line}"),
            Position::Byte { offset } => write!(f, "byte {offset}"),
            Position::Unknown => write!(f, "unknown position"),
        }
    }
}

/// `input: position: message`, or `input: message` when the position is unknown (a position
/// that is not one would only confuse); the input name made safe for a terminal.
fn located(
    f: &mut std::fmt::Formatter<'_>,
    input: &str,
    position: &Position,
    message: &str,
) -> std::fmt::Result {
    write!(f, "{}: ", terminal(input))?;
    if *position != Position::Unknown {
        write!(f, "{position}: ")?;
    }
    f.write_str(message)
}

/// What kind of thing was skipped or repaired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WarningKind {
    /// A JSON line or protobuf message that could not be read; the rest of the file loaded.
    SkippedLine,
    /// A span that could not be kept (e.g. no usable ids).
    SkippedSpan,
    /// A field with a bad value that was ignored (the span was kept).
    SkippedField,
    /// Logs, metrics or profiles found in a trace file and not loaded.
    OtherSignal,
    /// Ids written as base64 instead of hex: accepted.
    Base64Ids,
    /// An enum given by name, or an unknown enum value read as unspecified.
    EnumValue,
    /// Times that say nothing usable (an end before the start, no times at all): the span
    /// is kept and drawn as the message says.
    Timing,
    /// An input that added no span: empty, or every span already loaded from another input.
    NothingLoaded,
    /// A trace backend gave part of what was asked: a trace marked PARTIAL, a trace not
    /// found, a search that hit a bound.
    Incomplete,
}

/// One warning. `count` folds repeats of the same kind in the same input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    pub kind: WarningKind,
    pub input: String,
    pub position: Position,
    pub message: String,
    pub count: u64,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        located(f, &self.input, &self.position, &self.message)?;
        if self.count > 1 {
            write!(f, " ({} times)", self.count)?;
        }
        Ok(())
    }
}

/// Collects warnings for one input: the first of each (kind, message) keeps its position,
/// later ones only add to its count, so a million bad lines cost one entry.
#[derive(Debug, Default, Clone)]
pub struct Diagnostics {
    pub warnings: Vec<Warning>,
    /// Where each (kind, input, message) is in `warnings`: a repeat is one lookup however
    /// many distinct messages (which may quote input values) came before.
    at: FxHashMap<(WarningKind, String, String), usize>,
}

impl Diagnostics {
    pub fn warn(
        &mut self,
        kind: WarningKind,
        input: &str,
        position: Position,
        message: impl Into<String>,
    ) {
        self.warn_n(kind, input, position, message, 1);
    }

    pub fn warn_n(
        &mut self,
        kind: WarningKind,
        input: &str,
        position: Position,
        message: impl Into<String>,
        count: u64,
    ) {
        if count == 0 {
            return;
        }
        let message = message.into();
        match self.at.entry((kind, input.to_string(), message.clone())) {
            Entry::Occupied(e) => {
                self.warnings[*e.get()].count += count;
                return;
            }
            Entry::Vacant(e) => {
                e.insert(self.warnings.len());
            }
        }
        self.warnings.push(Warning {
            kind,
            input: input.to_string(),
            position,
            message,
            count,
        });
    }

    pub fn extend(&mut self, other: Diagnostics) {
        for w in other.warnings {
            self.warn_n(w.kind, &w.input.clone(), w.position, w.message, w.count);
        }
    }

    /// Total count of skipped or repaired items.
    pub fn total(&self) -> u64 {
        self.warnings.iter().map(|w| w.count).sum()
    }
}

/// An input that could not be read at all: one line naming the file and the position.
/// Displayed as `input: position: message`, without the position when it is unknown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    pub input: String,
    pub position: Position,
    /// One line: what it quotes from the input has its line breaks and control characters
    /// escaped.
    pub message: String,
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        located(f, &self.input, &self.position, &self.message)
    }
}

impl std::error::Error for LoadError {}

impl LoadError {
    pub fn new(input: &str, position: Position, message: impl Into<String>) -> Self {
        LoadError {
            input: input.to_string(),
            position,
            message: terminal(&message.into()).into_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats_fold_into_one_warning() {
        let mut d = Diagnostics::default();
        d.warn(
            WarningKind::SkippedLine,
            "a.jsonl",
            Position::Line { line: 3 },
            "bad json",
        );
        d.warn(
            WarningKind::SkippedLine,
            "a.jsonl",
            Position::Line { line: 9 },
            "bad json",
        );
        assert_eq!(d.warnings.len(), 1);
        assert_eq!(d.warnings[0].count, 2);
        assert_eq!(d.warnings[0].position, Position::Line { line: 3 });
        assert_eq!(d.total(), 2);
        assert_eq!(
            d.warnings[0].to_string(),
            "a.jsonl: line 3: bad json (2 times)"
        );
    }

    #[test]
    fn load_error_is_one_line() {
        let e = LoadError::new(
            "x.json",
            Position::LineCol { line: 2, column: 7 },
            "invalid trace id \"zzz\"",
        );
        assert_eq!(
            e.to_string(),
            "x.json: line 2 column 7: invalid trace id \"zzz\""
        );
    }

    #[test]
    fn load_error_escapes_what_it_quotes() {
        let e = LoadError::new(
            "a\nb.json",
            Position::Unknown,
            "unknown variant `x\ny\r\u{1b}[31m\u{202e}`",
        );
        assert_eq!(
            e.to_string(),
            "a\\nb.json: unknown variant `x\\ny\\r\\u{1b}[31m\\u{202e}`"
        );
        assert_eq!(
            terminal(&e.message),
            e.message,
            "escaping twice changes nothing"
        );
    }
}
