//! Write actions from the keys: edit (`e`), delete (ctrl-d, the marked rows or the selected
//! one, with a propagation choice), scale (`s`, a prompt), rollout restart (`R`), cordon and
//! uncordon (`C`, `U`). Each asks first (edit excepted); read-only mode turns them all off.

use super::tests::{ctrl, feed, key, list_key, press};
use super::*;
use crate::cluster::discovery::ResourceInfo;
use crate::config::keys::KeyMap;
use crate::tui::writes::WriteReport;
use crossterm::event::KeyCode;

fn app_with(plural: &str, names: &[&str]) -> App {
    let mut s = App::new(Session::new(
        "ctx".into(),
        Some("shop".into()),
        KeyMap::load(None),
    ));
    s.update(Action::Discovered(vec![
        ResourceInfo::example("", "pods", "Pod", &["po"]),
        ResourceInfo::example("apps", "deployments", "Deployment", &["deploy"]),
        ResourceInfo {
            namespaced: false,
            ..ResourceInfo::example("", "nodes", "Node", &["no"])
        },
    ]));
    if plural != "pods" {
        press(&mut s, ':');
        for c in plural.chars() {
            press(&mut s, c);
        }
        key(&mut s, KeyCode::Enter);
    }
    let wk = list_key(&s);
    let rows: Vec<(&str, &[&str])> = names
        .iter()
        .map(|n| (*n, std::slice::from_ref(n)))
        .collect();
    feed(&mut s, &wk, &["Name"], &rows);
    s
}

fn question(s: &App) -> Option<String> {
    match &s.overlay {
        Some(Overlay::Confirm(c)) => Some(c.question()),
        _ => None,
    }
}

#[test]
fn delete_asks_first_offers_propagation_and_acts_on_all_marked_rows() {
    let mut s = app_with("pods", &["web-1", "web-2", "web-3"]);
    press(&mut s, ' ');
    press(&mut s, 'j');
    press(&mut s, 'j');
    press(&mut s, ' ');
    assert!(ctrl(&mut s, 'd').is_empty(), "nothing happens before y");
    assert_eq!(
        question(&s).as_deref(),
        Some(
            "delete 2 pods (web-1, web-3) (Background propagation; b/f/o to change)? y yes · n no"
        )
    );
    press(&mut s, 'f');
    let effects = press(&mut s, 'y');
    let [
        Effect::Write(WriteOp::Delete {
            targets,
            propagation,
        }),
    ] = &effects[..]
    else {
        panic!("{effects:?}");
    };
    assert_eq!(*propagation, Propagation::Foreground);
    let names: Vec<&str> = targets.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["web-1", "web-3"]);
    assert_eq!(targets[0].namespace.as_deref(), Some("shop"));
    assert!(s.overlay.is_none());
    assert!(s.list().unwrap().marks.is_empty(), "marks are used up");
}

#[test]
fn no_or_escape_cancels_and_nothing_is_done() {
    let mut s = app_with("pods", &["web-1"]);
    ctrl(&mut s, 'd');
    assert!(press(&mut s, 'n').is_empty());
    assert!(s.overlay.is_none());
    assert!(
        matches!(&s.message, Some(Message::Info(m)) if m == "cancelled: nothing done (delete pods/web-1 -n shop)")
    );
    ctrl(&mut s, 'd');
    assert!(key(&mut s, KeyCode::Esc).is_empty());
    assert!(s.overlay.is_none());
}

#[test]
fn scale_prompts_for_replicas_and_refuses_what_is_not_a_count() {
    let mut s = app_with("deploy", &["web"]);
    press(&mut s, 's');
    assert!(
        matches!(&s.overlay, Some(Overlay::Prompt(p)) if p.ask == Ask::Scale && p.text.is_empty())
    );
    press(&mut s, 'x');
    let effects = key(&mut s, KeyCode::Enter);
    assert!(effects.is_empty());
    assert!(
        matches!(&s.message, Some(Message::Error(m)) if m.contains("\"x\" is not a number of replicas"))
    );
    press(&mut s, 's');
    press(&mut s, '5');
    let effects = key(&mut s, KeyCode::Enter);
    assert!(
        matches!(&effects[..], [Effect::Write(WriteOp::Scale { target, replicas: 5 })] if target.name == "web"),
        "{effects:?}"
    );
    // Nodes do not scale; on pods the same key is a shell (as in k9s).
    let mut n = app_with("nodes", &["worker-1"]);
    press(&mut n, 's');
    assert!(n.overlay.is_none());
    assert!(
        matches!(&n.message, Some(Message::Info(m)) if m == "scale works on Deployment, StatefulSet, ReplicaSet, not nodes")
    );
    let mut p = app_with("pods", &["web-1"]);
    let effects = press(&mut p, 's');
    assert!(p.overlay.is_none());
    assert!(
        matches!(&effects[..], [Effect::PrepareExec { attach: false, .. }]),
        "{effects:?}"
    );
}

