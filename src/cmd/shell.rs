//! `kx shell QUERY [-- CMD...]`: a shell (or a command) in a container of a ready pod that
//! QUERY matches, on the user's terminal; without a terminal the command runs with stdout
//! and stderr apart and kx exits with its exit code.

use crate::cli::{Connection, ShellArgs};
use crate::cluster::backoff::retry_until;
use crate::cluster::errors::classify;
use crate::remote::exec::{self, Ended, Mode, Target};
use crate::remote::pods;
use anyhow::{Result, anyhow, bail};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams};
use serde_json::Value;
use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

/// Asks on the terminal which of `choices` to use; None without a terminal.
fn ask(what: &str, choices: &[String]) -> Option<usize> {
    if !(std::io::stdin().is_terminal() && std::io::stderr().is_terminal()) {
        return None;
    }
    let mut err = std::io::stderr();
    let _ = writeln!(err, "{} {what}s match:", choices.len());
    for (i, c) in choices.iter().enumerate() {
        let _ = writeln!(err, "  {}) {c}", i + 1);
    }
    loop {
        let _ = write!(err, "which {what} (1-{})? ", choices.len());
        let _ = err.flush();
        let mut line = String::new();
        if std::io::stdin().lock().read_line(&mut line).ok()? == 0 {
            return None;
        }
        match line.trim().parse::<usize>() {
            Ok(n) if (1..=choices.len()).contains(&n) => return Some(n - 1),
            _ => {
                if let Some(i) = choices.iter().position(|c| c == line.trim()) {
                    return Some(i);
                }
            }
        }
    }
}

pub async fn run(conn: Connection, args: ShellArgs) -> Result<ExitCode> {
    if conn.all_namespaces {
        anyhow::bail!("a shell runs in one namespace: give -n NAMESPACE instead of -A");
    }
    let (client, namespace, url) = super::connect_in_namespace(&conn).await?;
    let limit = conn.request_timeout;
    let server = url.trim_end_matches('/');
    // Told once per step, then retried quietly until --request-timeout.
    let said = std::cell::Cell::new(false);
    let retrying = |trouble: &crate::cluster::backoff::Trouble| {
        if !said.replace(true) {
            eprintln!(
                "kx shell: {}; retrying for up to {} (--request-timeout)",
                trouble.error,
                crate::duration::human(limit)
            );
        }
    };
    let (regex, selector) = retry_until(
        server,
        limit,
        || super::logs::resolve_query(&client, &args.query, Some(&namespace)),
        retrying,
    )
    .await?;
    let pattern = regex::Regex::new(&regex)
        .map_err(|e| anyhow!("QUERY {:?} is not a valid regex: {e}", args.query))?;
    let api: Api<Pod> = Api::namespaced(client.clone(), &namespace);
    let mut params = ListParams::default();
    if let Some(sel) = &selector {
        params = params.labels(sel);
    }
    let listed = retry_until(
        server,
        limit,
        || async { api.list(&params).await.map_err(|e| classify(&e)) },
        retrying,
    )
    .await?;
    let mut matching: Vec<Value> = listed
        .items
        .into_iter()
        .filter(|p| pattern.is_match(p.metadata.name.as_deref().unwrap_or_default()))
        .filter_map(|p| serde_json::to_value(p).ok())
        .collect();
    matching.sort_by(|a, b| pods::name(a).cmp(pods::name(b)));
    let ready: Vec<&Value> = matching.iter().filter(|p| pods::is_ready(p)).collect();
    if matching.is_empty() {
        bail!("no pod matches {:?} in namespace {namespace}", args.query);
    }
    if ready.is_empty() {
        let states: Vec<String> = matching
            .iter()
            .take(5)
            .map(|p| {
                format!(
                    "{} ({})",
                    pods::name(p),
                    p["status"]["phase"].as_str().unwrap_or("unknown")
                )
            })
            .collect();
        bail!(
            "{} pod{} match {:?} in namespace {namespace}, none is ready: {}",
            matching.len(),
            if matching.len() == 1 { "" } else { "s" },
            args.query,
            states.join(", ")
        );
    }
    let names: Vec<String> = ready.iter().map(|p| pods::name(p).to_string()).collect();
    let pod = match ready.as_slice() {
        [one] => *one,
        several => match ask("pod", &names) {
            Some(i) => several[i],
            None => {
                eprintln!(
                    "kx shell: {} ready pods match; using {} (narrow QUERY to choose)",
                    several.len(),
                    names[0]
                );
                several[0]
            }
        },
    };
    let container = match pods::choose_container(pod, args.container.as_deref()) {
        Ok(c) => c,
        Err(options) => match ask("container", &options) {
            Some(i) => options[i].clone(),
            None => {
                let first = options.first().cloned().unwrap_or_default();
                eprintln!(
                    "kx shell: defaulted container {first:?} out of: {} (choose with -c)",
                    options.join(", ")
                );
                first
            }
        },
    };
    let target = Target {
        namespace: namespace.clone(),
        pod: pods::name(pod).to_string(),
        container,
    };
    let terminal = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    if !terminal {
        if args.command.is_empty() {
            bail!(
                "no terminal for a shell: give the command to run after -- (kx shell {} -- env)",
                args.query
            );
        }
        let code = exec::run(client, &target, args.command, args.stdin).await?;
        return Ok(exit_code(code));
    }
    let shells = if args.shell.is_empty() {
        crate::config::Config::load(crate::config::config_dir(), None, true)
            .settings
            .shells
    } else {
        args.shell.clone()
    };
    let mode = if args.command.is_empty() {
        Mode::Shell(shells)
    } else {
        Mode::Command(args.command)
    };
    match exec::interactive(client, &target, &mode).await? {
        Ended::Exited(0) => Ok(ExitCode::SUCCESS),
        Ended::Exited(code) => {
            eprintln!("command terminated with exit code {code}");
            Ok(exit_code(code))
        }
        Ended::Detached => Ok(ExitCode::SUCCESS),
        Ended::Left => {
            eprintln!("kx shell: left with ~.; what runs in the container may go on");
            Ok(ExitCode::from(255))
        }
        Ended::NoShell(tried) => Err(anyhow!(no_shell_message(&target, &tried))),
    }
}

pub fn no_shell_message(target: &Target, tried: &[String]) -> String {
    format!(
        "container {} of pod {} has no shell (tried {}): its image is likely distroless; run a program it has (kx shell {} -c {} -- /path/to/program), or debug it with an ephemeral container",
        target.container,
        target.pod,
        tried.join(", "),
        target.pod,
        target.container
    )
}

fn exit_code(code: i32) -> ExitCode {
    ExitCode::from(u8::try_from(code.clamp(0, 255)).unwrap_or(1))
}
