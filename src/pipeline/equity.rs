//! The equity stage: who is near a counted AED, by deprivation (IMD 2025 national decile of
//! the LSOA) and by age (65 or over, under 65).
//!
//! Every postcode unit of the study finds its LSOA 2021 by point in polygon (its Code-Point
//! position), and its LSOA's decile by code. A unit outside every LSOA, in an LSOA with no
//! deprivation row, or in one whose decile is unusable is counted as such and kept in an
//! `unknown` group, so group totals always add up to the whole. Residents aged 65+ on a unit
//! are its residents times its LSOA's 65+ share (Census 2021). The ages of arrests are not in
//! the data: arrests by age are unknown, not estimated. Distances are to the nearest counted AED
//! (the one counted-AED rule of the assessment) in the run's metres: straight lines, or, when
//! the study walks, walking distance (snap + network + snap, as coverage measures it, but not
//! cut at the largest radius, so medians beyond it are real distances), and then coverage by
//! decile and age is by walking too.

use std::collections::{BTreeMap, HashMap};

use super::PipelineError;
use super::assess::Assessment;
use super::inputs::DemandStage;
use crate::geography::deprivation::{LsoaAges, read_ages, read_ages_from, read_imd, read_imd_from};
use crate::geography::{AreaLayer, AreaOptions, DeprivationTable};
use crate::study::{EquityLsoas, Study};

/// Deciles 1-3: the `deprived_residents` siting objective.
pub const DEPRIVED_DECILES: std::ops::RangeInclusive<u8> = 1..=3;

/// The loaded LSOA tables and each postcode unit's LSOA.
pub struct EquityInputs {
    pub imd: DeprivationTable,
    pub ages: BTreeMap<String, LsoaAges>,
    /// The LSOA polygons (British National Grid metres), when loaded from files.
    pub polygons: Option<AreaLayer>,
    /// LSOA code of each unit of `DemandStage::units`, by unit index.
    pub unit_lsoa: Vec<Option<String>>,
    /// `file`, named in the report.
    pub imd_name: String,
}

/// Why an embedded postcode-unit table could not be used.
fn embedded_error(name: &str, line: usize, reason: String) -> PipelineError {
    PipelineError::Unsupported(format!("{name}:{line}: {reason}"))
}

/// A row of an embedded `postcode_units.csv`: (postcode, easting_m, northing_m, residents,
/// LSOA code). See `data/README.md`.
pub type EmbeddedUnit = (String, f64, f64, f64, Option<String>);

/// The rows of an embedded `postcode_units.csv`.
pub fn embedded_units(name: &str, text: &str) -> Result<Vec<EmbeddedUnit>, PipelineError> {
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let h = crate::csvhead::Headers::new(
        &rdr.headers()
            .map_err(|e| embedded_error(name, 1, e.to_string()))?
            .clone(),
    );
    let col = |c: &str| {
        h.require(c)
            .map_err(|e| embedded_error(name, 1, e.to_string()))
    };
    let (pc, e, n, r, l) = (
        col("postcode")?,
        col("easting_m")?,
        col("northing_m")?,
        col("residents")?,
        col("lsoa21cd")?,
    );
    let mut out = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| embedded_error(name, line, e.to_string()))?;
        let num = |c: usize, what: &str| {
            rec[c].trim().parse::<f64>().map_err(|_| {
                embedded_error(name, line, format!("{what}: not a number ({})", &rec[c]))
            })
        };
        let lsoa = rec[l].trim();
        out.push((
            rec[pc].to_string(),
            num(e, "easting_m")?,
            num(n, "northing_m")?,
            num(r, "residents")?,
            (!lsoa.is_empty()).then(|| lsoa.to_string()),
        ));
    }
    Ok(out)
}

