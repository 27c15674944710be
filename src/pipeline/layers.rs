//! A [`StudyRun`] as GeoJSON layers (WGS84 lon/lat, RFC 7946), all through
//! [`crate::export::geojson`]. The service serves these same values.

use std::collections::HashSet;

use geo::Area;
use geo_types::{Geometry, MultiPolygon, Point};

use super::{PipelineError, StudyRun};
use crate::export::{Feature, Layer, Value, to_wgs84_geometry};
use crate::registry::Aed;

/// `<name>_<r>m` for a radius (whole metres without ".0").
pub fn radius_name(name: &str, r: f64) -> String {
    format!("{name}_{}m", crate::export::csv_out::metres(r))
}

/// Rounds for JSON and report figures (no float noise in committed files).
pub fn round(x: f64, decimals: i32) -> f64 {
    let p = 10f64.powi(decimals);
    let r = (x * p).round() / p;
    if r == 0.0 { 0.0 } else { r }
}

impl StudyRun {
    /// A layer named `name` carrying the run's attribution, CRS and `metadata`.
    pub fn layer(&self, name: &str, metadata: Vec<(&str, Value)>) -> Layer {
        let mut l = Layer::new(name);
        l.attribution = self.sources.iter().map(|s| s.attribution.clone()).collect();
        l.metadata = metadata
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        l.metadata
            .push(("metric_crs".into(), Value::from(self.metric_crs())));
        if !self.sources.all_publishable() {
            l.metadata.push((
                "not_for_publication".into(),
                Value::from("a source's terms forbid public-facing use; see attribution"),
            ));
        }
        l
    }

    /// Metres in the run's CRS → WGS84 geometry.
    pub fn wgs84(&self, g: impl Into<Geometry<f64>>) -> Result<Geometry<f64>, PipelineError> {
        Ok(to_wgs84_geometry(&g.into(), &self.projection)?)
    }

    fn radius_meta(&self, r: f64) -> Vec<(&'static str, Value)> {
        let d = &self.study.analysis.distance;
        vec![
            ("radius_m", Value::from(r)),
            ("detour_factor", Value::from(d.detour_factor())),
            ("distance", Value::from(d.label())),
            (
                "scenario",
                Value::from(self.assessment.rule.scenario.label()),
            ),
        ]
    }

    /// The main radius, metres.
    pub fn main_radius_m(&self) -> f64 {
        self.study.analysis.main_radius_m
    }

    /// Every layer an analysis writes, with its file stem.
    pub fn layers(&self) -> Result<Vec<Layer>, PipelineError> {
        let mut out = vec![self.aeds_layer()?];
        for (r, shape) in &self.areas.coverage {
            out.push(self.coverage_layer(*r, shape)?);
        }
        out.push(self.gaps_layer()?);
        out.push(self.areas_layer()?);
        out.push(self.sites_layer()?);
        out.push(self.attention_layer()?);
        Ok(out)
    }

    /// aeds: public fields only, never guardian contact data.
    pub fn aeds_layer(&self) -> Result<Layer, PipelineError> {
        let reg = &self.registry;
        let counts = &self.assessment.selection.counts;
        let mut layer = self.layer(
            "aeds",
            vec![
                ("aeds_in_registry", Value::from(reg.aeds.len())),
                (
                    "aeds_without_position",
                    Value::from(counts.unlocated + counts.not_converted),
                ),
            ],
        );
        let guardian_ids: Option<HashSet<&str>> = reg
            .guardians
            .as_ref()
            .map(|g| g.iter().map(|g| g.id.as_str()).collect());
        let crit_key = radius_name("criticality_arrests", self.main_radius_m());
        let mut sorted: Vec<&Aed> = reg.aeds.iter().collect();
        sorted.sort_by(|a, b| a.id.cmp(&b.id));
        for a in sorted {
            let Some(loc) = &a.location else { continue };
            let Ok((x, y)) = super::inputs::to_metric(&self.projection, &loc.coord) else {
                continue;
            };
            let has_guardian = match (&a.guardian_id, &guardian_ids) {
                (None, _) => false,
                (Some(g), Some(ids)) => ids.contains(g.as_str()),
                (Some(_), None) => true,
            };
            let geom = match loc.coord {
                crate::registry::Coord::Wgs84 { lon, lat } => Point::new(lon, lat).into(),
                crate::registry::Coord::Bng { .. } => self.wgs84(Point::new(x, y))?,
            };
            let crit = self.assessment.main_criticality(&a.id);
            layer.features.push(
                Feature::new(a.id.as_str(), geom)
                    .with("name", a.about.name.as_str())
                    .with("address", a.about.address.as_str())
                    .with("postcode", a.about.postcode.as_str())
                    .with("access", a.access.as_str())
                    .with("opening_hours", a.opening_hours.as_deref())
                    .with("managed_by", a.managed_by.as_str())
                    .with("status", a.status.as_str())
                    .with("location_source", loc.source.as_str())
                    .with("has_guardian", has_guardian)
                    .with("counted", self.assessment.rule.counts(a))
                    .with(crit_key.as_str(), crit.map(|c| round(c, 3))),
            );
        }
        Ok(layer)
    }

