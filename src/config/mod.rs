//! Configuration: where it lives, the settings, the key map and the theme. Defaults are
//! embedded from `config/` and `themes/`; user files are merged on top; every problem is a
//! warning (shown in the status line and by `kx config check`), never a reason not to start.

pub mod hotkeys;
pub mod keys;
pub mod plugins;
pub mod theme;

use keys::KeyMap;
use std::path::{Path, PathBuf};
use theme::Theme;

pub const DEFAULT_CONFIG: &str = include_str!("../../config/config.yaml");

/// The config directory: `KX_CONFIG_DIR`, else `$XDG_CONFIG_HOME/kx`, else the platform's.
pub fn config_dir_from(
    kx_config_dir: Option<&str>,
    xdg_config_home: Option<&str>,
) -> Option<PathBuf> {
    if let Some(d) = kx_config_dir.filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d));
    }
    if let Some(x) = xdg_config_home.filter(|x| !x.is_empty()) {
        return Some(Path::new(x).join("kx"));
    }
    directories::ProjectDirs::from("", "", "kx").map(|p| p.config_dir().to_path_buf())
}

pub fn config_dir() -> Option<PathBuf> {
    config_dir_from(
        std::env::var("KX_CONFIG_DIR").ok().as_deref(),
        std::env::var("XDG_CONFIG_HOME").ok().as_deref(),
    )
}

/// Where kx writes its own log file (only when `KX_LOG` is set).
pub fn state_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "kx")
        .map(|p| p.state_dir().unwrap_or(p.cache_dir()).to_path_buf())
}

/// The settings of config.yaml.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub theme: String,
    pub readonly: bool,
    pub favourite_namespaces: Vec<String>,
    pub aliases: Vec<(String, String)>,
    /// Memory for object revision histories (diff views), in MiB.
    pub history_budget_mib: u64,
    /// Lists of at most this many objects take whole objects in their first list, so the
    /// first change already has a diff; larger ones list rows only (0: never).
    pub history_full_list_max: usize,
    /// Show the server's dry-run diff of an edit and ask before applying it.
    pub edit_preview: bool,
    /// The shells `s` and `kx shell` try, in order.
    pub shells: Vec<String>,
    /// Where port-forwards listen unless told otherwise.
    pub forward_address: String,
    /// Port-forwards started by name (`:pf start NAME`, `kx --forward NAME`).
    pub port_forwards: Vec<SavedForward>,
    /// `lint:` rules turned off or re-levelled, the restart threshold.
    pub lint: crate::lint::Settings,
    /// When CPU and memory percentages turn to the warning and error colours.
    pub thresholds: Thresholds,
    /// CPU and MEM columns on pods and nodes (from the metrics API and the pods' requests).
    pub metrics: bool,
    /// What kx opens at start: a `:` command (`pods`, `deploy -A`, a hotkey's name).
    pub default_view: String,
    /// Lines of each container's log a log view starts with.
    pub log_tail: u32,
    /// Lines a log view keeps (the oldest go first).
    pub log_buffer: usize,
    /// Clicks and the wheel (off by default: with it on, selecting text needs shift).
    pub mouse: bool,
}

/// `thresholds: {cpu: {warn: 70, critical: 90}, memory: {…}}`, as k9s has them: percentages
/// at which the usage columns turn to the warning and the error colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    pub cpu: (u32, u32),
    pub memory: (u32, u32),
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            cpu: (70, 90),
            memory: (70, 90),
        }
    }
}

/// Where a share of CPU or memory stands against the thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Ok,
    Warn,
    Critical,
}

impl Level {
    /// The theme slot a share at this level is drawn in.
    pub fn slot(self) -> &'static str {
        match self {
            Level::Ok => "status.ok",
            Level::Warn => "status.warn",
            Level::Critical => "status.error",
        }
    }
}

