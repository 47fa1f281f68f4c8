//! Shells, attaches and port-forwards from the keys and commands: what `s`, `a` and `f` ask
//! the runtime for on each kind of row, what the app does with its answers, and `:pf`.

use super::tests::{feed, key, list_key, press, type_line};
use super::*;
use crate::cluster::discovery::ResourceInfo;
use crate::config::keys::KeyMap;
use crate::remote::exec::{Ended, Mode, Target};
use crate::remote::forward::Spec;
use crate::remote::ports::{Local, Offer, RemotePort};
use crate::tui::action::{ExecReport, ExecRequest, ForwardRow};
use crate::tui::screens::forwards::ForwardsScreen;
use crossterm::event::KeyCode;

fn app_on(plural: &str, names: &[&str]) -> App {
    let mut s = App::new(Session::new(
        "ctx".into(),
        Some("shop".into()),
        KeyMap::load(None),
    ));
    s.update(Action::Discovered(vec![
        ResourceInfo::example("", "pods", "Pod", &["po"]),
        ResourceInfo::example("", "services", "Service", &["svc"]),
        ResourceInfo::example("apps", "deployments", "Deployment", &["deploy"]),
        ResourceInfo::example("", "configmaps", "ConfigMap", &["cm"]),
    ]));
    if plural != "pods" {
        type_line(&mut s, &format!(":{plural}"));
    }
    let wk = list_key(&s);
    let rows: Vec<(&str, &[&str])> = names
        .iter()
        .map(|n| (*n, std::slice::from_ref(n)))
        .collect();
    feed(&mut s, &wk, &["Name"], &rows);
    s
}

fn target() -> Target {
    Target {
        namespace: "shop".into(),
        pod: "web-1".into(),
        container: "nginx".into(),
    }
}

#[test]
fn s_is_a_shell_on_a_pod_and_scale_on_a_deployment() {
    let mut s = app_on("pods", &["web-1"]);
    let effects = press(&mut s, 's');
    match &effects[..] {
        [
            Effect::PrepareExec {
                target,
                container: None,
                attach: false,
            },
        ] => {
            assert_eq!(
                (target.name.as_str(), target.namespace.as_deref()),
                ("web-1", Some("shop"))
            );
        }
        other => panic!("{other:?}"),
    }
    // One terminal, one session: a second `s` waits until the first is answered.
    assert!(press(&mut s, 's').is_empty());
    assert!(matches!(&s.message, Some(Message::Info(m)) if m.contains("starting already")));
    s.update(Action::ExecFailed(
        "pod web-1 is Pending, not running: no shell possible".into(),
    ));
    assert!(matches!(&s.message, Some(Message::Error(m)) if m.contains("Pending")));
    assert_eq!(press(&mut s, 's').len(), 1);

    let mut d = app_on("deploy", &["web"]);
    assert!(press(&mut d, 's').is_empty());
    assert!(matches!(&d.overlay, Some(Overlay::Prompt(p)) if p.ask == Ask::Scale));
    // Attach too, and neither on a kind without containers.
    let mut c = app_on("cm", &["settings"]);
    assert!(press(&mut c, 'a').is_empty());
    assert!(matches!(&c.message, Some(Message::Info(m)) if m.contains("attach works on pods")));
}

#[test]
fn the_runtimes_answers_run_the_shell_ask_for_a_container_and_report_the_exit() {
    let mut s = app_on("pods", &["web-1"]);
    s.session.shells = vec!["zsh".into(), "sh".into()];
    let effects = s.update(Action::ExecReady(ExecRequest {
        target: target(),
        mode: Mode::Shell(Vec::new()),
    }));
    match &effects[..] {
        [Effect::Exec(r)] => assert_eq!(r.mode, Mode::Shell(vec!["zsh".into(), "sh".into()])),
        other => panic!("{other:?}"),
    }
    assert!(effects[0].takes_terminal());

    let target_ref = s.targets(false).remove(0);
    s.update(Action::ExecChoose {
        target: target_ref,
        containers: vec!["api".into(), "envoy".into()],
        attach: false,
    });
    let Some(Overlay::Picker(p)) = &s.overlay else {
        panic!("no picker")
    };
    assert_eq!(p.items, vec!["api".to_string(), "envoy".to_string()]);
    key(&mut s, KeyCode::Down);
    let effects = key(&mut s, KeyCode::Enter);
    match &effects[..] {
        [
            Effect::PrepareExec {
                target,
                container: Some(c),
                attach: false,
            },
        ] => {
            assert_eq!((target.name.as_str(), c.as_str()), ("web-1", "envoy"));
        }
        other => panic!("{other:?}"),
    }

    let request = ExecRequest {
        target: target(),
        mode: Mode::Shell(vec!["sh".into()]),
    };
    s.update(Action::ExecEnded(ExecReport {
        request: request.clone(),
        result: Ok(Ended::Exited(3)),
    }));
    assert_eq!(
        s.message,
        Some(Message::Info(
            "shell in web-1/nginx exited with status 3".into()
        ))
    );
    s.update(Action::ExecEnded(ExecReport {
        request,
        result: Ok(Ended::NoShell(vec!["bash".into(), "sh".into()])),
    }));
    assert!(
        matches!(&s.message, Some(Message::Error(m)) if m.contains("has no shell (tried bash, sh)"))
    );
}

