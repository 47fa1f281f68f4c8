//! The pods' connect subresources — `exec`, `attach` and `portforward` — over WebSocket
//! (`v5.channel.k8s.io`, `v4.channel.k8s.io`) as kube-rs and kubectl ≥ 1.31 speak them, and
//! port-forward over SPDY (kubectl's, plain or tunnelled in a WebSocket). Behind them: the
//! built-in shell (`shell`), the container's log as its main process's output (attach), and
//! what listens in the pod (`ports`).

use super::errors::ApiError;
use super::http::{ServerState, error_response};
use super::shell::{Machine, Shell};
use super::{ports, shell, spdy};
use axum::body::Body;
use axum::http::{HeaderMap, StatusCode, header, request::Parts};
use axum::response::Response;
use bytes::Bytes;
use futures::{SinkExt, StreamExt};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Exec,
    Attach,
    PortForward,
}

impl Verb {
    fn resource(self) -> &'static str {
        match self {
            Verb::Exec => "pods/exec",
            Verb::Attach => "pods/attach",
            Verb::PortForward => "pods/portforward",
        }
    }
}

/// `/api/v1/namespaces/NS/pods/NAME/{exec,attach,portforward}`
pub fn target(path: &str) -> Option<(String, String, Verb)> {
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    match segs.as_slice() {
        ["api", "v1", "namespaces", ns, "pods", name, sub] => {
            let verb = match *sub {
                "exec" => Verb::Exec,
                "attach" => Verb::Attach,
                "portforward" => Verb::PortForward,
                _ => return None,
            };
            Some((ns.to_string(), name.to_string(), verb))
        }
        _ => None,
    }
}

/// How often a session looks whether its pod is still there (a deleted pod's connections end).
const LIVENESS: Duration = Duration::from_millis(200);

const V5: &str = "v5.channel.k8s.io";
const V4: &str = "v4.channel.k8s.io";
const SPDY_TUNNEL: &str = "SPDY/3.1+portforward.k8s.io";

const STDIN: u8 = 0;
const STDOUT: u8 = 1;
const STDERR: u8 = 2;
const STATUS: u8 = 3;
const RESIZE: u8 = 4;
const CLOSE: u8 = 255;

pub async fn serve(
    state: &ServerState,
    mut parts: Parts,
    target: (String, String, Verb),
) -> Response {
    let (ns, name, verb) = target;
    match prepare(state, &parts, &ns, &name, verb) {
        Ok(plan) => upgrade(state, &mut parts, plan),
        Err(e) => error_response(&e),
    }
}

/// What a connect request asks for, checked before the connection is upgraded (so that a
/// person gets the API's error, not a dropped connection).
struct Plan {
    verb: Verb,
    pod: Value,
    uid: String,
    container: String,
    image: String,
    command: Vec<String>,
    stdin: bool,
    tty: bool,
    ports: Vec<u16>,
}

