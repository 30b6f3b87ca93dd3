//! Recursive descent over the tokens, with Tempo's precedence (`pkg/traceql/expr.y`): `|`
//! lowest; then `&&` and `||` (one level, left to right, between spansets and inside `{ }`
//! alike); then the structural operators and the comparisons. Operand types are checked here
//! where they are known (intrinsics, literals), so `{ duration = "x" }` is an error and not a
//! query that silently matches nothing.

use super::ParseError;
use super::ast::*;
use super::lex::{Token, column, tokens};
use crate::analysis::breaks::BreakKind;
use crate::analysis::span_graph::SpanEdge;
use crate::model::{SpanKind, StatusCode};

/// Tokens a query may have: a longer one is refused before it is parsed. The trees built
/// from it are walked recursively (compiling, evaluating, dropping), so their depth, which the
/// token count bounds, must stay far inside a thread's stack.
pub const MAX_TOKENS: usize = 1024;
/// Parentheses and `!` nested at most.
pub const MAX_NESTING: usize = 64;

/// Parses a whole query.
pub fn parse(src: &str) -> Result<Pipeline, ParseError> {
    let toks = tokens(src)?;
    if let Some(t) = toks.get(MAX_TOKENS) {
        return Err(ParseError::new(
            format!("the query is too long (more than {MAX_TOKENS} tokens)"),
            t.col,
        ));
    }
    let mut p = Parser {
        toks,
        at: 0,
        depth: 0,
        end_col: column(src, src.trim_end().len()),
    };
    if p.toks.is_empty() {
        return Err(ParseError::new("expected '{' (an empty query)", 1));
    }
    let q = p.pipeline()?;
    if let Some(t) = p.peek() {
        let (msg, col) = (p.unexpected(t), t.col);
        return Err(ParseError::new(msg, col));
    }
    Ok(q)
}

use super::lex::Tok;

/// Tempo words tracetopo does not evaluate, and what they are.
fn unsupported_word(w: &str) -> Option<&'static str> {
    Some(match w {
        "rate"
        | "count_over_time"
        | "min_over_time"
        | "max_over_time"
        | "avg_over_time"
        | "sum_over_time"
        | "quantile_over_time"
        | "histogram_over_time"
        | "compare"
        | "topk"
        | "bottomk" => "is a TraceQL metrics function; tracetopo evaluates span filters only",
        "select" => "is not supported by tracetopo: every matched span is returned",
        "with" => "is not supported by tracetopo (query hints)",
        "nestedSetLeft" | "nestedSetRight" | "nestedSetParent" | "id" | "traceID" | "spanID"
        | "parentID" | "timeSinceStart" | "version" => {
            "is a Tempo intrinsic tracetopo does not support"
        }
        _ => return None,
    })
}

struct Parser {
    toks: Vec<Token>,
    at: usize,
    /// Column just past the last character: where "expected …" points at the end.
    end_col: usize,
    /// Parentheses and `!` open around the current position.
    depth: usize,
}