#[test]
fn restart_and_cordon_ask_first_and_edit_goes_straight_to_the_editor() {
    let mut s = app_with("deploy", &["web"]);
    press(&mut s, 'R');
    assert_eq!(
        question(&s).as_deref(),
        Some("restart deployments/web -n shop? y yes · n no")
    );
    let effects = press(&mut s, 'y');
    assert!(matches!(
        &effects[..],
        [Effect::Write(WriteOp::Restart { .. })]
    ));
    let effects = press(&mut s, 'e');
    assert!(
        matches!(&effects[..], [Effect::Edit(t)] if t.name == "web"),
        "{effects:?}"
    );

    let mut n = app_with("nodes", &["worker-1"]);
    press(&mut n, 'C');
    assert_eq!(
        question(&n).as_deref(),
        Some("cordon nodes/worker-1? y yes · n no")
    );
    let effects = press(&mut n, 'y');
    assert!(matches!(
        &effects[..],
        [Effect::Write(WriteOp::Cordon {
            unschedulable: true,
            ..
        })]
    ));
    press(&mut n, 'U');
    assert_eq!(
        question(&n).as_deref(),
        Some("uncordon nodes/worker-1? y yes · n no")
    );
}

#[test]
fn writes_from_an_objects_screen_act_on_that_object() {
    let mut s = app_with("deploy", &["api", "web"]);
    press(&mut s, 'j');
    press(&mut s, 'y');
    press(&mut s, 'R');
    assert_eq!(
        question(&s).as_deref(),
        Some("restart deployments/web -n shop? y yes · n no")
    );
    key(&mut s, KeyCode::Esc);
    let effects = press(&mut s, 'e');
    assert!(
        matches!(&effects[..], [Effect::Edit(t)] if t.name == "web"),
        "{effects:?}"
    );
}

#[test]
fn read_only_mode_turns_every_write_off_and_says_so() {
    let mut s = app_with("deploy", &["web"]);
    s.session.readonly = true;
    type Press = fn(&mut App) -> Vec<Effect>;
    let presses: [(&str, Press); 4] = [
        ("edit", |s| press(s, 'e')),
        ("delete", |s| ctrl(s, 'd')),
        ("scale", |s| press(s, 's')),
        ("restart", |s| press(s, 'R')),
    ];
    for (what, act) in presses {
        let effects = act(&mut s);
        assert!(effects.is_empty());
        assert!(s.overlay.is_none());
        assert!(
            matches!(&s.message, Some(Message::Error(m)) if m == &format!("kx is read-only (--readonly, or readonly: true in the config): {what} is off")),
            "{:?}",
            s.message
        );
    }
}

#[test]
fn a_write_result_is_reported() {
    let mut s = app_with("pods", &["web-1"]);
    let report = |result| WriteReport {
        result,
        revisions: Vec::new(),
    };
    s.update(Action::Written(report(Err(
        "forbidden: user \"ops\" cannot delete pods/web-1 in namespace shop (RBAC)".into(),
    ))));
    assert!(
        matches!(&s.message, Some(Message::Error(m)) if m.starts_with("forbidden: user \"ops\" cannot delete pods/web-1"))
    );
    s.update(Action::Written(report(Ok(
        "deleted pods/web-1 -n shop".into()
    ))));
    assert!(matches!(&s.message, Some(Message::Info(m)) if m == "deleted pods/web-1 -n shop"));
}

#[test]
fn a_write_records_the_object_before_and_after_so_d_shows_the_change() {
    let mut s = app_with("deployments", &["web"]);
    let target = ObjectRef {
        resource: ResourceInfo::example("apps", "deployments", "Deployment", &["deploy"]),
        namespace: Some("shop".into()),
        name: "web".into(),
    };
    let revision = |rv: &str, replicas: i64| {
        serde_json::json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "shop", "resourceVersion": rv},
            "spec": {"replicas": replicas}})
    };
    s.update(Action::Written(WriteReport {
        result: Ok("scaled deployments/web -n shop to 5".into()),
        revisions: vec![
            (target.clone(), revision("10", 3)),
            (target.clone(), revision("11", 5)),
        ],
    }));
    let history = s
        .data
        .revisions
        .get(&history_key(&target))
        .expect("the object's history");
    assert_eq!(&*history.newest().summary, "spec.replicas 3→5");
    assert_eq!(history.revisions().len(), 2);
}
