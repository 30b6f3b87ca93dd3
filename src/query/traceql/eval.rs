//! Evaluation over the compact store. The query is compiled against the store once: attribute
//! keys and string literals become interned `Sym`s (so `span.x = "a"` compares integers),
//! regular expressions are built once (anchored, as Tempo's). Traces are evaluated on all cores;
//! a plain `{ … }` filter tests each span in place and allocates only the list of a matching
//! trace's spans; the other forms work on per-trace sets of the trace's spans.

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use super::ast::*;
use crate::analysis::breaks::{Break, BreakKind};
use crate::analysis::span_graph::{SpanEdge, hop_kind};
use crate::model::{AttrType, NONE, SpanKind, StatusCode, Store, Sym, TraceInfo};

/// A matching trace: its number in `store.index.traces` and its matched spans (store
/// indices, ascending, so in start order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceMatch {
    pub trace: u32,
    pub spans: Vec<u32>,
}

/// A value during evaluation.
#[derive(Debug, Clone, Copy, PartialEq)]
enum V<'a> {
    Nil,
    Sym(Sym),
    Str(&'a str),
    Int(i64),
    F(f64),
    Bool(bool),
    Status(StatusCode),
    Kind(SpanKind),
    /// The break kinds naming a span, one bit per `BreakKind::ALL` position.
    Breaks(u16),
    Break(BreakKind),
    Hop(SpanEdge),
}

enum C {
    Lit(LitV),
    Attr {
        scope: Scope,
        key: Option<Sym>,
    },
    Intr(Intrinsic),
    And(Box<C>, Box<C>),
    Or(Box<C>, Box<C>),
    Not(Box<C>),
    Cmp(Box<C>, CmpOp, Box<C>),
    /// `x = "lit"` / `x != "lit"` with the literal interned (`None`: in no span).
    SymEq {
        lhs: Box<C>,
        sym: Option<Sym>,
        text: String,
        ne: bool,
    },
    Regex {
        lhs: Box<C>,
        re: regex::Regex,
        ne: bool,
    },
    /// `x = nil` / `x != nil`.
    IsNil {
        lhs: Box<C>,
        ne: bool,
    },
}

/// An owned literal (strings borrowed out of it when evaluated).
enum LitV {
    Nil,
    Str(String),
    Int(i64),
    F(f64),
    Bool(bool),
    Status(StatusCode),
    Kind(SpanKind),
    Break(BreakKind),
    Hop(SpanEdge),
}

enum CSet {
    Filter(C),
    Op(Box<CSet>, SetOp, Box<CSet>),
    Pipe(Box<CPipe>),
}

enum CStage {
    Filter(CSet),
    Scalar {
        agg: Option<(AggFn, C)>,
        op: CmpOp,
        value: f64,
    },
    By(C),
    Coalesce,
}

struct CPipe {
    first: CSet,
    stages: Vec<CStage>,
}

/// A query compiled against one store.
pub struct Compiled<'s> {
    store: &'s Store,
    pipe: CPipe,
    /// Per span, the break kinds naming it (empty unless the query names `break`).
    breaks: Vec<u16>,
    needs_root: bool,
}

/// The trace being evaluated.
struct Tr<'a> {
    info: &'a TraceInfo,
    root: Option<u32>,
}

impl<'s> Compiled<'s> {
    pub fn new(p: &Pipeline, store: &'s Store, breaks: &[Break]) -> Self {
        let (mut needs_breaks, mut needs_root) = (false, false);
        p.intrinsics(&mut |i| {
            needs_breaks |= i == Intrinsic::Break;
            needs_root |= matches!(i, Intrinsic::RootName | Intrinsic::RootServiceName);
        });
        let mut mask = Vec::new();
        if needs_breaks {
            mask = vec![0u16; store.spans.len()];
            for b in breaks {
                let bit = 1u16
                    << BreakKind::ALL
                        .iter()
                        .position(|&k| k == b.kind)
                        .unwrap_or(0);
                for s in std::iter::once(b.span).chain(b.related) {
                    if let Some(m) = mask.get_mut(s as usize) {
                        *m |= bit;
                    }
                }
            }
        }
        Compiled {
            store,
            pipe: compile_pipe(p, store),
            breaks: mask,
            needs_root,
        }
    }