fn prepare(
    state: &ServerState,
    parts: &Parts,
    ns: &str,
    name: &str,
    verb: Verb,
) -> Result<Plan, ApiError> {
    let cluster = &state.cluster;
    if cluster
        .faults
        .settings()
        .forbids("create", verb.resource(), Some(name))
    {
        return Err(ApiError::new(
            403,
            "Forbidden",
            format!(
                "pods \"{name}\" is forbidden: User \"kx-sim\" cannot create resource \"{}\" in API group \"\" in the namespace \"{ns}\"",
                verb.resource()
            ),
        ));
    }
    let query: Vec<(String, String)> =
        serde_urlencoded::from_str(parts.uri.query().unwrap_or_default()).unwrap_or_default();
    let flag = |k: &str| {
        query
            .iter()
            .any(|(n, v)| n == k && (v == "true" || v == "1"))
    };
    let pods = cluster
        .find_type("", "v1", "pods")
        .ok_or_else(|| ApiError::new(404, "NotFound", "pods are not served"))?;
    let stored = cluster.get(&pods, ns, name)?;
    let pod = stored.value();
    let phase = pod["status"]["phase"]
        .as_str()
        .unwrap_or("Pending")
        .to_string();
    if matches!(phase.as_str(), "Succeeded" | "Failed") {
        let what = if verb == Verb::Attach {
            "attach to"
        } else {
            "exec into"
        };
        return Err(ApiError::bad_request(format!(
            "cannot {what} a container in a completed pod; current phase is {phase}"
        )));
    }
    let mut plan = Plan {
        verb,
        pod: Value::Null,
        uid: stored.uid.clone(),
        container: String::new(),
        image: String::new(),
        command: query
            .iter()
            .filter(|(k, _)| k == "command")
            .map(|(_, v)| v.clone())
            .collect(),
        stdin: flag("stdin"),
        tty: flag("tty"),
        ports: Vec::new(),
    };
    if verb == Verb::PortForward {
        if phase != "Running" {
            return Err(ApiError::bad_request(format!(
                "unable to upgrade connection: pod {name} is not running (phase {phase})"
            )));
        }
        for (k, v) in &query {
            if k == "ports" {
                for p in v.split(',').filter(|p| !p.is_empty()) {
                    let port =
                        p.trim()
                            .parse::<u16>()
                            .ok()
                            .filter(|p| *p > 0)
                            .ok_or_else(|| {
                                ApiError::bad_request(format!("invalid port value \"{p}\""))
                            })?;
                    plan.ports.push(port);
                }
            }
        }
        plan.pod = pod;
        return Ok(plan);
    }
    let containers: Vec<&Value> = pod["spec"]["containers"]
        .as_array()
        .into_iter()
        .flatten()
        .collect();
    let container = match query
        .iter()
        .find(|(k, v)| k == "container" && !v.is_empty())
    {
        Some((_, c)) => containers
            .iter()
            .find(|x| x["name"] == c.as_str())
            .copied()
            .ok_or_else(|| {
                ApiError::bad_request(format!("container {c} is not valid for pod {name}"))
            })?,
        None if containers.len() == 1 => containers[0],
        None => {
            let names: Vec<&str> = containers
                .iter()
                .filter_map(|c| c["name"].as_str())
                .collect();
            return Err(ApiError::bad_request(format!(
                "a container name must be specified for pod {name}, choose one of: [{}]",
                names.join(" ")
            )));
        }
    };
    plan.container = container["name"].as_str().unwrap_or_default().to_string();
    plan.image = container["image"].as_str().unwrap_or_default().to_string();
    let running = pod["status"]["containerStatuses"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["name"] == plan.container.as_str()))
        .is_some_and(|c| c["state"]["running"].is_object());
    if phase != "Running" || !running {
        return Err(ApiError::bad_request(format!(
            "unable to upgrade connection: container not found (\"{}\")",
            plan.container
        )));
    }
    if verb == Verb::Exec && plan.command.is_empty() {
        return Err(ApiError::bad_request("you must specify at least 1 command"));
    }
    plan.pod = pod;
    Ok(plan)
}

fn offered_protocols(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|p| p.trim().to_string())
        .collect()
}

fn upgrade(state: &ServerState, parts: &mut Parts, plan: Plan) -> Response {
    let upgrade_to = parts
        .headers
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let Some(on_upgrade) = parts.extensions.remove::<hyper::upgrade::OnUpgrade>() else {
        return error_response(&ApiError::bad_request("Upgrade request required"));
    };
    let cluster = state.cluster.clone();
    if upgrade_to == "spdy/3.1" {
        // kubectl's fallback when the WebSocket tunnel is refused: SPDY on the bare connection.
        if plan.verb != Verb::PortForward {
            return error_response(&ApiError::bad_request(
                "the simulator serves exec and attach over WebSocket only (v5.channel.k8s.io, v4.channel.k8s.io)",
            ));
        }
        tokio::spawn(async move {
            let Ok(upgraded) = on_upgrade.await else {
                return;
            };
            let open = opener(cluster.clone(), plan.pod.clone());
            let session = spdy::serve(TokioIo::new(upgraded), open);
            until_gone(&cluster, &plan, session).await;
        });
        return switching(&[
            (header::UPGRADE, "SPDY/3.1"),
            (
                header::HeaderName::from_static("x-stream-protocol-version"),
                "portforward.k8s.io",
            ),
        ]);
    }
    if upgrade_to != "websocket" {
        return error_response(&ApiError::bad_request("Upgrade request required"));
    }
    let offered = offered_protocols(&parts.headers);
    let wanted: &[&str] = if plan.verb == Verb::PortForward {
        &[SPDY_TUNNEL, "portforward.k8s.io", V4]
    } else {
        &[V5, V4]
    };
    let Some(protocol) = wanted
        .iter()
        .find(|w| offered.iter().any(|o| o == *w))
        .copied()
    else {
        return error_response(&ApiError::bad_request(format!(
            "none of the offered WebSocket subprotocols ({}) is served; use one of: {}",
            offered.join(", "),
            wanted.join(", ")
        )));
    };
    let Some(key) = parts.headers.get(header::SEC_WEBSOCKET_KEY) else {
        return error_response(&ApiError::bad_request("missing Sec-WebSocket-Key"));
    };
    let accept = tokio_tungstenite::tungstenite::handshake::derive_accept_key(key.as_bytes());
    tokio::spawn(async move {
        let Ok(upgraded) = on_upgrade.await else {
            return;
        };
        let ws = WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, None).await;
        match (plan.verb, protocol) {
            (Verb::PortForward, SPDY_TUNNEL) => {
                let open = opener(cluster.clone(), plan.pod.clone());
                until_gone(&cluster, &plan, spdy::serve_tunnel(ws, open)).await;
            }
            (Verb::PortForward, _) => {
                let session = forward_channels(
                    ws,
                    plan.ports.clone(),
                    opener(cluster.clone(), plan.pod.clone()),
                );
                until_gone(&cluster, &plan, session).await;
            }
            _ => {
                let session = process(ws, protocol == V5, &plan, cluster.clone());
                until_gone(&cluster, &plan, session).await;
            }
        }
    });
    switching(&[
        (header::UPGRADE, "websocket"),
        (header::SEC_WEBSOCKET_ACCEPT, accept.as_str()),
        (header::SEC_WEBSOCKET_PROTOCOL, protocol),
    ])
}

