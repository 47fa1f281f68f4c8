//! What the CPU/MEM columns cost the explorer at scale, in one process so that every side sees
//! the same machine at the same moment: two apps hold the same 100k pod rows, one with a usage
//! reading applied; frames (prepare + draw of a 240×50 screen after a `j`) alternate between
//! them. Reports the frame time of each and their ratio, what applying a reading takes on the
//! UI thread, and the memory a reading adds to the rows (RSS before and after, and the RSS of
//! the rows themselves). `cargo bench --bench usage_frames` (KX_BENCH_PODS sets the pod count,
//! default 100000). Rows of two shapes are measured: alike but for a counter, and as a
//! cluster has them (see `Shape`), with how many cells each frame rewrites; and each frame is
//! drawn twice, into ratatui's test backend and as crossterm's escape codes into a sink (what
//! a real terminal costs kx, short of the write).
//!
//! A third app, the floor, takes its turn in the same alternation: the same rows carrying the
//! last reading's texts as plain server cells, uncoloured. Its screen reads as the usage app's
//! (checked), so its frames say what six more columns of that text cost at the least, however
//! cheaply kx came by them. Under `cargo test` it only says how to run.
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
use kx::cluster::usage::{Amounts, Figures, POD_COLUMNS, PodResources, UsageNews, pod_figures};
use kx::cluster::watch::WatchMsg;
use kx::config::keys::KeyMap;
use kx::config::theme::Theme;
use kx::tui::action::{Action, WatchKey};
use kx::tui::app::App;
use kx::tui::session::Session;
use ratatui::Terminal;
use ratatui::backend::{Backend, CrosstermBackend, TestBackend};
use ratatui::layout::Rect;
use ratatui::{TerminalOptions, Viewport};
use std::collections::HashMap;
use std::time::Instant;

/// Wide enough for every column of both shapes, usage included: a narrower screen squeezes
/// NODE and IP to make room for the usage columns, and the frames would then differ in more
/// than the usage columns.
const WIDTH: u16 = 240;
const HEIGHT: u16 = 50;
/// Usage readings applied to the usage app; the floor shows the last one's texts.
const READINGS: u64 = 3;

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

/// What the rows look like. A frame's cost depends on how much of the screen changes when it
/// scrolls a row, so both are measured.
#[derive(Clone, Copy, PartialEq)]
enum Shape {
    /// Every pod alike but for a counter: `app-0100-000100`, all of a namespace on one node,
    /// the same age. Neighbouring rows differ in a few digits.
    Uniform,
    /// As a cluster has them: 50 deployments a namespace whose pods carry a ReplicaSet hash
    /// and a random suffix, spread over 300 nodes with their own IPs, of ages up to 30 days,
    /// a few restarting or crash-looping.
    ClusterLike,
}

/// splitmix64: a fixed, well-spread number for each index, so every run sees the same rows.
fn spread(i: u64) -> u64 {
    let mut z = i.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// `n` characters of the alphabet Kubernetes draws generated names from.
fn generated(mut seed: u64, n: usize) -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    (0..n)
        .map(|_| {
            let c = ALPHABET[(seed % ALPHABET.len() as u64) as usize];
            seed /= ALPHABET.len() as u64;
            char::from(c)
        })
        .collect()
}

fn name_of(shape: Shape, i: usize) -> String {
    match shape {
        Shape::Uniform => format!("app-{:04}-{:06}", i % 5000, i),
        Shape::ClusterLike => {
            const APPS: [&str; 10] = [
                "web", "api", "checkout", "payments", "search", "worker", "cart", "auth",
                "gateway", "catalog",
            ];
            // Pods i, i+100, … share a namespace; 20 neighbours there share a deployment.
            let deployment = (i / 100 / 20) as u64;
            let app = APPS[(deployment % 10) as usize];
            let replica_set = generated(spread(deployment * 1000 + (i % 100) as u64), 10);
            let pod = generated(spread(i as u64), 5);
            format!("{app}-{}-{replica_set}-{pod}", deployment / 10)
        }
    }
}

const DAY: i64 = 86_400;

