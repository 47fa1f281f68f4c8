//! The explorer driven by keys and news, as a user and the runtime drive it: what each key
//! does on each screen, what work it asks for, and what the screens show after.

use super::*;
use crate::cluster::discovery::ResourceInfo;
use crate::cluster::rows::{Column, Row};
use crate::config::keys::KeyMap;
use crate::tui::screens::containers::ContainersScreen;
use crate::tui::screens::diff::DiffScreen;
use crate::tui::screens::logs::LogsScreen;
use crate::tui::screens::yaml::YamlScreen;
use crate::tui::session::Presence;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

pub(super) fn res(
    group: &str,
    plural: &str,
    kind: &str,
    short: &[&str],
    namespaced: bool,
) -> ResourceInfo {
    ResourceInfo {
        namespaced,
        ..ResourceInfo::example(group, plural, kind, short)
    }
}

pub(super) fn app() -> App {
    let mut s = App::new(Session::new(
        "ctx".into(),
        Some("shop".into()),
        KeyMap::load(None),
    ));
    let effects = s.update(Action::Discovered(vec![
        res("", "pods", "Pod", &["po"], true),
        res("", "namespaces", "Namespace", &["ns"], false),
        res("", "nodes", "Node", &["no"], false),
        res("apps", "deployments", "Deployment", &["deploy"], true),
    ]));
    assert!(
        matches!(&effects[..], [Effect::Watch(k, _, _)] if k.resource == "pods" && k.namespace.as_deref() == Some("shop"))
    );
    s
}

pub(super) fn press(s: &mut App, c: char) -> Vec<Effect> {
    s.update(Action::Key(KeyEvent::new(
        KeyCode::Char(c),
        KeyModifiers::NONE,
    )))
}

pub(super) fn key(s: &mut App, code: KeyCode) -> Vec<Effect> {
    s.update(Action::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

pub(super) fn ctrl(s: &mut App, c: char) -> Vec<Effect> {
    s.update(Action::Key(KeyEvent::new(
        KeyCode::Char(c),
        KeyModifiers::CONTROL,
    )))
}

pub(super) fn type_line(s: &mut App, text: &str) -> Vec<Effect> {
    for c in text.chars() {
        press(s, c);
    }
    key(s, KeyCode::Enter)
}

fn key_enter(s: &mut App) -> Vec<Effect> {
    key(s, KeyCode::Enter)
}

pub(super) fn list_key(s: &App) -> WatchKey {
    s.list().expect("a list").key.clone()
}

pub(super) fn row(uid: &str, namespace: &str, cells: &[&str]) -> Row {
    Row {
        uid: uid.to_string(),
        namespace: namespace.into(),
        name: cells[0].to_string(),
        resource_version: "1".into(),
        created: Some(0),
        deleting: false,
        cells: cells.iter().map(|c| (*c).into()).collect(),
        search: Default::default(),
    }
    .refresh_search()
}

pub(super) fn feed(s: &mut App, key: &WatchKey, columns: &[&str], rows: &[(&str, &[&str])]) {
    let cols = columns
        .iter()
        .map(|c| Column {
            name: c.to_string(),
            type_: "string".into(),
            format: String::new(),
            priority: 0,
        })
        .collect();
    s.update(Action::Watch(key.clone(), WatchMsg::Columns(cols)));
    s.update(Action::Watch(key.clone(), WatchMsg::Init));
    for (name, cells) in rows {
        s.update(Action::Watch(
            key.clone(),
            WatchMsg::InitRow(row(name, "shop", cells)),
        ));
    }
    s.update(Action::Watch(key.clone(), WatchMsg::InitDone));
    s.prepare();
}

/// The names of the list's visible rows, in order.
pub(super) fn names(s: &mut App) -> Vec<String> {
    s.prepare();
    let list = s.list().expect("a list");
    let store = &s.data.stores[&list.key];
    list.visible
        .slots
        .iter()
        .filter_map(|x| store.at(*x).map(|r| r.name.clone()))
        .collect()
}

/// The name of the row under the cursor.
fn selected(s: &mut App) -> Option<String> {
    s.prepare();
    let list = s.list()?;
    let store = s.data.stores.get(&list.key)?;
    list.selected
        .as_deref()
        .and_then(|u| store.get(u))
        .map(|r| r.name.clone())
}

fn prompt_text(s: &App) -> Option<(Ask, String)> {
    match &s.overlay {
        Some(Overlay::Prompt(p)) => Some((p.ask, p.text.clone())),
        _ => None,
    }
}

fn lines(s: &App) -> Vec<String> {
    if let Some(y) = s.front_as::<YamlScreen>() {
        return y.text.pane.lines.clone();
    }
    if let Some(d) = s.front_as::<crate::tui::screens::describe::DescribeScreen>() {
        return d.text.pane.lines.clone();
    }
    if let Some(d) = s.front_as::<DiffScreen>() {
        return d.object.pane.lines.clone();
    }
    Vec::new()
}

#[test]
fn live_changes_from_a_list_feed_the_history_and_d_on_the_row_shows_them() {
    let mut s = app();
    let wk = list_key(&s);
    feed(
        &mut s,
        &wk,
        &["Name", "Status"],
        &[("web-1", &["web-1", "Running"])],
    );
    let pod = |rv: &str, image: &str| {
        serde_json::json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "web-1", "namespace": "shop", "uid": "web-1", "resourceVersion": rv},
            "spec": {"containers": [{"name": "app", "image": image}]}})
        .to_string()
    };
    s.session.now = 100;
    for (rv, image) in [("2", "web:1"), ("3", "web:2")] {
        s.update(Action::Watch(
            wk.clone(),
            WatchMsg::Revision(pod(rv, image).into()),
        ));
        let mut row = s.data.stores[&wk].get("web-1").unwrap().clone();
        row.resource_version = rv.into();
        s.update(Action::Watch(wk.clone(), WatchMsg::Apply(row)));
    }
    let effects = press(&mut s, 'D');
    assert!(matches!(&effects[..], [Effect::Follow(_, t)] if t.name == "web-1"));
    let d = s.front_as::<DiffScreen>().unwrap();
    assert_eq!(d.diff.rows.len(), 2);
    assert_eq!(
        d.diff.rows[0].summary,
        "spec.containers[0].image web:1→web:2"
    );
    let text = lines(&s);
    assert!(text.contains(&"-  - image: web:1".to_string()), "{text:?}");
    assert!(text.contains(&"+  - image: web:2".to_string()));
    // Down selects the older revision; S hides the status; Esc unpins and closes.
    press(&mut s, 'j');
    assert_eq!(s.front_as::<DiffScreen>().unwrap().diff.selected_index(), 1);
    press(&mut s, 'S');
    assert!(matches!(&s.message, Some(Message::Info(m)) if m == "the status hidden in diffs"));
    // A deletion seen by the list ends the history with DELETED.
    s.update(Action::Watch(wk.clone(), WatchMsg::Delete("web-1".into())));
    s.prepare();
    let d = s.front_as::<DiffScreen>().unwrap();
    assert_eq!(d.diff.rows[0].change, crate::history::Change::Deleted);
    let effects = key(&mut s, KeyCode::Esc);
    assert_eq!(effects, [Effect::Unfollow]);
}

