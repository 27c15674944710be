//! Import AEDs from other sources into the registry model.
//!
//! - [`osm`]: OpenStreetMap `emergency=defibrillator` as Overpass JSON (`elements[]`), as a
//!   GeoJSON FeatureCollection whose properties are the OSM tags (OpenAEDMap's downloads), or
//!   from an OSM extract (PBF or XML; ways at their centroid), all by one tag mapping;
//! - [`table`]: council and registry CSVs with latitude/longitude (or easting/northing)
//!   columns, found by header name;
//! - [`circuit`]: an extract of The Circuit (BHF Defib Finder) as supplied to coordinators;
//!   not open data, so its report's [`Source`] is not publishable.
//!
//! Nothing is dropped quietly: a record that cannot be imported is rejected with its
//! `file:line` or element id and the reason; a value that cannot be mapped (`access=PUB`)
//! is kept raw in its [`Description::flags`](crate::registry::Description::flags) and
//! counted in the [`ImportReport`].

pub mod circuit;
pub mod osm;
pub mod table;

pub use circuit::{import_circuit, import_circuit_from_reader};
pub use osm::{import_osm, import_osm_str};
pub use table::{import_table, import_table_from_reader};

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use crate::geography::{Postcode, PostcodeLevel};
use crate::registry::{AccessClass, Aed, Coord, Location, LocationSource, ManagedBy};
use crate::sources::Source;

/// A whole file could not be imported (bad records are not errors: see [`ImportReport`]).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: not valid JSON: {source}")]
    Json {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("{path}: {reason}")]
    Format { path: PathBuf, reason: String },
    #[error(transparent)]
    Codepoint(#[from] crate::geography::CodepointError),
    #[error(transparent)]
    Osm(#[from] crate::network::OsmError),
    #[error("{path}: {source}")]
    Csv {
        path: PathBuf,
        #[source]
        source: csv::Error,
    },
    /// A record the csv crate cannot read (a field that is not UTF-8), at its line.
    #[error("{path}:{line}: {reason}")]
    Record {
        path: PathBuf,
        line: u64,
        reason: String,
    },
}

/// All of `reader`'s bytes; `name` stands for the file in messages.
fn read_all(name: &str, reader: &mut impl std::io::Read) -> Result<Vec<u8>, ImportError> {
    let mut bytes = Vec::new();
    reader
        .read_to_end(&mut bytes)
        .map_err(|source| ImportError::Io {
            path: name.into(),
            source,
        })?;
    Ok(bytes)
}

/// The shape of an input file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// Overpass JSON or a GeoJSON FeatureCollection of OSM tags.
    Osm,
    /// A council CSV with latitude/longitude (or easting/northing) columns.
    Table,
    /// An extract of The Circuit (BHF Defib Finder); not for publication.
    Circuit,
}

/// What [`import_to_csv`] did.
#[derive(Debug, Clone)]
pub struct ImportRun {
    pub import: ImportReport,
    /// Geocoding of AEDs without a position, when a Code-Point path was given.
    pub geocode: Option<crate::geography::GeocodeReport>,
    pub codepoint: Option<crate::geography::LoadReport>,
}

/// Import a file, optionally geocode AEDs without a position from Code-Point Open, and
/// write the registry `aeds.csv` (sorted by id) to `out`.
pub fn import_to_csv(
    kind: SourceKind,
    input: &Path,
    out: &Path,
    codepoint: Option<&Path>,
) -> Result<ImportRun, ImportError> {
    let (mut aeds, import) = match kind {
        SourceKind::Osm => import_osm(input)?,
        SourceKind::Table => import_table(input)?,
        SourceKind::Circuit => import_circuit(input)?,
    };
    let (geocode, cp_report) = match codepoint {
        Some(cp) => {
            let (index, load) = crate::geography::PostcodeIndex::load(cp)?;
            (
                Some(crate::geography::geocode_aeds(&mut aeds, &index)),
                Some(load),
            )
        }
        None => (None, None),
    };
    let io = |source| ImportError::Io {
        path: out.to_path_buf(),
        source,
    };
    let file = std::fs::File::create(out).map_err(io)?;
    crate::registry::write_aeds(std::io::BufWriter::new(file), &aeds).map_err(io)?;
    Ok(ImportRun {
        import,
        geocode,
        codepoint: cp_report,
    })
}

