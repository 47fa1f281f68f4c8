//! The watch layer against the simulator: discovery and name resolution, a complete first
//! list of Table rows, live changes, and recovery from dropped connections and 410 Gone.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests and benches stop at the first surprise

mod common;

use common::TestCluster;
use kube::Client;
use kx::cluster::discovery::{discover, resolve};
use kx::cluster::store::RowStore;
use kx::cluster::watch::{Paging, Scope, WatchMsg, run};
use std::time::Duration;
use tokio::sync::mpsc;

async fn client(c: &TestCluster) -> Client {
    c.client().await
}

/// Feeds messages into a store until `done` holds.
async fn until(
    rx: &mut mpsc::Receiver<WatchMsg>,
    store: &mut RowStore,
    secs: u64,
    what: &str,
    done: impl Fn(&RowStore) -> bool,
) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while !done(store) {
        let msg = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
            .expect("watch running");
        store.apply(msg, 0);
    }
}

fn running_names(store: &RowStore, prefix: &str) -> usize {
    store
        .ordered()
        .filter(|r| r.name.starts_with(prefix) && r.cells.get(2).is_some_and(|s| &**s == "Running"))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_resolves_short_names_and_crds() {
    let c = TestCluster::start(false).await;
    let resources = discover(&client(&c).await).await.expect("discovery");
    assert_eq!(
        resolve("deploy", &resources, &[]).expect("deploy").group,
        "apps"
    );
    let widgets = resolve("widgets.demo.kx.dev", &resources, &[]).expect("the demo CRD");
    assert!(widgets.namespaced);
    assert_eq!(
        resolve("wdg", &resources, &[]).expect("short name").plural,
        "widgets"
    );
    let err = resolve("deploymentz", &resources, &[]).expect_err("a typo");
    assert!(err.contains("did you mean deployments"), "{err}");
    c.sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_arrive_complete_then_live_and_survive_dropped_connections_and_gone() {
    let c = TestCluster::start(false).await;
    let client = client(&c).await;
    let resources = discover(&client).await.expect("discovery");
    let pods = resolve("pods", &resources, &[]).expect("pods").clone();
    let (tx, mut rx) = mpsc::channel(1024);
    tokio::spawn(run(
        client.clone(),
        pods,
        Scope {
            namespace: Some("shop".into()),
            ..Default::default()
        },
        tx,
        Paging::rows(3),
    ));
    let mut store = RowStore::default();
    until(&mut rx, &mut store, 20, "the first complete list", |s| {
        s.loaded
    })
    .await;
    let names: Vec<&str> = store.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(&names[..5], ["Name", "Ready", "Status", "Restarts", "Age"]);
    until(&mut rx, &mut store, 30, "three running web pods", |s| {
        running_names(s, "web-") == 3
    })
    .await;

    // Scale while the connection is dropped: the watch resumes and misses nothing.
    c.sim.cluster.faults.drop_all_connections();
    let deploys = c
        .sim
        .cluster
        .find_type("apps", "v1", "deployments")
        .expect("deployments");
    c.sim
        .cluster
        .modify(&deploys, "shop", "web", None, |mut v| {
            v["spec"]["replicas"] = serde_json::json!(5);
            Ok(v)
        })
        .expect("scale");
    until(
        &mut rx,
        &mut store,
        40,
        "five running web pods after the reconnect",
        |s| running_names(s, "web-") == 5,
    )
    .await;

    // 410 Gone on the next watch: the layer relists and the rows stay right.
    c.sim.cluster.faults.gone_next_watches(1);
    c.sim.cluster.faults.drop_all_connections();
    c.sim
        .cluster
        .modify(&deploys, "shop", "web", None, |mut v| {
            v["spec"]["replicas"] = serde_json::json!(2);
            Ok(v)
        })
        .expect("scale down");
    until(
        &mut rx,
        &mut store,
        40,
        "two web pods after the relist",
        |s| {
            s.ordered()
                .filter(|r| r.name.starts_with("web-") && !r.deleting)
                .count()
                == 2
        },
    )
    .await;
    c.sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_changes_carry_the_whole_object_just_before_their_row() {
    let c = TestCluster::start(false).await;
    let client = client(&c).await;
    let resources = discover(&client).await.expect("discovery");
    let deployments = resolve("deploy", &resources, &[]).expect("deploy").clone();
    let (tx, mut rx) = mpsc::channel(1024);
    tokio::spawn(run(
        client.clone(),
        deployments,
        Scope {
            namespace: Some("shop".into()),
            ..Default::default()
        },
        tx,
        Paging::rows(100),
    ));
    let mut store = RowStore::default();
    until(&mut rx, &mut store, 20, "the first list", |s| s.loaded).await;
    let deploys = c
        .sim
        .cluster
        .find_type("apps", "v1", "deployments")
        .expect("deployments");
    let key = kx::history::HistoryKey {
        resource: "deployments.apps".into(),
        namespace: "shop".into(),
        name: "web".into(),
    };
    let mut history = kx::history::History::default();
    // The first live change is the first revision kx sees; the second is diffed against it.
    for replicas in [4, 6] {
        c.sim
            .cluster
            .modify(&deploys, "shop", "web", None, |mut v| {
                v["spec"]["replicas"] = serde_json::json!(replicas);
                Ok(v)
            })
            .expect("scale");
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let msg = tokio::time::timeout_at(deadline, rx.recv())
                .await
                .expect("a live change of web")
                .expect("watch running");
            let WatchMsg::Revision(text) = &msg else {
                continue;
            };
            history.record_watched("deployments.apps", text, 0);
            let object: serde_json::Value = serde_json::from_str(text).expect("JSON");
            if object["metadata"]["name"] == "web" && object["spec"]["replicas"] == replicas {
                let next = rx.recv().await.expect("the row follows");
                assert!(
                    matches!(&next, WatchMsg::Apply(row) if row.name == "web"
                        && row.resource_version == object["metadata"]["resourceVersion"]),
                    "{next:?}"
                );
                break;
            }
        }
    }
    let web = history.get(&key).expect("web has a history");
    assert_eq!(web.revisions()[0].change, kx::history::Change::FirstSeen);
    assert!(
        web.revisions()
            .iter()
            .any(|r| r.summary.starts_with("spec.replicas 4→6")),
        "{:?}",
        web.revisions()
    );
    c.sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_server_is_reported_and_retried() {
    let c = TestCluster::start(false).await;
    let client = client(&c).await;
    let resources = discover(&client).await.expect("discovery");
    let nodes = resolve("nodes", &resources, &[]).expect("nodes").clone();
    c.sim.cluster.faults.update(|f| {
        f.error_rate = 1.0;
        f.error_code = 503;
    });
    let (tx, mut rx) = mpsc::channel(64);
    tokio::spawn(run(client, nodes, Scope::default(), tx, Paging::rows(500)));
    let mut store = RowStore::default();
    until(&mut rx, &mut store, 60, "an error report", |s| {
        s.error.is_some()
    })
    .await;
    assert!(!store.loaded);
    c.sim.cluster.faults.update(|f| f.error_rate = 0.0);
    until(&mut rx, &mut store, 60, "the nodes after recovery", |s| {
        s.loaded && s.len() == 5
    })
    .await;
    assert_eq!(store.error, None);
    c.sim.stop().await;
}

/// Types keys into the explorer's state, as a person would.
fn typed(state: &mut kx::tui::app::App, text: &str) {
    use crossterm::event::{KeyCode, KeyEvent};
    for ch in text.chars() {
        let code = match ch {
            '\r' => KeyCode::Enter,
            c => KeyCode::Char(c),
        };
        state.update(kx::tui::action::Action::Key(KeyEvent::from(code)));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_small_list_takes_whole_objects_so_its_first_change_is_diffed_in_the_tui() {
    use kx::tui::action::Action;
    use kx::tui::app::App;
    let c = TestCluster::start(false).await;
    let client = client(&c).await;
    let resources = discover(&client).await.expect("discovery");
    let mut state = App::new(kx::tui::session::Session::new(
        "kx-sim".into(),
        Some("shop".into()),
        kx::config::keys::KeyMap::load(None),
    ));
    state.data.revisions = kx::history::History::new(64 << 20);
    state.update(Action::Discovered(resources.clone()));
    typed(&mut state, ":deploy\r");
    let view = state.list().expect("the deployments list");
    let (key, resource) = (view.key.clone(), view.resource.clone());
    let (tx, mut rx) = mpsc::channel(1024);
    let watch = tokio::spawn(run(
        client.clone(),
        resource,
        Scope {
            namespace: Some("shop".into()),
            ..Default::default()
        },
        tx,
        Paging {
            page_size: 100,
            whole_up_to: 2000,
        },
    ));
    // Feeds the watch into the state until `done` holds.
    let seen = std::cell::RefCell::new(Vec::new());
    let mut feed = async |state: &mut App, what: &str, done: &dyn Fn(&App) -> bool| {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while !done(state) {
            let msg = tokio::time::timeout_at(deadline, rx.recv())
                .await
                .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
                .expect("watch running");
            seen.borrow_mut().push(std::mem::discriminant(&msg));
            state.update(Action::Watch(key.clone(), msg));
        }
    };
    feed(&mut state, "the first list", &|s: &App| {
        s.data.stores.get(&key).is_some_and(|st| st.loaded)
    })
    .await;
    let store = state.data.stores.get(&key).expect("store");
    assert_eq!(
        store.whole_objects,
        Some(true),
        "a small list takes whole objects"
    );
    assert!(
        seen.borrow()
            .contains(&std::mem::discriminant(&WatchMsg::Revision("".into()))),
        "each row came with its object"
    );
    c.kubectl_ok(&["scale", "deploy/web", "-n", "shop", "--replicas=5"])
        .await;
    feed(&mut state, "the scale-up", &|s: &App| {
        s.data.stores.get(&key).is_some_and(|st| {
            st.ordered()
                .any(|r| r.name == "web" && r.cells[1].contains("/5"))
        })
    })
    .await;
    // The very first change of the list is a diff already: D on the row shows it.
    typed(&mut state, "/^web$\rD");
    let screen = state
        .front_as::<kx::tui::screens::diff::DiffScreen>()
        .expect("the diff screen");
    let diff = &screen.diff;
    let newest = diff.rows.first().expect("a revision");
    assert_eq!(
        (newest.change.label(), newest.summary.as_str()),
        ("MODIFIED", "spec.replicas 3→5"),
        "{:?}",
        diff.rows
    );
    let text = screen.object.pane.lines.join("\n");
    assert!(
        text.contains("-  replicas: 3") && text.contains("+  replicas: 5"),
        "{text}"
    );
    watch.abort();

    // A list over the size takes rows only, as before (100k pods stay fast).
    let pods = resolve("pods", &resources, &[]).expect("pods").clone();
    let (tx, mut rx) = mpsc::channel(1024);
    let watch = tokio::spawn(run(
        client.clone(),
        pods,
        Scope::default(),
        tx,
        Paging {
            page_size: 100,
            whole_up_to: 3,
        },
    ));
    let mut store = RowStore::default();
    let mut revisions = 0;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !store.loaded {
        let msg = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .expect("the pod list in time")
            .expect("watch running");
        revisions += usize::from(matches!(msg, WatchMsg::Revision(_)));
        store.apply(msg, 0);
    }
    assert!(store.len() > 3);
    assert_eq!(store.whole_objects, Some(false));
    assert_eq!(revisions, 0, "rows only");
    watch.abort();
    c.sim.stop().await;
}
