//! `aedcover analyse`: the main job. Every result as RFC 7946 GeoJSON, CSV, a summary.json,
//! a committee-ready `report.md` and printable maps (SVG + PNG).
//!
//! Two modes:
//! - [`run`] with no study: the embedded Leicestershire default, from `seeds/` and `data/`
//!   only (compiled in, so it works on a fresh clone without the open data);
//! - [`run`] with a [`crate::study::Study`] file: registry, guardians, demand, postcode lookup,
//!   population, area layers, coverage, gaps, criticality and siting.
//!
//! Outputs are written in a stable order with no timestamps, so a re-run on the same inputs
//! writes byte-identical files.

mod default_run;
mod output;
mod report;
mod study_run;

use std::path::{Path, PathBuf};

pub use output::{Attribution, Outputs};
pub use study_run::{SiteOut, SitingOut};

/// Why an analysis failed.
#[derive(Debug, thiserror::Error)]
pub enum AnalyseError {
    #[error(transparent)]
    Study(#[from] crate::study::StudyError),
    #[error(transparent)]
    Seeds(#[from] crate::seeds::SeedError),
    #[error(transparent)]
    GeoJson(#[from] crate::export::GeoJsonError),
    #[error(transparent)]
    Csv(#[from] crate::export::CsvOutError),
    #[error(transparent)]
    Map(#[from] crate::export::MapError),
    #[error(transparent)]
    Crs(#[from] crate::geography::CrsError),
    #[error("{path}: cannot write: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{file}:{line}: {reason}")]
    Embedded {
        file: &'static str,
        line: usize,
        reason: String,
    },
    #[error("{0}")]
    Input(String),
}

/// What a run produced: headline lines for the terminal and every file written.
#[derive(Debug, Clone, PartialEq)]
pub struct AnalyseSummary {
    pub title: String,
    pub out_dir: PathBuf,
    /// Files written, in the order written.
    pub files: Vec<PathBuf>,
    /// A few lines for the terminal.
    pub headline: Vec<String>,
}

/// Runs the study in `study` (or the embedded default when `None`) and writes every output
/// into `out_dir` (created if needed). `quiet` hides progress display.
pub fn run(
    study: Option<&Path>,
    out_dir: &Path,
    quiet: bool,
) -> Result<AnalyseSummary, AnalyseError> {
    let progress = crate::export::Progress::new(quiet);
    std::fs::create_dir_all(out_dir).map_err(|source| AnalyseError::Io {
        path: out_dir.to_path_buf(),
        source,
    })?;
    match study {
        None => default_run::run(out_dir, &progress),
        Some(path) => {
            let study = crate::study::Study::load(path)?;
            run_study(&study, out_dir, &progress)
        }
    }
}

fn run_study(
    study: &crate::study::Study,
    out_dir: &Path,
    progress: &crate::export::Progress,
) -> Result<AnalyseSummary, AnalyseError> {
    study_run::run(study, out_dir, progress)
}
