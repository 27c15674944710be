//! `aedcover serve`: OGC API – Features, /nearest, /map and authenticated registry edits.

use anyhow::Context;

#[derive(clap::Args)]
pub struct ServeArgs {
    /// Study file (not yet read by this build; use --aeds/--guardians/--layer).
    #[arg(long)]
    study: Option<std::path::PathBuf>,
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: std::net::SocketAddr,
    /// The registry database (SQLite), created and seeded on first start.
    #[arg(long, default_value = "aedcover.db")]
    db: std::path::PathBuf,
    /// Seed AEDs for an empty database (JSON seed file).
    #[arg(long)]
    aeds: Option<std::path::PathBuf>,
    /// Seed guardians for an empty database (JSON seed file).
    #[arg(long)]
    guardians: Option<std::path::PathBuf>,
    /// A precomputed layer, NAME=FILE.geojson (NAME: areas, gaps, coverage, sites).
    #[arg(long, value_name = "NAME=FILE")]
    layer: Vec<String>,
    /// File holding the edit token (else env AEDCOVER_TOKEN; none disables edits).
    #[arg(long)]
    token_file: Option<std::path::PathBuf>,
}

pub fn run(a: ServeArgs) -> anyhow::Result<()> {
    if let Some(study) = &a.study {
        anyhow::bail!(
            "--study {}: study files are not read by this build yet; use --aeds, --guardians and --layer",
            study.display()
        );
    }
    let layers = a
        .layer
        .iter()
        .map(|l| {
            l.split_once('=')
                .map(|(n, f)| (n.to_string(), std::path::PathBuf::from(f)))
                .with_context(|| format!("--layer {l:?}: expected NAME=FILE"))
        })
        .collect::<anyhow::Result<_>>()?;
    let opts = crate::api::serve::ServeOptions {
        addr: a.addr,
        db: a.db,
        aeds: a.aeds,
        guardians: a.guardians,
        layers,
        token_file: a.token_file,
    };
    crate::api::serve::run(&opts).context("aedcover serve")
}
