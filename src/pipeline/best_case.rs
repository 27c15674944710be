//! The best case from counts: for each area whose AEDs are known only as a count (the 2021
//! report's districts), place that many AEDs as well as possible over the area's postcode
//! units, the located AEDs fixed in place, and report the best coverage at the main radius
//! they could reach — of residents and of arrests. Also the fewest AEDs that would put 80,
//! 90 and 95 % of the area's residents within the radius.
//!
//! Direction of every figure, carried as its kind:
//! - best-case coverage `proven`: the optimum (the exact MIP closed, or a placement met a
//!   proven bound); `upper_bound`: a proven ceiling on the optimum (the least of the online
//!   bounds of [`crate::siting::bounds`] and of the greedy, the Lagrangian bound of
//!   [`crate::siting::lagrangian_bound`] after a fixed number of steps, and the MIP's bound),
//!   so a ceiling on the real coverage of the counted AEDs. The best placement found (greedy,
//!   the Lagrangian multipliers' sites, or the MIP's) is kept as a floor on the best case
//!   (`floor_pct`), never quoted as a ceiling;
//! - AEDs needed: `at_most` is a greedy placement that reaches the target (a ceiling on the
//!   fewest), `at_least` the smallest count whose proven bound reaches it (a floor); `proven`
//!   when they meet.

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use super::PipelineError;
use super::assess::Assessment;
use super::inputs::DemandStage;
use crate::siting::{
    CoveringInstance, DemandSite, ExactOptions, ExactStatus, ExistingSite, InstanceOptions,
    Objective, demand_candidates, exact, fewest_sites, greedy, lagrangian_bound, upper_bounds_by_k,
};
use crate::study::BestCase;

/// Shares of residents for the fewest-AEDs figures, %.
pub const TARGETS_PCT: [f64; 3] = [80.0, 90.0, 95.0];

/// How a best-case coverage figure was proven.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Proven,
    UpperBound,
}

impl Kind {
    pub fn as_str(&self) -> &'static str {
        match self {
            Kind::Proven => "proven",
            Kind::UpperBound => "upper_bound",
        }
    }
}

/// The best coverage `new_sites` placed AEDs (plus the located ones) could reach.
#[derive(Debug, Clone, PartialEq)]
pub struct Best {
    pub new_sites: usize,
    /// Total weight of the area (residents or arrests).
    pub total: f64,
    /// % covered by the located AEDs alone.
    pub located_pct: f64,
    /// % the best placement found reaches (greedy, the Lagrangian's sites, or the MIP's when
    /// it ran): a floor on the best case, never a ceiling.
    pub floor_pct: f64,
    /// Which placement gives the floor: `greedy`, `lagrangian_sites` or `exact`.
    pub floor_from: &'static str,
    /// The proven ceiling on the best case, %.
    pub upper_bound_pct: f64,
    /// `Proven` when a placement reaches the ceiling (floor = ceiling = the optimum).
    pub kind: Kind,
    /// The exact solver's ending, when it ran.
    pub exact_status: Option<&'static str>,
}

impl Best {
    /// The figure users are told: the optimum when proven, else the ceiling ("at most").
    pub fn quoted_pct(&self) -> f64 {
        self.upper_bound_pct
    }
}

/// The fewest AEDs (located + new) putting `target_pct` of residents within the radius.
#[derive(Debug, Clone, PartialEq)]
pub struct Needed {
    pub target_pct: f64,
    pub at_least: usize,
    /// `None`: no placement over the area's units reaches it.
    pub at_most: Option<usize>,
}

impl Needed {
    pub fn kind(&self) -> &'static str {
        if self.at_most == Some(self.at_least) {
            "proven"
        } else {
            "bounds"
        }
    }
}

/// One area's best case.
#[derive(Debug, Clone, PartialEq)]
pub struct BestCaseEntry {
    pub id: String,
    pub aeds_counted: u32,
    pub aeds_located: usize,
    pub units: usize,
    pub residents: Option<Best>,
    pub arrests: Option<Best>,
    pub needed: Vec<Needed>,
    /// Wall-clock seconds for this area (both objectives and the set cover).
    pub solve_time_s: f64,
}

