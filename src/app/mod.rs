//! The interactive explorer (a first screen until the explorer lands).

use crate::cli::Connection;

pub async fn run(_connection: Connection, _demo: bool) -> anyhow::Result<()> {
    anyhow::bail!("not yet")
}
