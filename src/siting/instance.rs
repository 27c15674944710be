//! A sparse maximal-covering instance: which candidate sites lie within the radius of which
//! demand points, with demand already covered by existing AEDs taken out of the objective.
//!
//! Coverage is built from an R-tree over the candidates, one radius query per demand point,
//! so memory grows with the number of (demand, candidate) pairs within the radius — never a
//! dense demand × candidate matrix. All coordinates are metres in one metric CRS (British
//! National Grid EPSG:27700 for UK data, a local UTM zone elsewhere).

use rayon::prelude::*;
use rstar::RTree;
use rstar::primitives::GeomWithData;
use std::path::Path;

use super::SitingError;
use crate::csvhead::Headers;

/// A demand point: arrests and residents at one place, in metric coordinates.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DemandSite {
    pub id: String,
    pub x_m: f64,
    pub y_m: f64,
    /// Cardiac arrests counted at this point (over whatever period the data covers).
    pub arrests: f64,
    /// Usual residents at this point.
    pub residents: f64,
    /// Residents aged 65 or over (0 when the study has no age table).
    pub residents_65_plus: f64,
    /// Residents when the point lies in an LSOA of IMD deciles 1-3, else 0 (0 when the study
    /// has no deprivation table).
    pub deprived_residents: f64,
}

/// A place where a new cabinet could go, in metric coordinates.
#[derive(Debug, Clone, PartialEq)]
pub struct CandidateSite {
    pub id: String,
    /// Human name (village hall, church...) when the candidate came from a named-sites file.
    pub name: Option<String>,
    pub x_m: f64,
    pub y_m: f64,
}

/// An AED that stays where it is, in metric coordinates.
#[derive(Debug, Clone, PartialEq)]
pub struct ExistingSite {
    pub id: String,
    pub x_m: f64,
    pub y_m: f64,
}

/// What a covered demand point is worth.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Objective {
    /// Arrests (the default): maximise the arrests within the radius of an AED.
    Arrests,
    /// Usual residents.
    Residents,
    /// Residents aged 65 or over ([`DemandSite::residents_65_plus`]).
    Residents65Plus,
    /// Residents of LSOAs in IMD deciles 1-3 ([`DemandSite::deprived_residents`]).
    DeprivedResidents,
    /// `alpha · arrests + (1 − alpha) · residents / residents_per_arrest`.
    ///
    /// `residents_per_arrest` puts residents on the arrest scale: with 1,000 it counts a
    /// thousand residents like one arrest. A sensible value is total residents / total
    /// arrests of the study area ([`Objective::mix_scaled_to`]).
    Mix {
        alpha: f64,
        residents_per_arrest: f64,
    },
}

impl Objective {
    /// A mix whose residents scale is total residents / total arrests of `demand`, so both
    /// terms sum to the same total; falls back to 1 when there are no arrests.
    pub fn mix_scaled_to(alpha: f64, demand: &[DemandSite]) -> Objective {
        let arrests: f64 = demand.iter().map(|d| d.arrests).sum();
        let residents: f64 = demand.iter().map(|d| d.residents).sum();
        let residents_per_arrest = if arrests > 0.0 && residents > 0.0 {
            residents / arrests
        } else {
            1.0
        };
        Objective::Mix {
            alpha,
            residents_per_arrest,
        }
    }

    /// The weight of one demand point.
    pub fn weight(&self, d: &DemandSite) -> f64 {
        match *self {
            Objective::Arrests => d.arrests,
            Objective::Residents => d.residents,
            Objective::Residents65Plus => d.residents_65_plus,
            Objective::DeprivedResidents => d.deprived_residents,
            Objective::Mix {
                alpha,
                residents_per_arrest,
            } => alpha * d.arrests + (1.0 - alpha) * d.residents / residents_per_arrest,
        }
    }

    /// Short label for summaries: `arrests`, `residents`, `residents_65_plus`,
    /// `deprived_residents`, `mix(alpha=0.7,residents_per_arrest=…)`.
    pub fn label(&self) -> String {
        match *self {
            Objective::Arrests => "arrests".to_string(),
            Objective::Residents => "residents".to_string(),
            Objective::Residents65Plus => "residents_65_plus".to_string(),
            Objective::DeprivedResidents => "deprived_residents".to_string(),
            Objective::Mix {
                alpha,
                residents_per_arrest,
            } => format!("mix(alpha={alpha},residents_per_arrest={residents_per_arrest})"),
        }
    }
}