impl Parser {
    /// Enters one more level of nesting (`col`: where it opens).
    fn nest(&mut self, col: usize) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(ParseError::new(
                format!("nesting deeper than {MAX_NESTING} levels"),
                col,
            ));
        }
        Ok(())
    }

    fn peek(&self) -> Option<&Token> {
        self.toks.get(self.at)
    }

    fn peek_tok(&self) -> Option<&Tok> {
        self.peek().map(|t| &t.tok)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.toks.get(self.at).cloned();
        self.at += 1;
        t
    }

    fn col(&self) -> usize {
        self.peek().map_or(self.end_col, |t| t.col)
    }

    fn eat(&mut self, t: &Tok) -> bool {
        if self.peek_tok() == Some(t) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, t: &Tok, what: &str) -> Result<(), ParseError> {
        if self.eat(t) {
            Ok(())
        } else {
            Err(self.expected(what))
        }
    }

    fn expected(&self, what: &str) -> ParseError {
        let msg = match self.peek() {
            None => format!("expected {what}, found the end of the query"),
            Some(t) => match unsupported(&t.tok) {
                Some(u) => u,
                None => format!("expected {what}"),
            },
        };
        ParseError::new(msg, self.col())
    }

    fn unexpected(&self, t: &Token) -> String {
        unsupported(&t.tok).unwrap_or_else(|| format!("unexpected {}", describe(&t.tok)))
    }

    fn pipeline(&mut self) -> Result<Pipeline, ParseError> {
        let first = self.set_bool()?;
        let mut stages = Vec::new();
        while self.eat(&Tok::Pipe) {
            stages.push(self.stage()?);
        }
        Ok(Pipeline { first, stages })
    }

    fn set_bool(&mut self) -> Result<SetExpr, ParseError> {
        self.set_ops(Self::set_struct, |t| match t {
            Tok::And => Some(SetOp::And),
            Tok::Or => Some(SetOp::Or),
            _ => None,
        })
    }

    fn set_struct(&mut self) -> Result<SetExpr, ParseError> {
        self.set_ops(Self::set_primary, |t| {
            Some(match t {
                Tok::Cmp(CmpOp::Gt) => SetOp::Child,
                Tok::Cmp(CmpOp::Lt) => SetOp::Parent,
                Tok::Desc => SetOp::Desc,
                Tok::Ance => SetOp::Ance,
                Tok::Sibl => SetOp::Sibl,
                Tok::NotChild => SetOp::Not(Rel::Child),
                Tok::NotParent => SetOp::Not(Rel::Parent),
                Tok::NotDesc => SetOp::Not(Rel::Desc),
                Tok::NotAnce => SetOp::Not(Rel::Ance),
                Tok::Cmp(CmpOp::Nre) => SetOp::Not(Rel::Sibl),
                Tok::UnionChild => SetOp::Union(Rel::Child),
                Tok::UnionParent => SetOp::Union(Rel::Parent),
                Tok::UnionDesc => SetOp::Union(Rel::Desc),
                Tok::UnionAnce => SetOp::Union(Rel::Ance),
                Tok::UnionSibl => SetOp::Union(Rel::Sibl),
                _ => return None,
            })
        })
    }

    /// `operand (op operand)*`, left-associative, where `op_of` names the operators of one
    /// level of precedence.
    fn set_ops(
        &mut self,
        operand: fn(&mut Self) -> Result<SetExpr, ParseError>,
        op_of: fn(&Tok) -> Option<SetOp>,
    ) -> Result<SetExpr, ParseError> {
        let mut lhs = operand(self)?;
        while let Some(op) = self.peek_tok().and_then(op_of) {
            self.at += 1;
            let rhs = operand(self)?;
            lhs = SetExpr::Op(Box::new(lhs), op, Box::new(rhs));
        }
        Ok(lhs)
    }

    fn set_primary(&mut self) -> Result<SetExpr, ParseError> {
        match self.peek_tok() {
            Some(Tok::LBrace) => {
                self.at += 1;
                if self.eat(&Tok::RBrace) {
                    return Ok(SetExpr::Filter(Field::Lit(Lit::Bool(true))));
                }
                let f = self.field_bool()?;
                self.expect(&Tok::RBrace, "'}'")?;
                let ty = f.ty();
                if !matches!(ty, Ty::Bool | Ty::Any) {
                    return Err(ParseError::new(
                        format!("a spanset filter needs a condition, not {}", ty.text()),
                        self.toks[self.at - 1].col,
                    ));
                }
                Ok(SetExpr::Filter(f))
            }
            Some(Tok::LParen) => {
                self.nest(self.col())?;
                self.at += 1;
                let p = self.pipeline()?;
                self.expect(&Tok::RParen, "')'")?;
                self.depth -= 1;
                Ok(if p.stages.is_empty() {
                    p.first
                } else {
                    SetExpr::Pipeline(Box::new(p))
                })
            }
            _ => Err(self.expected("'{'")),
        }
    }

    fn stage(&mut self) -> Result<Stage, ParseError> {
        let col = self.col();
        let word = match self.peek_tok() {
            Some(Tok::LBrace | Tok::LParen) => return Ok(Stage::Filter(self.set_bool()?)),
            Some(Tok::Ident(w)) => w.clone(),
            Some(Tok::Int(_) | Tok::Float(_) | Tok::Dur(_) | Tok::Arith('-')) => {
                // `2 < count()`: the number first.
                let value = self.scalar_value()?;
                let op = self.scalar_op()?;
                let agg = self.aggregate()?;
                return Ok(Stage::Scalar {
                    agg,
                    op: op.flip(),
                    value,
                });
            }
            _ => {
                return Err(self.expected(
                    "a spanset, count(), avg(), min(), max(), sum(), by() or coalesce() after '|'",
                ));
            }
        };
        match word.as_str() {
            "by" => {
                self.at += 1;
                self.expect(&Tok::LParen, "'(' after by")?;
                let f = self.field_bool()?;
                self.expect(&Tok::RParen, "')'")?;
                Ok(Stage::By(f))
            }
            "coalesce" => {
                self.at += 1;
                self.expect(&Tok::LParen, "'(' after coalesce")?;
                self.expect(&Tok::RParen, "')'")?;
                Ok(Stage::Coalesce)
            }
            "count" | "avg" | "min" | "max" | "sum" => {
                let agg = self.aggregate()?;
                let op = self.scalar_op()?;
                let value = self.scalar_value()?;
                Ok(Stage::Scalar { agg, op, value })
            }
            w => Err(ParseError::new(
                unsupported_word(w).map_or_else(
                    || format!("unknown pipeline function '{w}'"),
                    |u| format!("{w} {u}"),
                ),
                col,
            )),
        }
    }

    fn aggregate(&mut self) -> Result<Agg, ParseError> {
        let col = self.col();
        let Some(Tok::Ident(w)) = self.peek_tok().cloned() else {
            return Err(self.expected("count(), avg(), min(), max() or sum()"));
        };
        let f = match w.as_str() {
            "count" => None,
            "avg" => Some(AggFn::Avg),
            "min" => Some(AggFn::Min),
            "max" => Some(AggFn::Max),
            "sum" => Some(AggFn::Sum),
            _ => return Err(self.expected("count(), avg(), min(), max() or sum()")),
        };
        self.at += 1;
        self.expect(&Tok::LParen, &format!("'(' after {w}"))?;
        let agg = match f {
            None => Agg::Count,
            Some(f) => {
                let e = self.field_bool()?;
                if !matches!(e.ty(), Ty::Num | Ty::Any) {
                    return Err(ParseError::new(
                        format!("{w}() needs a number, not {}", e.ty().text()),
                        col,
                    ));
                }
                Agg::Of(f, e)
            }
        };
        self.expect(&Tok::RParen, "')'")?;
        Ok(agg)
    }

    fn scalar_op(&mut self) -> Result<CmpOp, ParseError> {
        let op = match cmp_op(self.peek_tok()) {
            Some(op) if !matches!(op, CmpOp::Re | CmpOp::Nre) => op,
            _ => return Err(self.expected("a comparison (= != > >= < <=)")),
        };
        self.at += 1;
        Ok(op)
    }

    fn scalar_value(&mut self) -> Result<f64, ParseError> {
        let neg = self.eat(&Tok::Arith('-'));
        let v = match self.peek_tok() {
            Some(Tok::Int(v)) => *v as f64,
            Some(Tok::Float(v)) => *v,
            Some(Tok::Dur(v)) => *v as f64,
            _ => return Err(self.expected("a number or a duration")),
        };
        self.at += 1;
        Ok(if neg { -v } else { v })
    }

    // ---- field expressions ----

    fn field_bool(&mut self) -> Result<Field, ParseError> {
        let mut lhs = self.field_not()?;
        loop {
            let and = match self.peek_tok() {
                Some(Tok::And) => true,
                Some(Tok::Or) => false,
                _ => return Ok(lhs),
            };
            self.at += 1;
            let rhs = self.field_not()?;
            lhs = if and {
                Field::And(Box::new(lhs), Box::new(rhs))
            } else {
                Field::Or(Box::new(lhs), Box::new(rhs))
            };
        }
    }

    /// `!` negates the comparison after it: `!span.a = 1` is `!(span.a = 1)`.
    fn field_not(&mut self) -> Result<Field, ParseError> {
        let col = self.col();
        if self.eat(&Tok::Not) {
            self.nest(col)?;
            let f = self.field_not()?;
            self.depth -= 1;
            return Ok(Field::Not(Box::new(f)));
        }
        self.field_cmp()
    }

    fn field_cmp(&mut self) -> Result<Field, ParseError> {
        let lhs_col = self.col();
        let lhs = self.field_primary()?;
        self.refuse_arithmetic()?;
        let Some(op) = cmp_op(self.peek_tok()) else {
            return lhs.finish();
        };
        let op_col = self.col();
        self.at += 1;
        let rhs = self.field_primary()?;
        self.refuse_arithmetic()?;
        check_cmp(lhs, op, rhs, op_col, lhs_col)
    }

    /// An arithmetic operator next is an error: TraceQL has them, tracetopo does not.
    fn refuse_arithmetic(&self) -> Result<(), ParseError> {
        match self.peek_tok() {
            Some(Tok::Arith(c)) => Err(ParseError::new(
                format!("arithmetic ('{c}') is not supported by tracetopo"),
                self.col(),
            )),
            _ => Ok(()),
        }
    }

    fn field_primary(&mut self) -> Result<Operand, ParseError> {
        let col = self.col();
        let Some(t) = self.next() else {
            return Err(ParseError::new(
                "expected a field or a value, found the end of the query",
                col,
            ));
        };
        let lit = |l| Ok(Operand::Done(Field::Lit(l)));
        match t.tok {
            Tok::LParen => {
                self.nest(col)?;
                let f = self.field_bool()?;
                self.expect(&Tok::RParen, "')'")?;
                self.depth -= 1;
                Ok(Operand::Done(f))
            }
            Tok::Str(s) => Ok(Operand::Str(s, col)),
            Tok::Int(v) => lit(Lit::Int(v)),
            Tok::Float(v) => lit(Lit::Float(v)),
            Tok::Dur(v) => lit(Lit::Dur(v)),
            Tok::Arith('-') => match self.next().map(|t| t.tok) {
                Some(Tok::Int(v)) => lit(Lit::Int(-v)),
                Some(Tok::Float(v)) => lit(Lit::Float(-v)),
                _ => Err(ParseError::new(
                    "arithmetic ('-') is not supported by tracetopo",
                    col,
                )),
            },
            Tok::Attr { scope, name } => match scope {
                Scope::Other(s) => Err(ParseError::new(
                    format!("the {s} scope is not supported by tracetopo"),
                    col,
                )),
                Scope::Conversion => match name.as_str() {
                    "from" => Ok(Operand::Done(Field::Intrinsic(Intrinsic::ConversionFrom))),
                    "to" => Ok(Operand::Done(Field::Intrinsic(Intrinsic::ConversionTo))),
                    _ => Err(ParseError::new(
                        format!(
                            "unknown intrinsic 'conversion.{name}' (conversion.from or conversion.to)"
                        ),
                        col,
                    )),
                },
                _ => Ok(Operand::Done(Field::Attr { scope, name })),
            },
            Tok::Scoped { scope, name } => match Intrinsic::from_scoped(&scope, &name) {
                Some(i) => Ok(Operand::Done(Field::Intrinsic(i))),
                None => Err(ParseError::new(
                    format!("{scope}:{name} is not supported by tracetopo"),
                    col,
                )),
            },
            Tok::Ident(w) => {
                if let Some(i) = Intrinsic::from_name(&w) {
                    return Ok(Operand::Done(Field::Intrinsic(i)));
                }
                match w.as_str() {
                    "true" => return lit(Lit::Bool(true)),
                    "false" => return lit(Lit::Bool(false)),
                    "nil" => return lit(Lit::Nil),
                    _ => {}
                }
                if let Some(s) = StatusCode::from_name(&w).filter(|_| w == w.to_lowercase()) {
                    return lit(Lit::Status(s));
                }
                if let Some(k) = SpanKind::from_name(&w).filter(|_| w == w.to_lowercase()) {
                    return lit(Lit::Kind(k));
                }
                if let Some(u) = unsupported_word(&w) {
                    return Err(ParseError::new(format!("{w} {u}"), col));
                }
                Ok(Operand::Word(w, col))
            }
            other => Err(ParseError::new(
                unsupported(&other).unwrap_or_else(|| {
                    format!("expected a field or a value, found {}", describe(&other))
                }),
                col,
            )),
        }
    }
}