#[test]
fn shells_are_off_when_kx_is_read_only() {
    let mut s = app_on("pods", &["web-1"]);
    s.session.readonly = true;
    assert!(press(&mut s, 's').is_empty());
    assert!(
        matches!(&s.message, Some(Message::Error(m)) if m.contains("read-only") && m.contains("shell"))
    );
}

#[test]
fn f_picks_a_port_and_starts_a_forward_that_pf_lists_and_stops() {
    let mut s = app_on("svc", &["web"]);
    let effects = press(&mut s, 'f');
    let [Effect::PrepareForward(target)] = &effects[..] else {
        panic!("{effects:?}")
    };
    let target = (**target).clone();
    let offers = vec![
        Offer {
            remote: 80,
            label: "80/http → 8080".into(),
        },
        Offer {
            remote: 9000,
            label: "9000/admin → 9901".into(),
        },
    ];
    s.update(Action::ForwardOffers { target, offers });
    let Some(Overlay::Picker(p)) = &s.overlay else {
        panic!("no picker")
    };
    assert_eq!(p.items[1], "9000 (9000/admin → 9901)");
    key(&mut s, KeyCode::Down);
    let effects = key(&mut s, KeyCode::Enter);
    match &effects[..] {
        [Effect::StartForward(spec)] => assert_eq!(
            **spec,
            Spec {
                namespace: "shop".into(),
                kind: "Service".into(),
                name: "web".into(),
                remote: RemotePort::Number(9000),
                local: Local::Prefer(9000),
                address: std::net::IpAddr::from([127, 0, 0, 1]),
                patience: std::time::Duration::ZERO,
            }
        ),
        other => panic!("{other:?}"),
    }

    type_line(&mut s, ":pf");
    assert!(s.front_as::<ForwardsScreen>().is_some());
    s.update(Action::Forwards(vec![ForwardRow {
        id: 7,
        local: "127.0.0.1:9000".into(),
        target: "shop/svc/web:9000".into(),
        pod: "web-1".into(),
        open: 1,
        total: 4,
        sent: 10,
        received: 2048,
        state: "serving".into(),
        serving: true,
    }]));
    let effects = s.update(Action::Key(crossterm::event::KeyEvent::new(
        KeyCode::Char('d'),
        crossterm::event::KeyModifiers::CONTROL,
    )));
    assert_eq!(effects, vec![Effect::StopForward(7)]);
}

#[test]
fn pf_commands_start_typed_and_saved_forwards_and_say_what_is_wrong() {
    let mut s = app_on("pods", &["web-1"]);
    let effects = type_line(&mut s, ":pf deploy/api 8080:http 9090");
    let specs: Vec<(Local, RemotePort)> = effects
        .iter()
        .map(|e| match e {
            Effect::StartForward(spec) => (spec.local, spec.remote.clone()),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        specs,
        vec![
            (Local::Exactly(8080), RemotePort::Name("http".into())),
            (Local::Prefer(9090), RemotePort::Number(9090))
        ]
    );
    assert!(type_line(&mut s, ":pf job/x 80").is_empty());
    assert!(matches!(&s.message, Some(Message::Error(m)) if m.contains("not \"job\"")));

    s.session.saved_forwards = vec![crate::config::SavedForward {
        name: "db".into(),
        target: "sts/db".into(),
        namespace: Some("data".into()),
        ports: vec!["15432:5432".into()],
        address: None,
    }];
    let effects = type_line(&mut s, ":pf start db");
    assert!(matches!(&effects[..], [Effect::StartForward(spec)]
        if spec.namespace == "data" && spec.kind == "StatefulSet" && !spec.patience.is_zero()));
    assert!(type_line(&mut s, ":pf start nope").is_empty());
    assert!(
        matches!(&s.message, Some(Message::Error(m)) if m.contains("no saved port-forward \"nope\" (saved: db"))
    );
}