    /// Every matching trace, in trace-number order.
    pub fn run(&self) -> Vec<TraceMatch> {
        let traces = &self.store.index.traces;
        traces
            .par_iter()
            .enumerate()
            .filter_map(|(t, info)| {
                let spans = self.trace(info);
                (!spans.is_empty()).then_some(TraceMatch {
                    trace: t as u32,
                    spans,
                })
            })
            .collect()
    }

    /// The matched spans of one trace (store indices, ascending).
    fn trace(&self, info: &TraceInfo) -> Vec<u32> {
        let root = if self.needs_root {
            info.range()
                .map(|i| i as u32)
                .find(|&i| self.store.spans[i as usize].is_root())
        } else {
            None
        };
        let tr = Tr { info, root };
        if let (CSet::Filter(c), true) = (&self.pipe.first, self.pipe.stages.is_empty()) {
            return info
                .range()
                .map(|i| i as u32)
                .filter(|&i| self.test(c, i, &tr))
                .collect();
        }
        let groups = self.pipe(&self.pipe, &tr);
        let mut all = vec![false; info.len as usize];
        for g in &groups {
            for &k in g {
                all[k as usize] = true;
            }
        }
        local_to_spans(&all, info)
    }

    fn test(&self, c: &C, i: u32, tr: &Tr) -> bool {
        matches!(self.value(c, i, tr), V::Bool(true))
    }

    fn value<'a>(&'a self, c: &'a C, i: u32, tr: &Tr) -> V<'a> {
        match c {
            C::Lit(l) => match l {
                LitV::Nil => V::Nil,
                LitV::Str(s) => V::Str(s),
                LitV::Int(v) => V::Int(*v),
                LitV::F(v) => V::F(*v),
                LitV::Bool(b) => V::Bool(*b),
                LitV::Status(s) => V::Status(*s),
                LitV::Kind(k) => V::Kind(*k),
                LitV::Break(k) => V::Break(*k),
                LitV::Hop(h) => V::Hop(*h),
            },
            C::Attr { scope, key } => match key {
                None => V::Nil,
                Some(k) => self.attr(*scope, *k, i),
            },
            C::Intr(x) => self.intrinsic(*x, i, tr),
            C::And(a, b) => V::Bool(self.test(a, i, tr) && self.test(b, i, tr)),
            C::Or(a, b) => V::Bool(self.test(a, i, tr) || self.test(b, i, tr)),
            C::Not(a) => V::Bool(!self.test(a, i, tr)),
            C::Cmp(a, op, b) => {
                let (a, b) = (self.value(a, i, tr), self.value(b, i, tr));
                V::Bool(compare(a, *op, b, self.store))
            }
            C::SymEq { lhs, sym, text, ne } => V::Bool(match self.value(lhs, i, tr) {
                V::Sym(s) => (Some(s) == *sym) != *ne,
                V::Str(s) => (s == text) != *ne,
                _ => false,
            }),
            C::Regex { lhs, re, ne } => V::Bool(match self.value(lhs, i, tr) {
                V::Sym(s) => re.is_match(self.store.str(s)) != *ne,
                V::Str(s) => re.is_match(s) != *ne,
                _ => false,
            }),
            C::IsNil { lhs, ne } => V::Bool((self.value(lhs, i, tr) == V::Nil) != *ne),
        }
    }

