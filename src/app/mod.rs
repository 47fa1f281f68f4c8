//! The interactive explorer. For now one live screen — every pod the context can see, kept
//! current by a watch — which the explorer (issue 3) grows from.

mod state;
mod view;

use crate::cli::Connection;
use anyhow::{Context, Result};
use crossterm::event::{Event as TermEvent, EventStream, KeyEventKind};
use futures::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client, Config};
use state::{Action, BackendMsg, State};
use std::time::Duration;
use tokio::sync::mpsc;

/// Builds the client config the way kubectl does: --kubeconfig, else $KUBECONFIG, else
/// ~/.kube/config, else in-cluster.
pub async fn client_config(conn: &Connection) -> Result<Config> {
    let options = kube::config::KubeConfigOptions {
        context: conn.context.clone(),
        ..Default::default()
    };
    match &conn.kubeconfig {
        Some(path) => {
            let kc = kube::config::Kubeconfig::read_from(path)
                .with_context(|| format!("reading the kubeconfig {}", path.display()))?;
            Config::from_custom_kubeconfig(kc, &options)
                .await
                .with_context(|| format!("using the kubeconfig {}", path.display()))
        }
        None if conn.context.is_some() => Config::from_kubeconfig(&options)
            .await
            .context("loading the kubeconfig"),
        None => Config::infer()
            .await
            .context("finding a cluster (no kubeconfig, no in-cluster config); try --demo"),
    }
}

pub async fn run(conn: Connection, demo: bool, theme: Option<String>) -> Result<()> {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let settings =
        crate::config::Config::load(crate::config::config_dir(), theme.as_deref(), no_color);
    let (config, sim, context) = if demo {
        let sim = crate::sim::start(crate::sim::SimOptions::default())
            .await
            .context("starting the demo cluster")?;
        let kc =
            kube::config::Kubeconfig::from_yaml(&sim.kubeconfig).context("the demo kubeconfig")?;
        let config = Config::from_custom_kubeconfig(kc, &Default::default()).await?;
        (config, Some(sim), "kx-sim (demo)".to_string())
    } else {
        let config = client_config(&conn).await?;
        let context = conn
            .context
            .clone()
            .unwrap_or_else(|| "current context".to_string());
        (config, None, context)
    };
    let namespace = if conn.all_namespaces {
        None
    } else {
        conn.namespace.clone()
    };
    let client = crate::cluster::connect(config)?;
    let result = run_ui(client, namespace, context, settings).await;
    if let Some(sim) = sim {
        sim.stop().await;
    }
    result
}

fn watch_pods(client: Client, namespace: Option<String>, tx: mpsc::Sender<BackendMsg>) {
    tokio::spawn(async move {
        let api: Api<Pod> = match &namespace {
            Some(ns) => Api::namespaced(client, ns),
            None => Api::all(client),
        };
        let mut stream = watcher(api, watcher::Config::default())
            .default_backoff()
            .boxed();
        while let Some(event) = stream.next().await {
            let msg = match event {
                Ok(e) => BackendMsg::Pods(Box::new(e)),
                // Watcher errors are recoverable: the backoff retries; say so on screen meanwhile.
                Err(e) => BackendMsg::WatchError(e.to_string()),
            };
            if tx.send(msg).await.is_err() {
                return;
            }
        }
    });
}

async fn run_ui(
    client: Client,
    namespace: Option<String>,
    context: String,
    config: crate::config::Config,
) -> Result<()> {
    let (tx, mut rx) = mpsc::channel(1024);
    watch_pods(client, namespace.clone(), tx);
    let mut terminal = ratatui::init();
    let mut state = State::new(context, namespace);
    state.warnings = config.warnings.clone();
    let mut typed = Vec::new();
    let mut input = EventStream::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut dirty = true;
    let outcome: Result<()> = loop {
        if dirty {
            let now = jiff::Timestamp::now().as_second();
            if let Err(e) = terminal.draw(|f| view::draw(f, &state, &config.theme, now)) {
                break Err(e.into());
            }
            dirty = false;
        }
        let action = tokio::select! {
            ev = input.next() => match ev {
                Some(Ok(TermEvent::Key(key))) if key.kind == KeyEventKind::Press => state::key_action(&mut typed, key, &config.keys),
                Some(Ok(TermEvent::Resize(_, _))) => Some(Action::Redraw),
                Some(Err(e)) => break Err(e.into()),
                None => Some(Action::Quit),
                _ => None,
            },
            msg = rx.recv() => msg.map(Action::Backend),
            _ = tick.tick() => Some(Action::Redraw),
        };
        let Some(action) = action else { continue };
        // Coalesce whatever else the backend queued into this frame.
        let mut batch = vec![action];
        while let Ok(msg) = rx.try_recv() {
            batch.push(Action::Backend(msg));
        }
        for a in batch {
            state.update(a);
        }
        if state.quit {
            break Ok(());
        }
        dirty = true;
    };
    ratatui::restore();
    outcome
}
