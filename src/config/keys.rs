//! The key map: every bindable action by name, key sequences (chords allowed) parsed from
//! `config/keys.yaml`, the user's file merged on top, and problems reported as warnings.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::collections::BTreeMap;

macro_rules! key_actions {
    ($($variant:ident => $name:literal, $help:literal;)*) => {
        /// An action a key can be bound to.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum KeyAction { $($variant),* }

        impl KeyAction {
            pub const ALL: &'static [KeyAction] = &[$(KeyAction::$variant),*];

            /// The name used in keys.yaml.
            pub fn name(self) -> &'static str {
                match self { $(KeyAction::$variant => $name),* }
            }

            /// One line for the help screen.
            pub fn help(self) -> &'static str {
                match self { $(KeyAction::$variant => $help),* }
            }

            pub fn from_name(name: &str) -> Option<KeyAction> {
                match name { $($name => Some(KeyAction::$variant),)* _ => None }
            }
        }
    };
}

key_actions! {
    Quit => "quit", "quit kx";
    Up => "up", "move up";
    Down => "down", "move down";
    PageUp => "page_up", "one page up";
    PageDown => "page_down", "one page down";
    Top => "top", "go to the first row";
    Bottom => "bottom", "go to the last row";
    Enter => "enter", "open / drill down";
    Back => "back", "go back";
    Command => "command", "command prompt (:pods, :deploy -A, :ns NAME, :q)";
    Filter => "filter", "filter rows (/regex, /!inverse, /-l selector)";
    Help => "help", "this help";
    Describe => "describe", "describe the object";
    Yaml => "yaml", "show the object's YAML";
    Events => "events", "events about the object";
    ToggleManagedFields => "toggle_managed_fields", "YAML and diff: show or hide managedFields";
    Reveal => "reveal", "Secret: show values decoded, or mask them again";
    Edit => "edit", "edit the object in $EDITOR";
    Logs => "logs", "logs of the pod, container or workload (live)";
    PreviousLogs => "previous_logs", "logs of the previous (crashed) container";
    ToggleFollow => "toggle_follow", "logs: follow / pause (a paused view keeps receiving)";
    ToggleWrap => "toggle_wrap", "logs: wrap long lines";
    ToggleTimestamps => "toggle_timestamps", "logs: show timestamps; diff: heartbeat and transition times";
    ToggleFormat => "toggle_format", "logs: JSON and logfmt as is / compact / pretty";
    LogFilter => "log_filter", "logs: show only matching lines (-C N regex for context)";
    ContainerFilter => "container_filter", "logs: only containers matching a regex";
    Save => "save", "logs: save the buffer to a file";
    Diff => "diff", "the object's change history (revisions and diffs)";
    ToggleResourceVersion => "toggle_resource_version", "diff: show or hide resourceVersion";
    ToggleGeneration => "toggle_generation", "diff: show or hide generation and observedGeneration";
    ToggleStatus => "toggle_status", "diff: show or hide the whole status";
    Delete => "delete", "delete (asks first)";
    Scale => "scale", "scale (asks for replicas)";
    Shell => "shell", "a shell in the pod or container (bash, else sh); exit returns";
    Attach => "attach", "attach to the container's main process (detach: ctrl-p ctrl-q)";
    PortForward => "port_forward", "forward a local port to the pod, service or workload (:pf lists)";
    Explain => "explain", "why is this broken (or that it is not): a diagnosis with its evidence";
    FaultsOnly => "faults_only", "show only rows that are not healthy (again: all rows)";
    Restart => "restart", "rollout restart (asks first)";
    CopyName => "copy_name", "copy the name (or the marked rows' names) to the clipboard";
    CopyYaml => "copy_yaml", "copy the object's YAML to the clipboard (a Secret's values masked unless shown)";
    Cordon => "cordon", "cordon the node (asks first)";
    Uncordon => "uncordon", "uncordon the node (asks first)";
    ToggleWide => "toggle_wide", "wide columns on/off";
    ToggleMarks => "toggle_marks", "mark the row";
    SortNextColumn => "sort_next_column", "sort by the next column";
    SortPreviousColumn => "sort_previous_column", "sort by the previous column";
    SortReverse => "sort_reverse", "reverse the sort";
    SearchNext => "search_next", "next match";
    SearchPrevious => "search_previous", "previous match";
    Favourite0 => "namespace_favourite_0", "favourite namespace 0";
    Favourite1 => "namespace_favourite_1", "favourite namespace 1";
    Favourite2 => "namespace_favourite_2", "favourite namespace 2";
    Favourite3 => "namespace_favourite_3", "favourite namespace 3";
    Favourite4 => "namespace_favourite_4", "favourite namespace 4";
    Favourite5 => "namespace_favourite_5", "favourite namespace 5";
    Favourite6 => "namespace_favourite_6", "favourite namespace 6";
    Favourite7 => "namespace_favourite_7", "favourite namespace 7";
    Favourite8 => "namespace_favourite_8", "favourite namespace 8";
    Favourite9 => "namespace_favourite_9", "favourite namespace 9";
}

