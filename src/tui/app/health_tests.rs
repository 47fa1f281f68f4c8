//! `X` and `:explain`: the reading asked for, shown, read again while open and not after;
//! Enter on a line goes to its evidence.

use super::tests::{app, feed, key, list_key, press, type_line};
use super::*;
use crate::explain::{Diagnosis, Health, Line, Source};
use crate::tui::screens::explain::ExplainScreen;
use crate::tui::screens::lint::LintScreen;
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

/// `:lint -A`, and the id of the lint screen it opened.
pub(in crate::tui) fn linting() -> (App, u64) {
    let mut s = app();
    let effects = type_line(&mut s, ":lint -A");
    let [Effect::Lint { id, namespace, .. }] = &effects[..] else {
        panic!(":lint starts its watches: {effects:?}");
    };
    assert_eq!(namespace, &None);
    (s, *id)
}

pub(in crate::tui) fn lint_news(id: u64) -> Action {
    use crate::lint::live::prepare;
    use crate::tui::feed::FeedNews;
    let settings = crate::lint::Settings::default();
    let deploy = serde_json::json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {"replicas": 2, "template": {"metadata": {"labels": {"app": "web"}},
                 "spec": {"containers": [{"name": "web", "image": "nginx:latest",
                          "resources": {"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"memory": "1Gi"}},
                          "readinessProbe": {"tcpSocket": {"port": 80}},
                          "securityContext": {"runAsNonRoot": true, "privileged": true}}]}}}});
    let cm = serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "old", "namespace": "shop"}});
    let mut news = vec![FeedNews::Relist("Deployment")];
    news.push(FeedNews::Put(Box::new(prepare(&deploy, &settings, true))));
    news.push(FeedNews::Put(Box::new(prepare(&cm, &settings, true))));
    news.push(FeedNews::Listed("Deployment"));
    Action::LintBatch(id, news)
}

#[test]
fn lint_shows_findings_as_they_come_and_stops_its_watches_when_closed() {
    let (mut s, id) = linting();
    assert!(s.front().is_some_and(|f| f.as_any().is::<LintScreen>()));
    assert!(s.update(lint_news(id)).is_empty());
    let state = s.data.lint.as_ref().expect("the linter");
    let rules: Vec<&str> = state.live.findings().map(|f| f.rule).collect();
    assert_eq!(rules, vec!["privileged", "image-tag", "unused-configmap"]);
    // The ConfigMap gets a user: its finding goes.
    let pod = serde_json::json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "web-1", "namespace": "shop", "ownerReferences": [{"kind": "ReplicaSet", "name": "w"}]},
        "spec": {"volumes": [{"name": "c", "configMap": {"name": "old"}}], "containers": [{"name": "c", "image": "x:1"}]}});
    let prepared = crate::lint::live::prepare(&pod, &crate::lint::Settings::default(), true);
    s.update(Action::LintBatch(
        id,
        vec![crate::tui::feed::FeedNews::Put(Box::new(prepared))],
    ));
    let rules: Vec<&str> = s
        .data
        .lint
        .as_ref()
        .unwrap()
        .live
        .findings()
        .map(|f| f.rule)
        .collect();
    assert_eq!(rules, vec!["privileged", "image-tag"]);
    // News for another (closed) lint screen changes nothing.
    s.update(lint_news(id + 100));
    let effects = key(&mut s, KeyCode::Esc);
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::StopFeed(i) if *i == id)),
        "{effects:?}"
    );
    assert!(s.data.lint.is_none());
}

#[test]
fn enter_on_a_finding_opens_its_object_and_x_explains_it() {
    let (mut s, id) = linting();
    s.update(Action::Discovered(vec![
        super::tests::res("", "pods", "Pod", &["po"], true),
        super::tests::res("", "configmaps", "ConfigMap", &["cm"], true),
        super::tests::res("apps", "deployments", "Deployment", &["deploy"], true),
    ]));
    // Discovery again must not take the lint screen away.
    assert!(s.front().is_some_and(|f| f.as_any().is::<LintScreen>()));
    enter_then_explain(s, id);
}

