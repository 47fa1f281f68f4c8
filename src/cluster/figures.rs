//! A usage reading as numbers, one small record per row, and how each usage column reads it.
//! A list keeps the numbers and writes text only for the rows on screen; sorting compares the
//! numbers. Six strings on each of 100k rows, rewritten every reading, cost the UI thread a
//! sixth of a second and the process half again its memory. Pure: no IO.

use super::quantity::{show_bytes, show_millicores};
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
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Figures {
    /// From the metrics API; None when it does not list the row, or is not served.
    pub used: Option<Amounts>,
    pub requested: Option<Amounts>,
    /// A pod's limits, a node's allocatable: what a share of "L" or "A" is a share of.
    pub cpu_ceiling: Option<u64>,
    pub mem_ceiling: Option<u64>,
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

fn amount(of: Option<Amounts>, r: Resource) -> Option<u64> {
    of.map(|a| match r {
        Resource::Cpu => a.cpu,
        Resource::Mem => a.mem,
    })
}

fn ceiling(f: &Figures, r: Resource) -> Option<u64> {
    match r {
        Resource::Cpu => f.cpu_ceiling,
        Resource::Mem => f.mem_ceiling,
    }
}

/// `part` as a rounded percentage of `whole`; None without a whole to be a share of.
fn percent(part: Option<u64>, whole: Option<u64>) -> Option<u64> {
    match (part, whole) {
        (Some(p), Some(w)) if w > 0 => Some((p.saturating_mul(100) + w / 2) / w),
        _ => None,
    }
}

impl Measure {
    /// The number the column shows (and sorts by): millicores, bytes or percent.
    pub fn value(self, f: &Figures) -> Option<u64> {
        match self {
            Measure::Used(r) => amount(f.used, r),
            Measure::Requested(r) => amount(f.requested, r),
            Measure::Ceiling(r) => ceiling(f, r),
            Measure::UsedOfRequested(r) => percent(amount(f.used, r), amount(f.requested, r)),
            Measure::UsedOfCeiling(r) => percent(amount(f.used, r), ceiling(f, r)),
            Measure::RequestedOfCeiling(r) => percent(amount(f.requested, r), ceiling(f, r)),
        }
    }

    /// The cell's text, as `kubectl top` writes amounts: `250m`, `64Mi`, `40%`, or `n/a`.
    pub fn text(self, f: &Figures) -> String {
        let Some(v) = self.value(f) else {
            return NOT_AVAILABLE.to_string();
        };
        match self {
            Measure::Used(r) | Measure::Requested(r) | Measure::Ceiling(r) => match r {
                Resource::Cpu => show_millicores(v),
                Resource::Mem => show_bytes(v),
            },
            _ => format!("{v}%"),
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

/// The key a reading files a row's figures under: `namespace/name` (`/name` for a node).
/// Neither part can hold a `/`, so keys never collide.
pub fn key_into(buf: &mut String, namespace: &str, name: &str) {
    buf.clear();
    buf.push_str(namespace);
    buf.push('/');
    buf.push_str(name);
}

pub fn key(namespace: &str, name: &str) -> String {
    let mut k = String::with_capacity(namespace.len() + name.len() + 1);
    key_into(&mut k, namespace, name);
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(columns: &[UsageColumn], f: &Figures) -> Vec<String> {
        columns.iter().map(|c| c.measure.text(f)).collect()
    }

    #[test]
    fn each_column_reads_its_share_and_says_na_without_a_whole() {
        let pod = Figures {
            used: Some(Amounts {
                cpu: 75,
                mem: 96 << 20,
            }),
            requested: Some(Amounts {
                cpu: 150,
                mem: 64 << 20,
            }),
            cpu_ceiling: None,
            mem_ceiling: Some(192 << 20),
        };
        assert_eq!(
            texts(&POD_COLUMNS, &pod),
            ["75m", "96Mi", "50%", "n/a", "150%", "50%"]
        );
        let unread = Figures { used: None, ..pod };
        assert!(texts(&POD_COLUMNS, &unread).iter().all(|t| t == "n/a"));
        // A request of zero is no whole to be a share of.
        let zero = Figures {
            requested: Some(Amounts::default()),
            ..pod
        };
        assert_eq!(UsedOfRequested(Cpu).value(&zero), None);
        // Sorting reads numbers: 1500m is more than 250m whatever their text.
        let (a, b) = (
            Figures {
                used: Some(Amounts { cpu: 1500, mem: 0 }),
                ..pod
            },
            Figures {
                used: Some(Amounts { cpu: 250, mem: 0 }),
                ..pod
            },
        );
        assert!(Used(Cpu).value(&a) > Used(Cpu).value(&b));
    }

    #[test]
    fn a_node_shows_what_its_pods_request_of_allocatable_without_a_metrics_api() {
        let node = Figures {
            used: None,
            requested: Some(Amounts {
                cpu: 1000,
                mem: 2 << 30,
            }),
            cpu_ceiling: Some(4000),
            mem_ceiling: Some(8 << 30),
        };
        assert_eq!(
            texts(&NODE_COLUMNS, &node),
            [
                "n/a", "n/a", "n/a", "n/a", "25%", "25%", "4000m", "8192Mi", "1000m", "2048Mi"
            ]
        );
        let used = Figures {
            used: Some(Amounts {
                cpu: 2000,
                mem: 1 << 30,
            }),
            ..node
        };
        assert_eq!(
            &texts(&NODE_COLUMNS, &used)[..4],
            ["2000m", "50%", "1024Mi", "13%"]
        );
    }
}
