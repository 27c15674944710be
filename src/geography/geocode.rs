//! Geocoding from postcodes: AEDs without coordinates take their postcode unit's position
//! from Code-Point (marked [`LocationSource::PostcodeCentroid`]); any postcode, full or
//! partial, resolves to its level's position for demand data (arrests by sector or district).

use std::collections::BTreeMap;
use std::fmt;

use super::codepoint::PostcodeIndex;
use super::postcode::{Postcode, PostcodeLevel};
use crate::registry::{Aed, Coord, Location, LocationSource};

/// Where a postcode string puts something.
#[derive(Debug, Clone, PartialEq)]
pub enum Resolved {
    /// A unit found in Code-Point: its position, easting/northing in EPSG:27700 metres.
    Unit {
        postcode: Postcode,
        easting_m: f64,
        northing_m: f64,
        pqi: u8,
    },
    /// A sector, district or area: the mean position of its `units` located units.
    Partial {
        postcode: Postcode,
        easting_m: f64,
        northing_m: f64,
        units: usize,
    },
    /// In Code-Point but with no location (PQI 90).
    NoLocation(Postcode),
    /// A well-formed postcode with no located unit in Code-Point (terminated, mistyped or
    /// outside GB).
    NotFound(Postcode),
    /// Not a UK postcode at all.
    Invalid(String),
}

/// Resolve a postcode string (any case and spacing) at the level it is given.
pub fn resolve(index: &PostcodeIndex, raw: &str) -> Resolved {
    let Ok(postcode) = Postcode::parse(raw) else {
        return Resolved::Invalid(raw.to_string());
    };
    if postcode.level() == PostcodeLevel::Unit {
        let s = postcode.to_string();
        return match index.get(&s) {
            Some(r) => Resolved::Unit {
                postcode,
                easting_m: r.easting_m,
                northing_m: r.northing_m,
                pqi: r.pqi,
            },
            None if index.has_no_location(&s) => Resolved::NoLocation(postcode),
            None => Resolved::NotFound(postcode),
        };
    }
    let units = index.count(&postcode);
    match index.centroid(&postcode) {
        Some((easting_m, northing_m)) => Resolved::Partial {
            postcode,
            easting_m,
            northing_m,
            units,
        },
        None => Resolved::NotFound(postcode),
    }
}

/// What [`geocode_aeds`] did, counted; the lists are `(aed id, postcode as given)`, in
/// input order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GeocodeReport {
    /// AEDs that already had a position (left alone).
    pub already_located: usize,
    /// AEDs given their postcode unit's position.
    pub geocoded: usize,
    /// AEDs with neither a position nor a postcode.
    pub no_postcode: Vec<String>,
    /// Postcodes that are not UK postcodes.
    pub invalid: Vec<(String, String)>,
    /// Partial postcodes (area, district, sector): too coarse for a device's position.
    pub partial: Vec<(String, String)>,
    /// Unit postcodes not in Code-Point, or in it with no location.
    pub not_found: Vec<(String, String)>,
}

impl GeocodeReport {
    /// AEDs still without a position.
    pub fn unlocated(&self) -> usize {
        self.no_postcode.len() + self.invalid.len() + self.partial.len() + self.not_found.len()
    }

    /// The distinct postcodes not found, normalised and sorted, with how many AEDs gave each.
    pub fn not_found_postcodes(&self) -> BTreeMap<String, usize> {
        let mut m = BTreeMap::new();
        for (_, pc) in &self.not_found {
            let key = Postcode::parse(pc).map_or_else(|_| pc.clone(), |p| p.to_string());
            *m.entry(key).or_default() += 1;
        }
        m
    }
}

impl fmt::Display for GeocodeReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "geocoding: {} already located, {} geocoded from their postcode unit, {} still without a position",
            self.already_located,
            self.geocoded,
            self.unlocated()
        )?;
        for (pc, n) in self.not_found_postcodes() {
            writeln!(f, "  postcode not found in Code-Point: {pc} ({n} AED(s))")?;
        }
        for (id, pc) in &self.partial {
            writeln!(f, "  {id}: partial postcode {pc:?} gives no unit position")?;
        }
        for (id, pc) in &self.invalid {
            writeln!(f, "  {id}: {pc:?} is not a UK postcode")?;
        }
        for id in &self.no_postcode {
            writeln!(f, "  {id}: no position and no postcode")?;
        }
        Ok(())
    }
}

