//! The Circuit (BHF Defib Finder) extract that UK coordinators receive: one AED per row,
//! WGS84 `lat`/`long`.
//!
//! Columns read (found by name, ignoring a UTF-8 byte-order mark, case and whitespace):
//! `unique_identifier`, `location_name`, `address_line1`–`address_line3`, `address_city`,
//! `address_post_code`, `defibrillators_availability` (`24/7 Access`, `Varied Access`),
//! `defibrillators_access_type` (`Public`, `Restricted`), `lat`, `long`. The area columns
//! (`address_county`, `ladnm`, `lsoa21`, `lsoa21nm`, `country`, `county`) are not used:
//! areas are recomputed from the position.
//!
//! The data are not open: the report's [`Source`] is [`Source::bhf_circuit`], which is not
//! publishable.

use std::collections::HashSet;
use std::io::Read;
use std::path::Path;

use super::{ImportError, ImportReport, flag, wgs84_location};
use crate::geography::{Postcode, PostcodeLevel};
use crate::registry::{AccessClass, Aed, Description, Details};
use crate::sources::Source;

/// Rough extent of the UK with its islands, WGS84 degrees: catches swapped `lat`/`long`.
const UK_LAT: std::ops::RangeInclusive<f64> = 49.0..=61.0;
const UK_LON: std::ops::RangeInclusive<f64> = -11.0..=2.5;

#[derive(Debug)]
struct Columns {
    id: usize,
    name: usize,
    address: Vec<usize>,
    postcode: usize,
    availability: usize,
    access_type: usize,
    lat: usize,
    lon: usize,
}

/// A header or coded value as compared: no byte-order mark, no whitespace, lower case.
fn header_key(h: &str) -> String {
    h.trim_start_matches('\u{feff}')
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

impl Columns {
    fn from_header(header: &csv::StringRecord) -> Result<Columns, String> {
        let keys: Vec<String> = header.iter().map(header_key).collect();
        let find = |name: &str| keys.iter().position(|k| k == name);
        let mut missing = Vec::new();
        let mut need = |name: &'static str| {
            find(name).unwrap_or_else(|| {
                missing.push(name);
                0
            })
        };
        let cols = Columns {
            id: need("unique_identifier"),
            name: need("location_name"),
            postcode: need("address_post_code"),
            availability: need("defibrillators_availability"),
            access_type: need("defibrillators_access_type"),
            lat: need("lat"),
            lon: need("long"),
            address: [
                "address_line1",
                "address_line2",
                "address_line3",
                "address_city",
            ]
            .into_iter()
            .filter_map(find)
            .collect(),
        };
        if missing.is_empty() {
            Ok(cols)
        } else {
            Err(format!(
                "not a Circuit extract: no {} column in the header ({})",
                missing.join(", "),
                header.iter().collect::<Vec<_>>().join(",")
            ))
        }
    }
}

fn value(rec: &csv::StringRecord, col: usize) -> &str {
    rec.get(col).map_or("", str::trim)
}

