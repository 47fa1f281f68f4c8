//! Plugins driven by keys: scopes, variables from the rows, marked rows, --readonly, the
//! confirmation, the background output screen and the help.

use super::tests::{app, feed, list_key, names, press, type_line};
use super::*;
use crate::config::plugins::load;
use crate::tui::action::PluginLaunch;
use crate::tui::screens::plugin_output::PluginOutputScreen;

const PLUGINS: &str = r#"
plugins:
  dive:
    key: shift-i
    description: Look into the image
    scopes: [pods]
    command: dive
    args: [$COL-IMAGE, --ctx, $CONTEXT, --filter, $FILTER]
  nuke:
    key: ctrl-x
    scopes: [po]
    command: kubectl
    args: [delete, pod, -n, $NAMESPACE, $NAME]
    writes: true
    confirm: true
    marked: all
  scaled:
    key: shift-z
    scopes: [deployments]
    command: echo
  describe:
    key: shift-o
    scopes: [all]
    command: kubectl
    args: [describe, $RESOURCE, $NAME]
    output: background
"#;

fn with_plugins() -> App {
    let mut s = app();
    let mut warnings = Vec::new();
    s.session.plugins = load(PLUGINS, "plugins.yaml", &mut warnings);
    assert!(warnings.is_empty(), "{warnings:?}");
    s.session.kubeconfig = Some("/home/me/.kube/config".into());
    let wk = list_key(&s);
    feed(
        &mut s,
        &wk,
        &["Name", "Image"],
        &[
            ("web 1", &["web 1", "nginx:1.27"]),
            ("web-2", &["web-2", "nginx:1.26"]),
        ],
    );
    s
}

fn launched(effects: &[Effect]) -> &PluginLaunch {
    match effects {
        [Effect::Plugin(l)] => l,
        other => panic!("expected a plugin run, got {other:?}"),
    }
}

#[test]
fn a_plugin_key_runs_its_argv_filled_from_the_selected_row_on_the_terminal() {
    let mut s = with_plugins();
    let effects = press(&mut s, 'I');
    let l = launched(&effects);
    assert_eq!(
        l.argvs,
        vec![vec!["dive", "nginx:1.27", "--ctx", "ctx", "--filter", ""]]
    );
    assert!(!l.background);
    assert!(effects[0].takes_terminal(), "the UI steps aside for it");
    assert_eq!(l.kubeconfig.as_deref(), Some("/home/me/.kube/config"));
    // How it ended is said in the footer when the terminal comes back.
    s.update(Action::PluginEnded(
        l.id,
        "plugin dive: failed: exit code 2".into(),
        false,
    ));
    assert!(
        matches!(&s.message, Some(Message::Error(m)) if m.contains("exit code 2")),
        "{:?}",
        s.message
    );
}

#[test]
fn the_filter_is_a_variable_and_names_with_spaces_stay_one_argument() {
    let mut s = with_plugins();
    type_line(&mut s, "/web");
    let effects = press(&mut s, 'I');
    assert_eq!(launched(&effects).argvs[0][5], "web");
    // Out of scope: on deployments `I` is nobody's, and `Z` is that list's plugin.
    type_line(&mut s, ":deploy");
    let wk = list_key(&s);
    feed(&mut s, &wk, &["Name"], &[("api", &["api"])]);
    assert!(press(&mut s, 'I').is_empty());
    assert_eq!(launched(&press(&mut s, 'Z')).argvs, vec![vec!["echo"]]);
}

#[test]
fn a_writing_plugin_asks_first_runs_once_for_all_marked_rows_and_is_off_when_read_only() {
    let mut s = with_plugins();
    press(&mut s, ' ');
    press(&mut s, ' ');
    let effects = s.update(Action::Key(crossterm::event::KeyEvent::new(
        KeyCode::Char('x'),
        KeyModifiers::CONTROL,
    )));
    assert!(effects.is_empty(), "nothing runs before the answer");
    let Some(Overlay::ConfirmRun(c)) = &s.overlay else {
        panic!("confirm: true asks first");
    };
    assert_eq!(
        c.question(),
        "run plugin nuke: kubectl delete pod -n shop 'web 1' web-2? y yes · n no"
    );
    let effects = press(&mut s, 'y');
    assert_eq!(
        launched(&effects).argvs,
        vec![vec![
            "kubectl", "delete", "pod", "-n", "shop", "web 1", "web-2"
        ]]
    );
    // n declines and says so.
    s.update(Action::Key(crossterm::event::KeyEvent::new(
        KeyCode::Char('x'),
        KeyModifiers::CONTROL,
    )));
    assert!(press(&mut s, 'n').is_empty());
    assert!(matches!(&s.message, Some(Message::Info(m)) if m.contains("not run")));
    // Read-only: not even asked.
    s.session.readonly = true;
    let effects = s.update(Action::Key(crossterm::event::KeyEvent::new(
        KeyCode::Char('x'),
        KeyModifiers::CONTROL,
    )));
    assert!(effects.is_empty() && s.overlay.is_none());
    assert!(
        matches!(&s.message, Some(Message::Error(m)) if m.contains("read-only")),
        "{:?}",
        s.message
    );
}

