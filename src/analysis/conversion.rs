//! Conversion steps: spans where data changes type (SPEC §3).

use super::keys::Keys;
use crate::model::Store;

const NAME_PREFIX: &str = "type.convert.";
const NAME_SEP: &str = ".to.";

/// The types a conversion step converts between.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conversion<'a> {
    pub from: &'a str,
    pub to: &'a str,
}

/// Parses a span name `type.convert.<from>.to.<to>`, split at the first `.to.` after the prefix.
pub fn from_name(name: &str) -> Option<Conversion<'_>> {
    let rest = name.strip_prefix(NAME_PREFIX)?;
    let at = rest.find(NAME_SEP)?;
    let (from, to) = (&rest[..at], &rest[at + NAME_SEP.len()..]);
    (!from.is_empty() && !to.is_empty()).then_some(Conversion { from, to })
}

/// The conversion span `i` performs: its `convert.from`/`convert.to` attributes when both are
/// present (attributes win), else its name.
pub fn conversion_of<'s>(store: &'s Store, keys: &Keys, i: u32) -> Option<Conversion<'s>> {
    // Runs on every span: one pass over its attributes for both keys, and none at all when
    // no span in the store has them.
    if keys.convert_from.is_some() && keys.convert_to.is_some() {
        let (mut from, mut to) = (None, None);
        for a in store.span_attrs(i) {
            // The first attribute with a key counts, as in `span_attr`.
            if Some(a.key) == keys.convert_from && from.is_none() {
                from = Some(a.value(&store.strings).as_str().filter(|s| !s.is_empty()));
            } else if Some(a.key) == keys.convert_to && to.is_none() {
                to = Some(a.value(&store.strings).as_str().filter(|s| !s.is_empty()));
            }
        }
        if let (Some(Some(from)), Some(Some(to))) = (from, to) {
            return Some(Conversion { from, to });
        }
    }
    from_name(store.str(store.span(i).name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_splits_at_first_to() {
        assert_eq!(
            from_name("type.convert.[]byte.to.*dto.CreateOrderReq"),
            Some(Conversion {
                from: "[]byte",
                to: "*dto.CreateOrderReq"
            })
        );
        assert_eq!(
            from_name("type.convert.*pb.User.to.*domain.User.to.x"),
            Some(Conversion {
                from: "*pb.User",
                to: "*domain.User.to.x"
            })
        );
        assert_eq!(from_name("type.convert.[]byte"), None);
        assert_eq!(from_name("type.convert..to.x"), None);
        assert_eq!(from_name("json.Unmarshal"), None);
    }
}
