//! A study: one typed value naming every input and setting of a run. A TOML file, the flags
//! of `coverage`/`sites`, and the built-in default all become a [`Study`]; the pipeline
//! ([`crate::pipeline`]) runs nothing else.
//!
//! A study file is parsed once, before any data file is opened: unknown keys, misspelt
//! scenarios, demand levels, candidates or CRS names fail with `file:line: key: reason (value)`.
//! Paths are relative to the study file's folder; `${AEDCOVER_OPEN_DATA}` expands to
//! [`crate::opendata::dir`], any other `${NAME}` to that environment variable.
//!
//! ```toml
//! title = "Leicestershire (open data)"
//! crs = "auto"                                  # or "EPSG:27700", "EPSG:32618", "+proj=..."
//! [registry]
//! aeds = "leicestershire-emas-aeds.csv"        # a registry aeds.csv, or:
//! # import = { kind = "csv", path = "..." }    # kind: osm | csv | circuit
//! known_total = 865                             # optional: AEDs known to exist
//! source = "trafford_council"                   # or attribution/licence/publishable
//! [guardians]
//! path = "guardians.csv"
//! [postcodes]
//! codepoint = "${AEDCOVER_OPEN_DATA}/codepoint_open/....csv"
//! admin_districts = ["E08000009"]
//! [population]
//! lsoa_csv = "..."
//! lsoa_geojson = ["..."]
//! [demand]
//! kind = "postcode_counts"     # points | postcode_units | residents | grid
//! path = "../seeds/arrests_by_district.csv"
//! level = "auto"               # auto | unit | sector | district | area
//! [[areas]]
//! name = "Postcode districts"
//! paths = ["..."]
//! id_property = "name"
//! source = "wikipedia_postcode_districts"
//! [analysis]
//! radii_m = [100, 200, 500]
//! main_radius_m = 500          # default: 500 when listed, else the largest radius
//! scenario = "all"             # all | public | 24-7 | ready | hour:Mo14
//! [siting]
//! k = 10
//! candidates = "postcodes"     # postcodes | demand | grid:<metres> | a CSV of named sites
//! [output]
//! worst_areas = 3
//! ```

use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::coverage::Scenario;
use crate::demand::DemandLevel;
use crate::geography::PostcodeLevel;
use crate::geography::crs::Crs;
use crate::sources::Source;

mod raw;

/// The report's rule: an AED "will only be deployed if the incident is within 500m".
pub const DEFAULT_MAIN_RADIUS_M: f64 = 500.0;
/// The one default check window of the ready rule (days since the last check).
pub const DEFAULT_CHECK_DAYS: i64 = 90;

/// Why a study could not be used. Every variant names where.
#[derive(Debug, thiserror::Error)]
pub enum StudyError {
    #[error("{path}: cannot read: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{at}: {key}: {reason} ({value})")]
    Value {
        /// `file:line`, or the flag for a study built from the command line.
        at: String,
        key: String,
        reason: String,
        value: String,
    },
}

/// A checked study with every path resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Study {
    /// The study file, when there is one.
    pub file: Option<PathBuf>,
    pub title: String,
    pub crs: CrsChoice,
    /// Existing AEDs; none for a siting run from scratch.
    pub registry: Option<Registry>,
    pub guardians: Option<PathBuf>,
    pub postcodes: Option<Postcodes>,
    pub population: Option<Population>,
    pub demand: Demand,
    pub areas: Vec<AreaLayerSpec>,
    pub analysis: Analysis,
    pub siting: Option<Siting>,
    pub output: Output,
    /// Deprivation and age of the residents, and the best case from counts (`[equity]`).
    pub equity: Option<Equity>,
    /// Stop at the first bad row of any input file (`--strict`); otherwise bad rows are
    /// skipped, counted and named.
    pub strict: bool,
}

/// The `[equity]` section: where the LSOAs' deprivation and ages come from, and whether to
/// compute the best case from counts for the report's districts.
#[derive(Debug, Clone, PartialEq)]
pub struct Equity {
    pub lsoas: EquityLsoas,
    pub best_case: Option<BestCase>,
}

/// LSOA deprivation (IMD 2025), ages, and how postcode units find their LSOA.
#[derive(Debug, Clone, PartialEq)]
pub enum EquityLsoas {
    /// An IMD file, the Census file with `age_65_plus` (optional), and the LSOA polygons that
    /// place each postcode unit (point in polygon).
    Files {
        imd_csv: PathBuf,
        ages_csv: Option<PathBuf>,
        lsoa_geojson: Vec<PathBuf>,
    },
    /// Tables compiled in (the built-in study): LSOAs with decile and ages, and postcode units
    /// with their residents and LSOA (`data/lsoas.csv`, `data/postcode_units.csv`).
    Embedded {
        lsoas_name: &'static str,
        lsoas_csv: &'static str,
        units_name: &'static str,
        units_csv: &'static str,
    },
}