    /// coverage at the main radius (`coverage_<r>m`); no features when not computed.
    pub fn coverage_layer_main(&self) -> Result<Layer, PipelineError> {
        let r = self.main_radius_m();
        match self.areas.coverage.iter().find(|(x, _)| *x == r) {
            Some((r, shape)) => self.coverage_layer(*r, shape),
            None => Ok(self.layer(&radius_name("coverage", r), self.radius_meta(r))),
        }
    }

    fn coverage_layer(&self, r: f64, shape: &MultiPolygon<f64>) -> Result<Layer, PipelineError> {
        let name = radius_name("coverage", r);
        let mut l = self.layer(&name, self.radius_meta(r));
        if !shape.0.is_empty() {
            l.features.push(
                Feature::new(
                    format!("coverage-{}m", crate::export::csv_out::metres(r)),
                    self.wgs84(without_slivers(shape))?,
                )
                .with("radius_m", r)
                .with("aeds_counted", self.assessment.index.facilities().len())
                .with("area_km2", Value::rounded(shape.unsigned_area() / 1e6, 3)),
            );
        }
        Ok(l)
    }

    /// gaps: ranked polygons beyond the main radius of every counted AED.
    pub fn gaps_layer(&self) -> Result<Layer, PipelineError> {
        let mut meta = self.radius_meta(self.main_radius_m());
        if self.areas.gaps.is_none() {
            meta.push((
                "not_computed",
                Value::from("no study area (no area polygons) or gaps skipped"),
            ));
        }
        let mut l = self.layer("gaps", meta);
        for g in self.areas.gaps.iter().flatten() {
            let Some(poly) = polygon_without_slivers(&g.polygon) else {
                continue;
            };
            l.features.push(
                Feature::new(g.id.as_str(), self.wgs84(poly)?)
                    .with("rank", g.rank)
                    .with("radius_m", g.radius_m)
                    .with("area_km2", Value::rounded(g.area_km2, 4))
                    .with("demand_uncovered", Value::rounded(g.demand, 4))
                    .with("residents", Value::rounded(g.residents, 1))
                    .with("demand_points", g.demand_points),
            );
        }
        Ok(l)
    }