    fn attr(&self, scope: Scope, key: Sym, i: u32) -> V<'_> {
        let store = self.store;
        let find = |attrs: &[crate::model::Attr]| {
            attrs.iter().find(|a| a.key == key).map(|a| match a.ty {
                AttrType::Str | AttrType::Bytes | AttrType::Json => V::Sym(Sym(a.raw as u32)),
                AttrType::Int => V::Int(a.raw as i64),
                AttrType::Double => V::F(f64::from_bits(a.raw)),
                AttrType::Bool => V::Bool(a.raw != 0),
                AttrType::Empty => V::Nil,
            })
        };
        let v = match scope {
            Scope::Span => find(store.span_attrs(i)),
            Scope::Resource => find(store.resource_attrs(i)),
            _ => find(store.span_attrs(i)).or_else(|| find(store.resource_attrs(i))),
        };
        v.unwrap_or(V::Nil)
    }

    fn intrinsic(&self, x: Intrinsic, i: u32, tr: &Tr) -> V<'_> {
        let store = self.store;
        let s = store.span(i);
        match x {
            Intrinsic::Name => V::Sym(s.name),
            Intrinsic::Status => V::Status(s.status),
            Intrinsic::StatusMessage => V::Sym(s.status_message),
            Intrinsic::Kind => V::Kind(s.kind),
            Intrinsic::Duration => V::Int(s.duration() as i64),
            Intrinsic::ChildCount => V::Int(store.children(i).len() as i64),
            Intrinsic::RootName => tr.root.map_or(V::Nil, |r| V::Sym(store.span(r).name)),
            Intrinsic::RootServiceName => tr.root.map_or(V::Nil, |r| {
                V::Sym(store.resources[store.span(r).resource as usize].service)
            }),
            Intrinsic::TraceDuration => V::Int(tr.info.end.saturating_sub(tr.info.start) as i64),
            Intrinsic::Break => V::Breaks(self.breaks.get(i as usize).copied().unwrap_or(0)),
            Intrinsic::Goroutine => s.goroutine().map_or(V::Nil, V::Int),
            Intrinsic::Hop => store
                .parent(i)
                .map_or(V::Nil, |p| V::Hop(hop_kind(store, p, i))),
            Intrinsic::ConversionFrom => s.conversion().map_or(V::Nil, |c| V::Sym(c[0])),
            Intrinsic::ConversionTo => s.conversion().map_or(V::Nil, |c| V::Sym(c[1])),
        }
    }

    /// A spanset over the trace's spans (by position in the trace).
    fn set(&self, e: &CSet, tr: &Tr) -> Vec<bool> {
        match e {
            CSet::Filter(c) => tr
                .info
                .range()
                .map(|i| self.test(c, i as u32, tr))
                .collect(),
            CSet::Pipe(p) => {
                let mut all = vec![false; tr.info.len as usize];
                for g in self.pipe(p, tr) {
                    for k in g {
                        all[k as usize] = true;
                    }
                }
                all
            }
            CSet::Op(a, op, b) => {
                let a = self.set(a, tr);
                let any_a = a.iter().any(|&x| x);
                if !any_a && matches!(op, SetOp::And) {
                    return a;
                }
                let b = self.set(b, tr);
                let rel = Rels::new(self.store, tr.info);
                match op {
                    SetOp::And => {
                        if b.iter().any(|&x| x) {
                            or(a, &b)
                        } else {
                            b
                        }
                    }
                    SetOp::Or => or(a, &b),
                    SetOp::Child => rel.related(Rel::Child, &a, &b).0,
                    SetOp::Parent => rel.related(Rel::Parent, &a, &b).0,
                    SetOp::Desc => rel.related(Rel::Desc, &a, &b).0,
                    SetOp::Ance => rel.related(Rel::Ance, &a, &b).0,
                    SetOp::Sibl => rel.related(Rel::Sibl, &a, &b).0,
                    SetOp::Not(r) => {
                        let held = rel.related(*r, &a, &b).0;
                        b.iter().zip(&held).map(|(&b, &h)| b && !h).collect()
                    }
                    SetOp::Union(r) => {
                        let (bs, as_) = rel.related(*r, &a, &b);
                        or(bs, &as_)
                    }
                }
            }
        }
    }

    /// The spansets a pipeline leaves in the trace (spans by position in the trace).
    fn pipe(&self, p: &CPipe, tr: &Tr) -> Vec<Vec<u32>> {
        let first = self.set(&p.first, tr);
        let g: Vec<u32> = (0..first.len() as u32)
            .filter(|&k| first[k as usize])
            .collect();
        let mut groups = if g.is_empty() { Vec::new() } else { vec![g] };
        let base = tr.info.start_idx;
        for stage in &p.stages {
            if groups.is_empty() {
                break;
            }
            groups = match stage {
                CStage::Filter(e) => {
                    let keep = self.set(e, tr);
                    groups
                        .into_iter()
                        .map(|g| g.into_iter().filter(|&k| keep[k as usize]).collect())
                        .filter(|g: &Vec<u32>| !g.is_empty())
                        .collect()
                }
                CStage::Scalar { agg, op, value } => groups
                    .into_iter()
                    .filter(|g| {
                        let figure = match agg {
                            None => Some(g.len() as f64),
                            Some((f, c)) => self.aggregate(*f, c, g, base, tr),
                        };
                        figure.is_some_and(|x| order(x.partial_cmp(value), *op))
                    })
                    .collect(),
                CStage::By(c) => {
                    let mut out = Vec::new();
                    for g in groups {
                        let mut by: FxHashMap<Key, Vec<u32>> = FxHashMap::default();
                        for k in g {
                            let key = self.key(self.value(c, base + k, tr));
                            by.entry(key).or_default().push(k);
                        }
                        let mut split: Vec<Vec<u32>> = by.into_values().collect();
                        split.sort_unstable_by_key(|g| g[0]);
                        out.extend(split);
                    }
                    out
                }
                CStage::Coalesce => {
                    let mut all: Vec<u32> = groups.into_iter().flatten().collect();
                    all.sort_unstable();
                    all.dedup();
                    vec![all]
                }
            };
        }
        groups
    }

    fn aggregate(&self, f: AggFn, c: &C, g: &[u32], base: u32, tr: &Tr) -> Option<f64> {
        let nums = g.iter().filter_map(|&k| match self.value(c, base + k, tr) {
            V::Int(v) => Some(v as f64),
            V::F(v) => Some(v),
            _ => None,
        });
        let (mut n, mut sum, mut min, mut max) = (0u64, 0f64, f64::INFINITY, f64::NEG_INFINITY);
        for x in nums {
            n += 1;
            sum += x;
            min = min.min(x);
            max = max.max(x);
        }
        (n > 0).then(|| match f {
            AggFn::Avg => sum / n as f64,
            AggFn::Sum => sum,
            AggFn::Min => min,
            AggFn::Max => max,
        })
    }

    /// A hashable form of a value, for `by()`.
    fn key(&self, v: V) -> Key {
        match v {
            V::Nil => Key(0, 0),
            V::Sym(s) => Key(1, s.0 as u64),
            V::Str(s) => self
                .store
                .strings
                .get(s)
                .map_or(Key(9, 0), |s| Key(1, s.0 as u64)),
            V::Int(i) => Key(2, i as u64),
            V::F(f) => Key(3, f.to_bits()),
            V::Bool(b) => Key(4, b as u64),
            V::Status(s) => Key(5, s as u64),
            V::Kind(k) => Key(6, k as u64),
            V::Breaks(m) => Key(7, m as u64),
            V::Break(k) => Key(8, k as u64),
            V::Hop(h) => Key(10, h as u64),
        }
    }
}