fn enter_then_explain(mut s: App, id: u64) {
    s.update(lint_news(id));
    press(&mut s, 'G');
    let effects = key(&mut s, KeyCode::Enter);
    assert!(
        matches!(&effects[..], [Effect::Follow(_, t)] if t.name == "old" && t.resource.kind == "ConfigMap"),
        "{effects:?}"
    );
    assert!(
        s.front().is_some_and(|f| f.crumb() == "old:describe"),
        "{:?}",
        s.front().map(|f| f.crumb())
    );
    key(&mut s, KeyCode::Esc);
    let effects = press(&mut s, 'X');
    assert!(
        matches!(&effects[..], [Effect::Explain { target, .. }] if target.name == "old"),
        "{effects:?}"
    );
}

#[test]
fn a_kind_rbac_hides_is_said_and_its_rules_are_off() {
    use crate::tui::feed::FeedNews;
    let (mut s, id) = linting();
    s.update(lint_news(id));
    s.update(Action::LintBatch(
        id,
        vec![FeedNews::Failed {
            kind: "Pod",
            error: "forbidden: pods is forbidden".into(),
            for_good: true,
        }],
    ));
    let state = s.data.lint.as_ref().unwrap();
    assert!(state.problems["Pod"].contains("forbidden"));
    // Without pods, who uses a ConfigMap cannot be told: that rule is off rather than wrong.
    assert!(!state.live.findings().any(|f| f.rule == "unused-configmap"));
}

#[test]
fn ctrl_z_shows_only_rows_that_are_not_healthy_live_and_with_a_text_filter() {
    use super::tests::{ctrl, names};
    let mut s = app();
    let k = list_key(&s);
    feed(
        &mut s,
        &k,
        &["Name", "Ready", "Status"],
        &[
            ("web-1", &["web-1", "1/1", "Running"]),
            ("web-2", &["web-2", "0/1", "CrashLoopBackOff"]),
            ("db-0", &["db-0", "0/1", "Pending"]),
            ("api-1", &["api-1", "0/1", "Running"]),
        ],
    );
    ctrl(&mut s, 'z');
    assert_eq!(names(&mut s), vec!["api-1", "db-0", "web-2"]);
    // A text filter narrows further and keeps faults only.
    type_line(&mut s, "/web");
    assert_eq!(names(&mut s), vec!["web-2"]);
    // A row that recovers leaves the view as it changes.
    s.update(Action::Watch(
        k.clone(),
        crate::cluster::watch::WatchMsg::Apply(super::tests::row(
            "web-2",
            "shop",
            &["web-2", "1/1", "Running"],
        )),
    ));
    assert!(names(&mut s).is_empty());
    ctrl(&mut s, 'z');
    assert_eq!(names(&mut s), vec!["web-1", "web-2"]);
}

pub(in crate::tui) fn usage_news(served: bool) -> crate::cluster::usage::UsageNews {
    usage_news_with(served, 50)
}

/// A reading of web-1 (using `web_1_cpu` millicores) and web-2 (180m) in "shop".
fn usage_news_with(served: bool, web_1_cpu: u64) -> crate::cluster::usage::UsageNews {
    use crate::cluster::usage::{Amounts, POD_COLUMNS, PodResources, pod_figures};
    let res = PodResources {
        asks: crate::cluster::usage::Figures::new(
            None,
            Some(Amounts {
                cpu: 100,
                mem: 100 << 20,
            }),
            Some(200),
            Some(100 << 20),
        ),
        ..PodResources::default()
    };
    let mut figures = std::collections::HashMap::new();
    let usage = |cpu, mem| served.then_some(Amounts { cpu, mem });
    figures.insert(
        crate::cluster::figures::fingerprint("shop", "web-1"),
        pod_figures(usage(web_1_cpu, 95 << 20), Some(&res)),
    );
    figures.insert(
        crate::cluster::figures::fingerprint("shop", "web-2"),
        pod_figures(usage(180, 10 << 20), Some(&res)),
    );
    // web-3 is not in the reading (not running yet): n/a.
    crate::cluster::usage::UsageNews {
        columns: POD_COLUMNS.to_vec(),
        figures: crate::cluster::usage::Reading::Map(figures),
        served,
        why: None,
    }
}

/// The text the list shows in `title` for the row `uid`.
fn shown(s: &App, k: &WatchKey, uid: &str, title: &str) -> String {
    let store = &s.data.stores[k];
    let columns = crate::tui::model::columns(store, false, true);
    let col = columns.iter().find(|c| c.title == title).unwrap();
    let row = store.get(uid).unwrap();
    crate::tui::model::cell_text(row, store.figures_of(uid), col, s.session.now)
}

