//! Built-in objects pass through their k8s-openapi types on every write, so what the
//! simulator stores and serves is real Kubernetes JSON, and a body of the wrong shape is
//! refused the way the API server refuses it.

use k8s_openapi::api::{
    apps::v1 as apps, batch::v1 as batch, core::v1 as core, networking::v1 as net,
};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1 as ext;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

fn through<T: DeserializeOwned + Serialize>(value: Value) -> Result<Value, String> {
    let typed: T = serde_json::from_value(value).map_err(|e| e.to_string())?;
    serde_json::to_value(typed).map_err(|e| e.to_string())
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
        "Secret" => through::<core::Secret>(value),
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
}
