//! The demand-points and registry CSV readers on the GB-scale files of issue 13: every
//! located Code-Point GB postcode as a demand point, and 100,000 AEDs at every 17th one
//! (+37 m, −23 m). The files are written once into a temporary folder (the same rule as
//! `benches/gb_inputs.py`). Target: ≥ 300 MB/s for each reader.

use std::io::Write;
use std::path::{Path, PathBuf};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

use aedcover::demand::{PointCrs, read_points};
use aedcover::registry::{ReadOptions, read_aeds};

/// Writes demand.csv and aeds.csv into `dir`; `None` without the open data.
fn gb_inputs(dir: &Path) -> Option<(PathBuf, PathBuf)> {
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

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let Some((demand, aeds)) = gb_inputs(dir.path()) else {
        eprintln!("SKIPPED: Code-Point Open GB not found (set AEDCOVER_OPEN_DATA)");
        return;
    };
    let points = read_points(&demand, &PointCrs::Bng).expect("demand reads");
    assert_eq!(points.len(), 1_745_013);
    let registry = read_aeds(&aeds, ReadOptions::default()).expect("registry reads");
    assert_eq!(registry.aeds.len(), 100_000);
    assert_eq!(registry.bad_rows(), 0);

    let mut g = c.benchmark_group("csv_readers_gb");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(std::fs::metadata(&demand).unwrap().len()));
    g.bench_function("demand_points_1745013", |b| {
        b.iter(|| read_points(black_box(&demand), &PointCrs::Bng).unwrap())
    });
    g.throughput(Throughput::Bytes(std::fs::metadata(&aeds).unwrap().len()));
    g.bench_function("registry_100000_aeds", |b| {
        b.iter(|| read_aeds(black_box(&aeds), ReadOptions::default()).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
