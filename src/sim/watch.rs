//! Watches: replay from a resourceVersion (or 410 Gone when that is too old), then live
//! events, with selector transitions, bookmarks, timeouts and the injected faults.

use super::cluster::Cluster;
use super::errors::ApiError;
use super::format::{Format, object_body, watch_line};
use super::http::Params;
use super::registry::ResourceType;
use super::selector::{FieldSelector, LabelSelector};
use super::store::{Event, EventType, Stored, type_key};
use axum::body::Body;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{broadcast, mpsc};
use tokio_stream::wrappers::ReceiverStream;

/// Which objects a list or watch takes: namespace, label and field selectors.
pub struct Selection {
    pub namespace: String,
    labels: LabelSelector,
    fields: FieldSelector,
}

impl Selection {
    pub fn from_params(rt: &ResourceType, params: &Params) -> Result<Self, ApiError> {
        let labels = LabelSelector::parse(params.get("labelSelector").map_or("", String::as_str))
            .map_err(ApiError::bad_request)?;
        let fields = FieldSelector::parse(params.get("fieldSelector").map_or("", String::as_str))
            .map_err(ApiError::bad_request)?;
        fields
            .check_supported(&rt.kind)
            .map_err(ApiError::bad_request)?;
        Ok(Selection {
            namespace: String::new(),
            labels,
            fields,
        })
    }

    pub fn matches(&self, s: &Stored) -> bool {
        (self.namespace.is_empty() || s.namespace == self.namespace)
            && (self.labels.is_empty() || self.labels.matches(&s.labels))
            && (self.fields.is_empty() || self.fields.matches(|p| s.field(p)))
    }
}

/// What a watcher sees of an event: selector transitions turn into ADDED or DELETED.
fn visible_type(sel: &Selection, e: &Event) -> Option<EventType> {
    let now = sel.matches(&e.object);
    let before = e.previous.as_ref().is_some_and(|p| sel.matches(p));
    match e.type_ {
        EventType::Added => now.then_some(EventType::Added),
        EventType::Deleted => before.then_some(EventType::Deleted),
        EventType::Modified => match (before, now) {
            (true, true) => Some(EventType::Modified),
            (false, true) => Some(EventType::Added),
            (true, false) => Some(EventType::Deleted),
            (false, false) => None,
        },
    }
}

fn bookmark(rt: &ResourceType, rv: u64, initial_end: bool) -> Bytes {
    let mut meta = json!({"resourceVersion": rv.to_string()});
    if initial_end {
        meta["annotations"] = json!({"k8s.io/initial-events-end": "true"});
    }
    let obj = json!({"kind": rt.kind, "apiVersion": rt.api_version(), "metadata": meta});
    watch_line("BOOKMARK", &serde_json::to_vec(&obj).unwrap_or_default())
}

fn gone_line(message: String) -> Bytes {
    let status = ApiError::gone(message).status_json();
    watch_line("ERROR", &serde_json::to_vec(&status).unwrap_or_default())
}

struct Encoder {
    rt: ResourceType,
    format: Format,
    sent_columns: bool,
}

impl Encoder {
    fn line(&mut self, type_: EventType, obj: &Arc<Stored>) -> Bytes {
        // Tables carry their column definitions in the first event only, as the API server's do.
        let with_columns = !self.sent_columns;
        self.sent_columns = true;
        let body = object_body(
            &self.rt,
            obj,
            self.format,
            with_columns,
            jiff::Timestamp::now().as_second(),
        );
        watch_line(type_.as_str(), &body)
    }
}

