//! `kx edit KIND/NAME`: the edit engine (`crate::edit`) on the command line, with the user's
//! settings; exits 0 when applied or unchanged, 1 otherwise.

use crate::cli::{Connection, EditArgs, WriteFlags};
use anyhow::{Result, bail};

/// `kx edit KIND/NAME`: exits 0 when applied or unchanged, 1 when cancelled or failed.
pub async fn run(
    conn: Connection,
    args: EditArgs,
    writes: WriteFlags,
) -> Result<std::process::ExitCode> {
    let config = crate::config::Config::load(crate::config::config_dir(), None, true);
    if writes.readonly || config.settings.readonly {
        bail!("kx is read-only (--readonly, or readonly: true in the config): edit is off");
    }
    let (client, target) = super::connect_target(&conn, &args.target).await?;
    let options = crate::edit::Options {
        preview: !writes.no_preview && config.settings.edit_preview,
        request_timeout: conn.request_timeout,
    };
    let outcome = crate::edit::edit(client, &target, options).await?;
    let message = outcome.message(&target.display());
    Ok(match outcome {
        crate::edit::Outcome::Applied { .. } | crate::edit::Outcome::Unchanged => {
            println!("{message}");
            std::process::ExitCode::SUCCESS
        }
        crate::edit::Outcome::Cancelled(_) => {
            eprintln!("kx: {message}");
            std::process::ExitCode::FAILURE
        }
    })
}