#[test]
fn a_background_plugin_shows_its_output_and_closing_the_screen_stops_it() {
    let mut s = with_plugins();
    let effects = press(&mut s, 'O');
    let l = launched(&effects).clone();
    assert!(l.background && !effects[0].takes_terminal());
    assert_eq!(l.argvs, vec![vec!["kubectl", "describe", "pods", "web 1"]]);
    assert!(s.front_as::<PluginOutputScreen>().is_some());
    s.session.log_capacity = 3;
    s.update(Action::PluginOutput(
        l.id,
        vec!["a".into(), "b".into(), "c".into(), "d".into()],
    ));
    s.update(Action::PluginEnded(
        l.id,
        "plugin describe: done (exit code 0)".into(),
        true,
    ));
    let run = &s.data.plugin_runs[&l.id];
    assert_eq!(run.lines, ["b", "c", "d"]);
    assert_eq!(run.dropped, 1);
    assert_eq!(run.commands, vec!["kubectl describe pods 'web 1'"]);
    assert!(run.ended.as_ref().is_some_and(|(_, ok)| *ok));
    let effects = s.update(Action::Key(crossterm::event::KeyEvent::new(
        KeyCode::Esc,
        KeyModifiers::NONE,
    )));
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::StopFeed(id) if *id == l.id)),
        "{effects:?}"
    );
    assert!(s.data.plugin_runs.is_empty());
}

#[test]
fn built_in_keys_win_and_the_help_lists_the_plugins_of_the_screen_in_front() {
    let mut s = with_plugins();
    s.session.plugins[0].keys =
        vec![crate::config::keys::Key::parse("y").unwrap_or_else(|e| panic!("{e}"))];
    let effects = press(&mut s, 'y');
    assert!(
        !effects.iter().any(|e| matches!(e, Effect::Plugin(_))),
        "y is kx's yaml key"
    );
    s.update(Action::Key(crossterm::event::KeyEvent::new(
        KeyCode::Esc,
        KeyModifiers::NONE,
    )));
    press(&mut s, '?');
    let Some(Overlay::Help(h)) = &s.overlay else {
        panic!("? opens the help");
    };
    let plugins: Vec<&str> = h.plugins.iter().map(|(_, what)| what.as_str()).collect();
    assert_eq!(
        plugins,
        vec![
            "plugin dive: Look into the image",
            "plugin nuke: kubectl",
            "plugin describe: kubectl"
        ]
    );
}

const HOTKEYS: &str = r#"
hotkeys:
  web:
    key: shift-w
    view: pods shop /web
    description: the shop's web pods
  prod: deploy -A @staging
  lost: pods @nowhere
  pods:
    key: shift-p
    view: pods
  ping: pong
  pong: ping
"#;

fn with_hotkeys() -> App {
    let mut s = with_plugins();
    let mut warnings = Vec::new();
    s.session.hotkeys = crate::config::hotkeys::load(HOTKEYS, "hotkeys.yaml", &mut warnings);
    assert!(warnings.is_empty(), "{warnings:?}");
    s.session.contexts = vec!["ctx".into(), "staging".into()];
    s
}

#[test]
fn a_hotkey_opens_its_view_by_key_or_by_name_from_any_screen() {
    let mut s = with_hotkeys();
    type_line(&mut s, ":deploy");
    let effects = press(&mut s, 'W');
    assert!(
        matches!(&effects[..], [Effect::Watch(k, _, _), Effect::Unwatch(_)] if k.resource == "pods" && k.namespace.as_deref() == Some("shop")),
        "{effects:?}"
    );
    let list = s.list().expect("the view's list");
    assert_eq!(list.filter.as_ref().map(|f| f.text.as_str()), Some("web"));
    type_line(&mut s, ":deploy");
    type_line(&mut s, ":web");
    assert_eq!(list_key(&s).resource, "pods");
    // The help lists the hotkeys, with `:name` for those without a key.
    press(&mut s, '?');
    let Some(Overlay::Help(h)) = &s.overlay else {
        panic!("? opens the help");
    };
    assert!(
        h.plugins.contains(&(
            "W".to_string(),
            "hotkey web: the shop's web pods (pods shop /web)".to_string()
        )) && h.plugins.contains(&(
            ":prod".to_string(),
            "hotkey prod: deploy -A @staging".to_string()
        )),
        "{:?}",
        h.plugins
    );
}

