//! The simulator's API behaviour through the kube client kx itself uses: paging, watch resume
//! and 410 Gone, selectors, errors as Status objects, auth, faults, and a dropped connection.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests and benches stop at the first surprise

mod common;

use common::TestCluster;
use futures::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams, WatchEvent, WatchParams};
use kube::{Client, Config};
use std::time::Duration;

async fn client(c: &TestCluster) -> Client {
    c.client().await
}

async fn raw(
    client: &Client,
    method: &str,
    path: &str,
    body: Vec<u8>,
    content_type: &str,
) -> (u16, serde_json::Value, Option<String>) {
    let req = http::Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", content_type)
        .body(body)
        .expect("request");
    let resp = client
        .send(req.map(kube::client::Body::from))
        .await
        .expect("a response");
    let status = resp.status().as_u16();
    let retry = resp
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let bytes = http_body_util::BodyExt::collect(resp.into_body())
        .await
        .expect("body")
        .to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
        retry,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paged_lists_return_every_pod_once() {
    let c = TestCluster::start_with(kx::sim::SimOptions {
        scenario: kx::sim::Scenario::Scale,
        pods: 1234,
        namespaces: 3,
        ..Default::default()
    })
    .await;
    let pods: Api<Pod> = Api::all(client(&c).await);
    let mut names = std::collections::BTreeSet::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut lp = ListParams::default().limit(500);
        if let Some(t) = &token {
            lp = lp.continue_token(t);
        }
        let page = pods.list(&lp).await.expect("a page");
        pages += 1;
        for p in page.items {
            assert!(
                names.insert(p.metadata.name.unwrap_or_default()),
                "no pod twice"
            );
        }
        match page.metadata.continue_ {
            Some(t) if !t.is_empty() => token = Some(t),
            _ => break,
        }
    }
    assert_eq!((names.len(), pages), (1234, 3));
    c.sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_resumes_from_a_version_and_old_versions_are_gone() {
    let c = TestCluster::start_with(kx::sim::SimOptions {
        history: 50,
        ..Default::default()
    })
    .await;
    let client = client(&c).await;
    let pods: Api<Pod> = Api::namespaced(client.clone(), "shop");
    let listed = pods.list(&ListParams::default()).await.expect("list");
    let rv = listed.metadata.resource_version.clone().expect("list rv");
    // Enough churn to push the listed version out of a 50-change history.
    let deploys: Api<k8s_openapi::api::apps::v1::Deployment> =
        Api::namespaced(client.clone(), "shop");
    let patch = serde_json::json!({"spec": {"replicas": 6}});
    deploys
        .patch(
            "web",
            &kube::api::PatchParams::default(),
            &kube::api::Patch::Merge(&patch),
        )
        .await
        .expect("scale");
    tokio::time::sleep(Duration::from_secs(4)).await;
    let mut stream = pods
        .watch(&WatchParams::default(), &rv)
        .await
        .expect("watch")
        .boxed();
    let first = tokio::time::timeout(Duration::from_secs(5), stream.next())
        .await
        .expect("an event")
        .expect("some");
    match first {
        Ok(WatchEvent::Error(e)) => assert_eq!(e.code, 410, "{e:?}"),
        Err(kube::Error::Api(e)) => assert_eq!(e.code, 410, "{e:?}"),
        other => panic!("expected 410 Gone, got {other:?}"),
    }
    // From the current version a watch streams the next change.
    let now_rv = pods
        .list(&ListParams::default())
        .await
        .expect("list")
        .metadata
        .resource_version
        .expect("rv");
    let mut stream = pods
        .watch(&WatchParams::default().labels("app=web"), &now_rv)
        .await
        .expect("watch")
        .boxed();
    deploys
        .patch(
            "web",
            &kube::api::PatchParams::default(),
            &kube::api::Patch::Merge(&serde_json::json!({"spec": {"replicas": 7}})),
        )
        .await
        .expect("scale");
    let ev = tokio::time::timeout(Duration::from_secs(10), stream.next())
        .await
        .expect("an event in time")
        .expect("some")
        .expect("ok");
    assert!(matches!(ev, WatchEvent::Added(_)), "{ev:?}");
    c.sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_status_objects_and_the_server_keeps_serving() {
    let c = TestCluster::start(false).await;
    let client = client(&c).await;
    let (code, status, _) = raw(
        &client,
        "POST",
        "/api/v1/namespaces/default/configmaps",
        b"{not json".to_vec(),
        "application/json",
    )
    .await;
    assert_eq!(
        (code, status["kind"].as_str(), status["reason"].as_str()),
        (400, Some("Status"), Some("BadRequest"))
    );
    let big = vec![b' '; 4 * 1024 * 1024];
    let (code, status, _) = raw(
        &client,
        "POST",
        "/api/v1/namespaces/default/configmaps",
        big,
        "application/json",
    )
    .await;
    assert_eq!(
        (code, status["reason"].as_str()),
        (413, Some("RequestEntityTooLarge"))
    );
    let (code, status, _) = raw(
        &client,
        "GET",
        "/api/v1/namespaces/default/gizmos",
        vec![],
        "application/json",
    )
    .await;
    assert_eq!((code, status["reason"].as_str()), (404, Some("NotFound")));
    let (code, status, _) = raw(
        &client,
        "GET",
        "/api/v1/namespaces/shop/pods?labelSelector=app%20in%20web",
        vec![],
        "application/json",
    )
    .await;
    assert_eq!(code, 400, "{status}");
    let (code, _, _) = raw(
        &client,
        "GET",
        "/api/v1/namespaces/shop/pods",
        vec![],
        "application/json",
    )
    .await;
    assert_eq!(code, 200, "still serving");
    c.sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_requires_the_token() {
    let c = TestCluster::start(true).await;
    let kc = kube::config::Kubeconfig::from_yaml(&c.sim.kubeconfig).expect("kubeconfig");
    let mut config = Config::from_custom_kubeconfig(kc, &Default::default())
        .await
        .expect("config");
    config.auth_info.token = None;
    let anonymous = Client::try_from(config).expect("client");
    let err = Api::<Pod>::all(anonymous)
        .list(&ListParams::default())
        .await
        .expect_err("no token, no pods");
    assert!(
        matches!(&err, kube::Error::Api(s) if s.code == 401),
        "{err:?}"
    );
    let namespaces = Api::<k8s_openapi::api::core::v1::Namespace>::all(client(&c).await)
        .list(&ListParams::default())
        .await
        .expect("with the token");
    assert!(
        namespaces
            .items
            .iter()
            .any(|n| n.metadata.name.as_deref() == Some("shop"))
    );
    c.sim.stop().await;
}

async fn plain_get(addr: std::net::SocketAddr, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).await.expect("read");
    response
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injected_429s_carry_retry_after_and_dropped_connections_come_back_with_state() {
    let c = TestCluster::start(false).await;
    let client = client(&c).await;
    c.sim.cluster.faults.update(|f| {
        f.error_rate = 1.0;
        f.error_code = 429;
    });
    // Raw HTTP, so no client retry policy hides the 429.
    let response = plain_get(c.sim.addr, "/api/v1/pods").await;
    assert!(response.starts_with("HTTP/1.1 429"), "{response}");
    assert!(
        response.to_ascii_lowercase().contains("retry-after: 1"),
        "{response}"
    );
    assert!(response.contains("TooManyRequests"), "{response}");
    c.sim.cluster.faults.update(|f| f.error_rate = 0.0);
    let cms: Api<k8s_openapi::api::core::v1::ConfigMap> =
        Api::namespaced(client.clone(), "default");
    let cm = serde_json::from_value(
        serde_json::json!({"metadata": {"name": "kept"}, "data": {"a": "b"}}),
    )
    .expect("cm");
    cms.create(&Default::default(), &cm).await.expect("create");
    c.sim.cluster.faults.drop_all_connections();
    tokio::time::sleep(Duration::from_millis(800)).await;
    let fresh = Client::try_from(
        Config::from_custom_kubeconfig(
            kube::config::Kubeconfig::from_yaml(&c.sim.kubeconfig).expect("kc"),
            &Default::default(),
        )
        .await
        .expect("config"),
    )
    .expect("client");
    let got = Api::<k8s_openapi::api::core::v1::ConfigMap>::namespaced(fresh, "default")
        .get("kept")
        .await
        .expect("the same port serves the same state");
    assert_eq!(
        got.data.unwrap_or_default().get("a").map(String::as_str),
        Some("b")
    );
    c.sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_only_lists_and_watches_carry_no_spec() {
    let c = TestCluster::start(false).await;
    let client = client(&c).await;
    let (code, table, _) = raw(
        &client,
        "GET",
        "/api/v1/namespaces?includeObject=None",
        vec![],
        "application/json",
    )
    .await;
    assert_eq!(code, 200);
    assert_eq!(
        table["kind"], "NamespaceList",
        "a plain Accept gets full objects"
    );
    let pods: Api<Pod> = Api::namespaced(client.clone(), "kube-system");
    let meta = pods
        .list_metadata(&ListParams::default())
        .await
        .expect("metadata list");
    let rv = meta.metadata.resource_version.clone().expect("rv");
    let mut stream = pods
        .watch_metadata(&WatchParams::default(), &rv)
        .await
        .expect("metadata watch")
        .boxed();
    let deploys: Api<k8s_openapi::api::apps::v1::Deployment> =
        Api::namespaced(client.clone(), "kube-system");
    deploys
        .patch(
            "coredns",
            &kube::api::PatchParams::default(),
            &kube::api::Patch::Merge(&serde_json::json!({"spec": {"replicas": 3}})),
        )
        .await
        .expect("scale");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let ev = tokio::time::timeout_at(deadline, stream.next())
            .await
            .expect("a coredns event in time")
            .expect("some")
            .expect("ok");
        let m = match ev {
            WatchEvent::Added(m) | WatchEvent::Modified(m) => m,
            WatchEvent::Bookmark(_) => continue,
            other => panic!("unexpected {other:?}"),
        };
        assert_eq!(
            m.types.as_ref().map(|t| t.kind.as_str()),
            Some("PartialObjectMetadata")
        );
        if m.metadata.name.is_some_and(|n| n.starts_with("coredns-")) {
            break;
        }
    }
    c.sim.stop().await;
}
