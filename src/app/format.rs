//! Text formats the views share: times (UTC, no time-zone database needed), offsets, large
//! numbers. Counts and durations are `crate::units`, shared with the report and the CLI.

pub use crate::units::{count, duration};

/// Unix nanoseconds as `YYYY-MM-DD HH:MM:SS.mmm` UTC.
pub fn utc(ns: u64) -> String {
    let secs = ns / 1_000_000_000;
    let ms = (ns / 1_000_000) % 1000;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}.{ms:03}",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian calendar
/// (H. Hinnant's `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
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
    fn utc_matches_known_dates() {
        assert_eq!(utc(0), "1970-01-01 00:00:00.000");
        // The healthy samples start at 2025-06-12T02:00:00Z (sample-traces/README.md).
        assert_eq!(utc(1_749_693_600_000_000_000), "2025-06-12 02:00:00.000");
        // A leap day, with milliseconds.
        assert_eq!(utc(951_782_400_123_000_000), "2000-02-29 00:00:00.123");
        assert_eq!(utc(u64::MAX).len(), "2554-07-21 23:34:33.709".len());
    }

    #[test]
    fn offsets_and_large_numbers_read_well() {
        assert_eq!(offset(-4_560_000), "−4.56 ms");
        assert_eq!(offset(0), "+0 ns");
        assert_eq!(thousands(2_000_000), "2,000,000");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(short(12_345.0), "12.3k");
        assert_eq!(short(850.0), "850");
        assert_eq!(short(1_200_000.0), "1.20M");
    }
}
