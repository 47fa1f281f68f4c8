//! Processes in containers: a shell or a command on the user's terminal (raw, with window
//! sizes), an attach to the main process with a detach key, and a command run without a
//! terminal, stdout and stderr kept apart and its exit code returned.

use super::terminal::{RawTerminal, Resizes};
use crate::cluster::errors::{KxError, classify};
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Status;
use kube::api::{Api, AttachParams, AttachedProcess, TerminalSize};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The shells tried in turn when none is configured.
pub const DEFAULT_SHELLS: [&str; 2] = ["bash", "sh"];

/// The detach keys of `attach`: ctrl-p then ctrl-q, as docker's.
pub const DETACH: [u8; 2] = [0x10, 0x11];
pub const DETACH_NAME: &str = "ctrl-p ctrl-q";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub namespace: String,
    pub pod: String,
    pub container: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// The first of these that exists in the container.
    Shell(Vec<String>),
    Command(Vec<String>),
    Attach,
}

/// How a session on the terminal ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    Exited(i32),
    Detached,
    /// `~.` typed at the start of a line: left from this side (a connection that died silently).
    Left,
    /// None of the shells exists in the container (a distroless image).
    NoShell(Vec<String>),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExecError {
    /// The API refused (forbidden, not found, pod not running, …).
    #[error("{0}")]
    Api(KxError),
    /// The container could not start the command.
    #[error("{0}")]
    Failed(String),
    /// The connection ended without an exit status.
    #[error("the connection to the container was lost before the process ended{0}")]
    Lost(String),
    #[error("the terminal: {0}")]
    Terminal(String),
}

/// What a process's status on the error channel says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exit {
    Code(i32),
    /// The program does not exist in the image.
    NotFound(String),
    Failed(String),
}

pub fn exit_of(status: &Status) -> Exit {
    if status.status.as_deref() == Some("Success") {
        return Exit::Code(0);
    }
    let code = status
        .details
        .as_ref()
        .and_then(|d| d.causes.as_ref())
        .and_then(|cs| cs.iter().find(|c| c.reason.as_deref() == Some("ExitCode")))
        .and_then(|c| c.message.as_deref()?.parse::<i32>().ok());
    if let Some(code) = code {
        return Exit::Code(code);
    }
    let m = status
        .message
        .as_deref()
        .unwrap_or("the process failed without a message");
    // The runtime's words for a missing program: kubelets and runtimes differ, all say one of these.
    if m.contains("executable file not found") || m.contains("no such file or directory") {
        Exit::NotFound(m.to_string())
    } else {
        Exit::Failed(m.to_string())
    }
}

/// A shell, a command or an attach on the user's terminal, until it ends or (attach) the
/// detach keys are typed. The caller has let go of the terminal.
pub async fn interactive(
    client: kube::Client,
    target: &Target,
    mode: &Mode,
) -> Result<Ended, ExecError> {
    let api: Api<Pod> = Api::namespaced(client, &target.namespace);
    let mut raw = RawTerminal::start().map_err(|e| ExecError::Terminal(e.to_string()))?;
    let mut resizes = Resizes::new();
    let mut params = AttachParams::interactive_tty().container(target.container.clone());
    if *mode == Mode::Attach {
        // As kubectl: a process without a terminal of its own gets none (its stderr is shown
        // beside its stdout), and one that reads no stdin is sent none (keys only detach).
        let (tty, stdin) = container_io(&api, target).await;
        params = params.tty(tty).stderr(!tty).stdin(stdin);
    }
    let tries: Vec<Option<Vec<String>>> = match mode {
        Mode::Shell(shells) => shells.iter().map(|s| Some(vec![s.clone()])).collect(),
        Mode::Command(c) => vec![Some(c.clone())],
        Mode::Attach => vec![None],
    };
    for command in &tries {
        let process = connect(&api, &target.pod, command.clone(), &params).await?;
        let detach = command.is_none().then_some(&DETACH[..]);
        // Without a remote terminal, lines end in a bare \n: the raw local one needs \r\n.
        let bare_newlines = !params.tty;
        match bridge(process, &mut raw, &mut resizes, detach, bare_newlines).await? {
            Some(Exit::NotFound(_)) if matches!(mode, Mode::Shell(_)) => continue,
            // Some runtimes report a missing program as exit code 126 or 127, their message
            // on stdout (CRI-O, docker): the same "no such shell" for the fallback.
            Some(Exit::Code(126 | 127))
                if matches!(mode, Mode::Shell(_)) && raw.missing_program() =>
            {
                continue;
            }
            Some(Exit::Code(c)) => return Ok(Ended::Exited(c)),
            Some(Exit::NotFound(m) | Exit::Failed(m)) => return Err(ExecError::Failed(m)),
            None if *mode == Mode::Attach => return Ok(Ended::Detached),
            None => return Ok(Ended::Left),
        }
    }
    raw.finish();
    match mode {
        Mode::Shell(shells) => Ok(Ended::NoShell(shells.clone())),
        _ => Err(ExecError::Lost(String::new())),
    }
}

