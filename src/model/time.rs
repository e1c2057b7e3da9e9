//! Dates and times without I/O: ISO dates, timestamps as milliseconds since the Unix
//! epoch, and the `h:mm:ss` clock times found in transcripts.

/// Days since 1970-01-01 of a civil date (proleptic Gregorian), after H. Hinnant.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719468;
    let era = if z >= 0 { z } else { z - 146096 } / 146097;
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Parses `YYYY-MM-DD` into days since the Unix epoch, rejecting impossible dates.
pub fn parse_iso_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let y: i64 = s[0..4].parse().ok()?;
    let m: i64 = s[5..7].parse().ok()?;
    let d: i64 = s[8..10].parse().ok()?;
    if !(1..=12).contains(&m) || d < 1 {
        return None;
    }
    let days = days_from_civil(y, m, d);
    (civil_from_days(days) == (y, m, d)).then_some(days)
}

/// Formats milliseconds since the epoch as an RFC 3339 UTC timestamp.
pub fn format_timestamp(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86400), secs.rem_euclid(86400));
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, (rem % 3600) / 60, rem % 60)
}

/// Parses a clock time such as `4:07`, `12:47`, `1:02:03`, `00:00:04.120` or
/// `00:00:04,120` (SRT) into milliseconds.
pub fn parse_clock(s: &str) -> Option<u64> {
    let (hms, frac) = match s.find(['.', ',']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let parts: Vec<&str> = hms.split(':').collect();
    if parts.len() < 2 || parts.len() > 3 || parts.iter().any(|p| p.is_empty() || p.len() > 2) {
        return None;
    }
    let mut nums = Vec::with_capacity(3);
    for p in &parts {
        if !p.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        nums.push(p.parse::<u64>().ok()?);
    }
    let (h, m, sec) = if nums.len() == 3 { (nums[0], nums[1], nums[2]) } else { (0, nums[0], nums[1]) };
    if sec >= 60 || (nums.len() == 3 && m >= 60) {
        return None;
    }
    let ms = match frac {
        None => 0,
        Some(f) if !f.is_empty() && f.len() <= 3 && f.bytes().all(|c| c.is_ascii_digit()) => {
            f.parse::<u64>().ok()? * 10u64.pow(3 - f.len() as u32)
        }
        Some(_) => return None,
    };
    Some(((h * 60 + m) * 60 + sec) * 1000 + ms)
}

/// Formats milliseconds as `h:mm:ss` (or `m:ss` under an hour), as transcripts show time.
pub fn format_clock(ms: u64) -> String {
    let s = ms / 1000;
    let (h, m, sec) = (s / 3600, (s % 3600) / 60, s % 60);
    if h > 0 { format!("{h}:{m:02}:{sec:02}") } else { format!("{m}:{sec:02}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(parse_iso_date("1970-01-01"), Some(0));
        assert_eq!(parse_iso_date("2025-03-14"), Some(20161));
        assert_eq!(parse_iso_date("2025-13-01"), None);
        assert_eq!(parse_iso_date("2023-02-29"), None);
        assert_eq!(format_timestamp(20161 * 86_400_000 + 3_723_000), "2025-03-14T01:02:03Z");
    }

    #[test]
    fn clocks() {
        assert_eq!(parse_clock("0:04"), Some(4000));
        assert_eq!(parse_clock("12:47"), Some(767_000));
        assert_eq!(parse_clock("1:02:03"), Some(3_723_000));
        assert_eq!(parse_clock("00:00:04.120"), Some(4120));
        assert_eq!(parse_clock("00:00:04,12"), Some(4120));
        assert_eq!(parse_clock("4:60"), None);
        assert_eq!(parse_clock("abc"), None);
        assert_eq!(format_clock(767_000), "12:47");
        assert_eq!(format_clock(3_723_000), "1:02:03");
    }
}
