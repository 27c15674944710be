//! `aedcover import osm|csv|circuit FILE --out aeds.csv`: AEDs from OpenStreetMap, a council
//! CSV or an extract of The Circuit.

use anyhow::Context;
use clap::Args;
use std::io::Write;
use std::path::PathBuf;

#[derive(Args)]
pub struct ImportArgs {
    /// `osm` (Overpass JSON, GeoJSON of OSM tags, or an OSM extract `.osm.pbf`/`.osm`), `csv` (council CSV with lat/lon) or
    /// `circuit` (an extract of The Circuit, BHF Defib Finder; not for publication).
    #[arg(value_parser = ["osm", "csv", "circuit"])]
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
    let kind = match args.kind.as_str() {
        "osm" => SourceKind::Osm,
        "circuit" => SourceKind::Circuit,
        _ => SourceKind::Table,
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
    let source = &run.import.source;
    if !source.publishable {
        writeln!(
            err,
            "not for publication: {} holds data under {}; keep it out of public maps and services",
            args.out.display(),
            source.licence
        )?;
    }
    Ok(())
}
