//! An output folder that changes all at once: a run writes into a staging folder beside the
//! target (same parent, so the same filesystem), lists what it wrote in `manifest.json`, and
//! [`Staging::publish`] swaps the staging folder in with renames. A failed, full-disk or killed
//! run leaves the previous complete outputs (or none), never a mix and never a truncated file
//! under a final name.
//!
//! Files of the old folder that its manifest lists and the new run did not write (a stale
//! `map_gap_0007.png`) are removed. Files the old manifest does not list (a `README.md` kept
//! beside the maps, or anything in a folder first written before manifests) are kept: they are
//! hard-linked (or copied) into the new folder before the swap. A folder holding
//! sub-folders that are not ours is updated file by file instead (each file still renamed
//! into place whole), since a swap would move those sub-folders.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The manifest's file name.
pub const MANIFEST: &str = "manifest.json";

/// The manifest's schema version.
pub const MANIFEST_VERSION: u32 = 1;

/// An output folder could not be prepared or swapped into place.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {what}: {source}")]
pub struct OutDirError {
    pub path: PathBuf,
    pub what: &'static str,
    #[source]
    pub source: std::io::Error,
}

fn err<'a>(path: &'a Path, what: &'static str) -> impl FnOnce(std::io::Error) -> OutDirError + 'a {
    move |source| OutDirError {
        path: path.to_path_buf(),
        what,
        source,
    }
}

/// A run's staging folder for `target`.
#[derive(Debug)]
pub struct Staging {
    target: PathBuf,
    dir: PathBuf,
}

/// `.NAME.partial-PID` or `.NAME.old-PID` beside `target`.
fn sibling(target: &Path, kind: &str) -> PathBuf {
    let name = target
        .file_name()
        .map_or_else(|| "out".into(), |n| n.to_string_lossy().into_owned());
    parent(target).join(format!(".{name}.{kind}-{}", std::process::id()))
}

