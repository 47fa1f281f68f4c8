//! Durations as people type them on the command line (`5s`, `2m`, `1h30m`, `500ms`, or bare
//! seconds) and as kx prints them in messages (`8 s`, `2 min`).

use std::time::Duration;

/// Parses a flag's duration, naming the flag when it is not one.
pub fn parse(flag: &str, text: &str) -> Result<Duration, String> {
    let parsed = text
        .parse::<u64>()
        .map(Duration::from_secs)
        .ok()
        .or_else(|| {
            text.parse::<jiff::SignedDuration>()
                .ok()
                .and_then(|d| Duration::try_from(d).ok())
        });
    parsed.ok_or_else(|| format!("{flag} {text:?} is not a duration (like 30s, 5m, 1h30m, 500ms)"))
}

/// A short human reading: `800 ms`, `8 s`, `2 min`, `1 h 5 min`.
pub fn human(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        return format!("{ms} ms");
    }
    let s = d.as_secs() + u64::from(d.subsec_millis() >= 500);
    match s {
        0..120 => format!("{s} s"),
        120..7200 => format!("{} min", s / 60),
        _ if (s / 60).is_multiple_of(60) => format!("{} h", s / 3600),
        _ => format!("{} h {} min", s / 3600, (s / 60) % 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_like_stern_and_kubectl() {
        assert_eq!(parse("--since", "5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse("--since", "1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(
            parse("--order-window", "500ms"),
            Ok(Duration::from_millis(500))
        );
        assert_eq!(parse("--since", "90"), Ok(Duration::from_secs(90)));
        let err = parse("--since", "soon").unwrap_err();
        assert!(
            err.starts_with("--since \"soon\" is not a duration"),
            "{err}"
        );
    }

    #[test]
    fn human_readings_round_to_what_matters() {
        assert_eq!(human(Duration::from_millis(250)), "250 ms");
        assert_eq!(human(Duration::from_millis(7600)), "8 s");
        assert_eq!(human(Duration::from_secs(30)), "30 s");
        assert_eq!(human(Duration::from_secs(300)), "5 min");
        assert_eq!(human(Duration::from_secs(7200)), "2 h");
        assert_eq!(human(Duration::from_secs(3900 + 7200)), "3 h 5 min");
    }
}