#[derive(Hash, PartialEq, Eq)]
struct Key(u8, u64);

fn or(mut a: Vec<bool>, b: &[bool]) -> Vec<bool> {
    for (x, &y) in a.iter_mut().zip(b) {
        *x |= y;
    }
    a
}

fn local_to_spans(set: &[bool], info: &TraceInfo) -> Vec<u32> {
    (0..set.len() as u32)
        .filter(|&k| set[k as usize])
        .map(|k| info.start_idx + k)
        .collect()
}

/// A set of a trace's spans computed from another.
type SetFn<'s> = fn(&Rels<'s>, &[bool]) -> Vec<bool>;

/// The parent/child structure of one trace, by position in the trace.
struct Rels<'s> {
    store: &'s Store,
    base: u32,
    n: usize,
}

impl<'s> Rels<'s> {
    fn new(store: &'s Store, info: &TraceInfo) -> Self {
        Rels {
            store,
            base: info.start_idx,
            n: info.len as usize,
        }
    }

    /// The parent's position; `None` for a root, a missing parent, or (never, by the index's
    /// promise) a parent in another trace.
    fn parent(&self, k: usize) -> Option<usize> {
        let p = self.store.index.parent[self.base as usize + k];
        let local = p.wrapping_sub(self.base) as usize;
        (p != NONE && local < self.n).then_some(local)
    }

    /// Spans with an ancestor in `x` (a parent cycle ends the walk: no ancestor beyond it).
    fn has_ancestor_in(&self, x: &[bool]) -> Vec<bool> {
        const UNKNOWN: u8 = 0;
        const NO: u8 = 1;
        const YES: u8 = 2;
        const WALKING: u8 = 3;
        let mut state = vec![UNKNOWN; self.n];
        let mut path = Vec::new();
        for i in 0..self.n {
            if state[i] != UNKNOWN {
                continue;
            }
            path.clear();
            let mut cur = i;
            let last = loop {
                path.push(cur);
                state[cur] = WALKING;
                match self.parent(cur) {
                    None => break false,
                    Some(p) if x[p] => break true,
                    Some(p) if state[p] == YES || state[p] == NO => break state[p] == YES,
                    Some(p) if state[p] == WALKING => break false,
                    Some(p) => cur = p,
                }
            };
            let mut val = last;
            let top = path.len() - 1;
            state[path[top]] = if val { YES } else { NO };
            for j in (0..top).rev() {
                let p = path[j + 1];
                val = x[p] || val;
                state[path[j]] = if val { YES } else { NO };
            }
        }
        state.into_iter().map(|s| s == YES).collect()
    }

