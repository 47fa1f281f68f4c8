//! Text from the cluster made safe to print: control characters shown (`^[`, `^G`) rather
//! than obeyed, so a log line or an object's field cannot retitle the window or move the
//! cursor of the terminal it is printed on.

use std::borrow::Cow;

/// Control characters shown the way `cat -v` shows them (`ESC` as `^[`, `BEL` as `^G`; C1
/// controls as `<U+009B>`), so that text from the cluster cannot drive the terminal. Tabs stay.
pub fn visible(text: &str) -> Cow<'_, str> {
    let is_control = |c: char| (c.is_control() && c != '\t') || c == '\u{7f}';
    if !text.chars().any(is_control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\t' => out.push(c),
            '\u{7f}' => out.push_str("^?"),
            c if (c as u32) < 0x20 => {
                out.push('^');
                out.push(char::from(b'@' + c as u8));
            }
            c if c.is_control() => out.push_str(&format!("<U+{:04X}>", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Like `visible`, for raw bytes that may not be UTF-8 (kept as they are otherwise).
pub fn visible_bytes(bytes: &[u8]) -> Cow<'_, [u8]> {
    let risky = |b: &u8| (*b < 0x20 && *b != b'\t' && *b != b'\n') || *b == 0x7f;
    if !bytes.iter().any(risky) {
        return Cow::Borrowed(bytes);
    }
    let mut out = Vec::with_capacity(bytes.len() + 8);
    for &b in bytes {
        match b {
            b'\t' | b'\n' => out.push(b),
            0x7f => out.extend_from_slice(b"^?"),
            b if b < 0x20 => out.extend_from_slice(&[b'^', b'@' + b]),
            b => out.push(b),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_are_shown_not_obeyed() {
        assert_eq!(
            visible("\u{1b}]0;pwned\u{7}done\ttab"),
            "^[]0;pwned^Gdone\ttab"
        );
        assert_eq!(visible("\u{1b}[2J\r\u{7f}"), "^[[2J^M^?");
        assert_eq!(visible("csi \u{9b}31m"), "csi <U+009B>31m");
        assert!(matches!(visible("plain text"), Cow::Borrowed(_)));
        assert_eq!(
            &*visible_bytes(b"\x1b]0;t\x07 \xff ok\n"),
            b"^[]0;t^G \xff ok\n"
        );
    }
}
