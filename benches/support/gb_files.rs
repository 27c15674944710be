//! The GB-scale input files of issue 13, the same rule as `benches/gb_inputs.py`: every
//! located Code-Point Open GB postcode as a demand point (weight 1), and 100,000 AEDs at
//! every 17th one, moved +37 m east and −23 m north (British National Grid metres).

use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes demand.csv and aeds.csv into `dir`; `None` without the open data.
pub fn write(dir: &Path) -> Option<(PathBuf, PathBuf)> {
    let path =
        aedcover::opendata::file_for_test("codepoint_open/codepoint_open_2025-10_GB_compact.csv")?;
    let mut rdr = csv::Reader::from_path(path).ok()?;
    let mut located = Vec::with_capacity(1_750_000);
    for rec in rdr.records() {
        let rec = rec.ok()?;
        let (e, n): (i64, i64) = (rec[2].parse().ok()?, rec[3].parse().ok()?);
        if (e, n) != (0, 0) {
            located.push((rec[0].to_string(), e, n));
        }
    }
    let demand = dir.join("demand.csv");
    let mut w = std::io::BufWriter::new(std::fs::File::create(&demand).ok()?);
    writeln!(w, "id,easting,northing,weight").ok()?;
    for (pc, e, n) in &located {
        writeln!(w, "{pc},{e},{n},1").ok()?;
    }
    w.flush().ok()?;
    let aeds = dir.join("aeds.csv");
    let mut w = std::io::BufWriter::new(std::fs::File::create(&aeds).ok()?);
    writeln!(w, "id,easting,northing").ok()?;
    for (i, (_, e, n)) in located.iter().step_by(17).take(100_000).enumerate() {
        writeln!(w, "AED{i:06},{},{}", e + 37, n - 23).ok()?;
    }
    w.flush().ok()?;
    Some((demand, aeds))
}
