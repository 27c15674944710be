//! `aedcover coverage`: registry AEDs + demand → coverage_points.csv, areas.csv,
//! gaps.geojson, criticality.csv, hours.csv and summary.json.
//!
//! # summary.json (schema version 1; keep it stable — see docs/summary-schema.md)
//! ```text
//! {
//!   "schema_version": 1,
//!   "scenario": "all" | "public" | "24-7" | "ready" | "hour:Mo14",
//!   "detour_factor": 1.0,            // radii were divided by this (straight-line if 1.0)
//!   "distance": "straight_line" | "straight_line_with_detour_factor",
//!   "demand_kind": "point" | "counts" | "residents",
//!   "radii": [ { "radius_m", "effective_radius_m", "demand_total", "demand_covered",
//!                "pct_covered", "demand_uncovered", "residents_total", "residents_covered",
//!                "pct_residents_covered", "points_total", "points_covered" } ],
//!   "accounting": { "input_total", "placed_total", "unknown_total", "unmatched_total",
//!                   "unknown_rows", "unmatched_rows", "placement_error" },
//!   "aeds": { "registry_total", "bad_rows", "counted", "unlocated", "not_converted",
//!             "retired", "excluded_by_scenario", "unknown_hours" },
//!   "demand_points": n, "demand_points_no_facility": n,
//!   "unmatched": [ { "source", "postcode", "weight", "reason" } ],   // first 100
//!   "hours": { "worst_hour": ["Mo03", ...per radius], "worst_pct_covered": [...] } | null,
//!   "gaps": { "radius_m", "count", "demand_in_gaps" } | null,
//!   "areas": n | null,
//!   "notes": [ "..." ]
//! }
//! ```
//! For any radius: `demand_covered + demand_uncovered = demand_total = placed_total`, and
//! `placed_total + unknown_total + unmatched_total = input_total`.

use super::criticality::criticality;
use super::engine::{CoverageConfig, CoverageResult, DemandPoint, FacilityIndex, RadiusTotals};
use super::gaps::{Gap, gaps};
use super::hours::{hour_label, week_coverage};
use super::scenario::{ReadyRule, Scenario, Selection, select, to_bng};
use super::stats::{AreaInput, area_stats};
use crate::demand::{
    DemandLevel, PointCrs, SpreadReport, UnitTable, read_counts, read_points, residents_as_demand,
    spread,
};
use crate::geography::{
    AreaLayer, AreaOptions, PostcodeIndex, PostcodeLevel, ResidentsByPostcode, UnitPosition,
};
use rayon::prelude::*;
use std::io::Write;
use std::path::{Path, PathBuf};

/// How to read the demand file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemandKind {
    /// Points if the header has lat/lon or easting/northing columns, else counts by postcode.
    Auto,
    Counts(DemandLevel),
    Points,
    /// The residents of each postcode unit (needs --postcodes, --population, --lsoa).
    Residents,
}

impl std::str::FromStr for DemandKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let lvl = |l| Ok(DemandKind::Counts(DemandLevel::Fixed(l)));
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(DemandKind::Auto),
            "unit" => lvl(PostcodeLevel::Unit),
            "sector" => lvl(PostcodeLevel::Sector),
            "district" => lvl(PostcodeLevel::District),
            "area" => lvl(PostcodeLevel::Area),
            "counts" => Ok(DemandKind::Counts(DemandLevel::Auto)),
            "point" | "points" => Ok(DemandKind::Points),
            "residents" => Ok(DemandKind::Residents),
            other => Err(format!(
                "unknown demand level {other:?} (auto, unit, sector, district, area, point, residents)"
            )),
        }
    }
}

/// Outputs that can be skipped (e.g. for a GB-wide run).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Skip {
    pub criticality: bool,
    pub hours: bool,
    pub gaps: bool,
}

/// Everything `aedcover coverage` needs.
#[derive(Debug, Clone)]
pub struct CoverageOptions {
    pub aeds: PathBuf,
    /// The demand file; ignored for [`DemandKind::Residents`].
    pub demand: Option<PathBuf>,
    pub kind: DemandKind,
    pub postcodes: Option<PathBuf>,
    pub population: Option<PathBuf>,
    pub lsoa: Vec<PathBuf>,
    pub areas: Vec<PathBuf>,
    /// GeoJSON property holding the area id (default `name`, as in postcode-district files).
    pub area_id: String,
    pub area_name: Option<String>,
    pub config: CoverageConfig,
    pub scenario: Scenario,
    pub ready: ReadyRule,
    /// CRS of easting/northing point columns (default EPSG:27700).
    pub crs: Option<String>,
    pub skip: Skip,
    pub out: PathBuf,
}