/// Loads the `[equity]` tables and places every unit of `demand` in its LSOA.
pub fn load(study: &Study, demand: &DemandStage) -> Result<Option<EquityInputs>, PipelineError> {
    let Some(eq) = &study.equity else {
        return Ok(None);
    };
    let Some(units) = &demand.units else {
        return Err(PipelineError::Unsupported(
            "[equity] needs postcode units (a [postcodes] section)".into(),
        ));
    };
    let dep = |e: crate::geography::DeprivationError| PipelineError::Unsupported(e.to_string());
    Ok(Some(match &eq.lsoas {
        EquityLsoas::Files {
            imd_csv,
            ages_csv,
            lsoa_geojson,
        } => {
            let imd = read_imd(imd_csv).map_err(dep)?;
            let ages = match ages_csv {
                Some(p) => read_ages(p).map_err(dep)?,
                None => BTreeMap::new(),
            };
            let (polygons, _) =
                AreaLayer::from_geojson_files(lsoa_geojson, &AreaOptions::lsoa21())?;
            let unit_lsoa = (0..units.len())
                .map(|i| {
                    let p = units.demand_point(i, 0.0);
                    polygons
                        .locate(p.x_m, p.y_m)
                        .map(|a| polygons.areas()[a].id.clone())
                })
                .collect();
            EquityInputs {
                imd,
                ages,
                polygons: Some(polygons),
                unit_lsoa,
                imd_name: imd_csv.display().to_string(),
            }
        }
        EquityLsoas::Embedded {
            lsoas_name,
            lsoas_csv,
            units_name,
            units_csv,
        } => {
            let by_code: HashMap<String, Option<String>> = embedded_units(units_name, units_csv)?
                .into_iter()
                .map(|u| (u.0, u.4))
                .collect();
            let unit_lsoa = (0..units.len())
                .map(|i| by_code.get(units.postcode(i)).cloned().flatten())
                .collect();
            EquityInputs {
                imd: read_imd_from(lsoas_name, lsoas_csv.as_bytes()).map_err(dep)?,
                ages: read_ages_from(lsoas_name, lsoas_csv.as_bytes()).map_err(dep)?,
                polygons: None,
                unit_lsoa,
                imd_name: (*lsoas_name).to_string(),
            }
        }
    }))
}

/// How the join went: every unit and every LSOA is accounted for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct JoinReport {
    pub lsoas_in_file: usize,
    /// LSOAs of the file with a polygon (`None` without polygons: the built-in tables).
    pub lsoas_with_polygon: Option<usize>,
    /// LSOA polygons holding units but with no deprivation row.
    pub lsoas_without_deprivation: Vec<String>,
    /// Rows whose decile is unusable, as `file:line: column: reason (value)`.
    pub bad_rows: Vec<String>,
    pub units_total: usize,
    pub units_with_decile: usize,
    /// Units inside no LSOA polygon (outside the LSOAs loaded).
    pub units_outside_lsoas: usize,
    /// Units in an LSOA with no deprivation row or an unusable decile.
    pub units_without_decile: usize,
    pub residents_without_decile: f64,
    /// Residents of units whose LSOA has no age row.
    pub residents_without_age: f64,
    /// `usual_residents_total` summed by decile in the file (index 0 = decile 1).
    pub residents_by_decile_file: [u64; 10],
}

/// Figures of one group of residents (a decile, an age band, or everyone).
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// `imd_decile_1` … `imd_decile_10`, `imd_decile_unknown`, `age_65_plus`, `age_under_65`,
    /// `age_unknown`, `all`.
    pub key: String,
    pub imd_decile: Option<u8>,
    pub units: usize,
    pub residents: f64,
    /// Per radius (the study's order): residents within it.
    pub residents_covered: Vec<f64>,
    /// Arrests placed in the group; `None` for age bands (ages of arrests are unknown).
    pub arrests: Option<f64>,
    pub arrests_covered: Option<Vec<f64>>,
    /// Residents-weighted median and 90th percentile of the distance to the nearest counted
    /// AED, metres; `None` when that resident has no counted AED at all, or no residents.
    pub median_distance_m: Option<f64>,
    pub p90_distance_m: Option<f64>,
}

impl Group {
    /// % of residents within radius number `k`; `None` without residents.
    pub fn pct_residents(&self, k: usize) -> Option<f64> {
        (self.residents > 0.0).then(|| 100.0 * self.residents_covered[k] / self.residents)
    }
    /// % of arrests within radius number `k`; `None` when unknown or none.
    pub fn pct_arrests(&self, k: usize) -> Option<f64> {
        let (a, c) = (self.arrests?, self.arrests_covered.as_ref()?);
        (a > 0.0).then(|| 100.0 * c[k] / a)
    }
}

/// Most deprived (deciles 1-2) against least deprived (9-10).
#[derive(Debug, Clone, PartialEq)]
pub struct DeprivationGap {
    pub most: Group,
    pub least: Group,
}

impl DeprivationGap {
    /// Median distance of the most deprived minus that of the least deprived, metres.
    pub fn median_distance_gap_m(&self) -> Option<f64> {
        Some(self.most.median_distance_m? - self.least.median_distance_m?)
    }
    /// Coverage of residents (percentage points), most minus least deprived, radius `k`.
    pub fn coverage_gap_pct_points(&self, k: usize) -> Option<f64> {
        Some(self.most.pct_residents(k)? - self.least.pct_residents(k)?)
    }
}

