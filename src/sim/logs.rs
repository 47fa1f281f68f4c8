//! Container logs, computed rather than stored: line `k` of a container instance is written at
//! `start + phase + k * interval` and its text is a pure function of (seed, pod, container,
//! instance, k). So the simulator always knows exactly what it wrote, which is what tests
//! compare kx's output against, and logs cost no memory at 100,000 pods.

use std::collections::HashMap;
use std::sync::Mutex;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavour {
    /// nginx-style access log lines.
    Access,
    /// One JSON object per line, with a level.
    Json,
    /// logfmt-ish lines with levels, and multi-line stack traces now and then.
    Mixed,
}

impl Flavour {
    pub fn for_image(image: &str) -> Flavour {
        if image.contains("nginx") || image.contains("envoy") {
            Flavour::Access
        } else if image.contains("api") || image.contains("json") || image.contains("prom") {
            Flavour::Json
        } else {
            Flavour::Mixed
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Instance {
    pub start_ns: i128,
    pub end_ns: Option<i128>,
}

#[derive(Debug, Clone)]
struct ContainerLog {
    flavour: Flavour,
    instances: Vec<Instance>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    pub index: u64,
    pub ts_ns: i128,
    pub text: String,
}

type PodKey = (String, String);

pub struct LogBook {
    seed: u64,
    interval_ns: i128,
    pods: Mutex<HashMap<PodKey, HashMap<String, ContainerLog>>>,
}

fn mix(mut x: u64) -> u64 {
    // splitmix64 finaliser: a well-spread hash of a counter.
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

fn hash_str(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
    })
}

pub fn now_ns() -> i128 {
    jiff::Timestamp::now().as_nanosecond()
}

/// kubelet's timestamp form: RFC 3339 with nanoseconds, trailing zeros trimmed.
pub fn format_ts(ts_ns: i128) -> String {
    match jiff::Timestamp::from_nanosecond(ts_ns) {
        Ok(t) => t.to_string(),
        Err(_) => String::from("1970-01-01T00:00:00Z"),
    }
}

impl LogBook {
    pub fn new(seed: u64, lines_per_sec: f64) -> Self {
        let rate = if lines_per_sec > 0.0 {
            lines_per_sec
        } else {
            1.0
        };
        LogBook {
            seed,
            interval_ns: ((1e9 / rate) as i128).max(1),
            pods: Mutex::new(HashMap::new()),
        }
    }

    pub fn interval_ns(&self) -> i128 {
        self.interval_ns
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<PodKey, HashMap<String, ContainerLog>>> {
        self.pods.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn start_instance(
        &self,
        ns: &str,
        pod: &str,
        container: &str,
        flavour: Flavour,
        at_ns: i128,
    ) {
        let mut pods = self.lock();
        let log = pods
            .entry((ns.to_string(), pod.to_string()))
            .or_default()
            .entry(container.to_string())
            .or_insert(ContainerLog {
                flavour,
                instances: Vec::new(),
            });
        if let Some(last) = log.instances.last_mut()
            && last.end_ns.is_none()
        {
            last.end_ns = Some(at_ns);
        }
        log.instances.push(Instance {
            start_ns: at_ns,
            end_ns: None,
        });
    }

    pub fn end_instance(&self, ns: &str, pod: &str, container: &str, at_ns: i128) {
        let mut pods = self.lock();
        if let Some(last) = pods
            .get_mut(&(ns.to_string(), pod.to_string()))
            .and_then(|p| p.get_mut(container))
            .and_then(|c| c.instances.last_mut())
            && last.end_ns.is_none()
        {
            last.end_ns = Some(at_ns);
        }
    }

    pub fn forget_pod(&self, ns: &str, pod: &str) {
        self.lock().remove(&(ns.to_string(), pod.to_string()));
    }

    /// The instances of a container, oldest first.
    pub fn instances(&self, ns: &str, pod: &str, container: &str) -> Vec<Instance> {
        self.lock()
            .get(&(ns.to_string(), pod.to_string()))
            .and_then(|p| p.get(container))
            .map(|c| c.instances.clone())
            .unwrap_or_default()
    }

    fn flavour(&self, ns: &str, pod: &str, container: &str) -> Flavour {
        self.lock()
            .get(&(ns.to_string(), pod.to_string()))
            .and_then(|p| p.get(container))
            .map_or(Flavour::Mixed, |c| c.flavour)
    }

    fn phase_ns(&self, pod: &str, container: &str, instance: usize) -> i128 {
        let h =
            mix(self.seed ^ hash_str(pod) ^ hash_str(container).rotate_left(17) ^ instance as u64);
        (h % self.interval_ns.max(1) as u64) as i128
    }

    /// How many lines an instance had written by `at_ns`.
    pub fn written_by(
        &self,
        pod: &str,
        container: &str,
        instance_index: usize,
        inst: Instance,
        at_ns: i128,
    ) -> u64 {
        let until = inst.end_ns.map_or(at_ns, |e| e.min(at_ns));
        let first = inst.start_ns + self.phase_ns(pod, container, instance_index);
        if until < first {
            return 0;
        }
        ((until - first) / self.interval_ns) as u64 + 1
    }

    /// Line `k` of an instance: when it was written and what it says.
    pub fn line(
        &self,
        ns: &str,
        pod: &str,
        container: &str,
        instance_index: usize,
        inst: Instance,
        k: u64,
    ) -> LogLine {
        let ts_ns = inst.start_ns
            + self.phase_ns(pod, container, instance_index)
            + k as i128 * self.interval_ns;
        let h = mix(self.seed
            ^ hash_str(pod).rotate_left(7)
            ^ hash_str(container)
            ^ ((instance_index as u64) << 40)
            ^ k);
        let text = render(self.flavour(ns, pod, container), pod, k, h, ts_ns);
        LogLine {
            index: k,
            ts_ns,
            text,
        }
    }

    /// Every line an instance wrote with a timestamp in `[from_ns, to_ns]`: the simulator's own
    /// record, for tests to compare against what a client received.
    pub fn record(
        &self,
        ns: &str,
        pod: &str,
        container: &str,
        instance_index: usize,
        from_ns: i128,
        to_ns: i128,
    ) -> Vec<LogLine> {
        let Some(inst) = self
            .instances(ns, pod, container)
            .get(instance_index)
            .copied()
        else {
            return Vec::new();
        };
        // Never past now: an open instance has written nothing beyond it yet.
        let n = self.written_by(pod, container, instance_index, inst, to_ns.min(now_ns()));
        (0..n)
            .map(|k| self.line(ns, pod, container, instance_index, inst, k))
            .filter(|l| l.ts_ns >= from_ns)
            .collect()
    }
}

const PATHS: [&str; 6] = [
    "/",
    "/api/items",
    "/api/items/42",
    "/healthz",
    "/login",
    "/static/app.js",
];
const LEVELS: [&str; 4] = ["error", "warn", "info", "debug"];

fn level(h: u64) -> &'static str {
    match h % 100 {
        0..=4 => LEVELS[0],
        5..=14 => LEVELS[1],
        15..=29 => LEVELS[3],
        _ => LEVELS[2],
    }
}

fn render(flavour: Flavour, pod: &str, k: u64, h: u64, ts_ns: i128) -> String {
    let path = PATHS[(h >> 8) as usize % PATHS.len()];
    let status = match (h >> 16) % 20 {
        0 => 500,
        1 | 2 => 404,
        _ => 200,
    };
    let ms = (h >> 24) % 900 + 3;
    match flavour {
        Flavour::Access => format!(
            "10.244.{}.{} - - \"GET {path} HTTP/1.1\" {status} {} \"-\" \"kube-probe/1.36\" {ms}ms seq={k}",
            (h >> 32) % 8,
            (h >> 40) % 250 + 2,
            (h >> 48) % 4000 + 120
        ),
        Flavour::Json => format!(
            "{{\"ts\":\"{}\",\"level\":\"{}\",\"msg\":\"handled request\",\"path\":\"{path}\",\"status\":{status},\"duration_ms\":{ms},\"pod\":\"{pod}\",\"seq\":{k}}}",
            format_ts(ts_ns),
            level(h)
        ),
        Flavour::Mixed => match k % 40 {
            35 => format!(
                "level=error msg=\"job failed\" err=\"worker panicked: index out of range [3] with length 3\" seq={k}"
            ),
            36 => "goroutine 42 [running]:".to_string(),
            37 => "main.(*Worker).process(0xc000120000, {0xc0001a2000, 0x3, 0x3})".to_string(),
            38 => "\t/src/worker.go:118 +0x1d4".to_string(),
            39 => "created by main.(*Pool).Start in goroutine 1".to_string(),
            _ => format!(
                "level={} msg=\"processed batch\" items={} took={ms}ms seq={k}",
                level(h),
                (h >> 12) % 500
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_spaced_by_the_rate_and_stop_when_the_instance_ends() {
        let book = LogBook::new(7, 10.0);
        book.start_instance("a", "p", "c", Flavour::Json, 0);
        book.end_instance("a", "p", "c", 1_000_000_000);
        let rec = book.record("a", "p", "c", 0, 0, 5_000_000_000);
        assert_eq!(rec.len(), 10);
        assert!(
            rec.windows(2)
                .all(|w| w[1].ts_ns - w[0].ts_ns == 100_000_000)
        );
        assert!(rec[0].text.starts_with('{'));
    }

    #[test]
    fn the_same_seed_writes_the_same_lines_and_instances_differ() {
        let a = LogBook::new(1, 100.0);
        let b = LogBook::new(1, 100.0);
        for book in [&a, &b] {
            book.start_instance("n", "p", "c", Flavour::Mixed, 0);
            book.start_instance("n", "p", "c", Flavour::Mixed, 10_000_000_000);
        }
        let ra = a.record("n", "p", "c", 0, 0, 20_000_000_000);
        assert_eq!(ra, b.record("n", "p", "c", 0, 0, 20_000_000_000));
        assert_eq!(
            ra.len(),
            1000,
            "the first instance ended when the second started"
        );
        let second = a.record("n", "p", "c", 1, 0, 11_000_000_000);
        assert_ne!(second[0].text, ra[0].text);
    }

    #[test]
    fn kubelet_timestamps_trim_trailing_zeros() {
        assert_eq!(format_ts(1_500_000_000), "1970-01-01T00:00:01.5Z");
    }
}
