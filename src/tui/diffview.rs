//! The diff view of one object: its revisions, newest first, and for the selected one a unified
//! YAML diff against its predecessor (or against a revision marked as the base). Noise filters
//! are toggled by keys. The state here is derived from the history on every change and is
//! pure; drawing is in `diffview_draw`.

use crate::diff::{self, Noise};
use crate::history::{Change, History, HistoryKey};

/// One revision as the list shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct RevisionRow {
    pub serial: u64,
    pub at: i64,
    pub resource_version: String,
    pub change: Change,
    pub summary: String,
    pub noise_only: bool,
}

/// What the diff lines were built from, so they are rebuilt only when it moves.
type BuiltFor = (Option<u64>, Option<u64>, Noise, u64);

#[derive(Debug, Clone)]
pub struct DiffState {
    pub key: HistoryKey,
    /// Newest first.
    pub rows: Vec<RevisionRow>,
    /// Older revisions dropped from this object's history to stay within the budget.
    pub trimmed: u64,
    /// The selected revision by serial; None follows the newest as revisions arrive.
    pub selected: Option<u64>,
    /// A revision marked to compare against instead of the predecessor.
    pub base: Option<u64>,
    pub noise: Noise,
    /// "rv 12 against rv 10", for the header of the diff.
    pub compared: String,
    built: Option<BuiltFor>,
}

impl DiffState {
    pub fn new(key: HistoryKey) -> DiffState {
        DiffState {
            key,
            rows: Vec::new(),
            trimmed: 0,
            selected: None,
            base: None,
            noise: Noise::DEFAULT,
            compared: String::new(),
            built: None,
        }
    }

    /// The selected revision's place in `rows`.
    pub fn selected_index(&self) -> usize {
        self.selected
            .and_then(|s| self.rows.iter().position(|r| r.serial == s))
            .unwrap_or(0)
    }

    /// Moves the selection; `delta` > 0 goes to older revisions.
    pub fn step(&mut self, delta: isize) {
        if self.rows.is_empty() {
            return;
        }
        let max = self.rows.len() as isize - 1;
        let at = (self.selected_index() as isize + delta).clamp(0, max) as usize;
        // Back on the newest: follow new revisions again.
        self.selected = (at > 0).then(|| self.rows[at].serial);
    }

    /// Marks the selected revision as the base of comparisons, or clears the mark.
    pub fn toggle_base(&mut self) -> Option<String> {
        let row = self.rows.get(self.selected_index())?;
        if self.base == Some(row.serial) {
            self.base = None;
            return Some("base cleared: each revision is compared with its predecessor".into());
        }
        self.base = Some(row.serial);
        Some(format!(
            "rv {} is the base: select another revision to compare (space again clears)",
            row.resource_version
        ))
    }

    /// Rebuilds the rows and, when what they show moved, the diff `lines`.
    pub fn refresh(&mut self, history: &History, lines: &mut Vec<String>) {
        let Some(object) = history.get(&self.key) else {
            self.rows.clear();
            self.compared.clear();
            self.built = None;
            *lines = vec![format!(
                "no revisions of {} yet: kx records them as they happen, from now on",
                self.key.name
            )];
            return;
        };
        let newest = object.newest().serial;
        let revisions = object.revisions();
        if self.rows.first().map(|r| r.serial) != Some(newest) || self.rows.len() != revisions.len()
        {
            self.rows = revisions
                .iter()
                .rev()
                .map(|r| RevisionRow {
                    serial: r.serial,
                    at: r.at,
                    resource_version: r.resource_version.to_string(),
                    change: r.change,
                    summary: r.summary.to_string(),
                    noise_only: r.noise_only,
                })
                .collect();
        }
        self.trimmed = object.trimmed;
        // A trimmed revision can no longer be selected or compared with.
        let exists = |s: &Option<u64>| s.is_none_or(|s| self.rows.iter().any(|r| r.serial == s));
        if !exists(&self.selected) {
            self.selected = None;
        }
        if !exists(&self.base) {
            self.base = None;
        }
        let wanted = (self.selected, self.base, self.noise, newest);
        if self.built == Some(wanted) {
            return;
        }
        self.built = Some(wanted);
        let at = self.selected_index();
        // Revisions in the history count oldest first; rows newest first.
        let index_of = |row: usize| revisions.len() - 1 - row;
        let selected = &self.rows[at];
        let against = match self
            .base
            .and_then(|b| self.rows.iter().position(|r| r.serial == b))
        {
            Some(b) if b != at => Some(b),
            Some(_) => None,
            None => (at + 1 < self.rows.len()).then_some(at + 1),
        };
        let (new, old) = match against {
            None => (object.object(index_of(at)), None),
            Some(b) => match object.pair(index_of(at), index_of(b)) {
                Some((new, old)) => (Some(new), Some(old)),
                None => (None, None),
            },
        };
        let hide = |mut o: serde_json::Value| {
            crate::cluster::secrets::hide_secret_values(&mut o);
            diff::strip_owned(o, &self.noise)
        };
        let Some(new) = new.map(hide) else {
            *lines = vec!["this revision cannot be rebuilt (its delta did not fit)".into()];
            return;
        };
        match (against, old) {
            (Some(b), Some(old)) => {
                let old = hide(old);
                self.compared = format!(
                    "rv {} against rv {}",
                    selected.resource_version, self.rows[b].resource_version
                );
                let text = diff::unified(&old, &new, false);
                *lines = if text.is_empty() {
                    vec![match selected.change {
                        Change::Deleted => "deleted: the last copy is the revision below".into(),
                        _ => "no difference besides the hidden noise (v m o t S show it)".into(),
                    }]
                } else {
                    text.lines().map(str::to_string).collect()
                };
            }
            _ => {
                self.compared =
                    format!("rv {}, the oldest revision kept", selected.resource_version);
                *lines = diff::yaml(&new).lines().map(|l| format!(" {l}")).collect();
            }
        }
    }

