//! The live linter at scale. `cargo bench --bench lint_scale` (KX_BENCH_PODS, default
//! 100,000); under `cargo test` it only says how to run.
//!
//! Objects shaped like `kx sim --scenario scale` (deployments of ten pods over 100
//! namespaces, each with a Service and a ConfigMap its pods read): the first full lint (every
//! object's rules run and put in), then single changes re-checked one at a time — a pod's
//! status (a restart), a pod's labels, a pod gone and back, a Service's selector, a
//! ConfigMap gone and back — with the time of each, and the memory the linter keeps.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use kx::lint::live::Live;
use kx::lint::{Settings, Subject};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

fn deployment(ns: &str, name: &str) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": ns, "uid": format!("d-{name}")},
        "spec": {"replicas": 10, "selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [
                     {"name": "main", "image": "nginx:1.27", "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}},
                      "envFrom": [{"configMapRef": {"name": format!("{name}-config")}}]},
                     {"name": "sidecar", "image": "envoyproxy/envoy:v1.31.0", "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}}}]}}}})
}

fn pod(ns: &str, app: &str, i: usize, restarts: u64) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": format!("{app}-abcde-{i:02}"), "namespace": ns, "uid": format!("p-{app}-{i}"),
                     "labels": {"app": app, "pod-template-hash": "abcde"},
                     "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": format!("{app}-abcde"), "uid": format!("r-{app}"), "controller": true}]},
        "spec": {"nodeName": "node-00001", "containers": [
            {"name": "main", "image": "nginx:1.27", "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}},
             "envFrom": [{"configMapRef": {"name": format!("{app}-config")}}],
             "ports": [{"containerPort": 8080}]},
            {"name": "sidecar", "image": "envoyproxy/envoy:v1.31.0"}]},
        "status": {"phase": "Running", "podIP": "10.0.0.1", "containerStatuses": [
            {"name": "main", "ready": true, "restartCount": restarts, "state": {"running": {"startedAt": "2026-01-01T00:00:00Z"}}},
            {"name": "sidecar", "ready": true, "restartCount": 0, "state": {"running": {"startedAt": "2026-01-01T00:00:00Z"}}}]}})
}

fn service(ns: &str, app: &str, selector: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": app, "namespace": ns},
        "spec": {"selector": {"app": selector}, "ports": [{"port": 80, "targetPort": 8080}]}})
}

fn configmap(ns: &str, app: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": format!("{app}-config"), "namespace": ns},
        "data": {"LOG_LEVEL": "info"}})
}

fn percentile(times: &mut [Duration], p: f64) -> f64 {
    times.sort();
    let i = ((times.len() as f64 * p) as usize).min(times.len() - 1);
    times[i].as_secs_f64() * 1e3
}

fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(0.0)
        / 1024.0
}

/// Bytes allocated and not yet freed: what the linter keeps, exactly (RSS also counts what
/// the allocator holds on to after the objects are dropped).
struct Counting;
static LIVE_BYTES: std::sync::atomic::AtomicIsize = std::sync::atomic::AtomicIsize::new(0);