    /// Spans with a descendant in `x`.
    fn has_descendant_in(&self, x: &[bool]) -> Vec<bool> {
        let mut mark = vec![false; self.n];
        for i in (0..self.n).filter(|&i| x[i]) {
            let mut cur = self.parent(i);
            while let Some(p) = cur {
                if mark[p] {
                    break;
                }
                mark[p] = true;
                cur = self.parent(p);
            }
        }
        mark
    }

    /// Spans with a parent in `x`.
    fn child_of(&self, x: &[bool]) -> Vec<bool> {
        (0..self.n)
            .map(|i| self.parent(i).is_some_and(|p| x[p]))
            .collect()
    }

    /// Spans with a child in `x`.
    fn parent_of(&self, x: &[bool]) -> Vec<bool> {
        let mut out = vec![false; self.n];
        for i in (0..self.n).filter(|&i| x[i]) {
            if let Some(p) = self.parent(i) {
                out[p] = true;
            }
        }
        out
    }

    /// Spans with a sibling (another child of their parent) in `x`.
    fn sibling_of(&self, x: &[bool]) -> Vec<bool> {
        let mut count = vec![0u32; self.n];
        for i in (0..self.n).filter(|&i| x[i]) {
            if let Some(p) = self.parent(i) {
                count[p] += 1;
            }
        }
        (0..self.n)
            .map(|i| self.parent(i).is_some_and(|p| count[p] > x[i] as u32))
            .collect()
    }

    /// For "B is REL of some A": the B spans for which it holds, and the A spans they relate
    /// to (for the union operators).
    fn related(&self, r: Rel, a: &[bool], b: &[bool]) -> (Vec<bool>, Vec<bool>) {
        let and = |x: Vec<bool>, y: &[bool]| -> Vec<bool> {
            x.into_iter().zip(y).map(|(x, &y)| x && y).collect()
        };
        let (holds, back): (SetFn<'s>, SetFn<'s>) = match r {
            Rel::Child => (Self::child_of, Self::parent_of),
            Rel::Parent => (Self::parent_of, Self::child_of),
            Rel::Desc => (Self::has_ancestor_in, Self::has_descendant_in),
            Rel::Ance => (Self::has_descendant_in, Self::has_ancestor_in),
            Rel::Sibl => (Self::sibling_of, Self::sibling_of),
        };
        let bs = and(holds(self, a), b);
        let as_ = and(back(self, &bs), a);
        (bs, as_)
    }
}

fn order(o: Option<std::cmp::Ordering>, op: CmpOp) -> bool {
    use std::cmp::Ordering::*;
    let Some(o) = o else {
        return op == CmpOp::Ne;
    };
    match op {
        CmpOp::Eq => o == Equal,
        CmpOp::Ne => o != Equal,
        CmpOp::Gt => o == Greater,
        CmpOp::Ge => o != Less,
        CmpOp::Lt => o == Less,
        CmpOp::Le => o != Greater,
        CmpOp::Re | CmpOp::Nre => false,
    }
}

/// `a op b`; values of kinds that do not compare (and missing values) give false.
fn compare<'a>(a: V<'a>, op: CmpOp, b: V<'a>, store: &'a Store) -> bool {
    let text = |v: V<'a>| -> &'a str {
        match v {
            V::Sym(s) => store.str(s),
            V::Str(s) => s,
            _ => "",
        }
    };
    let eq_only = |same: bool| match op {
        CmpOp::Eq => same,
        CmpOp::Ne => !same,
        _ => false,
    };
    match (a, b) {
        (V::Sym(x), V::Sym(y)) if matches!(op, CmpOp::Eq | CmpOp::Ne) => eq_only(x == y),
        (V::Sym(_) | V::Str(_), V::Sym(_) | V::Str(_)) => order(Some(text(a).cmp(text(b))), op),
        (V::Int(x), V::Int(y)) => order(Some(x.cmp(&y)), op),
        (V::Int(_) | V::F(_), V::Int(_) | V::F(_)) => {
            let f = |v| match v {
                V::Int(i) => i as f64,
                V::F(f) => f,
                _ => f64::NAN,
            };
            order(f(a).partial_cmp(&f(b)), op)
        }
        (V::Bool(x), V::Bool(y)) => eq_only(x == y),
        (V::Status(x), V::Status(y)) => eq_only(x == y),
        (V::Kind(x), V::Kind(y)) => eq_only(x == y),
        (V::Hop(x), V::Hop(y)) => eq_only(x == y),
        (V::Breaks(m), V::Break(k)) | (V::Break(k), V::Breaks(m)) => {
            let bit = BreakKind::ALL.iter().position(|&j| j == k).unwrap_or(0);
            eq_only(m & (1 << bit) != 0)
        }
        _ => false,
    }
}