#[test]
fn a_hotkey_in_another_context_switches_there_then_opens_its_view() {
    let mut s = with_hotkeys();
    let effects = type_line(&mut s, ":prod");
    assert_eq!(effects, vec![Effect::SwitchContext("staging".into())]);
    s.update(Action::ContextSwitched {
        info: "staging".into(),
        namespace: Some("default".into()),
    });
    let effects = s.update(Action::Discovered(vec![
        super::tests::res("", "pods", "Pod", &["po"], true),
        super::tests::res("apps", "deployments", "Deployment", &["deploy"], true),
    ]));
    assert!(
        matches!(&effects[..], [Effect::Watch(k, _, _)] if k.resource == "deployments.apps" && k.namespace.is_none()),
        "{effects:?}"
    );
    // A context the kubeconfig does not have: said, nothing pending, nothing switched.
    assert!(type_line(&mut s, ":lost").is_empty());
    assert!(matches!(&s.message, Some(Message::Error(m)) if m.contains("no context \"nowhere\"")));
    assert!(s.pending_view.is_none());
}

#[test]
fn the_default_view_opens_at_start_and_a_bad_one_falls_back_to_pods_saying_why() {
    let discovered = || {
        Action::Discovered(vec![
            super::tests::res("", "pods", "Pod", &["po"], true),
            super::tests::res("apps", "deployments", "Deployment", &["deploy"], true),
        ])
    };
    let mut s = App::new(Session::new(
        "ctx".into(),
        Some("shop".into()),
        crate::config::keys::KeyMap::load(None),
    ));
    s.pending_view = Some("deploy -A".into());
    let effects = s.update(discovered());
    assert!(
        matches!(&effects[..], [Effect::Watch(k, _, _)] if k.resource == "deployments.apps" && k.namespace.is_none()),
        "{effects:?}"
    );
    let mut s = App::new(Session::new(
        "ctx".into(),
        Some("shop".into()),
        crate::config::keys::KeyMap::load(None),
    ));
    s.pending_view = Some("deploymnts".into());
    let effects = s.update(discovered());
    assert!(
        matches!(&effects[..], [Effect::Watch(k, _, _)] if k.resource == "pods"),
        "{effects:?}"
    );
    assert!(
        matches!(&s.message, Some(Message::Error(m)) if m.contains("deploymnts")),
        "{:?}",
        s.message
    );
}

#[test]
fn c_copies_the_selected_or_marked_names_and_y_asks_for_the_objects_yaml() {
    let mut s = with_plugins();
    assert_eq!(press(&mut s, 'c'), vec![Effect::Copy("web 1".into())]);
    press(&mut s, ' ');
    press(&mut s, ' ');
    assert_eq!(
        press(&mut s, 'c'),
        vec![Effect::Copy("web 1\nweb-2".into())]
    );
    assert!(matches!(&s.message, Some(Message::Info(m)) if m.contains("copied 2 names")));
    let effects = press(&mut s, 'Y');
    assert!(
        matches!(&effects[..], [Effect::CopyYaml(t)] if t.name == "web-2"),
        "the row under the cursor: {effects:?}"
    );
    s.update(Action::Copied(Err(
        "cannot copy pods/web-2 -n shop: forbidden".into(),
    )));
    assert!(matches!(&s.message, Some(Message::Error(m)) if m.contains("forbidden")));
}

#[test]
fn y_in_the_yaml_view_copies_what_it_shows_with_a_secret_masked_until_revealed() {
    let mut s = app();
    let id = super::tests::open_yaml_of_web_1(&mut s);
    s.update(Action::Object(
        id,
        crate::cluster::object::ObjectMsg::Object(serde_json::json!({
            "apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "web-1", "managedFields": [{"manager": "kubectl"}]},
            "data": {"password": "aHVudGVyMg=="}})),
    ));
    s.prepare();
    let copied = |effects: Vec<Effect>| match &effects[..] {
        [Effect::Copy(text)] => text.clone(),
        other => panic!("{other:?}"),
    };
    let text = copied(press(&mut s, 'Y'));
    assert!(text.contains("password: '<hidden: 7 bytes>'"), "{text}");
    assert!(!text.contains("managedFields"), "{text}");
    press(&mut s, 'x');
    let text = copied(press(&mut s, 'Y'));
    assert!(text.contains("password: hunter2"), "{text}");
    assert!(matches!(&s.message, Some(Message::Info(m)) if m.contains("secret values shown")));
}

