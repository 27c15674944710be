//! Acceptance on real open data: Virginia Beach OHCA dispatches (2017-01 to 2019-06), each
//! distinct location weighted by its number of arrests, no existing AEDs, radius 500 m,
//! candidates = the demand locations. For k ≤ 20 the exact solver proves optimality or a
//! gap ≤ 1 %, and greedy is within 2 % of the best proven value.

use std::collections::BTreeMap;
use std::time::Instant;

use aedcover::siting::{
    CoveringInstance, DemandSite, ExactOptions, InstanceOptions, demand_candidates, exact, greedy,
};

fn utm18n(lon: f64, lat: f64) -> (f64, f64) {
    let src = proj4rs::Proj::from_proj_string("+proj=longlat +datum=WGS84 +no_defs").unwrap();
    let dst = proj4rs::Proj::from_proj_string("+proj=utm +zone=18 +datum=WGS84 +units=m +no_defs")
        .unwrap();
    let mut p = (lon.to_radians(), lat.to_radians(), 0.0);
    proj4rs::transform::transform(&src, &dst, &mut p).unwrap();
    (p.0, p.1)
}

fn virginia_beach_demand() -> Option<Vec<DemandSite>> {
    let path = aedcover::opendata::file_for_test(
        "ohca_virginia_beach/vbohca_ohca_dispatches_2017-01_2019-06.csv",
    )?;
    let mut rdr = csv::Reader::from_path(&path).unwrap();
    let h = rdr.headers().unwrap().clone();
    let col = |n: &str| h.iter().position(|c| c == n).unwrap();
    let (c_lat, c_lon) = (col("lat"), col("lon"));
    // Group by the exact lat/lon text: dispatches are geocoded to the street block.
    let mut counts: BTreeMap<(String, String), f64> = BTreeMap::new();
    for rec in rdr.records() {
        let rec = rec.unwrap();
        *counts
            .entry((rec[c_lat].to_string(), rec[c_lon].to_string()))
            .or_default() += 1.0;
    }
    Some(
        counts
            .into_iter()
            .map(|((lat, lon), n)| {
                let (x, y) = utm18n(lon.parse().unwrap(), lat.parse().unwrap());
                DemandSite {
                    id: format!("{lat},{lon}"),
                    x_m: x,
                    y_m: y,
                    arrests: n,
                    residents: 0.0,
                    ..Default::default()
                }
            })
            .collect(),
    )
}

#[test]
fn virginia_beach_exact_and_greedy_table() {
    let Some(demand) = virginia_beach_demand() else {
        return;
    };
    assert_eq!(demand.len(), 1455);
    assert_eq!(demand.iter().map(|d| d.arrests).sum::<f64>(), 2706.0);
    let candidates = demand_candidates(&demand);
    let inst =
        CoveringInstance::build(demand, candidates, &[], InstanceOptions::default()).unwrap();

    println!(
        "Virginia Beach: {} demand points, {} candidates, {} pairs within 500 m",
        inst.demand.len(),
        inst.candidates.len(),
        inst.pairs()
    );
    println!(
        "| k | greedy | greedy s | online bound | exact | exact bound | gap % | status | exact s | greedy/exact % | reduced demand/cands |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    for k in [5, 10, 20, 40] {
        let t = Instant::now();
        let g = greedy(&inst, k);
        let greedy_s = t.elapsed().as_secs_f64();
        let e = exact(
            &inst,
            k,
            ExactOptions {
                time_limit_s: 60.0,
                warm_start: true,
            },
            Some(&g),
        )
        .unwrap();
        println!(
            "| {k} | {} | {greedy_s:.3} | {:.1} | {} | {:.2} | {:.3} | {} | {:.2} | {:.2} | {}/{} |",
            g.value,
            g.online_upper_bound,
            e.value,
            e.upper_bound,
            100.0 * e.gap,
            e.status.as_str(),
            e.solve_time_s,
            100.0 * g.value / e.value,
            e.reduction.demand_groups,
            e.reduction.candidates_kept,
        );
        assert!(e.value >= g.value - 1e-9);
        assert!(e.upper_bound <= g.upper_bound() + 1e-6);
        assert!(e.chosen.len() <= k);
        if k <= 20 {
            assert!(e.gap <= 0.01, "k {k}: gap {}", e.gap);
            assert!(
                g.value >= 0.98 * e.value,
                "k {k}: greedy {} exact {}",
                g.value,
                e.value
            );
        }
    }
}