    /// The noise filters, as the header lists them: `-rv -managed …`, or `all fields`.
    pub fn noise_label(&self) -> String {
        let n = &self.noise;
        let hidden: Vec<&str> = [
            (n.resource_version, "rv"),
            (n.managed_fields, "managed"),
            (n.generation, "gen"),
            (n.timestamps, "times"),
            (n.status, "status"),
        ]
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, name)| *name)
        .collect();
        if hidden.is_empty() {
            "all fields".into()
        } else {
            format!("hiding {}", hidden.join(" "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn deploy(rv: u64, replicas: u64, ready: u64) -> serde_json::Value {
        json!({"metadata": {"name": "web", "namespace": "shop", "resourceVersion": rv.to_string()},
               "spec": {"replicas": replicas}, "status": {"readyReplicas": ready}})
    }

    fn key() -> HistoryKey {
        HistoryKey {
            resource: "deployments.apps".into(),
            namespace: "shop".into(),
            name: "web".into(),
        }
    }

    #[test]
    fn the_newest_revision_is_followed_and_diffed_against_its_predecessor() {
        let mut h = History::default();
        let mut d = DiffState::new(key());
        let mut lines = Vec::new();
        d.refresh(&h, &mut lines);
        assert!(lines[0].starts_with("no revisions of web yet"));
        h.record(&key(), &deploy(10, 3, 3), 1);
        d.refresh(&h, &mut lines);
        assert_eq!(d.compared, "rv 10, the oldest revision kept");
        assert!(lines.contains(&"   replicas: 3".to_string()), "{lines:?}");
        h.record(&key(), &deploy(11, 5, 3), 2);
        d.refresh(&h, &mut lines);
        assert_eq!(d.rows.len(), 2);
        assert_eq!(d.compared, "rv 11 against rv 10");
        assert!(lines.contains(&"-  replicas: 3".to_string()), "{lines:?}");
        assert!(lines.contains(&"+  replicas: 5".to_string()));
        assert!(!lines.iter().any(|l| l.contains("resourceVersion")));
    }

    #[test]
    fn any_two_revisions_compare_and_noise_toggles_rebuild_the_diff() {
        let mut h = History::default();
        for (i, (r, ready)) in [(3, 3), (5, 3), (5, 5)].iter().enumerate() {
            h.record(&key(), &deploy(10 + i as u64, *r, *ready), i as i64);
        }
        let mut d = DiffState::new(key());
        let mut lines = Vec::new();
        d.refresh(&h, &mut lines);
        d.step(2);
        d.refresh(&h, &mut lines);
        assert_eq!(d.compared, "rv 10, the oldest revision kept");
        d.toggle_base();
        d.step(-2);
        d.refresh(&h, &mut lines);
        assert_eq!(d.compared, "rv 12 against rv 10");
        assert!(lines.contains(&"+  replicas: 5".to_string()));
        assert!(lines.contains(&"+  readyReplicas: 5".to_string()));
        d.noise = Noise::NONE;
        d.refresh(&h, &mut lines);
        assert!(
            lines.contains(&"-  resourceVersion: '10'".to_string()),
            "{lines:?}"
        );
        d.noise.status = true;
        d.refresh(&h, &mut lines);
        assert!(!lines.iter().any(|l| l.contains("readyReplicas")));
        assert_eq!(
            d.noise_label(),
            "hiding status",
            "only the status is hidden now"
        );
    }

    #[test]
    fn a_secrets_values_are_never_shown_but_a_change_is() {
        let mut h = History::default();
        let k = HistoryKey {
            resource: "secrets".into(),
            namespace: "shop".into(),
            name: "db".into(),
        };
        let secret = |rv: &str, pw: &str| {
            json!({"apiVersion": "v1", "kind": "Secret",
                   "metadata": {"name": "db", "resourceVersion": rv}, "data": {"password": pw}})
        };
        h.record(&k, &secret("1", "aHVudGVyMg=="), 1);
        h.record(&k, &secret("2", "c2VjcmV0"), 2);
        let mut d = DiffState::new(k);
        let mut lines = Vec::new();
        d.refresh(&h, &mut lines);
        let text = lines.join("\n");
        assert!(
            !text.contains("aHVudGVyMg==") && !text.contains("c2VjcmV0"),
            "{text}"
        );
        assert!(
            text.contains("-  password: '<hidden: 12 chars, #"),
            "{text}"
        );
        assert!(text.contains("+  password: '<hidden: 8 chars, #"), "{text}");
    }

    #[test]
    fn a_deleted_object_ends_with_a_deleted_entry() {
        let mut h = History::default();
        h.record(&key(), &deploy(10, 3, 3), 1);
        h.deleted(&key(), 2);
        let mut d = DiffState::new(key());
        let mut lines = Vec::new();
        d.refresh(&h, &mut lines);
        assert_eq!(d.rows[0].change, Change::Deleted);
        assert_eq!(lines, ["deleted: the last copy is the revision below"]);
    }
}
