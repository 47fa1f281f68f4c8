//! Frames as a user sees them, from the app after keys and news: snapshots of each screen,
//! and the theme's colours where they carry meaning.

use super::*;
use crate::cluster::discovery::ResourceInfo;
use crate::cluster::object::ObjectMsg;
use crate::cluster::rows::{Column, Row};
use crate::cluster::watch::WatchMsg;
use crate::config::keys::KeyMap;
use crate::tui::action::{Action, Effect, WatchKey};
use crate::tui::overlay::{Overlay, Picker};
use crate::tui::session::Session;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Color;
use std::sync::Arc;

fn theme() -> Theme {
    Theme::load("default-dark", None, false)
}

fn pods_app() -> (App, WatchKey) {
    let mut s = App::new(Session::new("kx-sim".into(), None, KeyMap::load(None)));
    s.session.now = 3600;
    s.update(Action::Discovered(vec![ResourceInfo::example(
        "",
        "pods",
        "Pod",
        &["po"],
    )]));
    let key = s.list().expect("the pods list").key.clone();
    (s, key)
}

/// A frame at this size, after the app settled what the size changes (paging, scrolling).
fn render(s: &mut App, w: u16, h: u16) -> Terminal<TestBackend> {
    s.update(Action::Resize(w, h));
    s.prepare();
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| draw(f, s, &theme())).unwrap();
    term
}

#[test]
fn a_list_in_flight_says_loading_never_an_empty_table() {
    let (mut s, key) = pods_app();
    s.update(Action::Watch(key, WatchMsg::Init));
    let text = format!("{}", render(&mut s, 80, 8).backend());
    assert!(text.contains("loading…"), "{text}");
}

/// Three pods in two namespaces (one crash-looping, one changed live 12 s ago), at 3600 s.
fn three_pods() -> App {
    let (mut s, key) = pods_app();
    let col = |n: &str, p| Column {
        name: n.into(),
        type_: "string".into(),
        format: String::new(),
        priority: p,
    };
    s.update(Action::Watch(
        key.clone(),
        WatchMsg::Columns(vec![
            col("Name", 0),
            col("Ready", 0),
            col("Status", 0),
            col("Restarts", 0),
            col("Age", 0),
            col("IP", 1),
        ]),
    ));
    s.update(Action::Watch(key.clone(), WatchMsg::Init));
    for (ns, name, ready, status, created) in [
        ("shop", "web-1", "1/1", "Running", 0),
        ("shop", "flaky-1", "0/1", "CrashLoopBackOff", 1800),
        ("kube-system", "dns-1", "1/1", "Running", 3000),
    ] {
        let row = Row {
            uid: name.into(),
            namespace: ns.into(),
            name: name.into(),
            resource_version: "1".into(),
            created: Some(created),
            deleting: false,
            cells: vec![
                name.into(),
                ready.into(),
                status.into(),
                "0".into(),
                "stale".into(),
                "10.0.0.1".into(),
            ],
            search: Default::default(),
        }
        .refresh_search();
        s.update(Action::Watch(key.clone(), WatchMsg::InitRow(row)));
    }
    s.update(Action::Watch(key.clone(), WatchMsg::InitDone));
    // A live change 12 s ago: its row says so in the CHANGED column.
    s.session.now = 3588;
    let changed = s.data.stores[&key].get("dns-1").unwrap().clone();
    s.update(Action::Watch(key.clone(), WatchMsg::Apply(changed)));
    s.session.now = 3600;
    s
}

#[test]
fn pods_across_namespaces_with_ticking_ages_and_status_colours() {
    let mut s = three_pods();
    let term = render(&mut s, 90, 9);
    insta::assert_snapshot!(format!("{}", term.backend()));
    let buf = term.backend().buffer();
    let crash_row = (0..9)
        .find(|y| (0..90).any(|x| buf[(x, *y)].symbol() == "C" && buf[(x + 1, *y)].symbol() == "r"))
        .unwrap();
    let x = (0..90)
        .find(|x| buf[(*x, crash_row)].symbol() == "C")
        .unwrap();
    assert_eq!(
        buf[(x, crash_row)].fg,
        theme().style("status.error").fg.unwrap()
    );
    assert_eq!(theme().style("status.error").fg, Some(Color::LightRed));
}

