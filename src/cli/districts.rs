//! `aedcover districts`: the report's own question, arrests per AED by district.

use anyhow::Context;

/// Cardiac arrests per public AED by postcode district, from the 2021 report's tables.
#[derive(clap::Args)]
pub struct DistrictsArgs {
    /// Write CSV instead of a text table.
    #[arg(long)]
    pub csv: bool,
}

pub fn run(args: DistrictsArgs) -> anyhow::Result<()> {
    let table = crate::districts::from_seeds().context("reading the report's seed tables")?;
    let out = if args.csv {
        crate::districts::render_csv(&table).context("writing CSV")?
    } else {
        crate::districts::render_text(&table)
    };
    print!("{out}");
    Ok(())
}
