//! GB-scale coverage: every located Code-Point Open GB postcode as demand (weight 1)
//! against 100,000 AEDs taken from every 17th postcode position, radii 100/200/500 m.
//! Parsing is excluded; the timed part is index build + the parallel pass.
//! Target (issue 4): under 0.5 s on the 2-core build machine.

use aedcover::coverage::{CoverageConfig, DemandPoint, Facility, FacilityIndex, assess};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

fn load() -> Option<(Vec<DemandPoint>, Vec<Facility>)> {
    let path =
        aedcover::opendata::file_for_test("codepoint_open/codepoint_open_2025-10_GB_compact.csv")?;
    let mut rdr = csv::Reader::from_path(path).ok()?;
    let mut demand = Vec::with_capacity(1_750_000);
    for rec in rdr.records() {
        let rec = rec.ok()?;
        let e: f64 = rec.get(2)?.parse().ok()?;
        let n: f64 = rec.get(3)?.parse().ok()?;
        if e == 0.0 && n == 0.0 {
            continue; // PQI 90: no coordinates
        }
        demand.push(DemandPoint {
            id: rec.get(0)?.to_string(),
            x_m: e,
            y_m: n,
            weight: 1.0,
            residents: 0.0,
        });
    }
    let facilities = demand
        .iter()
        .step_by(17)
        .take(100_000)
        .enumerate()
        .map(|(i, p)| Facility {
            id: format!("AED{i:06}"),
            x_m: p.x_m,
            y_m: p.y_m,
        })
        .collect();
    Some((demand, facilities))
}

fn bench(c: &mut Criterion) {
    let Some((demand, facilities)) = load() else {
        return;
    };
    assert_eq!(demand.len(), 1_745_013);
    assert_eq!(facilities.len(), 100_000);
    let cfg = CoverageConfig::default();
    // Check the answer once: every AED sits on a postcode, so at least 100,000 postcodes
    // are at distance 0 and covered at every radius.
    let idx = FacilityIndex::new(facilities.clone());
    let r = assess(&idx, &demand, &cfg).unwrap();
    let t = r.totals(&demand);
    assert!(t[0].points_covered >= 100_000);
    assert!(
        t[0].points_covered <= t[1].points_covered && t[1].points_covered <= t[2].points_covered
    );
    for x in &t {
        eprintln!(
            "radius {} m: {} of {} postcodes covered ({:.3}%)",
            x.radius_m, x.points_covered, x.points_total, x.pct_covered
        );
    }
    let mut g = c.benchmark_group("coverage_gb");
    g.sample_size(10);
    g.bench_function("engine_index_and_pass", |b| {
        b.iter(|| {
            let idx = FacilityIndex::new(black_box(facilities.clone()));
            assess(&idx, black_box(&demand), &cfg).unwrap()
        })
    });
    g.bench_function("engine_pass_only", |b| {
        b.iter(|| assess(&idx, black_box(&demand), &cfg).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