#[test]
fn a_list_too_narrow_for_its_columns_squeezes_them_and_keeps_the_row_colours() {
    let mut s = three_pods();
    let term = render(&mut s, 44, 7);
    insta::assert_snapshot!(format!("{}", term.backend()));
    // Names and titles whole; the columns that do not fit are cut at the right edge.
    let screen = format!("{}", term.backend());
    for whole in ["flaky-1", "NAMESPACE", "RESTARTS"] {
        assert!(screen.contains(whole), "{whole}: {screen}");
    }
    let buf = term.backend().buffer();
    // The selected row's colour runs across the whole width, not just under its text, and
    // the header keeps its own.
    let whole_line = |style: ratatui::style::Style| {
        (0..7u16).any(|y| {
            (0..44u16).all(|x| {
                let cell = &buf[(x, y)];
                Some(cell.fg) == style.fg && style.bg.is_none_or(|bg| cell.bg == bg)
            })
        })
    };
    assert!(whole_line(theme().style("row.selected")), "{buf:?}");
    assert!(whole_line(theme().style("table.header")), "{buf:?}");
}

#[test]
fn help_lists_the_active_key_map() {
    let (mut s, _) = pods_app();
    s.session.keys = KeyMap::load(Some((
        "global:\n  help: [f1]\n  quit: [ctrl-q]\n",
        "keys.yaml",
    )));
    s.open_help();
    let text = format!("{}", render(&mut s, 80, 30).backend());
    assert!(
        text.contains("ctrl-q") && text.contains("quit kx"),
        "{text}"
    );
    assert!(text.contains("f1"), "{text}");
}

#[test]
fn help_fits_80_by_24_and_says_how_to_scroll() {
    let (mut s, _) = pods_app();
    s.open_help();
    let term = render(&mut s, 80, 24);
    let text = format!("{}", term.backend());
    assert!(text.contains("keys: pods (list) 1–19 of"), "{text}");
    assert!(
        text.contains("enter") && text.contains("open / drill down"),
        "{text}"
    );
    // The list's own keys come first; log-only keys are not listed here.
    assert!(
        !text.contains("toggle_follow") && !text.contains("follow / pause"),
        "{text}"
    );
}

#[test]
fn a_tiny_terminal_gets_a_notice_instead_of_a_broken_table() {
    let (mut s, _) = pods_app();
    let text = format!("{}", render(&mut s, 30, 4).backend());
    assert!(text.contains("too small"), "{text}");
}

#[test]
fn the_header_says_a_context_switch_is_under_way() {
    let (mut s, _) = pods_app();
    s.session.switching = Some("prod-eu".into());
    let text = format!("{}", render(&mut s, 100, 8).backend());
    assert!(text.contains("switching to prod-eu…"), "{text}");
}

/// The app after `key` on the web-1 row and the object it follows received.
fn detail_app(press: crossterm::event::KeyCode, object: serde_json::Value) -> App {
    let (mut s, key) = pods_app();
    s.update(Action::Watch(key.clone(), WatchMsg::Init));
    let row = Row {
        uid: "u1".into(),
        namespace: "shop".into(),
        name: "web-1".into(),
        resource_version: "1".into(),
        created: Some(0),
        deleting: false,
        cells: vec!["web-1".into()],
        search: Default::default(),
    }
    .refresh_search();
    s.update(Action::Watch(key.clone(), WatchMsg::InitRow(row)));
    s.update(Action::Watch(key, WatchMsg::InitDone));
    let effects = s.update(Action::Key(crossterm::event::KeyEvent::from(press)));
    let Some(Effect::Follow(id, _)) = effects.first() else {
        panic!("{effects:?}");
    };
    s.update(Action::Object(*id, ObjectMsg::Object(object)));
    s
}

fn on(c: char) -> crossterm::event::KeyCode {
    crossterm::event::KeyCode::Char(c)
}

fn pod_object() -> serde_json::Value {
    serde_json::json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "web-1", "namespace": "shop", "creationTimestamp": "1970-01-01T00:00:00Z",
            "labels": {"app": "web"}, "managedFields": [{"manager": "kube-controller-manager"}]},
        "spec": {"nodeName": "kx-worker-1", "containers": [{"name": "nginx", "image": "nginx:1.27",
            "ports": [{"containerPort": 80, "protocol": "TCP"}]}]},
        "status": {"phase": "Running", "podIP": "10.244.1.5",
            "containerStatuses": [{"name": "nginx", "ready": true, "restartCount": 0,
               "state": {"running": {"startedAt": "1970-01-01T00:00:05Z"}}}]}})
}

