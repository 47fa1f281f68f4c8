//! The events about an object, oldest first, warnings coloured; live as they come.

use super::super::object_text::event_table;
use super::super::pane::{Pieces, event_pieces};
use super::super::session::Followed;
use super::object::{TextScreen, TextView};
use crate::config::keys::KeyAction;
use crate::config::theme::Theme;
use serde_json::Value;

pub struct Events;

pub type EventsScreen = TextScreen<Events>;

impl TextView for Events {
    fn what(&self) -> &'static str {
        "events"
    }

    fn key(&self) -> KeyAction {
        KeyAction::Events
    }

    fn lines(&self, followed: &Followed, _: &Value, now: i64) -> Vec<String> {
        match &followed.events_error {
            Some(t) => vec![format!("cannot list this object's events: {}", t.error)],
            None => event_table(&followed.sorted_events(), now),
        }
    }

    fn pieces(&self, index: usize, line: &str, theme: &Theme) -> Pieces {
        event_pieces(line, index, theme)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::discovery::ResourceInfo;
    use crate::cluster::object::ObjectMsg;
    use crate::cluster::object::ObjectRef;
    use crate::config::keys::KeyMap;
    use crate::tui::action::Message;
    use crate::tui::screen::{Cx, Screen};
    use crate::tui::session::{Data, Followed, Session};
    use serde_json::json;

    #[test]
    fn events_are_oldest_first_with_counts_and_go_when_the_cluster_drops_them() {
        let mut session = Session::new("ctx".into(), None, KeyMap::load(None));
        session.now = 1000;
        let mut data = Data::default();
        let target = ObjectRef {
            resource: ResourceInfo::example("", "pods", "Pod", &[]),
            namespace: Some("shop".into()),
            name: "x".into(),
        };
        let mut followed = Followed::new(1, target);
        followed.apply(ObjectMsg::Object(
            json!({"kind": "Pod", "metadata": {"name": "x"}}),
        ));
        followed.apply(ObjectMsg::EventSeen(
            "b".into(),
            json!({"type": "Warning", "reason": "BackOff", "count": 4,
                "lastTimestamp": "1970-01-01T00:16:00Z", "source": {"component": "kubelet"},
                "message": "Back-off restarting failed container"}),
        ));
        followed.apply(ObjectMsg::EventSeen(
            "a".into(),
            json!({"type": "Normal", "reason": "Scheduled",
                "lastTimestamp": "1970-01-01T00:01:40Z", "source": {"component": "default-scheduler"},
                "message": "Successfully assigned"}),
        ));
        data.followed = Some(followed);
        let mut message: Option<Message> = None;
        let mut screen = EventsScreen::new(1, "x", Events);
        let mut cx = Cx {
            session: &mut session,
            data: &mut data,
            message: &mut message,
        };
        screen.refresh(&mut cx);
        let lines = &screen.text.pane.lines;
        assert_eq!(lines[0].split_whitespace().next(), Some("TYPE"));
        assert!(lines[1].contains("Scheduled") && lines[1].contains("15m"));
        assert!(lines[2].contains("BackOff") && lines[2].contains("40s (x4)"));
        if let Some(f) = cx.data.followed.as_mut() {
            f.apply(ObjectMsg::EventGone("b".into()));
        }
        screen.refresh(&mut cx);
        assert_eq!(screen.text.pane.lines.len(), 2);
    }
}