    /// areas: every area of every layer with its statistics at every radius.
    pub fn areas_layer(&self) -> Result<Layer, PipelineError> {
        let mut meta = self.radius_meta(self.main_radius_m());
        if self.study.areas.is_empty() {
            meta.push((
                "not_computed",
                Value::from("the study has no area polygons"),
            ));
        }
        let mut l = self.layer("areas", meta);
        for (i, row) in self.areas.rows.iter().enumerate() {
            let s = &row.stats;
            let mut f = Feature::new(
                format!("{}:{}", i + 1, s.id),
                self.wgs84(without_slivers(&row.shape))?,
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
            for (name, get, d) in super::tables::AREA_RADIUS_COLUMNS {
                for rs in &s.radii {
                    let v = get(rs);
                    let value = if v.is_finite() {
                        Value::rounded(v, d)
                    } else {
                        Value::Null
                    };
                    f = f.with(radius_name(name, rs.radius_m), value);
                }
            }
            l.features.push(f);
        }
        Ok(l)
    }

    /// sites: the suggested sites, ranked, with their gains and costs.
    pub fn sites_layer(&self) -> Result<Layer, PipelineError> {
        let radius = self
            .study
            .siting
            .as_ref()
            .map_or(self.main_radius_m(), |s| s.radius_m);
        let mut meta = vec![("radius_m", Value::from(radius))];
        if self.siting.is_none() {
            meta.push((
                "not_computed",
                Value::from("the study has no [siting] section"),
            ));
        }
        let mut l = self.layer("sites", meta);
        let Some(s) = &self.siting else {
            return Ok(l);
        };
        for site in &s.sites {
            let c = &s.instance.candidates[site.candidate];
            l.features.push(
                Feature::new(site.rank, self.wgs84(Point::new(c.x_m, c.y_m))?)
                    .with("rank", site.rank)
                    .with("candidate", c.id.as_str())
                    .with("name", c.name.as_deref())
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
                        s.instance.nearest_existing_m[site.candidate].map(|d| round(d, 1)),
                    )
                    .with("cost_capital_gbp", Value::rounded(s.cost.capital_gbp, 2))
                    .with(
                        "cost_total_high_gbp",
                        Value::rounded(s.cost.total_high_gbp, 2),
                    )
                    .with("cost_years", s.cost.years),
            );
        }
        Ok(l)
    }

    /// attention: devices with problems, ranked by the arrests only they cover.
    pub fn attention_layer(&self) -> Result<Layer, PipelineError> {
        let main = crate::export::csv_out::metres(self.main_radius_m());
        let ranking = format!(
            "arrests covered by this device alone at {main} m, highest first; then number of problems"
        );
        let as_of = self.assessment.rule.ready.as_of.to_string();
        let mut l = self.layer(
            "attention",
            vec![
                ("as_of", Value::from(as_of)),
                ("ranking", Value::from(ranking)),
            ],
        );
        let crit_key = radius_name("criticality_arrests", self.main_radius_m());
        for row in self.attention_rows() {
            let Some((x, y)) = row.position_m else {
                continue;
            };
            let d = row.device;
            l.features.push(
                Feature::new(d.id.as_str(), self.wgs84(Point::new(x, y))?)
                    .with("rank", row.rank)
                    .with("name", d.name.as_str())
                    .with("postcode", d.postcode.as_str())
                    .with("status", d.status.as_str())
                    .with("has_guardian", row.has_guardian)
                    .with("problems", row.problems.as_str())
                    .with(crit_key.as_str(), d.criticality.map(|c| round(c, 3))),
            );
        }
        Ok(l)
    }

    /// The triage rows with their position (metres) and problem text.
    pub fn attention_rows(&self) -> Vec<AttentionRow<'_>> {
        let by_id: std::collections::HashMap<&str, &Aed> = self
            .registry
            .aeds
            .iter()
            .map(|a| (a.id.as_str(), a))
            .collect();
        self.assessment
            .readiness
            .devices()
            .iter()
            .enumerate()
            .map(|(i, d)| AttentionRow {
                rank: i + 1,
                device: d,
                position_m: by_id
                    .get(d.id.as_str())
                    .and_then(|a| a.location.as_ref())
                    .and_then(|l| super::inputs::to_metric(&self.projection, &l.coord).ok()),
                has_guardian: !d
                    .problems
                    .iter()
                    .any(|p| matches!(p, crate::registry::Problem::NoGuardian { .. })),
                problems: d
                    .problems
                    .iter()
                    .map(|p| p.to_string())
                    .collect::<Vec<_>>()
                    .join("; "),
            })
            .collect()
    }
}

/// One device needing attention.
pub struct AttentionRow<'a> {
    pub rank: usize,
    pub device: &'a crate::registry::DeviceTriage,
    pub position_m: Option<(f64, f64)>,
    pub has_guardian: bool,
    pub problems: String,
}

/// Drops rings under 1 m² (slivers left by polygon overlay), which would collapse to fewer than
/// three distinct positions at 7 decimals of a degree.
pub fn without_slivers(mp: &MultiPolygon<f64>) -> MultiPolygon<f64> {
    MultiPolygon::new(mp.0.iter().filter_map(polygon_without_slivers).collect())
}

pub(crate) fn polygon_without_slivers(
    p: &geo_types::Polygon<f64>,
) -> Option<geo_types::Polygon<f64>> {
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