impl Thresholds {
    /// The level of a share of memory or of CPU, in percent (`%CPU/R`, `REQ%MEM`, …).
    pub fn level(&self, memory: bool, pct: u64) -> Level {
        let (warn, critical) = if memory { self.memory } else { self.cpu };
        if pct >= u64::from(critical) {
            Level::Critical
        } else if pct >= u64::from(warn) {
            Level::Warn
        } else {
            Level::Ok
        }
    }
}

fn thresholds(v: &serde_yaml::Value, origin: &str, warnings: &mut Vec<String>) -> Thresholds {
    let mut t = Thresholds::default();
    for (name, into) in [("cpu", &mut t.cpu), ("memory", &mut t.memory)] {
        let level = &v[name];
        if level.is_null() {
            continue;
        }
        let warn = level["warn"].as_u64().map(|n| n as u32).unwrap_or(into.0);
        let critical = level["critical"]
            .as_u64()
            .map(|n| n as u32)
            .unwrap_or(into.1);
        if warn > critical || critical > 1000 {
            warnings.push(format!(
                "{origin}: thresholds: {name}: expected warn ≤ critical, in percent (e.g. warn: 70, critical: 90); using {}/{}",
                into.0, into.1
            ));
            continue;
        }
        *into = (warn, critical);
    }
    t
}

/// A port-forward saved in config.yaml.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedForward {
    #[serde(skip)]
    pub name: String,
    /// KIND/NAME: svc/web, deploy/api, pod/db-0.
    pub target: String,
    /// Default: the context's namespace.
    #[serde(default)]
    pub namespace: Option<String>,
    /// `[LOCAL:]REMOTE`, as on the command line.
    pub ports: Vec<String>,
    #[serde(default)]
    pub address: Option<String>,
}

const KNOWN_SETTINGS: &[&str] = &[
    "theme",
    "readonly",
    "favourite_namespaces",
    "aliases",
    "history_budget_mib",
    "history_full_list_max",
    "edit_preview",
    "shell",
    "forward_address",
    "port_forwards",
    "lint",
    "thresholds",
    "metrics",
    "default_view",
    "log_tail",
    "log_buffer",
    "mouse",
];

impl Settings {
    fn parse(text: &str, origin: &str, warnings: &mut Vec<String>) -> Option<serde_yaml::Mapping> {
        match serde_yaml::from_str::<serde_yaml::Value>(text) {
            Ok(serde_yaml::Value::Mapping(m)) => Some(m),
            Ok(serde_yaml::Value::Null) => None,
            Ok(_) => {
                warnings.push(format!(
                    "{origin}: expected `setting: value` lines; ignored"
                ));
                None
            }
            Err(e) => {
                warnings.push(format!(
                    "{origin}: not valid YAML ({e}); using the defaults"
                ));
                None
            }
        }
    }