fn parent(target: &Path) -> PathBuf {
    match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Leftovers of earlier runs on `target`: (`.NAME.partial-*`, `.NAME.old-*`).
fn leftovers(target: &Path) -> (Vec<PathBuf>, Vec<PathBuf>) {
    let Some(name) = target.file_name().map(|n| n.to_string_lossy().into_owned()) else {
        return (Vec::new(), Vec::new());
    };
    let (partial, old) = (format!(".{name}.partial-"), format!(".{name}.old-"));
    let mut out = (Vec::new(), Vec::new());
    let Ok(entries) = std::fs::read_dir(parent(target)) else {
        return out;
    };
    for e in entries.flatten() {
        let n = e.file_name().to_string_lossy().into_owned();
        if n.starts_with(&partial) {
            out.0.push(e.path());
        } else if n.starts_with(&old) {
            out.1.push(e.path());
        }
    }
    out.0.sort();
    out.1.sort();
    out
}

impl Staging {
    /// Prepares a fresh staging folder for `target`. A run killed between the two renames of
    /// an earlier publish left the target missing and its previous outputs aside: they are
    /// put back first. Staging folders of killed runs are removed.
    pub fn begin(target: &Path) -> Result<Staging, OutDirError> {
        let (partials, olds) = leftovers(target);
        if !target.exists()
            && let Some(last) = olds.last()
        {
            std::fs::rename(last, target).map_err(err(target, "cannot restore"))?;
        }
        for p in partials.iter().chain(&olds) {
            if p.exists() {
                let _ = std::fs::remove_dir_all(p);
            }
        }
        if target.exists() && !target.is_dir() {
            return Err(OutDirError {
                path: target.to_path_buf(),
                what: "not a folder",
                source: std::io::Error::from(std::io::ErrorKind::AlreadyExists),
            });
        }
        let dir = sibling(target, "partial");
        std::fs::create_dir_all(parent(target)).map_err(err(target, "cannot create"))?;
        std::fs::create_dir(&dir).map_err(err(&dir, "cannot create"))?;
        Ok(Staging {
            target: target.to_path_buf(),
            dir,
        })
    }

    /// Where the run writes its files.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes `manifest.json` for `files` (names inside the staging folder, in the order
    /// written) and swaps the staging folder into place. The manifest holds no time stamp:
    /// the same run writes the same manifest.
    pub fn publish(self, files: &[String]) -> Result<PathBuf, OutDirError> {
        let manifest = manifest_json(&self.dir, files)?;
        let mpath = self.dir.join(MANIFEST);
        std::fs::write(&mpath, manifest).map_err(err(&mpath, "cannot write"))?;
        let result = self.swap(files);
        if result.is_err() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
        result.map(|()| self.target.clone())
    }

    fn swap(&self, files: &[String]) -> Result<(), OutDirError> {
        if !self.target.exists() {
            return std::fs::rename(&self.dir, &self.target)
                .map_err(err(&self.target, "cannot rename into place"));
        }
        let written: BTreeSet<&str> = files.iter().map(String::as_str).collect();
        let owned = manifest_names(&self.target);
        let mut foreign = Vec::new();
        for e in std::fs::read_dir(&self.target)
            .map_err(err(&self.target, "cannot list"))?
            .flatten()
        {
            let n = e.file_name().to_string_lossy().into_owned();
            if n != MANIFEST && !written.contains(n.as_str()) && !owned.contains(&n) {
                foreign.push(e.path());
            }
        }
        if foreign.iter().any(|p| p.is_dir()) {
            return self.update_in_place(files, &owned);
        }
        for f in &foreign {
            let to = self.dir.join(f.file_name().unwrap_or_default());
            if std::fs::hard_link(f, &to).is_err() {
                std::fs::copy(f, &to).map_err(err(f, "cannot keep"))?;
            }
        }
        let old = sibling(&self.target, "old");
        std::fs::rename(&self.target, &old).map_err(err(&self.target, "cannot move aside"))?;
        if let Err(e) = std::fs::rename(&self.dir, &self.target) {
            let _ = std::fs::rename(&old, &self.target);
            return Err(err(&self.target, "cannot rename into place")(e));
        }
        std::fs::remove_dir_all(&old).map_err(err(&old, "cannot remove the old outputs"))
    }

    /// A target with foreign sub-folders: each file renamed in, stale ones removed, the
    /// manifest last (it is removed first, so a folder without one is incomplete).
    fn update_in_place(
        &self,
        files: &[String],
        owned: &BTreeSet<String>,
    ) -> Result<(), OutDirError> {
        let mpath = self.target.join(MANIFEST);
        if mpath.exists() {
            std::fs::remove_file(&mpath).map_err(err(&mpath, "cannot remove"))?;
        }
        for f in files {
            let to = self.target.join(f);
            std::fs::rename(self.dir.join(f), &to).map_err(err(&to, "cannot rename into place"))?;
        }
        for stale in owned.iter().filter(|n| !files.contains(n)) {
            let p = self.target.join(stale);
            if p.is_file() {
                std::fs::remove_file(&p).map_err(err(&p, "cannot remove a stale output"))?;
            }
        }
        std::fs::rename(self.dir.join(MANIFEST), &mpath)
            .map_err(err(&mpath, "cannot rename into place"))?;
        std::fs::remove_dir_all(&self.dir).map_err(err(&self.dir, "cannot remove"))
    }

    /// Removes the staging folder of a failed run: nothing it wrote reaches the target.
    pub fn abandon(self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `{"manifest_version":1,"files":[{"name":…,"bytes":…},…]}`, one file per line.
fn manifest_json(dir: &Path, files: &[String]) -> Result<String, OutDirError> {
    let mut out = format!("{{\n  \"manifest_version\": {MANIFEST_VERSION},\n  \"files\": [\n");
    for (i, f) in files.iter().enumerate() {
        let p = dir.join(f);
        let bytes = std::fs::metadata(&p).map_err(err(&p, "cannot stat"))?.len();
        out.push_str(&format!(
            "    {{\"name\": {}, \"bytes\": {bytes}}}{}\n",
            serde_json::Value::from(f.as_str()),
            if i + 1 < files.len() { "," } else { "" }
        ));
    }
    out.push_str("  ]\n}\n");
    Ok(out)
}

/// The file names a folder's manifest lists (none without a readable manifest).
pub fn manifest_names(dir: &Path) -> BTreeSet<String> {
    let Ok(text) = std::fs::read_to_string(dir.join(MANIFEST)) else {
        return BTreeSet::new();
    };
    let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) else {
        return BTreeSet::new();
    };
    v["files"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["name"].as_str())
        // A name with a separator or `..` is not one a run writes: never act on it.
        .filter(|n| !n.contains(['/', '\\']) && *n != ".." && *n != ".")
        .map(String::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(target: &Path, files: &[(&str, &str)]) -> PathBuf {
        let s = Staging::begin(target).unwrap();
        for (n, text) in files {
            std::fs::write(s.dir().join(n), text).unwrap();
        }
        let names: Vec<String> = files.iter().map(|(n, _)| n.to_string()).collect();
        s.publish(&names).unwrap()
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn stale_outputs_go_foreign_files_stay() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        run(&out, &[("a.csv", "1"), ("map_gap_0002.png", "x")]);
        std::fs::write(out.join("README.md"), "mine").unwrap();
        run(&out, &[("a.csv", "2")]);
        assert_eq!(names(&out), ["README.md", "a.csv", "manifest.json"]);
        assert_eq!(std::fs::read_to_string(out.join("a.csv")).unwrap(), "2");
        assert_eq!(
            std::fs::read_to_string(out.join("README.md")).unwrap(),
            "mine"
        );
        assert_eq!(names(tmp.path()), ["out"], "no staging folder left beside");
        let m = std::fs::read_to_string(out.join(MANIFEST)).unwrap();
        assert!(m.contains("{\"name\": \"a.csv\", \"bytes\": 1}"), "{m}");
    }

    #[test]
    fn an_abandoned_run_leaves_the_old_outputs() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        run(&out, &[("a.csv", "old")]);
        let s = Staging::begin(&out).unwrap();
        std::fs::write(s.dir().join("a.csv"), "half").unwrap();
        s.abandon();
        assert_eq!(std::fs::read_to_string(out.join("a.csv")).unwrap(), "old");
        assert_eq!(names(tmp.path()), ["out"]);
    }

    #[test]
    fn a_kill_between_the_renames_is_undone_by_the_next_run() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        run(&out, &[("a.csv", "old")]);
        std::fs::rename(&out, tmp.path().join(".out.old-1")).unwrap();
        std::fs::create_dir(tmp.path().join(".out.partial-1")).unwrap();
        let s = Staging::begin(&out).unwrap();
        assert_eq!(std::fs::read_to_string(out.join("a.csv")).unwrap(), "old");
        s.abandon();
        assert_eq!(names(tmp.path()), ["out"]);
    }

    #[test]
    fn foreign_sub_folders_are_updated_in_place() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        run(&out, &[("a.csv", "1"), ("b.csv", "1")]);
        std::fs::create_dir(out.join("keep")).unwrap();
        run(&out, &[("a.csv", "2")]);
        assert_eq!(names(&out), ["a.csv", "keep", "manifest.json"]);
    }

    #[test]
    fn a_target_that_is_a_file_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        std::fs::write(&out, "x").unwrap();
        let e = Staging::begin(&out).unwrap_err().to_string();
        assert!(e.contains("not a folder"), "{e}");
    }
}
