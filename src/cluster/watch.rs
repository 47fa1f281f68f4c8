//! The watch layer: for one resource in one scope, a paged list of server-side Table rows, then
//! a watch from the list's version; resumes after a closed watch, relists after 410 Gone,
//! backs off on errors, and never gives up. It sends typed messages and knows nothing of the UI.

use super::backoff::{Policy, Retry, Trouble};
use super::discovery::ResourceInfo;
use super::errors::{KxError, classify};
use super::rows::{Column, Row, WireFullList, WireFullRow, WireFullTable, WireTable};
use futures::StreamExt;
use kube::Client;
use kube::core::WatchEvent;
use std::time::Duration;
use tokio::sync::mpsc;

/// Rows per list page. Table rows are small, so pages larger than kubectl's 500 cost little
/// per request and save round trips at 100k objects.
pub const PAGE_SIZE: u32 = 2000;

const TABLE_ACCEPT: &str = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json";

/// What a watch reports, in order: `Columns`, `WholeObjects`, `Init`, rows, `InitDone`, then
/// changes.
#[derive(Debug, Clone, PartialEq)]
pub enum WatchMsg {
    Columns(Vec<Column>),
    /// Whether this list came with whole objects (each row preceded by its `Revision`), so the
    /// revision history has every object from the moment the list opened.
    WholeObjects(bool),
    /// A (re)list starts: rows until `InitDone` replace everything known.
    Init,
    InitRow(Row),
    InitDone,
    Apply(Row),
    /// A live change's whole object as JSON text (sent just before its `Apply`), for the
    /// revision history. The list itself carries metadata only, to stay small.
    Revision(Box<str>),
    Delete(String),
    /// Something failed; the layer retries by itself. The report counts the failures and says
    /// when the next attempt is, for the status line; the rows known so far stay.
    Error(Trouble),
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    /// None: all namespaces (or a cluster-scoped resource).
    pub namespace: Option<String>,
    pub label_selector: Option<String>,
    pub field_selector: Option<String>,
}

fn query(scope: &Scope, extra: &[(&str, String)]) -> String {
    let mut q = form_urlencoded_pairs(extra);
    if let Some(l) = scope.label_selector.as_deref().filter(|l| !l.is_empty()) {
        q.push(("labelSelector".into(), l.into()));
    }
    if let Some(f) = scope.field_selector.as_deref().filter(|f| !f.is_empty()) {
        q.push(("fieldSelector".into(), f.into()));
    }
    serde_urlencoded::to_string(q).unwrap_or_default()
}

fn form_urlencoded_pairs(extra: &[(&str, String)]) -> Vec<(String, String)> {
    extra
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

fn table_request(path: &str) -> Result<http::Request<Vec<u8>>, http::Error> {
    http::Request::get(path)
        .header(http::header::ACCEPT, TABLE_ACCEPT)
        .body(Vec::new())
}

/// Why a watch stopped.
enum WatchEnd {
    /// The server closed it (timeout, or a dropped connection): watch again from `rv`.
    Resume,
    /// The version is too old: list again.
    Gone,
    Failed(KxError),
    /// Nobody listens any more.
    Closed,
}

/// How a list is fetched: rows per page, and up to how many objects the list takes whole
/// objects (see `WatchMsg::WholeObjects`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    pub page_size: u32,
    pub whole_up_to: usize,
}

impl Paging {
    /// Rows only, in pages of `page_size`.
    pub fn rows(page_size: u32) -> Paging {
        Paging {
            page_size,
            whole_up_to: 0,
        }
    }
}