#[test]
fn d_in_a_yaml_view_switches_to_the_diff_of_the_same_object() {
    let mut s = app();
    let key = list_key(&s);
    feed(&mut s, &key, &["Name"], &[("web-1", &["web-1"])]);
    let effects = press(&mut s, 'y');
    let [Effect::Follow(id, _)] = &effects[..] else {
        panic!("{effects:?}");
    };
    let obj = serde_json::json!({"metadata": {"name": "web-1", "namespace": "shop", "resourceVersion": "4"}});
    s.update(Action::Object(*id, ObjectMsg::Object(obj)));
    assert!(
        press(&mut s, 'D').is_empty(),
        "the same object stays followed"
    );
    let d = s.front_as::<DiffScreen>().expect("the diff screen");
    assert_eq!(d.diff.rows.len(), 1);
    assert_eq!(s.crumbs(), "pods › web-1:diff");
}

#[test]
fn a_command_opens_any_resource_by_short_name_and_replaces_the_stack() {
    let mut s = app();
    press(&mut s, ':');
    let effects = type_line(&mut s, "deploy");
    assert!(
        matches!(&effects[0], Effect::Watch(k, r, _) if k.resource == "deployments.apps" && r.kind == "Deployment"),
        "{effects:?}"
    );
    assert!(matches!(&effects[1], Effect::Unwatch(k) if k.resource == "pods"));
    assert_eq!(s.crumbs(), "deployments");
    assert_eq!(s.session.history, ["deploy"]);
}

#[test]
fn unknown_resources_say_so_with_close_matches_and_change_nothing() {
    let mut s = app();
    press(&mut s, ':');
    let effects = type_line(&mut s, "deplyoments");
    assert!(effects.is_empty());
    assert!(
        matches!(&s.message, Some(Message::Error(e)) if e.contains("did you mean deployments")),
        "{:?}",
        s.message
    );
    assert_eq!(s.crumbs(), "pods");
}

