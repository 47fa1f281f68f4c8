//! Themes: semantic slots (`row.selected`, `status.error`, `diff.added`, …) mapped to styles.
//! Four are bundled; a user theme names a `base` and overrides only the slots it sets.
//! `NO_COLOR` turns every colour off and keeps the modifiers.

use ratatui::style::{Color, Modifier, Style};
use std::collections::BTreeMap;

pub const BUNDLED: &[(&str, &str)] = &[
    (
        "default-dark",
        include_str!("../../themes/default-dark.yaml"),
    ),
    ("light", include_str!("../../themes/light.yaml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.yaml"),
    ),
    ("dracula", include_str!("../../themes/dracula.yaml")),
];

/// Every slot a theme may set; views ask for these by name.
pub const SLOTS: &[&str] = &[
    "header",
    "header.context",
    "table.header",
    "row.normal",
    "row.selected",
    "row.marked",
    "row.changed",
    "row.deleted",
    "status.ok",
    "status.warn",
    "status.error",
    "status.line",
    "prompt",
    "diff.added",
    "diff.removed",
    "diff.hunk",
    "yaml.key",
    "yaml.value",
    "yaml.literal",
    "yaml.comment",
    "search.match",
    "log.error",
    "log.warn",
    "log.info",
    "log.debug",
];

#[derive(Debug, Clone, Default)]
pub struct Theme {
    pub name: String,
    slots: BTreeMap<String, Style>,
    pub warnings: Vec<String>,
}

fn parse_color(text: &str) -> Result<Color, String> {
    let t = text.trim();
    if let Some(hex) = t.strip_prefix('#') {
        if hex.len() == 6
            && let Ok(rgb) = u32::from_str_radix(hex, 16)
        {
            return Ok(Color::Rgb((rgb >> 16) as u8, (rgb >> 8) as u8, rgb as u8));
        }
        return Err(format!("bad colour {text:?} (use #rrggbb)"));
    }
    if let Ok(i) = t.parse::<u8>() {
        return Ok(Color::Indexed(i));
    }
    t.replace('-', "")
        .parse::<Color>()
        .map_err(|_| format!("unknown colour {text:?}"))
}

fn parse_modifier(text: &str) -> Result<Modifier, String> {
    Ok(match text {
        "bold" => Modifier::BOLD,
        "dim" => Modifier::DIM,
        "italic" => Modifier::ITALIC,
        "underlined" => Modifier::UNDERLINED,
        "reversed" => Modifier::REVERSED,
        "crossed-out" => Modifier::CROSSED_OUT,
        "slow-blink" => Modifier::SLOW_BLINK,
        other => return Err(format!("unknown modifier {other:?}")),
    })
}

impl Theme {
    /// A bundled theme by name, or `text` (a user theme file) over its `base`.
    pub fn load(name: &str, user: Option<(&str, &str)>, no_color: bool) -> Theme {
        let mut theme = Theme {
            name: name.to_string(),
            ..Theme::default()
        };
        let base_text = |n: &str| BUNDLED.iter().find(|(b, _)| *b == n).map(|(_, t)| *t);
        match user {
            Some((text, origin)) => {
                let base = serde_yaml::from_str::<serde_yaml::Value>(text)
                    .ok()
                    .and_then(|v| v.get("base").and_then(|b| b.as_str().map(str::to_string)))
                    .unwrap_or_else(|| "default-dark".to_string());
                match base_text(&base) {
                    Some(t) => theme.apply(t, "bundled theme"),
                    None => {
                        theme.warnings.push(format!(
                            "{origin}: unknown base theme {base:?}; using default-dark"
                        ));
                        theme.apply(BUNDLED[0].1, "bundled theme");
                    }
                }
                theme.apply(text, origin);
            }
            None => match base_text(name) {
                Some(t) => theme.apply(t, "bundled theme"),
                None => {
                    let known = BUNDLED
                        .iter()
                        .map(|(n, _)| *n)
                        .collect::<Vec<_>>()
                        .join(", ");
                    theme.warnings.push(format!(
                        "unknown theme {name:?} (bundled: {known}); using default-dark"
                    ));
                    theme.name = "default-dark".into();
                    theme.apply(BUNDLED[0].1, "bundled theme");
                }
            },
        }
        if no_color {
            for style in theme.slots.values_mut() {
                *style = Style::default().add_modifier(style.add_modifier);
            }
        }
        theme
    }