/// How the instance is built.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InstanceOptions {
    /// A demand point is covered by a site at distance ≤ `radius_m`.
    pub radius_m: f64,
    /// Candidates within this distance of an existing AED are dropped (a second cabinet at
    /// the same door adds nothing).
    pub min_distance_from_existing_m: f64,
    pub objective: Objective,
}

impl Default for InstanceOptions {
    fn default() -> Self {
        InstanceOptions {
            radius_m: 500.0,
            min_distance_from_existing_m: 50.0,
            objective: Objective::Arrests,
        }
    }
}

/// Compressed sparse rows: row `r` is `items[offsets[r]..offsets[r + 1]]`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sparse {
    offsets: Vec<usize>,
    items: Vec<u32>,
}

impl Sparse {
    fn from_rows(rows: Vec<Vec<u32>>) -> Sparse {
        let mut offsets = Vec::with_capacity(rows.len() + 1);
        offsets.push(0);
        let mut items = Vec::with_capacity(rows.iter().map(Vec::len).sum());
        for row in rows {
            items.extend_from_slice(&row);
            offsets.push(items.len());
        }
        Sparse { offsets, items }
    }

    /// The transpose with `n_cols` rows; each row comes out sorted.
    fn transpose(&self, n_cols: usize) -> Sparse {
        let mut counts = vec![0usize; n_cols + 1];
        for &c in &self.items {
            counts[c as usize + 1] += 1;
        }
        for i in 1..counts.len() {
            counts[i] += counts[i - 1];
        }
        let offsets = counts.clone();
        let mut fill = counts;
        let mut items = vec![0u32; self.items.len()];
        for r in 0..self.rows() {
            for &c in self.row(r) {
                items[fill[c as usize]] = r as u32;
                fill[c as usize] += 1;
            }
        }
        Sparse { offsets, items }
    }

    pub fn rows(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    pub fn row(&self, r: usize) -> &[u32] {
        &self.items[self.offsets[r]..self.offsets[r + 1]]
    }

    /// Number of stored (row, column) pairs.
    pub fn nnz(&self) -> usize {
        self.items.len()
    }
}

/// Demand already within the radius of an existing AED.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct AlreadyCovered {
    pub demand_points: usize,
    pub arrests: f64,
    pub residents: f64,
}

/// The covering instance. Indices into `demand` and `candidates` are stable: results
/// refer to candidates by index.
#[derive(Debug, Clone)]
pub struct CoveringInstance {
    pub options: InstanceOptions,
    pub demand: Vec<DemandSite>,
    /// Objective weight of each demand point; 0 for demand already covered by an existing
    /// AED, so it counts no more.
    pub weights: Vec<f64>,
    /// Whether an existing AED already covers each demand point.
    pub covered_by_existing: Vec<bool>,
    /// The kept candidates (those far enough from every existing AED).
    pub candidates: Vec<CandidateSite>,
    /// Distance from each kept candidate to the nearest existing AED (`None`: no AEDs).
    pub nearest_existing_m: Vec<Option<f64>>,
    /// Candidates dropped for lying within `min_distance_from_existing_m` of an AED.
    pub dropped_near_existing: usize,
    pub already_covered: AlreadyCovered,
    /// Per demand point, the candidates within the radius (sorted by candidate index).
    demand_to_candidates: Sparse,
    /// Per candidate, the demand points within the radius (sorted by demand index).
    candidate_to_demand: Sparse,
}

type Indexed = GeomWithData<[f64; 2], u32>;

/// What "within the radius" means for a covering instance. Positions are metres in the
/// run's metric CRS.
pub trait Reach: Sync {
    /// Per demand point: whether some existing AED is within `radius_m` of it.
    fn covered_by_existing(
        &self,
        demand: &[DemandSite],
        existing: &[ExistingSite],
        radius_m: f64,
    ) -> Vec<bool>;