#[test]
fn usage_readings_become_sortable_columns_and_a_missing_metrics_api_is_said_once() {
    use super::tests::{names, row};
    let mut s = app();
    let k = list_key(&s);
    feed(
        &mut s,
        &k,
        &["Name", "Status"],
        &[
            ("web-1", &["web-1", "Running"]),
            ("web-2", &["web-2", "Running"]),
            ("web-3", &["web-3", "Pending"]),
        ],
    );
    // Before any reading there are no usage columns.
    assert!(crate::tui::model::columns(&s.data.stores[&k], false, true).len() == 2);
    s.update(Action::Usage(k.clone(), Box::new(usage_news(true))));
    let cpu = |s: &App, uid: &str| shown(s, &k, uid, "CPU");
    assert_eq!(
        (cpu(&s, "web-1"), cpu(&s, "web-2")),
        ("50m".into(), "180m".into())
    );
    assert_eq!(cpu(&s, "web-3"), "n/a", "a pod the reading lacks");
    assert_eq!(shown(&s, &k, "web-2", "%CPU/R"), "180%");
    assert!(s.message.is_none());
    // Sorted by CPU, busiest first (">" to the column, ctrl-r to reverse); n/a last.
    for _ in 0..3 {
        press(&mut s, '>');
    }
    super::tests::ctrl(&mut s, 'r');
    assert_eq!(names(&mut s), vec!["web-2", "web-1", "web-3"]);
    // The next reading moves the rows: web-1 at 1500m passes web-2's 180m (as numbers; as
    // text "1500m" < "180m").
    s.update(Action::Usage(
        k.clone(),
        Box::new(usage_news_with(true, 1500)),
    ));
    assert_eq!(names(&mut s), vec!["web-1", "web-2", "web-3"]);
    // A change from the watch keeps the reading on the row.
    s.update(Action::Watch(
        k.clone(),
        crate::cluster::watch::WatchMsg::Apply(row("web-1", "shop", &["web-1", "Error"])),
    ));
    assert_eq!(cpu(&s, "web-1"), "1500m");
    assert_eq!(names(&mut s), vec!["web-1", "web-2", "web-3"]);
    // No metrics API: n/a, said once.
    s.update(Action::Usage(k.clone(), Box::new(usage_news(false))));
    assert!(matches!(&s.message, Some(Message::Info(m)) if m.contains("no metrics API")));
    assert_eq!(cpu(&s, "web-1"), "n/a");
    s.message = None;
    s.update(Action::Usage(k, Box::new(usage_news(false))));
    assert!(s.message.is_none(), "said once");
}

#[test]
fn a_metrics_api_that_cannot_be_read_is_said_with_the_reason() {
    let mut s = app();
    let k = list_key(&s);
    feed(
        &mut s,
        &k,
        &["Name", "Status"],
        &[("web-1", &["web-1", "Running"])],
    );
    let mut news = usage_news(false);
    news.why = Some("pods.metrics.k8s.io is forbidden".into());
    s.update(Action::Usage(k.clone(), Box::new(news.clone())));
    assert!(
        matches!(&s.message, Some(Message::Error(m)) if m.contains("cannot read the metrics API: pods.metrics.k8s.io is forbidden")),
        "{:?}",
        s.message
    );
    assert_eq!(shown(&s, &k, "web-1", "CPU"), "n/a");
    // The same trouble is said once; a good reading, then trouble again, is said again.
    s.message = None;
    s.update(Action::Usage(k.clone(), Box::new(news.clone())));
    assert!(s.message.is_none());
    s.update(Action::Usage(k.clone(), Box::new(usage_news(true))));
    assert_eq!(shown(&s, &k, "web-1", "CPU"), "50m");
    s.update(Action::Usage(k.clone(), Box::new(news)));
    assert!(matches!(&s.message, Some(Message::Error(_))));
    assert_eq!(
        shown(&s, &k, "web-1", "CPU"),
        "n/a",
        "stale usage is not shown as fresh"
    );
}

