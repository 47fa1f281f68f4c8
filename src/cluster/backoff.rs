//! One retry policy for everything kx asks of the API server — lists and watches, discovery,
//! object followers, log streams — with jitter, so that a thousand streams failing together do
//! not come back together. A following task retries for as long as it runs; a one-shot command
//! gives up after its `--request-timeout`. Each retrier keeps a count, the time trouble began
//! and the next attempt, so that people are told once and then shown a counter
//! ("reconnecting: 5 failures since 01:02:03, next in 8 s").

use super::errors::KxError;
use backon::BackoffBuilder;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long one-shot work keeps trying (`--request-timeout`). kubectl's own default is no
/// timeout at all; 30 s is long enough for a slow credential plugin and short enough for a
/// person at 3 a.m.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// How long to wait between attempts, and when to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub first: Duration,
    pub longest: Duration,
    /// None: never give up (following); Some: a one-shot command's `--request-timeout`.
    pub give_up_after: Option<Duration>,
}

impl Policy {
    /// For what runs until the user stops it: the TUI, `kx logs`, `kx changes`, `kx trace`.
    pub const FOLLOWING: Policy = Policy {
        first: Duration::from_millis(500),
        longest: Duration::from_secs(30),
        give_up_after: None,
    };

    /// For a followed container's log: one stream per container, so a long wait would leave
    /// that container's lines far behind once the server recovers.
    pub const LOG_STREAM: Policy = Policy {
        first: Duration::from_millis(250),
        longest: Duration::from_secs(8),
        give_up_after: None,
    };

    /// For one-shot work, bounded by `--request-timeout`.
    pub fn bounded(limit: Duration) -> Policy {
        Policy {
            first: Duration::from_millis(250),
            longest: Duration::from_secs(5),
            give_up_after: Some(limit),
        }
    }

    fn builder(&self) -> backon::ExponentialBuilder {
        backon::ExponentialBuilder::default()
            .with_min_delay(self.first)
            .with_max_delay(self.longest)
            .with_factor(2.0)
            .with_jitter()
            .without_max_times()
    }
}

/// What a retrying task reports while it cannot get through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trouble {
    pub error: KxError,
    pub failures: u32,
    /// When the first failure of this run of failures happened.
    pub since: jiff::Timestamp,
    /// When the next attempt is due; None when the task gave up.
    pub next_at: Option<jiff::Timestamp>,
}

impl Trouble {
    /// A single failure with nothing scheduled after it.
    pub fn once(error: KxError) -> Trouble {
        Trouble {
            error,
            failures: 1,
            since: jiff::Timestamp::now(),
            next_at: None,
        }
    }

    /// `reconnecting: 5 failures since 01:02:03, next in 8 s — <what failed>`.
    pub fn line(&self, now: jiff::Timestamp) -> String {
        let since = self
            .since
            .to_zoned(jiff::tz::TimeZone::system())
            .strftime("%H:%M:%S");
        let count = if self.failures == 1 {
            "1 failure".to_string()
        } else {
            format!("{} failures", self.failures)
        };
        match self.next_at {
            Some(at) => {
                let wait = Duration::try_from(at.duration_since(now)).unwrap_or_default();
                format!(
                    "reconnecting: {count} since {since}, next in {} — {}",
                    crate::duration::human(wait),
                    self.error
                )
            }
            None => format!("gave up: {count} since {since} — {}", self.error),
        }
    }
}

#[derive(Debug, Default)]
struct Count {
    failures: u32,
    since: Option<(Instant, jiff::Timestamp)>,
    next_at: Option<jiff::Timestamp>,
    /// When the next attempt was due: a failure long after it means that attempt got
    /// through (a quiet watch says nothing when it does), so a new run of failures begins.
    due: Option<Instant>,
    /// The last failure will not pass by waiting (RBAC, credentials, TLS): wait the longest.
    lasting: bool,
    /// Every failure ever, never reset: whether any came between two moments.
    total: u64,
}

/// How long after an attempt was due a new failure counts as a new run of trouble.
const NEW_RUN_AFTER: Duration = Duration::from_secs(10);

/// A retrier: `failed` says how long to wait (or that it is time to give up), `succeeded`
/// starts over. Cloning shares the count, so a stream's backoff and its reader agree.
#[derive(Clone)]
pub struct Retry {
    policy: Policy,
    builder: backon::ExponentialBuilder,
    delays: Arc<Mutex<backon::ExponentialBackoff>>,
    count: Arc<Mutex<Count>>,
}