/// Actions that may share a key because they apply to different kinds: `s` is a shell on
/// pods and containers and scale on workloads, as in k9s.
pub fn shares_key(a: KeyAction, b: KeyAction) -> bool {
    matches!(
        (a, b),
        (KeyAction::Shell, KeyAction::Scale) | (KeyAction::Scale, KeyAction::Shell)
    )
}

/// One key press as the key map compares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub modifiers: KeyModifiers,
}

impl Key {
    /// Normalises a terminal key event: shift is folded into the character for printable keys.
    pub fn from_event(ev: KeyEvent) -> Key {
        let mut modifiers =
            ev.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
        if let KeyCode::Char(_) = ev.code {
            modifiers.remove(KeyModifiers::SHIFT);
        }
        Key {
            code: ev.code,
            modifiers,
        }
    }

    pub fn parse(spec: &str) -> Result<Key, String> {
        let mut modifiers = KeyModifiers::NONE;
        let mut rest = spec;
        loop {
            let lower = rest.to_ascii_lowercase();
            if rest.len() > 1 && lower.starts_with("ctrl-") {
                modifiers |= KeyModifiers::CONTROL;
                rest = &rest[5..];
            } else if rest.len() > 1 && lower.starts_with("alt-") {
                modifiers |= KeyModifiers::ALT;
                rest = &rest[4..];
            } else if rest.len() > 1 && lower.starts_with("shift-") {
                modifiers |= KeyModifiers::SHIFT;
                rest = &rest[6..];
            } else {
                break;
            }
        }
        let code = match rest.to_ascii_lowercase().as_str() {
            "enter" | "return" => KeyCode::Enter,
            "esc" | "escape" => KeyCode::Esc,
            "tab" => KeyCode::Tab,
            "backtab" => KeyCode::BackTab,
            "space" => KeyCode::Char(' '),
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "pgup" | "pageup" => KeyCode::PageUp,
            "pgdown" | "pagedown" => KeyCode::PageDown,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            "delete" | "del" => KeyCode::Delete,
            "backspace" => KeyCode::Backspace,
            "insert" => KeyCode::Insert,
            f if f.len() > 1
                && f.starts_with('f')
                && f[1..].parse::<u8>().is_ok_and(|n| (1..=12).contains(&n)) =>
            {
                KeyCode::F(f[1..].parse().unwrap_or(1))
            }
            _ => {
                let mut chars = rest.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => {
                        let c =
                            if modifiers.contains(KeyModifiers::SHIFT) && c.is_ascii_alphabetic() {
                                c.to_ascii_uppercase()
                            } else if modifiers.contains(KeyModifiers::CONTROL) {
                                c.to_ascii_lowercase()
                            } else {
                                c
                            };
                        KeyCode::Char(c)
                    }
                    _ => return Err(format!("unknown key {spec:?}")),
                }
            }
        };
        if let KeyCode::Char(_) = code {
            modifiers.remove(KeyModifiers::SHIFT);
        }
        Ok(Key { code, modifiers })
    }

    /// The key as keys.yaml writes it.
    pub fn display(&self) -> String {
        let mut out = String::new();
        if self.modifiers.contains(KeyModifiers::CONTROL) {
            out.push_str("ctrl-");
        }
        if self.modifiers.contains(KeyModifiers::ALT) {
            out.push_str("alt-");
        }
        if self.modifiers.contains(KeyModifiers::SHIFT) {
            out.push_str("shift-");
        }
        match self.code {
            KeyCode::Char(' ') => out.push_str("space"),
            KeyCode::Char(c) => out.push(c),
            KeyCode::Enter => out.push_str("enter"),
            KeyCode::Esc => out.push_str("esc"),
            KeyCode::Tab => out.push_str("tab"),
            KeyCode::BackTab => out.push_str("backtab"),
            KeyCode::Up => out.push_str("up"),
            KeyCode::Down => out.push_str("down"),
            KeyCode::Left => out.push_str("left"),
            KeyCode::Right => out.push_str("right"),
            KeyCode::PageUp => out.push_str("pgup"),
            KeyCode::PageDown => out.push_str("pgdown"),
            KeyCode::Home => out.push_str("home"),
            KeyCode::End => out.push_str("end"),
            KeyCode::Delete => out.push_str("delete"),
            KeyCode::Backspace => out.push_str("backspace"),
            KeyCode::Insert => out.push_str("insert"),
            KeyCode::F(n) => out.push_str(&format!("f{n}")),
            other => out.push_str(&format!("{other:?}")),
        }
        out
    }
}

