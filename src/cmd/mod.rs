//! The command-line front ends: thin layers that turn flags into calls of the engines below
//! (logs, diff, edit, trace, the TUI) and print what comes back. Nothing here is used by the
//! layers below; the arrows point down: `main → cmd → tui → engines → cluster`.

pub mod changes;
pub mod config;
pub mod edit;
pub mod explain;
pub mod forward;
pub mod import;
pub mod lint;
pub mod logs;
pub mod shell;
pub mod sim;
pub mod term;
pub mod trace;

use crate::cli::{Cli, Command, Connection, WriteFlags};
use crate::cluster::backoff::retry_until;
use crate::cluster::object::ObjectRef;
use anyhow::{Context, Result};
use std::process::ExitCode;

/// Runs the command the user asked for.
pub async fn run(cli: Cli) -> Result<ExitCode> {
    crate::paint::choose(cli.color.into());
    match cli.command {
        Some(Command::Sim(args)) => sim::run(*args).await,
        Some(Command::Logs(args)) => logs::run(cli.connection, *args).await,
        Some(Command::Changes(args)) => changes::run(cli.connection, args, false).await,
        Some(Command::Status(args)) => changes::run(cli.connection, args, true).await,
        Some(Command::Trace(args)) => trace::run(cli.connection, args).await,
        Some(Command::Edit(args)) => edit::run(cli.connection, args, cli.writes).await,
        Some(Command::Shell(args)) => shell::run(cli.connection, args).await,
        Some(Command::PortForward(args)) => forward::run(cli.connection, args).await,
        Some(Command::Lint(args)) => lint::run(cli.connection, args).await,
        Some(Command::Explain(args)) => explain::run(cli.connection, args).await,
        Some(Command::Config { action }) => config::run(action, cli.theme.as_deref()),
        Some(Command::Completion { shell }) => {
            // The shell calls back into this binary: by name when it was found on PATH, else
            // by its full path.
            let argv0 = std::env::args().next().unwrap_or_else(|| "kx".into());
            let completer = if argv0.contains('/') {
                std::env::current_exe()
                    .map(|p| p.display().to_string())
                    .unwrap_or(argv0)
            } else {
                argv0
            };
            match crate::complete::registration(&shell, &completer) {
                Ok(script) => {
                    print!("{script}");
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    eprintln!("kx completion: {e}");
                    Ok(ExitCode::from(2))
                }
            }
        }
        Some(Command::Import {
            from: crate::cli::ImportFrom::K9s(args),
        }) => import::run_k9s(args),
        None => {
            explore(
                &cli.connection,
                cli.demo,
                cli.theme,
                cli.writes,
                None,
                cli.forwards,
            )
            .await?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Runs the explorer from the command line's options; with `demo`, against a simulated
/// cluster started here and stopped after.
pub async fn explore(
    conn: &Connection,
    demo: bool,
    theme: Option<String>,
    writes: WriteFlags,
    initial_logs: Option<crate::tui::LogRequest>,
    forwards: Vec<String>,
) -> Result<()> {
    let sim = if demo {
        let sim = crate::sim::start(crate::sim::SimOptions::default())
            .await
            .context("starting the demo cluster")?;
        Some(sim)
    } else {
        None
    };
    let target = match &sim {
        Some(sim) => crate::tui::Target::Demo(sim.kubeconfig.clone()),
        None => crate::tui::Target::Kubeconfig(conn.source()),
    };
    let launch = crate::tui::Launch {
        target,
        all_namespaces: conn.all_namespaces,
        namespace: conn.namespace.first().cloned(),
        theme,
        readonly: writes.readonly,
        no_preview: writes.no_preview,
        request_timeout: conn.request_timeout,
        initial_logs,
        forwards,
    };
    let result = crate::tui::run(launch).await;
    if let Some(sim) = sim {
        sim.stop().await;
    }
    result
}

/// Connects as `-n`/`--context` say: the client, the namespace (`-n`, else the context's) and
/// the server's URL (for messages).
pub async fn connect_in_namespace(conn: &Connection) -> Result<(kube::Client, String, String)> {
    let found = crate::cluster::connect::find(&conn.source()).await?;
    let namespace = conn
        .namespace
        .first()
        .cloned()
        .unwrap_or_else(|| found.config.default_namespace.clone());
    let url = found.config.cluster_url.to_string();
    let client = crate::cluster::connect::client(found.config)?;
    Ok((client, namespace, url))
}

/// Connects and resolves KIND/NAME (kinds by any name discovery knows, close matches for
/// typos) to the object, in `-n` or the context's namespace. The first contact is one-shot:
/// retried while the server is away, for at most `--request-timeout`.
pub async fn connect_target(conn: &Connection, target: &str) -> Result<(kube::Client, ObjectRef)> {
    let found = crate::cluster::connect::find(&conn.source()).await?;
    let default_ns = found.config.default_namespace.clone();
    let url = found.config.cluster_url.to_string();
    let client = crate::cluster::connect::client(found.config)?;
    let mut said = false;
    let resources = retry_until(
        url.trim_end_matches('/'),
        conn.request_timeout,
        || crate::cluster::discovery::discover(&client),
        |trouble| {
            if !std::mem::replace(&mut said, true) {
                eprintln!(
                    "kx: {}; retrying for up to {} (--request-timeout)",
                    trouble.error,
                    crate::duration::human(conn.request_timeout)
                );
            }
        },
    )
    .await?;
    let namespace = conn.namespace.first().cloned().unwrap_or(default_ns);
    let target = crate::cluster::target::resolve_target(target, &resources, &[], &namespace)
        .map_err(anyhow::Error::msg)?;
    Ok((client, target))
}
