//! English Indices of Deprivation 2025 by LSOA 2021 (national deciles and ranks: decile 1 and
//! rank 1 are the most deprived), and the 65+ age band of the Census 2021 population file.
//!
//! Columns are found by the one header rule ([`crate::csvhead`]). A decile that is missing,
//! not a number or outside 1–10 does not stop the read: the LSOA is kept with an unknown
//! decile and the row is listed in [`DeprivationTable::problems`] as
//! `file:line: column: reason (value)`, so it is counted and reported, never dropped.

use std::collections::BTreeMap;
use std::path::Path;

use crate::csvhead::Headers;

/// Why a deprivation or age file could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum DeprivationError {
    #[error("{file}: {source}")]
    Csv { file: String, source: csv::Error },
    /// A record the csv crate cannot read (the wrong number of fields, say), at its line.
    #[error("{file}:{line}: {reason}")]
    Record {
        file: String,
        line: u64,
        reason: String,
    },
    #[error("{file}:{line}: {column}: {reason} ({value})")]
    Field {
        file: String,
        line: u64,
        column: &'static str,
        reason: &'static str,
        value: String,
    },
}

/// One LSOA's deprivation row.
#[derive(Debug, Clone, PartialEq)]
pub struct LsoaDeprivation {
    pub lsoa21cd: String,
    pub lsoa21nm: String,
    /// National IMD decile, 1 (most deprived) to 10; `None` when the file's value is unusable.
    pub imd_decile: Option<u8>,
    /// National IMD rank out of 33,755 LSOA21s, when given.
    pub imd_rank: Option<u32>,
    /// `usual_residents_total` as the file gives it (Census 2021).
    pub usual_residents: u32,
}

/// The deprivation rows by LSOA code, and the rows whose decile is unusable.
#[derive(Debug, Clone, Default)]
pub struct DeprivationTable {
    pub rows: BTreeMap<String, LsoaDeprivation>,
    /// `file:line: column: reason (value)`, in file order.
    pub problems: Vec<String>,
}

impl DeprivationTable {
    /// Residents by decile (index 0 = decile 1), as the file gives them.
    pub fn residents_by_decile(&self) -> [u64; 10] {
        let mut out = [0u64; 10];
        for r in self.rows.values() {
            if let Some(d) = r.imd_decile {
                out[usize::from(d) - 1] += u64::from(r.usual_residents);
            }
        }
        out
    }
}

/// Reads the IMD file at `path`.
pub fn read_imd(path: &Path) -> Result<DeprivationTable, DeprivationError> {
    let file = path.display().to_string();
    let bytes = crate::input::read(path).map_err(|e| DeprivationError::Csv {
        file: file.clone(),
        source: e.into(),
    })?;
    read_imd_from(&file, &bytes)
}

/// Reads an IMD table from `text`, naming it `file` in messages.
pub fn read_imd_from(file: &str, text: &[u8]) -> Result<DeprivationTable, DeprivationError> {
    let csv_err = |source| DeprivationError::Csv {
        file: file.to_string(),
        source,
    };
    let mut rdr = csv::Reader::from_reader(text);
    let mut lines = crate::input::RecordLines::new(text);
    let h = Headers::new(rdr.headers().map_err(csv_err)?);
    let col = |column: &'static str| {
        h.require(column).map_err(|e| DeprivationError::Field {
            file: file.to_string(),
            line: 1,
            column,
            reason: "column missing from header",
            value: e.found,
        })
    };
    let (c_cd, c_res, c_dec) = (
        col("lsoa21cd")?,
        col("usual_residents_total")?,
        col("imd_decile")?,
    );
    let (c_nm, c_rank) = (h.find("lsoa21nm"), h.find("imd_rank"));
    let mut table = DeprivationTable::default();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| record_error(file, &mut lines, e))?;
        let line = lines.at(rec.position()).unwrap_or(0);
        let get = |i: usize| rec.get(i).unwrap_or("").trim();
        let bad =
            |column: &'static str, reason: &'static str, value: &str| DeprivationError::Field {
                file: file.to_string(),
                line,
                column,
                reason,
                value: value.to_string(),
            };
        let code = get(c_cd).to_string();
        if code.is_empty() {
            return Err(bad("lsoa21cd", "empty", ""));
        }
        let usual_residents = get(c_res)
            .parse()
            .map_err(|_| bad("usual_residents_total", "not a count", get(c_res)))?;
        let imd_decile = match get(c_dec).parse::<u8>() {
            Ok(d) if (1..=10).contains(&d) => Some(d),
            Ok(_) => {
                let reason = "decile outside 1-10; LSOA kept with an unknown decile";
                table.problems.push(format!(
                    "{file}:{line}: IMD_decile: {reason} ({})",
                    get(c_dec)
                ));
                None
            }
            Err(_) => {
                let reason = "not a decile; LSOA kept with an unknown decile";
                table.problems.push(format!(
                    "{file}:{line}: IMD_decile: {reason} ({})",
                    get(c_dec)
                ));
                None
            }
        };
        let row = LsoaDeprivation {
            lsoa21nm: c_nm.map(|i| get(i).to_string()).unwrap_or_default(),
            imd_rank: c_rank.and_then(|i| get(i).parse().ok()),
            imd_decile,
            usual_residents,
            lsoa21cd: code.clone(),
        };
        if table.rows.insert(code.clone(), row).is_some() {
            return Err(bad("lsoa21cd", "LSOA listed twice", &code));
        }
    }
    Ok(table)
}

