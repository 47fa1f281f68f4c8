//! The Kubernetes API over HTTP: discovery, list/watch/get/create/update/patch/delete, the
//! subresources, and the simulator's own `/sim/…` knobs.

use super::cluster::{Cluster, DeleteOptions, Ownership, Propagation};
use super::errors::ApiError;
use super::faults::FaultSettings;
use super::format::{Format, list_body, object_body};
use super::patch::strategic_merge;
use super::registry::ResourceType;
use super::store::type_key;
use super::{logstream, watch};
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;

/// Requests larger than this get 413, as the API server's 3 MiB limit does.
pub const MAX_BODY_BYTES: usize = 3 * 1024 * 1024;

pub struct ServerState {
    pub cluster: Arc<Cluster>,
    pub token: Option<String>,
    pub address: String,
}

pub type Params = HashMap<String, String>;

pub fn json_response(code: StatusCode, body: Bytes) -> Response {
    (code, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn value_response(code: StatusCode, v: &Value) -> Response {
    json_response(code, Bytes::from(serde_json::to_vec(v).unwrap_or_default()))
}

pub fn error_response(e: &ApiError) -> Response {
    let code = StatusCode::from_u16(e.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut resp = value_response(code, &e.status_json());
    if e.code == 429 {
        resp.headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
    }
    resp
}

fn now_secs() -> i64 {
    jiff::Timestamp::now().as_second()
}

pub async fn handle(State(state): State<Arc<ServerState>>, req: Request<Body>) -> Response {
    let (parts, body) = req.into_parts();
    if let Some(token) = &state.token {
        let given = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        // A verified client certificate authenticates as well as the token does.
        let by_certificate = parts
            .extensions
            .get::<super::server::ClientIdentity>()
            .is_some_and(|id| id.0.is_some());
        if given != Some(token.as_str()) && !by_certificate {
            return error_response(&ApiError::new(401, "Unauthorized", "Unauthorized"));
        }
    }
    let path = parts.uri.path().to_string();
    let params: Params =
        serde_urlencoded::from_str(parts.uri.query().unwrap_or_default()).unwrap_or_default();
    if let Some(rest) = path.strip_prefix("/sim/") {
        let body = collect_body(body).await;
        return admin(&state, &parts.method, rest, &params, body);
    }
    let faults = state.cluster.faults.settings();
    if faults.latency_ms > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(faults.latency_ms)).await;
    }
    if let Some(code) = state.cluster.faults.should_fail_request() {
        let (reason, msg) = match code {
            429 => (
                "TooManyRequests",
                "the server has received too many requests and has asked us to try again later",
            ),
            503 => (
                "ServiceUnavailable",
                "the server is currently unable to handle the request",
            ),
            _ => (
                "InternalError",
                "an error on the server (\"injected by kx sim\") has prevented the request from succeeding",
            ),
        };
        return error_response(&ApiError::new(code, reason, msg));
    }
    if let Some(target) = super::connect::target(&path) {
        return super::connect::serve(&state, parts, target).await;
    }
    let body = match collect_body(body).await {
        Ok(b) => b,
        Err(e) => return error_response(&e),
    };
    match route(&state, &parts.method, &path, &parts.headers, &params, body).await {
        Ok(resp) => resp,
        Err(e) => error_response(&e),
    }
}

async fn collect_body(body: Body) -> Result<Bytes, ApiError> {
    let limited = http_body_util::Limited::new(body, MAX_BODY_BYTES);
    match limited.collect().await {
        Ok(c) => Ok(c.to_bytes()),
        Err(e)
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some() =>
        {
            Err(ApiError::new(
                413,
                "RequestEntityTooLarge",
                format!("the request body is larger than the limit of {MAX_BODY_BYTES} bytes"),
            ))
        }
        Err(e) => Err(ApiError::bad_request(format!(
            "reading the request body: {e}"
        ))),
    }
}

fn admin(
    state: &ServerState,
    method: &Method,
    rest: &str,
    params: &Params,
    body: Result<Bytes, ApiError>,
) -> Response {
    let faults = &state.cluster.faults;
    match (method.as_str(), rest) {
        ("GET", "faults") => value_response(StatusCode::OK, &json!(faults.settings())),
        ("PUT", "faults") => {
            let parsed = body
                .ok()
                .and_then(|b| serde_json::from_slice::<FaultSettings>(&b).ok());
            match parsed {
                Some(s) => {
                    faults.set(s.clone());
                    value_response(StatusCode::OK, &json!(s))
                }
                None => error_response(&ApiError::bad_request(
                    "expected a JSON fault settings object",
                )),
            }
        }
        ("POST", "gone") => {
            faults.gone_next_watches(params.get("n").and_then(|n| n.parse().ok()).unwrap_or(1));
            value_response(StatusCode::OK, &json!({}))
        }
        ("PUT", "churn") => match params.get("perSec").and_then(|r| r.parse::<f64>().ok()) {
            Some(rate) => {
                state.cluster.set_churn_rate(rate);
                value_response(StatusCode::OK, &json!({"perSec": rate}))
            }
            None => error_response(&ApiError::bad_request(
                "expected ?perSec=N (pod modifications per second)",
            )),
        },
        ("POST", "clock") => {
            let secs = params
                .get("advanceSecs")
                .and_then(|s| s.parse::<i64>().ok())
                .unwrap_or(0);
            state.cluster.advance_clock(secs);
            value_response(
                StatusCode::OK,
                &json!({"now": state.cluster.clock().to_string()}),
            )
        }
        ("POST", "drop-connections") => {
            // `?downSecs=N`: the port stays closed that long (connections refused), as when an
            // API server restarts.
            match params.get("downSecs").and_then(|s| s.parse::<f64>().ok()) {
                Some(secs) if secs > 0.0 => {
                    faults.outage(std::time::Duration::from_secs_f64(secs.min(3600.0)))
                }
                _ => faults.drop_all_connections(),
            }
            value_response(StatusCode::OK, &json!({}))
        }
        ("GET", "logs") => {
            let get = |k: &str| params.get(k).cloned().unwrap_or_default();
            let lines = state.cluster.logs.record(
                &get("namespace"),
                &get("pod"),
                &get("container"),
                get("instance").parse().unwrap_or(0),
                get("from").parse().unwrap_or(0),
                get("to").parse().unwrap_or(i128::MAX / 4),
            );
            let out: Vec<Value> = lines
                .into_iter()
                .map(|l| json!({"index": l.index, "timestamp": super::logs::format_ts(l.ts_ns), "text": l.text}))
                .collect();
            value_response(StatusCode::OK, &json!(out))
        }
        _ => error_response(&ApiError::new(
            404,
            "NotFound",
            format!("no simulator endpoint /sim/{rest}"),
        )),
    }
}

fn version_info() -> Value {
    json!({
        "major": "1", "minor": "36", "gitVersion": "v1.36.0-kx-sim", "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean", "buildDate": "2026-01-01T00:00:00Z", "goVersion": "go1.25", "compiler": "gc",
        "platform": "linux/amd64", "emulationMajor": "1", "emulationMinor": "36",
    })
}

/// A parsed resource path.
struct Target {
    rt: ResourceType,
    namespace: String,
    name: Option<String>,
    subresource: Option<String>,
}

async fn route(
    state: &ServerState,
    method: &Method,
    path: &str,
    headers: &HeaderMap,
    params: &Params,
    body: Bytes,
) -> Result<Response, ApiError> {
    let segs: Vec<&str> = path
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    let cluster = &state.cluster;
    match segs.as_slice() {
        ["version"] => return Ok(value_response(StatusCode::OK, &version_info())),
        ["healthz"] | ["livez"] | ["readyz"] => return Ok((StatusCode::OK, "ok").into_response()),
        ["api"] => {
            return Ok(value_response(
                StatusCode::OK,
                &json!({"kind": "APIVersions", "versions": ["v1"],
                        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": state.address}]}),
            ));
        }
        ["apis"] => {
            let mut groups = group_list(&cluster.types());
            if cluster.metrics.load(std::sync::atomic::Ordering::Relaxed)
                && let Some(list) = groups["groups"].as_array_mut()
            {
                list.push(super::metrics::group());
            }
            return Ok(value_response(StatusCode::OK, &groups));
        }
        [
            "apis",
            super::metrics::GROUP,
            super::metrics::VERSION,
            rest @ ..,
        ] if cluster.metrics.load(std::sync::atomic::Ordering::Relaxed) => {
            if rest.is_empty() {
                return Ok(value_response(StatusCode::OK, &super::metrics::resources()));
            }
            // Denied as `list pods.metrics.k8s.io` (or `nodes.…`) in the faults' words.
            let plural = rest.last().copied().unwrap_or_default();
            let resource = format!("{plural}.{}", super::metrics::GROUP);
            if cluster.faults.settings().forbids("list", &resource, None) {
                return Err(ApiError::new(
                    403,
                    "Forbidden",
                    format!(
                        "{resource} is forbidden: User \"kx-sim\" cannot list resource \"{plural}\" in API group \"{}\" at the cluster scope",
                        super::metrics::GROUP
                    ),
                ));
            }
            return super::metrics::serve(cluster, rest)
                .map(|v| value_response(StatusCode::OK, &v));
        }
        ["openapi", "v3"] => {
            return Ok(value_response(
                StatusCode::OK,
                &super::openapi::index(&cluster.types()),
            ));
        }
        ["openapi", "v3", "api", v] | ["openapi", "v3", "apis", _, v] => {
            let group = if segs[2] == "api" { "" } else { segs[3] };
            return super::openapi::group_version(&cluster.types(), group, v)
                .map(|doc| value_response(StatusCode::OK, &doc))
                .ok_or_else(|| {
                    ApiError::new(
                        404,
                        "NotFound",
                        "the server could not find the requested resource",
                    )
                });
        }
        _ => {}
    }
    let (group, version, rest) = match segs.as_slice() {
        ["api", v, rest @ ..] => ("", *v, rest),
        ["apis", g, v, rest @ ..] => (*g, *v, rest),
        _ => {
            return Err(ApiError::new(
                404,
                "NotFound",
                "the server could not find the requested resource",
            ));
        }
    };
    if rest.is_empty() {
        return resource_list(cluster, group, version);
    }
    let target = parse_target(cluster, group, version, rest)?;
    let format = Format::negotiate(
        headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or(""),
        params.get("includeObject").map(String::as_str),
    );
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json");
    let dry_run = params.get("dryRun").is_some_and(|d| d == "All");
    let Target {
        rt,
        namespace: ns,
        name,
        subresource,
    } = target;
    let verb = match (method.as_str(), name.is_some()) {
        ("GET", false) if params.get("watch").is_some_and(|w| w == "true" || w == "1") => "watch",
        ("GET", false) => "list",
        ("GET", true) => "get",
        ("POST", _) => "create",
        ("PUT", _) => "update",
        ("PATCH", _) => "patch",
        ("DELETE", false) => "deletecollection",
        ("DELETE", true) => "delete",
        _ => "",
    };
    let resource = match &subresource {
        Some(sub) => format!("{}/{sub}", rt.plural),
        None => rt.plural.clone(),
    };
    let manager = field_manager(params, headers);
    if cluster
        .faults
        .settings()
        .forbids(verb, &resource, name.as_deref())
    {
        let scope = if ns.is_empty() {
            "at the cluster scope".to_string()
        } else {
            format!("in the namespace \"{ns}\"")
        };
        // As the API server words it: the group-qualified resource, and the name when there is one.
        let qualified = if rt.group.is_empty() {
            rt.plural.clone()
        } else {
            format!("{}.{}", rt.plural, rt.group)
        };
        let subject = match &name {
            Some(n) => format!("{qualified} \"{n}\""),
            None => qualified,
        };
        return Err(ApiError::new(
            403,
            "Forbidden",
            format!(
                "{subject} is forbidden: User \"kx-sim\" cannot {verb} resource \"{resource}\" in API group \"{}\" {scope}",
                rt.group
            ),
        ));
    }
    match (method.as_str(), name.as_deref(), subresource.as_deref()) {
        ("GET", None, _) => {
            if params.get("watch").is_some_and(|w| w == "true" || w == "1") {
                watch::serve(cluster.clone(), rt, ns, params, format)
            } else {
                list(cluster, &rt, &ns, params, format)
            }
        }
        ("POST", None, _) => {
            let mut obj = parse_body(&body, content_type)?;
            // Status is the controllers' to write: a create starts without one, as the API
            // server's strategies reset it (a pod's becomes Pending).
            if rt.subresources.iter().any(|s| s == "status")
                && let Some(m) = obj.as_object_mut()
            {
                m.remove("status");
            }
            if dry_run {
                let mut v = obj;
                v["metadata"]["namespace"] = json!(ns);
                return Ok(value_response(StatusCode::CREATED, &v));
            }
            let stored = cluster.create_as(&rt, &ns, obj, Ownership::Record(&manager))?;
            Ok(json_response(StatusCode::CREATED, stored.json.clone()))
        }
        ("POST", Some(name), Some("token")) => {
            let request = parse_body(&body, content_type)?;
            token_request(cluster, &rt, &ns, name, request)
        }
        ("DELETE", None, _) => delete_collection(cluster, &rt, &ns, params),
        ("GET", Some(name), None) => {
            let stored = cluster.get(&rt, &ns, name)?;
            Ok(json_response(
                StatusCode::OK,
                object_body(&rt, &stored, format, true, now_secs()),
            ))
        }
        ("GET", Some(name), Some("status")) => Ok(json_response(
            StatusCode::OK,
            cluster.get(&rt, &ns, name)?.json.clone(),
        )),
        ("GET", Some(name), Some("log")) if rt.kind == "Pod" => {
            if cluster.faults.should_fail_log(name) {
                // As a real API server relays a kubelet that refused the connection.
                let container = params.get("container").cloned().unwrap_or_default();
                return Err(ApiError::new(
                    500,
                    "InternalError",
                    format!(
                        "Get \"https://10.0.0.17:10250/containerLogs/{ns}/{name}/{container}\": dial tcp 10.0.0.17:10250: connect: connection refused"
                    ),
                ));
            }
            logstream::serve(cluster.clone(), &ns, name, params)
        }
        ("GET", Some(name), Some("scale")) => Ok(value_response(
            StatusCode::OK,
            &scale_of(&rt, &cluster.get(&rt, &ns, name)?.value()),
        )),
        ("PUT", Some(name), sub) => {
            let obj = parse_body(&body, content_type)?;
            if sub == Some("scale") {
                return set_scale(
                    cluster,
                    &rt,
                    &ns,
                    name,
                    &manager,
                    |_| Ok(obj["spec"]["replicas"].as_i64()),
                    dry_run,
                );
            }
            if dry_run {
                return Ok(value_response(StatusCode::OK, &obj));
            }
            let stored =
                cluster.modify_as(&rt, &ns, name, sub, Ownership::Record(&manager), |_| {
                    Ok(obj)
                })?;
            Ok(json_response(StatusCode::OK, stored.json.clone()))
        }
        ("PATCH", Some(name), sub) => {
            let kind = PatchKind::from_content_type(content_type, rt.is_custom())?;
            let patch_body = parse_body(&body, content_type)?;
            if sub == Some("scale") {
                return set_scale(
                    cluster,
                    &rt,
                    &ns,
                    name,
                    &manager,
                    |current| {
                        let mut scale = current;
                        apply_patch(&mut scale, &patch_body, kind)?;
                        Ok(scale["spec"]["replicas"].as_i64())
                    },
                    dry_run,
                );
            }
            if kind == PatchKind::Apply {
                return server_side_apply(
                    cluster, &rt, &ns, name, sub, params, patch_body, dry_run,
                );
            }
            if dry_run {
                let mut v = cluster.get(&rt, &ns, name)?.value();
                apply_patch(&mut v, &patch_body, kind)?;
                let v = super::normalize::normalize(&rt.kind, v).map_err(ApiError::bad_request)?;
                return Ok(value_response(StatusCode::OK, &v));
            }
            let stored =
                cluster.modify_as(&rt, &ns, name, sub, Ownership::Record(&manager), |mut v| {
                    apply_patch(&mut v, &patch_body, kind)?;
                    Ok(v)
                })?;
            Ok(json_response(StatusCode::OK, stored.json.clone()))
        }
        ("DELETE", Some(name), None) => {
            let opts = if body.is_empty() {
                json!({})
            } else {
                serde_json::from_slice(&body).unwrap_or(json!({}))
            };
            let grace = params
                .get("gracePeriodSeconds")
                .and_then(|g| g.parse().ok())
                .or_else(|| opts["gracePeriodSeconds"].as_i64());
            let policy = params
                .get("propagationPolicy")
                .cloned()
                .or_else(|| opts["propagationPolicy"].as_str().map(str::to_string));
            let propagation = match policy.as_deref() {
                Some("Foreground") => Propagation::Foreground,
                Some("Orphan") => Propagation::Orphan,
                None | Some("Background") => Propagation::Background,
                Some(other) => {
                    return Err(ApiError::bad_request(format!(
                        "unknown propagationPolicy {other:?}"
                    )));
                }
            };
            let delete_opts = DeleteOptions {
                grace_seconds: grace,
                propagation,
                precondition_uid: opts["preconditions"]["uid"].as_str().map(str::to_string),
                precondition_rv: opts["preconditions"]["resourceVersion"]
                    .as_str()
                    .map(str::to_string),
            };
            let stored = cluster.delete(&rt, &ns, name, &delete_opts)?;
            Ok(json_response(StatusCode::OK, stored.json.clone()))
        }
        _ => Err(ApiError::new(
            405,
            "MethodNotAllowed",
            format!("the server does not allow this method on the requested resource ({method})"),
        )),
    }
}

fn group_list(types: &[ResourceType]) -> Value {
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    for t in types.iter().filter(|t| !t.group.is_empty()) {
        match groups.iter_mut().find(|(g, _)| *g == t.group) {
            Some((_, versions)) => {
                if !versions.contains(&t.version) {
                    versions.push(t.version.clone());
                }
            }
            None => groups.push((t.group.clone(), vec![t.version.clone()])),
        }
    }
    let groups: Vec<Value> = groups
        .into_iter()
        .map(|(name, versions)| {
            let vs: Vec<Value> = versions
                .iter()
                .map(|v| json!({"groupVersion": format!("{name}/{v}"), "version": v}))
                .collect();
            json!({"name": name, "versions": vs, "preferredVersion": vs[0]})
        })
        .collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

fn resource_list(cluster: &Cluster, group: &str, version: &str) -> Result<Response, ApiError> {
    let types = cluster.types();
    let matching: Vec<&ResourceType> = types
        .iter()
        .filter(|t| t.group == group && t.version == version)
        .collect();
    if matching.is_empty() {
        return Err(ApiError::new(
            404,
            "NotFound",
            "the server could not find the requested resource",
        ));
    }
    let resources: Vec<Value> = matching
        .iter()
        .flat_map(|t| t.discovery_entries())
        .collect();
    let gv = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    Ok(value_response(
        StatusCode::OK,
        &json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources}),
    ))
}

fn parse_target(
    cluster: &Cluster,
    group: &str,
    version: &str,
    rest: &[&str],
) -> Result<Target, ApiError> {
    let not_found = || {
        ApiError::new(
            404,
            "NotFound",
            "the server could not find the requested resource",
        )
    };
    let find = |plural: &str| {
        cluster
            .find_type(group, version, plural)
            .ok_or_else(not_found)
    };
    let (ns, plural, name, sub) = match rest {
        ["namespaces", ns, plural, tail @ ..]
            if !matches!(*plural, "status" | "finalize") || !tail.is_empty() =>
        {
            (
                ns.to_string(),
                *plural,
                tail.first().copied(),
                tail.get(1).copied(),
            )
        }
        [plural, tail @ ..] => (
            String::new(),
            *plural,
            tail.first().copied(),
            tail.get(1).copied(),
        ),
        [] => return Err(not_found()),
    };
    let rt = find(plural)?;
    if !rt.namespaced && !ns.is_empty() {
        return Err(not_found());
    }
    if rt.namespaced && ns.is_empty() && name.is_some() {
        return Err(not_found());
    }
    if let Some(s) = sub
        && !rt.subresources.iter().any(|x| x == s)
    {
        return Err(not_found());
    }
    Ok(Target {
        rt,
        namespace: ns,
        name: name.map(str::to_string),
        subresource: sub.map(str::to_string),
    })
}

fn parse_body(body: &[u8], content_type: &str) -> Result<Value, ApiError> {
    if body.is_empty() {
        return Err(ApiError::bad_request("the request body is empty"));
    }
    // kubectl's typed clients (`kubectl create deployment`, …) send protobuf.
    if content_type.contains("protobuf") {
        return super::protobuf::decode(body).map_err(|why| {
            ApiError::new(
                415,
                "UnsupportedMediaType",
                format!(
                    "the protobuf body could not be used: {}; send it as JSON instead (kubectl create -f, kubectl apply)",
                    why.0
                ),
            )
        });
    }
    if content_type.contains("cbor") {
        return Err(ApiError::new(
            415,
            "UnsupportedMediaType",
            format!(
                "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml (got {content_type})"
            ),
        ));
    }
    let parsed = if content_type.contains("yaml") {
        serde_yaml::from_slice::<Value>(body).map_err(|e| e.to_string())
    } else {
        serde_json::from_slice::<Value>(body).map_err(|e| e.to_string())
    };
    parsed.map_err(|e| ApiError::bad_request(format!("the request body is not valid: {e}")))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PatchKind {
    Merge,
    Json,
    Strategic,
    Apply,
}

impl PatchKind {
    fn from_content_type(ct: &str, custom: bool) -> Result<PatchKind, ApiError> {
        let base = ct.split(';').next().unwrap_or_default().trim();
        match base {
            "application/merge-patch+json" => Ok(PatchKind::Merge),
            "application/json-patch+json" => Ok(PatchKind::Json),
            "application/strategic-merge-patch+json" if custom => Err(ApiError::new(
                415,
                "UnsupportedMediaType",
                "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml",
            )),
            "application/strategic-merge-patch+json" => Ok(PatchKind::Strategic),
            "application/apply-patch+yaml" | "application/apply-patch+cbor" => Ok(PatchKind::Apply),
            other => Err(ApiError::new(
                415,
                "UnsupportedMediaType",
                format!(
                    "the body of the request was in an unknown format ({other}) - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json"
                ),
            )),
        }
    }
}

fn apply_patch(target: &mut Value, patch: &Value, kind: PatchKind) -> Result<(), ApiError> {
    match kind {
        // An apply patch on the scale subresource merges as JSON; applies elsewhere go
        // through `server_side_apply`.
        PatchKind::Merge | PatchKind::Apply => {
            json_patch::merge(target, patch);
            Ok(())
        }
        PatchKind::Strategic => strategic_merge(target, patch).map_err(ApiError::bad_request),
        PatchKind::Json => {
            let ops: json_patch::Patch = serde_json::from_value(patch.clone())
                .map_err(|e| ApiError::bad_request(format!("invalid JSON patch: {e}")))?;
            json_patch::patch(target, &ops).map_err(|e| {
                ApiError::new(
                    422,
                    "Invalid",
                    format!("the JSON patch could not be applied: {e}"),
                )
            })
        }
    }
}

/// Who is writing, for managedFields: `?fieldManager=`, else the client's name from its
/// User-Agent (`kubectl/v1.32 …` → `kubectl`), as the API server defaults it.
fn field_manager(params: &Params, headers: &HeaderMap) -> String {
    if let Some(m) = params.get("fieldManager").filter(|m| !m.is_empty()) {
        return m.clone();
    }
    headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .and_then(|ua| ua.split('/').next())
        .filter(|m| !m.is_empty())
        .unwrap_or("unknown")
        .to_string()
}

/// `PATCH` with `application/apply-patch+yaml`: the configuration is merged in and its fields
/// become the manager's; fields another manager set to something else are a 409 listing each
/// conflict, unless `force=true`.
#[allow(clippy::too_many_arguments)]
fn server_side_apply(
    cluster: &Cluster,
    rt: &ResourceType,
    ns: &str,
    name: &str,
    sub: Option<&str>,
    params: &Params,
    mut config: Value,
    dry_run: bool,
) -> Result<Response, ApiError> {
    let Some(manager) = params.get("fieldManager").filter(|m| !m.is_empty()) else {
        return Err(ApiError::bad_request(
            "PATCH, fieldManager is required for apply requests",
        ));
    };
    let force = params.get("force").is_some_and(|f| f == "true");
    let body_name = config["metadata"]["name"].as_str().unwrap_or(name);
    if body_name != name {
        return Err(ApiError::bad_request(format!(
            "the name of the object ({body_name}) does not match the name on the URL ({name})"
        )));
    }
    // Status goes through its own subresource; through the object it is ignored.
    if sub.is_none()
        && rt.subresources.iter().any(|s| s == "status")
        && let Some(m) = config.as_object_mut()
    {
        m.remove("status");
    }
    let now = super::cluster::now_rfc3339();
    let conflict = |conflicts: Vec<super::fields::Conflict>| {
        let causes: Vec<Value> = conflicts
            .iter()
            .map(|c| json!({"reason": "FieldManagerConflict", "message": c.owner(), "field": c.path}))
            .collect();
        // As the API server words it: one conflict on one line; several grouped by owner.
        let message = match conflicts.as_slice() {
            [one] => format!(
                "Apply failed with 1 conflict: {}: {}",
                one.owner(),
                one.path
            ),
            many => {
                let mut owners: Vec<(String, Vec<&str>)> = Vec::new();
                for c in many {
                    let owner = c.owner().replacen("conflict with", "conflicts with", 1);
                    match owners.iter_mut().find(|(o, _)| *o == owner) {
                        Some((_, paths)) => paths.push(&c.path),
                        None => owners.push((owner, vec![&c.path])),
                    }
                }
                let groups: Vec<String> = owners
                    .iter()
                    .map(|(o, paths)| {
                        let lines: Vec<String> = paths.iter().map(|p| format!("- {p}")).collect();
                        format!("{o}:\n{}", lines.join("\n"))
                    })
                    .collect();
                format!(
                    "Apply failed with {} conflicts: {}",
                    many.len(),
                    groups.join("\n")
                )
            }
        };
        ApiError {
            details: json!({"causes": causes}),
            ..ApiError::new(409, "Conflict", message)
        }
    };
    let Ok(current) = cluster.get(rt, ns, name) else {
        config["metadata"]["name"] = json!(name);
        let obj = super::fields::apply(None, &config, manager, &rt.api_version(), force, &now)
            .map_err(conflict)?;
        if dry_run {
            return Ok(value_response(StatusCode::CREATED, &obj));
        }
        let stored = cluster.create_as(rt, ns, obj, Ownership::Keep)?;
        return Ok(json_response(StatusCode::CREATED, stored.json.clone()));
    };
    if dry_run {
        let merged = super::fields::apply(
            Some(&current.value()),
            &config,
            manager,
            &rt.api_version(),
            force,
            &now,
        )
        .map_err(conflict)?;
        return Ok(value_response(StatusCode::OK, &merged));
    }
    let stored = cluster.modify_as(rt, ns, name, sub, Ownership::Keep, |old| {
        super::fields::apply(Some(&old), &config, manager, &rt.api_version(), force, &now)
            .map_err(conflict)
    })?;
    Ok(json_response(StatusCode::OK, stored.json.clone()))
}

/// `serviceaccounts/NAME/token` (`kubectl create token`): a TokenRequest with a token.
fn token_request(
    cluster: &Cluster,
    rt: &ResourceType,
    ns: &str,
    name: &str,
    mut request: Value,
) -> Result<Response, ApiError> {
    if rt.kind != "ServiceAccount" {
        return Err(ApiError::new(
            404,
            "NotFound",
            "the server could not find the requested resource",
        ));
    }
    let account = cluster.get(rt, ns, name)?;
    let seconds = request["spec"]["expirationSeconds"]
        .as_i64()
        .unwrap_or(3600);
    let expires = jiff::Timestamp::now()
        .checked_add(jiff::SignedDuration::from_secs(seconds))
        .unwrap_or_else(|_| jiff::Timestamp::now());
    // Shaped like a JWT; the simulator does not check it (it authenticates by its own token).
    let claims = json!({"iss": "https://kx-sim", "sub": format!("system:serviceaccount:{ns}:{name}"),
        "aud": request["spec"]["audiences"], "exp": expires.as_second(),
        "kubernetes.io": {"namespace": ns, "serviceaccount": {"name": name, "uid": account.uid}}});
    use base64::Engine;
    let b64 = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    let token = format!(
        "{}.{}.{}",
        b64(&json!({"alg": "RS256", "kid": "kx-sim"})),
        b64(&claims),
        cluster.random_suffix(43)
    );
    request["apiVersion"] = json!("authentication.k8s.io/v1");
    request["kind"] = json!("TokenRequest");
    request["metadata"]["name"] = json!(name);
    request["metadata"]["namespace"] = json!(ns);
    request["metadata"]["creationTimestamp"] = Value::Null;
    request["spec"]["expirationSeconds"] = json!(seconds);
    request["status"] = json!({"token": token,
        "expirationTimestamp": expires.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()});
    Ok(value_response(StatusCode::CREATED, &request))
}

fn list(
    cluster: &Cluster,
    rt: &ResourceType,
    ns: &str,
    params: &Params,
    format: Format,
) -> Result<Response, ApiError> {
    let selection = watch::Selection::from_params(rt, params)?;
    let limit: usize = params
        .get("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(0);
    let (start_after, token_rv) = match params.get("continue").filter(|c| !c.is_empty()) {
        Some(token) => {
            let (rv, key) = decode_continue(token)?;
            (Some(key), Some(rv))
        }
        None => (None, None),
    };
    let (items, rv) = {
        let store = cluster.read();
        (store.list(&type_key(&rt.group, &rt.plural), ns), store.rv)
    };
    let rv = token_rv.unwrap_or(rv);
    let mut selected = Vec::new();
    let mut remaining = 0usize;
    let mut next = None;
    for s in items {
        if let Some((sns, sname)) = &start_after
            && (s.namespace.as_str(), s.name.as_str()) <= (sns.as_str(), sname.as_str())
        {
            continue;
        }
        if !selection.matches(&s) {
            continue;
        }
        if limit > 0 && selected.len() >= limit {
            remaining += 1;
            continue;
        }
        selected.push(s);
    }
    if remaining > 0
        && let Some(last) = selected.last()
    {
        next = Some(encode_continue(rv, &last.namespace, &last.name));
    }
    let mut meta = json!({"resourceVersion": rv.to_string()});
    if let Some(token) = next {
        meta["continue"] = json!(token);
        meta["remainingItemCount"] = json!(remaining);
    }
    Ok(json_response(
        StatusCode::OK,
        list_body(rt, &selected, format, meta, now_secs()),
    ))
}

fn encode_continue(rv: u64, ns: &str, name: &str) -> String {
    let raw = json!({"rv": rv, "ns": ns, "name": name}).to_string();
    raw.bytes().map(|b| format!("{b:02x}")).collect()
}

fn decode_continue(token: &str) -> Result<(u64, (String, String)), ApiError> {
    let bad =
        || ApiError::bad_request("continue key is not valid: it was not issued by this server");
    if !token.len().is_multiple_of(2) {
        return Err(bad());
    }
    let bytes: Result<Vec<u8>, _> = (0..token.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&token[i..i + 2], 16))
        .collect();
    let v: Value = serde_json::from_slice(&bytes.map_err(|_| bad())?).map_err(|_| bad())?;
    Ok((
        v["rv"].as_u64().ok_or_else(bad)?,
        (
            v["ns"].as_str().unwrap_or_default().into(),
            v["name"].as_str().unwrap_or_default().into(),
        ),
    ))
}

fn delete_collection(
    cluster: &Cluster,
    rt: &ResourceType,
    ns: &str,
    params: &Params,
) -> Result<Response, ApiError> {
    let selection = watch::Selection::from_params(rt, params)?;
    let items = cluster.read().list(&type_key(&rt.group, &rt.plural), ns);
    let mut deleted = Vec::new();
    for s in items.into_iter().filter(|s| selection.matches(s)) {
        if let Ok(d) = cluster.delete(rt, &s.namespace, &s.name, &DeleteOptions::default()) {
            deleted.push(d);
        }
    }
    let meta = json!({"resourceVersion": cluster.read().rv.to_string()});
    Ok(json_response(
        StatusCode::OK,
        list_body(rt, &deleted, Format::Full, meta, now_secs()),
    ))
}

fn scale_of(rt: &ResourceType, obj: &Value) -> Value {
    let selector = super::table::cells(rt, obj)
        .last()
        .and_then(|c| c.as_str().map(str::to_string))
        .unwrap_or_default();
    json!({
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            "name": obj["metadata"]["name"], "namespace": obj["metadata"]["namespace"],
            "uid": obj["metadata"]["uid"], "resourceVersion": obj["metadata"]["resourceVersion"],
            "creationTimestamp": obj["metadata"]["creationTimestamp"],
        },
        "spec": {"replicas": obj["spec"]["replicas"].as_i64().unwrap_or(1)},
        "status": {"replicas": obj["status"]["replicas"].as_i64().unwrap_or(0), "selector": selector},
    })
}

fn set_scale(
    cluster: &Cluster,
    rt: &ResourceType,
    ns: &str,
    name: &str,
    manager: &str,
    replicas: impl FnOnce(Value) -> Result<Option<i64>, ApiError>,
    dry_run: bool,
) -> Result<Response, ApiError> {
    let current = cluster.get(rt, ns, name)?.value();
    let wanted = replicas(scale_of(rt, &current))?
        .ok_or_else(|| ApiError::invalid("Scale", name, "spec.replicas: Required value"))?;
    if wanted < 0 {
        return Err(ApiError::invalid(
            "Scale",
            name,
            format!("spec.replicas: Invalid value: {wanted}: must be greater than or equal to 0"),
        ));
    }
    if dry_run {
        let mut v = current;
        v["spec"]["replicas"] = json!(wanted);
        return Ok(value_response(StatusCode::OK, &scale_of(rt, &v)));
    }
    let stored = cluster.modify_as(
        rt,
        ns,
        name,
        Some("scale"),
        Ownership::Record(manager),
        |mut v| {
            v["spec"]["replicas"] = json!(wanted);
            Ok(v)
        },
    )?;
    Ok(value_response(
        StatusCode::OK,
        &scale_of(rt, &stored.value()),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continue_tokens_round_trip_and_garbage_is_a_bad_request() {
        let token = encode_continue(42, "ns", "pod-9");
        assert_eq!(
            decode_continue(&token).unwrap(),
            (42, ("ns".into(), "pod-9".into()))
        );
        assert_eq!(decode_continue("zz").unwrap_err().code, 400);
    }

    #[test]
    fn strategic_merge_is_refused_for_custom_resources() {
        let err = PatchKind::from_content_type("application/strategic-merge-patch+json", true)
            .unwrap_err();
        assert_eq!(err.code, 415);
        assert_eq!(
            PatchKind::from_content_type("application/merge-patch+json; charset=utf-8", false)
                .unwrap(),
            PatchKind::Merge
        );
    }
}
