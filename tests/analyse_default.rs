//! `aedcover analyse` with no study regenerates the committed maps/ byte for byte.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

#[test]
fn default_run_matches_committed_maps() {
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("maps");
    let tmp = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_aedcover"))
        .args(["analyse", "--quiet", "--out"])
        .arg(tmp.path())
        // The default needs no open data: point the variable nowhere to prove it.
        .env("AEDCOVER_OPEN_DATA", tmp.path().join("no-open-data-here"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("report.md"), "{stdout}");

    let names = |dir: &Path| -> BTreeSet<String> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n != "README.md")
            .collect()
    };
    let fresh = names(tmp.path());
    assert_eq!(
        fresh,
        names(&committed),
        "maps/ lists different files: run `cargo run -- analyse` and commit maps/"
    );
    let stale: Vec<&String> = fresh
        .iter()
        .filter(|n| {
            std::fs::read(tmp.path().join(n)).unwrap() != std::fs::read(committed.join(n)).unwrap()
        })
        .collect();
    assert!(
        stale.is_empty(),
        "maps/ is stale ({stale:?}): run `cargo run -- analyse` and commit maps/"
    );
}

#[test]
fn default_layers_follow_the_geojson_rules_and_account_for_arrests() {
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("maps");
    for entry in std::fs::read_dir(&committed).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "geojson") {
            let v = aedcover::export::check_file(&path);
            assert!(v.is_empty(), "{}: {v:?}", path.display());
        }
    }
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(committed.join("summary.json")).unwrap())
            .unwrap();
    assert_eq!(s["aeds"]["known_total"], 865);
    assert_eq!(s["aeds"]["counted"], 24);
    let a = &s["accounting"];
    assert_eq!(a["input_total"], 2252.0);
    // No postcode lookup is embedded: none placed, every arrest accounted as unknown or unmatched.
    assert_eq!(a["placed_total"], 0.0);
    assert_eq!(
        a["unknown_total"].as_f64().unwrap() + a["unmatched_total"].as_f64().unwrap(),
        2252.0
    );
    assert!(
        s["main"]["pct_covered"].is_null(),
        "coverage of nothing is unknown, not 0 %"
    );
    let districts = std::fs::read_to_string(committed.join("districts.csv")).unwrap();
    assert!(
        districts
            .lines()
            .nth(1)
            .unwrap()
            .starts_with("LE5,25,1,234,9.360,"),
        "{districts}"
    );
}
