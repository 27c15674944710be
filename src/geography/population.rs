//! Residents per postcode unit, from Census 2021 usual residents by LSOA.
//!
//! Scheme: each LSOA's residents are shared equally over the postcode units whose Code-Point
//! position falls inside the LSOA polygon, by largest-remainder integer apportionment, so
//! every LSOA's total (and so every district's and county's) is kept exactly. Code-Point
//! Open has no household counts, so equal shares are the most that can be said; ties in the
//! remainder go to the units in postcode order, so the result is deterministic.
//!
//! An LSOA that contains no postcode unit (or has no polygon) gives all its residents to
//! the postcode unit nearest its centroid (the polygon's, else the CSV's `centroid_lat/lon`):
//! residents are never lost. How many LSOAs took this fallback is reported.
//!
//! Known artefact: non-geographic postcodes (PO boxes, large users placed at a delivery
//! office) inside an LSOA receive a share like any other unit.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rstar::RTree;
use rstar::primitives::GeomWithData;

use super::areas::AreaLayer;
use super::crs::wgs84_to_bng;
use crate::csvhead::Headers;

/// One row of `lsoa21_population_llr.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct LsoaPopulation {
    pub lsoa21cd: String,
    pub lsoa21nm: String,
    pub lad_code: String,
    pub utla_code: String,
    pub usual_residents: u32,
    /// The CSV's centroid, WGS84 degrees.
    pub centroid_lon: f64,
    pub centroid_lat: f64,
}

/// Reading or apportioning population failed.
#[derive(Debug, thiserror::Error)]
pub enum PopulationError {
    #[error("{path}: {source}")]
    Csv { path: PathBuf, source: csv::Error },
    /// A record the csv crate cannot read (the wrong number of fields, say), at its line.
    #[error("{path}:{line}: {reason}")]
    Record {
        path: PathBuf,
        line: u64,
        reason: String,
    },
    #[error("{path}:{line}: {column}: {reason} ({value:?})")]
    Field {
        path: PathBuf,
        line: u64,
        column: &'static str,
        reason: &'static str,
        value: String,
    },
    #[error("{path}:{line}: duplicate LSOA {lsoa}")]
    Duplicate {
        path: PathBuf,
        line: u64,
        lsoa: String,
    },
    #[error("LSOA {lsoa} has {residents} residents but there is no postcode unit to give them to")]
    NoUnits { lsoa: String, residents: u32 },
}

/// Reads the Census 2021 LSOA population CSV (columns by header name, [`crate::csvhead`] rule).
pub fn read_lsoa_population(path: &Path) -> Result<Vec<LsoaPopulation>, PopulationError> {
    let csv_err = |source| PopulationError::Csv {
        path: path.to_path_buf(),
        source,
    };
    let bytes = crate::input::read(path).map_err(|e| csv_err(e.into()))?;
    let mut rdr = csv::Reader::from_reader(bytes.as_slice());
    let mut lines = crate::input::RecordLines::new(&bytes);
    let headers = Headers::new(rdr.headers().map_err(csv_err)?);
    let col = |name: &'static str| -> Result<usize, PopulationError> {
        headers.require(name).map_err(|e| PopulationError::Field {
            path: path.to_path_buf(),
            line: 1,
            column: name,
            reason: "column missing from header",
            value: e.found,
        })
    };
    let (c_cd, c_nm, c_lad, c_utla, c_res, c_lat, c_lon) = (
        col("lsoa21cd")?,
        col("lsoa21nm")?,
        col("lad_code")?,
        col("utla_code")?,
        col("usual_residents_total")?,
        col("centroid_lat")?,
        col("centroid_lon")?,
    );
    let mut out = Vec::new();
    let mut seen = rustc_hash::FxHashSet::default();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| match lines.problem(&e) {
            Some((line, reason)) => PopulationError::Record {
                path: path.to_path_buf(),
                line,
                reason,
            },
            None => csv_err(e),
        })?;
        let line = lines.at(rec.position()).unwrap_or(0);
        let field = |i: usize| rec.get(i).unwrap_or("").trim();
        let bad =
            |column: &'static str, reason: &'static str, value: &str| PopulationError::Field {
                path: path.to_path_buf(),
                line,
                column,
                reason,
                value: value.to_string(),
            };
        let lsoa21cd = field(c_cd).to_string();
        if lsoa21cd.is_empty() {
            return Err(bad("lsoa21cd", "empty", ""));
        }
        let usual_residents: u32 = field(c_res)
            .parse()
            .map_err(|_| bad("usual_residents_total", "not a count", field(c_res)))?;
        let centroid_lat: f64 = field(c_lat)
            .parse()
            .map_err(|_| bad("centroid_lat", "not a number", field(c_lat)))?;
        let centroid_lon: f64 = field(c_lon)
            .parse()
            .map_err(|_| bad("centroid_lon", "not a number", field(c_lon)))?;
        if !seen.insert(lsoa21cd.clone()) {
            return Err(PopulationError::Duplicate {
                path: path.to_path_buf(),
                line,
                lsoa: lsoa21cd,
            });
        }
        out.push(LsoaPopulation {
            lsoa21cd,
            lsoa21nm: field(c_nm).to_string(),
            lad_code: field(c_lad).to_string(),
            utla_code: field(c_utla).to_string(),
            usual_residents,
            centroid_lon,
            centroid_lat,
        });
    }
    Ok(out)
}

