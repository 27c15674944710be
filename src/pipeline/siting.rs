//! Stage 6: candidate sites, the covering instance (the counted AEDs stay in place), greedy
//! or exact selection, and costs from the report's tables (GBP).

use std::time::Instant;

use super::PipelineError;
use super::assess::Assessment;
use super::inputs::DemandStage;
use crate::geography::MetricProjection;
use crate::siting::report::{ExactSummary, GreedySummary, LocalSummary, Summary};
use crate::siting::{
    CandidateSite, CostModel, CostPerArrest, CoveringInstance, DemandSite, ExactOptions,
    ExistingSite, InstanceOptions, LocalOptions, Objective, RankedSite, SiteCost,
    demand_candidates, exact, gain_curve, greedy, grid_candidates, local_search, rank_chosen,
    read_named_sites,
};
use crate::study::{Candidates, Siting, SitingObjective, Solver, Study, Target};

/// What siting chose.
pub struct SitingStage {
    pub instance: CoveringInstance,
    pub sites: Vec<RankedSite>,
    pub summary: Summary,
    pub cost: SiteCost,
    /// The greedy (1 − 1/e) bound on the optimum.
    pub bound: f64,
    pub candidates_label: String,
}

/// Inputs only some studies have: objective weights from the equity tables, and the
/// walkable network (covering sets are then by walking).
pub struct Extra<'a> {
    pub equity_weights: Option<&'a [(f64, f64)]>,
    pub network: Option<&'a crate::network::WalkNetwork>,
}