#[test]
fn enter_on_a_deployment_drills_to_its_pods_by_selector_and_esc_comes_back() {
    let mut s = app();
    press(&mut s, ':');
    type_line(&mut s, "deploy");
    let wk = list_key(&s);
    feed(
        &mut s,
        &wk,
        &["Name", "Ready", "Selector"],
        &[
            ("api", &["api", "2/2", "app=api"]),
            ("web", &["web", "3/3", "app=web"]),
        ],
    );
    press(&mut s, 'j');
    let effects = key_enter(&mut s);
    match &effects[..] {
        [Effect::Watch(k, _, scope)] => {
            assert_eq!(
                (
                    k.resource.as_str(),
                    scope.label_selector.as_deref(),
                    scope.namespace.as_deref()
                ),
                ("pods", Some("app=web"), Some("shop"))
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(s.crumbs(), "deployments › web:pods");
    let effects = key(&mut s, KeyCode::Esc);
    assert!(matches!(&effects[..], [Effect::Unwatch(k)] if k.labels.as_deref() == Some("app=web")));
    assert_eq!(s.crumbs(), "deployments");
    assert_eq!(
        selected(&mut s).as_deref(),
        Some("web"),
        "the selection is where it was"
    );
}

#[test]
fn nodes_drill_to_their_pods_by_field_selector_across_namespaces() {
    let mut s = app();
    press(&mut s, ':');
    type_line(&mut s, "no");
    let wk = list_key(&s);
    assert_eq!(wk.namespace, None, "nodes are cluster-scoped");
    feed(
        &mut s,
        &wk,
        &["Name", "Status"],
        &[("node-1", &["node-1", "Ready"])],
    );
    let effects = key_enter(&mut s);
    assert!(
        matches!(&effects[..], [Effect::Watch(k, _, sc)] if k.namespace.is_none() && sc.field_selector.as_deref() == Some("spec.nodeName=node-1"))
    );
}

#[test]
fn filters_narrow_rows_bad_regexes_are_reported_and_esc_clears_first() {
    let mut s = app();
    let wk = list_key(&s);
    feed(
        &mut s,
        &wk,
        &["Name", "Status"],
        &[
            ("web-1", &["web-1", "Running"]),
            ("db-0", &["db-0", "Running"]),
        ],
    );
    press(&mut s, '/');
    type_line(&mut s, "web");
    assert_eq!(names(&mut s), ["web-1"]);
    press(&mut s, '/');
    for _ in 0..3 {
        key(&mut s, KeyCode::Backspace);
    }
    type_line(&mut s, "(");
    assert!(matches!(&s.message, Some(Message::Error(e)) if e.contains("invalid filter regex")));
    assert_eq!(names(&mut s).len(), 1, "the previous filter stays");
    key(&mut s, KeyCode::Esc);
    assert_eq!(names(&mut s).len(), 2);
}

#[test]
fn a_label_selector_filter_reopens_the_list_server_side() {
    let mut s = app();
    press(&mut s, '/');
    let effects = type_line(&mut s, "-l app=web");
    assert!(
        matches!(&effects[..], [Effect::Watch(k, _, sc), Effect::Unwatch(_)] if k.labels.as_deref() == Some("app=web") && sc.label_selector.as_deref() == Some("app=web")),
        "{effects:?}"
    );
}

#[test]
fn namespace_commands_and_favourites_switch_the_scope() {
    let mut s = app();
    s.session.favourites = vec!["kube-system".into()];
    press(&mut s, ':');
    let effects = type_line(&mut s, "ns -A");
    assert!(matches!(&effects[0], Effect::Watch(k, _, _) if k.namespace.is_none()));
    let effects = press(&mut s, '0');
    assert!(
        matches!(&effects[0], Effect::Watch(k, _, _) if k.namespace.as_deref() == Some("kube-system"))
    );
    assert!(matches!(&effects[1], Effect::Unwatch(k) if k.namespace.is_none()));
    press(&mut s, '5');
    assert!(matches!(&s.message, Some(Message::Info(m)) if m.contains("no favourite namespace 5")));
}

#[test]
fn quit_by_command_key_or_ctrl_c_and_tab_completes_resource_names() {
    let mut s = app();
    press(&mut s, ':');
    press(&mut s, 'd');
    press(&mut s, 'e');
    key(&mut s, KeyCode::Tab);
    assert_eq!(prompt_text(&s), Some((Ask::Command, "deployments".into())));
    key(&mut s, KeyCode::Esc);
    assert!(s.overlay.is_none());
    press(&mut s, ':');
    assert_eq!(type_line(&mut s, "q"), vec![Effect::Quit]);
    let mut s = app();
    assert_eq!(press(&mut s, 'q'), vec![Effect::Quit]);
    let mut s = app();
    assert_eq!(ctrl(&mut s, 'c'), vec![Effect::Quit]);
    assert!(s.quit);
}

#[test]
fn space_marks_rows_and_moves_on_and_a_second_press_unmarks() {
    let mut s = app();
    let wk = list_key(&s);
    feed(&mut s, &wk, &["Name"], &[("a", &["a"]), ("b", &["b"])]);
    press(&mut s, ' ');
    assert!(s.list().unwrap().marks.contains("a"));
    assert_eq!(selected(&mut s).as_deref(), Some("b"));
    press(&mut s, 'k');
    press(&mut s, ' ');
    assert!(s.list().unwrap().marks.is_empty());
}

#[test]
fn sorting_cycles_columns_and_reverses() {
    let mut s = app();
    let wk = list_key(&s);
    feed(
        &mut s,
        &wk,
        &["Name", "Restarts"],
        &[("a", &["a", "10"]), ("b", &["b", "9"])],
    );
    press(&mut s, '>');
    press(&mut s, '>');
    assert_eq!(names(&mut s), ["b", "a"]);
    ctrl(&mut s, 'r');
    assert_eq!(names(&mut s), ["a", "b"]);
}

pub(super) fn open_yaml_of_web_1(s: &mut App) -> u64 {
    let wk = list_key(s);
    feed(
        s,
        &wk,
        &["Name"],
        &[("web-1", &["web-1"]), ("web-2", &["web-2"])],
    );
    let effects = press(s, 'y');
    let [Effect::Follow(id, target)] = &effects[..] else {
        panic!("y should follow the selected object: {effects:?}");
    };
    assert_eq!(
        (target.name.as_str(), target.namespace.as_deref()),
        ("web-1", Some("shop"))
    );
    *id
}

#[test]
fn y_opens_the_yaml_of_the_selected_row_and_esc_stops_following() {
    let mut s = app();
    let id = open_yaml_of_web_1(&mut s);
    assert_eq!(s.crumbs(), "pods › web-1:yaml");
    s.update(Action::Object(
        id,
        ObjectMsg::Object(
            serde_json::json!({"kind": "Pod", "metadata": {"name": "web-1"},
            "spec": {"containers": [{"name": "nginx", "image": "nginx"}]}}),
        ),
    ));
    s.prepare();
    let text = lines(&s);
    assert!(text.iter().any(|l| l == "  name: web-1"), "{text:?}");
    // News of an older follow is ignored.
    s.update(Action::Object(id + 7, ObjectMsg::Deleted));
    assert_eq!(
        s.data.followed.as_ref().map(|f| f.presence.clone()),
        Some(Presence::Live)
    );
    press(&mut s, 'd');
    assert_eq!(s.crumbs(), "pods › web-1:describe");
    assert!(lines(&s)[0].starts_with("Name:"));
    assert_eq!(key(&mut s, KeyCode::Esc), vec![Effect::Unfollow]);
    assert!(s.data.followed.is_none());
    assert_eq!(s.crumbs(), "pods");
}

#[test]
fn a_deleted_object_keeps_its_last_copy_and_says_so() {
    let mut s = app();
    let id = open_yaml_of_web_1(&mut s);
    s.prepare();
    assert!(lines(&s)[0].starts_with("loading"), "{:?}", lines(&s));
    s.update(Action::Object(id, ObjectMsg::Missing));
    s.prepare();
    assert!(
        lines(&s)[0].contains("does not exist (yet)"),
        "{:?}",
        lines(&s)
    );
    s.update(Action::Object(
        id,
        ObjectMsg::Object(serde_json::json!({"kind": "ConfigMap", "metadata": {"name": "x"}})),
    ));
    s.update(Action::Object(id, ObjectMsg::Deleted));
    s.prepare();
    assert_eq!(
        s.data.followed.as_ref().map(|f| f.presence.clone()),
        Some(Presence::Deleted)
    );
    assert!(lines(&s).iter().any(|l| l.contains("name: x")));
}

#[test]
fn search_in_a_detail_view_jumps_with_n_and_a_bad_regex_is_reported() {
    let mut s = app();
    let id = open_yaml_of_web_1(&mut s);
    let data: serde_json::Map<String, serde_json::Value> = (0..50)
        .map(|i| (format!("key{i:02}"), serde_json::json!(i)))
        .collect();
    s.update(Action::Object(
        id,
        ObjectMsg::Object(serde_json::json!({"kind": "ConfigMap", "data": data})),
    ));
    let top = |s: &App| {
        let y = s.front_as::<YamlScreen>().unwrap();
        y.text.pane.lines[y.text.pane.scroll].clone()
    };
    press(&mut s, '/');
    type_line(&mut s, "key1[05]");
    assert!(top(&s).contains("key10"), "{}", top(&s));
    press(&mut s, 'n');
    assert!(top(&s).contains("key15"));
    press(&mut s, 'N');
    assert!(top(&s).contains("key10"));
    press(&mut s, '/');
    for _ in 0.."key1[05]".len() {
        key(&mut s, KeyCode::Backspace);
    }
    type_line(&mut s, "[");
    assert!(
        matches!(&s.message, Some(Message::Error(e)) if e.contains("invalid search regex")),
        "{:?}",
        s.message
    );
    // Esc clears the search before it leaves the view.
    assert!(key(&mut s, KeyCode::Esc).is_empty());
    assert!(
        s.front_as::<YamlScreen>()
            .unwrap()
            .text
            .pane
            .search
            .is_none()
    );
    assert_eq!(key(&mut s, KeyCode::Esc), vec![Effect::Unfollow]);
}

#[test]
fn enter_on_a_pod_lists_its_containers_and_a_command_closes_the_detail() {
    let mut s = app();
    let wk = list_key(&s);
    feed(&mut s, &wk, &["Name"], &[("web-1", &["web-1"])]);
    let effects = key_enter(&mut s);
    let [Effect::Follow(id, _)] = &effects[..] else {
        panic!("{effects:?}")
    };
    s.update(Action::Object(
        *id,
        ObjectMsg::Object(serde_json::json!({"kind": "Pod",
            "spec": {"containers": [{"name": "app"}, {"name": "envoy"}]}})),
    ));
    assert_eq!(s.crumbs(), "pods › web-1:containers");
    press(&mut s, 'j');
    assert_eq!(s.front_as::<ContainersScreen>().unwrap().selected, 1);
    press(&mut s, 'j');
    assert_eq!(
        s.front_as::<ContainersScreen>().unwrap().selected,
        1,
        "stops at the last"
    );
    press(&mut s, ':');
    let effects = type_line(&mut s, "deploy");
    assert!(effects.contains(&Effect::Unfollow), "{effects:?}");
    assert!(s.data.followed.is_none());
    assert_eq!(s.crumbs(), "deployments");
}

#[test]
fn ctx_lists_contexts_and_switching_starts_afresh_in_the_new_one() {
    let mut s = app();
    s.session.contexts = vec!["ctx".into(), "prod-eu".into(), "prod-us".into()];
    press(&mut s, ':');
    assert!(type_line(&mut s, "ctx").is_empty());
    let Some(Overlay::Picker(picker)) = &s.overlay else {
        panic!("a picker of contexts");
    };
    assert_eq!((picker.items.len(), picker.selected), (3, 0));
    press(&mut s, 'j');
    let effects = key_enter(&mut s);
    assert_eq!(effects, vec![Effect::SwitchContext("prod-eu".into())]);
    assert!(s.overlay.is_none());
    assert_eq!(s.session.switching.as_deref(), Some("prod-eu"));

    // News from the old context still in flight must not reach the new one.
    let old_key = list_key(&s);
    s.update(Action::ContextSwitched {
        info: "prod-eu".into(),
        namespace: Some("default".into()),
    });
    assert!(s.screens().is_empty() && s.data.stores.is_empty());
    assert_eq!(s.session.switching, None);
    s.update(Action::Watch(old_key, WatchMsg::Init));
    assert!(s.data.stores.is_empty(), "stale news was stored");
    let effects = s.update(Action::Discovered(vec![res("", "pods", "Pod", &[], true)]));
    assert!(
        matches!(&effects[..], [Effect::Watch(k, _, _)] if k.resource == "pods" && k.epoch == 1 && k.namespace.as_deref() == Some("default")),
        "{effects:?}"
    );
    assert_eq!(s.session.context.name, "prod-eu");
}

#[test]
fn ctx_with_a_name_switches_and_typos_get_close_matches() {
    let mut s = app();
    s.session.contexts = vec!["ctx".into(), "staging".into()];
    press(&mut s, ':');
    for c in "ctx s".chars() {
        press(&mut s, c);
    }
    key(&mut s, KeyCode::Tab);
    assert_eq!(prompt_text(&s), Some((Ask::Command, "ctx staging".into())));
    assert_eq!(
        key_enter(&mut s),
        vec![Effect::SwitchContext("staging".into())]
    );
    press(&mut s, ':');
    assert!(type_line(&mut s, "ctx stagin").is_empty());
    assert!(
        matches!(&s.message, Some(Message::Error(e)) if e.contains("did you mean staging")),
        "{:?}",
        s.message
    );
    s.update(Action::ContextFailed(
        "cannot switch to context staging: boom".into(),
    ));
    assert!(matches!(&s.message, Some(Message::Error(e)) if e.contains("boom")));
    assert_eq!(
        s.session.context.name, "ctx",
        "a failed switch changes nothing"
    );
    assert_eq!(s.session.switching, None);
}

#[test]
fn keys_still_work_while_a_context_switch_is_under_way() {
    let mut s = app();
    s.session.contexts = vec!["ctx".into(), "slow".into()];
    let wk = list_key(&s);
    feed(&mut s, &wk, &["Name"], &[("a", &["a"]), ("b", &["b"])]);
    press(&mut s, ':');
    assert_eq!(
        type_line(&mut s, "ctx slow"),
        vec![Effect::SwitchContext("slow".into())]
    );
    press(&mut s, 'j');
    assert_eq!(selected(&mut s).as_deref(), Some("b"));
    assert_eq!(press(&mut s, 'q'), vec![Effect::Quit]);
}

/// Selection by identity: between two key presses, rows come and go above and below the
/// cursor; the keys act on the object the cursor was on.
#[test]
fn the_cursor_stays_on_its_object_while_rows_come_and_go_around_it() {
    let mut s = app();
    let wk = list_key(&s);
    feed(
        &mut s,
        &wk,
        &["Name"],
        &[
            ("web-2", &["web-2"]),
            ("web-4", &["web-4"]),
            ("web-6", &["web-6"]),
        ],
    );
    press(&mut s, 'j');
    assert_eq!(selected(&mut s).as_deref(), Some("web-4"));
    // Above the cursor: two new rows; below it: one goes.
    for name in ["web-1", "web-3"] {
        s.update(Action::Watch(
            wk.clone(),
            WatchMsg::Apply(row(name, "shop", &[name])),
        ));
    }
    s.update(Action::Watch(wk.clone(), WatchMsg::Delete("web-6".into())));
    assert_eq!(
        names(&mut s),
        ["web-1", "web-2", "web-3", "web-4"],
        "after the frame's refresh"
    );
    let effects = press(&mut s, 'y');
    assert!(
        matches!(&effects[..], [Effect::Follow(_, t)] if t.name == "web-4"),
        "y acts on the row the cursor was on: {effects:?}"
    );
    key(&mut s, KeyCode::Esc);
    // The row under the cursor goes: the cursor stays at its place, on the row now there.
    s.update(Action::Watch(wk.clone(), WatchMsg::Delete("web-4".into())));
    s.prepare();
    assert_eq!(selected(&mut s).as_deref(), Some("web-3"));
    // j moves from the object, wherever it is now.
    s.update(Action::Watch(
        wk.clone(),
        WatchMsg::Apply(row("web-0", "shop", &["web-0"])),
    ));
    press(&mut s, 'k');
    assert_eq!(selected(&mut s).as_deref(), Some("web-2"));
    let effects = ctrl(&mut s, 'd');
    assert!(effects.is_empty());
    let Some(Overlay::Confirm(c)) = &s.overlay else {
        panic!("ctrl-d asks first");
    };
    assert!(
        c.question().starts_with("delete pods/web-2 -n shop"),
        "{}",
        c.question()
    );
}

#[test]
fn the_cursor_keeps_its_object_when_a_sort_or_filter_moves_it() {
    let mut s = app();
    let wk = list_key(&s);
    feed(
        &mut s,
        &wk,
        &["Name", "Restarts"],
        &[("a", &["a", "3"]), ("b", &["b", "1"]), ("c", &["c", "2"])],
    );
    press(&mut s, 'G');
    assert_eq!(selected(&mut s).as_deref(), Some("c"));
    press(&mut s, '>');
    press(&mut s, '>');
    assert_eq!(names(&mut s), ["b", "c", "a"]);
    assert_eq!(
        selected(&mut s).as_deref(),
        Some("c"),
        "the cursor moved with c"
    );
    assert_eq!(s.list().unwrap().cursor, 1);
}

#[test]
fn help_lists_the_keys_of_the_screen_in_front_and_scrolls() {
    let mut s = app();
    let wk = list_key(&s);
    feed(&mut s, &wk, &["Name"], &[("web-1", &["web-1"])]);
    s.update(Action::Resize(80, 24));
    press(&mut s, '?');
    let Some(Overlay::Help(h)) = &s.overlay else {
        panic!("? opens the help");
    };
    assert_eq!(h.section, crate::config::keys::Section::List);
    press(&mut s, 'j');
    let Some(Overlay::Help(h)) = &s.overlay else {
        panic!("j scrolls the help");
    };
    assert_eq!(h.scroll, 1);
    press(&mut s, 'x');
    assert!(s.overlay.is_none(), "another key closes it");
    press(&mut s, 'l');
    press(&mut s, '?');
    let Some(Overlay::Help(h)) = &s.overlay else {
        panic!("? opens the help on the log screen");
    };
    assert_eq!(h.section, crate::config::keys::Section::Logs);
}

#[test]
fn the_first_log_screen_stays_on_top_of_the_list_opened_under_it() {
    let mut s = App::new(Session::new(
        "ctx".into(),
        Some("shop".into()),
        KeyMap::load(None),
    ));
    let effects = s.update(Action::OpenLogs(crate::tui::LogRequest {
        namespace: Some("shop".into()),
        pod_regex: "web".into(),
        container_regex: None,
        label_selector: None,
        previous: false,
        one_pod: false,
        max_requests: 10,
        title: "web:logs".into(),
    }));
    assert!(matches!(&effects[..], [Effect::Logs(..)]));
    s.update(Action::Discovered(vec![res(
        "",
        "pods",
        "Pod",
        &["po"],
        true,
    )]));
    assert_eq!(s.crumbs(), "pods › web:logs");
    assert!(s.front_as::<LogsScreen>().is_some());
    let effects = key(&mut s, KeyCode::Esc);
    assert!(matches!(&effects[..], [Effect::StopLogs(_)]), "{effects:?}");
    assert_eq!(s.crumbs(), "pods");
}

#[test]
fn a_store_no_screen_watches_is_forgotten_when_its_watch_stops() {
    let mut s = app();
    let pods = list_key(&s);
    feed(&mut s, &pods, &["Name"], &[("a", &["a"])]);
    press(&mut s, ':');
    type_line(&mut s, "deploy");
    s.update(Action::Unwatched(pods.clone()));
    assert!(!s.data.stores.contains_key(&pods));
    let deploys = list_key(&s);
    feed(&mut s, &deploys, &["Name"], &[("web", &["web"])]);
    s.update(Action::Unwatched(deploys.clone()));
    assert!(s.data.stores.contains_key(&deploys), "still on screen");
}

mod logs {
    use super::*;
    use crate::logs::format::LogLine;
    use crate::logs::select::Target;
    use crate::logs::stream::LogEvent;
    use crate::tui::LogRequest;
    use crate::tui::logview::LineFormat;
    use std::sync::Arc;

    fn with_rows(resource: ResourceInfo, columns: &[&str], cells: &[&str]) -> App {
        let mut s = App::new(Session::new(
            "ctx".into(),
            Some("shop".into()),
            KeyMap::load(None),
        ));
        s.update(Action::Discovered(vec![
            resource.clone(),
            ResourceInfo::example("", "pods", "Pod", &["po"]),
        ]));
        press(&mut s, ':');
        type_line(&mut s, &resource.plural);
        let wk = list_key(&s);
        feed(&mut s, &wk, columns, &[(cells[0], cells)]);
        s
    }

    fn requested(effects: &[Effect]) -> (u64, LogRequest) {
        match effects {
            [Effect::Logs(id, r)] => (*id, (**r).clone()),
            other => panic!("expected logs to open: {other:?}"),
        }
    }

    fn view(s: &App) -> &crate::tui::logview::LogView {
        &s.front_as::<LogsScreen>().expect("the log screen").view
    }

    #[test]
    fn l_on_a_pod_follows_all_its_containers_and_p_its_previous_instance() {
        let pods = ResourceInfo::example("", "pods", "Pod", &["po"]);
        let mut s = with_rows(pods, &["Name"], &["web-1"]);
        let (id, r) = requested(&press(&mut s, 'l'));
        assert_eq!(
            (
                r.pod_regex.as_str(),
                r.namespace.as_deref(),
                r.previous,
                r.one_pod
            ),
            ("^web\\-1$", Some("shop"), false, true)
        );
        assert_eq!(s.crumbs(), "pods › web-1:logs");
        assert_eq!(key(&mut s, KeyCode::Esc), vec![Effect::StopLogs(id)]);
        let (_, r) = requested(&press(&mut s, 'p'));
        assert!(r.previous);
        let spec = r
            .tail_spec(crate::cluster::backoff::DEFAULT_REQUEST_TIMEOUT)
            .expect("a spec");
        assert!(!spec.stream.follow && spec.stream.previous);
    }

    #[test]
    fn l_on_a_deployment_follows_its_pods_by_selector() {
        let deploys = ResourceInfo::example("apps", "deployments", "Deployment", &["deploy"]);
        let mut s = with_rows(deploys, &["Name", "Selector"], &["web", "app=web"]);
        let (_, r) = requested(&press(&mut s, 'l'));
        assert_eq!(r.label_selector.as_deref(), Some("app=web"));
        assert!(!r.one_pod);
        let spec = r
            .tail_spec(crate::cluster::backoff::DEFAULT_REQUEST_TIMEOUT)
            .expect("a spec");
        assert!(spec.stream.follow && spec.stream.tail == Some(1000));
    }

    #[test]
    fn logs_command_takes_a_regex_and_a_scope_and_rejects_bad_regexes() {
        let pods = ResourceInfo::example("", "pods", "Pod", &["po"]);
        let mut s = with_rows(pods, &["Name"], &["web-1"]);
        press(&mut s, ':');
        let effects = type_line(&mut s, "logs web-.* -A");
        let (id, r) = requested(&effects);
        assert_eq!((r.pod_regex.as_str(), r.namespace), ("web-.*", None));
        press(&mut s, ':');
        let effects = type_line(&mut s, "logs web-(");
        assert!(
            effects.is_empty(),
            "a bad regex changes nothing: {effects:?}"
        );
        assert!(
            matches!(&s.message, Some(Message::Error(e)) if e.contains("invalid regex for :logs")),
            "{:?}",
            s.message
        );
        assert_eq!(view(&s).id, id, "the open log screen stays");
        press(&mut s, ':');
        let effects = type_line(&mut s, "logs api");
        assert!(matches!(&effects[0], Effect::Logs(_, r) if r.pod_regex == "api"));
        assert_eq!(
            effects[1],
            Effect::StopLogs(id),
            "the old screen's streams stop"
        );
        assert_eq!(s.crumbs(), "pods › api:logs");
    }

    #[test]
    fn keys_of_an_open_log_view_and_its_filter_prompt() {
        let pods = ResourceInfo::example("", "pods", "Pod", &["po"]);
        let mut s = with_rows(pods, &["Name"], &["web-1"]);
        let (id, _) = requested(&press(&mut s, 'l'));
        let target = Arc::new(Target {
            namespace: "shop".into(),
            pod: "web-1".into(),
            container: "app".into(),
        });
        let lines: Vec<LogEvent> = ["start", "error: db down", "retry", "ok"]
            .iter()
            .map(|t| {
                LogEvent::Line(LogLine {
                    target: target.clone(),
                    ts: "2026-11-22T05:00:00Z".into(),
                    text: t.to_string(),
                })
            })
            .collect();
        s.update(Action::LogBatch(id, lines.clone()));
        s.update(Action::LogBatch(id + 1, lines));
        assert_eq!(view(&s).visible_len(), 4, "other views' lines are ignored");
        press(&mut s, 'f');
        assert!(!view(&s).follow);
        press(&mut s, '&');
        type_line(&mut s, "-C 1 error");
        assert_eq!(view(&s).visible_len(), 3);
        press(&mut s, 'J');
        assert_eq!(view(&s).format, LineFormat::Compact);
        press(&mut s, '&');
        for _ in 0..20 {
            key(&mut s, KeyCode::Backspace);
        }
        type_line(&mut s, "-C x error");
        assert!(matches!(&s.message, Some(Message::Error(e)) if e.contains("-C wants a number")));
        // Esc clears the filter, then leaves.
        assert!(key(&mut s, KeyCode::Esc).is_empty());
        assert_eq!(view(&s).visible_len(), 4);
        press(&mut s, 't');
        assert!(view(&s).timestamps);
        assert!(ctrl(&mut s, 's').is_empty());
        assert!(
            matches!(prompt_text(&s), Some((Ask::SavePath, p)) if p.starts_with("kx-web-1_logs-"))
        );
        let effects = key(&mut s, KeyCode::Enter);
        let [Effect::Save(_, text)] = &effects[..] else {
            panic!("{effects:?}")
        };
        assert_eq!(text.lines().count(), 4);
        assert!(text.starts_with("shop web-1 app 2026-11-22T05:00:00Z start\n"));
    }
}