    pub fn load(user: Option<(&str, &str)>, warnings: &mut Vec<String>) -> Settings {
        let mut settings = Settings {
            theme: "default-dark".into(),
            readonly: false,
            favourite_namespaces: Vec::new(),
            aliases: Vec::new(),
            history_budget_mib: 64,
            history_full_list_max: 2000,
            edit_preview: true,
            shells: vec!["bash".into(), "sh".into()],
            forward_address: "127.0.0.1".into(),
            port_forwards: Vec::new(),
            lint: crate::lint::Settings::default(),
            thresholds: Thresholds::default(),
            metrics: true,
            default_view: "pods".into(),
            log_tail: 1000,
            log_buffer: 100_000,
            mouse: false,
        };
        let mut docs = Vec::new();
        docs.extend(
            Self::parse(DEFAULT_CONFIG, "built-in config.yaml", warnings)
                .map(|m| (m, "built-in config.yaml".to_string())),
        );
        if let Some((text, origin)) = user {
            docs.extend(Self::parse(text, origin, warnings).map(|m| (m, origin.to_string())));
        }
        for (doc, origin) in docs {
            for (k, v) in doc {
                let key = k.as_str().unwrap_or_default();
                match key {
                    "theme" => match v.as_str() {
                        Some(t) => settings.theme = t.to_string(),
                        None => warnings.push(format!("{origin}: theme: expected a name")),
                    },
                    "readonly" => match v.as_bool() {
                        Some(b) => settings.readonly = b,
                        None => {
                            warnings.push(format!("{origin}: readonly: expected true or false"))
                        }
                    },
                    "edit_preview" => match v.as_bool() {
                        Some(b) => settings.edit_preview = b,
                        None => {
                            warnings.push(format!("{origin}: edit_preview: expected true or false"))
                        }
                    },
                    "shell" => {
                        let shells: Vec<String> = match &v {
                            serde_yaml::Value::String(s) => vec![s.clone()],
                            serde_yaml::Value::Sequence(seq) => seq
                                .iter()
                                .filter_map(|s| s.as_str().map(str::to_string))
                                .collect(),
                            _ => Vec::new(),
                        };
                        if shells.is_empty() {
                            warnings.push(format!(
                                "{origin}: shell: expected a command or a list of them (bash, sh)"
                            ));
                        } else {
                            settings.shells = shells;
                        }
                    }
                    "forward_address" => match v.as_str().map(str::parse::<std::net::IpAddr>) {
                        Some(Ok(_)) => settings.forward_address = v.as_str().unwrap_or("127.0.0.1").to_string(),
                        _ => warnings.push(format!(
                            "{origin}: forward_address: expected an IP address (127.0.0.1, 0.0.0.0, ::1)"
                        )),
                    },
                    "port_forwards" => match v.as_mapping() {
                        Some(m) => {
                            settings.port_forwards.clear();
                            for (name, entry) in m {
                                let name = name.as_str().unwrap_or_default().to_string();
                                match serde_yaml::from_value::<SavedForward>(entry.clone()) {
                                    Ok(mut f) if !f.ports.is_empty() => {
                                        f.name = name;
                                        settings.port_forwards.push(f);
                                    }
                                    Ok(_) => warnings.push(format!(
                                        "{origin}: port_forwards: {name}: needs ports: [\"LOCAL:REMOTE\"]"
                                    )),
                                    Err(e) => warnings.push(format!(
                                        "{origin}: port_forwards: {name}: {e} (expected target, ports, and optionally namespace and address)"
                                    )),
                                }
                            }
                        }
                        None if v.is_null() => settings.port_forwards.clear(),
                        None => warnings.push(format!(
                            "{origin}: port_forwards: expected `NAME: {{target: svc/web, ports: [\"8080:80\"]}}` entries"
                        )),
                    },
                    "lint" => settings.lint = lint_settings(&v, &origin, warnings),
                    "thresholds" => settings.thresholds = thresholds(&v, &origin, warnings),
                    "mouse" => match v.as_bool() {
                        Some(b) => settings.mouse = b,
                        None => warnings.push(format!("{origin}: mouse: expected true or false")),
                    },
                    "metrics" => match v.as_bool() {
                        Some(b) => settings.metrics = b,
                        None => warnings.push(format!("{origin}: metrics: expected true or false")),
                    },
                    "default_view" => match v.as_str().map(str::trim) {
                        Some(view) if !view.is_empty() => settings.default_view = view.to_string(),
                        _ => warnings.push(format!(
                            "{origin}: default_view: expected what `:` takes (pods, deploy -A, a hotkey's name)"
                        )),
                    },
                    "log_tail" => match v.as_u64().and_then(|n| u32::try_from(n).ok()) {
                        Some(n) if n <= 1_000_000 => settings.log_tail = n,
                        _ => warnings.push(format!(
                            "{origin}: log_tail: expected a number of lines, at most 1000000"
                        )),
                    },
                    "log_buffer" => match v.as_u64() {
                        Some(n) if (100..=10_000_000).contains(&n) => {
                            settings.log_buffer = n as usize
                        }
                        _ => warnings.push(format!(
                            "{origin}: log_buffer: expected a number of lines from 100 to 10000000"
                        )),
                    },
                    "history_budget_mib" => match v.as_u64() {
                        Some(n) => settings.history_budget_mib = n,
                        None => warnings.push(format!(
                            "{origin}: history_budget_mib: expected a whole number of MiB"
                        )),
                    },
                    "history_full_list_max" => match v.as_u64() {
                        Some(n) => settings.history_full_list_max = n as usize,
                        None => warnings.push(format!(
                            "{origin}: history_full_list_max: expected a whole number of objects"
                        )),
                    },
                    "favourite_namespaces" => match v.as_sequence() {
                        Some(seq) => {
                            settings.favourite_namespaces = seq
                                .iter()
                                .filter_map(|n| n.as_str().map(str::to_string))
                                .collect()
                        }
                        None => warnings
                            .push(format!("{origin}: favourite_namespaces: expected a list")),
                    },
                    "aliases" => match v.as_mapping() {
                        Some(m) => {
                            settings.aliases = m
                                .iter()
                                .filter_map(|(a, r)| {
                                    Some((a.as_str()?.to_string(), r.as_str()?.to_string()))
                                })
                                .collect()
                        }
                        None if v.is_null() => settings.aliases.clear(),
                        None => warnings.push(format!(
                            "{origin}: aliases: expected `alias: resource` entries"
                        )),
                    },
                    other => {
                        let hint = keys::closest(other, KNOWN_SETTINGS.iter().copied())
                            .map(|c| format!(" (did you mean {c}?)"))
                            .unwrap_or_default();
                        warnings.push(format!(
                            "{origin}: unknown setting {other:?}{hint}; ignored"
                        ));
                    }
                }
            }
        }
        settings
    }
}

