//! The 2021 report's district table, joined with what a run located: AEDs and arrests counted
//! per postcode district (seeds), AEDs located there by this run, land and residents
//! (`data/districts.csv`), and an explicitly labelled upper bound on the land the counted AEDs
//! could cover at the main radius if perfectly spaced. Written when a study sets
//! `output.report_districts`.

use std::collections::BTreeMap;

use geo_types::Point;

use super::layers::{radius_name, round};
use super::{PipelineError, StudyRun};
use crate::export::csv_out::{metres, num, opt, text};
use crate::export::{CsvTable, Feature, Layer, Value};

const DISTRICTS_CSV: &str = include_str!("../../data/districts.csv");

/// A row of `data/districts.csv`.
#[derive(Debug, Clone)]
pub struct DistrictGeo {
    pub district: String,
    pub centroid_m: (f64, f64),
    pub area_km2: f64,
    pub live_postcodes: u32,
    pub residents: u64,
    pub share_in_llr: f64,
}

/// One district's figures, joined.
#[derive(Debug, Clone)]
pub struct DistrictFigures {
    pub district: String,
    pub aeds_counted: Option<u32>,
    pub arrests: Option<u32>,
    pub arrests_per_aed: Option<f64>,
    pub aeds_located: usize,
    pub geo: Option<DistrictGeo>,
}

impl DistrictFigures {
    /// min(1, n·π·r²/land): the share of land `aeds_counted` AEDs could cover at most.
    pub fn max_land_share(&self, radius_m: f64) -> Option<f64> {
        let n = f64::from(self.aeds_counted?);
        let land = self.geo.as_ref()?.area_km2;
        (land > 0.0)
            .then(|| (n * std::f64::consts::PI * (radius_m / 1000.0).powi(2) / land).min(1.0))
    }

    pub fn residents_per_aed(&self) -> Option<f64> {
        match (&self.geo, self.aeds_counted) {
            (Some(g), Some(n)) if n > 0 => Some(g.residents as f64 / f64::from(n)),
            _ => None,
        }
    }
}

fn bad(line: usize, reason: String) -> PipelineError {
    PipelineError::Unsupported(format!("data/districts.csv:{line}: {reason}"))
}

/// Reads `data/districts.csv` (compiled in).
pub fn read_districts() -> Result<Vec<DistrictGeo>, PipelineError> {
    let mut rdr = csv::Reader::from_reader(DISTRICTS_CSV.as_bytes());
    let h =
        crate::csvhead::Headers::new(&rdr.headers().map_err(|e| bad(1, e.to_string()))?.clone());
    let mut out = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| bad(line, e.to_string()))?;
        let get = |n: &str| -> Result<&str, PipelineError> {
            h.find(n)
                .and_then(|c| rec.get(c))
                .ok_or_else(|| bad(line, format!("no column {n}")))
        };
        fn p<T: std::str::FromStr>(line: usize, n: &str, s: &str) -> Result<T, PipelineError> {
            s.trim()
                .parse()
                .map_err(|_| bad(line, format!("{n}: not a number ({s})")))
        }
        out.push(DistrictGeo {
            district: get("district")?.to_owned(),
            centroid_m: (
                p(line, "centroid_easting_m", get("centroid_easting_m")?)?,
                p(line, "centroid_northing_m", get("centroid_northing_m")?)?,
            ),
            area_km2: p(line, "area_km2", get("area_km2")?)?,
            live_postcodes: p(line, "live_postcodes", get("live_postcodes")?)?,
            residents: p(line, "residents_2021_llr", get("residents_2021_llr")?)?,
            share_in_llr: p(
                line,
                "share_postcodes_in_llr",
                get("share_postcodes_in_llr")?,
            )?,
        });
    }
    Ok(out)
}

/// The postcode district of a postcode (`LE12 7AB` → `LE12`; `LE12 7` → `LE12`).
pub fn district_of(postcode: &str) -> Option<String> {
    crate::geography::Postcode::parse(postcode)
        .ok()
        .and_then(|p| p.district().map(str::to_owned))
}

