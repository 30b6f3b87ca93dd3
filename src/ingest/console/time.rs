//! RFC 3339 times as the SDKs print them (Go: `2024-05-01T10:00:00.123456789+02:00`,
//! Python: `2024-05-01T08:00:00.123456Z`) to Unix nanoseconds. Hand-written: the crate has no
//! date library, and this one format needs twenty lines, not a dependency.

/// Unix nanoseconds of `s`; `None` when it is not an RFC 3339 time or is before 1970.
pub fn unix_nanos(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let d = b.get(r)?;
        d.iter().all(u8::is_ascii_digit).then_some(())?;
        std::str::from_utf8(d).ok()?.parse().ok()
    };
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let mut i = 19;
    let mut frac: i64 = 0;
    if b[i] == b'.' {
        let start = i + 1;
        i = start;
        while i < b.len() && b[i].is_ascii_digit() {
            if i - start < 9 {
                frac = frac * 10 + i64::from(b[i] - b'0');
            }
            i += 1;
        }
        if i == start {
            return None;
        }
        for _ in (i - start).min(9)..9 {
            frac *= 10;
        }
    }
    let offset = match b.get(i..)? {
        b"Z" | b"z" => 0,
        [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
            let v = num(i + 1..i + 3)? * 3600 + num(i + 4..i + 6)? * 60;
            if *sign == b'+' { v } else { -v }
        }
        _ => return None,
    };
    let secs = days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + sec - offset;
    u64::try_from(secs)
        .ok()?
        .checked_mul(1_000_000_000)?
        .checked_add(frac as u64)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sdk_times() {
        assert_eq!(unix_nanos("1970-01-01T00:00:00Z"), Some(0));
        // `date -u -d 2024-05-01T08:00:00Z +%s` = 1714550400
        assert_eq!(
            unix_nanos("2024-05-01T10:00:00.123456789+02:00"),
            Some(1_714_550_400_123_456_789)
        );
        assert_eq!(
            unix_nanos("2024-05-01T08:00:00.123456Z"),
            Some(1_714_550_400_123_456_000)
        );
        assert_eq!(
            unix_nanos("2024-05-01T03:30:00.5-04:30"),
            Some(1_714_550_400_500_000_000)
        );
        // Go's zero time (`stdouttrace.WithoutTimestamps`) is before 1970: no time.
        assert_eq!(unix_nanos("0001-01-01T00:00:00Z"), None);
        assert_eq!(unix_nanos("2024-05-01 08:00"), None);
        assert_eq!(unix_nanos("2024-13-01T08:00:00Z"), None);
        assert_eq!(unix_nanos("2024-05-01T08:00:00.Z"), None);
    }
}
