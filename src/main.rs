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
    /// Tables derived from the open data.
    Data {
        #[command(subcommand)]
        command: DataCommand,
    },
}

#[derive(Subcommand)]
enum DataCommand {
    /// Rebuild data/districts.csv and data/emas_aeds_geocoded.csv from the open data.
    Derive {
        /// Output folder.
        #[arg(long, default_value = "data")]
        out: std::path::PathBuf,
        /// Postcode districts, comma-separated; default: the seed report's districts.
        #[arg(long, value_delimiter = ',')]
        districts: Option<Vec<String>>,
    },
}

fn data_derive(out: &std::path::Path, districts: Option<Vec<String>>) -> anyhow::Result<()> {
    use aedcover::geography::derive;
    use anyhow::Context;
    let districts = match districts {
        Some(d) => d,
        None => derive::seed_districts().context("reading the seed districts")?,
    };
    let inputs = derive::DeriveInputs::from_open_data(&aedcover::opendata::dir());
    let derived = derive::derive(&inputs, &districts).context("deriving the data tables")?;
    derive::write_tables(&derived, out)?;
    for note in &derived.repairs {
        eprintln!("repaired {note}");
    }
    if !derived.districts_without_polygon.is_empty() {
        eprintln!(
            "no polygon for: {}",
            derived.districts_without_polygon.join(" ")
        );
    }
    let placed = derived.emas_aeds.iter().filter(|r| r.lon.is_some()).count();
    println!(
        "{} districts, {} of {} EMAS AEDs placed ({} Code-Point rows without location) -> {}",
        derived.districts.len(),
        placed,
        derived.emas_aeds.len(),
        derived.codepoint_unlocated,
        out.display()
    );
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
        Command::Data {
            command: DataCommand::Derive { out, districts },
        } => data_derive(&out, districts),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
