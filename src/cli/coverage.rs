//! `aedcover coverage`: coverage of demand (arrests, residents) by counted AEDs at several radii.

use anyhow::Context;
use clap::Args;
use std::path::PathBuf;

#[derive(Args)]
pub struct CoverageArgs {
    /// The registry's aeds.csv.
    #[arg(long)]
    pub aeds: PathBuf,
    /// Demand: counts by postcode (postcode,count) or points (lat,lon / easting,northing).
    #[arg(long)]
    pub demand: Option<PathBuf>,
    /// auto|unit|sector|district|area|counts|point|residents.
    #[arg(long, default_value = "auto")]
    pub demand_level: crate::coverage::command::DemandKind,
    /// Code-Point Open CSV (needed for demand by postcode).
    #[arg(long)]
    pub postcodes: Option<PathBuf>,
    /// LSOA population CSV (Census 2021), with --lsoa.
    #[arg(long)]
    pub population: Option<PathBuf>,
    /// LSOA boundaries GeoJSON (repeatable).
    #[arg(long)]
    pub lsoa: Vec<PathBuf>,
    /// Area layer GeoJSON for areas.csv and gaps (repeatable).
    #[arg(long)]
    pub areas: Vec<PathBuf>,
    /// GeoJSON property with the area id.
    #[arg(long, default_value = "name")]
    pub area_id: String,
    /// GeoJSON property with the area name.
    #[arg(long)]
    pub area_name: Option<String>,
    /// Radii in metres.
    #[arg(long, value_delimiter = ',', default_value = "100,200,500")]
    pub radius: Vec<f64>,
    /// Route/straight-line ratio: radii are divided by it.
    #[arg(long, default_value_t = 1.0)]
    pub detour_factor: f64,
    /// all|public|24-7|ready|hour:Mo14.
    #[arg(long, default_value = "all")]
    pub scenario: crate::coverage::Scenario,
    /// Day for the ready rule (YYYY-MM-DD); default today.
    #[arg(long)]
    pub today: Option<chrono::NaiveDate>,
    /// Ready: checked within this many days.
    #[arg(long, default_value_t = 90)]
    pub check_days: i64,
    /// CRS of easting/northing point columns (default EPSG:27700).
    #[arg(long)]
    pub crs: Option<String>,
    /// Outputs to skip: criticality,hours,gaps.
    #[arg(long, value_delimiter = ',')]
    pub skip: Vec<String>,
    /// Output folder.
    #[arg(long, default_value = "coverage_out")]
    pub out: PathBuf,
}

pub fn run(a: CoverageArgs) -> anyhow::Result<()> {
    use crate::coverage::command::{CoverageOptions, Skip, run};
    let mut skip = Skip::default();
    for s in &a.skip {
        match s.trim() {
            "criticality" => skip.criticality = true,
            "hours" => skip.hours = true,
            "gaps" => skip.gaps = true,
            other => anyhow::bail!("--skip: unknown output {other:?} (criticality, hours, gaps)"),
        }
    }
    let opts = CoverageOptions {
        aeds: a.aeds,
        demand: a.demand,
        kind: a.demand_level,
        postcodes: a.postcodes,
        population: a.population,
        lsoa: a.lsoa,
        areas: a.areas,
        area_id: a.area_id,
        area_name: a.area_name,
        config: crate::coverage::CoverageConfig {
            radii_m: a.radius,
            detour_factor: a.detour_factor,
        },
        scenario: a.scenario,
        ready: crate::coverage::ReadyRule {
            as_of: a.today.unwrap_or_else(|| chrono::Local::now().date_naive()),
            max_days_since_check: a.check_days,
        },
        crs: a.crs,
        skip,
        out: a.out,
    };
    let s = run(&opts).context("coverage")?;
    for r in &s.radii {
        eprintln!(
            "{} m: {:.2}% of demand covered ({} of {})",
            r.totals.radius_m, r.totals.pct_covered, r.totals.demand_covered, r.totals.demand_total
        );
    }
    eprintln!("wrote {}", opts.out.display());
    Ok(())
}