/// What an import read and did, counted.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportReport {
    /// The file (or name) imported.
    pub file: String,
    /// Where the data came from and what its licence asks of outputs.
    pub source: Source,
    /// Records read (elements, features or data rows).
    pub read: usize,
    /// Records imported as AEDs.
    pub imported: usize,
    /// `file:line: reason` or `element id: reason`, one per rejected record.
    pub rejected: Vec<String>,
    /// Imported AEDs per access class.
    pub by_access: BTreeMap<AccessClass, usize>,
    /// Raw values kept in `flags`, e.g. `access=PUB` → 2.
    pub flagged: BTreeMap<String, usize>,
    /// Imported AEDs with no position (to be geocoded from their postcode).
    pub without_position: usize,
}

impl ImportReport {
    fn new(file: impl Into<String>, source: Source) -> Self {
        ImportReport {
            file: file.into(),
            source,
            read: 0,
            imported: 0,
            rejected: Vec::new(),
            by_access: BTreeMap::new(),
            flagged: BTreeMap::new(),
            without_position: 0,
        }
    }

    fn reject(&mut self, reason: String) {
        self.rejected.push(reason);
    }

    fn accept(&mut self, aed: &Aed) {
        self.imported += 1;
        *self.by_access.entry(aed.access).or_default() += 1;
        for f in &aed.about.flags {
            *self.flagged.entry(f.clone()).or_default() += 1;
        }
        if aed.location.is_none() {
            self.without_position += 1;
        }
    }

    /// Imported AEDs with this access class.
    pub fn count(&self, access: AccessClass) -> usize {
        self.by_access.get(&access).copied().unwrap_or(0)
    }
}

impl fmt::Display for ImportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{}: {} read, {} imported, {} rejected, {} without a position",
            self.file,
            self.read,
            self.imported,
            self.rejected.len(),
            self.without_position
        )?;
        let classes: Vec<String> = AccessClass::ALL
            .iter()
            .map(|a| format!("{a} {}", self.count(*a)))
            .collect();
        writeln!(f, "  access: {}", classes.join(", "))?;
        for (flag, n) in &self.flagged {
            writeln!(f, "  flagged {flag}: {n}")?;
        }
        for r in &self.rejected {
            writeln!(f, "  rejected {r}")?;
        }
        writeln!(
            f,
            "  source: {} ({}): {}",
            self.source.key, self.source.licence, self.source.attribution
        )?;
        if !self.source.publishable {
            writeln!(
                f,
                "  NOT FOR PUBLICATION: the terms of {} forbid public-facing use (maps, public API)",
                self.source.key
            )?;
        }
        Ok(())
    }
}

/// A WGS84 position as given by the source, or why it is not one.
fn wgs84_location(lon: f64, lat: f64) -> Result<Location, String> {
    if !(lon.is_finite() && lat.is_finite()) {
        return Err(format!("position is not a number ({lon}, {lat})"));
    }
    if !(-180.0..=180.0).contains(&lon) || !(-90.0..=90.0).contains(&lat) {
        return Err(format!("position out of range: lon {lon}, lat {lat}"));
    }
    if lon == 0.0 && lat == 0.0 {
        return Err("position 0,0 is a placeholder, not a place".into());
    }
    Ok(Location {
        coord: Coord::Wgs84 { lon, lat },
        source: LocationSource::Source,
    })
}

