//! What the command-line front ends share about telling people of trouble on stderr: a
//! reconnect report said once, and its end.

use crate::cluster::backoff::Trouble;
use crate::text::visible;

/// Tells a following command's user that the API server cannot be reached. A single failure
/// that the next attempt gets past is a blip, and is not worth a line; from the second failure
/// in a row it is said once, with the count and the next attempt, and when it is over, that it
/// is (and after how many failed attempts). Whole lines only: other messages may follow.
pub struct Reconnects {
    program: &'static str,
    /// Whether the current run of failures was reported.
    reported: bool,
    failures: u32,
}

impl Reconnects {
    pub fn on_stderr(program: &'static str) -> Reconnects {
        Reconnects {
            program,
            reported: false,
            failures: 0,
        }
    }

    /// Reports a failure; returns the line written, if one was.
    pub fn failed(&mut self, trouble: &Trouble) -> Option<String> {
        self.failures = trouble.failures;
        if trouble.failures < 2 || self.reported {
            return None;
        }
        self.reported = true;
        let line = format!("{}: {}", self.program, trouble.line(jiff::Timestamp::now()));
        let line = visible(&line).into_owned();
        eprintln!("{line}");
        Some(line)
    }

    /// The connection is back: says so once, with how many attempts failed.
    pub fn recovered(&mut self) {
        if !std::mem::take(&mut self.reported) {
            self.failures = 0;
            return;
        }
        let failures = std::mem::take(&mut self.failures);
        let plural = if failures == 1 { "" } else { "s" };
        eprintln!(
            "{}: connected again after {failures} failed attempt{plural}",
            self.program
        );
    }
}
