//! What the command-line front ends share about writing to a terminal: cluster text made
//! visible instead of obeyed (a log line must not retitle the window or move the cursor), and
//! a reconnect report that is said once and then kept current.

use crate::cluster::backoff::Trouble;
use std::borrow::Cow;
use std::io::{IsTerminal, Write};

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

/// Tells a following command's user that the API server cannot be reached: the first failure
/// is said in full; on a terminal the line then keeps its count and next attempt current (one
/// line rewritten in place), elsewhere nothing more is said until it is over.
pub struct Reconnects {
    program: &'static str,
    tty: bool,
    /// The failures reported in the current run of trouble.
    failing: Option<u32>,
}

impl Reconnects {
    pub fn on_stderr(program: &'static str) -> Reconnects {
        Reconnects {
            program,
            tty: std::io::stderr().is_terminal(),
            failing: None,
        }
    }

    /// Reports a failure; returns what was written (for tests), if anything.
    pub fn failed(&mut self, trouble: &Trouble) -> Option<String> {
        let line = format!("{}: {}", self.program, trouble.line(jiff::Timestamp::now()));
        let text = match (self.failing, self.tty) {
            (None, false) => format!("{line}\n"),
            (Some(_), false) => {
                self.failing = Some(trouble.failures);
                return None;
            }
            (_, true) => format!("\r\x1b[2K{}", visible(&line)),
        };
        self.failing = Some(trouble.failures);
        let mut err = std::io::stderr();
        let _ = err.write_all(text.as_bytes()).and_then(|_| err.flush());
        Some(text)
    }

    /// The connection is back: says so once, with how many attempts failed.
    pub fn recovered(&mut self) {
        let Some(failures) = self.failing.take() else {
            return;
        };
        let end = if self.tty { "\r\x1b[2K" } else { "" };
        let plural = if failures == 1 { "" } else { "s" };
        eprintln!(
            "{end}{}: connected again after {failures} failed attempt{plural}",
            self.program
        );
    }
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
