use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Public-access defibrillator registry, coverage and siting.
#[derive(Parser)]
#[command(name = "aedcover", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print version and data locations.
    Info,
    /// The AED registry files (aeds.csv, guardians.csv).
    #[command(subcommand)]
    Registry(RegistryCommand),
    /// Coverage of demand (arrests, residents) by counted AEDs at several radii.
    Coverage(Box<CoverageArgs>),
    /// Where new cabinets would cover the most arrests (greedy or exact), with costs.
    Sites(Box<aedcover::siting::SitesArgs>),
}

#[derive(Subcommand)]
enum RegistryCommand {
    /// Readiness triage: devices with no guardian, expired or expiring pads or battery,
    /// overdue checks, or not ready.
    Check(CheckArgs),
}

#[derive(Args)]
struct CheckArgs {
    /// The registry's aeds.csv.
    aeds: PathBuf,
    /// guardians.csv: a guardian id not in it counts as no guardian.
    #[arg(long)]
    guardians: Option<PathBuf>,
    /// Check as of this day (YYYY-MM-DD); default: today.
    #[arg(long)]
    today: Option<chrono::NaiveDate>,
    /// Pads or battery expiring within this many days are due.
    #[arg(long, default_value_t = 30)]
    due_days: i64,
    /// A device not checked for more than this many days is overdue.
    #[arg(long, default_value_t = 90)]
    check_days: i64,
    /// CSV on stdout (the summary goes to stderr).
    #[arg(long)]
    csv: bool,
    /// Stop at the first bad row.
    #[arg(long)]
    strict: bool,
}

fn registry_check(args: CheckArgs) -> anyhow::Result<()> {
    use aedcover::registry::{CheckOptions, ReadOptions, check_files};
    let opts = CheckOptions {
        today: args
            .today
            .unwrap_or_else(|| chrono::Local::now().date_naive()),
        due_days: args.due_days,
        check_days: args.check_days,
    };
    let report = check_files(
        &args.aeds,
        args.guardians.as_deref(),
        &opts,
        ReadOptions {
            strict: args.strict,
        },
    )
    .context("registry check")?;
    let mut err = std::io::stderr().lock();
    for w in &report.warnings {
        writeln!(err, "warning: {w}")?;
    }
    for e in &report.row_errors {
        writeln!(err, "{e}")?;
    }
    if report.triage.summary.bad_rows > 0 {
        writeln!(
            err,
            "{} bad rows not checked ({} errors)",
            report.triage.summary.bad_rows,
            report.row_errors.len()
        )?;
    }
    let mut out = std::io::stdout().lock();
    if args.csv {
        report.triage.write_csv(&mut out)?;
        report.triage.write_summary(&mut err)?;
    } else {
        report.triage.write_table(&mut out)?;
        writeln!(out)?;
        report.triage.write_summary(&mut out)?;
    }
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result: anyhow::Result<()> = match cli.command {
        Command::Info => {
            println!("aedcover {}", env!("CARGO_PKG_VERSION"));
            println!("open data: {}", aedcover::opendata::dir().display());
            Ok(())
        }
        Command::Registry(RegistryCommand::Check(args)) => registry_check(args),
        Command::Coverage(args) => coverage(*args),
        Command::Sites(args) => sites(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

#[derive(Args)]
struct CoverageArgs {
    /// The registry's aeds.csv.
    #[arg(long)]
    aeds: PathBuf,
    /// Demand: counts by postcode (postcode,count) or points (lat,lon / easting,northing).
    #[arg(long)]
    demand: Option<PathBuf>,
    /// auto|unit|sector|district|area|counts|point|residents.
    #[arg(long, default_value = "auto")]
    demand_level: aedcover::coverage::command::DemandKind,
    /// Code-Point Open CSV (needed for demand by postcode).
    #[arg(long)]
    postcodes: Option<PathBuf>,
    /// LSOA population CSV (Census 2021), with --lsoa.
    #[arg(long)]
    population: Option<PathBuf>,
    /// LSOA boundaries GeoJSON (repeatable).
    #[arg(long)]
    lsoa: Vec<PathBuf>,
    /// Area layer GeoJSON for areas.csv and gaps (repeatable).
    #[arg(long)]
    areas: Vec<PathBuf>,
    /// GeoJSON property with the area id.
    #[arg(long, default_value = "name")]
    area_id: String,
    /// GeoJSON property with the area name.
    #[arg(long)]
    area_name: Option<String>,
    /// Radii in metres.
    #[arg(long, value_delimiter = ',', default_value = "100,200,500")]
    radius: Vec<f64>,
    /// Route/straight-line ratio: radii are divided by it.
    #[arg(long, default_value_t = 1.0)]
    detour_factor: f64,
    /// all|public|24-7|ready|hour:Mo14.
    #[arg(long, default_value = "all")]
    scenario: aedcover::coverage::Scenario,
    /// Day for the ready rule (YYYY-MM-DD); default today.
    #[arg(long)]
    today: Option<chrono::NaiveDate>,
    /// Ready: checked within this many days.
    #[arg(long, default_value_t = 90)]
    check_days: i64,
    /// CRS of easting/northing point columns (default EPSG:27700).
    #[arg(long)]
    crs: Option<String>,
    /// Outputs to skip: criticality,hours,gaps.
    #[arg(long, value_delimiter = ',')]
    skip: Vec<String>,
    /// Output folder.
    #[arg(long, default_value = "coverage_out")]
    out: PathBuf,
}

fn sites(a: &aedcover::siting::SitesArgs) -> anyhow::Result<()> {
    let s = aedcover::siting::run_sites(a).context("sites")?;
    eprintln!(
        "{} sites ({}) cover {} more arrests; {}; wrote {}",
        s.sites_chosen,
        s.solver,
        s.covered_arrests,
        s.cost_per_extra_arrest_text.as_deref().unwrap_or(""),
        a.out.display()
    );
    Ok(())
}

fn coverage(a: CoverageArgs) -> anyhow::Result<()> {
    use aedcover::coverage::command::{CoverageOptions, Skip, run};
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
        config: aedcover::coverage::CoverageConfig {
            radii_m: a.radius,
            detour_factor: a.detour_factor,
        },
        scenario: a.scenario,
        ready: aedcover::coverage::ReadyRule {
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
