//! Siting at city scale (issue 13): Leicester LE1–LE5, every located Code-Point unit as
//! demand (weight 1) and as a candidate, no existing AEDs, 500 m, k = 20. Times greedy,
//! greedy + local search (the default heuristic) and the Lagrangian bound, and prints the
//! values and the proven gap (heuristic vs bound); then the exact solver once, with its
//! value, bound, gap and time against its time limit. `--features highs` runs the exact
//! solver with HiGHS below the Lagrangian root.

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

use aedcover::siting::{
    CoveringInstance, DemandSite, ExactOptions, ExactStatus, InstanceOptions, LocalOptions,
    demand_candidates, exact, greedy, lagrangian_bound, local_search, mip_solver,
};

const DISTRICTS: [&str; 5] = ["LE1", "LE2", "LE3", "LE4", "LE5"];

/// The instance's optimum, proved by HiGHS (`benches/siting_optimum.sh`: value 2,833, gap 0).
const PROVEN_OPTIMUM: f64 = 2833.0;
/// Its LP relaxation's optimum (`benches/siting_optimum.sh --lp`: 2,842.19), which the
/// exact solver's root bound reaches (rounded down: the objective is whole units).
const LP_OPTIMUM: f64 = 2842.19;

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
    assert!(
        l.value >= 0.995 * PROVEN_OPTIMUM && l.value <= PROVEN_OPTIMUM,
        "local search {} against the proven optimum {PROVEN_OPTIMUM}",
        l.value
    );
    eprintln!(
        "Leicester LE1-LE5: {} units, {} pairs; greedy {} ({greedy_s:.3} s, online bound {}); \
         local search {} ({local_s:.3} s, {} swaps, {} restarts); Lagrangian bound {:.2} \
         ({} iterations, {bound_s:.2} s): heuristic >= {:.3} % of the optimum; {:.3} % of \
         the optimum HiGHS proves ({PROVEN_OPTIMUM})",
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
        100.0 * l.value / PROVEN_OPTIMUM,
    );
    exact_once(&inst, k, &g, l.value);
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

/// The exact solver, timed once (a proof takes minutes: criterion's ten samples would take
/// too long). Asserts the result it times: never worse than the heuristic, the bound above
/// the value, the time limit (120 s, `AEDCOVER_EXACT_LIMIT_S` to change) kept within 5 %.
fn exact_once(
    inst: &CoveringInstance,
    k: usize,
    g: &aedcover::siting::GreedyResult,
    heuristic: f64,
) {
    let limit_s: f64 = std::env::var("AEDCOVER_EXACT_LIMIT_S")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(120.0);
    let opts = ExactOptions {
        time_limit_s: limit_s,
        warm_start: true,
    };
    let t = std::time::Instant::now();
    let e = exact(inst, k, opts, Some(g)).unwrap();
    let took_s = t.elapsed().as_secs_f64();
    assert!(
        e.value >= heuristic - 1e-9,
        "exact {} < heuristic {heuristic}",
        e.value
    );
    assert!(e.upper_bound >= e.value - 1e-9);
    assert!(
        e.upper_bound >= PROVEN_OPTIMUM - 1e-9,
        "bound {} below the proven optimum",
        e.upper_bound
    );
    if e.status == ExactStatus::Optimal {
        assert_eq!(e.value, PROVEN_OPTIMUM, "a proof of another value");
    }
    // The root's descent reaches the LP's bound in about 10 s; a shorter limit may stop it.
    if let Some(root) = e.root_bound.filter(|_| limit_s >= 60.0) {
        assert!(
            root <= LP_OPTIMUM.floor() + 1.0,
            "root bound {root} against the LP's {LP_OPTIMUM}"
        );
    }
    assert!(
        took_s <= limit_s * 1.05 + 0.5,
        "{took_s:.1} s for a {limit_s} s limit"
    );
    eprintln!(
        "exact ({}): {} (bound {:.2}, gap {:.4} %, {}) in {took_s:.1} s of a {limit_s} s limit; \
         heuristic {heuristic} = {:.3} % of it; {} groups, {} candidates kept; {} nodes, root \
         bound {:?}",
        mip_solver(),
        e.value,
        e.upper_bound,
        100.0 * e.gap,
        e.status.as_str(),
        100.0 * heuristic / e.value,
        e.reduction.demand_groups,
        e.reduction.candidates_kept,
        e.nodes,
        e.root_bound,
    );
}

criterion_group!(benches, bench);
// The binary's allocator, so that the bench times what a user's run does.
#[global_allocator]
static ALLOC: aedcover::huge_pages::HugePageAlloc = aedcover::huge_pages::HugePageAlloc;

criterion_main!(benches);
