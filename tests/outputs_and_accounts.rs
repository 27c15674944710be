//! Issue 15 §3 and §5 through the binary: every run ends with a one-line account on stderr,
//! exits with its own code when nothing usable remains, skips and counts bad demand rows
//! (`--strict` stops at the first), and changes its output folder all at once, with a
//! manifest and no stale files.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn aedcover(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_aedcover"))
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

const AEDS: &str = "id,name,easting,northing,access\nA1,Hall,459000,304000,public_24_7\nA2,Shop,462000,304000,public_24_7\n";

/// aeds.csv (2 AEDs), demand.csv (40 points and one bad row on line 42), bad_aeds.csv
/// (every access value not one of the four classes), empty_aeds.csv (header only).
fn inputs() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(d.join("aeds.csv"), AEDS).unwrap();
    std::fs::write(
        d.join("bad_aeds.csv"),
        AEDS.replace("public_24_7", "public"),
    )
    .unwrap();
    std::fs::write(
        d.join("empty_aeds.csv"),
        "id,name,easting,northing,access\n",
    )
    .unwrap();
    let mut demand = String::from("id,easting,northing,arrests\n");
    for i in 0..40 {
        demand.push_str(&format!(
            "p{i},{},{},1\n",
            458_500 + 100 * i,
            304_000 + 37 * (i % 5)
        ));
    }
    demand.push_str("bad,x,304000,1\n");
    std::fs::write(d.join("demand.csv"), demand).unwrap();
    tmp
}

fn coverage(dir: &Path, aeds: &str, out: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        "coverage",
        "--aeds",
        aeds,
        "--demand",
        "demand.csv",
        "--out",
        out,
    ];
    args.extend_from_slice(extra);
    aedcover(dir, &args)
}

/// `coverage` of `aeds.csv` against `counts.csv` (counts by postcode) located by `postcodes`.
fn counts_coverage(dir: &Path, postcodes: &str) -> Output {
    let demand = ["--demand", "counts.csv", "--postcodes", postcodes];
    let args = [
        &["coverage", "--aeds", "aeds.csv"],
        &demand[..],
        &["--out", "c"],
    ]
    .concat();
    aedcover(dir, &args)
}

#[test]
fn every_aed_rejected_exits_3_and_names_the_first_rows() {
    let tmp = inputs();
    let o = coverage(tmp.path(), "bad_aeds.csv", "c", &[]);
    let e = stderr(&o);
    assert_eq!(code(&o), 3, "{e}");
    assert!(e.contains("bad_aeds.csv: 2 read, 0 used, 2 skipped"), "{e}");
    assert!(e.contains("bad_aeds.csv:2: access:"), "{e}");
    assert!(
        !tmp.path().join("c").exists(),
        "no outputs for a run with no AED"
    );
    let o = aedcover(tmp.path(), &["registry", "check", "bad_aeds.csv"]);
    assert_eq!(code(&o), 3, "{}", stderr(&o));
    assert!(stderr(&o).contains("2 read, 0 used, 2 skipped"));
}

#[test]
fn an_empty_registry_is_said_so_and_exits_0() {
    let tmp = inputs();
    let o = aedcover(
        tmp.path(),
        &[
            "sites",
            "--aeds",
            "empty_aeds.csv",
            "--demand",
            "demand.csv",
            "--k",
            "2",
            "--out",
            "s",
        ],
    );
    let e = stderr(&o);
    assert_eq!(code(&o), 0, "{e}");
    assert!(
        e.contains("empty_aeds.csv: no rows, an empty registry"),
        "{e}"
    );
}

