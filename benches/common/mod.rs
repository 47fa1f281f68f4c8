//! What the scale benchmarks share: the release `kx sim` with the scale scenario, a client of
//! it built as kx builds its own, and the process's memory from /proc.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::BufRead;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

/// A field of /proc/PID/status in KiB (`VmRSS:`, `VmHWM:`); PID may be `self`.
pub fn status_kib(pid: &str, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// `kx sim --scenario scale` over 100 namespaces, stopped and cleaned up on drop.
pub struct ScaleSim {
    child: Child,
    dir: PathBuf,
    pub kubeconfig: PathBuf,
}

impl ScaleSim {
    /// Starts it and waits until it listens. Needs `cargo build --release` first.
    pub fn start(pods: usize, churn: u32) -> ScaleSim {
        let dir = std::env::temp_dir().join(format!("kx-bench-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let kubeconfig = dir.join("kubeconfig");
        let bin = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/kx");
        let mut child = Command::new(&bin)
            .args(["sim", "--scenario", "scale", "--namespaces", "100"])
            .args(["--pods", &pods.to_string(), "--churn", &churn.to_string()])
            .arg("--kubeconfig-out")
            .arg(&kubeconfig)
            .stdout(Stdio::piped())
            .spawn()
            .expect("target/release/kx exists (cargo build --release)");
        let mut first = String::new();
        std::io::BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut first)
            .expect("address");
        ScaleSim {
            child,
            dir,
            kubeconfig,
        }
    }

    pub async fn client(&self) -> kube::Client {
        let kc = kube::config::Kubeconfig::read_from(&self.kubeconfig).expect("kubeconfig");
        let config = kube::Config::from_custom_kubeconfig(kc, &Default::default())
            .await
            .expect("config");
        kx::cluster::connect::client(config).expect("client")
    }
}

impl Drop for ScaleSim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// kx's watch layer on all pods, as the explorer runs it, until the first complete list: how
/// long it took, the rows, and the watch's messages from then on.
pub async fn first_list(
    client: kube::Client,
) -> (
    std::time::Duration,
    kx::cluster::store::RowStore,
    tokio::sync::mpsc::Receiver<kx::cluster::watch::WatchMsg>,
) {
    use kx::cluster::watch::WatchMsg;
    let resources = kx::cluster::discovery::discover(&client)
        .await
        .expect("discovery");
    let pods = kx::cluster::discovery::resolve("pods", &resources, &[])
        .expect("pods")
        .clone();
    let (tx, mut rx) = tokio::sync::mpsc::channel(4096);
    let started = std::time::Instant::now();
    tokio::spawn(kx::cluster::watch::run(
        client,
        pods,
        kx::cluster::watch::Scope::default(),
        tx,
        kx::cluster::watch::Paging::rows(kx::cluster::watch::PAGE_SIZE),
    ));
    let mut store = kx::cluster::store::RowStore::default();
    while !store.loaded {
        match rx.recv().await {
            Some(msg @ WatchMsg::Error(_)) => panic!("{msg:?}"),
            Some(msg) => store.apply(msg, 0),
            None => panic!("the watch ended"),
        }
    }
    (started.elapsed(), store, rx)
}
