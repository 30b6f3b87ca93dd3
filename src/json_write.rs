//! Compact JSON text written by hand, where a serde tree would cost more than the text: the
//! array and key-value-list attribute values the readers keep (`Attr::json`), the OTLP JSON
//! lines export and the generated samples. Written the same way from OTLP/JSON and from
//! protobuf so that both encodings load identical spans: arrays as JSON arrays, kvlists as JSON
//! objects, bytes as base64 strings, empty as `null`, non-finite doubles as the strings
//! `"NaN"`, `"Infinity"`, `"-Infinity"`.

use std::fmt::Write;

use base64::Engine;
use opentelemetry_proto::tonic::common::v1::{AnyValue, any_value};

/// Appends `s` as a JSON string literal.
pub fn push_str(out: &mut String, s: &str) {
    const TABLE: &[(char, &str)] = &[
        ('"', "\\\""),
        ('\\', "\\\\"),
        ('\n', "\\n"),
        ('\r', "\\r"),
        ('\t', "\\t"),
    ];
    crate::escape::push_quoted(out, s, TABLE, |out, c| {
        let _ = write!(out, "\\u{:04x}", c as u32);
    });
}

pub fn push_i64(out: &mut String, v: i64) {
    let _ = write!(out, "{v}");
}

pub fn push_f64(out: &mut String, v: f64) {
    if v.is_nan() {
        out.push_str("\"NaN\"");
    } else if v.is_infinite() {
        out.push_str(if v > 0.0 {
            "\"Infinity\""
        } else {
            "\"-Infinity\""
        });
    } else {
        let _ = write!(out, "{v}");
    }
}

pub fn push_bool(out: &mut String, v: bool) {
    out.push_str(if v { "true" } else { "false" });
}

/// Appends a protobuf `AnyValue` (any shape) as JSON text.
pub fn push_any(out: &mut String, v: Option<&AnyValue>) {
    use any_value::Value;
    match v.and_then(|v| v.value.as_ref()) {
        Some(Value::StringValue(s)) => push_str(out, s),
        Some(Value::BoolValue(b)) => push_bool(out, *b),
        Some(Value::IntValue(i)) => push_i64(out, *i),
        Some(Value::DoubleValue(d)) => push_f64(out, *d),
        Some(Value::BytesValue(b)) => {
            push_str(out, &base64::engine::general_purpose::STANDARD.encode(b))
        }
        Some(Value::ArrayValue(a)) => {
            out.push('[');
            for (i, v) in a.values.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_any(out, Some(v));
            }
            out.push(']');
        }
        Some(Value::KvlistValue(kv)) => {
            out.push('{');
            for (i, kv) in kv.values.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_str(out, &kv.key);
                out.push(':');
                push_any(out, kv.value.as_ref());
            }
            out.push('}');
        }
        Some(Value::StringValueStrindex(_)) | None => out.push_str("null"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry_proto::tonic::common::v1::{self as pb, KeyValue};

    fn av(v: any_value::Value) -> AnyValue {
        AnyValue { value: Some(v) }
    }

    #[test]
    fn nested_values_are_compact_json() {
        use any_value::Value::*;
        let v = av(KvlistValue(pb::KeyValueList {
            values: vec![
                KeyValue {
                    key: "a\"b".into(),
                    value: Some(av(ArrayValue(pb::ArrayValue {
                        values: vec![
                            av(IntValue(-3)),
                            av(DoubleValue(f64::NAN)),
                            av(BytesValue(vec![1, 2, 3])),
                            AnyValue { value: None },
                        ],
                    }))),
                    ..Default::default()
                },
                KeyValue {
                    key: "t".into(),
                    value: Some(av(StringValue("x\ny".into()))),
                    ..Default::default()
                },
            ],
        }));
        let mut s = String::new();
        push_any(&mut s, Some(&v));
        assert_eq!(s, r#"{"a\"b":[-3,"NaN","AQID",null],"t":"x\ny"}"#);
        let parsed: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(parsed["t"], "x\ny");
    }

    #[test]
    fn doubles_and_control_chars() {
        let mut s = String::new();
        push_f64(&mut s, 1.5);
        s.push(' ');
        push_f64(&mut s, f64::NEG_INFINITY);
        s.push(' ');
        push_str(&mut s, "\u{1}");
        assert_eq!(s, "1.5 \"-Infinity\" \"\\u0001\"");
    }
}
