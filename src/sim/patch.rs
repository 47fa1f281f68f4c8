//! Strategic merge patch for built-in types, as kubectl sends it: lists of containers, env,
//! volumes, ports and conditions merge by key; `$patch`, `$retainKeys`, `$setElementOrder/…`
//! and `$deleteFromPrimitiveList/…` directives are honoured.

use serde_json::{Map, Value};

/// The merge key of a list field, by the field's name and where it sits; `None` means the
/// list is replaced whole, like the API server does for atomic lists.
pub(super) fn merge_key(parent: &str, field: &str) -> Option<&'static str> {
    match field {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "env"
        | "volumes"
        | "imagePullSecrets"
        | "resourceClaims" => Some("name"),
        "volumeMounts" => Some("mountPath"),
        "volumeDevices" => Some("devicePath"),
        "ports" if parent == "container" => Some("containerPort"),
        "ports" => Some("port"),
        "conditions" | "addresses" => Some("type"),
        "ownerReferences" => Some("uid"),
        "hostAliases" => Some("ip"),
        "topologySpreadConstraints" => Some("topologyKey"),
        _ => None,
    }
}

/// Lists of scalars that merge as sets rather than being replaced.
pub(super) fn merges_as_set(field: &str) -> bool {
    field == "finalizers"
}

/// What the elements of a list field are, for the merge keys of lists inside them.
pub(super) fn element_context(field: &str) -> &'static str {
    match field {
        "containers" | "initContainers" | "ephemeralContainers" => "container",
        _ => "item",
    }
}

pub fn strategic_merge(target: &mut Value, patch: &Value) -> Result<(), String> {
    merge_map(target, patch, "object")
}

fn merge_map(target: &mut Value, patch: &Value, context: &str) -> Result<(), String> {
    let Some(patch_map) = patch.as_object() else {
        *target = patch.clone();
        return Ok(());
    };
    match patch_map.get("$patch").and_then(Value::as_str) {
        Some("replace") => {
            let mut replaced = patch_map.clone();
            replaced.remove("$patch");
            *target = Value::Object(replaced);
            return Ok(());
        }
        Some("delete") => {
            *target = Value::Null;
            return Ok(());
        }
        Some(other) if other != "merge" => {
            return Err(format!("unknown patch directive $patch: {other}"));
        }
        _ => {}
    }
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let mut orders: Vec<(String, Vec<Value>)> = Vec::new();
    for (key, pv) in patch_map {
        if key == "$patch" {
            continue;
        }
        if key == "$retainKeys" {
            let keep: Vec<&str> = pv
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            if let Some(t) = target.as_object_mut() {
                t.retain(|k, _| keep.contains(&k.as_str()) || patch_map.contains_key(k));
            }
            continue;
        }
        if let Some(field) = key.strip_prefix("$setElementOrder/") {
            orders.push((
                field.to_string(),
                pv.as_array().cloned().unwrap_or_default(),
            ));
            continue;
        }
        if let Some(field) = key.strip_prefix("$deleteFromPrimitiveList/") {
            let remove = pv.as_array().cloned().unwrap_or_default();
            if let Some(list) = target.get_mut(field).and_then(Value::as_array_mut) {
                list.retain(|v| !remove.contains(v));
            }
            continue;
        }
        let Some(t) = target.as_object_mut() else {
            continue;
        };
        if pv.is_null() {
            t.remove(key);
            continue;
        }
        let slot = t.entry(key.clone()).or_insert(Value::Null);
        match pv {
            Value::Object(_) => {
                merge_map(slot, pv, key)?;
                if slot.is_null() {
                    t.remove(key);
                }
            }
            Value::Array(items) => merge_list(slot, items, context, key)?,
            _ => *slot = pv.clone(),
        }
    }
    for (field, order) in orders {
        if let Some(list) = target.get_mut(&field).and_then(Value::as_array_mut) {
            apply_order(list, &order, merge_key(context, &field));
        }
    }
    Ok(())
}

fn merge_list(slot: &mut Value, items: &[Value], context: &str, field: &str) -> Result<(), String> {
    if merges_as_set(field) {
        let mut list = slot.as_array().cloned().unwrap_or_default();
        for item in items {
            if !list.contains(item) {
                list.push(item.clone());
            }
        }
        *slot = Value::Array(list);
        return Ok(());
    }
    let Some(key) = merge_key(context, field) else {
        *slot = Value::Array(items.to_vec());
        return Ok(());
    };
    if items
        .iter()
        .any(|i| i.get("$patch").and_then(Value::as_str) == Some("replace"))
    {
        *slot = Value::Array(
            items
                .iter()
                .filter(|i| i.get("$patch").is_none())
                .cloned()
                .collect(),
        );
        return Ok(());
    }
    let mut list = slot.as_array().cloned().unwrap_or_default();
    let inner_context = element_context(field);
    for item in items {
        let Some(id) = item.get(key) else {
            return Err(format!("map in list {field} has no merge key {key:?}"));
        };
        let pos = list.iter().position(|e| e.get(key) == Some(id));
        if item.get("$patch").and_then(Value::as_str) == Some("delete") {
            if let Some(p) = pos {
                list.remove(p);
            }
            continue;
        }
        match pos {
            Some(p) => merge_map(&mut list[p], item, inner_context)?,
            None => {
                let mut fresh = Value::Object(Map::new());
                merge_map(&mut fresh, item, inner_context)?;
                list.push(fresh);
            }
        }
    }
    *slot = Value::Array(list);
    Ok(())
}