#[test]
fn yaml_view_colours_keys_and_literals_and_hides_managed_fields() {
    let mut s = detail_app(on('y'), pod_object());
    let term = render(&mut s, 70, 14);
    insta::assert_snapshot!(format!("{}", term.backend()));
    let buf = term.backend().buffer();
    let (x, y) = (0..14u16)
        .flat_map(|y| (0..70u16).map(move |x| (x, y)))
        .find(|&(x, y)| {
            y > 1
                && buf[(x, y)].symbol() == "l"
                && buf[(x + 1, y)].symbol() == "a"
                && buf[(x + 2, y)].symbol() == "b"
        })
        .expect("labels: is on screen");
    assert_eq!(buf[(x, y)].fg, theme().style("yaml.key").fg.unwrap());
    let text = format!("{}", term.backend());
    assert!(!text.contains("kube-controller-manager"), "{text}");
}

#[test]
fn diff_view_lists_revisions_and_colours_what_changed() {
    let mut first = pod_object();
    first["metadata"]["resourceVersion"] = "5".into();
    let mut s = detail_app(on('D'), first.clone());
    let id = s.data.followed.as_ref().map(|f| f.id).unwrap();
    let mut second = first.clone();
    second["metadata"]["resourceVersion"] = "7".into();
    second["metadata"]["labels"]["app"] = "web-v2".into();
    s.session.now += 42;
    s.update(Action::Object(id, ObjectMsg::Object(second)));
    let term = render(&mut s, 70, 16);
    insta::assert_snapshot!(format!("{}", term.backend()));
    let text = format!("{}", term.backend());
    assert!(
        text.contains("MODIFIED   metadata.labels.app web→web-v2"),
        "{text}"
    );
    assert!(!text.contains("resourceVersion"), "noise hidden: {text}");
    let buf = term.backend().buffer();
    let colour_of = |start: &str| {
        (2..16u16)
            .find(|&y| {
                let line: String = (0..70u16).map(|x| buf[(x, y)].symbol()).collect();
                line.starts_with(start)
            })
            .map(|y| buf[(0, y)].fg)
            .unwrap_or_else(|| panic!("no line starting {start:?} in {text}"))
    };
    assert_eq!(
        colour_of("+    app: web-v2"),
        theme().style("diff.added").fg.unwrap()
    );
    assert_eq!(
        colour_of("-    app: web"),
        theme().style("diff.removed").fg.unwrap()
    );
    assert_eq!(colour_of("@@"), theme().style("diff.hunk").fg.unwrap());
}

#[test]
fn describe_view_of_a_pod() {
    let mut s = detail_app(on('d'), pod_object());
    let term = render(&mut s, 70, 22);
    insta::assert_snapshot!(format!("{}", term.backend()));
}

#[test]
fn containers_view_lists_image_state_and_ports() {
    let mut s = detail_app(crossterm::event::KeyCode::Enter, pod_object());
    let term = render(&mut s, 80, 6);
    insta::assert_snapshot!(format!("{}", term.backend()));
}

#[test]
fn events_view_lists_the_objects_events_with_warnings_coloured() {
    let mut s = detail_app(on('E'), pod_object());
    let id = s.data.followed.as_ref().map(|f| f.id).unwrap();
    s.update(Action::Object(
        id,
        ObjectMsg::EventSeen(
            "e1".into(),
            serde_json::json!({"type": "Normal", "reason": "Scheduled", "message": "Successfully assigned shop/web-1 to kx-worker-1",
                "lastTimestamp": "1970-01-01T00:00:01Z", "source": {"component": "default-scheduler"}}),
        ),
    ));
    s.update(Action::Object(
        id,
        ObjectMsg::EventSeen(
            "e2".into(),
            serde_json::json!({"type": "Warning", "reason": "Unhealthy", "message": "Readiness probe failed", "count": 3,
                "lastTimestamp": "1970-01-01T00:59:00Z", "source": {"component": "kubelet"}}),
        ),
    ));
    let term = render(&mut s, 90, 7);
    insta::assert_snapshot!(format!("{}", term.backend()));
    let buf = term.backend().buffer();
    let warning_row = (0..7u16)
        .find(|y| buf[(0, *y)].symbol() == "W")
        .expect("the warning row");
    assert_eq!(
        buf[(0, warning_row)].fg,
        theme().style("status.warn").fg.unwrap()
    );
}

