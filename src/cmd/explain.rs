//! `kx explain KIND/NAME`: the diagnosis `X` shows in the explorer, on stdout — text with the
//! source of each line, or JSON. Exit 1 when the object is broken, so a script can ask.

use crate::cli::{Connection, ExplainArgs, LintOutput};
use crate::explain::{self, Health};
use anyhow::Result;
use std::process::ExitCode;

pub async fn run(conn: Connection, args: ExplainArgs) -> Result<ExitCode> {
    let (client, target) = super::connect_target(&conn, &args.target).await?;
    let facts = explain::gather::gather(client, &target, conn.request_timeout)
        .await
        .map_err(|e| anyhow::anyhow!("{}: {e}", target.display()))?;
    let diagnosis = explain::diagnose(&facts);
    match args.output {
        LintOutput::Text => print!("{}", explain::render(&diagnosis)),
        LintOutput::Json => println!("{}", serde_json::to_string_pretty(&diagnosis)?),
    }
    Ok(if diagnosis.health == Health::Broken {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