/// `:pulse -A` with pods (two failing of three) and nodes (with usage) loaded.
pub(in crate::tui) fn pulsing() -> App {
    use crate::tui::screens::pulse::PulseScreen;
    let mut s = app();
    s.update(Action::Discovered(vec![
        super::tests::res("", "pods", "Pod", &["po"], true),
        super::tests::res("", "nodes", "Node", &["no"], false),
        super::tests::res("", "events", "Event", &["ev"], true),
        super::tests::res("apps", "deployments", "Deployment", &["deploy"], true),
    ]));
    let effects = type_line(&mut s, ":pulse -A");
    let watched: Vec<&str> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::Watch(k, _, scope) => {
                assert_eq!(scope.namespace, None);
                Some(k.resource.as_str())
            }
            _ => None,
        })
        .collect();
    assert_eq!(watched, vec!["pods", "deployments.apps", "nodes", "events"]);
    assert!(s.front().is_some_and(|f| f.as_any().is::<PulseScreen>()));
    let key = |resource: &str| WatchKey {
        resource: resource.into(),
        namespace: None,
        labels: None,
        fields: None,
        epoch: s.session.epoch,
    };
    let (pods, nodes, events) = (key("pods"), key("nodes"), key("events"));
    feed(
        &mut s,
        &pods,
        &["Name", "Ready", "Status"],
        &[
            ("web-1", &["web-1", "1/1", "Running"]),
            ("web-2", &["web-2", "0/1", "CrashLoopBackOff"]),
            ("db-0", &["db-0", "0/1", "ImagePullBackOff"]),
            ("job-1", &["job-1", "0/1", "ContainerCreating"]),
        ],
    );
    feed(
        &mut s,
        &nodes,
        &["Name", "Status"],
        &[("n1", &["n1", "Ready"]), ("n2", &["n2", "NotReady"])],
    );
    feed(
        &mut s,
        &events,
        &["Type", "Reason"],
        &[
            ("e1", &["Warning", "BackOff"]),
            ("e2", &["Normal", "Pulled"]),
        ],
    );
    let mut figures = std::collections::HashMap::new();
    let alloc = crate::cluster::usage::Amounts {
        cpu: 4000,
        mem: 8 << 30,
    };
    let used = |cpu| Some(crate::cluster::usage::Amounts { cpu, mem: 1 << 30 });
    let req = crate::cluster::usage::Amounts {
        cpu: 3000,
        mem: 2 << 30,
    };
    // (`feed` puts every row in "shop".)
    figures.insert(
        crate::cluster::figures::fingerprint("shop", "n1"),
        crate::cluster::usage::node_figures(used(3800), alloc, req),
    );
    figures.insert(
        crate::cluster::figures::fingerprint("shop", "n2"),
        crate::cluster::usage::node_figures(None, alloc, req),
    );
    s.update(Action::Usage(
        nodes,
        Box::new(crate::cluster::usage::UsageNews {
            columns: crate::cluster::usage::NODE_COLUMNS.to_vec(),
            figures: crate::cluster::usage::Reading::Map(figures),
            served: true,
            why: None,
        }),
    ));
    s.session.now += 1;
    s.prepare();
    s
}

#[test]
fn pulse_counts_each_kind_and_enter_opens_the_failing_rows() {
    use crate::tui::screens::pulse::{Counts, PulseScreen, Tile};
    let mut s = pulsing();
    let pulse = s
        .front()
        .and_then(|f| f.as_any().downcast_ref::<PulseScreen>())
        .unwrap();
    let counts: Vec<Option<Counts>> = pulse
        .tiles
        .iter()
        .filter_map(|t| match t {
            Tile::Kind { counts, .. } => Some(*counts),
            _ => None,
        })
        .collect();
    assert_eq!(
        counts,
        vec![
            Some(Counts {
                healthy: 1,
                progressing: 1,
                failing: 2
            }),
            None, // deployments: not loaded yet
            Some(Counts {
                healthy: 1,
                progressing: 0,
                failing: 1
            }),
        ]
    );
    // Enter on pods: the pods list with faults only.
    let effects = key(&mut s, KeyCode::Enter);
    assert!(
        matches!(&effects[..], [Effect::Watch(k, ..)] if k.resource == "pods"),
        "{effects:?}"
    );
    assert_eq!(super::tests::names(&mut s), vec!["db-0", "job-1", "web-2"]);
}