/// A pod's row as the server's table has it, and when it was created.
fn row_of(shape: Shape, i: usize, now: i64) -> Row {
    let name = name_of(shape, i);
    let h = spread(i as u64 ^ 0x5eed);
    let (ready, status, restarts, ip, node, created) = match shape {
        Shape::Uniform => (
            "1/1",
            "Running",
            "0".to_string(),
            format!("10.{}.{}.{}", i >> 16 & 255, i >> 8 & 255, i & 255),
            format!("kx-worker-{}", i % 50),
            now - 3600,
        ),
        Shape::ClusterLike => {
            let node = h % 300;
            let crashing = i.is_multiple_of(97);
            (
                if crashing { "0/1" } else { "1/1" },
                if crashing {
                    "CrashLoopBackOff"
                } else {
                    "Running"
                },
                match i % 17 {
                    0 => format!("{} ({}h ago)", 1 + h % 9, 1 + h % 20),
                    _ => "0".to_string(),
                },
                format!(
                    "10.{}.{}.{}",
                    64 + node / 64,
                    (h >> 8) & 255,
                    (h >> 16) & 255
                ),
                format!(
                    "ip-10-0-{}-{}.eu-west-1.compute.internal",
                    node / 256,
                    node % 256
                ),
                now - (h >> 24) as i64 % (30 * DAY),
            )
        }
    };
    Row {
        uid: format!("uid-{i}"),
        namespace: namespace_of(i),
        name: name.clone(),
        resource_version: "1".into(),
        created: Some(created),
        deleting: false,
        cells: vec![
            name.into(),
            ready.into(),
            status.into(),
            restarts.into(),
            "1h".into(),
            ip.into(),
            node.into(),
            "<none>".into(),
            "<none>".into(),
        ],
        search: Default::default(),
    }
    .refresh_search()
}

