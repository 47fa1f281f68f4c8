//! CronJobs: each schedule time (on the simulator's clock, which tests can move ahead) creates
//! a Job from the template, named `<cronjob>-<minutes since the epoch>` as the real controller
//! names them; `concurrencyPolicy` (Allow, Forbid, Replace) and `suspend` are honoured, and
//! finished jobs beyond the history limits (3 successful, 1 failed by default) are deleted.

use super::super::cluster::{DeleteOptions, Propagation};
use super::super::objects::ObjectRef;
use super::Controllers;
use serde_json::{Value, json};
use std::str::FromStr;

/// How a finished job ended, by its conditions.
fn finished(job: &Value) -> Option<bool> {
    job["status"]["conditions"]
        .as_array()?
        .iter()
        .find(|c| {
            c["status"] == "True" && matches!(c["type"].as_str(), Some("Complete" | "Failed"))
        })
        .map(|c| c["type"] == "Complete")
}

/// The newest schedule time at or before `now`, in the CronJob's time zone (UTC unless set).
fn latest_due(
    schedule: &str,
    time_zone: Option<&str>,
    now: jiff::Timestamp,
) -> Option<jiff::Timestamp> {
    let cron = croner::Cron::from_str(schedule).ok()?;
    let tz = match time_zone {
        Some(name) => jiff::tz::TimeZone::get(name).ok()?,
        None => jiff::tz::TimeZone::UTC,
    };
    cron.find_previous_occurrence(&now.to_zoned(tz), true)
        .ok()
        .map(|z| z.timestamp())
}

impl Controllers {
    /// Checks every CronJob against the clock; runs once a second.
    pub(super) fn tick_cronjobs(&mut self) {
        let all = self.cluster.read().list("batch/cronjobs", "");
        for cj in all {
            if !cj.deleting {
                self.reconcile_cronjob(&cj.namespace, &cj.name);
            }
        }
    }

