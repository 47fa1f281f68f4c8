//! Scale run of the explorer's data path against `kx sim --scenario scale`: time to the first
//! complete list of all pods, memory held, a filter keystroke's re-ordering, and the same
//! list through `kubectl get pods -A` for the ratio. `cargo bench --bench explorer_scale`
//! (KX_BENCH_PODS sets the pod count, default 100000). Under `cargo test` it only says how to run.

use kx::app::model::{RowFilter, columns, ordered_rows};
use kx::cluster::discovery::{discover, resolve};
use kx::cluster::store::RowStore;
use kx::cluster::watch::{Scope, WatchMsg, run};
use std::io::BufRead;
use std::process::{Command, Stdio};
use std::time::Instant;

fn status_kib(pid: &str, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("explorer_scale: run it with `cargo bench --bench explorer_scale`");
        return;
    }
    let pods: usize = std::env::var("KX_BENCH_PODS")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(100_000);
    let dir = std::env::temp_dir().join(format!("kx-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let kubeconfig = dir.join("kubeconfig");
    let bin = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/kx");
    let mut sim = Command::new(&bin)
        .args([
            "sim",
            "--scenario",
            "scale",
            "--namespaces",
            "100",
            "--pods",
            &pods.to_string(),
            "--kubeconfig-out",
        ])
        .arg(&kubeconfig)
        .stdout(Stdio::piped())
        .spawn()
        .expect("target/release/kx exists (cargo build --release)");
    let mut first = String::new();
    std::io::BufReader::new(sim.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("address");

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let rss_before = status_kib("self", "VmRSS:");
    let (first_list, store) = runtime.block_on(async {
        let kc = kube::config::Kubeconfig::read_from(&kubeconfig).expect("kubeconfig");
        let config = kube::Config::from_custom_kubeconfig(kc, &Default::default())
            .await
            .expect("config");
        let client = kx::cluster::connect(config).expect("client");
        let resources = discover(&client).await.expect("discovery");
        let pods_type = resolve("pods", &resources, &[]).expect("pods").clone();
        let (tx, mut rx) = tokio::sync::mpsc::channel(4096);
        let started = Instant::now();
        tokio::spawn(run(
            client,
            pods_type,
            Scope::default(),
            tx,
            kx::cluster::watch::PAGE_SIZE,
        ));
        let mut store = RowStore::default();
        while !store.loaded {
            match rx.recv().await {
                Some(msg @ WatchMsg::Error(_)) => panic!("{msg:?}"),
                Some(msg) => store.apply(msg, 0),
                None => panic!("the watch ended"),
            }
        }
        (started.elapsed(), store)
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
        .env("KUBECONFIG", &kubeconfig)
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
    let _ = sim.kill();
    let _ = sim.wait();
    let _ = std::fs::remove_dir_all(&dir);

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
