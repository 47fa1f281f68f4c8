//! Shell completion: `kx completion bash|zsh|fish` prints the line that registers kx with the
//! shell; the shell then asks kx itself (`KX_COMPLETE=SHELL kx -- WORDS`) for subcommands,
//! flags and live values — contexts from the kubeconfig, namespaces, pods and `KIND/NAME`s
//! from the cluster. A cluster read never takes longer than `KX_COMPLETE_TIMEOUT_MS` (1 s by
//! default): a slow cluster gives no suggestions, never a stalled shell.

use crate::cluster::connect::Source;
use crate::cluster::object::ObjectRef;
use clap_complete::engine::CompletionCandidate;
use std::ffi::OsStr;
use std::time::Duration;

/// The environment variable the shell sets to ask for completions.
pub const VAR: &str = "KX_COMPLETE";

const DEFAULT_LIMIT: Duration = Duration::from_millis(1000);

fn limit() -> Duration {
    std::env::var("KX_COMPLETE_TIMEOUT_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .map_or(DEFAULT_LIMIT, Duration::from_millis)
}

/// Kinds offered before the `/` of a `KIND/NAME`, as kubectl users type them.
const KINDS: &[&str] = &[
    "deploy", "pod", "svc", "cm", "secret", "sts", "ds", "rs", "job", "cronjob", "ingress", "node",
    "ns", "pvc", "sa", "hpa", "pdb",
];

fn matching(current: &OsStr, values: impl IntoIterator<Item = String>) -> Vec<CompletionCandidate> {
    let prefix = current.to_string_lossy();
    let mut out: Vec<String> = values
        .into_iter()
        .filter(|v| v.starts_with(prefix.as_ref()))
        .collect();
    out.sort();
    out.dedup();
    out.into_iter().map(CompletionCandidate::new).collect()
}

/// The contexts of the kubeconfig (a local read).
pub fn contexts(current: &OsStr) -> Vec<CompletionCandidate> {
    let names = crate::cluster::connect::read_kubeconfig(&Source::default())
        .ok()
        .flatten()
        .map(|(kc, _)| kc.contexts.into_iter().map(|c| c.name).collect::<Vec<_>>())
        .unwrap_or_default();
    matching(current, names)
}

/// Reads from the cluster of the current context, within the time limit; nothing when it is
/// slow, unreachable or refuses. The read runs on a thread of its own: an exec credential
/// plugin that hangs (an expired SSO login) blocks that thread, not the shell, which gets its
/// (empty) answer when the time is up and kx exits.
fn from_cluster<F, Fut>(read: F) -> Vec<String>
where
    F: FnOnce(kube::Client, String) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Option<Vec<String>>>,
{
    let (tx, rx) = std::sync::mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("kx-complete".into())
        .spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            let got = rt.block_on(async {
                let source = Source {
                    request_timeout: Some(limit()),
                    ..Source::default()
                };
                let found = crate::cluster::connect::find(&source).await.ok()?;
                let namespace = found.config.default_namespace.clone();
                let client = crate::cluster::connect::client(found.config).ok()?;
                read(client, namespace).await
            });
            let _ = tx.send(got.unwrap_or_default());
            rt.shutdown_background();
        });
    if spawned.is_err() {
        return Vec::new();
    }
    rx.recv_timeout(limit()).unwrap_or_default()
}

async fn names_of(client: kube::Client, kind: &str, namespace: &str) -> Option<Vec<String>> {
    let resources = crate::cluster::discovery::discover(&client).await.ok()?;
    let resource = crate::cluster::discovery::resolve(kind, &resources, &[])
        .ok()?
        .clone();
    let target = ObjectRef {
        namespace: resource.namespaced.then(|| namespace.to_string()),
        name: String::new(),
        resource,
    };
    let api = crate::cluster::object::dynamic_api(client, &target);
    let list = api
        .list_metadata(&kube::api::ListParams::default().limit(500))
        .await
        .ok()?;
    Some(
        list.items
            .into_iter()
            .filter_map(|o| o.metadata.name)
            .collect(),
    )
}

/// The namespaces of the cluster.
pub fn namespaces(current: &OsStr) -> Vec<CompletionCandidate> {
    matching(
        current,
        from_cluster(|client, _| async move { names_of(client, "namespaces", "").await }),
    )
}

/// Pods of the context's namespace (for `kx logs` and `kx shell`, whose query is a regex:
/// a pod's name is the commonest one).
pub fn pods(current: &OsStr) -> Vec<CompletionCandidate> {
    matching(
        current,
        from_cluster(|client, ns| async move { names_of(client, "pods", &ns).await }),
    )
}

/// `KIND/NAME`: kinds before the slash, the kind's objects after it.
pub fn targets(current: &OsStr) -> Vec<CompletionCandidate> {
    let typed = current.to_string_lossy().into_owned();
    let Some((kind, _)) = typed.split_once('/') else {
        return matching(current, KINDS.iter().map(|k| format!("{k}/")));
    };
    let kind = kind.to_string();
    let wanted = kind.clone();
    let names = from_cluster(move |client, ns| async move { names_of(client, &wanted, &ns).await });
    matching(current, names.into_iter().map(|n| format!("{kind}/{n}")))
}

/// The registration script for `shell`, calling back into `completer` (this binary).
pub fn registration(shell: &str, completer: &str) -> Result<String, String> {
    use clap_complete::env::EnvCompleter;
    let shells: [&dyn EnvCompleter; 3] = [
        &clap_complete::env::Bash,
        &clap_complete::env::Zsh,
        &clap_complete::env::Fish,
    ];
    let Some(sh) = shells.iter().find(|s| s.is(shell)) else {
        return Err(format!("no completion for {shell:?}: bash, zsh or fish"));
    };
    let mut out = Vec::new();
    sh.write_registration(VAR, "kx", "kx", completer, &mut out)
        .map_err(|e| e.to_string())?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}
