//! How ages, durations and sizes are said in messages people read.

use std::time::Duration;

/// "12 seconds", "3 minutes", "2 hours": how long ago, for messages.
pub fn spoken_age(secs: u64) -> String {
    match secs {
        u64::MAX => "an unknown time".into(),
        0..=1 => "a moment".into(),
        2..=119 => format!("{secs} seconds"),
        120..=7199 => format!("{} minutes", secs / 60),
        _ => format!("{} hours", secs / 3600),
    }
}

/// "250 ms", "1 second", "30 seconds", "5 minutes", "3 hours", "2 days", "more than a year".
pub(crate) fn spoken_duration(duration: Duration) -> String {
    const MINUTE: u64 = 60;
    const HOUR: u64 = 60 * MINUTE;
    const DAY: u64 = 24 * HOUR;
    match duration.as_secs() {
        0 => format!("{} ms", duration.as_millis()),
        1 => "1 second".to_string(),
        secs if secs < 2 * MINUTE => format!("{secs} seconds"),
        secs if secs < 2 * HOUR => format!("{} minutes", secs / MINUTE),
        secs if secs < 2 * DAY => format!("{} hours", secs / HOUR),
        secs if secs <= 365 * DAY => format!("{} days", secs / DAY),
        _ => "more than a year".to_string(),
    }
}

/// "512 bytes", "64 KB", "4 MB" (powers of 1024, rounded down).
pub(crate) fn spoken_bytes(bytes: usize) -> String {
    const KB: usize = 1024;
    const MB: usize = 1024 * KB;
    match bytes {
        b if b >= MB => format!("{} MB", b / MB),
        b if b >= KB => format!("{} KB", b / KB),
        b => format!("{b} bytes"),
    }
}

/// `a, b, c or d`: a list as a sentence says it.
pub(crate) fn spoken_list(items: &[&str], last: &str) -> String {
    match items {
        [] => String::new(),
        [one] => one.to_string(),
        [rest @ .., final_item] => format!("{} {last} {final_item}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_are_spoken_in_the_largest_fitting_unit() {
        assert_eq!(spoken_age(1), "a moment");
        assert_eq!(spoken_age(45), "45 seconds");
        assert_eq!(spoken_age(600), "10 minutes");
        assert_eq!(spoken_age(3 * 3600), "3 hours");
    }

    #[test]
    fn durations_are_spoken_in_the_largest_whole_unit() {
        assert_eq!(spoken_duration(Duration::from_secs(30)), "30 seconds");
        assert_eq!(spoken_duration(Duration::from_secs(1)), "1 second");
        assert_eq!(spoken_duration(Duration::from_millis(250)), "250 ms");
        assert_eq!(spoken_duration(Duration::from_secs(600)), "10 minutes");
        assert_eq!(spoken_duration(Duration::from_secs(5 * 3600)), "5 hours");
        assert_eq!(spoken_duration(Duration::from_secs(3 * 86_400)), "3 days");
        assert_eq!(spoken_duration(Duration::MAX), "more than a year");
    }

    #[test]
    fn sizes_are_spoken_in_kilobytes_and_megabytes() {
        assert_eq!(spoken_bytes(512), "512 bytes");
        assert_eq!(spoken_bytes(64 * 1024), "64 KB");
        assert_eq!(spoken_bytes(4 * 1024 * 1024), "4 MB");
    }
}
