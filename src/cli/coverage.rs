//! `aedcover coverage`: demand within reach of counted AEDs at several radii. The flags build
//! a [`Study`] and the one pipeline runs it.

use anyhow::Context;
use clap::Args;
use std::path::PathBuf;

use super::DemandFlags;
use crate::study::{
    Analysis, AreaLayerSpec, Counted, Distance, Output, OutputSet, Skip, Study, StudyArea,
};

#[derive(Args)]
pub struct CoverageArgs {
    /// The registry's aeds.csv.
    #[arg(long)]
    aeds: PathBuf,
    /// Where the AEDs come from, as a known source key (osm, trafford_council, …).
    #[arg(long)]
    aeds_source: Option<String>,
    #[command(flatten)]
    demand: DemandFlags,
    /// Area layer GeoJSON for areas.csv and gaps (repeatable).
    #[arg(long)]
    areas: Vec<PathBuf>,
    /// GeoJSON property with the area id.
    #[arg(long, default_value = "name")]
    area_id: String,
    /// GeoJSON property with the area name.
    #[arg(long)]
    area_name: Option<String>,
    /// Where the area polygons come from, as a known source key.
    #[arg(long)]
    areas_source: Option<String>,
    /// Radii in metres.
    #[arg(long, value_delimiter = ',', default_value = "100,200,500")]
    radius: Vec<f64>,
    /// The radius of gaps and criticality (default 500 when listed, else the largest).
    #[arg(long)]
    main_radius: Option<f64>,
    /// Route/straight-line ratio: radii are divided by it.
    #[arg(long, default_value_t = 1.0)]
    detour_factor: f64,
    #[command(flatten)]
    distance: super::flags::DistanceFlags,
    /// all|public|24-7|ready|hour:Mo14.
    #[arg(long, default_value = "all", value_parser = crate::study::parse_scenario)]
    scenario: crate::coverage::Scenario,
    /// Day for the ready rule (YYYY-MM-DD); default today.
    #[arg(long)]
    today: Option<chrono::NaiveDate>,
    /// Ready: checked within this many days.
    #[arg(long, default_value_t = crate::study::DEFAULT_CHECK_DAYS)]
    check_days: i64,
    /// Outputs to skip: criticality,hours,gaps.
    #[arg(long, value_delimiter = ',')]
    skip: Vec<String>,
    /// Output folder.
    #[arg(long, default_value = "coverage_out")]
    out: PathBuf,
}

fn skip(list: &[String]) -> anyhow::Result<Skip> {
    let mut skip = Skip::default();
    for s in list {
        match s.trim() {
            "criticality" => skip.criticality = true,
            "hours" => skip.hours = true,
            "gaps" => skip.gaps = true,
            other => anyhow::bail!("--skip: unknown output {other:?} (criticality, hours, gaps)"),
        }
    }
    Ok(skip)
}

/// The study these flags describe.
pub fn study(a: &CoverageArgs) -> anyhow::Result<Study> {
    crate::study::check_radii(&a.radius)
        .map_err(|r| crate::study::flag_error("--radius", r, format!("{:?}", a.radius)))?;
    let main_radius_m = crate::study::main_radius(&a.radius, a.main_radius).map_err(|r| {
        crate::study::flag_error("--main-radius", r, format!("{:?}", a.main_radius))
    })?;
    let inputs = a.demand.inputs()?;
    let areas = if a.areas.is_empty() {
        Vec::new()
    } else {
        vec![AreaLayerSpec {
            name: "Areas".into(),
            paths: a.areas.clone(),
            id_property: a.area_id.clone(),
            name_property: a.area_name.clone(),
            keep_ids: Vec::new(),
            source: super::source_flag("--areas-source", a.areas_source.as_deref())?
                .unwrap_or_else(|| crate::sources::Source::undeclared("areas")),
        }]
    };
    Ok(Study {
        file: None,
        title: format!("coverage of {}", a.aeds.display()),
        crs: inputs.crs,
        registry: Some(super::registry_flag(&a.aeds, a.aeds_source.as_deref())?),
        guardians: None,
        postcodes: inputs.postcodes,
        population: inputs.population,
        demand: inputs.demand,
        areas,
        analysis: Analysis {
            radii_m: a.radius.clone(),
            main_radius_m,
            distance: a
                .distance
                .distance(a.detour_factor)?
                .unwrap_or(Distance::Straight {
                    detour_factor: a.detour_factor,
                }),
            counted: Counted {
                scenario: a.scenario,
                check_days: a.check_days,
                as_of: a.today,
            },
            study_area: StudyArea::AreasOnly,
            skip: skip(&a.skip)?,
        },
        siting: None,
        output: Output {
            worst_areas: 3,
            set: OutputSet::Coverage,
            report_districts: false,
        },
        equity: None,
        strict: a.demand.strict,
    })
}

pub fn run(a: CoverageArgs) -> anyhow::Result<()> {
    let study = study(&a)?;
    let progress = crate::export::Progress::new(true);
    let (run, written) =
        crate::pipeline::run_and_write(study, &a.out, &progress).context("coverage")?;
    for t in &run.assessment.totals {
        eprintln!(
            "{} m: {:.2}% of demand covered ({} of {})",
            t.radius_m, t.pct_covered, t.demand_covered, t.demand_total
        );
    }
    super::print_account(&run);
    super::print_walk(&run);
    eprintln!("metric CRS {} ({})", run.crs_label(), run.crs_reason);
    eprintln!("wrote {}", written.dir.display());
    // The process exits next: freeing millions of point ids one by one would cost about a
    // third of a second at GB scale and gain nothing.
    std::mem::forget(run);
    Ok(())
}
