//! A full study: registry → demand → coverage → areas, gaps, criticality → siting → outputs.

use std::collections::HashMap;
use std::path::Path;

use geo::{Area, BoundingRect};
use geo_types::{MultiPolygon, Point, Rect};
use serde_json::json;

use super::output::{self, Attribution, Outputs, round};
use super::report::{self, StudyFacts};
use super::{AnalyseError, AnalyseSummary};
use crate::coverage::circles::{CircleFit, circles_union};
use crate::coverage::{
    AreaInput, CoverageConfig, DemandPoint, FacilityIndex, ReadyRule, Scenario, area_stats,
    criticality, gaps, select, to_bng,
};
use crate::demand::{
    DemandLevel, SpreadReport, UnitTable, read_counts, residents_as_demand, spread,
};
use crate::export::csv_out::{num, text};
use crate::export::{CsvTable, Feature, Progress, Value, bng_to_wgs84_geometry};
use crate::geography::{
    AreaLayer, AreaOptions, PostcodeIndex, PostcodeLevel, ResidentsByPostcode, UnitPosition,
};
use crate::registry::{AccessClass, Aed, Coord};
use crate::siting::{
    CandidateSite, CostModel, CoveringInstance, DemandSite, ExistingSite, InstanceOptions,
    Objective, greedy,
};
use crate::study::{Demand, ImportKind, RegistrySource, Study};

fn input(e: impl std::fmt::Display) -> AnalyseError {
    AnalyseError::Input(e.to_string())
}

fn meta(pairs: &[(&str, Value)]) -> Vec<(String, Value)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

/// One area with its layer name and statistics.
struct AreaRow {
    layer: String,
    stats: crate::coverage::stats::AreaStats,
    shape: MultiPolygon<f64>,
}

