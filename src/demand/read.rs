//! Reading demand files: counts by postcode, or points.
//!
//! Counts: a CSV with a postcode column (`postcode`, `district`, `sector`, `unit`, `area` or
//! `code`) and an optional weight column (`weight`, `count`, `arrests`, `value`); without a
//! weight column every row counts 1. Points: a CSV with `lat,lon` (WGS84 degrees) or
//! `easting,northing` / `x,y` (EPSG:27700 metres unless another CRS is given), and optional
//! `weight` and `id` columns. Bad values are errors naming `file:line: column: reason (value)`.

use super::spread::CountRow;
use crate::coverage::DemandPoint;
use std::path::{Path, PathBuf};

/// A demand file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum DemandError {
    #[error("{path}: {source}")]
    Open { path: PathBuf, source: csv::Error },
    #[error("{path}:{line}: {source}")]
    Csv {
        path: PathBuf,
        line: u64,
        source: csv::Error,
    },
    #[error("{path}:{line}: {column}: {reason} ({value:?})")]
    Field {
        path: PathBuf,
        line: u64,
        column: String,
        reason: String,
        value: String,
    },
    #[error("{path}: no {wanted} column (header: {header})")]
    MissingColumn {
        path: PathBuf,
        wanted: String,
        header: String,
    },
}

/// A conversion of (x, y) into the study's metric CRS.
pub type ToMetric = Box<dyn Fn(f64, f64) -> Result<(f64, f64), String> + Sync>;

/// How point coordinates are turned into EPSG:27700 metres.
pub enum PointCrs {
    /// `easting,northing` already in EPSG:27700 metres.
    Bng,
    /// Any other CRS: a conversion of (x, y) into the metric CRS of the study.
    Custom(ToMetric),
    /// Coordinates kept as read (lon/lat degrees or projected metres), for the pipeline to
    /// project once it has chosen the run's CRS; see [`point_columns_are_lonlat`].
    Raw,
}

/// Whether a demand file holds points (lat/lon or easting/northing columns) rather than
/// counts by postcode.
pub fn looks_like_points(path: &Path) -> Result<bool, DemandError> {
    let (_, header) = open(path)?;
    let has = |n: &[&str]| find(&header, n).is_some();
    Ok(
        (has(&["lat", "latitude"]) && has(&["lon", "lng", "long", "longitude"]))
            || (has(&["easting", "x", "east"]) && has(&["northing", "y", "north"])),
    )
}

/// Whether a points file gives lat/lon (else easting/northing) columns.
pub fn point_columns_are_lonlat(path: &Path) -> Result<bool, DemandError> {
    let (_, header) = open(path)?;
    Ok(find(&header, &["lat", "latitude"]).is_some()
        && find(&header, &["lon", "lng", "long", "longitude"]).is_some())
}

fn find(header: &csv::StringRecord, names: &[&str]) -> Option<usize> {
    names
        .iter()
        .find_map(|n| header.iter().position(|h| h.trim().eq_ignore_ascii_case(n)))
}

fn line_of(rec: &csv::StringRecord) -> u64 {
    rec.position().map(|p| p.line()).unwrap_or(0)
}

fn number(
    path: &Path,
    rec: &csv::StringRecord,
    col: usize,
    name: &str,
) -> Result<f64, DemandError> {
    let raw = rec.get(col).unwrap_or("").trim();
    match raw.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(DemandError::Field {
            path: path.to_path_buf(),
            line: line_of(rec),
            column: name.to_string(),
            reason: "not a number".into(),
            value: raw.to_string(),
        }),
    }
}

fn open(path: &Path) -> Result<(csv::Reader<std::fs::File>, csv::StringRecord), DemandError> {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .map_err(|source| DemandError::Open {
            path: path.to_path_buf(),
            source,
        })?;
    let header = rdr
        .headers()
        .map_err(|source| DemandError::Csv {
            path: path.to_path_buf(),
            line: 1,
            source,
        })?
        .clone();
    Ok((rdr, header))
}

fn header_text(h: &csv::StringRecord) -> String {
    h.iter().collect::<Vec<_>>().join(",")
}

/// Reads counts by postcode. A negative weight is an error.
pub fn read_counts(path: &Path) -> Result<Vec<CountRow>, DemandError> {
    let (mut rdr, header) = open(path)?;
    let pc_col = find(
        &header,
        &[
            "postcode",
            "district",
            "sector",
            "unit",
            "area",
            "code",
            "post code",
        ],
    )
    .ok_or_else(|| DemandError::MissingColumn {
        path: path.to_path_buf(),
        wanted: "postcode".into(),
        header: header_text(&header),
    })?;
    let w_col = find(
        &header,
        &["weight", "count", "arrests", "value", "n", "incidents"],
    );
    let file = path
        .file_name()
        .map(|f| f.to_string_lossy().to_string())
        .unwrap_or_default();
    let mut rows = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|source| DemandError::Csv {
            path: path.to_path_buf(),
            line: source.position().map(|p| p.line()).unwrap_or(0),
            source,
        })?;
        let weight = match w_col {
            Some(c) => {
                let w = number(path, &rec, c, &header[c])?;
                if w < 0.0 {
                    return Err(DemandError::Field {
                        path: path.to_path_buf(),
                        line: line_of(&rec),
                        column: header[c].to_string(),
                        reason: "negative weight".into(),
                        value: rec.get(c).unwrap_or("").to_string(),
                    });
                }
                w
            }
            None => 1.0,
        };
        rows.push(CountRow {
            source: format!("{file}:{}", line_of(&rec)),
            postcode: rec.get(pc_col).unwrap_or("").trim().to_string(),
            weight,
        });
    }
    Ok(rows)
}