/// Settings of the best case from counts (see [`crate::pipeline::best_case`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BestCase {
    /// Seconds the exact MIP may spend per district and objective; 0 = bounds only.
    pub exact_time_limit_s: f64,
    /// Subgradient steps of the Lagrangian bound per district and objective (a count, never
    /// a time, so the figures are the same on every machine); 0 = greedy's bounds only.
    pub lagrangian_iterations: usize,
}

impl BestCase {
    /// Lagrangian steps unless a study says otherwise.
    pub const DEFAULT_LAGRANGIAN_ITERATIONS: usize = 300;
}

/// The metric CRS of a run.
#[derive(Debug, Clone, PartialEq)]
pub enum CrsChoice {
    /// British National Grid (OSTN15) when every input lies in Great Britain, else the UTM
    /// zone of the data's centre.
    Auto,
    Given(Crs),
}

/// Where the AEDs come from, and what source they carry.
#[derive(Debug, Clone, PartialEq)]
pub struct Registry {
    pub input: RegistryInput,
    /// AEDs known to exist from another source (the report's 865): outputs say how many are
    /// not located in this data.
    pub known_total: Option<u64>,
    /// Declared by the study; when `None` the importer's own source is used.
    pub source: Option<Source>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum RegistryInput {
    /// A registry `aeds.csv` (see [`crate::registry::read_aeds`]).
    Aeds(PathBuf),
    /// Imported at run time.
    Import { kind: ImportKind, path: PathBuf },
    /// A registry CSV compiled into the binary (the built-in study).
    Embedded { name: &'static str, text: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ImportKind {
    Osm,
    Csv,
    Circuit,
}

/// Code-Point Open, and optionally the admin districts or postcode areas forming the study.
#[derive(Debug, Clone, PartialEq)]
pub struct Postcodes {
    pub codepoint: PathBuf,
    pub admin_districts: Vec<String>,
    pub postcode_areas: Vec<String>,
}

impl Postcodes {
    /// Whether the study keeps only some units (then they are the siting candidates).
    pub fn filtered(&self) -> bool {
        !self.admin_districts.is_empty() || !self.postcode_areas.is_empty()
    }
}

/// Census residents by LSOA, with the LSOA boundaries.
#[derive(Debug, Clone, PartialEq)]
pub struct Population {
    pub lsoa_csv: PathBuf,
    pub lsoa_geojson: Vec<PathBuf>,
}

/// What the demand is.
#[derive(Debug, Clone, PartialEq)]
pub enum Demand {
    /// Counts by postcode unit, sector, district or area.
    PostcodeCounts { path: PathBuf, level: DemandLevel },
    /// Points: lat/lon anywhere, or projected columns in `crs` (default British National Grid).
    Points { path: PathBuf, crs: Option<Crs> },
    /// Every study postcode unit with weight 1 (a proxy when no arrest data exist).
    PostcodeUnits,
    /// The residents of every study postcode unit.
    Residents,
    /// A proxy: one point of weight 1 every `spacing_m` within `within_m` of a registry AED.
    Grid { spacing_m: f64, within_m: f64 },
    /// The seed report's 2,252 arrests by postcode district (compiled in), spread on the
    /// study's postcode units; with no postcodes none can be placed, and the outputs say so.
    ReportArrests,
}

impl Demand {
    pub fn label(&self) -> &'static str {
        match self {
            Demand::PostcodeCounts { .. } => "arrests by postcode",
            Demand::Points { .. } => "points",
            Demand::PostcodeUnits => "postcode units (weight 1 each)",
            Demand::Residents => "residents",
            Demand::Grid { .. } => "grid points near AEDs (weight 1 each)",
            Demand::ReportArrests => "arrests by postcode district (2021 report)",
        }
    }

    /// Whether this demand needs Code-Point (GB postcodes).
    pub fn needs_postcodes(&self) -> bool {
        matches!(
            self,
            Demand::PostcodeCounts { .. } | Demand::PostcodeUnits | Demand::Residents
        )
    }
}

/// One polygon layer to report statistics for.
#[derive(Debug, Clone, PartialEq)]
pub struct AreaLayerSpec {
    pub name: String,
    pub paths: Vec<PathBuf>,
    pub id_property: String,
    pub name_property: Option<String>,
    /// Keep only these ids (empty = all).
    pub keep_ids: Vec<String>,
    pub source: Source,
}

/// How distance is measured.
#[derive(Debug, Clone, PartialEq)]
pub enum Distance {
    /// Straight line; radii divided by `detour_factor` (1 = plain straight line).
    Straight { detour_factor: f64 },
    /// Walking along the path network of an OSM extract (PBF or XML), in the run's metric
    /// CRS; straight-line figures are given beside it.
    Walk { network: PathBuf },
}

impl Distance {
    pub fn label(&self) -> &'static str {
        match self {
            Distance::Straight { detour_factor } if *detour_factor == 1.0 => "straight_line",
            Distance::Straight { .. } => "straight_line_with_detour_factor",
            Distance::Walk { .. } => "walk",
        }
    }
    /// The factor radii are divided by (1 for walking: the network gives the route).
    pub fn detour_factor(&self) -> f64 {
        match self {
            Distance::Straight { detour_factor } => *detour_factor,
            Distance::Walk { .. } => 1.0,
        }
    }
    /// The network file when distance is walked.
    pub fn network(&self) -> Option<&Path> {
        match self {
            Distance::Walk { network } => Some(network),
            Distance::Straight { .. } => None,
        }
    }
}

