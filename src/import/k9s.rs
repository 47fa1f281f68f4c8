//! A k9s setup translated into kx's configuration files, in memory: aliases, hotkeys,
//! plugins (variables renamed), the settings of config.yaml that mean something to kx, the
//! favourite namespaces of every context, and the active skin as a theme. Pure: the files
//! come in as text, the plan goes out with every line that could not be translated and why.

use super::skin;
use serde_yaml::Value;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The k9s files found, as text, each with the path it came from (for messages).
#[derive(Debug, Default, Clone)]
pub struct K9sFiles {
    pub config: Option<(String, String)>,
    pub aliases: Option<(String, String)>,
    pub hotkeys: Option<(String, String)>,
    /// plugins.yaml, and each file of the plugins/ folder.
    pub plugins: Vec<(String, String)>,
    /// Skins by name (the file name without .yaml).
    pub skins: BTreeMap<String, (String, String)>,
    /// Each context's config.yaml (clusters/CLUSTER/CONTEXT/config.yaml).
    pub contexts: Vec<(String, String)>,
}

/// What the import would write, and what it could not translate.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Plan {
    /// kx files by their path in the config directory, with their text.
    pub files: BTreeMap<String, String>,
    /// What was translated, one line per part.
    pub done: Vec<String>,
    /// What was not, and why.
    pub skipped: Vec<String>,
}

/// The first line of every file the import writes: how a re-run knows the file is its own.
pub const MARK: &str = "# Written by `kx import k9s`";

fn parse(file: &(String, String)) -> Result<Value, String> {
    let (path, text) = file;
    serde_yaml::from_str::<Value>(text).map_err(|e| format!("{path} is not valid YAML ({e})"))
}