fn compile_pipe(p: &Pipeline, store: &Store) -> CPipe {
    CPipe {
        first: compile_set(&p.first, store),
        stages: p
            .stages
            .iter()
            .map(|s| match s {
                Stage::Filter(e) => CStage::Filter(compile_set(e, store)),
                Stage::Scalar { agg, op, value } => CStage::Scalar {
                    agg: match agg {
                        Agg::Count => None,
                        Agg::Of(f, e) => Some((*f, compile(e, store))),
                    },
                    op: *op,
                    value: *value,
                },
                Stage::By(e) => CStage::By(compile(e, store)),
                Stage::Coalesce => CStage::Coalesce,
            })
            .collect(),
    }
}

fn compile_set(e: &SetExpr, store: &Store) -> CSet {
    match e {
        SetExpr::Filter(f) => CSet::Filter(compile(f, store)),
        SetExpr::Op(a, op, b) => CSet::Op(
            Box::new(compile_set(a, store)),
            *op,
            Box::new(compile_set(b, store)),
        ),
        SetExpr::Pipeline(p) => CSet::Pipe(Box::new(compile_pipe(p, store))),
    }
}

fn compile(f: &Field, store: &Store) -> C {
    let c = |f: &Field| Box::new(compile(f, store));
    match f {
        Field::And(a, b) => C::And(c(a), c(b)),
        Field::Or(a, b) => C::Or(c(a), c(b)),
        Field::Not(a) => C::Not(c(a)),
        Field::Attr { scope, name } => C::Attr {
            scope: *scope,
            key: store.strings.get(name),
        },
        Field::Intrinsic(i) => C::Intr(*i),
        Field::Lit(l) => C::Lit(lit(l)),
        Field::Cmp(a, op, b) => {
            // The parser put literals where they are; a field is on at least one side.
            let (field, op, other) = match (&**a, &**b) {
                (Field::Lit(_), x) => (x, op.flip(), &**a),
                _ => (&**a, *op, &**b),
            };
            match (other, op) {
                (Field::Lit(Lit::Nil), _) => C::IsNil {
                    lhs: c(field),
                    ne: op == CmpOp::Ne,
                },
                (Field::Lit(Lit::Str(s)), CmpOp::Re | CmpOp::Nre) => C::Regex {
                    lhs: c(field),
                    // Checked by the parser.
                    re: regex::Regex::new(&format!("^(?:{s})$"))
                        .unwrap_or_else(|_| regex::Regex::new("$^").expect("empty regex")),
                    ne: op == CmpOp::Nre,
                },
                (Field::Lit(Lit::Str(s)), CmpOp::Eq | CmpOp::Ne) => C::SymEq {
                    lhs: c(field),
                    sym: store.strings.get(s),
                    text: s.clone(),
                    ne: op == CmpOp::Ne,
                },
                _ => C::Cmp(c(field), op, c(other)),
            }
        }
    }
}

fn lit(l: &Lit) -> LitV {
    match l {
        Lit::Str(s) => LitV::Str(s.clone()),
        Lit::Int(v) => LitV::Int(*v),
        Lit::Float(v) => LitV::F(*v),
        Lit::Dur(v) => LitV::Int((*v).min(i64::MAX as u64) as i64),
        Lit::Bool(b) => LitV::Bool(*b),
        Lit::Nil => LitV::Nil,
        Lit::Status(s) => LitV::Status(*s),
        Lit::Kind(k) => LitV::Kind(*k),
        Lit::Break(k) => LitV::Break(*k),
        Lit::Hop(h) => LitV::Hop(*h),
    }
}