impl Retry {
    pub fn new(policy: Policy) -> Retry {
        let builder = policy.builder();
        Retry {
            policy,
            delays: Arc::new(Mutex::new(builder.build())),
            builder,
            count: Arc::new(Mutex::new(Count::default())),
        }
    }

    fn count(&self) -> std::sync::MutexGuard<'_, Count> {
        self.count.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Notes what the coming failure is, before `next_delay` counts it: errors that waiting
    /// will not fix are retried at the longest interval (a credential plugin is not run
    /// every half second, and RBAC is asked again now and then, in case access was granted).
    pub fn note(&self, error: &KxError) {
        self.count().lasting = !error.is_transient();
    }

    /// Notes a failure; the delay before the next attempt, or None when the policy gives up.
    pub fn next_delay(&self) -> Option<Duration> {
        let stale = self
            .count()
            .due
            .is_some_and(|due| due.elapsed() > NEW_RUN_AFTER);
        if stale {
            self.restart();
        }
        let delay = self
            .delays
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .next()
            .unwrap_or(self.policy.longest);
        let mut count = self.count();
        let delay = if std::mem::take(&mut count.lasting) {
            self.policy.longest
        } else {
            delay
        };
        count.failures += 1;
        count.total += 1;
        let (began, _) = *count
            .since
            .get_or_insert_with(|| (Instant::now(), jiff::Timestamp::now()));
        let delay = match self.policy.give_up_after {
            Some(limit) => {
                let spent = began.elapsed();
                if spent >= limit {
                    count.next_at = None;
                    count.due = None;
                    return None;
                }
                // The last wait ends at the deadline, for one final attempt.
                delay.min(limit - spent)
            }
            None => delay,
        };
        count.next_at = Some(after(delay));
        count.due = Some(Instant::now() + delay);
        Some(delay)
    }

    /// Notes a failure and reports it: the delay to wait, or Err when giving up.
    pub fn failed(&self, error: KxError) -> Result<(Duration, Trouble), Box<Trouble>> {
        self.note(&error);
        let delay = self.next_delay();
        let trouble = self.trouble(error);
        match delay {
            Some(d) => Ok((d, trouble)),
            None => Err(Box::new(trouble)),
        }
    }

    /// The current run of failures with this error, as a report.
    pub fn trouble(&self, error: KxError) -> Trouble {
        let count = self.count();
        Trouble {
            error,
            failures: count.failures.max(1),
            since: count
                .since
                .map(|(_, t)| t)
                .unwrap_or_else(jiff::Timestamp::now),
            next_at: count.next_at,
        }
    }

    /// How many failures in a row so far.
    pub fn failures(&self) -> u32 {
        self.count().failures
    }

    /// Got through: the next failure starts a new count, with short waits again.
    pub fn succeeded(&self) {
        self.restart();
    }

    fn restart(&self) {
        *self.delays.lock().unwrap_or_else(|e| e.into_inner()) = self.builder.build();
        let mut count = self.count();
        let (lasting, total) = (count.lasting, count.total);
        *count = Count {
            lasting,
            total,
            ..Count::default()
        };
    }

    /// Failures ever noted (never reset).
    fn total_failures(&self) -> u64 {
        self.count().total
    }
}

/// Runs a one-shot request until it succeeds, fails for good (bad credentials, RBAC, not
/// found: waiting will not help), or `limit` has passed; `on_retry` hears each transient failure
/// (a command says the first one on stderr). `server` names the API server when an attempt
/// hangs past the deadline.
pub async fn retry_until<T, Fut>(
    server: &str,
    limit: Duration,
    mut attempt: impl FnMut() -> Fut,
    mut on_retry: impl FnMut(&Trouble),
) -> Result<T, KxError>
where
    Fut: std::future::Future<Output = Result<T, KxError>>,
{
    let deadline = tokio::time::Instant::now() + limit;
    let retry = Retry::new(Policy::bounded(limit));
    loop {
        // Every attempt, a hanging one too, ends by the deadline.
        let error = match tokio::time::timeout_at(deadline, attempt()).await {
            Ok(Ok(v)) => return Ok(v),
            Ok(Err(e)) if !e.is_transient() => return Err(e),
            Ok(Err(e)) => e,
            Err(_) => KxError::Unreachable {
                url: server.to_string(),
                cause: super::errors::Unreachable::TimedOut,
            },
        };
        // The last attempt goes out just before the deadline, so it can still answer.
        let left = deadline
            .saturating_duration_since(tokio::time::Instant::now())
            .saturating_sub(LAST_CALL);
        match retry.failed(error.clone()) {
            Ok((delay, trouble)) if !left.is_zero() => {
                on_retry(&trouble);
                tokio::time::sleep(delay.min(left)).await;
            }
            _ => {
                return Err(KxError::GaveUp {
                    after: limit,
                    last: Box::new(error),
                });
            }
        }
    }
}