unsafe impl std::alloc::GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        LIVE_BYTES.fetch_add(layout.size() as isize, std::sync::atomic::Ordering::Relaxed);
        unsafe { std::alloc::System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        LIVE_BYTES.fetch_sub(layout.size() as isize, std::sync::atomic::Ordering::Relaxed);
        unsafe { std::alloc::System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn live_mib() -> f64 {
    LIVE_BYTES.load(std::sync::atomic::Ordering::Relaxed) as f64 / (1 << 20) as f64
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("lint_scale: run it with `cargo bench --bench lint_scale`");
        return;
    }
    let pods: usize = std::env::var("KX_BENCH_PODS")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(100_000);
    let deployments = pods / 10;
    let ns_of = |d: usize| format!("ns-{:03}", d % 100);
    let app_of = |d: usize| format!("app-{d:05}");
    // Objects are made one at a time and dropped after, so the memory that stays is the
    // linter's (as in kx, where each object goes once its entry is made).
    let (before, held_before) = (rss_mib(), live_mib());
    // kx runs each object's own rules where it arrives (the watch tasks) and only puts the
    // result in on the UI's thread: both are timed.
    let (mut preparing, mut putting) = (Duration::ZERO, Duration::ZERO);
    let settings = Settings::default();
    let mut live = Live::new(settings.clone(), true);
    let mut put = |o: Value, live: &mut Live| {
        let t = Instant::now();
        let prepared = kx::lint::live::prepare(&o, &settings, true);
        preparing += t.elapsed();
        let t = Instant::now();
        live.put(prepared);
        putting += t.elapsed();
    };
    for d in 0..deployments {
        let (ns, app) = (ns_of(d), app_of(d));
        put(deployment(&ns, &app), &mut live);
        put(service(&ns, &app, &app), &mut live);
        put(configmap(&ns, &app), &mut live);
        for i in 0..10 {
            put(pod(&ns, &app, i, 0), &mut live);
        }
    }
    let findings = live.len();
    println!(
        "first full lint: {} objects ({pods} pods), {findings} findings, score {}: rules {:.0} ms (watch tasks) + indexing {:.0} ms (UI thread) = {:.0} ms; the linter holds {:.0} MiB (RSS grew {:.0} MiB)",
        live.objects(),
        live.scores().cluster,
        preparing.as_secs_f64() * 1e3,
        putting.as_secs_f64() * 1e3,
        (preparing + putting).as_secs_f64() * 1e3,
        live_mib() - held_before,
        rss_mib() - before,
    );

    let rounds = 2000;
    let report = |what: &str, mut times: Vec<Duration>| {
        println!(
            "{what:<38} p50 {:.3} ms  p99 {:.3} ms  max {:.3} ms  ({} changes)",
            percentile(&mut times, 0.5),
            percentile(&mut times, 0.99),
            percentile(&mut times, 1.0),
            times.len()
        );
    };
    let mut times = Vec::with_capacity(rounds);
    for r in 0..rounds {
        let d = (r * 7919) % deployments;
        let p = pod(&ns_of(d), &app_of(d), r % 10, (r % 9) as u64);
        let t = Instant::now();
        live.upsert(&p);
        times.push(t.elapsed());
    }
    report("a pod's status changes (a restart)", times);
    for r in 0..rounds {
        let d = (r * 7919) % deployments;
        live.upsert(&pod(&ns_of(d), &app_of(d), r % 10, 0));
    }
    let mut times = Vec::with_capacity(rounds);
    for r in 0..rounds {
        let d = (r * 104_729) % deployments;
        let mut p = pod(&ns_of(d), &app_of(d), r % 10, 0);
        p["metadata"]["labels"]["app"] = json!(format!("moved-{r}"));
        let t = Instant::now();
        live.upsert(&p);
        times.push(t.elapsed());
        let back = pod(&ns_of(d), &app_of(d), r % 10, 0);
        live.upsert(&back);
    }
    report("a pod's labels change", times);
    let mut times = Vec::with_capacity(rounds);
    for r in 0..rounds {
        let d = (r * 31) % deployments;
        let p = pod(&ns_of(d), &app_of(d), r % 10, 0);
        let s = Subject::of(&p);
        let t = Instant::now();
        live.remove(&s);
        live.upsert(&p);
        times.push(t.elapsed() / 2);
    }
    report("a pod goes and comes back (each)", times);
    let mut times = Vec::with_capacity(rounds);
    for r in 0..rounds {
        let d = (r * 13) % deployments;
        let (ns, app) = (ns_of(d), app_of(d));
        let t = Instant::now();
        live.upsert(&service(&ns, &app, "nothing"));
        times.push(t.elapsed());
        live.upsert(&service(&ns, &app, &app));
    }
    report("a service's selector changes", times);
    let mut times = Vec::with_capacity(rounds);
    for r in 0..rounds {
        let d = (r * 17) % deployments;
        let cm = configmap(&ns_of(d), &app_of(d));
        let t = Instant::now();
        live.remove(&Subject::of(&cm));
        live.upsert(&cm);
        times.push(t.elapsed() / 2);
    }
    report("a ConfigMap goes and comes back (each)", times);
    assert_eq!(
        live.len(),
        findings,
        "every change was undone: the same findings"
    );
    // The lint screen reaches the selected finding by walking to it: its cost per frame with
    // the cursor on the last finding, the worst case.
    let mut times = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let t = Instant::now();
        std::hint::black_box(live.findings().nth(findings.saturating_sub(1)));
        times.push(t.elapsed());
    }
    report(
        &format!("the lint screen walks to its last finding (of {findings})"),
        times,
    );
}
