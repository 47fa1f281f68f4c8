//! The runtime's side of the live linter: a watch per kind the rules read, in the lint view's
//! scope. Each object's own rules run here, where it arrives, and the object goes; the app
//! gets prepared entries in batches and only updates its indexes.

use super::action::Action;
use super::runtime::Inbound;
use crate::cluster::backoff::{Policy, watched};
use crate::cluster::errors::KxError;
use crate::lint::live::{Prepared, prepare};
use crate::lint::{KINDS, Settings, Subject};
use futures::StreamExt;
use kube::Client;
use kube::api::{Api, DynamicObject};
use kube::core::{ApiResource, GroupVersionKind};
use kube::runtime::watcher::{Config, Event};
use serde_json::Value;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// News for the lint view, per kind.
#[derive(Debug)]
pub enum LintNews {
    /// A (re)list of the kind begins.
    Relist(&'static str),
    Put(Box<Prepared>),
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

/// Starts a watch per kind; each runs until aborted.
pub fn start(
    client: Client,
    id: u64,
    namespace: Option<String>,
    settings: Settings,
    tx: mpsc::Sender<Inbound>,
) -> Vec<JoinHandle<()>> {
    KINDS
        .iter()
        .map(|(group, version, kind)| {
            let resource = ApiResource::from_gvk(&GroupVersionKind::gvk(group, version, kind));
            let api: Api<DynamicObject> = match &namespace {
                Some(ns) => Api::namespaced_with(client.clone(), ns, &resource),
                None => Api::all_with(client.clone(), &resource),
            };
            let (tx, settings) = (tx.clone(), settings.clone());
            tokio::spawn(async move {
                let stream = watched(api, Config::default(), Policy::FOLLOWING);
                let mut stream = std::pin::pin!(stream);
                let mut batch: Vec<LintNews> = Vec::new();
                loop {
                    let next = if batch.is_empty() {
                        stream.next().await
                    } else {
                        match tokio::time::timeout(LINGER, stream.next()).await {
                            Ok(n) => n,
                            Err(_) => {
                                let out = std::mem::take(&mut batch);
                                if tx
                                    .send(Inbound::Action(Action::LintBatch(id, out)))
                                    .await
                                    .is_err()
                                {
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
                        Ok(Event::Init) => batch.push(LintNews::Relist(kind)),
                        Ok(Event::InitApply(o) | Event::Apply(o)) => {
                            let v = value(o, &resource);
                            batch.push(LintNews::Put(Box::new(prepare(&v, &settings, true))));
                        }
                        Ok(Event::Delete(o)) => {
                            let v = value(o, &resource);
                            batch.push(LintNews::Gone(Subject::of(&v)));
                        }
                        Ok(Event::InitDone) => {
                            batch.push(LintNews::Listed(kind));
                            flush = true;
                        }
                        Err(trouble) => {
                            let for_good = matches!(
                                trouble.error,
                                KxError::Forbidden(_) | KxError::NotFound { .. }
                            );
                            batch.push(LintNews::Failed {
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
                        if tx
                            .send(Inbound::Action(Action::LintBatch(id, out)))
                            .await
                            .is_err()
                        {
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