/// A YAML scalar as text (k9s files mix strings, numbers and booleans).
fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A YAML string quoted for a kx file (safe for any text).
fn quoted(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// k9s's `Shift-D`, `Ctrl-T`, `Alt-1` as kx writes keys.
pub fn key(shortcut: &str) -> Result<String, String> {
    let spec = shortcut.trim().to_lowercase();
    crate::config::keys::parse_chord(&spec)
        .map(|_| spec.clone())
        .map_err(|why| format!("shortcut {shortcut:?}: {why}"))
}

/// k9s's `apps/v1/deployments` or `v1/pods` as kx names a resource (`deployments.apps`).
fn resource_name(value: &str) -> String {
    let parts: Vec<&str> = value.split('/').collect();
    match parts.as_slice() {
        [_version, plural] => (*plural).to_string(),
        [group, _version, plural] => format!("{plural}.{group}"),
        _ => value.to_string(),
    }
}

/// Translates what is there; an input that is not valid YAML stops everything (nothing is
/// written from a setup kx could not read whole).
pub fn translate(files: &K9sFiles, source: &str) -> Result<Plan, String> {
    let mut plan = Plan::default();
    let header = format!("{MARK} from {source}; a re-run with --force replaces this file.\n");
    let header = header.as_str();
    let mut settings = String::new();
    let mut hotkeys = String::new();
    // Names written into hotkeys.yaml and plugins.yaml: one entry per name (k9s merges
    // plugins.yaml with plugins/*.yaml, and an alias may share a hotkey's name).
    let mut hotkey_names = std::collections::BTreeSet::new();
    let mut plugin_names = std::collections::BTreeSet::new();
    let mut hotkey_count = 0;
    let mut plugins = String::new();
    let mut plugin_count = 0;

    // config.yaml: the settings kx has a meaning for.
    let mut skin_name: Option<String> = None;
    if let Some(file) = &files.config {
        let doc = parse(file)?;
        let k9s = &doc["k9s"];
        let mut taken = Vec::new();
        let mut no_meaning = Vec::new();
        let mut say = |line: String, name: &str, settings: &mut String| {
            settings.push_str(&line);
            taken.push(name.to_string());
        };
        if let Some(b) = k9s["readOnly"].as_bool() {
            say(format!("readonly: {b}\n"), "readOnly", &mut settings);
        }
        if let Some(v) = k9s["defaultView"].as_str().filter(|v| !v.trim().is_empty()) {
            say(
                format!("default_view: {}\n", quoted(v.trim())),
                "defaultView",
                &mut settings,
            );
        }
        let logger = &k9s["logger"];
        if let Some(n) = logger["tail"].as_u64() {
            say(format!("log_tail: {n}\n"), "logger.tail", &mut settings);
        }
        if let Some(n) = logger["buffer"].as_u64() {
            // kx keeps at least 100 lines.
            say(
                format!("log_buffer: {}\n", n.clamp(100, 10_000_000)),
                "logger.buffer",
                &mut settings,
            );
        }
        let thresholds = &k9s["thresholds"];
        if thresholds.is_mapping() {
            let mut t = String::from("thresholds:\n");
            for name in ["cpu", "memory"] {
                let level = &thresholds[name];
                if let (Some(warn), Some(critical)) =
                    (level["warn"].as_u64(), level["critical"].as_u64())
                {
                    let _ = writeln!(t, "  {name}: {{warn: {warn}, critical: {critical}}}");
                }
            }
            if t.lines().count() > 1 {
                say(t, "thresholds", &mut settings);
            }
        }
        if let Some(b) = k9s["ui"]["enableMouse"].as_bool() {
            say(format!("mouse: {b}\n"), "ui.enableMouse", &mut settings);
        }
        if let Some(s) = k9s["ui"]["skin"].as_str().filter(|s| !s.is_empty()) {
            skin_name = Some(s.to_string());
        }
        let reasons: &[(&str, &str)] = &[
            (
                "refreshRate",
                "kx lists are live watches, nothing is polled",
            ),
            ("liveViewAutoRefresh", "kx's views are live"),
            ("logger.sinceSeconds", "kx starts logs by lines (log_tail)"),
        ];
        for (name, why) in reasons {
            let mut v = k9s;
            for part in name.split('.') {
                v = &v[part];
            }
            if !v.is_null() {
                plan.skipped.push(format!("config.yaml {name}: {why}"));
            }
        }
        if let Some(m) = k9s.as_mapping() {
            for (k, _) in m {
                let k = k.as_str().unwrap_or_default();
                let known = [
                    "readOnly",
                    "defaultView",
                    "logger",
                    "thresholds",
                    "ui",
                    "refreshRate",
                    "liveViewAutoRefresh",
                ];
                if !known.contains(&k) {
                    no_meaning.push(k.to_string());
                }
            }
        }
        if !no_meaning.is_empty() {
            plan.skipped.push(format!(
                "config.yaml: no kx counterpart for {}",
                no_meaning.join(", ")
            ));
        }
        if !taken.is_empty() {
            plan.done
                .push(format!("settings: {} → config.yaml", taken.join(", ")));
        }
    }

    // Favourite namespaces live per context in k9s; kx has one list.
    let mut favourites: Vec<String> = Vec::new();
    let mut from_contexts = 0;
    for file in &files.contexts {
        let doc = parse(file)?;
        let found: Vec<String> = doc["k9s"]["namespace"]["favorites"]
            .as_sequence()
            .into_iter()
            .flatten()
            .filter_map(|n| n.as_str().map(str::to_string))
            .collect();
        if !found.is_empty() {
            from_contexts += 1;
        }
        for n in found {
            if !favourites.contains(&n) {
                favourites.push(n);
            }
        }
        if skin_name.is_none()
            && let Some(s) = doc["k9s"]["skin"].as_str()
        {
            plan.skipped.push(format!(
                "{}: a skin per context ({s}): kx has one theme",
                file.0
            ));
        }
    }
    if !favourites.is_empty() {
        if favourites.len() > 10 {
            plan.skipped.push(format!(
                "favourite namespaces past the tenth ({}): kx has the digit keys 0-9",
                favourites[10..].join(", ")
            ));
            favourites.truncate(10);
        }
        let list: Vec<String> = favourites.iter().map(|n| quoted(n)).collect();
        let _ = writeln!(settings, "favourite_namespaces: [{}]", list.join(", "));
        plan.done.push(format!(
            "favourite namespaces of {from_contexts} context(s): {} → config.yaml",
            favourites.join(", ")
        ));
    }

    // Aliases: to a resource stay aliases; with arguments (a namespace, a filter) they are
    // views, which kx calls hotkeys (opened by :NAME).
    if let Some(file) = &files.aliases {
        let doc = parse(file)?;
        let map = doc["aliases"]
            .as_mapping()
            .or_else(|| doc["alias"].as_mapping())
            .cloned()
            .unwrap_or_default();
        let mut aliases = String::new();
        let (mut plain, mut views) = (0, Vec::new());
        for (k, v) in &map {
            let (Some(name), Some(target)) = (text(k), text(v)) else {
                continue;
            };
            let target = target.trim();
            if target.contains(char::is_whitespace) {
                let mut words = target.split_whitespace();
                let first = words.next().map(resource_name).unwrap_or_default();
                let rest: Vec<&str> = words.collect();
                let view = std::iter::once(first.as_str())
                    .chain(rest)
                    .collect::<Vec<_>>()
                    .join(" ");
                if !hotkey_names.insert(name.clone()) {
                    plan.skipped.push(format!(
                        "alias {name}: a second view of that name; the first one is kept"
                    ));
                    continue;
                }
                let _ = writeln!(hotkeys, "  {}:\n    view: {}", quoted(&name), quoted(&view));
                hotkey_count += 1;
                views.push(name);
            } else {
                let _ = writeln!(
                    aliases,
                    "  {}: {}",
                    quoted(&name),
                    quoted(&resource_name(target))
                );
                plain += 1;
            }
        }
        if plain > 0 {
            settings.push_str("aliases:\n");
            settings.push_str(&aliases);
            plan.done
                .push(format!("aliases: {plain} → config.yaml aliases"));
        }
        if !views.is_empty() {
            plan.done.push(format!(
                "aliases with arguments: {} → hotkeys.yaml (open them with :NAME)",
                views.join(", ")
            ));
        }
    }

    // Hotkeys.
    if let Some(file) = &files.hotkeys {
        let doc = parse(file)?;
        let map = doc["hotKeys"]
            .as_mapping()
            .or_else(|| doc["hotkeys"].as_mapping())
            .cloned()
            .unwrap_or_default();
        let mut names = Vec::new();
        for (k, v) in &map {
            let name = text(k)
                .unwrap_or_default()
                .replace(char::is_whitespace, "-");
            let Some(command) = v["command"].as_str().filter(|c| !c.trim().is_empty()) else {
                plan.skipped
                    .push(format!("hotkey {name}: no command to open; skipped"));
                continue;
            };
            if hotkey_names.contains(&name) {
                plan.skipped.push(format!(
                    "hotkey {name}: an alias with arguments has that name already; skipped"
                ));
                continue;
            }
            let shortcut = v["shortCut"].as_str().unwrap_or_default();
            let keys = match key(shortcut) {
                Ok(k) => k,
                Err(why) => {
                    plan.skipped.push(format!("hotkey {name}: {why}; skipped"));
                    continue;
                }
            };
            let _ = writeln!(
                hotkeys,
                "  {}:\n    key: {}\n    view: {}",
                quoted(&name),
                quoted(&keys),
                quoted(command.trim())
            );
            if let Some(d) = v["description"].as_str() {
                let _ = writeln!(hotkeys, "    description: {}", quoted(d));
            }
            if v["keepHistory"].as_bool() == Some(true) {
                plan.skipped.push(format!(
                    "hotkey {name}: keepHistory: kx's hotkeys always open the view in place of the stack"
                ));
            }
            hotkey_count += 1;
            hotkey_names.insert(name.clone());
            names.push(name);
        }
        if !names.is_empty() {
            plan.done
                .push(format!("hotkeys: {} → hotkeys.yaml", names.join(", ")));
        }
    }

    // Plugins.
    let mut names = Vec::new();
    for file in &files.plugins {
        let doc = parse(file)?;
        let map = doc["plugins"]
            .as_mapping()
            .or_else(|| doc["plugin"].as_mapping())
            .cloned()
            .unwrap_or_default();
        for (k, v) in &map {
            let name = text(k).unwrap_or_default();
            if plugin_names.contains(&name) {
                plan.skipped.push(format!(
                    "plugin {name} in {}: defined before; the first one is kept",
                    file.0
                ));
                continue;
            }
            match plugin(&name, v) {
                Ok((yaml, notes)) => {
                    plugins.push_str(&yaml);
                    plan.skipped.extend(notes);
                    plugin_count += 1;
                    plugin_names.insert(name.clone());
                    names.push(name);
                }
                Err(why) => plan.skipped.push(format!("plugin {name}: {why}; skipped")),
            }
        }
    }
    if !names.is_empty() {
        plan.done
            .push(format!("plugins: {} → plugins.yaml", names.join(", ")));
    }

    // The active skin, as a theme.
    if let Some(name) = skin_name {
        match files.skins.get(&name) {
            Some(file) => {
                let doc = parse(file)?;
                let (theme, notes) = skin::theme(&doc, &name);
                let theme_name = format!("k9s-{name}");
                plan.files.insert(
                    format!("themes/{theme_name}.yaml"),
                    format!("{header}{theme}"),
                );
                let _ = writeln!(settings, "theme: {}", quoted(&theme_name));
                plan.done.push(format!(
                    "skin {name} → themes/{theme_name}.yaml (theme: {theme_name})"
                ));
                plan.skipped.extend(notes);
            }
            None => plan.skipped.push(format!(
                "skin {name}: config.yaml names it but skins/{name}.yaml is not there"
            )),
        }
    }

    if !settings.is_empty() {
        plan.files
            .insert("config.yaml".into(), format!("{header}{settings}"));
    }
    if hotkey_count > 0 {
        plan.files.insert(
            "hotkeys.yaml".into(),
            format!("{header}hotkeys:\n{hotkeys}"),
        );
    }
    if plugin_count > 0 {
        plan.files.insert(
            "plugins.yaml".into(),
            format!("{header}plugins:\n{plugins}"),
        );
    }
    Ok(plan)
}

/// k9s's plugin variables by kx's names; in a pod's containers k9s's `$NAME` is the
/// container and `$POD` the pod, where kx has `$CONTAINER` and `$NAME`.
fn rename_variables(text: &str, containers: bool) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let braced = after.starts_with('{');
        let body = if braced { &after[1..] } else { after };
        let len = body
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
            .unwrap_or(body.len());
        let var = &body[..len];
        let renamed = match var {
            "" => None,
            "RESOURCE_GROUP" => Some("GROUP"),
            "RESOURCE_VERSION" => Some("VERSION"),
            "RESOURCE_NAME" => Some("RESOURCE"),
            "NAME" if containers => Some("CONTAINER"),
            "POD" if containers => Some("NAME"),
            "POD" => {
                return Err("uses $POD outside a pod's containers, which kx does not fill".into());
            }
            "GROUPS" => {
                return Err("uses $GROUPS (the user's groups), which kx does not know".into());
            }
            v if crate::config::plugins::ROW_VARIABLES.contains(&v)
                || crate::config::plugins::COMMON_VARIABLES.contains(&v)
                || v.starts_with("COL-") =>
            {
                Some(v)
            }
            other => return Err(format!("uses ${other}, which kx does not fill")),
        };
        match renamed {
            Some(v) if braced => {
                out.push_str("${");
                out.push_str(v);
            }
            Some(v) => {
                out.push('$');
                out.push_str(v);
            }
            None => out.push('$'),
        }
        rest = &body[len..];
    }
    out.push_str(rest);
    Ok(out)
}

