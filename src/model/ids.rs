//! Trace and span ids as integers (lowercase hex when printed).
//!
//! A 128-bit trace id and a 64-bit span id fit in registers; zero means "absent".

/// Lowercase 32-digit hex of a trace id.
pub fn trace_hex(id: u128) -> String {
    format!("{id:032x}")
}

/// Lowercase 16-digit hex of a span id.
pub fn span_hex(id: u64) -> String {
    format!("{id:016x}")
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