/// Give AEDs without a position their postcode unit's position (easting/northing, EPSG:27700,
/// marked as a postcode centroid). AEDs with a position are left alone.
pub fn geocode_aeds(aeds: &mut [Aed], index: &PostcodeIndex) -> GeocodeReport {
    let mut report = GeocodeReport::default();
    for aed in aeds.iter_mut() {
        if aed.location.is_some() {
            report.already_located += 1;
            continue;
        }
        let entry = || (String::from(&aed.id), aed.about.postcode.clone());
        if aed.about.postcode.trim().is_empty() {
            report.no_postcode.push(String::from(&aed.id));
            continue;
        }
        match resolve(index, &aed.about.postcode) {
            Resolved::Unit {
                easting_m,
                northing_m,
                ..
            } => {
                aed.location = Some(Location {
                    coord: Coord::Bng {
                        easting_m,
                        northing_m,
                    },
                    source: LocationSource::PostcodeCentroid,
                });
                report.geocoded += 1;
            }
            Resolved::Partial { .. } => report.partial.push(entry()),
            Resolved::NoLocation(_) | Resolved::NotFound(_) => report.not_found.push(entry()),
            Resolved::Invalid(_) => report.invalid.push(entry()),
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn index() -> PostcodeIndex {
        let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/codepoint_native");
        PostcodeIndex::load(p).unwrap().0
    }

    fn aed(id: &str, postcode: &str) -> Aed {
        let mut aed = Aed {
            id: id.into(),
            ..Default::default()
        };
        aed.about.postcode = postcode.into();
        aed
    }

    #[test]
    fn geocodes_units_and_reports_the_rest() {
        let idx = index();
        let mut located = aed("A0", "LE1 1AA");
        let given = Location {
            coord: Coord::Wgs84 {
                lon: -1.1,
                lat: 52.6,
            },
            source: LocationSource::Source,
        };
        located.location = Some(given);
        let mut aeds = vec![
            located,
            aed("A1", "le11ab"),
            aed("A2", "LE1 9ZZ"),
            aed("A3", "LE12 7AD"),
            aed("A4", "LE1 1"),
            aed("A5", "not a postcode"),
            aed("A6", ""),
            aed("A7", "LE1 9zz"),
        ];
        let rep = geocode_aeds(&mut aeds, &idx);
        assert_eq!(aeds[0].location, Some(given));
        assert_eq!(
            aeds[1].location,
            Some(Location {
                coord: Coord::Bng {
                    easting_m: 459400.0,
                    northing_m: 304300.0
                },
                source: LocationSource::PostcodeCentroid,
            })
        );
        assert!(aeds[2..].iter().all(|a| a.location.is_none()));
        assert_eq!(
            (rep.already_located, rep.geocoded, rep.unlocated()),
            (1, 1, 6)
        );
        assert_eq!(rep.not_found.len(), 3);
        assert_eq!(
            rep.not_found_postcodes().into_iter().collect::<Vec<_>>(),
            [("LE1 9ZZ".to_string(), 2), ("LE12 7AD".to_string(), 1)]
        );
        assert_eq!(rep.partial, [("A4".to_string(), "LE1 1".to_string())]);
        assert_eq!(rep.invalid.len(), 1);
        assert_eq!(rep.no_postcode, ["A6"]);
        let text = rep.to_string();
        assert!(
            text.contains("postcode not found in Code-Point: LE1 9ZZ (2 AED(s))"),
            "{text}"
        );
    }

    #[test]
    fn resolve_levels() {
        let idx = index();
        assert!(matches!(
            resolve(&idx, "LE1 1AA"),
            Resolved::Unit { pqi: 10, .. }
        ));
        match resolve(&idx, "LE1") {
            Resolved::Partial {
                easting_m, units, ..
            } => {
                assert_eq!(units, 3);
                assert!((easting_m - 459233.333).abs() < 0.01);
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(resolve(&idx, "LE12 7AD"), Resolved::NoLocation(_)));
        assert!(matches!(resolve(&idx, "LE9"), Resolved::NotFound(_)));
        assert!(matches!(resolve(&idx, "12345"), Resolved::Invalid(_)));
    }
}
