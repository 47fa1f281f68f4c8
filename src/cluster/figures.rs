//! A usage reading as numbers, one small record per row, and how each usage column reads it.
//! A list keeps the numbers and writes text only for the rows on screen; sorting compares the
//! numbers. Six strings on each of 100k rows, rewritten every reading, cost the UI thread a
//! sixth of a second and the process half again its memory. Pure: no IO.

use super::quantity::{push_bytes, push_millicores, push_number};
use super::rows::Column;
use Measure::{Ceiling, Requested, RequestedOfCeiling, Used, UsedOfCeiling, UsedOfRequested};
use Resource::{Cpu, Mem};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Amounts {
    /// Millicores.
    pub cpu: u64,
    /// Bytes.
    pub mem: u64,
}

/// One row's numbers from a reading.
/// - A pod: what it uses, requests, and its limits (each only when every container has one).
/// - A node: what it uses, what its pods request, and what it can allocate.
///
/// Kept as millicores (32 bits: four million cores) and bytes, the top value of each for a
/// figure the reading lacks: 40 bytes a row, 4 MB at 100k pods.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Figures {
    cpu: [u32; 3],
    mem: [u64; 3],
}

const USED: usize = 0;
const REQUESTED: usize = 1;
const CEILING: usize = 2;

impl Default for Figures {
    fn default() -> Figures {
        Figures {
            cpu: [u32::MAX; 3],
            mem: [u64::MAX; 3],
        }
    }
}

/// What does not fit is capped, never taken for unknown (the top value).
fn pack_cpu(v: Option<u64>) -> u32 {
    v.map_or(u32::MAX, |v| {
        u32::try_from(v).unwrap_or(u32::MAX).min(u32::MAX - 1)
    })
}

fn pack_mem(v: Option<u64>) -> u64 {
    v.map_or(u64::MAX, |v| v.min(u64::MAX - 1))
}

impl Figures {
    /// `used`: from the metrics API (None when it does not list the row, or is not served).
    /// A pod's ceilings are its limits, a node's what it can allocate.
    pub fn new(
        used: Option<Amounts>,
        requested: Option<Amounts>,
        cpu_ceiling: Option<u64>,
        mem_ceiling: Option<u64>,
    ) -> Figures {
        let mut f = Figures::default().with_used(used);
        f.cpu[REQUESTED] = pack_cpu(requested.map(|a| a.cpu));
        f.mem[REQUESTED] = pack_mem(requested.map(|a| a.mem));
        f.cpu[CEILING] = pack_cpu(cpu_ceiling);
        f.mem[CEILING] = pack_mem(mem_ceiling);
        f
    }

    /// The same figures with another usage reading.
    pub fn with_used(mut self, used: Option<Amounts>) -> Figures {
        self.cpu[USED] = pack_cpu(used.map(|a| a.cpu));
        self.mem[USED] = pack_mem(used.map(|a| a.mem));
        self
    }

    /// Millicores or bytes.
    fn amount(&self, at: usize, r: Resource) -> Option<u64> {
        match r {
            Resource::Cpu => {
                let v = *self.cpu.get(at)?;
                (v != u32::MAX).then_some(u64::from(v))
            }
            Resource::Mem => {
                let v = *self.mem.get(at)?;
                (v != u64::MAX).then_some(v)
            }
        }
    }

    /// The usage reading, if these figures have one.
    pub fn amounts_used(&self) -> Option<Amounts> {
        Some(Amounts {
            cpu: self.used(Resource::Cpu)?,
            mem: self.used(Resource::Mem)?,
        })
    }

    pub fn used(&self, r: Resource) -> Option<u64> {
        self.amount(USED, r)
    }

    pub fn requested(&self, r: Resource) -> Option<u64> {
        self.amount(REQUESTED, r)
    }

    pub fn ceiling(&self, r: Resource) -> Option<u64> {
        self.amount(CEILING, r)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Resource {
    Cpu,
    Mem,
}

/// What a usage column shows of a row's figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Measure {
    Used(Resource),
    Requested(Resource),
    Ceiling(Resource),
    /// Percentages, rounded to the nearest whole one.
    UsedOfRequested(Resource),
    UsedOfCeiling(Resource),
    RequestedOfCeiling(Resource),
}

/// What a figure the reading does not have says.
pub const NOT_AVAILABLE: &str = "n/a";

/// `part` as a rounded percentage of `whole`; None without a whole to be a share of.
fn percent(part: Option<u64>, whole: Option<u64>) -> Option<u64> {
    match (part, whole) {
        (Some(p), Some(w)) if w > 0 => Some(
            match p.checked_mul(100).and_then(|h| h.checked_add(w / 2)) {
                // Every amount a pod or node has: 64-bit division, several times cheaper than
                // 128-bit, and done for each share cell on screen every frame.
                Some(scaled) => scaled / w,
                // In 128 bits: a share of amounts near the top of u64 does not overflow.
                _ => {
                    let rounded = (u128::from(p) * 100 + u128::from(w) / 2) / u128::from(w);
                    u64::try_from(rounded).unwrap_or(u64::MAX)
                }
            },
        ),
        _ => None,
    }
}

impl Measure {
    /// The number the column shows (and sorts by): millicores, bytes or percent.
    pub fn value(self, f: &Figures) -> Option<u64> {
        match self {
            Measure::Used(r) => f.used(r),
            Measure::Requested(r) => f.requested(r),
            Measure::Ceiling(r) => f.ceiling(r),
            Measure::UsedOfRequested(r) => percent(f.used(r), f.requested(r)),
            Measure::UsedOfCeiling(r) => percent(f.used(r), f.ceiling(r)),
            Measure::RequestedOfCeiling(r) => percent(f.requested(r), f.ceiling(r)),
        }
    }