/// One LSOA's figures (for `lsoas.geojson`).
#[derive(Debug, Clone, PartialEq)]
pub struct LsoaFigures {
    pub lsoa21cd: String,
    pub imd_decile: Option<u8>,
    pub group: Group,
}

/// What the equity stage found.
pub struct EquityStage {
    pub inputs: EquityInputs,
    pub join: JoinReport,
    /// Deciles 1-10, then `imd_decile_unknown` (when any), then the age bands.
    pub groups: Vec<Group>,
    pub overall: Group,
    pub gap: DeprivationGap,
    /// Per LSOA that holds units, by code.
    pub lsoas: Vec<LsoaFigures>,
    /// Distances and coverage are by walking (else straight lines).
    pub by_walking: bool,
}

/// Accumulates a group's figures.
struct Acc {
    units: usize,
    residents: f64,
    covered: Vec<f64>,
    arrests: f64,
    arrests_covered: Vec<f64>,
    /// (distance, residents) pairs.
    dist: Vec<(f64, f64)>,
}

impl Acc {
    fn new(radii: usize) -> Acc {
        Acc {
            units: 0,
            residents: 0.0,
            covered: vec![0.0; radii],
            arrests: 0.0,
            arrests_covered: vec![0.0; radii],
            dist: Vec::new(),
        }
    }

    fn add_residents(&mut self, r: f64, d: f64, eff: &[f64]) {
        self.units += 1;
        self.residents += r;
        for (k, e) in eff.iter().enumerate() {
            if d <= *e {
                self.covered[k] += r;
            }
        }
        if r > 0.0 {
            self.dist.push((d, r));
        }
    }

    fn add_arrests(&mut self, w: f64, mask: impl Fn(usize) -> bool) {
        self.arrests += w;
        for (k, c) in self.arrests_covered.iter_mut().enumerate() {
            if mask(k) {
                *c += w;
            }
        }
    }

    fn merge(&mut self, o: &Acc) {
        self.units += o.units;
        self.residents += o.residents;
        for (a, b) in self.covered.iter_mut().zip(&o.covered) {
            *a += b;
        }
        self.arrests += o.arrests;
        for (a, b) in self.arrests_covered.iter_mut().zip(&o.arrests_covered) {
            *a += b;
        }
        self.dist.extend_from_slice(&o.dist);
    }

    fn finish(mut self, key: String, imd_decile: Option<u8>, with_arrests: bool) -> Group {
        self.dist.sort_by(|a, b| a.0.total_cmp(&b.0));
        let q = |f: f64| weighted_quantile(&self.dist, f);
        Group {
            key,
            imd_decile,
            units: self.units,
            residents: self.residents,
            median_distance_m: q(0.5),
            p90_distance_m: q(0.9),
            residents_covered: self.covered,
            arrests: with_arrests.then_some(self.arrests),
            arrests_covered: with_arrests.then_some(self.arrests_covered),
        }
    }
}

/// The smallest distance `d` with at least `q` of the weight at or below it; `None` when
/// there is no weight or that distance is infinite (no counted AED).
pub fn weighted_quantile(sorted: &[(f64, f64)], q: f64) -> Option<f64> {
    let total: f64 = sorted.iter().map(|p| p.1).sum();
    if total <= 0.0 {
        return None;
    }
    let mut cum = 0.0;
    for &(d, w) in sorted {
        cum += w;
        if cum >= q * total * (1.0 - 1e-12) {
            return d.is_finite().then_some(d);
        }
    }
    None
}