/// The area gaps are looked for in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StudyArea {
    /// The first area layer's union; without one, circles of this radius round the demand
    /// (default: the main radius).
    AreasElseDemandBuffer { buffer_m: f64 },
    /// The first area layer only; no gaps without one.
    AreasOnly,
}

/// Stages a command may leave out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Skip {
    pub criticality: bool,
    pub hours: bool,
    pub gaps: bool,
}

/// Coverage settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Analysis {
    pub radii_m: Vec<f64>,
    /// The radius gaps, criticality and the headline use; always one of `radii_m`.
    pub main_radius_m: f64,
    pub distance: Distance,
    pub counted: Counted,
    pub study_area: StudyArea,
    pub skip: Skip,
}

impl Analysis {
    /// Index of the main radius in `radii_m`.
    pub fn main_index(&self) -> usize {
        self.radii_m
            .iter()
            .position(|r| *r == self.main_radius_m)
            .unwrap_or(self.radii_m.len() - 1)
    }
}

/// Which AEDs count: the scenario and the ready rule's settings. See
/// [`crate::coverage::CountedRule`], the one rule every stage and the service use.
#[derive(Debug, Clone, PartialEq)]
pub struct Counted {
    pub scenario: Scenario,
    pub check_days: i64,
    /// The day readiness is judged on; today when absent.
    pub as_of: Option<chrono::NaiveDate>,
}

impl Default for Counted {
    fn default() -> Self {
        Counted {
            scenario: Scenario::All,
            check_days: DEFAULT_CHECK_DAYS,
            as_of: None,
        }
    }
}

/// Where candidate sites come from.
#[derive(Debug, Clone, PartialEq)]
pub enum Candidates {
    /// The study's postcode units (the demand points without a unit filter).
    Postcodes,
    Demand,
    Grid {
        spacing_m: f64,
    },
    /// A CSV of named sites (lat/lon, or postcode with Code-Point).
    Named(PathBuf),
    /// Junctions and dead ends of the walkable network (walking distance only), thinned as
    /// [`crate::network::node_candidates`] says.
    NetworkNodes,
}

impl Candidates {
    pub fn label(&self) -> String {
        match self {
            Candidates::Postcodes => "postcodes".into(),
            Candidates::Demand => "demand".into(),
            Candidates::Grid { spacing_m } => format!("grid:{spacing_m}"),
            Candidates::Named(p) => p.display().to_string(),
            Candidates::NetworkNodes => "network_nodes".into(),
        }
    }
}

/// How many sites.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Target {
    K(usize),
    BudgetGbp(f64),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Solver {
    Greedy,
    Exact { time_limit_s: f64 },
}

/// Siting settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Siting {
    pub target: Target,
    pub candidates: Candidates,
    pub solver: Solver,
    pub radius_m: f64,
    pub min_distance_from_existing_m: f64,
    pub years: u32,
    pub installation_gbp: f64,
    pub model: crate::seeds::AedModel,
    pub cabinet: crate::seeds::Cabinet,
    /// Years the arrest counts cover (unknown when absent).
    pub arrest_period_years: Option<f64>,
    /// What a covered demand point is worth.
    pub objective: SitingObjective,
}

