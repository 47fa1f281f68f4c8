//! A k9s skin as a kx theme: k9s names its colours by the part of its screen (the table's
//! cursor, the crumbs, the status colours of rows); kx by meaning (row.selected, header,
//! status.error). Each kx slot takes the k9s colour that plays its part; what has no part in
//! kx is said.

use serde_yaml::Value;
use std::fmt::Write as _;

/// A k9s colour (a W3C name, `#rrggbb`, or `default`) as kx writes it.
fn colour(v: &Value) -> Option<String> {
    let text = v.as_str()?.trim();
    if text.is_empty() {
        return None;
    }
    if text.eq_ignore_ascii_case("default") {
        return Some("reset".into());
    }
    let c = csscolorparser::parse(text).ok()?;
    let [r, g, b, _] = c.to_rgba8();
    Some(format!("#{r:02x}{g:02x}{b:02x}"))
}

fn at<'a>(doc: &'a Value, path: &str) -> &'a Value {
    let mut v = &doc["k9s"];
    for part in path.split('.') {
        v = &v[part];
    }
    v
}

/// The theme's YAML (based on default-dark, so slots k9s does not colour keep kx's), and
/// notes on what was left out.
pub fn theme(doc: &Value, name: &str) -> (String, Vec<String>) {
    // kx slot, its foreground and background from the skin (first found wins).
    let slots: &[(&str, &[&str], &[&str])] = &[
        ("header", &["frame.title.fgColor"], &["frame.title.bgColor"]),
        (
            "header.context",
            &["frame.title.highlightColor", "info.fgColor"],
            &[],
        ),
        (
            "table.header",
            &["views.table.header.fgColor"],
            &["views.table.header.bgColor"],
        ),
        (
            "row.normal",
            &["views.table.fgColor", "body.fgColor"],
            &["views.table.bgColor", "body.bgColor"],
        ),
        (
            "row.selected",
            &["views.table.cursorFgColor", "body.bgColor"],
            &["views.table.cursorBgColor", "views.table.cursorColor"],
        ),
        ("row.marked", &["views.table.markColor"], &[]),
        ("row.changed", &["frame.status.modifyColor"], &[]),
        ("row.deleted", &["frame.status.killColor"], &[]),
        (
            "status.ok",
            &["frame.status.completedColor", "frame.status.newColor"],
            &[],
        ),
        (
            "status.warn",
            &["frame.status.highlightColor", "frame.status.pendingColor"],
            &[],
        ),
        ("status.error", &["frame.status.errorColor"], &[]),
        ("status.line", &["info.sectionColor"], &[]),
        ("prompt", &["prompt.fgColor"], &["prompt.bgColor"]),
        ("yaml.key", &["views.yaml.keyColor"], &[]),
        ("yaml.value", &["views.yaml.valueColor"], &[]),
        ("log.info", &["views.logs.fgColor"], &[]),
    ];
    let first = |paths: &[&str]| paths.iter().find_map(|p| colour(at(doc, p)));
    let mut out = format!("# The k9s skin {name}, as a kx theme.\nbase: default-dark\n");
    let mut bad = Vec::new();
    for (slot, fg, bg) in slots {
        for p in fg.iter().chain(bg.iter()) {
            let v = at(doc, p);
            if v.as_str().is_some_and(|t| !t.trim().is_empty()) && colour(v).is_none() {
                bad.push(format!("{p} {:?}", v.as_str().unwrap_or_default()));
            }
        }
        let (fg, bg) = (first(fg), first(bg));
        if fg.is_none() && bg.is_none() {
            continue;
        }
        let mut parts = Vec::new();
        if let Some(f) = fg {
            parts.push(format!("fg: \"{f}\""));
        }
        if let Some(b) = bg {
            parts.push(format!("bg: \"{b}\""));
        }
        let _ = writeln!(out, "{slot}: {{ {} }}", parts.join(", "));
    }
    let mut notes = Vec::new();
    if !bad.is_empty() {
        notes.push(format!(
            "skin {name}: colours kx could not read: {}",
            bad.join(", ")
        ));
    }
    let unused: Vec<&str> = [
        "dialog",
        "help",
        "views.xray",
        "views.charts",
        "frame.menu",
        "frame.crumbs",
    ]
    .into_iter()
    .filter(|p| !at(doc, p).is_null())
    .collect();
    if !unused.is_empty() {
        notes.push(format!(
            "skin {name}: kx has no counterpart for {}",
            unused.join(", ")
        ));
    }
    (out, notes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_hex_and_default_become_kx_colours_and_the_rest_is_said() {
        assert_eq!(colour(&Value::from("dodgerblue")), Some("#1e90ff".into()));
        assert_eq!(colour(&Value::from("#FF0000")), Some("#ff0000".into()));
        assert_eq!(colour(&Value::from("default")), Some("reset".into()));
        assert_eq!(colour(&Value::from("not-a-colour")), None);
        let doc: Value = serde_yaml::from_str(
            "k9s:\n  views:\n    table:\n      cursorBgColor: steelblue\n      fgColor: nope\n  dialog:\n    fgColor: red\n",
        )
        .unwrap_or_default();
        let (theme, notes) = theme(&doc, "mine");
        assert!(
            theme.contains("row.selected: { bg: \"#4682b4\" }"),
            "{theme}"
        );
        assert!(
            notes[0].contains("views.table.fgColor \"nope\""),
            "{notes:?}"
        );
        assert!(notes[1].contains("no counterpart for dialog"), "{notes:?}");
    }
}
