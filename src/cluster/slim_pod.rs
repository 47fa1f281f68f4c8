//! A pod as the usage columns read it: its name, node, phase and its containers' requests
//! and limits, deserialized straight from the API's JSON. Watching 100k pods as full typed
//! objects (then turned into JSON values) built and dropped megabytes per relist for four
//! numbers a pod.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::{Deserialize, Deserializer};
use std::borrow::Cow;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, Deserialize)]
pub struct SlimPod {
    #[serde(deserialize_with = "slim_meta", default)]
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: Spec,
    #[serde(default)]
    pub status: Status,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Spec {
    #[serde(default)]
    pub node_name: Option<String>,
    #[serde(default)]
    pub containers: Vec<Container>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Container {
    #[serde(default)]
    pub resources: Resources,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Resources {
    #[serde(default)]
    pub requests: BTreeMap<String, Quantity>,
    #[serde(default)]
    pub limits: BTreeMap<String, Quantity>,
}

/// A quantity as the API writes it (a string; a bare number from a hand-written client).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(untagged)]
pub enum Quantity {
    Text(String),
    Number(serde_json::Number),
    #[default]
    None,
}

impl Quantity {
    pub fn text(&self) -> Option<Cow<'_, str>> {
        match self {
            Quantity::Text(s) => Some(Cow::Borrowed(s)),
            Quantity::Number(n) => Some(Cow::Owned(n.to_string())),
            Quantity::None => None,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Status {
    #[serde(default)]
    pub phase: Option<String>,
}

/// Only what the watch needs of the metadata (names, and the version it resumes from): the
/// labels, annotations and managedFields are read past, not kept.
fn slim_meta<'de, D: Deserializer<'de>>(d: D) -> Result<ObjectMeta, D::Error> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Slim {
        name: Option<String>,
        namespace: Option<String>,
        resource_version: Option<String>,
        uid: Option<String>,
    }
    let s = Slim::deserialize(d)?;
    Ok(ObjectMeta {
        name: s.name,
        namespace: s.namespace,
        resource_version: s.resource_version,
        uid: s.uid,
        ..ObjectMeta::default()
    })
}

impl kube::Resource for SlimPod {
    type DynamicType = ();
    type Scope = k8s_openapi::NamespaceResourceScope;

    fn kind(_: &()) -> Cow<'_, str> {
        "Pod".into()
    }
    fn group(_: &()) -> Cow<'_, str> {
        "".into()
    }
    fn version(_: &()) -> Cow<'_, str> {
        "v1".into()
    }
    fn plural(_: &()) -> Cow<'_, str> {
        "pods".into()
    }
    fn meta(&self) -> &ObjectMeta {
        &self.metadata
    }
    fn meta_mut(&mut self) -> &mut ObjectMeta {
        &mut self.metadata
    }
}
