//! The explorer's runtime against `kx sim`: an Effect in, the right Action back on the inbound
//! channel — a list opened, a save that fails, a context switch while a slow credential
//! plugin runs — and the loop itself with a console standing in for the terminal, which keeps
//! drawing and quits on `q` while the switch is still under way.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests and benches stop at the first surprise

mod common;

use common::TestCluster;
use common::console::{explorer, options, quit, typed};
use kx::cluster::connect::Source;
use kx::cluster::discovery::{discover, resolve};
use kx::cluster::watch::{Scope, WatchMsg};
use kx::config::keys::KeyMap;
use kx::tui::action::{Action, Effect, WatchKey};
use kx::tui::runtime::{Inbound, Runtime};
use kx::tui::session::Session;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// The next message that `pick` takes, within `secs`.
async fn next<T>(
    rx: &mut mpsc::Receiver<Inbound>,
    secs: u64,
    what: &str,
    mut pick: impl FnMut(Inbound) -> Option<T>,
) -> T {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        let msg = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
            .expect("the runtime is running");
        if let Some(t) = pick(msg) {
            return t;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watch_effect_comes_back_as_the_rows_of_the_list() {
    let c = TestCluster::start(false).await;
    let client = c.client().await;
    let resources = discover(&client).await.expect("discovery");
    let pods = resolve("pods", &resources, &[]).expect("pods").clone();
    let (mut runtime, mut rx) = Runtime::new(client, options(None));
    let key = WatchKey {
        resource: pods.full_name(),
        namespace: Some("shop".into()),
        labels: None,
        fields: None,
        epoch: 0,
    };
    let scope = Scope {
        namespace: Some("shop".into()),
        ..Default::default()
    };
    runtime.carry(Effect::Watch(key.clone(), Box::new(pods), scope));
    // The runtime's messages, applied to a store as the app applies them, come to hold what
    // kubectl lists (pods are still being created while the simulator starts).
    let mut store = kx::cluster::store::RowStore::default();
    let names = |out: String| {
        let mut n: Vec<String> = out
            .lines()
            .filter_map(|l| l.split_whitespace().next().map(str::to_string))
            .collect();
        n.sort();
        n
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let msg = next(&mut rx, 30, "the pods", |m| match m {
            Inbound::Action(Action::Watch(k, msg)) if k == key => Some(msg),
            _ => None,
        })
        .await;
        store.apply(msg, 0);
        if !store.loaded || !rx.is_empty() {
            continue;
        }
        let listed = names(
            c.kubectl_ok(&["get", "pods", "-n", "shop", "--no-headers"])
                .await,
        );
        let ours: Vec<String> = store.ordered().map(|r| r.name.clone()).collect();
        if ours == listed && !ours.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "kx {ours:?} vs kubectl {listed:?}"
        );
    }
    // A change made by someone else arrives as a live row.
    c.kubectl_ok(&["label", "pod", "--all", "-n", "shop", "checked=yes"])
        .await;
    next(&mut rx, 20, "a live change", |m| match m {
        Inbound::Action(Action::Watch(k, WatchMsg::Apply(row))) if k == key => Some(row),
        _ => None,
    })
    .await;
    c.sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_save_that_fails_says_why_and_one_that_works_says_how_much() {
    let c = TestCluster::start(false).await;
    let (mut runtime, mut rx) = Runtime::new(c.client().await, options(None));
    let bad = c.dir.path().join("no-such-dir/out.log");
    runtime.carry(Effect::Save(bad.display().to_string(), "a\nb\n".into()));
    let said = next(&mut rx, 10, "the failed save", |m| match m {
        Inbound::Action(Action::Saved(r)) => Some(r),
        _ => None,
    })
    .await;
    let err = said.expect_err("saving into a missing directory fails");
    assert!(
        err.starts_with(&format!("cannot save to {}: ", bad.display()))
            && err.contains("No such file"),
        "{err}"
    );
    let good = c.dir.path().join("out.log");
    runtime.carry(Effect::Save(good.display().to_string(), "a\nb\n".into()));
    let said = next(&mut rx, 10, "the save", |m| match m {
        Inbound::Action(Action::Saved(r)) => Some(r),
        _ => None,
    })
    .await;
    assert_eq!(said, Ok(format!("saved 2 lines to {}", good.display())));
    assert_eq!(std::fs::read_to_string(&good).expect("saved"), "a\nb\n");
    c.sim.stop().await;
}

/// A kubeconfig with the simulator's context and a second one, `slow`, whose credential
/// plugin takes `delay` seconds.
fn two_contexts(c: &TestCluster, delay: u64) -> std::path::PathBuf {
    let token = c.sim.token.clone().expect("a TLS simulator has a token");
    let plugin = c.dir.path().join("slow-plugin.sh");
    std::fs::write(
        &plugin,
        format!("#!/bin/sh\nsleep {delay}\nprintf '%s' '{{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{{\"token\":\"{token}\"}}}}'\n"),
    )
    .expect("write plugin");
    let mut kc: serde_yaml::Value = serde_yaml::from_str(&c.sim.kubeconfig).expect("kubeconfig");
    let user: serde_yaml::Value = serde_yaml::from_str(&format!(
        "name: slow\nuser:\n  exec:\n    apiVersion: client.authentication.k8s.io/v1\n    command: /bin/sh\n    args: [\"{}\"]\n    interactiveMode: Never\n",
        plugin.display()
    ))
    .expect("user");
    let context: serde_yaml::Value = serde_yaml::from_str(
        "name: slow\ncontext:\n  cluster: kx-sim\n  user: slow\n  namespace: shop\n",
    )
    .expect("context");
    if let Some(users) = kc["users"].as_sequence_mut() {
        users.push(user);
    }
    if let Some(contexts) = kc["contexts"].as_sequence_mut() {
        contexts.push(context);
    }
    let path = c.dir.path().join("two-contexts");
    std::fs::write(&path, serde_yaml::to_string(&kc).expect("yaml")).expect("write");
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_context_switch_runs_in_the_background_while_other_work_goes_on() {
    let c = TestCluster::start(true).await;
    let path = two_contexts(&c, 3);
    let source = Source {
        kubeconfig: Some(path.clone()),
        context: None,
        request_timeout: Some(Duration::from_secs(10)),
    };
    let (mut runtime, mut rx) = Runtime::new(c.client().await, options(Some(source)));
    let started = Instant::now();
    runtime.carry(Effect::SwitchContext("slow".into()));
    assert!(
        started.elapsed() < Duration::from_millis(200),
        "carrying the switch does not wait for the plugin: {:?}",
        started.elapsed()
    );
    // Other work is answered while the plugin runs.
    let out = c.dir.path().join("during.log");
    runtime.carry(Effect::Save(out.display().to_string(), "x\n".into()));
    next(&mut rx, 2, "the save during the switch", |m| match m {
        Inbound::Action(Action::Saved(Ok(_))) => Some(()),
        _ => None,
    })
    .await;
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "before the plugin is done"
    );
    let (client, info, namespace) = next(&mut rx, 20, "the switch", |m| match m {
        Inbound::Connected {
            client,
            info,
            namespace,
        } => Some((client, info, namespace)),
        Inbound::Action(Action::ContextFailed(e)) => panic!("the switch failed: {e}"),
        _ => None,
    })
    .await;
    assert!(
        started.elapsed() >= Duration::from_secs(3),
        "after the plugin answered"
    );
    assert_eq!(
        (info.name.as_str(), namespace.as_deref()),
        ("slow", Some("shop"))
    );
    // The new client works: discovery on it reports the cluster's resources.
    runtime.switched(client);
    let resources = next(&mut rx, 20, "discovery on the new context", |m| match m {
        Inbound::Action(Action::Discovered(r)) => Some(r),
        _ => None,
    })
    .await;
    assert!(resources.iter().any(|r| r.plural == "deployments"));
    // A context that does not exist fails in words, and nothing else changes.
    runtime.carry(Effect::SwitchContext("nowhere".into()));
    let failed = next(&mut rx, 10, "the failed switch", |m| match m {
        Inbound::Action(Action::ContextFailed(e)) => Some(e),
        _ => None,
    })
    .await;
    assert!(
        failed.starts_with("cannot switch to context nowhere: "),
        "{failed}"
    );
    c.sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_loop_keeps_drawing_during_a_slow_switch_and_q_still_quits() {
    let c = TestCluster::start(true).await;
    let path = two_contexts(&c, 5);
    let source = Source {
        kubeconfig: Some(path),
        context: None,
        request_timeout: Some(Duration::from_secs(10)),
    };
    let mut session = Session::new("kx-sim".into(), Some("shop".into()), KeyMap::load(None));
    session.contexts = vec!["kx-sim".into(), "slow".into()];
    let (task, keys, record) = explorer(c.client().await, session, Some(source));
    record.until_frame(" rows", 20).await;
    typed(&keys, ":ctx slow\r").await;
    record.until_frame("switching to slow…", 2).await;
    // Keys are still answered, with a frame each, while the plugin sleeps.
    let frames_before = record.frames.lock().map(|f| f.len()).unwrap_or(0);
    typed(&keys, "j").await;
    let deadline = Instant::now() + Duration::from_secs(2);
    while record.frames.lock().map(|f| f.len()).unwrap_or(0) <= frames_before {
        assert!(
            Instant::now() < deadline,
            "no frame for j during the switch"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(record.last_frame().contains("switching to slow…"));
    let quit_at = Instant::now();
    typed(&keys, "q").await;
    let result = tokio::time::timeout(Duration::from_secs(2), task)
        .await
        .expect("q quits while the switch is under way")
        .expect("the loop task");
    assert!(result.is_ok(), "{result:?}");
    assert!(
        quit_at.elapsed() < Duration::from_secs(2),
        "{:?}",
        quit_at.elapsed()
    );
    assert!(
        !record.any_frame("switched to context slow"),
        "quit before it finished"
    );
    c.sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finished_switch_reopens_the_list_in_the_new_context() {
    let c = TestCluster::start(true).await;
    let path = two_contexts(&c, 1);
    let source = Source {
        kubeconfig: Some(path),
        context: None,
        request_timeout: Some(Duration::from_secs(10)),
    };
    let mut session = Session::new("kx-sim".into(), Some("default".into()), KeyMap::load(None));
    session.contexts = vec!["kx-sim".into(), "slow".into()];
    let (task, keys, record) = explorer(c.client().await, session, Some(source));
    record.until_frame(" rows", 20).await;
    typed(&keys, ":ctx slow\r").await;
    record.until_frame("switched to context slow", 20).await;
    // The slow context's namespace is shop: its pods are listed.
    record.until_frame("ns: shop", 20).await;
    record.until_frame(" rows", 20).await;
    quit(&keys, task, 5).await;
    c.sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c_and_y_put_the_name_and_the_yaml_on_the_clipboard_also_through_failing_reads() {
    let c = TestCluster::start(false).await;
    let session = Session::new("kx-sim".into(), Some("shop".into()), KeyMap::load(None));
    let (task, keys, record) = explorer(c.client().await, session, None);
    record.until_frame(" rows", 20).await;
    let clipboard = || {
        record
            .clipboard
            .lock()
            .map(|c| c.clone())
            .unwrap_or_default()
    };
    typed(&keys, "c").await;
    record.until_frame("to the clipboard", 5).await;
    // The row under the cursor, as OSC 52 carries it.
    let frame = record.last_frame();
    let name = frame
        .lines()
        .find_map(|l| l.split("copied ").nth(1))
        .and_then(|rest| rest.split(" to the clipboard").next())
        .unwrap_or_default()
        .to_string();
    assert!(!name.is_empty(), "{frame}");
    assert_eq!(clipboard(), vec![kx::tui::clipboard::osc52(&name)]);
    // Y reads the object and copies its YAML, retrying through 503s.
    c.sim.cluster.faults.update(|f| {
        f.error_rate = 0.5;
        f.error_code = 503;
    });
    typed(&keys, "Y").await;
    record.until_frame("copied the YAML of pods/", 20).await;
    c.sim.cluster.faults.update(|f| f.error_rate = 0.0);
    let copies = clipboard();
    assert_eq!(copies.len(), 2, "{copies:?}");
    let yaml = copies[1]
        .strip_prefix("\x1b]52;c;")
        .and_then(|b| b.strip_suffix('\x07'))
        .and_then(|b| {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD.decode(b).ok()
        })
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    assert!(
        yaml.contains("kind: Pod") && yaml.contains(&format!("name: {name}")),
        "{yaml}"
    );
    assert!(!yaml.contains("managedFields"), "{yaml}");
    quit(&keys, task, 5).await;
    c.sim.stop().await;
}