/// A close with status 1000, which Go's WebSocket clients (kubectl) read as a clean end.
fn normal_close() -> Message {
    Message::Close(Some(tokio_tungstenite::tungstenite::protocol::CloseFrame {
        code: tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode::Normal,
        reason: "".into(),
    }))
}

fn switching(headers: &[(header::HeaderName, &str)]) -> Response {
    let mut resp = Response::new(Body::empty());
    *resp.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    resp.headers_mut().insert(
        header::CONNECTION,
        header::HeaderValue::from_static("Upgrade"),
    );
    for (name, value) in headers {
        if let Ok(v) = header::HeaderValue::from_str(value) {
            resp.headers_mut().insert(name.clone(), v);
        }
    }
    resp
}

fn opener(cluster: Arc<super::cluster::Cluster>, pod: Value) -> spdy::PortOpener {
    let _ = cluster;
    Arc::new(move |port| ports::open(&pod, port))
}

/// Runs a session until it ends, its pod goes away (deleted, or replaced by one of the same
/// name), or the simulator drops every connection.
async fn until_gone<F: std::future::Future<Output = ()>>(
    cluster: &super::cluster::Cluster,
    plan: &Plan,
    session: F,
) {
    let drops = cluster.faults.drop_count();
    let ns = plan.pod["metadata"]["namespace"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let name = plan.pod["metadata"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let gone = async {
        let Some(pods) = cluster.find_type("", "v1", "pods") else {
            return;
        };
        loop {
            tokio::time::sleep(LIVENESS).await;
            let alive = cluster.get(&pods, &ns, &name).is_ok_and(|p| {
                p.uid == plan.uid && !p.value()["metadata"]["deletionTimestamp"].is_string()
            });
            if !alive || cluster.faults.drop_count() != drops {
                return;
            }
        }
    };
    tokio::select! {
        () = session => {}
        () = gone => {}
    }
}

/// The WebSocket form of port-forward: per requested port, channel 2i carries data and 2i+1
/// errors; each channel's first frame from the server names its port (two bytes, little end).
async fn forward_channels<S>(ws: WebSocketStream<S>, ports: Vec<u16>, open: spdy::PortOpener)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (mut sink, mut stream) = ws.split();
    let (out_tx, mut out_rx) = mpsc::channel::<Vec<u8>>(64);
    let writer = tokio::spawn(async move {
        while let Some(frame) = out_rx.recv().await {
            if sink.send(Message::binary(frame)).await.is_err() {
                return;
            }
        }
        let _ = sink.send(normal_close()).await;
    });
    let mut writers = Vec::new();
    let mut readers = Vec::new();
    for (i, port) in ports.iter().enumerate() {
        let data = (2 * i) as u8;
        let [lo, hi] = port.to_le_bytes();
        let _ = out_tx.send(vec![data, lo, hi]).await;
        let _ = out_tx.send(vec![data + 1, lo, hi]).await;
        match open(*port) {
            Ok(pipe) => {
                let (mut r, w) = tokio::io::split(pipe);
                writers.push(Some(w));
                let out = out_tx.clone();
                readers.push(tokio::spawn(async move {
                    let mut buf = vec![0u8; 32 * 1024];
                    loop {
                        let n = match r.read(&mut buf[1..]).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => n,
                        };
                        buf[0] = data;
                        if out.send(buf[..=n].to_vec()).await.is_err() {
                            return;
                        }
                    }
                }));
            }
            Err(message) => {
                writers.push(None);
                let mut frame = vec![data + 1];
                frame.extend_from_slice(message.as_bytes());
                let _ = out_tx.send(frame).await;
            }
        }
    }
    drop(out_tx);
    let from_client = async {
        while let Some(Ok(msg)) = stream.next().await {
            match msg {
                Message::Binary(b) if b.len() > 1 => {
                    let index = usize::from(b[0] / 2);
                    if b[0] % 2 == 0
                        && let Some(Some(w)) = writers.get_mut(index)
                        && w.write_all(&b[1..]).await.is_err()
                    {
                        writers[index] = None;
                    }
                }
                Message::Close(_) => return,
                _ => {}
            }
        }
    };
    // The session ends when the client goes, or when every port's connection has closed (then
    // the writer sends the close frame).
    let all_closed = futures::future::join_all(readers.iter_mut());
    tokio::select! {
        () = from_client => {}
        _ = all_closed => {}
    }
    // The client may have gone first: the pod side's readers would wait on their pipes forever.
    for r in &readers {
        r.abort();
    }
    drop(writers);
    let _ = writer.await;
}

