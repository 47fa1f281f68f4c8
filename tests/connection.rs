//! Connecting like kubectl: exec credential plugins and OIDC id-tokens from the kubeconfig
//! (through kx's own `client_config`), RBAC denials reported as "forbidden" with the verb and
//! resource, and discovery that refreshes when a CRD is added.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests and benches stop at the first surprise

mod common;

use base64::Engine;
use common::TestCluster;
use kx::cli::Connection;
use kx::cluster::discovery::keep_discovering;
use kx::cluster::watch::{Scope, WatchMsg};
use std::time::Duration;
use tokio::sync::mpsc;

/// The simulator's TLS kubeconfig with its token replaced by `user` (YAML lines under `user:`).
fn kubeconfig_with_user(c: &TestCluster, user: &str) -> std::path::PathBuf {
    let token = c.sim.token.clone().expect("a TLS simulator has a token");
    let yaml = c
        .sim
        .kubeconfig
        .replace(&format!("    token: {token}\n"), user);
    assert_ne!(yaml, c.sim.kubeconfig, "the token line was replaced");
    let path = c.dir.path().join("kubeconfig-user");
    std::fs::write(&path, yaml).expect("write kubeconfig");
    path
}

async fn list_namespaces_with(path: std::path::PathBuf) -> anyhow::Result<usize> {
    let conn = Connection {
        kubeconfig: Some(path),
        ..Default::default()
    };
    let found = kx::cluster::connect::find(&conn.source()).await?;
    let client = kx::cluster::connect::client(found.config)?;
    let namespaces: kube::Api<k8s_openapi::api::core::v1::Namespace> = kube::Api::all(client);
    Ok(namespaces.list(&Default::default()).await?.items.len())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exec_plugin_supplies_the_token_and_a_failing_one_is_reported() {
    let c = TestCluster::start(true).await;
    let token = c.sim.token.clone().unwrap_or_default();
    let script = c.dir.path().join("credential-plugin.sh");
    std::fs::write(
        &script,
        format!("#!/bin/sh\nprintf '%s' '{{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{{\"token\":\"{token}\"}}}}'\n"),
    )
    .expect("write plugin");
    let exec = |command: &str| {
        format!(
            "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: /bin/sh\n      args: [\"{command}\"]\n      interactiveMode: Never\n"
        )
    };
    let path = kubeconfig_with_user(&c, &exec(&script.display().to_string()));
    let namespaces = list_namespaces_with(path)
        .await
        .expect("listing through the plugin");
    assert_eq!(namespaces, 6, "the demo's namespaces");

    let failing = c.dir.path().join("failing-plugin.sh");
    std::fs::write(
        &failing,
        "#!/bin/sh\necho 'login expired: run sso-login' >&2\nexit 1\n",
    )
    .expect("write plugin");
    let path = kubeconfig_with_user(&c, &exec(&failing.display().to_string()));
    let err = format!(
        "{:#}",
        list_namespaces_with(path)
            .await
            .expect_err("a failing plugin")
    );
    assert!(
        err.contains("login expired: run sso-login"),
        "the error names the plugin's failure: {err}"
    );
    c.sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oidc_id_token_is_sent_as_the_bearer_token() {
    let b64 = |v: &serde_json::Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
    };
    let exp = jiff::Timestamp::now().as_second() + 3600;
    let jwt = format!(
        "{}.{}.c2lnbmF0dXJl",
        b64(&serde_json::json!({"alg": "RS256", "typ": "JWT"})),
        b64(&serde_json::json!({"iss": "https://idp.example", "sub": "ops", "exp": exp}))
    );
    let c = TestCluster::start_with(kx::sim::SimOptions {
        tls: true,
        token: Some(jwt.clone()),
        ..Default::default()
    })
    .await;
    let user = format!(
        "    auth-provider:\n      name: oidc\n      config:\n        client-id: kx\n        idp-issuer-url: https://idp.example\n        id-token: {jwt}\n"
    );
    let namespaces = list_namespaces_with(kubeconfig_with_user(&c, &user))
        .await
        .expect("listing with the id-token");
    assert_eq!(namespaces, 6, "the demo's namespaces");
    c.sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forbidden_list_says_forbidden_with_the_verb_and_resource_in_the_header() {
    let c = TestCluster::start(false).await;
    c.sim
        .cluster
        .faults
        .update(|f| f.forbidden = vec!["list secrets".into()]);
    let client = c.client().await;
    let resources = kx::cluster::discovery::discover(&client)
        .await
        .expect("discovery");
    let secrets = kx::cluster::discovery::resolve("secrets", &resources, &[])
        .expect("secrets")
        .clone();
    let (tx, mut rx) = mpsc::channel(64);
    let task = tokio::spawn(kx::cluster::watch::run(
        client,
        secrets.clone(),
        Scope::default(),
        tx,
        kx::cluster::watch::Paging::rows(500),
    ));
    let error = loop {
        let msg = tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .expect("a message in time")
            .expect("watch running");
        if let WatchMsg::Error(e) = msg {
            break e;
        }
    };
    task.abort();
    let said = error.error.to_string();
    assert!(error.error.is_forbidden(), "{said}");
    assert_eq!(
        said,
        "forbidden: user \"kx-sim\" cannot list secrets cluster-wide (RBAC); ask for access or use another context"
    );
    // The explorer shows it in its header instead of an empty "no rows" table.
    use kx::tui::action::Action;
    let mut state = kx::tui::app::App::new(kx::tui::session::Session::new(
        "kx-sim".into(),
        None,
        kx::config::keys::KeyMap::load(None),
    ));
    state.update(Action::Discovered(resources));
    let cmd = ":secrets\r";
    for ch in cmd.chars() {
        let code = match ch {
            '\r' => crossterm::event::KeyCode::Enter,
            c => crossterm::event::KeyCode::Char(c),
        };
        state.update(Action::Key(crossterm::event::KeyEvent::from(code)));
    }
    let key = state.list().expect("the secrets list").key.clone();
    state.update(Action::Watch(key, WatchMsg::Error(error)));
    state.prepare();
    let mut term =
        ratatui::Terminal::new(ratatui::backend::TestBackend::new(150, 6)).expect("terminal");
    let theme = kx::config::theme::Theme::load("default-dark", None, false);
    term.draw(|f| kx::tui::draw::draw(f, &state, &theme))
        .expect("draw");
    let screen = format!("{}", term.backend());
    assert!(
        screen.contains("forbidden: user \"kx-sim\" cannot list secrets cluster-wide (RBAC)"),
        "{screen}"
    );
    c.sim.stop().await;
}

type Discovered = Result<Vec<kx::cluster::discovery::ResourceInfo>, kx::cluster::backoff::Trouble>;

async fn next_discovery(
    rx: &mut mpsc::Receiver<Discovered>,
) -> Vec<kx::cluster::discovery::ResourceInfo> {
    tokio::time::timeout(Duration::from_secs(15), rx.recv())
        .await
        .expect("discovery in time")
        .expect("discovery running")
        .expect("discovery succeeds")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_refreshes_when_a_crd_is_added() {
    let c = TestCluster::start(false).await;
    let (tx, mut rx) = mpsc::channel(4);
    let task = tokio::spawn(keep_discovering(c.client().await, tx));
    let first = next_discovery(&mut rx).await;
    assert!(!first.iter().any(|r| r.plural == "gadgets"));
    let crd = c.dir.path().join("crd.yaml");
    std::fs::write(&crd, "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: gadgets.test.kx.dev}\nspec:\n  group: test.kx.dev\n  scope: Namespaced\n  names: {plural: gadgets, singular: gadget, kind: Gadget}\n  versions:\n  - name: v1\n    served: true\n    storage: true\n    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}\n").expect("write");
    c.kubectl_ok(&["apply", "-f", crd.to_str().unwrap_or_default()])
        .await;
    let second = next_discovery(&mut rx).await;
    assert!(
        second
            .iter()
            .any(|r| r.plural == "gadgets" && r.group == "test.kx.dev"),
        "the new CRD is discovered without a restart"
    );
    task.abort();
    c.sim.stop().await;
}
