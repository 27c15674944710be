//! Every CSV reader matches header names by the one `csvhead` rule: a file whose header has a
//! UTF-8 byte-order mark, upper-case names and padding loads exactly like the plain one.
//!
//! CRLF is only used where no line number is compared: the `csv` crate reports record lines
//! one too low for CRLF input (BurntSushi/rust-csv#395), which shifts `file:line` sources and
//! council ids; that is not a header matter.

use aedcover::demand::{PointCrs, read_counts, read_points};
use aedcover::import::import_table_from_reader;
use aedcover::registry::{ReadOptions, read_aeds_from_reader};
use std::path::PathBuf;

const BOM: &str = "\u{feff}";

fn temp_csv(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn registry_aeds_csv_loads_the_same_with_bom_case_and_padding() {
    let rows = "A1,Village Hall,LE12 7AB,-1.2,52.77,public_24_7,ready,2026-05-01,24/7\n\
                A2,Shop,LE1 1AA,,,restricted,not_ready,,\n";
    let plain = format!("id,name,postcode,lon,lat,access,status,pads_expiry,opening_hours\n{rows}");
    let fancy = format!(
        "{BOM} ID ,NAME, Postcode ,LON,Lat ,ACCESS,Status,Pads-Expiry, Opening Hours\n{rows}"
    )
    .replace('\n', "\r\n");
    let read = |text: &str| {
        read_aeds_from_reader("aeds.csv", text.as_bytes(), ReadOptions::default()).unwrap()
    };
    let (a, b) = (read(&plain), read(&fancy));
    assert!(a.errors.is_empty() && a.warnings.is_empty(), "{a:?}");
    assert_eq!(a.aeds.len(), 2);
    assert_eq!(a, b);
}

#[test]
fn registry_repeated_column_is_named() {
    let e = read_aeds_from_reader(
        "aeds.csv",
        format!("{BOM}id,Name, NAME \nA1,x,y\n").as_bytes(),
        ReadOptions::default(),
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "aeds.csv:1: name: duplicate header (\"NAME\")"
    );
}

#[test]
fn demand_points_load_the_same_with_bom_case_and_padding() {
    let dir = tempfile::tempdir().unwrap();
    let rows = "P1,447000,303000,2\nP2,448000.5,304000,1\n";
    let plain = temp_csv(
        &dir,
        "plain.csv",
        &format!("id,easting,northing,weight\n{rows}"),
    );
    let fancy = temp_csv(
        &dir,
        "fancy.csv",
        &format!("{BOM} ID ,EASTING , Northing,WEIGHT\n{rows}").replace('\n', "\r\n"),
    );
    let a = read_points(&plain, &PointCrs::Bng).unwrap();
    let b = read_points(&fancy, &PointCrs::Bng).unwrap();
    assert_eq!(a.len(), 2);
    assert_eq!(a[0].id, "P1");
    assert_eq!(a, b);

    // WGS84 columns go the same way.
    let rows = "Q1,52.63,-1.13\n";
    let plain = temp_csv(&dir, "ll.csv", &format!("name,lat,lon\n{rows}"));
    let fancy = temp_csv(&dir, "LL.csv", &format!("{BOM}NAME, LATITUDE ,Lng\n{rows}"));
    let a = read_points(&plain, &PointCrs::Bng).unwrap();
    assert_eq!(a, read_points(&fancy, &PointCrs::Bng).unwrap());
    assert_eq!(a[0].id, "Q1");

    // A bad value still names file:line: column (as written): reason (value).
    let bad = temp_csv(
        &dir,
        "bad.csv",
        &format!("{BOM} ID ,EASTING,NORTHING, Weight \nP1,447000,303000,x\n"),
    );
    let e = read_points(&bad, &PointCrs::Bng).unwrap_err().to_string();
    assert!(
        e.ends_with("bad.csv:2: Weight: not a number (\"x\")"),
        "{e}"
    );
}

#[test]
fn demand_counts_load_the_same_with_bom_case_and_padding() {
    let dir = tempfile::tempdir().unwrap();
    let rows = "LE12,86\nLE1,3\n";
    let plain = temp_csv(&dir, "counts.csv", &format!("district,arrests\n{rows}"));
    let a = read_counts(&plain).unwrap();
    std::fs::write(&plain, format!("{BOM} DISTRICT , Arrests\n{rows}")).unwrap();
    let b = read_counts(&plain).unwrap();
    assert_eq!(a.len(), 2);
    assert_eq!(a[0].weight, 86.0);
    assert_eq!(a, b);
}

#[test]
fn council_csv_imports_the_same_with_bom_case_and_padding() {
    let rows = "Village Hall,1 Main St,LE12 7AB,52.77,-1.2,24/7\n\
                Shop,2 High St,LE1 1AA,52.63,-1.13,\n";
    let plain = format!("Location,Address1,Postcode,Latitude,Longitude,Opening hours\n{rows}");
    let fancy =
        format!("{BOM} LOCATION ,ADDRESS1 , postcode,LATITUDE, Longitude ,OPENING HOURS\n{rows}");
    let import =
        |text: &str| import_table_from_reader(text.as_bytes(), "council.csv", "council").unwrap();
    let (a, b) = (import(&plain), import(&fancy));
    assert_eq!(a.0.len(), 2);
    assert_eq!(a.0[0].about.name, "Village Hall");
    assert_eq!(a.0[0].opening_hours.as_deref(), Some("24/7"));
    assert_eq!(a, b);
}