/// An exec or attach: the container's process on channels 0–4, its exit status on 3.
async fn process<S>(
    ws: WebSocketStream<S>,
    v5: bool,
    plan: &Plan,
    cluster: Arc<super::cluster::Cluster>,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (mut sink, mut stream) = ws.split();
    let (out_tx, mut out_rx) = mpsc::channel::<(u8, Bytes)>(256);
    let (stdin_tx, stdin_rx) = mpsc::channel::<Bytes>(256);
    let (size_tx, size_rx) = tokio::sync::watch::channel::<Option<(u16, u16)>>(None);
    let writer = tokio::spawn(async move {
        while let Some((channel, data)) = out_rx.recv().await {
            let mut frame = Vec::with_capacity(data.len() + 1);
            frame.push(channel);
            frame.extend_from_slice(&data);
            if sink.send(Message::binary(frame)).await.is_err() {
                return;
            }
        }
        let _ = sink.send(normal_close()).await;
    });
    let reader = tokio::spawn(async move {
        let mut stdin_tx = Some(stdin_tx);
        while let Some(Ok(msg)) = stream.next().await {
            let Message::Binary(b) = msg else {
                if matches!(msg, Message::Close(_)) {
                    return;
                }
                continue;
            };
            match b.first() {
                Some(&STDIN) => {
                    if let Some(tx) = &stdin_tx
                        && b.len() > 1
                    {
                        let _ = tx.send(b.slice(1..)).await;
                    }
                }
                Some(&RESIZE) => {
                    let size: Value = serde_json::from_slice(&b[1..]).unwrap_or(Value::Null);
                    if let (Some(w), Some(h)) = (size["Width"].as_u64(), size["Height"].as_u64()) {
                        let _ = size_tx.send(Some((h.min(9999) as u16, w.min(9999) as u16)));
                    }
                }
                // v5: the client closed a stream (its stdin: end of input).
                Some(&CLOSE) if v5 && b.get(1) == Some(&STDIN) => stdin_tx = None,
                _ => {}
            }
        }
    });
    let io = ProcessIo {
        out: out_tx,
        stdin: if plan.stdin { Some(stdin_rx) } else { None },
        size: size_rx,
        tty: plan.tty,
    };
    // Each sends the exit status itself; the output ends with the process, and the writer
    // closes the connection after it.
    match plan.verb {
        Verb::Attach => attach(io, plan, &cluster).await,
        _ => exec(io, plan).await,
    };
    reader.abort();
    let _ = writer.await;
}

struct ProcessIo {
    out: mpsc::Sender<(u8, Bytes)>,
    stdin: Option<mpsc::Receiver<Bytes>>,
    size: tokio::sync::watch::Receiver<Option<(u16, u16)>>,
    tty: bool,
}

impl ProcessIo {
    async fn write(&self, channel: u8, text: &str) {
        if text.is_empty() {
            return;
        }
        // A terminal's line discipline turns newlines into CR LF.
        let text = if self.tty {
            text.replace('\n', "\r\n")
        } else {
            text.to_string()
        };
        let channel = if self.tty && channel == STDERR {
            STDOUT
        } else {
            channel
        };
        let _ = self.out.send((channel, Bytes::from(text))).await;
    }

