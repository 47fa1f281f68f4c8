//! Fault injection: knobs that tests (in-process or over `/sim/faults`) and `kx sim` flags turn.

use serde::{Deserialize, Serialize};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use tokio::sync::Notify;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct FaultSettings {
    /// Close every watch this many seconds after it opened (0: never).
    pub watch_close_after_secs: f64,
    /// Fraction of API requests (0..1) that fail with `error_code`.
    pub error_rate: f64,
    /// 429, 500 or 503.
    pub error_code: u16,
    /// Added to every API request.
    pub latency_ms: u64,
    /// While true, log streams send nothing more (the connection stays open).
    pub stall_logs: bool,
    /// RBAC denials, as `VERB RESOURCE [NAME]` (`list secrets`, `get pods/log`, `* nodes`,
    /// `get pods/log db-0`): matching requests get 403 Forbidden as a real API server words it.
    pub forbidden: Vec<String>,
    /// Fraction of log requests (0..1) that fail as an overloaded kubelet's do: a 500 whose
    /// message names the kubelet URL, as a real API server relays it.
    pub log_error_rate: f64,
    /// Pods whose log requests always fail that way (a kubelet that is down).
    pub failing_logs: Vec<String>,
}

impl FaultSettings {
    pub fn forbids(&self, verb: &str, resource: &str, name: Option<&str>) -> bool {
        self.forbidden.iter().any(|rule| {
            let mut words = rule.split_whitespace();
            let (v, r) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
            let n = words.next();
            (v == "*" || v == verb)
                && (r == "*" || r == resource)
                && n.is_none_or(|n| Some(n) == name)
        })
    }
}

#[derive(Default)]
pub struct Faults {
    settings: Mutex<FaultSettings>,
    gone_watches: AtomicU32,
    request_counter: AtomicU64,
    log_counter: AtomicU64,
    /// Woken to drop every connection; the listener comes back on the same port.
    pub drop_connections: Notify,
    /// How long the port stays closed after the next drop, in milliseconds (an outage).
    outage_ms: AtomicU64,
    /// Counts drops, for upgraded connections (exec, port-forward) that live outside the
    /// listener's set: they end when it moves.
    drops: AtomicU64,
}

impl Faults {
    pub fn settings(&self) -> FaultSettings {
        self.settings
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn set(&self, settings: FaultSettings) {
        *self.settings.lock().unwrap_or_else(|e| e.into_inner()) = settings;
    }

    pub fn update(&self, change: impl FnOnce(&mut FaultSettings)) {
        change(&mut self.settings.lock().unwrap_or_else(|e| e.into_inner()));
    }

    /// Answer the next `n` watches with 410 Gone.
    pub fn gone_next_watches(&self, n: u32) {
        self.gone_watches.store(n, Ordering::SeqCst);
    }

    pub fn take_gone_watch(&self) -> bool {
        self.gone_watches
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
    }

    /// Whether this request should fail, spread evenly (every 1/rate-th request) so tests are repeatable.
    pub fn should_fail_request(&self) -> Option<u16> {
        let s = self.settings();
        if s.error_rate <= 0.0 {
            return None;
        }
        let n = self.request_counter.fetch_add(1, Ordering::SeqCst) + 1;
        let rate = s.error_rate.min(1.0);
        let before = ((n - 1) as f64 * rate).floor();
        let after = (n as f64 * rate).floor();
        (after > before).then_some(if s.error_code == 0 { 500 } else { s.error_code })
    }

    /// Whether this log request should fail as a kubelet that refuses (see `log_error_rate`).
    pub fn should_fail_log(&self, pod: &str) -> bool {
        let s = self.settings();
        if s.failing_logs.iter().any(|p| p == pod || p == "*") {
            return true;
        }
        if s.log_error_rate <= 0.0 {
            return false;
        }
        let n = self.log_counter.fetch_add(1, Ordering::SeqCst) + 1;
        let rate = s.log_error_rate.min(1.0);
        ((n - 1) as f64 * rate).floor() < (n as f64 * rate).floor()
    }

    pub fn drop_all_connections(&self) {
        // A stored permit: the listener may be busy accepting when this is asked.
        self.drops.fetch_add(1, Ordering::SeqCst);
        self.drop_connections.notify_one();
    }

    /// How many drops there have been: a session started at one count ends when it changes.
    pub fn drop_count(&self) -> u64 {
        self.drops.load(Ordering::SeqCst)
    }

    /// Drops every connection and refuses new ones for `down` (an API server restart), then
    /// listens again on the same port with the state kept.
    pub fn outage(&self, down: std::time::Duration) {
        self.outage_ms.store(
            down.as_millis().min(u64::MAX as u128) as u64,
            Ordering::SeqCst,
        );
        // A stored permit: the listener may be busy accepting when this is asked.
        self.drops.fetch_add(1, Ordering::SeqCst);
        self.drop_connections.notify_one();
    }

    /// How long the port stays closed for the drop now under way.
    pub fn take_outage(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.outage_ms.swap(0, Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_rate_fails_that_fraction_of_requests() {
        let f = Faults::default();
        f.set(FaultSettings {
            error_rate: 0.25,
            error_code: 503,
            ..Default::default()
        });
        let failed = (0..100)
            .filter_map(|_| f.should_fail_request())
            .collect::<Vec<_>>();
        assert_eq!(failed.len(), 25);
        assert!(failed.iter().all(|c| *c == 503));
    }

    #[test]
    fn gone_watches_are_counted_down() {
        let f = Faults::default();
        f.gone_next_watches(2);
        assert!(f.take_gone_watch());
        assert!(f.take_gone_watch());
        assert!(!f.take_gone_watch());
    }
}
