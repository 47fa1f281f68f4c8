//! Shared helpers for integration tests: an in-process `kx sim` and a real kubectl pointed at it.
#![allow(dead_code)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod console;

use kx::sim::{self, SimHandle, SimOptions};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;
use tokio::process::Command;

pub struct TestCluster {
    pub sim: SimHandle,
    pub dir: tempfile::TempDir,
}

impl TestCluster {
    pub async fn start(tls: bool) -> Self {
        Self::start_with(SimOptions {
            tls,
            ..SimOptions::default()
        })
        .await
    }

    pub async fn start_with(opts: SimOptions) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let kubeconfig = dir.path().join("kubeconfig");
        let sim = sim::start(SimOptions {
            kubeconfig_out: Some(kubeconfig),
            ..opts
        })
        .await
        .expect("the simulator starts");
        TestCluster { sim, dir }
    }

    /// A kube client for this simulator, built the way kx builds its own.
    pub async fn client(&self) -> kube::Client {
        let kc =
            kube::config::Kubeconfig::from_yaml(&self.sim.kubeconfig).expect("kubeconfig parses");
        let config = kube::Config::from_custom_kubeconfig(kc, &Default::default())
            .await
            .expect("config");
        kx::cluster::connect::client(config).expect("client")
    }

    pub fn kubeconfig(&self) -> PathBuf {
        self.dir.path().join("kubeconfig")
    }

    /// A kubectl command against this simulator, with its own discovery cache.
    pub fn kubectl(&self, args: &[&str]) -> Command {
        let kubectl = which_kubectl();
        let mut cmd = Command::new(kubectl);
        cmd.env("KUBECONFIG", self.kubeconfig())
            .env("KUBECACHEDIR", self.dir.path().join("cache"))
            .env("HOME", self.dir.path())
            .args(args)
            .stdin(Stdio::null())
            .kill_on_drop(true);
        cmd
    }

    /// Runs kubectl to completion; panics with its stderr when it fails.
    pub async fn kubectl_ok(&self, args: &[&str]) -> String {
        let out = tokio::time::timeout(Duration::from_secs(60), self.kubectl(args).output())
            .await
            .unwrap_or_else(|_| panic!("kubectl {args:?} did not finish in 60 s"))
            .expect("kubectl runs");
        assert!(
            out.status.success(),
            "kubectl {args:?} failed: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `kubectl get WHAT -o jsonpath=PATH`: one field of an object, as kubectl reads it.
    pub async fn jsonpath(&self, what: &[&str], path: &str) -> String {
        let mut args = vec!["get"];
        args.extend_from_slice(what);
        let path = format!("jsonpath={path}");
        args.extend(["-o", path.as_str()]);
        self.kubectl_ok(&args).await
    }

    /// Polls `check` with kubectl output until it holds, or fails after `secs`.
    pub async fn wait_for(&self, args: &[&str], secs: u64, check: impl Fn(&str) -> bool) -> String {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        loop {
            let out = self.kubectl_ok(args).await;
            if check(&out) {
                return out;
            }
            if tokio::time::Instant::now() > deadline {
                panic!(
                    "kubectl {args:?} never showed what the test waited for; last output:\n{out}"
                );
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }
}

/// The real kubectl; a clear failure when it is missing, never a silent skip.
pub fn which_kubectl() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        let candidate = dir.join("kubectl");
        if candidate.is_file() {
            return candidate;
        }
    }
    panic!(
        "kubectl is not installed or not on PATH: these tests prove the simulator against the real kubectl (install it, e.g. `apt-get install kubernetes-client` or the official binary)"
    );
}

/// Rows of `kubectl get` output (header dropped), split on whitespace.
pub fn rows(out: &str) -> Vec<Vec<String>> {
    out.lines()
        .skip(1)
        .map(|l| l.split_whitespace().map(str::to_string).collect())
        .collect()
}

/// Reads a child's output to the end in the background, as one string of lines.
pub fn read_all(
    r: impl tokio::io::AsyncRead + Unpin + Send + 'static,
) -> tokio::task::JoinHandle<String> {
    tokio::spawn(async move {
        use tokio::io::AsyncBufReadExt;
        let mut lines = tokio::io::BufReader::new(r).lines();
        let mut all = String::new();
        while let Ok(Some(l)) = lines.next_line().await {
            all.push_str(&l);
            all.push('\n');
        }
        all
    })
}

/// Sends ctrl-c (SIGINT) to a child, as a person stopping a follow would.
pub fn interrupt(child: &tokio::process::Child) {
    if let Some(pid) = child.id() {
        let _ = std::process::Command::new("kill")
            .args(["-INT", &pid.to_string()])
            .status();
    }
}