    /// Per demand point: the candidates (indices into `candidates`, ascending) within
    /// `radius_m`; an empty row where `skip` is true.
    fn candidates_within(
        &self,
        demand: &[DemandSite],
        candidates: &[CandidateSite],
        skip: &[bool],
        radius_m: f64,
    ) -> Vec<Vec<u32>>;
}

/// Straight-line distance, through R-trees.
pub struct StraightLine;

impl Reach for StraightLine {
    fn covered_by_existing(
        &self,
        demand: &[DemandSite],
        existing: &[ExistingSite],
        radius_m: f64,
    ) -> Vec<bool> {
        let tree = tree_of(existing.iter().map(|e| [e.x_m, e.y_m]));
        let r2 = radius_m * radius_m;
        demand
            .par_iter()
            .map(|d| {
                tree.locate_within_distance([d.x_m, d.y_m], r2)
                    .next()
                    .is_some()
            })
            .collect()
    }

    fn candidates_within(
        &self,
        demand: &[DemandSite],
        candidates: &[CandidateSite],
        skip: &[bool],
        radius_m: f64,
    ) -> Vec<Vec<u32>> {
        let tree = tree_of(candidates.iter().map(|c| [c.x_m, c.y_m]));
        let r2 = radius_m * radius_m;
        demand
            .par_iter()
            .zip(skip)
            .map(|(d, &skip)| {
                if skip {
                    return Vec::new();
                }
                let mut row: Vec<u32> = tree
                    .locate_within_distance([d.x_m, d.y_m], r2)
                    .map(|c| c.data)
                    .collect();
                row.sort_unstable();
                row
            })
            .collect()
    }
}

fn tree_of(points: impl Iterator<Item = [f64; 2]>) -> RTree<Indexed> {
    RTree::bulk_load(
        points
            .enumerate()
            .map(|(i, p)| GeomWithData::new(p, i as u32))
            .collect(),
    )
}

fn nearest_distance(tree: &RTree<Indexed>, p: [f64; 2]) -> Option<f64> {
    tree.nearest_neighbor(&p).map(|n| {
        let q = n.geom();
        ((q[0] - p[0]).powi(2) + (q[1] - p[1]).powi(2)).sqrt()
    })
}

impl CoveringInstance {
    /// Builds the instance by straight-line distance. Demand points with non-finite
    /// coordinates or weights are an error naming the point (never silently dropped).
    pub fn build(
        demand: Vec<DemandSite>,
        candidates: Vec<CandidateSite>,
        existing: &[ExistingSite],
        options: InstanceOptions,
    ) -> Result<CoveringInstance, SitingError> {
        CoveringInstance::build_by(demand, candidates, existing, options, &StraightLine)
    }

    /// Builds the instance with "within the radius" measured by `reach` (straight line,
    /// walking along a network, …). Candidates within `min_distance_from_existing_m` of an
    /// existing AED are dropped by straight line whatever `reach` is.
    pub fn build_by(
        demand: Vec<DemandSite>,
        candidates: Vec<CandidateSite>,
        existing: &[ExistingSite],
        options: InstanceOptions,
        reach: &dyn Reach,
    ) -> Result<CoveringInstance, SitingError> {
        if !(options.radius_m.is_finite() && options.radius_m > 0.0) {
            return Err(SitingError::BadOption(format!(
                "radius_m must be a positive number ({})",
                options.radius_m
            )));
        }
        for d in &demand {
            if !(d.x_m.is_finite() && d.y_m.is_finite()) {
                return Err(SitingError::BadPoint(format!(
                    "demand point {} has no finite position ({}, {})",
                    d.id, d.x_m, d.y_m
                )));
            }
            let w = options.objective.weight(d);
            if !(w.is_finite() && w >= 0.0) {
                return Err(SitingError::BadPoint(format!(
                    "demand point {} has weight {w} (arrests {}, residents {})",
                    d.id, d.arrests, d.residents
                )));
            }
        }
        for c in &candidates {
            if !(c.x_m.is_finite() && c.y_m.is_finite()) {
                return Err(SitingError::BadPoint(format!(
                    "candidate {} has no finite position ({}, {})",
                    c.id, c.x_m, c.y_m
                )));
            }
        }

        let existing_tree = tree_of(existing.iter().map(|e| [e.x_m, e.y_m]));
        let mut kept = Vec::with_capacity(candidates.len());
        let mut nearest_existing_m = Vec::with_capacity(candidates.len());
        let mut dropped_near_existing = 0;
        for c in candidates {
            let d = nearest_distance(&existing_tree, [c.x_m, c.y_m]);
            if d.is_some_and(|d| d <= options.min_distance_from_existing_m) {
                dropped_near_existing += 1;
            } else {
                kept.push(c);
                nearest_existing_m.push(d);
            }
        }

        let covered_by_existing = reach.covered_by_existing(&demand, existing, options.radius_m);
        let mut already_covered = AlreadyCovered::default();
        let weights: Vec<f64> = demand
            .iter()
            .zip(&covered_by_existing)
            .map(|(d, &covered)| {
                if covered {
                    already_covered.demand_points += 1;
                    already_covered.arrests += d.arrests;
                    already_covered.residents += d.residents;
                    0.0
                } else {
                    options.objective.weight(d)
                }
            })
            .collect();

        let rows = reach.candidates_within(&demand, &kept, &covered_by_existing, options.radius_m);
        let demand_to_candidates = Sparse::from_rows(rows);
        let candidate_to_demand = demand_to_candidates.transpose(kept.len());

        Ok(CoveringInstance {
            options,
            demand,
            weights,
            covered_by_existing,
            candidates: kept,
            nearest_existing_m,
            dropped_near_existing,
            already_covered,
            demand_to_candidates,
            candidate_to_demand,
        })
    }