/// Runs `study` into `dir`.
pub fn run(study: &Study, dir: &Path, progress: &Progress) -> Result<AnalyseSummary, AnalyseError> {
    let mut notes: Vec<String> = Vec::new();
    let mut sources: Vec<Attribution> = Vec::new();
    let main_radius = 500.0;

    // Registry.
    let (aeds, registry_bad_rows): (Vec<Aed>, usize) = match &study.registry {
        RegistrySource::Aeds(path) => {
            let f = crate::registry::read_aeds(path, crate::registry::ReadOptions::default())
                .map_err(input)?;
            for e in f.errors.iter().take(20) {
                notes.push(format!("registry row skipped: {e}"));
            }
            let bad = f.bad_rows();
            (f.aeds, bad)
        }
        RegistrySource::Import { kind, path } => {
            let (aeds, rep) = match kind {
                ImportKind::Osm => {
                    sources.push(Attribution::Osm);
                    crate::import::import_osm(path).map_err(input)?
                }
                ImportKind::Csv => crate::import::import_table(path).map_err(input)?,
            };
            for r in rep.rejected.iter().take(20) {
                notes.push(format!("AED record not imported: {r}"));
            }
            (aeds, rep.rejected.len())
        }
    };
    if let Some(known) = study.registry_known_total {
        let missing = known.saturating_sub(aeds.len() as u64);
        if missing > 0 {
            notes.insert(
                0,
                format!(
                    "Most existing AEDs are not located in this data: {known} AEDs are known to exist, the registry here holds {}, so {missing} are missing from every figure. Coverage is understated and suggested sites may duplicate AEDs that already exist.",
                    aeds.len()
                ),
            );
        }
    }
    if study.file.to_string_lossy().contains("trafford")
        || matches!(&study.registry, RegistrySource::Import { path, .. } if path.to_string_lossy().contains("trafford"))
    {
        sources.push(Attribution::Trafford);
    }
    let guardians = match &study.guardians {
        Some(p) => Some(
            crate::registry::read_guardians(p, crate::registry::ReadOptions::default())
                .map_err(input)?
                .guardians,
        ),
        None => None,
    };

    // Postcode units (and residents).
    let (units, unit_filter_used) = match &study.postcodes {
        Some(pc) => {
            sources.push(Attribution::CodePoint);
            let (index, load) = progress
                .step("loading Code-Point Open", || {
                    PostcodeIndex::load(&pc.codepoint)
                })
                .map_err(input)?;
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
            let chosen: Vec<(String, f64, f64)> = index
                .iter_with_district()
                .filter(|(code, _, d)| keep(code, *d))
                .map(|(code, r, _)| (code, r.easting_m, r.northing_m))
                .collect();
            let residents: Option<ResidentsByPostcode> = match &study.population {
                Some(pop) => {
                    sources.push(Attribution::Ons);
                    let r = progress.step(
                        "apportioning residents",
                        || -> Result<ResidentsByPostcode, AnalyseError> {
                            let (lsoas, _) = AreaLayer::from_geojson_files(
                                &pop.lsoa_geojson,
                                &AreaOptions::lsoa21(),
                            )
                            .map_err(input)?;
                            let population =
                                crate::geography::population::read_lsoa_population(&pop.lsoa_csv)
                                    .map_err(input)?;
                            let positions: Vec<UnitPosition> = chosen
                                .iter()
                                .map(|(c, e, n)| UnitPosition {
                                    postcode: c.clone(),
                                    easting_m: *e,
                                    northing_m: *n,
                                })
                                .collect();
                            ResidentsByPostcode::apportion(&lsoas, &population, &positions)
                                .map_err(input)
                        },
                    )?;
                    Some(r)
                }
                None => None,
            };
            let (table, skipped) = UnitTable::new(chosen.iter().map(|(c, e, n)| {
                let res = residents.as_ref().and_then(|r| r.get(c)).unwrap_or(0) as f64;
                (c.clone(), *e, *n, res)
            }));
            if !skipped.is_empty() {
                notes.push(format!(
                    "{} postcode units skipped (not a full unit or no coordinates)",
                    skipped.len()
                ));
            }
            (
                Some(table),
                !pc.admin_districts.is_empty() || !pc.postcode_areas.is_empty(),
            )
        }
        None => (None, false),
    };
    let need_units = || {
        units.as_ref().ok_or_else(|| {
            input(format!(
                "{}: demand by postcode needs [postcodes]",
                study.file.display()
            ))
        })
    };

    // Demand.
    let (demand, spread_report): (Vec<DemandPoint>, SpreadReport) = match &study.demand {
        Demand::PostcodeCounts { path, level } => {
            let rows = read_counts(path).map_err(input)?;
            let level = match level.as_str() {
                "auto" => DemandLevel::Auto,
                "unit" => DemandLevel::Fixed(PostcodeLevel::Unit),
                "sector" => DemandLevel::Fixed(PostcodeLevel::Sector),
                "district" => DemandLevel::Fixed(PostcodeLevel::District),
                "area" => DemandLevel::Fixed(PostcodeLevel::Area),
                other => {
                    return Err(input(format!(
                        "{}: demand.level: expected auto, unit, sector, district or area ({other})",
                        study.file.display()
                    )));
                }
            };
            spread(&rows, need_units()?, level)
        }
        Demand::Points { path } => {
            let pts =
                crate::demand::read_points(path, &crate::demand::PointCrs::Bng).map_err(input)?;
            let total: f64 = pts.iter().map(|p| p.weight).sum();
            (
                pts,
                SpreadReport {
                    input_total: total,
                    placed_total: total,
                    ..Default::default()
                },
            )
        }
        Demand::PostcodeUnits => {
            let u = need_units()?;
            let pts: Vec<DemandPoint> = (0..u.len()).map(|i| u.demand_point(i, 1.0)).collect();
            let total = pts.len() as f64;
            notes.push(format!(
                "demand is a proxy: {} postcode units with weight 1 each (no arrest data for this study); read % covered as % of postcode units",
                pts.len()
            ));
            (
                pts,
                SpreadReport {
                    rows: u.len(),
                    input_total: total,
                    placed_total: total,
                    ..Default::default()
                },
            )
        }
        Demand::Residents => {
            let pts = residents_as_demand(need_units()?);
            let total: f64 = pts.iter().map(|p| p.weight).sum();
            (
                pts,
                SpreadReport {
                    input_total: total,
                    placed_total: total,
                    ..Default::default()
                },
            )
        }
    };

    // Counted AEDs.
    let scenario: Scenario = study
        .analysis
        .scenario
        .parse()
        .map_err(|e| input(format!("{}: analysis.scenario: {e}", study.file.display())))?;
    let as_of = study
        .analysis
        .as_of
        .unwrap_or_else(|| chrono::Local::now().date_naive());
    let ready = ReadyRule {
        as_of,
        max_days_since_check: study.analysis.ready_max_days_since_check,
    };
    let selection = select(&aeds, scenario, &ready, &to_bng);
    let index = FacilityIndex::new(selection.facilities.clone());
    let config = CoverageConfig {
        radii_m: study.analysis.radii_m.clone(),
        detour_factor: study.analysis.detour_factor,
    };
    let result = progress
        .step("coverage", || {
            crate::coverage::assess(&index, &demand, &config)
        })
        .map_err(input)?;
    let totals = result.totals(&demand);
    let main_k = config
        .radii_m
        .iter()
        .position(|r| *r == main_radius)
        .unwrap_or(config.radii_m.len() - 1);
    let eff = config.effective_radii_m();
    let crit = criticality(&index, &demand, &config).map_err(input)?;
    let crit_by_id: HashMap<String, f64> = crit
        .iter()
        .map(|c| {
            (
                index.facilities()[c.facility as usize].id.clone(),
                c.demand_sole[main_k],
            )
        })
        .collect();

    // Area layers and the study area.
    let mut area_rows: Vec<AreaRow> = Vec::new();
    for spec in &study.areas {
        let (layer, repairs) = AreaLayer::from_geojson_files(
            &spec.paths,
            &AreaOptions::new(&spec.id_property, spec.name_property.as_deref()),
        )
        .map_err(input)?;
        if spec
            .paths
            .iter()
            .any(|p| p.to_string_lossy().contains("wikipedia"))
        {
            sources.push(Attribution::Wikipedia);
        } else {
            sources.push(Attribution::Ons);
        }
        if !repairs.is_empty() {
            notes.push(format!(
                "{}: {} geometries repaired",
                spec.name,
                repairs.len()
            ));
        }
        let kept: Vec<AreaInput> = layer
            .areas()
            .iter()
            .filter(|a| spec.keep_ids.is_empty() || spec.keep_ids.contains(&a.id))
            .map(|a| (a.id.clone(), a.name.clone(), a.geometry_m.clone()))
            .collect();
        let missing: Vec<&String> = spec
            .keep_ids
            .iter()
            .filter(|id| !kept.iter().any(|a| &a.0 == *id))
            .collect();
        if !missing.is_empty() {
            notes.push(format!("{}: no polygon for {:?}", spec.name, missing));
        }
        let stats = progress.step(&format!("statistics for {}", spec.name), || {
            area_stats(
                &kept,
                &index,
                &demand,
                &result,
                &crate::seeds::aed_counts_by_district().unwrap_or_default(),
            )
        });
        for (s, a) in stats.into_iter().zip(kept) {
            area_rows.push(AreaRow {
                layer: spec.name.clone(),
                stats: s,
                shape: a.2,
            });
        }
    }
    let first_layer = study.areas.first().map(|a| a.name.clone());
    let study_area: MultiPolygon<f64> = progress.step("study area", || match &first_layer {
        Some(name) => {
            // Rings are oriented first: the overlay's fill rule would otherwise let a
            // clockwise polygon (LE15 after its repair) cancel out instead of adding.
            use geo::orient::{Direction, Orient};
            let oriented: Vec<geo_types::Polygon<f64>> = area_rows
                .iter()
                .filter(|r| &r.layer == name)
                .flat_map(|r| r.shape.0.iter().map(|p| p.orient(Direction::Default)))
                .collect();
            geo::unary_union(&oriented)
        }
        None => {
            let centres: Vec<(f64, f64)> = demand.iter().map(|d| (d.x_m, d.y_m)).collect();
            circles_union(
                &centres,
                study.analysis.study_buffer_m,
                CircleFit::EqualArea,
                None,
            )
        }
    });
    if first_layer.is_none() {
        notes.push(format!(
            "no area polygons: the study area is the union of {} m circles round the demand points ({} km²)",
            study.analysis.study_buffer_m,
            num(study_area.unsigned_area() / 1e6, 1)
        ));
    }
    let gap_list = progress.step("gaps", || {
        gaps(&study_area, &index, &demand, &result, main_k)
    });
    let centres: Vec<(f64, f64)> = index.facilities().iter().map(|f| (f.x_m, f.y_m)).collect();
    let coverage: Vec<(f64, MultiPolygon<f64>)> = progress.step("coverage polygons", || {
        config
            .radii_m
            .iter()
            .zip(&eff)
            .map(|(r, e)| {
                (
                    *r,
                    circles_union(&centres, *e, CircleFit::EqualArea, Some(&study_area)),
                )
            })
            .collect()
    });

    // Siting.
    let siting = match &study.siting {
        None => None,
        Some(s) => Some(progress.step("siting", || {
            site(
                study,
                s,
                &demand,
                &index,
                units.as_ref(),
                unit_filter_used,
                &mut notes,
            )
        })?),
    };

    // Attention: readiness triage ranked by criticality.
    let mut check_opts = crate::registry::CheckOptions::new(as_of);
    check_opts.check_days = study.analysis.ready_max_days_since_check;
    let mut triage = crate::registry::check(&aeds, guardians.as_deref(), &check_opts);
    triage.rank_by_criticality(&crit_by_id);

    sources.sort();
    sources.dedup();
    let mut out = Outputs::new(dir);
    let src = &sources;
    let radius_meta = |r: f64| -> Vec<(String, Value)> {
        meta(&[
            ("radius_m", Value::from(r)),
            ("detour_factor", Value::from(config.detour_factor)),
            (
                "distance",
                Value::from(if config.detour_factor == 1.0 {
                    "straight_line"
                } else {
                    "straight_line_with_detour_factor"
                }),
            ),
            ("scenario", Value::from(scenario.label())),
        ])
    };

    // aeds.geojson: public fields only; never guardian contact data.
    let guardian_ids: Option<std::collections::HashSet<&str>> = guardians
        .as_ref()
        .map(|g| g.iter().map(|g| g.id.as_str()).collect());
    let mut aed_layer = output::layer(
        "aeds",
        src,
        meta(&[
            ("aeds_in_registry", Value::from(aeds.len())),
            (
                "aeds_without_position",
                Value::from(selection.counts.unlocated + selection.counts.not_converted),
            ),
        ]),
    );
    let mut sorted_aeds: Vec<&Aed> = aeds.iter().collect();
    sorted_aeds.sort_by(|a, b| a.id.cmp(&b.id));
    for a in &sorted_aeds {
        let Some(loc) = &a.location else { continue };
        let Ok((e, n)) = to_bng(&loc.coord) else {
            continue;
        };
        let has_guardian = match (&a.guardian_id, &guardian_ids) {
            (None, _) => false,
            (Some(g), Some(ids)) => ids.contains(g.as_str()),
            (Some(_), None) => true,
        };
        let geom = match loc.coord {
            Coord::Wgs84 { lon, lat } => Point::new(lon, lat).into(),
            Coord::Bng { .. } => bng_to_wgs84_geometry(&Point::new(e, n).into())?,
        };
        aed_layer.features.push(
            Feature::new(a.id.as_str(), geom)
                .with("name", a.name.as_str())
                .with("address", a.address.as_str())
                .with("postcode", a.postcode.as_str())
                .with("access", a.access.as_str())
                .with("opening_hours", a.opening_hours.as_deref())
                .with("managed_by", a.managed_by.as_str())
                .with("status", a.status.as_str())
                .with("location_source", loc.source.as_str())
                .with("has_guardian", has_guardian)
                .with(
                    "criticality_arrests_500m",
                    crit_by_id.get(&a.id).map(|c| round(*c, 3)),
                ),
        );
    }
    out.layer("aeds.geojson", &aed_layer)?;

    for (r, shape) in &coverage {
        let mut l = output::layer(&format!("coverage_{r}m"), src, radius_meta(*r));
        if !shape.0.is_empty() {
            l.features.push(
                Feature::new(
                    format!("coverage-{r}m"),
                    bng_to_wgs84_geometry(&without_slivers(shape).into())?,
                )
                .with("radius_m", *r)
                .with("aeds_counted", centres.len())
                .with("area_km2", Value::rounded(shape.unsigned_area() / 1e6, 3)),
            );
        }
        out.layer(&format!("coverage_{r}m.geojson"), &l)?;
    }

    let mut gap_layer = output::layer("gaps", src, radius_meta(config.radii_m[main_k]));
    for g in &gap_list {
        let Some(poly) = polygon_without_slivers(&g.polygon) else {
            continue;
        };
        gap_layer.features.push(
            Feature::new(g.id.as_str(), bng_to_wgs84_geometry(&poly.into())?)
                .with("rank", g.rank)
                .with("radius_m", g.radius_m)
                .with("area_km2", Value::rounded(g.area_km2, 4))
                .with("demand_uncovered", Value::rounded(g.demand, 4))
                .with("residents", Value::rounded(g.residents, 1))
                .with("demand_points", g.demand_points),
        );
    }
    out.layer("gaps.geojson", &gap_layer)?;

    // areas.geojson / areas.csv.
    let radius_cols = |what: &str| {
        config
            .radii_m
            .iter()
            .map(move |r| format!("{what}_{r}m"))
            .collect::<Vec<_>>()
    };
    let mut headers: Vec<String> = [
        "layer",
        "id",
        "name",
        "land_area_km2",
        "aeds_located",
        "aeds_known_by_count",
        "demand",
        "residents",
        "demand_per_aed",
        "median_distance_m",
        "p90_distance_m",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for w in [
        "pct_demand_covered",
        "pct_residents_covered",
        "demand_uncovered",
        "pct_land_within",
    ] {
        headers.extend(radius_cols(w));
    }
    let mut area_csv = CsvTable::new(headers);
    let mut area_layer = output::layer("areas", src, radius_meta(config.radii_m[main_k]));
    for (i, row) in area_rows.iter().enumerate() {
        let s = &row.stats;
        let mut cells = vec![
            text(&row.layer),
            text(&s.id),
            text(&s.name),
            num(s.land_area_km2, 3),
            s.aeds_located.to_string(),
            s.aeds_known_by_count
                .map_or_else(String::new, |n| n.to_string()),
            num(s.demand, 3),
            num(s.residents, 0),
            s.demand_per_aed.map_or_else(String::new, |v| num(v, 3)),
            s.median_distance_m.map_or_else(String::new, |v| num(v, 1)),
            s.p90_distance_m.map_or_else(String::new, |v| num(v, 1)),
        ];
        let mut f = Feature::new(
            format!("{}:{}", i + 1, s.id),
            bng_to_wgs84_geometry(&without_slivers(&row.shape).into())?,
        )
        .with("layer", row.layer.as_str())
        .with("area_id", s.id.as_str())
        .with("name", s.name.as_str())
        .with("land_area_km2", Value::rounded(s.land_area_km2, 3))
        .with("aeds_located", s.aeds_located)
        .with("aeds_known_by_count", s.aeds_known_by_count)
        .with("demand", Value::rounded(s.demand, 3))
        .with("residents", Value::rounded(s.residents, 0))
        .with("demand_per_aed", s.demand_per_aed.map(|v| round(v, 3)))
        .with(
            "median_distance_m",
            s.median_distance_m.map(|v| round(v, 1)),
        )
        .with("p90_distance_m", s.p90_distance_m.map(|v| round(v, 1)));
        type Get = fn(&crate::coverage::stats::AreaRadiusStats) -> f64;
        let getters: [(&str, Get, i32); 4] = [
            ("pct_demand_covered", |r| r.pct_demand_covered, 2),
            ("pct_residents_covered", |r| r.pct_residents_covered, 2),
            ("demand_uncovered", |r| r.demand_uncovered, 3),
            ("pct_land_within", |r| r.pct_land_within, 2),
        ];
        for (name, get, d) in getters {
            for rs in &s.radii {
                let v = get(rs);
                cells.push(num(v, d as usize));
                f = f.with(
                    format!("{name}_{}m", rs.radius_m),
                    if v.is_finite() {
                        Value::rounded(v, d as u32)
                    } else {
                        Value::Null
                    },
                );
            }
        }
        area_csv.push(cells);
        area_layer.features.push(f);
    }
    out.layer("areas.geojson", &area_layer)?;
    out.table("areas.csv", &area_csv)?;

    // sites.geojson.
    let mut site_layer = output::layer(
        "sites",
        src,
        meta(&[(
            "radius_m",
            Value::from(study.siting.as_ref().map_or(main_radius, |s| s.radius_m)),
        )]),
    );
    if let Some(s) = &siting {
        for site in &s.sites {
            site_layer.features.push(
                Feature::new(
                    site.rank,
                    bng_to_wgs84_geometry(&Point::new(site.x_m, site.y_m).into())?,
                )
                .with("rank", site.rank)
                .with("candidate", site.id.as_str())
                .with("marginal_arrests", Value::rounded(site.marginal_arrests, 3))
                .with(
                    "cumulative_arrests",
                    Value::rounded(site.cumulative_arrests, 3),
                )
                .with(
                    "marginal_residents",
                    Value::rounded(site.marginal_residents, 0),
                )
                .with(
                    "nearest_existing_aed_distance_m",
                    site.nearest_existing_m.map(|d| round(d, 1)),
                )
                .with("cost_capital_gbp", Value::rounded(s.cost.capital_gbp, 2))
                .with(
                    "cost_total_high_gbp",
                    Value::rounded(s.cost.total_high_gbp, 2),
                )
                .with("cost_years", s.cost.years),
            );
        }
    }
    out.layer("sites.geojson", &site_layer)?;

    // attention.
    let aed_by_id: HashMap<&str, &Aed> = aeds.iter().map(|a| (a.id.as_str(), a)).collect();
    let mut att_csv = CsvTable::new([
        "rank",
        "id",
        "name",
        "postcode",
        "status",
        "has_guardian",
        "problems",
        "criticality_arrests_500m",
        "easting_m",
        "northing_m",
    ]);
    let mut att_layer = output::layer(
        "attention",
        src,
        meta(&[
            ("as_of", Value::from(as_of.to_string())),
            (
                "ranking",
                Value::from(
                    "arrests covered by this device alone at 500 m, highest first; then number of problems",
                ),
            ),
        ]),
    );
    for (i, d) in triage.devices.iter().enumerate() {
        let pos = aed_by_id
            .get(d.id.as_str())
            .and_then(|a| a.location.as_ref())
            .and_then(|l| to_bng(&l.coord).ok());
        let no_guardian = d
            .problems
            .iter()
            .any(|p| matches!(p, crate::registry::Problem::NoGuardian { .. }));
        let problems = d
            .problems
            .iter()
            .map(|p| p.to_string())
            .collect::<Vec<_>>()
            .join("; ");
        att_csv.push(vec![
            (i + 1).to_string(),
            text(&d.id),
            text(&d.name),
            text(&d.postcode),
            d.status.as_str().to_owned(),
            (if no_guardian { "no" } else { "yes" }).to_owned(),
            text(&problems),
            d.criticality.map_or_else(String::new, |c| num(c, 3)),
            pos.map_or_else(String::new, |p| num(p.0, 0)),
            pos.map_or_else(String::new, |p| num(p.1, 0)),
        ]);
        if let Some((e, n)) = pos {
            att_layer.features.push(
                Feature::new(
                    d.id.as_str(),
                    bng_to_wgs84_geometry(&Point::new(e, n).into())?,
                )
                .with("rank", i + 1)
                .with("name", d.name.as_str())
                .with("postcode", d.postcode.as_str())
                .with("status", d.status.as_str())
                .with("has_guardian", !no_guardian)
                .with("problems", problems.as_str())
                .with(
                    "criticality_arrests_500m",
                    d.criticality.map(|c| round(c, 3)),
                ),
            );
        }
    }
    out.layer("attention.geojson", &att_layer)?;
    out.table("attention.csv", &att_csv)?;

    // summary.json.
    let acc = &spread_report;
    let radii_json: Vec<serde_json::Value> = totals
        .iter()
        .map(|t| json!({
            "radius_m": t.radius_m, "effective_radius_m": round(t.effective_radius_m, 3),
            "demand_total": round(t.demand_total, 6), "demand_covered": round(t.demand_covered, 6),
            "demand_uncovered": round(t.demand_total - t.demand_covered, 6), "pct_covered": round(t.pct_covered, 3),
            "residents_total": round(t.residents_total, 0), "residents_covered": round(t.residents_covered, 0),
            "pct_residents_covered": round(t.pct_residents_covered, 3),
            "points_total": t.points_total, "points_covered": t.points_covered,
        }))
        .collect();
    let main = &totals[main_k];
    let worst = worst_areas(
        &area_rows,
        first_layer.as_deref(),
        main_k,
        study.output.worst_areas,
    );
    let summary = json!({
        "schema_version": 1,
        "kind": "study",
        "title": study.title,
        "study_file": study.file.file_name().map(|n| n.to_string_lossy().into_owned()),
        "demand_kind": study.demand.label(),
        "scenario": scenario.label(),
        "as_of": as_of.to_string(),
        "detour_factor": config.detour_factor,
        "radii": radii_json,
        "demand": {
            "input_total": round(acc.input_total, 6),
            "placed_total": round(acc.placed_total, 6),
            "covered_500m": round(main.demand_covered, 6),
            "uncovered_500m": round(main.demand_total - main.demand_covered, 6),
            "unknown_total": round(acc.unknown_total, 6),
            "unmatched_total": round(acc.unmatched_total, 6),
            "unmatched": acc.unmatched.iter().take(50).map(|u| json!({"source": u.source, "postcode": u.postcode, "weight": u.weight, "reason": u.reason})).collect::<Vec<_>>(),
            "placement_error": acc.placement_error,
            "points": demand.len(),
        },
        "aeds": {
            "registry_total": selection.counts.registry_total,
            "counted": selection.counts.counted,
            "without_position": selection.counts.unlocated,
            "not_converted": selection.counts.not_converted,
            "retired": selection.counts.retired,
            "excluded_by_scenario": selection.counts.excluded_by_scenario,
            "bad_rows": registry_bad_rows,
        },
        "attention": {
            "devices_with_problems": triage.devices.len(),
            "without_guardian": triage.summary.count(crate::registry::ProblemKind::NoGuardian),
        },
        "study_area_km2": round(study_area.unsigned_area() / 1e6, 3),
        "gaps": {"radius_m": config.radii_m[main_k], "count": gap_list.len(), "demand_in_gaps": round(gap_list.iter().map(|g| g.demand).sum::<f64>(), 6)},
        "areas": area_rows.len(),
        "worst_areas": worst.iter().map(|r| json!({"layer": r.layer, "id": r.stats.id, "demand_uncovered": round(r.stats.radii[main_k].demand_uncovered, 3), "pct_demand_covered": round(r.stats.radii[main_k].pct_demand_covered, 2)})).collect::<Vec<_>>(),
        "siting": siting.as_ref().map(|s| json!({
            "k": s.sites.len(), "radius_m": s.radius_m, "candidates": s.candidates, "candidates_given": s.candidates_given,
            "extra_arrests_covered": round(s.sites.last().map_or(0.0, |x| x.cumulative_arrests), 6),
            "greedy_bound_1_minus_1_over_e": round(s.bound, 6),
            "cost_per_site_capital_gbp": round(s.cost.capital_gbp, 2),
            "cost_per_site_total_low_gbp": round(s.cost.total_low_gbp, 2),
            "cost_per_site_total_high_gbp": round(s.cost.total_high_gbp, 2),
            "cost_years": s.cost.years,
            "installation_included": s.installation_gbp > 0.0,
        })),
        "notes": notes,
        "sources": sources.iter().map(|a| a.text()).collect::<Vec<_>>(),
    });
    out.json("summary.json", &summary)?;

    // Maps.
    let attribution: Vec<String> = sources.iter().map(|a| a.short().to_owned()).collect();
    let map_aeds: Vec<crate::export::MapAed> = index
        .facilities()
        .iter()
        .map(|f| crate::export::MapAed {
            position: Point::new(f.x_m, f.y_m),
            access: aed_by_id
                .get(f.id.as_str())
                .map_or(AccessClass::Unknown, |a| a.access),
        })
        .collect();
    let map_sites: Vec<crate::export::MapSite> = siting.as_ref().map_or_else(Vec::new, |s| {
        s.sites
            .iter()
            .map(|x| crate::export::MapSite {
                rank: x.rank as u32,
                position: Point::new(x.x_m, x.y_m),
            })
            .collect()
    });
    let cov_layers: Vec<crate::export::CoverageLayer> = coverage
        .iter()
        .filter(|(r, _)| *r == main_radius || *r == 200.0)
        .map(|(r, s)| crate::export::CoverageLayer {
            radius_m: *r,
            label: None,
            shape: s.clone(),
        })
        .collect();
    let gap_shape = MultiPolygon::new(gap_list.iter().map(|g| g.polygon.clone()).collect());
    let main_areas: Vec<&AreaRow> = area_rows
        .iter()
        .filter(|r| Some(&r.layer) == first_layer.as_ref())
        .collect();
    let spec_for = |title: String,
                    subtitle: String,
                    extent: Rect<f64>,
                    highlight: Option<&str>,
                    notes: Vec<String>| crate::export::MapSpec {
        title,
        subtitle: Some(subtitle),
        extent,
        crs_label: "British National Grid (EPSG:27700)".into(),
        areas: main_areas
            .iter()
            .map(|r| crate::export::MapArea {
                label: Some(r.stats.id.clone()),
                shape: r.shape.clone(),
                highlight: Some(r.stats.id.as_str()) == highlight,
            })
            .collect(),
        area_legend: first_layer.clone().map(|n| format!("{n} boundary")),
        coverage: cov_layers.clone(),
        gaps: (!gap_shape.0.is_empty()).then(|| crate::export::GapLayer {
            label: format!("Beyond {main_radius} m of every counted AED"),
            shape: gap_shape.clone(),
        }),
        aeds: map_aeds.clone(),
        sites: map_sites.clone(),
        attribution: attribution.clone(),
        notes,
    };
    let extent = study_area
        .bounding_rect()
        .unwrap_or_else(|| Rect::new((0.0, 0.0), (1.0, 1.0)));
    let mut overview_notes = vec![format!(
        "{} of {} registry AEDs counted ({} without a position). {}% of {} within {} m.",
        selection.counts.counted,
        selection.counts.registry_total,
        selection.counts.unlocated + selection.counts.not_converted,
        num(main.pct_covered, 1),
        study.demand.label(),
        main_radius
    )];
    overview_notes.extend(
        notes
            .iter()
            .filter(|n| n.starts_with("demand is a proxy") || n.starts_with("no area polygons"))
            .cloned(),
    );
    let maps = progress.step("maps", || -> Result<Vec<String>, AnalyseError> {
        let mut names = Vec::new();
        out.map("map_overview", &spec_for(study.title.clone(), format!("Coverage at 200 m and 500 m · gaps at {main_radius} m · {} suggested sites", map_sites.len()), extent, None, overview_notes.clone()))?;
        names.push("map_overview.png".to_owned());
        for (i, r) in worst.iter().enumerate() {
            let Some(ext) = r.shape.bounding_rect() else { continue };
            let stem = format!("map_worst_{}_{}", i + 1, sanitize(&r.stats.id));
            let rs = &r.stats.radii[main_k];
            out.map(&stem, &spec_for(
                format!("{}: {} uncovered", r.stats.name, num(rs.demand_uncovered, 1)),
                format!("{}% of demand and {}% of residents within {main_radius} m · {} AEDs located", num(rs.pct_demand_covered, 1), num(rs.pct_residents_covered, 1), r.stats.aeds_located),
                ext,
                Some(&r.stats.id),
                vec![format!("{} · demand {} · residents {}", r.layer, num(r.stats.demand, 1), num(r.stats.residents, 0))],
            ))?;
            names.push(format!("{stem}.png"));
        }
        if worst.is_empty() {
            for (i, g) in gap_list.iter().take(study.output.worst_areas).enumerate() {
                let Some(ext) = g.polygon.bounding_rect() else { continue };
                let stem = format!("map_gap_{}", i + 1);
                out.map(&stem, &spec_for(
                    format!("Gap {}: {} uncovered", g.rank, num(g.demand, 1)),
                    format!("{} km² beyond {main_radius} m of every counted AED", num(g.area_km2, 2)),
                    ext,
                    None,
                    vec!["No area polygons in this study: the largest gaps are mapped instead of worst areas.".into()],
                ))?;
                names.push(format!("{stem}.png"));
            }
        }
        Ok(names)
    })?;

    let facts = StudyFacts {
        title: &study.title,
        demand_label: study.demand.label(),
        totals: &totals,
        main_k,
        input_total: acc.input_total,
        unknown_total: acc.unknown_total,
        unmatched_total: acc.unmatched_total,
        counts: &selection.counts,
        worst: worst
            .iter()
            .map(|r| (r.layer.clone(), r.stats.clone()))
            .collect(),
        gaps: &gap_list,
        siting: siting.as_ref(),
        triage_devices: triage.devices.len(),
        without_guardian: triage
            .summary
            .count(crate::registry::ProblemKind::NoGuardian),
        notes: &notes,
        sources: &sources,
        maps: &maps,
    };
    out.text("report.md", &report::study_report(&facts))?;

    let headline = vec![
        format!(
            "{} of {} AEDs counted ({} without position)",
            selection.counts.counted,
            selection.counts.registry_total,
            selection.counts.unlocated + selection.counts.not_converted
        ),
        totals
            .iter()
            .map(|t| format!("{} m: {}%", t.radius_m, num(t.pct_covered, 1)))
            .collect::<Vec<_>>()
            .join(", ")
            + &format!(" of {} covered", study.demand.label()),
        format!(
            "{} gaps at {} m; {} suggested sites",
            gap_list.len(),
            main_radius,
            siting.as_ref().map_or(0, |s| s.sites.len())
        ),
    ];
    Ok(AnalyseSummary {
        title: study.title.clone(),
        out_dir: dir.to_path_buf(),
        files: out.files,
        headline,
    })
}

/// Drops rings under 1 m² (slivers left by polygon overlay), which would collapse to fewer than
/// three distinct positions at 7 decimals of a degree.
fn without_slivers(mp: &MultiPolygon<f64>) -> MultiPolygon<f64> {
    MultiPolygon::new(mp.0.iter().filter_map(polygon_without_slivers).collect())
}

fn polygon_without_slivers(p: &geo_types::Polygon<f64>) -> Option<geo_types::Polygon<f64>> {
    const MIN_M2: f64 = 1.0;
    let ring_area =
        |r: &geo_types::LineString<f64>| geo_types::Polygon::new(r.clone(), vec![]).unsigned_area();
    if ring_area(p.exterior()) < MIN_M2 {
        return None;
    }
    let holes = p
        .interiors()
        .iter()
        .filter(|r| ring_area(r) >= MIN_M2)
        .cloned()
        .collect();
    Some(geo_types::Polygon::new(p.exterior().clone(), holes))
}

fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

fn worst_areas<'a>(
    rows: &'a [AreaRow],
    layer: Option<&str>,
    k: usize,
    n: usize,
) -> Vec<&'a AreaRow> {
    let mut v: Vec<&AreaRow> = rows
        .iter()
        .filter(|r| Some(r.layer.as_str()) == layer)
        .collect();
    v.sort_by(|a, b| {
        b.stats.radii[k]
            .demand_uncovered
            .total_cmp(&a.stats.radii[k].demand_uncovered)
            .then(a.stats.id.cmp(&b.stats.id))
    });
    v.truncate(n);
    v
}