use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};

fn mouse(kind: MouseEventKind, column: u16, row: u16) -> MouseEvent {
    MouseEvent {
        kind,
        column,
        row,
        modifiers: KeyModifiers::NONE,
    }
}

fn click(s: &mut App, column: u16, row: u16, at: u64) -> Vec<Effect> {
    s.update(Action::Mouse(
        mouse(MouseEventKind::Down(MouseButton::Left), column, row),
        at,
    ))
}

fn selected(s: &App) -> Option<String> {
    s.list().and_then(|l| l.selected.clone())
}

#[test]
fn clicks_select_double_clicks_open_the_wheel_scrolls_and_crumbs_go_back() {
    let mut s = app();
    s.update(Action::Resize(100, 30));
    let wk = list_key(&s);
    let rows: Vec<(String, Vec<String>)> = (0..20)
        .map(|i| (format!("web-{i:02}"), vec![format!("web-{i:02}")]))
        .collect();
    let rows: Vec<(&str, Vec<&str>)> = rows
        .iter()
        .map(|(n, c)| (n.as_str(), c.iter().map(String::as_str).collect()))
        .collect();
    let rows: Vec<(&str, &[&str])> = rows.iter().map(|(n, c)| (*n, c.as_slice())).collect();
    feed(&mut s, &wk, &["Name"], &rows);
    assert_eq!(names(&mut s).len(), 20);
    // The body's first line is the table's header; the fourth row is on line 2+1+3.
    click(&mut s, 5, 2 + 1 + 3, 1000);
    assert_eq!(selected(&s).as_deref(), Some("web-03"));
    // A click on the header line or past the last row selects nothing new.
    click(&mut s, 5, 2, 5000);
    click(&mut s, 5, 2 + 1 + 25, 9000);
    assert_eq!(selected(&s).as_deref(), Some("web-03"));
    // The wheel moves three rows a notch.
    s.update(Action::Mouse(
        mouse(MouseEventKind::ScrollDown, 5, 10),
        10_000,
    ));
    assert_eq!(selected(&s).as_deref(), Some("web-06"));
    s.update(Action::Mouse(
        mouse(MouseEventKind::ScrollUp, 5, 10),
        10_100,
    ));
    assert_eq!(selected(&s).as_deref(), Some("web-03"));
    // Two clicks on one row, quickly: open (a pod's containers); slowly: only select.
    click(&mut s, 5, 2 + 1 + 2, 20_000);
    assert!(click(&mut s, 5, 2 + 1 + 2, 21_000).is_empty());
    assert_eq!(s.crumbs(), "pods", "too slow for a double-click");
    click(&mut s, 5, 2 + 1 + 2, 21_200);
    assert_eq!(s.crumbs(), "pods › web-02:containers");
    // The first crumb, clicked: back to the list.
    click(&mut s, 2, 1, 30_000);
    assert_eq!(s.crumbs(), "pods");
    assert_eq!(selected(&s).as_deref(), Some("web-02"));
}

#[test]
fn a_hotkey_named_like_its_view_or_two_naming_each_other_open_once_not_forever() {
    let mut s = with_hotkeys();
    // `pods: pods`: the view's word is the resource.
    let effects = press(&mut s, 'P');
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::Watch(k, _, _) if k.resource == "pods")),
        "{effects:?}"
    );
    // `ping: pong`, `pong: ping`: one step, then `pong` is a resource name (unknown: said).
    type_line(&mut s, ":ping");
    assert!(
        matches!(&s.message, Some(Message::Error(m)) if m.contains("pong")),
        "{:?}",
        s.message
    );
}

#[test]
fn a_column_the_list_does_not_have_stops_the_plugin_and_names_the_columns_it_has() {
    let mut s = with_plugins();
    s.session.plugins[0].args = vec!["$COL-NODE".into()];
    assert!(press(&mut s, 'I').is_empty());
    assert!(
        matches!(&s.message, Some(Message::Error(m)) if m.contains("no column NODE (it has NAME, IMAGE)")),
        "{:?}",
        s.message
    );
}