/// Runs until the receiver is dropped.
pub async fn run(
    client: Client,
    resource: ResourceInfo,
    scope: Scope,
    tx: mpsc::Sender<WatchMsg>,
    paging: Paging,
) {
    let path = resource.collection_path(scope.namespace.as_deref());
    let retry = Retry::new(Policy::FOLLOWING);
    let quick = Retry::new(Policy::FOLLOWING);
    // Reports one failure and waits; false when nobody listens any more.
    let fail = async |e: KxError| -> bool {
        let Ok((delay, trouble)) = retry.failed(e) else {
            return false;
        };
        if tx.send(WatchMsg::Error(trouble)).await.is_err() {
            return false;
        }
        tokio::time::sleep(delay).await;
        true
    };
    loop {
        let rv = match list(&client, &path, &scope, &tx, paging).await {
            Ok(Some(rv)) => rv,
            Ok(None) => return,
            Err(e) => {
                if !fail(e).await {
                    return;
                }
                continue;
            }
        };
        retry.succeeded();
        let mut rv = rv;
        loop {
            let started = tokio::time::Instant::now();
            match watch(&client, &path, &scope, &tx, &mut rv).await {
                // A server that ends every watch at once (or answers every one with 410) must
                // not get a tight loop of requests: quick ends wait a little, growing, quietly.
                WatchEnd::Resume if started.elapsed() < QUICK_END => quick_end(&quick).await,
                WatchEnd::Resume => {
                    retry.succeeded();
                    quick.succeeded();
                }
                WatchEnd::Gone => {
                    if started.elapsed() < QUICK_END {
                        quick_end(&quick).await;
                    }
                    break;
                }
                WatchEnd::Closed => return,
                WatchEnd::Failed(e) => {
                    if !fail(e).await {
                        return;
                    }
                }
            }
        }
    }
}

/// A watch that ends sooner than this after it began counts as a quick end.
const QUICK_END: Duration = Duration::from_secs(1);

async fn quick_end(quick: &Retry) {
    if let Some(delay) = quick.next_delay() {
        tokio::time::sleep(delay).await;
    }
}

/// Lists every page; returns the version to watch from, or None when the receiver is gone.
async fn list(
    client: &Client,
    path: &str,
    scope: &Scope,
    tx: &mpsc::Sender<WatchMsg>,
    paging: Paging,
) -> Result<Option<String>, KxError> {
    let mut token: Option<String> = None;
    let mut first = true;
    loop {
        let mut extra = vec![
            ("limit", paging.page_size.to_string()),
            ("includeObject", "Metadata".to_string()),
        ];
        if let Some(t) = &token {
            extra.push(("continue", t.clone()));
        }
        let req = table_request(&format!("{path}?{}", query(scope, &extra)))
            .map_err(|e| KxError::Other(e.to_string()))?;
        let table: WireTable = client.request(req).await.map_err(|e| classify(&e))?;
        let complete = table
            .metadata
            .continue_
            .as_deref()
            .is_none_or(str::is_empty);
        if first && complete && paging.whole_up_to > 0 && table.rows.len() <= paging.whole_up_to {
            // Small: list again with whole objects, so every object's history starts now.
            // Rows came first because a list's size is only known once it is listed, and a
            // big one must not pay for objects (at 100k pods, 35 times the bytes).
            if let Some(rv) = list_whole(client, path, scope, tx, paging.whole_up_to).await? {
                return Ok(Some(rv));
            }
        }
        if first {
            first = false;
            if tx
                .send(WatchMsg::Columns(table.columns.clone()))
                .await
                .is_err()
                || tx.send(WatchMsg::WholeObjects(false)).await.is_err()
                || tx.send(WatchMsg::Init).await.is_err()
            {
                return Ok(None);
            }
        }
        for row in table.rows.iter().filter_map(Row::from_wire) {
            if tx.send(WatchMsg::InitRow(row)).await.is_err() {
                return Ok(None);
            }
        }
        match table.metadata.continue_.filter(|c| !c.is_empty()) {
            Some(next) => token = Some(next),
            None => {
                if tx.send(WatchMsg::InitDone).await.is_err() {
                    return Ok(None);
                }
                return Ok(Some(table.metadata.resource_version));
            }
        }
    }
}