/// The command failed.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error(transparent)]
    Registry(#[from] crate::registry::RegistryError),
    #[error(transparent)]
    Demand(#[from] crate::demand::DemandError),
    #[error(transparent)]
    Codepoint(#[from] crate::geography::CodepointError),
    #[error(transparent)]
    Areas(#[from] crate::geography::AreaError),
    #[error(transparent)]
    Population(#[from] crate::geography::PopulationError),
    #[error(transparent)]
    Config(#[from] super::engine::ConfigError),
    #[error("{0}")]
    Usage(String),
    #[error("{path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The summary written to summary.json.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Summary {
    pub schema_version: u32,
    pub scenario: String,
    pub detour_factor: f64,
    pub distance: &'static str,
    pub demand_kind: &'static str,
    pub radii: Vec<SummaryRadius>,
    pub accounting: Accounting,
    pub aeds: AedCounts,
    pub demand_points: usize,
    pub demand_points_no_facility: usize,
    pub unmatched: Vec<crate::demand::Unplaced>,
    pub hours: Option<HoursSummary>,
    pub gaps: Option<GapsSummary>,
    pub areas: Option<usize>,
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct SummaryRadius {
    #[serde(flatten)]
    pub totals: RadiusTotals,
    pub demand_uncovered: f64,
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Accounting {
    pub input_total: f64,
    pub placed_total: f64,
    pub unknown_total: f64,
    pub unmatched_total: f64,
    pub unknown_rows: usize,
    pub unmatched_rows: usize,
    pub placement_error: f64,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct AedCounts {
    #[serde(flatten)]
    pub selection: super::scenario::SelectionCounts,
    pub bad_rows: usize,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct HoursSummary {
    pub reference_week_monday: String,
    pub worst_hour: Vec<String>,
    pub worst_pct_covered: Vec<f64>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct GapsSummary {
    pub radius_m: f64,
    pub count: usize,
    pub demand_in_gaps: f64,
}

fn write_err(path: &Path) -> impl Fn(std::io::Error) -> CommandError + '_ {
    move |source| CommandError::Write {
        path: path.to_path_buf(),
        source,
    }
}

fn csv_field(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\"")).into()
    } else {
        s.into()
    }
}

/// Loads units (and residents) from --postcodes/--population/--lsoa.
fn load_units(opts: &CoverageOptions, notes: &mut Vec<String>) -> Result<UnitTable, CommandError> {
    let path = opts.postcodes.as_ref().ok_or_else(|| {
        CommandError::Usage("demand by postcode needs --postcodes (Code-Point Open CSV)".into())
    })?;
    let (index, load) = PostcodeIndex::load(path)?;
    if load.bad_rows > 0 || load.no_location > 0 {
        notes.push(format!(
            "{}: {} rows, {} located, {} without location, {} bad rows",
            path.display(),
            load.rows,
            load.located,
            load.no_location,
            load.bad_rows
        ));
    }
    let residents = match (&opts.population, opts.lsoa.is_empty()) {
        (Some(pop), false) => {
            let (lsoas, _) = AreaLayer::from_geojson_files(&opts.lsoa, &AreaOptions::lsoa21())?;
            let population = crate::geography::population::read_lsoa_population(pop)?;
            let units: Vec<UnitPosition> = index
                .iter()
                .map(|(postcode, r)| UnitPosition {
                    postcode,
                    easting_m: r.easting_m,
                    northing_m: r.northing_m,
                })
                .collect();
            Some(ResidentsByPostcode::apportion(&lsoas, &population, &units)?)
        }
        (None, true) => None,
        _ => {
            return Err(CommandError::Usage(
                "--population and --lsoa go together".into(),
            ));
        }
    };
    if residents.is_none() {
        notes.push("no population loaded: coarse counts spread in equal shares".into());
    }
    let (table, skipped) = UnitTable::new(index.iter().map(|(pc, r)| {
        let res = residents.as_ref().and_then(|p| p.get(&pc)).unwrap_or(0) as f64;
        (pc, r.easting_m, r.northing_m, res)
    }));
    if !skipped.is_empty() {
        notes.push(format!("{} postcode units skipped", skipped.len()));
    }
    Ok(table)
}

fn looks_like_points(path: &Path) -> Result<bool, CommandError> {
    let mut rdr = csv::Reader::from_path(path).map_err(|source| {
        CommandError::Demand(crate::demand::DemandError::Open {
            path: path.to_path_buf(),
            source,
        })
    })?;
    let h = rdr.headers().cloned().unwrap_or_default();
    let has = |n: &[&str]| {
        h.iter()
            .any(|c| n.iter().any(|n| c.trim().eq_ignore_ascii_case(n)))
    };
    Ok(
        (has(&["lat", "latitude"]) && has(&["lon", "lng", "longitude"]))
            || (has(&["easting", "x"]) && has(&["northing", "y"])),
    )
}

/// Runs the command and writes its files into `opts.out`.
pub fn run(opts: &CoverageOptions) -> Result<Summary, CommandError> {
    opts.config.validate()?;
    let mut notes = Vec::new();
    std::fs::create_dir_all(&opts.out).map_err(write_err(&opts.out))?;

    // AEDs.
    let file = crate::registry::read_aeds(&opts.aeds, crate::registry::ReadOptions::default())?;
    for e in file.errors.iter().take(20) {
        notes.push(format!("skipped AED row: {e}"));
    }
    let selection: Selection = select(&file.aeds, opts.scenario, &opts.ready, &to_bng);
    let index = FacilityIndex::new(selection.facilities.clone());

    // Demand.
    let demand_path = || {
        opts.demand
            .as_deref()
            .ok_or_else(|| CommandError::Usage("--demand FILE is required".into()))
    };
    let kind = match opts.kind {
        DemandKind::Auto => {
            if looks_like_points(demand_path()?)? {
                DemandKind::Points
            } else {
                DemandKind::Counts(DemandLevel::Auto)
            }
        }
        k => k,
    };
    let (demand, report, kind_label): (Vec<DemandPoint>, SpreadReport, &'static str) = match kind {
        DemandKind::Points => {
            let crs = match opts.crs.as_deref() {
                None => PointCrs::Bng,
                Some(s) => {
                    let c: crate::geography::crs::Crs =
                        s.parse()
                            .map_err(|e: crate::geography::crs::CrsSpecError| {
                                CommandError::Usage(e.to_string())
                            })?;
                    if c == crate::geography::crs::Crs::Bng {
                        PointCrs::Bng
                    } else {
                        let proj = crate::geography::crs::MetricProjection::new(&c)
                            .map_err(|e| CommandError::Usage(e.to_string()))?;
                        let f = move |x: f64, y: f64| -> Result<(f64, f64), String> {
                            let (lon, lat) = proj.to_wgs84(x, y).map_err(|e| e.to_string())?;
                            crate::geography::crs::wgs84_to_bng(lon, lat).map_err(|e| e.to_string())
                        };
                        PointCrs::Custom(Box::new(f))
                    }
                }
            };
            let pts = read_points(demand_path()?, &crs)?;
            let total: f64 = pts.iter().map(|p| p.weight).sum();
            let rep = SpreadReport {
                rows: pts.len(),
                input_total: total,
                placed_total: total,
                ..Default::default()
            };
            (pts, rep, "point")
        }
        DemandKind::Counts(level) => {
            let rows = read_counts(demand_path()?)?;
            let units = load_units(opts, &mut notes)?;
            let (pts, rep) = spread(&rows, &units, level);
            (pts, rep, "counts")
        }
        DemandKind::Residents => {
            let units = load_units(opts, &mut notes)?;
            let pts = residents_as_demand(&units);
            let total: f64 = pts.iter().map(|p| p.weight).sum();
            let rep = SpreadReport {
                rows: pts.len(),
                input_total: total,
                placed_total: total,
                ..Default::default()
            };
            (pts, rep, "residents")
        }
        DemandKind::Auto => unreachable!("resolved above"),
    };

    // Engine.
    let result = super::engine::assess(&index, &demand, &opts.config)?;
    write_points(
        &opts.out.join("coverage_points.csv"),
        &index,
        &demand,
        &result,
    )?;
    let totals = result.totals(&demand);

    // Criticality.
    if !opts.skip.criticality {
        write_criticality(
            &opts.out.join("criticality.csv"),
            &index,
            &demand,
            &opts.config,
        )?;
    }

    // Hours.
    let hours = if opts.skip.hours {
        None
    } else {
        let w = week_coverage(&index, &selection.availability, &demand, &opts.config)?;
        write_hours(&opts.out.join("hours.csv"), &w, &opts.config)?;
        let (y, m, d) = super::hours::REFERENCE_MONDAY;
        Some(HoursSummary {
            reference_week_monday: format!("{y:04}-{m:02}-{d:02}"),
            worst_hour: w.worst_hour.iter().map(|h| hour_label(*h)).collect(),
            worst_pct_covered: w
                .worst_hour
                .iter()
                .enumerate()
                .map(|(k, h)| w.hours[*h].pct_demand_covered[k])
                .collect(),
        })
    };

    // Areas and gaps.
    let mut areas_n = None;
    let mut gaps_summary = None;
    let main_k = opts
        .config
        .radii_m
        .iter()
        .position(|r| *r == 500.0)
        .unwrap_or(opts.config.radii_m.len() - 1);
    let areas: Vec<AreaInput> = if opts.areas.is_empty() {
        Vec::new()
    } else {
        let (layer, repairs) = AreaLayer::from_geojson_files(
            &opts.areas,
            &AreaOptions::new(&opts.area_id, opts.area_name.as_deref()),
        )?;
        if !repairs.is_empty() {
            notes.push(format!("{} area geometries repaired", repairs.len()));
        }
        layer
            .areas()
            .iter()
            .map(|a| (a.id.clone(), a.name.clone(), a.geometry_m.clone()))
            .collect()
    };
    let stats = if areas.is_empty() {
        Vec::new()
    } else {
        area_stats(
            &areas,
            &index,
            &demand,
            &result,
            &crate::seeds::aed_counts_by_district().unwrap_or_default(),
        )
    };
    write_areas(&opts.out.join("areas.csv"), &stats, &opts.config)?;
    if !areas.is_empty() {
        areas_n = Some(stats.len());
    }
    let gap_list: Vec<Gap> = if opts.skip.gaps || areas.is_empty() {
        if areas.is_empty() && !opts.skip.gaps {
            notes.push("no --areas: no study area, gaps.geojson is empty".into());
        }
        Vec::new()
    } else {
        let study = geo::unary_union(areas.iter().map(|a| &a.2));
        let g = gaps(&study, &index, &demand, &result, main_k);
        gaps_summary = Some(GapsSummary {
            radius_m: opts.config.radii_m[main_k],
            count: g.len(),
            demand_in_gaps: g.iter().map(|g| g.demand).sum(),
        });
        g
    };
    write_gaps(&opts.out.join("gaps.geojson"), &gap_list)?;

    let summary = Summary {
        schema_version: 1,
        scenario: opts.scenario.label(),
        detour_factor: opts.config.detour_factor,
        distance: if opts.config.detour_factor == 1.0 {
            "straight_line"
        } else {
            "straight_line_with_detour_factor"
        },
        demand_kind: kind_label,
        radii: totals
            .into_iter()
            .map(|t| SummaryRadius {
                demand_uncovered: t.demand_total - t.demand_covered,
                totals: t,
            })
            .collect(),
        accounting: Accounting {
            input_total: report.input_total,
            placed_total: report.placed_total,
            unknown_total: report.unknown_total,
            unmatched_total: report.unmatched_total,
            unknown_rows: report.unknown_rows,
            unmatched_rows: report.unmatched_rows,
            placement_error: report.placement_error,
        },
        aeds: AedCounts {
            selection: selection.counts.clone(),
            bad_rows: file.bad_rows(),
        },
        demand_points: demand.len(),
        demand_points_no_facility: result.points.iter().filter(|p| p.nearest.is_none()).count(),
        unmatched: report.unmatched.iter().take(100).cloned().collect(),
        hours,
        gaps: gaps_summary,
        areas: areas_n,
        notes,
    };
    let path = opts.out.join("summary.json");
    let text = serde_json::to_string_pretty(&summary).map_err(|e| CommandError::Write {
        path: path.clone(),
        source: e.into(),
    })?;
    std::fs::write(&path, text + "\n").map_err(write_err(&path))?;
    Ok(summary)
}

/// coverage_points.csv: id,weight,residents,nearest_aed,distance_m,covered_<r>m… in demand
/// order; distance to 0.1 m, empty when there is no AED; covered as 1/0.
fn write_points(
    path: &Path,
    index: &FacilityIndex,
    demand: &[DemandPoint],
    result: &CoverageResult,
) -> Result<(), CommandError> {
    let mut head = String::from("id,weight,residents,nearest_aed,distance_m");
    for r in &result.config.radii_m {
        head.push_str(&format!(",covered_{}m", fmt_num(*r)));
    }
    head.push('\n');
    let nr = result.config.radii_m.len();
    let chunks: Vec<Vec<u8>> = demand
        .par_chunks(16_384)
        .zip(result.points.par_chunks(16_384))
        .map(|(ds, cs)| {
            let mut buf = Vec::with_capacity(ds.len() * 48);
            for (d, c) in ds.iter().zip(cs) {
                let _ = write!(
                    buf,
                    "{},{},{},",
                    csv_field(&d.id),
                    fmt_num(d.weight),
                    fmt_num(d.residents)
                );
                match c.nearest {
                    Some(f) => {
                        let _ = write!(
                            buf,
                            "{},{:.1}",
                            csv_field(&index.facilities()[f as usize].id),
                            c.distance_m
                        );
                    }
                    None => buf.extend_from_slice(b","),
                }
                for k in 0..nr {
                    buf.extend_from_slice(if c.covered(k) { b",1" } else { b",0" });
                }
                buf.push(b'\n');
            }
            buf
        })
        .collect();
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).map_err(write_err(path))?);
    f.write_all(head.as_bytes()).map_err(write_err(path))?;
    for c in chunks {
        f.write_all(&c).map_err(write_err(path))?;
    }
    f.flush().map_err(write_err(path))
}

/// Shortest exact text for a number: integers without ".0".
fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// criticality.csv: rank,aed_id,demand_sole_<r>m…,residents_sole_<r>m…,demand_within_<r>m…,
/// ranked by sole demand at the main radius (500 m, else the largest), then id.
fn write_criticality(
    path: &Path,
    index: &FacilityIndex,
    demand: &[DemandPoint],
    config: &CoverageConfig,
) -> Result<(), CommandError> {
    let mut crit = criticality(index, demand, config)?;
    let k = config
        .radii_m
        .iter()
        .position(|r| *r == 500.0)
        .unwrap_or(config.radii_m.len() - 1);
    let facs = index.facilities();
    crit.sort_by(|a, b| {
        b.demand_sole[k].total_cmp(&a.demand_sole[k]).then(
            facs[a.facility as usize]
                .id
                .cmp(&facs[b.facility as usize].id),
        )
    });
    let mut out = String::from("rank,aed_id");
    for what in ["demand_sole", "residents_sole", "demand_within"] {
        for r in &config.radii_m {
            out.push_str(&format!(",{what}_{}m", fmt_num(*r)));
        }
    }
    out.push('\n');
    for (i, c) in crit.iter().enumerate() {
        out.push_str(&format!(
            "{},{}",
            i + 1,
            csv_field(&facs[c.facility as usize].id)
        ));
        for v in c
            .demand_sole
            .iter()
            .chain(&c.residents_sole)
            .chain(&c.demand_within)
        {
            out.push_str(&format!(",{}", round6(*v)));
        }
        out.push('\n');
    }
    std::fs::write(path, out).map_err(write_err(path))
}

fn round6(v: f64) -> String {
    fmt_num((v * 1e6).round() / 1e6)
}

fn write_hours(
    path: &Path,
    w: &super::hours::WeekCoverage,
    config: &CoverageConfig,
) -> Result<(), CommandError> {
    let mut out = String::from("hour,label,aeds_open");
    for what in ["pct_demand_covered", "pct_residents_covered"] {
        for r in &config.radii_m {
            out.push_str(&format!(",{what}_{}m", fmt_num(*r)));
        }
    }
    out.push('\n');
    for h in &w.hours {
        out.push_str(&format!("{},{},{}", h.hour, h.label, h.facilities_open));
        for v in h.pct_demand_covered.iter().chain(&h.pct_residents_covered) {
            out.push_str(&format!(",{}", round6(*v)));
        }
        out.push('\n');
    }
    std::fs::write(path, out).map_err(write_err(path))
}

fn write_areas(
    path: &Path,
    stats: &[super::stats::AreaStats],
    config: &CoverageConfig,
) -> Result<(), CommandError> {
    let mut out = String::from(
        "id,name,land_area_km2,aeds_located,aeds_known_by_count,demand,residents,demand_per_aed,median_distance_m,p90_distance_m",
    );
    for what in [
        "pct_demand_covered",
        "pct_residents_covered",
        "demand_uncovered",
        "pct_land_within",
    ] {
        for r in &config.radii_m {
            out.push_str(&format!(",{what}_{}m", fmt_num(*r)));
        }
    }
    out.push('\n');
    let opt = |v: Option<f64>| v.map(round6).unwrap_or_default();
    for s in stats {
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{}",
            csv_field(&s.id),
            csv_field(&s.name),
            round6(s.land_area_km2),
            s.aeds_located,
            s.aeds_known_by_count
                .map(|v| v.to_string())
                .unwrap_or_default(),
            round6(s.demand),
            round6(s.residents),
            opt(s.demand_per_aed),
            opt(s.median_distance_m),
            opt(s.p90_distance_m),
        ));
        for f in [
            |r: &super::stats::AreaRadiusStats| r.pct_demand_covered,
            |r: &super::stats::AreaRadiusStats| r.pct_residents_covered,
            |r: &super::stats::AreaRadiusStats| r.demand_uncovered,
            |r: &super::stats::AreaRadiusStats| r.pct_land_within,
        ] {
            for r in &s.radii {
                out.push_str(&format!(",{}", round6(f(r))));
            }
        }
        out.push('\n');
    }
    std::fs::write(path, out).map_err(write_err(path))
}

/// gaps.geojson in WGS84 lon/lat (RFC 7946), ranked.
fn write_gaps(path: &Path, gaps: &[Gap]) -> Result<(), CommandError> {
    let mut features = Vec::new();
    for g in gaps {
        let conv = |c: &geo::Coord<f64>| -> Vec<f64> {
            match crate::geography::crs::bng_to_wgs84(c.x, c.y) {
                Ok((lon, lat)) => vec![(lon * 1e7).round() / 1e7, (lat * 1e7).round() / 1e7],
                Err(_) => vec![f64::NAN, f64::NAN],
            }
        };
        let rings: Vec<Vec<Vec<f64>>> = std::iter::once(g.polygon.exterior())
            .chain(g.polygon.interiors())
            .map(|r| r.coords().map(conv).collect())
            .collect();
        features.push(serde_json::json!({
            "type": "Feature",
            "properties": {
                "id": g.id, "rank": g.rank, "radius_m": g.radius_m,
                "area_km2": (g.area_km2 * 1e6).round() / 1e6,
                "demand_uncovered": (g.demand * 1e6).round() / 1e6,
                "residents": (g.residents * 1e6).round() / 1e6,
                "demand_points": g.demand_points,
            },
            "geometry": {"type": "Polygon", "coordinates": rings},
        }));
    }
    let fc = serde_json::json!({"type": "FeatureCollection", "features": features});
    std::fs::write(path, fc.to_string() + "\n").map_err(write_err(path))
}

/// Reads `criticality.csv` as written by `aedcover coverage`: AED id → demand that only
/// this AED covers at `radius_m` (column `demand_sole_<r>m`). Used by `registry check
/// --criticality` to rank problem devices by what is lost when they are not rescue-ready.
pub fn read_criticality_csv(
    path: &Path,
    radius_m: f64,
) -> Result<std::collections::HashMap<String, f64>, CommandError> {
    let name = path.display().to_string();
    let bad = |line: u64, reason: String| CommandError::Usage(format!("{name}:{line}: {reason}"));
    let mut rdr = csv::Reader::from_path(path).map_err(|e| bad(0, e.to_string()))?;
    let headers = rdr.headers().map_err(|e| bad(1, e.to_string()))?.clone();
    let want = format!("demand_sole_{}m", fmt_num(radius_m));
    let find = |col: &str| headers.iter().position(|h| h.trim() == col);
    let (Some(c_id), Some(c_v)) = (find("aed_id"), find(&want)) else {
        return Err(bad(
            1,
            format!(
                "columns aed_id and {want} are required (header: {:?})",
                headers.iter().collect::<Vec<_>>().join(",")
            ),
        ));
    };
    let mut out = std::collections::HashMap::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| bad(e.position().map_or(0, |p| p.line()), e.to_string()))?;
        let line = rec.position().map_or(0, |p| p.line());
        let id = rec.get(c_id).unwrap_or("").trim();
        let raw = rec.get(c_v).unwrap_or("").trim();
        let v: f64 = raw
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite())
            .ok_or_else(|| bad(line, format!("{want}: not a number ({raw:?})")))?;
        if id.is_empty() {
            return Err(bad(line, "aed_id: empty".into()));
        }
        out.insert(id.to_string(), v);
    }
    Ok(out)
}
