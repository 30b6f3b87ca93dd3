//! Trace and span ids as integers (lowercase hex when printed).
//!
//! A 128-bit trace id and a 64-bit span id fit in registers; zero means "absent".

/// Lowercase 32-digit hex of a trace id.
pub fn trace_hex(id: u128) -> String {
    hex_digits(id, &mut [0; 32]).to_owned()
}

/// Lowercase 16-digit hex of a span id.
pub fn span_hex(id: u64) -> String {
    hex_digits(u128::from(id), &mut [0; 16]).to_owned()
}

/// The low `buf.len()` hex digits of `v`, written into `buf`. Reports print ids by the million:
/// a table lookup per digit is several times faster than `format!("{:032x}")`'s padding path.
pub fn hex_digits(v: u128, buf: &mut [u8]) -> &str {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let n = buf.len();
    for (k, b) in buf.iter_mut().enumerate() {
        *b = DIGITS[((v >> (4 * (n - 1 - k))) & 0xf) as usize];
    }
    std::str::from_utf8(buf).unwrap_or_default()
}

/// A stable id for text that is not an id at all (Jaeger UI fixtures use `"span-1"`, and
/// goroutine ids may be text): FNV-1a of the text, never zero. Readers warn when they
/// synthesise a span id.
pub fn synthetic_id(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &c in s.as_bytes() {
        h ^= c as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_padded_lowercase() {
        assert_eq!(span_hex(0xAB), "00000000000000ab");
        assert_eq!(trace_hex(1u128 << 127), "80000000000000000000000000000000");
    }
}
