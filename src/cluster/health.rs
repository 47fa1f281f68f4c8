//! Whether a list row is healthy, read from the columns the server computed (kubectl's): a
//! pod's status and readiness, a workload's ready count against its desired one, a node's or a
//! claim's status. What the explorer's faults-only filter and pulse count. Pure.

use super::rows::{Column, Row};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RowHealth {
    Healthy,
    /// On its way (starting, rolling, terminating).
    Progressing,
    Failing,
}

/// The columns that tell, found once per column set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HealthColumns {
    status: Option<usize>,
    /// `a/b` (pods, deployments, stateful sets).
    ready: Option<usize>,
    /// A number of ready replicas beside a `Desired` one (daemon sets, replica sets).
    desired: Option<usize>,
}

const FINE: &[&str] = &[
    "Running",
    "Completed",
    "Succeeded",
    "Complete",
    "Active",
    "Ready",
    "Bound",
    "Available",
    "Established",
    "True",
];

const UNDER_WAY: &[&str] = &[
    "Pending",
    "ContainerCreating",
    "PodInitializing",
    "Terminating",
    "Suspended",
];

fn count(text: &str) -> Option<u64> {
    text.trim().parse().ok()
}

impl HealthColumns {
    pub fn of(columns: &[Column]) -> HealthColumns {
        let find = |name: &str| {
            columns
                .iter()
                .position(|c| c.name.eq_ignore_ascii_case(name))
        };
        let ready = find("Ready");
        let desired = find("Desired");
        HealthColumns {
            status: find("Status").or_else(|| find("Phase")),
            // A `Ready` column of plain numbers is compared with `Desired` instead.
            ready: if desired.is_some() { None } else { ready },
            desired: desired.zip(ready).map(|(d, _)| d),
        }
    }

    /// Whether these columns can tell anything (a ConfigMap's cannot: it is always healthy).
    pub fn knows(&self) -> bool {
        self.status.is_some() || self.ready.is_some() || self.desired.is_some()
    }

    pub fn judge(&self, columns: &[Column], row: &Row) -> RowHealth {
        if row.deleting {
            return RowHealth::Progressing;
        }
        let cell = |i: Option<usize>| i.and_then(|i| row.cells.get(i)).map(|c| c.as_ref());
        let mut verdict = RowHealth::Healthy;
        if let Some(status) = cell(self.status) {
            let first = status.split(',').next().unwrap_or_default();
            if status.contains("SchedulingDisabled") {
                verdict = RowHealth::Progressing;
            } else if matches!(first, "Completed" | "Succeeded" | "Complete") {
                return RowHealth::Healthy;
            } else if FINE.contains(&first) || first.is_empty() {
                // Read on: a running pod may not be ready.
            } else if UNDER_WAY.contains(&first) || first.starts_with("Init:") {
                verdict = RowHealth::Progressing;
            } else {
                return RowHealth::Failing;
            }
        }
        if let Some((have, want)) = cell(self.ready).and_then(|r| r.split_once('/'))
            && let (Some(have), Some(want)) = (count(have), count(want))
            && have < want
        {
            return RowHealth::Failing.min_with(verdict);
        }
        if let (Some(desired), Some(ready_at)) = (self.desired, columns_ready(columns)) {
            let want = row.cells.get(desired).and_then(|c| count(c));
            let have = row.cells.get(ready_at).and_then(|c| count(c));
            if let (Some(have), Some(want)) = (have, want)
                && have < want
            {
                return RowHealth::Failing;
            }
        }
        verdict
    }
}

fn columns_ready(columns: &[Column]) -> Option<usize> {
    columns
        .iter()
        .position(|c| c.name.eq_ignore_ascii_case("Ready"))
}

impl RowHealth {
    /// A pod that is starting is not failing for lacking readiness yet.
    fn min_with(self, status: RowHealth) -> RowHealth {
        if status == RowHealth::Progressing {
            RowHealth::Progressing
        } else {
            self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cols(names: &[&str]) -> Vec<Column> {
        names
            .iter()
            .map(|n| Column {
                name: n.to_string(),
                type_: "string".into(),
                format: String::new(),
                priority: 0,
            })
            .collect()
    }

    fn row(cells: &[&str]) -> Row {
        Row {
            uid: "u".into(),
            namespace: "ns".into(),
            name: cells[0].into(),
            resource_version: "1".into(),
            created: None,
            deleting: false,
            cells: cells.iter().map(|c| (*c).into()).collect(),
            search: Default::default(),
        }
    }

    #[test]
    fn pods_by_status_and_readiness() {
        let c = cols(&["Name", "Ready", "Status", "Restarts", "Age"]);
        let h = HealthColumns::of(&c);
        let judge = |ready, status| h.judge(&c, &row(&["p", ready, status, "0", "1m"]));
        assert_eq!(judge("1/1", "Running"), RowHealth::Healthy);
        assert_eq!(judge("0/1", "Running"), RowHealth::Failing);
        assert_eq!(judge("0/1", "CrashLoopBackOff"), RowHealth::Failing);
        assert_eq!(judge("0/1", "ImagePullBackOff"), RowHealth::Failing);
        assert_eq!(judge("0/1", "ContainerCreating"), RowHealth::Progressing);
        assert_eq!(judge("0/1", "Pending"), RowHealth::Progressing);
        assert_eq!(judge("0/1", "Init:0/2"), RowHealth::Progressing);
        assert_eq!(judge("0/1", "Completed"), RowHealth::Healthy);
        let mut deleting = row(&["p", "1/1", "Running", "0", "1m"]);
        deleting.deleting = true;
        assert_eq!(h.judge(&c, &deleting), RowHealth::Progressing);
    }

    #[test]
    fn workloads_by_ready_against_desired_and_nodes_and_claims_by_status() {
        let c = cols(&["Name", "Ready", "Up-to-date", "Available"]);
        let h = HealthColumns::of(&c);
        assert_eq!(
            h.judge(&c, &row(&["d", "3/3", "3", "3"])),
            RowHealth::Healthy
        );
        assert_eq!(
            h.judge(&c, &row(&["d", "1/3", "3", "1"])),
            RowHealth::Failing
        );
        let c = cols(&["Name", "Desired", "Current", "Ready", "Up-to-date"]);
        let h = HealthColumns::of(&c);
        assert_eq!(
            h.judge(&c, &row(&["ds", "5", "5", "4", "5"])),
            RowHealth::Failing
        );
        assert_eq!(
            h.judge(&c, &row(&["ds", "5", "5", "5", "5"])),
            RowHealth::Healthy
        );
        let c = cols(&["Name", "Status", "Roles"]);
        let h = HealthColumns::of(&c);
        assert_eq!(
            h.judge(&c, &row(&["n", "NotReady", "<none>"])),
            RowHealth::Failing
        );
        assert_eq!(
            h.judge(&c, &row(&["n", "Ready,SchedulingDisabled", "<none>"])),
            RowHealth::Progressing
        );
        let c = cols(&["Name", "Status", "Volume"]);
        let h = HealthColumns::of(&c);
        assert_eq!(
            h.judge(&c, &row(&["pvc", "Pending", ""])),
            RowHealth::Progressing
        );
        assert_eq!(
            h.judge(&c, &row(&["pvc", "Bound", "pv"])),
            RowHealth::Healthy
        );
        let c = cols(&["Name", "Data", "Age"]);
        assert!(!HealthColumns::of(&c).knows());
    }
}