/// One suggested site, in metres.
pub struct SiteOut {
    pub rank: usize,
    pub id: String,
    pub x_m: f64,
    pub y_m: f64,
    pub marginal_arrests: f64,
    pub cumulative_arrests: f64,
    pub marginal_residents: f64,
    pub nearest_existing_m: Option<f64>,
}

/// The siting result of a study.
pub struct SitingOut {
    pub sites: Vec<SiteOut>,
    pub radius_m: f64,
    pub candidates: String,
    pub candidates_given: usize,
    pub bound: f64,
    pub uncovered_weight: f64,
    pub cost: crate::siting::SiteCost,
    pub installation_gbp: f64,
}

fn site(
    study: &Study,
    s: &crate::study::Siting,
    demand: &[DemandPoint],
    index: &FacilityIndex,
    units: Option<&UnitTable>,
    unit_filter_used: bool,
    notes: &mut Vec<String>,
) -> Result<SitingOut, AnalyseError> {
    use crate::seeds::{AedModel, Cabinet, Vat};
    let model = AedModel::ALL[0];
    let (bundle, vat) = crate::seeds::bundle_price_gbp(model, Cabinet::MildSteel)
        .ok_or_else(|| input("no bundle price in seeds/costs.csv"))?;
    let running = crate::seeds::running_costs_gbp(model, s.years).ok_or_else(|| {
        input(format!(
            "{}: siting.years: running costs are known for 1 to 10 years ({})",
            study.file.display(),
            s.years
        ))
    })?;
    let mut costs = CostModel::new(bundle, s.installation_gbp, running, s.years);
    costs.bundle_price_plus_vat = vat == Vat::Ex;
    if let Some(e) = crate::seeds::cabinet_electricity_gbp_per_year() {
        costs.electricity_gbp_per_year = e;
    }
    if s.installation_gbp == 0.0 {
        notes.push("site costs exclude installation (the report gives no figure; set siting.installation_gbp)".into());
    }
    let k = match (s.k, s.budget_gbp) {
        (Some(k), _) => k,
        (None, Some(b)) => costs.sites_within_budget(b).map_err(input)?,
        (None, None) => 0,
    };
    // Spreading by largest shares can leave a float residue such as -2e-15 on a unit; the
    // siting instance rightly refuses negative weights, so only such noise is zeroed.
    let demand_sites: Vec<DemandSite> = demand
        .iter()
        .map(|d| DemandSite {
            id: d.id.clone(),
            x_m: d.x_m,
            y_m: d.y_m,
            arrests: if d.weight.abs() < 1e-9 { 0.0 } else { d.weight },
            residents: d.residents,
        })
        .collect();
    let candidates: Vec<CandidateSite> = match s.candidates.as_str() {
        "postcodes" if unit_filter_used => {
            let u =
                units.ok_or_else(|| input("siting.candidates = postcodes needs [postcodes]"))?;
            (0..u.len())
                .map(|i| {
                    let p = u.demand_point(i, 0.0);
                    CandidateSite {
                        id: p.id.clone(),
                        name: Some(p.id),
                        x_m: p.x_m,
                        y_m: p.y_m,
                    }
                })
                .collect()
        }
        // Without a unit filter the study's postcodes are those that carry demand.
        "postcodes" | "demand" => crate::siting::demand_candidates(&demand_sites),
        g => {
            let spacing: f64 = g
                .trim_start_matches("grid:")
                .parse()
                .map_err(|_| input(format!("siting.candidates: {g}")))?;
            crate::siting::grid_candidates(&demand_sites, spacing).map_err(input)?
        }
    };
    let candidates_given = candidates.len();
    let existing: Vec<ExistingSite> = index
        .facilities()
        .iter()
        .map(|f| ExistingSite {
            id: f.id.clone(),
            x_m: f.x_m,
            y_m: f.y_m,
        })
        .collect();
    let options = InstanceOptions {
        radius_m: s.radius_m,
        min_distance_from_existing_m: 50.0,
        objective: Objective::Arrests,
    };
    let inst =
        CoveringInstance::build(demand_sites, candidates, &existing, options).map_err(input)?;
    let g = greedy(&inst, k);
    let sites = g
        .sites
        .iter()
        .map(|r| {
            let c = &inst.candidates[r.candidate];
            SiteOut {
                rank: r.rank,
                id: c.id.clone(),
                x_m: c.x_m,
                y_m: c.y_m,
                marginal_arrests: r.marginal_arrests,
                cumulative_arrests: r.cumulative_arrests,
                marginal_residents: r.marginal_residents,
                nearest_existing_m: inst.nearest_existing_m.get(r.candidate).copied().flatten(),
            }
        })
        .collect();
    Ok(SitingOut {
        sites,
        radius_m: s.radius_m,
        candidates: s.candidates.clone(),
        candidates_given,
        bound: g.bound_1_minus_1_over_e,
        uncovered_weight: inst.uncovered_weight(),
        cost: costs.per_site(),
        installation_gbp: s.installation_gbp,
    })
}
