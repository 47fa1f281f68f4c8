//! A minimal OpenAPI v3 description: enough for kubectl to learn that every type accepts
//! server-side field validation (`fieldValidation`), so it skips client-side schema checks.

use super::registry::ResourceType;
use serde_json::{Value, json};

fn gv_path(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("api/{version}")
    } else {
        format!("apis/{group}/{version}")
    }
}

/// `/openapi/v3`: one entry per group/version.
pub fn index(types: &[ResourceType]) -> Value {
    let mut paths = serde_json::Map::new();
    for t in types {
        let p = gv_path(&t.group, &t.version);
        let url = format!("/openapi/v3/{p}?hash={:016X}", types.len());
        paths.insert(p, json!({"serverRelativeURL": url}));
    }
    json!({"paths": paths})
}

/// `/openapi/v3/api/v1`, `/openapi/v3/apis/GROUP/VERSION`: PATCH operations with their GVK and parameters.
pub fn group_version(types: &[ResourceType], group: &str, version: &str) -> Option<Value> {
    let mut paths = serde_json::Map::new();
    for t in types
        .iter()
        .filter(|t| t.group == group && t.version == version)
    {
        let base = format!("/{}", gv_path(group, version));
        let item = if t.namespaced {
            format!("{base}/namespaces/{{namespace}}/{}/{{name}}", t.plural)
        } else {
            format!("{base}/{}/{{name}}", t.plural)
        };
        let param = |name: &str| json!({"name": name, "in": "query", "schema": {"type": "string", "uniqueItems": true}});
        paths.insert(
            item,
            json!({"patch": {
                "operationId": format!("patch{}", t.kind),
                "parameters": [param("dryRun"), param("fieldManager"), param("fieldValidation"), param("force")],
                "responses": {"200": {"description": "OK"}},
                "x-kubernetes-action": "patch",
                "x-kubernetes-group-version-kind": {"group": t.group, "version": t.version, "kind": t.kind},
            }}),
        );
    }
    if paths.is_empty() {
        return None;
    }
    Some(json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes (kx sim)", "version": "v1.36.0"},
        "paths": paths,
        "components": {"schemas": {}},
    }))
}
