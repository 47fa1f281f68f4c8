//! One container's log, followed for as long as the container lives: kx always asks for the
//! kubelet's timestamps, so a stream that breaks, stalls (an idle timeout, which log streams do
//! not have of their own) or ends with a restart resumes from its last line, with nothing
//! repeated and nothing missed.

use super::format::LogLine;
use super::select::Target;
use crate::cluster::backoff::{Policy, Retry, Trouble};
use crate::cluster::errors::{KxError, classify};
use futures::{AsyncBufReadExt, StreamExt};
use kube::Client;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

#[derive(Debug, Clone)]
pub struct StreamOpts {
    pub follow: bool,
    pub since_seconds: Option<i64>,
    /// Lines from the end to start with; None: all.
    pub tail: Option<i64>,
    pub previous: bool,
    /// A stream with no line for this long is reopened from its last line.
    pub idle_timeout: Duration,
    /// How long a container's log may keep failing before kx gives up on it; None: for as
    /// long as the container lives (following).
    pub give_up_after: Option<Duration>,
}

impl StreamOpts {
    fn policy(&self) -> Policy {
        match self.give_up_after {
            Some(limit) => Policy::bounded(limit),
            None => Policy::LOG_STREAM,
        }
    }
}

/// What the log layer reports, in order per container.
#[derive(Debug, Clone, PartialEq)]
pub enum LogEvent {
    Joined(Arc<Target>),
    Line(LogLine),
    /// The container is no longer followed, and why.
    Left(Arc<Target>, String),
    /// Something about one container the user should know; its stream carries on or has left.
    Problem(Arc<Target>, String),
    /// Reading the container's log failed; kx retries (and says so once per run of failures).
    Retrying(Arc<Target>, Trouble),
    /// The log flows again after `Retrying`.
    Recovered(Arc<Target>),
    /// The container's log could not be read, for good: lines are missing. Counts against the
    /// exit code.
    Failed(Arc<Target>, KxError),
    /// The pod watch cannot reach the server (None: it can again).
    WatchTrouble(Option<Trouble>),
    /// Something about the whole query (no pods matching yet, a limit reached).
    Notice(String),
}

/// Where a resumed stream picks up: the last timestamp delivered and how many lines carried it
/// (several lines can share a timestamp, and a real API server's `sinceTime` has whole seconds).
/// Timestamps are only parsed right after a reopen; in between, lines come in order and a
/// string comparison is enough (the hot path, at hundreds of thousands of lines a second).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Resume {
    last_text: String,
    at_last: usize,
    /// After a reopen: the last timestamp parsed, and how many lines at it to skip again.
    replay: Option<(jiff::Timestamp, usize)>,
}

impl Resume {
    /// Starts a new request: the lines at the last timestamp come again and are skipped.
    pub fn reopen(&mut self) {
        self.replay = self
            .last_text
            .parse::<jiff::Timestamp>()
            .ok()
            .map(|t| (t, self.at_last));
    }

    pub fn since_time(&self) -> Option<&str> {
        (!self.last_text.is_empty()).then_some(self.last_text.as_str())
    }

    fn note(&mut self, ts: &str) {
        if ts == self.last_text {
            self.at_last += 1;
        } else {
            self.last_text.clear();
            self.last_text.push_str(ts);
            self.at_last = 1;
        }
    }

    /// Whether a line (by its timestamp) is new, noting it if so.
    pub fn admit(&mut self, ts: &str) -> bool {
        let Some((last, skip)) = self.replay.as_mut() else {
            self.note(ts);
            return true;
        };
        let Ok(t) = ts.parse::<jiff::Timestamp>() else {
            // No readable timestamp: nothing to compare, so never drop it.
            return true;
        };
        if t < *last {
            return false;
        }
        if t == *last && *skip > 0 {
            *skip -= 1;
            return false;
        }
        if t > *last {
            // Past everything delivered before: back to the fast path.
            self.replay = None;
        }
        self.note(ts);
        true
    }
}

