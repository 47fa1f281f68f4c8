//! The revision history and diffs at scale. `cargo bench --bench history_scale` (after
//! `cargo build --release`); under `cargo test` it only says how to run.
//!
//! 1. A 1 MB object changed in a few places: the time kx takes to record the revision, rebuild
//!    both revisions and diff them as the diff view and `kx changes` do, against GNU `diff -u`
//!    on the same two YAML files (the peer, run in the same session).
//! 2. The real watch layer on `kx sim --scenario scale` (KX_BENCH_PODS, default 100,000 pods)
//!    with `--churn 1000`: every live change goes into a History with the default 64 MiB
//!    budget for KX_BENCH_SECS (default 60) seconds; the history's own count and the process
//!    RSS it adds are reported against the budget.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests and benches stop at the first surprise

mod common;

use common::{ScaleSim, first_list, status_kib};
use kx::cluster::watch::WatchMsg;
use kx::diff::{self, Noise};
use kx::history::{DEFAULT_BUDGET, History, HistoryKey};
use serde_json::{Value, json};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A custom resource of about 1 MB: 4,000 routes with a few fields each.
fn big_object(version: u64) -> Value {
    let routes: Vec<Value> = (0..4000)
        .map(|i| {
            json!({"name": format!("route-{i:05}"), "host": format!("svc-{i}.shop.svc.cluster.local"),
                   "port": 8000 + i % 100, "weight": if i == 1234 { version * 10 } else { 50 },
                   "match": {"prefix": format!("/api/v1/items/{i}/details"), "headers": {"x-tenant": format!("tenant-{}", i % 37)}},
                   "retries": {"attempts": 3, "perTryTimeout": "2s"}})
        })
        .collect();
    json!({"apiVersion": "demo.kx.dev/v1", "kind": "RouteTable",
           "metadata": {"name": "big", "namespace": "shop", "resourceVersion": version.to_string(),
                        "generation": version},
           "spec": {"routes": routes, "paused": version.is_multiple_of(2)},
           "status": {"observedGeneration": version, "ready": version > 1}})
}

fn best_ms(runs: usize, mut f: impl FnMut()) -> f64 {
    (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1000.0
        })
        .fold(f64::MAX, f64::min)
}

