//! `kx import k9s [--from DIR] [--dry-run] [--force]`: reads, translates and checks the whole
//! k9s setup first; then writes the files whose fate allows it. Exit 1 when nothing could be
//! read or checked (nothing is written then), 0 otherwise.

use crate::cli::ImportK9sArgs;
use crate::import::{self, Fate};
use std::process::ExitCode;

pub fn run_k9s(args: ImportK9sArgs) -> anyhow::Result<ExitCode> {
    let from = match args.from.clone().or_else(|| {
        import::k9s_dir_from(
            std::env::var("K9S_CONFIG_DIR").ok().as_deref(),
            std::env::var("XDG_CONFIG_HOME").ok().as_deref(),
        )
    }) {
        Some(d) => d,
        None => {
            eprintln!(
                "kx import k9s: no k9s directory could be determined; say where with --from DIR"
            );
            return Ok(ExitCode::from(1));
        }
    };
    let Some(into) = crate::config::config_dir() else {
        eprintln!("kx import k9s: no kx config directory could be determined; set KX_CONFIG_DIR");
        return Ok(ExitCode::from(1));
    };
    let nothing = "nothing written";
    let files = match import::gather(&from) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("kx import k9s: {e}; {nothing}");
            return Ok(ExitCode::from(1));
        }
    };
    let plan = match import::k9s::translate(&files, &from.display().to_string()) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("kx import k9s: {e}; {nothing} (fix it, or move it aside, and run again)");
            return Ok(ExitCode::from(1));
        }
    };
    if let Err(problems) = import::validate(&plan) {
        eprintln!("kx import k9s: what it would write does not load in kx; {nothing}:");
        for p in problems {
            eprintln!("  {p}");
        }
        return Ok(ExitCode::from(1));
    }
    println!(
        "k9s setup at {} → kx config at {}",
        from.display(),
        into.display()
    );
    for line in &plan.done {
        println!("  {line}");
    }
    if plan.files.is_empty() {
        println!("  nothing there kx can use");
    }
    if !plan.skipped.is_empty() {
        println!("not translated:");
        for line in &plan.skipped {
            println!("  {line}");
        }
    }
    let clashes = import::key_clashes(&plan, &into);
    if !clashes.is_empty() {
        println!("keys taken (rebind in keys.yaml, plugins.yaml or hotkeys.yaml):");
        for line in &clashes {
            println!("  {line}");
        }
    }
    let mut written = 0;
    for (name, text) in &plan.files {
        let path = into.join(name);
        let fate = import::fate(&path, args.force);
        let said = match (&fate, args.dry_run) {
            (Fate::KeepTheirs, _) => format!(
                "left alone: {} (you wrote it; merge by hand from `kx import k9s --dry-run`)",
                path.display()
            ),
            (Fate::KeepOurs, _) => format!(
                "left alone: {} (an earlier import wrote it; --force replaces it)",
                path.display()
            ),
            (Fate::KeepEdited, _) => format!(
                "left alone: {} (an earlier import wrote it and it was edited since; move it aside to import again)",
                path.display()
            ),
            (Fate::Write, true) => format!("would write {}", path.display()),
            (Fate::Replace, true) => format!("would replace {}", path.display()),
            (Fate::Write | Fate::Replace, false) => {
                if let Err(e) = import::write(&path, text, &fate) {
                    eprintln!("kx import k9s: cannot write {}: {e}", path.display());
                    return Ok(ExitCode::from(1));
                }
                written += 1;
                if fate == Fate::Replace {
                    format!("replaced {}", path.display())
                } else {
                    format!("wrote {}", path.display())
                }
            }
        };
        println!("{said}");
        if args.dry_run && fate != Fate::KeepOurs {
            for line in text.lines() {
                println!("    {line}");
            }
        }
    }
    if !args.dry_run && written > 0 {
        println!("check it with `kx config check`");
    }
    Ok(ExitCode::SUCCESS)
}