/// Time left for the last attempt before a deadline.
const LAST_CALL: Duration = Duration::from_millis(100);

/// `retry_until` for callers that branch on the kube error itself (a 409, a 422): transient
/// failures are retried until `limit`, each attempt ends by then too, and the last error is
/// returned as it came (`None` when the last attempt got no answer in time).
pub async fn retry_kube<T, Fut>(
    limit: Duration,
    mut attempt: impl FnMut() -> Fut,
) -> Result<T, Option<kube::Error>>
where
    Fut: std::future::Future<Output = Result<T, kube::Error>>,
{
    let deadline = tokio::time::Instant::now() + limit;
    let retry = Retry::new(Policy::bounded(limit));
    loop {
        match tokio::time::timeout_at(deadline, attempt()).await {
            Ok(Ok(v)) => return Ok(v),
            Ok(Err(e)) if !super::errors::classify(&e).is_transient() => return Err(Some(e)),
            Err(_) => return Err(None),
            Ok(Err(e)) => {
                let left = deadline
                    .saturating_duration_since(tokio::time::Instant::now())
                    .saturating_sub(LAST_CALL);
                match retry.next_delay() {
                    Some(delay) if !left.is_zero() => tokio::time::sleep(delay.min(left)).await,
                    _ => return Err(Some(e)),
                }
            }
        }
    }
}

fn after(d: Duration) -> jiff::Timestamp {
    let now = jiff::Timestamp::now();
    jiff::SignedDuration::try_from(d)
        .ok()
        .and_then(|sd| now.checked_add(sd).ok())
        .unwrap_or(now)
}

/// kube-runtime's watcher streams take their backoff as an iterator of delays; this one is
/// the same policy, sharing its count with whoever reads the stream's errors.
impl Iterator for Retry {
    type Item = Duration;
    fn next(&mut self) -> Option<Duration> {
        self.next_delay()
    }
}

/// kube-runtime resets a stream's backoff on every item it passes on, and a watcher passes on
/// its own `Init` marker before each (re)list is even sent — so resetting here would keep the
/// count at one and a bounded policy from ever giving up. `watched` resets on real news instead.
impl kube::runtime::utils::Backoff for Retry {
    fn reset(&mut self) {}
}

/// A kube-runtime watcher retried by this policy: errors come out as reports (count, since,
/// next attempt); the count starts over when the server sends something, and when a watch
/// runs its course — a quiet list's watch that connects, runs a while and ends cleanly with
/// no error on the way got through, even though it brought no news. With a bounded policy the
/// stream ends once it gives up. `api` makes the watched Api from the client it is given.
pub fn watched<K>(
    client: &kube::Client,
    api: impl FnOnce(kube::Client) -> kube::Api<K>,
    config: kube::runtime::watcher::Config,
    policy: Policy,
) -> futures::stream::BoxStream<'static, Result<kube::runtime::watcher::Event<K>, Box<Trouble>>>
where
    K: kube::Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug + Send + 'static,
{
    use futures::StreamExt;
    use kube::runtime::WatchStreamExt;
    let retry = Retry::new(policy);
    let reader = retry.clone();
    let noter = retry.clone();
    let api = api(clean_ends::noted(client, retry.clone()));
    kube::runtime::watcher(api, config)
        // The error is classified before the backoff asks for its delay.
        .inspect(move |ev| {
            if let Err(e) = ev {
                noter.note(&super::errors::classify_watcher(e));
            }
        })
        .backoff(retry)
        .map(move |ev| match ev {
            Ok(kube::runtime::watcher::Event::Init) => Ok(kube::runtime::watcher::Event::Init),
            Ok(news) => {
                reader.succeeded();
                Ok(news)
            }
            Err(e) => Err(Box::new(
                reader.trouble(super::errors::classify_watcher(&e)),
            )),
        })
        // Boxed so that the stream does not hold on to `api`'s borrows.
        .boxed()
}

