//! Following one object live: a kube-runtime watcher narrowed to the object's name, and a second
//! one on the Events that name it. Detail views (YAML, describe, events) and, later, the change
//! history are fed from here. Like the list watch layer, it never gives up: errors are reported
//! and the watchers back off and carry on.

use super::backoff::{Policy, Trouble, watched};
use super::discovery::ResourceInfo;
use futures::{Stream, StreamExt};
use k8s_openapi::api::core::v1::Event as CoreEvent;
use kube::api::{Api, ApiResource, DynamicObject};
use kube::runtime::watcher::{self, Event};
use kube::{Client, ResourceExt};
use serde_json::Value;
use tokio::sync::mpsc;

/// Which object to follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectRef {
    pub resource: ResourceInfo,
    pub namespace: Option<String>,
    pub name: String,
}

impl ObjectRef {
    /// `pods/web-1 -n shop` style, for messages.
    pub fn display(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{}/{} -n {ns}", self.resource.plural, self.name),
            None => format!("{}/{}", self.resource.plural, self.name),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum ObjectMsg {
    /// The object as it is now (first sight, or changed).
    Object(Value),
    /// The first list found no such object (it may still appear).
    Missing,
    Deleted,
    /// An Event about the object appeared or changed, keyed by the Event's uid.
    EventSeen(String, Value),
    EventGone(String),
    /// Something failed; the watchers retry by themselves (the report counts the failures).
    Error(Trouble),
    /// The object's Events cannot be listed (RBAC, say); the object itself is unaffected.
    EventsError(Trouble),
}

fn api_resource(r: &ResourceInfo) -> ApiResource {
    ApiResource {
        group: r.group.clone(),
        version: r.version.clone(),
        api_version: r.api_version(),
        kind: r.kind.clone(),
        plural: r.plural.clone(),
    }
}

fn api_of<K>(client: Client, namespace: Option<&str>, dyntype: &K::DynamicType) -> Api<K>
where
    K: kube::Resource<Scope = kube::core::DynamicResourceScope>,
{
    match namespace {
        Some(ns) => Api::namespaced_with(client, ns, dyntype),
        None => Api::all_with(client, dyntype),
    }
}

/// The API of the target's resource, in its namespace (or cluster-wide), for dynamic objects.
pub fn dynamic_api(client: Client, target: &ObjectRef) -> Api<DynamicObject> {
    api_of(
        client,
        target.namespace.as_deref(),
        &api_resource(&target.resource),
    )
}

/// Runs until the receiver is dropped.
pub async fn follow(client: Client, target: ObjectRef, tx: mpsc::Sender<ObjectMsg>) {
    follow_with(client, target, true, tx, Policy::FOLLOWING).await
}

/// Follows the object, and its Events only when asked. With a bounded policy, the object's
/// watcher gives up after the deadline and the last message is an `Error` whose report has
/// no next attempt.
pub async fn follow_with(
    client: Client,
    target: ObjectRef,
    with_events: bool,
    tx: mpsc::Sender<ObjectMsg>,
    policy: Policy,
) {
    let ar = api_resource(&target.resource);
    let by_name = format!("metadata.name={}", target.name);
    // Whether the current (re)list has found the object, so an empty relist reads as "gone".
    let mut found = false;
    let objects = |c| api_of::<DynamicObject>(c, target.namespace.as_deref(), &ar);
    let object_stream = watched(
        &client,
        objects,
        watcher::Config::default().fields(&by_name),
        policy,
    )
    .map(move |ev| {
        let mut msgs = object_msgs(ev, &mut found);
        // A real API server's list items carry no apiVersion and kind; without them a
        // Secret would not be known as one (and its values not hidden).
        for m in &mut msgs {
            if let ObjectMsg::Object(o) = m {
                with_type(o, &ar);
            }
        }
        msgs
    });
    if !with_events {
        let mut only = std::pin::pin!(object_stream);
        forward(&mut only, &tx).await;
        return;
    }

    let mut involved = format!(
        "involvedObject.name={},involvedObject.kind={}",
        target.name, target.resource.kind
    );
    if let Some(ns) = &target.namespace {
        involved.push_str(&format!(",involvedObject.namespace={ns}"));
    }
    let events = |c| match &target.namespace {
        Some(ns) => Api::<CoreEvent>::namespaced(c, ns),
        None => Api::<CoreEvent>::all(c),
    };
    let event_stream = watched(
        &client,
        events,
        watcher::Config::default().fields(&involved),
        policy,
    )
    .map(event_msgs);

    let mut merged = std::pin::pin!(futures::stream::select(object_stream, event_stream));
    forward(&mut merged, &tx).await;
}

async fn forward(
    stream: &mut (impl Stream<Item = Vec<ObjectMsg>> + Unpin),
    tx: &mpsc::Sender<ObjectMsg>,
) {
    while let Some(msgs) = stream.next().await {
        for msg in msgs {
            if tx.send(msg).await.is_err() {
                return;
            }
        }
    }
}

/// Sets `apiVersion` and `kind` from the resource where the object came without them.
fn with_type(obj: &mut Value, ar: &ApiResource) {
    if let Some(m) = obj.as_object_mut() {
        if !m.get("apiVersion").is_some_and(Value::is_string) {
            m.insert("apiVersion".into(), Value::String(ar.api_version.clone()));
        }
        if !m.get("kind").is_some_and(Value::is_string) {
            m.insert("kind".into(), Value::String(ar.kind.clone()));
        }
    }
}

fn to_value<T: serde::Serialize>(obj: &T) -> Option<Value> {
    serde_json::to_value(obj).ok()
}

fn object_msgs(ev: Result<Event<DynamicObject>, Box<Trouble>>, found: &mut bool) -> Vec<ObjectMsg> {
    match ev {
        // 410 Gone is routine: the watcher lists again by itself.
        Err(e) if e.error.is_gone() => Vec::new(),
        Err(e) => vec![ObjectMsg::Error(*e)],
        Ok(Event::Init) => {
            *found = false;
            Vec::new()
        }
        // A relist that finds nothing means the object is not there (any more).
        Ok(Event::InitDone) if !*found => vec![ObjectMsg::Missing],
        Ok(Event::InitDone) => Vec::new(),
        Ok(Event::Apply(o) | Event::InitApply(o)) => {
            *found = true;
            to_value(&o).map(ObjectMsg::Object).into_iter().collect()
        }
        Ok(Event::Delete(_)) => {
            *found = false;
            vec![ObjectMsg::Deleted]
        }
    }
}

fn event_msgs(ev: Result<Event<CoreEvent>, Box<Trouble>>) -> Vec<ObjectMsg> {
    match ev {
        // Event lists failing (RBAC, say) must not hide the object: report and carry on.
        Err(t) if t.error.is_gone() => Vec::new(),
        Err(t) => vec![ObjectMsg::EventsError(*t)],
        Ok(Event::Init | Event::InitDone) => Vec::new(),
        Ok(Event::Apply(e) | Event::InitApply(e)) => {
            let uid = e.uid().unwrap_or_default();
            to_value(&e)
                .map(|v| ObjectMsg::EventSeen(uid, v))
                .into_iter()
                .collect()
        }
        Ok(Event::Delete(e)) => vec![ObjectMsg::EventGone(e.uid().unwrap_or_default())],
    }
}
