//! `aedcover data ...`: tables derived from the open data.

use anyhow::Context;
use clap::Subcommand;

#[derive(Subcommand)]
pub enum DataCommand {
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

fn derive(out: &std::path::Path, districts: Option<Vec<String>>) -> anyhow::Result<()> {
    use crate::geography::derive;
    let districts = match districts {
        Some(d) => d,
        None => derive::seed_districts().context("reading the seed districts")?,
    };
    let inputs = derive::DeriveInputs::from_open_data(&crate::opendata::dir());
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

pub fn run(command: DataCommand) -> anyhow::Result<()> {
    match command {
        DataCommand::Derive { out, districts } => derive(&out, districts),
    }
}
