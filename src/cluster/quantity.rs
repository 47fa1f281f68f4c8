//! Kubernetes resource quantities as numbers: CPU in millicores (`250m`, `2`, `1500000n` as the
//! metrics API writes it) and memory in bytes (`64Mi`, `1G`, `128974848`, `1e3`).

/// CPU in millicores.
pub fn millicores(q: &str) -> Option<u64> {
    let q = q.trim();
    let (number, per_core) = match q.char_indices().last()? {
        (i, 'n') => (&q[..i], 1e9),
        (i, 'u') => (&q[..i], 1e6),
        (i, 'm') => (&q[..i], 1e3),
        (i, 'k') => (&q[..i], 1e-3),
        _ => (q, 1.0),
    };
    let cores: f64 = number.parse().ok()?;
    (cores >= 0.0).then(|| (cores * 1000.0 / per_core).round() as u64)
}

/// Memory (or storage) in bytes.
pub fn bytes(q: &str) -> Option<u64> {
    const SUFFIXES: [(&str, f64); 12] = [
        ("Ki", 1024.0),
        ("Mi", 1048576.0),
        ("Gi", 1073741824.0),
        ("Ti", 1099511627776.0),
        ("Pi", 1125899906842624.0),
        ("Ei", 1152921504606846976.0),
        ("k", 1e3),
        ("M", 1e6),
        ("G", 1e9),
        ("T", 1e12),
        ("P", 1e15),
        ("E", 1e18),
    ];
    let q = q.trim();
    let (number, factor) = SUFFIXES
        .iter()
        .find_map(|(s, f)| q.strip_suffix(s).map(|n| (n, *f)))
        .unwrap_or((q, 1.0));
    let n: f64 = number.parse().ok()?;
    (n >= 0.0).then(|| (n * factor).round() as u64)
}

/// Appends `250m` for a CPU amount, as kubectl top prints it.
pub fn push_millicores(out: &mut String, m: u64) {
    push_number(out, m, "m");
}

/// Appends `64Mi` for a memory amount (rounded to the nearest MiB), as kubectl top prints it.
pub fn push_bytes(out: &mut String, b: u64) {
    push_number(out, b.saturating_add(1 << 19) >> 20, "Mi");
}

/// Appends `250m`, `64Mi` or `40%` to `out`. Usage cells are written for every visible row each
/// frame, so without the formatting machinery and into a string the caller reuses.
pub fn push_number(out: &mut String, n: u64, unit: &str) {
    out.push_str(itoa::Buffer::new().format(n));
    out.push_str(unit);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_in_every_form_the_api_writes_it() {
        assert_eq!(millicores("250m"), Some(250));
        assert_eq!(millicores("2"), Some(2000));
        assert_eq!(millicores("1.5"), Some(1500));
        assert_eq!(millicores("1500000n"), Some(2));
        assert_eq!(millicores("123456789n"), Some(123));
        assert_eq!(millicores("500u"), Some(1));
        assert_eq!(millicores("lots"), None);
        assert_eq!(millicores(""), None);
    }

    #[test]
    fn memory_in_binary_and_decimal_units() {
        assert_eq!(bytes("64Mi"), Some(64 << 20));
        assert_eq!(bytes("1Gi"), Some(1 << 30));
        assert_eq!(bytes("1G"), Some(1_000_000_000));
        assert_eq!(bytes("128974848"), Some(128_974_848));
        assert_eq!(bytes("1e3"), Some(1000));
        assert_eq!(bytes("12Ki"), Some(12 * 1024));
        assert_eq!(bytes("x"), None);
        let mut out = String::new();
        push_bytes(&mut out, (64 << 20) + (1 << 19));
        push_millicores(&mut out, 5);
        push_number(&mut out, 40, "%");
        assert_eq!(out, "65Mi5m40%");
    }
}