/// The best case of every report district with a count, in the report's reading order.
pub fn best_case(
    settings: &BestCase,
    demand: &DemandStage,
    a: &Assessment,
    located: &BTreeMap<String, usize>,
    radius_m: f64,
) -> Result<Vec<BestCaseEntry>, PipelineError> {
    use rayon::prelude::*;
    let mut by_district = district_sites(demand);
    let existing = existing_sites(a);
    let jobs: Vec<_> = (crate::seeds::aeds_by_district()?.into_iter())
        .map(|row| {
            let sites = by_district.remove(&row.district).unwrap_or_default();
            let aeds_located = located.get(&row.district).copied().unwrap_or(0);
            (row, aeds_located, sites)
        })
        .collect();
    let one = |(row, aeds_located, sites): (crate::seeds::AedsByDistrict, usize, Vec<_>)| {
        let (id, count) = (row.district, row.aed_count);
        area(
            settings,
            id,
            count,
            aeds_located,
            sites,
            &existing,
            radius_m,
        )
    };
    // Bounds only, each area's figures depend on nothing but its own steps: the areas share
    // out over the cores, in the same order (and the first error in that order is the
    // error). A time-limited MIP gets the whole machine, one area after another, as a study
    // that sets its limit expects.
    if settings.exact_time_limit_s > 0.0 {
        jobs.into_iter().map(one).collect()
    } else {
        let done: Vec<_> = jobs.into_par_iter().map(one).collect();
        done.into_iter().collect()
    }
}

/// Every counted AED as a fixed site.
pub fn existing_sites(a: &Assessment) -> Vec<ExistingSite> {
    a.index
        .facilities()
        .iter()
        .filter(|f| f.x_m.is_finite() && f.y_m.is_finite())
        .map(|f| ExistingSite {
            id: String::from(&f.id),
            x_m: f.x_m,
            y_m: f.y_m,
        })
        .collect()
}

/// The postcode units of each district as demand sites (residents, and the arrests placed
/// on each unit).
pub fn district_sites(demand: &DemandStage) -> BTreeMap<String, Vec<DemandSite>> {
    let mut by_district: BTreeMap<String, Vec<DemandSite>> = BTreeMap::new();
    let Some(units) = &demand.units else {
        return by_district;
    };
    let arrests: HashMap<&str, f64> = demand.points.iter().fold(HashMap::new(), |mut m, p| {
        *m.entry(p.id.as_str()).or_default() += p.weight;
        m
    });
    for i in 0..units.len() {
        let Some(d) = super::districts::district_of(units.postcode(i)) else {
            continue;
        };
        let p = units.demand_point(i, 0.0);
        by_district.entry(d).or_default().push(DemandSite {
            arrests: arrests.get(p.id.as_str()).copied().unwrap_or(0.0),
            residents: p.residents,
            id: p.id.into(),
            x_m: p.x_m,
            y_m: p.y_m,
            ..Default::default()
        });
    }
    by_district
}

/// The covering instance of one area for `objective`: its units as demand and candidates,
/// every counted AED fixed in place, coverage within `radius_m`.
pub fn area_instance(
    sites: &[DemandSite],
    existing: &[ExistingSite],
    radius_m: f64,
    objective: Objective,
) -> Result<CoveringInstance, PipelineError> {
    Ok(CoveringInstance::build(
        sites.to_vec(),
        demand_candidates(sites),
        existing,
        InstanceOptions {
            radius_m,
            min_distance_from_existing_m: 0.0,
            objective,
        },
    )?)
}

