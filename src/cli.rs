//! Command-line definitions for `kx` and its subcommands.

use crate::sim::Scenario;
use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "kx",
    version,
    about = "A fast terminal UI for exploring and operating Kubernetes clusters"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub connection: Connection,
    /// Run against a built-in simulated cluster: no cluster needed.
    #[arg(long)]
    pub demo: bool,
    /// Theme to use (default-dark, light, high-contrast, dracula, or one in your config's themes/).
    #[arg(long, global = true, value_name = "NAME")]
    pub theme: Option<String>,
}

#[derive(Debug, Clone, Args, Default)]
pub struct Connection {
    /// Path to a kubeconfig file (default: $KUBECONFIG, else ~/.kube/config).
    #[arg(long, global = true, value_name = "PATH")]
    pub kubeconfig: Option<PathBuf>,
    /// The kubeconfig context to use.
    #[arg(long, global = true, value_name = "NAME")]
    pub context: Option<String>,
    /// The namespace to start in.
    #[arg(short = 'n', long, global = true, value_name = "NAMESPACE")]
    pub namespace: Option<String>,
    /// Start across all namespaces.
    #[arg(short = 'A', long, global = true)]
    pub all_namespaces: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the simulated Kubernetes API server (for the demo, tests and benchmarks).
    Sim(Box<SimArgs>),
    /// Show, create or check kx's configuration.
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConfigAction {
    /// Print where kx reads its configuration from.
    Path,
    /// Write the default config.yaml and keys.yaml into the config directory (never over a file).
    Init,
    /// Load the configuration and report every problem; exits 1 when there is one.
    Check,
}

#[derive(Debug, Args)]
pub struct SimArgs {
    /// Address to listen on; port 0 picks a free one. The bound address is the first line printed.
    #[arg(long, default_value = "127.0.0.1:0")]
    pub listen: SocketAddr,
    /// Write a kubeconfig for kubectl and kx here.
    #[arg(long, value_name = "PATH")]
    pub kubeconfig_out: Option<PathBuf>,
    /// The name of the context (and cluster and user) in that kubeconfig; distinct names let
    /// several simulators share one merged KUBECONFIG.
    #[arg(long, default_value = "kx-sim", value_name = "NAME")]
    pub context_name: String,
    #[arg(long, value_enum, default_value = "demo")]
    pub scenario: Scenario,
    /// Namespaces of the scale scenario.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub namespaces: u32,
    /// Pods of the scale scenario.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(0..=2_000_000))]
    pub pods: u32,
    /// Pod modifications per second.
    #[arg(long, default_value_t = 0.0, value_name = "EVENTS_PER_SEC")]
    pub churn: f64,
    /// Log lines per second written by each container.
    #[arg(
        long,
        default_value_t = 1.0,
        value_name = "LINES_PER_SEC_PER_CONTAINER"
    )]
    pub log_rate: f64,
    /// Seed of everything random: the same seed gives the same cluster.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Serve HTTPS with a self-made CA and require a bearer token (both go into the kubeconfig).
    #[arg(long)]
    pub tls: bool,
    /// Fault: close every watch this many seconds after it opened.
    #[arg(long, value_name = "SECS")]
    pub watch_close_after: Option<f64>,
    /// Fault: fail this fraction (0..1) of requests with --error-code.
    #[arg(long, default_value_t = 0.0, value_parser = parse_fraction)]
    pub error_rate: f64,
    /// Fault: the status code of injected failures.
    #[arg(long, default_value_t = 503, value_parser = parse_error_code)]
    pub error_code: u16,
    /// Fault: added latency per request, in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Fault: deny a verb on a resource as RBAC would (403), e.g. `--forbid 'list secrets'`,
    /// `--forbid 'get pods/log'`, `--forbid '* nodes'`. Repeatable.
    #[arg(long, value_name = "VERB RESOURCE", value_parser = parse_forbid)]
    pub forbid: Vec<String>,
    /// With --tls: the bearer token clients must send (default: a random one, written to the
    /// kubeconfig).
    #[arg(long, value_name = "TOKEN")]
    pub token: Option<String>,
    /// Changes kept for watches to resume from; older resourceVersions get 410 Gone.
    #[arg(long, default_value_t = 20_000)]
    pub history: usize,
}

fn parse_forbid(text: &str) -> Result<String, String> {
    match text.split_whitespace().collect::<Vec<_>>()[..] {
        [_, _] => Ok(text.trim().to_string()),
        _ => Err(format!(
            "{text:?} is not `VERB RESOURCE` (e.g. 'list secrets', 'get pods/log', '* nodes')"
        )),
    }
}

fn parse_error_code(text: &str) -> Result<u16, String> {
    match text {
        "429" | "500" | "503" => Ok(text.parse().unwrap_or(503)),
        _ => Err(format!("{text} is not one of 429, 500, 503")),
    }
}

fn parse_fraction(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(f) if (0.0..=1.0).contains(&f) => Ok(f),
        _ => Err(format!("{text} is not a fraction between 0 and 1")),
    }
}
