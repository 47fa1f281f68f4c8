//! `kx sim`: the simulated API server as a process. The bound address is the first line it
//! prints, for scripts and tests; it stops cleanly on SIGINT and SIGTERM.

use crate::cli::SimArgs;
use crate::sim::{self, SimOptions, faults::FaultSettings};
use std::io::Write;
use std::process::ExitCode;

/// `kx sim`: serves until SIGINT or SIGTERM, then exits 0.
pub async fn run(args: SimArgs) -> anyhow::Result<ExitCode> {
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
        metrics: !args.no_metrics,
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
