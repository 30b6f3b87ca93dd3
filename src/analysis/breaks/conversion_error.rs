//! `conversion_error`: a conversion step (SPEC §3) that failed, by status or by an
//! `exception` event.

use super::{Break, BreakKind, Ctx, brk};
use crate::analysis::conversion::conversion_of;
use crate::model::{StatusCode, Value};

pub(super) fn check(ctx: &Ctx, i: u32, out: &mut Vec<Break>) {
    let store = ctx.store;
    let s = store.span(i);
    let exception = ctx
        .exception
        .and_then(|name| store.span_events(i).iter().find(|e| e.name == name));
    if s.status != StatusCode::Error && exception.is_none() {
        return;
    }
    let Some(conv) = conversion_of(store, i) else {
        return;
    };
    let exception_message = exception.and_then(|e| {
        let key = ctx.exception_message?;
        store
            .attrs
            .get(e.attrs.range())?
            .iter()
            .find(|a| a.key == key)
            .map(|a| a.value(&store.strings))
    });
    let detail = match (store.str(s.status_message), exception_message) {
        ("", Some(Value::Str(m))) if !m.is_empty() => format!(": {m}"),
        ("", _) => String::new(),
        (m, _) => format!(": {m}"),
    };
    out.push(brk(
        BreakKind::ConversionError,
        i,
        None,
        format!(
            "conversion {} → {} failed in {}{detail}",
            conv.from,
            conv.to,
            store.service_name(i)
        ),
    ));
}