pub fn serve(
    cluster: Arc<Cluster>,
    rt: ResourceType,
    ns: String,
    params: &Params,
    format: Format,
) -> Result<Response, ApiError> {
    let mut selection = Selection::from_params(&rt, params)?;
    selection.namespace = ns;
    let key = type_key(&rt.group, &rt.plural);
    let requested_rv = params.get("resourceVersion").cloned().unwrap_or_default();
    let send_initial = params.get("sendInitialEvents").is_some_and(|v| v == "true");
    let bookmarks = params
        .get("allowWatchBookmarks")
        .is_some_and(|v| v == "true")
        && !matches!(format, Format::Table(_));
    let faults = cluster.faults.settings();
    let mut timeout = params
        .get("timeoutSeconds")
        .and_then(|t| t.parse::<f64>().ok())
        .filter(|t| *t > 0.0)
        .unwrap_or(1800.0);
    if faults.watch_close_after_secs > 0.0 {
        timeout = timeout.min(faults.watch_close_after_secs);
    }

    let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(256);
    let mut encoder = Encoder {
        rt: rt.clone(),
        format,
        sent_columns: false,
    };
    let mut initial: Vec<Bytes> = Vec::new();
    let (live, start_rv) = {
        let store = cluster.read();
        let live = cluster.subscribe();
        if cluster.faults.take_gone_watch() {
            initial.push(gone_line(
                "too old resource version (injected by kx sim)".into(),
            ));
            (None, 0)
        } else if requested_rv.is_empty() || requested_rv == "0" || send_initial {
            for s in store.list(&key, &selection.namespace) {
                if selection.matches(&s) {
                    initial.push(encoder.line(EventType::Added, &s));
                }
            }
            if send_initial && bookmarks {
                initial.push(bookmark(&rt, store.rv, true));
            }
            (Some(live), store.rv)
        } else {
            let rv: u64 = requested_rv.parse().map_err(|_| {
                ApiError::bad_request(format!("invalid resource version {requested_rv:?}"))
            })?;
            match store.events_since(&key, rv) {
                None => {
                    initial.push(gone_line(format!(
                        "too old resource version: {rv} ({})",
                        store.oldest_resumable_rv()
                    )));
                    (None, 0)
                }
                Some(events) => {
                    for e in events {
                        if let Some(t) = visible_type(&selection, &e) {
                            initial.push(encoder.line(t, &e.object));
                        }
                    }
                    // Every change up to the store's version is in the replay (under this
                    // lock); the feed brings the rest.
                    (Some(live), store.rv.max(rv))
                }
            }
        }
    };

    tokio::spawn(async move {
        for chunk in initial {
            if tx.send(Ok(chunk)).await.is_err() {
                return;
            }
        }
        if let Some(live) = live {
            let sent = Sent {
                selection,
                encoder,
                key,
                last_rv: start_rv,
            };
            stream_live(live, tx, sent, bookmarks, Duration::from_secs_f64(timeout)).await;
        }
    });
    let body = Body::from_stream(ReceiverStream::new(rx));
    let mut resp = (StatusCode::OK, body).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    Ok(resp)
}

/// What a live watch has sent so far: the last resourceVersion it has taken from the
/// change feed (of any kind, so its bookmarks can move on while its own kind is quiet).
struct Sent {
    selection: Selection,
    encoder: Encoder,
    key: String,
    last_rv: u64,
}

impl Sent {
    /// The line a change makes on this watch, if any; every change read moves `last_rv`.
    fn take(&mut self, e: &Event) -> Option<Bytes> {
        if e.rv <= self.last_rv {
            return None;
        }
        self.last_rv = e.rv;
        if e.type_key != self.key {
            return None;
        }
        let t = visible_type(&self.selection, e)?;
        Some(self.encoder.line(t, &e.object))
    }
}

/// Sends what the feed already holds, then a bookmark at the last version read from it. A
/// bookmark at the store's version instead could name a change still queued for this watch,
/// and a client that resumed from it would never see that change. `false` when the watch is
/// over (the client went, or the watch fell behind the feed and must be resumed).
async fn catch_up_and_mark(
    live: &mut broadcast::Receiver<Arc<Event>>,
    tx: &mpsc::Sender<Result<Bytes, std::io::Error>>,
    sent: &mut Sent,
) -> bool {
    loop {
        match live.try_recv() {
            Ok(e) => {
                if let Some(line) = sent.take(&e)
                    && tx.send(Ok(line)).await.is_err()
                {
                    return false;
                }
            }
            Err(broadcast::error::TryRecvError::Empty) => break,
            Err(_) => return false,
        }
    }
    let mark = bookmark(&sent.encoder.rt, sent.last_rv, false);
    tx.send(Ok(mark)).await.is_ok()
}

