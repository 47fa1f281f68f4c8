//! Command-line definitions for `kx` and its subcommands.

use crate::sim::Scenario;
use clap::{Args, Parser, Subcommand};
use clap_complete::engine::ArgValueCompleter;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

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
    /// Start a saved port-forward (`port_forwards:` in config.yaml) with the explorer
    /// (repeatable).
    #[arg(long = "forward", value_name = "NAME")]
    pub forwards: Vec<String>,
    /// Theme to use (default-dark, light, high-contrast, dracula, or one in your config's themes/).
    #[arg(long, global = true, value_name = "NAME")]
    pub theme: Option<String>,
    #[command(flatten)]
    pub writes: WriteFlags,
    /// Colour on the command line: auto (on a terminal, unless NO_COLOR is set), always or
    /// never.
    #[arg(
        long,
        global = true,
        value_enum,
        default_value = "auto",
        value_name = "WHEN"
    )]
    pub color: ColorWhen,
}

#[derive(Debug, Clone, Copy, Args, Default)]
pub struct WriteFlags {
    /// Turn every write action (edit, delete, scale, restart, cordon) off.
    #[arg(long, global = true)]
    pub readonly: bool,
    /// Apply edits without first showing the server's dry-run diff and asking.
    #[arg(long, global = true)]
    pub no_preview: bool,
}

#[derive(Debug, Clone, Args)]
pub struct Connection {
    /// Path to a kubeconfig file (default: $KUBECONFIG, else ~/.kube/config).
    #[arg(long, global = true, value_name = "PATH")]
    pub kubeconfig: Option<PathBuf>,
    /// The kubeconfig context to use.
    #[arg(long, global = true, value_name = "NAME", add = ArgValueCompleter::new(crate::complete::contexts))]
    pub context: Option<String>,
    /// The namespace to start in (`kx logs` takes several: `-n a -n b` or `-n a,b`).
    #[arg(
        short = 'n',
        long,
        global = true,
        value_name = "NAMESPACE",
        value_delimiter = ',',
        add = ArgValueCompleter::new(crate::complete::namespaces),
    )]
    pub namespace: Vec<String>,
    /// Start across all namespaces.
    #[arg(short = 'A', long, global = true)]
    pub all_namespaces: bool,
    /// How long one-shot commands (`kx logs --no-follow`, `kx edit`, a first contact) keep
    /// trying before they give up with exit code 1; also bounds each connection attempt.
    #[arg(long, global = true, default_value = "30s", value_parser = parse_timeout, value_name = "DURATION")]
    pub request_timeout: Duration,
}

impl Default for Connection {
    fn default() -> Self {
        Connection {
            kubeconfig: None,
            context: None,
            namespace: Vec::new(),
            all_namespaces: false,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
        }
    }
}

pub use crate::cluster::backoff::DEFAULT_REQUEST_TIMEOUT;

impl Connection {
    /// Where to find the cluster, for the connection layer.
    pub fn source(&self) -> crate::cluster::connect::Source {
        crate::cluster::connect::Source {
            kubeconfig: self.kubeconfig.clone(),
            context: self.context.clone(),
            request_timeout: Some(self.request_timeout),
        }
    }
}

