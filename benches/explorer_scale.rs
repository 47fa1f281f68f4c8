//! Scale run of the explorer's data path against `kx sim --scenario scale`: time to the first
//! complete list of all pods, memory held, a filter keystroke's re-ordering, and the same
//! list through `kubectl get pods -A` for the ratio. `cargo bench --bench explorer_scale`
//! (KX_BENCH_PODS sets the pod count, default 100000). Under `cargo test` it only says how to run.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests and benches stop at the first surprise

mod common;

use common::{ScaleSim, first_list, status_kib};
use kx::tui::model::{RowFilter, columns, ordered_rows};
use std::process::{Command, Stdio};
use std::time::Instant;

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("explorer_scale: run it with `cargo bench --bench explorer_scale`");
        return;
    }
    let pods: usize = std::env::var("KX_BENCH_PODS")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(100_000);
    let sim = ScaleSim::start(pods, 0);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let rss_before = status_kib("self", "VmRSS:");
    let (first_list, store) = runtime.block_on(async {
        let (took, store, _rx) = first_list(sim.client().await).await;
        (took, store)
    });
    let rss_after = status_kib("self", "VmRSS:");
    // The simulator's controllers settle after start-up; time the view model on a quiet machine.
    std::thread::sleep(std::time::Duration::from_secs(15));
    let cols = columns(&store, true, false);
    let best_of = |f: &dyn Fn() -> usize| {
        (0..5)
            .map(|_| {
                let t = Instant::now();
                let n = f();
                (t.elapsed().as_secs_f64() * 1000.0, n)
            })
            .fold((f64::MAX, 0), |a, b| if b.0 < a.0 { b } else { a })
    };
    let (order_ms, all) = best_of(&|| ordered_rows(&store, None, None).len());
    let filter = RowFilter::parse("app-0042").expect("filter");
    let (filter_ms, matched) =
        best_of(&|| ordered_rows(&store, Some(&filter), Some((&cols[1], false))).len());

    let t = Instant::now();
    let out = Command::new("/usr/bin/time")
        .args(["-f", "%M", "kubectl", "get", "pods", "-A", "--no-headers"])
        .env("KUBECONFIG", &sim.kubeconfig)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .expect("kubectl runs");
    let kubectl_s = t.elapsed().as_secs_f64();
    let kubectl_kib: u64 = String::from_utf8_lossy(&out.stderr)
        .trim()
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or(0);
    drop(sim);

    let kx_s = first_list.as_secs_f64();
    let held_mib = (rss_after.saturating_sub(rss_before)) as f64 / 1024.0;
    println!("pods={pods} rows={} all_ordered={all}", store.len());
    println!(
        "kx first complete list: {kx_s:.2}s; kubectl get pods -A: {kubectl_s:.2}s; ratio kx/kubectl = {:.2}",
        kx_s / kubectl_s
    );
    println!(
        "kx rows held: {held_mib:.0} MiB (process RSS {:.0} MiB); kubectl peak RSS {:.0} MiB; ratio = {:.2}",
        rss_after as f64 / 1024.0,
        kubectl_kib as f64 / 1024.0,
        (rss_after as f64) / (kubectl_kib.max(1) as f64)
    );
    println!(
        "best of 5: order all rows {order_ms:.1} ms; filter keystroke (regex + sort, {matched} matches) {filter_ms:.1} ms"
    );
}