/// Shares `total` over `weights` in integers, exactly: each gets the floor of its quota and
/// the leftover units go to the largest remainders (ties to the lower index).
///
/// All weights zero (or none) gives all zeros; the caller must not lose `total` then.
pub fn largest_remainder(total: u32, weights: &[u64]) -> Vec<u32> {
    let sum: u128 = weights.iter().map(|&w| w as u128).sum();
    if sum == 0 {
        return vec![0; weights.len()];
    }
    let mut out = Vec::with_capacity(weights.len());
    let mut rems = Vec::with_capacity(weights.len());
    let mut given: u64 = 0;
    for (i, &w) in weights.iter().enumerate() {
        let q = total as u128 * w as u128;
        let base = (q / sum) as u32;
        out.push(base);
        given += base as u64;
        rems.push((q % sum, i));
    }
    rems.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let left = total as u64 - given;
    for &(_, i) in rems.iter().take(left as usize) {
        out[i] += 1;
    }
    out
}

/// Totals and diagnostics of one apportionment.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PopulationReport {
    /// Residents by local authority district code (`lad_code`).
    pub residents_by_lad: BTreeMap<String, u64>,
    /// Residents by upper-tier authority code (`utla_code`).
    pub residents_by_utla: BTreeMap<String, u64>,
    pub residents_total: u64,
    pub lsoas: usize,
    /// Postcode units inside some LSOA.
    pub units_located: usize,
    /// Postcode units given that fall inside no LSOA (outside the layer).
    pub units_outside: usize,
    /// LSOAs with no postcode unit inside, whose residents went to the unit nearest their
    /// centroid, sorted.
    pub lsoas_fallback: Vec<String>,
    /// LSOAs in the population table with no polygon in the layer (also on the fallback).
    pub lsoas_without_polygon: Vec<String>,
    /// LSOA polygons with no population row (their units get nothing from them).
    pub polygons_without_population: Vec<String>,
}

/// A postcode unit's position for apportionment.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitPosition {
    /// Normalised unit postcode, e.g. `LE15 6AB`.
    pub postcode: String,
    /// Easting/northing in EPSG:27700 metres.
    pub easting_m: f64,
    pub northing_m: f64,
}

/// Resident estimate (Census 2021 usual residents) per postcode unit.
#[derive(Debug, Clone, Default)]
pub struct ResidentsByPostcode {
    residents: BTreeMap<String, u32>,
    /// LSOA code for each located unit.
    unit_lsoa: BTreeMap<String, String>,
    report: PopulationReport,
}

