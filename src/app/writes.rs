//! Carries out the TUI's write actions against the API server, as kubectl does them: delete
//! with a propagation policy, scale through the scale subresource, rollout restart by stamping
//! the pod template, cordon by setting `spec.unschedulable`. Errors come back in words naming
//! the verb and the object (a 403 says what was forbidden).

use super::state_write::WriteOp;
use crate::cluster::object::{ObjectRef, dynamic_api};
use crate::edit::api_error;
use kube::Client;
use kube::api::{DeleteParams, Patch, PatchParams, PropagationPolicy};
use serde_json::json;

async fn patch(
    client: &Client,
    target: &ObjectRef,
    sub: Option<&str>,
    body: serde_json::Value,
    verb: &str,
) -> Result<(), String> {
    let api = dynamic_api(client.clone(), target);
    let params = PatchParams::default();
    let result = match sub {
        Some(s) => api
            .patch_subresource(s, &target.name, &params, &Patch::Merge(&body))
            .await
            .map(|_| ()),
        None => api
            .patch(&target.name, &params, &Patch::Merge(&body))
            .await
            .map(|_| ()),
    };
    result.map_err(|e| api_error(&e, verb, &target.display()))
}

pub async fn perform(client: Client, op: WriteOp) -> Result<String, String> {
    match &op {
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
            for t in targets {
                let api = dynamic_api(client.clone(), t);
                if let Err(e) = api.delete(&t.name, &params).await {
                    failed.push(api_error(&e, "delete", &t.display()));
                }
            }
            match failed.len() {
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
            }
        }
        WriteOp::Scale { target, replicas } => {
            patch(
                &client,
                target,
                Some("scale"),
                json!({"spec": {"replicas": replicas}}),
                "scale",
            )
            .await?;
            Ok(format!("scaled {} to {replicas}", target.display()))
        }
        WriteOp::Restart { target } => {
            let now = jiff::Timestamp::now()
                .strftime("%Y-%m-%dT%H:%M:%SZ")
                .to_string();
            let body = json!({"spec": {"template": {"metadata": {"annotations":
                {"kubectl.kubernetes.io/restartedAt": now}}}}});
            patch(&client, target, None, body, "restart").await?;
            Ok(format!("restarted {}", target.display()))
        }
        WriteOp::Cordon {
            target,
            unschedulable,
        } => {
            let verb = if *unschedulable { "cordon" } else { "uncordon" };
            let body = json!({"spec": {"unschedulable": if *unschedulable { json!(true) } else { json!(null) }}});
            patch(&client, target, None, body, verb).await?;
            Ok(format!("{verb}ed {}", target.display()))
        }
    }
}
