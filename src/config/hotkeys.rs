//! hotkeys.yaml: views by name and key — a resource with a namespace, a filter, a label
//! selector and a context, as `:` takes them (`web: pods shop /web @prod`). `:web` or its
//! key opens it from any screen.

use super::keys::{Key, parse_chord};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hotkey {
    pub name: String,
    /// None: only by `:name`.
    pub keys: Option<Vec<Key>>,
    pub description: String,
    /// What `:` would be given, without the context.
    pub command: String,
    /// `@CONTEXT`: the view is in that context (kx switches first).
    pub context: Option<String>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    #[serde(default)]
    key: Option<String>,
    view: String,
    #[serde(default)]
    description: String,
}

pub const DEFAULT_HOTKEYS: &str = include_str!("../../config/hotkeys.yaml");

/// Reads hotkeys.yaml (`hotkeys: {NAME: {view, key, description}}`, or `NAME: VIEW` for
/// short); what is wrong with an entry is a warning naming it, and the others load.
pub fn load(text: &str, origin: &str, warnings: &mut Vec<String>) -> Vec<Hotkey> {
    let Some(map) = super::named_entries(
        text,
        origin,
        "hotkeys",
        "`NAME: {view: \"pods shop /web\", key: shift-w}`",
        warnings,
    ) else {
        return Vec::new();
    };
    let mut out: Vec<Hotkey> = Vec::new();
    for (name, body) in &map {
        let name = name.as_str().unwrap_or_default().to_string();
        let at = format!("{origin}: hotkey {name}");
        if name.is_empty() || name.contains(char::is_whitespace) {
            warnings.push(format!(
                "{at}: a name is one word (it is typed as :NAME); not loaded"
            ));
            continue;
        }
        let entry = match body {
            serde_yaml::Value::String(view) => Entry {
                key: None,
                view: view.clone(),
                description: String::new(),
            },
            other => match serde_yaml::from_value::<Entry>(other.clone()) {
                Ok(e) => e,
                Err(e) => {
                    warnings.push(format!(
                        "{at}: {e} (expected view and optionally key and description); not loaded"
                    ));
                    continue;
                }
            },
        };
        match build(name, entry) {
            Ok(h) => {
                if let Some(other) = out.iter().find(|o| o.keys.is_some() && o.keys == h.keys) {
                    warnings.push(format!(
                        "{at}: its key is also hotkey {}'s; the first one wins",
                        other.name
                    ));
                }
                out.push(h);
            }
            Err(why) => warnings.push(format!("{at}: {why}; not loaded")),
        }
    }
    out
}

fn build(name: String, e: Entry) -> Result<Hotkey, String> {
    let keys = match &e.key {
        Some(k) => Some(parse_chord(k).map_err(|why| format!("key {k:?}: {why}"))?),
        None => None,
    };
    let (command, context) = split_context(&e.view);
    if command.is_empty() {
        return Err(format!(
            "view {:?} names no resource (e.g. view: \"pods shop /web\")",
            e.view
        ));
    }
    Ok(Hotkey {
        name,
        keys,
        description: e.description,
        command,
        context,
    })
}

/// `pods shop @prod /web` → (`pods shop /web`, Some(`prod`)).
pub fn split_context(view: &str) -> (String, Option<String>) {
    let mut context = None;
    let mut words = Vec::new();
    for w in view.split_whitespace() {
        match w.strip_prefix('@') {
            Some(c) if !c.is_empty() => context = Some(c.to_string()),
            _ => words.push(w),
        }
    }
    (words.join(" "), context)
}

/// Hotkeys whose key kx or a plugin takes first: `(hotkey, why)`.
pub fn conflicts(
    hotkeys: &[Hotkey],
    plugins: &[super::plugins::Plugin],
    keys: &super::keys::KeyMap,
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for h in hotkeys {
        let Some(chord) = &h.keys else { continue };
        let clash = keys
            .taken(chord)
            .map(|what| format!("kx's {what}"))
            .or_else(|| {
                plugins
                    .iter()
                    .find(|p| p.keys == *chord)
                    .map(|p| format!("plugin {}'s key", p.name))
            });
        if let Some(what) = clash {
            out.push((
                h.name.clone(),
                format!(
                    "{} is {what}; that key does not reach the hotkey (:{} still does)",
                    super::keys::chord_display(chord),
                    h.name
                ),
            ));
        }
    }
    out
}

impl Hotkey {
    /// The view as written: `pods shop /web @prod`.
    pub fn view(&self) -> String {
        match &self.context {
            Some(c) => format!("{} @{c}", self.command),
            None => self.command.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn views_load_long_and_short_with_their_context_and_mistakes_are_named() {
        let mut warnings = Vec::new();
        let hotkeys = load(
            r#"
hotkeys:
  web:
    key: shift-w
    view: pods shop /web @prod
    description: the shop's web pods
  sys: deploy kube-system
  bad key:
    view: pods
  nokey:
    key: ctrl-
    view: pods
  empty:
    view: "@prod"
  twin:
    key: shift-w
    view: svc
"#,
            "hotkeys.yaml",
            &mut warnings,
        );
        let web = &hotkeys[0];
        assert_eq!(web.command, "pods shop /web");
        assert_eq!(web.context.as_deref(), Some("prod"));
        assert_eq!(web.view(), "pods shop /web @prod");
        assert_eq!(
            web.keys
                .as_ref()
                .map(|k| super::super::keys::chord_display(k)),
            Some("W".to_string())
        );
        assert_eq!(hotkeys[1].name, "sys");
        assert_eq!(hotkeys[1].command, "deploy kube-system");
        assert!(hotkeys[1].keys.is_none());
        let said = warnings.join("\n");
        for expected in [
            "hotkey bad key: a name is one word",
            "hotkey nokey: key \"ctrl-\"",
            "hotkey empty: view \"@prod\" names no resource",
            "hotkey twin: its key is also hotkey web's",
        ] {
            assert!(said.contains(expected), "{expected:?} not in:\n{said}");
        }
    }
}