    /// Candidates within the radius of demand point `i` (those that would cover it).
    pub fn candidates_covering(&self, demand_index: usize) -> &[u32] {
        self.demand_to_candidates.row(demand_index)
    }

    /// Demand points within the radius of candidate `j`. Demand already covered by an
    /// existing AED is left out.
    pub fn demand_covered_by(&self, candidate_index: usize) -> &[u32] {
        self.candidate_to_demand.row(candidate_index)
    }

    /// Number of (demand, candidate) pairs within the radius.
    pub fn pairs(&self) -> usize {
        self.demand_to_candidates.nnz()
    }

    /// Total objective weight not yet covered by existing AEDs.
    pub fn uncovered_weight(&self) -> f64 {
        self.weights.iter().sum()
    }

    /// Objective weight covered by a set of candidates (indices into `candidates`),
    /// with (arrests, residents) alongside.
    pub fn value_of(&self, chosen: &[usize]) -> (f64, f64, f64) {
        let mut covered = vec![false; self.demand.len()];
        for &j in chosen {
            for &i in self.demand_covered_by(j) {
                covered[i as usize] = true;
            }
        }
        let mut value = (0.0, 0.0, 0.0);
        for (i, c) in covered.iter().enumerate() {
            if *c {
                value.0 += self.weights[i];
                value.1 += self.demand[i].arrests;
                value.2 += self.demand[i].residents;
            }
        }
        value
    }
}

/// Every demand point as a candidate (`--candidates demand`); ids are the demand ids.
pub fn demand_candidates(demand: &[DemandSite]) -> Vec<CandidateSite> {
    demand
        .iter()
        .map(|d| CandidateSite {
            id: d.id.clone(),
            name: None,
            x_m: d.x_m,
            y_m: d.y_m,
        })
        .collect()
}

