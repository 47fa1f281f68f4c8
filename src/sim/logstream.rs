//! `pods/log`: the computed log of a container instance, with tail, since, timestamps,
//! previous, limitBytes and follow — and the stall fault.

use super::cluster::Cluster;
use super::errors::ApiError;
use super::http::Params;
use super::logs::{Instance, format_ts, now_ns};
use axum::body::Body;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::{BufMut, Bytes, BytesMut};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

struct LogRequest {
    ns: String,
    pod: String,
    container: String,
    instance_index: usize,
    instance: Instance,
    timestamps: bool,
    follow: bool,
    limit_bytes: Option<usize>,
}

pub fn serve(
    cluster: Arc<Cluster>,
    ns: &str,
    pod_name: &str,
    params: &Params,
) -> Result<Response, ApiError> {
    let pods = cluster
        .find_type("", "v1", "pods")
        .ok_or_else(|| ApiError::new(404, "NotFound", "pods are not served"))?;
    let pod = cluster.get(&pods, ns, pod_name)?.value();
    let names = |field: &str| -> Vec<String> {
        pod["spec"][field]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|c| c["name"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let containers = names("containers");
    let inits = names("initContainers");
    let container = match params.get("container").filter(|c| !c.is_empty()) {
        Some(c) if containers.contains(c) || inits.contains(c) => c.clone(),
        Some(c) => {
            return Err(ApiError::bad_request(format!(
                "container {c} is not valid for pod {pod_name}"
            )));
        }
        None if containers.len() == 1 => containers[0].clone(),
        None => {
            return Err(ApiError::bad_request(format!(
                "a container name must be specified for pod {pod_name}, choose one of: [{}]",
                containers.join(" ")
            )));
        }
    };
    let instances = cluster.logs.instances(ns, pod_name, &container);
    let previous = params.get("previous").is_some_and(|p| p == "true");
    // Like the kubelet: the current log is the newest instance (running, or just crashed and
    // waiting to restart); the previous one is the newest instance that has terminated
    // before the current one started.
    let last_ended = instances.last().is_some_and(|i| i.end_ns.is_some());
    let instance_index = if previous {
        let candidate = if last_ended {
            instances.len().checked_sub(1)
        } else {
            instances.len().checked_sub(2)
        };
        let Some(index) = candidate else {
            return Err(ApiError::bad_request(format!(
                "previous terminated container \"{container}\" in pod \"{pod_name}\" not found"
            )));
        };
        index
    } else {
        if instances.is_empty() {
            let reason = pod["status"]["containerStatuses"]
                .as_array()
                .and_then(|cs| cs.iter().find(|c| c["name"] == container.as_str()))
                .and_then(|c| c["state"]["waiting"]["reason"].as_str())
                .unwrap_or("ContainerCreating")
                .to_string();
            return Err(ApiError::bad_request(format!(
                "container \"{container}\" in pod \"{pod_name}\" is waiting to start: {reason}"
            )));
        }
        instances.len() - 1
    };
    let instance = instances[instance_index];
    let now = now_ns();
    let written = cluster
        .logs
        .written_by(pod_name, &container, instance_index, instance, now);
    let mut first = 0u64;
    let since_ns = params
        .get("sinceSeconds")
        .and_then(|s| s.parse::<i64>().ok())
        .map(|s| now - s as i128 * 1_000_000_000)
        .or_else(|| {
            params
                .get("sinceTime")
                .and_then(|t| t.parse::<jiff::Timestamp>().ok())
                .map(|t| t.as_nanosecond())
        });
    if let Some(since) = since_ns {
        // The first line at or after `since`: lines are evenly spaced, so this is arithmetic.
        let line0 = cluster
            .logs
            .line(ns, pod_name, &container, instance_index, instance, 0)
            .ts_ns;
        let interval = cluster.logs.interval_ns();
        if since > line0 {
            first = ((since - line0 + interval - 1) / interval) as u64;
        }
    }
    if let Some(tail) = params.get("tailLines").and_then(|t| t.parse::<i64>().ok())
        && tail >= 0
    {
        first = first.max(written.saturating_sub(tail as u64));
    }
    let req = LogRequest {
        ns: ns.to_string(),
        pod: pod_name.to_string(),
        container,
        instance_index,
        instance,
        timestamps: params.get("timestamps").is_some_and(|t| t == "true"),
        follow: params.get("follow").is_some_and(|f| f == "true") && !previous,
        limit_bytes: params.get("limitBytes").and_then(|l| l.parse().ok()),
    };
    let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(64);
    tokio::spawn(stream(cluster, req, first, written, tx));
    let mut resp = (StatusCode::OK, Body::from_stream(ReceiverStream::new(rx))).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/plain"),
    );
    Ok(resp)
}

async fn stream(
    cluster: Arc<Cluster>,
    req: LogRequest,
    mut next: u64,
    mut written: u64,
    tx: mpsc::Sender<Result<Bytes, std::io::Error>>,
) {
    let mut budget = req.limit_bytes.unwrap_or(usize::MAX);
    let interval = cluster.logs.interval_ns();
    // Wake at most every 20 ms and send every line due since the last wake, so high rates cost few syscalls.
    let wake = Duration::from_nanos(interval.clamp(1_000_000, 1_000_000_000) as u64)
        .max(Duration::from_millis(20));
    loop {
        let mut chunk = BytesMut::new();
        while next < written && budget > 0 {
            let line = cluster.logs.line(
                &req.ns,
                &req.pod,
                &req.container,
                req.instance_index,
                req.instance,
                next,
            );
            let mut text = String::with_capacity(line.text.len() + 40);
            if req.timestamps {
                text.push_str(&format_ts(line.ts_ns));
                text.push(' ');
            }
            text.push_str(&line.text);
            text.push('\n');
            let bytes = text.as_bytes();
            let take = bytes.len().min(budget);
            chunk.put_slice(&bytes[..take]);
            budget -= take;
            next += 1;
            if chunk.len() > 64 * 1024 && tx.send(Ok(chunk.split().freeze())).await.is_err() {
                return;
            }
        }
        if !chunk.is_empty() && tx.send(Ok(chunk.freeze())).await.is_err() {
            return;
        }
        if !req.follow || budget == 0 {
            return;
        }
        // The instance ended (a restart or the pod's removal): the stream ends after its last line.
        let current = cluster.logs.instances(&req.ns, &req.pod, &req.container);
        let this = current.get(req.instance_index).copied();
        let ended = match this {
            None => true,
            Some(i) => i.end_ns.is_some_and(|e| e <= now_ns()),
        };
        if ended {
            if let Some(i) = this {
                let all = cluster.logs.written_by(
                    &req.pod,
                    &req.container,
                    req.instance_index,
                    i,
                    now_ns(),
                );
                if all > next {
                    written = all;
                    continue;
                }
            }
            return;
        }
        tokio::select! {
            _ = tokio::time::sleep(wake) => {}
            _ = tx.closed() => return,
        }
        if cluster.faults.settings().stall_logs {
            // A stalled stream: the connection stays open and nothing arrives, like a wedged kubelet.
            continue;
        }
        // Read the instance again: it may have ended during the sleep, and a line due after
        // its end was never written.
        let fresh = cluster
            .logs
            .instances(&req.ns, &req.pod, &req.container)
            .get(req.instance_index)
            .copied()
            .or(this)
            .unwrap_or(req.instance);
        written = cluster.logs.written_by(
            &req.pod,
            &req.container,
            req.instance_index,
            fresh,
            now_ns(),
        );
    }
}
