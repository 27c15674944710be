//! `aedcover sites` end to end on a hand-made Leicester-area fixture (written to a temp dir):
//! three clusters of arrests 2 km apart; an existing AED beside the biggest cluster; one
//! AED without a position.

use std::process::Command;

fn write_inputs(dir: &std::path::Path) {
    // Cluster A (5 arrests) at 459000,304000; B (3) 2 km east; C (1) 4 km east.
    let mut demand = String::from("id,easting,northing,arrests\n");
    for (i, (e, n, w)) in [
        (459000, 304000, 3),
        (459100, 304000, 2),
        (461000, 304000, 2),
        (461050, 304050, 1),
        (463000, 304000, 1),
    ]
    .iter()
    .enumerate()
    {
        demand.push_str(&format!("p{i},{e},{n},{w}\n"));
    }
    std::fs::write(dir.join("demand.csv"), demand).unwrap();
    std::fs::write(
        dir.join("aeds.csv"),
        "id,name,easting,northing\nA1,Hall,459020,304000\nA2,No position,,\n",
    )
    .unwrap();
}

fn run(dir: &std::path::Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "sites",
        "--aeds",
        "aeds.csv",
        "--demand",
        "demand.csv",
        "--out",
        "out",
    ];
    args.extend_from_slice(extra);
    Command::new(env!("CARGO_BIN_EXE_aedcover"))
        .current_dir(dir)
        .args(&args)
        .output()
        .unwrap()
}

#[test]
fn greedy_sites_skip_demand_covered_by_existing_aed() {
    let dir = tempfile::tempdir().unwrap();
    write_inputs(dir.path());
    let out = run(dir.path(), &["--k", "2", "--arrest-period-years", "2"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sites = std::fs::read_to_string(dir.path().join("out/sites.csv")).unwrap();
    let rows: Vec<&str> = sites.lines().collect();
    assert_eq!(rows.len(), 3, "{sites}");
    // Cluster A is covered by A1 already; B (3 arrests) first, then C (1).
    assert!(rows[1].starts_with("1,p2,"), "{sites}");
    assert!(rows[2].starts_with("2,p4,"), "{sites}");
    let s: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("out/summary.json")).unwrap(),
    )
    .unwrap();
    let notes = s["notes"].clone();
    let s = &s["siting"];
    assert_eq!(s["already_covered_by_existing"]["arrests"], 5.0);
    assert_eq!(s["covered_arrests"], 4.0);
    assert_eq!(s["existing_aeds"], 1);
    // The two demand points next to A1 were dropped as candidates (within 50 m: only p0).
    assert_eq!(s["candidates_dropped_near_existing"], 1);
    assert_eq!(s["gain_curve"].as_array().unwrap().len(), 2);
    assert!(
        notes
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n.as_str().unwrap().contains("no usable position")),
        "{notes}"
    );
    let gj: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("out/sites.geojson")).unwrap(),
    )
    .unwrap();
    let lon = gj["features"][0]["geometry"]["coordinates"][0]
        .as_f64()
        .unwrap();
    assert!((-1.2..-1.0).contains(&lon), "{lon}");
}

#[test]
fn budget_and_exact_give_the_same_cover() {
    let dir = tempfile::tempdir().unwrap();
    write_inputs(dir.path());
    // Enough for exactly one site at the high estimate over 10 years.
    let out = run(dir.path(), &["--budget-gbp", "3000", "--exact"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("out/summary.json")).unwrap(),
    )
    .unwrap();
    let s = &s["siting"];
    assert_eq!(s["k_requested"], 1);
    assert_eq!(s["covered_arrests"], 3.0);
    assert_eq!(s["exact"]["status"], "optimal");
    assert_eq!(s["cost_per_extra_arrest"]["basis"], "unknown_period");
}

#[test]
fn bad_demand_value_names_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    write_inputs(dir.path());
    std::fs::write(
        dir.path().join("demand.csv"),
        "id,easting,northing,arrests\np0,459000,nope,1\n",
    )
    .unwrap();
    let out = run(dir.path(), &["--k", "1"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("demand.csv:2"), "{err}");
}

#[test]
fn candidate_sites_given_by_postcode_are_placed_with_code_point() {
    let dir = tempfile::tempdir().unwrap();
    write_inputs(dir.path());
    std::fs::write(
        dir.path().join("codepoint.csv"),
        "postcode,pqi,easting,northing\nLE2 1AA,10,461000,304000\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("candidates.csv"),
        "name,postcode\nChapel,LE2 1AA\nNowhere hall,LE9 9ZZ\n",
    )
    .unwrap();
    let out = run(
        dir.path(),
        &[
            "--k",
            "1",
            "--candidates",
            "candidates.csv",
            "--postcodes",
            "codepoint.csv",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sites = std::fs::read_to_string(dir.path().join("out/sites.csv")).unwrap();
    assert!(sites.lines().nth(1).unwrap().contains("Chapel"), "{sites}");
    let summary = std::fs::read_to_string(dir.path().join("out/summary.json")).unwrap();
    assert!(
        summary.contains("LE9 9ZZ") && summary.contains("1 candidate rows not placed"),
        "{summary}"
    );
}
