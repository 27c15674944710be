//! Census 2021 residents shared over Code-Point postcode units in LLR (skips without data).

use aedcover::geography::population::read_lsoa_population;
use aedcover::geography::{AreaLayer, AreaOptions, ResidentsByPostcode, UnitPosition};
use aedcover::opendata::file_for_test;

#[test]
fn llr_totals_are_exact() {
    let mut lsoa_files = Vec::new();
    for code in ["E10000018", "E06000016", "E06000017"] {
        let Some(p) = file_for_test(&format!("ons_boundaries_llr/lsoa21_{code}.geojson")) else {
            return;
        };
        lsoa_files.push(p);
    }
    let Some(pop_path) = file_for_test("population_census2021/lsoa21_population_llr.csv") else {
        return;
    };
    let Some(cp) = file_for_test("codepoint_open/codepoint_open_2025-10_LE_CV_DE_NG_PE.csv") else {
        return;
    };
    let (lsoas, notes) =
        AreaLayer::from_geojson_files(&lsoa_files, &AreaOptions::lsoa21()).unwrap();
    assert_eq!(lsoas.len(), 634);
    for n in &notes {
        eprintln!("repair: {n}");
    }
    let population = read_lsoa_population(&pop_path).unwrap();
    assert_eq!(population.len(), 634);
    let mut units = Vec::new();
    for rec in csv::Reader::from_path(cp).unwrap().records() {
        let rec = rec.unwrap();
        let (e, n): (f64, f64) = (rec[2].parse().unwrap(), rec[3].parse().unwrap());
        if e == 0.0 && n == 0.0 {
            continue;
        }
        units.push(UnitPosition {
            postcode: rec[0].to_string(),
            easting_m: e,
            northing_m: n,
        });
    }
    let r = ResidentsByPostcode::apportion(&lsoas, &population, &units).unwrap();
    let rep = r.report();
    eprintln!(
        "units located {}, outside {}, fallback LSOAs {:?}, without polygon {:?}, polygons without population {:?}",
        rep.units_located,
        rep.units_outside,
        rep.lsoas_fallback,
        rep.lsoas_without_polygon,
        rep.polygons_without_population
    );
    assert_eq!(rep.residents_by_utla["E06000016"], 368_558);
    assert_eq!(rep.residents_by_utla["E06000017"], 41_043);
    assert_eq!(rep.residents_by_utla["E10000018"], 712_353);
    assert_eq!(rep.residents_total, 1_121_954);
    // Every resident sits on some unit: nothing lost to LSOAs without units.
    assert_eq!(r.total(), 1_121_954);
    // And per authority, summing the units by their LSOA's authority, the same totals.
    let lad_of: std::collections::HashMap<&str, &str> = population
        .iter()
        .map(|p| (p.lsoa21cd.as_str(), p.utla_code.as_str()))
        .collect();
    let mut leicester = 0u64;
    for (pc, n) in r.iter() {
        if r.lsoa_of(pc).and_then(|l| lad_of.get(l)) == Some(&"E06000016") {
            leicester += n as u64;
        }
    }
    // Measured: every LLR LSOA holds at least one Code-Point unit, so no fallback is used.
    assert!(rep.lsoas_fallback.is_empty());
    assert_eq!(leicester, 368_558);
    assert!(rep.polygons_without_population.is_empty());
    assert!(rep.lsoas_without_polygon.is_empty());
}
