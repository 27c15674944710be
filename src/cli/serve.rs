//! `aedcover serve`: OGC API – Features, /nearest, /map and authenticated registry edits.

use anyhow::Context;

#[derive(clap::Args)]
pub struct ServeArgs {
    /// Study file: runs `analyse` on it first and serves its registry, guardians and layers
    /// (areas, gaps, the largest-radius coverage, sites). Explicit --aeds/--guardians/--layer win.
    #[arg(long)]
    study: Option<std::path::PathBuf>,
    /// Where `--study` writes its analysis (default: `<db>.analysis/`).
    #[arg(long)]
    analysis_out: Option<std::path::PathBuf>,
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

pub fn run(mut a: ServeArgs) -> anyhow::Result<()> {
    if let Some(study_path) = a.study.clone() {
        from_study(&mut a, &study_path)?;
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

/// Runs the study through the pipeline and points the server at its registry, guardians and
/// layers. The registry served is the one analysed (written once as `registry_aeds.csv`).
fn from_study(a: &mut ServeArgs, study_path: &std::path::Path) -> anyhow::Result<()> {
    let study = crate::study::Study::load(study_path)?;
    let out = a.analysis_out.clone().unwrap_or_else(|| {
        let mut name = a.db.clone().into_os_string();
        name.push(".analysis");
        name.into()
    });
    let progress = crate::export::Progress::new(true);
    let (run, _) = crate::pipeline::run_and_write(study, &out, &progress)
        .with_context(|| format!("analysing {}", study_path.display()))?;
    eprintln!(
        "analysis of {:?} written to {}",
        run.study.title,
        out.display()
    );
    if a.aeds.is_none() {
        let csv = out.join("registry_aeds.csv");
        let f = std::fs::File::create(&csv).with_context(|| csv.display().to_string())?;
        crate::registry::write_aeds(f, &run.registry.aeds)
            .with_context(|| csv.display().to_string())?;
        a.aeds = Some(csv);
    }
    if a.guardians.is_none() {
        a.guardians = run.study.guardians.clone();
    }
    if a.layer.is_empty() {
        let coverage = crate::pipeline::layers::radius_name("coverage", run.main_radius_m());
        for (name, file) in [
            ("areas", "areas".to_string()),
            ("gaps", "gaps".to_string()),
            ("coverage", coverage),
            ("sites", "sites".to_string()),
        ] {
            let path = out.join(format!("{file}.geojson"));
            if path.exists() {
                a.layer.push(format!("{name}={}", path.display()));
            }
        }
    }
    Ok(())
}
