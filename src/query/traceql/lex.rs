//! TraceQL tokens, cut as Tempo's lexer (`pkg/traceql/lexer.go`) cuts them: an attribute name
//! after `span.`, `resource.` or a leading `.` runs to the next space or operator character
//! (so `span.http.route` is one token), with `"quoted"` parts for names holding those; a number
//! followed by a unit is a duration (`200ms`, `1h30m`).

use std::ops::Range;

use super::ParseError;
use super::ast::CmpOp;

/// Where an attribute is looked up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Span,
    Resource,
    /// `.x`: the span's attribute, else the resource's.
    Unscoped,
    /// Tempo scopes tracetopo does not evaluate (`parent.`, `event.`, `link.`,
    /// `instrumentation.`): named in the error.
    Other(&'static str),
    /// tracetopo's `conversion.from` / `conversion.to`.
    Conversion,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    LBrace,
    RBrace,
    LParen,
    RParen,
    Comma,
    Pipe,
    And,
    Or,
    Not,
    /// A field comparison; `>` `<` and `!~` are also the child, parent and "not sibling"
    /// operators between spansets, which the parser tells apart.
    Cmp(CmpOp),
    Desc,
    Ance,
    Sibl,
    NotChild,
    NotParent,
    NotDesc,
    NotAnce,
    UnionChild,
    UnionParent,
    UnionDesc,
    UnionAnce,
    UnionSibl,
    /// `+ - * / % ^`: Tempo's arithmetic (only `-` before a number is understood here).
    Arith(char),
    Str(String),
    Int(i64),
    Float(f64),
    /// Nanoseconds.
    Dur(u64),
    /// A bare word: keywords, intrinsics, enum values, function names.
    Ident(String),
    Attr {
        scope: Scope,
        name: String,
    },
    /// `span:name`, `trace:duration`, ...
    Scoped {
        scope: String,
        name: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub tok: Tok,
    /// Byte range in the query.
    pub range: Range<usize>,
    /// 1-based character column of the first character.
    pub col: usize,
}

/// Column (1-based, in characters) of byte offset `at` of `src`.
pub fn column(src: &str, at: usize) -> usize {
    src[..at.min(src.len())].chars().count() + 1
}

/// Tempo's attribute runes: anything but white space and the operator characters.
fn is_attr_char(c: char) -> bool {
    !c.is_whitespace()
        && !matches!(
            c,
            '{' | '}' | '(' | ')' | '=' | '~' | '!' | '<' | '>' | '&' | '|' | '^' | ','
        )
}

fn is_word_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

pub struct Lexer<'a> {
    src: &'a str,
    pos: usize,
}

impl<'a> Lexer<'a> {
    pub fn new(src: &'a str) -> Self {
        Lexer { src, pos: 0 }
    }

    fn peek(&self) -> Option<char> {
        self.src[self.pos..].chars().next()
    }

