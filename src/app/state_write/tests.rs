use super::*;
use crate::app::state::{Action, WatchKey};
use crate::cluster::discovery::ResourceInfo;
use crate::cluster::rows::{Column, Row};
use crate::cluster::watch::WatchMsg;
use crate::config::keys::KeyMap;
use crossterm::event::{KeyEvent, KeyModifiers};

fn state_with(plural: &str, kind: &str, group: &str, names: &[&str]) -> (State, WatchKey) {
    let mut s = State::new("ctx".into(), Some("shop".into()), KeyMap::load(None));
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
    let _ = (kind, group);
    let wk = s.current().unwrap().key.clone();
    let cols = vec![Column {
        name: "Name".into(),
        type_: "string".into(),
        format: String::new(),
        priority: 0,
    }];
    s.update(Action::Watch(wk.clone(), WatchMsg::Columns(cols)));
    s.update(Action::Watch(wk.clone(), WatchMsg::Init));
    for n in names {
        let row = Row {
            uid: n.to_string(),
            namespace: if plural == "nodes" {
                String::new()
            } else {
                "shop".into()
            },
            name: n.to_string(),
            resource_version: "1".into(),
            created: Some(0),
            deleting: false,
            cells: vec![(*n).into()],
            search: Default::default(),
        }
        .refresh_search();
        s.update(Action::Watch(wk.clone(), WatchMsg::InitRow(row)));
    }
    s.update(Action::Watch(wk.clone(), WatchMsg::InitDone));
    (s, wk)
}

fn press(s: &mut State, c: char) -> Vec<Effect> {
    key(s, KeyCode::Char(c))
}

fn key(s: &mut State, code: KeyCode) -> Vec<Effect> {
    s.update(Action::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn ctrl(s: &mut State, c: char) -> Vec<Effect> {
    s.update(Action::Key(KeyEvent::new(
        KeyCode::Char(c),
        KeyModifiers::CONTROL,
    )))
}

#[test]
fn delete_asks_first_offers_propagation_and_acts_on_all_marked_rows() {
    let (mut s, _) = state_with("pods", "Pod", "", &["web-1", "web-2", "web-3"]);
    press(&mut s, ' ');
    press(&mut s, 'j');
    press(&mut s, 'j');
    press(&mut s, ' ');
    assert!(ctrl(&mut s, 'd').is_empty(), "nothing happens before y");
    let question = s.confirm.as_ref().unwrap().question();
    assert_eq!(
        question,
        "delete 2 pods (web-1, web-3) (Background propagation; b/f/o to change)? y yes · n no"
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
    assert!(s.confirm.is_none());
    assert!(s.current().unwrap().marks.is_empty(), "marks are used up");
}

#[test]
fn no_or_escape_cancels_and_nothing_is_done() {
    let (mut s, _) = state_with("pods", "Pod", "", &["web-1"]);
    ctrl(&mut s, 'd');
    assert!(press(&mut s, 'n').is_empty());
    assert!(s.confirm.is_none());
    assert!(
        matches!(&s.message, Some(Message::Info(m)) if m == "cancelled: nothing done (delete pods/web-1 -n shop)")
    );
    ctrl(&mut s, 'd');
    assert!(key(&mut s, KeyCode::Esc).is_empty());
    assert!(s.confirm.is_none());
}

#[test]
fn scale_prompts_for_replicas_and_refuses_what_is_not_a_count() {
    let (mut s, _) = state_with("deploy", "Deployment", "apps", &["web"]);
    press(&mut s, 's');
    assert_eq!(s.prompt, Some(Prompt::Scale(String::new())));
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
    // Pods do not scale.
    let (mut p, _) = state_with("pods", "Pod", "", &["web-1"]);
    press(&mut p, 's');
    assert!(p.prompt.is_none());
    assert!(
        matches!(&p.message, Some(Message::Info(m)) if m == "scale works on Deployment, StatefulSet, ReplicaSet, not pods")
    );
}

#[test]
fn restart_and_cordon_ask_first_and_edit_goes_straight_to_the_editor() {
    let (mut s, _) = state_with("deploy", "Deployment", "apps", &["web"]);
    press(&mut s, 'R');
    assert_eq!(
        s.confirm.as_ref().unwrap().question(),
        "restart deployments/web -n shop? y yes · n no"
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

    let (mut n, _) = state_with("nodes", "Node", "", &["worker-1"]);
    press(&mut n, 'C');
    assert_eq!(
        n.confirm.as_ref().unwrap().question(),
        "cordon nodes/worker-1? y yes · n no"
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
        n.confirm.as_ref().unwrap().question(),
        "uncordon nodes/worker-1? y yes · n no"
    );
}

#[test]
fn read_only_mode_turns_every_write_off_and_says_so() {
    let (mut s, _) = state_with("deploy", "Deployment", "apps", &["web"]);
    s.readonly = true;
    type Press = fn(&mut State) -> Vec<Effect>;
    let presses: [(&str, Press); 4] = [
        ("edit", |s| press(s, 'e')),
        ("delete", |s| ctrl(s, 'd')),
        ("scale", |s| press(s, 's')),
        ("restart", |s| press(s, 'R')),
    ];
    for (what, act) in presses {
        let effects = act(&mut s);
        assert!(effects.is_empty());
        assert!(s.confirm.is_none() && s.prompt.is_none());
        assert!(
            matches!(&s.message, Some(Message::Error(m)) if m == &format!("kx is read-only (--readonly, or readonly: true in the config): {what} is off")),
            "{:?}",
            s.message
        );
    }
}

#[test]
fn a_write_result_is_reported() {
    let (mut s, _) = state_with("pods", "Pod", "", &["web-1"]);
    let report = |result| crate::app::writes::WriteReport {
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
    let (mut s, _) = state_with("deployments", "Deployment", "apps", &["web"]);
    let target = crate::cluster::object::ObjectRef {
        resource: crate::cluster::discovery::ResourceInfo::example(
            "apps",
            "deployments",
            "Deployment",
            &["deploy"],
        ),
        namespace: Some("shop".into()),
        name: "web".into(),
    };
    let revision = |rv: &str, replicas: i64| {
        serde_json::json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "shop", "resourceVersion": rv},
            "spec": {"replicas": replicas}})
    };
    s.update(Action::Written(crate::app::writes::WriteReport {
        result: Ok("scaled deployments/web -n shop to 5".into()),
        revisions: vec![
            (target.clone(), revision("10", 3)),
            (target.clone(), revision("11", 5)),
        ],
    }));
    let history = s
        .revisions
        .get(&crate::app::state_diff::history_key(&target))
        .expect("the object's history");
    assert_eq!(&*history.newest().summary, "spec.replicas 3→5");
    assert_eq!(history.revisions().len(), 2);
}