/// A regular grid of candidates every `spacing_m` metres over the bounding box of the
/// demand (`--candidates grid:100`). Grid nodes sit on multiples of `spacing_m`, so the
/// same study area always gives the same grid; ids are `grid:<x>:<y>`.
pub fn grid_candidates(
    demand: &[DemandSite],
    spacing_m: f64,
) -> Result<Vec<CandidateSite>, SitingError> {
    if !(spacing_m.is_finite() && spacing_m >= 1.0) {
        return Err(SitingError::BadOption(format!(
            "grid spacing must be at least 1 metre ({spacing_m})"
        )));
    }
    let Some(first) = demand.first() else {
        return Ok(Vec::new());
    };
    let (mut x0, mut y0, mut x1, mut y1) = (first.x_m, first.y_m, first.x_m, first.y_m);
    for d in demand {
        x0 = x0.min(d.x_m);
        y0 = y0.min(d.y_m);
        x1 = x1.max(d.x_m);
        y1 = y1.max(d.y_m);
    }
    let (i0, i1) = (
        (x0 / spacing_m).floor() as i64,
        (x1 / spacing_m).ceil() as i64,
    );
    let (k0, k1) = (
        (y0 / spacing_m).floor() as i64,
        (y1 / spacing_m).ceil() as i64,
    );
    let n = (i1 - i0 + 1) as u128 * (k1 - k0 + 1) as u128;
    if n > 5_000_000 {
        return Err(SitingError::BadOption(format!(
            "a {spacing_m} m grid over the demand area has {n} nodes (over 5 million); use a coarser grid"
        )));
    }
    let mut out = Vec::with_capacity(n as usize);
    for k in k0..=k1 {
        for i in i0..=i1 {
            let (x, y) = (i as f64 * spacing_m, k as f64 * spacing_m);
            out.push(CandidateSite {
                id: format!("grid:{x}:{y}"),
                name: None,
                x_m: x,
                y_m: y,
            });
        }
    }
    Ok(out)
}

/// Named candidate sites read from a CSV file, with what could not be placed.
#[derive(Debug, Clone, Default)]
pub struct NamedSites {
    pub sites: Vec<CandidateSite>,
    /// `file:line: reason (value)` for each row that has no usable position.
    pub unplaced: Vec<String>,
}

/// A postcode → metric position lookup (e.g. from Code-Point Open).
pub type PostcodeLookup<'a> = &'a dyn Fn(&str) -> Option<(f64, f64)>;