    fn peek2(&self) -> Option<char> {
        let mut c = self.src[self.pos..].chars();
        c.next();
        c.next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn err(&self, at: usize, msg: impl Into<String>) -> ParseError {
        ParseError::new(msg, column(self.src, at))
    }

    /// The next token, `None` at the end.
    pub fn next_token(&mut self) -> Option<Result<Token, ParseError>> {
        while self.peek().is_some_and(char::is_whitespace) {
            self.bump();
        }
        let start = self.pos;
        let c = self.peek()?;
        let tok = self.token(c, start);
        Some(tok.map(|tok| Token {
            tok,
            range: start..self.pos,
            col: column(self.src, start),
        }))
    }

    fn token(&mut self, c: char, start: usize) -> Result<Tok, ParseError> {
        // The comparisons are spelled by `CmpOp::text`.
        const OPS: [(&str, Tok); 23] = [
            ("!>>", Tok::NotDesc),
            ("!<<", Tok::NotAnce),
            ("&>>", Tok::UnionDesc),
            ("&<<", Tok::UnionAnce),
            ("&&", Tok::And),
            ("||", Tok::Or),
            (">>", Tok::Desc),
            ("<<", Tok::Ance),
            ("!>", Tok::NotChild),
            ("!<", Tok::NotParent),
            ("&>", Tok::UnionChild),
            ("&<", Tok::UnionParent),
            ("&~", Tok::UnionSibl),
            ("{", Tok::LBrace),
            ("}", Tok::RBrace),
            ("(", Tok::LParen),
            (")", Tok::RParen),
            (",", Tok::Comma),
            ("|", Tok::Pipe),
            ("!", Tok::Not),
            ("~", Tok::Sibl),
            ("+", Tok::Arith('+')),
            ("*", Tok::Arith('*')),
        ];
        let rest = &self.src[self.pos..];
        let cmps = CmpOp::ALL.map(|op| (op.text(), Tok::Cmp(op)));
        // The longest operator that starts here: `!>>` rather than `!>` or `!`.
        let op = OPS
            .into_iter()
            .chain(cmps)
            .filter(|(text, _)| rest.starts_with(text))
            .max_by_key(|(text, _)| text.len());
        if let Some((text, tok)) = op {
            self.pos += text.len();
            return Ok(tok);
        }
        match c {
            '-' | '/' | '%' | '^' => {
                self.bump();
                Ok(Tok::Arith(c))
            }
            '"' | '`' => self.string(start),
            '.' => {
                self.bump();
                if self.peek().is_some_and(|c| c.is_ascii_digit()) {
                    self.pos = start;
                    return self.number(start);
                }
                let name = self.attr_name(start)?;
                Ok(Tok::Attr {
                    scope: Scope::Unscoped,
                    name,
                })
            }
            c if c.is_ascii_digit() => self.number(start),
            c if is_word_start(c) => self.word(start),
            _ => Err(self.err(start, format!("unexpected '{c}'"))),
        }
    }

    fn string(&mut self, start: usize) -> Result<Tok, ParseError> {
        let quote = self.bump().unwrap_or('"');
        let mut s = String::new();
        loop {
            match self.bump() {
                None => return Err(self.err(start, "unterminated string")),
                Some(c) if c == quote => return Ok(Tok::Str(s)),
                // Raw (backquoted) strings keep backslashes, as in Go.
                Some('\\') if quote == '"' => {
                    let at = self.pos - 1;
                    match self.bump() {
                        Some('"') => s.push('"'),
                        Some('\\') => s.push('\\'),
                        Some('n') => s.push('\n'),
                        Some('t') => s.push('\t'),
                        Some('r') => s.push('\r'),
                        Some(c) => {
                            return Err(self.err(at, format!("invalid escape '\\{c}' in a string")));
                        }
                        None => return Err(self.err(start, "unterminated string")),
                    }
                }
                Some(c) => s.push(c),
            }
        }
    }

    /// An attribute name after its scope: attribute characters and `"quoted"` parts.
    fn attr_name(&mut self, start: usize) -> Result<String, ParseError> {
        let mut name = String::new();
        loop {
            match self.peek() {
                Some('"') => {
                    let at = self.pos;
                    match self.string(at)? {
                        Tok::Str(s) => name.push_str(&s),
                        _ => unreachable!("string() returns Tok::Str"),
                    }
                }
                Some(c) if is_attr_char(c) => {
                    name.push(c);
                    self.bump();
                }
                _ => break,
            }
        }
        if name.is_empty() {
            return Err(self.err(start, "expected an attribute name after '.'"));
        }
        Ok(name)
    }

    fn number(&mut self, start: usize) -> Result<Tok, ParseError> {
        let mut float = false;
        while let Some(c) = self.peek() {
            if c.is_ascii_digit() {
                self.bump();
            } else if c == '.' && !float && self.peek2().is_some_and(|d| d.is_ascii_digit()) {
                float = true;
                self.bump();
            } else if matches!(c, 'e' | 'E')
                && self
                    .peek2()
                    .is_some_and(|d| d.is_ascii_digit() || d == '-' || d == '+')
            {
                float = true;
                self.bump();
                self.bump();
            } else {
                break;
            }
        }
        if self.peek().is_some_and(|c| c.is_alphabetic()) {
            // A duration: a run of numbers and units (`1h30m`, `1.5s`).
            while self
                .peek()
                .is_some_and(|c| c.is_alphanumeric() || c == '.' || c == 'µ')
            {
                self.bump();
            }
            let text = &self.src[start..self.pos];
            return parse_duration(text).map(Tok::Dur).ok_or_else(|| {
                self.err(
                    start,
                    format!("invalid duration '{text}' (units: ns us ms s m h)"),
                )
            });
        }
        let text = &self.src[start..self.pos];
        if float {
            text.parse()
                .map(Tok::Float)
                .map_err(|_| self.err(start, format!("invalid number '{text}'")))
        } else {
            text.parse()
                .map(Tok::Int)
                .map_err(|_| self.err(start, format!("number '{text}' is too large")))
        }
    }

    fn word(&mut self, start: usize) -> Result<Tok, ParseError> {
        while self.peek().is_some_and(is_word_char) {
            self.bump();
        }
        let word = &self.src[start..self.pos];
        let scope = match word {
            "span" => Some(Scope::Span),
            "resource" => Some(Scope::Resource),
            "conversion" => Some(Scope::Conversion),
            "parent" => Some(Scope::Other("parent.")),
            "event" => Some(Scope::Other("event.")),
            "link" => Some(Scope::Other("link.")),
            "instrumentation" => Some(Scope::Other("instrumentation.")),
            _ => None,
        };
        match (self.peek(), scope) {
            (Some('.'), Some(scope)) => {
                let dot = self.pos;
                self.bump();
                let name = self.attr_name(dot)?;
                Ok(Tok::Attr { scope, name })
            }
            (Some(':'), _)
                if matches!(
                    word,
                    "span" | "trace" | "event" | "link" | "instrumentation"
                ) =>
            {
                self.bump();
                let name_start = self.pos;
                while self.peek().is_some_and(is_word_char) {
                    self.bump();
                }
                if name_start == self.pos {
                    return Err(self.err(name_start, format!("expected a name after '{word}:'")));
                }
                Ok(Tok::Scoped {
                    scope: word.to_string(),
                    name: self.src[name_start..self.pos].to_string(),
                })
            }
            _ => Ok(Tok::Ident(word.to_string())),
        }
    }
}

/// Go and Prometheus duration text (`300ms`, `1h30m`, `1.5s`, `2d`) in nanoseconds.
pub fn parse_duration(text: &str) -> Option<u64> {
    let mut total = 0f64;
    let mut rest = text;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let num: f64 = rest[..num_len].parse().ok()?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "ns" => 1.0,
            "us" | "µs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            "d" => 86_400e9,
            "w" => 7.0 * 86_400e9,
            _ => return None,
        };
        rest = &rest[unit_len..];
        total += num * scale;
    }
    (total.is_finite() && total < u64::MAX as f64).then_some(total.round() as u64)
}

