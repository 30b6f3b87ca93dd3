//! Decoding trace and span ids from text: hex (any case, the OTLP/JSON rule), base64 (a common
//! non-conformant dump, accepted with a warning), and the odd lengths Jaeger and Zipkin write.

use base64::Engine;

pub use crate::model::ids::synthetic_id;
use crate::model::span::flags;

/// A decoded id and what was wrong with how it was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decoded<T> {
    pub value: T,
    /// Bits of `span::flags` to set on the span (`BAD_*_ID`) when the id is zero or of the
    /// wrong length; `BASE64_IDS` when it was base64.
    pub flags: u8,
}

/// Why an id could not be decoded at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadId(pub String);

impl std::fmt::Display for BadId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "id {:?} is neither hex nor base64", self.0)
    }
}

/// Hex digit values; 0x80 marks a byte that is not a hex digit.
const HEX: [u8; 256] = {
    let mut t = [0x80u8; 256];
    let mut i = 0;
    while i < 10 {
        t[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        t[b'a' as usize + i] = 10 + i as u8;
        t[b'A' as usize + i] = 10 + i as u8;
        i += 1;
    }
    t
};

/// Decodes up to 16 hex digits. Branch-free over the digits: ids are decoded millions of times.
fn hex_u64(s: &[u8]) -> Option<u64> {
    let (mut v, mut bad) = (0u64, 0u8);
    for &c in s {
        let d = HEX[c as usize];
        bad |= d;
        v = (v << 4) | (d & 0xf) as u64;
    }
    (bad & 0x80 == 0).then_some(v)
}

/// Decodes up to 32 hex digits into the low bits of a u128. `None` if a char is not hex.
fn hex_u128(s: &[u8]) -> Option<u128> {
    if s.len() <= 16 {
        return hex_u64(s).map(u128::from);
    }
    let (hi, lo) = s.split_at(s.len() - 16);
    Some(((hex_u64(hi)? as u128) << 64) | hex_u64(lo)? as u128)
}

/// Decodes bytes into the low bits of a u128 (big-endian, the last 16 bytes).
fn bytes_u128(b: &[u8]) -> u128 {
    b.iter()
        .rev()
        .take(16)
        .rev()
        .fold(0u128, |v, &x| (v << 8) | x as u128)
}

/// Decodes an id of `want` bytes. `bad_flag` is the `BAD_*` bit for this id's role.
fn decode(s: &str, want: usize, bad_flag: u8) -> Result<Decoded<u128>, BadId> {
    let b = s.as_bytes();
    if b.is_empty() {
        return Ok(Decoded {
            value: 0,
            flags: bad_flag,
        });
    }
    if b.len() <= 32
        && let Some(v) = hex_u128(b)
    {
        // Jaeger and Zipkin drop leading zeros (31-digit trace ids) or use 64-bit trace ids:
        // shorter hex is the same number; only longer-than-wanted or zero is invalid.
        let fl = if b.len() > want * 2 || v == 0 {
            bad_flag
        } else {
            0
        };
        return Ok(Decoded {
            value: v,
            flags: fl,
        });
    }
    if b.len() > 32
        && let Some(v) = hex_u128(&b[b.len() - 32..])
        && b.iter().all(|c| c.is_ascii_hexdigit())
    {
        // Longer than 32 hex digits: keep the low 128 bits, flag it.
        return Ok(Decoded {
            value: v,
            flags: bad_flag,
        });
    }
    match base64::engine::general_purpose::STANDARD.decode(b) {
        Ok(bytes) if !bytes.is_empty() => {
            let mut fl = flags::BASE64_IDS;
            let v = bytes_u128(&bytes);
            if bytes.len() != want || v == 0 {
                fl |= bad_flag;
            }
            Ok(Decoded {
                value: v,
                flags: fl,
            })
        }
        _ => Err(BadId(s.to_string())),
    }
}

/// A 16-byte trace id.
pub fn trace_id(s: &str) -> Result<Decoded<u128>, BadId> {
    decode(s, 16, flags::BAD_TRACE_ID)
}

/// An 8-byte span id.
pub fn span_id(s: &str) -> Result<Decoded<u64>, BadId> {
    id64(s, flags::BAD_SPAN_ID)
}

/// A parent span id: empty or all zeros means "root" and is not an error.
pub fn parent_id(s: &str) -> Result<Decoded<u64>, BadId> {
    if s.is_empty() || s.bytes().all(|c| c == b'0') {
        return Ok(Decoded { value: 0, flags: 0 });
    }
    id64(s, flags::BAD_PARENT_ID)
}

/// An 8-byte id; `flag` also when its value does not fit 64 bits.
fn id64(s: &str, flag: u8) -> Result<Decoded<u64>, BadId> {
    let d = decode(s, 8, flag)?;
    let wide = d.value > u64::MAX as u128;
    Ok(Decoded {
        value: d.value as u64,
        flags: d.flags | if wide { flag } else { 0 },
    })
}

/// `value`, with `flag` set when it is `bad`.
fn flagged<T>(value: T, bad: bool, flag: u8) -> Decoded<T> {
    Decoded {
        value,
        flags: if bad { flag } else { 0 },
    }
}

/// Binary ids (protobuf): big-endian bytes. Empty means absent.
pub fn trace_id_bytes(b: &[u8]) -> Decoded<u128> {
    let v = bytes_u128(b);
    flagged(v, b.len() != 16 || v == 0, flags::BAD_TRACE_ID)
}

pub fn span_id_bytes(b: &[u8]) -> Decoded<u64> {
    let v = bytes_u128(b) as u64;
    flagged(v, b.len() != 8 || v == 0, flags::BAD_SPAN_ID)
}

pub fn parent_id_bytes(b: &[u8]) -> Decoded<u64> {
    let v = bytes_u128(b) as u64;
    flagged(v, !b.is_empty() && b.len() != 8, flags::BAD_PARENT_ID)
}

/// A log record's trace id: a well-formed hex id, or 0 (no trace id) for anything else —
/// absent, empty, all zeros, base64, or a placeholder such as `"unknown"` or `"-"`.
pub fn log_trace_id(s: &str) -> u128 {
    match trace_id(s.trim()) {
        Ok(d) if d.flags == 0 => d.value,
        _ => 0,
    }
}

/// A log record's span id, 0 when absent or not a well-formed hex id.
pub fn log_span_id(s: &str) -> u64 {
    match span_id(s.trim()) {
        Ok(d) if d.flags == 0 => d.value,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_any_case() {
        let d = trace_id("5B8EFFF798038103D269B633813FC60C").unwrap();
        assert_eq!(d.value, 0x5b8efff798038103d269b633813fc60c);
        assert_eq!(d.flags, 0);
        assert_eq!(
            span_id("eee19b7ec3c1b174").unwrap().value,
            0xeee19b7ec3c1b174
        );
    }

    #[test]
    fn base64_is_accepted_and_flagged() {
        // 16 bytes of base64 (from otlp2parquet's trace.json).
        let d = trace_id("nXmxo38xgBzRGmcG+0DWvQ==").unwrap();
        assert_eq!(d.flags, flags::BASE64_IDS);
        assert_eq!(d.value >> 120, 0x9d);
        let s = span_id("SyPeJdH7ZkE=").unwrap();
        assert_eq!(s.flags, flags::BASE64_IDS);
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(trace_id("zzz").is_err());
        assert!(trace_id("!!!INVALID_BASE64!!!").is_err());
        assert!(span_id("xyz").is_err());
    }

    #[test]
    fn zero_short_and_empty() {
        assert_eq!(
            trace_id("00000000000000000000000000000000").unwrap().flags,
            flags::BAD_TRACE_ID
        );
        assert_eq!(span_id("").unwrap().flags, flags::BAD_SPAN_ID);
        // 31 digits (Jaeger drops a leading zero): same number, fine.
        let d = trace_id("6a4eb3ab9b0df8d0a1e63f6a1e5c7b1").unwrap();
        assert_eq!(d.flags, 0);
        assert_eq!(
            parent_id("0000000000000000").unwrap(),
            Decoded { value: 0, flags: 0 }
        );
        assert_eq!(parent_id("").unwrap().value, 0);
        assert_eq!(trace_id_bytes(&[0; 16]).flags, flags::BAD_TRACE_ID);
        assert_eq!(span_id_bytes(&[1, 2, 3]).flags, flags::BAD_SPAN_ID);
        assert_eq!(parent_id_bytes(&[]).flags, 0);
        assert_ne!(synthetic_id("span-1"), synthetic_id("span-2"));
    }
}