fn parse_timeout(text: &str) -> Result<Duration, String> {
    match crate::duration::parse("--request-timeout", text)? {
        d if d.is_zero() => Err("--request-timeout must be more than 0".into()),
        d => Ok(d),
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the simulated Kubernetes API server (for the demo, tests and benchmarks).
    Sim(Box<SimArgs>),
    /// Print an object's changes as they happen: ADDED with its YAML, then a diff per change
    /// (kubespy-like), DELETED.
    Changes(ChangesArgs),
    /// The same for the object's `.status` only.
    Status(ChangesArgs),
    /// A live summary of a rollout (deploy/NAME: conditions, new and old replica sets, pods and
    /// why they wait) or of a service (svc/NAME: endpoints and the pods behind them).
    Trace(TraceArgs),
    /// Edit an object in $KUBE_EDITOR / $EDITOR / vi: only the fields you change are sent, and a
    /// field someone else changed meanwhile is a conflict to resolve, never overwritten.
    Edit(EditArgs),
    /// Follow the logs of every matching pod's containers, live, as pods come and go
    /// (stern-compatible flags).
    Logs(Box<LogsArgs>),
    /// Open a shell (bash, else sh) in a container of a ready matching pod, or run a command
    /// there (`kx shell web -- env`): with no terminal, its stdout and stderr stay apart and kx
    /// exits with its exit code.
    Shell(ShellArgs),
    /// Forward local ports to a pod, service or workload. A service's or workload's forward
    /// follows it to its next ready pod when the pod serving it goes away.
    #[command(name = "port-forward", visible_alias = "pf")]
    PortForward(PortForwardArgs),
    /// Check the cluster (or manifest files, -f) against rules in the spirit of Popeye and
    /// Polaris: each finding with its rule, severity and a one-line fix, a score per namespace.
    /// Exits 1 when a finding is at --fail-on or worse, 2 when something could not be read.
    Lint(LintArgs),
    /// Why an object is broken (or that it is not): its status, events, the pods it owns or
    /// selects and why they wait or crash (with the crashed container's last log lines), its
    /// claims, ConfigMaps, Secrets and node. Exits 1 when broken, 0 otherwise.
    Explain(ExplainArgs),
    /// Show, create or check kx's configuration.
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// Print the script that gives a shell kx's completions (subcommands, flags, and live
    /// contexts, namespaces, pods and KIND/NAMEs): `source <(kx completion bash)`, the same
    /// for zsh, `kx completion fish | source`.
    Completion {
        #[arg(value_parser = ["bash", "zsh", "fish"])]
        shell: String,
    },
    /// Bring another tool's setup into kx's configuration.
    Import {
        #[command(subcommand)]
        from: ImportFrom,
    },
}

#[derive(Debug, Subcommand)]
pub enum ImportFrom {
    /// Your k9s aliases, hotkeys, plugins (variables renamed), settings kx has a meaning for
    /// (read-only, default view, log tail and buffer, thresholds, favourite namespaces) and
    /// skin (as a theme). Checks everything before writing anything; never overwrites a file
    /// it did not write; says what it could not translate and why.
    K9s(ImportK9sArgs),
}

#[derive(Debug, Clone, clap::Args)]
pub struct ImportK9sArgs {
    /// The k9s config directory [default: $K9S_CONFIG_DIR, else $XDG_CONFIG_HOME/k9s, else
    /// the platform's]
    #[arg(long, value_name = "DIR")]
    pub from: Option<std::path::PathBuf>,
    /// Print what would be written, and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Replace files an earlier import wrote (files you wrote are never replaced).
    #[arg(long)]
    pub force: bool,
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorWhen {
    /// Colour on a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces it).
    Auto,
    Always,
    Never,
}

impl From<ColorWhen> for crate::paint::ColorChoice {
    fn from(when: ColorWhen) -> Self {
        match when {
            ColorWhen::Auto => crate::paint::ColorChoice::Auto,
            ColorWhen::Always => crate::paint::ColorChoice::Always,
            ColorWhen::Never => crate::paint::ColorChoice::Never,
        }
    }
}

#[derive(Debug, Args)]
pub struct ChangesArgs {
    /// KIND/NAME, with the kind as kubectl takes it (deploy/web, Deployment/web, widgets.demo.kx.dev/w).
    #[arg(add = ArgValueCompleter::new(crate::complete::targets))]
    pub target: String,
    /// Keep the noise (resourceVersion, managedFields, generation, heartbeat and transition times).
    #[arg(long)]
    pub all_fields: bool,
    /// default (headers and diffs) or json (one record per change).
    #[arg(short = 'o', long, value_enum, default_value = "default")]
    pub output: ChangesOutput,
    /// Print a Secret's values (otherwise each shows as its size and a fingerprint, so a
    /// change is still seen).
    #[arg(long)]
    pub show_secrets: bool,
}

#[derive(Debug, Clone, clap::Args)]
pub struct EditArgs {
    /// KIND/NAME, with the kind as kubectl takes it (deploy/web, cm/settings, node/worker-1).
    #[arg(add = ArgValueCompleter::new(crate::complete::targets))]
    pub target: String,
}

#[derive(Debug, Clone, clap::Args)]
pub struct ShellArgs {
    /// A regex on pod names (unanchored), or KIND/NAME: pod, deploy, rs, sts, ds, job, svc.
    #[arg(add = ArgValueCompleter::new(crate::complete::pods))]
    pub query: String,
    /// The container (default: the pod's kubectl.kubernetes.io/default-container, the only one,
    /// or asked for on a terminal).
    #[arg(short = 'c', long, value_name = "NAME")]
    pub container: Option<String>,
    /// Pass stdin to the command (without a terminal).
    #[arg(short = 'i', long)]
    pub stdin: bool,
    /// The shells to try, in order (default: `shell` in config.yaml, else bash then sh).
    #[arg(long, value_name = "CMD", value_delimiter = ',')]
    pub shell: Vec<String>,
    /// The command to run instead of a shell, after `--`.
    #[arg(last = true, value_name = "CMD")]
    pub command: Vec<String>,
}

#[derive(Debug, Clone, clap::Args)]
pub struct PortForwardArgs {
    /// KIND/NAME (pod, svc, deploy, sts, rs, ds; any name kubectl takes) or a pod's name.
    #[arg(add = ArgValueCompleter::new(crate::complete::targets))]
    pub target: String,
    /// `[LOCAL:]REMOTE`: REMOTE is a service port for a service, else a container port (a
    /// number or a port name). Without LOCAL, the same number when free, else the next free
    /// one; `:REMOTE` picks any free port.
    #[arg(required = true, value_name = "[LOCAL:]REMOTE")]
    pub ports: Vec<String>,
    /// The local address to listen on.
    #[arg(long, default_value = "127.0.0.1", value_name = "ADDR")]
    pub address: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LintOutput {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    Info,
    Warn,
    Error,
    /// Exit 0 whatever is found.
    Never,
}

#[derive(Debug, Clone, clap::Args)]
pub struct LintArgs {
    /// Manifest files or folders to check instead of the cluster (the rules that need only the
    /// object; folders are searched for .yaml, .yml and .json).
    #[arg(short = 'f', long = "filename", value_name = "PATH")]
    pub files: Vec<PathBuf>,
    #[arg(short = 'o', long, value_enum, default_value = "text")]
    pub output: LintOutput,
    /// The severity at which kx lint exits 1.
    #[arg(long, value_enum, default_value = "error", value_name = "LEVEL")]
    pub fail_on: FailOn,
}

#[derive(Debug, Clone, clap::Args)]
pub struct ExplainArgs {
    /// KIND/NAME, with the kind as kubectl takes it (pod/web-1, deploy/web, svc/api, pvc/data).
    #[arg(add = ArgValueCompleter::new(crate::complete::targets))]
    pub target: String,
    #[arg(short = 'o', long, value_enum, default_value = "text")]
    pub output: LintOutput,
}

#[derive(Debug, Clone, clap::Args)]
pub struct TraceArgs {
    /// deploy/NAME or svc/NAME (any name kubectl takes for the kind).
    #[arg(add = ArgValueCompleter::new(crate::complete::targets))]
    pub target: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ChangesOutput {
    Default,
    Json,
}

#[derive(Debug, Args)]
pub struct LogsArgs {
    /// A regex on pod names (unanchored), or KIND/NAME: pod, deploy, rs, sts, ds, job, svc.
    #[arg(add = ArgValueCompleter::new(crate::complete::pods))]
    pub query: String,
    /// Containers to follow, by regex.
    #[arg(short = 'c', long, default_value = ".*", value_name = "REGEX")]
    pub container: String,
    /// Containers not to follow, by regex (repeatable).
    #[arg(short = 'E', long, value_name = "REGEX")]
    pub exclude_container: Vec<String>,
    /// Pods not to follow, by regex (repeatable).
    #[arg(long, value_name = "REGEX")]
    pub exclude_pod: Vec<String>,
    /// Label selector (server-side).
    #[arg(short = 'l', long, value_name = "SELECTOR")]
    pub selector: Option<String>,
    /// Field selector (server-side).
    #[arg(long, value_name = "SELECTOR")]
    pub field_selector: Option<String>,
    /// Only pods on this node.
    #[arg(long, value_name = "NODE")]
    pub node: Option<String>,
    /// Container states to follow (comma-separated): running, waiting, terminated, all.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "running",
        value_name = "STATE"
    )]
    pub container_state: Vec<crate::logs::select::ContainerState>,
    /// Include init containers (`--init-containers=false` to leave them out).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    pub init_containers: bool,
    /// Include ephemeral (debug) containers.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    pub ephemeral_containers: bool,
    /// Only lines matching one of these regexes (repeatable).
    #[arg(short = 'i', long, value_name = "REGEX")]
    pub include: Vec<String>,
    /// Leave out lines matching any of these regexes (repeatable).
    #[arg(short = 'e', long, value_name = "REGEX")]
    pub exclude: Vec<String>,
    /// Highlight what matches these regexes (repeatable).
    #[arg(short = 'H', long, value_name = "REGEX")]
    pub highlight: Vec<String>,
    /// Only lines newer than this (5s, 2m, 3h, 1h30m).
    #[arg(short = 's', long, default_value = "48h", value_name = "DURATION")]
    pub since: String,
    /// Lines from the end of each log to start with (-1: all).
    #[arg(long, default_value_t = -1, allow_negative_numbers = true, value_name = "N")]
    pub tail: i64,
    /// Print what is there and exit instead of following.
    #[arg(long)]
    pub no_follow: bool,
    /// The previous (crashed) instance of each container; implies --no-follow.
    #[arg(short = 'p', long)]
    pub previous: bool,
    /// Print timestamps: default (RFC 3339 with nanoseconds) or short.
    #[arg(short = 't', long, num_args = 0..=1, default_missing_value = "default", require_equals = true, value_name = "FORMAT")]
    pub timestamps: Option<LogStamp>,
    /// Time zone of printed timestamps (Local, UTC, Europe/Paris, …).
    #[arg(long, default_value = "Local", value_name = "ZONE")]
    pub timezone: String,
    /// Output: default (`[namespace] pod container message`), raw (the message only) or json.
    #[arg(short = 'o', long, value_enum, default_value = "default")]
    pub output: LogOutput,
    /// Following: at most this many containers (default 100); more is an error that says how
    /// many matched. Without follow: how many logs are read at once (default 20); all are read.
    #[arg(long, value_name = "N")]
    pub max_log_requests: Option<usize>,
    /// Merge lines of all containers into timestamp order (held up to --order-window).
    #[arg(long)]
    pub ordered: bool,
    /// How long --ordered holds a line for late ones to overtake it.
    #[arg(long, default_value = "500ms", value_name = "DURATION")]
    pub order_window: String,
    /// A stream with no line for this long is reopened from its last line (catches stalls).
    #[arg(long, default_value = "30s", value_name = "DURATION")]
    pub idle_timeout: String,
    /// Open the TUI log view instead of printing.
    #[arg(long)]
    pub tui: bool,
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
    /// Fault: fail this fraction (0..1) of log requests as an overloaded kubelet does (a 500
    /// naming the kubelet's URL).
    #[arg(long, default_value_t = 0.0, value_parser = parse_fraction)]
    pub log_error_rate: f64,
    /// Fault: added latency per request, in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Fault: deny a verb on a resource as RBAC would (403), e.g. `--forbid 'list secrets'`,
    /// `--forbid 'get pods/log'`, `--forbid '* nodes'`, or on one object:
    /// `--forbid 'get pods/log db-0'`. Repeatable.
    #[arg(long, value_name = "VERB RESOURCE [NAME]", value_parser = parse_forbid)]
    pub forbid: Vec<String>,
    /// With --tls: the bearer token clients must send (default: a random one, written to the
    /// kubeconfig).
    #[arg(long, value_name = "TOKEN")]
    pub token: Option<String>,
    /// Changes kept for watches to resume from; older resourceVersions get 410 Gone.
    #[arg(long, default_value_t = 20_000)]
    pub history: usize,
    /// Do not serve metrics.k8s.io (as a cluster without metrics-server).
    #[arg(long)]
    pub no_metrics: bool,
}

fn parse_forbid(text: &str) -> Result<String, String> {
    match text.split_whitespace().collect::<Vec<_>>()[..] {
        [_, _] | [_, _, _] => Ok(text.trim().to_string()),
        _ => Err(format!(
            "{text:?} is not `VERB RESOURCE [NAME]` (e.g. 'list secrets', 'get pods/log', '* nodes', 'get pods/log db-0')"
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

/// `kx logs -o`: how lines are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogOutput {
    /// `[namespace] pod container message`.
    Default,
    /// The message only.
    Raw,
    /// One JSON object per line.
    Json,
}

impl From<LogOutput> for crate::logs::format::Output {
    fn from(o: LogOutput) -> Self {
        match o {
            LogOutput::Default => Self::Default,
            LogOutput::Raw => Self::Raw,
            LogOutput::Json => Self::Json,
        }
    }
}

/// `kx logs -t`: how timestamps are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogStamp {
    /// RFC 3339 with nanoseconds, in the chosen time zone.
    Default,
    /// `MM-DD HH:MM:SS`.
    Short,
}

impl From<LogStamp> for crate::logs::format::Stamp {
    fn from(s: LogStamp) -> Self {
        match s {
            LogStamp::Default => Self::Default,
            LogStamp::Short => Self::Short,
        }
    }
}
