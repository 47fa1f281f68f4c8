//! Discovery of every resource the cluster serves (CRDs included), and resolution of the names
//! a user types — plural, singular, short name, kind, `plural.group`, `group/version/resource`,
//! or an alias from config — with close matches when nothing fits.

use super::backoff::{Policy, Retry, Trouble};
use super::errors::{KxError, classify};
use futures::future::join_all;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{APIGroupList, APIResourceList};
use kube::Client;
use std::time::Duration;

/// One served resource type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceInfo {
    pub group: String,
    pub version: String,
    pub plural: String,
    pub singular: String,
    pub kind: String,
    pub short_names: Vec<String>,
    pub namespaced: bool,
    pub verbs: Vec<String>,
}

impl ResourceInfo {
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// `pods`, or `deployments.apps`: how kubectl names a resource.
    pub fn full_name(&self) -> String {
        if self.group.is_empty() {
            self.plural.clone()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }

    /// The collection URL in a namespace (or across all with `None`).
    pub fn collection_path(&self, namespace: Option<&str>) -> String {
        let base = if self.group.is_empty() {
            format!("/api/{}", self.version)
        } else {
            format!("/apis/{}/{}", self.group, self.version)
        };
        match namespace.filter(|_| self.namespaced) {
            Some(ns) => format!("{base}/namespaces/{ns}/{}", self.plural),
            None => format!("{base}/{}", self.plural),
        }
    }

    /// A namespaced, listable and watchable type, for tests.
    pub fn example(group: &str, plural: &str, kind: &str, short_names: &[&str]) -> ResourceInfo {
        ResourceInfo {
            group: group.into(),
            version: "v1".into(),
            plural: plural.into(),
            singular: kind.to_lowercase(),
            kind: kind.into(),
            short_names: short_names.iter().map(|s| s.to_string()).collect(),
            namespaced: true,
            verbs: ["list", "watch", "get"].map(String::from).to_vec(),
        }
    }

    pub fn can(&self, verb: &str) -> bool {
        self.verbs.iter().any(|v| v == verb)
    }
}

fn from_list(list: &APIResourceList) -> Vec<ResourceInfo> {
    let (group, version) = match list.group_version.split_once('/') {
        Some((g, v)) => (g.to_string(), v.to_string()),
        None => (String::new(), list.group_version.clone()),
    };
    list.resources
        .iter()
        .filter(|r| !r.name.contains('/'))
        .map(|r| ResourceInfo {
            group: group.clone(),
            version: version.clone(),
            plural: r.name.clone(),
            singular: if r.singular_name.is_empty() {
                r.kind.to_lowercase()
            } else {
                r.singular_name.clone()
            },
            kind: r.kind.clone(),
            short_names: r.short_names.clone().unwrap_or_default(),
            namespaced: r.namespaced,
            verbs: r.verbs.clone(),
        })
        .collect()
}

/// Asks the API server what it serves: the core group and the preferred version of every group.
/// How long one API group's discovery is retried through transient failures.
const GROUP_PATIENCE: std::time::Duration = std::time::Duration::from_secs(4);

pub async fn discover(client: &Client) -> Result<Vec<ResourceInfo>, KxError> {
    let get = |path: String| {
        let client = client.clone();
        async move {
            // A group that fails now and then (a flapping server) is asked again for a few
            // seconds; one that stays down is left out rather than holding up the rest.
            super::backoff::retry_kube(GROUP_PATIENCE, || {
                let client = client.clone();
                let path = path.clone();
                async move {
                    let req = http::Request::get(&path)
                        .body(Vec::new())
                        .map_err(kube::Error::HttpError)?;
                    client.request::<APIResourceList>(req).await
                }
            })
            .await
            .map_err(|e| match e {
                Some(e) => classify(&e),
                None => KxError::Other(format!("{path} did not answer within {GROUP_PATIENCE:?}")),
            })
        }
    };
    let req = http::Request::get("/apis")
        .body(Vec::new())
        .map_err(|e| KxError::Other(format!("building a discovery request: {e}")))?;
    let groups: APIGroupList = client.request(req).await.map_err(|e| classify(&e))?;
    let mut paths = vec!["/api/v1".to_string()];
    for g in &groups.groups {
        let v = g
            .preferred_version
            .as_ref()
            .map(|p| p.group_version.clone())
            .or_else(|| g.versions.first().map(|v| v.group_version.clone()));
        if let Some(gv) = v {
            paths.push(format!("/apis/{gv}"));
        }
    }
    let lists = join_all(paths.into_iter().map(get)).await;
    let mut out = Vec::new();
    let mut failure = None;
    for l in lists {
        match l {
            Ok(list) => out.extend(from_list(&list)),
            // One broken aggregated API must not hide every other resource.
            Err(e) => failure = Some(e),
        }
    }
    match failure {
        Some(e) if out.is_empty() => Err(e),
        _ => Ok(out),
    }
}

/// Discovers, and discovers again whenever a CustomResourceDefinition appears, changes or goes,
/// so new CRDs can be opened without a restart. Failures are sent too (for the status line,
/// with the count and the next attempt) and retried by the one policy. Runs until the
/// receiver is dropped.
pub async fn keep_discovering(
    client: Client,
    tx: tokio::sync::mpsc::Sender<std::result::Result<Vec<ResourceInfo>, Trouble>>,
) {
    let retry = Retry::new(Policy::FOLLOWING);
    loop {
        match discover(&client).await {
            Ok(resources) => {
                retry.succeeded();
                if tx.send(Ok(resources)).await.is_err() {
                    return;
                }
                wait_for_crd_change(&client).await;
            }
            Err(e) => match retry.failed(e) {
                Ok((delay, trouble)) => {
                    if tx.send(Err(trouble)).await.is_err() {
                        return;
                    }
                    tokio::time::sleep(delay).await;
                }
                Err(gave_up) => {
                    let _ = tx.send(Err(*gave_up)).await;
                    return;
                }
            },
        }
    }
}

/// Returns shortly after a CRD changes. Where CRDs cannot be watched (not served, or not
/// allowed), it returns after a while instead, so discovery still refreshes now and then.
async fn wait_for_crd_change(client: &Client) {
    use futures::StreamExt;
    use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
    use kube::runtime::watcher::{self, Event};
    // Metadata only: kx needs to know that a CRD changed, not its schema.
    let api: kube::Api<kube::core::PartialObjectMeta<CustomResourceDefinition>> =
        kube::Api::all(client.clone());
    let mut events = std::pin::pin!(watcher::watcher(api, watcher::Config::default()));
    let mut listed = false;
    while let Some(ev) = events.next().await {
        match ev {
            Ok(Event::InitDone) => listed = true,
            Ok(Event::Apply(_) | Event::Delete(_)) if listed => {
                // A new CRD is served a moment after it is created (once Established).
                tokio::time::sleep(Duration::from_secs(1)).await;
                return;
            }
            Ok(_) => {}
            Err(e) => {
                let unwatchable = matches!(&e,
                    watcher::Error::InitialListFailed(kube::Error::Api(s))
                    | watcher::Error::WatchStartFailed(kube::Error::Api(s))
                        if s.code == 403 || s.code == 404);
                let pause = if unwatchable {
                    tracing::debug!("cannot watch CRDs ({e}); discovery refreshes every 5 minutes");
                    Duration::from_secs(300)
                } else {
                    // The connection broke; discover again once it is back, in case a CRD
                    // changed meanwhile.
                    Duration::from_secs(2)
                };
                tokio::time::sleep(pause).await;
                return;
            }
        }
    }
}

/// Finds the resource a user means. Core and well-known groups win ties, as kubectl's do.
pub fn resolve<'a>(
    name: &str,
    resources: &'a [ResourceInfo],
    aliases: &[(String, String)],
) -> Result<&'a ResourceInfo, String> {
    let wanted = name.trim().to_lowercase();
    if let Some((_, target)) = aliases
        .iter()
        .find(|(a, _)| a.eq_ignore_ascii_case(&wanted))
    {
        return resolve(target, resources, &[])
            .map_err(|e| format!("alias {name:?} → {target:?}: {e}"));
    }
    // group/version/resource
    let parts: Vec<&str> = wanted.split('/').collect();
    if parts.len() == 3 {
        return resources
            .iter()
            .find(|r| r.group == parts[0] && r.version == parts[1] && r.plural == parts[2])
            .ok_or_else(|| format!("the server does not serve {wanted}"));
    }
    let (base, group) = match wanted.split_once('.') {
        Some((b, g)) => (b.to_string(), Some(g.to_string())),
        None => (wanted.clone(), None),
    };
    let matches_name = |r: &ResourceInfo| {
        r.plural == base
            || r.singular == base
            || r.kind.to_lowercase() == base
            || r.short_names.contains(&base)
    };
    let mut candidates: Vec<&ResourceInfo> = resources
        .iter()
        .filter(|r| matches_name(r))
        .filter(|r| match &group {
            Some(g) => r.group == *g || r.group.starts_with(&format!("{g}.")),
            None => true,
        })
        .collect();
    candidates.sort_by_key(|r| group_rank(&r.group));
    if let Some(first) = candidates.first() {
        return Ok(first);
    }
    let mut names: Vec<String> = resources
        .iter()
        .flat_map(|r| {
            let mut n = vec![r.plural.clone(), r.full_name()];
            n.extend(r.short_names.iter().cloned());
            n
        })
        .collect();
    names.extend(aliases.iter().map(|(a, _)| a.clone()));
    let close = close_matches(&wanted, &names);
    let hint = if close.is_empty() {
        " (`:crd` lists custom resources)".to_string()
    } else {
        format!("; did you mean {}?", close.join(", "))
    };
    Err(format!(
        "the server doesn't have a resource type {name:?}{hint}"
    ))
}

