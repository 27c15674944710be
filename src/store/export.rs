//! `aedcover registry export`: the database back to registry CSV files.

use super::{Store, StoreError};
use crate::registry::{write_aeds, write_guardians};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Files written and rows in each.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportSummary {
    pub aeds_csv: PathBuf,
    pub aeds: usize,
    pub guardians_csv: PathBuf,
    pub guardians: usize,
}

/// Writes `out_dir/aeds.csv` and `out_dir/guardians.csv` (sorted by id) from the store.
/// Guardians' file holds personal data: keep it off public shares.
pub fn export_csv(store: &Store, out_dir: &Path) -> Result<ExportSummary, ExportError> {
    let aeds = store.export_aeds()?;
    let guardians = store.export_guardians()?;
    let write_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ExportError::Write { path, source }
    };
    std::fs::create_dir_all(out_dir).map_err(write_err(out_dir))?;
    let aeds_csv = out_dir.join("aeds.csv");
    let guardians_csv = out_dir.join("guardians.csv");
    let mut w = BufWriter::new(File::create(&aeds_csv).map_err(write_err(&aeds_csv))?);
    write_aeds(&mut w, &aeds).map_err(write_err(&aeds_csv))?;
    w.flush().map_err(write_err(&aeds_csv))?;
    let mut w = BufWriter::new(File::create(&guardians_csv).map_err(write_err(&guardians_csv))?);
    write_guardians(&mut w, &guardians).map_err(write_err(&guardians_csv))?;
    w.flush().map_err(write_err(&guardians_csv))?;
    Ok(ExportSummary {
        aeds_csv,
        aeds: aeds.len(),
        guardians_csv,
        guardians: guardians.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::{Aed, Guardian, ReadOptions, read_aeds, read_guardians};

    #[test]
    fn export_reads_back_equal() {
        let s = Store::open_in_memory().unwrap();
        let mut aed = Aed {
            id: "A1".into(),
            guardian_id: Some("G1".into()),
            ..Default::default()
        };
        aed.about.name = "Hall".into();
        let aeds = vec![aed];
        let gs = vec![Guardian {
            id: "G1".into(),
            name: "Test Guardian".into(),
            ..Default::default()
        }];
        s.seed_if_empty(&aeds, &gs, "t").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let sum = export_csv(&s, dir.path()).unwrap();
        assert_eq!((sum.aeds, sum.guardians), (1, 1));
        let back = read_aeds(&sum.aeds_csv, ReadOptions::default()).unwrap();
        assert!(back.errors.is_empty(), "{:?}", back.errors);
        assert_eq!(back.aeds, aeds);
        let gback = read_guardians(&sum.guardians_csv, ReadOptions::default()).unwrap();
        assert_eq!(gback.guardians, gs);
    }
}
