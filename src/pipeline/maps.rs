//! Printable maps of a [`StudyRun`]: an overview and one per worst area (or largest gap).

use geo::BoundingRect;
use geo_types::{MultiPolygon, Point, Rect};

use super::StudyRun;
use crate::export::csv_out::{metres, num};
use crate::export::{CoverageLayer, GapLayer, MapAed, MapArea, MapBase, MapSite, MapSpec};
use crate::registry::AccessClass;

/// A map to draw: its file stem and spec.
pub struct MapPlan {
    pub stem: String,
    pub spec: MapSpec,
}

impl StudyRun {
    /// The radii drawn on maps: the main radius and the one below it, when there is one.
    fn map_radii(&self) -> Vec<f64> {
        let main = self.main_radius_m();
        let below = self
            .study
            .analysis
            .radii_m
            .iter()
            .copied()
            .filter(|r| *r < main)
            .fold(None, |m: Option<f64>, r| Some(m.map_or(r, |m| m.max(r))));
        below.into_iter().chain([main]).collect()
    }

    pub(super) fn map_base(&self, title: String, subtitle: String, extent: Rect<f64>) -> MapSpec {
        let radii = self.map_radii();
        let main = self.main_radius_m();
        let gap_shape = MultiPolygon::new(
            self.areas
                .gaps
                .iter()
                .flatten()
                .map(|g| g.polygon.clone())
                .collect(),
        );
        let access = |id: &str| {
            self.registry
                .aeds
                .iter()
                .find(|a| a.id == id)
                .map_or(AccessClass::Unknown, |a| a.access)
        };
        MapSpec {
            title,
            subtitle: Some(subtitle),
            extent,
            crs_label: self.crs_label(),
            areas: Vec::new(),
            area_legend: self
                .areas
                .first_layer
                .clone()
                .map(|n| format!("{n} boundary")),
            coverage: self
                .areas
                .coverage
                .iter()
                .filter(|(r, _)| radii.contains(r))
                .map(|(r, s)| CoverageLayer {
                    radius_m: *r,
                    label: self
                        .assessment
                        .walk
                        .is_some()
                        .then(|| format!("Within {} m walking of an AED", metres(*r))),
                    shape: s.clone(),
                })
                .collect(),
            gaps: (!gap_shape.0.is_empty()).then(|| GapLayer {
                label: format!(
                    "Beyond {} m{} of every counted AED",
                    metres(main),
                    if self.assessment.walk.is_some() {
                        " walking"
                    } else {
                        ""
                    }
                ),
                shape: gap_shape,
            }),
            aeds: self
                .assessment
                .index
                .facilities()
                .iter()
                .map(|f| MapAed {
                    position: Point::new(f.x_m, f.y_m),
                    access: access(&f.id),
                })
                .collect(),
            sites: self
                .siting
                .iter()
                .flat_map(|s| {
                    s.sites.iter().map(|x| {
                        let c = &s.instance.candidates[x.candidate];
                        MapSite {
                            rank: x.rank as u32,
                            position: Point::new(c.x_m, c.y_m),
                        }
                    })
                })
                .collect(),
            attribution: self.sources.iter().map(|s| s.short.clone()).collect(),
            notes: Vec::new(),
            base: self
                .network
                .as_deref()
                .map(|net| self.map_network_base(net)),
            choropleth: None,
        }
    }

    /// The walkable network and its `place=*` names, for a faint base under the layers.
    fn map_network_base(&self, net: &crate::network::WalkNetwork) -> MapBase {
        let g = &net.graph;
        let at = |n: u32| {
            let [x, y] = g.xy_m[n as usize];
            geo::Coord { x, y }
        };
        let places = net
            .places
            .iter()
            .filter(|p| {
                matches!(
                    p.kind.as_str(),
                    "city" | "town" | "village" | "suburb" | "hamlet"
                )
            })
            .filter_map(|p| {
                let (x, y) = self.projection.to_metric(p.lon, p.lat).ok()?;
                Some((p.name.clone(), geo::Coord { x, y }))
            })
            .collect();
        MapBase {
            segments: g.edges.iter().map(|e| [at(e.a), at(e.b)]).collect(),
            places,
        }
    }

    fn with_areas(&self, mut spec: MapSpec, highlight: Option<&str>) -> MapSpec {
        spec.areas = self
            .areas
            .rows
            .iter()
            .filter(|r| Some(&r.layer) == self.areas.first_layer.as_ref())
            .map(|r| MapArea {
                label: Some(r.stats.id.clone()),
                shape: r.shape.clone(),
                highlight: Some(r.stats.id.as_str()) == highlight,
                fill: None,
            })
            .collect();
        spec
    }

    /// Every map of the run, in the order written.
    pub fn maps(&self) -> Vec<MapPlan> {
        let mut out = vec![self.overview()];
        let k = self.study.analysis.main_index();
        let n = self.study.output.worst_areas;
        let worst = self.areas.worst(k, n);
        for (i, r) in worst.iter().enumerate() {
            let Some(ext) = r.shape.bounding_rect() else {
                continue;
            };
            let rs = &r.stats.radii[k];
            let spec = self.map_base(
                format!(
                    "{}: {} uncovered",
                    r.stats.name,
                    num(rs.demand_uncovered, 1)
                ),
                format!(
                    "{}% of demand and {}% of residents within {} m · {} AEDs located",
                    num(rs.pct_demand_covered, 1),
                    num(rs.pct_residents_covered, 1),
                    metres(self.main_radius_m()),
                    r.stats.aeds_located
                ),
                ext,
            );
            let mut spec = self.with_areas(spec, Some(&r.stats.id));
            spec.notes = vec![format!(
                "{} · demand {} · residents {}",
                r.layer,
                num(r.stats.demand, 1),
                num(r.stats.residents, 0)
            )];
            out.push(MapPlan {
                stem: format!("map_worst_{}_{}", i + 1, sanitize(&r.stats.id)),
                spec,
            });
        }
        if worst.is_empty() && self.areas.gaps.as_ref().is_some_and(|g| !g.is_empty()) {
            out.extend(self.gap_maps(n));
        } else if worst.is_empty() && self.study.output.report_districts {
            out.extend(self.district_maps(n));
        }
        out.extend(self.best_case_map());
        out
    }

