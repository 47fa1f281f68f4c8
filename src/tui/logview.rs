//! The TUI log view's state: a bounded scrollback of lines from the log layer (the same
//! `logs::tail` as `kx logs`), follow or pause (a paused view keeps receiving and stays put),
//! a line filter with context lines, a container filter, search, and display toggles. Pure:
//! lines arrive through `apply`; formatting and level colours are worked out only for the lines
//! on screen, in the view.

use crate::logs::format::{LogLine, Palette};
use crate::logs::stream::LogEvent;
use regex::Regex;
use std::collections::VecDeque;

/// Containers a log view follows at most, as `kx logs` does when following.
pub use crate::logs::tail::DEFAULT_MAX_REQUESTS;

/// Lines of each container's log a view starts with, unless `log_tail:` says otherwise.
pub const DEFAULT_TAIL: i64 = 1000;

/// What a log view follows; the runtime turns it into a `logs::tail::TailSpec`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRequest {
    /// None: all namespaces.
    pub namespace: Option<String>,
    pub pod_regex: String,
    pub container_regex: Option<String>,
    pub label_selector: Option<String>,
    pub previous: bool,
    /// One pod only: lines need no pod name in front.
    pub one_pod: bool,
    /// At most this many containers followed at once.
    pub max_requests: usize,
    /// What the breadcrumb says, e.g. `web-1:logs`.
    pub title: String,
}

impl LogRequest {
    /// The log layer's spec: every container state (a crashed container's log matters most),
    /// init and ephemeral containers, the last 1,000 lines of each to start with.
    /// `request_timeout` bounds one-shot reads (a previous log) and each request.
    pub fn tail_spec(
        &self,
        request_timeout: std::time::Duration,
    ) -> Result<crate::logs::tail::TailSpec, String> {
        use crate::logs::select::{ContainerState, Selection, compile};
        Ok(crate::logs::tail::TailSpec {
            namespaces: vec![self.namespace.clone()],
            label_selector: self.label_selector.clone(),
            field_selector: None,
            selection: Selection {
                pod: compile("the pod regex", &self.pod_regex)?,
                exclude_pod: Vec::new(),
                container: compile(
                    "the container regex",
                    self.container_regex.as_deref().unwrap_or(".*"),
                )?,
                exclude_container: Vec::new(),
                states: vec![ContainerState::All],
                init_containers: true,
                ephemeral_containers: true,
            },
            stream: crate::logs::stream::StreamOpts {
                follow: !self.previous,
                since_seconds: None,
                tail: (!self.previous).then_some(DEFAULT_TAIL),
                previous: self.previous,
                idle_timeout: std::time::Duration::from_secs(30),
                // A previous log is read once: it gets the one-shot deadline.
                give_up_after: self.previous.then_some(request_timeout),
            },
            max_requests: self.max_requests,
            request_timeout,
            deadline: tokio::time::Instant::now() + request_timeout,
            server: "the API server".into(),
            query: self
                .title
                .rsplit_once(':')
                .map_or(self.title.as_str(), |(what, _)| what)
                .to_string(),
        })
    }
}

