//! `--ordered`: lines from many containers merged into kubelet-timestamp order. Each line is
//! held for a short window after it arrives, and released oldest-timestamp first, so a line
//! that reaches kx a little late still lands in its place.

use super::format::LogLine;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::{Duration, Instant};

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Held {
    /// Nanoseconds since the epoch; unreadable timestamps sort as "now".
    ts: i128,
    /// Arrival order breaks ties, so lines of one container keep their order.
    seq: u64,
    line: LogLineOrd,
}

/// A line carried through the heap; ordering is decided by the fields before it.
#[derive(Debug)]
struct LogLineOrd(LogLine);

impl PartialEq for LogLineOrd {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}
impl Eq for LogLineOrd {}
impl PartialOrd for LogLineOrd {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for LogLineOrd {
    fn cmp(&self, _: &Self) -> std::cmp::Ordering {
        std::cmp::Ordering::Equal
    }
}

pub struct Reorder {
    window: Duration,
    heap: BinaryHeap<Reverse<Held>>,
    seq: u64,
    /// (arrival, timestamp) in arrival order, to find what has waited long enough cheaply.
    arrivals: std::collections::VecDeque<(Instant, i128)>,
    /// The newest timestamp among lines that have waited the window.
    ripe: Option<i128>,
}

impl Reorder {
    pub fn new(window: Duration) -> Reorder {
        Reorder {
            window,
            heap: BinaryHeap::new(),
            seq: 0,
            arrivals: Default::default(),
            ripe: None,
        }
    }

    pub fn push(&mut self, line: LogLine, now: Instant) {
        let ts = line
            .ts
            .parse::<jiff::Timestamp>()
            .map(|t| t.as_nanosecond())
            .unwrap_or_else(|_| jiff::Timestamp::now().as_nanosecond());
        self.seq += 1;
        self.arrivals.push_back((now, ts));
        self.heap.push(Reverse(Held {
            ts,
            seq: self.seq,
            line: LogLineOrd(line),
        }));
    }

    /// Lines whose wait is over, in timestamp order. A line is released once it has waited the
    /// window, and so is every line with an earlier timestamp.
    pub fn due(&mut self, now: Instant) -> Vec<LogLine> {
        let mut out = Vec::new();
        // The newest timestamp among lines that have waited long enough: everything up to it goes.
        while let Some(&(arrived, ts)) = self.arrivals.front() {
            if now.duration_since(arrived) < self.window {
                break;
            }
            self.arrivals.pop_front();
            self.ripe = Some(self.ripe.map_or(ts, |r| r.max(ts)));
        }
        let Some(limit) = self.ripe else {
            return out;
        };
        while let Some(Reverse(top)) = self.heap.peek() {
            if top.ts > limit {
                break;
            }
            if let Some(Reverse(h)) = self.heap.pop() {
                out.push(h.line.0);
            }
        }
        out
    }

    /// Everything still held, in order (at the end of the output).
    pub fn drain(&mut self) -> Vec<LogLine> {
        self.arrivals.clear();
        let mut out = Vec::with_capacity(self.heap.len());
        while let Some(Reverse(h)) = self.heap.pop() {
            out.push(h.line.0);
        }
        out
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::select::Target;
    use std::sync::Arc;

    fn line(pod: &str, ts: &str) -> LogLine {
        LogLine {
            target: Arc::new(Target {
                namespace: "ns".into(),
                pod: pod.into(),
                container: "c".into(),
            }),
            ts: ts.into(),
            text: format!("{pod} {ts}"),
        }
    }

    #[test]
    fn late_lines_land_in_timestamp_order_within_the_window() {
        let t0 = Instant::now();
        let mut r = Reorder::new(Duration::from_millis(500));
        r.push(line("b", "2026-01-01T00:00:02Z"), t0);
        r.push(
            line("a", "2026-01-01T00:00:01Z"),
            t0 + Duration::from_millis(100),
        );
        r.push(
            line("a", "2026-01-01T00:00:03Z"),
            t0 + Duration::from_millis(200),
        );
        assert!(
            r.due(t0 + Duration::from_millis(400)).is_empty(),
            "still waiting"
        );
        let first: Vec<String> = r
            .due(t0 + Duration::from_millis(500))
            .into_iter()
            .map(|l| l.text)
            .collect();
        assert_eq!(
            first,
            ["a 2026-01-01T00:00:01Z", "b 2026-01-01T00:00:02Z"],
            "b has waited; a is older than b so it goes first"
        );
        let rest: Vec<String> = r.drain().into_iter().map(|l| l.text).collect();
        assert_eq!(rest, ["a 2026-01-01T00:00:03Z"]);
        assert!(r.is_empty());
    }

    #[test]
    fn equal_timestamps_keep_arrival_order() {
        let t0 = Instant::now();
        let mut r = Reorder::new(Duration::ZERO);
        for i in 0..5 {
            let mut l = line("a", "2026-01-01T00:00:01Z");
            l.text = i.to_string();
            r.push(l, t0);
        }
        let texts: Vec<String> = r.due(t0).into_iter().map(|l| l.text).collect();
        assert_eq!(texts, ["0", "1", "2", "3", "4"]);
    }
}
