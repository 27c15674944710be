//! The one pipeline every command runs: a typed [`Study`] in, one [`StudyRun`] out.
//!
//! Stages, in order, each a function with typed input and output:
//! 1. [`inputs::registry`] — AEDs (+ guardians) from a registry CSV or an importer, with their
//!    declared [`crate::sources::Source`];
//! 2. [`inputs::choose_crs`] — the run's metric CRS: the study's, or `auto` (British National
//!    Grid with OSTN15 when every input lies in Great Britain, else the UTM zone of the
//!    data's centre). Every later stage computes in its metres;
//! 3. [`inputs::demand`] — postcode units (+ residents), demand points, in metres; beside it
//!    [`assess::counted`] — selection by the one counted-AED rule, and the AEDs' index;
//! 4. [`assess::assess`] — nearest AED, coverage at every radius (metres), criticality and
//!    hour of week; by straight line, or by walking along the network of [`inputs::network`]
//!    (with the straight line beside it);
//! 5. [`areas::areas`] — area statistics, the study area, gaps at the main radius and the
//!    coverage polygons (metres, km²);
//! 6. [`siting::site`] — candidates, covering instance, greedy or exact, costs (GBP);
//! 7. outputs — [`layers`] (GeoJSON through [`crate::export::geojson`], WGS84 RFC 7946),
//!    [`tables`] (CSV), [`summary`] (summary.json), [`mod@write`] (files, report, maps).
//!
//! The service ([`crate::api`]) serves a [`StudyRun`]'s registry and layers from memory.

pub mod account;
pub mod areas;
pub mod assess;
pub mod best_case;
pub mod best_case_map;
pub mod builtin;
pub mod districts;
pub mod equity;
pub mod equity_out;
pub mod inputs;
pub mod layers;
pub mod maps;
pub mod report;
pub mod siting;
pub mod summary;
pub mod tables;
pub mod write;

use crate::export::Progress;
use crate::geography::MetricProjection;
use crate::sources::{Source, Sources};
use crate::study::{OutputSet, Study};

pub use account::{FileAccount, Unusable};
pub use write::{WriteSummary, write};