/// Runs siting for `s`. `equity_weights` (residents aged 65+ and residents in deciles 1-3
/// per demand point, [`super::equity::objective_weights`]) feed the objectives that need them.
pub fn site(
    study: &Study,
    s: &Siting,
    projection: &MetricProjection,
    demand: &DemandStage,
    a: &Assessment,
    extra: Extra<'_>,
    notes: &mut Vec<String>,
) -> Result<SitingStage, PipelineError> {
    let Extra {
        equity_weights,
        network,
    } = extra;
    if s.objective.needs_equity() && equity_weights.is_none() {
        return Err(PipelineError::Unsupported(format!(
            "siting objective {} needs the [equity] tables",
            s.objective.label()
        )));
    }
    let costs = cost_model(s, notes)?;
    if *projection.crs() != crate::geography::Crs::Bng {
        notes.push("site costs are the UK prices of the 2021 Leicestershire report (GBP, Appendix A), not local prices".into());
    }
    let per_site = costs.per_site();
    let k = match s.target {
        Target::K(k) => k,
        Target::BudgetGbp(b) => costs.sites_within_budget(b)?,
    };
    let demand_sites = demand_sites(demand, equity_weights);
    let candidates = candidates(study, s, projection, demand, &demand_sites, network, notes)?;
    let candidates_given = candidates.len();
    let existing: Vec<ExistingSite> = a
        .index
        .facilities()
        .iter()
        .map(|f| ExistingSite {
            id: String::from(&f.id),
            x_m: f.x_m,
            y_m: f.y_m,
        })
        .collect();
    let options = InstanceOptions {
        radius_m: s.radius_m,
        min_distance_from_existing_m: s.min_distance_from_existing_m,
        objective: objective(s.objective),
    };
    let inst = match network {
        Some(net) => {
            let reach = crate::network::WalkReach { net };
            CoveringInstance::build_by(demand_sites, candidates, &existing, options, &reach)?
        }
        None => CoveringInstance::build(demand_sites, candidates, &existing, options)?,
    };
    if inst.candidates.is_empty() {
        return Err(super::Unusable::NoCandidate(format!(
            "{candidates_given} candidates given ({}), {} of them within {} m of an existing AED",
            s.candidates.label(),
            inst.dropped_near_existing,
            s.min_distance_from_existing_m
        ))
        .into());
    }
    let t = Instant::now();
    let g = greedy(&inst, k);
    let greedy_s = t.elapsed().as_secs_f64();
    let mut local = None;
    let (sites, exact_summary, solver) = match s.solver {
        Solver::Exact { time_limit_s } => {
            let opts = ExactOptions {
                time_limit_s,
                warm_start: true,
            };
            let e = exact(&inst, k, opts, Some(&g))?;
            (
                rank_chosen(&inst, &e.chosen),
                Some(ExactSummary::of(&e)),
                "exact",
            )
        }
        Solver::Greedy => {
            let t = Instant::now();
            let l = local_search(&inst, &g.chosen(), LocalOptions::default());
            local = Some(LocalSummary::of(&l, t.elapsed().as_secs_f64()));
            if l.value > g.value {
                notes.push(format!(
                    "local search improved greedy's cover from {} to {} ({} swaps)",
                    g.value, l.value, l.swaps
                ));
                (rank_chosen(&inst, &l.chosen), None, "greedy+local_search")
            } else {
                (g.sites.clone(), None, "greedy+local_search")
            }
        }
    };
    if sites.len() < k {
        notes.push(format!(
            "only {} sites add any cover; {k} were asked for",
            sites.len()
        ));
    }
    let last = sites.last();
    let extra = last.map_or(0.0, |x| x.cumulative_arrests);
    let cpa = CostPerArrest::of(&per_site, sites.len(), extra, s.arrest_period_years);
    let summary = Summary {
        radius_m: s.radius_m,
        objective: s.objective.label().to_string(),
        solver: solver.into(),
        k_requested: k,
        sites_chosen: sites.len(),
        demand_points: inst.demand.len(),
        existing_aeds: existing.len(),
        candidates_given,
        candidates_dropped_near_existing: inst.dropped_near_existing,
        min_distance_from_existing_m: s.min_distance_from_existing_m,
        covering_pairs: inst.pairs(),
        already_covered_by_existing: inst.already_covered.into(),
        uncovered_weight: inst.uncovered_weight(),
        covered_weight: last.map_or(0.0, |x| x.cumulative_weight),
        covered_arrests: extra,
        covered_residents: last.map_or(0.0, |x| x.cumulative_residents),
        greedy: GreedySummary::of(&g, greedy_s),
        local_search: local,
        exact: exact_summary,
        cost_per_site: Some(per_site),
        budget_gbp: match s.target {
            Target::BudgetGbp(b) => Some(b),
            Target::K(_) => None,
        },
        total_cost_low_gbp: Some(per_site.total_low_gbp * sites.len() as f64),
        total_cost_high_gbp: Some(per_site.total_high_gbp * sites.len() as f64),
        cost_per_extra_arrest: Some(cpa),
        cost_per_extra_arrest_text: Some(cpa.describe()),
        gain_curve: gain_curve(&sites, inst.uncovered_weight(), Some(&per_site)),
        notes: Vec::new(),
    };
    Ok(SitingStage {
        bound: g.bound_1_minus_1_over_e,
        instance: inst,
        sites,
        summary,
        cost: per_site,
        candidates_label: s.candidates.label(),
    })
}

/// Costs from seeds/costs.csv for the model and cabinet.
fn cost_model(s: &Siting, notes: &mut Vec<String>) -> Result<CostModel, PipelineError> {
    let (bundle, vat) = crate::seeds::bundle_price_gbp(s.model, s.cabinet).ok_or_else(|| {
        PipelineError::Unsupported(format!(
            "no bundle price for {} in seeds/costs.csv",
            s.model
        ))
    })?;
    let running = crate::seeds::running_costs_gbp(s.model, s.years).ok_or_else(|| {
        PipelineError::Unsupported(format!(
            "siting years: running costs are known for 1 to 10 years ({})",
            s.years
        ))
    })?;
    let mut costs = CostModel::new(bundle, s.installation_gbp, running, s.years);
    costs.bundle_price_plus_vat = vat == crate::seeds::Vat::Ex;
    if let Some(e) = crate::seeds::cabinet_electricity_gbp_per_year() {
        costs.electricity_gbp_per_year = e;
    }
    if s.installation_gbp == 0.0 {
        notes.push(
            "site costs exclude installation (the report gives no figure; set siting.installation_gbp or --installation-gbp)"
                .into(),
        );
    }
    Ok(costs)
}

