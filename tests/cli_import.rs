//! `aedcover import` through the binary, in a temp dir.

use std::path::Path;
use std::process::Command;

#[test]
fn import_osm_writes_registry_csv_that_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("ch.json");
    std::fs::write(
        &input,
        r#"{"elements":[
          {"type":"node","id":2,"lat":46.95,"lon":7.44,"tags":{"emergency":"defibrillator","access":"PUB","opening_hours":"24/7"}},
          {"type":"node","id":1,"lat":46.9,"lon":7.4,"tags":{"emergency":"defibrillator","access":"yes","opening_hours":"24/7"}}
        ]}"#,
    )
    .unwrap();
    let out = dir.path().join("aeds.csv");
    let o = Command::new(env!("CARGO_BIN_EXE_aedcover"))
        .args(["import", "osm"])
        .arg(&input)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    assert!(stderr.contains("2 imported, 0 rejected"), "{stderr}");
    assert!(stderr.contains("flagged access=PUB: 1"), "{stderr}");
    let file = aedcover::registry::read_aeds(&out, Default::default()).unwrap();
    assert_eq!(file.bad_rows(), 0);
    let ids: Vec<_> = file.aeds.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids, ["osm-node-1", "osm-node-2"]);
    assert_eq!(file.aeds[1].about.flags, ["access=PUB"]);
}

#[test]
fn import_csv_geocodes_from_codepoint() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("council.csv");
    std::fs::write(
        &input,
        "Location,Postcode,Latitude,Longitude\nHall,LE1 1AB,NA,NA\nShop,LE9 9ZZ,,\nPark,LE1 2AA,52.63,-1.13\n",
    )
    .unwrap();
    let out = dir.path().join("aeds.csv");
    let cp = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/codepoint_native");
    let o = Command::new(env!("CARGO_BIN_EXE_aedcover"))
        .args(["import", "csv"])
        .arg(&input)
        .arg("--out")
        .arg(&out)
        .arg("--codepoint")
        .arg(&cp)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    assert!(stderr.contains("1 geocoded"), "{stderr}");
    assert!(
        stderr.contains("postcode not found in Code-Point: LE9 9ZZ"),
        "{stderr}"
    );
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.contains(",459400,304300,postcode_centroid,"), "{text}");

    let bad = Command::new(env!("CARGO_BIN_EXE_aedcover"))
        .args(["import", "csv", "/nonexistent.csv", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("/nonexistent.csv"));
}

#[test]
fn import_circuit_reports_rejections_and_says_not_for_publication() {
    let dir = tempfile::tempdir().unwrap();
    let input =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/circuit/circuit_extract.csv");
    let out = dir.path().join("aeds.csv");
    let o = Command::new(env!("CARGO_BIN_EXE_aedcover"))
        .args(["import", "circuit"])
        .arg(&input)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    assert!(
        stderr.contains("12 read, 10 imported, 2 rejected"),
        "{stderr}"
    );
    assert!(
        stderr.contains("public_24_7 5, public_limited 2, restricted 2, unknown 1"),
        "{stderr}"
    );
    assert!(
        stderr.contains("circuit_extract.csv:6: lat: missing (empty)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("circuit_extract.csv:10: long: not a number (not known)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("flagged address_post_code=LE11 3T: 1"),
        "{stderr}"
    );
    assert!(
        stderr.contains("flagged defibrillators_availability=Sometimes: 1"),
        "{stderr}"
    );
    assert!(stderr.contains("NOT FOR PUBLICATION"), "{stderr}");
    assert!(stderr.contains("not for publication: "), "{stderr}");

    let file = aedcover::registry::read_aeds(&out, Default::default()).unwrap();
    assert_eq!(file.bad_rows(), 0);
    assert_eq!(file.aeds.len(), 10);
    assert_eq!(file.aeds[0].id, "circuit:TEST-0001");
    assert_eq!(file.aeds[0].about.name, "Test Village Hall");
    assert_eq!(file.aeds[0].about.circuit_id.as_deref(), Some("TEST-0001"));
}
