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
    // The embedded postcode units place every arrest of the 25 AED districts; those of the
    // other districts (DE11, DE73, NG13, NG32, NG33, PE9) and the 2 unknown stay accounted.
    let placed = a["placed_total"].as_f64().unwrap();
    assert!(placed > 2_000.0, "{placed}");
    let sum =
        placed + a["unknown_total"].as_f64().unwrap() + a["unmatched_total"].as_f64().unwrap();
    assert!((sum - 2252.0).abs() < 1e-6, "{sum}");
    assert!(s["main"]["pct_covered"].is_number());
    equity_is_consistent(&s);
    best_case_is_consistent(&s);
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

/// The residents-weighted mean of the per-decile coverages is the overall coverage.
fn equity_is_consistent(s: &serde_json::Value) {
    let e = &s["equity"];
    let deciles = e["deciles"].as_array().unwrap();
    assert!(deciles.len() >= 10);
    for k in 0..3 {
        let (mut res, mut covered) = (0.0, 0.0);
        for d in deciles {
            let r = d["residents"].as_f64().unwrap();
            res += r;
            if let Some(p) = d["within"][k]["pct_residents_covered"].as_f64() {
                covered += r * p / 100.0;
            }
        }
        let all = e["overall"]["within"][k]["pct_residents_covered"]
            .as_f64()
            .unwrap();
        assert!(
            (100.0 * covered / res - all).abs() < 0.01,
            "radius {k}: {} vs {all}",
            100.0 * covered / res
        );
        assert!((res - e["overall"]["residents"].as_f64().unwrap()).abs() < 1.0);
    }
    assert_eq!(e["join"]["lsoas_in_file"], 634);
}

/// Per district: located <= best case <= 100 %; below 90 % needs more than the counted AEDs.
fn best_case_is_consistent(s: &serde_json::Value) {
    let b = s["best_case"].as_array().unwrap();
    assert_eq!(b.len(), 25);
    for d in b {
        let id = d["id"].as_str().unwrap();
        for w in ["residents", "arrests"] {
            let x = &d[w];
            let best = x["best_case_pct"].as_f64().unwrap();
            let floor = x["floor_pct"].as_f64().unwrap();
            let located = x["located_pct"].as_f64().unwrap();
            assert!(
                located <= floor + 1e-9 && floor <= best + 1e-9 && best <= 100.0,
                "{id} {w}: {x}"
            );
            assert!(["proven", "upper_bound"].contains(&x["kind"].as_str().unwrap()));
        }
        let n90 = &d["aeds_needed"][1];
        assert_eq!(n90["target_pct_residents"], 90.0);
        let counted = d["aeds_counted"].as_u64().unwrap();
        if d["residents"]["best_case_pct"].as_f64().unwrap() < 90.0 {
            assert!(n90["at_least"].as_u64().unwrap() > counted, "{id}: {n90}");
        }
        if let Some(hi) = n90["at_most"].as_u64() {
            assert!(n90["at_least"].as_u64().unwrap() <= hi, "{id}: {n90}");
        }
    }
}
