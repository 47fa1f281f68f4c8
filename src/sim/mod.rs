//! `kx sim`: a simulated Kubernetes API server on loopback, for the demo, tests and benchmarks.
//! It speaks the real API (the real kubectl works against it), so kx reaches it through the
//! same client code it uses against a real cluster.

pub mod cluster;
mod connect;
pub mod controllers;
pub mod errors;
pub mod faults;
pub mod fields;
mod format;
mod http;
pub mod kubelet;
pub mod logs;
mod logstream;
mod metrics;
pub(crate) mod normalize;
pub mod objects;
mod openapi;
pub mod patch;
mod ports;
mod protobuf;
pub mod registry;
pub mod scenario;
pub mod selector;
pub mod server;
pub mod shell;
mod spdy;
pub mod store;
pub mod table;
mod watch;

use anyhow::{Context, Result};
use base64::Engine;
use cluster::Cluster;
use faults::FaultSettings;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::watch as tokio_watch;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Scenario {
    /// A few namespaces with deployments, a statefulset, a crash-looping pod, jobs and a CRD.
    Demo,
    /// Many running pods (see --pods and --namespaces), for benchmarks.
    Scale,
    /// Only the default namespace.
    Empty,
}

#[derive(Debug, Clone)]
pub struct SimOptions {
    pub listen: SocketAddr,
    pub scenario: Scenario,
    pub namespaces: usize,
    pub pods: usize,
    pub churn_per_sec: f64,
    pub log_lines_per_sec: f64,
    pub seed: u64,
    pub tls: bool,
    pub kubeconfig_out: Option<PathBuf>,
    /// Context, cluster and user name in the kubeconfig.
    pub context_name: String,
    /// With TLS: the bearer token to require (default: a random one).
    pub token: Option<String>,
    pub faults: FaultSettings,
    /// How many recent changes a watch can resume from before it gets 410 Gone.
    pub history: usize,
    /// Serve `metrics.k8s.io` (pod and node usage, as metrics-server does).
    pub metrics: bool,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            scenario: Scenario::Demo,
            namespaces: 10,
            pods: 1000,
            churn_per_sec: 0.0,
            log_lines_per_sec: 1.0,
            seed: 1,
            tls: false,
            kubeconfig_out: None,
            context_name: "kx-sim".to_string(),
            token: None,
            faults: FaultSettings::default(),
            history: 20_000,
            metrics: true,
        }
    }
}

/// A running simulator. Dropping it does not stop it: call `stop`.
pub struct SimHandle {
    pub addr: SocketAddr,
    pub cluster: Arc<Cluster>,
    /// A kubeconfig (context `kx-sim` unless named otherwise) for this simulator.
    pub kubeconfig: String,
    pub token: Option<String>,
    pub ca_pem: Option<String>,
    /// With TLS: the CA, to issue client certificates it accepts.
    pub ca: Option<Arc<server::ClientCa>>,
    shutdown: tokio_watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl SimHandle {
    pub fn url(&self) -> String {
        let scheme = if self.token.is_some() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{}", self.addr)
    }

    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
    }
}

fn kubeconfig_yaml(name: &str, server: &str, ca_pem: Option<&str>, token: Option<&str>) -> String {
    let mut cluster = format!("    server: {server}\n");
    if let Some(ca) = ca_pem {
        let b64 = base64::engine::general_purpose::STANDARD.encode(ca);
        cluster.push_str(&format!("    certificate-authority-data: {b64}\n"));
    }
    let user = match token {
        Some(t) => format!("    token: {t}\n"),
        None => format!("    username: {name}\n"),
    };
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: {name}\n  cluster:\n{cluster}contexts:\n- name: {name}\n  context:\n    cluster: {name}\n    user: {name}\n    namespace: default\ncurrent-context: {name}\npreferences: {{}}\nusers:\n- name: {name}\n  user:\n{user}"
    )
}

/// Builds the scenario, binds, writes the kubeconfig if asked, and starts serving.
pub async fn start(opts: SimOptions) -> Result<SimHandle> {
    let cluster = Cluster::new(opts.seed, opts.history, opts.log_lines_per_sec);
    cluster
        .metrics
        .store(opts.metrics, std::sync::atomic::Ordering::Relaxed);
    cluster.faults.set(opts.faults.clone());
    let listener = tokio::net::TcpListener::bind(opts.listen).await.map_err(|e| {
        if e.kind() == std::io::ErrorKind::AddrInUse {
            anyhow::anyhow!("cannot listen on {}: the address is already in use (pick another port, or 127.0.0.1:0 for any free one)", opts.listen)
        } else {
            anyhow::anyhow!("cannot listen on {}: {e}", opts.listen)
        }
    })?;
    let addr = listener.local_addr()?;
    match opts.scenario {
        Scenario::Demo => scenario::demo(&cluster)?,
        Scenario::Scale => scenario::scale(&cluster, opts.namespaces, opts.pods)?,
        Scenario::Empty => {
            let ns = cluster
                .find_type("", "v1", "namespaces")
                .context("namespaces type")?;
            cluster
                .create(
                    &ns,
                    "",
                    serde_json::json!({"metadata": {"name": "default"}}),
                )
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        }
    }
    let (tls, ca_pem, token, ca) = if opts.tls {
        let material = server::make_tls()?;
        let token = opts
            .token
            .clone()
            .unwrap_or_else(|| format!("kx-sim-{}", cluster.random_suffix(24)));
        (
            Some(material.acceptor),
            Some(material.ca_pem),
            Some(token),
            Some(material.ca),
        )
    } else {
        (None, None, None, None)
    };
    let scheme = if opts.tls { "https" } else { "http" };
    let kubeconfig = kubeconfig_yaml(
        &opts.context_name,
        &format!("{scheme}://{addr}"),
        ca_pem.as_deref(),
        token.as_deref(),
    );
    if let Some(path) = &opts.kubeconfig_out {
        write_private(path, &kubeconfig)
            .with_context(|| format!("writing the kubeconfig to {}", path.display()))?;
    }
    let (shutdown, shutdown_rx) = tokio_watch::channel(false);
    let state = Arc::new(http::ServerState {
        cluster: cluster.clone(),
        token: token.clone(),
        address: addr.to_string(),
    });
    let controllers = controllers::Controllers::new(
        cluster.clone(),
        opts.churn_per_sec,
        opts.scenario == Scenario::Demo,
    )
    .map_err(anyhow::Error::msg)?;
    let events = cluster.subscribe();
    let tasks = vec![
        tokio::spawn(controllers.run(events, shutdown_rx.clone())),
        tokio::spawn(server::serve(listener, addr, state, tls, shutdown_rx)),
    ];
    Ok(SimHandle {
        addr,
        cluster,
        kubeconfig,
        token,
        ca_pem,
        ca,
        shutdown,
        tasks,
    })
}

/// Writes a file only its owner can read (it may hold a bearer token).
fn write_private(path: &std::path::Path, content: &str) -> std::io::Result<()> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    opts.mode(0o600);
    let mut f = opts.open(path)?;
    f.write_all(content.as_bytes())
}
