//! `X` and `:explain`: the reading asked for, shown, read again while open and not after;
//! Enter on a line goes to its evidence.

use super::tests::{app, feed, key, list_key, press, type_line};
use super::*;
use crate::explain::{Diagnosis, Health, Line, Source};
use crate::tui::screens::explain::ExplainScreen;
use crossterm::event::KeyCode;

pub(in crate::tui) fn diagnosis() -> Diagnosis {
    let line = |depth, health, text: &str, source| Line {
        depth,
        health,
        text: text.into(),
        source,
    };
    Diagnosis {
        kind: "Pod".into(),
        namespace: "shop".into(),
        name: "web-1".into(),
        health: Health::Broken,
        lines: vec![
            line(
                0,
                Health::Broken,
                "container app is crash-looping: 4 restarts, last exited with code 2 (Error)",
                Some(Source::Object {
                    kind: "Pod".into(),
                    namespace: "shop".into(),
                    name: "web-1".into(),
                }),
            ),
            line(
                1,
                Health::Broken,
                "last lines of the previous container's log:",
                Some(Source::Log {
                    namespace: "shop".into(),
                    pod: "web-1".into(),
                    container: "app".into(),
                    previous: true,
                }),
            ),
            line(
                1,
                Health::Broken,
                "BackOff: Back-off restarting failed container",
                Some(Source::Event {
                    kind: "Pod".into(),
                    namespace: "shop".into(),
                    name: "web-1".into(),
                    reason: "BackOff".into(),
                }),
            ),
        ],
    }
}

/// The app with the pods list fed and `X` pressed on web-1: the explain screen's id.
pub(in crate::tui) fn explaining() -> (App, u64) {
    let mut s = app();
    let k = list_key(&s);
    feed(
        &mut s,
        &k,
        &["Name", "Status"],
        &[("web-1", &["web-1", "CrashLoopBackOff"])],
    );
    let effects = press(&mut s, 'X');
    let [Effect::Explain { id, target, after }] = &effects[..] else {
        panic!("X asks for a reading: {effects:?}");
    };
    assert_eq!(
        (target.name.as_str(), target.resource.kind.as_str()),
        ("web-1", "Pod")
    );
    assert_eq!(*after, std::time::Duration::ZERO);
    (s, *id)
}

#[test]
fn x_reads_the_selected_rows_diagnosis_and_reads_it_again_while_open() {
    let (mut s, id) = explaining();
    assert!(s.front().is_some_and(|f| f.as_any().is::<ExplainScreen>()));
    let effects = s.update(Action::Explained(id, Ok(diagnosis())));
    assert!(
        matches!(&effects[..], [Effect::Explain { id: i, after, .. }] if *i == id && *after == crate::tui::screens::explain::EVERY),
        "{effects:?}"
    );
    key(&mut s, KeyCode::Esc);
    // Closed: a reading still on its way is dropped and nothing more is asked for.
    assert!(s.update(Action::Explained(id, Ok(diagnosis()))).is_empty());
    assert!(s.data.explained.is_empty());
}

#[test]
fn enter_goes_to_the_evidence_of_the_line() {
    let (mut s, id) = explaining();
    s.update(Action::Explained(id, Ok(diagnosis())));
    // The pod's own line: its describe.
    let effects = key(&mut s, KeyCode::Enter);
    assert!(
        matches!(&effects[..], [Effect::Follow(_, t)] if t.name == "web-1"),
        "{effects:?}"
    );
    assert!(
        s.front().is_some_and(|f| f.crumb().contains("describe")),
        "{:?}",
        s.front().map(|f| f.crumb())
    );
    key(&mut s, KeyCode::Esc);
    // A log line: the previous container's log.
    press(&mut s, 'j');
    let effects = key(&mut s, KeyCode::Enter);
    assert!(
        matches!(&effects[..], [Effect::Logs(_, r)] if r.previous && r.container_regex.as_deref() == Some("^app$")),
        "{effects:?}"
    );
    key(&mut s, KeyCode::Esc);
    // An event: the object's events.
    press(&mut s, 'j');
    key(&mut s, KeyCode::Enter);
    assert!(
        s.front().is_some_and(|f| f.crumb().contains("events")),
        "{:?}",
        s.front().map(|f| f.crumb())
    );
}

#[test]
fn explain_by_name_and_mistakes_said() {
    let mut s = app();
    let effects = type_line(&mut s, ":explain deploy/web -n payments");
    assert!(
        matches!(&effects[..], [Effect::Explain { target, .. }] if target.name == "web" && target.namespace.as_deref() == Some("payments")),
        "{effects:?}"
    );
    key(&mut s, KeyCode::Esc);
    assert!(type_line(&mut s, ":explain nosuch/x").is_empty());
    assert!(
        matches!(&s.message, Some(Message::Error(m)) if m.contains("nosuch")),
        "{:?}",
        s.message
    );
    // Nothing selected: said, not guessed.
    let mut s = app();
    assert!(press(&mut s, 'X').is_empty());
    assert!(matches!(&s.message, Some(Message::Info(m)) if m.contains("nothing selected")));
}

#[test]
fn a_reading_that_failed_is_shown_and_retried() {
    let (mut s, id) = explaining();
    let effects = s.update(Action::Explained(
        id,
        Err("forbidden: pods \"web-1\"".into()),
    ));
    assert_eq!(effects.len(), 1);
    assert!(matches!(&s.data.explained[&id].result, Some(Err(m)) if m.contains("forbidden")));
}
