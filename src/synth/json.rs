//! A small JSON tree for the sample files, printed compact (one line, as the Collector's file
//! exporter writes) or pretty (small objects kept on one line so a span stays readable).

use crate::json_write::push_str;

/// A JSON value. Object keys keep the order they were built in (OTLP field order).
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Obj(Vec<(&'static str, Json)>),
    Arr(Vec<Json>),
    Str(String),
    /// A number already written as JSON (integers and finite doubles).
    Num(String),
}

impl Json {
    pub fn str(s: impl Into<String>) -> Json {
        Json::Str(s.into())
    }

    pub fn int(n: i64) -> Json {
        Json::Num(n.to_string())
    }

    /// Appends the one-line form; `spaced` puts a space after `:` and `,` (pretty mode's
    /// inline objects).
    fn compact_into(&self, out: &mut String, spaced: bool) {
        let (colon, comma) = if spaced { (": ", ", ") } else { (":", ",") };
        match self {
            Json::Obj(fields) => {
                out.push('{');
                for (k, (key, value)) in fields.iter().enumerate() {
                    if k > 0 {
                        out.push_str(comma);
                    }
                    push_str(out, key);
                    out.push_str(colon);
                    value.compact_into(out, spaced);
                }
                out.push('}');
            }
            Json::Arr(items) => {
                out.push('[');
                for (k, item) in items.iter().enumerate() {
                    if k > 0 {
                        out.push_str(comma);
                    }
                    item.compact_into(out, spaced);
                }
                out.push(']');
            }
            Json::Str(s) => push_str(out, s),
            Json::Num(n) => out.push_str(n),
        }
    }

    /// The value on one line without spaces.
    pub fn compact(&self) -> String {
        let mut out = String::new();
        self.compact_into(&mut out, false);
        out
    }

    /// The value indented by two spaces per level; an object or array whose one-line form
    /// fits within `width` columns at its position stays on one line.
    pub fn pretty(&self, width: usize) -> String {
        let mut out = String::new();
        self.pretty_into(&mut out, 0, 0, width);
        out.push('\n');
        out
    }

    /// `used` = columns already taken on the current line before this value.
    fn pretty_into(&self, out: &mut String, depth: usize, used: usize, width: usize) {
        let (open, close, empty) = match self {
            Json::Obj(f) => ('{', '}', f.is_empty()),
            Json::Arr(a) => ('[', ']', a.is_empty()),
            Json::Str(_) | Json::Num(_) => {
                self.compact_into(out, true);
                return;
            }
        };
        let mut line = String::new();
        self.compact_into(&mut line, true);
        if empty || used + line.chars().count() <= width {
            out.push_str(&line);
            return;
        }
        out.push(open);
        let inner = "  ".repeat(depth + 1);
        let mut first = true;
        let mut item = |out: &mut String, key: Option<&str>, value: &Json| {
            out.push_str(if first { "\n" } else { ",\n" });
            first = false;
            out.push_str(&inner);
            let mut used = inner.len();
            if let Some(key) = key {
                let before = out.len();
                push_str(out, key);
                out.push_str(": ");
                used += out[before..].chars().count();
            }
            value.pretty_into(out, depth + 1, used, width);
        };
        match self {
            Json::Obj(fields) => fields.iter().for_each(|(k, v)| item(out, Some(k), v)),
            Json::Arr(items) => items.iter().for_each(|v| item(out, None, v)),
            Json::Str(_) | Json::Num(_) => {}
        }
        out.push('\n');
        out.push_str(&"  ".repeat(depth));
        out.push(close);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Json {
        Json::Obj(vec![
            ("key", Json::str("a\"b\\c\n\u{1}中")),
            ("value", Json::Arr(vec![Json::int(-3), Json::Obj(vec![])])),
        ])
    }

    #[test]
    fn compact_escapes_and_round_trips() {
        let s = sample().compact();
        assert_eq!(s, r#"{"key":"a\"b\\c\n\u0001中","value":[-3,{}]}"#);
        let v: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(v["key"], "a\"b\\c\n\u{1}中");
    }

    #[test]
    fn pretty_breaks_only_what_does_not_fit() {
        let wide = sample().pretty(100);
        assert_eq!(
            wide,
            "{\"key\": \"a\\\"b\\\\c\\n\\u0001中\", \"value\": [-3, {}]}\n"
        );
        let narrow = sample().pretty(20);
        assert_eq!(
            narrow,
            "{\n  \"key\": \"a\\\"b\\\\c\\n\\u0001中\",\n  \"value\": [-3, {}]\n}\n"
        );
        let a: serde_json::Value = serde_json::from_str(&narrow).unwrap();
        let b: serde_json::Value = serde_json::from_str(&sample().compact()).unwrap();
        assert_eq!(a, b);
    }
}
