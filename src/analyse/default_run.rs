//! The embedded default: Leicestershire from `seeds/` and `data/` only (compiled in).
//!
//! What can be computed: the report's district table (865 AEDs, 2,252 arrests), the 24 of
//! 25 EMAS-managed AEDs placed on their postcode with their 100/200/500 m coverage, and per
//! district the land, residents and an explicitly labelled upper bound on the share of land
//! the counted AEDs could cover if perfectly spaced. What cannot: the coverage of arrests and
//! the gaps, because about 840 of the 865 AEDs have no location in any open data we hold.

use std::collections::BTreeMap;
use std::path::Path;

use geo::{Area, BoundingRect};
use geo_types::{Geometry, MultiPolygon, Point, Rect};
use serde_json::json;

use super::output::{self, Attribution, Outputs, round};
use super::{AnalyseError, AnalyseSummary};
use crate::coverage::circles::{CircleFit, circles_union};
use crate::districts::DistrictTable;
use crate::export::csv_out::{num, opt, text};
use crate::export::{CsvTable, Feature, Progress, Value, bng_to_wgs84_geometry};
use crate::registry::AccessClass;

const DISTRICTS_CSV: &str = include_str!("../../data/districts.csv");
const EMAS_GEOCODED_CSV: &str = include_str!("../../data/emas_aeds_geocoded.csv");

/// Radii of the default run, metres.
pub const RADII_M: [f64; 3] = [100.0, 200.0, 500.0];
/// The radius the report names: "only deployed if the incident is within 500m".
const MAIN_RADIUS_M: f64 = 500.0;
/// How many districts get their own map.
const WORST_AREAS: usize = 3;

const SOURCES: [Attribution; 4] = [
    Attribution::SeedReport,
    Attribution::CodePoint,
    Attribution::Ons,
    Attribution::Wikipedia,
];

/// A row of `data/districts.csv`.
#[derive(Debug, Clone)]
struct DistrictGeo {
    district: String,
    centroid_m: (f64, f64),
    area_km2: f64,
    live_postcodes: u32,
    residents: u64,
    share_in_llr: f64,
}

/// A row of `data/emas_aeds_geocoded.csv`.
#[derive(Debug, Clone)]
struct EmasAed {
    seq: u32,
    name: String,
    postcode: String,
    precision: String,
    position_m: Option<(f64, f64)>,
}

/// One district's figures, joined.
#[derive(Debug, Clone)]
struct DistrictFigures {
    district: String,
    aeds_counted: Option<u32>,
    arrests: Option<u32>,
    arrests_per_aed: Option<f64>,
    aeds_located: usize,
    geo: Option<DistrictGeo>,
}

impl DistrictFigures {
    /// min(1, n·π·r²/land): the share of land `aeds_counted` AEDs could cover at most.
    fn max_land_share(&self, radius_m: f64) -> Option<f64> {
        let n = f64::from(self.aeds_counted?);
        let land = self.geo.as_ref()?.area_km2;
        (land > 0.0)
            .then(|| (n * std::f64::consts::PI * (radius_m / 1000.0).powi(2) / land).min(1.0))
    }
}

fn embedded_rows(
    file: &'static str,
    text: &str,
) -> Result<Vec<(usize, csv::StringRecord, csv::StringRecord)>, AnalyseError> {
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let headers = rdr.headers().cloned().map_err(|e| AnalyseError::Embedded {
        file,
        line: 1,
        reason: e.to_string(),
    })?;
    rdr.records()
        .enumerate()
        .map(|(i, r)| {
            r.map(|r| (i + 2, headers.clone(), r))
                .map_err(|e| AnalyseError::Embedded {
                    file,
                    line: i + 2,
                    reason: e.to_string(),
                })
        })
        .collect()
}

fn field<'a>(
    file: &'static str,
    line: usize,
    h: &csv::StringRecord,
    r: &'a csv::StringRecord,
    name: &str,
) -> Result<&'a str, AnalyseError> {
    h.iter()
        .position(|c| c == name)
        .and_then(|i| r.get(i))
        .ok_or_else(|| AnalyseError::Embedded {
            file,
            line,
            reason: format!("no column {name}"),
        })
}

