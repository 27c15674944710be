//! Located postcode units (easting/northing in EPSG:27700 metres) with optional residents,
//! indexed by sector, district and area so that coarse counts can be spread over them.

use crate::coverage::DemandPoint;
use crate::geography::{Postcode, PostcodeLevel};
use rustc_hash::FxHashMap;

#[derive(Debug, Clone)]
struct Unit {
    code: String,
    x_m: f64,
    y_m: f64,
    residents: f64,
}

/// Postcode units, sorted by normalised postcode.
#[derive(Debug, Clone, Default)]
pub struct UnitTable {
    units: Vec<Unit>,
    by_code: FxHashMap<String, Vec<usize>>,
}

/// A unit left out of the table, with the reason.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SkippedUnit {
    pub postcode: String,
    pub reason: String,
}

impl UnitTable {
    /// Builds the table from (postcode, easting_m, northing_m, residents). Codes that are not
    /// full units, duplicates (the first is kept) and non-finite coordinates are skipped and
    /// returned.
    pub fn new(
        units: impl IntoIterator<Item = (String, f64, f64, f64)>,
    ) -> (UnitTable, Vec<SkippedUnit>) {
        let mut skipped = Vec::new();
        let mut parsed: Vec<(Postcode, Unit)> = Vec::new();
        for (code, x_m, y_m, residents) in units {
            let skip = |reason: &str| SkippedUnit {
                postcode: code.clone(),
                reason: reason.to_string(),
            };
            if !(x_m.is_finite() && y_m.is_finite()) {
                skipped.push(skip("no coordinates"));
                continue;
            }
            match Postcode::parse(&code) {
                Ok(p) if p.level() == PostcodeLevel::Unit => {
                    let unit = Unit {
                        code: p.to_string(),
                        x_m,
                        y_m,
                        residents: if residents.is_finite() && residents > 0.0 {
                            residents
                        } else {
                            0.0
                        },
                    };
                    parsed.push((p, unit));
                }
                Ok(_) => skipped.push(skip("not a full postcode unit")),
                Err(e) => skipped.push(SkippedUnit {
                    postcode: code.clone(),
                    reason: e.to_string(),
                }),
            }
        }
        parsed.sort_by(|a, b| a.1.code.cmp(&b.1.code));
        let mut table = UnitTable::default();
        for (p, unit) in parsed {
            if table.units.last().is_some_and(|u| u.code == unit.code) {
                skipped.push(SkippedUnit {
                    postcode: unit.code,
                    reason: "duplicate postcode (first kept)".into(),
                });
                continue;
            }
            let i = table.units.len();
            for level in [
                PostcodeLevel::Area,
                PostcodeLevel::District,
                PostcodeLevel::Sector,
                PostcodeLevel::Unit,
            ] {
                if let Some(key) = p.at_level(level) {
                    table.by_code.entry(key.to_string()).or_default().push(i);
                }
            }
            table.units.push(unit);
        }
        (table, skipped)
    }

    pub fn len(&self) -> usize {
        self.units.len()
    }

    pub fn is_empty(&self) -> bool {
        self.units.is_empty()
    }

    /// Indices of the units inside `postcode` (itself, for a unit), in postcode order.
    pub fn members(&self, postcode: &Postcode) -> &[usize] {
        self.by_code
            .get(&postcode.to_string())
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    pub fn residents(&self, i: usize) -> f64 {
        self.units[i].residents
    }

    /// Total residents loaded.
    pub fn residents_total(&self) -> f64 {
        self.units.iter().map(|u| u.residents).sum()
    }

    pub fn postcode(&self, i: usize) -> &str {
        &self.units[i].code
    }

    /// Unit `i` as a demand point of the given weight, carrying its residents.
    pub fn demand_point(&self, i: usize, weight: f64) -> DemandPoint {
        let u = &self.units[i];
        DemandPoint {
            id: u.code.as_str().into(),
            x_m: u.x_m,
            y_m: u.y_m,
            weight,
            residents: u.residents,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_at_each_level_and_skips() {
        let (t, skipped) = UnitTable::new(vec![
            ("le12 7ab".to_string(), 1.0, 1.0, 5.0),
            ("LE12 7AA".to_string(), 2.0, 1.0, 0.0),
            ("LE12 7AA".to_string(), 9.0, 9.0, 0.0),
            ("LE12".to_string(), 2.0, 1.0, 0.0),
            ("LE13 1AA".to_string(), f64::NAN, 1.0, 0.0),
        ]);
        assert_eq!(t.len(), 2);
        assert_eq!(skipped.len(), 3);
        assert_eq!(t.postcode(0), "LE12 7AA");
        let d = Postcode::parse("LE12").unwrap();
        assert_eq!(t.members(&d), &[0, 1]);
        assert_eq!(t.members(&Postcode::parse("LE12 7AB").unwrap()), &[1]);
        assert!(t.members(&Postcode::parse("LE13").unwrap()).is_empty());
        assert_eq!(t.residents_total(), 5.0);
    }
}
