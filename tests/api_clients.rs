//! Real clients against a real server on an ephemeral loopback port: GDAL's OAPIF driver
//! (the code path QGIS uses) and headless Chromium loading `/map`.

use crate::api_support;

use api_support::*;
use std::path::PathBuf;
use std::process::Command;

/// Starts the fixture server in-process; returns `127.0.0.1:PORT`.
fn start_server() -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap().to_string()).unwrap();
            aedcover::api::serve(listener, state(Some(TOKEN)))
                .await
                .unwrap();
        });
    });
    rx.recv().unwrap()
}

fn ogrinfo(ogr: &PathBuf, args: &[&str]) -> String {
    let out = Command::new(ogr)
        .args(args)
        .env("GDAL_HTTP_TIMEOUT", "30")
        .env("CPL_DEBUG", "OFF")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "ogrinfo {args:?} failed: {}\n{}",
        text,
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

#[test]
fn gdal_oapif_lists_collections_and_reads_items_with_bbox() {
    let Some(ogr) = aedcover::opendata::program_for_test("ogrinfo") else {
        return;
    };
    let addr = start_server();
    let ds = format!("OAPIF:http://{addr}");
    let list = ogrinfo(&ogr, &["-ro", "-q", &ds]);
    for id in ["aeds", "areas", "gaps", "coverage", "sites"] {
        assert!(list.contains(id), "collection {id} not listed:\n{list}");
    }

    // aeds in a bbox around T1 and T2 only.
    let aeds = ogrinfo(
        &ogr,
        &[
            "-ro", "-al", &ds, "aeds", "-spat", "-1.207", "52.769", "-1.202", "52.773",
        ],
    );
    assert!(
        aeds.contains("Feature Count: 2") || aeds.matches("OGRFeature(aeds)").count() == 2,
        "expected 2 features:\n{aeds}"
    );
    assert!(
        aeds.contains("Town Hall") && aeds.contains("Library"),
        "{aeds}"
    );
    assert!(
        !aeds.contains("Railway Station"),
        "bbox not applied:\n{aeds}"
    );
    for secret in GUARDIAN_SECRETS {
        assert!(!aeds.contains(secret), "guardian data {secret:?} in {aeds}");
    }

    // areas: the bbox touches only the western ward.
    let areas = ogrinfo(
        &ogr,
        &[
            "-ro", "-al", &ds, "areas", "-spat", "-1.225", "52.76", "-1.21", "52.77",
        ],
    );
    assert!(areas.contains("Test West ward"), "{areas}");
    assert!(
        !areas.contains("Test East ward"),
        "bbox not applied:\n{areas}"
    );
    assert!(areas.contains("POLYGON"), "{areas}");
}

/// Installs playwright-core (no browser download) into `dir` with npm; None (with a reason
/// printed, or a panic under CI) when npm or the registry is not there.
fn playwright_core(dir: &std::path::Path) -> Option<()> {
    let npm = aedcover::opendata::program_for_test("npm")?;
    let out = Command::new(npm)
        .args([
            "install",
            "--no-save",
            "--no-audit",
            "--no-fund",
            "--silent",
            "playwright-core@1",
        ])
        .current_dir(dir)
        .output()
        .unwrap();
    if out.status.success() {
        return Some(());
    }
    let why = format!(
        "npm install playwright-core failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
        panic!("{why}: required under CI");
    }
    eprintln!("SKIPPED: {why}");
    None
}

#[test]
fn headless_chromium_draws_the_map_opens_a_popup_and_filters_available_now() {
    let Some(chromium) = aedcover::opendata::program_for_test("chromium") else {
        return;
    };
    let Some(node) = aedcover::opendata::program_for_test("node") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    if playwright_core(tmp.path()).is_none() {
        return;
    }
    let addr = start_server();
    let driver = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/api_support/map_driver.js");
    let shot = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/api-map.png");
    std::fs::create_dir_all(shot.parent().unwrap()).unwrap();
    let _ = std::fs::remove_file(&shot);
    let out = Command::new(node)
        .arg(&driver)
        .arg(format!("http://{addr}/map"))
        .arg(&chromium)
        .arg(&shot)
        .arg(TOKEN)
        .env("NODE_PATH", tmp.path().join("node_modules"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().last().unwrap_or("");
    let v: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| {
        panic!(
            "driver said {e}: {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert!(out.status.success() && v["fatal"].is_null(), "{v}");
    // 2 areas + 1 coverage + 1 gap + 2 sites + 5 placed AEDs (T6 has no position).
    assert_eq!(v["drawn"], 11, "{v}");
    assert_eq!(v["aeds_before"], 5, "{v}");
    assert!(v["popup"].as_str().unwrap().contains("Town Hall"), "{v}");
    // Available now: T1 (24/7) and T4 (24/7 cabinet, status unknown) at least; never T3
    // (hours unknown) or T5 (retired).
    let now = v["aeds_now"].as_u64().unwrap();
    assert!((2..5).contains(&now), "{v}");
    assert_eq!(v["aeds_after"], 5, "{v}");
    assert!(v["legend"].as_str().unwrap().contains("Gap"), "{v}");
    assert!(v["attention"].as_u64().unwrap() > 0, "{v}");
    assert_eq!(v["errors"], serde_json::json!([]), "console errors: {v}");
    assert_eq!(
        v["outside"],
        serde_json::json!([]),
        "fetched from outside: {v}"
    );
    assert!(shot.exists());
    println!("screenshot: {}", shot.display());
}