fn parse<T: std::str::FromStr>(
    file: &'static str,
    line: usize,
    name: &str,
    s: &str,
) -> Result<T, AnalyseError> {
    s.trim().parse().map_err(|_| AnalyseError::Embedded {
        file,
        line,
        reason: format!("{name}: not a number ({s})"),
    })
}

fn read_districts() -> Result<Vec<DistrictGeo>, AnalyseError> {
    let file = "data/districts.csv";
    embedded_rows(file, DISTRICTS_CSV)?
        .iter()
        .map(|(line, h, r)| {
            let f = |n: &str| field(file, *line, h, r, n);
            Ok(DistrictGeo {
                district: f("district")?.to_owned(),
                centroid_m: (
                    parse(file, *line, "centroid_easting_m", f("centroid_easting_m")?)?,
                    parse(
                        file,
                        *line,
                        "centroid_northing_m",
                        f("centroid_northing_m")?,
                    )?,
                ),
                area_km2: parse(file, *line, "area_km2", f("area_km2")?)?,
                live_postcodes: parse(file, *line, "live_postcodes", f("live_postcodes")?)?,
                residents: parse(file, *line, "residents_2021_llr", f("residents_2021_llr")?)?,
                share_in_llr: parse(
                    file,
                    *line,
                    "share_postcodes_in_llr",
                    f("share_postcodes_in_llr")?,
                )?,
            })
        })
        .collect()
}

fn read_emas() -> Result<Vec<EmasAed>, AnalyseError> {
    let file = "data/emas_aeds_geocoded.csv";
    embedded_rows(file, EMAS_GEOCODED_CSV)?
        .iter()
        .map(|(line, h, r)| {
            let f = |n: &str| field(file, *line, h, r, n);
            let e = f("easting_m")?;
            let n = f("northing_m")?;
            let position_m = if e.is_empty() || n.is_empty() {
                None
            } else {
                Some((
                    parse(file, *line, "easting_m", e)?,
                    parse(file, *line, "northing_m", n)?,
                ))
            };
            Ok(EmasAed {
                seq: parse(file, *line, "seq", f("seq")?)?,
                name: f("name")?.to_owned(),
                postcode: f("postcode")?.to_owned(),
                precision: f("precision")?.to_owned(),
                position_m,
            })
        })
        .collect()
}

/// The postcode district of a normalised postcode (`LE12 7AB` → `LE12`; `LE12 7` → `LE12`).
fn district_of(postcode: &str) -> Option<String> {
    crate::geography::Postcode::parse(postcode)
        .ok()
        .and_then(|p| p.district().map(str::to_owned))
}

fn join(table: &DistrictTable, geo: &[DistrictGeo], emas: &[EmasAed]) -> Vec<DistrictFigures> {
    let mut located: BTreeMap<String, usize> = BTreeMap::new();
    for a in emas.iter().filter(|a| a.position_m.is_some()) {
        if let Some(d) = district_of(&a.postcode) {
            *located.entry(d).or_default() += 1;
        }
    }
    table
        .ranked
        .iter()
        .chain(&table.arrests_without_aeds)
        .chain(&table.aeds_without_arrests)
        .map(|r| DistrictFigures {
            district: r.district.clone(),
            aeds_counted: r.aeds,
            arrests: r.arrests,
            arrests_per_aed: r.arrests_per_aed,
            aeds_located: located.get(&r.district).copied().unwrap_or(0),
            geo: geo.iter().find(|g| g.district == r.district).cloned(),
        })
        .collect()
}

fn to_wgs84(g: impl Into<Geometry<f64>>) -> Result<Geometry<f64>, AnalyseError> {
    Ok(bng_to_wgs84_geometry(&g.into())?)
}

fn meta(pairs: &[(&str, Value)]) -> Vec<(String, Value)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