pub type Chord = Vec<Key>;

pub fn parse_chord(spec: &str) -> Result<Chord, String> {
    let keys: Result<Vec<Key>, String> = spec.split_whitespace().map(Key::parse).collect();
    match keys {
        Ok(k) if k.is_empty() => Err("an empty key".to_string()),
        other => other,
    }
}

pub fn chord_display(chord: &[Key]) -> String {
    chord.iter().map(Key::display).collect::<Vec<_>>().join(" ")
}

/// Which screens a binding is for: `global` on every screen, the others on theirs. A screen
/// looks in its own section first, then in `global`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Section {
    Global,
    /// Resource lists and a pod's containers.
    List,
    /// An object's YAML, describe and events.
    Detail,
    /// An object's revisions and diffs.
    Diff,
    Logs,
}

impl Section {
    pub const ALL: [Section; 5] = [
        Section::Global,
        Section::List,
        Section::Detail,
        Section::Diff,
        Section::Logs,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Section::Global => "global",
            Section::List => "list",
            Section::Detail => "detail",
            Section::Diff => "diff",
            Section::Logs => "logs",
        }
    }

    pub fn from_name(name: &str) -> Option<Section> {
        Section::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// The active bindings, and what was wrong with the files they came from.
#[derive(Debug, Clone, Default)]
pub struct KeyMap {
    bindings: BTreeMap<(Section, KeyAction), Vec<Chord>>,
    pub warnings: Vec<String>,
}

/// What a key press means so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    Action(KeyAction),
    /// The keys so far start a chord: wait for the next.
    Pending,
    Unbound,
}

pub const DEFAULT_KEYS: &str = include_str!("../../config/keys.yaml");

/// The keys of one action as a file lists them.
fn key_specs(keys: &serde_yaml::Value) -> Option<Vec<String>> {
    match keys {
        serde_yaml::Value::Null => Some(Vec::new()),
        serde_yaml::Value::String(s) => Some(vec![s.clone()]),
        serde_yaml::Value::Sequence(seq) => Some(
            seq.iter()
                .filter_map(|k| match k {
                    serde_yaml::Value::String(s) => Some(s.clone()),
                    serde_yaml::Value::Number(n) => Some(n.to_string()),
                    serde_yaml::Value::Bool(b) => Some(b.to_string()),
                    _ => None,
                })
                .collect(),
        ),
        serde_yaml::Value::Number(n) => Some(vec![n.to_string()]),
        _ => None,
    }
}

impl KeyMap {
    /// The defaults, with `user` (the text of the user's keys.yaml, if any) merged on top.
    pub fn load(user: Option<(&str, &str)>) -> KeyMap {
        let mut map = KeyMap::default();
        map.apply(DEFAULT_KEYS, "built-in keys.yaml");
        if let Some((text, origin)) = user {
            map.apply(text, origin);
        }
        map.check_conflicts();
        map
    }

    fn apply(&mut self, text: &str, origin: &str) {
        let doc: serde_yaml::Value = match serde_yaml::from_str(text) {
            Ok(serde_yaml::Value::Null) => return,
            Ok(v) => v,
            Err(e) => {
                self.warnings.push(format!(
                    "{origin}: not valid YAML ({e}); its key bindings are ignored"
                ));
                return;
            }
        };
        let Some(entries) = doc.as_mapping() else {
            self.warnings.push(format!(
                "{origin}: expected sections (global:, list:, …) of `action: [keys]`; ignored"
            ));
            return;
        };
        let mut flat = false;
        for (name, value) in entries {
            let name = name.as_str().unwrap_or_default();
            if let Some(section) = Section::from_name(name) {
                match value.as_mapping() {
                    Some(actions) => {
                        for (action, keys) in actions {
                            let action = action.as_str().unwrap_or_default();
                            self.bind(origin, Some(section), action, keys);
                        }
                    }
                    None if value.is_null() => {}
                    None => self.warnings.push(format!(
                        "{origin}: {name}: expected `action: [keys]` entries; ignored"
                    )),
                }
            } else {
                // The layout before sections: an action at the top level.
                flat = true;
                self.bind(origin, None, name, value);
            }
        }
        if flat {
            self.warnings.push(format!(
                "{origin}: actions at the top level are the old layout; they still work, but move each under the section of its screen (global:, list:, detail:, diff:, logs:; `kx config init` in an empty directory writes an example)"
            ));
        }
    }