    /// The exit status on channel 3, as the kubelet reports it.
    async fn finish(&self, command: &[String], code: i32) {
        let status = if code == 0 {
            json!({"metadata": {}, "status": "Success"})
        } else {
            json!({"metadata": {}, "status": "Failure",
                   "message": format!("command terminated with non-zero exit code: error executing command [{}], exit code {code}", command.join(" ")),
                   "reason": "NonZeroExitCode",
                   "details": {"causes": [{"reason": "ExitCode", "message": code.to_string()}]}})
        };
        let _ = self
            .out
            .send((STATUS, Bytes::from(status.to_string())))
            .await;
    }

    async fn fail(&self, message: String) {
        let status = json!({"metadata": {}, "status": "Failure", "message": message, "reason": "InternalError",
                            "details": {"causes": [{"message": message}]}, "code": 500});
        let _ = self
            .out
            .send((STATUS, Bytes::from(status.to_string())))
            .await;
    }
}

fn machine(plan: &Plan) -> Machine {
    let container = plan.pod["spec"]["containers"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["name"] == plan.container.as_str()))
        .cloned()
        .unwrap_or(Value::Null);
    let env = container["env"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| {
            Some((
                e["name"].as_str()?.to_string(),
                e["value"].as_str().unwrap_or_default().to_string(),
            ))
        })
        .collect();
    Machine {
        namespace: plan.pod["metadata"]["namespace"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        pod: plan.pod["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        container: plan.container.clone(),
        image: plan.image.clone(),
        env,
    }
}

async fn exec(mut io: ProcessIo, plan: &Plan) -> i32 {
    let command = &plan.command;
    let program = command.first().cloned().unwrap_or_default();
    if !shell::has_shell(&plan.image) || !shell::exists(&program) {
        let message = format!(
            "Internal error occurred: error executing command in container: failed to exec in container: failed to start exec: OCI runtime exec failed: exec failed: unable to start container process: exec: \"{program}\": executable file not found in $PATH: unknown"
        );
        io.fail(message).await;
        return 126;
    }
    if program.rsplit('/').next() == Some("bash") && !shell::has_bash(&plan.image) {
        // As runc under CRI-O or docker words it: the message on stdout, exit code 126.
        io.write(
            STDOUT,
            "OCI runtime exec failed: exec failed: unable to start container process: exec: \"bash\": executable file not found in $PATH: unknown\n",
        )
        .await;
        io.finish(command, 126).await;
        return 126;
    }
    let mut sh = Shell::new(machine(plan));
    if !shell::is_shell(&program) {
        let line = shell_words::join(command);
        return run_once(&io, &mut sh, &line, command).await;
    }
    if let Some(pos) = command.iter().position(|a| a == "-c") {
        let line = command.get(pos + 1).cloned().unwrap_or_default();
        return run_once(&io, &mut sh, &line, command).await;
    }
    let bash = program.ends_with("bash");
    let code = if io.tty {
        interactive(&mut io, &mut sh, bash).await
    } else {
        scripted(&mut io, &mut sh).await
    };
    io.finish(command, code).await;
    code
}

async fn run_once(io: &ProcessIo, sh: &mut Shell, line: &str, command: &[String]) -> i32 {
    sh.size = *io.size.borrow();
    let ran = sh.run(line);
    io.write(STDOUT, &ran.stdout).await;
    io.write(STDERR, &ran.stderr).await;
    if ran.sleep_secs > 0 {
        tokio::time::sleep(Duration::from_secs(ran.sleep_secs)).await;
    }
    let code = ran.exit.unwrap_or(sh.status);
    io.finish(command, code).await;
    code
}

/// A shell without a terminal: each line of input is a command; the end of input ends it.
async fn scripted(io: &mut ProcessIo, sh: &mut Shell) -> i32 {
    let Some(mut stdin) = io.stdin.take() else {
        return 0;
    };
    let mut pending = Vec::new();
    while let Some(chunk) = stdin.recv().await {
        pending.extend_from_slice(&chunk);
        while let Some(end) = pending.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = pending.drain(..=end).collect();
            let ran = sh.run(String::from_utf8_lossy(&line).trim_end());
            io.write(STDOUT, &ran.stdout).await;
            io.write(STDERR, &ran.stderr).await;
            if let Some(code) = ran.exit {
                return code;
            }
        }
    }
    sh.status
}

