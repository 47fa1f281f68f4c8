//! The app's side of health: `X` and `:explain` (a diagnosis of the selected object, or of
//! KIND/NAME), and the readings the runtime sends back. Pure: the reading is the runtime's.

use super::App;
use crate::cluster::target::resolve_target;
use crate::explain::Diagnosis;
use crate::tui::action::{Effect, Message};
use crate::tui::screens::explain::{self, EVERY};

impl App {
    /// `X`: the diagnosis of the selected row (or the object on screen).
    pub(super) fn explain_key(&mut self) -> Vec<Effect> {
        let Some(target) = self.targets(false).into_iter().next() else {
            self.message = Some(Message::Info(
                "nothing selected to explain (:explain KIND/NAME names one)".into(),
            ));
            return Vec::new();
        };
        let step = self.with_front(|_, cx| explain::open(target, cx));
        step.map(|s| self.carry_out(s)).unwrap_or_default()
    }

    /// `:explain [KIND/NAME] [-n NAMESPACE]`.
    pub(in crate::tui) fn explain_command(&mut self, rest: &[&str]) -> Vec<Effect> {
        let mut namespace = self.session.namespace.clone();
        let mut what = None;
        let mut words = rest.iter();
        while let Some(w) = words.next() {
            match *w {
                "-n" => namespace = words.next().map(|s| s.to_string()),
                other => what = Some(other),
            }
        }
        let Some(what) = what else {
            return self.explain_key();
        };
        let namespace = namespace.unwrap_or_else(|| "default".into());
        let target = resolve_target(
            what,
            &self.session.resources,
            &self.session.aliases,
            &namespace,
        );
        match target {
            Ok(target) => {
                let step = self.with_front(|_, cx| explain::open(target, cx));
                step.map(|s| self.carry_out(s)).unwrap_or_default()
            }
            Err(e) => {
                self.message = Some(Message::Error(format!(":explain {what}: {e}")));
                Vec::new()
            }
        }
    }

    /// A reading came back: shown if its screen is still open, and the next one asked for.
    pub(super) fn on_explained(
        &mut self,
        id: u64,
        result: Result<Diagnosis, String>,
    ) -> Vec<Effect> {
        let now = self.session.now;
        let Some(e) = self.data.explained.get_mut(&id) else {
            return Vec::new();
        };
        e.result = Some(result);
        e.at = now;
        vec![Effect::Explain {
            id,
            target: Box::new(e.target.clone()),
            after: EVERY,
        }]
    }
}