/// The list with whole objects, each sent as a `Revision` before its row. Ok(None) when it
/// grew past `up_to` meanwhile (the caller lists rows only) or nobody listens any more.
async fn list_whole(
    client: &Client,
    path: &str,
    scope: &Scope,
    tx: &mpsc::Sender<WatchMsg>,
    up_to: usize,
) -> Result<Option<String>, KxError> {
    let extra = [
        ("limit", (up_to + 1).to_string()),
        ("includeObject", "Object".to_string()),
    ];
    let req = table_request(&format!("{path}?{}", query(scope, &extra)))
        .map_err(|e| KxError::Other(e.to_string()))?;
    let list: WireFullList = client.request(req).await.map_err(|e| classify(&e))?;
    if list
        .metadata
        .continue_
        .as_deref()
        .is_some_and(|c| !c.is_empty())
    {
        return Ok(None);
    }
    let mut msgs = vec![
        WatchMsg::Columns(list.columns.clone()),
        WatchMsg::WholeObjects(true),
        WatchMsg::Init,
    ];
    for (row, text) in list.rows.iter().filter_map(WireFullRow::parts) {
        msgs.push(WatchMsg::Revision(text.into()));
        msgs.push(WatchMsg::InitRow(row));
    }
    msgs.push(WatchMsg::InitDone);
    for m in msgs {
        if tx.send(m).await.is_err() {
            return Ok(None);
        }
    }
    Ok(Some(list.metadata.resource_version))
}

async fn watch(
    client: &Client,
    path: &str,
    scope: &Scope,
    tx: &mpsc::Sender<WatchMsg>,
    rv: &mut String,
) -> WatchEnd {
    let extra = [
        ("watch", "true".to_string()),
        ("resourceVersion", rv.clone()),
        ("timeoutSeconds", "290".to_string()),
        ("includeObject", "Object".to_string()),
    ];
    let req = match table_request(&format!("{path}?{}", query(scope, &extra))) {
        Ok(r) => r,
        Err(e) => return WatchEnd::Failed(KxError::Other(e.to_string())),
    };
    let stream = match client.request_events::<WireFullTable>(req).await {
        Ok(s) => s,
        Err(kube::Error::Api(s)) if s.code == 410 => return WatchEnd::Gone,
        Err(e) => return WatchEnd::Failed(classify(&e)),
    };
    let mut stream = stream.boxed();
    // Watch streams have no idle timeout of their own; the server's timeoutSeconds plus a margin bounds this one.
    let idle = Duration::from_secs(330);
    loop {
        let next = match tokio::time::timeout(idle, stream.next()).await {
            Ok(n) => n,
            Err(_) => return WatchEnd::Resume,
        };
        let event = match next {
            None => return WatchEnd::Resume,
            Some(Err(e)) => return WatchEnd::Failed(classify(&e)),
            Some(Ok(ev)) => ev,
        };
        let msgs: Vec<WatchMsg> = match event {
            WatchEvent::Added(t) | WatchEvent::Modified(t) => t
                .rows
                .iter()
                .filter_map(WireFullRow::parts)
                .flat_map(|(r, text)| {
                    [
                        WatchMsg::Revision(text.into()),
                        note_version(rv, r, WatchMsg::Apply),
                    ]
                })
                .collect(),
            WatchEvent::Deleted(t) => t
                .rows
                .iter()
                .filter_map(WireFullRow::parts)
                .map(|(r, _)| note_version(rv, r, |r| WatchMsg::Delete(r.uid)))
                .collect(),
            WatchEvent::Bookmark(b) => {
                *rv = b.metadata.resource_version;
                Vec::new()
            }
            WatchEvent::Error(e) if e.code == 410 => return WatchEnd::Gone,
            WatchEvent::Error(e) => return WatchEnd::Failed(KxError::from_status(&e)),
        };
        for m in msgs {
            if tx.send(m).await.is_err() {
                return WatchEnd::Closed;
            }
        }
    }
}

/// Remembers the newest version seen, so a closed watch resumes exactly after it.
fn note_version(rv: &mut String, row: Row, make: impl FnOnce(Row) -> WatchMsg) -> WatchMsg {
    if !row.resource_version.is_empty() {
        *rv = row.resource_version.clone();
    }
    make(row)
}
