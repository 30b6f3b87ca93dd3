//! Conversion steps: spans where data changes type (spec §3; derived when the span is stored,
//! `model::derive`).

use crate::model::Store;

/// The types a conversion step converts between.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conversion<'a> {
    pub from: &'a str,
    pub to: &'a str,
}

/// The conversion span `i` performs, when it is a conversion step.
pub fn conversion_of(store: &Store, i: u32) -> Option<Conversion<'_>> {
    let [from, to] = store.span(i).conversion()?;
    Some(Conversion {
        from: store.str(from),
        to: store.str(to),
    })
}