/// One area: both objectives and the set cover.
fn area(
    settings: &BestCase,
    id: String,
    aeds_counted: u32,
    aeds_located: usize,
    sites: Vec<DemandSite>,
    existing: &[ExistingSite],
    radius_m: f64,
) -> Result<BestCaseEntry, PipelineError> {
    let started = Instant::now();
    let k_new = (aeds_counted as usize).saturating_sub(aeds_located);
    let units = sites.len();
    let build = |objective| area_instance(&sites, existing, radius_m, objective);
    let mut needed = Vec::new();
    let residents = match build(Objective::Residents)? {
        inst if total(&inst) > 0.0 => {
            let (best, cum, bounds) = solve(settings, &inst, k_new)?;
            let located_w = inst.already_covered.residents;
            for t in TARGETS_PCT {
                let add = t / 100.0 * best.total - located_w;
                let (lo, hi) = fewest_sites(&cum, &bounds, add);
                needed.push(Needed {
                    target_pct: t,
                    at_least: aeds_located + lo,
                    at_most: hi.map(|h| aeds_located + h),
                });
            }
            Some(best)
        }
        _ => None,
    };
    let arrests = match build(Objective::Arrests)? {
        inst if total(&inst) > 0.0 => Some(solve(settings, &inst, k_new)?.0),
        _ => None,
    };
    Ok(BestCaseEntry {
        id,
        aeds_counted,
        aeds_located,
        units,
        residents,
        arrests,
        needed,
        solve_time_s: started.elapsed().as_secs_f64(),
    })
}

/// The instance's whole objective weight (located-covered included).
fn total(inst: &CoveringInstance) -> f64 {
    inst.demand
        .iter()
        .map(|d| inst.options.objective.weight(d))
        .sum()
}

/// Best case with `k_new` sites, plus the greedy sequence's cumulative gains and the bounds
/// for every k (for the set cover).
fn solve(
    settings: &BestCase,
    inst: &CoveringInstance,
    k_new: usize,
) -> Result<(Best, Vec<f64>, Vec<f64>), PipelineError> {
    let all = total(inst);
    let located_w = all - inst.uncovered_weight();
    let seq = greedy(inst, inst.candidates.len());
    let cum: Vec<f64> = seq.sites.iter().map(|s| s.cumulative_weight).collect();
    let kmax = k_new.max(cum.len());
    let bounds = upper_bounds_by_k(inst, &seq.chosen(), kmax);
    let g_value = match k_new.min(cum.len()) {
        0 => 0.0,
        t => cum[t - 1],
    };
    let mut upper = bounds[k_new];
    if k_new > 0 && k_new < cum.len() {
        upper = upper.min(greedy(inst, k_new).upper_bound());
    }
    let mut value = g_value;
    let mut floor_from = "greedy";
    let mut exact_status = None;
    let tol = 1e-9 * all.max(1.0);
    if settings.lagrangian_iterations > 0 && upper > value + tol {
        let lag = lagrangian_bound(inst, k_new, value, settings.lagrangian_iterations);
        upper = upper.min(lag.upper_bound);
        // The multipliers' sites are a placement too: their cover is a floor.
        let at = inst.value_of(&lag.sites).0;
        if at > value + tol {
            (value, floor_from) = (at, "lagrangian_sites");
        }
    }
    if settings.exact_time_limit_s > 0.0 && upper > value + tol {
        let opts = ExactOptions {
            time_limit_s: settings.exact_time_limit_s,
            warm_start: true,
        };
        let e = exact(inst, k_new, opts, None)?;
        exact_status = Some(e.status.as_str());
        if e.value > value + tol {
            (value, floor_from) = (e.value, "exact");
        }
        upper = if e.status == ExactStatus::Optimal {
            e.value
        } else {
            upper.min(e.upper_bound)
        };
    }
    upper = upper.max(value);
    // OPT is non-decreasing in k: what bounds k_new bounds every smaller k (the set cover's
    // floor then agrees with the best case).
    let mut bounds = bounds;
    for b in bounds.iter_mut().take(k_new + 1) {
        *b = b.min(upper);
    }
    let pct = |w: f64| 100.0 * (located_w + w) / all;
    Ok((
        Best {
            new_sites: k_new,
            total: all,
            located_pct: pct(0.0),
            floor_pct: pct(value),
            floor_from,
            upper_bound_pct: pct(upper).min(100.0),
            kind: if upper <= value + tol {
                Kind::Proven
            } else {
                Kind::UpperBound
            },
            exact_status,
        },
        cum,
        bounds,
    ))
}
