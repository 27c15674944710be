//! `aedcover sites`: where new cabinets would cover the most arrests. The flags build a
//! [`Study`] and the one pipeline runs it.

use std::path::PathBuf;

use anyhow::Context;

use super::DemandFlags;
use crate::study::{
    Analysis, Counted, Distance, Output, OutputSet, Siting, Skip, Solver, Study, StudyArea, Target,
    flag_error,
};

/// Arguments of `aedcover sites`.
#[derive(Debug, Clone, clap::Args)]
pub struct SitesArgs {
    /// Existing AEDs (registry aeds.csv); they stay in place. AEDs with no position are
    /// counted and reported.
    #[arg(long)]
    pub aeds: Option<PathBuf>,
    /// Where the AEDs come from, as a known source key (osm, trafford_council, …).
    #[arg(long)]
    pub aeds_source: Option<String>,
    #[command(flatten)]
    pub demand: DemandFlags,
    #[command(flatten)]
    pub distance: super::flags::DistanceFlags,
    /// Candidates: `demand`, `postcodes`, `grid:<metres>`, `network_nodes` (junctions and
    /// dead ends of the walkable network; needs --distance walk), or a CSV of named sites
    /// (name + lat/lon, or postcode with --postcodes).
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
    #[arg(long, default_value_t = crate::study::DEFAULT_MAIN_RADIUS_M)]
    pub radius: f64,
    /// Drop candidates within this many metres of an existing AED.
    #[arg(long, default_value_t = 50.0)]
    pub min_distance_from_existing_m: f64,
    /// Solve exactly (Lagrangian branch and bound, with a proven gap) rather than greedily.
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
    /// What to maximise: arrests, residents (the 65+ and deprived objectives need a study
    /// with `[equity]`: `analyse --study F --objective …`).
    #[arg(long, default_value = "arrests")]
    pub objective: String,
    /// Output folder.
    #[arg(long, default_value = "sites_out")]
    pub out: PathBuf,
}

/// The study these flags describe.
pub fn study(a: &SitesArgs) -> anyhow::Result<Study> {
    let inputs = a.demand.inputs()?;
    crate::study::check_radii(&[a.radius])
        .map_err(|r| flag_error("--radius", r, a.radius.to_string()))?;
    if !(1..=10).contains(&a.years) {
        anyhow::bail!(flag_error(
            "--years",
            "running costs are known for 1 to 10 years",
            a.years.to_string()
        ));
    }
    let target = match (a.k, a.budget_gbp) {
        (Some(k), _) => Target::K(k),
        (None, Some(b)) => Target::BudgetGbp(b),
        (None, None) => anyhow::bail!(flag_error("--k", "give --k or --budget-gbp", "")),
    };
    let candidates = crate::study::parse_candidates(&a.candidates, std::path::Path::new("."))
        .map_err(|r| flag_error("--candidates", r, &a.candidates))?;
    let model = a
        .model
        .parse()
        .map_err(|r: String| flag_error("--model", r, &a.model))?;
    let cabinet = crate::study::raw_parse_cabinet(&a.cabinet)
        .map_err(|r| flag_error("--cabinet", r, &a.cabinet))?;
    let objective: crate::study::SitingObjective = a
        .objective
        .parse()
        .map_err(|r: String| flag_error("--objective", r, &a.objective))?;
    if objective.needs_equity() {
        anyhow::bail!(flag_error(
            "--objective",
            "needs the [equity] tables of a study file: use analyse --study FILE --objective",
            &a.objective
        ));
    }
    let distance = a
        .distance
        .distance(1.0)?
        .unwrap_or(Distance::Straight { detour_factor: 1.0 });
    if candidates == crate::study::Candidates::NetworkNodes && distance.network().is_none() {
        anyhow::bail!(flag_error(
            "--candidates",
            crate::study::NETWORK_NODES_NEED_WALK,
            &a.candidates
        ));
    }
    let registry = a
        .aeds
        .as_deref()
        .map(|p| super::registry_flag(p, a.aeds_source.as_deref()))
        .transpose()?;
    Ok(Study {
        file: None,
        title: "sites".into(),
        crs: inputs.crs,
        registry,
        guardians: None,
        postcodes: inputs.postcodes,
        population: inputs.population,
        demand: inputs.demand,
        areas: Vec::new(),
        analysis: Analysis {
            radii_m: vec![a.radius],
            main_radius_m: a.radius,
            distance,
            counted: Counted::default(),
            study_area: StudyArea::AreasOnly,
            skip: Skip {
                criticality: true,
                hours: true,
                gaps: true,
            },
        },
        siting: Some(Siting {
            target,
            candidates,
            solver: if a.exact {
                Solver::Exact {
                    time_limit_s: a.time_limit_s,
                }
            } else {
                Solver::Greedy
            },
            radius_m: a.radius,
            min_distance_from_existing_m: a.min_distance_from_existing_m,
            years: a.years,
            installation_gbp: a.installation_gbp,
            model,
            cabinet,
            arrest_period_years: a.arrest_period_years,
            objective,
        }),
        output: Output {
            worst_areas: 3,
            set: OutputSet::Sites,
            report_districts: false,
        },
        equity: None,
        strict: a.demand.strict,
    })
}

pub fn run(a: &SitesArgs) -> anyhow::Result<()> {
    let study = study(a)?;
    let progress = crate::export::Progress::new(true);
    let (run, written) =
        crate::pipeline::run_and_write(study, &a.out, &progress).context("sites")?;
    super::print_account(&run);
    if let Some(s) = &run.siting {
        let sm = &s.summary;
        eprintln!(
            "{} sites ({}) cover {} more arrests; {}; greedy {:.3} s{}; metric CRS {}; wrote {}",
            sm.sites_chosen,
            sm.solver,
            sm.covered_arrests,
            sm.cost_per_extra_arrest_text.as_deref().unwrap_or(""),
            sm.greedy.time_s,
            sm.exact.as_ref().map_or(String::new(), |e| format!(
                ", exact {:.3} s ({})",
                e.time_s, e.status
            )),
            run.crs_label(),
            written.dir.display()
        );
    }
    Ok(())
}