/// Runs the equity stage.
pub fn equity(
    inputs: EquityInputs,
    demand: &DemandStage,
    a: &Assessment,
    network: Option<&crate::network::WalkNetwork>,
    notes: &mut Vec<String>,
) -> Result<EquityStage, PipelineError> {
    let units = demand
        .units
        .as_ref()
        .ok_or_else(|| PipelineError::Unsupported("[equity] needs postcode units".into()))?;
    let walk_m = match (network, &a.walk) {
        (Some(net), Some(_)) => Some(walking_m(net, a, units)),
        _ => None,
    };
    let eff = a.config.effective_radii_m();
    let nr = eff.len();
    let mut join = JoinReport {
        lsoas_in_file: inputs.imd.rows.len(),
        lsoas_with_polygon: inputs.polygons.as_ref().map(|p| {
            inputs
                .imd
                .rows
                .keys()
                .filter(|c| p.position(c).is_some())
                .count()
        }),
        bad_rows: inputs.imd.problems.clone(),
        units_total: units.len(),
        residents_by_decile_file: inputs.imd.residents_by_decile(),
        ..Default::default()
    };
    let mut deciles: Vec<Acc> = (0..11).map(|_| Acc::new(nr)).collect();
    let mut ages: Vec<Acc> = (0..3).map(|_| Acc::new(nr)).collect();
    let mut lsoas: BTreeMap<&str, Acc> = BTreeMap::new();
    let mut missing: std::collections::BTreeSet<String> = Default::default();
    for i in 0..units.len() {
        let p = units.demand_point(i, 0.0);
        let d = match &walk_m {
            Some(w) => w[i],
            None => a
                .index
                .nearest(p.x_m, p.y_m)
                .map_or(f64::INFINITY, |(_, d2)| d2.sqrt()),
        };
        let lsoa = inputs.unit_lsoa[i].as_deref();
        let decile = decile_of(&inputs, lsoa);
        match (lsoa, decile) {
            (_, Some(_)) => join.units_with_decile += 1,
            (None, None) => join.units_outside_lsoas += 1,
            (Some(code), None) => {
                join.units_without_decile += 1;
                if !inputs.imd.rows.contains_key(code) {
                    missing.insert(code.to_string());
                }
            }
        }
        if decile.is_none() {
            join.residents_without_decile += p.residents;
        }
        deciles[decile.map_or(10, |d| usize::from(d) - 1)].add_residents(p.residents, d, &eff);
        if let Some(code) = lsoa {
            lsoas
                .entry(code)
                .or_insert_with(|| Acc::new(nr))
                .add_residents(p.residents, d, &eff);
        }
        match lsoa.and_then(|c| inputs.ages.get(c)) {
            Some(ag) if ag.usual_residents > 0 => {
                let old = p.residents * f64::from(ag.age_65_plus) / f64::from(ag.usual_residents);
                ages[0].add_residents(old, d, &eff);
                ages[1].add_residents(p.residents - old, d, &eff);
            }
            _ => {
                join.residents_without_age += p.residents;
                ages[2].add_residents(p.residents, d, &eff);
            }
        }
    }
    join.lsoas_without_deprivation = missing.into_iter().collect();
    add_arrests(&inputs, units, demand, a, &mut deciles);
    if !join.bad_rows.is_empty() || join.units_without_decile > 0 {
        notes.push(format!(
            "deprivation: {} rows of {} have no usable decile and {} postcode units lie in an LSOA without one ({} residents): counted as decile unknown",
            join.bad_rows.len(),
            inputs.imd_name,
            join.units_without_decile,
            crate::export::csv_out::num(join.residents_without_decile, 0)
        ));
    }
    let mut all = Acc::new(nr);
    for d in &deciles {
        all.merge(d);
    }
    let pair = |lo: usize, hi: usize, key: &str| {
        let mut g = Acc::new(nr);
        for d in &deciles[lo..=hi] {
            g.merge(d);
        }
        g.finish(key.into(), None, true)
    };
    let gap = DeprivationGap {
        most: pair(0, 1, "imd_deciles_1_2"),
        least: pair(8, 9, "imd_deciles_9_10"),
    };
    let mut groups = Vec::new();
    for (i, acc) in deciles.into_iter().enumerate() {
        if i < 10 {
            groups.push(acc.finish(format!("imd_decile_{}", i + 1), Some(i as u8 + 1), true));
        } else if acc.units > 0 || acc.arrests > 0.0 {
            groups.push(acc.finish("imd_decile_unknown".into(), None, true));
        }
    }
    for (acc, key) in ages
        .into_iter()
        .zip(["age_65_plus", "age_under_65", "age_unknown"])
    {
        if key != "age_unknown" || acc.units > 0 {
            groups.push(acc.finish(key.into(), None, false));
        }
    }
    let lsoas = lsoas
        .into_iter()
        .map(|(code, acc)| LsoaFigures {
            lsoa21cd: code.to_string(),
            imd_decile: decile_of(&inputs, Some(code)),
            group: acc.finish(code.to_string(), decile_of(&inputs, Some(code)), false),
        })
        .collect();
    Ok(EquityStage {
        join,
        groups,
        overall: all.finish("all".into(), None, true),
        gap,
        lsoas,
        inputs,
        by_walking: walk_m.is_some(),
    })
}

