//! Carries out the TUI's write actions against the API server, as kubectl does them: delete
//! with a propagation policy, scale through the scale subresource, rollout restart by stamping
//! the pod template, cordon by setting `spec.unschedulable`. Errors come back in words naming
//! the verb and the object (a 403 says what was forbidden). Each write brings back the object
//! as it was before and after, for the revision history: the change kx made is the one the
//! user looks for first.

use crate::cluster::object::{ObjectRef, dynamic_api};
use crate::edit::api_error;
use kube::Client;
use kube::api::{DeleteParams, Patch, PatchParams, PropagationPolicy};
use serde_json::{Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Propagation {
    Background,
    Foreground,
    Orphan,
}

impl Propagation {
    pub fn as_str(self) -> &'static str {
        match self {
            Propagation::Background => "Background",
            Propagation::Foreground => "Foreground",
            Propagation::Orphan => "Orphan",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum WriteOp {
    Delete {
        targets: Vec<ObjectRef>,
        propagation: Propagation,
    },
    Scale {
        target: ObjectRef,
        replicas: i64,
    },
    Restart {
        target: ObjectRef,
    },
    Cordon {
        target: ObjectRef,
        unschedulable: bool,
    },
}

fn names(targets: &[ObjectRef]) -> String {
    let mut shown: Vec<&str> = targets.iter().take(3).map(|t| t.name.as_str()).collect();
    if targets.len() > 3 {
        shown.push("…");
    }
    shown.join(", ")
}

impl WriteOp {
    /// What it does, for the question and the report: `delete 2 pods (web-1, web-2)`.
    pub fn describe(&self) -> String {
        match self {
            WriteOp::Delete { targets, .. } if targets.len() == 1 => {
                format!("delete {}", targets[0].display())
            }
            WriteOp::Delete { targets, .. } => format!(
                "delete {} {} ({})",
                targets.len(),
                targets[0].resource.plural,
                names(targets)
            ),
            WriteOp::Scale { target, replicas } => {
                format!("scale {} to {replicas}", target.display())
            }
            WriteOp::Restart { target } => format!("restart {}", target.display()),
            WriteOp::Cordon {
                target,
                unschedulable: true,
            } => format!("cordon {}", target.display()),
            WriteOp::Cordon { target, .. } => format!("uncordon {}", target.display()),
        }
    }
}

/// What a write did: the report for the footer, and the objects as they were before and
/// after (oldest first), for the revision history.
#[derive(Debug, Clone, PartialEq)]
pub struct WriteReport {
    pub result: Result<String, String>,
    pub revisions: Vec<(ObjectRef, Value)>,
}

/// The object now, for the history; None when it cannot be read (the write still counts).
async fn snapshot(client: &Client, target: &ObjectRef) -> Option<(ObjectRef, Value)> {
    let object = dynamic_api(client.clone(), target)
        .get(&target.name)
        .await
        .ok()?;
    Some((target.clone(), serde_json::to_value(object).ok()?))
}

async fn patch(
    client: &Client,
    target: &ObjectRef,
    sub: Option<&str>,
    body: Value,
    verb: &str,
) -> Result<Option<Value>, String> {
    let api = dynamic_api(client.clone(), target);
    let params = PatchParams::default();
    let result = match sub {
        // A subresource answers with itself (a Scale), not the object.
        Some(s) => api
            .patch_subresource(s, &target.name, &params, &Patch::Merge(&body))
            .await
            .map(|_| None),
        None => api
            .patch(&target.name, &params, &Patch::Merge(&body))
            .await
            .map(|o| serde_json::to_value(o).ok()),
    };
    result.map_err(|e| api_error(&e, verb, &target.display()))
}

pub async fn perform(client: Client, op: WriteOp) -> WriteReport {
    let targets: Vec<ObjectRef> = match &op {
        WriteOp::Delete { targets, .. } => targets.clone(),
        WriteOp::Scale { target, .. }
        | WriteOp::Restart { target }
        | WriteOp::Cordon { target, .. } => vec![target.clone()],
    };
    let mut revisions = Vec::new();
    for t in &targets {
        revisions.extend(snapshot(&client, t).await);
    }
    let (result, after) = act(&client, &op).await;
    let after = match after {
        Some(v) => targets.first().map(|t| (t.clone(), v)),
        None if result.is_ok() && !matches!(op, WriteOp::Delete { .. }) => match targets.first() {
            Some(t) => snapshot(&client, t).await,
            None => None,
        },
        None => None,
    };
    revisions.extend(after);
    WriteReport { result, revisions }
}

/// Does the write; the report, and the object after it when the answer carried it.
async fn act(client: &Client, op: &WriteOp) -> (Result<String, String>, Option<Value>) {
    let client = client.clone();
    match op {
        WriteOp::Delete {
            targets,
            propagation,
        } => {
            let policy = match propagation.as_str() {
                "Foreground" => PropagationPolicy::Foreground,
                "Orphan" => PropagationPolicy::Orphan,
                _ => PropagationPolicy::Background,
            };
            let params = DeleteParams {
                propagation_policy: Some(policy),
                ..Default::default()
            };
            let mut failed = Vec::new();
            let mut last = None;
            for t in targets {
                let api = dynamic_api(client.clone(), t);
                match api.delete(&t.name, &params).await {
                    // Deleting gracefully: the object, now with its deletion timestamp.
                    Ok(either) => {
                        last = either.left().and_then(|o| serde_json::to_value(o).ok());
                    }
                    Err(e) => failed.push(api_error(&e, "delete", &t.display())),
                }
            }
            let result = match failed.len() {
                0 if targets.len() == 1 => Ok(format!("deleted {}", targets[0].display())),
                0 => Ok(format!(
                    "deleted {} {}",
                    targets.len(),
                    targets[0].resource.plural
                )),
                n => Err(format!(
                    "{n} of {} not deleted: {}",
                    targets.len(),
                    failed.join("; ")
                )),
            };
            // One object's after-state only: with several, the list's own watch records them.
            (result, last.filter(|_| targets.len() == 1))
        }
        WriteOp::Scale { target, replicas } => {
            let body = json!({"spec": {"replicas": replicas}});
            match patch(&client, target, Some("scale"), body, "scale").await {
                Ok(after) => (
                    Ok(format!("scaled {} to {replicas}", target.display())),
                    after,
                ),
                Err(e) => (Err(e), None),
            }
        }
        WriteOp::Restart { target } => {
            let now = jiff::Timestamp::now()
                .strftime("%Y-%m-%dT%H:%M:%SZ")
                .to_string();
            let body = json!({"spec": {"template": {"metadata": {"annotations":
                {"kubectl.kubernetes.io/restartedAt": now}}}}});
            match patch(&client, target, None, body, "restart").await {
                Ok(after) => (Ok(format!("restarted {}", target.display())), after),
                Err(e) => (Err(e), None),
            }
        }
        WriteOp::Cordon {
            target,
            unschedulable,
        } => {
            let verb = if *unschedulable { "cordon" } else { "uncordon" };
            let body = json!({"spec": {"unschedulable": if *unschedulable { json!(true) } else { json!(null) }}});
            match patch(&client, target, None, body, verb).await {
                Ok(after) => (Ok(format!("{verb}ed {}", target.display())), after),
                Err(e) => (Err(e), None),
            }
        }
    }
}