/// An operand before its comparison is known: strings and bare words are read by what they
/// are compared with (`break = orphan_span`, `hop = "goroutine_hop"`).
enum Operand {
    Done(Field),
    Str(String, usize),
    Word(String, usize),
}

impl Operand {
    fn finish(self) -> Result<Field, ParseError> {
        match self {
            Operand::Done(f) => Ok(f),
            Operand::Str(s, _) => Ok(Field::Lit(Lit::Str(s))),
            Operand::Word(w, col) => Err(ParseError::new(format!("unknown name '{w}'"), col)),
        }
    }

    /// Reads a string or word against an intrinsic of enum type.
    fn against(self, other: &Field) -> Result<Field, ParseError> {
        let ty = other.ty();
        let (text, col, word) = match self {
            Operand::Str(s, c) => (s, c, false),
            Operand::Word(w, c) => (w, c, true),
            Operand::Done(f) => return Ok(f),
        };
        match ty {
            Ty::Break => BreakKind::from_name(&text)
                .map(|k| Field::Lit(Lit::Break(k)))
                .ok_or_else(|| {
                    let all: Vec<&str> = BreakKind::ALL.iter().map(|k| k.name()).collect();
                    ParseError::new(
                        format!("unknown break kind '{text}' (one of {})", all.join(", ")),
                        col,
                    )
                }),
            Ty::Hop => hop_named(&text)
                .map(|h| Field::Lit(Lit::Hop(h)))
                .ok_or_else(|| {
                    ParseError::new(
                        format!(
                            "unknown hop kind '{text}' (goroutine_hop, process_hop or same_goroutine)"
                        ),
                        col,
                    )
                }),
            _ if word => Err(ParseError::new(format!("unknown name '{text}'"), col)),
            _ => Ok(Field::Lit(Lit::Str(text))),
        }
    }
}

