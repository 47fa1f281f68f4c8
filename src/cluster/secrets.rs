//! Keeping a Secret's values off the screen: each value becomes its size and a fingerprint, so
//! a change still shows as a change without showing what it was. The copy of the object in the
//! `last-applied-configuration` annotation (kubectl apply's) holds the same values and gets
//! the same treatment.

use serde_json::Value;

const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// Whether the object is a core Secret.
pub fn is_secret(obj: &Value) -> bool {
    obj["kind"] == "Secret" && obj["apiVersion"] == "v1"
}

/// FNV-1a: enough to tell two values apart on screen, and reveals nothing useful.
fn fingerprint(text: &str) -> u32 {
    let hash = text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    hash as u32
}

fn hide_values(obj: &mut Value) {
    for field in ["data", "stringData"] {
        let Some(data) = obj.get_mut(field).and_then(Value::as_object_mut) else {
            continue;
        };
        for value in data.values_mut() {
            let text = value.as_str().unwrap_or_default();
            *value = Value::String(format!(
                "<hidden: {} chars, #{:08x}>",
                text.len(),
                fingerprint(text)
            ));
        }
    }
}

/// Replaces every value of a Secret (data, stringData, and the last-applied copy of both) by
/// its size and fingerprint. Other objects are left alone.
pub fn hide_secret_values(obj: &mut Value) {
    if !is_secret(obj) {
        return;
    }
    hide_values(obj);
    hide_last_applied(obj);
}

/// Hides the values in a Secret's last-applied copy only (the YAML view masks `data` its own
/// way, and can reveal it).
pub fn hide_last_applied(obj: &mut Value) {
    if !is_secret(obj) {
        return;
    }
    let Some(applied) = obj.pointer_mut(&format!(
        "/metadata/annotations/{}",
        LAST_APPLIED.replace('/', "~1")
    )) else {
        return;
    };
    let text = applied.as_str().unwrap_or_default().to_string();
    *applied = Value::String(match serde_json::from_str::<Value>(&text) {
        Ok(mut copy) => {
            hide_values(&mut copy);
            copy.to_string()
        }
        // Not JSON: nothing can be kept of it safely.
        Err(_) => format!(
            "<hidden: {} chars, #{:08x}>",
            text.len(),
            fingerprint(&text)
        ),
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_and_the_last_applied_copy_are_hidden_but_changes_still_show() {
        let applied = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db"},
                             "stringData": {"password": "hunter2"}})
        .to_string();
        let mut s = json!({"apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "db", "annotations": {LAST_APPLIED: applied}},
            "data": {"password": "aHVudGVyMg=="}});
        hide_secret_values(&mut s);
        let text = s.to_string();
        assert!(
            !text.contains("aHVudGVyMg") && !text.contains("hunter2"),
            "{text}"
        );
        assert!(
            s["data"]["password"]
                .as_str()
                .unwrap()
                .starts_with("<hidden: 12 chars, #")
        );
        let copy: Value =
            serde_json::from_str(s["metadata"]["annotations"][LAST_APPLIED].as_str().unwrap())
                .unwrap();
        assert!(
            copy["stringData"]["password"]
                .as_str()
                .unwrap()
                .starts_with("<hidden: 7 chars")
        );
        let mut other =
            json!({"apiVersion": "v1", "kind": "Secret", "data": {"password": "b3RoZXI="}});
        hide_secret_values(&mut other);
        assert_ne!(
            other["data"]["password"], s["data"]["password"],
            "a change shows"
        );
        let mut cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "data": {"k": "v"}});
        hide_secret_values(&mut cm);
        assert_eq!(cm["data"]["k"], "v");
    }
}
