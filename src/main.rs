use clap::Parser;
use kx::cli::{Cli, Command, ConfigAction, SimArgs};
use kx::sim::{self, SimOptions, faults::FaultSettings};
use std::io::Write;
use std::process::ExitCode;

// kx and its simulator allocate many small JSON values; mimalloc handles that far better than
// the system allocator (it halved the simulator's start-up at 100k pods).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Err(e) = init_logging() {
        eprintln!("kx: logging is off: {e:#}");
    }
    tracing::info!(version = env!("CARGO_PKG_VERSION"), args = ?std::env::args().skip(1).collect::<Vec<_>>(), "kx starting");
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("kx: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Some(Command::Sim(args)) => run_sim(*args).await,
            Some(Command::Logs(args)) => kx::logs::run(cli.connection, *args).await,
            Some(Command::Changes(args)) => kx::changes::run(cli.connection, args, false).await,
            Some(Command::Status(args)) => kx::changes::run(cli.connection, args, true).await,
            Some(Command::Trace(args)) => kx::trace::run(cli.connection, args).await,
            Some(Command::Edit(args)) => kx::edit::run(cli.connection, args, cli.writes).await,
            Some(Command::Config { action }) => run_config(action, cli.theme.as_deref()),
            None => kx::app::run(cli.connection, cli.demo, cli.theme, cli.writes)
                .await
                .map(|_| ExitCode::SUCCESS),
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("kx: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Logs go to a file in the state directory, and only when `KX_LOG` is set (its value is the
/// filter, e.g. `debug` or `kx=trace`): the terminal belongs to the UI.
fn init_logging() -> anyhow::Result<()> {
    let Ok(filter) = std::env::var("KX_LOG") else {
        return Ok(());
    };
    let dir = kx::config::state_dir()
        .ok_or_else(|| anyhow::anyhow!("no state directory could be determined"))?;
    std::fs::create_dir_all(&dir)
        .map_err(|e| anyhow::anyhow!("creating {}: {e}", dir.display()))?;
    let path = dir.join("kx.log");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(|e| anyhow::anyhow!("opening {}: {e}", path.display()))?;
    let filter = tracing_subscriber::EnvFilter::try_new(&filter)
        .map_err(|e| anyhow::anyhow!("KX_LOG={filter:?} is not a valid filter: {e}"))?;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(std::sync::Mutex::new(file))
        .init();
    Ok(())
}

fn run_config(action: ConfigAction, theme: Option<&str>) -> anyhow::Result<ExitCode> {
    let dir = kx::config::config_dir();
    match action {
        ConfigAction::Path => {
            match &dir {
                Some(d) => {
                    println!("config directory: {}", d.display());
                    for f in ["config.yaml", "keys.yaml", "themes/"] {
                        let p = d.join(f);
                        let state = if p.exists() {
                            ""
                        } else {
                            "  (not present; defaults apply)"
                        };
                        println!("  {}{state}", p.display());
                    }
                }
                None => println!(
                    "no config directory could be determined (set KX_CONFIG_DIR); defaults apply"
                ),
            }
            Ok(ExitCode::SUCCESS)
        }
        ConfigAction::Init => {
            let d = dir.ok_or_else(|| {
                anyhow::anyhow!("no config directory could be determined; set KX_CONFIG_DIR")
            })?;
            let written = kx::config::Config::init(&d)
                .map_err(|e| anyhow::anyhow!("writing to {}: {e}", d.display()))?;
            if written.is_empty() {
                println!(
                    "{} already has config.yaml and keys.yaml; nothing written",
                    d.display()
                );
            }
            for w in written {
                println!("wrote {}", w.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        ConfigAction::Check => {
            let config = kx::config::Config::load(dir.clone(), theme, false);
            let where_ = dir
                .map(|d| d.display().to_string())
                .unwrap_or_else(|| "(defaults only)".into());
            if config.warnings.is_empty() {
                println!(
                    "{where_}: configuration is valid (theme {})",
                    config.theme.name
                );
                Ok(ExitCode::SUCCESS)
            } else {
                for w in &config.warnings {
                    println!("warning: {w}");
                }
                println!(
                    "{where_}: {} problem(s); kx still starts, ignoring what is listed above",
                    config.warnings.len()
                );
                Ok(ExitCode::from(1))
            }
        }
    }
}

async fn run_sim(args: SimArgs) -> anyhow::Result<ExitCode> {
    let opts = SimOptions {
        listen: args.listen,
        scenario: args.scenario,
        namespaces: args.namespaces as usize,
        pods: args.pods as usize,
        churn_per_sec: args.churn,
        log_lines_per_sec: args.log_rate,
        seed: args.seed,
        tls: args.tls,
        kubeconfig_out: args.kubeconfig_out.clone(),
        context_name: args.context_name.clone(),
        faults: FaultSettings {
            watch_close_after_secs: args.watch_close_after.unwrap_or(0.0),
            error_rate: args.error_rate,
            error_code: args.error_code,
            latency_ms: args.latency_ms,
            stall_logs: false,
            forbidden: args.forbid.clone(),
            log_error_rate: args.log_error_rate,
            failing_logs: Vec::new(),
        },
        token: args.token.clone(),
        history: args.history,
    };
    // Handlers first, so a SIGTERM that follows the address line is always a clean stop.
    let signals = Signals::install()?;
    let started = std::time::Instant::now();
    let handle = sim::start(opts).await?;
    // The bound address first, alone on its line, for scripts and tests to read. A reader that
    // goes away must not kill the simulator, so write errors are ignored.
    let mut out = std::io::stdout();
    let _ = writeln!(out, "{}", handle.addr);
    if let Some(path) = &args.kubeconfig_out {
        let _ = writeln!(
            out,
            "kubeconfig written to {} (context {})",
            path.display(),
            args.context_name
        );
    }
    let _ = writeln!(
        out,
        "ready in {:.2}s: {}",
        started.elapsed().as_secs_f64(),
        handle.url()
    );
    let _ = out.flush();
    signals.wait().await;
    handle.stop().await;
    Ok(ExitCode::SUCCESS)
}

struct Signals {
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
}

impl Signals {
    fn install() -> anyhow::Result<Signals> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Signals {
                term: signal(SignalKind::terminate())?,
                int: signal(SignalKind::interrupt())?,
            })
        }
        #[cfg(not(unix))]
        Ok(Signals {})
    }

    async fn wait(mut self) {
        #[cfg(unix)]
        tokio::select! {
            _ = self.term.recv() => {}
            _ = self.int.recv() => {}
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
    }
}
