//! Attribute values, packed into 16 bytes each (key, type tag, 8-byte payload).

use super::interner::{Interner, Sym};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum AttrType {
    Str,
    Int,
    Double,
    Bool,
    /// Standard base64 text of the bytes, as OTLP/JSON writes it.
    Bytes,
    /// An array or key-value list, kept as compact JSON text.
    Json,
    Empty,
}

/// One attribute: `key`, `ty` and an 8-byte payload whose meaning depends on `ty`
/// (a `Sym` for strings, the bits of an i64/f64, 0/1 for bools).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Attr {
    pub key: Sym,
    pub ty: AttrType,
    pub raw: u64,
}

/// A decoded attribute value, borrowed from the interner.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    Str(&'a str),
    Int(i64),
    Double(f64),
    Bool(bool),
    Bytes(&'a str),
    Json(&'a str),
    Empty,
}

impl Attr {
    pub fn str(key: Sym, v: Sym) -> Self {
        Attr {
            key,
            ty: AttrType::Str,
            raw: v.0 as u64,
        }
    }
    pub fn int(key: Sym, v: i64) -> Self {
        Attr {
            key,
            ty: AttrType::Int,
            raw: v as u64,
        }
    }
    pub fn double(key: Sym, v: f64) -> Self {
        Attr {
            key,
            ty: AttrType::Double,
            raw: v.to_bits(),
        }
    }
    pub fn bool(key: Sym, v: bool) -> Self {
        Attr {
            key,
            ty: AttrType::Bool,
            raw: v as u64,
        }
    }
    pub fn bytes(key: Sym, base64_text: Sym) -> Self {
        Attr {
            key,
            ty: AttrType::Bytes,
            raw: base64_text.0 as u64,
        }
    }
    pub fn json(key: Sym, json_text: Sym) -> Self {
        Attr {
            key,
            ty: AttrType::Json,
            raw: json_text.0 as u64,
        }
    }
    pub fn empty(key: Sym) -> Self {
        Attr {
            key,
            ty: AttrType::Empty,
            raw: 0,
        }
    }

    /// The `Sym` payload, for the string-like types.
    pub fn sym(&self) -> Option<Sym> {
        match self.ty {
            AttrType::Str | AttrType::Bytes | AttrType::Json => Some(Sym(self.raw as u32)),
            _ => None,
        }
    }

    /// Same attribute with its syms mapped through `f` (used when merging batches).
    pub fn remap(self, mut f: impl FnMut(Sym) -> Sym) -> Self {
        let raw = match self.sym() {
            Some(s) => f(s).0 as u64,
            None => self.raw,
        };
        Attr {
            key: f(self.key),
            ty: self.ty,
            raw,
        }
    }

    pub fn value<'a>(&self, strings: &'a Interner) -> Value<'a> {
        match self.ty {
            AttrType::Str => Value::Str(strings.resolve(Sym(self.raw as u32))),
            AttrType::Int => Value::Int(self.raw as i64),
            AttrType::Double => Value::Double(f64::from_bits(self.raw)),
            AttrType::Bool => Value::Bool(self.raw != 0),
            AttrType::Bytes => Value::Bytes(strings.resolve(Sym(self.raw as u32))),
            AttrType::Json => Value::Json(strings.resolve(Sym(self.raw as u32))),
            AttrType::Empty => Value::Empty,
        }
    }
}

impl<'a> Value<'a> {
    /// The value as text: strings as they are, numbers and bools printed.
    pub fn to_text(&self) -> String {
        match self {
            Value::Str(s) | Value::Bytes(s) | Value::Json(s) => s.to_string(),
            Value::Int(i) => i.to_string(),
            Value::Double(d) => d.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Empty => String::new(),
        }
    }

    /// Integer view: ints, and strings holding a decimal integer (goroutine ids come both ways).
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            Value::Str(s) => s.trim().parse().ok(),
            Value::Double(d) if d.fract() == 0.0 => Some(*d as i64),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&'a str> {
        match *self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attr_is_16_bytes_and_round_trips() {
        assert_eq!(std::mem::size_of::<Attr>(), 16);
        let mut s = Interner::new();
        let k = s.intern("http.status_code");
        assert_eq!(Attr::int(k, -5).value(&s), Value::Int(-5));
        assert_eq!(Attr::double(k, 1.5).value(&s), Value::Double(1.5));
        let v = s.intern("42");
        assert_eq!(Attr::str(k, v).value(&s).as_i64(), Some(42));
        assert_eq!(Attr::bool(k, true).value(&s), Value::Bool(true));
    }
}