/// Runs the embedded default into `dir`.
pub fn run(dir: &Path, progress: &Progress) -> Result<AnalyseSummary, AnalyseError> {
    let table = crate::districts::from_seeds()?;
    let geo = read_districts()?;
    let emas = read_emas()?;
    let figures = join(&table, &geo, &emas);
    let located: Vec<&EmasAed> = emas.iter().filter(|a| a.position_m.is_some()).collect();
    let centres: Vec<(f64, f64)> = located.iter().filter_map(|a| a.position_m).collect();
    let coverage: Vec<(f64, MultiPolygon<f64>)> = progress.step("coverage circles", || {
        RADII_M
            .iter()
            .map(|&r| (r, circles_union(&centres, r, CircleFit::EqualArea, None)))
            .collect()
    });
    let mut out = Outputs::new(dir);
    let unlocated_total = table.total_aeds as usize - located.len();

    // aeds.geojson: public fields only (the default has no guardian file at all).
    let mut aeds = output::layer(
        "aeds",
        &SOURCES,
        meta(&[
            ("aeds_counted_in_report", Value::from(table.total_aeds)),
            ("aeds_in_layer", Value::from(located.len())),
            ("aeds_without_location", Value::from(unlocated_total)),
            (
                "note",
                Value::from(
                    "The 25 EMAS-managed AEDs of the report placed on their postcode (Code-Point Open unit position, or the sector mean for seq 22); seq 10 has no postcode and is not placed. The other AEDs of the report's 865 have no published location.",
                ),
            ),
        ]),
    );
    for a in &located {
        let Some((e, n)) = a.position_m else { continue };
        aeds.features.push(
            Feature::new(format!("emas-{:02}", a.seq), to_wgs84(Point::new(e, n))?)
                .with("seq", a.seq)
                .with("name", a.name.as_str())
                .with("postcode", a.postcode.as_str())
                .with("location_precision", a.precision.as_str())
                .with("managed_by", "emas")
                .with("access", AccessClass::Unknown.as_str())
                .with("has_guardian", Value::Null)
                .with("easting_m", Value::rounded(e, 0))
                .with("northing_m", Value::rounded(n, 0)),
        );
    }
    out.layer("aeds.geojson", &aeds)?;

    // coverage_<r>m.geojson.
    for (r, shape) in &coverage {
        let mut l = output::layer(
            &format!("coverage_{r}m"),
            &SOURCES,
            meta(&[
                ("radius_m", Value::from(*r)),
                ("distance", Value::from("straight_line")),
                ("aeds_counted", Value::from(centres.len())),
            ]),
        );
        if !shape.0.is_empty() {
            l.features.push(
                Feature::new(format!("coverage-{r}m"), to_wgs84(shape.clone())?)
                    .with("radius_m", *r)
                    .with("aeds_counted", centres.len())
                    .with("area_km2", Value::rounded(shape.unsigned_area() / 1e6, 3))
                    .with("scope", "the 24 located EMAS-managed AEDs only"),
            );
        }
        out.layer(&format!("coverage_{r}m.geojson"), &l)?;
    }

    // gaps.geojson and sites.geojson: honest empties.
    let why_gaps = "Not computed: about 840 of the 865 AEDs counted in the report have no location, so land or arrests beyond 500 m of every AED cannot be found. Run a study with a located registry (aedcover analyse --study FILE).";
    out.layer(
        "gaps.geojson",
        &output::layer(
            "gaps",
            &SOURCES,
            meta(&[("not_computed", Value::from(why_gaps))]),
        ),
    )?;
    let why_sites = "Not computed: arrests are known only by postcode district and most AEDs have no location, so a suggested site could duplicate an AED that already exists. Run a study (studies/leicestershire-open.toml) for sites.";
    out.layer(
        "sites.geojson",
        &output::layer(
            "sites",
            &SOURCES,
            meta(&[("not_computed", Value::from(why_sites))]),
        ),
    )?;

    // areas.geojson: the district centroids (no district polygons are embedded).
    let mut areas = output::layer(
        "areas",
        &SOURCES,
        meta(&[
            (
                "geometry",
                Value::from(
                    "district centroid (area-weighted centroid of the repaired Wikipedia polygon); the polygons are open data, not embedded",
                ),
            ),
            (
                "max_land_share_500m_if_perfectly_spaced",
                Value::from(
                    "upper bound, not a coverage figure: min(1, aeds_counted x pi x 0.5^2 / land_area_km2)",
                ),
            ),
        ]),
    );
    let mut csv = CsvTable::new([
        "district",
        "aeds_counted",
        "aeds_located",
        "arrests",
        "arrests_per_aed",
        "land_area_km2",
        "residents_2021_llr",
        "share_postcodes_in_llr",
        "residents_per_aed",
        "max_land_share_500m_if_perfectly_spaced",
    ]);
    for f in &figures {
        let residents_per_aed = match (&f.geo, f.aeds_counted) {
            (Some(g), Some(n)) if n > 0 => Some(g.residents as f64 / f64::from(n)),
            _ => None,
        };
        let bound = f.max_land_share(MAIN_RADIUS_M);
        csv.push(vec![
            text(&f.district),
            opt(f.aeds_counted),
            f.aeds_located.to_string(),
            opt(f.arrests),
            f.arrests_per_aed.map_or_else(String::new, |r| num(r, 3)),
            f.geo
                .as_ref()
                .map_or_else(String::new, |g| num(g.area_km2, 3)),
            f.geo
                .as_ref()
                .map_or_else(String::new, |g| g.residents.to_string()),
            f.geo
                .as_ref()
                .map_or_else(String::new, |g| num(g.share_in_llr, 4)),
            residents_per_aed.map_or_else(String::new, |r| num(r, 1)),
            bound.map_or_else(String::new, |b| num(b, 4)),
        ]);
        if let Some(g) = &f.geo {
            areas.features.push(
                Feature::new(
                    f.district.as_str(),
                    to_wgs84(Point::new(g.centroid_m.0, g.centroid_m.1))?,
                )
                .with("district", f.district.as_str())
                .with("aeds_counted", f.aeds_counted)
                .with("aeds_located", f.aeds_located)
                .with("arrests", f.arrests)
                .with("arrests_per_aed", f.arrests_per_aed.map(|r| round(r, 3)))
                .with("land_area_km2", Value::rounded(g.area_km2, 3))
                .with("residents_2021_llr", g.residents as i64)
                .with("share_postcodes_in_llr", Value::rounded(g.share_in_llr, 4))
                .with("live_postcodes", g.live_postcodes)
                .with("residents_per_aed", residents_per_aed.map(|r| round(r, 1)))
                .with(
                    "max_land_share_500m_if_perfectly_spaced",
                    bound.map(|b| round(b, 4)),
                ),
            );
        }
    }
    out.layer("areas.geojson", &areas)?;
    out.table("areas.csv", &csv)?;

    // attention: every EMAS device, since the seeds hold no guardian or check record.
    let per_aed: BTreeMap<&str, f64> = figures
        .iter()
        .filter_map(|f| Some((f.district.as_str(), f.arrests_per_aed?)))
        .collect();
    let mut attention: Vec<(&EmasAed, Option<String>, Option<f64>)> = emas
        .iter()
        .map(|a| {
            let d = district_of(&a.postcode);
            let r = d.as_deref().and_then(|d| per_aed.get(d).copied());
            (a, d, r)
        })
        .collect();
    attention.sort_by(|a, b| {
        b.2.unwrap_or(-1.0)
            .total_cmp(&a.2.unwrap_or(-1.0))
            .then(a.0.seq.cmp(&b.0.seq))
    });
    let reason =
        "readiness unknown: no guardian, check date, pads or battery record in the seed data";
    let mut att_csv = CsvTable::new([
        "rank",
        "id",
        "name",
        "postcode",
        "district",
        "located",
        "problems",
        "criticality_arrests_500m",
        "district_arrests_per_aed",
    ]);
    let mut att_layer = output::layer(
        "attention",
        &SOURCES,
        meta(&[(
            "ranking",
            Value::from(
                "criticality (arrests covered by this device alone) cannot be computed without located arrests and AEDs; ranked instead by the district's arrests per counted AED, a crude proxy, then by report order",
            ),
        )]),
    );
    for (i, (a, d, r)) in attention.iter().enumerate() {
        let id = format!("emas-{:02}", a.seq);
        att_csv.push(vec![
            (i + 1).to_string(),
            id.clone(),
            text(&a.name),
            text(&a.postcode),
            opt(d.as_deref()),
            (if a.position_m.is_some() { "yes" } else { "no" }).to_owned(),
            reason.to_owned(),
            String::new(),
            r.map_or_else(String::new, |r| num(r, 3)),
        ]);
        if let Some((e, n)) = a.position_m {
            att_layer.features.push(
                Feature::new(id, to_wgs84(Point::new(e, n))?)
                    .with("rank", i + 1)
                    .with("name", a.name.as_str())
                    .with("postcode", a.postcode.as_str())
                    .with("district", d.as_deref())
                    .with("has_guardian", Value::Null)
                    .with("problems", reason)
                    .with("criticality_arrests_500m", Value::Null)
                    .with("district_arrests_per_aed", r.map(|r| round(r, 3))),
            );
        }
    }
    out.layer("attention.geojson", &att_layer)?;
    out.table("attention.csv", &att_csv)?;

    // summary.json.
    let seed_land_km2: f64 = figures
        .iter()
        .filter_map(|f| f.geo.as_ref())
        .map(|g| g.area_km2)
        .sum();
    let aed_district_land_km2: f64 = figures
        .iter()
        .filter(|f| f.aeds_counted.is_some())
        .filter_map(|f| f.geo.as_ref())
        .map(|g| g.area_km2)
        .sum();
    let coverage_json: Vec<serde_json::Value> = coverage
        .iter()
        .map(|(r, shape)| {
            json!({
                "radius_m": r,
                "aeds_counted": centres.len(),
                "land_within_km2": round(shape.unsigned_area() / 1e6, 3),
                "max_land_share_all_counted_aeds_if_perfectly_spaced": round(
                    (f64::from(table.total_aeds) * std::f64::consts::PI * (r / 1000.0).powi(2) / aed_district_land_km2).min(1.0), 4),
            })
        })
        .collect();
    let (ranked_aeds, ranked_arrests) = table.ranked_totals();
    let not_computed = [
        "coverage of arrests at 100/200/500 m: arrests are known only by district and about 840 AEDs have no location",
        "gaps (land or arrests beyond 500 m of every AED)",
        "criticality of each device (arrests it alone covers)",
        "suggested sites",
        "availability by hour of week (no opening hours in the seed data)",
    ];
    let worst: Vec<&DistrictFigures> = figures
        .iter()
        .filter(|f| f.arrests_per_aed.is_some())
        .take(WORST_AREAS)
        .collect();
    let summary = json!({
        "schema_version": 1,
        "kind": "embedded_default",
        "title": "Leicestershire public-access defibrillators: what the 2021 report's tables show",
        "aeds": {
            "counted_in_report": table.total_aeds,
            "emas_managed_listed": emas.len(),
            "located": located.len(),
            "without_location": unlocated_total,
        },
        "arrests": {
            "total": table.total_arrests,
            "in_districts_with_counted_aeds": ranked_arrests,
            "in_districts_without_counted_aeds": table.arrests_without_aeds.iter().filter_map(|r| r.arrests).sum::<u32>(),
            "unknown_district": table.unknown_arrests,
            "covered": null,
            "uncovered": null,
            "unmatched": table.unknown_arrests,
            "note": "covered and uncovered are null: they need located arrests and located AEDs",
        },
        "aeds_in_ranked_districts": ranked_aeds,
        "districts": figures.len(),
        "districts_land_km2": round(seed_land_km2, 3),
        "districts_with_counted_aeds_land_km2": round(aed_district_land_km2, 3),
        "coverage_of_located_aeds": coverage_json,
        "worst_areas_by_arrests_per_aed": worst.iter().map(|f| json!({
            "district": f.district, "arrests": f.arrests, "aeds_counted": f.aeds_counted,
            "arrests_per_aed": f.arrests_per_aed.map(|r| round(r, 3)),
        })).collect::<Vec<_>>(),
        "not_computed": not_computed,
        "sources": SOURCES.iter().map(|a| a.text()).collect::<Vec<_>>(),
    });
    out.json("summary.json", &summary)?;

    // Maps.
    let maps = progress.step("maps", || -> Result<(), AnalyseError> {
        let map_aeds: Vec<crate::export::MapAed> = centres
            .iter()
            .map(|&(e, n)| crate::export::MapAed {
                position: Point::new(e, n),
                access: AccessClass::Unknown,
            })
            .collect();
        let layers: Vec<crate::export::CoverageLayer> = coverage
            .iter()
            .filter(|(r, _)| *r == MAIN_RADIUS_M || *r == 200.0)
            .map(|(r, s)| crate::export::CoverageLayer {
                radius_m: *r,
                label: None,
                shape: s.clone(),
            })
            .collect();
        let in_ranked: Vec<&DistrictGeo> = figures
            .iter()
            .filter(|f| f.aeds_counted.is_some())
            .filter_map(|f| f.geo.as_ref())
            .collect();
        let pts: Vec<(f64, f64)> = in_ranked.iter().map(|g| g.centroid_m).chain(centres.iter().copied()).collect();
        let extent = bbox(&pts).unwrap_or_else(|| Rect::new((430_000.0, 280_000.0), (500_000.0, 340_000.0)));
        let notes = vec![
            format!(
                "{} of the report's {} AEDs are shown: the EMAS-managed ones placed on their postcode. The other {} have no published location, so this map shows where coverage is known, not where it is missing.",
                located.len(),
                table.total_aeds,
                unlocated_total
            ),
            "Access class not published: every AED is drawn as 'access not known'.".to_owned(),
        ];
        let attribution: Vec<String> = SOURCES.iter().map(|a| a.short().to_owned()).collect();
        let spec = crate::export::MapSpec {
            title: "Leicestershire: located public-access defibrillators".into(),
            subtitle: Some(format!(
                "{} of {} AEDs located · {} cardiac arrests ({} in an unknown district) · coverage at 200 m and 500 m",
                located.len(),
                table.total_aeds,
                super::report::thousands(u64::from(table.total_arrests)),
                table.unknown_arrests
            )),
            extent,
            crs_label: "British National Grid (EPSG:27700)".into(),
            areas: Vec::new(),
            area_legend: None,
            coverage: layers.clone(),
            gaps: None,
            aeds: map_aeds.clone(),
            sites: Vec::new(),
            attribution: attribution.clone(),
            notes,
        };
        out.map("map_overview", &spec)?;
        for (i, f) in worst.iter().enumerate() {
            let Some(g) = &f.geo else { continue };
            let half = (g.area_km2.sqrt() * 1000.0 / 2.0).max(2_000.0);
            let (x, y) = g.centroid_m;
            let spec = crate::export::MapSpec {
                title: format!("{}: {} arrests per counted AED", f.district, num(f.arrests_per_aed.unwrap_or(0.0), 1)),
                subtitle: Some(format!(
                    "{} arrests · {} AEDs counted · {} located · {} km² · {} residents (Census 2021, LLR part)",
                    opt(f.arrests),
                    opt(f.aeds_counted),
                    f.aeds_located,
                    num(g.area_km2, 1),
                    super::report::thousands(g.residents)
                )),
                extent: Rect::new((x - half, y - half), (x + half, y + half)),
                crs_label: "British National Grid (EPSG:27700)".into(),
                areas: Vec::new(),
                area_legend: None,
                coverage: layers.clone(),
                gaps: None,
                aeds: map_aeds.clone(),
                sites: Vec::new(),
                attribution: attribution.clone(),
                notes: vec![
                    "Centred on the district's centroid; the square spans the district's land area. The district boundary is open data and is not embedded.".to_owned(),
                    format!(
                        "Of {} AEDs counted here only {} located; the map cannot show gaps.",
                        opt(f.aeds_counted),
                        f.aeds_located
                    ),
                ],
            };
            out.map(&format!("map_worst_{}_{}", i + 1, f.district), &spec)?;
        }
        Ok(())
    });
    maps?;

    let report = super::report::default_report(&super::report::DefaultFacts {
        table: &table,
        located: located.len(),
        emas_listed: emas.len(),
        unlocated_total,
        coverage: coverage
            .iter()
            .map(|(r, s)| (*r, s.unsigned_area() / 1e6))
            .collect(),
        worst: worst
            .iter()
            .map(|f| super::report::DistrictLine {
                district: f.district.clone(),
                aeds_counted: f.aeds_counted,
                aeds_located: f.aeds_located,
                arrests: f.arrests,
                arrests_per_aed: f.arrests_per_aed,
                land_km2: f.geo.as_ref().map(|g| g.area_km2),
                residents: f.geo.as_ref().map(|g| g.residents),
                max_land_share_500m: f.max_land_share(MAIN_RADIUS_M),
            })
            .collect(),
        all: figures
            .iter()
            .map(|f| super::report::DistrictLine {
                district: f.district.clone(),
                aeds_counted: f.aeds_counted,
                aeds_located: f.aeds_located,
                arrests: f.arrests,
                arrests_per_aed: f.arrests_per_aed,
                land_km2: f.geo.as_ref().map(|g| g.area_km2),
                residents: f.geo.as_ref().map(|g| g.residents),
                max_land_share_500m: f.max_land_share(MAIN_RADIUS_M),
            })
            .collect(),
        not_computed: &not_computed,
        sources: &SOURCES,
        map_files: out
            .files
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "png"))
            .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .collect(),
    });
    out.text("report.md", &report)?;

    let headline = vec![
        format!(
            "{} AEDs counted in the report; {} located (EMAS-managed, on their postcode); {} without location",
            table.total_aeds,
            located.len(),
            unlocated_total
        ),
        format!(
            "{} cardiac arrests ({} in an unknown district)",
            super::report::thousands(u64::from(table.total_arrests)),
            table.unknown_arrests
        ),
        format!(
            "land within 500 m of a located AED: {} km² (of {} km² in the districts with counted AEDs)",
            num(
                coverage.last().map_or(0.0, |c| c.1.unsigned_area() / 1e6),
                1
            ),
            num(aed_district_land_km2, 0)
        ),
        "not computable without AED locations: coverage of arrests, gaps, criticality, sites"
            .to_owned(),
    ];
    Ok(AnalyseSummary {
        title: "Leicestershire (embedded default: seeds/ and data/)".into(),
        out_dir: dir.to_path_buf(),
        files: out.files,
        headline,
    })
}

