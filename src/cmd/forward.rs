//! `kx port-forward TARGET [LOCAL:]REMOTE...`: kubectl's port-forward, except that a service
//! or workload is followed to its next ready pod (said on stderr each time), and a bare pod's
//! end is said and ends the command.

use crate::cli::{Connection, PortForwardArgs};
use crate::remote::forward::{self, Event, Spec};
use crate::remote::ports::PortPair;
use anyhow::{Result, anyhow, bail};
use std::process::ExitCode;
use tokio::sync::mpsc;

pub async fn run(conn: Connection, args: PortForwardArgs) -> Result<ExitCode> {
    let (kind, name) = forward::parse_target(&args.target).map_err(|e| anyhow!(e))?;
    let pairs: Vec<PortPair> = args
        .ports
        .iter()
        .map(|p| PortPair::parse(p))
        .collect::<Result<_, _>>()
        .map_err(|e| anyhow!(e))?;
    let address = match args.address.as_str() {
        "localhost" => std::net::IpAddr::from([127, 0, 0, 1]),
        a => a
            .parse()
            .map_err(|_| anyhow!("--address {a:?} is not an IP address"))?,
    };
    if conn.all_namespaces {
        anyhow::bail!("a port-forward targets one namespace: give -n NAMESPACE instead of -A");
    }
    let (client, namespace, _) = super::connect_in_namespace(&conn).await?;
    let (tx, mut events) = mpsc::unbounded_channel::<(usize, Event)>();
    let mut running = Vec::new();
    for (i, pair) in pairs.into_iter().enumerate() {
        let spec = Spec {
            namespace: namespace.clone(),
            kind: kind.clone(),
            name: name.clone(),
            remote: pair.remote.clone(),
            local: pair.local,
            address,
            patience: std::time::Duration::ZERO,
        };
        let (one_tx, mut one_rx) = mpsc::unbounded_channel();
        let all = tx.clone();
        tokio::spawn(async move {
            while let Some(e) = one_rx.recv().await {
                if all.send((i, e)).is_err() {
                    return;
                }
            }
        });
        // Anything already listening stops with `running` when one port fails.
        let fwd = forward::start(client.clone(), spec, one_tx).await?;
        for note in &fwd.notes {
            eprintln!("kx port-forward: {note}");
        }
        println!(
            "Forwarding from {} -> {} ({})",
            fwd.local, pair.remote, args.target
        );
        running.push(fwd);
    }
    drop(tx);
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => return Ok(ExitCode::SUCCESS),
            event = events.recv() => {
                let Some((i, event)) = event else { return Ok(ExitCode::SUCCESS) };
                let at = running.get(i).map(|f| f.local.to_string()).unwrap_or_default();
                match event {
                    Event::Serving { pod } => eprintln!("kx port-forward: {at}: serving from pod {pod}"),
                    Event::Moved { from, to } => eprintln!("kx port-forward: {at}: pod {from} is no longer ready; now forwarding to pod {to}"),
                    Event::Waiting(why) => eprintln!("kx port-forward: {at}: {why}; new connections wait for a ready pod"),
                    Event::ConnectionFailed(why) => eprintln!("kx port-forward: {at}: a connection failed: {why}"),
                    Event::Stopped(why) => bail!("{at}: {why}; stopping"),
                }
            }
        }
    }
}