    /// The cell's text, as `kubectl top` writes amounts: `250m`, `64Mi`, `40%`, or `n/a`.
    pub fn text(self, f: &Figures) -> String {
        let mut text = String::new();
        self.write(f, &mut text);
        text
    }

    /// Appends the cell's text to `out`; returns the number written, if there was one.
    pub fn write(self, f: &Figures, out: &mut String) -> Option<u64> {
        let Some(v) = self.value(f) else {
            out.push_str(NOT_AVAILABLE);
            return None;
        };
        match self {
            Measure::Used(Resource::Cpu)
            | Measure::Requested(Resource::Cpu)
            | Measure::Ceiling(Resource::Cpu) => push_millicores(out, v),
            Measure::Used(Resource::Mem)
            | Measure::Requested(Resource::Mem)
            | Measure::Ceiling(Resource::Mem) => push_bytes(out, v),
            _ => push_number(out, v, "%"),
        }
        Some(v)
    }

    /// The resource a percentage is a share of; None for amounts.
    pub fn share_of(self) -> Option<Resource> {
        match self {
            Measure::Used(_) | Measure::Requested(_) | Measure::Ceiling(_) => None,
            Measure::UsedOfRequested(r)
            | Measure::UsedOfCeiling(r)
            | Measure::RequestedOfCeiling(r) => Some(r),
        }
    }
}

/// One of the columns kx adds after the server's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UsageColumn {
    pub name: &'static str,
    /// Shown in wide mode only.
    pub wide: bool,
    pub measure: Measure,
}

impl UsageColumn {
    pub fn column(&self) -> Column {
        Column {
            name: self.name.into(),
            type_: "number".into(),
            format: "kx-usage".into(),
            priority: i64::from(self.wide),
        }
    }
}

const fn column(name: &'static str, wide: bool, measure: Measure) -> UsageColumn {
    UsageColumn {
        name,
        wide,
        measure,
    }
}

/// The pods list's: CPU and MEM, and in wide mode their shares of requests and limits.
pub const POD_COLUMNS: [UsageColumn; 6] = [
    column("CPU", false, Used(Cpu)),
    column("MEM", false, Used(Mem)),
    column("%CPU/R", true, UsedOfRequested(Cpu)),
    column("%CPU/L", true, UsedOfCeiling(Cpu)),
    column("%MEM/R", true, UsedOfRequested(Mem)),
    column("%MEM/L", true, UsedOfCeiling(Mem)),
];

/// The nodes list's: usage and its share of allocatable, what pods request of it, and in wide
/// mode the amounts themselves.
pub const NODE_COLUMNS: [UsageColumn; 10] = [
    column("CPU", false, Used(Cpu)),
    column("%CPU", false, UsedOfCeiling(Cpu)),
    column("MEM", false, Used(Mem)),
    column("%MEM", false, UsedOfCeiling(Mem)),
    column("REQ%CPU", false, RequestedOfCeiling(Cpu)),
    column("REQ%MEM", false, RequestedOfCeiling(Mem)),
    column("CPU/A", true, Ceiling(Cpu)),
    column("MEM/A", true, Ceiling(Mem)),
    column("CPU/RQ", true, Requested(Cpu)),
    column("MEM/RQ", true, Requested(Mem)),
];

