//! The committed tables in data/ equal a fresh `aedcover data derive` (skips without open data).

use std::path::Path;
use std::process::Command;

#[test]
fn committed_tables_equal_a_fresh_derivation() {
    for f in [
        "postcode_districts_wikipedia/LE.geojson",
        "codepoint_open/codepoint_open_2025-10_LE_CV_DE_NG_PE.csv",
        "population_census2021/lsoa21_population_llr.csv",
        "ons_boundaries_llr/lsoa21_E10000018.geojson",
        "imd2025_llr/imd2025_lsoa21_llr.csv",
    ] {
        if aedcover::opendata::file_for_test(f).is_none() {
            return;
        }
    }
    let tmp = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_aedcover"))
        .args(["data", "derive", "--out"])
        .arg(tmp.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("repaired LE15"), "{stderr}");
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
    for name in [
        "districts.csv",
        "emas_aeds_geocoded.csv",
        "lsoas.csv",
        "postcode_units.csv",
    ] {
        let fresh = std::fs::read_to_string(tmp.path().join(name)).unwrap();
        let kept = std::fs::read_to_string(committed.join(name)).unwrap();
        assert_eq!(kept, fresh, "data/{name} differs from a fresh derivation");
    }
    // Figures worth pinning: LE15 whole (both lobes), 24 of 25 AEDs on a unit, 1 on a sector.
    let districts = std::fs::read_to_string(committed.join("districts.csv")).unwrap();
    let le15 = districts.lines().find(|l| l.starts_with("LE15,")).unwrap();
    assert!(le15.contains(",350.840,1111,"), "{le15}");
    let aeds = std::fs::read_to_string(committed.join("emas_aeds_geocoded.csv")).unwrap();
    assert_eq!(aeds.lines().count(), 26);
    assert_eq!(aeds.matches(",postcode unit,").count(), 23);
    assert_eq!(aeds.matches(",postcode sector,").count(), 1);
}
