//! Where the real open data lives: env `AEDCOVER_OPEN_DATA`, default `../shared/data`
//! beside this crate. Nothing from there is ever copied into the repository.

use std::path::{Path, PathBuf};

/// The environment variable naming the open-data folder.
pub const ENV_VAR: &str = "AEDCOVER_OPEN_DATA";

/// The open-data folder: `$AEDCOVER_OPEN_DATA`, or `../shared/data` next to the crate.
pub fn dir() -> PathBuf {
    match std::env::var_os(ENV_VAR) {
        Some(v) if !v.is_empty() => PathBuf::from(v),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data"),
    }
}

/// A file under the open-data folder, for tests and benches.
///
/// Returns `None` (after printing why) when the file is absent, so the caller can skip;
/// under `CI=true` absence is a failure and this panics with the reason.
pub fn file_for_test(relative: &str) -> Option<PathBuf> {
    let path = dir().join(relative);
    if path.exists() {
        return Some(path);
    }
    let why = format!(
        "open data {} not found (set {ENV_VAR}; default ../shared/data)",
        path.display()
    );
    if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
        panic!("{why}: required under CI");
    }
    eprintln!("SKIPPED: {why}");
    None
}

/// An outside program (e.g. `ogrinfo`, `chromium`) for a test: `None` with a printed reason
/// when it is not on PATH; a panic under `CI=true`.
pub fn program_for_test(name: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        let why = format!("program {name} not found on PATH");
        if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
            panic!("{why}: required under CI");
        }
        eprintln!("SKIPPED: {why}");
    }
    found
}
