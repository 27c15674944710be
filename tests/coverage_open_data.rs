//! Coverage on open data (../shared/data): Trafford AEDs against Trafford postcodes, and the
//! Leicestershire seed arrests spread over postcode units by residents through the CLI.

use aedcover::coverage::{
    CoverageConfig, DemandPoint, Facility, FacilityIndex, assess, assess_brute_force,
};
use aedcover::geography::PostcodeIndex;
use aedcover::geography::crs::wgs84_to_bng;
use std::path::Path;

#[test]
fn trafford_185_aeds_against_trafford_postcodes_equal_brute_force() {
    let Some(aeds) =
        aedcover::opendata::file_for_test("aed_trafford_council/trafford_defibrillators.csv")
    else {
        return;
    };
    let Some(cp) =
        aedcover::opendata::file_for_test("codepoint_open/codepoint_open_2025-10_GB_compact.csv")
    else {
        return;
    };
    let mut rdr = csv::Reader::from_path(&aeds).unwrap();
    let h = rdr.headers().unwrap().clone();
    let col = |n: &str| h.iter().position(|c| c == n).unwrap();
    let (lat, lon, name) = (col("Latitude"), col("Longitude"), col("Location"));
    let facilities: Vec<Facility> = rdr
        .records()
        .enumerate()
        .map(|(i, r)| {
            let r = r.unwrap();
            let (x, y) = wgs84_to_bng(r[lon].parse().unwrap(), r[lat].parse().unwrap()).unwrap();
            Facility {
                id: ecow::eco_format!("T{:03} {}", i + 1, &r[name]),
                x_m: x,
                y_m: y,
            }
        })
        .collect();
    assert_eq!(facilities.len(), 185);
    let (index, _) = PostcodeIndex::load(&cp).unwrap();
    let demand: Vec<DemandPoint> = index
        .iter_with_district()
        .filter(|(_, _, d)| *d == Some("E08000009"))
        .map(|(pc, r, _)| DemandPoint {
            id: pc.into(),
            x_m: r.easting_m,
            y_m: r.northing_m,
            weight: 1.0,
            residents: 0.0,
        })
        .collect();
    assert!(demand.len() > 5000, "{}", demand.len());
    let cfg = CoverageConfig::default();
    let fast = assess(&FacilityIndex::new(facilities.clone()), &demand, &cfg).unwrap();
    let slow = assess_brute_force(&facilities, &demand, &cfg).unwrap();
    assert_eq!(fast.points, slow.points);
    let t = fast.totals(&demand);
    assert_eq!(t, slow.totals(&demand));
    for x in &t {
        eprintln!(
            "Trafford: {} m: {} of {} postcodes covered ({:.2}%)",
            x.radius_m, x.points_covered, x.points_total, x.pct_covered
        );
    }
    assert!(t[0].pct_covered < t[1].pct_covered && t[1].pct_covered < t[2].pct_covered);
    assert!(t[2].pct_covered > 5.0 && t[2].pct_covered < 95.0);
}

#[test]
fn leicestershire_seed_arrests_all_accounted_for() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let Some(cp) = aedcover::opendata::file_for_test(
        "codepoint_open/codepoint_open_2025-10_LE_CV_DE_NG_PE.csv",
    ) else {
        return;
    };
    let Some(pop) =
        aedcover::opendata::file_for_test("population_census2021/lsoa21_population_llr.csv")
    else {
        return;
    };
    let lsoa: Vec<_> = ["E10000018", "E06000016", "E06000017"]
        .iter()
        .filter_map(|c| {
            aedcover::opendata::file_for_test(&format!("ons_boundaries_llr/lsoa21_{c}.geojson"))
        })
        .collect();
    if lsoa.len() < 3 {
        return;
    }
    let Some(le) = aedcover::opendata::file_for_test("postcode_districts_wikipedia/LE.geojson")
    else {
        return;
    };
    // The 25 EMAS-managed AEDs listed in the seed report, placed at their postcode centroid.
    let (index, _) = PostcodeIndex::load(&cp).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let mut reg = String::from("id,name,postcode,easting,northing,location_source,access\n");
    let mut rdr = csv::Reader::from_path(root.join("seeds/emas_managed_aeds.csv")).unwrap();
    let mut placed = 0;
    for r in rdr.records() {
        let r = r.unwrap();
        let (seq, pc) = (&r[0], &r[5]);
        let id = format!("EMAS{seq:0>2}");
        match index.get(pc) {
            Some(p) => {
                placed += 1;
                reg.push_str(&format!(
                    "{id},\"{}\",{pc},{},{},postcode_centroid,public_24_7\n",
                    r[2].replace('"', ""),
                    p.easting_m,
                    p.northing_m
                ));
            }
            None => reg.push_str(&format!(
                "{id},\"{}\",{pc},,,,public_24_7\n",
                r[2].replace('"', "")
            )),
        }
    }
    assert!(placed >= 20, "{placed}");
    let aeds = tmp.path().join("aeds.csv");
    std::fs::write(&aeds, reg).unwrap();
    let out = tmp.path().join("out");
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_aedcover"));
    cmd.arg("coverage")
        .arg("--aeds")
        .arg(&aeds)
        .arg("--demand")
        .arg(root.join("seeds/arrests_by_district.csv"))
        .arg("--postcodes")
        .arg(&cp)
        .arg("--population")
        .arg(&pop)
        .arg("--areas")
        .arg(&le)
        .arg("--out")
        .arg(&out);
    for l in &lsoa {
        cmd.arg("--lsoa").arg(l);
    }
    let o = cmd.output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let acc = &s["accounting"];
    let f = |v: &serde_json::Value| v.as_f64().unwrap();
    assert_eq!(f(&acc["input_total"]), 2252.0);
    assert_eq!(f(&acc["unknown_total"]), 2.0);
    assert!(f(&acc["placement_error"]) < 1e-9);
    for r in s["radii"].as_array().unwrap() {
        let total = f(&r["demand_covered"]) + f(&r["demand_uncovered"]);
        let all = total + f(&acc["unknown_total"]) + f(&acc["unmatched_total"]);
        assert!((all - 2252.0).abs() < 1e-6, "{all}");
        eprintln!(
            "Leicestershire seed arrests, {} m: {:.3} covered of {:.3} placed ({:.2}%)",
            r["radius_m"],
            f(&r["demand_covered"]),
            total,
            f(&r["pct_covered"])
        );
    }
    eprintln!("accounting: {acc}");
    let points = std::fs::read_to_string(out.join("coverage_points.csv")).unwrap();
    assert!(points.starts_with(
        "id,weight,residents,nearest_aed,distance_m,covered_100m,covered_200m,covered_500m\n"
    ));
    let crit = std::fs::read_to_string(out.join("criticality.csv")).unwrap();
    assert_eq!(crit.lines().count(), 1 + placed);
    let gaps: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("gaps.geojson")).unwrap()).unwrap();
    assert!(!gaps["features"].as_array().unwrap().is_empty());
    assert_eq!(gaps["features"][0]["id"], "gap-0001");
    assert_eq!(gaps["metric_crs"], serde_json::Value::Null);
    assert_eq!(gaps["metadata"]["metric_crs"], "EPSG:27700");
    let areas = std::fs::read_to_string(out.join("areas.csv")).unwrap();
    assert_eq!(areas.lines().count(), 1 + 21);
}
