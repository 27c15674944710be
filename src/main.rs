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
    /// Serve OGC API – Features, /nearest, /map and authenticated registry edits.
    Serve(ServeArgs),
    /// The AED registry files (aeds.csv, guardians.csv).
    #[command(subcommand)]
    Registry(RegistryCommand),
}

#[derive(Subcommand)]
enum RegistryCommand {
    /// Readiness triage: devices with no guardian, expired or expiring pads or battery,
    /// overdue checks, or not ready.
    Check(CheckArgs),
    /// Write the served registry database back to aeds.csv and guardians.csv.
    Export(ExportArgs),
}

#[derive(Args)]
struct ExportArgs {
    /// The registry database written by `aedcover serve`.
    #[arg(long)]
    db: PathBuf,
    /// Folder for aeds.csv and guardians.csv (guardians.csv holds personal data).
    #[arg(long)]
    out: PathBuf,
}

fn registry_export(args: ExportArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.db.exists(),
        "--db {}: no such database",
        args.db.display()
    );
    let store = aedcover::store::Store::open(&args.db)?;
    let sum = aedcover::store::export_csv(&store, &args.out).context("registry export")?;
    println!("{} AEDs -> {}", sum.aeds, sum.aeds_csv.display());
    println!(
        "{} guardians -> {}",
        sum.guardians,
        sum.guardians_csv.display()
    );
    Ok(())
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

#[derive(clap::Args)]
struct ServeArgs {
    /// Study file (not yet read by this build; use --aeds/--guardians/--layer).
    #[arg(long)]
    study: Option<std::path::PathBuf>,
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: std::net::SocketAddr,
    /// The registry database (SQLite), created and seeded on first start.
    #[arg(long, default_value = "aedcover.db")]
    db: std::path::PathBuf,
    /// Seed AEDs for an empty database (JSON seed file).
    #[arg(long)]
    aeds: Option<std::path::PathBuf>,
    /// Seed guardians for an empty database (JSON seed file).
    #[arg(long)]
    guardians: Option<std::path::PathBuf>,
    /// A precomputed layer, NAME=FILE.geojson (NAME: areas, gaps, coverage, sites).
    #[arg(long, value_name = "NAME=FILE")]
    layer: Vec<String>,
    /// File holding the edit token (else env AEDCOVER_TOKEN; none disables edits).
    #[arg(long)]
    token_file: Option<std::path::PathBuf>,
}

fn serve(a: ServeArgs) -> anyhow::Result<()> {
    use anyhow::Context;
    if let Some(study) = &a.study {
        anyhow::bail!(
            "--study {}: study files are not read by this build yet; use --aeds, --guardians and --layer",
            study.display()
        );
    }
    let layers = a
        .layer
        .iter()
        .map(|l| {
            l.split_once('=')
                .map(|(n, f)| (n.to_string(), std::path::PathBuf::from(f)))
                .with_context(|| format!("--layer {l:?}: expected NAME=FILE"))
        })
        .collect::<anyhow::Result<_>>()?;
    let opts = aedcover::api::serve::ServeOptions {
        addr: a.addr,
        db: a.db,
        aeds: a.aeds,
        guardians: a.guardians,
        layers,
        token_file: a.token_file,
    };
    aedcover::api::serve::run(&opts).context("aedcover serve")
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result: anyhow::Result<()> = match cli.command {
        Command::Info => {
            println!("aedcover {}", env!("CARGO_PKG_VERSION"));
            println!("open data: {}", aedcover::opendata::dir().display());
            Ok(())
        }
        Command::Serve(a) => serve(a),
        Command::Registry(RegistryCommand::Check(args)) => registry_check(args),
        Command::Registry(RegistryCommand::Export(args)) => registry_export(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