#[test]
fn bad_demand_rows_are_skipped_and_counted_and_strict_stops_at_the_first() {
    let tmp = inputs();
    let o = coverage(tmp.path(), "aeds.csv", "c", &[]);
    let e = stderr(&o);
    assert_eq!(code(&o), 0, "{e}");
    let account = e.lines().find(|l| l.starts_with("aeds.csv:")).unwrap_or("");
    assert!(
        account.contains("aeds.csv: 2 read, 2 used, 0 skipped; demand.csv: 41 read, 40 used, 1 skipped (demand.csv:42: easting: not a number (\"x\"))"),
        "{e}"
    );
    let s: serde_json::Value =
        serde_json::from_slice(&std::fs::read(tmp.path().join("c/summary.json")).unwrap()).unwrap();
    let notes = s["notes"].to_string();
    assert!(notes.contains("demand.csv: 1 bad rows skipped"), "{notes}");
    let o = coverage(tmp.path(), "aeds.csv", "strict", &["--strict"]);
    assert_eq!(code(&o), 1);
    assert!(
        stderr(&o).contains("demand.csv:42: easting: not a number"),
        "{}",
        stderr(&o)
    );
    assert!(!tmp.path().join("strict").exists());
}

#[test]
fn no_demand_matched_exits_4() {
    let tmp = inputs();
    let d = tmp.path();
    std::fs::write(
        d.join("counts.csv"),
        "postcode,count\nZZ9 9ZZ,3\nLE1 1AA,2\n",
    )
    .unwrap();
    let cp = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/codepoint_native/Data/CSV/l.csv");
    let o = counts_coverage(d, cp.to_str().unwrap());
    let e = stderr(&o);
    assert_eq!(code(&o), 4, "{e}");
    assert!(e.contains("no demand matched"), "{e}");
    assert!(e.contains("2 rows, 0 matched, 2 unmatched"), "{e}");
}

/// The case: a Code-Point file saved as UTF-16 matched 2 of 544 arrests and printed
/// "0.00% (0 of 0)". It is now refused before any figure, naming the file and its encoding.
#[test]
fn a_utf16_codepoint_file_is_refused_by_name() {
    let tmp = inputs();
    let d = tmp.path();
    std::fs::write(d.join("counts.csv"), "postcode,count\nLE1 1AA,2\n").unwrap();
    let cp = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/codepoint_native/Data/CSV/l.csv");
    let text = std::fs::read_to_string(cp).unwrap();
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    std::fs::write(d.join("cp16.csv"), utf16).unwrap();
    let o = counts_coverage(d, "cp16.csv");
    let e = stderr(&o);
    assert_ne!(code(&o), 0, "{e}");
    assert!(e.contains("cp16.csv"), "{e}");
    assert!(e.contains("UTF-16 little-endian"), "{e}");
    assert!(!e.contains("% ("), "no figure printed: {e}");
    assert!(!d.join("c").exists(), "no outputs");
}

#[test]
fn no_placeable_candidate_exits_5() {
    let tmp = inputs();
    let o = aedcover(
        tmp.path(),
        &[
            "sites",
            "--aeds",
            "aeds.csv",
            "--demand",
            "demand.csv",
            "--k",
            "2",
            "--min-distance-from-existing-m",
            "1000000",
            "--out",
            "s",
        ],
    );
    let e = stderr(&o);
    assert_eq!(code(&o), 5, "{e}");
    assert!(e.contains("no candidate placed"), "{e}");
}

#[test]
fn a_criticality_file_matching_no_device_exits_6() {
    let tmp = inputs();
    let d = tmp.path();
    std::fs::write(
        d.join("crit.csv"),
        "aed_id,demand_sole_500m\nOTHER1,5\nOTHER2,3\n",
    )
    .unwrap();
    let o = aedcover(
        d,
        &["registry", "check", "aeds.csv", "--criticality", "crit.csv"],
    );
    let e = stderr(&o);
    assert_eq!(code(&o), 6, "{e}");
    assert!(e.contains("none of its 2 AED ids"), "{e}");
}

fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn manifest(dir: &Path) -> Vec<(String, u64)> {
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    m["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["name"].as_str().unwrap().to_owned(),
                f["bytes"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// Every file the manifest lists is there at its size; nothing else but `keep`.
fn complete(dir: &Path, keep: &[&str]) {
    let listed = manifest(dir);
    for (n, bytes) in &listed {
        let len = std::fs::metadata(dir.join(n))
            .map(|m| m.len())
            .unwrap_or(u64::MAX);
        assert_eq!(len, *bytes, "{n}");
    }
    let mut want: Vec<String> = listed.into_iter().map(|(n, _)| n).collect();
    want.push("manifest.json".into());
    want.extend(keep.iter().map(|s| s.to_string()));
    want.sort();
    assert_eq!(listing(dir), want);
}

#[test]
fn a_rerun_removes_stale_outputs_keeps_foreign_files_and_lists_what_it_wrote() {
    let tmp = inputs();
    let d = tmp.path();
    assert_eq!(code(&coverage(d, "aeds.csv", "out", &[])), 0);
    assert!(d.join("out/coverage_points.csv").exists());
    std::fs::write(d.join("out/README.md"), "my notes").unwrap();
    let o = aedcover(
        d,
        &[
            "sites",
            "--aeds",
            "aeds.csv",
            "--demand",
            "demand.csv",
            "--k",
            "2",
            "--out",
            "out",
        ],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    complete(&d.join("out"), &["README.md"]);
    let names: Vec<String> = manifest(&d.join("out"))
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(
        names,
        [
            "sites.csv",
            "gain_curve.csv",
            "sites.geojson",
            "summary.json"
        ]
    );
    assert!(
        !d.join("out/coverage_points.csv").exists(),
        "stale output kept"
    );
    assert_eq!(
        std::fs::read_to_string(d.join("out/README.md")).unwrap(),
        "my notes"
    );
    assert_eq!(listing(d).iter().filter(|n| n.starts_with('.')).count(), 0);
}

fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    listing(dir)
        .into_iter()
        .map(|n| {
            let b = std::fs::read(dir.join(&n)).unwrap();
            (n, b)
        })
        .collect()
}

/// `sh -c 'ulimit -f N; exec aedcover …'`: the run dies (SIGXFSZ) or fails (EFBIG) on its
/// first file bigger than N blocks of 512 bytes, as on a full disk.
fn with_file_size_limit(dir: &Path, blocks: u32, args: &[&str]) -> Output {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_aedcover"));
    let mut script = format!("ulimit -f {blocks}; exec '{}'", bin.display());
    for a in args {
        script.push_str(&format!(" '{a}'"));
    }
    Command::new("sh")
        .current_dir(dir)
        .args(["-c", &script])
        .output()
        .unwrap()
}

#[test]
fn a_run_that_dies_on_a_full_disk_leaves_the_previous_outputs_whole() {
    let tmp = inputs();
    let d = tmp.path();
    assert_eq!(
        code(&aedcover(d, &["analyse", "--quiet", "--out", "maps"])),
        0
    );
    complete(&d.join("maps"), &[]);
    let before = snapshot(&d.join("maps"));
    let o = with_file_size_limit(d, 8, &["analyse", "--quiet", "--out", "maps"]);
    assert!(!o.status.success(), "the limit should stop the run");
    assert_eq!(snapshot(&d.join("maps")), before, "old outputs changed");
    // The next run clears what the dead one left beside the folder.
    assert_eq!(
        code(&aedcover(d, &["analyse", "--quiet", "--out", "maps"])),
        0
    );
    assert_eq!(listing(d).iter().filter(|n| n.starts_with('.')).count(), 0);
    complete(&d.join("maps"), &[]);
}

#[test]
fn a_run_killed_at_any_moment_leaves_a_complete_folder() {
    let tmp = inputs();
    let d = tmp.path();
    assert_eq!(
        code(&aedcover(d, &["analyse", "--quiet", "--out", "maps"])),
        0
    );
    for wait_ms in [50u64, 300, 800, 1500] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_aedcover"))
            .current_dir(d)
            .args(["analyse", "--quiet", "--out", "maps"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(wait_ms));
        let _ = child.kill();
        let _ = child.wait();
        if !d.join("maps").exists() {
            // Killed between the two renames: the previous outputs wait beside, whole, and
            // the next run puts them back.
            assert!(listing(d).iter().any(|n| n.starts_with(".maps.old-")));
            continue;
        }
        complete(&d.join("maps"), &[]);
    }
}
