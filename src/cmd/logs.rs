//! `kx logs QUERY`: stern-compatible multi-pod log following. The log engine (`crate::logs`)
//! keeps the live set of containers and resumes each stream without losing or repeating a
//! line; this front end turns the user's flags into a tail and prints what it sends, in
//! arrival or (`--ordered`) timestamp order. stdout is written by one task through a bounded
//! channel, so a slow reader slows the streams and nothing is dropped.

use crate::cli::{Connection, LogsArgs};
use crate::cluster::backoff::retry_until;
use crate::cluster::errors::{KxError, classify};
use crate::cluster::kinds;
use crate::logs::{format, order, select, stream, tail};
use anyhow::{Context, Result, anyhow, bail};
use format::{Formatter, LogLine, Palette};
use select::{Selection, compile};
use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};
use stream::{LogEvent, StreamOpts};
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;

/// `5s`, `2m`, `1h30m`, `500ms`, or a bare number of seconds.
pub fn parse_duration(flag: &str, text: &str) -> Result<Duration> {
    crate::duration::parse(flag, text).map_err(|e| anyhow!(e))
}

/// What QUERY selects: a pod regex, plus a label selector when it names a workload (any kind
/// name kubectl takes; the kinds whose pods have logs).
pub(crate) async fn resolve_query(
    client: &kube::Client,
    query: &str,
    namespace: Option<&str>,
) -> Result<(String, Option<String>), KxError> {
    let Some((kind, name)) = query.split_once('/') else {
        return Ok((query.to_string(), None));
    };
    let Some(kind_name) = kinds::log_target(kind) else {
        return Err(KxError::Other(format!(
            "unknown kind {kind:?} in {query:?}: use pod, deploy, rs, sts, ds, job or svc (or a regex on pod names, which has no '/')"
        )));
    };
    if kind_name == "Pod" {
        return Ok((format!("^{}$", regex::escape(name)), None));
    }
    let Some(ns) = namespace else {
        return Err(KxError::Other(format!(
            "{query} needs one namespace: give -n NAMESPACE instead of -A"
        )));
    };
    let resources = crate::cluster::discovery::discover(client).await?;
    let target = crate::cluster::target::resolve_target(query, &resources, &[], ns)
        .map_err(KxError::Other)?;
    let obj = crate::cluster::object::dynamic_api(client.clone(), &target)
        .get(&target.name)
        .await
        .map_err(|e| match classify(&e) {
            KxError::NotFound { .. } => KxError::NotFound {
                message: format!("{kind_name} {name:?} not found in namespace {ns}"),
            },
            other => other,
        })?;
    let obj = serde_json::to_value(obj).map_err(|e| KxError::Decode {
        message: e.to_string(),
    })?;
    let selector = kinds::pod_selector(kind_name, &obj).map_err(KxError::Other)?;
    Ok((".*".to_string(), Some(selector)))
}

fn selection(args: &LogsArgs, pod_regex: &str) -> Result<Selection, String> {
    let all = |flag: &str, list: &[String]| -> Result<Vec<regex::Regex>, String> {
        list.iter().map(|p| compile(flag, p)).collect()
    };
    Ok(Selection {
        pod: compile("QUERY", pod_regex)?,
        exclude_pod: all("--exclude-pod", &args.exclude_pod)?,
        container: compile("--container", &args.container)?,
        exclude_container: all("--exclude-container", &args.exclude_container)?,
        states: args.container_state.clone(),
        init_containers: args.init_containers,
        ephemeral_containers: args.ephemeral_containers,
    })
}

fn formatter(args: &LogsArgs, show_namespace: bool) -> Result<Formatter> {
    let all = |flag: &str, list: &[String]| -> Result<Vec<regex::Regex>> {
        list.iter()
            .map(|p| compile(flag, p).map_err(|e| anyhow!(e)))
            .collect()
    };
    let tz = match args.timezone.as_str() {
        "Local" | "local" => jiff::tz::TimeZone::system(),
        name => jiff::tz::TimeZone::get(name)
            .map_err(|e| anyhow!("--timezone {name:?} is not a time zone: {e}"))?,
    };
    Ok(Formatter {
        output: args.output.into(),
        stamp: args.timestamps.map(Into::into),
        tz,
        colour: crate::paint::stdout(),
        show_namespace,
        include: all("--include", &args.include)?,
        exclude: all("--exclude", &args.exclude)?,
        highlight: all("--highlight", &args.highlight)?,
        escape: std::io::stdout().is_terminal(),
    })
}