/// What siting maximises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SitingObjective {
    /// Arrests within the radius (the default).
    #[default]
    Arrests,
    /// Usual residents.
    Residents,
    /// Residents aged 65 or over (needs `[equity]`).
    Residents65Plus,
    /// Residents of LSOAs in IMD deciles 1-3 (needs `[equity]`).
    DeprivedResidents,
}

impl SitingObjective {
    /// `arrests`, `residents`, `residents_65_plus` or `deprived_residents`.
    pub fn label(&self) -> &'static str {
        match self {
            SitingObjective::Arrests => "arrests",
            SitingObjective::Residents => "residents",
            SitingObjective::Residents65Plus => "residents_65_plus",
            SitingObjective::DeprivedResidents => "deprived_residents",
        }
    }

    /// Whether the objective needs the `[equity]` tables.
    pub fn needs_equity(&self) -> bool {
        matches!(
            self,
            SitingObjective::Residents65Plus | SitingObjective::DeprivedResidents
        )
    }
}

impl std::str::FromStr for SitingObjective {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s.trim() {
            "arrests" => SitingObjective::Arrests,
            "residents" => SitingObjective::Residents,
            "residents_65_plus" => SitingObjective::Residents65Plus,
            "deprived_residents" => SitingObjective::DeprivedResidents,
            _ => {
                return Err(
                    "expected arrests, residents, residents_65_plus or deprived_residents".into(),
                );
            }
        })
    }
}

/// Which files a run writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputSet {
    /// `analyse`: every layer, tables, summary, report and maps.
    Analysis,
    /// `coverage`: per-point, criticality, hours, areas, gaps and summary.
    Coverage,
    /// `sites`: sites, gain curve and summary.
    Sites,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    pub worst_areas: usize,
    pub set: OutputSet,
    /// Also write the report's district table (districts.csv / districts.geojson): the AEDs
    /// and arrests the 2021 report counts per district, with what the run located there.
    pub report_districts: bool,
}

impl Study {
    /// Reads and checks a study file; nothing else is opened.
    pub fn load(path: impl AsRef<Path>) -> Result<Study, StudyError> {
        let path = path.as_ref();
        let text = crate::input::read_to_string(path).map_err(|source| StudyError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Study::from_str_at(&text, path)
    }

    /// Parses study text as if read from `path` (relative paths resolve beside it).
    pub fn from_str_at(text: &str, path: &Path) -> Result<Study, StudyError> {
        raw::parse(text, path)
    }
}

/// Reports a bad value at `file:line` (or a flag name).
pub(crate) struct Where<'a> {
    pub file: &'a Path,
    pub text: &'a str,
}

impl Where<'_> {
    pub fn at(&self, span: Option<Range<usize>>) -> String {
        let line = span.map_or(0, |s| {
            self.text[..s.start.min(self.text.len())]
                .matches('\n')
                .count()
                + 1
        });
        if line == 0 {
            self.file.display().to_string()
        } else {
            format!("{}:{line}", self.file.display())
        }
    }
    pub fn bad<T>(
        &self,
        span: Option<Range<usize>>,
        key: &str,
        reason: impl Into<String>,
        value: impl Into<String>,
    ) -> Result<T, StudyError> {
        Err(StudyError::Value {
            at: self.at(span),
            key: key.into(),
            reason: reason.into(),
            value: value.into(),
        })
    }
}

/// Error for a value given on the command line.
pub fn flag_error(flag: &str, reason: impl Into<String>, value: impl Into<String>) -> StudyError {
    StudyError::Value {
        at: "command line".into(),
        key: flag.into(),
        reason: reason.into(),
        value: value.into(),
    }
}

/// The study with its siting objective set from `--objective`.
pub fn with_objective(mut study: Study, objective: &str) -> Result<Study, StudyError> {
    let o: SitingObjective = objective
        .parse()
        .map_err(|r: String| flag_error("--objective", r, objective))?;
    if o.needs_equity() && study.equity.is_none() {
        return Err(flag_error(
            "--objective",
            "needs a study with an [equity] section",
            objective,
        ));
    }
    match &mut study.siting {
        Some(s) => s.objective = o,
        None => {
            return Err(flag_error(
                "--objective",
                "the study has no [siting] section",
                objective,
            ));
        }
    }
    Ok(study)
}

/// Parses a scenario name (`all`, `public`, `24-7`, `ready`, `hour:Mo14`).
pub fn parse_scenario(s: &str) -> Result<Scenario, String> {
    s.parse::<Scenario>().map_err(|e| e.to_string())
}

