//! `kx config path|init|check`: where kx reads its configuration, writing the defaults there,
//! and every problem with what is there (exit 1 when there is one).

use crate::cli::ConfigAction;
use std::process::ExitCode;

/// `kx config path|init|check`.
pub fn run(action: ConfigAction, theme: Option<&str>) -> anyhow::Result<ExitCode> {
    let dir = crate::config::config_dir();
    match action {
        ConfigAction::Path => {
            match &dir {
                Some(d) => {
                    println!("config directory: {}", d.display());
                    for f in [
                        "config.yaml",
                        "keys.yaml",
                        "plugins.yaml",
                        "hotkeys.yaml",
                        "themes/",
                    ] {
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
            let written = crate::config::Config::init(&d)
                .map_err(|e| anyhow::anyhow!("writing to {}: {e}", d.display()))?;
            if written.is_empty() {
                println!(
                    "{} already has config.yaml, keys.yaml, plugins.yaml and hotkeys.yaml; nothing written",
                    d.display()
                );
            }
            for w in written {
                println!("wrote {}", w.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        ConfigAction::Check => {
            let config = crate::config::Config::load(dir.clone(), theme, false);
            let where_ = dir
                .map(|d| d.display().to_string())
                .unwrap_or_else(|| "(defaults only)".into());
            print!("{}", plugin_table(&config.plugins));
            print!("{}", hotkey_table(&config.hotkeys));
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

/// The plugins as `kx config check` lists them: key, name, scopes, how it runs.
fn plugin_table(plugins: &[crate::config::plugins::Plugin]) -> String {
    if plugins.is_empty() {
        return String::new();
    }
    let mut out = format!("plugins ({}):\n", plugins.len());
    for p in plugins {
        let mut how = vec![if p.background {
            "background"
        } else {
            "foreground"
        }];
        if p.confirm {
            how.push("asks first");
        }
        if p.writes {
            how.push("writes (off under --readonly)");
        }
        let through = p.shell.as_ref().map(|sh| format!("through {sh}"));
        if let Some(t) = &through {
            how.push(t);
        }
        if p.marked == crate::config::plugins::Marked::All {
            how.push("once for all marked rows");
        }
        out.push_str(&format!(
            "  {:<10} {:<16} on {:<24} {}{}\n",
            crate::config::keys::chord_display(&p.keys),
            p.name,
            p.scopes.join(","),
            how.join(", "),
            if p.description.is_empty() {
                String::new()
            } else {
                format!(" — {}", p.description)
            }
        ));
    }
    out
}

/// The hotkeys as `kx config check` lists them: key (or none), name, view.
fn hotkey_table(hotkeys: &[crate::config::hotkeys::Hotkey]) -> String {
    if hotkeys.is_empty() {
        return String::new();
    }
    let mut out = format!("hotkeys ({}):\n", hotkeys.len());
    for h in hotkeys {
        let key = h.keys.as_ref().map_or_else(
            || "-".to_string(),
            |k| crate::config::keys::chord_display(k),
        );
        out.push_str(&format!(
            "  {key:<10} :{:<15} {}{}\n",
            h.name,
            h.view(),
            if h.description.is_empty() {
                String::new()
            } else {
                format!(" — {}", h.description)
            }
        ));
    }
    out
}
