//! The runtime's side of shells, attaches and port-forwards: reading the pod or target first
//! (so the app can ask for a container or a port), running a session on the terminal, and
//! starting forwards whose news reaches the app as actions.

use super::action::{Action, ExecReport, ExecRequest, ForwardRow};
use super::runtime::Inbound;
use crate::cluster::errors::classify;
use crate::cluster::object::ObjectRef;
use crate::remote::exec::{self, DETACH_NAME, Ended, Mode, Target};
use crate::remote::forward::{self, Forward, Spec, State};
use crate::remote::{pods, ports};
use std::io::Write;
use std::sync::atomic::Ordering;
use tokio::sync::mpsc;

async fn get(client: kube::Client, target: &ObjectRef) -> Result<serde_json::Value, String> {
    let obj = crate::cluster::object::dynamic_api(client, target)
        .get(&target.name)
        .await
        .map_err(|e| classify(&e).to_string())?;
    serde_json::to_value(obj).map_err(|e| e.to_string())
}

/// The container of a shell or attach: the one given, the pod's default, or a choice.
pub async fn prepare_exec(
    client: kube::Client,
    target: ObjectRef,
    container: Option<String>,
    attach: bool,
) -> Action {
    // Bounded: until it answers, no other shell can start.
    let read = tokio::time::timeout(std::time::Duration::from_secs(15), get(client, &target)).await;
    let pod = match read {
        Ok(Ok(p)) => p,
        Ok(Err(e)) => return Action::ExecFailed(format!("{}: {e}", target.display())),
        Err(_) => {
            return Action::ExecFailed(format!(
                "{}: the API server did not answer in 15 s; try again",
                target.display()
            ));
        }
    };
    let phase = pod["status"]["phase"].as_str().unwrap_or("Pending");
    if phase != "Running" {
        return Action::ExecFailed(format!(
            "pod {} is {phase}, not running: no {} possible",
            target.name,
            if attach { "attach" } else { "shell" }
        ));
    }
    match pods::choose_container(&pod, container.as_deref()) {
        Ok(container) => Action::ExecReady(ExecRequest {
            target: Target {
                namespace: target.namespace.clone().unwrap_or_default(),
                pod: target.name.clone(),
                container,
            },
            mode: if attach {
                Mode::Attach
            } else {
                Mode::Shell(Vec::new())
            },
        }),
        Err(containers) => Action::ExecChoose {
            target,
            containers,
            attach,
        },
    }
}

/// Runs a shell or an attach on the terminal the UI has let go of.
pub async fn exec(client: kube::Client, request: ExecRequest) -> ExecReport {
    let t = &request.target;
    let intro = match &request.mode {
        Mode::Attach => format!(
            "Attaching to {}/{} in {} — detach with {DETACH_NAME}\r\n",
            t.pod, t.container, t.namespace
        ),
        _ => format!(
            "Shell in {}/{} in {} — `exit` returns to kx (~. after Enter leaves a dead connection)\r\n",
            t.pod, t.container, t.namespace
        ),
    };
    let mut out = std::io::stdout();
    let _ = out.write_all(intro.as_bytes());
    let _ = out.flush();
    let result = exec::interactive(client, t, &request.mode)
        .await
        .map_err(|e| e.to_string());
    ExecReport { request, result }
}

/// What the footer says once a session on the terminal ended.
pub fn ended_message(report: &ExecReport) -> Result<String, String> {
    let t = &report.request.target;
    let what = if report.request.mode == Mode::Attach {
        "attach to"
    } else {
        "shell in"
    };
    match &report.result {
        Ok(Ended::Exited(code)) => Ok(format!(
            "{what} {}/{} exited with status {code}",
            t.pod, t.container
        )),
        Ok(Ended::Detached) => Ok(format!("detached from {}/{}", t.pod, t.container)),
        Ok(Ended::Left) => Ok(format!(
            "left {what} {}/{} with ~. (what runs there may go on)",
            t.pod, t.container
        )),
        Ok(Ended::NoShell(tried)) => Err(format!(
            "container {} of pod {} has no shell (tried {}): a distroless image; use logs, or an ephemeral debug container",
            t.container,
            t.pod,
            tried.join(", ")
        )),
        Err(e) => Err(format!("{what} {}/{}: {e}", t.pod, t.container)),
    }
}

/// The ports a target offers to the port picker.
pub async fn offers(client: kube::Client, target: ObjectRef) -> Action {
    match get(client, &target).await {
        Ok(obj) => Action::ForwardOffers {
            offers: ports::offers(&target.resource.kind, &obj),
            target,
        },
        Err(e) => Action::Failed(format!("{}: {e}", target.display())),
    }
}

/// Starts a forward in the background: the runtime adopts it once it listens; its news
/// becomes `ForwardEvent`s.
pub fn start_forward(client: kube::Client, id: u64, spec: Spec, out: mpsc::Sender<Inbound>) {
    tokio::spawn(async move {
        let (tx, mut events) = mpsc::unbounded_channel();
        let what = spec.target();
        match forward::start(client, spec, tx).await {
            Ok(fwd) => {
                let mut said = format!("forwarding {} → {what} (:pf lists forwards)", fwd.local);
                for note in &fwd.notes {
                    said.push_str("; ");
                    said.push_str(note);
                }
                let local = fwd.local.to_string();
                let _ = out.send(Inbound::Forwarding(id, fwd)).await;
                let _ = out
                    .send(Inbound::Action(Action::ForwardStarted(said)))
                    .await;
                while let Some(e) = events.recv().await {
                    if out
                        .send(Inbound::Action(Action::ForwardEvent(id, local.clone(), e)))
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
            }
            Err(e) => {
                let _ = out
                    .send(Inbound::Action(Action::Failed(format!(
                        "port-forward {what}: {e}"
                    ))))
                    .await;
            }
        }
    });
}

pub fn row(id: u64, f: &Forward) -> ForwardRow {
    let (pod, state) = f.stats.status();
    let (state, serving) = match state {
        State::Serving => ("serving".to_string(), true),
        State::Waiting(why) => (format!("waiting: {why}"), false),
        State::Stopped(why) => (format!("stopped: {why}"), false),
    };
    ForwardRow {
        id,
        local: f.local.to_string(),
        target: f.spec.target(),
        pod: pod.unwrap_or_else(|| "-".into()),
        open: f.stats.open.load(Ordering::Relaxed),
        total: f.stats.total.load(Ordering::Relaxed),
        sent: f.stats.sent.load(Ordering::Relaxed),
        received: f.stats.received.load(Ordering::Relaxed),
        state,
        serving,
    }
}