/// Import a Circuit extract file.
pub fn import_circuit(path: impl AsRef<Path>) -> Result<(Vec<Aed>, ImportReport), ImportError> {
    let path = path.as_ref();
    let file = crate::input::open(path).map_err(|source| ImportError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    import_circuit_from_reader(file, &path.display().to_string())
}

/// Import a Circuit extract from a reader; `name` stands for the file in messages.
pub fn import_circuit_from_reader<R: Read>(
    mut reader: R,
    name: &str,
) -> Result<(Vec<Aed>, ImportReport), ImportError> {
    let bytes = super::read_all(name, &mut reader)?;
    let csv_err = |source| ImportError::Csv {
        path: name.into(),
        source,
    };
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(bytes.as_slice());
    let mut lines = crate::input::RecordLines::new(&bytes);
    let header = rdr.headers().map_err(csv_err)?.clone();
    let cols = Columns::from_header(&header).map_err(|reason| ImportError::Format {
        path: name.into(),
        reason,
    })?;
    let mut report = ImportReport::new(name, Source::bhf_circuit());
    let mut aeds = Vec::new();
    let mut seen = HashSet::new();
    for rec in rdr.records() {
        let rec = rec.map_err(csv_err)?;
        let line = lines.at(rec.position()).unwrap_or(0);
        report.read += 1;
        match row_to_aed(&rec, &cols, name, line) {
            Ok(aed) if !seen.insert(aed.id.clone()) => report.reject(format!(
                "{name}:{line}: unique_identifier: repeats an earlier row ({})",
                value(&rec, cols.id)
            )),
            Ok(aed) => {
                report.accept(&aed);
                aeds.push(aed);
            }
            Err(reason) => report.reject(reason),
        }
    }
    Ok((aeds, report))
}

/// A coordinate column as a number, or the `column: reason (value)` why not.
fn coordinate(
    rec: &csv::StringRecord,
    col: usize,
    column: &str,
    range: std::ops::RangeInclusive<f64>,
) -> Result<f64, String> {
    let v = value(rec, col);
    if v.is_empty() {
        return Err(format!("{column}: missing (empty)"));
    }
    let x = v
        .parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
        .ok_or_else(|| format!("{column}: not a number ({v})"))?;
    if range.contains(&x) {
        Ok(x)
    } else {
        Err(format!(
            "{column}: outside the UK, {}..{} ({v})",
            range.start(),
            range.end()
        ))
    }
}

fn row_to_aed(
    rec: &csv::StringRecord,
    cols: &Columns,
    name: &str,
    line: u64,
) -> Result<Aed, String> {
    let at = |e: String| format!("{name}:{line}: {e}");
    let uid = value(rec, cols.id);
    if uid.is_empty() {
        return Err(at("unique_identifier: missing (empty)".into()));
    }
    let lat = coordinate(rec, cols.lat, "lat", UK_LAT).map_err(at)?;
    let lon = coordinate(rec, cols.lon, "long", UK_LON).map_err(at)?;
    let location = wgs84_location(lon, lat).map_err(|e| at(format!("lat/long: {e}")))?;

    let mut flags = Vec::new();
    let availability = value(rec, cols.availability);
    let always = header_key(availability) == "24/7access";
    let varied = header_key(availability) == "variedaccess";
    if !(always || varied) {
        flags.push(flag("defibrillators_availability", availability));
    }
    let access_type = value(rec, cols.access_type);
    let access = match header_key(access_type).as_str() {
        "restricted" => AccessClass::Restricted,
        "public" if always => AccessClass::Public247,
        "public" if varied => AccessClass::PublicLimited,
        "public" => AccessClass::Unknown,
        _ => {
            flags.push(flag("defibrillators_access_type", access_type));
            AccessClass::Unknown
        }
    };

    let raw_postcode = value(rec, cols.postcode);
    let postcode = match Postcode::parse(raw_postcode) {
        Ok(p) if p.level() == PostcodeLevel::Unit => p.to_string(),
        _ => {
            flags.push(flag("address_post_code", raw_postcode));
            String::new()
        }
    };

    let about = Description {
        name: value(rec, cols.name).to_string(),
        address: cols
            .address
            .iter()
            .map(|&i| value(rec, i))
            .filter(|v| !v.is_empty())
            .collect::<Vec<_>>()
            .join(", "),
        postcode,
        circuit_id: Some(uid.to_string()),
        source: Some(format!("{name}:{line}")),
        flags,
        ..Default::default()
    };
    Ok(Aed {
        id: ecow::eco_format!("circuit:{uid}"),
        location: Some(location),
        access,
        opening_hours: always.then(|| "24/7".to_string()),
        about: Details::new(about),
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::Coord;

    const HEADER: &str = "unique_identifier,address_line1,address_line2,address_line3,address_city,address_county,address_post_code,ladnm,lsoa21,lsoa21nm,defibrillators_availability,defibrillators_access_type,lat,long,location_name,country,county";

    fn import(rows: &[&str]) -> (Vec<Aed>, ImportReport) {
        let text = format!("{HEADER}\n{}\n", rows.join("\n"));
        import_circuit_from_reader(text.as_bytes(), "c.csv").unwrap()
    }

    fn row(id: &str, avail: &str, access: &str, lat: &str, lon: &str, pc: &str) -> String {
        format!(
            "{id},1 Main Street,,,Testby,Leicestershire,{pc},Charnwood,E01000001,Charnwood 001A,{avail},{access},{lat},{lon},Test Hall {id},England,Leicestershire"
        )
    }

    #[test]
    fn access_mapping() {
        let rows = [
            row("a", "24/7 Access", "Public", "52.7", "-1.2", "LE11 3TU"),
            row("b", "Varied Access", "Public", "52.7", "-1.2", "LE11 3TU"),
            row("c", "24/7 Access", "Restricted", "52.7", "-1.2", "LE11 3TU"),
            row("d", "Sometimes", "Public", "52.7", "-1.2", "LE11 3TU"),
            row("e", "24/7 Access", "Members", "52.7", "-1.2", "LE11 3TU"),
            row("f", " 24/7 access ", "PUBLIC", "52.7", "-1.2", "LE11 3TU"),
        ];
        let (aeds, rep) = import(&rows.iter().map(String::as_str).collect::<Vec<_>>());
        let got: Vec<_> = aeds.iter().map(|a| a.access).collect();
        use AccessClass::*;
        assert_eq!(
            got,
            [
                Public247,
                PublicLimited,
                Restricted,
                Unknown,
                Unknown,
                Public247
            ]
        );
        assert_eq!(aeds[0].opening_hours.as_deref(), Some("24/7"));
        assert_eq!(aeds[1].opening_hours, None);
        assert_eq!(
            aeds[3].about.flags,
            ["defibrillators_availability=Sometimes"]
        );
        assert_eq!(aeds[4].about.flags, ["defibrillators_access_type=Members"]);
        assert_eq!(rep.count(Unknown), 2);
        assert_eq!(
            rep.flagged.get("defibrillators_availability=Sometimes"),
            Some(&1)
        );
    }

    #[test]
    fn record_fields() {
        let (aeds, rep) = import(&[&row(
            "X-1",
            "24/7 Access",
            "Public",
            "52.77",
            "-1.21",
            "le113tu",
        )]);
        assert_eq!(rep.source, Source::bhf_circuit());
        assert_eq!(rep.file, "c.csv");
        let a = &aeds[0];
        assert_eq!(a.id, "circuit:X-1");
        assert_eq!(a.about.circuit_id.as_deref(), Some("X-1"));
        assert_eq!(a.about.name, "Test Hall X-1");
        assert_eq!(a.about.address, "1 Main Street, Testby");
        assert_eq!(a.about.postcode, "LE11 3TU");
        assert_eq!(a.about.source.as_deref(), Some("c.csv:2"));
        assert!(a.about.flags.is_empty());
        let loc = a.location.unwrap();
        assert_eq!(loc.source, crate::registry::LocationSource::Source);
        assert_eq!(
            loc.coord,
            Coord::Wgs84 {
                lon: -1.21,
                lat: 52.77
            }
        );
    }

    #[test]
    fn bad_rows_named_and_counted() {
        let rows = [
            row("ok", "24/7 Access", "Public", "52.7", "-1.2", "LE11 3TU"),
            row("nolat", "24/7 Access", "Public", "", "-1.2", "LE11 3TU"),
            row(
                "badlon",
                "24/7 Access",
                "Public",
                "52.7",
                "west",
                "LE11 3TU",
            ),
            row(
                "swapped",
                "24/7 Access",
                "Public",
                "-1.2",
                "52.7",
                "LE11 3TU",
            ),
            row("badpc", "24/7 Access", "Public", "52.7", "-1.2", "LE99 ZZZ"),
            row("ok", "24/7 Access", "Public", "52.7", "-1.2", "LE11 3TU"),
            row("", "24/7 Access", "Public", "52.7", "-1.2", "LE11 3TU"),
            row("district", "24/7 Access", "Public", "52.7", "-1.2", "LE11"),
        ];
        let (aeds, rep) = import(&rows.iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!((rep.read, rep.imported), (8, 3), "{rep}");
        assert_eq!(
            rep.rejected,
            [
                "c.csv:3: lat: missing (empty)",
                "c.csv:4: long: not a number (west)",
                "c.csv:5: lat: outside the UK, 49..61 (-1.2)",
                "c.csv:7: unique_identifier: repeats an earlier row (ok)",
                "c.csv:8: unique_identifier: missing (empty)",
            ]
        );
        assert_eq!(aeds[1].about.postcode, "");
        assert_eq!(aeds[1].about.flags, ["address_post_code=LE99 ZZZ"]);
        assert_eq!(aeds[2].about.flags, ["address_post_code=LE11"]);
        assert_eq!(rep.flagged.len(), 2);
    }

    #[test]
    fn header_bom_case_whitespace_crlf() {
        let text = format!(
            "\u{feff}{}\r\n{}\r\n\r\n{}\r\n{}\r\n",
            HEADER
                .split(',')
                .map(|h| format!(" {} ", h.to_uppercase()))
                .collect::<Vec<_>>()
                .join(","),
            row("a", "24/7 Access", "Public", "52.7", "-1.2", "LE11 3TU"),
            row("b", "24/7 Access", "Public", "", "-1.2", "LE11 3TU"),
            row("c", "24/7 Access", "Public", "52.7", "-1.2", "LE11 3TU"),
        );
        let (aeds, rep) = import_circuit_from_reader(text.as_bytes(), "c.csv").unwrap();
        assert_eq!(rep.imported, 2, "{rep}");
        assert_eq!(aeds[0].about.name, "Test Hall a");
        assert_eq!(aeds[0].about.flags, Vec::<String>::new());
        // Line numbers count the blank line 3, as an editor would.
        assert_eq!(aeds[0].about.source.as_deref(), Some("c.csv:2"));
        assert_eq!(rep.rejected, ["c.csv:4: lat: missing (empty)"]);
        assert_eq!(aeds[1].about.source.as_deref(), Some("c.csv:5"));
    }

    #[test]
    fn wrong_file_is_an_error() {
        let err = import_circuit_from_reader("Location,Latitude,Longitude\n".as_bytes(), "t.csv")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("t.csv: not a Circuit extract: no unique_identifier, location_name"),
            "{err}"
        );
    }
}
