//! `conversion_error`: a conversion step (spec §3) that failed, by status or by an
//! `exception` event.

use super::{Break, BreakKind, Ctx, Facts, brk};
use crate::analysis::conversion::conversion_of;
use crate::model::{Event, StatusCode, Store, Sym, Value};

pub(super) fn check(ctx: &Ctx, i: u32, out: &mut Vec<Break>) {
    let store = ctx.store;
    let s = store.span(i);
    if s.status != StatusCode::Error && exception(store, ctx.exception, i).is_none() {
        return;
    }
    if conversion_of(store, i).is_some() {
        out.push(brk(BreakKind::ConversionError, i, None, Facts::None));
    }
}

/// The span's first `exception` event (`name` is the interned "exception").
fn exception(store: &Store, name: Option<Sym>, i: u32) -> Option<&Event> {
    let name = name?;
    store.span_events(i).iter().find(|e| e.name == name)
}

pub(super) fn message(store: &Store, i: u32) -> String {
    let Some(conv) = conversion_of(store, i) else {
        return String::new();
    };
    let exception_message = exception(store, store.strings.get("exception"), i).and_then(|e| {
        let key = store.strings.get("exception.message")?;
        store
            .attrs
            .get(e.attrs.range())?
            .iter()
            .find(|a| a.key == key)
            .map(|a| a.value(&store.strings))
    });
    let detail = match (store.str(store.span(i).status_message), exception_message) {
        ("", Some(Value::Str(m))) if !m.is_empty() => format!(": {m}"),
        ("", _) => String::new(),
        (m, _) => format!(": {m}"),
    };
    format!(
        "conversion {} → {} failed in {}{detail}",
        conv.from,
        conv.to,
        store.service_name(i)
    )
}