/// `lint: {disable: [RULE...], severity: {RULE: info|warn|error}, restarts_max: N}`; unknown
/// rules and levels are warned about, the rest kept.
fn lint_settings(
    v: &serde_yaml::Value,
    origin: &str,
    warnings: &mut Vec<String>,
) -> crate::lint::Settings {
    use crate::lint::{Severity, rules::rule};
    let mut s = crate::lint::Settings::default();
    const KEYS: [&str; 3] = ["disable", "severity", "restarts_max"];
    for key in v
        .as_mapping()
        .into_iter()
        .flatten()
        .filter_map(|(k, _)| k.as_str())
    {
        if !KEYS.contains(&key) {
            let hint = keys::closest(key, KEYS.into_iter())
                .map(|c| format!(" (did you mean {c}?)"))
                .unwrap_or_default();
            warnings.push(format!(
                "{origin}: lint: unknown setting {key:?}{hint}; ignored"
            ));
        }
    }
    if !v.is_mapping() && !v.is_null() {
        warnings.push(format!(
            "{origin}: lint: expected disable, severity and restarts_max"
        ));
    }
    if !v["disable"].is_null() && !v["disable"].is_sequence() {
        warnings.push(format!(
            "{origin}: lint: disable: expected a list of rule ids ([image-tag, probes])"
        ));
    }
    let known = |id: &str, warnings: &mut Vec<String>| {
        let ok = rule(id).is_some();
        if !ok {
            let ids = crate::lint::rules::RULES.iter().map(|r| r.id);
            let hint = keys::closest(id, ids)
                .map(|c| format!(" (did you mean {c}?)"))
                .unwrap_or_default();
            warnings.push(format!("{origin}: lint: no rule {id:?}{hint}; ignored"));
        }
        ok
    };
    for id in v["disable"]
        .as_sequence()
        .into_iter()
        .flatten()
        .filter_map(|r| r.as_str())
    {
        if known(id, warnings) {
            s.disabled.insert(id.to_string());
        }
    }
    for (id, level) in v["severity"].as_mapping().into_iter().flatten() {
        let (Some(id), Some(level)) = (id.as_str(), level.as_str()) else {
            continue;
        };
        match Severity::parse(level) {
            Some(l) if known(id, warnings) => {
                s.levels.insert(id.to_string(), l);
            }
            Some(_) => {}
            None => warnings.push(format!(
                "{origin}: lint: severity of {id}: {level:?} is not info, warn or error"
            )),
        }
    }
    match &v["restarts_max"] {
        serde_yaml::Value::Null => {}
        n => match n.as_u64() {
            Some(n) => s.restarts_max = n,
            None => warnings.push(format!(
                "{origin}: lint: restarts_max: expected a whole number of restarts"
            )),
        },
    }
    s
}