/// Orders a merged list as `$setElementOrder` asks; elements it does not name keep their place after.
fn apply_order(list: &mut [Value], order: &[Value], key: Option<&str>) {
    let rank = |v: &Value| -> usize {
        order
            .iter()
            .position(|o| match key {
                Some(k) => o.get(k).is_some() && o.get(k) == v.get(k),
                None => o == v,
            })
            .unwrap_or(usize::MAX)
    };
    list.sort_by_key(|v| rank(v));
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn kubectl_edit_of_a_container_image_merges_by_name_and_keeps_the_rest() {
        let mut deploy = json!({"spec": {"replicas": 2, "template": {"spec": {"containers": [
            {"name": "web", "image": "nginx:1.25", "ports": [{"containerPort": 80}]},
            {"name": "sidecar", "image": "envoy:1"}
        ]}}}});
        let patch = json!({"spec": {"template": {"spec": {
            "$setElementOrder/containers": [{"name": "web"}, {"name": "sidecar"}],
            "containers": [{"image": "nginx:1.26", "name": "web"}]
        }}}});
        strategic_merge(&mut deploy, &patch).unwrap();
        let cs = &deploy["spec"]["template"]["spec"]["containers"];
        assert_eq!(cs[0]["image"], "nginx:1.26");
        assert_eq!(cs[0]["ports"][0]["containerPort"], 80);
        assert_eq!(cs[1]["name"], "sidecar");
        assert_eq!(deploy["spec"]["replicas"], 2);
    }

    #[test]
    fn delete_directives_remove_elements_fields_and_primitives() {
        let mut obj = json!({"metadata": {"labels": {"a": "1", "b": "2"}, "finalizers": ["x", "y"]},
            "spec": {"containers": [{"name": "a", "env": [{"name": "K", "value": "v"}, {"name": "L", "value": "w"}]}]}});
        let patch = json!({"metadata": {"labels": {"a": null}, "$deleteFromPrimitiveList/finalizers": ["x"]},
            "spec": {"containers": [{"name": "a", "env": [{"name": "K", "$patch": "delete"}]}]}});
        strategic_merge(&mut obj, &patch).unwrap();
        assert_eq!(obj["metadata"]["labels"], json!({"b": "2"}));
        assert_eq!(obj["metadata"]["finalizers"], json!(["y"]));
        assert_eq!(
            obj["spec"]["containers"][0]["env"],
            json!([{"name": "L", "value": "w"}])
        );
    }

    #[test]
    fn lists_without_a_merge_key_are_replaced_and_replace_directive_replaces_maps() {
        let mut obj = json!({"spec": {"args": ["a", "b"], "selector": {"x": "1", "y": "2"}}});
        let patch = json!({"spec": {"args": ["c"], "selector": {"$patch": "replace", "z": "3"}}});
        strategic_merge(&mut obj, &patch).unwrap();
        assert_eq!(obj["spec"]["args"], json!(["c"]));
        assert_eq!(obj["spec"]["selector"], json!({"z": "3"}));
    }

    #[test]
    fn service_ports_merge_by_port_and_container_ports_by_container_port() {
        let mut svc = json!({"spec": {"ports": [{"port": 80, "name": "http"}]}});
        strategic_merge(
            &mut svc,
            &json!({"spec": {"ports": [{"port": 443, "name": "https"}]}}),
        )
        .unwrap();
        assert_eq!(svc["spec"]["ports"].as_array().unwrap().len(), 2);
        let mut pod =
            json!({"spec": {"containers": [{"name": "a", "ports": [{"containerPort": 80}]}]}});
        let patch = json!({"spec": {"containers": [{"name": "a", "ports": [{"containerPort": 80, "name": "http"}]}]}});
        strategic_merge(&mut pod, &patch).unwrap();
        assert_eq!(
            pod["spec"]["containers"][0]["ports"],
            json!([{"containerPort": 80, "name": "http"}])
        );
    }

    #[test]
    fn a_list_item_without_its_merge_key_is_an_error() {
        let mut obj = json!({"spec": {"containers": []}});
        let err = strategic_merge(&mut obj, &json!({"spec": {"containers": [{"image": "x"}]}}))
            .unwrap_err();
        assert!(err.contains("merge key"), "{err}");
    }
}
