//! Built-in objects pass through their k8s-openapi types on every write, so what the
//! simulator stores and serves is real Kubernetes JSON, and a body of the wrong shape is
//! refused the way the API server refuses it.

use k8s_openapi::api::{
    apps::v1 as apps, batch::v1 as batch, core::v1 as core, networking::v1 as net,
    policy::v1 as policy, rbac::v1 as rbac, scheduling::v1 as scheduling,
};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1 as ext;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

fn through<T: DeserializeOwned + Serialize>(value: Value) -> Result<Value, String> {
    let typed: T = serde_json::from_value(value).map_err(|e| e.to_string())?;
    serde_json::to_value(typed).map_err(|e| e.to_string())
}

/// `stringData` is write-only, as on a real API server: its entries are base64-encoded into
/// `data` (winning over a `data` entry of the same key) and it is never stored.
fn fold_string_data(mut secret: Value) -> Value {
    use base64::Engine;
    let Some(plain) = secret.as_object_mut().and_then(|m| m.remove("stringData")) else {
        return secret;
    };
    let Some(entries) = plain.as_object() else {
        return secret;
    };
    if !secret["data"].is_object() {
        secret["data"] = Value::Object(Default::default());
    }
    for (k, v) in entries {
        let text = v.as_str().unwrap_or_default();
        secret["data"][k] = Value::String(base64::engine::general_purpose::STANDARD.encode(text));
    }
    secret
}

/// Round-trips a built-in object through its type; custom resources pass unchanged.
pub fn normalize(kind: &str, value: Value) -> Result<Value, String> {
    match kind {
        "Namespace" => through::<core::Namespace>(value),
        "Node" => through::<core::Node>(value),
        "Pod" => through::<core::Pod>(value),
        "Service" => through::<core::Service>(value),
        "Endpoints" => through::<core::Endpoints>(value),
        "ConfigMap" => through::<core::ConfigMap>(value),
        "Secret" => through::<core::Secret>(fold_string_data(value)),
        "ServiceAccount" => through::<core::ServiceAccount>(value),
        "Event" => through::<core::Event>(value),
        "PersistentVolume" => through::<core::PersistentVolume>(value),
        "PersistentVolumeClaim" => through::<core::PersistentVolumeClaim>(value),
        "Deployment" => through::<apps::Deployment>(value),
        "ReplicaSet" => through::<apps::ReplicaSet>(value),
        "StatefulSet" => through::<apps::StatefulSet>(value),
        "DaemonSet" => through::<apps::DaemonSet>(value),
        "Job" => through::<batch::Job>(value),
        "CronJob" => through::<batch::CronJob>(value),
        "Ingress" => through::<net::Ingress>(value),
        "ResourceQuota" => through::<core::ResourceQuota>(value),
        "PodDisruptionBudget" => through::<policy::PodDisruptionBudget>(value),
        "PriorityClass" => through::<scheduling::PriorityClass>(value),
        "Role" => through::<rbac::Role>(value),
        "RoleBinding" => through::<rbac::RoleBinding>(value),
        "ClusterRole" => through::<rbac::ClusterRole>(value),
        "ClusterRoleBinding" => through::<rbac::ClusterRoleBinding>(value),
        "CustomResourceDefinition" => through::<ext::CustomResourceDefinition>(value),
        _ => Ok(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn wrong_field_types_are_refused_and_good_objects_keep_their_fields() {
        let bad = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"},
                         "spec": {"replicas": "three", "selector": {}, "template": {}}});
        let err = normalize("Deployment", bad).unwrap_err();
        assert!(
            err.contains("replicas") || err.contains("invalid type"),
            "{err}"
        );
        let good = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "data": {"a": "b"}});
        assert_eq!(normalize("ConfigMap", good.clone()).unwrap(), good);
    }

    #[test]
    fn string_data_is_folded_into_base64_data_and_not_kept() {
        let secret = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db"},
            "data": {"user": "YWRtaW4=", "password": "b2xk"}, "stringData": {"password": "hunter2"}});
        assert_eq!(
            normalize("Secret", secret).unwrap(),
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db"},
                "data": {"user": "YWRtaW4=", "password": "aHVudGVyMg=="}})
        );
    }
}
