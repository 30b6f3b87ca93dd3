//! Text formats the views share: times in UTC. Counts, durations, offsets and large numbers
//! are `crate::units`, shared with the report and the CLI.

pub use crate::units::{count, duration, offset, short, thousands};

/// Unix nanoseconds as `YYYY-MM-DD HH:MM:SS.mmm` UTC.
pub fn utc(ns: u64) -> String {
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_nanos(ns);
    // `YYYY-MM-DDTHH:MM:SS.mmmZ`: the same fields, spaced for reading.
    let mut s = humantime::format_rfc3339_millis(t)
        .to_string()
        .replace('T', " ");
    s.pop();
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_matches_known_dates() {
        let cases = [
            (0, "1970-01-01 00:00:00.000"),
            // The healthy samples start at 2025-06-12T02:00:00Z (sample-traces/README.md).
            (1_749_693_600_000_000_000, "2025-06-12 02:00:00.000"),
            // A leap day, with milliseconds.
            (951_782_400_123_000_000, "2000-02-29 00:00:00.123"),
        ];
        for (ns, want) in cases {
            assert_eq!(utc(ns), want);
        }
        assert_eq!(utc(u64::MAX).len(), "2554-07-21 23:34:33.709".len());
    }
}
