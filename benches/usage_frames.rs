//! What the CPU/MEM columns cost the explorer at scale, in one process so that both sides see
//! the same machine at the same moment: two apps hold the same 100k pod rows, one with a usage
//! reading applied; frames (prepare + draw of a 200×50 screen after a `j`) alternate between
//! them. Reports the frame time of each and their ratio, what applying a reading takes on the
//! UI thread, and the memory a reading adds to the rows (RSS before and after, and the RSS of
//! the rows themselves). `cargo bench --bench usage_frames` (KX_BENCH_PODS sets the pod count,
//! default 100000). Under `cargo test` it only says how to run.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // benches stop at the first surprise

#[allow(dead_code)] // only its RSS reading is used here
mod common;

// The allocator kx itself runs with, so allocation costs are the product's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use common::status_kib;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use kx::cluster::discovery::ResourceInfo;
use kx::cluster::rows::{Column, Row};
use kx::cluster::usage::{Amounts, POD_COLUMNS, PodResources, UsageNews, pod_figures};
use kx::cluster::watch::WatchMsg;
use kx::config::keys::KeyMap;
use kx::config::theme::Theme;
use kx::tui::action::{Action, WatchKey};
use kx::tui::app::App;
use kx::tui::session::Session;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::collections::HashMap;
use std::time::Instant;

const WIDTH: u16 = 200;
const HEIGHT: u16 = 50;

fn column(name: &str, priority: i64) -> Column {
    Column {
        name: name.into(),
        type_: "string".into(),
        format: String::new(),
        priority,
    }
}

fn namespace_of(i: usize) -> String {
    format!("ns-{:03}", i % 100)
}

fn name_of(i: usize) -> String {
    format!("app-{:04}-{:06}", i % 5000, i)
}

/// The pods list of every namespace, with `pods` rows shaped as the server's table has them.
fn loaded(pods: usize) -> (App, WatchKey) {
    let mut app = App::new(Session::new("bench".into(), None, KeyMap::load(None)));
    app.session.now = 3600;
    app.update(Action::Discovered(vec![ResourceInfo::example(
        "",
        "pods",
        "Pod",
        &["po"],
    )]));
    let key = app.list().expect("the pods list").key.clone();
    let columns = vec![
        column("Name", 0),
        column("Ready", 0),
        column("Status", 0),
        column("Restarts", 0),
        column("Age", 0),
        column("IP", 1),
        column("Node", 1),
        column("Nominated Node", 1),
        column("Readiness Gates", 1),
    ];
    app.update(Action::Watch(key.clone(), WatchMsg::Columns(columns)));
    app.update(Action::Watch(key.clone(), WatchMsg::Init));
    for i in 0..pods {
        let name = name_of(i);
        let row = Row {
            uid: format!("uid-{i}"),
            namespace: namespace_of(i),
            name: name.clone(),
            resource_version: "1".into(),
            created: Some(0),
            deleting: false,
            cells: vec![
                name.into(),
                "1/1".into(),
                "Running".into(),
                "0".into(),
                "1h".into(),
                format!("10.{}.{}.{}", i >> 16 & 255, i >> 8 & 255, i & 255).into(),
                format!("kx-worker-{}", i % 50).into(),
                "<none>".into(),
                "<none>".into(),
            ],
            search: Default::default(),
        }
        .refresh_search();
        app.update(Action::Watch(key.clone(), WatchMsg::InitRow(row)));
    }
    app.update(Action::Watch(key.clone(), WatchMsg::InitDone));
    // `-A`, wide: every usage column is on screen.
    app.update(Action::Key(KeyEvent::new(
        KeyCode::Char('w'),
        KeyModifiers::CONTROL,
    )));
    app.update(Action::Resize(WIDTH, HEIGHT));
    (app, key)
}

/// A reading of every pod, as the runtime sends one.
fn reading(pods: usize, round: u64) -> UsageNews {
    let asks = PodResources {
        asks: kx::cluster::usage::Figures::new(
            None,
            Some(Amounts {
                cpu: 100,
                mem: 128 << 20,
            }),
            Some(500),
            Some(256 << 20),
        ),
        ..PodResources::default()
    };
    let figures = (0..pods)
        .map(|i| {
            let used = Amounts {
                cpu: (i as u64 * 7 + round * 13) % 600,
                mem: ((i as u64 * 11 + round) % 300) << 20,
            };
            let key = kx::cluster::figures::fingerprint(&namespace_of(i), &name_of(i));
            (key, pod_figures(Some(used), Some(&asks)))
        })
        .collect::<HashMap<_, _>>();
    UsageNews {
        columns: POD_COLUMNS.to_vec(),
        figures: kx::cluster::usage::Reading::Map(figures),
        served: true,
        why: None,
    }
}

