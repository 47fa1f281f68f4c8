//! Write actions in the reducer: edit (`e`), delete (`ctrl-d`, on the marked rows or the
//! selected one, with a propagation choice), scale (`s`, a prompt), rollout restart (`R`),
//! cordon and uncordon (`C`, `U`). Each asks first; the runtime carries them out and reports
//! back with `Action::Written`. In read-only mode each says it is off.

use super::state::{Effect, Message, Prompt, State};
use crate::cluster::object::ObjectRef;
use crate::config::keys::KeyAction;
use crossterm::event::{KeyCode, KeyEvent};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Propagation {
    Background,
    Foreground,
    Orphan,
}

impl Propagation {
    pub fn as_str(self) -> &'static str {
        match self {
            Propagation::Background => "Background",
            Propagation::Foreground => "Foreground",
            Propagation::Orphan => "Orphan",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum WriteOp {
    Delete {
        targets: Vec<ObjectRef>,
        propagation: Propagation,
    },
    Scale {
        target: ObjectRef,
        replicas: i64,
    },
    Restart {
        target: ObjectRef,
    },
    Cordon {
        target: ObjectRef,
        unschedulable: bool,
    },
}

fn names(targets: &[ObjectRef]) -> String {
    let mut shown: Vec<&str> = targets.iter().take(3).map(|t| t.name.as_str()).collect();
    if targets.len() > 3 {
        shown.push("…");
    }
    shown.join(", ")
}

impl WriteOp {
    /// What it does, for the question and the report: `delete 2 pods (web-1, web-2)`.
    pub fn describe(&self) -> String {
        match self {
            WriteOp::Delete { targets, .. } if targets.len() == 1 => {
                format!("delete {}", targets[0].display())
            }
            WriteOp::Delete { targets, .. } => format!(
                "delete {} {} ({})",
                targets.len(),
                targets[0].resource.plural,
                names(targets)
            ),
            WriteOp::Scale { target, replicas } => {
                format!("scale {} to {replicas}", target.display())
            }
            WriteOp::Restart { target } => format!("restart {}", target.display()),
            WriteOp::Cordon {
                target,
                unschedulable: true,
            } => format!("cordon {}", target.display()),
            WriteOp::Cordon { target, .. } => format!("uncordon {}", target.display()),
        }
    }
}

/// A write action waiting for y or n.
#[derive(Debug, Clone, PartialEq)]
pub struct Confirm {
    pub op: WriteOp,
}

impl Confirm {
    /// The question, with the keys that answer it.
    pub fn question(&self) -> String {
        match &self.op {
            WriteOp::Delete { propagation, .. } => format!(
                "{} ({} propagation; b/f/o to change)? y yes · n no",
                self.op.describe(),
                propagation.as_str()
            ),
            op => format!("{}? y yes · n no", op.describe()),
        }
    }
}

const SCALABLE: &[&str] = &["Deployment", "StatefulSet", "ReplicaSet"];
const RESTARTABLE: &[&str] = &["Deployment", "StatefulSet", "DaemonSet"];

impl State {
    /// False (and says why) when write actions are off.
    fn writable(&mut self, what: &str) -> bool {
        if self.readonly {
            self.message = Some(Message::Error(format!(
                "kx is read-only (--readonly, or readonly: true in the config): {what} is off"
            )));
        }
        !self.readonly
    }

    /// The object a write acts on: the open detail view's, else the selected row's.
    fn write_target(&self) -> Option<ObjectRef> {
        if let Some(d) = &self.detail {
            return Some(d.target.clone());
        }
        self.row_targets(false).into_iter().next()
    }

    /// The marked rows (when `marked` and any are), else the selected row.
    fn row_targets(&self, marked: bool) -> Vec<ObjectRef> {
        let Some(view) = self.current() else {
            return Vec::new();
        };
        let rows = self.visible_rows();
        let target = |row: &crate::cluster::rows::Row| ObjectRef {
            namespace: (view.resource.namespaced && !row.namespace.is_empty())
                .then(|| row.namespace.clone()),
            name: row.name.clone(),
            resource: view.resource.clone(),
        };
        if marked && !view.marks.is_empty() {
            return rows
                .iter()
                .filter(|r| view.marks.contains(&r.uid))
                .map(|r| target(r))
                .collect();
        }
        rows.get(view.selected)
            .map(|r| target(r))
            .into_iter()
            .collect()
    }

    /// The write action bound to a key, from a list or a detail view.
    pub(super) fn start_write(&mut self, action: KeyAction) -> Vec<Effect> {
        match action {
            KeyAction::Edit => self.start_edit(),
            KeyAction::Delete => self.start_delete(),
            KeyAction::Scale => self.start_scale(),
            KeyAction::Restart => self.start_restart(),
            KeyAction::Cordon => self.start_cordon(true),
            KeyAction::Uncordon => self.start_cordon(false),
            _ => Vec::new(),
        }
    }

    fn start_edit(&mut self) -> Vec<Effect> {
        if !self.writable("edit") {
            return Vec::new();
        }
        match self.write_target() {
            Some(t) => vec![Effect::Edit(Box::new(t))],
            None => {
                self.message = Some(Message::Info("no row selected".into()));
                Vec::new()
            }
        }
    }

    fn start_delete(&mut self) -> Vec<Effect> {
        if !self.writable("delete") {
            return Vec::new();
        }
        let targets = match &self.detail {
            Some(d) => vec![d.target.clone()],
            None => self.row_targets(true),
        };
        if targets.is_empty() {
            self.message = Some(Message::Info("no row selected".into()));
        } else {
            self.confirm = Some(Confirm {
                op: WriteOp::Delete {
                    targets,
                    propagation: Propagation::Background,
                },
            });
        }
        Vec::new()
    }

    fn target_of_kind(&mut self, kinds: &[&str], what: &str) -> Option<ObjectRef> {
        let target = self.write_target()?;
        if kinds.contains(&target.resource.kind.as_str()) {
            Some(target)
        } else {
            self.message = Some(Message::Info(format!(
                "{what} works on {}, not {}",
                kinds.join(", "),
                target.resource.plural
            )));
            None
        }
    }

    fn start_scale(&mut self) -> Vec<Effect> {
        if self.writable("scale") && self.target_of_kind(SCALABLE, "scale").is_some() {
            self.prompt = Some(Prompt::Scale(String::new()));
        }
        Vec::new()
    }

    pub(super) fn scale_entered(&mut self, text: &str) -> Vec<Effect> {
        let Some(target) = self.target_of_kind(SCALABLE, "scale") else {
            return Vec::new();
        };
        match text.trim().parse::<i64>() {
            Ok(replicas) if replicas >= 0 => {
                vec![Effect::Write(WriteOp::Scale { target, replicas })]
            }
            _ => {
                self.message = Some(Message::Error(format!(
                    "scale: {text:?} is not a number of replicas (0 or more)"
                )));
                Vec::new()
            }
        }
    }

    fn start_restart(&mut self) -> Vec<Effect> {
        if self.writable("restart")
            && let Some(target) = self.target_of_kind(RESTARTABLE, "rollout restart")
        {
            self.confirm = Some(Confirm {
                op: WriteOp::Restart { target },
            });
        }
        Vec::new()
    }

    fn start_cordon(&mut self, unschedulable: bool) -> Vec<Effect> {
        let what = if unschedulable { "cordon" } else { "uncordon" };
        if self.writable(what)
            && let Some(target) = self.target_of_kind(&["Node"], what)
        {
            self.confirm = Some(Confirm {
                op: WriteOp::Cordon {
                    target,
                    unschedulable,
                },
            });
        }
        Vec::new()
    }

    pub(super) fn on_confirm_key(&mut self, ev: KeyEvent) -> Vec<Effect> {
        let Some(confirm) = self.confirm.as_mut() else {
            return Vec::new();
        };
        let choose = |p: Propagation, op: &mut WriteOp| {
            if let WriteOp::Delete { propagation, .. } = op {
                *propagation = p;
            }
        };
        match ev.code {
            KeyCode::Char('y') | KeyCode::Char('Y') => {
                let op = confirm.op.clone();
                self.confirm = None;
                self.message = Some(Message::Info(format!("{}…", op.describe())));
                if let WriteOp::Delete { .. } = op
                    && let Some(v) = self.stack.last_mut()
                {
                    v.marks.clear();
                }
                return vec![Effect::Write(op)];
            }
            KeyCode::Char('b') => choose(Propagation::Background, &mut confirm.op),
            KeyCode::Char('f') => choose(Propagation::Foreground, &mut confirm.op),
            KeyCode::Char('o') => choose(Propagation::Orphan, &mut confirm.op),
            KeyCode::Char('n') | KeyCode::Char('N') | KeyCode::Esc => {
                self.message = Some(Message::Info(format!(
                    "cancelled: nothing done ({})",
                    confirm.op.describe()
                )));
                self.confirm = None;
            }
            _ => {}
        }
        Vec::new()
    }
}

#[cfg(test)]
mod tests;