/// Census 2021 residents of an LSOA: all ages and 65 or over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LsoaAges {
    pub usual_residents: u32,
    pub age_65_plus: u32,
}

/// The error of a record of `file` that the csv crate cannot read, at the line a text editor
/// shows ([`crate::input::csv_reason`]).
fn record_error(
    file: &str,
    lines: &mut crate::input::RecordLines,
    e: csv::Error,
) -> DeprivationError {
    match lines.problem(&e) {
        Some((line, reason)) => DeprivationError::Record {
            file: file.to_string(),
            line,
            reason,
        },
        None => DeprivationError::Csv {
            file: file.to_string(),
            source: e,
        },
    }
}

/// Reads `usual_residents_total` and `age_65_plus` by `lsoa21cd` from `path`.
pub fn read_ages(path: &Path) -> Result<BTreeMap<String, LsoaAges>, DeprivationError> {
    let file = path.display().to_string();
    let bytes = crate::input::read(path).map_err(|e| DeprivationError::Csv {
        file: file.clone(),
        source: e.into(),
    })?;
    read_ages_from(&file, &bytes)
}

/// Reads the age columns from `text`, naming it `file` in messages.
pub fn read_ages_from(
    file: &str,
    text: &[u8],
) -> Result<BTreeMap<String, LsoaAges>, DeprivationError> {
    let csv_err = |source| DeprivationError::Csv {
        file: file.to_string(),
        source,
    };
    let mut rdr = csv::Reader::from_reader(text);
    let mut lines = crate::input::RecordLines::new(text);
    let h = Headers::new(rdr.headers().map_err(csv_err)?);
    let col = |column: &'static str| {
        h.require(column).map_err(|e| DeprivationError::Field {
            file: file.to_string(),
            line: 1,
            column,
            reason: "column missing from header",
            value: e.found,
        })
    };
    let (c_cd, c_res, c_65) = (
        col("lsoa21cd")?,
        col("usual_residents_total")?,
        col("age_65_plus")?,
    );
    let mut out = BTreeMap::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| record_error(file, &mut lines, e))?;
        let line = lines.at(rec.position()).unwrap_or(0);
        let get = |i: usize| rec.get(i).unwrap_or("").trim();
        let count = |i: usize, column: &'static str| {
            get(i).parse::<u32>().map_err(|_| DeprivationError::Field {
                file: file.to_string(),
                line,
                column,
                reason: "not a count",
                value: get(i).to_string(),
            })
        };
        let ages = LsoaAges {
            usual_residents: count(c_res, "usual_residents_total")?,
            age_65_plus: count(c_65, "age_65_plus")?,
        };
        if ages.age_65_plus > ages.usual_residents {
            return Err(DeprivationError::Field {
                file: file.to_string(),
                line,
                column: "age_65_plus",
                reason: "more than usual_residents_total",
                value: get(c_65).to_string(),
            });
        }
        out.insert(get(c_cd).to_string(), ages);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const IMD: &str = "\u{feff}lsoa21cd,lsoa21nm,usual_residents_total,IMD_decile,IMD_rank\n\
        E01000001,A,1000,1,10\n\
        E01000002,B,2000,10,33000\n\
        E01000003,C,500,11,5\n\
        E01000004,D,700,,\n\
        E01000005,E,300,1,12\n";

    #[test]
    fn deciles_and_residents_by_decile() {
        let t = read_imd_from("imd.csv", IMD.as_bytes()).unwrap();
        assert_eq!(t.rows.len(), 5);
        let by = t.residents_by_decile();
        assert_eq!(by[0], 1300);
        assert_eq!(by[9], 2000);
        assert_eq!(t.rows["E01000001"].imd_rank, Some(10));
    }

    #[test]
    fn out_of_range_and_missing_deciles_are_kept_unknown_and_named() {
        let t = read_imd_from("imd.csv", IMD.as_bytes()).unwrap();
        assert_eq!(t.rows["E01000003"].imd_decile, None);
        assert_eq!(t.rows["E01000004"].imd_decile, None);
        assert_eq!(t.problems.len(), 2);
        assert!(
            t.problems[0].starts_with("imd.csv:4: IMD_decile: decile outside 1-10")
                && t.problems[0].ends_with("(11)"),
            "{:?}",
            t.problems
        );
        assert!(t.problems[1].starts_with("imd.csv:5: IMD_decile: not a decile"));
    }

    #[test]
    fn bad_residents_and_duplicates_fail_with_line() {
        let bad = "lsoa21cd,usual_residents_total,IMD_decile\nE1,many,3\n";
        let e = read_imd_from("x.csv", bad.as_bytes())
            .unwrap_err()
            .to_string();
        assert_eq!(e, "x.csv:2: usual_residents_total: not a count (many)");
        let dup = "lsoa21cd,usual_residents_total,IMD_decile\nE1,1,3\nE1,2,3\n";
        // The same line with LF and CRLF line ends (the Census population file is CRLF).
        for text in [dup.to_string(), dup.replace('\n', "\r\n")] {
            let e = read_imd_from("x.csv", text.as_bytes())
                .unwrap_err()
                .to_string();
            assert!(e.starts_with("x.csv:3: lsoa21cd: LSOA listed twice"), "{e}");
        }
        let e = read_imd_from("x.csv", "lsoa21cd\nE1\n".as_bytes())
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("x.csv:1: usual_residents_total: column missing"),
            "{e}"
        );
    }

    /// A row the csv crate cannot read is named by the line a text editor shows, CRLF or
    /// after a blank line (the crate's own count is one short there).
    #[test]
    fn a_row_of_the_wrong_length_names_its_line() {
        let lf = "lsoa21cd,usual_residents_total,IMD_decile\nE1,5,3\nE2,2\n";
        let blank = "lsoa21cd,usual_residents_total,IMD_decile\nE1,5,3\n\nE2,2\n";
        let crlf = lf.replace('\n', "\r\n");
        for (text, line) in [(lf, 3), (crlf.as_str(), 3), (blank, 4)] {
            let e = read_imd_from("x.csv", text.as_bytes()).unwrap_err();
            let want = format!("x.csv:{line}: has 2 fields, the header has 3");
            assert_eq!(e.to_string(), want);
            let ages = text.replace("IMD_decile", "age_65_plus");
            let e = read_ages_from("x.csv", ages.as_bytes()).unwrap_err();
            assert_eq!(e.to_string(), want);
        }
    }

    #[test]
    fn ages_read_and_checked() {
        let t = "lsoa21cd,usual_residents_total,age_65_plus\nE1,100,20\n";
        let a = read_ages_from("p.csv", t.as_bytes()).unwrap();
        assert_eq!(a["E1"].age_65_plus, 20);
        let t = "lsoa21cd,usual_residents_total,age_65_plus\nE1,100,200\n";
        let e = read_ages_from("p.csv", t.as_bytes())
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("p.csv:2: age_65_plus: more than"), "{e}");
    }
}
