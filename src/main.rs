use clap::{Parser, Subcommand};
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
    /// Cardiac arrests per public AED by postcode district, from the 2021 report's tables.
    Districts {
        /// Write CSV instead of a text table.
        #[arg(long)]
        csv: bool,
    },
}

fn districts(csv: bool) -> anyhow::Result<()> {
    use anyhow::Context;
    let table = aedcover::districts::from_seeds().context("reading the report's seed tables")?;
    let out = if csv {
        aedcover::districts::render_csv(&table).context("writing CSV")?
    } else {
        aedcover::districts::render_text(&table)
    };
    print!("{out}");
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
        Command::Districts { csv } => districts(csv),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