/// Reads demand points. Residents are 0 (points carry no population).
pub fn read_points(path: &Path, crs: &PointCrs) -> Result<Vec<DemandPoint>, DemandError> {
    let (mut rdr, header) = open(path)?;
    let lat = find(&header, &["lat", "latitude"]);
    let lon = find(&header, &["lon", "lng", "long", "longitude"]);
    let east = find(&header, &["easting", "x", "east"]);
    let north = find(&header, &["northing", "y", "north"]);
    let (cx, cy, wgs84) = match (lon, lat, east, north) {
        (Some(x), Some(y), _, _) => (x, y, true),
        (_, _, Some(x), Some(y)) => (x, y, false),
        _ => {
            return Err(DemandError::MissingColumn {
                path: path.to_path_buf(),
                wanted: "lat,lon or easting,northing".into(),
                header: header_text(&header),
            });
        }
    };
    let w_col = find(&header, &["weight", "count", "arrests", "value"]);
    let id_col = find(&header, &["id", "incident_id", "name", "postcode"]);
    let mut out = Vec::new();
    let mut brec = csv::ByteRecord::new();
    loop {
        match rdr.read_byte_record(&mut brec) {
            Ok(false) => break,
            Ok(true) => {}
            Err(source) => {
                return Err(DemandError::Csv {
                    path: path.to_path_buf(),
                    line: source.position().map(|p| p.line()).unwrap_or(0),
                    source,
                });
            }
        }
        // Fast path: plain ASCII numbers; anything else goes through the checked path below.
        let fast = |c: usize| -> Option<f64> {
            std::str::from_utf8(brec.get(c)?)
                .ok()?
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
        };
        if (matches!(crs, PointCrs::Raw) || (!wgs84 && matches!(crs, PointCrs::Bng)))
            && let (Some(x_m), Some(y_m)) = (fast(cx), fast(cy))
        {
            let weight = match w_col {
                Some(c) => fast(c),
                None => Some(1.0),
            };
            if let Some(weight) = weight {
                let line = brec.position().map(|p| p.line()).unwrap_or(0);
                let id = id_col
                    .and_then(|c| brec.get(c))
                    .and_then(|b| std::str::from_utf8(b).ok())
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("line{line}"));
                out.push(DemandPoint {
                    id,
                    x_m,
                    y_m,
                    weight,
                    residents: 0.0,
                });
                continue;
            }
        }
        let rec =
            csv::StringRecord::from_byte_record(brec.clone()).map_err(|e| DemandError::Field {
                path: path.to_path_buf(),
                line: brec.position().map(|p| p.line()).unwrap_or(0),
                column: String::new(),
                reason: "not UTF-8 text".into(),
                value: format!("{:?}", e.utf8_error()),
            })?;
        let line = line_of(&rec);
        let x = number(path, &rec, cx, &header[cx])?;
        let y = number(path, &rec, cy, &header[cy])?;
        let converted = match crs {
            PointCrs::Raw => Ok((x, y)),
            _ if wgs84 => crate::geography::crs::wgs84_to_bng(x, y).map_err(|e| e.to_string()),
            PointCrs::Bng => Ok((x, y)),
            PointCrs::Custom(f) => f(x, y),
        };
        let (x_m, y_m) = converted.map_err(|reason| DemandError::Field {
            path: path.to_path_buf(),
            line,
            column: format!("{},{}", &header[cx], &header[cy]),
            reason,
            value: format!("{x},{y}"),
        })?;
        let weight = match w_col {
            Some(c) => number(path, &rec, c, &header[c])?,
            None => 1.0,
        };
        let id = id_col
            .and_then(|c| rec.get(c))
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| format!("line{line}"));
        out.push(DemandPoint {
            id,
            x_m,
            y_m,
            weight,
            residents: 0.0,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn file(text: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(text.as_bytes()).unwrap();
        f
    }

    #[test]
    fn counts_with_and_without_weight() {
        let f = file("District,Arrests\nLE12,86\nUnknown,2\n");
        let rows = read_counts(f.path()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].postcode, "LE12");
        assert_eq!(rows[0].weight, 86.0);
        assert!(rows[1].source.ends_with(":3"));
        let f = file("postcode\nLE1 1AA\n");
        assert_eq!(read_counts(f.path()).unwrap()[0].weight, 1.0);
    }

    #[test]
    fn bad_count_names_file_line_column_value() {
        let f = file("postcode,count\nLE1,3\nLE2,three\n");
        let e = read_counts(f.path()).unwrap_err().to_string();
        assert!(e.ends_with(":3: count: not a number (\"three\")"), "{e}");
    }

    #[test]
    fn points_in_bng_and_wgs84() {
        let f = file("id,easting,northing,weight\na,454000,304000,2\n");
        let p = read_points(f.path(), &PointCrs::Bng).unwrap();
        assert_eq!(
            (p[0].id.as_str(), p[0].x_m, p[0].weight),
            ("a", 454000.0, 2.0)
        );
        let f = file("lat,lon\n52.631095,-1.203584\n");
        let p = read_points(f.path(), &PointCrs::Bng).unwrap();
        assert!((p[0].x_m - 454_000.0).abs() < 1.0 && (p[0].y_m - 304_000.0).abs() < 1.0);
        assert_eq!(p[0].id, "line2");
        let f = file("x,y\n1,\n");
        let e = read_points(f.path(), &PointCrs::Bng)
            .unwrap_err()
            .to_string();
        assert!(e.contains(":2: y: not a number"), "{e}");
    }
}