/// Parses a demand level (`auto`, `unit`, `sector`, `district`, `area`).
pub fn parse_level(s: &str) -> Result<DemandLevel, String> {
    Ok(match s.trim().to_ascii_lowercase().as_str() {
        "auto" => DemandLevel::Auto,
        "unit" => DemandLevel::Fixed(PostcodeLevel::Unit),
        "sector" => DemandLevel::Fixed(PostcodeLevel::Sector),
        "district" => DemandLevel::Fixed(PostcodeLevel::District),
        "area" => DemandLevel::Fixed(PostcodeLevel::Area),
        _ => return Err("expected auto, unit, sector, district or area".into()),
    })
}

/// Why `network_nodes` candidates are refused without a network.
pub const NETWORK_NODES_NEED_WALK: &str =
    "network_nodes needs walking distance (distance = \"walk\" with a network)";

/// Parses candidates: `postcodes`, `demand`, `grid:<metres>`, `network_nodes`, else a file
/// path.
pub fn parse_candidates(s: &str, base: &Path) -> Result<Candidates, String> {
    Ok(match s.trim() {
        "postcodes" => Candidates::Postcodes,
        "demand" => Candidates::Demand,
        "network_nodes" => Candidates::NetworkNodes,
        g if g.starts_with("grid:") => {
            let m: f64 = g[5..]
                .parse()
                .ok()
                .filter(|m: &f64| m.is_finite() && *m > 0.0)
                .ok_or("grid spacing must be positive metres (grid:250)")?;
            Candidates::Grid { spacing_m: m }
        }
        f if f.ends_with(".csv") => Candidates::Named(raw::resolve_path(base, f)?),
        _ => {
            return Err(
                "expected postcodes, demand, grid:<metres>, network_nodes or a .csv file".into(),
            );
        }
    })
}

/// Parses `auto`, `EPSG:nnnn` or a proj string.
pub fn parse_crs(s: &str) -> Result<CrsChoice, String> {
    if s.trim().eq_ignore_ascii_case("auto") {
        return Ok(CrsChoice::Auto);
    }
    let crs: Crs = s
        .parse()
        .map_err(|e: crate::geography::crs::CrsSpecError| e.reason)?;
    if crs == Crs::Wgs84 {
        return Err("WGS84 lon/lat is not metric; give a projected CRS or auto".into());
    }
    // Set it up now, so that an unsupported CRS fails before any data is read.
    crate::geography::MetricProjection::new(&crs).map_err(|e| e.reason)?;
    Ok(CrsChoice::Given(crs))
}

/// The main radius: the given one (which must be among the radii), else 500 m when listed,
/// else the largest radius.
pub fn main_radius(radii_m: &[f64], given: Option<f64>) -> Result<f64, String> {
    match given {
        Some(r) if radii_m.contains(&r) => Ok(r),
        Some(_) => Err(format!("must be one of the radii {radii_m:?}")),
        None if radii_m.contains(&DEFAULT_MAIN_RADIUS_M) => Ok(DEFAULT_MAIN_RADIUS_M),
        None => Ok(radii_m.iter().copied().fold(f64::NAN, f64::max)),
    }
}

/// Radii must be positive and finite.
pub fn check_radii(radii_m: &[f64]) -> Result<(), String> {
    if radii_m.is_empty()
        || radii_m
            .iter()
            .any(|r| !r.is_finite() || *r <= 0.0 || *r > MAX_RADIUS_M)
    {
        return Err(format!(
            "radii must be positive metres, at most {MAX_RADIUS_M}"
        ));
    }
    Ok(())
}

/// The largest radius accepted anywhere (coverage, siting, distance from existing AEDs), in
/// metres: 20 km, far beyond any walk to an AED, and small enough that a radius search stays
/// bounded.
pub const MAX_RADIUS_M: f64 = 20_000.0;

/// A source named by key (`osm`, `codepoint_open`, `ons`, `wikipedia_postcode_districts`,
/// `seed_report`, `trafford_council`, `bhf_circuit`).
pub fn known_source(key: &str) -> Option<Source> {
    Some(match key {
        "osm" => Source::osm(),
        "codepoint_open" => Source::codepoint_open(),
        "ons" => Source::ons(),
        "wikipedia_postcode_districts" => Source::wikipedia_postcode_districts(),
        "seed_report" => Source::seed_report(),
        "trafford_council" => Source::trafford_council(),
        "bhf_circuit" => Source::bhf_circuit(),
        "imd2025" => Source::imd2025(),
        _ => return None,
    })
}

pub use raw::{parse_cabinet as raw_parse_cabinet, resolve_path};
