//! The kx binary: parses the command line, sets up logging and the async runtime, and hands
//! over to the front end of the command (`kx::cmd`). No logic of its own.

use clap::Parser;
use kx::cli::Cli;
use std::process::ExitCode;

// kx and its simulator allocate many small JSON values; mimalloc handles that far better than
// the system allocator (it halved the simulator's start-up at 100k pods).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // SAFETY: first thing in main, before any thread starts.
    unsafe { kx::memory::give_freed_memory_back() };
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
        let get = || unsafe { libmimalloc_sys::mi_option_get(kx::memory::PURGE_DELAY) };
        assert!(
            std::env::vars_os().all(|(k, _)| !k
                .to_string_lossy()
                .to_ascii_uppercase()
                .starts_with("MIMALLOC_")),
            "this test reads mimalloc's defaults: run it without MIMALLOC_* settings"
        );
        // 1000 ms is mimalloc's default purge delay, and no other option's: the index is right.
        assert_eq!(get(), 1000);
        // SAFETY: as above.
        unsafe { kx::memory::give_freed_memory_back() };
        assert_eq!(get(), 0);
    }
}
