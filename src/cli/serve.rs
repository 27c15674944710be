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

/// Runs the study's analysis and points the server at its registry, guardians and layers.
fn from_study(a: &mut ServeArgs, study_path: &std::path::Path) -> anyhow::Result<()> {
    use crate::study::{ImportKind, RegistrySource, Study};
    let study = Study::load(study_path)?;
    let out = a.analysis_out.clone().unwrap_or_else(|| {
        let mut name = a.db.clone().into_os_string();
        name.push(".analysis");
        name.into()
    });
    let summary = crate::analyse::run(Some(study_path), &out, true)
        .with_context(|| format!("analysing {}", study_path.display()))?;
    eprintln!(
        "analysis of {:?} written to {}",
        summary.title,
        out.display()
    );
    if a.aeds.is_none() {
        a.aeds = Some(match &study.registry {
            RegistrySource::Aeds(path) => path.clone(),
            RegistrySource::Import { kind, path } => {
                let kind = match kind {
                    ImportKind::Osm => crate::import::SourceKind::Osm,
                    ImportKind::Csv => crate::import::SourceKind::Table,
                };
                let csv = out.join("registry_aeds.csv");
                let codepoint = study.postcodes.as_ref().map(|p| p.codepoint.as_path());
                crate::import::import_to_csv(kind, path, &csv, codepoint)
                    .with_context(|| format!("importing {}", path.display()))?;
                csv
            }
        });
    }
    if a.guardians.is_none() {
        a.guardians = study.guardians.clone();
    }
    if a.layer.is_empty() {
        let radius = study
            .analysis
            .radii_m
            .iter()
            .copied()
            .fold(f64::NAN, f64::max);
        let coverage = format!("coverage_{}m.geojson", radius.round() as i64);
        for (name, file) in [
            ("areas", "areas.geojson".to_string()),
            ("gaps", "gaps.geojson".to_string()),
            ("coverage", coverage),
            ("sites", "sites.geojson".to_string()),
        ] {
            let path = out.join(&file);
            if path.exists() {
                a.layer.push(format!("{name}={}", path.display()));
            }
        }
    }
    Ok(())
}
