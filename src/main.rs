//! The kx binary: parses the command line, sets up logging and the async runtime, and hands
//! over to the front end of the command (`kx::cmd`). No logic of its own.

use clap::Parser;
use kx::cli::Cli;
use std::process::ExitCode;

// kx and its simulator allocate many small JSON values; mimalloc handles that far better than
// the system allocator (it halved the simulator's start-up at 100k pods).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `purge_delay` option: its index among mimalloc's options (v2 and v3 alike), which
/// the sys crate names no constant for.
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Memory kx frees goes back to the system at once, not after mimalloc's default of 1 s: a
/// delayed purge runs only when the thread that freed the memory allocates again, and the
/// threads that read a big list (the usage book's pod watch, a metrics reading) then sit idle,
/// so what they freed stayed with kx. At 100k pods with the CPU/MEM columns on, RSS was 26.7%
/// above the columns off; with this it is 16% (benches/health.sh). A delay set in the
/// environment (`MIMALLOC_PURGE_DELAY`, mimalloc's own setting) is left as it is.
fn give_freed_memory_back() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
        return;
    }
    // SAFETY: setting an option is not thread safe in mimalloc; this runs first thing in
    // main, before kx starts any thread.
    unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, 0) }
}

fn main() -> ExitCode {
    give_freed_memory_back();
    // The shell asking for completions (KX_COMPLETE set): answered here, and kx exits.
    clap_complete::CompleteEnv::with_factory(<Cli as clap::CommandFactory>::command)
        .var(kx::complete::VAR)
        .complete();
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
    let result = runtime.block_on(kx::cmd::run(cli));
    match result {
        Ok(code) => code,
        Err(e) => {
            // One line; cluster text in it is shown, not obeyed, by the terminal.
            eprintln!("kx: {}", kx::text::visible(&format!("{e:#}")));
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

#[cfg(test)]
mod tests {
    #[test]
    fn the_option_set_is_mimallocs_purge_delay() {
        // SAFETY: the only test in this binary; nothing else reads or sets options meanwhile.
        let get = || unsafe { libmimalloc_sys::mi_option_get(super::PURGE_DELAY) };
        assert!(
            std::env::var_os("MIMALLOC_PURGE_DELAY").is_none(),
            "this test reads mimalloc's defaults: run it without MIMALLOC_PURGE_DELAY"
        );
        // 1000 ms is mimalloc's default purge delay, and no other option's: the index is right.
        assert_eq!(get(), 1000);
        super::give_freed_memory_back();
        assert_eq!(get(), 0);
    }
}