    /// Binds one action; `section` None (the old flat layout) binds it wherever the defaults do.
    fn bind(
        &mut self,
        origin: &str,
        section: Option<Section>,
        name: &str,
        keys: &serde_yaml::Value,
    ) {
        let where_ = section
            .map(|s| format!("{}.", s.name()))
            .unwrap_or_default();
        let Some(action) = KeyAction::from_name(name) else {
            let close = closest(name, KeyAction::ALL.iter().map(|a| a.name()));
            let hint = close
                .map(|c| format!(" (did you mean {c}?)"))
                .unwrap_or_default();
            self.warnings.push(format!(
                "{origin}: unknown action {where_}{name:?}{hint}; ignored"
            ));
            return;
        };
        let Some(specs) = key_specs(keys) else {
            self.warnings.push(format!(
                "{origin}: {where_}{name}: expected a list of keys; ignored"
            ));
            return;
        };
        let mut chords = Vec::new();
        for spec in specs {
            match parse_chord(&spec) {
                Ok(c) => chords.push(c),
                Err(e) => self.warnings.push(format!(
                    "{origin}: {where_}{name}: {e}; that key is ignored"
                )),
            }
        }
        // A user entry replaces the defaults of that action there; an empty list unbinds it.
        let sections: Vec<Section> = match section {
            Some(s) => vec![s],
            None => {
                let homes: Vec<Section> = self
                    .bindings
                    .keys()
                    .filter(|(_, a)| *a == action)
                    .map(|(s, _)| *s)
                    .collect();
                if homes.is_empty() {
                    vec![Section::Global]
                } else {
                    homes
                }
            }
        };
        for s in sections {
            self.bindings.insert((s, action), chords.clone());
        }
    }

    /// Every (chord, action) a screen of `section` reaches, its own section first.
    fn reachable(&self, section: Section) -> Vec<(&Chord, KeyAction, Section)> {
        let mut out = Vec::new();
        for s in [section, Section::Global] {
            for ((sec, action), chords) in &self.bindings {
                if *sec == s {
                    out.extend(chords.iter().map(|c| (c, *action, s)));
                }
            }
            if section == Section::Global {
                break;
            }
        }
        out
    }

    fn check_conflicts(&mut self) {
        let mut seen = std::collections::BTreeSet::new();
        let mut warnings = Vec::new();
        for section in Section::ALL {
            let all = self.reachable(section);
            for (i, (a, action_a, sec_a)) in all.iter().enumerate() {
                for (b, action_b, sec_b) in &all[i + 1..] {
                    // A screen's own binding of a key overrides a global one on purpose.
                    if sec_a != sec_b || shares_key(*action_a, *action_b) {
                        continue;
                    }
                    let warning = if a == b && action_a != action_b {
                        format!(
                            "{}: key {} is bound to both {} and {}; {} wins",
                            sec_a.name(),
                            chord_display(a),
                            action_a.name(),
                            action_b.name(),
                            action_a.name()
                        )
                    } else if a.len() != b.len() && (a.starts_with(b) || b.starts_with(a)) {
                        let (short, long) = if a.len() < b.len() { (a, b) } else { (b, a) };
                        format!(
                            "{}: key {} ({}) is the start of the chord {} ({}), so the chord can never be typed",
                            sec_a.name(),
                            chord_display(short),
                            if short == a {
                                action_a.name()
                            } else {
                                action_b.name()
                            },
                            chord_display(long),
                            if long == a {
                                action_a.name()
                            } else {
                                action_b.name()
                            }
                        )
                    } else {
                        continue;
                    };
                    if seen.insert(warning.clone()) {
                        warnings.push(warning);
                    }
                }
            }
        }
        self.warnings.extend(warnings);
    }