/// The solver's objective for the study's.
pub fn objective(o: SitingObjective) -> Objective {
    match o {
        SitingObjective::Arrests => Objective::Arrests,
        SitingObjective::Residents => Objective::Residents,
        SitingObjective::Residents65Plus => Objective::Residents65Plus,
        SitingObjective::DeprivedResidents => Objective::DeprivedResidents,
    }
}

/// Demand as siting sites, with each point's residents aged 65+ and residents in deciles
/// 1-3 when `equity_weights` gives them (else 0).
fn demand_sites(demand: &DemandStage, equity_weights: Option<&[(f64, f64)]>) -> Vec<DemandSite> {
    demand
        .points
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let (old, deprived) = equity_weights
                .and_then(|w| w.get(i).copied())
                .unwrap_or((0.0, 0.0));
            DemandSite {
                id: d.id.to_string(),
                x_m: d.x_m,
                y_m: d.y_m,
                arrests: d.weight,
                residents: d.residents,
                residents_65_plus: old,
                deprived_residents: deprived,
            }
        })
        .collect()
}

fn candidates(
    study: &Study,
    s: &Siting,
    projection: &MetricProjection,
    demand: &DemandStage,
    demand_sites: &[DemandSite],
    network: Option<&crate::network::WalkNetwork>,
    notes: &mut Vec<String>,
) -> Result<Vec<CandidateSite>, PipelineError> {
    let filtered = study.postcodes.as_ref().is_some_and(|p| p.filtered());
    Ok(match (&s.candidates, &demand.units) {
        (Candidates::Postcodes, Some(u)) if filtered => (0..u.len())
            .map(|i| {
                let p = u.demand_point(i, 0.0);
                CandidateSite {
                    id: p.id.to_string(),
                    name: Some(p.id.into()),
                    x_m: p.x_m,
                    y_m: p.y_m,
                }
            })
            .collect(),
        // Without a unit filter the study's postcodes are those that carry demand.
        (Candidates::Postcodes | Candidates::Demand, _) => demand_candidates(demand_sites),
        (Candidates::Grid { spacing_m }, _) => grid_candidates(demand_sites, *spacing_m)?,
        (Candidates::NetworkNodes, _) => {
            let net = network.ok_or_else(|| {
                PipelineError::Unsupported(crate::study::NETWORK_NODES_NEED_WALK.into())
            })?;
            let c = crate::network::node_candidates(net, demand_sites, s.radius_m);
            notes.push(format!(
                "candidates: {} network nodes of {} ({} junctions and dead ends, {} of them within {} m of demand in a straight line, at most one per {} m cell)",
                c.sites.len(),
                c.nodes,
                c.junctions_and_ends,
                c.near_demand,
                s.radius_m,
                crate::network::candidates::NODE_CELL_M
            ));
            c.sites
        }
        (Candidates::Named(path), units) => {
            let to_metric = |lon: f64, lat: f64| projection.to_metric(lon, lat).ok();
            let lookup = |pc: &str| {
                let u = units.as_ref()?;
                let code = crate::geography::Postcode::parse(pc).ok()?;
                let i = *u.members(&code).first()?;
                let p = u.demand_point(i, 0.0);
                Some((p.x_m, p.y_m))
            };
            let named = read_named_sites(
                path,
                &to_metric,
                units
                    .as_ref()
                    .map(|_| &lookup as crate::siting::PostcodeLookup<'_>),
            )?;
            for u in named.unplaced.iter().take(20) {
                notes.push(format!("candidate not placed: {u}"));
            }
            if !named.unplaced.is_empty() {
                notes.push(format!(
                    "{} candidate rows not placed (postcode-only rows need --postcodes, and a postcode found in it)",
                    named.unplaced.len()
                ));
            }
            named.sites
        }
    })
}
