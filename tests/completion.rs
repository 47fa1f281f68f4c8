//! `kx completion SHELL` and the completions the shell then asks kx for, as a shell asks
//! (`KX_COMPLETE=fish kx -- WORDS`): subcommands and flags, and live values from a running
//! simulator — contexts, namespaces, pods, KIND/NAMEs — within the time limit when the
//! server does not answer.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests stop at the first surprise

mod common;

use common::TestCluster;
use std::path::Path;
use std::time::{Duration, Instant};
use tokio::process::Command;

async fn complete(kubeconfig: &Path, words: &[&str], extra: &[(&str, &str)]) -> Vec<String> {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kx"));
    c.env("KX_COMPLETE", "fish")
        .env("KUBECONFIG", kubeconfig)
        .arg("--")
        .arg("kx")
        .args(words);
    for (k, v) in extra {
        c.env(k, v);
    }
    let out = tokio::time::timeout(Duration::from_secs(20), c.output())
        .await
        .expect("a completion answers")
        .expect("kx runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.split('\t').next().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn the_scripts_for_each_shell_are_generated_and_bash_parses_its_own() {
    for (shell, expected) in [
        ("bash", "complete -o nospace"),
        ("zsh", "compdef"),
        ("fish", "complete --keep-order --exclusive --command kx"),
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_kx"))
            .args(["completion", shell])
            .output()
            .expect("kx runs");
        let script = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success() && script.contains(expected),
            "{shell}: {script}"
        );
        assert!(script.contains("KX_COMPLETE"), "{shell}: {script}");
        if shell == "bash" {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("kx.bash");
            std::fs::write(&path, &script).unwrap();
            let check = std::process::Command::new("bash")
                .arg("-n")
                .arg(&path)
                .output()
                .expect("bash runs");
            assert!(
                check.status.success(),
                "{}",
                String::from_utf8_lossy(&check.stderr)
            );
        }
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kx"))
        .args(["completion", "tcsh"])
        .output()
        .expect("kx runs");
    assert_eq!(out.status.code(), Some(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_values_come_from_the_running_simulator() {
    let c = TestCluster::start(false).await;
    let kc = c.kubeconfig();
    let subcommands = complete(&kc, &["ex"], &[]).await;
    assert_eq!(subcommands, vec!["explain"]);
    let flags = complete(&kc, &["logs", "web", "--ti"], &[]).await;
    assert!(flags.iter().any(|f| f == "--timestamps"), "{flags:?}");
    let contexts = complete(&kc, &["--context", ""], &[]).await;
    assert_eq!(contexts, vec!["kx-sim"]);
    let namespaces = complete(&kc, &["-n", "sh"], &[]).await;
    assert_eq!(namespaces, vec!["shop"]);
    // Kinds first, then the kind's objects in the context's namespace, as kubectl lists them.
    let kinds = complete(&kc, &["edit", "dep"], &[]).await;
    assert_eq!(kinds, vec!["deploy/"]);
    let listed = c
        .kubectl_ok(&["get", "deploy", "-o", "name"])
        .await
        .lines()
        .map(|l| l.replace("deployment.apps/", "deploy/"))
        .collect::<Vec<_>>();
    let mut deployments = complete(&kc, &["edit", "deploy/"], &[]).await;
    deployments.sort();
    let mut listed = listed;
    listed.sort();
    assert!(!listed.is_empty());
    assert_eq!(deployments, listed);
    // An empty word also offers the flags; the rest are the pods.
    let pods: Vec<String> = complete(&kc, &["logs", ""], &[])
        .await
        .into_iter()
        .filter(|w| !w.starts_with('-'))
        .collect();
    let kubectl_pods = c.kubectl_ok(&["get", "pods", "-o", "name"]).await;
    assert!(!pods.is_empty());
    for p in &pods {
        assert!(
            kubectl_pods.contains(&format!("pod/{p}")),
            "{p} not in {kubectl_pods}"
        );
    }
    c.sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_never_answers_gives_no_suggestions_within_the_time_limit() {
    // Accepts connections and never says a word.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let _keep = std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in listener.incoming() {
            held.push(s);
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let kc = dir.path().join("kubeconfig");
    std::fs::write(
        &kc,
        format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: silent\nclusters:\n- name: silent\n  cluster:\n    server: http://127.0.0.1:{port}\ncontexts:\n- name: silent\n  context:\n    cluster: silent\n    user: u\n    namespace: default\nusers:\n- name: u\n  user:\n    token: t\n"
        ),
    )
    .unwrap();
    for (limit, ceiling) in [
        ("300", Duration::from_millis(2500)),
        ("1000", Duration::from_millis(3500)),
    ] {
        let started = Instant::now();
        let namespaces = complete(&kc, &["-n", ""], &[("KX_COMPLETE_TIMEOUT_MS", limit)]).await;
        let took = started.elapsed();
        assert!(namespaces.is_empty(), "{namespaces:?}");
        assert!(took < ceiling, "limit {limit} ms took {took:?}");
    }
    // A credential plugin that hangs (an expired SSO login waiting for a browser) does not
    // hold the shell either.
    let hung = dir.path().join("hung");
    std::fs::write(
        &hung,
        format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: hung\nclusters:\n- name: hung\n  cluster:\n    server: http://127.0.0.1:{port}\ncontexts:\n- name: hung\n  context:\n    cluster: hung\n    user: u\nusers:\n- name: u\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: sleep\n      args: [\"30\"]\n      interactiveMode: Never\n"
        ),
    )
    .unwrap();
    let started = Instant::now();
    let namespaces = complete(&hung, &["-n", ""], &[("KX_COMPLETE_TIMEOUT_MS", "500")]).await;
    assert!(namespaces.is_empty(), "{namespaces:?}");
    assert!(
        started.elapsed() < Duration::from_millis(3000),
        "{:?}",
        started.elapsed()
    );
    // Local values still come: the context is read from the file, not the server.
    let contexts = complete(&kc, &["--context", ""], &[]).await;
    assert_eq!(contexts, vec!["silent"]);
}