    /// The keys of an action on a screen of `section` (its own, else the global ones).
    pub fn chords(&self, section: Section, action: KeyAction) -> &[Chord] {
        self.bindings
            .get(&(section, action))
            .or_else(|| self.bindings.get(&(Section::Global, action)))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// What the keys typed so far mean on a screen of `section`.
    pub fn lookup(&self, section: Section, typed: &[Key]) -> Lookup {
        let mut pending = false;
        for (chord, action, _) in self.reachable(section) {
            if chord.as_slice() == typed {
                return Lookup::Action(action);
            }
            if chord.len() > typed.len() && chord.starts_with(typed) {
                pending = true;
            }
        }
        if pending {
            Lookup::Pending
        } else {
            Lookup::Unbound
        }
    }

    /// What of kx's own a chord on a list would reach instead of a plugin: an action, or a
    /// longer chord it begins (or a shorter one it extends).
    pub fn taken(&self, chord: &[Key]) -> Option<String> {
        for n in 1..=chord.len() {
            if let Lookup::Action(a) = self.lookup(Section::List, &chord[..n]) {
                return Some(format!("{} key", a.name()));
            }
        }
        (self.lookup(Section::List, chord) == Lookup::Pending)
            .then(|| "first key of a chord".to_string())
    }

    /// `(keys, action, help)` for every action bound on a screen of `section`: its own keys
    /// first, then the global ones it does not override.
    pub fn help_rows(&self, section: Section) -> Vec<(String, &'static str, &'static str)> {
        let mut rows = Vec::new();
        let mut done = std::collections::BTreeSet::new();
        for s in [section, Section::Global] {
            for action in KeyAction::ALL {
                let Some(chords) = self.bindings.get(&(s, *action)) else {
                    continue;
                };
                if chords.is_empty() || !done.insert(*action) {
                    continue;
                }
                let keys = chords
                    .iter()
                    .map(|c| chord_display(c))
                    .collect::<Vec<_>>()
                    .join(", ");
                rows.push((keys, action.name(), action.help()));
            }
        }
        rows
    }
}

/// The candidate closest to `word` by edit distance, if it is close enough to be a likely typo.
pub fn closest<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .map(|c| (strsim::levenshtein(word, c), c))
        .filter(|(d, c)| *d <= (c.len() / 3).max(2))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(spec: &str) -> Key {
        Key::parse(spec).unwrap()
    }

    const L: Section = Section::List;

    #[test]
    fn the_default_map_is_valid_complete_and_clear_of_tmux_and_screen_prefixes() {
        let map = KeyMap::load(None);
        assert!(map.warnings.is_empty(), "{:?}", map.warnings);
        for action in KeyAction::ALL {
            assert!(
                Section::ALL
                    .iter()
                    .any(|s| !map.chords(*s, *action).is_empty()),
                "{} has a default key",
                action.name()
            );
        }
        for section in Section::ALL {
            for prefix in ["ctrl-b", "ctrl-a"] {
                assert_eq!(
                    map.lookup(section, &[key(prefix)]),
                    Lookup::Unbound,
                    "{prefix} is left to tmux/screen"
                );
            }
        }
    }

    #[test]
    fn a_key_means_one_thing_per_screen() {
        let map = KeyMap::load(None);
        assert_eq!(
            map.lookup(Section::Logs, &[key("t")]),
            Lookup::Action(KeyAction::ToggleTimestamps)
        );
        assert_eq!(
            map.lookup(Section::Diff, &[key("t")]),
            Lookup::Action(KeyAction::ToggleTimestamps)
        );
        assert_eq!(map.lookup(Section::List, &[key("t")]), Lookup::Unbound);
        assert_eq!(
            map.lookup(Section::List, &[key("s")]),
            Lookup::Action(KeyAction::Scale)
        );
        assert_eq!(
            map.lookup(Section::Diff, &[key("S")]),
            Lookup::Action(KeyAction::ToggleStatus)
        );
        assert_eq!(
            map.lookup(Section::Logs, &[key("q")]),
            Lookup::Action(KeyAction::Quit),
            "global keys work everywhere"
        );
    }