pub fn hop_named(s: &str) -> Option<SpanEdge> {
    Some(match s {
        "goroutine_hop" => SpanEdge::GoroutineHop,
        "process_hop" => SpanEdge::ProcessHop,
        "same_goroutine" => SpanEdge::SameGoroutine,
        _ => return None,
    })
}

/// The comparison operator `tok` is, if it is one.
fn cmp_op(tok: Option<&Tok>) -> Option<CmpOp> {
    match tok? {
        Tok::Cmp(op) => Some(*op),
        _ => None,
    }
}

/// Builds `lhs op rhs`, refusing comparisons that could never hold.
fn check_cmp(
    lhs: Operand,
    op: CmpOp,
    rhs: Operand,
    col: usize,
    lhs_col: usize,
) -> Result<Field, ParseError> {
    let (lhs, rhs) = match (lhs, rhs) {
        (Operand::Done(l), r) => {
            let r = r.against(&l)?;
            (l, r)
        }
        (l, Operand::Done(r)) => {
            let l = l.against(&r)?;
            (l, r)
        }
        (l, r) => (l.finish()?, r.finish()?),
    };
    if let (Field::Lit(_), Field::Lit(_)) = (&lhs, &rhs) {
        return Err(ParseError::new(
            "a comparison needs a field on one side",
            lhs_col,
        ));
    }
    let (lt, rt) = (lhs.ty(), rhs.ty());
    if matches!(op, CmpOp::Re | CmpOp::Nre) {
        return match &rhs {
            Field::Lit(Lit::Str(re)) => {
                if !matches!(lt, Ty::Str | Ty::Any) {
                    return Err(ParseError::new(
                        format!(
                            "{} needs a string on the left, not {}",
                            op.text(),
                            lt.text()
                        ),
                        col,
                    ));
                }
                // Checked here so the error points at the query; compiled again (anchored)
                // by the evaluator.
                regex::Regex::new(&format!("^(?:{re})$")).map_err(|e| {
                    let why = e.to_string();
                    let why = why
                        .lines()
                        .last()
                        .unwrap_or("")
                        .trim()
                        .trim_start_matches("error: ");
                    ParseError::new(format!("invalid regular expression: {why}"), col)
                })?;
                Ok(Field::Cmp(Box::new(lhs), op, Box::new(rhs)))
            }
            _ => Err(ParseError::new(
                format!("{} needs a string on the right", op.text()),
                col,
            )),
        };
    }
    if lt == Ty::Nil || rt == Ty::Nil {
        if op.is_order() {
            return Err(ParseError::new(
                format!("nil compares only with = or !=, not {}", op.text()),
                col,
            ));
        }
        return Ok(Field::Cmp(Box::new(lhs), op, Box::new(rhs)));
    }
    if lt != Ty::Any && rt != Ty::Any {
        if lt != rt {
            return Err(ParseError::new(
                format!("cannot compare {} with {}", lt.text(), rt.text()),
                col,
            ));
        }
        if op.is_order() && !matches!(lt, Ty::Num | Ty::Str) {
            return Err(ParseError::new(
                format!("{} has no order: use = or !=, not {}", lt.text(), op.text()),
                col,
            ));
        }
    }
    Ok(Field::Cmp(Box::new(lhs), op, Box::new(rhs)))
}