/// kube-runtime resumes a watch the server ended without passing anything on, so a watcher's
/// stream cannot tell a quiet watch that ran its course from one that never connected. This
/// client, one per watcher, tells its retrier when a watch's response ends cleanly after
/// running a while with no failure noted meanwhile (an error sent inside the watch, or a
/// server that closes every watch at once, is no success).
mod clean_ends {
    use super::Retry;
    use bytes::Bytes;
    use hyper::body::{Body, Frame, SizeHint};
    use std::pin::Pin;
    use std::task::{Context, Poll};
    use std::time::{Duration, Instant};

    /// How long a watch must have run to count as getting through.
    pub(super) const RAN_ITS_COURSE: Duration = Duration::from_secs(1);

    pub(super) fn noted(client: &kube::Client, retry: Retry) -> kube::Client {
        let inner = client.clone();
        let namespace = client.default_namespace().to_string();
        let service = tower::service_fn(move |request: http::Request<kube::client::Body>| {
            let inner = inner.clone();
            let retry = is_watch(request.uri()).then(|| retry.clone());
            async move {
                let response = inner.send(request).await?;
                let watch = retry
                    .filter(|_| response.status().is_success())
                    .map(|retry| Watch {
                        started: Instant::now(),
                        failures: retry.total_failures(),
                        retry,
                    });
                Ok::<_, kube::Error>(response.map(|body| EndNoted { body, watch }))
            }
        });
        kube::Client::new(service, namespace)
    }

    fn is_watch(uri: &http::Uri) -> bool {
        uri.query()
            .is_some_and(|q| q.split('&').any(|pair| pair == "watch=true"))
    }

    /// A watch that connected: when, and the failures noted by then.
    struct Watch {
        retry: Retry,
        started: Instant,
        failures: u64,
    }

    /// A response body that tells the retrier when its watch ran its course.
    struct EndNoted {
        body: kube::client::Body,
        watch: Option<Watch>,
    }

    impl Body for EndNoted {
        type Data = Bytes;
        type Error = <kube::client::Body as Body>::Error;

        fn poll_frame(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
            let polled = Pin::new(&mut self.body).poll_frame(cx);
            match &polled {
                Poll::Ready(None) => {
                    if let Some(w) = self.watch.take()
                        && w.started.elapsed() >= RAN_ITS_COURSE
                        && w.retry.total_failures() == w.failures
                    {
                        w.retry.succeeded();
                    }
                }
                // A watch cut off mid-way did not get through.
                Poll::Ready(Some(Err(_))) => self.watch = None,
                _ => {}
            }
            polled
        }

        fn is_end_stream(&self) -> bool {
            self.body.is_end_stream()
        }

