//! Conversion steps: spans where data changes type (SPEC §3).

use super::facts::SpanScan;
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

/// The conversion span `i` performs, when it is a conversion step (see
/// `SpanScan::conversion`).
pub fn conversion_of<'s>(store: &'s Store, keys: &Keys, i: u32) -> Option<Conversion<'s>> {
    SpanScan::of(store, keys, i).conversion(store, i)
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