/// Reads a named-sites CSV: a `name` column, and either `lat` + `lon` (WGS84 degrees) or
/// a `postcode` column (optional `id`); header names by the [`crate::csvhead`] rule.
/// `to_metric(lon, lat)` projects to the working CRS; `postcode_to_metric` looks a postcode
/// up (e.g. Code-Point Open); rows whose position is unknown are listed in `unplaced`, never
/// dropped silently.
pub fn read_named_sites(
    path: &Path,
    to_metric: &dyn Fn(f64, f64) -> Option<(f64, f64)>,
    postcode_to_metric: Option<PostcodeLookup<'_>>,
) -> Result<NamedSites, SitingError> {
    let file = path.display().to_string();
    let bytes = crate::input::read(path).map_err(|e| SitingError::Csv {
        file: file.clone(),
        line: 0,
        reason: e.to_string(),
    })?;
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(bytes.as_slice());
    let mut lines = crate::input::RecordLines::new(&bytes);
    let headers = Headers::new(rdr.headers().map_err(|e| SitingError::Csv {
        file: file.clone(),
        line: 1,
        reason: e.to_string(),
    })?);
    let (c_id, c_name, c_lat, c_lon, c_pc) = (
        headers.find("id"),
        headers.find("name"),
        headers.find_any(&["lat", "latitude"]),
        headers.find_any(&["lon", "longitude"]),
        headers.find("postcode"),
    );
    let Some(c_name) = c_name else {
        return Err(SitingError::Csv {
            file,
            line: 1,
            reason: "no `name` column".into(),
        });
    };
    if (c_lat.is_none() || c_lon.is_none()) && c_pc.is_none() {
        return Err(SitingError::Csv {
            file,
            line: 1,
            reason: "needs `lat` and `lon` columns or a `postcode` column".into(),
        });
    }
    let mut out = NamedSites::default();
    for (n, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(|e| SitingError::Csv {
            file: file.clone(),
            line: lines.at(e.position()).unwrap_or(n as u64 + 2),
            reason: crate::input::csv_reason(&e),
        })?;
        let line = lines.at(rec.position()).unwrap_or(n as u64 + 2);
        let get = |c: Option<usize>| c.and_then(|c| rec.get(c)).unwrap_or("");
        let name = get(Some(c_name)).to_string();
        let id = match get(c_id) {
            "" => format!("site:{line}"),
            s => s.to_string(),
        };
        let (lat, lon) = (get(c_lat), get(c_lon));
        let pos = if !lat.is_empty() || !lon.is_empty() {
            match (lat.parse::<f64>(), lon.parse::<f64>()) {
                (Ok(la), Ok(lo))
                    if (-90.0..=90.0).contains(&la) && (-180.0..=180.0).contains(&lo) =>
                {
                    to_metric(lo, la).ok_or_else(|| {
                        format!("{file}:{line}: lat/lon: cannot project ({lat}, {lon})")
                    })
                }
                _ => Err(format!(
                    "{file}:{line}: lat/lon: not a WGS84 position ({lat}, {lon})"
                )),
            }
        } else {
            let pc = get(c_pc);
            match postcode_to_metric {
                _ if pc.is_empty() => Err(format!("{file}:{line}: no lat/lon and no postcode ()")),
                Some(lookup) => {
                    lookup(pc).ok_or_else(|| format!("{file}:{line}: postcode: not found ({pc})"))
                }
                None => Err(format!(
                    "{file}:{line}: postcode: no postcode lookup available ({pc})"
                )),
            }
        };
        match pos {
            Ok((x_m, y_m)) => out.sites.push(CandidateSite {
                id,
                name: Some(name),
                x_m,
                y_m,
            }),
            Err(reason) => out.unplaced.push(reason),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(id: &str, x: f64, y: f64, arrests: f64) -> DemandSite {
        DemandSite {
            id: id.into(),
            x_m: x,
            y_m: y,
            arrests,
            residents: 10.0 * arrests,
            ..Default::default()
        }
    }

    #[test]
    fn radius_is_inclusive_at_500_m() {
        let demand = vec![d("a", 0.0, 500.0, 1.0), d("b", 0.0, -500.1, 1.0)];
        let inst = CoveringInstance::build(
            demand.clone(),
            vec![CandidateSite {
                id: "c".into(),
                name: None,
                x_m: 0.0,
                y_m: 0.0,
            }],
            &[],
            InstanceOptions::default(),
        )
        .unwrap();
        assert_eq!(inst.candidates_covering(0), &[0]);
        assert!(inst.candidates_covering(1).is_empty());
        assert_eq!(inst.demand_covered_by(0), &[0]);
        assert_eq!(inst.pairs(), 1);
    }

    #[test]
    fn existing_aeds_remove_demand_and_nearby_candidates() {
        let demand = vec![d("a", 0.0, 0.0, 3.0), d("b", 2000.0, 0.0, 2.0)];
        let candidates = demand_candidates(&demand);
        let existing = [ExistingSite {
            id: "aed".into(),
            x_m: 30.0,
            y_m: 0.0,
        }];
        let inst =
            CoveringInstance::build(demand, candidates, &existing, InstanceOptions::default())
                .unwrap();
        assert_eq!(inst.dropped_near_existing, 1);
        assert_eq!(inst.candidates.len(), 1);
        assert_eq!(inst.candidates[0].id, "b");
        assert!((inst.nearest_existing_m[0].unwrap() - 1970.0).abs() < 1e-9);
        assert_eq!(inst.weights, vec![0.0, 2.0]);
        assert_eq!(inst.already_covered.arrests, 3.0);
        assert_eq!(inst.already_covered.residents, 30.0);
        assert_eq!(inst.uncovered_weight(), 2.0);
    }

    #[test]
    fn mix_objective_scales_residents() {
        let demand = vec![d("a", 0.0, 0.0, 2.0), d("b", 1.0, 0.0, 0.0)];
        let obj = Objective::mix_scaled_to(0.5, &demand);
        // 20 residents / 2 arrests = 10 residents per arrest.
        assert_eq!(obj.weight(&demand[0]), 0.5 * 2.0 + 0.5 * 20.0 / 10.0);
        assert_eq!(Objective::Residents.weight(&demand[0]), 20.0);
    }

    #[test]
    fn grid_is_aligned_and_covers_bbox() {
        let demand = vec![d("a", 150.0, 50.0, 1.0), d("b", 320.0, 260.0, 1.0)];
        let g = grid_candidates(&demand, 100.0).unwrap();
        // x 100..=400, y 0..=300 → 4 × 4.
        assert_eq!(g.len(), 16);
        assert_eq!(g[0].id, "grid:100:0");
        assert!(grid_candidates(&demand, 0.0).is_err());
    }

    #[test]
    fn non_finite_demand_is_an_error_naming_the_point() {
        let err = CoveringInstance::build(
            vec![d("bad", f64::NAN, 0.0, 1.0)],
            vec![],
            &[],
            InstanceOptions::default(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("bad"), "{err}");
    }

    /// The same with LF and with CRLF line ends (as spreadsheets save CSV): lines are named
    /// as a text editor shows them.
    #[test]
    fn named_sites_csv_places_rows_and_names_unplaced_ones() {
        let text = "name,lat,lon,postcode\nVillage hall,52.6,-1.1,\nChurch,,,LE1 1AA\nPub,,,ZZ9 9ZZ\nShop,95,1,\n";
        for line_end in ["\n", "\r\n"] {
            named_sites_from(&text.replace('\n', line_end));
        }
    }

    fn named_sites_from(text: &str) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sites.csv");
        std::fs::write(&path, text).unwrap();
        let proj = |lon: f64, lat: f64| Some((lon * 1000.0, lat * 1000.0));
        let lookup = |pc: &str| (pc == "LE1 1AA").then_some((1.0, 2.0));
        let got = read_named_sites(&path, &proj, Some(&lookup)).unwrap();
        assert_eq!(got.sites.len(), 2);
        assert_eq!(got.sites[1].id, "site:3");
        assert_eq!(got.sites[0].name.as_deref(), Some("Village hall"));
        assert_eq!((got.sites[1].x_m, got.sites[1].y_m), (1.0, 2.0));
        assert_eq!(got.unplaced.len(), 2);
        assert!(
            got.unplaced[0].ends_with(":4: postcode: not found (ZZ9 9ZZ)"),
            "{:?}",
            got.unplaced
        );
        assert!(
            got.unplaced[1].contains(":5: lat/lon"),
            "{:?}",
            got.unplaced
        );
        let ragged = text.replace(",95,1,", ",95");
        std::fs::write(&path, ragged).unwrap();
        let e = read_named_sites(&path, &proj, Some(&lookup)).unwrap_err();
        let e = e.to_string();
        assert!(
            e.ends_with("sites.csv:5: has 2 fields, the header has 4"),
            "{e}"
        );
    }

    /// Four places 1 km apart, each best for one objective: one site within 100 m of each.
    fn four_places() -> Vec<DemandSite> {
        // (arrests, residents, residents_65_plus, deprived_residents)
        let w = [
            (5.0, 10.0, 1.0, 0.0),
            (1.0, 100.0, 2.0, 0.0),
            (1.0, 20.0, 15.0, 0.0),
            (0.0, 30.0, 0.0, 30.0),
        ];
        w.iter()
            .enumerate()
            .map(|(i, &(a, r, old, dep))| DemandSite {
                id: format!("p{i}"),
                x_m: 1000.0 * i as f64,
                y_m: 0.0,
                arrests: a,
                residents: r,
                residents_65_plus: old,
                deprived_residents: dep,
            })
            .collect()
    }

    #[test]
    fn each_objective_picks_its_own_best_site_and_counts_its_own_weight() {
        let demand = four_places();
        let cases = [
            (Objective::Arrests, "p0", 5.0),
            (Objective::Residents, "p1", 100.0),
            (Objective::Residents65Plus, "p2", 15.0),
            (Objective::DeprivedResidents, "p3", 30.0),
        ];
        for (objective, site, value) in cases {
            let inst = CoveringInstance::build(
                demand.clone(),
                demand_candidates(&demand),
                &[],
                InstanceOptions {
                    radius_m: 100.0,
                    min_distance_from_existing_m: 0.0,
                    objective,
                },
            )
            .unwrap();
            let g = crate::siting::greedy(&inst, 1);
            let chosen = g.chosen();
            assert_eq!(inst.candidates[chosen[0]].id, site, "{}", objective.label());
            assert_eq!(g.value, value, "{}", objective.label());
            // Arrests and residents are still those of the chosen place, whatever the objective.
            let (_, arrests, residents) = inst.value_of(&chosen);
            let d = demand.iter().find(|d| d.id == site).unwrap();
            assert_eq!((arrests, residents), (d.arrests, d.residents));
        }
        assert_eq!(Objective::Residents65Plus.label(), "residents_65_plus");
        assert_eq!(Objective::DeprivedResidents.label(), "deprived_residents");
    }
}