/// Every token of `src`, or the first error.
pub fn tokens(src: &str) -> Result<Vec<Token>, ParseError> {
    let mut lx = Lexer::new(src);
    let mut out = Vec::new();
    while let Some(t) = lx.next_token() {
        out.push(t?);
    }
    Ok(out)
}

/// What a piece of query text is, for highlighting it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Punct,
    Operator,
    Keyword,
    Field,
    String,
    Number,
    /// From the first character the lexer could not read to the end.
    Error,
}

/// The query cut into classed byte ranges (white space left out), for syntax highlighting:
/// reads as far as it can and marks the rest an error.
pub fn classes(src: &str) -> Vec<(Range<usize>, Class)> {
    let mut lx = Lexer::new(src);
    let mut out = Vec::new();
    loop {
        let before = lx.pos;
        match lx.next_token() {
            None => break,
            Some(Ok(t)) => out.push((t.range, class_of(&t.tok))),
            Some(Err(_)) => {
                let blank = src[before..].len() - src[before..].trim_start().len();
                out.push((before + blank..src.len(), Class::Error));
                break;
            }
        }
    }
    out
}

fn class_of(t: &Tok) -> Class {
    match t {
        Tok::LBrace | Tok::RBrace | Tok::LParen | Tok::RParen | Tok::Comma => Class::Punct,
        Tok::Str(_) => Class::String,
        Tok::Int(_) | Tok::Float(_) | Tok::Dur(_) => Class::Number,
        Tok::Attr { .. } | Tok::Scoped { .. } => Class::Field,
        Tok::Ident(w) => {
            if super::ast::Intrinsic::from_name(w).is_some() {
                Class::Field
            } else {
                Class::Keyword
            }
        }
        _ => Class::Operator,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Tok> {
        tokens(s).unwrap().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn attributes_run_to_an_operator() {
        assert_eq!(
            toks(r#"{span.http.route="/a"}"#),
            vec![
                Tok::LBrace,
                Tok::Attr {
                    scope: Scope::Span,
                    name: "http.route".into()
                },
                Tok::Cmp(CmpOp::Eq),
                Tok::Str("/a".into()),
                Tok::RBrace
            ]
        );
        assert_eq!(
            toks(r#".a."b c">=1.5"#),
            vec![
                Tok::Attr {
                    scope: Scope::Unscoped,
                    name: "a.b c".into()
                },
                Tok::Cmp(CmpOp::Ge),
                Tok::Float(1.5)
            ]
        );
    }

    #[test]
    fn durations_and_operators() {
        assert_eq!(
            toks("duration>1h30m !>> &~ 200ms"),
            vec![
                Tok::Ident("duration".into()),
                Tok::Cmp(CmpOp::Gt),
                Tok::Dur(5_400_000_000_000),
                Tok::NotDesc,
                Tok::UnionSibl,
                Tok::Dur(200_000_000)
            ]
        );
        assert_eq!(parse_duration("1.5s"), Some(1_500_000_000));
        assert_eq!(parse_duration("3us"), Some(3_000));
        assert_eq!(parse_duration("3x"), None);
    }

    #[test]
    fn every_comparison_is_one_token() {
        for op in CmpOp::ALL {
            let q = format!("a{}1", op.text());
            assert_eq!(toks(&q)[1], Tok::Cmp(op), "{q}");
        }
        assert_eq!(toks("!~ !")[..], [Tok::Cmp(CmpOp::Nre), Tok::Not]);
    }

    #[test]
    fn errors_name_the_column() {
        let e = tokens(r#"{ name = "abc }"#).unwrap_err();
        assert_eq!(e.to_string(), "unterminated string at column 10");
        let e = tokens("{ duration > 3xs }").unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid duration '3xs' (units: ns us ms s m h) at column 14"
        );
    }

    #[test]
    fn classes_cover_the_rest_after_an_error() {
        let c = classes(r#"{ name = "ab"#);
        assert_eq!(c.last().map(|(_, k)| *k), Some(Class::Error));
        assert_eq!(c.last().map(|(r, _)| r.clone()), Some(9..12));
    }
}
