//! Load Code-Point Open once and print the report and the time taken; for measuring peak
//! memory: `/usr/bin/time -v target/release/examples/codepoint_load [PATH]`.

use aedcover::geography::PostcodeIndex;
use std::time::Instant;

fn main() -> anyhow::Result<()> {
    let path = std::env::args_os().nth(1).map_or_else(
        || aedcover::opendata::dir().join("codepoint_open/codepoint_open_2025-10_GB_compact.csv"),
        Into::into,
    );
    let t = Instant::now();
    let (idx, report) = PostcodeIndex::load(&path)?;
    let elapsed = t.elapsed();
    println!("{report}");
    println!(
        "{} units indexed in {:.3} s on {} threads",
        idx.len(),
        elapsed.as_secs_f64(),
        rayon::current_num_threads()
    );
    Ok(())
}