impl ResidentsByPostcode {
    /// Apportions each LSOA's residents over the units inside it (see the module docs).
    ///
    /// `units` may include units outside the LSOA layer: they get no residents unless one is
    /// the nearest unit to an LSOA without units.
    pub fn apportion(
        lsoas: &AreaLayer,
        population: &[LsoaPopulation],
        units: &[UnitPosition],
    ) -> Result<ResidentsByPostcode, PopulationError> {
        let mut members: Vec<Vec<usize>> = vec![Vec::new(); lsoas.len()];
        let located: Vec<Option<usize>> = units
            .iter()
            .map(|u| lsoas.locate(u.easting_m, u.northing_m))
            .collect();
        let mut report = PopulationReport {
            lsoas: population.len(),
            ..Default::default()
        };
        let mut unit_lsoa = BTreeMap::new();
        for (ui, hit) in located.iter().enumerate() {
            match hit {
                Some(li) => {
                    members[*li].push(ui);
                    report.units_located += 1;
                    unit_lsoa.insert(units[ui].postcode.clone(), lsoas.areas()[*li].id.clone());
                }
                None => report.units_outside += 1,
            }
        }
        // Postcode order, so remainder ties fall the same way whatever order `units` came in.
        for m in &mut members {
            m.sort_by(|&a, &b| units[a].postcode.cmp(&units[b].postcode));
        }
        let tree: RTree<GeomWithData<[f64; 2], usize>> = RTree::bulk_load(
            units
                .iter()
                .enumerate()
                .map(|(i, u)| GeomWithData::new([u.easting_m, u.northing_m], i))
                .collect(),
        );
        let mut residents: BTreeMap<String, u32> = BTreeMap::new();
        let mut has_population = vec![false; lsoas.len()];
        for row in population {
            let li = lsoas.position(&row.lsoa21cd);
            if let Some(li) = li {
                has_population[li] = true;
            } else {
                report.lsoas_without_polygon.push(row.lsoa21cd.clone());
            }
            let inside = li.map(|li| members[li].as_slice()).unwrap_or(&[]);
            if inside.is_empty() {
                let centre = li
                    .and_then(|li| lsoas.areas()[li].centroid_m())
                    .or_else(|| wgs84_to_bng(row.centroid_lon, row.centroid_lat).ok());
                let nearest = centre.and_then(|(x, y)| tree.nearest_neighbor(&[x, y]));
                let Some(nearest) = nearest else {
                    return Err(PopulationError::NoUnits {
                        lsoa: row.lsoa21cd.clone(),
                        residents: row.usual_residents,
                    });
                };
                *residents
                    .entry(units[nearest.data].postcode.clone())
                    .or_default() += row.usual_residents;
                report.lsoas_fallback.push(row.lsoa21cd.clone());
            } else {
                let shares = largest_remainder(row.usual_residents, &vec![1; inside.len()]);
                for (&ui, share) in inside.iter().zip(shares) {
                    *residents.entry(units[ui].postcode.clone()).or_default() += share;
                }
            }
            let n = row.usual_residents as u64;
            *report
                .residents_by_lad
                .entry(row.lad_code.clone())
                .or_default() += n;
            *report
                .residents_by_utla
                .entry(row.utla_code.clone())
                .or_default() += n;
            report.residents_total += n;
        }
        report.polygons_without_population = lsoas
            .areas()
            .iter()
            .zip(&has_population)
            .filter(|(_, has)| !**has)
            .map(|(a, _)| a.id.clone())
            .collect();
        report.lsoas_fallback.sort();
        report.lsoas_without_polygon.sort();
        report.polygons_without_population.sort();
        Ok(ResidentsByPostcode {
            residents,
            unit_lsoa,
            report,
        })
    }

    /// Residents of a unit (`LE15 6AB`); `None` when the unit got none.
    pub fn get(&self, postcode: &str) -> Option<u32> {
        self.residents.get(postcode).copied()
    }

    /// The LSOA (code) whose polygon holds the unit.
    pub fn lsoa_of(&self, postcode: &str) -> Option<&str> {
        self.unit_lsoa.get(postcode).map(String::as_str)
    }

