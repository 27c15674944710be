//! The `aedcover sites` command: read AEDs and demand, build candidates, solve, write outputs.
//!
//! UK data only for now: demand points and AEDs are converted to British National Grid
//! (EPSG:27700) as in the coverage command; outputs are WGS84.

use std::path::PathBuf;
use std::time::Instant;

use super::SitingError;
use super::budget::{CostModel, CostPerArrest};
use super::exact::{ExactOptions, exact};
use super::greedy::greedy;
use super::instance::{
    CandidateSite, CoveringInstance, DemandSite, ExistingSite, InstanceOptions, Objective,
    PostcodeLookup, demand_candidates, grid_candidates, read_named_sites,
};
use super::report::{ExactSummary, GreedySummary, Summary, gain_curve, rank_chosen, write_outputs};
use crate::coverage::{ReadyRule, Scenario, select, to_bng};
use crate::demand::{PointCrs, read_points};
use crate::seeds::{AedModel, Cabinet};

/// Arguments of `aedcover sites`.
#[derive(Debug, Clone, clap::Args)]
pub struct SitesArgs {
    /// Existing AEDs (registry aeds.csv); they stay in place. AEDs with no position are
    /// counted and reported.
    #[arg(long)]
    pub aeds: Option<PathBuf>,
    /// Demand points CSV: lat,lon (WGS84) or easting,northing (EPSG:27700), with an optional
    /// weight/count/arrests column and id.
    #[arg(long)]
    pub demand: PathBuf,
    /// Code-Point Open (CSV or native folder): places candidate rows given only by postcode.
    #[arg(long)]
    pub postcodes: Option<PathBuf>,
    /// Candidates: `demand`, `grid:<metres>`, or a CSV of named sites (name + lat/lon).
    #[arg(long, default_value = "demand")]
    pub candidates: String,
    /// Number of new sites.
    #[arg(
        long,
        required_unless_present = "budget_gbp",
        conflicts_with = "budget_gbp"
    )]
    pub k: Option<usize>,
    /// Budget in pounds: as many sites as it pays for over --years.
    #[arg(long)]
    pub budget_gbp: Option<f64>,
    /// Coverage radius in metres.
    #[arg(long, default_value_t = 500.0)]
    pub radius: f64,
    /// Drop candidates within this many metres of an existing AED.
    #[arg(long, default_value_t = 50.0)]
    pub min_distance_from_existing_m: f64,
    /// Solve exactly (MIP) rather than greedily.
    #[arg(long)]
    pub exact: bool,
    /// Time limit of the exact solver, seconds.
    #[arg(long, default_value_t = 60.0)]
    pub time_limit_s: f64,
    /// Years of running costs.
    #[arg(long, default_value_t = 10)]
    pub years: u32,
    /// Installation allowance per site, pounds (the report gives no figure).
    #[arg(long, default_value_t = 0.0)]
    pub installation_gbp: f64,
    /// AED model for costs: powerheart_g5, lifepak_cr2, ipad_sp1.
    #[arg(long, default_value = "powerheart_g5")]
    pub model: String,
    /// Cabinet for costs: mild_steel, stainless_steel, plastic.
    #[arg(long, default_value = "mild_steel")]
    pub cabinet: String,
    /// Years the arrest counts cover (unknown when absent).
    #[arg(long)]
    pub arrest_period_years: Option<f64>,
    /// Output folder.
    #[arg(long, default_value = "sites_out")]
    pub out: PathBuf,
}

fn input(e: impl std::fmt::Display) -> SitingError {
    SitingError::Input(e.to_string())
}

fn cabinet_of(s: &str) -> Result<Cabinet, SitingError> {
    match s {
        "mild_steel" => Ok(Cabinet::MildSteel),
        "stainless_steel" => Ok(Cabinet::StainlessSteel),
        "plastic" => Ok(Cabinet::Plastic),
        other => Err(SitingError::BadOption(format!(
            "--cabinet: expected mild_steel, stainless_steel or plastic ({other})"
        ))),
    }
}