/// A flag as stored: `key=value`, with `;` (the registry's flag separator) made `,`.
fn flag(key: &str, value: &str) -> String {
    format!("{key}={}", value.replace(';', ","))
}

fn yes_no(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "yes" | "true" | "1" | "y" => Some(true),
        "no" | "false" | "0" | "n" => Some(false),
        _ => None,
    }
}

/// True for the OSM `opening_hours` values meaning always open.
fn is_24_7(oh: &str) -> bool {
    matches!(oh.trim(), "24/7" | "Mo-Su 00:00-24:00" | "00:00-24:00")
}

/// OSM `access` (with `opening_hours`) → access class; `None` for a value we do not map.
fn access_class(access: &str, opening_hours: Option<&str>) -> Option<AccessClass> {
    match access.trim().to_ascii_lowercase().as_str() {
        "yes" | "public" | "permissive" => Some(if opening_hours.is_some_and(is_24_7) {
            AccessClass::Public247
        } else {
            AccessClass::PublicLimited
        }),
        "customers" | "private" | "no" => Some(AccessClass::Restricted),
        _ => None,
    }
}

/// Build an AED from OSM tags. `id` is ours (`osm-node-123`), `source` names the record
/// (`osm:node/123`). Unmappable values go to `flags`.
pub fn aed_from_osm_tags(
    id: String,
    source: String,
    location: Option<Location>,
    tags: &BTreeMap<String, String>,
) -> Aed {
    let tag = |k: &str| tags.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
    let mut aed = Aed {
        id: id.into(),
        location,
        ..Default::default()
    };
    aed.about.source = Some(source);
    let mut flags = Vec::new();

    aed.opening_hours = tag("opening_hours").map(str::to_string);
    if let Some(oh) = tag("opening_hours")
        && !is_24_7(oh)
        && oh.parse::<opening_hours::OpeningHours>().is_err()
    {
        // The raw value stays in `opening_hours`; the flag says it does not parse.
        flags.push("opening_hours=unparsed".to_string());
    }
    aed.access = match tag("access") {
        None => AccessClass::Unknown,
        Some(a) => access_class(a, tag("opening_hours")).unwrap_or_else(|| {
            flags.push(flag("access", a));
            AccessClass::Unknown
        }),
    };
    for (key, slot) in [("indoor", &mut aed.indoor), ("locked", &mut aed.locked)] {
        if let Some(v) = tag(key) {
            *slot = yes_no(v);
            if slot.is_none() {
                flags.push(flag(key, v));
            }
        }
    }
    aed.about.circuit_id = tag("ref:GB:the_circuit").map(str::to_string);
    if let Some(d) = tag("check_date") {
        match NaiveDate::parse_from_str(d, "%Y-%m-%d") {
            Ok(date) => aed.last_checked = Some(date),
            Err(_) => flags.push(flag("check_date", d)),
        }
    }
    let operator = tag("operator");
    aed.managed_by = operator.map_or(ManagedBy::Unknown, managed_by_from_operator);

    aed.about.name = tag("name").unwrap_or_default().to_string();
    let street = [tag("addr:housenumber"), tag("addr:street")]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let mut address: Vec<String> = [Some(street.as_str()), tag("addr:place"), tag("addr:city")]
        .into_iter()
        .flatten()
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    if let Some(pc) = tag("addr:postcode") {
        if is_uk_postcode(pc) {
            aed.about.postcode = pc.to_string();
        } else {
            // Not a UK postcode (e.g. Swiss `8000`): kept in the address, not as a postcode.
            address.push(pc.to_string());
        }
    }
    aed.about.address = address.join(", ");

    let mut notes = Vec::new();
    for (key, label) in [
        ("defibrillator:location", "location"),
        ("operator", "operator"),
        ("description", "description"),
        ("note", "note"),
        ("level", "level"),
    ] {
        if let Some(v) = tag(key) {
            notes.push(format!("{label}: {v}"));
        }
    }
    aed.about.notes = (!notes.is_empty()).then(|| notes.join("; "));
    aed.about.flags = flags;
    aed
}