/// One frame after a `j`: the app's prepare and the draw, in milliseconds.
fn frame(app: &mut App, term: &mut Terminal<TestBackend>, theme: &Theme) -> f64 {
    let t = Instant::now();
    app.update(Action::Key(KeyEvent::new(
        KeyCode::Char('j'),
        KeyModifiers::NONE,
    )));
    app.prepare();
    term.draw(|f| kx::tui::draw::draw(f, app, theme))
        .expect("draws");
    t.elapsed().as_secs_f64() * 1000.0
}

fn percentile(mut v: Vec<f64>, p: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[((v.len() as f64 * p) as usize).min(v.len() - 1)]
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("usage_frames: run it with `cargo bench --bench usage_frames`");
        return;
    }
    let pods: usize = std::env::var("KX_BENCH_PODS")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(100_000);
    let theme = Theme::load("default-dark", None, false);
    let rss_start = status_kib("self", "VmRSS:");
    let (mut plain, _) = loaded(pods);
    let rss_plain = status_kib("self", "VmRSS:");
    let (mut with_usage, key) = loaded(pods);
    let rss_two = status_kib("self", "VmRSS:");
    // Three readings: the first adds the columns, the next ones are what every 15 s costs.
    let mut apply_ms = Vec::new();
    for round in 0..3 {
        let news = reading(pods, round);
        let t = Instant::now();
        with_usage.update(Action::Usage(key.clone(), Box::new(news)));
        apply_ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let rss_usage = status_kib("self", "VmRSS:");
    let mut terms = [
        Terminal::new(TestBackend::new(WIDTH, HEIGHT)).expect("terminal"),
        Terminal::new(TestBackend::new(WIDTH, HEIGHT)).expect("terminal"),
    ];
    println!("pods={pods}, {WIDTH}x{HEIGHT}, all namespaces");
    // Wide (every usage column: CPU, MEM and four shares), then the default view (CPU, MEM).
    for (mode, wide) in [("wide", true), ("default", false)] {
        // Warm up, then alternate so that drift on a shared machine falls on both alike.
        for _ in 0..20 {
            frame(&mut plain, &mut terms[0], &theme);
            frame(&mut with_usage, &mut terms[1], &theme);
        }
        let screen = format!("{}", terms[1].backend());
        assert!(
            screen.contains(" MEM ") && screen.contains("Mi") && screen.contains("%MEM/L") == wide,
            "the usage columns of the {mode} view are on screen:\n{screen}"
        );
        let (mut off, mut on) = (Vec::new(), Vec::new());
        for _ in 0..1000 {
            off.push(frame(&mut plain, &mut terms[0], &theme));
            on.push(frame(&mut with_usage, &mut terms[1], &theme));
        }
        let (off50, on50) = (percentile(off.clone(), 0.5), percentile(on.clone(), 0.5));
        let (off90, on90) = (percentile(off, 0.9), percentile(on, 0.9));
        println!(
            "{mode}: frame (prepare + draw after j) ms: without usage p50 {off50:.3} p90 {off90:.3}; with usage p50 {on50:.3} p90 {on90:.3}; ratio p50 {:.2} p90 {:.2}",
            on50 / off50,
            on90 / off90
        );
        for app in [&mut plain, &mut with_usage] {
            app.update(Action::Key(KeyEvent::new(
                KeyCode::Char('w'),
                KeyModifiers::CONTROL,
            )));
        }
    }
    let rows_mib = (rss_plain.saturating_sub(rss_start)) as f64 / 1024.0;
    let usage_mib = (rss_usage.saturating_sub(rss_two)) as f64 / 1024.0;
    println!(
        "a reading applied on the UI thread: {} ms (first, adding the columns, then two more)",
        apply_ms
            .iter()
            .map(|m| format!("{m:.1}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "RSS: the rows {rows_mib:.0} MiB; three readings added {usage_mib:.1} MiB ({:.0}% of the rows); process {:.0} MiB",
        usage_mib / rows_mib.max(0.001) * 100.0,
        rss_usage as f64 / 1024.0
    );
}
