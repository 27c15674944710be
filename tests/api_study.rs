//! `serve --study` runs the study's analysis and serves its registry and layers.

mod api_support;

use api_support::{http, spawn_serve};
use std::process::Command;

#[test]
fn serve_a_study_serves_its_layers() {
    let Some(_) =
        aedcover::opendata::file_for_test("aed_trafford_council/trafford_defibrillators.csv")
    else {
        return;
    };
    let study = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("studies/trafford.toml");
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_aedcover"));
    cmd.args(["serve", "--addr", "127.0.0.1:0", "--study"])
        .arg(&study)
        .arg("--db")
        .arg(dir.path().join("registry.db"))
        .env_remove("AEDCOVER_TOKEN");
    let (mut child, addr) = spawn_serve(cmd);
    let check = || {
        let (status, body) =
            http(&addr, "GET", "/collections/aeds/items?limit=1", None, "").unwrap();
        assert_eq!(status, 200, "{body}");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            v["numberMatched"], 185,
            "all of Trafford's register is served"
        );
        for layer in ["gaps", "coverage", "sites"] {
            let (status, body) = http(
                &addr,
                "GET",
                &format!("/collections/{layer}/items?limit=1"),
                None,
                "",
            )
            .unwrap();
            assert_eq!(status, 200, "{layer}: {body}");
            let v: serde_json::Value = serde_json::from_str(&body).unwrap();
            assert!(
                v["numberMatched"].as_u64().unwrap() > 0,
                "{layer} is empty: {body}"
            );
        }
    };
    let result = std::panic::catch_unwind(check);
    child.kill().ok();
    child.wait().ok();
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
}
