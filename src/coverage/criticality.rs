//! Criticality: for each facility, the demand and residents within the radius of that
//! facility and of no other — what is lost if it is not rescue-ready.
//!
//! A demand point within the (effective) radius of exactly one facility credits that
//! facility; a point covered by two or more facilities (including two cabinets at one
//! address) credits none.

use super::engine::{ConfigError, CoverageConfig, DemandPoint, Neighbours};

/// Sole-cover demand of one facility at each radius of the configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Criticality {
    /// Index in the facilities of the [`Neighbours`].
    pub facility: u32,
    /// Per radius: demand weight covered by this facility alone.
    pub demand_sole: Vec<f64>,
    /// Per radius: residents covered by this facility alone.
    pub residents_sole: Vec<f64>,
    /// Per radius: demand weight within the radius of this facility (shared or not).
    pub demand_within: Vec<f64>,
}

/// Criticality of every facility, in the order of the facilities of the [`Neighbours`].
///
/// Each demand point is queried once (within the largest effective radius); sums are
/// accumulated in input order so the figures are reproducible.
pub fn criticality(
    index: &impl Neighbours,
    demand: &[DemandPoint],
    config: &CoverageConfig,
) -> Result<Vec<Criticality>, ConfigError> {
    let wants = super::scan::ScanWants {
        criticality: true,
        hours: None,
        demand_sums: None,
    };
    let scan = super::scan::scan(index, demand, config, wants)?;
    Ok(scan.criticality.unwrap_or_default())
}

/// A `criticality.csv` could not be read: `file:line: reason`.
#[derive(Debug, thiserror::Error)]
#[error("{file}:{line}: {reason}")]
pub struct CriticalityCsvError {
    pub file: String,
    pub line: u64,
    pub reason: String,
}

/// Reads `criticality.csv` as written by `aedcover coverage`: AED id → demand that only
/// this AED covers at `radius_m` (column `demand_sole_<r>m`). Used by `registry check
/// --criticality` to rank problem devices by what is lost when they are not rescue-ready.
/// A repeated id is an error (a file of ours never repeats one), not a silent overwrite.
pub fn read_criticality_csv(
    path: &std::path::Path,
    radius_m: f64,
) -> Result<std::collections::HashMap<String, f64>, CriticalityCsvError> {
    let file = path.display().to_string();
    let bad = |line: u64, reason: String| CriticalityCsvError {
        file: file.clone(),
        line,
        reason,
    };
    let bytes = crate::input::read(path).map_err(|e| bad(0, e.to_string()))?;
    let mut rdr = csv::Reader::from_reader(bytes.as_slice());
    let mut lines = crate::input::RecordLines::new(&bytes);
    let mut line_of = |p: Option<&csv::Position>| lines.at(p).unwrap_or(0);
    let headers = rdr.headers().map_err(|e| bad(1, e.to_string()))?.clone();
    let want = format!("demand_sole_{}m", crate::export::csv_out::metres(radius_m));
    let names = crate::csvhead::Headers::new(&headers);
    let find = |col: &str| names.find(col);
    let (Some(c_id), Some(c_v)) = (find("aed_id"), find(&want)) else {
        return Err(bad(
            1,
            format!(
                "columns aed_id and {want} are required (header: {:?})",
                headers.iter().collect::<Vec<_>>().join(",")
            ),
        ));
    };
    let mut out = std::collections::HashMap::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| bad(line_of(e.position()), crate::input::csv_reason(&e)))?;
        let line = line_of(rec.position());
        let id = rec.get(c_id).unwrap_or("").trim();
        let raw = rec.get(c_v).unwrap_or("").trim();
        let v: f64 = raw
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite())
            .ok_or_else(|| bad(line, format!("{want}: not a number ({raw:?})")))?;
        if id.is_empty() {
            return Err(bad(line, "aed_id: empty".into()));
        }
        if let Some((_, first)) = out.insert(id.to_string(), (v, line)) {
            let reason = format!("aed_id: {id:?} repeats the id on line {first}");
            return Err(bad(line, reason));
        }
    }
    Ok(out.into_iter().map(|(id, (v, _))| (id, v)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coverage::engine::{Facility, FacilityIndex};

    fn fac(id: &str, x: f64, y: f64) -> Facility {
        Facility {
            id: id.into(),
            x_m: x,
            y_m: y,
        }
    }
    fn pt(x: f64, y: f64, w: f64) -> DemandPoint {
        DemandPoint {
            id: Default::default(),
            x_m: x,
            y_m: y,
            weight: w,
            residents: 10.0 * w,
        }
    }

    #[test]
    fn two_aeds_covering_a_point_both_get_zero() {
        let idx = FacilityIndex::new(vec![fac("A", 0.0, 0.0), fac("B", 300.0, 0.0)]);
        let cfg = CoverageConfig {
            radii_m: vec![500.0],
            detour_factor: 1.0,
        };
        let c = criticality(&idx, &[pt(150.0, 0.0, 1.0)], &cfg).unwrap();
        assert_eq!(c[0].demand_sole, vec![0.0]);
        assert_eq!(c[1].demand_sole, vec![0.0]);
        assert_eq!(c[0].demand_within, vec![1.0]);
    }

    #[test]
    fn sole_cover_credits_one_and_radius_matters() {
        let idx = FacilityIndex::new(vec![fac("A", 0.0, 0.0), fac("B", 300.0, 0.0)]);
        let cfg = CoverageConfig::default(); // 100, 200, 500
        let demand = [pt(-150.0, 0.0, 2.0), pt(450.0, 0.0, 3.0)];
        let c = criticality(&idx, &demand, &cfg).unwrap();
        // (-150,0): 150 m from A, 450 m from B → A alone at 200; both at 500.
        // (450,0): 450 m from A, 150 m from B → B alone at 200; both at 500.
        assert_eq!(c[0].demand_sole, vec![0.0, 2.0, 0.0]);
        assert_eq!(c[1].demand_sole, vec![0.0, 3.0, 0.0]);
        assert_eq!(c[1].residents_sole, vec![0.0, 30.0, 0.0]);
    }

    #[test]
    fn a_criticality_csv_row_of_the_wrong_length_names_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("criticality.csv");
        let text = "aed_id,demand_sole_500m\r\nA,1.5\r\nB\r\n";
        std::fs::write(&path, text).unwrap();
        let e = read_criticality_csv(&path, 500.0).unwrap_err().to_string();
        assert!(
            e.ends_with("criticality.csv:3: has 1 fields, the header has 2"),
            "{e}"
        );
        std::fs::write(&path, "aed_id,demand_sole_500m\r\nA,1.5\r\nB,2\r\n").unwrap();
        assert_eq!(read_criticality_csv(&path, 500.0).unwrap()["B"], 2.0);
    }

    #[test]
    fn a_repeated_aed_id_is_named_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("criticality.csv");
        let text = "aed_id,demand_sole_500m\nA,1.5\nB,2\n A ,3\n";
        std::fs::write(&path, text).unwrap();
        let e = read_criticality_csv(&path, 500.0).unwrap_err().to_string();
        assert!(
            e.ends_with("criticality.csv:4: aed_id: \"A\" repeats the id on line 2"),
            "{e}"
        );
    }

    #[test]
    fn colocated_cabinets_share_their_demand() {
        let idx = FacilityIndex::new(vec![fac("A", 0.0, 0.0), fac("B", 0.0, 0.0)]);
        let c = criticality(&idx, &[pt(10.0, 0.0, 1.0)], &CoverageConfig::default()).unwrap();
        assert!(c.iter().all(|c| c.demand_sole.iter().all(|&d| d == 0.0)));
    }
}