/// The pods list of every namespace, with `pods` rows shaped as the server's table has them.
/// With `floor_round`, each row also carries the usage columns' texts of that reading as plain
/// server cells, padded to the right edge of their column: what six more columns cost at the
/// least, with no reading to look up, no number to write and no colour to choose.
fn loaded(pods: usize, shape: Shape, floor_round: Option<u64>) -> (App, WatchKey) {
    let mut app = App::new(Session::new("bench".into(), None, KeyMap::load(None)));
    app.session.now = 40 * DAY;
    app.update(Action::Discovered(vec![ResourceInfo::example(
        "",
        "pods",
        "Pod",
        &["po"],
    )]));
    let key = app.list().expect("the pods list").key.clone();
    let mut columns = vec![
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
    let texts = floor_round.map(|round| usage_texts(pods, round));
    if texts.is_some() {
        columns.extend(
            POD_COLUMNS
                .iter()
                .map(|c| column(c.name, i64::from(c.wide))),
        );
    }
    app.update(Action::Watch(key.clone(), WatchMsg::Columns(columns)));
    app.update(Action::Watch(key.clone(), WatchMsg::Init));
    for i in 0..pods {
        let mut row = row_of(shape, i, app.session.now);
        if let Some(texts) = &texts {
            row.cells.extend(texts[i].iter().map(|t| t.as_str().into()));
        }
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

/// Pod `i`'s figures in reading `round`: usage that differs from row to row, against the same
/// requests and limits.
fn figures_of(i: usize, round: u64) -> Figures {
    let asks = PodResources {
        asks: Figures::new(
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
    let used = Amounts {
        cpu: (i as u64 * 7 + round * 13) % 600,
        mem: ((i as u64 * 11 + round) % 300) << 20,
    };
    pod_figures(Some(used), Some(&asks))
}

/// The usage columns' texts of every pod in reading `round`, each padded on the left to the
/// width of its column, as a right-aligned column shows them.
fn usage_texts(pods: usize, round: u64) -> Vec<Vec<String>> {
    let texts: Vec<Vec<String>> = (0..pods)
        .map(|i| {
            let figures = figures_of(i, round);
            POD_COLUMNS
                .iter()
                .map(|c| c.measure.text(&figures))
                .collect()
        })
        .collect();
    // A column is as wide as its title at least, and the usage columns' figures stand right.
    let widths: Vec<usize> = (0..POD_COLUMNS.len())
        .map(|c| {
            let longest = texts.iter().map(|t| t[c].len()).max().unwrap_or(0);
            longest.max(POD_COLUMNS[c].name.len())
        })
        .collect();
    texts
        .into_iter()
        .map(|t| {
            t.iter()
                .zip(&widths)
                .map(|(text, width)| format!("{text:>width$}"))
                .collect()
        })
        .collect()
}

/// A reading of every pod, as the runtime sends one.
fn reading(pods: usize, round: u64, shape: Shape) -> UsageNews {
    let figures = (0..pods)
        .map(|i| {
            let key = kx::cluster::figures::fingerprint(&namespace_of(i), &name_of(shape, i));
            (key, figures_of(i, round))
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
fn frame<B: Backend>(app: &mut App, term: &mut Terminal<B>, theme: &Theme) -> f64 {
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

/// How many cells of the screen a frame rewrites, on average over `frames` frames after a `j`.
fn cells_rewritten(app: &mut App, term: &mut Terminal<TestBackend>, theme: &Theme) -> f64 {
    let frames = 200;
    let mut rewritten = 0;
    for _ in 0..frames {
        let before = term.backend().buffer().clone();
        frame(app, term, theme);
        let after = term.backend().buffer();
        rewritten += before
            .content
            .iter()
            .zip(&after.content)
            .filter(|(a, b)| a != b)
            .count();
    }
    rewritten as f64 / f64::from(frames)
}

fn main() {
    // As kx sets its allocator up, so that memory figures are the product's.
    // SAFETY: first thing in main, before any thread starts.
    unsafe { kx::memory::give_freed_memory_back() };
    if !std::env::args().any(|a| a == "--bench") {
        println!("usage_frames: run it with `cargo bench --bench usage_frames`");
        return;
    }
    let pods: usize = std::env::var("KX_BENCH_PODS")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(100_000);
    let theme = Theme::load("default-dark", None, false);
    println!("pods={pods}, {WIDTH}x{HEIGHT}, all namespaces");
    for shape in [Shape::Uniform, Shape::ClusterLike] {
        measure(pods, shape, &theme);
    }
}

fn measure(pods: usize, shape: Shape, theme: &Theme) {
    let label = match shape {
        Shape::Uniform => "uniform rows",
        Shape::ClusterLike => "cluster-like rows",
    };
    let rss_start = status_kib("self", "VmRSS:");
    let (mut plain, _) = loaded(pods, shape, None);
    let rss_plain = status_kib("self", "VmRSS:");
    let (mut with_usage, key) = loaded(pods, shape, None);
    let rss_two = status_kib("self", "VmRSS:");
    // The readings: the first adds the columns, the next ones are what every 15 s costs.
    let mut apply_ms = Vec::new();
    for round in 0..READINGS {
        let news = reading(pods, round, shape);
        let t = Instant::now();
        with_usage.update(Action::Usage(key.clone(), Box::new(news)));
        apply_ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let rss_usage = status_kib("self", "VmRSS:");
    // The floor: the last reading's texts as plain cells (see `loaded`).
    let (mut floor, _) = loaded(pods, shape, Some(READINGS - 1));
    let mut terms =
        [(); 3].map(|()| Terminal::new(TestBackend::new(WIDTH, HEIGHT)).expect("terminal"));
    let sink = || {
        Terminal::with_options(
            CrosstermBackend::new(std::io::sink()),
            TerminalOptions {
                viewport: Viewport::Fixed(Rect::new(0, 0, WIDTH, HEIGHT)),
            },
        )
        .expect("terminal")
    };
    let mut sinks = [sink(), sink(), sink()];
    // Wide (every usage column: CPU, MEM and four shares), then the default view (CPU, MEM).
    for (mode, wide) in [("wide", true), ("default", false)] {
        // Warm up, then alternate so that drift on a shared machine falls on all three alike.
        for _ in 0..20 {
            frame(&mut plain, &mut terms[0], theme);
            frame(&mut with_usage, &mut terms[1], theme);
            frame(&mut floor, &mut terms[2], theme);
        }
        let screen = format!("{}", terms[1].backend());
        assert!(
            screen.contains(" MEM ") && screen.contains("Mi") && screen.contains("%MEM/L") == wide,
            "the usage columns of the {mode} view are on screen:\n{screen}"
        );
        // Nothing squeezed to make room for them.
        assert!(
            !wide || screen.contains(".compute.internal ") || shape == Shape::Uniform,
            "every column whole:\n{screen}"
        );
        // The floor's rows read as the usage app's do, or its frames would measure something
        // else (the titles differ: a server column's stands left).
        let below_titles = |screen: &str| {
            let rows = screen.lines().skip_while(|l| !l.contains("NAMESPACE"));
            rows.skip(1).collect::<Vec<_>>().join("\n")
        };
        let (floor_rows, usage_rows) = (
            below_titles(&format!("{}", terms[2].backend())),
            below_titles(&screen),
        );
        assert!(
            !usage_rows.is_empty() && floor_rows == usage_rows,
            "the floor's rows read as the usage app's:\n{floor_rows}\n\n{usage_rows}"
        );
        let (mut off, mut on, mut floor_ms) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..1000 {
            off.push(frame(&mut plain, &mut terms[0], theme));
            on.push(frame(&mut with_usage, &mut terms[1], theme));
            floor_ms.push(frame(&mut floor, &mut terms[2], theme));
        }
        let floor50 = percentile(floor_ms, 0.5);
        let (off50, on50) = (percentile(off.clone(), 0.5), percentile(on.clone(), 0.5));
        let (off90, on90) = (percentile(off, 0.9), percentile(on, 0.9));
        // The same frames written as kx writes them to a terminal (crossterm's escape codes),
        // into a sink: what a real terminal costs kx short of the write itself.
        let (mut off_ct, mut on_ct, mut floor_ct) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..1000 {
            off_ct.push(frame(&mut plain, &mut sinks[0], theme));
            on_ct.push(frame(&mut with_usage, &mut sinks[1], theme));
            floor_ct.push(frame(&mut floor, &mut sinks[2], theme));
        }
        let (off_ct50, on_ct50) = (percentile(off_ct, 0.5), percentile(on_ct, 0.5));
        let floor_ct50 = percentile(floor_ct, 0.5);
        // Outside the timed frames: how much of the screen each frame rewrites.
        let (cells_off, cells_on, cells_floor) = (
            cells_rewritten(&mut plain, &mut terms[0], theme),
            cells_rewritten(&mut with_usage, &mut terms[1], theme),
            cells_rewritten(&mut floor, &mut terms[2], theme),
        );
        println!(
            "{label}, {mode}: frame (prepare + draw after j) ms: without usage p50 {off50:.3} p90 {off90:.3}; with usage p50 {on50:.3} p90 {on90:.3}; ratio p50 {:.2} p90 {:.2}; cells rewritten a frame {cells_off:.0} and {cells_on:.0}",
            on50 / off50,
            on90 / off90
        );
        println!(
            "{label}, {mode}, crossterm's escape codes: frame p50 {off_ct50:.3} and {on_ct50:.3} ms, ratio {:.2}",
            on_ct50 / off_ct50
        );
        println!(
            "{label}, {mode}, the floor (the same texts as plain cells, uncoloured): frame p50 {floor50:.3} ms, ratio {:.2}; crossterm {floor_ct50:.3} ms, ratio {:.2}; cells rewritten a frame {cells_floor:.0}",
            floor50 / off50,
            floor_ct50 / off_ct50
        );
        for app in [&mut plain, &mut with_usage, &mut floor] {
            app.update(Action::Key(KeyEvent::new(
                KeyCode::Char('w'),
                KeyModifiers::CONTROL,
            )));
        }
    }
    println!(
        "{label}: a reading applied on the UI thread: {} ms (first, adding the columns, then two more)",
        apply_ms
            .iter()
            .map(|m| format!("{m:.1}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    // Memory freed by the first shape may still be held by the allocator (only what falls
    // wholly empty goes back at once) when the second loads, so the RSS figures are the first
    // shape's only.
    if shape == Shape::Uniform {
        let rows_mib = (rss_plain.saturating_sub(rss_start)) as f64 / 1024.0;
        let usage_mib = (rss_usage.saturating_sub(rss_two)) as f64 / 1024.0;
        println!(
            "RSS: the rows {rows_mib:.0} MiB; three readings added {usage_mib:.1} MiB ({:.0}% of the rows); process {:.0} MiB",
            usage_mib / rows_mib.max(0.001) * 100.0,
            rss_usage as f64 / 1024.0
        );
    }
}