fn log_path(t: &Target, opts: &StreamOpts, resume: &Resume) -> String {
    let mut q = vec![
        ("container", t.container.clone()),
        ("timestamps", "true".to_string()),
    ];
    if opts.follow {
        q.push(("follow", "true".into()));
    }
    if opts.previous {
        q.push(("previous", "true".into()));
    }
    match resume.since_time() {
        Some(since) => q.push(("sinceTime", since.to_string())),
        None => {
            if let Some(s) = opts.since_seconds {
                q.push(("sinceSeconds", s.to_string()));
            }
            if let Some(n) = opts.tail {
                q.push(("tailLines", n.to_string()));
            }
        }
    }
    format!(
        "/api/v1/namespaces/{}/pods/{}/log?{}",
        t.namespace,
        t.pod,
        serde_urlencoded::to_string(&q).unwrap_or_default()
    )
}

enum Opened {
    Stream(Box<dyn futures::io::AsyncBufRead + Unpin + Send>),
    /// The container has not started yet (the kubelet's 400): nothing to read so far.
    NotStarted(String),
    /// `--previous` of a container that never restarted: there is no such log.
    NoPrevious,
    /// The pod is gone.
    Gone,
    Failed(KxError),
}

/// What a 400 to a log request means. The API server words these only in its message (its
/// reason is a bare BadRequest), so the message is all there is to read.
fn bad_request(message: &str) -> Opened {
    if message.contains("is waiting to start") || message.contains("PodInitializing") {
        Opened::NotStarted(message.to_string())
    } else if message.starts_with("previous terminated container") {
        Opened::NoPrevious
    } else {
        Opened::Failed(KxError::Invalid {
            message: crate::cluster::errors::one_line(message),
        })
    }
}

/// Whether a line's first word is the kubelet's RFC 3339 timestamp
/// (`2026-11-22T05:00:01.123456789Z`): checked by shape, which is cheap on the hot path.
fn looks_like_timestamp(word: &str) -> bool {
    let b = word.as_bytes();
    b.len() >= 20 && b[4] == b'-' && b[7] == b'-' && b[10] == b'T' && b[13] == b':'
}

async fn open(client: &Client, path: &str) -> Opened {
    let req = match http::Request::get(path).body(Vec::new()) {
        Ok(r) => r,
        Err(e) => return Opened::Failed(KxError::Other(format!("building the log request: {e}"))),
    };
    match client.request_stream(req).await {
        Ok(body) => Opened::Stream(Box::new(body)),
        Err(kube::Error::Api(s)) if s.code == 404 => Opened::Gone,
        Err(kube::Error::Api(s)) if s.code == 400 => bad_request(&s.message),
        Err(e) => Opened::Failed(classify(&e)),
    }
}

/// Whether the pod still runs the container's successors: after a stream ends, a running or
/// restarting container is followed on; a finished pod or a deleted one is not.
async fn pod_goes_on(client: &Client, t: &Target) -> Result<bool, String> {
    let pods: kube::Api<k8s_openapi::api::core::v1::Pod> =
        kube::Api::namespaced(client.clone(), &t.namespace);
    match pods.get_opt(&t.pod).await {
        Ok(None) => Ok(false),
        Ok(Some(p)) => {
            let phase = p.status.and_then(|s| s.phase).unwrap_or_default();
            Ok(phase != "Succeeded" && phase != "Failed")
        }
        Err(e) => Err(e.to_string()),
    }
}

/// Follows one container until it is gone (or, without follow, to the end of its log).
/// Lines are sent as they come; a slow receiver slows the stream, nothing is dropped. A failed
/// or broken request is retried with backoff and resumed after the last line delivered.
pub async fn follow_container(
    client: Client,
    target: Arc<Target>,
    opts: StreamOpts,
    tx: mpsc::Sender<LogEvent>,
) {
    let _ = tx.send(LogEvent::Joined(target.clone())).await;
    let reason = match follow_inner(&client, &target, &opts, &tx).await {
        Ok(reason) => reason,
        Err(e) => {
            let why = e.to_string();
            let _ = tx.send(LogEvent::Failed(target.clone(), e)).await;
            why
        }
    };
    let _ = tx.send(LogEvent::Left(target, reason)).await;
}

