//! The CPU and MEM columns' readings through the real client against the simulator: usage
//! and shares for pods, usage, shares and requests for nodes; without a metrics API, n/a and
//! still the nodes' requests; through a server failing a third of its requests.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::TestCluster;
use kx::cluster::usage::{Target, UsageNews, run};
use kx::sim::SimOptions;
use std::time::Duration;
use tokio::sync::mpsc;

async fn first_reading(c: &TestCluster, target: Target) -> UsageNews {
    let (tx, mut rx) = mpsc::channel(2);
    let task = tokio::spawn(run(c.client().await, target, tx));
    let news = tokio::time::timeout(Duration::from_secs(30), rx.recv())
        .await
        .expect("a reading within 30 s")
        .expect("the reader stays");
    task.abort();
    news
}

/// The text a list shows for the row `ns/name` in `column`.
fn cell(news: &UsageNews, ns: &str, name: &str, column: &str) -> String {
    let measure = news
        .columns
        .iter()
        .find(|c| c.name == column)
        .unwrap()
        .measure;
    let figures = news
        .figures
        .get(kx::cluster::figures::fingerprint(ns, name))
        .unwrap_or_else(|| panic!("no figures for {ns}/{name} among {}", news.figures.len()));
    measure.text(&figures)
}

async fn running_web_pod(c: &TestCluster) -> String {
    let out = c
        .wait_for(
            &["get", "pods", "-n", "shop", "-l", "app=web", "--no-headers"],
            60,
            |o| {
                o.lines()
                    .any(|l| l.contains("Running") && l.contains("1/1"))
            },
        )
        .await;
    out.lines()
        .find(|l| l.contains("Running"))
        .and_then(|l| l.split_whitespace().next())
        .unwrap()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pods_and_nodes_get_usage_and_shares_from_the_metrics_api() {
    let c = TestCluster::start(false).await;
    let web = running_web_pod(&c).await;
    let pods = first_reading(
        &c,
        Target::Pods {
            namespace: Some("shop".into()),
            labels: None,
            fields: None,
        },
    )
    .await;
    assert!(pods.served);
    assert!(
        cell(&pods, "shop", &web, "CPU").ends_with('m'),
        "{:?}",
        pods.figures
    );
    assert!(cell(&pods, "shop", &web, "MEM").ends_with("Mi"));
    // nginx requests 50m and 64Mi and has no limits.
    assert!(cell(&pods, "shop", &web, "%CPU/R").ends_with('%'));
    assert_eq!(cell(&pods, "shop", &web, "%CPU/L"), "n/a");
    let nodes = first_reading(&c, Target::Nodes).await;
    assert!(nodes.served);
    assert!(cell(&nodes, "", "kx-worker-1", "%CPU").ends_with('%'));
    assert!(cell(&nodes, "", "kx-worker-1", "REQ%CPU").ends_with('%'));
    // The node whose kubelet stopped reports no usage, as metrics-server leaves it out.
    assert_eq!(cell(&nodes, "", "kx-worker-4", "CPU"), "n/a");

    // The same through a server failing a third of its requests: a reading still comes.
    c.sim.cluster.faults.update(|f| {
        f.error_rate = 0.3;
        f.error_code = 503;
    });
    let nodes = first_reading(&c, Target::Nodes).await;
    assert!(cell(&nodes, "", "kx-worker-1", "REQ%MEM").ends_with('%'));
}

/// The readings of a cluster whose metrics kx cannot have: no pod has usage (the list says
/// n/a for every row a reading lacks), and each node still shows what its pods request.
/// Gives the pods' reading.
async fn no_usage_but_requests(c: &TestCluster) -> UsageNews {
    running_web_pod(c).await;
    let pods = first_reading(
        c,
        Target::Pods {
            namespace: None,
            labels: None,
            fields: None,
        },
    )
    .await;
    assert!(!pods.served);
    assert!(pods.figures.is_empty(), "{:?}", pods.figures);
    let nodes = first_reading(c, Target::Nodes).await;
    assert!(!nodes.served);
    assert_eq!(cell(&nodes, "", "kx-worker-1", "CPU"), "n/a");
    let req = cell(&nodes, "", "kx-worker-1", "REQ%CPU");
    assert!(
        req.ends_with('%') && req != "0%",
        "the pods on it request something: {req}"
    );
    pods
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_metrics_api_usage_says_n_a_and_nodes_still_show_requests() {
    let c = TestCluster::start_with(SimOptions {
        metrics: false,
        ..SimOptions::default()
    })
    .await;
    let pods = no_usage_but_requests(&c).await;
    assert_eq!(pods.why, None, "not served is no failure");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_metrics_api_kx_may_not_read_says_why_and_nodes_still_show_requests() {
    let c = TestCluster::start(false).await;
    c.sim.cluster.faults.update(|f| {
        f.forbidden = vec![
            "list pods.metrics.k8s.io".into(),
            "list nodes.metrics.k8s.io".into(),
        ]
    });
    let pods = no_usage_but_requests(&c).await;
    let why = pods.why.unwrap_or_default();
    assert!(why.contains("forbidden"), "{why}");
}

/// Counts the items it hears.
struct Count(usize);

impl kx::cluster::metrics_list::Each for Count {
    fn item(&mut self, _: &str, _: &str, _: kx::cluster::usage::Amounts) {
        self.0 += 1;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_metrics_list_that_stalls_half_way_gives_up_at_its_limit_and_says_so() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    // A server that answers, sends the start of a list, and then nothing (a half-open
    // connection after a VPN drop).
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        let (mut conn, _) = listener.accept().await.unwrap();
        let mut request = [0u8; 4096];
        let _ = conn.read(&mut request).await;
        let start =
            r#"{"kind":"PodMetricsList","items":[{"metadata":{"name":"a","namespace":"b"}},"#;
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{start}\r\n",
            start.len()
        );
        conn.write_all(head.as_bytes()).await.unwrap();
        tokio::time::sleep(Duration::from_secs(30)).await;
        drop(conn);
    });
    let config = kube::Config::new(url.parse().unwrap());
    let client = kube::Client::try_from(config).unwrap();
    let began = std::time::Instant::now();
    let got = kx::cluster::metrics_list::read_within(
        &client,
        "/apis/metrics.k8s.io/v1beta1/pods",
        Count(0),
        Duration::from_secs(1),
    )
    .await;
    let why = got.err().expect("a stalled list is a failed reading");
    assert!(why.contains("took over 1 s"), "{why}");
    assert!(
        began.elapsed() < Duration::from_secs(5),
        "{:?}",
        began.elapsed()
    );
    server.abort();
}