    /// Close-ups of the districts with most arrests per counted AED, centred on their
    /// centroid, the square spanning the district's land area (no polygons are embedded).
    fn district_maps(&self, n: usize) -> Vec<MapPlan> {
        let Ok(figures) = self.district_figures() else {
            return Vec::new();
        };
        let main = metres(self.main_radius_m());
        figures
            .iter()
            .filter(|f| f.arrests_per_aed.is_some())
            .take(n)
            .enumerate()
            .filter_map(|(i, f)| {
                let g = f.geo.as_ref()?;
                let half = (g.area_km2.sqrt() * 1000.0 / 2.0).max(2_000.0);
                let (x, y) = g.centroid_m;
                let ext = Rect::new((x - half, y - half), (x + half, y + half));
                let opt = |v: Option<u32>| v.map_or("–".to_string(), |v| v.to_string());
                let mut spec = self.map_base(
                    format!("{}: {} arrests per counted AED", f.district, num(f.arrests_per_aed.unwrap_or(0.0), 1)),
                    format!(
                        "{} arrests · {} AEDs counted · {} located · {} km² · coverage at {main} m",
                        opt(f.arrests),
                        opt(f.aeds_counted),
                        f.aeds_located,
                        num(g.area_km2, 1)
                    ),
                    ext,
                );
                spec.notes = vec![
                    "Centred on the district's centroid; the square spans the district's land area. The district boundary is open data and is not embedded.".into(),
                    format!("Of {} AEDs counted here {} are located; the map cannot show gaps.", opt(f.aeds_counted), f.aeds_located),
                ];
                Some(MapPlan {
                    stem: format!("map_worst_{}_{}", i + 1, sanitize(&f.district)),
                    spec,
                })
            })
            .collect()
    }

    fn overview(&self) -> MapPlan {
        let c = &self.assessment.selection.counts;
        let main = &self.assessment.totals[self.study.analysis.main_index()];
        let extent = self
            .areas
            .study_area
            .as_ref()
            .and_then(|a| a.bounding_rect())
            .or_else(|| points_extent(self))
            .unwrap_or_else(|| Rect::new((0.0, 0.0), (1.0, 1.0)));
        let radii: Vec<String> = self
            .map_radii()
            .iter()
            .map(|r| format!("{} m", metres(*r)))
            .collect();
        let mut subtitle = format!("Coverage at {}", radii.join(" and "));
        if self.areas.gaps.is_some() {
            subtitle += &format!(" · gaps at {} m", metres(self.main_radius_m()));
        }
        if let Some(s) = &self.siting {
            subtitle += &format!(" · {} suggested sites", s.sites.len());
        }
        let spec = self.map_base(self.study.title.clone(), subtitle, extent);
        let mut spec = self.with_areas(spec, None);
        let covered = if main.demand_total > 0.0 {
            format!(
                "{}% of {} within {} m.",
                num(main.pct_covered, 1),
                self.study.demand.label(),
                metres(main.radius_m)
            )
        } else {
            "Coverage of demand not computed: no demand could be placed.".into()
        };
        spec.notes = vec![format!(
            "{} of {} registry AEDs counted ({} without a position). {covered}",
            c.counted,
            c.registry_total,
            c.unlocated + c.not_converted
        )];
        spec.notes.extend(
            self.notes
                .iter()
                .filter(|n| {
                    n.starts_with("demand is a proxy")
                        || n.starts_with("no area polygons")
                        || n.starts_with("Most existing AEDs")
                })
                .cloned(),
        );
        MapPlan {
            stem: "map_overview".into(),
            spec,
        }
    }

    fn gap_maps(&self, n: usize) -> Vec<MapPlan> {
        let main = metres(self.main_radius_m());
        self.areas
            .gaps
            .iter()
            .flatten()
            .take(n)
            .enumerate()
            .filter_map(|(i, g)| {
                let ext = g.polygon.bounding_rect()?;
                let mut spec = self.map_base(
                    format!("Gap {}: {} uncovered", g.rank, num(g.demand, 1)),
                    format!("{} km² beyond {main} m of every counted AED", num(g.area_km2, 2)),
                    ext,
                );
                spec.notes = vec!["No area polygons in this study: the largest gaps are mapped instead of worst areas.".into()];
                Some(MapPlan {
                    stem: format!("map_gap_{}", i + 1),
                    spec,
                })
            })
            .collect()
    }
}

/// The extent of the counted AEDs and demand points, padded to at least 2 km.
fn points_extent(run: &StudyRun) -> Option<Rect<f64>> {
    let pts: Vec<Point<f64>> = run
        .assessment
        .index
        .facilities()
        .iter()
        .map(|f| Point::new(f.x_m, f.y_m))
        .chain(run.demand.points.iter().map(|d| Point::new(d.x_m, d.y_m)))
        .collect();
    let r = geo_types::MultiPoint::new(pts).bounding_rect()?;
    let pad = 1000.0;
    Some(Rect::new(
        (r.min().x - pad, r.min().y - pad),
        (r.max().x + pad, r.max().y + pad),
    ))
}

fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}
