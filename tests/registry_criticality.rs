//! `coverage` writes criticality.csv; `registry check --criticality` ranks problem devices by
//! the arrests only they cover.

use std::path::{Path, PathBuf};
use std::process::Command;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/criticality")
        .join(name)
}

fn run(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_aedcover"))
        .args(args)
        .output()
        .expect("run aedcover");
    assert!(
        out.status.success(),
        "aedcover {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

#[test]
fn problem_devices_are_ranked_by_sole_cover() {
    let dir = tempfile::tempdir().unwrap();
    let aeds = fixture("aeds.csv");
    let out = dir.path().to_str().unwrap();
    run(&[
        "coverage",
        "--aeds",
        aeds.to_str().unwrap(),
        "--demand",
        fixture("demand.csv").to_str().unwrap(),
        "--demand-level",
        "point",
        "--out",
        out,
    ]);
    let crit = dir.path().join("criticality.csv");
    let csv = run(&[
        "registry",
        "check",
        aeds.to_str().unwrap(),
        "--guardians",
        fixture("guardians.csv").to_str().unwrap(),
        "--today",
        "2026-11-22",
        "--criticality",
        crit.to_str().unwrap(),
        "--csv",
    ]);
    let ids: Vec<&str> = csv
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').nth(1))
        .collect();
    assert_eq!(ids, ["C2", "C1", "C3"], "ranking in:\n{csv}");
    assert!(!csv.contains("guardian@example.invalid") && !csv.contains("Test Guardian"));
}

#[test]
fn a_bad_criticality_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("criticality.csv");
    std::fs::write(&bad, "rank,aed_id,demand_sole_500m\n1,C1,lots\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_aedcover"))
        .args(["registry", "check"])
        .arg(fixture("aeds.csv"))
        .arg("--criticality")
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("criticality.csv:2") && err.contains("lots"),
        "{err}"
    );
}
