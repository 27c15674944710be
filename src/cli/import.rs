//! `aedcover import osm|csv FILE --out aeds.csv`: AEDs from OpenStreetMap or a council CSV.

use anyhow::Context;
use clap::Args;
use std::io::Write;
use std::path::PathBuf;

#[derive(Args)]
pub struct ImportArgs {
    /// `osm` (Overpass JSON or GeoJSON of OSM tags) or `csv` (council CSV with lat/lon).
    #[arg(value_parser = ["osm", "csv"])]
    kind: String,
    /// The file to import.
    file: PathBuf,
    /// The registry aeds.csv to write.
    #[arg(long)]
    out: PathBuf,
    /// Code-Point Open (CSV or native folder): AEDs without a position take their
    /// postcode unit's position.
    #[arg(long)]
    codepoint: Option<PathBuf>,
}

pub fn run(args: ImportArgs) -> anyhow::Result<()> {
    use crate::import::{SourceKind, import_to_csv};
    let kind = if args.kind == "osm" {
        SourceKind::Osm
    } else {
        SourceKind::Table
    };
    let run = import_to_csv(kind, &args.file, &args.out, args.codepoint.as_deref())
        .with_context(|| format!("import {}", args.file.display()))?;
    let mut err = std::io::stderr().lock();
    write!(err, "{}", run.import)?;
    if let Some(cp) = &run.codepoint {
        writeln!(err, "{cp}")?;
    }
    if let Some(g) = &run.geocode {
        write!(err, "{g}")?;
    }
    writeln!(
        err,
        "wrote {} AEDs to {}",
        run.import.imported,
        args.out.display()
    )?;
    Ok(())
}
