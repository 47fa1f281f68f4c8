//! Manifests from files and folders for `kx lint -f`: YAML (several documents a file) and
//! JSON, `List` objects opened up, folders walked for `.yaml`, `.yml` and `.json`. A file
//! that does not parse is named with the parser's words; the others are still linted.

use serde_json::Value;
use std::path::{Path, PathBuf};

/// The objects in the files and folders given, and the problems reading them.
pub fn read(paths: &[PathBuf]) -> (Vec<Value>, Vec<String>) {
    let mut objects = Vec::new();
    let mut problems = Vec::new();
    let mut files = Vec::new();
    for p in paths {
        collect(p, &mut files, &mut problems);
    }
    files.sort();
    for f in files {
        match std::fs::read_to_string(&f) {
            Ok(text) => parse(&text, &f, &mut objects, &mut problems),
            Err(e) => problems.push(format!("{}: {e}", f.display())),
        }
    }
    (objects, problems)
}

fn collect(path: &Path, files: &mut Vec<PathBuf>, problems: &mut Vec<String>) {
    if path.is_file() {
        files.push(path.to_path_buf());
        return;
    }
    let entries = match std::fs::read_dir(path) {
        Ok(e) => e,
        Err(e) => {
            problems.push(format!("{}: {e}", path.display()));
            return;
        }
    };
    for entry in entries.flatten() {
        let p = entry.path();
        if p.is_dir() {
            collect(&p, files, problems);
        } else if matches!(
            p.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml" | "json")
        ) {
            files.push(p);
        }
    }
}

fn parse(text: &str, file: &Path, objects: &mut Vec<Value>, problems: &mut Vec<String>) {
    for (i, doc) in serde_yaml::Deserializer::from_str(text).enumerate() {
        match serde::Deserialize::deserialize(doc).map(yaml_to_json) {
            Ok(Value::Null) => {}
            Ok(v)
                if v["kind"] == "List"
                    || v["kind"].as_str().is_some_and(|k| k.ends_with("List")) =>
            {
                objects.extend(v["items"].as_array().cloned().unwrap_or_default());
            }
            Ok(v) if v["kind"].is_string() => objects.push(v),
            Ok(_) => problems.push(format!(
                "{} (document {}): not a Kubernetes object (no kind)",
                file.display(),
                i + 1
            )),
            Err(e) => {
                // The parser cannot find its way to the next document after an error (it
                // would report the same one for ever): the rest of the file is given up.
                problems.push(format!("{} (document {}): {e}", file.display(), i + 1));
                break;
            }
        }
    }
}

fn yaml_to_json(v: serde_yaml::Value) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_lists_and_folders_are_read_and_bad_files_named() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(
            dir.path().join("a.yaml"),
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: one}\n---\n---\napiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Secret, metadata: {name: two}}\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("sub/b.json"),
            r#"{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "three"}}"#,
        )
        .unwrap();
        std::fs::write(dir.path().join("sub/notes.txt"), "ignored").unwrap();
        std::fs::write(dir.path().join("broken.yml"), "kind: [unclosed\n").unwrap();
        let (objects, problems) = read(&[dir.path().to_path_buf()]);
        let names: Vec<&str> = objects
            .iter()
            .filter_map(|o| o["metadata"]["name"].as_str())
            .collect();
        assert_eq!(names, vec!["one", "two", "three"]);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].contains("broken.yml (document 1)"),
            "{problems:?}"
        );
        let (_, missing) = read(&[dir.path().join("nope.yaml")]);
        assert!(missing[0].contains("nope.yaml"), "{missing:?}");
    }
}
