use clap::Parser;
use kx::cli::{Cli, Command, SimArgs};
use kx::sim::{self, SimOptions, faults::FaultSettings};
use std::process::ExitCode;

// kx and its simulator allocate many small JSON values; mimalloc handles that far better than
// the system allocator (it halved the simulator's start-up at 100k pods).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
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
            Some(Command::Sim(args)) => run_sim(args).await,
            None => kx::app::run(cli.connection, cli.demo).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kx: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run_sim(args: SimArgs) -> anyhow::Result<()> {
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
        faults: FaultSettings {
            watch_close_after_secs: args.watch_close_after.unwrap_or(0.0),
            error_rate: args.error_rate,
            error_code: args.error_code,
            latency_ms: args.latency_ms,
            stall_logs: false,
        },
        history: args.history,
    };
    let started = std::time::Instant::now();
    let handle = sim::start(opts).await?;
    // The bound address first, alone on its line, for scripts and tests to read.
    println!("{}", handle.addr);
    if let Some(path) = &args.kubeconfig_out {
        println!("kubeconfig written to {} (context kx-sim)", path.display());
    }
    println!(
        "ready in {:.2}s: {}",
        started.elapsed().as_secs_f64(),
        handle.url()
    );
    wait_for_signal().await?;
    handle.stop().await;
    Ok(())
}

async fn wait_for_signal() -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate())?;
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    tokio::signal::ctrl_c().await?;
    Ok(())
}