    /// Units with residents, in postcode order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, u32)> {
        self.residents.iter().map(|(k, v)| (k.as_str(), *v))
    }

    /// Sum over all units (equals `report().residents_total`).
    pub fn total(&self) -> u64 {
        self.residents.values().map(|&v| v as u64).sum()
    }

    pub fn report(&self) -> &PopulationReport {
        &self.report
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    mod largest_remainder {
        use super::*;

        #[test]
        fn exact_and_deterministic() {
            assert_eq!(largest_remainder(10, &[1, 1, 1]), vec![4, 3, 3]);
            assert_eq!(largest_remainder(7, &[1, 2, 4]), vec![1, 2, 4]);
            assert_eq!(largest_remainder(5, &[1, 1]), vec![3, 2]);
            assert_eq!(largest_remainder(0, &[1, 1]), vec![0, 0]);
            assert_eq!(largest_remainder(5, &[0, 0]), vec![0, 0]);
            assert!(largest_remainder(5, &[]).is_empty());
        }

        proptest::proptest! {
            #[test]
            fn total_is_kept(total in 0u32..1_000_000, w in proptest::collection::vec(1u64..1000, 1..50)) {
                let s = largest_remainder(total, &w);
                proptest::prop_assert_eq!(s.iter().map(|&x| x as u64).sum::<u64>(), total as u64);
            }
        }
    }

    fn square(id: &str, x0: f64) -> crate::geography::Area {
        let p: geo::Polygon<f64> = geo::Rect::new(
            geo::Coord { x: x0, y: 0.0 },
            geo::Coord {
                x: x0 + 100.0,
                y: 100.0,
            },
        )
        .to_polygon();
        crate::geography::Area {
            id: id.into(),
            name: id.into(),
            geometry_m: geo::MultiPolygon::new(vec![p]),
            properties: Default::default(),
        }
    }

    fn row(id: &str, utla: &str, n: u32) -> LsoaPopulation {
        LsoaPopulation {
            lsoa21cd: id.into(),
            lsoa21nm: id.into(),
            lad_code: utla.into(),
            utla_code: utla.into(),
            usual_residents: n,
            centroid_lon: 0.0,
            centroid_lat: 0.0,
        }
    }

    fn unit(pc: &str, x: f64, y: f64) -> UnitPosition {
        UnitPosition {
            postcode: pc.into(),
            easting_m: x,
            northing_m: y,
        }
    }

    #[test]
    fn shares_exactly_and_empty_lsoa_falls_back_to_nearest_unit() {
        // A holds three units; B (x 200..300) holds none, its nearest unit is A3 at x 90.
        let layer = AreaLayer::new(vec![square("A", 0.0), square("B", 200.0)]);
        let pop = [row("A", "U1", 10), row("B", "U2", 7)];
        let units = [
            unit("A3", 90.0, 50.0),
            unit("A1", 10.0, 50.0),
            unit("A2", 50.0, 50.0),
            unit("OUT", 1000.0, 50.0),
        ];
        let r = ResidentsByPostcode::apportion(&layer, &pop, &units).unwrap();
        assert_eq!(r.get("A1"), Some(4));
        assert_eq!(r.get("A2"), Some(3));
        assert_eq!(r.get("A3"), Some(3 + 7));
        assert_eq!(r.get("OUT"), None);
        assert_eq!(r.total(), 17);
        let rep = r.report();
        assert_eq!(rep.lsoas_fallback, vec!["B".to_string()]);
        assert_eq!(rep.units_located, 3);
        assert_eq!(rep.units_outside, 1);
        assert_eq!(rep.residents_by_utla["U2"], 7);
        assert_eq!(r.lsoa_of("A3"), Some("A"));
    }

    #[test]
    fn a_row_of_the_wrong_length_in_crlf_names_its_line() {
        let text = "lsoa21cd,lsoa21nm,lad_code,utla_code,usual_residents_total,centroid_lat,centroid_lon\r\n\
              E01,A,L,U,12,52.6,-1.1\r\nE02,B,L,U,7\r\n";
        let mut f = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(&mut f, text.as_bytes()).unwrap();
        let msg = read_lsoa_population(f.path()).unwrap_err().to_string();
        assert!(msg.ends_with(":3: has 5 fields, the header has 7"), "{msg}");
    }

    #[test]
    fn bad_count_names_file_line_and_value() {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(
            &mut f,
            b"lsoa21cd,lsoa21nm,lad_code,utla_code,usual_residents_total,centroid_lat,centroid_lon\n\
              E01,A,L,U,12,52.6,-1.1\nE02,B,L,U,lots,52.6,-1.1\n",
        )
        .unwrap();
        let msg = read_lsoa_population(f.path()).unwrap_err().to_string();
        assert!(
            msg.ends_with(":3: usual_residents_total: not a count (\"lots\")"),
            "{msg}"
        );
    }
}