/// Everything the UI needs from configuration, passed down as one context.
#[derive(Debug, Clone)]
pub struct Config {
    pub dir: Option<PathBuf>,
    pub settings: Settings,
    pub keys: KeyMap,
    pub theme: Theme,
    /// plugins.yaml.
    pub plugins: Vec<plugins::Plugin>,
    /// hotkeys.yaml.
    pub hotkeys: Vec<hotkeys::Hotkey>,
    pub warnings: Vec<String>,
}

/// The `key: {NAME: ENTRY, …}` map of a file like plugins.yaml; None (said in `warnings` when
/// it is a mistake) when there is none to load. `shape` shows what an entry looks like.
fn named_entries(
    text: &str,
    origin: &str,
    key: &str,
    shape: &str,
    warnings: &mut Vec<String>,
) -> Option<serde_yaml::Mapping> {
    let doc: serde_yaml::Value = match serde_yaml::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            warnings.push(format!("{origin}: not valid YAML ({e}); no {key} loaded"));
            return None;
        }
    };
    let entries = match doc.get(key) {
        Some(e) => e,
        None if doc.is_null() => return None,
        None => {
            warnings.push(format!(
                "{origin}: expected `{key}:` with one entry each; no {key} loaded"
            ));
            return None;
        }
    };
    match entries.as_mapping() {
        Some(m) => Some(m.clone()),
        None => {
            if !entries.is_null() {
                warnings.push(format!("{origin}: {key}: expected {shape} entries"));
            }
            None
        }
    }
}

fn read_optional(path: &Path, warnings: &mut Vec<String>) -> Option<String> {
    match std::fs::read_to_string(path) {
        Ok(t) => Some(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            warnings.push(format!("cannot read {}: {e}", path.display()));
            None
        }
    }
}

impl Config {
    /// Loads from `dir` (None: defaults only). `theme_override` is `--theme`.
    pub fn load(dir: Option<PathBuf>, theme_override: Option<&str>, no_color: bool) -> Config {
        let mut warnings = Vec::new();
        let file = |name: &str, warnings: &mut Vec<String>| {
            dir.as_ref().and_then(|d| {
                let p = d.join(name);
                read_optional(&p, warnings).map(|t| (t, p.display().to_string()))
            })
        };
        let config_text = file("config.yaml", &mut warnings);
        let settings = Settings::load(
            config_text.as_ref().map(|(t, o)| (t.as_str(), o.as_str())),
            &mut warnings,
        );
        let keys_text = file("keys.yaml", &mut warnings);
        let keys = KeyMap::load(keys_text.as_ref().map(|(t, o)| (t.as_str(), o.as_str())));
        warnings.extend(keys.warnings.iter().cloned());
        let theme_name = theme_override.unwrap_or(&settings.theme).to_string();
        let is_bundled = theme::BUNDLED.iter().any(|(n, _)| *n == theme_name);
        let user_theme = if is_bundled {
            None
        } else {
            file(&format!("themes/{theme_name}.yaml"), &mut warnings)
        };
        let theme = Theme::load(
            &theme_name,
            user_theme.as_ref().map(|(t, o)| (t.as_str(), o.as_str())),
            no_color,
        );
        warnings.extend(theme.warnings.iter().cloned());
        let plugins = match file("plugins.yaml", &mut warnings) {
            Some((text, origin)) => {
                let plugins = plugins::load(&text, &origin, &mut warnings);
                for (name, clash) in plugins::conflicts(&plugins, &|chord| keys.taken(chord)) {
                    warnings.push(format!(
                        "{origin}: plugin {name}: {clash}; that key does not reach the plugin (change one of them)"
                    ));
                }
                plugins
            }
            None => Vec::new(),
        };
        let hotkeys = match file("hotkeys.yaml", &mut warnings) {
            Some((text, origin)) => {
                let hotkeys = hotkeys::load(&text, &origin, &mut warnings);
                for (name, clash) in hotkeys::conflicts(&hotkeys, &plugins, &keys) {
                    warnings.push(format!("{origin}: hotkey {name}: {clash}"));
                }
                hotkeys
            }
            None => Vec::new(),
        };
        Config {
            dir,
            settings,
            keys,
            theme,
            plugins,
            hotkeys,
            warnings,
        }
    }

