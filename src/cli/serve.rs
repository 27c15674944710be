//! `aedcover serve`: OGC API – Features, /nearest, /map and authenticated registry edits.

use anyhow::Context;

#[derive(clap::Args)]
pub struct ServeArgs {
    /// Study file: runs its analysis once and serves, from memory, its registry, guardians
    /// and layers (areas, gaps, the main-radius coverage, sites); an edit re-runs the stages
    /// it affects. Explicit --aeds/--guardians seed the database instead.
    #[arg(long, conflicts_with = "layer")]
    study: Option<std::path::PathBuf>,
    /// Where `--study` also writes its analysis for you to read (default: `<db>.analysis/`).
    /// The server never reads it back.
    #[arg(long, requires = "study")]
    analysis_out: Option<std::path::PathBuf>,
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: std::net::SocketAddr,
    /// The registry database (SQLite), created and seeded on first start.
    #[arg(long, default_value = "aedcover.db")]
    db: std::path::PathBuf,
    /// Seed AEDs for an empty database (JSON seed file or registry CSV).
    #[arg(long)]
    aeds: Option<std::path::PathBuf>,
    /// Seed guardians for an empty database (JSON seed file or guardians CSV).
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
    let study_run = match &a.study {
        Some(path) => Some(analyse(&a, path)?),
        None => None,
    };
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
    crate::api::serve::run(&opts, study_run).context("aedcover serve")
}

/// Runs the study through the pipeline once and writes its analysis for the user; the
/// server serves the returned run from memory.
fn analyse(
    a: &ServeArgs,
    study_path: &std::path::Path,
) -> anyhow::Result<crate::pipeline::StudyRun> {
    let study = crate::study::Study::load(study_path)?;
    let out = a.analysis_out.clone().unwrap_or_else(|| {
        let mut name = a.db.clone().into_os_string();
        name.push(".analysis");
        name.into()
    });
    let progress = crate::export::Progress::new(true);
    let (run, _) = crate::pipeline::run_and_write(study, &out, &progress)
        .with_context(|| format!("analysing {}", study_path.display()))?;
    super::print_account(&run);
    eprintln!(
        "analysis of {:?} written to {}",
        run.study.title,
        out.display()
    );
    Ok(run)
}