/// Runs `kx logs`; the exit code says whether it ended well: 1 when a container's log could
/// not be read (each is named on stderr), when the query matched nothing without follow, or
/// when the server could not be reached in time.
pub async fn run(conn: Connection, args: LogsArgs) -> Result<ExitCode> {
    // Every regex and duration is checked before anything connects.
    selection(
        &args,
        if args.query.contains('/') {
            ".*"
        } else {
            &args.query
        },
    )
    .map_err(|e| anyhow!(e))?;
    let since = parse_duration("--since", &args.since)?;
    let idle = parse_duration("--idle-timeout", &args.idle_timeout)?;
    let window = parse_duration("--order-window", &args.order_window)?;
    let found = crate::cluster::connect::find(&conn.source()).await?;
    let default_ns = found.config.default_namespace.clone();
    let url = found.config.cluster_url.to_string();
    let client = crate::cluster::connect::client(found.config)?;
    let namespaces: Vec<Option<String>> = if conn.all_namespaces {
        vec![None]
    } else if conn.namespace.is_empty() {
        vec![Some(default_ns)]
    } else {
        conn.namespace.iter().cloned().map(Some).collect()
    };
    let single_ns = match namespaces.as_slice() {
        [Some(n)] => Some(n.as_str()),
        _ => None,
    };
    let follow = !args.no_follow && !args.previous;
    // One deadline for everything a one-shot read does before its first list.
    let deadline = tokio::time::Instant::now() + conn.request_timeout;
    let mut said = false;
    let (pod_regex, workload_selector) = retry_until(
        url.trim_end_matches('/'),
        deadline.saturating_duration_since(tokio::time::Instant::now()),
        || resolve_query(&client, &args.query, single_ns),
        |trouble| {
            if !std::mem::replace(&mut said, true) {
                eprintln!(
                    "kx logs: {}; retrying for up to {} (--request-timeout)",
                    trouble.error,
                    crate::duration::human(conn.request_timeout)
                );
            }
        },
    )
    .await?;
    let label_selector = match (workload_selector, args.selector.clone()) {
        (Some(w), Some(l)) => Some(format!("{w},{l}")),
        (w, l) => w.or(l),
    };
    let field_selector = match (&args.node, &args.field_selector) {
        (Some(n), Some(f)) => Some(format!("spec.nodeName={n},{f}")),
        (Some(n), None) => Some(format!("spec.nodeName={n}")),
        (None, f) => f.clone(),
    };
    if args.tui {
        // The TUI view follows every container state and keeps its own filters; the line
        // filters and output flags of the command line do not apply there.
        let request = crate::tui::LogRequest {
            namespace: single_ns.map(str::to_string),
            pod_regex,
            container_regex: Some(args.container.clone()),
            label_selector,
            previous: args.previous,
            one_pod: false,
            max_requests: args.max_log_requests.unwrap_or(tail::DEFAULT_MAX_REQUESTS),
            title: format!("{}:logs", args.query),
        };
        if namespaces.len() > 1 {
            bail!("--tui follows one namespace or all (-A), not a list");
        }
        super::explore(
            &conn,
            false,
            None,
            Default::default(),
            Some(request),
            Vec::new(),
        )
        .await?;
        return Ok(ExitCode::SUCCESS);
    }
    let show_namespace = namespaces.len() > 1 || namespaces == [None];
    let spec = tail::TailSpec {
        namespaces,
        label_selector,
        field_selector,
        selection: selection(&args, &pod_regex).map_err(|e| anyhow!(e))?,
        stream: StreamOpts {
            follow,
            since_seconds: Some(since.as_secs() as i64).filter(|s| *s > 0),
            tail: (args.tail >= 0).then_some(args.tail),
            previous: args.previous,
            idle_timeout: idle,
            give_up_after: (!follow).then_some(conn.request_timeout),
        },
        max_requests: args.max_log_requests.unwrap_or(if follow {
            tail::DEFAULT_MAX_REQUESTS
        } else {
            tail::DEFAULT_NO_FOLLOW_REQUESTS
        }),
        request_timeout: conn.request_timeout,
        deadline,
        server: url.trim_end_matches('/').to_string(),
        query: args.query.clone(),
    };
    let fmt = formatter(&args, show_namespace)?;
    let (tx, rx) = mpsc::channel(4096);
    let pods = tokio::spawn(tail::run(client, spec, tx));
    let printed = print(rx, fmt, args.ordered.then_some(window)).await;
    pods.abort();
    let outcome = pods.await;
    let unread = printed.context("writing the logs")?;
    if let Ok(Err(e)) = outcome {
        eprintln!("kx logs: {e}");
        return Ok(ExitCode::from(1));
    }
    if unread > 0 {
        let what = if unread == 1 {
            "1 container's log".to_string()
        } else {
            format!("{unread} containers' logs")
        };
        eprintln!(
            "kx logs: {what} could not be read (each is named above with `!`): their lines are missing"
        );
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

/// Says which containers' reads are being retried: one line per reason, naming the first
/// container and how many more share it.
fn say_retrying(pending: &mut Vec<(Arc<select::Target>, String)>) {
    let mut by_reason: Vec<(String, Vec<Arc<select::Target>>)> = Vec::new();
    for (t, why) in pending.drain(..) {
        match by_reason.iter_mut().find(|(w, _)| *w == why) {
            Some((_, targets)) => targets.push(t),
            None => by_reason.push((why, vec![t])),
        }
    }
    for (why, targets) in by_reason {
        let first = &targets[0];
        match targets.len() {
            1 => eprintln!(
                "! {} › {}: {why}; retrying, and reading on from the last line",
                first.pod, first.container
            ),
            n => eprintln!(
                "! {} › {} and {} more containers: {why}; retrying, and reading on from their last lines",
                first.pod,
                first.container,
                n - 1
            ),
        }
    }
}

fn membership(fmt: &Formatter, palette: &Palette, sign: char, line: &LogLine) -> String {
    let t = &line.target;
    let colour = format::PALETTE[palette.colour_of(&t.namespace, &t.pod) % format::PALETTE.len()];
    let text = format!("{sign} {} › {}", t.pod, t.container);
    crate::paint::paint_if(fmt.colour, &text, crate::paint::fg(colour))
}

/// Prints until every sender is gone (or ctrl-c). A closed stdout (`| head`) ends it quietly.
/// Returns how many containers' logs could not be read.
async fn print(
    mut rx: mpsc::Receiver<LogEvent>,
    fmt: Formatter,
    ordered: Option<Duration>,
) -> Result<usize> {
    let mut out = tokio::io::BufWriter::with_capacity(1 << 18, tokio::io::stdout());
    let mut palette = Palette::default();
    let mut reorder = ordered.map(order::Reorder::new);
    let mut tick = tokio::time::interval(Duration::from_millis(50));
    let mut reconnects = super::term::Reconnects::on_stderr("kx logs");
    let mut unread = 0usize;
    let mut retrying: Vec<(Arc<select::Target>, String)> = Vec::new();
    let mut gather = tokio::time::interval(Duration::from_secs(1));
    let write = |palette: &Palette, line: &LogLine, buf: &mut Vec<u8>| {
        if fmt.keep(&line.text) {
            // The palette lookup builds a key: only pay for it when colours are printed.
            let colour = if fmt.colour && fmt.output == format::Output::Default {
                palette.colour_of(&line.target.namespace, &line.target.pod)
            } else {
                0
            };
            fmt.format_into(line, colour, buf);
        }
    };
    let mut buf = Vec::with_capacity(1 << 16);
    // One ctrl-c listener for the whole run: a new one per loop turn would miss a signal that
    // lands between turns, and under load that is most of the time.
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    let result: Result<()> = async {
        loop {
            tokio::select! {
                ev = rx.recv() => {
                    let Some(ev) = ev else { break };
                    match ev {
                        LogEvent::Line(line) => match reorder.as_mut() {
                            Some(r) => r.push(line, Instant::now()),
                            None => write(&palette, &line, &mut buf),
                        },
                        LogEvent::Joined(t) => {
                            palette.join(&t.namespace, &t.pod);
                            let l = LogLine { target: t, ts: String::new(), text: String::new() };
                            eprintln!("{}", membership(&fmt, &palette, '+', &l));
                        }
                        LogEvent::Left(t, _) => {
                            let l = LogLine { target: t.clone(), ts: String::new(), text: String::new() };
                            eprintln!("{}", membership(&fmt, &palette, '-', &l));
                            palette.leave(&t.namespace, &t.pod);
                        }
                        LogEvent::Problem(t, why) => eprintln!("! {} › {}: {why}", t.pod, t.container),
                        // Held a moment: when the whole server is away, every container
                        // fails together, and that is one line, not a hundred.
                        LogEvent::Retrying(t, trouble) => retrying.push((t, trouble.error.to_string())),
                        LogEvent::Recovered(_) => {}
                        LogEvent::Failed(t, e) => {
                            unread += 1;
                            eprintln!("! {} › {}: {e}", t.pod, t.container);
                        }
                        LogEvent::WatchTrouble(Some(trouble)) => {
                            reconnects.failed(&trouble);
                        }
                        LogEvent::WatchTrouble(None) => reconnects.recovered(),
                        LogEvent::Notice(what) => eprintln!("kx logs: {what}"),
                    }
                }
                _ = tick.tick(), if reorder.is_some() => {
                    if let Some(r) = reorder.as_mut() {
                        for line in r.due(Instant::now()) {
                            write(&palette, &line, &mut buf);
                        }
                    }
                }
                _ = gather.tick(), if !retrying.is_empty() => say_retrying(&mut retrying),
                _ = &mut ctrl_c => break,
            }
            // Write in batches while lines keep coming; flush whenever the queue runs dry.
            if buf.len() > 1 << 15 || rx.is_empty() {
                out.write_all(&buf).await?;
                buf.clear();
                if rx.is_empty() {
                    out.flush().await?;
                }
            }
        }
        say_retrying(&mut retrying);
        if let Some(r) = reorder.as_mut() {
            for line in r.drain() {
                write(&palette, &line, &mut buf);
            }
        }
        out.write_all(&buf).await?;
        out.flush().await?;
        Ok(())
    }
    .await;
    match result {
        Err(e)
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe) =>
        {
            Ok(unread)
        }
        Err(e) => Err(e),
        Ok(()) => Ok(unread),
    }
}
