//! Manifests from files and folders for `kx lint -f`: YAML (several documents a file) and
//! JSON, `List` objects opened up, folders walked for `.yaml`, `.yml` and `.json`. Named on
//! the command line, a file that does not parse or holds no object is a problem; found in a
//! folder, a YAML file that is no manifest (a Helm values.yaml, a CI workflow) is passed over.

use serde_json::Value;
use std::path::{Path, PathBuf};

/// The objects in the files and folders given, and the problems reading them.
pub fn read(paths: &[PathBuf]) -> (Vec<Value>, Vec<String>) {
    let mut objects = Vec::new();
    let mut problems = Vec::new();
    let mut files = Vec::new();
    for p in paths {
        if p.is_file() {
            files.push((p.clone(), true));
        } else {
            let mut found = Vec::new();
            collect(p, &mut found, &mut problems);
            files.extend(found.into_iter().map(|f| (f, false)));
        }
    }
    // A file named and also found in a named folder is read once, as named.
    files.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
    files.dedup_by(|later, first| later.0 == first.0);
    for (f, named) in files {
        match std::fs::read_to_string(&f) {
            Ok(text) => parse(&text, &f, named, &mut objects, &mut problems),
            Err(e) => problems.push(format!("{}: {e}", f.display())),
        }
    }
    (objects, problems)
}

/// The manifest files under a folder: hidden folders (.git, .github) skipped, symbolic links
/// not followed (no loops).
fn collect(path: &Path, files: &mut Vec<PathBuf>, problems: &mut Vec<String>) {
    let entries = match std::fs::read_dir(path) {
        Ok(e) => e,
        Err(e) => {
            problems.push(format!("{}: {e}", path.display()));
            return;
        }
    };
    for entry in entries.flatten() {
        let p = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        if kind.is_dir() && !hidden {
            collect(&p, files, problems);
        } else if kind.is_file()
            && matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("yaml" | "yml" | "json")
            )
        {
            files.push(p);
        }
    }
}

fn parse(
    text: &str,
    file: &Path,
    named: bool,
    objects: &mut Vec<Value>,
    problems: &mut Vec<String>,
) {
    for (i, doc) in serde_yaml::Deserializer::from_str(text).enumerate() {
        let where_ = || format!("{} (document {})", file.display(), i + 1);
        match serde::Deserialize::deserialize(doc).map(yaml_to_json) {
            Ok(Value::Null) => {}
            Ok(v)
                if v["kind"].as_str().is_some_and(|k| k.ends_with("List"))
                    && v["items"].is_array() =>
            {
                objects.extend(v["items"].as_array().cloned().unwrap_or_default());
            }
            Ok(v) if v["kind"].is_string() && v["apiVersion"].is_string() => objects.push(v),
            Ok(_) if !named => return,
            Ok(_) => problems.push(format!(
                "{}: not a Kubernetes object (no apiVersion and kind)",
                where_()
            )),
            Err(_) if !named => return,
            Err(e) => {
                // The parser cannot find its way to the next document after an error (it
                // would report the same one for ever): the rest of the file is given up.
                problems.push(format!("{}: {e}", where_()));
                return;
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
    fn documents_lists_and_folders_are_read_and_bad_named_files_said() {
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
        std::fs::write(dir.path().join("values.yaml"), "replicaCount: 2\n").unwrap();
        std::fs::create_dir(dir.path().join(".github")).unwrap();
        std::fs::write(dir.path().join(".github/ci.yml"), "on: push\n").unwrap();
        std::fs::write(dir.path().join("broken.yml"), "kind: [unclosed\n").unwrap();
        // In a folder, files that are no manifests are passed over.
        let (objects, problems) = read(&[dir.path().to_path_buf()]);
        let names: Vec<&str> = objects
            .iter()
            .filter_map(|o| o["metadata"]["name"].as_str())
            .collect();
        assert_eq!(names, vec!["one", "two", "three"]);
        assert!(problems.is_empty(), "{problems:?}");
        // Named on the command line, they are problems.
        let (_, problems) = read(&[
            dir.path().join("broken.yml"),
            dir.path().join("values.yaml"),
        ]);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(
            problems[0].contains("broken.yml (document 1)"),
            "{problems:?}"
        );
        assert!(
            problems[1].contains("values.yaml (document 1): not a Kubernetes object"),
            "{problems:?}"
        );
        let (_, missing) = read(&[dir.path().join("nope.yaml")]);
        assert!(missing[0].contains("nope.yaml"), "{missing:?}");
    }
}