    #[test]
    fn user_bindings_replace_unbind_and_chords_wait_for_their_second_key() {
        let user =
            "global:\n  quit: [ctrl-q]\n  delete: []\n  top: [g g]\nlogs:\n  toggle_follow: [F]\n";
        let map = KeyMap::load(Some((user, "keys.yaml")));
        assert!(map.warnings.is_empty(), "{:?}", map.warnings);
        assert_eq!(
            map.lookup(L, &[key("ctrl-q")]),
            Lookup::Action(KeyAction::Quit)
        );
        assert_eq!(
            map.lookup(L, &[key("q")]),
            Lookup::Unbound,
            "the default quit key is replaced"
        );
        assert_eq!(
            map.lookup(L, &[key("ctrl-d")]),
            Lookup::Unbound,
            "delete is unbound"
        );
        assert_eq!(map.lookup(L, &[key("g")]), Lookup::Pending);
        assert_eq!(
            map.lookup(L, &[key("g"), key("g")]),
            Lookup::Action(KeyAction::Top)
        );
        assert_eq!(
            map.lookup(Section::Logs, &[key("F")]),
            Lookup::Action(KeyAction::ToggleFollow)
        );
        assert_eq!(map.lookup(Section::Logs, &[key("f")]), Lookup::Unbound);
    }

    #[test]
    fn an_old_flat_file_still_loads_with_a_warning_that_says_how_to_move_it() {
        let user = "quit: [ctrl-q]\ntoggle_timestamps: [T]\n";
        let map = KeyMap::load(Some((user, "keys.yaml")));
        assert_eq!(
            map.lookup(L, &[key("ctrl-q")]),
            Lookup::Action(KeyAction::Quit)
        );
        // Bound where the defaults had it: both the diff and the log screens.
        for s in [Section::Diff, Section::Logs] {
            assert_eq!(
                map.lookup(s, &[key("T")]),
                Lookup::Action(KeyAction::ToggleTimestamps)
            );
        }
        let all = map.warnings.join("\n");
        assert!(
            all.contains("actions at the top level are the old layout; they still work, but move each under the section of its screen"),
            "{all}"
        );
    }

    #[test]
    fn unknown_actions_bad_keys_conflicts_and_shadowed_chords_are_warnings() {
        let user = "global:\n  qiut: [x]\nlist:\n  scale: [ctrl-nope, s]\n  describe: [y]\n  logs: [z]\n  previous_logs: [z z]\n";
        let map = KeyMap::load(Some((user, "keys.yaml")));
        let all = map.warnings.join("\n");
        assert!(
            all.contains("unknown action global.\"qiut\" (did you mean quit?)"),
            "{all}"
        );
        assert!(
            all.contains("list.scale: unknown key \"ctrl-nope\""),
            "{all}"
        );
        assert!(
            all.contains("list: key y is bound to both describe and yaml")
                || all.contains("list: key y is bound to both yaml and describe"),
            "{all}"
        );
        assert!(all.contains("start of the chord z z"), "{all}");
        // Still usable: the valid parts apply.
        assert_eq!(
            map.lookup(L, &[key("y")]),
            Lookup::Action(KeyAction::Describe)
        );
        assert_eq!(map.lookup(L, &[key("s")]), Lookup::Action(KeyAction::Scale));
    }

    #[test]
    fn invalid_yaml_keeps_the_defaults_and_says_so() {
        let map = KeyMap::load(Some(("quit: [", "keys.yaml")));
        assert!(map.warnings[0].contains("not valid YAML"));
        assert_eq!(map.lookup(L, &[key("q")]), Lookup::Action(KeyAction::Quit));
    }

    #[test]
    fn shifted_letters_and_terminal_events_compare_equal() {
        assert_eq!(key("shift-g"), key("G"));
        let ev = KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(Key::from_event(ev), key("G"));
        let ev = KeyEvent::new(KeyCode::Char('d'), KeyModifiers::CONTROL);
        assert_eq!(Key::from_event(ev), key("ctrl-d"));
        assert_eq!(key("ctrl-d").display(), "ctrl-d");
        assert_eq!(
            key("f5"),
            Key {
                code: KeyCode::F(5),
                modifiers: KeyModifiers::NONE
            }
        );
    }

    #[test]
    fn help_rows_are_the_screens_own_keys_then_the_global_ones() {
        let map = KeyMap::load(Some(("global:\n  help: [f1]\n", "keys.yaml")));
        let rows = map.help_rows(Section::Logs);
        let help = rows.iter().find(|r| r.1 == "help").unwrap();
        assert_eq!(help.0, "f1");
        assert_eq!(rows[0].1, "filter", "the screen's own keys first");
        assert!(rows.iter().any(|r| r.1 == "toggle_follow"));
        assert!(
            !rows.iter().any(|r| r.1 == "scale"),
            "no keys of other screens"
        );
    }
}