/// Runs until the container's log is done (Ok: why it was left) or cannot be read (Err).
async fn follow_inner(
    client: &Client,
    target: &Arc<Target>,
    opts: &StreamOpts,
    tx: &mpsc::Sender<LogEvent>,
) -> Result<String, KxError> {
    let mut resume = Resume::default();
    let retry = Retry::new(opts.policy());
    let mut waiting = Duration::ZERO;
    // Whether a `Retrying` was sent and not yet followed by `Recovered`.
    let mut troubled = false;
    // Waits before the next attempt; Err when it is time to give up.
    let fail = async |error: KxError, troubled: &mut bool| -> Result<(), KxError> {
        match retry.failed(error.clone()) {
            Ok((delay, trouble)) => {
                // One failure that the next attempt gets past is a blip: not worth a word.
                if !*troubled && trouble.failures >= 2 {
                    *troubled = true;
                    let _ = tx.send(LogEvent::Retrying(target.clone(), trouble)).await;
                }
                tokio::time::sleep(delay).await;
                Ok(())
            }
            Err(trouble) => Err(KxError::GaveUp {
                after: opts.give_up_after.unwrap_or_default(),
                last: Box::new(trouble.error),
            }),
        }
    };
    loop {
        resume.reopen();
        // A request the server never answers is a failure like any other.
        let opened = tokio::time::timeout(
            opts.idle_timeout,
            open(client, &log_path(target, opts, &resume)),
        )
        .await
        .unwrap_or_else(|_| {
            Opened::Failed(KxError::Other(format!(
                "no answer to the log request in {}",
                crate::duration::human(opts.idle_timeout)
            )))
        });
        let body = match opened {
            Opened::Stream(b) => b,
            Opened::Gone => return Ok("the pod is gone".into()),
            Opened::NoPrevious => return Ok("no previous instance".into()),
            Opened::NotStarted(why) if !opts.follow => return Ok(format!("no log yet: {why}")),
            Opened::NotStarted(_) => {
                // Waiting to start is not a failure: look again, less often as it goes on.
                waiting = (waiting * 2).clamp(Duration::from_millis(500), Duration::from_secs(5));
                tokio::time::sleep(waiting).await;
                continue;
            }
            // Waiting will not fix RBAC or credentials.
            Opened::Failed(e) if !e.is_transient() => return Err(e),
            Opened::Failed(e) => {
                fail(e, &mut troubled).await?;
                continue;
            }
        };
        let mut lines = body.lines();
        let mut progressed = false;
        waiting = Duration::ZERO;
        let broke = loop {
            let next = match tokio::time::timeout(opts.idle_timeout, lines.next()).await {
                Ok(n) => n,
                // Quiet for too long: reopen from the last line, in case the stream stalled.
                // Following, a quiet container is normal, and a stream that stayed open that
                // long is a healthy one: whatever trouble there was is over.
                Err(_) if opts.follow => {
                    retry.succeeded();
                    if std::mem::take(&mut troubled) {
                        let _ = tx.send(LogEvent::Recovered(target.clone())).await;
                    }
                    break None;
                }
                Err(_) => {
                    break Some(KxError::Other(format!(
                        "the log stream stalled for {}",
                        crate::duration::human(opts.idle_timeout)
                    )));
                }
            };
            let line = match next {
                Some(Ok(l)) => l,
                Some(Err(e)) => {
                    tracing::debug!(
                        "log stream of {}/{} broke: {e}",
                        target.pod,
                        target.container
                    );
                    break Some(KxError::Other(format!("the log stream broke off: {e}")));
                }
                None if !opts.follow => return Ok("end of log".into()),
                None => match pod_goes_on(client, target).await {
                    Ok(true) => break None,
                    Ok(false) => return Ok("the pod is gone or finished".into()),
                    Err(_) => break None,
                },
            };
            if !progressed {
                progressed = true;
                retry.succeeded();
                if std::mem::take(&mut troubled) {
                    let _ = tx.send(LogEvent::Recovered(target.clone())).await;
                }
            }
            // The line's own allocation becomes the timestamp; only the message is copied.
            let mut ts = line;
            let text = match ts.find(' ') {
                Some(i) if looks_like_timestamp(&ts[..i]) => {
                    let text = ts[i + 1..].to_string();
                    ts.truncate(i);
                    text
                }
                _ if looks_like_timestamp(&ts) => String::new(),
                // No timestamp (not from the kubelet): the whole line is text, and it is
                // nothing to resume from.
                _ => {
                    let event = LogEvent::Line(LogLine {
                        target: target.clone(),
                        ts: String::new(),
                        text: std::mem::take(&mut ts),
                    });
                    if tx.send(event).await.is_err() {
                        return Ok("stopped".into());
                    }
                    continue;
                }
            };
            if !resume.admit(&ts) {
                continue;
            }
            let event = LogEvent::Line(LogLine {
                target: target.clone(),
                ts,
                text,
            });
            if tx.send(event).await.is_err() {
                return Ok("stopped".into());
            }
        };
        match broke {
            // A broken stream is a failure like a failed request: counted, and resumed.
            Some(e) => fail(e, &mut troubled).await?,
            // Give a restarting container a moment before asking again.
            None => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_resumed_stream_skips_exactly_what_was_delivered() {
        let mut r = Resume::default();
        let first = [
            "2026-11-22T05:00:00.5Z",
            "2026-11-22T05:00:01Z",
            "2026-11-22T05:00:01Z",
        ];
        assert!(first.iter().all(|ts| r.admit(ts)));
        assert_eq!(r.since_time(), Some("2026-11-22T05:00:01Z"));
        // The server sends again from the last timestamp (a real one from its whole second).
        r.reopen();
        let again = [
            ("2026-11-22T05:00:00.5Z", false),
            ("2026-11-22T05:00:01Z", false),
            ("2026-11-22T05:00:01Z", false),
            ("2026-11-22T05:00:01Z", true),
            ("2026-11-22T05:00:02Z", true),
        ];
        for (ts, new) in again {
            assert_eq!(r.admit(ts), new, "{ts}");
        }
        r.reopen();
        assert!(!r.admit("2026-11-22T05:00:02Z"));
        assert!(r.admit("2026-11-22T05:00:03Z"));
        assert!(
            r.admit("not-a-timestamp"),
            "unreadable lines are never dropped"
        );
    }

    #[test]
    fn timestamps_are_told_by_shape_and_400s_by_what_they_say() {
        assert!(looks_like_timestamp("2026-11-22T05:00:01.123456789Z"));
        assert!(!looks_like_timestamp("error:"));
        assert!(!looks_like_timestamp("2026-11-22"));
        assert!(matches!(
            bad_request("container \"app\" in pod \"x\" is waiting to start: ContainerCreating"),
            Opened::NotStarted(_)
        ));
        assert!(matches!(
            bad_request("previous terminated container \"app\" in pod \"x\" not found"),
            Opened::NoPrevious
        ));
        assert!(matches!(
            bad_request("parsing time \"x\" as \"2006-01-02\": cannot parse"),
            Opened::Failed(KxError::Invalid { .. })
        ));
    }

    #[test]
    fn the_first_request_uses_since_and_tail_and_a_resume_uses_since_time() {
        let t = Target {
            namespace: "shop".into(),
            pod: "web-1".into(),
            container: "nginx".into(),
        };
        let opts = StreamOpts {
            follow: true,
            since_seconds: Some(60),
            tail: Some(10),
            previous: false,
            idle_timeout: Duration::from_secs(30),
            give_up_after: None,
        };
        let mut r = Resume::default();
        assert_eq!(
            log_path(&t, &opts, &r),
            "/api/v1/namespaces/shop/pods/web-1/log?container=nginx&timestamps=true&follow=true&sinceSeconds=60&tailLines=10"
        );
        r.admit("2026-11-22T05:00:01.25Z");
        assert_eq!(
            log_path(&t, &opts, &r),
            "/api/v1/namespaces/shop/pods/web-1/log?container=nginx&timestamps=true&follow=true&sinceTime=2026-11-22T05%3A00%3A01.25Z"
        );
    }
}
