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
                    let mut last = rv;
                    for e in events {
                        last = e.rv;
                        if let Some(t) = visible_type(&selection, &e) {
                            initial.push(encoder.line(t, &e.object));
                        }
                    }
                    (Some(live), last.max(rv))
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
            stream_live(
                live,
                tx,
                selection,
                encoder,
                start_rv,
                bookmarks,
                Duration::from_secs_f64(timeout),
                key,
                cluster,
            )
            .await;
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

#[allow(clippy::too_many_arguments)]
async fn stream_live(
    mut live: broadcast::Receiver<Arc<Event>>,
    tx: mpsc::Sender<Result<Bytes, std::io::Error>>,
    selection: Selection,
    mut encoder: Encoder,
    mut last_rv: u64,
    bookmarks: bool,
    timeout: Duration,
    key: String,
    cluster: Arc<Cluster>,
) {
    let deadline = tokio::time::Instant::now() + timeout;
    let mut tick = tokio::time::interval(Duration::from_secs(5));
    tick.tick().await;
    loop {
        tokio::select! {
            _ = tokio::time::sleep_until(deadline) => {
                if bookmarks {
                    let rv = cluster.read().rv.max(last_rv);
                    let _ = tx.send(Ok(bookmark(&encoder.rt, rv, false))).await;
                }
                return;
            }
            _ = tick.tick() => {
                if bookmarks {
                    let rv = cluster.read().rv.max(last_rv);
                    if tx.send(Ok(bookmark(&encoder.rt, rv, false))).await.is_err() {
                        return;
                    }
                }
            }
            _ = tx.closed() => return,
            event = live.recv() => {
                let e = match event {
                    Ok(e) => e,
                    // A watcher that fell behind is closed; the client re-watches from its last version.
                    Err(broadcast::error::RecvError::Lagged(_)) | Err(broadcast::error::RecvError::Closed) => return,
                };
                if e.rv <= last_rv || e.type_key != key {
                    continue;
                }
                last_rv = e.rv;
                if let Some(t) = visible_type(&selection, &e) {
                    let line = encoder.line(t, &e.object);
                    if tx.send(Ok(line)).await.is_err() {
                        return;
                    }
                }
            }
        }
    }
}
