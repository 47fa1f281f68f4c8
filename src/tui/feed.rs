//! Watches of whole objects for screens that need more than a list's rows (the live linter,
//! xray): a watch per kind in a scope; each object is turned into what the screen keeps (its
//! lint entry, its xray node) where it arrives, and the object goes; the app gets the results
//! in batches.

use super::action::Action;
use super::runtime::Inbound;
use crate::cluster::backoff::{Policy, watched};
use crate::cluster::errors::KxError;
use crate::lint::Subject;
use futures::StreamExt;
use kube::Client;
use kube::api::{Api, DynamicObject};
use kube::core::{ApiResource, GroupVersionKind};
use kube::runtime::watcher::{Config, Event};
use serde_json::Value;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// News of one kind's objects, each made into a `T`.
#[derive(Debug)]
pub enum FeedNews<T> {
    /// A (re)list of the kind begins.
    Relist(&'static str),
    Put(Box<T>),
    Gone(Subject),
    /// The (re)list is complete.
    Listed(&'static str),
    /// The kind could not be read; `for_good` when waiting will not help (RBAC, not served).
    Failed {
        kind: &'static str,
        error: String,
        for_good: bool,
    },
}

/// Objects sent to the app at once at most, and how long news waits for company.
const BATCH: usize = 512;
const LINGER: Duration = Duration::from_millis(50);

fn value(obj: DynamicObject, resource: &ApiResource) -> Value {
    let mut v = serde_json::to_value(obj).unwrap_or(Value::Null);
    // Watch items carry no kind.
    v["apiVersion"] = Value::String(resource.api_version.clone());
    v["kind"] = Value::String(resource.kind.clone());
    v
}

/// Starts a watch per kind (group, version, kind); each runs until aborted. `make` turns an
/// object into what the screen keeps; `wrap` makes a batch an action.
pub fn start<T: Send + 'static>(
    client: Client,
    kinds: &[(&'static str, &'static str, &'static str)],
    namespace: Option<String>,
    make: impl Fn(&Value) -> T + Clone + Send + Sync + 'static,
    wrap: impl Fn(Vec<FeedNews<T>>) -> Action + Clone + Send + Sync + 'static,
    tx: mpsc::Sender<Inbound>,
) -> Vec<JoinHandle<()>> {
    kinds
        .iter()
        .map(|(group, version, kind)| {
            let kind: &'static str = kind;
            let resource = ApiResource::from_gvk(&GroupVersionKind::gvk(group, version, kind));
            let namespace = namespace.clone();
            let (client, tx, make, wrap) = (client.clone(), tx.clone(), make.clone(), wrap.clone());
            tokio::spawn(async move {
                let api = |c| match &namespace {
                    Some(ns) => Api::<DynamicObject>::namespaced_with(c, ns, &resource),
                    None => Api::<DynamicObject>::all_with(c, &resource),
                };
                let stream = watched(&client, api, Config::default(), Policy::FOLLOWING);
                let mut stream = std::pin::pin!(stream);
                let mut batch: Vec<FeedNews<T>> = Vec::new();
                loop {
                    let next = if batch.is_empty() {
                        stream.next().await
                    } else {
                        match tokio::time::timeout(LINGER, stream.next()).await {
                            Ok(n) => n,
                            Err(_) => {
                                let out = std::mem::take(&mut batch);
                                if tx.send(Inbound::Action(wrap(out))).await.is_err() {
                                    return;
                                }
                                continue;
                            }
                        }
                    };
                    let Some(next) = next else { return };
                    let mut stop = false;
                    let mut flush = false;
                    match next {
                        Ok(Event::Init) => batch.push(FeedNews::Relist(kind)),
                        Ok(Event::InitApply(o) | Event::Apply(o)) => {
                            batch.push(FeedNews::Put(Box::new(make(&value(o, &resource)))));
                        }
                        Ok(Event::Delete(o)) => {
                            batch.push(FeedNews::Gone(Subject::of(&value(o, &resource))));
                        }
                        Ok(Event::InitDone) => {
                            batch.push(FeedNews::Listed(kind));
                            flush = true;
                        }
                        Err(trouble) => {
                            let for_good = matches!(
                                trouble.error,
                                KxError::Forbidden(_) | KxError::NotFound { .. }
                            );
                            batch.push(FeedNews::Failed {
                                kind,
                                error: trouble.error.to_string(),
                                for_good,
                            });
                            flush = true;
                            stop = for_good;
                        }
                    }
                    if flush || batch.len() >= BATCH {
                        let out = std::mem::take(&mut batch);
                        if tx.send(Inbound::Action(wrap(out))).await.is_err() {
                            return;
                        }
                    }
                    if stop {
                        return;
                    }
                }
            })
        })
        .collect()
}
