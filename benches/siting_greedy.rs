//! Greedy k = 50 over all LE postcode units (Code-Point Open, ~23 k) as both candidates
//! and demand (one arrest per unit), radius 500 m. Target: under 1 s on 2 cores.

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

use aedcover::siting::{CoveringInstance, DemandSite, InstanceOptions, demand_candidates, greedy};

fn le_units() -> Option<Vec<DemandSite>> {
    let path = aedcover::opendata::file_for_test(
        "codepoint_open/codepoint_open_2025-10_LE_CV_DE_NG_PE.csv",
    )?;
    let mut rdr = csv::Reader::from_path(path).ok()?;
    let mut out = Vec::new();
    for rec in rdr.records() {
        let rec = rec.ok()?;
        if !rec[0].starts_with("LE") {
            continue;
        }
        out.push(DemandSite {
            id: rec[0].to_string(),
            x_m: rec[2].parse().ok()?,
            y_m: rec[3].parse().ok()?,
            arrests: 1.0,
            residents: 0.0,
            ..Default::default()
        });
    }
    Some(out)
}

fn bench(c: &mut Criterion) {
    let Some(demand) = le_units() else {
        return;
    };
    assert!(demand.len() > 23_000, "{}", demand.len());
    let candidates = demand_candidates(&demand);
    let opts = InstanceOptions::default();
    let inst = CoveringInstance::build(demand.clone(), candidates.clone(), &[], opts).unwrap();
    let g = greedy(&inst, 50);
    assert_eq!(g.sites.len(), 50);
    assert!(g.value <= g.upper_bound() && g.upper_bound() <= inst.uncovered_weight());
    assert!((inst.value_of(&g.chosen()).0 - g.value).abs() < 1e-6);
    eprintln!(
        "LE units: {} demand = candidates, {} pairs within 500 m; greedy k=50 covers {} units, online bound {}, (1-1/e) bound {:.0}, {} gain evaluations",
        inst.demand.len(),
        inst.pairs(),
        g.value,
        g.online_upper_bound,
        g.bound_1_minus_1_over_e,
        g.evaluations
    );

    let mut group = c.benchmark_group("siting_le_units_r500");
    group.sample_size(10);
    group.bench_function("greedy_k50", |b| b.iter(|| black_box(greedy(&inst, 50))));
    group.bench_function("build_instance_plus_greedy_k50", |b| {
        b.iter(|| {
            let inst =
                CoveringInstance::build(demand.clone(), candidates.clone(), &[], opts).unwrap();
            black_box(greedy(&inst, 50))
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
// The binary's allocator, so that the bench times what a user's run does.
#[global_allocator]
static ALLOC: aedcover::huge_pages::HugePageAlloc = aedcover::huge_pages::HugePageAlloc;

criterion_main!(benches);