async fn stream_live(
    mut live: broadcast::Receiver<Arc<Event>>,
    tx: mpsc::Sender<Result<Bytes, std::io::Error>>,
    mut sent: Sent,
    bookmarks: bool,
    timeout: Duration,
) {
    let deadline = tokio::time::Instant::now() + timeout;
    let mut tick = tokio::time::interval(Duration::from_secs(5));
    tick.tick().await;
    loop {
        tokio::select! {
            _ = tokio::time::sleep_until(deadline) => {
                if bookmarks {
                    catch_up_and_mark(&mut live, &tx, &mut sent).await;
                }
                return;
            }
            _ = tick.tick() => {
                if bookmarks && !catch_up_and_mark(&mut live, &tx, &mut sent).await {
                    return;
                }
            }
            _ = tx.closed() => return,
            event = live.recv() => {
                let e = match event {
                    Ok(e) => e,
                    // A watcher that fell behind is closed; the client re-watches from its last version.
                    Err(broadcast::error::RecvError::Lagged(_)) | Err(broadcast::error::RecvError::Closed) => return,
                };
                if let Some(line) = sent.take(&e)
                    && tx.send(Ok(line)).await.is_err()
                {
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::registry::builtin_types;
    use crate::sim::store::Store;

    fn lines(rx: &mut mpsc::Receiver<Result<Bytes, std::io::Error>>) -> Vec<serde_json::Value> {
        let mut out = Vec::new();
        while let Ok(Ok(line)) = rx.try_recv() {
            out.push(serde_json::from_slice(&line).unwrap());
        }
        out
    }

    #[tokio::test]
    async fn a_bookmark_comes_after_the_changes_already_queued_and_names_the_last_one_read() {
        let rt = builtin_types()
            .into_iter()
            .find(|t| t.plural == "configmaps")
            .unwrap();
        let mut store = Store::new(builtin_types(), 100);
        let (feed, mut live) = broadcast::channel(16);
        let cm = |name: &str, rv: u64| {
            json!({"apiVersion": "v1", "kind": "ConfigMap",
                   "metadata": {"name": name, "namespace": "a", "resourceVersion": rv.to_string()}})
        };
        // A change of this kind and one of another kind wait in the feed, not yet read.
        let rv = store.next_rv();
        feed.send(store.put("/configmaps", Stored::new(&rt, &cm("queued", rv))))
            .unwrap();
        let rv = store.next_rv();
        feed.send(store.put("/secrets", Stored::new(&rt, &cm("other", rv))))
            .unwrap();
        let (tx, mut rx) = mpsc::channel(8);
        let mut sent = Sent {
            selection: Selection::from_params(&rt, &Params::new()).unwrap(),
            encoder: Encoder {
                rt: rt.clone(),
                format: Format::Full,
                sent_columns: false,
            },
            key: "/configmaps".into(),
            last_rv: rv - 2,
        };
        assert!(catch_up_and_mark(&mut live, &tx, &mut sent).await);
        let out = lines(&mut rx);
        assert_eq!(out.len(), 2, "{out:?}");
        assert_eq!(out[0]["type"], "ADDED");
        assert_eq!(out[0]["object"]["metadata"]["name"], "queued");
        assert_eq!(out[1]["type"], "BOOKMARK");
        assert_eq!(
            out[1]["object"]["metadata"]["resourceVersion"],
            rv.to_string(),
            "the other kind's change moves the mark too"
        );
        // A change already sent is not sent again, and the mark stays.
        feed.send(store.history.back().unwrap().clone()).unwrap();
        assert!(catch_up_and_mark(&mut live, &tx, &mut sent).await);
        let out = lines(&mut rx);
        assert_eq!(out.len(), 1);
        assert_eq!(
            out[0]["object"]["metadata"]["resourceVersion"],
            rv.to_string()
        );
    }
}