/// Whether the attached container was started with a terminal (`tty: true`) and with its
/// stdin open (`stdin: true`); both assumed when the pod cannot be read.
async fn container_io(api: &Api<Pod>, target: &Target) -> (bool, bool) {
    let Ok(pod) = api.get(&target.pod).await else {
        return (true, true);
    };
    pod.spec
        .and_then(|s| {
            s.containers
                .into_iter()
                .find(|c| c.name == target.container)
        })
        .map_or((true, true), |c| {
            (c.tty.unwrap_or(false), c.stdin.unwrap_or(false))
        })
}

/// How long starting a process keeps trying through a failing API server.
const CONNECT_WITHIN: std::time::Duration = std::time::Duration::from_secs(10);

/// Starts the process (exec, or attach when `command` is None) with the one retry policy
/// (`retry_kube`): what a busy API server refuses for a moment (429, 5xx, a reset
/// connection) is tried again, and no attempt hangs past the limit.
async fn connect(
    api: &Api<Pod>,
    pod: &str,
    command: Option<Vec<String>>,
    params: &AttachParams,
) -> Result<AttachedProcess, ExecError> {
    crate::cluster::backoff::retry_kube(CONNECT_WITHIN, || async {
        match &command {
            Some(c) => api.exec(pod, c.clone(), params).await,
            None => api.attach(pod, params).await,
        }
    })
    .await
    .map_err(|e| match e {
        Some(e) => ExecError::Api(classify(&e)),
        None => ExecError::Lost(format!(
            " (no answer to starting it within {} s; the API server may be overloaded)",
            CONNECT_WITHIN.as_secs()
        )),
    })
}