/// `pod › container`, as the header and notes name a container.
fn who(t: &crate::logs::select::Target) -> String {
    format!("{} › {}", t.pod, t.container)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineFormat {
    /// As the container wrote it.
    Raw,
    /// JSON and logfmt lines as `LEVEL message key=value …`.
    Compact,
    /// JSON lines indented over several rows.
    Pretty,
}

#[derive(Debug, Clone)]
pub struct Entry {
    pub seq: u64,
    pub line: LogLine,
    pub colour: usize,
}

#[derive(Debug, Clone)]
pub struct LineFilter {
    pub regex: Regex,
    /// Lines shown before and after each match.
    pub context: usize,
    pub text: String,
}

#[derive(Debug)]
pub struct LogView {
    pub id: u64,
    pub request: LogRequest,
    pub entries: VecDeque<Entry>,
    pub capacity: usize,
    next_seq: u64,
    /// Lines that fell off the top of a full scrollback.
    pub evicted: u64,
    pub follow: bool,
    /// When paused: the seq of the bottom line on screen.
    pub bottom: u64,
    pub wrap: bool,
    pub timestamps: bool,
    pub format: LineFormat,
    pub search: Option<Regex>,
    pub filter: Option<LineFilter>,
    pub container_filter: Option<Regex>,
    /// With a filter: the seqs shown, in order; without one, every line is.
    shown: Option<Vec<u64>>,
    /// Lines still to show after the last match (the filter's trailing context).
    after_match: usize,
    pub palette: Palette,
    /// Containers followed now, for the header.
    pub members: usize,
    pub notices: VecDeque<String>,
    /// Lines that arrived while paused, for the header.
    pub unseen: u64,
    /// Containers whose log requests are failing now (kx retries them): container → why.
    pub failing: std::collections::BTreeMap<String, String>,
    /// Containers whose log could not be read at all: lines are missing from the view.
    pub unreadable: std::collections::BTreeMap<String, String>,
    /// The pod watch cannot reach the server (its report, for the header).
    pub watch_trouble: Option<crate::cluster::backoff::Trouble>,
}

impl LogView {
    pub fn new(id: u64, request: LogRequest, capacity: usize) -> LogView {
        LogView {
            id,
            request,
            entries: VecDeque::new(),
            capacity: capacity.max(1),
            next_seq: 0,
            evicted: 0,
            follow: true,
            bottom: 0,
            wrap: false,
            timestamps: false,
            format: LineFormat::Raw,
            search: None,
            filter: None,
            container_filter: None,
            shown: None,
            after_match: 0,
            palette: Palette::default(),
            members: 0,
            notices: VecDeque::new(),
            unseen: 0,
            failing: Default::default(),
            unreadable: Default::default(),
            watch_trouble: None,
        }
    }

    fn note(&mut self, text: String) {
        if self.notices.len() == 3 {
            self.notices.pop_front();
        }
        self.notices.push_back(text);
    }

    pub fn apply(&mut self, event: LogEvent) {
        match event {
            LogEvent::Line(line) => self.push(line),
            LogEvent::Joined(t) => {
                self.palette.join(&t.namespace, &t.pod);
                self.members += 1;
            }
            LogEvent::Left(t, _) => {
                self.palette.leave(&t.namespace, &t.pod);
                self.members = self.members.saturating_sub(1);
                self.failing.remove(&who(&t));
            }
            LogEvent::Problem(t, why) => self.note(format!("{} › {}: {why}", t.pod, t.container)),
            LogEvent::Retrying(t, trouble) => {
                let why = trouble.error.to_string();
                self.note(format!("{} › {}: {why}; retrying", t.pod, t.container));
                self.failing.insert(who(&t), why);
            }
            LogEvent::Recovered(t) => {
                self.failing.remove(&who(&t));
            }
            LogEvent::Failed(t, e) => {
                let why = e.to_string();
                self.note(format!("{} › {}: {why}", t.pod, t.container));
                self.failing.remove(&who(&t));
                self.unreadable.insert(who(&t), why);
            }
            LogEvent::WatchTrouble(trouble) => self.watch_trouble = trouble,
            LogEvent::Notice(what) => self.note(what),
        }
    }

    /// What the header says about failing reads, most serious first; None when all is well.
    pub fn trouble_summary(&self, now: jiff::Timestamp) -> Option<String> {
        if let Some(t) = &self.watch_trouble {
            return Some(t.line(now));
        }
        let mut parts = Vec::new();
        if let Some((first, why)) = self.unreadable.iter().next() {
            parts.push(match self.unreadable.len() {
                1 => format!("{first} unreadable: {why}"),
                n => format!("{n} containers unreadable ({first}: {why})"),
            });
        }
        if let Some((first, why)) = self.failing.iter().next() {
            parts.push(match self.failing.len() {
                1 => format!("{first} failing, retrying: {why}"),
                n => format!("{n} containers failing, retrying ({first}: {why})"),
            });
        }
        (!parts.is_empty()).then(|| parts.join("; "))
    }

    fn passes(&self, entry: &Entry) -> bool {
        self.container_filter
            .as_ref()
            .is_none_or(|c| c.is_match(&entry.line.target.container))
    }

    fn push(&mut self, line: LogLine) {
        let colour = self
            .palette
            .colour_of(&line.target.namespace, &line.target.pod);
        let entry = Entry {
            seq: self.next_seq,
            line,
            colour,
        };
        self.next_seq += 1;
        if !self.follow {
            self.unseen += 1;
        }
        if self.shown.is_some() {
            self.admit(&entry);
        }
        self.entries.push_back(entry);
        if self.entries.len() > self.capacity {
            self.entries.pop_front();
            self.evicted += 1;
            let first = self.first_seq();
            if let Some(shown) = self.shown.as_mut() {
                let gone = shown.partition_point(|s| *s < first);
                shown.drain(..gone);
            }
        }
    }

    fn first_seq(&self) -> u64 {
        self.entries.front().map_or(self.next_seq, |e| e.seq)
    }

    /// Adds a new line to the filtered set if it matches, or is context of a match.
    fn admit(&mut self, entry: &Entry) {
        if !self.passes(entry) {
            return;
        }
        let Some(shown) = self.shown.as_mut() else {
            return;
        };
        let hit = self
            .filter
            .as_ref()
            .is_none_or(|f| f.regex.is_match(&entry.line.text));
        let context = self.filter.as_ref().map_or(0, |f| f.context);
        if hit {
            // The lines before it, back to the context, that the filter hid.
            let before: Vec<u64> = self
                .entries
                .iter()
                .rev()
                .filter(|e| {
                    self.container_filter
                        .as_ref()
                        .is_none_or(|c| c.is_match(&e.line.target.container))
                })
                .take(context)
                .map(|e| e.seq)
                .filter(|s| shown.last().is_none_or(|last| s > last))
                .collect();
            shown.extend(before.into_iter().rev());
            shown.push(entry.seq);
            self.after_match = context;
        } else if self.after_match > 0 {
            self.after_match -= 1;
            shown.push(entry.seq);
        }
    }

    /// Recomputes the shown lines after the filter or container filter changed.
    pub fn refilter(&mut self) {
        if self.filter.is_none() && self.container_filter.is_none() {
            self.shown = None;
            return;
        }
        self.shown = Some(Vec::new());
        self.after_match = 0;
        let all: Vec<Entry> = self.entries.drain(..).collect();
        for e in all {
            self.admit(&e);
            self.entries.push_back(e);
        }
    }

    /// The seqs on screen's axis: every line, or the filtered ones.
    pub fn visible_len(&self) -> usize {
        self.shown.as_ref().map_or(self.entries.len(), Vec::len)
    }

    /// The entry at a position of the visible order.
    pub fn visible(&self, index: usize) -> Option<&Entry> {
        let seq = match &self.shown {
            Some(s) => *s.get(index)?,
            None => return self.entries.get(index),
        };
        let first = self.first_seq();
        self.entries.get(seq.checked_sub(first)? as usize)
    }

    /// The position (in the visible order) of the bottom line on screen.
    pub fn bottom_index(&self) -> Option<usize> {
        let len = self.visible_len();
        if len == 0 {
            return None;
        }
        if self.follow {
            return Some(len - 1);
        }
        let at = match &self.shown {
            Some(s) => s.partition_point(|x| *x <= self.bottom),
            None => (self.bottom + 1).saturating_sub(self.first_seq()) as usize,
        };
        Some(at.clamp(1, len) - 1)
    }

    /// Moves the bottom line by `delta` visible lines; moving pauses, reaching the end follows.
    pub fn scroll(&mut self, delta: isize) {
        let Some(at) = self.bottom_index() else {
            return;
        };
        let last = self.visible_len() - 1;
        let to = (at as isize + delta).clamp(0, last as isize) as usize;
        if to == last && delta > 0 {
            self.resume();
            return;
        }
        if let Some(e) = self.visible(to) {
            self.bottom = e.seq;
            if self.follow {
                self.follow = false;
                self.unseen = 0;
            }
        }
    }

    pub fn resume(&mut self) {
        self.follow = true;
        self.unseen = 0;
    }

    pub fn pause(&mut self) {
        if let Some(e) = self.bottom_index().and_then(|i| self.visible(i)) {
            self.bottom = e.seq;
        }
        self.follow = false;
    }

    /// Moves to the next (older with `older`) visible line matching the search.
    pub fn find(&mut self, older: bool) -> bool {
        let (Some(re), Some(at)) = (self.search.clone(), self.bottom_index()) else {
            return false;
        };
        let len = self.visible_len();
        let hit = (1..=len)
            .map(|step| {
                if older {
                    (at + len - step) % len
                } else {
                    (at + step) % len
                }
            })
            .find(|i| self.visible(*i).is_some_and(|e| re.is_match(&e.line.text)));
        match hit.and_then(|i| self.visible(i).map(|e| e.seq)) {
            Some(seq) => {
                self.bottom = seq;
                self.follow = false;
                true
            }
            None => false,
        }
    }

    /// The whole scrollback as `kx logs` prints it without colour, for saving.
    pub fn export(&self) -> String {
        let mut out = String::new();
        for e in &self.entries {
            let t = &e.line.target;
            out.push_str(&format!(
                "{} {} {} {} {}\n",
                t.namespace, t.pod, t.container, e.line.ts, e.line.text
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::select::Target;
    use std::sync::Arc;

    fn view(capacity: usize) -> LogView {
        LogView::new(
            1,
            LogRequest {
                namespace: Some("shop".into()),
                pod_regex: ".*".into(),
                container_regex: None,
                label_selector: None,
                previous: false,
                one_pod: false,
                max_requests: DEFAULT_MAX_REQUESTS,
                title: "web:logs".into(),
            },
            capacity,
        )
    }

    fn line(container: &str, text: &str) -> LogEvent {
        LogEvent::Line(LogLine {
            target: Arc::new(Target {
                namespace: "shop".into(),
                pod: "web-1".into(),
                container: container.into(),
            }),
            ts: "2026-11-22T05:00:00Z".into(),
            text: text.into(),
        })
    }

    fn shown(v: &LogView) -> Vec<String> {
        (0..v.visible_len())
            .filter_map(|i| v.visible(i).map(|e| e.line.text.clone()))
            .collect()
    }

    #[test]
    fn a_full_scrollback_drops_the_oldest_and_counts_them() {
        let mut v = view(3);
        for i in 0..5 {
            v.apply(line("app", &i.to_string()));
        }
        assert_eq!(shown(&v), ["2", "3", "4"]);
        assert_eq!(v.evicted, 2);
    }

    #[test]
    fn a_paused_view_keeps_receiving_and_stays_put() {
        let mut v = view(100);
        for i in 0..10 {
            v.apply(line("app", &i.to_string()));
        }
        v.scroll(-3);
        assert!(!v.follow);
        assert_eq!(v.bottom_index(), Some(6));
        for i in 10..15 {
            v.apply(line("app", &i.to_string()));
        }
        assert_eq!(
            v.bottom_index(),
            Some(6),
            "new lines do not move a paused view"
        );
        assert_eq!(v.unseen, 5);
        assert_eq!(v.visible_len(), 15, "nothing dropped while paused");
        v.scroll(100);
        assert!(v.follow, "scrolling to the end follows again");
        assert_eq!(v.bottom_index(), Some(14));
    }

    #[test]
    fn the_filter_keeps_context_lines_and_new_lines_are_filtered_as_they_come() {
        let mut v = view(100);
        for t in ["a", "b", "ERROR one", "c", "d", "e"] {
            v.apply(line("app", t));
        }
        v.filter = Some(LineFilter {
            regex: Regex::new("ERROR").unwrap(),
            context: 1,
            text: "-C 1 ERROR".into(),
        });
        v.refilter();
        assert_eq!(shown(&v), ["b", "ERROR one", "c"]);
        for t in ["f", "ERROR two", "g", "h"] {
            v.apply(line("app", t));
        }
        assert_eq!(shown(&v), ["b", "ERROR one", "c", "f", "ERROR two", "g"]);
        v.filter = None;
        v.refilter();
        assert_eq!(v.visible_len(), 10);
    }

    #[test]
    fn the_container_filter_hides_other_containers() {
        let mut v = view(100);
        v.apply(line("app", "from app"));
        v.apply(line("envoy", "from envoy"));
        v.container_filter = Regex::new("^envoy$").ok();
        v.refilter();
        assert_eq!(shown(&v), ["from envoy"]);
        v.apply(line("app", "more app"));
        v.apply(line("envoy", "more envoy"));
        assert_eq!(shown(&v), ["from envoy", "more envoy"]);
    }

    #[test]
    fn search_moves_between_matches_and_pauses() {
        let mut v = view(100);
        for t in ["x", "match a", "y", "match b", "z"] {
            v.apply(line("app", t));
        }
        v.search = Regex::new("match").ok();
        assert!(v.find(true));
        assert_eq!(
            v.visible(v.bottom_index().unwrap()).unwrap().line.text,
            "match b"
        );
        assert!(!v.follow);
        assert!(v.find(true));
        assert_eq!(
            v.visible(v.bottom_index().unwrap()).unwrap().line.text,
            "match a"
        );
        assert!(v.find(false));
        assert_eq!(
            v.visible(v.bottom_index().unwrap()).unwrap().line.text,
            "match b"
        );
    }
}