/// Walking metres from every postcode unit to its nearest counted AED, uncut (infinite when
/// no counted AED is on the unit's piece of network): one multi-source Dijkstra.
fn walking_m(
    net: &crate::network::WalkNetwork,
    a: &Assessment,
    units: &crate::demand::UnitTable,
) -> Vec<f64> {
    let aeds: Vec<(f64, f64)> = a
        .index
        .facilities()
        .iter()
        .map(|f| (f.x_m, f.y_m))
        .collect();
    let points: Vec<(f64, f64)> = (0..units.len())
        .map(|i| {
            let p = units.demand_point(i, 0.0);
            (p.x_m, p.y_m)
        })
        .collect();
    let aed_feet = net.snap_all(&aeds, f64::INFINITY);
    let point_feet = net.snap_all(&points, f64::INFINITY);
    crate::network::walk::nearest_within(&net.graph, &aed_feet, &point_feet, f64::INFINITY)
        .into_iter()
        .map(|n| n.map_or(f64::INFINITY, |(_, d)| d))
        .collect()
}

fn decile_of(inputs: &EquityInputs, lsoa: Option<&str>) -> Option<u8> {
    inputs.imd.rows.get(lsoa?)?.imd_decile
}

/// Arrests by decile: a demand point on a unit takes the unit's LSOA; any other point is
/// placed by point in polygon when polygons are loaded, else its decile is unknown.
fn add_arrests(
    inputs: &EquityInputs,
    units: &crate::demand::UnitTable,
    demand: &DemandStage,
    a: &Assessment,
    deciles: &mut [Acc],
) {
    let by_code: HashMap<&str, usize> = (0..units.len()).map(|i| (units.postcode(i), i)).collect();
    for (p, c) in demand.points.iter().zip(&a.result.points) {
        let lsoa = match by_code.get(p.id.as_str()) {
            Some(&i) => inputs.unit_lsoa[i].clone(),
            None => inputs
                .polygons
                .as_ref()
                .and_then(|l| l.locate(p.x_m, p.y_m).map(|x| l.areas()[x].id.clone())),
        };
        let decile = decile_of(inputs, lsoa.as_deref());
        deciles[decile.map_or(10, |d| usize::from(d) - 1)].add_arrests(p.weight, |k| c.covered(k));
    }
}

/// Per demand point, its residents aged 65+ and its residents in deciles 1-3 (the
/// `residents_65_plus` and `deprived_residents` siting objectives), from its unit.
pub fn objective_weights(e: &EquityStage, demand: &DemandStage) -> Vec<(f64, f64)> {
    let Some(units) = &demand.units else {
        return vec![(0.0, 0.0); demand.points.len()];
    };
    let by_code: HashMap<&str, usize> = (0..units.len()).map(|i| (units.postcode(i), i)).collect();
    demand
        .points
        .iter()
        .map(|p| {
            let Some(&i) = by_code.get(p.id.as_str()) else {
                return (0.0, 0.0);
            };
            let lsoa = e.inputs.unit_lsoa[i].as_deref();
            let old = lsoa
                .and_then(|c| e.inputs.ages.get(c))
                .filter(|ag| ag.usual_residents > 0)
                .map_or(0.0, |ag| {
                    p.residents * f64::from(ag.age_65_plus) / f64::from(ag.usual_residents)
                });
            let deprived = decile_of(&e.inputs, lsoa)
                .filter(|d| DEPRIVED_DECILES.contains(d))
                .map_or(0.0, |_| p.residents);
            (old, deprived)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weighted_quantiles() {
        let d = [(10.0, 1.0), (20.0, 1.0), (30.0, 2.0)];
        assert_eq!(weighted_quantile(&d, 0.5), Some(20.0));
        assert_eq!(weighted_quantile(&d, 0.9), Some(30.0));
        assert_eq!(weighted_quantile(&[], 0.5), None);
        assert_eq!(weighted_quantile(&[(f64::INFINITY, 1.0)], 0.5), None);
    }

    #[test]
    fn embedded_units_parse_and_name_bad_lines() {
        let t =
            "postcode,easting_m,northing_m,residents,lsoa21cd\nLE1 1AA,1,2,3,E1\nLE1 1AB,1,2,0,\n";
        let u = embedded_units("u.csv", t).unwrap();
        assert_eq!(u[0].4.as_deref(), Some("E1"));
        assert_eq!(u[1].4, None);
        let bad = "postcode,easting_m,northing_m,residents,lsoa21cd\nLE1 1AA,x,2,3,E1\n";
        let e = embedded_units("u.csv", bad).unwrap_err().to_string();
        assert_eq!(e, "u.csv:2: easting_m: not a number (x)");
    }
}