/// Joins the terminal and the process until the process ends (its exit) or the detach keys
/// (None).
async fn bridge(
    mut process: AttachedProcess,
    raw: &mut RawTerminal,
    resizes: &mut Resizes,
    detach: Option<&[u8]>,
    bare_newlines: bool,
) -> Result<Option<Exit>, ExecError> {
    let lost = |what: &str| ExecError::Lost(format!(" ({what})"));
    raw.forget_output();
    // None when the container reads no stdin (an attach): keys then only detach.
    let mut stdin = process.stdin();
    let mut stdout = process.stdout().ok_or_else(|| lost("no stdout"))?;
    let mut stderr = process.stderr();
    let mut err_buf = vec![0u8; 4 * 1024];
    let status = process.take_status().ok_or_else(|| lost("no status"))?;
    let mut sizes = process.terminal_size();
    if let (Some(tx), Some((cols, rows))) = (sizes.as_mut(), super::terminal::size()) {
        let _ = futures::SinkExt::send(
            tx,
            TerminalSize {
                width: cols,
                height: rows,
            },
        )
        .await;
    }
    let mut out = tokio::io::stdout();
    let mut buf = vec![0u8; 16 * 1024];
    // The last key typed, for a detach sequence split across two reads.
    let mut last = 0u8;
    let mut escape = Escape::default();
    loop {
        tokio::select! {
            typed = raw.input().recv() => {
                let Some(bytes) = typed else { break };
                if let Some(keys) = detach {
                    let mut seen = last;
                    let hit = bytes.iter().any(|b| { let hit = [seen, *b] == keys[..2]; seen = *b; hit });
                    last = seen;
                    if hit {
                        process.abort();
                        return Ok(None);
                    }
                }
                let Some(mut bytes) = escape.filter(&bytes) else {
                    process.abort();
                    return Ok(None);
                };
                raw.typed();
                if bare_newlines && stdin.is_some() {
                    // No terminal on the other side: lines end in \n, and nobody echoes what
                    // is typed but this side (kubectl's cooked mode, by hand).
                    for b in bytes.iter_mut().filter(|b| **b == b'\r') {
                        *b = b'\n';
                    }
                    let _ = out.write_all(&crlf(&bytes, true)).await;
                    let _ = out.flush().await;
                }
                if let Some(s) = stdin.as_mut()
                    && s.write_all(&bytes).await.is_err()
                {
                    break;
                }
            }
            read = stdout.read(&mut buf) => match read {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    raw.saw(&buf[..n]);
                    let _ = out.write_all(&crlf(&buf[..n], bare_newlines)).await;
                    let _ = out.flush().await;
                }
            },
            read = async { match stderr.as_mut() { Some(e) => e.read(&mut err_buf).await, None => std::future::pending().await } } => match read {
                Ok(0) | Err(_) => stderr = None,
                Ok(n) => {
                    let _ = out.write_all(&crlf(&err_buf[..n], bare_newlines)).await;
                    let _ = out.flush().await;
                }
            },
            Some((cols, rows)) = resizes.next() => {
                if let Some(tx) = sizes.as_mut() {
                    let _ = futures::SinkExt::send(tx, TerminalSize { width: cols, height: rows }).await;
                }
            }
        }
    }
    match tokio::time::timeout(std::time::Duration::from_secs(5), status).await {
        Ok(Some(s)) => Ok(Some(exit_of(&s))),
        _ => Err(ExecError::Lost(String::new())),
    }
}

/// ssh's way out: `~.` typed at the start of a line leaves the session from this side — for a
/// connection that died without saying so (no keepalive reaches through the API server).
/// `~` followed by anything else is sent on as typed.
struct Escape {
    line_start: bool,
    tilde: bool,
}

impl Default for Escape {
    fn default() -> Self {
        Escape {
            line_start: true,
            tilde: false,
        }
    }
}

impl Escape {
    /// The bytes to send on; None when the escape was typed.
    fn filter(&mut self, bytes: &[u8]) -> Option<Vec<u8>> {
        let mut out = Vec::with_capacity(bytes.len() + 1);
        for &b in bytes {
            if std::mem::replace(&mut self.tilde, false) {
                match b {
                    b'.' => return None,
                    // `~~` is how a literal `~` (and so `~.`) is typed at a line start.
                    b'~' => {
                        out.push(b'~');
                        continue;
                    }
                    _ => out.push(b'~'),
                }
            } else if self.line_start && b == b'~' {
                self.tilde = true;
                self.line_start = false;
                continue;
            }
            self.line_start = b == b'\r' || b == b'\n';
            out.push(b);
        }
        Some(out)
    }
}

/// Output for a raw terminal: bare newlines become CR LF when `bare` (no remote terminal did it).
fn crlf(bytes: &[u8], bare: bool) -> std::borrow::Cow<'_, [u8]> {
    if !bare || !bytes.contains(&b'\n') {
        return std::borrow::Cow::Borrowed(bytes);
    }
    let mut out = Vec::with_capacity(bytes.len() + 16);
    for &b in bytes {
        if b == b'\n' {
            out.push(b'\r');
        }
        out.push(b);
    }
    std::borrow::Cow::Owned(out)
}