#[test]
fn the_context_picker_highlights_the_current_context() {
    let (mut s, _) = pods_app();
    s.session.contexts = vec!["kx-sim".into(), "prod-eu".into(), "staging".into()];
    s.overlay = Some(Overlay::Picker(Picker {
        title: "contexts (Enter switches, Esc closes)".into(),
        items: s.session.contexts.clone(),
        selected: 1,
        command: "ctx".into(),
    }));
    let term = render(&mut s, 60, 9);
    insta::assert_snapshot!(format!("{}", term.backend()));
    let buf = term.backend().buffer();
    let (x, y) = (0..9u16)
        .flat_map(|y| (0..60u16).map(move |x| (x, y)))
        .find(|&(x, y)| buf[(x, y)].symbol() == "p" && buf[(x + 1, y)].symbol() == "r")
        .expect("prod-eu on screen");
    assert_eq!(buf[(x, y)].bg, theme().style("row.selected").bg.unwrap());
}

#[test]
fn log_view_prefixes_pods_and_colours_levels() {
    use crate::logs::format::LogLine;
    use crate::logs::select::Target;
    use crate::logs::stream::LogEvent;
    let (mut s, _) = pods_app();
    s.update(Action::OpenLogs(crate::tui::LogRequest {
        namespace: Some("shop".into()),
        pod_regex: ".*".into(),
        container_regex: None,
        label_selector: Some("app=api".into()),
        previous: false,
        one_pod: false,
        max_requests: crate::tui::logview::DEFAULT_MAX_REQUESTS,
        title: "api:logs".into(),
    }));
    let id = s
        .front()
        .and_then(|f| f.tails())
        .expect("a log screen in front");
    let mut events = Vec::new();
    for (pod, text) in [
        ("api-1", r#"{"level":"info","msg":"listening","port":8080}"#),
        ("api-2", "level=warn msg=\"slow query\" ms=900"),
        ("api-1", "ERROR connection refused"),
    ] {
        let target = Arc::new(Target {
            namespace: "shop".into(),
            pod: pod.into(),
            container: "api".into(),
        });
        if !events
            .iter()
            .any(|e| matches!(e, LogEvent::Joined(t) if t.pod == pod))
        {
            events.push(LogEvent::Joined(target.clone()));
        }
        events.push(LogEvent::Line(LogLine {
            target,
            ts: "2026-11-22T05:00:00Z".into(),
            text: text.into(),
        }));
    }
    s.update(Action::LogBatch(id, events));
    let term = render(&mut s, 80, 7);
    insta::assert_snapshot!(format!("{}", term.backend()));
    let buf = term.backend().buffer();
    let row = (0..7u16)
        .find(|y| {
            (0..80u16).any(|x| buf[(x, *y)].symbol() == "E" && buf[(x + 1, *y)].symbol() == "R")
        })
        .expect("the error line");
    let x = (0..80u16)
        .find(|x| buf[(*x, row)].symbol() == "E" && buf[(*x + 1, row)].symbol() == "R")
        .unwrap();
    assert_eq!(buf[(x, row)].fg, theme().style("log.error").fg.unwrap());
}

#[test]
fn explain_shows_each_line_coloured_by_health_with_its_source() {
    let (mut s, id) = crate::tui::app::health_tests::explaining();
    s.session.now = 100;
    s.update(Action::Explained(
        id,
        Ok(crate::tui::app::health_tests::diagnosis()),
    ));
    s.session.now = 103;
    let term = render(&mut s, 100, 8);
    insta::assert_snapshot!(format!("{}", term.backend()));
    let buf = term.backend().buffer();
    let row_of = |needle: &str| {
        (0..8u16)
            .find(|y| {
                (0..100u16)
                    .map(|x| buf[(x, *y)].symbol())
                    .collect::<String>()
                    .contains(needle)
            })
            .unwrap()
    };
    // The line (not selected) in the error colour, its source dimmed.
    let y = row_of("BackOff:");
    let x = (0..100u16).find(|x| buf[(*x, y)].symbol() == "B").unwrap();
    assert_eq!(buf[(x, y)].fg, theme().style("status.error").fg.unwrap());
    let arrow = (0..100u16).find(|x| buf[(*x, y)].symbol() == "←").unwrap();
    assert_eq!(
        buf[(arrow, y)].fg,
        theme().style("yaml.comment").fg.unwrap()
    );
}

#[test]
fn lint_shows_scores_findings_by_severity_and_the_selected_fix() {
    let (mut s, id) = crate::tui::app::health_tests::linting();
    s.update(crate::tui::app::health_tests::lint_news(id));
    let term = render(&mut s, 100, 9);
    insta::assert_snapshot!(format!("{}", term.backend()));
    let buf = term.backend().buffer();
    let find = |needle: &str| {
        (0..9u16).find_map(|y| {
            let line: String = (0..100u16).map(|x| buf[(x, y)].symbol()).collect();
            line.find(needle).map(|x| (x as u16, y))
        })
    };
    // A warning row not selected: its level in the warning colour; the score coloured by
    // how good it is (one of two objects clean: 50).
    let (x, y) = find("WARN").unwrap();
    assert_eq!(buf[(x, y)].fg, theme().style("status.warn").fg.unwrap());
    let (x, y) = find("50/100").unwrap();
    assert_eq!(buf[(x, y)].fg, theme().style("status.warn").fg.unwrap());
}

#[test]
fn usage_shares_are_coloured_by_the_thresholds() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    let (mut s, key) = pods_app();
    let col = |n: &str| Column {
        name: n.into(),
        type_: "string".into(),
        format: String::new(),
        priority: 0,
    };
    s.update(Action::Watch(
        key.clone(),
        WatchMsg::Columns(vec![col("Name"), col("Status")]),
    ));
    s.update(Action::Watch(key.clone(), WatchMsg::Init));
    for name in ["web-1", "web-2"] {
        let row = Row {
            uid: name.into(),
            namespace: "shop".into(),
            name: name.into(),
            resource_version: "1".into(),
            created: Some(0),
            deleting: false,
            cells: vec![name.into(), "Running".into()],
            search: Default::default(),
        }
        .refresh_search();
        s.update(Action::Watch(key.clone(), WatchMsg::InitRow(row)));
    }
    s.update(Action::Watch(key.clone(), WatchMsg::InitDone));
    s.update(Action::Usage(
        key,
        Box::new(crate::tui::app::health_tests::usage_news(true)),
    ));
    s.update(Action::Key(KeyEvent::new(
        KeyCode::Char('w'),
        KeyModifiers::CONTROL,
    )));
    let term = render(&mut s, 110, 6);
    insta::assert_snapshot!(format!("{}", term.backend()));
    let buf = term.backend().buffer();
    let at = |needle: &str, y: u16| {
        let line: String = (0..110u16).map(|x| buf[(x, y)].symbol()).collect();
        line.find(needle).map(|x| x as u16)
    };
    // web-2's row (the cursor is on web-1's): 180% of its CPU request and 90% of its limit
    // are past the critical 90; 10% of its memory is fine.
    let y = (0..6u16).find(|y| at("web-2", *y).is_some()).unwrap();
    let x = at("180%", y).unwrap();
    assert_eq!(buf[(x, y)].fg, theme().style("status.error").fg.unwrap());
    let x = at("90%", y).unwrap();
    assert_eq!(buf[(x, y)].fg, theme().style("status.error").fg.unwrap());
    let x = at("10%", y).unwrap();
    assert_eq!(buf[(x, y)].fg, theme().style("status.ok").fg.unwrap());
}