/// Only an operator that names the ambulance service is taken as certain.
fn managed_by_from_operator(operator: &str) -> ManagedBy {
    let o = operator.to_ascii_lowercase();
    if o == "emas" || o.contains("east midlands ambulance") {
        ManagedBy::Emas
    } else {
        ManagedBy::Unknown
    }
}

fn is_uk_postcode(s: &str) -> bool {
    Postcode::parse(s).is_ok_and(|p| p.level() != PostcodeLevel::Area)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(kv: &[(&str, &str)]) -> BTreeMap<String, String> {
        kv.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn aed(kv: &[(&str, &str)]) -> Aed {
        aed_from_osm_tags("osm-node-1".into(), "osm:node/1".into(), None, &tags(kv))
    }

    #[test]
    fn access_classes() {
        let a = |acc: &str, oh: &str| aed(&[("access", acc), ("opening_hours", oh)]).access;
        assert_eq!(a("yes", "24/7"), AccessClass::Public247);
        assert_eq!(a("permissive", "24/7"), AccessClass::Public247);
        assert_eq!(a("public", "Mo-Fr 08:00-18:00"), AccessClass::PublicLimited);
        assert_eq!(aed(&[("access", "yes")]).access, AccessClass::PublicLimited);
        assert_eq!(a("customers", "24/7"), AccessClass::Restricted);
        assert_eq!(a("private", "24/7"), AccessClass::Restricted);
        assert_eq!(a("no", "24/7"), AccessClass::Restricted);
        assert_eq!(
            aed(&[("opening_hours", "24/7")]).access,
            AccessClass::Unknown
        );
        let pub_ = aed(&[("access", "PUB"), ("opening_hours", "24/7")]);
        assert_eq!(pub_.access, AccessClass::Unknown);
        assert_eq!(pub_.about.flags, ["access=PUB"]);
    }

    #[test]
    fn other_tags() {
        let a = aed(&[
            ("indoor", "wall"),
            ("locked", "no"),
            ("ref:GB:the_circuit", "abc-123"),
            ("check_date", "2024-03-01"),
            ("operator", "East Midlands Ambulance Service"),
            ("defibrillator:location", "outside; left of door"),
            ("addr:postcode", "le12 7ab"),
            ("opening_hours", "Mo-Sa 8:00-22:00 nonsense"),
        ]);
        assert_eq!(a.indoor, None);
        assert_eq!(a.locked, Some(false));
        assert_eq!(a.about.circuit_id.as_deref(), Some("abc-123"));
        assert_eq!(a.last_checked, NaiveDate::from_ymd_opt(2024, 3, 1));
        assert_eq!(a.managed_by, ManagedBy::Emas);
        assert_eq!(a.about.postcode, "le12 7ab");
        assert_eq!(a.about.flags, ["opening_hours=unparsed", "indoor=wall"]);
        assert_eq!(
            a.about.notes.as_deref(),
            Some("location: outside; left of door; operator: East Midlands Ambulance Service")
        );
        let b = aed(&[
            ("operator", "Gemeinde Zug"),
            ("addr:postcode", "6300"),
            ("addr:city", "Zug"),
            ("check_date", "2023-05"),
        ]);
        assert_eq!(b.managed_by, ManagedBy::Unknown);
        assert_eq!(b.about.postcode, "");
        assert_eq!(b.about.address, "Zug, 6300");
        assert_eq!(b.about.flags, ["check_date=2023-05"]);
    }

    #[test]
    fn positions_checked() {
        assert!(wgs84_location(7.4, 46.9).is_ok());
        assert!(wgs84_location(0.0, 0.0).is_err());
        assert!(wgs84_location(200.0, 46.9).is_err());
        assert!(wgs84_location(f64::NAN, 46.9).is_err());
    }
}
