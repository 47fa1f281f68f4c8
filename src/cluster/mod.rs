//! Talking to the cluster: discovery, the watch layer and the row store. No UI code here.

pub mod discovery;
pub mod object;
pub mod rows;
pub mod store;
pub mod watch;

/// Builds the client kx uses. kube's built-in retry of 429/503 waits silently (for minutes at
/// worst); kx reports the failure at once and retries in its own watch layer instead.
pub fn connect(mut config: kube::Config) -> anyhow::Result<kube::Client> {
    config.default_retry = false;
    kube::Client::try_from(config)
        .map_err(|e| anyhow::anyhow!("building the Kubernetes client: {e}"))
}