/// The key a reading files a row's figures under: a 64-bit fingerprint of `namespace/name`
/// (an empty namespace for a node). Strings for 100k keys took more memory than the figures
/// they keyed. Two of 100k names meeting in 64 bits is a chance of about 3 in 10^10; it would
/// show one pod's usage on the other (or n/a, once either is deleted) until those pods change
/// or the list is read again.
pub fn fingerprint(namespace: &str, name: &str) -> u64 {
    use std::hash::Hasher;
    // Fixed keys: the same fingerprint wherever it is taken in the process.
    let mut h = std::hash::DefaultHasher::new();
    h.write(namespace.as_bytes());
    h.write_u8(b'/');
    h.write(name.as_bytes());
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(columns: &[UsageColumn], f: &Figures) -> Vec<String> {
        columns.iter().map(|c| c.measure.text(f)).collect()
    }

    fn amounts(cpu: u64, mem: u64) -> Option<Amounts> {
        Some(Amounts { cpu, mem })
    }

    #[test]
    fn each_column_reads_its_share_and_says_na_without_a_whole() {
        let pod = Figures::new(
            amounts(75, 96 << 20),
            amounts(150, 64 << 20),
            None,
            Some(192 << 20),
        );
        assert_eq!(
            texts(&POD_COLUMNS, &pod),
            ["75m", "96Mi", "50%", "n/a", "150%", "50%"]
        );
        let unread = pod.with_used(None);
        assert!(texts(&POD_COLUMNS, &unread).iter().all(|t| t == "n/a"));
        assert!(
            texts(&POD_COLUMNS, &Figures::default())
                .iter()
                .all(|t| t == "n/a")
        );
        // A request of zero is no whole to be a share of.
        let zero = Figures::new(amounts(75, 0), amounts(0, 0), None, None);
        assert_eq!(UsedOfRequested(Cpu).value(&zero), None);
        // Sorting reads numbers: 1500m is more than 250m whatever their text.
        let (a, b) = (
            pod.with_used(amounts(1500, 0)),
            pod.with_used(amounts(250, 0)),
        );
        assert!(Used(Cpu).value(&a) > Used(Cpu).value(&b));
        // Shares of small amounts are exact (1.4 of 2.6 MiB is 54%), and the largest amounts
        // are capped, never taken for unknown.
        let small = Figures::new(amounts(0, 1468006), None, None, Some(2726297));
        assert_eq!(UsedOfCeiling(Mem).text(&small), "54%");
        let odd = Figures::new(amounts(u64::MAX, 0), None, Some(u64::MAX), None);
        assert_eq!(Ceiling(Cpu).value(&odd), Some(u64::from(u32::MAX - 1)));
        assert_eq!(UsedOfCeiling(Cpu).text(&odd), "100%");
        let huge = Figures::new(amounts(0, u64::MAX), None, None, None);
        assert_eq!(Used(Mem).text(&huge), format!("{}Mi", (u64::MAX - 1) >> 20));
        // The 64-bit shortcut rounds as the 128-bit sum does, up to where it hands over.
        let in_128_bits = |p: u64, w: u64| {
            let r = (u128::from(p) * 100 + u128::from(w) / 2) / u128::from(w);
            u64::try_from(r).unwrap_or(u64::MAX)
        };
        for (p, w) in [
            (1, 3),
            (2, 3),
            (1, 200),
            (149, 1000),
            (u64::MAX / 100, 7),
            (u64::MAX / 100 + 1, 7),
            (u64::MAX / 200, u64::MAX / 3),
            (u64::MAX, u64::MAX),
        ] {
            assert_eq!(
                percent(Some(p), Some(w)),
                Some(in_128_bits(p, w)),
                "{p}/{w}"
            );
        }
        // Written after what a frame's string already holds, n/a included.
        let mut out = String::from("|");
        for m in [Used(Cpu), UsedOfCeiling(Cpu), Requested(Mem)] {
            m.write(&pod, &mut out);
            out.push('|');
        }
        assert_eq!(out, "|75m|n/a|64Mi|");
        // Only the percentages are shares, each of its own resource.
        assert_eq!(UsedOfCeiling(Mem).share_of(), Some(Mem));
        assert_eq!(RequestedOfCeiling(Cpu).share_of(), Some(Cpu));
        assert_eq!(Used(Mem).share_of(), None);
    }

    #[test]
    fn fingerprints_tell_namespace_from_name() {
        assert_eq!(fingerprint("shop", "web-1"), fingerprint("shop", "web-1"));
        assert_ne!(fingerprint("shop", "web-1"), fingerprint("shop", "web-2"));
        assert_ne!(fingerprint("a", "bc"), fingerprint("ab", "c"));
        assert_ne!(fingerprint("", "n1"), fingerprint("n1", ""));
    }

    #[test]
    fn a_node_shows_what_its_pods_request_of_allocatable_without_a_metrics_api() {
        let node = Figures::new(None, amounts(1000, 2 << 30), Some(4000), Some(8 << 30));
        assert_eq!(
            texts(&NODE_COLUMNS, &node),
            [
                "n/a", "n/a", "n/a", "n/a", "25%", "25%", "4000m", "8192Mi", "1000m", "2048Mi"
            ]
        );
        let used = node.with_used(amounts(2000, 1 << 30));
        assert_eq!(
            &texts(&NODE_COLUMNS, &used)[..4],
            ["2000m", "50%", "1024Mi", "13%"]
        );
    }
}