/// Up to three of `names` close to `wanted` (a typo away, or starting with it), closest first.
pub fn close_matches(wanted: &str, names: &[String]) -> Vec<String> {
    let mut close: Vec<(usize, &String)> = names
        .iter()
        .map(|n| (strsim::levenshtein(wanted, n), n))
        .filter(|(d, n)| *d <= (n.len() / 3).max(2) || n.starts_with(wanted))
        .collect();
    close.sort();
    close.dedup_by(|a, b| a.1 == b.1);
    close.into_iter().take(3).map(|(_, n)| n.clone()).collect()
}

fn group_rank(group: &str) -> u8 {
    match group {
        "" => 0,
        "apps" => 1,
        "batch" | "networking.k8s.io" | "autoscaling" | "policy" => 2,
        g if g.ends_with(".k8s.io") => 3,
        _ => 4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(group: &str, plural: &str, kind: &str, short: &[&str]) -> ResourceInfo {
        ResourceInfo::example(group, plural, kind, short)
    }

    fn all() -> Vec<ResourceInfo> {
        vec![
            r("", "pods", "Pod", &["po"]),
            r("", "services", "Service", &["svc"]),
            r("apps", "deployments", "Deployment", &["deploy"]),
            r("demo.kx.dev", "widgets", "Widget", &["wdg"]),
            r("other.example.com", "deployments", "Deployment", &[]),
            r("events.k8s.io", "events", "Event", &["ev"]),
            r("", "events", "Event", &["ev"]),
        ]
    }

    #[test]
    fn every_kubectl_form_resolves() {
        let res = all();
        for (typed, plural, group) in [
            ("pods", "pods", ""),
            ("pod", "pods", ""),
            ("po", "pods", ""),
            ("Pod", "pods", ""),
            ("deploy", "deployments", "apps"),
            ("deployments.apps", "deployments", "apps"),
            (
                "deployments.other.example.com",
                "deployments",
                "other.example.com",
            ),
            ("widgets.demo.kx.dev", "widgets", "demo.kx.dev"),
            ("wdg", "widgets", "demo.kx.dev"),
            ("apps/v1/deployments", "deployments", "apps"),
            ("ev", "events", ""),
        ] {
            let got = resolve(typed, &res, &[]).unwrap_or_else(|e| panic!("{typed}: {e}"));
            assert_eq!(
                (got.plural.as_str(), got.group.as_str()),
                (plural, group),
                "{typed}"
            );
        }
    }

    #[test]
    fn aliases_apply_and_unknown_names_get_close_matches() {
        let res = all();
        let aliases = vec![("dp".to_string(), "deployments.apps".to_string())];
        assert_eq!(resolve("dp", &res, &aliases).unwrap().group, "apps");
        let err = resolve("deploymnts", &res, &aliases).unwrap_err();
        assert!(err.contains("did you mean deployments"), "{err}");
        let err = resolve("zzz", &res, &[]).unwrap_err();
        assert!(
            err.contains("doesn't have a resource type \"zzz\""),
            "{err}"
        );
    }

    #[test]
    fn collection_paths_follow_scope() {
        let pods = r("", "pods", "Pod", &[]);
        assert_eq!(
            pods.collection_path(Some("shop")),
            "/api/v1/namespaces/shop/pods"
        );
        assert_eq!(pods.collection_path(None), "/api/v1/pods");
        let mut nodes = r("", "nodes", "Node", &[]);
        nodes.namespaced = false;
        assert_eq!(nodes.collection_path(Some("shop")), "/api/v1/nodes");
        assert_eq!(
            r("apps", "deployments", "Deployment", &[]).collection_path(Some("a")),
            "/apis/apps/v1/namespaces/a/deployments"
        );
    }
}
