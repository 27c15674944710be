//! `aedcover registry ...`: the registry files.

use anyhow::Context;
use clap::{Args, Subcommand};
use std::io::Write;
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum RegistryCommand {
    /// Readiness triage: devices with no guardian, expired or expiring pads or battery,
    /// overdue checks, or not ready.
    Check(CheckArgs),
    /// Write the served registry database back to aeds.csv and guardians.csv.
    Export(ExportArgs),
}

#[derive(Args)]
pub struct ExportArgs {
    /// The registry database written by `aedcover serve`.
    #[arg(long)]
    db: PathBuf,
    /// Folder for aeds.csv and guardians.csv (guardians.csv holds personal data).
    #[arg(long)]
    out: PathBuf,
}

fn export(args: ExportArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.db.exists(),
        "--db {}: no such database",
        args.db.display()
    );
    let store = crate::store::Store::open(&args.db)?;
    let sum = crate::store::export_csv(&store, &args.out).context("registry export")?;
    println!("{} AEDs -> {}", sum.aeds, sum.aeds_csv.display());
    println!(
        "{} guardians -> {}",
        sum.guardians,
        sum.guardians_csv.display()
    );
    Ok(())
}

#[derive(Args)]
pub struct CheckArgs {
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
    /// criticality.csv from `aedcover coverage`: rank devices by the arrests only they cover.
    #[arg(long)]
    criticality: Option<PathBuf>,
    /// Radius whose sole-cover column ranks the devices (with --criticality).
    #[arg(long, default_value_t = 500.0)]
    radius: f64,
}

fn check(args: CheckArgs) -> anyhow::Result<()> {
    use crate::registry::{CheckOptions, ReadOptions, check_files};
    let opts = CheckOptions {
        today: args
            .today
            .unwrap_or_else(|| chrono::Local::now().date_naive()),
        due_days: args.due_days,
        check_days: args.check_days,
    };
    let mut report = check_files(
        &args.aeds,
        args.guardians.as_deref(),
        &opts,
        ReadOptions {
            strict: args.strict,
        },
    )
    .context("registry check")?;
    if let Some(path) = &args.criticality {
        let crit = crate::coverage::criticality::read_criticality_csv(path, args.radius)
            .context("reading --criticality")?;
        report.triage.rank_by_criticality(&crit);
        criticality_matched(&report.triage, path, crit.len())?;
    }
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
    let account = check_account(&args.aeds, &report);
    writeln!(
        err,
        "{}",
        crate::pipeline::account::registry_line(Some(&account))
    )?;
    crate::pipeline::account::check_registry(Some(&account))?;
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

/// The AED file's rows read, used and skipped.
fn check_account(
    aeds: &std::path::Path,
    report: &crate::registry::CheckReport,
) -> crate::pipeline::FileAccount {
    let file = aeds.file_name().map_or_else(
        || aeds.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let skipped = report.aed_bad_rows;
    crate::pipeline::FileAccount {
        read: report.aed_rows_seen,
        used: report.aed_rows_seen.saturating_sub(skipped),
        skipped,
        first: report
            .row_errors
            .iter()
            .filter(|e| e.file == file)
            .take(crate::pipeline::account::FIRST_SKIPS)
            .map(|e| e.to_string())
            .collect(),
        file,
    }
}

/// A criticality file none of whose ids is a listed device would silently drop the ranking.
fn criticality_matched(
    triage: &crate::registry::Triage,
    path: &std::path::Path,
    ids: usize,
) -> anyhow::Result<()> {
    if triage.devices.is_empty() || triage.devices.iter().any(|d| d.criticality.is_some()) {
        return Ok(());
    }
    Err(crate::pipeline::Unusable::NoCriticality(format!(
        "{}: none of its {ids} AED ids is one of the {} devices listed, so nothing could be ranked (is it the criticality.csv of this registry, at this --radius?)",
        path.display(),
        triage.devices.len()
    ))
    .into())
}

pub fn run(command: RegistryCommand) -> anyhow::Result<()> {
    match command {
        RegistryCommand::Check(args) => check(args),
        RegistryCommand::Export(args) => export(args),
    }
}