    fn apply(&mut self, text: &str, origin: &str) {
        let doc: serde_yaml::Value = match serde_yaml::from_str(text) {
            Ok(v) => v,
            Err(e) => {
                self.warnings
                    .push(format!("{origin}: not valid YAML ({e}); ignored"));
                return;
            }
        };
        let Some(map) = doc.as_mapping() else { return };
        for (slot, spec) in map {
            let slot = slot.as_str().unwrap_or_default();
            if slot == "base" {
                continue;
            }
            if !SLOTS.contains(&slot) {
                self.warnings
                    .push(format!("{origin}: unknown slot {slot:?}; ignored"));
                continue;
            }
            let mut style = Style::default();
            for (field, setter) in [("fg", 0), ("bg", 1)] {
                if let Some(c) = spec.get(field).and_then(|c| {
                    c.as_str()
                        .map(str::to_string)
                        .or_else(|| c.as_u64().map(|n| n.to_string()))
                }) {
                    match parse_color(&c) {
                        Ok(color) if setter == 0 => style = style.fg(color),
                        Ok(color) => style = style.bg(color),
                        Err(e) => self.warnings.push(format!("{origin}: {slot}.{field}: {e}")),
                    }
                }
            }
            if let Some(mods) = spec.get("modifiers").and_then(|m| m.as_sequence()) {
                for m in mods.iter().filter_map(|m| m.as_str()) {
                    match parse_modifier(m) {
                        Ok(md) => style = style.add_modifier(md),
                        Err(e) => self.warnings.push(format!("{origin}: {slot}: {e}")),
                    }
                }
            }
            self.slots.insert(slot.to_string(), style);
        }
    }

    /// The style of a slot (a view asking for an unknown slot gets the plain style).
    pub fn style(&self, slot: &str) -> Style {
        self.slots.get(slot).copied().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bundled_theme_sets_every_slot_without_warnings() {
        for (name, _) in BUNDLED {
            let t = Theme::load(name, None, false);
            assert!(t.warnings.is_empty(), "{name}: {:?}", t.warnings);
            for slot in SLOTS {
                assert!(t.slots.contains_key(*slot), "{name} sets {slot}");
            }
        }
    }

    #[test]
    fn a_user_theme_overrides_some_slots_of_its_base() {
        let user = "base: light\nstatus.error: { fg: \"#ff0000\", modifiers: [bold] }\nrow.bogus: { fg: red }\n";
        let t = Theme::load("mine", Some((user, "themes/mine.yaml")), false);
        assert_eq!(t.style("status.error").fg, Some(Color::Rgb(255, 0, 0)));
        assert_eq!(
            t.style("row.selected"),
            Theme::load("light", None, false).style("row.selected")
        );
        assert!(
            t.warnings
                .iter()
                .any(|w| w.contains("unknown slot \"row.bogus\""))
        );
    }

    #[test]
    fn no_color_drops_colours_and_keeps_emphasis() {
        let t = Theme::load("default-dark", None, true);
        let s = t.style("status.error");
        assert_eq!((s.fg, s.bg), (None, None));
        assert!(s.add_modifier.contains(Modifier::BOLD));
    }

    #[test]
    fn unknown_theme_names_fall_back_with_a_warning() {
        let t = Theme::load("solarised", None, false);
        assert_eq!(t.name, "default-dark");
        assert!(t.warnings[0].contains("bundled: default-dark, light, high-contrast, dracula"));
        assert_eq!(parse_color("light-blue"), Ok(Color::LightBlue));
        assert_eq!(parse_color("214"), Ok(Color::Indexed(214)));
        assert!(parse_color("#12").is_err());
    }
}
