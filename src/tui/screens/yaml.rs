//! An object's YAML: managedFields hidden until `m`, a Secret's values masked until `x`,
//! keys, values and literals coloured, `/` to search.

use super::super::object_text::yaml_lines;
use super::super::pane::{Pieces, yaml_pieces};
use super::super::screen::{Cx, Step};
use super::super::session::Followed;
use super::object::{TextScreen, TextView};
use crate::config::keys::KeyAction;
use crate::config::theme::Theme;
use serde_json::Value;

#[derive(Debug, Default)]
pub struct Yaml {
    pub show_managed_fields: bool,
    /// A Secret's values shown decoded.
    pub reveal: bool,
}

pub type YamlScreen = TextScreen<Yaml>;

impl TextView for Yaml {
    fn what(&self) -> &'static str {
        "yaml"
    }

    fn key(&self) -> KeyAction {
        KeyAction::Yaml
    }

    fn lines(&self, _: &Followed, object: &Value, _: i64) -> Vec<String> {
        yaml_lines(object, self.show_managed_fields, self.reveal)
    }

    fn pieces(&self, _: usize, line: &str, theme: &Theme) -> Pieces {
        yaml_pieces(line, theme)
    }

    fn toggles(&self) -> u64 {
        u64::from(self.show_managed_fields) | u64::from(self.reveal) << 1
    }

    fn on_action(
        &mut self,
        action: KeyAction,
        object: Option<&Value>,
        cx: &mut Cx,
    ) -> Option<Step> {
        match action {
            KeyAction::ToggleManagedFields => {
                self.show_managed_fields = !self.show_managed_fields;
            }
            KeyAction::Reveal if !object.is_some_and(crate::cluster::secrets::is_secret) => {
                cx.info("x reveals a Secret's values; this is no Secret");
            }
            KeyAction::CopyYaml => {
                let Some(obj) = object else {
                    cx.info("nothing to copy yet: the object is still being read");
                    return Some(Step::nothing());
                };
                let text = yaml_lines(obj, self.show_managed_fields, self.reveal).join("\n");
                cx.info(format!(
                    "copied the YAML ({} lines{}) to the clipboard",
                    text.lines().count(),
                    if self.reveal {
                        ", secret values shown"
                    } else {
                        ""
                    }
                ));
                return Some(Step::effects(vec![super::super::action::Effect::Copy(
                    text + "\n",
                )]));
            }
            KeyAction::Reveal => {
                self.reveal = !self.reveal;
                cx.info(if self.reveal {
                    "secret values shown decoded (x hides them)"
                } else {
                    "secret values hidden"
                });
            }
            _ => return None,
        }
        Some(Step::nothing())
    }
}
