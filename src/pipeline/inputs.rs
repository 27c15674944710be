//! The loads: registry (+ guardians), the run's metric CRS, postcode units (+ residents) and
//! demand points. Everything after this stage is in the run's metres.

use rayon::prelude::*;

use super::PipelineError;
use crate::coverage::{DemandPoint, DemandSums};
use crate::demand::{
    PointCrs, SpreadReport, UnitTable, read_counts_with, residents_as_demand, spread,
};
use crate::export::Progress;
use crate::geography::{
    AreaLayer, AreaOptions, Crs, MetricProjection, PostcodeIndex, ResidentsByPostcode, UnitPosition,
};
use crate::registry::{Aed, Coord, Guardian};
use crate::sources::{Source, Sources};
use crate::study::{CrsChoice, Demand, ImportKind, RegistryInput, Study};

/// The registry as loaded: every record, in file order.
pub struct RegistryStage {
    pub aeds: Vec<Aed>,
    /// Rows or records that could not be read (each named in the notes).
    pub bad_rows: usize,
    pub guardians: Option<Vec<Guardian>>,
    pub source: Source,
    /// AEDs known to exist from another source.
    pub known_total: Option<u64>,
    /// The OSM extract the AEDs were imported from, kept until [`network`] has read its
    /// walkable ways when the study's network is the same file (so it is read once).
    pub extract: Option<std::sync::Arc<crate::network::OsmData>>,
    /// Rows read, used and skipped; `None` without a registry.
    pub account: Option<super::FileAccount>,
}

/// Demand in the run's metres, with its accounting.
#[derive(Clone)]
pub struct DemandStage {
    pub points: Vec<DemandPoint>,
    /// Their demand and residents, each summed in order.
    pub sums: DemandSums,
    pub report: SpreadReport,
    /// The study's postcode units (with residents), when it has postcodes.
    pub units: Option<UnitTable>,
    /// `point`, `counts`, `residents`, `postcode_units` or `grid`.
    pub kind: &'static str,
    pub sources: Sources,
    /// The demand file's rows read, used and skipped, when demand comes from a file.
    pub file: Option<super::FileAccount>,
}

/// Stage 1: the AEDs and guardians.
pub fn registry(study: &Study, notes: &mut Vec<String>) -> Result<RegistryStage, PipelineError> {
    let Some(reg) = &study.registry else {
        notes.push("no existing AEDs given: all demand counts as uncovered".into());
        return Ok(RegistryStage {
            aeds: Vec::new(),
            bad_rows: 0,
            guardians: None,
            source: Source::undeclared("registry"),
            known_total: None,
            extract: None,
            account: None,
        });
    };
    let opts = crate::registry::ReadOptions {
        strict: study.strict,
    };
    let mut extract = None;
    let (aeds, bad_rows, own_source, account) = match &reg.input {
        RegistryInput::Aeds(path) => {
            let f = crate::registry::read_aeds(path, opts)?;
            let account = aed_file_account(file_name(path), &f, notes);
            let bad = f.bad_rows();
            (f.aeds, bad, Source::undeclared("registry"), account)
        }
        RegistryInput::Embedded { name, text } => {
            let f = crate::registry::read_aeds_from_reader(name, text.as_bytes(), opts)?;
            let account = aed_file_account(name.to_string(), &f, notes);
            let bad = f.bad_rows();
            (f.aeds, bad, Source::undeclared(name), account)
        }
        RegistryInput::Import { kind, path } => {
            let (aeds, rep) = match kind {
                ImportKind::Osm if crate::import::osm::is_extract(path) => {
                    let data =
                        crate::network::read_osm(path).map_err(crate::import::ImportError::from)?;
                    let imported = crate::import::osm::import_osm_extract(&data);
                    extract = Some(std::sync::Arc::new(data));
                    imported
                }
                ImportKind::Osm => crate::import::import_osm(path)?,
                ImportKind::Csv => crate::import::import_table(path)?,
                ImportKind::Circuit => crate::import::import_circuit(path)?,
            };
            for r in rep.rejected.iter().take(20) {
                notes.push(format!("AED record not imported: {r}"));
            }
            let skips: Vec<String> = rep.rejected.iter().map(|r| r.to_string()).collect();
            let account = super::FileAccount::new(file_name(path), aeds.len(), &skips);
            (aeds, rep.rejected.len(), rep.source.clone(), account)
        }
    };
    let source = reg.source.clone().unwrap_or(own_source);
    if !source.publishable {
        notes.push(format!(
            "the AEDs come from a source not for publication ({}): share these outputs only as its terms allow",
            source.licence
        ));
    }
    if let Some(known) = reg.known_total {
        let missing = known.saturating_sub(aeds.len() as u64);
        if missing > 0 {
            notes.insert(0, format!(
                "Most existing AEDs are not located in this data: {known} AEDs are known to exist, the registry here holds {}, so {missing} are missing from every figure. Coverage is understated and suggested sites may duplicate AEDs that already exist.",
                aeds.len()
            ));
        }
    }
    let guardians = match &study.guardians {
        Some(p) => Some(crate::registry::read_guardians(p, opts)?.guardians),
        None => None,
    };
    Ok(RegistryStage {
        aeds,
        bad_rows,
        guardians,
        source,
        known_total: reg.known_total,
        extract,
        account: Some(account),
    })
}

