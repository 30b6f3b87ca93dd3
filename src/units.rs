//! Numbers for people: counts with their noun in the right number, durations in the unit that
//! reads best, offsets and large numbers. One place, so that the report, the CLI, the app and
//! the exports say "1 span" and "2 spans" the same way.

/// `1 span`, `3 spans`, `0 spans`: the noun gets an `s` unless the count is one.
pub fn count(n: u64, noun: &str) -> String {
    plural(n, noun, &format!("{noun}s"))
}

/// `1 entry`, `3 entries`: a count with an irregular plural.
pub fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A duration in the unit that reads best: `850 ns`, `12.3 µs`, `4.56 ms`, `1.20 s`.
pub fn duration(ns: u64) -> String {
    duration_f64(ns as f64)
}

/// `duration` of a computed or signed value (a mean, an axis tick before the trace start).
pub fn duration_f64(ns: f64) -> String {
    let a = ns.abs();
    if a < 1e3 {
        format!("{ns:.0} ns")
    } else if a < 1e6 {
        format!("{:.1} µs", ns / 1e3)
    } else if a < 1e9 {
        format!("{:.2} ms", ns / 1e6)
    } else {
        format!("{:.2} s", ns / 1e9)
    }
}

/// A latency percentile (p50, p95, p99) for people, compact: `0.42 ms`, `21.0 ms`, `130 ms`,
/// `1.3 s`. The report's table columns are `ms`.
pub fn latency_ms(ms: f64) -> String {
    if ms < 1.0 {
        format!("{ms:.2} ms")
    } else if ms < 100.0 {
        format!("{ms:.1} ms")
    } else if ms < 1000.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{:.1} s", ms / 1000.0)
    }
}

/// A latency percentile in milliseconds for a table column: `20.00`, `0.35`.
pub fn ms(v: f64) -> String {
    format!("{v:.2}")
}

/// A signed offset in ns (a span's start relative to its trace), as `+4.56 ms`.
pub fn offset(ns: i128) -> String {
    let sign = if ns < 0 { "−" } else { "+" };
    format!(
        "{sign}{}",
        duration(ns.unsigned_abs().min(u64::MAX as u128) as u64)
    )
}

/// `2,000,000`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `850`, `12.3k`, `1.20M`.
pub fn short(v: f64) -> String {
    if v >= 1e6 {
        format!("{:.2}M", v / 1e6)
    } else if v >= 1e4 {
        format!("{:.1}k", v / 1e3)
    } else {
        format!("{v:.0}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_agree_with_their_noun() {
        assert_eq!(count(1, "span"), "1 span");
        assert_eq!(count(0, "span"), "0 spans");
        assert_eq!(count(2, "goroutine hop"), "2 goroutine hops");
        assert_eq!(plural(1, "entry", "entries"), "1 entry");
        assert_eq!(plural(12, "entry", "entries"), "12 entries");
    }

    /// `f` of each case's input gives its text.
    fn check<T: Copy + std::fmt::Debug>(f: impl Fn(T) -> String, cases: &[(T, &str)]) {
        for &(v, want) in cases {
            assert_eq!(f(v), want, "{v:?}");
        }
    }

    #[test]
    fn durations_and_numbers_pick_their_unit() {
        check(
            duration,
            &[
                (850, "850 ns"),
                (12_345, "12.3 µs"),
                (4_560_000, "4.56 ms"),
                (1_200_000_000, "1.20 s"),
            ],
        );
        check(duration_f64, &[(-2_500.0, "-2.5 µs"), (333.4, "333 ns")]);
        check(
            latency_ms,
            &[(0.423, "0.42 ms"), (21.04, "21.0 ms"), (1300.0, "1.3 s")],
        );
        check(ms, &[(20.0, "20.00"), (0.346, "0.35")]);
        check(offset, &[(-4_560_000, "−4.56 ms"), (0, "+0 ns")]);
        check(
            thousands,
            &[(2_000_000, "2,000,000"), (999, "999"), (1000, "1,000")],
        );
        check(
            short,
            &[(12_345.0, "12.3k"), (850.0, "850"), (1_200_000.0, "1.20M")],
        );
    }
}