/// Why a run failed: the stage and the cause, with its chain.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error(transparent)]
    Study(#[from] crate::study::StudyError),
    #[error(transparent)]
    Registry(#[from] crate::registry::RegistryError),
    #[error(transparent)]
    Import(#[from] crate::import::ImportError),
    #[error(transparent)]
    Demand(#[from] crate::demand::DemandError),
    #[error(transparent)]
    Codepoint(#[from] crate::geography::CodepointError),
    #[error(transparent)]
    Areas(#[from] crate::geography::AreaError),
    #[error(transparent)]
    Population(#[from] crate::geography::PopulationError),
    #[error(transparent)]
    Config(#[from] crate::coverage::engine::ConfigError),
    #[error(transparent)]
    Siting(#[from] crate::siting::SitingError),
    #[error(transparent)]
    CrsSpec(#[from] crate::geography::CrsSpecError),
    #[error(transparent)]
    Crs(#[from] crate::geography::CrsError),
    #[error(transparent)]
    GeoJson(#[from] crate::export::GeoJsonError),
    #[error(transparent)]
    Csv(#[from] crate::export::CsvOutError),
    #[error(transparent)]
    Map(#[from] crate::export::MapError),
    #[error(transparent)]
    Seeds(#[from] crate::seeds::SeedError),
    #[error(transparent)]
    Network(#[from] crate::network::NetworkError),
    #[error(transparent)]
    OutDir(#[from] crate::export::OutDirError),
    #[error("{path}: cannot write: {source}")]
    Io {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    /// The study asks for something its inputs cannot give (named in the message).
    #[error("{0}")]
    Unsupported(String),
    /// Nothing usable remains (no AED, no demand, no candidate): its own exit code.
    #[error(transparent)]
    Unusable(#[from] Unusable),
}

/// Everything a run produced; writers and the service read it.
pub struct StudyRun {
    pub study: Study,
    /// The metric CRS every stage computed in.
    pub projection: MetricProjection,
    /// How the CRS was chosen (`auto: …` or `given`).
    pub crs_reason: String,
    /// Every source that fed the run.
    pub sources: Sources,
    /// Things a reader must know (skipped rows, proxies, missing AEDs), in order.
    pub notes: Vec<String>,
    pub registry: inputs::RegistryStage,
    pub demand: inputs::DemandStage,
    /// The walkable network, when distance is walked.
    pub network: Option<std::sync::Arc<crate::network::WalkNetwork>>,
    pub assessment: assess::Assessment,
    pub areas: areas::AreasStage,
    pub siting: Option<siting::SitingStage>,
    /// Deprivation and age of access, when the study has `[equity]`.
    pub equity: Option<equity::EquityStage>,
    /// The best case from counts per report district, when `[equity]` asks for it.
    pub best_case: Option<Vec<best_case::BestCaseEntry>>,
}

impl StudyRun {
    /// The `metric_crs` every output records, e.g. `EPSG:32618`.
    pub fn metric_crs(&self) -> String {
        self.projection.crs().to_string()
    }

    /// A human name of the CRS for map footers.
    pub fn crs_label(&self) -> String {
        crs_label(self.projection.crs())
    }
}

/// `British National Grid (EPSG:27700)`, `UTM zone 18N (EPSG:32618)`, or the code.
pub fn crs_label(crs: &crate::geography::Crs) -> String {
    use crate::geography::Crs;
    match crs {
        Crs::Bng => "British National Grid (EPSG:27700)".into(),
        Crs::Utm { zone, north } => {
            format!("UTM zone {zone}{} ({crs})", if *north { "N" } else { "S" })
        }
        other => other.to_string(),
    }
}

/// Runs every stage of `study`.
pub fn run(study: Study, progress: &Progress) -> Result<StudyRun, PipelineError> {
    let mut notes = Vec::new();
    let mut sources = Sources::new();
    // The registry is read on one thread while the demand file parses on the others; errors
    // are still reported in stage order (registry, its account, then demand). When the
    // study and the demand header decide the CRS, the counted AEDs and their index need
    // only the registry, and are built on that thread while the demand file is read.
    let early = inputs::crs_from_header(&study);
    let (first, raw) = rayon::join(
        || -> Result<_, PipelineError> {
            let registry = progress.step("reading the registry", || {
                inputs::registry(&study, &mut notes)
            })?;
            let counted =
                (early.as_ref()).map(|e| counted_step(&study, &e.projection, &registry, progress));
            Ok((registry, counted))
        },
        || progress.step("reading demand points", || inputs::raw_points(&study)),
    );
    let (mut registry, counted_early) = first?;
    account::check_registry(registry.account.as_ref())?;
    sources.add(registry.source.clone());
    let raw = raw?;
    // The header read first is the one the demand was read with (unless the file changed).
    let lonlat = raw.as_ref().map(|r| r.lonlat);
    let early = early.filter(|e| e.lonlat == lonlat);
    let (projection, crs_reason, counted_early) = match early {
        Some(e) => (e.projection, e.reason, counted_early),
        None => {
            let (projection, why) = inputs::choose_crs(&study, &registry, raw.as_ref())?;
            (projection, why, None)
        }
    };
    let demand_step = |notes: &mut Vec<String>| {
        progress.step("demand", || {
            inputs::demand(&study, &projection, &registry, raw, progress, notes)
        })
    };
    // Otherwise they are built beside the demand stage.
    let (demand, counted) = match counted_early {
        Some(counted) => (demand_step(&mut notes), counted),
        None => rayon::join(
            || demand_step(&mut notes),
            || counted_step(&study, &projection, &registry, progress),
        ),
    };
    let demand = demand?;
    account::check_demand(&study, &demand)?;
    let network = inputs::network(&study, &projection, registry.extract.take(), progress)?;
    if network.is_some() {
        sources.add(Source::osm());
    }
    sources.extend(&demand.sources);
    for spec in &study.areas {
        sources.add(spec.source.clone());
    }
    if study.output.report_districts {
        // data/districts.csv is derived from Code-Point, ONS and the Wikipedia polygons.
        for s in [
            Source::seed_report(),
            Source::codepoint_open(),
            Source::ons(),
            Source::wikipedia_postcode_districts(),
        ] {
            sources.add(s);
        }
    }
    if study.siting.is_some() {
        sources.add(Source::seed_report());
    }
    let equity_inputs = progress.step("deprivation and ages", || equity::load(&study, &demand))?;
    if study.equity.is_some() {
        sources.add(Source::ons());
        sources.add(Source::imd2025());
    }
    let later = later_stages(
        &study,
        &projection,
        &registry,
        &demand,
        LaterInputs {
            counted,
            network: network.as_deref(),
            equity: equity_inputs,
        },
        progress,
        &mut notes,
    )?;
    let best_case = best_case_stage(&study, &registry, &demand, &later.0, progress)?;
    Ok(StudyRun {
        study,
        projection,
        crs_reason,
        sources,
        notes,
        registry,
        demand,
        network,
        assessment: later.0,
        areas: later.1,
        siting: later.2,
        equity: later.3,
        best_case,
    })
}

/// The counted AEDs and their index, as a pipeline step.
fn counted_step(
    study: &Study,
    projection: &MetricProjection,
    registry: &inputs::RegistryStage,
    progress: &Progress,
) -> assess::Counted {
    progress.step("counted AEDs and their index", || {
        assess::counted(study, projection, registry)
    })
}

/// The best case from counts per report district, when the study's `[equity]` asks for it.
fn best_case_stage(
    study: &Study,
    registry: &inputs::RegistryStage,
    demand: &inputs::DemandStage,
    assessment: &assess::Assessment,
    progress: &Progress,
) -> Result<Option<Vec<best_case::BestCaseEntry>>, PipelineError> {
    let Some(b) = study.equity.as_ref().and_then(|e| e.best_case.as_ref()) else {
        return Ok(None);
    };
    progress
        .step("best case from counts", || {
            let located = districts::located_by_district(registry, &assessment.index);
            let r = study.analysis.main_radius_m / study.analysis.distance.detour_factor();
            best_case::best_case(b, demand, assessment, &located, r)
        })
        .map(Some)
}

/// What the later stages take besides the study and its loads: the counted AEDs and their
/// index, and the inputs only some studies have (the walkable network, the deprivation and
/// age tables).
struct LaterInputs<'a> {
    counted: assess::Counted,
    network: Option<&'a crate::network::WalkNetwork>,
    equity: Option<equity::EquityInputs>,
}

fn later_stages(
    study: &Study,
    projection: &MetricProjection,
    registry: &inputs::RegistryStage,
    demand: &inputs::DemandStage,
    later: LaterInputs<'_>,
    progress: &Progress,
    notes: &mut Vec<String>,
) -> Result<
    (
        assess::Assessment,
        areas::AreasStage,
        Option<siting::SitingStage>,
        Option<equity::EquityStage>,
    ),
    PipelineError,
> {
    let LaterInputs {
        counted,
        network,
        equity: equity_inputs,
    } = later;
    let assessment = assess::assess(study, counted, registry, demand, network, progress)?;
    let c = &assessment.selection.counts;
    let absent = c.unlocated + c.not_converted;
    if absent > 0 {
        notes.push(format!(
            "{absent} of {} AEDs in the registry have no usable position and count as absent{}",
            c.registry_total,
            if 2 * absent > c.registry_total {
                ": most existing AEDs are not located in this data, so sites may duplicate AEDs that already exist"
            } else {
                ""
            }
        ));
    }
    let areas = areas::areas(study, projection, demand, &assessment, progress, notes)?;
    let equity = match equity_inputs {
        Some(inp) => Some(progress.step("equity", || {
            equity::equity(inp, demand, &assessment, network, notes)
        })?),
        None => None,
    };
    let siting = match &study.siting {
        Some(s) => {
            let weights = equity
                .as_ref()
                .filter(|_| s.objective.needs_equity())
                .map(|e| equity::objective_weights(e, demand));
            Some(progress.step("siting", || {
                siting::site(
                    study,
                    s,
                    projection,
                    demand,
                    &assessment,
                    siting::Extra {
                        equity_weights: weights.as_deref(),
                        network,
                    },
                    notes,
                )
            })?)
        }
        None => None,
    };
    Ok((assessment, areas, siting, equity))
}

/// Re-runs the stages a registry edit affects — selection, assessment, areas/gaps, siting —
/// on `aeds` and `guardians`, reusing `run`'s study, metric CRS, sources and loaded demand
/// (nothing is read again but the study's area polygons). The service calls this after an
/// edit and swaps the result in whole.
///
/// Demand derived from the registry (`kind = "grid"`) keeps the points of the first load.
pub fn rerun_with_registry(
    run: &StudyRun,
    aeds: Vec<crate::registry::Aed>,
    guardians: Option<Vec<crate::registry::Guardian>>,
) -> Result<StudyRun, PipelineError> {
    let progress = Progress::new(true);
    let study = run.study.clone();
    let projection = run.projection.clone();
    let registry = inputs::RegistryStage {
        aeds,
        bad_rows: 0,
        guardians,
        source: run.registry.source.clone(),
        known_total: run.registry.known_total,
        extract: None,
        account: None,
    };
    let mut notes = vec![format!(
        "registry edited: {} AEDs re-assessed against the demand loaded at the first run",
        registry.aeds.len()
    )];
    let demand = run.demand.clone();
    let equity_inputs = equity::load(&study, &demand)?;
    let (assessment, areas, siting, equity) = later_stages(
        &study,
        &projection,
        &registry,
        &demand,
        LaterInputs {
            counted: assess::counted(&study, &projection, &registry),
            network: run.network.as_deref(),
            equity: equity_inputs,
        },
        &progress,
        &mut notes,
    )?;
    // The located AEDs stay fixed in the best case, so an edit can move it.
    let best_case = best_case_stage(&study, &registry, &demand, &assessment, &progress)?;
    Ok(StudyRun {
        study,
        projection,
        crs_reason: run.crs_reason.clone(),
        sources: run.sources.clone(),
        notes,
        registry,
        demand,
        network: run.network.clone(),
        assessment,
        areas,
        siting,
        equity,
        best_case,
    })
}

/// Runs `study` and writes the files of its output set into `dir`.
pub fn run_and_write(
    study: Study,
    dir: &std::path::Path,
    progress: &Progress,
) -> Result<(StudyRun, WriteSummary), PipelineError> {
    let run = run(study, progress)?;
    let written = write(&run, dir, progress)?;
    Ok((run, written))
}

/// Whether a run writes maps and the report.
pub fn is_analysis(study: &Study) -> bool {
    study.output.set == OutputSet::Analysis
}