        fn size_hint(&self) -> SizeHint {
            self.body.size_hint()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused() -> KxError {
        KxError::Unreachable {
            url: "https://k:6443".into(),
            cause: super::super::errors::Unreachable::Refused,
        }
    }

    #[test]
    fn delays_grow_within_bounds_and_a_success_starts_over() {
        let retry = Retry::new(Policy::FOLLOWING);
        let delays: Vec<Duration> = (0..12).filter_map(|_| retry.next_delay()).collect();
        assert_eq!(delays.len(), 12, "following never gives up");
        // Jitter adds up to the delay itself on top of it.
        assert!(delays[0] >= Duration::from_millis(500) && delays[0] <= Duration::from_secs(1));
        assert!(delays.iter().all(|d| *d <= Duration::from_secs(60)));
        assert!(delays[11] >= Duration::from_secs(30), "{delays:?}");
        assert_eq!(retry.failures(), 12);
        retry.succeeded();
        assert_eq!(retry.failures(), 0);
        let again = retry.next_delay().unwrap_or_default();
        assert!(again <= Duration::from_secs(1), "{again:?}");
    }

    #[test]
    fn a_bounded_policy_gives_up_at_its_deadline() {
        let retry = Retry::new(Policy::bounded(Duration::ZERO));
        let report = retry.failed(refused()).unwrap_err();
        assert_eq!(report.failures, 1);
        assert_eq!(report.next_at, None);
        assert!(
            report
                .line(jiff::Timestamp::now())
                .starts_with("gave up: 1 failure since ")
        );
        let roomy = Retry::new(Policy::bounded(Duration::from_secs(60)));
        let (delay, report) = roomy.failed(refused()).expect("within the deadline");
        assert!(delay <= Duration::from_millis(500));
        assert!(report.next_at.is_some());
    }

    #[test]
    fn the_trouble_line_counts_and_says_when_next() {
        let since: jiff::Timestamp = "2026-11-30T01:02:03Z".parse().unwrap();
        let t = Trouble {
            error: refused(),
            failures: 5,
            since,
            next_at: Some(since + jiff::SignedDuration::from_secs(20)),
        };
        let now = since + jiff::SignedDuration::from_secs(12);
        let local = since
            .to_zoned(jiff::tz::TimeZone::system())
            .strftime("%H:%M:%S")
            .to_string();
        assert_eq!(
            t.line(now),
            format!(
                "reconnecting: 5 failures since {local}, next in 8 s — cannot reach the API server at https://k:6443: connection refused; is the cluster running, and is this the right context?"
            )
        );
    }

    /// How each watch that connects goes.
    #[derive(Clone, Copy)]
    enum WatchEnd {
        /// Runs a while with nothing to say, then the server's timeout ends it.
        Quiet,
        /// Ends at once (a proxy that closes every watch).
        Brief,
        /// 200, then the connection is cut.
        Cut,
        /// An error inside the watch (an etcd failure), then a quiet clean end.
        ErrorThenQuiet,
    }

    /// A client that answers a list with nothing, then watches in turn: one that connects and
    /// goes as `end` says, one refused with a 503, and so on.
    fn scripted_client(end: WatchEnd) -> kube::Client {
        use futures::StreamExt;
        use http_body_util::BodyExt;
        type Frames = futures::stream::BoxStream<
            'static,
            Result<hyper::body::Frame<bytes::Bytes>, tower::BoxError>,
        >;
        fn reply(
            status: u16,
            frames: Frames,
        ) -> http::Result<
            http::Response<impl hyper::body::Body<Data = bytes::Bytes, Error = tower::BoxError>>,
        > {
            http::Response::builder()
                .status(status)
                .body(BodyExt::boxed_unsync(http_body_util::StreamBody::new(
                    frames,
                )))
        }
        fn text(t: &str) -> Frames {
            let frame = hyper::body::Frame::data(bytes::Bytes::from(t.to_string()));
            futures::stream::iter([Ok(frame)]).boxed()
        }
        fn quiet() -> Frames {
            let ran = super::clean_ends::RAN_ITS_COURSE + Duration::from_millis(100);
            futures::stream::once(tokio::time::sleep(ran))
                .filter_map(|()| async { None })
                .boxed()
        }
        let calls = Arc::new(Mutex::new(0usize));
        let service = tower::service_fn(move |request: http::Request<kube::client::Body>| {
            let calls = calls.clone();
            async move {
                if !request.uri().query().unwrap_or("").contains("watch=true") {
                    let list = r#"{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"1"},"items":[]}"#;
                    return reply(200, text(list));
                }
                let n = {
                    let mut calls = calls.lock().unwrap();
                    *calls += 1;
                    *calls
                };
                if n % 2 == 0 {
                    let refused = r#"{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"ServiceUnavailable","code":503}"#;
                    return reply(503, text(refused));
                }
                let frames = match end {
                    WatchEnd::Quiet => quiet(),
                    WatchEnd::Brief => futures::stream::empty().boxed(),
                    WatchEnd::Cut => futures::stream::iter([Err("connection reset".into())]).boxed(),
                    WatchEnd::ErrorThenQuiet => text(
                        "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"message\":\"etcd is down\",\"reason\":\"InternalError\",\"code\":500}}\n",
                    )
                    .chain(quiet())
                    .boxed(),
                };
                reply(200, frames)
            }
        });
        kube::Client::new(service, "default")
    }

    /// The failure counts of the first `n` reports of a watch of pods through `client`.
    async fn counts(client: kube::Client, n: usize) -> Vec<u32> {
        use futures::StreamExt;
        let pods = |c| kube::Api::<k8s_openapi::api::core::v1::Pod>::all(c);
        watched(
            &client,
            pods,
            kube::runtime::watcher::Config::default(),
            Policy::FOLLOWING,
        )
        .filter_map(|ev| async move { ev.err().map(|t| t.failures) })
        .take(n)
        .collect()
        .await
    }

    #[tokio::test]
    async fn a_quiet_watch_that_ran_its_course_got_through() {
        // Quiet watches closed by the server between refusals: each refusal is a new first
        // failure, so a flapping server does not push a quiet list's retries out to 30 s.
        assert_eq!(counts(scripted_client(WatchEnd::Quiet), 3).await, [1, 1, 1]);
    }

    #[tokio::test]
    async fn watches_cut_off_closed_at_once_or_failing_inside_did_not() {
        for end in [WatchEnd::Cut, WatchEnd::Brief, WatchEnd::ErrorThenQuiet] {
            assert_eq!(counts(scripted_client(end), 3).await, [1, 2, 3]);
        }
    }
}