/// A shell on a terminal: echo, a prompt, backspace, ctrl-c and ctrl-d, as a pty and a shell
/// together would do it.
async fn interactive(io: &mut ProcessIo, sh: &mut Shell, bash: bool) -> i32 {
    let Some(mut stdin) = io.stdin.take() else {
        return 0;
    };
    io.write(STDOUT, &sh.prompt(bash)).await;
    let mut line: Vec<u8> = Vec::new();
    let mut escape = 0u8;
    while let Some(chunk) = stdin.recv().await {
        let mut echo = Vec::new();
        for &byte in chunk.iter() {
            // Escape sequences (arrows, function keys) are read and dropped: no history here.
            if escape == 1 {
                escape = if byte == b'[' || byte == b'O' { 2 } else { 0 };
                continue;
            }
            if escape == 2 {
                if (0x40..=0x7e).contains(&byte) {
                    escape = 0;
                }
                continue;
            }
            match byte {
                0x1b => escape = 1,
                b'\r' | b'\n' => {
                    echo.extend_from_slice(b"\r\n");
                    flush(io, &mut echo).await;
                    sh.size = *io.size.borrow();
                    let ran = sh.run(&String::from_utf8_lossy(&line));
                    line.clear();
                    io.write(STDOUT, &ran.stdout).await;
                    io.write(STDERR, &ran.stderr).await;
                    if let Some(code) = ran.exit {
                        return code;
                    }
                    if ran.sleep_secs > 0 {
                        tokio::time::sleep(Duration::from_secs(ran.sleep_secs)).await;
                    }
                    io.write(STDOUT, &sh.prompt(bash)).await;
                }
                0x7f | 0x08 if line.pop().is_some() => echo.extend_from_slice(b"\x08 \x08"),
                0x7f | 0x08 => {}
                0x03 => {
                    line.clear();
                    sh.status = 130;
                    echo.extend_from_slice(b"^C\r\n");
                    echo.extend_from_slice(sh.prompt(bash).as_bytes());
                }
                0x04 if line.is_empty() => {
                    echo.extend_from_slice(b"exit\r\n");
                    flush(io, &mut echo).await;
                    return sh.status;
                }
                b if b >= 0x20 || b == b'\t' => {
                    line.push(b);
                    echo.push(b);
                }
                _ => {}
            }
        }
        flush(io, &mut echo).await;
    }
    // The terminal hung up.
    129
}

async fn flush(io: &ProcessIo, echo: &mut Vec<u8>) {
    if !echo.is_empty() {
        let _ = io
            .out
            .send((STDOUT, Bytes::from(std::mem::take(echo))))
            .await;
    }
}

/// Attach: the main process's output is the container's log from now on, as it is written.
/// A terminal echoes what is typed; the process reads nothing. Ends with the container.
async fn attach(mut io: ProcessIo, plan: &Plan, cluster: &super::cluster::Cluster) -> i32 {
    let m = machine(plan);
    let logs = &cluster.logs;
    let instances = logs.instances(&m.namespace, &m.pod, &m.container);
    let Some(index) = instances.len().checked_sub(1) else {
        io.fail(format!("container {} is not running", m.container))
            .await;
        return 1;
    };
    let instance = instances[index];
    let mut next = logs.written_by(&m.pod, &m.container, index, instance, super::logs::now_ns());
    let mut stdin = io.stdin.take();
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    loop {
        tokio::select! {
            _ = tick.tick() => {
                let current = logs.instances(&m.namespace, &m.pod, &m.container);
                let now = super::logs::now_ns();
                let ended = current.get(index).is_none_or(|i| i.end_ns.is_some_and(|e| e <= now));
                let written = logs.written_by(&m.pod, &m.container, index, instance, now);
                let mut text = String::new();
                for k in next..written {
                    text.push_str(&logs.line(&m.namespace, &m.pod, &m.container, index, instance, k).text);
                    text.push('\n');
                }
                next = written;
                io.write(STDOUT, &text).await;
                if ended {
                    io.finish(&["attach".to_string()], 0).await;
                    return 0;
                }
            }
            typed = async { match stdin.as_mut() { Some(s) => s.recv().await, None => std::future::pending().await } } => {
                match typed {
                    Some(bytes) if io.tty => { let _ = io.out.send((STDOUT, bytes)).await; }
                    Some(_) => {}
                    None => stdin = None,
                }
            }
        }
    }
}