/// One k9s plugin as kx's YAML, with notes on what changed meaning.
fn plugin(name: &str, v: &Value) -> Result<(String, Vec<String>), String> {
    let mut notes = Vec::new();
    let shortcut = v["shortCut"].as_str().ok_or("no shortCut")?;
    let keys = key(shortcut)?;
    let command = v["command"].as_str().ok_or("no command")?;
    if v["pipes"].as_sequence().is_some_and(|p| !p.is_empty()) {
        return Err("pipes its output through other commands, which kx does not do".into());
    }
    let scopes: Vec<String> = v["scopes"]
        .as_sequence()
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_str().map(str::to_lowercase))
        .collect();
    if scopes.is_empty() {
        return Err("no scopes".into());
    }
    let containers = scopes.iter().all(|s| s == "containers");
    let args: Vec<String> = v["args"]
        .as_sequence()
        .into_iter()
        .flatten()
        .filter_map(text)
        .map(|a| rename_variables(&a, containers))
        .collect::<Result<_, _>>()?;
    let mut command = rename_variables(command, containers)?;
    let mut args = args;
    // `bash -c SCRIPT …`: a kx shell plugin, so names reach the script as parameters (k9s
    // pastes them into the script's text).
    let program = command.rsplit('/').next().unwrap_or_default().to_string();
    let mut shell = None;
    if ["sh", "bash", "zsh", "dash", "ksh"].contains(&program.as_str())
        && args.first().is_some_and(|a| a == "-c")
        && args.len() >= 2
    {
        shell = Some(program);
        command = args[1].clone();
        args = args[2..].to_vec();
        notes.push(format!(
            "plugin {name}: its {} -c script runs as a kx shell plugin: names reach it as parameters, never as code",
            shell.as_deref().unwrap_or("sh")
        ));
    }
    let mut out = format!(
        "  {}:\n    key: {}\n    scopes: [{}]\n    command: {}\n",
        quoted(name),
        quoted(&keys),
        scopes
            .iter()
            .map(|s| quoted(s))
            .collect::<Vec<_>>()
            .join(", "),
        quoted(&command)
    );
    if let Some(d) = v["description"].as_str() {
        let _ = writeln!(out, "    description: {}", quoted(d));
    }
    if !args.is_empty() {
        let _ = writeln!(
            out,
            "    args: [{}]",
            args.iter()
                .map(|a| quoted(a))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if let Some(sh) = &shell {
        let _ = writeln!(out, "    shell: {}", quoted(sh));
    }
    if v["background"].as_bool() == Some(true) {
        out.push_str("    output: background\n");
        notes.push(format!(
            "plugin {name}: background: kx shows its output in a view (Esc stops it)"
        ));
    }
    if v["confirm"].as_bool() == Some(true) {
        out.push_str("    confirm: true\n");
    }
    if v["dangerous"].as_bool() == Some(true) {
        out.push_str("    writes: true\n");
    }
    if v["override"].as_bool() == Some(true) {
        notes.push(format!(
            "plugin {name}: override: kx's own keys always win (kx config check names a clash)"
        ));
    }
    Ok((out, notes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_are_renamed_per_scope_and_the_unknown_are_refused() {
        assert_eq!(
            rename_variables("$RESOURCE_NAME/${RESOURCE_GROUP} $NAME $$", false),
            Ok("$RESOURCE/${GROUP} $NAME $$".to_string())
        );
        assert_eq!(
            rename_variables("-n $NAMESPACE $POD -c $NAME", true),
            Ok("-n $NAMESPACE $NAME -c $CONTAINER".to_string())
        );
        assert!(rename_variables("$GROUPS", false).is_err());
        assert!(rename_variables("$POD", false).is_err());
        assert_eq!(key("Shift-D"), Ok("shift-d".to_string()));
        assert!(key("Hyper-Q").is_err());
        assert_eq!(resource_name("apps/v1/deployments"), "deployments.apps");
        assert_eq!(resource_name("v1/secrets"), "secrets");
    }
}
