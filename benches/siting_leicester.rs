//! Siting at city scale (issue 13): Leicester LE1–LE5, every located Code-Point unit as
//! demand (weight 1) and as a candidate, no existing AEDs, 500 m, k = 20. Times greedy,
//! greedy + local search (the default heuristic) and the Lagrangian bound, and prints the
//! values and the proven gap (heuristic vs bound).

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

use aedcover::siting::{
    CoveringInstance, DemandSite, InstanceOptions, LocalOptions, demand_candidates, greedy,
    lagrangian_bound, local_search,
};

const DISTRICTS: [&str; 5] = ["LE1", "LE2", "LE3", "LE4", "LE5"];

fn leicester_units() -> Option<Vec<DemandSite>> {
    let path = aedcover::opendata::file_for_test(
        "codepoint_open/codepoint_open_2025-10_LE_CV_DE_NG_PE.csv",
    )?;
    let mut rdr = csv::Reader::from_path(path).ok()?;
    let mut out = Vec::new();
    for rec in rdr.records() {
        let rec = rec.ok()?;
        let district = rec[0].split(' ').next().unwrap_or("");
        let (e, n): (f64, f64) = (rec[2].parse().ok()?, rec[3].parse().ok()?);
        if !DISTRICTS.contains(&district) || (e == 0.0 && n == 0.0) {
            continue;
        }
        out.push(DemandSite {
            id: rec[0].to_string(),
            x_m: e,
            y_m: n,
            arrests: 1.0,
            residents: 0.0,
            ..Default::default()
        });
    }
    Some(out)
}

fn bench(c: &mut Criterion) {
    let Some(demand) = leicester_units() else {
        eprintln!("SKIPPED: Code-Point Open LE extract not found (set AEDCOVER_OPEN_DATA)");
        return;
    };
    let candidates = demand_candidates(&demand);
    let opts = InstanceOptions::default();
    let inst = CoveringInstance::build(demand, candidates, &[], opts).unwrap();
    let k = 20;
    let t = std::time::Instant::now();
    let g = greedy(&inst, k);
    let greedy_s = t.elapsed().as_secs_f64();
    let t = std::time::Instant::now();
    let l = local_search(&inst, &g.chosen(), LocalOptions::default());
    let local_s = t.elapsed().as_secs_f64();
    let t = std::time::Instant::now();
    let b = lagrangian_bound(&inst, k, l.value, 2000);
    let bound_s = t.elapsed().as_secs_f64();
    assert!(l.value >= g.value);
    assert!(b.upper_bound >= l.value);
    eprintln!(
        "Leicester LE1-LE5: {} units, {} pairs; greedy {} ({greedy_s:.3} s, online bound {}); \
         local search {} ({local_s:.3} s, {} swaps, {} restarts); Lagrangian bound {:.2} \
         ({} iterations, {bound_s:.2} s): heuristic >= {:.3} % of the optimum",
        inst.demand.len(),
        inst.pairs(),
        g.value,
        g.online_upper_bound,
        l.value,
        l.swaps,
        l.restarts,
        b.upper_bound,
        b.iterations,
        100.0 * l.value / b.upper_bound.min(g.upper_bound()),
    );
    let mut group = c.benchmark_group("siting_leicester_k20");
    group.sample_size(10);
    group.bench_function("greedy", |bch| bch.iter(|| black_box(greedy(&inst, k))));
    group.bench_function("greedy_then_local_search", |bch| {
        bch.iter(|| {
            let g = greedy(&inst, k);
            black_box(local_search(&inst, &g.chosen(), LocalOptions::default()))
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