fn bbox(pts: &[(f64, f64)]) -> Option<Rect<f64>> {
    let mp = geo_types::MultiPoint::new(pts.iter().map(|&(x, y)| Point::new(x, y)).collect());
    mp.bounding_rect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_tables_parse() {
        let d = read_districts().unwrap();
        assert_eq!(d.len(), 31);
        let e = read_emas().unwrap();
        assert_eq!(e.len(), 25);
        assert_eq!(e.iter().filter(|a| a.position_m.is_some()).count(), 24);
    }

    #[test]
    fn upper_bound_is_capped_at_one() {
        let f = DistrictFigures {
            district: "LE1".into(),
            aeds_counted: Some(17),
            arrests: Some(1),
            arrests_per_aed: None,
            aeds_located: 0,
            geo: read_districts()
                .unwrap()
                .into_iter()
                .find(|g| g.district == "LE1"),
        };
        // 17 x 0.785 km² = 13.4 km² > 3.285 km² of land.
        assert_eq!(f.max_land_share(500.0), Some(1.0));
        let g = DistrictFigures {
            aeds_counted: Some(1),
            ..f
        };
        let b = g.max_land_share(500.0).unwrap();
        assert!((b - std::f64::consts::PI * 0.25 / 3.285).abs() < 1e-9);
    }

    #[test]
    fn district_of_sector() {
        assert_eq!(district_of("LE12 7").as_deref(), Some("LE12"));
        assert_eq!(district_of("").as_deref(), None);
    }
}
