//! Real clients against a real server on an ephemeral loopback port: GDAL's OAPIF driver
//! (the code path QGIS uses) and headless Chromium loading `/map`.

mod api_support;

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

#[test]
fn headless_chromium_draws_the_map() {
    let Some(chromium) = aedcover::opendata::program_for_test("chromium") else {
        return;
    };
    let addr = start_server();
    let url = format!("http://{addr}/map");
    let profile = tempfile::tempdir().unwrap();
    let flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--virtual-time-budget=10000",
        "--window-size=1000,800",
    ];
    let user_dir = format!("--user-data-dir={}", profile.path().display());
    let dom = Command::new(&chromium)
        .args(flags)
        .arg(&user_dir)
        .arg("--dump-dom")
        .arg(&url)
        .output()
        .unwrap();
    let html = String::from_utf8_lossy(&dom.stdout);
    let drawn: usize = html
        .split("data-features-drawn=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| {
            panic!(
                "no DOM marker; stderr:\n{}\nDOM:\n{html}",
                String::from_utf8_lossy(&dom.stderr)
            )
        });
    // 2 areas + 1 coverage + 1 gap + 5 placed AEDs (T6 has no position).
    assert_eq!(drawn, 9, "{html}");
    assert!(html.contains("data-map-ready=\"1\""));

    let shot = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/api-map.png");
    std::fs::create_dir_all(shot.parent().unwrap()).unwrap();
    let _ = std::fs::remove_file(&shot);
    let profile2 = tempfile::tempdir().unwrap();
    let out = Command::new(&chromium)
        .args(flags)
        .arg(format!("--user-data-dir={}", profile2.path().display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(&url)
        .output()
        .unwrap();
    assert!(
        shot.exists(),
        "no screenshot: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    println!("screenshot: {}", shot.display());
}