/// `:xray deploy` with a deployment, its replica set and a crash-looping pod fed in.
pub(in crate::tui) fn xraying() -> (App, u64) {
    use crate::tui::feed::FeedNews;
    let mut s = app();
    s.update(Action::Discovered(vec![
        super::tests::res("", "pods", "Pod", &["po"], true),
        super::tests::res("apps", "deployments", "Deployment", &["deploy"], true),
        super::tests::res("apps", "replicasets", "ReplicaSet", &["rs"], true),
    ]));
    let effects = type_line(&mut s, ":xray deploy");
    let [Effect::Xray { id, namespace }] = &effects[..] else {
        panic!(":xray starts its watches: {effects:?}");
    };
    assert_eq!(namespace.as_deref(), Some("shop"));
    let id = *id;
    let objects = [
        serde_json::json!({"kind": "Deployment", "metadata": {"name": "web", "namespace": "shop", "uid": "d1"},
            "spec": {"replicas": 1}, "status": {"readyReplicas": 0}}),
        serde_json::json!({"kind": "ReplicaSet", "metadata": {"name": "web-1", "namespace": "shop", "uid": "r1",
            "ownerReferences": [{"uid": "d1", "controller": true}]}, "spec": {"replicas": 1}}),
        serde_json::json!({"kind": "Pod", "metadata": {"name": "web-1-a", "namespace": "shop", "uid": "p1",
            "ownerReferences": [{"uid": "r1", "controller": true}]}, "spec": {"containers": [{"name": "app"}]},
            "status": {"phase": "Running", "containerStatuses": [{"name": "app", "ready": false, "restartCount": 3,
                "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]}}),
    ];
    let news = objects
        .iter()
        .map(|o| FeedNews::Put(Box::new(crate::xray::compact(o))))
        .collect();
    s.update(Action::XrayBatch(id, news));
    s.prepare();
    (s, id)
}

#[test]
fn xray_builds_the_tree_folds_and_opens_any_line() {
    use crate::tui::screens::xray::XrayScreen;
    let (mut s, id) = xraying();
    let lines = |s: &App| -> Vec<String> {
        let x = s
            .front()
            .and_then(|f| f.as_any().downcast_ref::<XrayScreen>())
            .unwrap();
        x.lines
            .iter()
            .map(|l| format!("{}{} {}", "  ".repeat(l.depth), l.kind, l.name))
            .collect()
    };
    assert_eq!(
        lines(&s),
        vec![
            "Deployment web",
            "  ReplicaSet web-1",
            "    Pod web-1-a",
            "      Container app"
        ]
    );
    // Enter on the replica set folds it; again unfolds.
    press(&mut s, 'j');
    key(&mut s, KeyCode::Enter);
    assert_eq!(lines(&s), vec!["Deployment web", "  ReplicaSet web-1"]);
    key(&mut s, KeyCode::Enter);
    assert_eq!(lines(&s).len(), 4);
    // On the container line: y is its pod's YAML, l its own log, X explains its pod.
    press(&mut s, 'G');
    let effects = press(&mut s, 'y');
    assert!(
        matches!(&effects[..], [Effect::Follow(_, t)] if t.name == "web-1-a"),
        "{effects:?}"
    );
    key(&mut s, KeyCode::Esc);
    let effects = press(&mut s, 'l');
    assert!(
        matches!(&effects[..], [Effect::Logs(_, r)] if r.container_regex.as_deref() == Some("^app$")),
        "{effects:?}"
    );
    key(&mut s, KeyCode::Esc);
    let effects = press(&mut s, 'X');
    assert!(
        matches!(&effects[..], [Effect::Explain { target, .. }] if target.name == "web-1-a"),
        "{effects:?}"
    );
    key(&mut s, KeyCode::Esc);
    // Leaving xray stops its watches.
    let effects = key(&mut s, KeyCode::Esc);
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::StopFeed(i) if *i == id)),
        "{effects:?}"
    );
    assert!(s.data.xray.is_none());
}

#[test]
fn xray_of_an_unknown_kind_says_how_to_ask() {
    let mut s = app();
    assert!(type_line(&mut s, ":xray widgets").is_empty());
    assert!(matches!(&s.message, Some(Message::Info(m)) if m.contains("usage: :xray")));
}