    pub(super) fn reconcile_cronjob(&mut self, ns: &str, name: &str) {
        let Some(cj) = self.get(&self.t.cronjobs, ns, name) else {
            return;
        };
        let v = cj.value();
        let me = ObjectRef::of("batch/v1", "CronJob", &cj);
        // Its jobs, oldest first.
        let mut jobs: Vec<Value> = self
            .owned(&cj.uid, "batch/jobs")
            .iter()
            .filter(|j| !j.deleting)
            .map(|j| j.value())
            .collect();
        jobs.sort_by_key(|j| {
            j["metadata"]["creationTimestamp"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        });
        let active: Vec<&Value> = jobs.iter().filter(|j| finished(j).is_none()).collect();
        let mut status = json!({
            "active": active.iter().map(|j| json!({"apiVersion": "batch/v1", "kind": "Job",
                "namespace": ns, "name": j["metadata"]["name"], "uid": j["metadata"]["uid"]})).collect::<Vec<_>>(),
        });
        for field in ["lastScheduleTime", "lastSuccessfulTime"] {
            if v["status"][field].is_string() {
                status[field] = v["status"][field].clone();
            }
        }
        if let Some(done) = jobs
            .iter()
            .filter(|j| finished(j) == Some(true))
            .filter_map(|j| j["status"]["completionTime"].as_str())
            .max()
        {
            status["lastSuccessfulTime"] = json!(done);
        }
        self.clean_history(&v, &jobs);

        let schedule = v["spec"]["schedule"].as_str().unwrap_or_default();
        let due = latest_due(
            schedule,
            v["spec"]["timeZone"].as_str(),
            self.cluster.clock(),
        );
        let last = v["status"]["lastScheduleTime"]
            .as_str()
            .or_else(|| v["metadata"]["creationTimestamp"].as_str())
            .and_then(|t| t.parse::<jiff::Timestamp>().ok());
        let suspended = v["spec"]["suspend"].as_bool().unwrap_or(false);
        let now = self.cluster.clock();
        if let (Some(due), false) = (due.filter(|d| last.is_none_or(|l| *d > l)), suspended) {
            let policy = v["spec"]["concurrencyPolicy"].as_str().unwrap_or("Allow");
            let scheduled = json!(due.strftime("%Y-%m-%dT%H:%M:%SZ").to_string());
            // Told once per run, not on every tick.
            let first_word = self.cron_said.insert((cj.uid.clone(), due.as_second()));
            // Too late to start (startingDeadlineSeconds): that run is missed.
            let too_late = v["spec"]["startingDeadlineSeconds"]
                .as_i64()
                .is_some_and(|d| now.duration_since(due) > jiff::SignedDuration::from_secs(d));
            if too_late {
                if first_word {
                    self.emit_event(
                        &me,
                        "Warning",
                        "MissSchedule",
                        &format!(
                            "Missed scheduled time to start a job: {}",
                            scheduled.as_str().unwrap_or_default()
                        ),
                        "cronjob-controller",
                    );
                }
            } else if policy == "Forbid" && !active.is_empty() {
                // Neither started nor marked as scheduled: it starts once the running job is
                // done, if still in time.
                if first_word {
                    self.emit_event(
                        &me,
                        "Normal",
                        "JobAlreadyActive",
                        "Not starting job because prior execution is running and concurrency policy is Forbid",
                        "cronjob-controller",
                    );
                }
            } else {
                if policy == "Replace" {
                    for j in &active {
                        let job = j["metadata"]["name"].as_str().unwrap_or_default();
                        let _ = self.cluster.delete(
                            &self.t.jobs,
                            ns,
                            job,
                            &DeleteOptions::propagating(Propagation::Background),
                        );
                    }
                }
                let job_name = format!("{name}-{}", due.as_second() / 60);
                let template = &v["spec"]["jobTemplate"];
                let mut job = json!({
                    "metadata": template["metadata"].clone(),
                    "spec": template["spec"].clone(),
                });
                job["metadata"]["name"] = json!(job_name);
                job["metadata"]["ownerReferences"] = json!([me.owner_reference()]);
                job["metadata"]["annotations"]["batch.kubernetes.io/cronjob-scheduled-timestamp"] =
                    scheduled.clone();
                match self.cluster.create(&self.t.jobs, ns, job) {
                    Ok(created) => {
                        self.emit_event(
                            &me,
                            "Normal",
                            "SuccessfulCreate",
                            &format!("Created job {}", created.name),
                            "cronjob-controller",
                        );
                        if let Some(list) = status["active"].as_array_mut() {
                            list.push(json!({"apiVersion": "batch/v1", "kind": "Job",
                                "namespace": ns, "name": created.name, "uid": created.uid}));
                        }
                        status["lastScheduleTime"] = scheduled;
                    }
                    // This run's job exists already: it counts as scheduled.
                    Err(e) if e.code == 409 => status["lastScheduleTime"] = scheduled,
                    // Not created: tried again on the next tick.
                    Err(_) => {}
                }
            }
        }
        if status["active"].as_array().is_some_and(|a| a.is_empty())
            && let Some(m) = status.as_object_mut()
        {
            m.remove("active");
        }
        if status != v["status"] {
            let _ = self
                .cluster
                .modify(&self.t.cronjobs, ns, name, Some("status"), |mut v| {
                    v["status"] = status;
                    Ok(v)
                });
        }
    }

    /// Deletes finished jobs beyond the history limits, oldest first.
    fn clean_history(&mut self, cj: &Value, jobs: &[Value]) {
        let ns = cj["metadata"]["namespace"].as_str().unwrap_or_default();
        for (succeeded, field, default) in [
            (true, "successfulJobsHistoryLimit", 3),
            (false, "failedJobsHistoryLimit", 1),
        ] {
            let limit = cj["spec"][field].as_u64().unwrap_or(default) as usize;
            let done: Vec<&Value> = jobs
                .iter()
                .filter(|j| finished(j) == Some(succeeded))
                .collect();
            for old in done.iter().take(done.len().saturating_sub(limit)) {
                let job = old["metadata"]["name"].as_str().unwrap_or_default();
                let _ = self.cluster.delete(
                    &self.t.jobs,
                    ns,
                    job,
                    &DeleteOptions::propagating(Propagation::Background),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_latest_schedule_time_at_or_before_now() {
        let now: jiff::Timestamp = "2026-11-30T10:07:30Z".parse().unwrap();
        assert_eq!(
            latest_due("*/5 * * * *", None, now).map(|t| t.to_string()),
            Some("2026-11-30T10:05:00Z".into())
        );
        assert_eq!(
            latest_due("0 3 * * *", None, now).map(|t| t.to_string()),
            Some("2026-11-30T03:00:00Z".into())
        );
        assert_eq!(
            latest_due("0 3 * * *", Some("Europe/Paris"), now).map(|t| t.to_string()),
            Some("2026-11-30T02:00:00Z".into())
        );
        assert_eq!(latest_due("not a schedule", None, now), None);
    }

    #[test]
    fn finished_jobs_are_told_by_their_conditions() {
        let done = json!({"status": {"conditions": [{"type": "Complete", "status": "True"}]}});
        let failed = json!({"status": {"conditions": [{"type": "Failed", "status": "True"}]}});
        assert_eq!(finished(&done), Some(true));
        assert_eq!(finished(&failed), Some(false));
        assert_eq!(finished(&json!({"status": {"active": 1}})), None);
    }
}
