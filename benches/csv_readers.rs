//! The demand-points and registry CSV readers on the GB-scale files of issue 13: every
//! located Code-Point GB postcode as a demand point, and 100,000 AEDs at every 17th one
//! (+37 m, −23 m). The files are written once into a temporary folder
//! (`support/gb_files.rs`, the same rule as `benches/gb_inputs.py`). Target: ≥ 300 MB/s for each reader.

#[path = "support/gb_files.rs"]
mod gb_files;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::{Duration, Instant};

use aedcover::demand::{PointCrs, read_points};
use aedcover::registry::{ReadOptions, read_aeds};

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let Some((demand, aeds)) = gb_files::write(dir.path()) else {
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
        b.iter_custom(|iters| reads(iters, || read_points(black_box(&demand), &PointCrs::Bng)))
    });
    g.throughput(Throughput::Bytes(std::fs::metadata(&aeds).unwrap().len()));
    g.bench_function("registry_100000_aeds", |b| {
        b.iter_custom(|iters| {
            reads(iters, || {
                read_aeds(black_box(&aeds), ReadOptions::default())
            })
        })
    });
    g.finish();
}

/// The time of `iters` reads, each result freed after its read's time is taken: a reader's
/// speed is its read, and what a run frees at its end is not part of it (`coverage` does
/// not free the rows it read: `cli::coverage::run`).
fn reads<T, E: std::fmt::Debug>(iters: u64, read: impl Fn() -> Result<T, E>) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        let start = Instant::now();
        let result = read().expect("the file reads");
        total += start.elapsed();
        drop(black_box(result));
    }
    total
}

criterion_group!(benches, bench);
// The binary's allocator, so that the bench times what a user's run does.
#[global_allocator]
static ALLOC: aedcover::huge_pages::HugePageAlloc = aedcover::huge_pages::HugePageAlloc;

criterion_main!(benches);
