//! GB-scale coverage (issue 13 items 1 and 6): every located Code-Point Open GB postcode as
//! demand (weight 1) against 100,000 AEDs at every 17th postcode (+37 m east, −23 m north),
//! radii 100/200/500 m.
//!
//! - `command_all_outputs`: the default `coverage` command end to end — both CSV files read,
//!   the pass with criticality and hour of week, and every output written (points CSV,
//!   criticality, hours, areas, gaps, summary). Target: ≤ 0.6 s on the 2-core build machine.
//! - `scan_all_outputs`: the pass alone (index built, criticality and hours counted).
//!
//! Every iteration checks its answer: the points covered at each radius (440,418 / 963,290 /
//! 1,491,675), one criticality row per AED and 168 hours.

#[path = "support/gb_files.rs"]
mod gb_files;

use std::path::Path;

use aedcover::cli::{Cli, Command};
use aedcover::coverage::{
    CoverageConfig, DemandPoint, FacilityIndex, MissingHoursRule, Scan, ScanWants, availability,
    scan,
};
use aedcover::demand::{PointCrs, read_points};
use aedcover::export::Progress;
use aedcover::registry::{ReadOptions, read_aeds};
use clap::Parser;
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

/// Postcodes within 100, 200 and 500 m of an AED (checked against GeoPandas
/// `sjoin_nearest` by `benches/coverage_vs_geopandas.sh`).
const COVERED: [usize; 3] = [440_418, 963_290, 1_491_675];
const POINTS: usize = 1_745_013;
const AEDS: usize = 100_000;

/// The `coverage` command as a user types it, run through the library.
fn command(demand: &Path, aeds: &Path, out: &Path) {
    let cli = Cli::parse_from([
        "aedcover".as_ref(),
        "coverage".as_ref(),
        "--aeds".as_ref(),
        aeds.as_os_str(),
        "--demand".as_ref(),
        demand.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    let Command::Coverage(args) = cli.command else {
        unreachable!("parsed a coverage command")
    };
    let study = aedcover::cli::coverage::study(&args).expect("the flags make a study");
    let (run, written) = aedcover::pipeline::run_and_write(study, out, &Progress::hidden())
        .expect("the command runs");
    let covered: Vec<usize> = run
        .assessment
        .totals
        .iter()
        .map(|t| t.points_covered)
        .collect();
    assert_eq!(covered, COVERED);
    assert_eq!(
        run.assessment.criticality.as_ref().map(Vec::len),
        Some(AEDS)
    );
    assert_eq!(
        run.assessment.hours.as_ref().map(|h| h.hours.len()),
        Some(168)
    );
    for file in [
        "coverage_points.csv",
        "criticality.csv",
        "hours.csv",
        "summary.json",
    ] {
        assert!(written.files.iter().any(|f| f.ends_with(file)), "{file}");
    }
}

fn check_scan(s: &Scan, demand: &[DemandPoint]) {
    let covered: Vec<usize> = s
        .result
        .totals(demand)
        .iter()
        .map(|t| t.points_covered)
        .collect();
    assert_eq!(covered, COVERED);
    assert_eq!(s.criticality.as_ref().map(Vec::len), Some(AEDS));
    assert_eq!(s.hours.as_ref().map(|h| h.hours.len()), Some(168));
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let Some((demand_csv, aeds_csv)) = gb_files::write(dir.path()) else {
        eprintln!("SKIPPED: Code-Point Open GB not found (set AEDCOVER_OPEN_DATA)");
        return;
    };
    let out = dir.path().join("out");
    let mut g = c.benchmark_group("coverage_gb");
    g.sample_size(10);
    g.bench_function("command_all_outputs", |b| {
        b.iter(|| command(black_box(&demand_csv), &aeds_csv, &out))
    });

    let demand = read_points(&demand_csv, &PointCrs::Bng).expect("demand reads");
    assert_eq!(demand.len(), POINTS);
    let registry = read_aeds(&aeds_csv, ReadOptions::default()).expect("registry reads");
    let facilities: Vec<_> = registry
        .aeds
        .iter()
        .map(|a| match a.location.as_ref().map(|l| l.coord) {
            Some(aedcover::registry::Coord::Bng {
                easting_m,
                northing_m,
            }) => aedcover::coverage::Facility {
                id: a.id.clone(),
                x_m: easting_m,
                y_m: northing_m,
            },
            other => panic!("{}: not a BNG position ({other:?})", a.id),
        })
        .collect();
    let closed = MissingHoursRule { public_24_7: false };
    let hours: Vec<_> = registry
        .aeds
        .iter()
        .map(|a| availability(a.opening_hours.as_deref(), closed))
        .collect();
    let cfg = CoverageConfig::default();
    let wants = ScanWants {
        criticality: true,
        hours: Some(&hours),
        demand_sums: None,
    };
    g.bench_function("scan_all_outputs", |b| {
        b.iter(|| {
            let idx = FacilityIndex::new(black_box(facilities.clone()));
            let s = scan(&idx, black_box(&demand), &cfg, wants).expect("valid radii");
            check_scan(&s, &demand);
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
// The binary's allocator, so that the bench times what a user's run does.
#[global_allocator]
static ALLOC: aedcover::huge_pages::HugePageAlloc = aedcover::huge_pages::HugePageAlloc;

criterion_main!(benches);
