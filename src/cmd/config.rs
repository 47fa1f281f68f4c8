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
            let written = crate::config::Config::init(&d)
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
            let config = crate::config::Config::load(dir.clone(), theme, false);
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