#[test]
fn pulse_tiles_count_and_colour_health_and_capacity() {
    let mut s = crate::tui::app::health_tests::pulsing();
    let term = render(&mut s, 92, 14);
    insta::assert_snapshot!(format!("{}", term.backend()));
    let buf = term.backend().buffer();
    let find = |needle: &str| {
        (0..14u16).find_map(|y| {
            let line: String = (0..92u16).map(|x| buf[(x, y)].symbol()).collect();
            line.find(needle)
                .map(|b| (line[..b].chars().count() as u16, y))
        })
    };
    let (x, y) = find("✖ 2 failing").unwrap();
    assert_eq!(buf[(x, y)].fg, theme().style("status.error").fg.unwrap());
    let (x, y) = find("● 1 healthy").unwrap();
    assert_eq!(buf[(x, y)].fg, theme().style("status.ok").fg.unwrap());
    // 3.8 of 8 cores used is 47%: under the warning threshold; 6 of 8 requested is 75%: over it.
    let (x, y) = find("requested 6.0").unwrap();
    assert_eq!(buf[(x, y)].fg, theme().style("status.warn").fg.unwrap());
}

#[test]
fn xray_colours_each_line_by_health() {
    let (mut s, _) = crate::tui::app::health_tests::xraying();
    let term = render(&mut s, 70, 8);
    insta::assert_snapshot!(format!("{}", term.backend()));
    let buf = term.backend().buffer();
    let find = |needle: &str| {
        (0..8u16).find_map(|y| {
            let line: String = (0..70u16).map(|x| buf[(x, y)].symbol()).collect();
            line.find(needle)
                .map(|b| (line[..b].chars().count() as u16, y))
        })
    };
    let (x, y) = find("pod/web-1-a").unwrap();
    assert_eq!(buf[(x, y)].fg, theme().style("status.error").fg.unwrap());
}
