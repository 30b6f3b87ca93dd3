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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_padded_lowercase() {
        assert_eq!(span_hex(0xAB), "00000000000000ab");
        assert_eq!(trace_hex(1u128 << 127), "80000000000000000000000000000000");
    }
}