/// A registry file's account; its first skipped rows become notes.
fn aed_file_account(
    file: String,
    f: &crate::registry::AedFile,
    notes: &mut Vec<String>,
) -> super::FileAccount {
    for e in f.errors.iter().take(20) {
        notes.push(format!("registry row skipped: {e}"));
    }
    super::FileAccount {
        file,
        read: f.rows_seen,
        used: f.aeds.len(),
        skipped: f.rows_seen.saturating_sub(f.aeds.len()),
        first: f
            .errors
            .iter()
            .take(super::account::FIRST_SKIPS)
            .map(|e| e.to_string())
            .collect(),
    }
}

/// A path's file name, as messages name it.
fn file_name(path: &std::path::Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// A points file as read, before projection: read once, for the CRS choice and the demand.
pub struct RawPoints {
    pub points: Vec<DemandPoint>,
    /// lat/lon columns (else projected easting/northing columns).
    pub lonlat: bool,
    /// Its rows read, used and skipped.
    pub account: super::FileAccount,
}

/// Reads the study's demand points unprojected, when its demand is points.
pub fn raw_points(study: &Study) -> Result<Option<RawPoints>, PipelineError> {
    let Demand::Points { path, .. } = &study.demand else {
        return Ok(None);
    };
    let rows = crate::demand::read_points_with(path, &PointCrs::Raw, study.strict)?;
    let skips: Vec<String> = rows.skipped.iter().map(|e| e.to_string()).collect();
    Ok(Some(RawPoints {
        lonlat: crate::demand::point_columns_are_lonlat(path)?,
        account: super::FileAccount::new(file_name(path), rows.rows.len(), &skips),
        points: rows.rows,
    }))
}

/// Stage 2 decided before the files are read: the metric CRS and why, when the study and
/// the demand file's header decide it, so that the counted AEDs can be indexed while the
/// demand file is still being read.
pub struct EarlyCrs {
    pub projection: MetricProjection,
    pub reason: String,
    /// The demand header's columns are lon/lat (`None`: the demand is not a points file):
    /// [`choose_crs`] decides the same once the file is read with the same header.
    pub lonlat: Option<bool>,
}

/// [`EarlyCrs`] when the study gives a CRS, has postcode inputs, or has a points file with
/// projected columns; `None` when the CRS is chosen from the positions, or the header (or
/// the CRS given) is bad: [`choose_crs`] then decides, after the registry and demand
/// stages have named any problem with their files in stage order.
pub fn crs_from_header(study: &Study) -> Option<EarlyCrs> {
    let lonlat = match &study.demand {
        Demand::Points { path, .. } => Some(crate::demand::point_columns_are_lonlat(path).ok()?),
        _ => None,
    };
    let (projection, reason) = crs_without_positions(study, lonlat)?.ok()?;
    Some(EarlyCrs {
        projection,
        reason,
        lonlat,
    })
}

/// The CRS when the positions are not needed to choose it: given by the study, postcode
/// inputs, or a points file whose columns are not lon/lat (`lonlat`, from its header).
fn crs_without_positions(
    study: &Study,
    lonlat: Option<bool>,
) -> Option<Result<(MetricProjection, String), PipelineError>> {
    let chosen = |crs: &Crs, why: String| Ok((MetricProjection::new(crs)?, why));
    if let CrsChoice::Given(crs) = &study.crs {
        return Some(chosen(crs, "given by the study".into()));
    }
    if study.postcodes.is_some() {
        return Some(Ok((
            MetricProjection::bng(),
            "auto: postcode inputs (Code-Point Open) are in Great Britain".into(),
        )));
    }
    match &study.demand {
        // Projected columns: their own CRS when metric and given, else BNG. Decided before
        // any AED is converted to lon/lat (100,000 OSTN15 lookups at GB scale).
        Demand::Points { crs, .. } if lonlat == Some(false) => {
            let crs = crs.clone().unwrap_or(Crs::Bng);
            let why = format!("auto: the demand's projected columns are in {crs}");
            Some(chosen(&crs, why))
        }
        _ => None,
    }
}

/// Stage 2: the metric CRS and why. Postcode inputs are GB by nature: British National Grid.
pub fn choose_crs(
    study: &Study,
    registry: &RegistryStage,
    raw: Option<&RawPoints>,
) -> Result<(MetricProjection, String), PipelineError> {
    if let Some(chosen) = crs_without_positions(study, raw.map(|r| r.lonlat)) {
        return chosen;
    }
    let demand_points = match (&study.demand, raw) {
        (Demand::Points { .. }, Some(raw)) => Some(raw),
        _ => None,
    };
    let mut lonlats: Vec<(f64, f64)> = registry
        .aeds
        .iter()
        .filter_map(|a| a.location.as_ref())
        .filter_map(|l| lonlat_of(&l.coord))
        .collect();
    if let Some(raw) = demand_points {
        lonlats.extend(raw.points.iter().map(|p| (p.x_m, p.y_m)));
    }
    let (crs, why) = MetricProjection::auto_for_all(&lonlats).ok_or_else(|| {
        PipelineError::Unsupported(
            "crs = auto: no AED or demand position to choose a metric CRS from; set crs".into(),
        )
    })?;
    Ok((MetricProjection::new(&crs)?, why))
}

fn lonlat_of(c: &Coord) -> Option<(f64, f64)> {
    match *c {
        Coord::Wgs84 { lon, lat } => Some((lon, lat)),
        Coord::Bng {
            easting_m,
            northing_m,
        } => crate::geography::crs::bng_to_wgs84(easting_m, northing_m).ok(),
    }
}

/// A registry position in the run's metres.
pub fn to_metric(projection: &MetricProjection, c: &Coord) -> Result<(f64, f64), String> {
    match (*c, projection.crs()) {
        (
            Coord::Bng {
                easting_m,
                northing_m,
            },
            Crs::Bng,
        ) => Ok((easting_m, northing_m)),
        _ => {
            let (lon, lat) = lonlat_of(c).ok_or("cannot convert from British National Grid")?;
            projection.to_metric(lon, lat).map_err(|e| e.to_string())
        }
    }
}

/// Stage 3: postcode units and demand points in metres.
pub fn demand(
    study: &Study,
    projection: &MetricProjection,
    registry: &RegistryStage,
    raw: Option<RawPoints>,
    progress: &Progress,
    notes: &mut Vec<String>,
) -> Result<DemandStage, PipelineError> {
    let mut sources = Sources::new();
    let units = units(study, progress, notes, &mut sources)?;
    let need_units = || {
        units.as_ref().ok_or_else(|| {
            PipelineError::Unsupported(
                "demand by postcode needs postcodes (Code-Point Open)".into(),
            )
        })
    };
    let mut file = None;
    let (points, report, kind) = match &study.demand {
        Demand::PostcodeCounts { path, level } => {
            let rows = read_counts_with(path, study.strict)?;
            let skips: Vec<String> = rows.skipped.iter().map(|e| e.to_string()).collect();
            let account = super::FileAccount::new(file_name(path), rows.rows.len(), &skips);
            skipped_notes(&account, &skips, notes);
            file = Some(account);
            let (pts, rep) = spread(&rows.rows, need_units()?, *level);
            (pts, Some(rep), "counts")
        }
        Demand::ReportArrests => {
            let rows: Vec<crate::demand::CountRow> = crate::seeds::arrests_by_district()?
                .into_iter()
                .enumerate()
                .map(|(i, r)| crate::demand::CountRow {
                    source: format!("seeds/arrests_by_district.csv:{}", i + 2),
                    postcode: r.district,
                    weight: f64::from(r.incidents),
                })
                .collect();
            sources.add(Source::seed_report());
            let empty;
            let u = match &units {
                Some(u) => u,
                None => {
                    notes.push("no postcode lookup (Code-Point Open) in this study: no arrest could be placed, so coverage of arrests, gaps, criticality and sites are not computed".into());
                    empty = UnitTable::new(std::iter::empty()).0;
                    &empty
                }
            };
            let (pts, mut rep) = spread(&rows, u, crate::demand::DemandLevel::Auto);
            if units.is_none() {
                for x in &mut rep.unmatched {
                    x.reason = "no postcode lookup (Code-Point Open) in this study".into();
                }
            }
            (pts, Some(rep), "counts")
        }
        Demand::Points { path, crs } => {
            let raw = match raw {
                Some(r) => r,
                None => raw_points(study)?.ok_or_else(|| {
                    PipelineError::Unsupported("points demand without points".into())
                })?,
            };
            skipped_notes(&raw.account, &raw.account.first, notes);
            file = Some(raw.account.clone());
            let pts = points(path, raw, crs.as_ref(), projection)?;
            (pts, None, "point")
        }
        Demand::PostcodeUnits => {
            let u = need_units()?;
            let pts: Vec<DemandPoint> = (0..u.len()).map(|i| u.demand_point(i, 1.0)).collect();
            notes.push(format!(
                "demand is a proxy: {} postcode units with weight 1 each (no arrest data for this study); read % covered as % of postcode units",
                pts.len()
            ));
            (pts, None, "postcode_units")
        }
        Demand::Residents => {
            let pts = residents_as_demand(need_units()?);
            (pts, None, "residents")
        }
        Demand::Grid {
            spacing_m,
            within_m,
        } => {
            let pts = grid_near_aeds(projection, registry, *spacing_m, *within_m);
            notes.push(format!(
                "demand is a proxy: {} points on a {spacing_m} m grid within {within_m} m of a registry AED, weight 1 each (no arrest or population data); read % covered as % of that land",
                pts.len()
            ));
            (pts, None, "grid")
        }
    };
    // One pass over the points (1.7 M at GB scale) for every sum of them the run needs.
    let sums = DemandSums::of(&points);
    // Every point placed as it is: the input's total is the placed one.
    let report = report.unwrap_or_else(|| SpreadReport {
        rows: points.len(),
        input_total: sums.weight,
        placed_total: sums.weight,
        ..Default::default()
    });
    Ok(DemandStage {
        points,
        sums,
        report,
        units,
        kind,
        sources,
        file,
    })
}

/// The number of bad demand rows and the first of them, as notes.
fn skipped_notes(account: &super::FileAccount, skips: &[String], notes: &mut Vec<String>) {
    if account.skipped == 0 {
        return;
    }
    notes.push(format!(
        "{}: {} bad rows skipped",
        account.file, account.skipped
    ));
    for e in skips.iter().take(20) {
        notes.push(format!("demand row skipped: {e}"));
    }
}

/// Points from a CSV, projected into the run's CRS (lat/lon anywhere, or projected columns).
fn points(
    path: &std::path::Path,
    raw: RawPoints,
    crs: Option<&Crs>,
    projection: &MetricProjection,
) -> Result<Vec<DemandPoint>, PipelineError> {
    let RawPoints {
        points: mut pts,
        lonlat,
        ..
    } = raw;
    let column_crs = if lonlat {
        None
    } else {
        Some(crs.cloned().unwrap_or(Crs::Bng))
    };
    if column_crs.as_ref() == Some(projection.crs()) {
        return Ok(pts);
    }
    let from = column_crs.map(|c| MetricProjection::new(&c)).transpose()?;
    let failed: Option<(usize, String)> = pts
        .par_iter_mut()
        .enumerate()
        .filter_map(|(i, p)| {
            let lonlat = match &from {
                Some(f) => f.to_wgs84(p.x_m, p.y_m),
                None => Ok((p.x_m, p.y_m)),
            };
            match lonlat.and_then(|(lon, lat)| projection.to_metric(lon, lat)) {
                Ok((x, y)) => {
                    (p.x_m, p.y_m) = (x, y);
                    None
                }
                Err(e) => Some((i, e.to_string())),
            }
        })
        .min_by_key(|(i, _)| *i);
    if let Some((i, reason)) = failed {
        return Err(PipelineError::Unsupported(format!(
            "{}: point {} ({}): {reason}",
            path.display(),
            i + 1,
            pts[i].id
        )));
    }
    Ok(pts)
}

/// Every `spacing_m` grid point (aligned to multiples of the spacing) within `within_m` of a
/// located registry AED.
fn grid_near_aeds(
    projection: &MetricProjection,
    registry: &RegistryStage,
    spacing_m: f64,
    within_m: f64,
) -> Vec<DemandPoint> {
    let centres: Vec<[f64; 2]> = registry
        .aeds
        .iter()
        .filter_map(|a| a.location.as_ref())
        .filter_map(|l| to_metric(projection, &l.coord).ok())
        .map(|(x, y)| [x, y])
        .collect();
    let tree = rstar::RTree::bulk_load(centres.clone());
    let mut cells: std::collections::BTreeSet<(i64, i64)> = Default::default();
    let reach = (within_m / spacing_m).ceil() as i64;
    for c in &centres {
        let (ci, cj) = (
            (c[0] / spacing_m).round() as i64,
            (c[1] / spacing_m).round() as i64,
        );
        for i in ci - reach..=ci + reach {
            for j in cj - reach..=cj + reach {
                let p = [i as f64 * spacing_m, j as f64 * spacing_m];
                if tree
                    .nearest_neighbor(&p)
                    .is_some_and(|n| (n[0] - p[0]).hypot(n[1] - p[1]) <= within_m)
                {
                    cells.insert((i, j));
                }
            }
        }
    }
    cells
        .into_iter()
        .map(|(i, j)| DemandPoint {
            id: ecow::eco_format!("grid:{}:{}", i, j),
            x_m: i as f64 * spacing_m,
            y_m: j as f64 * spacing_m,
            weight: 1.0,
            residents: 0.0,
        })
        .collect()
}

/// The postcode units compiled into the built-in study (`[equity]` embedded tables).
fn embedded_units(
    study: &Study,
    notes: &mut Vec<String>,
) -> Result<Option<UnitTable>, PipelineError> {
    let Some(crate::study::EquityLsoas::Embedded {
        units_name,
        units_csv,
        ..
    }) = study.equity.as_ref().map(|e| &e.lsoas)
    else {
        return Ok(None);
    };
    let rows = super::equity::embedded_units(units_name, units_csv)?;
    let (table, skipped) = UnitTable::new(rows.into_iter().map(|u| (u.0, u.1, u.2, u.3)));
    if !skipped.is_empty() {
        notes.push(format!(
            "{units_name}: {} postcode units skipped",
            skipped.len()
        ));
    }
    Ok(Some(table))
}

/// Postcode units of the study (filtered by admin district / postcode area), with residents.
fn units(
    study: &Study,
    progress: &Progress,
    notes: &mut Vec<String>,
    sources: &mut Sources,
) -> Result<Option<UnitTable>, PipelineError> {
    let Some(pc) = &study.postcodes else {
        return embedded_units(study, notes);
    };
    sources.add(Source::codepoint_open());
    let (index, load) = progress.step("loading Code-Point Open", || {
        PostcodeIndex::load(&pc.codepoint)
    })?;
    if load.bad_rows > 0 {
        notes.push(format!(
            "{}: {} bad rows skipped",
            pc.codepoint.display(),
            load.bad_rows
        ));
    }
    let keep = |code: &str, district: Option<&str>| {
        (pc.admin_districts.is_empty()
            || district.is_some_and(|d| pc.admin_districts.iter().any(|a| a == d)))
            && (pc.postcode_areas.is_empty()
                || crate::geography::Postcode::parse(code)
                    .ok()
                    .is_some_and(|p| pc.postcode_areas.iter().any(|a| a == p.area())))
    };
    let chosen: Vec<UnitPosition> = index
        .iter_with_district()
        .filter(|(code, _, d)| keep(code, *d))
        .map(|(code, r, _)| UnitPosition {
            postcode: code,
            easting_m: r.easting_m,
            northing_m: r.northing_m,
        })
        .collect();
    let residents = match &study.population {
        Some(pop) => {
            sources.add(Source::ons());
            Some(progress.step(
                "apportioning residents",
                || -> Result<ResidentsByPostcode, PipelineError> {
                    let (lsoas, _) =
                        AreaLayer::from_geojson_files(&pop.lsoa_geojson, &AreaOptions::lsoa21())?;
                    let population =
                        crate::geography::population::read_lsoa_population(&pop.lsoa_csv)?;
                    Ok(ResidentsByPostcode::apportion(
                        &lsoas,
                        &population,
                        &chosen,
                    )?)
                },
            )?)
        }
        None => {
            if matches!(study.demand, Demand::PostcodeCounts { .. }) {
                notes.push("no population loaded: coarse counts spread in equal shares".into());
            }
            None
        }
    };
    let (table, skipped) = UnitTable::new(chosen.into_iter().map(|u| {
        let res = residents
            .as_ref()
            .and_then(|r| r.get(&u.postcode))
            .unwrap_or(0) as f64;
        (u.postcode, u.easting_m, u.northing_m, res)
    }));
    if !skipped.is_empty() {
        notes.push(format!(
            "{} postcode units skipped (not a full unit or no coordinates)",
            skipped.len()
        ));
    }
    Ok(Some(table))
}

/// The walkable network of a walking study (`None` for straight-line distance), in the
/// run's metric CRS.
/// `extract` is the registry's OSM extract, if it imported one: used when it is the same file.
pub fn network(
    study: &Study,
    projection: &MetricProjection,
    extract: Option<std::sync::Arc<crate::network::OsmData>>,
    progress: &Progress,
) -> Result<Option<std::sync::Arc<crate::network::WalkNetwork>>, PipelineError> {
    let Some(path) = study.analysis.distance.network() else {
        return Ok(None);
    };
    let net = progress.step("walking network", || {
        let data = match extract {
            Some(d) if d.file == path.display().to_string() => d,
            _ => std::sync::Arc::new(crate::network::read_osm(path)?),
        };
        crate::network::WalkNetwork::from_osm(path, &data, projection)
    })?;
    Ok(Some(std::sync::Arc::new(net)))
}
