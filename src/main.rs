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
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
