//! The text of the file the editor opens: a comment header (what is edited, how to cancel,
//! and, after a failed attempt, why it failed) above the object's YAML. Pure.

use super::patch::{Conflict, brief};

/// How an attempt went, for the header of the next one.
pub enum Reason<'a> {
    First,
    /// Invalid YAML, or the server refused the change (400/422).
    Rejected(&'a str),
    /// Someone else changed fields the edit touches.
    Conflicts(&'a [Conflict]),
}

pub fn header(what: &str, resource_version: &str, reason: Reason) -> String {
    let mut lines = vec![format!(
        "Editing {what} (resourceVersion {resource_version}) with kx."
    )];
    match reason {
        Reason::First => {}
        Reason::Rejected(error) => {
            lines.push(String::new());
            lines.push("YOUR EDIT WAS NOT APPLIED:".into());
            lines.extend(error.lines().map(|l| format!("  {l}")));
            lines.push("Your text below is kept as you left it: fix it and save again.".into());
        }
        Reason::Conflicts(conflicts) => {
            lines.push(String::new());
            lines.push(
                "CONFLICT: while you edited, someone else changed fields you changed too:".into(),
            );
            for c in conflicts {
                lines.push(format!(
                    "  {}: you started from {}, it is now {}, you wrote {}",
                    c.path,
                    brief(&c.was),
                    brief(&c.now),
                    brief(&c.yours)
                ));
            }
            lines.push(
                "Below is the latest object with your changes applied on top: check those fields"
                    .into(),
            );
            lines.push("and save again to apply; nothing was overwritten.".into());
        }
    }
    lines.push(String::new());
    lines.push(
        "Save and quit to apply only the fields you change; everything else stays as the".into(),
    );
    lines.push(
        "cluster has it. To cancel: quit without saving, exit with an error (:cq in vim),".into(),
    );
    lines.push("or empty the file.".into());
    let mut text: String = lines
        .iter()
        .map(|l| {
            if l.is_empty() {
                "#\n".to_string()
            } else {
                format!("# {l}\n")
            }
        })
        .collect();
    text.push_str("#\n");
    text
}

/// The user's text without the header kx wrote (the leading comment lines).
pub fn body(text: &str) -> &str {
    let mut rest = text;
    while rest.starts_with('#') {
        rest = rest.split_once('\n').map_or("", |(_, r)| r);
    }
    rest
}

/// Whether the text holds nothing but blank and comment lines: the file was emptied.
pub fn is_blank(text: &str) -> bool {
    text.lines()
        .map(str::trim)
        .all(|l| l.is_empty() || l.starts_with('#'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_header_names_the_object_and_how_to_cancel_and_comes_off_again() {
        let h = header("deployments/web -n shop", "42", Reason::First);
        assert!(h.starts_with("# Editing deployments/web -n shop (resourceVersion 42) with kx.\n"));
        assert!(h.contains(
            "# cluster has it. To cancel: quit without saving, exit with an error (:cq in vim),\n"
        ));
        let text = format!("{h}spec:\n  replicas: 3\n# mine\n");
        assert_eq!(body(&text), "spec:\n  replicas: 3\n# mine\n");
        assert!(is_blank(&h));
        assert!(is_blank("\n  \n# only comments\n"));
        assert!(!is_blank(&text));
    }

    #[test]
    fn a_rejection_and_a_conflict_are_explained_at_the_top() {
        let h = header(
            "deployments/web -n shop",
            "43",
            Reason::Rejected("invalid YAML: mapping values are not allowed at line 3"),
        );
        assert!(h.contains(
            "# YOUR EDIT WAS NOT APPLIED:\n#   invalid YAML: mapping values are not allowed at line 3\n"
        ));
        let conflicts = [Conflict {
            path: "spec.replicas".into(),
            was: Some(json!(3)),
            now: Some(json!(5)),
            yours: Some(json!(7)),
        }];
        let h = header(
            "deployments/web -n shop",
            "44",
            Reason::Conflicts(&conflicts),
        );
        assert!(h.contains("#   spec.replicas: you started from 3, it is now 5, you wrote 7\n"));
        assert!(h.contains("nothing was overwritten"));
    }
}