fn big_diff() {
    let (old, new) = (big_object(1), big_object(2));
    let size = old.to_string().len();
    let key = HistoryKey {
        resource: "routetables.demo.kx.dev".into(),
        namespace: "shop".into(),
        name: "big".into(),
    };
    let record_ms = best_ms(5, || {
        let mut h = History::default();
        h.record(&key, &old, 1);
        h.record(&key, &new, 2);
    });
    let mut h = History::default();
    h.record(&key, &old, 1);
    h.record(&key, &new, 2);
    let stored = h.get(&key).expect("recorded");
    let mut lines = 0;
    let view_ms = best_ms(5, || {
        let (b, a) = stored.pair(1, 0).expect("rebuilt");
        let a = diff::strip_owned(a, &Noise::DEFAULT);
        let b = diff::strip_owned(b, &Noise::DEFAULT);
        lines = diff::unified(&a, &b, false).lines().count();
    });
    if std::env::var("KX_BENCH_PARTS").is_ok() {
        let rebuild = best_ms(5, || {
            let _ = stored.object(0);
        });
        let strip = best_ms(5, || {
            let _ = diff::strip(&old, &Noise::DEFAULT);
        });
        let yaml = best_ms(5, || {
            let _ = diff::yaml(&old);
        });
        let (ya, yb) = (diff::yaml(&old), diff::yaml(&new));
        let text = best_ms(5, || {
            let d = similar::TextDiff::from_lines(&ya, &yb);
            let _ = d.grouped_ops(3);
        });
        println!(
            "  parts: rebuild {rebuild:.1} strip {strip:.1} yaml {yaml:.1} textdiff {text:.1} ms"
        );
    }
    // kx changes holds the previous revision stripped and receives the new one owned, as
    // the watcher hands it over: the copy of `new` here stands for that hand-over, not timed.
    let prev = diff::strip(&old, &Noise::DEFAULT);
    let changes_ms = (0..5)
        .map(|_| {
            let incoming = new.clone();
            let t = Instant::now();
            let b = diff::strip_owned(incoming, &Noise::DEFAULT);
            let _ = diff::summary(&prev, &b, 4);
            let _ = diff::unified(&prev, &b, true);
            t.elapsed().as_secs_f64() * 1000.0
        })
        .fold(f64::MAX, f64::min);
    let dir = std::env::temp_dir().join(format!("kx-diff-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let (pa, pb) = (dir.join("old.yaml"), dir.join("new.yaml"));
    std::fs::write(&pa, diff::yaml(&old)).expect("write");
    std::fs::write(&pb, diff::yaml(&new)).expect("write");
    let peer_ms = best_ms(5, || {
        let _ = Command::new("diff")
            .arg("-u")
            .args([&pa, &pb])
            .stdout(Stdio::null())
            .status();
    });
    let _ = std::fs::remove_dir_all(&dir);
    println!("1 MB diff: object {size} bytes as JSON, {lines} diff lines");
    println!(
        "  record both revisions {record_ms:.1} ms; diff view (rebuild both, strip noise, unified) {view_ms:.1} ms; \
         kx changes (strip, summary, coloured unified) {changes_ms:.1} ms"
    );
    println!(
        "  peer `diff -u` on the two YAML files {peer_ms:.1} ms; ratio diff view / diff -u = {:.2}",
        view_ms / peer_ms
    );
}

fn history_at_scale() {
    let pods: usize = std::env::var("KX_BENCH_PODS")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(100_000);
    let secs: u64 = std::env::var("KX_BENCH_SECS")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(60);
    let sim = ScaleSim::start(pods, 1000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let report = runtime.block_on(async {
        let (_, mut store, mut rx) = first_list(sim.client().await).await;
        let rss_listed = status_kib("self", "VmRSS:");
        let mut history = History::new(DEFAULT_BUDGET);
        let (mut events, mut peak_used, mut peak_rss) = (0u64, 0usize, 0u64);
        let mut update_time = Duration::ZERO;
        let started = Instant::now();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        while let Ok(Some(msg)) = tokio::time::timeout_at(deadline, rx.recv()).await {
            let t = Instant::now();
            if let WatchMsg::Revision(text) = &msg {
                events += 1;
                history.record_watched("pods", text, started.elapsed().as_secs() as i64);
                peak_used = peak_used.max(history.used());
            }
            store.apply(msg, 0);
            update_time += t.elapsed();
            if events.is_multiple_of(5000) {
                peak_rss = peak_rss.max(status_kib("self", "VmRSS:"));
            }
        }
        peak_rss = peak_rss.max(status_kib("self", "VmRSS:"));
        (
            events,
            started.elapsed(),
            history,
            peak_used,
            rss_listed,
            peak_rss,
            update_time,
        )
    });
    drop(sim);
    let (events, took, history, peak_used, rss_listed, peak_rss, update_time) = report;
    let mib = |b: f64| b / (1024.0 * 1024.0);
    println!(
        "history at {pods} pods, churn 1000/s, {:.0} s: {events} live changes ({:.0}/s) recorded",
        took.as_secs_f64(),
        events as f64 / took.as_secs_f64()
    );
    println!(
        "  budget {:.0} MiB; history's count now {:.1} MiB, peak {:.1} MiB ({:.2} of the budget); \
         {} objects kept, {} revisions and {} objects trimmed",
        mib(history.budget() as f64),
        mib(history.used() as f64),
        mib(peak_used as f64),
        peak_used as f64 / history.budget() as f64,
        history.len(),
        history.trimmed_revisions,
        history.trimmed_objects
    );
    println!(
        "  process RSS after the first list {:.0} MiB, peak while recording {:.0} MiB: +{:.0} MiB for the history and its churn",
        rss_listed as f64 / 1024.0,
        peak_rss as f64 / 1024.0,
        (peak_rss.saturating_sub(rss_listed)) as f64 / 1024.0
    );
    println!(
        "  store + history work per live change {:.1} µs ({:.1} % of one core at this rate)",
        update_time.as_secs_f64() * 1e6 / events.max(1) as f64,
        update_time.as_secs_f64() * 100.0 / took.as_secs_f64()
    );
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("history_scale: run it with `cargo bench --bench history_scale`");
        return;
    }
    big_diff();
    if std::env::var("KX_BENCH_SKIP_SCALE").is_err() {
        history_at_scale();
    }
}