/// Counted AEDs located per postcode district (of their registry postcode).
pub fn located_by_district(
    registry: &super::inputs::RegistryStage,
    index: &crate::coverage::FacilityIndex,
) -> BTreeMap<String, usize> {
    let mut located: BTreeMap<String, usize> = BTreeMap::new();
    for f in index.facilities() {
        let aed = registry.aeds.iter().find(|a| a.id == f.id);
        if let Some(d) = aed.and_then(|a| district_of(&a.about.postcode)) {
            *located.entry(d).or_default() += 1;
        }
    }
    located
}

impl StudyRun {
    /// The report's districts in its ranking (arrests per AED), then those without counted AEDs.
    pub fn district_figures(&self) -> Result<Vec<DistrictFigures>, PipelineError> {
        let table = crate::districts::from_seeds()?;
        let geo = read_districts()?;
        let located = located_by_district(&self.registry, &self.assessment.index);
        Ok(table
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
            .collect())
    }

    fn bound_name(&self) -> String {
        radius_name("max_land_share", self.main_radius_m()) + "_if_perfectly_spaced"
    }

    /// districts.csv.
    pub fn districts_table(&self, figures: &[DistrictFigures]) -> CsvTable {
        let bound = self.bound_name();
        let mut t = CsvTable::new([
            "district",
            "aeds_counted",
            "aeds_located",
            "arrests",
            "arrests_per_aed",
            "land_area_km2",
            "residents_2021_llr",
            "share_postcodes_in_llr",
            "residents_per_aed",
            bound.as_str(),
        ]);
        let r = self.main_radius_m();
        for f in figures {
            let g = f.geo.as_ref();
            t.push(vec![
                text(&f.district),
                opt(f.aeds_counted),
                f.aeds_located.to_string(),
                opt(f.arrests),
                f.arrests_per_aed.map_or_else(String::new, |v| num(v, 3)),
                g.map_or_else(String::new, |g| num(g.area_km2, 3)),
                g.map_or_else(String::new, |g| g.residents.to_string()),
                g.map_or_else(String::new, |g| num(g.share_in_llr, 4)),
                f.residents_per_aed()
                    .map_or_else(String::new, |v| num(v, 1)),
                f.max_land_share(r).map_or_else(String::new, |b| num(b, 4)),
            ]);
        }
        t
    }

    /// districts.geojson: one point per district at its centroid (polygons are open data).
    pub fn districts_layer(&self, figures: &[DistrictFigures]) -> Result<Layer, PipelineError> {
        let bound = self.bound_name();
        let rule = format!(
            "upper bound, not a coverage figure: min(1, aeds_counted x pi x ({} km)^2 / land_area_km2)",
            metres(self.main_radius_m() / 1000.0)
        );
        let mut l = self.layer(
            "districts",
            vec![
                (
                    "geometry",
                    Value::from("district centroid (area-weighted centroid of the repaired Wikipedia polygon)"),
                ),
                (bound.as_str(), Value::from(rule)),
            ],
        );
        let r = self.main_radius_m();
        for f in figures {
            let Some(g) = &f.geo else { continue };
            l.features.push(
                Feature::new(
                    f.district.as_str(),
                    self.wgs84(Point::new(g.centroid_m.0, g.centroid_m.1))?,
                )
                .with("district", f.district.as_str())
                .with("aeds_counted", f.aeds_counted)
                .with("aeds_located", f.aeds_located)
                .with("arrests", f.arrests)
                .with("arrests_per_aed", f.arrests_per_aed.map(|v| round(v, 3)))
                .with("land_area_km2", Value::rounded(g.area_km2, 3))
                .with("residents_2021_llr", g.residents as i64)
                .with("share_postcodes_in_llr", Value::rounded(g.share_in_llr, 4))
                .with("live_postcodes", g.live_postcodes)
                .with(
                    "residents_per_aed",
                    f.residents_per_aed().map(|v| round(v, 1)),
                )
                .with(bound.as_str(), f.max_land_share(r).map(|b| round(b, 4))),
            );
        }
        Ok(l)
    }
}