/// A clear message for the parts of TraceQL tracetopo leaves out.
fn unsupported(t: &Tok) -> Option<String> {
    match t {
        Tok::Arith(c) => Some(format!("arithmetic ('{c}') is not supported by tracetopo")),
        Tok::Ident(w) => unsupported_word(w).map(|u| format!("{w} {u}")),
        _ => None,
    }
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::LBrace => "'{'".into(),
        Tok::RBrace => "'}'".into(),
        Tok::LParen => "'('".into(),
        Tok::RParen => "')'".into(),
        Tok::Comma => "','".into(),
        Tok::Pipe => "'|'".into(),
        Tok::And => "'&&'".into(),
        Tok::Or => "'||'".into(),
        Tok::Not => "'!'".into(),
        Tok::Str(s) => format!("the string \"{s}\""),
        Tok::Int(v) => format!("the number {v}"),
        Tok::Float(v) => format!("the number {v}"),
        Tok::Dur(_) => "a duration".into(),
        Tok::Ident(w) => format!("'{w}'"),
        Tok::Attr { name, .. } => format!("the attribute '{name}'"),
        Tok::Scoped { scope, name } => format!("'{scope}:{name}'"),
        _ => "an operator".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(q: &str) -> String {
        parse(q).unwrap_err().to_string()
    }

    #[test]
    fn precedence_follows_tempo() {
        let p = parse("{ .a = 1 } && { .b = 2 } > { .c = 3 } | count() > 1").unwrap();
        let SetExpr::Op(_, SetOp::And, rhs) = &p.first else {
            panic!("{p:?}")
        };
        assert!(matches!(**rhs, SetExpr::Op(_, SetOp::Child, _)));
        assert_eq!(p.stages.len(), 1);
    }

    /// `>` `<` `!~` are comparisons inside a filter and structural operators between spansets.
    #[test]
    fn comparison_tokens_between_spansets_are_relations() {
        for (text, cmp, set) in [
            (">", CmpOp::Gt, SetOp::Child),
            ("<", CmpOp::Lt, SetOp::Parent),
            ("!~", CmpOp::Nre, SetOp::Not(Rel::Sibl)),
        ] {
            let p = parse(&format!("{{ }} {text} {{ name {text} \"a\" }}")).unwrap();
            let SetExpr::Op(_, op, rhs) = p.first else {
                panic!("{text}: {p:?}")
            };
            assert_eq!(op, set);
            assert!(matches!(*rhs, SetExpr::Filter(Field::Cmp(_, o, _)) if o == cmp));
        }
    }

    #[test]
    fn words_read_by_what_they_compare_with() {
        let p = parse("{ break = orphan_span && hop = \"goroutine_hop\" }").unwrap();
        let SetExpr::Filter(Field::And(a, b)) = p.first else {
            panic!()
        };
        assert_eq!(
            *a,
            Field::Cmp(
                Box::new(Field::Intrinsic(Intrinsic::Break)),
                CmpOp::Eq,
                Box::new(Field::Lit(Lit::Break(BreakKind::OrphanSpan)))
            )
        );
        assert!(matches!(*b, Field::Cmp(_, CmpOp::Eq, _)));
    }

    #[test]
    fn errors_point_at_the_column() {
        assert_eq!(
            err(r#"{ span.http.route = "/orders" "#),
            "expected '}', found the end of the query at column 30"
        );
        assert_eq!(
            err(r#"{ span.http.route = "/orders" ) "#),
            "expected '}' at column 31"
        );
        assert_eq!(
            err("{ duration = \"x\" }"),
            "cannot compare a number with a string at column 12"
        );
        assert_eq!(
            err("{ .a = 1 } | rate()"),
            "rate is a TraceQL metrics function; tracetopo evaluates span filters only at column 14"
        );
    }
}