/// A command without a terminal: the caller's stdin when `stdin`, stdout and stderr kept
/// apart, the remote exit code returned.
pub async fn run(
    client: kube::Client,
    target: &Target,
    command: Vec<String>,
    stdin: bool,
) -> Result<i32, ExecError> {
    let api: Api<Pod> = Api::namespaced(client, &target.namespace);
    let params = AttachParams::default()
        .container(target.container.clone())
        .stdin(stdin)
        .stdout(true)
        .stderr(true);
    let mut process = connect(&api, &target.pod, Some(command), &params).await?;
    let status = process
        .take_status()
        .ok_or_else(|| ExecError::Lost(" (no status)".into()))?;
    let mut out = process
        .stdout()
        .ok_or_else(|| ExecError::Lost(" (no stdout)".into()))?;
    let mut err = process
        .stderr()
        .ok_or_else(|| ExecError::Lost(" (no stderr)".into()))?;
    // The caller's stdin on a reader that stops with the command (tokio's own stdin would
    // leave a read blocked that keeps kx from exiting).
    let feeding = process.stdin().map(|mut remote| {
        let mut reader = super::terminal::StdinReader::start();
        tokio::spawn(async move {
            while let Some(bytes) = reader.input.recv().await {
                if remote.write_all(&bytes).await.is_err() {
                    break;
                }
            }
            // The end of input closes the container's stdin (v5 of the protocol).
            let _ = remote.shutdown().await;
            reader.stop();
        })
    });
    let (mut stdout, mut stderr) = (tokio::io::stdout(), tokio::io::stderr());
    let _ = tokio::join!(
        tokio::io::copy(&mut out, &mut stdout),
        tokio::io::copy(&mut err, &mut stderr)
    );
    if let Some(f) = feeding {
        f.abort();
    }
    match status.await.map(|s| exit_of(&s)) {
        Some(Exit::Code(c)) => Ok(c),
        Some(Exit::NotFound(m) | Exit::Failed(m)) => Err(ExecError::Failed(m)),
        None => Err(ExecError::Lost(String::new())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::{StatusCause, StatusDetails};

    fn failure(message: &str, causes: Vec<StatusCause>) -> Status {
        Status {
            status: Some("Failure".into()),
            message: Some(message.into()),
            details: Some(StatusDetails {
                causes: Some(causes),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn tilde_dot_at_a_line_start_leaves_and_other_tildes_pass() {
        let mut e = Escape::default();
        assert_eq!(e.filter(b"ls ~/x\r"), Some(b"ls ~/x\r".to_vec()));
        assert_eq!(e.filter(b"~"), Some(Vec::new()));
        assert_eq!(e.filter(b"x"), Some(b"~x".to_vec()));
        assert_eq!(e.filter(b"\r~."), None);
        let mut fresh = Escape::default();
        assert_eq!(fresh.filter(b"~."), None);
        let mut literal = Escape::default();
        assert_eq!(literal.filter(b"~~."), Some(b"~.".to_vec()));
    }

    #[test]
    fn bare_newlines_get_a_carriage_return_only_without_a_remote_terminal() {
        assert_eq!(&*crlf(b"a\nb\n", true), b"a\r\nb\r\n");
        assert_eq!(&*crlf(b"a\nb", false), b"a\nb");
    }

    #[test]
    fn exit_codes_and_missing_programs_are_read_from_the_status() {
        assert_eq!(
            exit_of(&Status {
                status: Some("Success".into()),
                ..Default::default()
            }),
            Exit::Code(0)
        );
        let code = failure(
            "command terminated with non-zero exit code",
            vec![StatusCause {
                reason: Some("ExitCode".into()),
                message: Some("3".into()),
                field: None,
            }],
        );
        assert_eq!(exit_of(&code), Exit::Code(3));
        let missing = failure(
            "exec: \"bash\": executable file not found in $PATH: unknown",
            vec![],
        );
        assert!(matches!(exit_of(&missing), Exit::NotFound(_)));
        assert!(matches!(
            exit_of(&failure("container not found", vec![])),
            Exit::Failed(_)
        ));
    }
}
