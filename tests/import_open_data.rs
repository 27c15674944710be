//! AED import on the real files in ../shared/data (skipped with a reason when absent).

use aedcover::import::{import_osm, import_table};
use aedcover::registry::AccessClass;

#[test]
fn trafford_council_csv() {
    let Some(path) =
        aedcover::opendata::file_for_test("aed_trafford_council/trafford_defibrillators.csv")
    else {
        return;
    };
    let (aeds, rep) = import_table(&path).unwrap();
    assert_eq!(
        rep.source,
        aedcover::sources::Source::undeclared("trafford_defibrillators")
    );
    assert_eq!(rep.read, 185);
    assert_eq!(rep.imported, 185, "{rep}");
    assert!(rep.rejected.is_empty(), "{rep}");
    assert_eq!(rep.without_position, 0);
    assert_eq!(rep.count(AccessClass::Unknown), 185);
    assert_eq!(aeds[0].about.name, "Acre Hall Primary");
    assert_eq!(aeds[0].about.postcode, "M41 6NA");
}

#[test]
fn switzerland_overpass() {
    let Some(path) =
        aedcover::opendata::file_for_test("aed_switzerland_osm/defikarte_ch_overpass_2020-12.json")
    else {
        return;
    };
    let (aeds, rep) = import_osm(&path).unwrap();
    println!("{rep}");
    assert_eq!(rep.imported, 1_550, "{rep}");
    assert_eq!(rep.source, aedcover::sources::Source::osm());
    assert!(rep.rejected.is_empty());
    // Every node is 24/7: yes 1,342 + permissive 25 public; no 5 + private 3 + customers 2
    // restricted; 170 untagged + PUB 2 + 7/24 1 unknown.
    assert_eq!(rep.count(AccessClass::Public247), 1_367);
    assert_eq!(rep.count(AccessClass::PublicLimited), 0);
    assert_eq!(rep.count(AccessClass::Restricted), 10);
    assert_eq!(rep.count(AccessClass::Unknown), 173);
    assert_eq!(rep.flagged.get("access=PUB"), Some(&2));
    assert_eq!(rep.flagged.get("access=7/24"), Some(&1));
    assert_eq!(rep.flagged.get("indoor=wall"), Some(&1));
    assert_eq!(
        aeds.iter()
            .filter(|a| a.about.flags.iter().any(|f| f == "access=PUB"))
            .count(),
        2
    );
    assert!(
        aeds.iter().all(|a| a.about.postcode.is_empty()),
        "Swiss postcodes are not UK ones"
    );
}

#[test]
fn poland_geojson() {
    let Some(path) = aedcover::opendata::file_for_test("aed_poland_osm/aed_poland.geojson") else {
        return;
    };
    let (aeds, rep) = import_osm(&path).unwrap();
    println!("{rep}");
    assert_eq!(rep.imported, 575, "{rep}");
    assert!(rep.rejected.is_empty());
    assert_eq!(rep.count(AccessClass::Restricted), 45);
    assert_eq!(aeds.iter().filter(|a| a.indoor == Some(true)).count(), 269);
}