/// Runs `aedcover sites` and returns the summary it wrote.
pub fn run_sites(args: &SitesArgs) -> Result<Summary, SitingError> {
    let mut notes: Vec<String> = Vec::new();

    // Costs from the seed table.
    let model: AedModel = args
        .model
        .parse()
        .map_err(|e| SitingError::BadOption(format!("--model: {e} ({})", args.model)))?;
    let cabinet = cabinet_of(&args.cabinet)?;
    let (bundle, vat) = crate::seeds::bundle_price_gbp(model, cabinet)
        .ok_or_else(|| input(format!("no bundle price for {model} with {}", args.cabinet)))?;
    let running = crate::seeds::running_costs_gbp(model, args.years).ok_or_else(|| {
        SitingError::BadOption(format!(
            "--years: running costs are known for 1 to 10 years ({})",
            args.years
        ))
    })?;
    let mut costs = CostModel::new(bundle, args.installation_gbp, running, args.years);
    costs.bundle_price_plus_vat = vat == crate::seeds::Vat::Ex;
    if let Some(e) = crate::seeds::cabinet_electricity_gbp_per_year() {
        costs.electricity_gbp_per_year = e;
    }
    if args.installation_gbp == 0.0 {
        notes.push(
            "installation is not included in the costs (the report gives no figure; set --installation-gbp)"
                .into(),
        );
    }
    let per_site = costs.per_site();
    let k = match (args.k, args.budget_gbp) {
        (Some(k), _) => k,
        (None, Some(b)) => costs.sites_within_budget(b)?,
        (None, None) => return Err(SitingError::BadOption("give --k or --budget-gbp".into())),
    };

    // Existing AEDs.
    let mut existing: Vec<ExistingSite> = Vec::new();
    if let Some(path) = &args.aeds {
        let file = crate::registry::read_aeds(path, crate::registry::ReadOptions::default())
            .map_err(input)?;
        for e in file.errors.iter().take(20) {
            notes.push(format!("skipped AED row: {e}"));
        }
        let rule = ReadyRule {
            as_of: chrono::Local::now().date_naive(),
            max_days_since_check: 90,
        };
        let sel = select(&file.aeds, Scenario::All, &rule, &to_bng);
        let c = &sel.counts;
        if c.unlocated + c.not_converted > 0 {
            notes.push(format!(
                "{} of {} AEDs in the registry have no usable position and are not kept as existing cover{}",
                c.unlocated + c.not_converted,
                c.registry_total,
                if 2 * (c.unlocated + c.not_converted) > c.registry_total {
                    ": most existing AEDs are not located in this data, so sites may duplicate AEDs that already exist"
                } else {
                    ""
                }
            ));
        }
        existing = sel
            .facilities
            .into_iter()
            .map(|f| ExistingSite {
                id: f.id,
                x_m: f.x_m,
                y_m: f.y_m,
            })
            .collect();
    } else {
        notes.push("no existing AEDs given: all demand counts as uncovered".into());
    }

    // Demand.
    let points = read_points(&args.demand, &PointCrs::Bng).map_err(input)?;
    let demand: Vec<DemandSite> = points
        .into_iter()
        .map(|p| DemandSite {
            id: p.id,
            x_m: p.x_m,
            y_m: p.y_m,
            arrests: p.weight,
            residents: p.residents,
        })
        .collect();

    // Candidates.
    let candidates: Vec<CandidateSite> = match args.candidates.as_str() {
        "demand" => demand_candidates(&demand),
        s if s.starts_with("grid:") => {
            let spacing: f64 = s[5..].parse().map_err(|_| {
                SitingError::BadOption(format!("--candidates: grid spacing not a number ({s})"))
            })?;
            grid_candidates(&demand, spacing)?
        }
        file => {
            let to_metric = |lon: f64, lat: f64| crate::geography::crs::wgs84_to_bng(lon, lat).ok();
            let index = match &args.postcodes {
                Some(path) => Some(
                    crate::geography::PostcodeIndex::load(path)
                        .map_err(|e| SitingError::BadOption(format!("--postcodes: {e}")))?
                        .0,
                ),
                None => None,
            };
            let lookup = |pc: &str| {
                index
                    .as_ref()
                    .and_then(|i| i.get(pc))
                    .map(|r| (r.easting_m, r.northing_m))
            };
            let named = read_named_sites(
                std::path::Path::new(file),
                &to_metric,
                index.as_ref().map(|_| &lookup as PostcodeLookup<'_>),
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
    };
    let candidates_given = candidates.len();

    let options = InstanceOptions {
        radius_m: args.radius,
        min_distance_from_existing_m: args.min_distance_from_existing_m,
        objective: Objective::Arrests,
    };
    let inst = CoveringInstance::build(demand, candidates, &existing, options)?;
    let t = Instant::now();
    let g = greedy(&inst, k);
    let greedy_s = t.elapsed().as_secs_f64();
    let (sites, exact_summary, solver) = if args.exact {
        let e = exact(
            &inst,
            k,
            ExactOptions {
                time_limit_s: args.time_limit_s,
                warm_start: true,
            },
            Some(&g),
        )?;
        (
            rank_chosen(&inst, &e.chosen),
            Some(ExactSummary::of(&e)),
            "exact",
        )
    } else {
        (g.sites.clone(), None, "greedy")
    };
    if sites.len() < k {
        notes.push(format!(
            "only {} sites add any cover; {k} were asked for",
            sites.len()
        ));
    }
    let covered = sites.last();
    let extra_arrests = covered.map_or(0.0, |s| s.cumulative_arrests);
    let cpa = CostPerArrest::of(
        &per_site,
        sites.len(),
        extra_arrests,
        args.arrest_period_years,
    );
    let summary = Summary {
        radius_m: args.radius,
        objective: options.objective.label(),
        solver: solver.into(),
        k_requested: k,
        sites_chosen: sites.len(),
        demand_points: inst.demand.len(),
        existing_aeds: existing.len(),
        candidates_given,
        candidates_dropped_near_existing: inst.dropped_near_existing,
        min_distance_from_existing_m: args.min_distance_from_existing_m,
        covering_pairs: inst.pairs(),
        already_covered_by_existing: inst.already_covered.into(),
        uncovered_weight: inst.uncovered_weight(),
        covered_weight: covered.map_or(0.0, |s| s.cumulative_weight),
        covered_arrests: extra_arrests,
        covered_residents: covered.map_or(0.0, |s| s.cumulative_residents),
        greedy: GreedySummary::of(&g, greedy_s),
        exact: exact_summary,
        cost_per_site: Some(per_site),
        budget_gbp: args.budget_gbp,
        total_cost_low_gbp: Some(per_site.total_low_gbp * sites.len() as f64),
        total_cost_high_gbp: Some(per_site.total_high_gbp * sites.len() as f64),
        cost_per_extra_arrest: Some(cpa),
        cost_per_extra_arrest_text: Some(cpa.describe()),
        gain_curve: gain_curve(&sites, inst.uncovered_weight(), Some(&per_site)),
        notes,
    };
    let to_wgs84 = |x: f64, y: f64| crate::geography::crs::bng_to_wgs84(x, y).ok();
    write_outputs(&args.out, &inst, &sites, &summary, &to_wgs84)?;
    Ok(summary)
}