    /// `kx config init`: writes the defaults into the config directory, never over a file.
    pub fn init(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
        std::fs::create_dir_all(dir)?;
        let mut written = Vec::new();
        for (name, text) in [
            ("config.yaml", DEFAULT_CONFIG),
            ("keys.yaml", keys::DEFAULT_KEYS),
            ("plugins.yaml", plugins::DEFAULT_PLUGINS),
            ("hotkeys.yaml", hotkeys::DEFAULT_HOTKEYS),
        ] {
            let path = dir.join(name);
            if !path.exists() {
                std::fs::write(&path, text)?;
                written.push(path);
            }
        }
        Ok(written)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_share_is_judged_by_its_own_resource_thresholds_inclusive() {
        let t = Thresholds {
            cpu: (50, 80),
            memory: (70, 90),
        };
        assert_eq!(t.level(false, 49), Level::Ok);
        assert_eq!(t.level(false, 50), Level::Warn);
        assert_eq!(t.level(false, 80), Level::Critical);
        assert_eq!(t.level(true, 50), Level::Ok);
        assert_eq!(t.level(true, 89), Level::Warn);
        assert_eq!(t.level(true, 90), Level::Critical);
        assert_eq!(t.level(true, u64::MAX), Level::Critical);
        assert_eq!(Level::Critical.slot(), "status.error");
    }

    #[test]
    fn config_dir_prefers_kx_config_dir_then_xdg() {
        assert_eq!(
            config_dir_from(Some("/a"), Some("/x")),
            Some(PathBuf::from("/a"))
        );
        assert_eq!(
            config_dir_from(None, Some("/x")),
            Some(PathBuf::from("/x/kx"))
        );
        assert_eq!(
            config_dir_from(Some(""), Some("/x")),
            Some(PathBuf::from("/x/kx"))
        );
    }

    #[test]
    fn unknown_and_mistyped_settings_are_warnings_and_the_rest_applies() {
        let mut warnings = Vec::new();
        let s = Settings::load(
            Some((
                "them: light\nreadonly: true\nfavourite_namespaces: [shop]\nreadonly_x: 1\n",
                "config.yaml",
            )),
            &mut warnings,
        );
        assert!(s.readonly);
        assert_eq!(s.favourite_namespaces, ["shop"]);
        assert_eq!(s.theme, "default-dark");
        assert!(
            warnings
                .iter()
                .any(|w| w.contains("unknown setting \"them\" (did you mean theme?)")),
            "{warnings:?}"
        );
        assert_eq!(warnings.len(), 2, "{warnings:?}");
    }

    #[test]
    fn shells_forwards_and_lint_rules_load_and_mistakes_are_named() {
        let mut warnings = Vec::new();
        let s = Settings::load(
            Some((
                "shell: zsh\nforward_address: 0.0.0.0\nport_forwards:\n  web: {target: svc/web, ports: [\"8080:80\"]}\n  bad: {target: svc/x}\nlint:\n  disable: [image-tag, imagetag]\n  severity: {probes: error, limits: loud}\n  restarts_max: 20\n  disabled: [probes]\n",
                "config.yaml",
            )),
            &mut warnings,
        );
        assert_eq!(s.shells, ["zsh"]);
        assert_eq!(s.forward_address, "0.0.0.0");
        assert_eq!(s.port_forwards.len(), 1);
        assert_eq!(
            (
                s.port_forwards[0].name.as_str(),
                s.port_forwards[0].target.as_str()
            ),
            ("web", "svc/web")
        );
        assert!(s.lint.disabled.contains("image-tag") && s.lint.disabled.len() == 1);
        assert_eq!(
            s.lint.levels.get("probes"),
            Some(&crate::lint::Severity::Error)
        );
        assert_eq!(s.lint.restarts_max, 20);
        let said = warnings.join("\n");
        assert!(said.contains("port_forwards: bad:"), "{said}");
        assert!(
            said.contains("lint: no rule \"imagetag\" (did you mean image-tag?)"),
            "{said}"
        );
        assert!(said.contains("severity of limits: \"loud\""), "{said}");
        assert!(
            said.contains("lint: unknown setting \"disabled\" (did you mean disable?)"),
            "{said}"
        );
        assert_eq!(warnings.len(), 4, "{warnings:?}");
    }

    #[test]
    fn the_start_view_and_log_sizes_load_and_bad_values_are_named() {
        let mut warnings = Vec::new();
        let s = Settings::load(
            Some((
                "default_view: deploy -A\nlog_tail: 50\nlog_buffer: 2000\n",
                "config.yaml",
            )),
            &mut warnings,
        );
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(
            (s.default_view.as_str(), s.log_tail, s.log_buffer),
            ("deploy -A", 50, 2000)
        );
        let s = Settings::load(
            Some((
                "default_view: \"\"\nlog_tail: -1\nlog_buffer: 5\n",
                "config.yaml",
            )),
            &mut warnings,
        );
        assert_eq!(
            (s.default_view.as_str(), s.log_tail, s.log_buffer),
            ("pods", 1000, 100_000)
        );
        let said = warnings.join("\n");
        for expected in [
            "default_view: expected",
            "log_tail: expected",
            "log_buffer: expected",
        ] {
            assert!(said.contains(expected), "{expected:?} not in {said}");
        }
    }

    #[test]
    fn a_config_dir_with_user_files_loads_and_init_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("themes")).unwrap();
        std::fs::write(dir.path().join("config.yaml"), "theme: mine\n").unwrap();
        std::fs::write(dir.path().join("keys.yaml"), "global:\n  quit: [ctrl-q]\n").unwrap();
        std::fs::write(dir.path().join("themes/mine.yaml"), "base: dracula\n").unwrap();
        let c = Config::load(Some(dir.path().to_path_buf()), None, false);
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
        assert_eq!(
            c.theme.style("row.selected"),
            Theme::load("dracula", None, false).style("row.selected")
        );
        let written = Config::init(dir.path()).unwrap();
        assert_eq!(
            written,
            vec![
                dir.path().join("plugins.yaml"),
                dir.path().join("hotkeys.yaml")
            ],
            "existing files are kept; the missing ones are written"
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join("keys.yaml")).unwrap(),
            "global:\n  quit: [ctrl-q]\n"
        );
        let fresh = tempfile::tempdir().unwrap();
        assert_eq!(Config::init(fresh.path()).unwrap().len(), 4);
        let c = Config::load(
            Some(fresh.path().to_path_buf()),
            Some("high-contrast"),
            false,
        );
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
        assert_eq!(c.theme.name, "high-contrast");
    }
}
