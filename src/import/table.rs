//! Council and registry CSVs with one AED per row and WGS84 latitude/longitude (or BNG
//! easting/northing) columns, e.g. Trafford's
//! `Location,Address1,Address2,Address3,Postcode,Notes,Latitude,Longitude`.
//!
//! Columns are found by header name, ignoring case, spaces and punctuation: name
//! (`Location`, `Name`, `Site`…), address (`Address*`, `Street`, `Town`, `City`… joined in
//! file order), `Postcode`, notes (`Notes`, `Description`, `Comments`), `Latitude`/`Lat`,
//! `Longitude`/`Lon`/`Lng`, `Easting`/`Northing`, and optionally `Access` and
//! `Opening hours` (mapped like the OSM tags). `NA`, `N/A` and `-` read as empty.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use super::{ImportError, ImportReport, aed_from_osm_tags, wgs84_location};
use crate::csvhead::Headers;
use crate::registry::{Aed, Coord, Location, LocationSource};

#[derive(Debug, Default)]
struct Columns {
    id: Option<usize>,
    name: Option<usize>,
    address: Vec<usize>,
    postcode: Option<usize>,
    notes: Option<usize>,
    lat: Option<usize>,
    lon: Option<usize>,
    easting: Option<usize>,
    northing: Option<usize>,
    access: Option<usize>,
    opening_hours: Option<usize>,
}

/// Council headers vary in punctuation (`Site Name`, `site_name`, `SiteName`), so on top of
/// the shared [`crate::csvhead`] rule the aliases below ignore everything but letters and
/// digits.
fn squash(h: &str) -> String {
    h.chars().filter(char::is_ascii_alphanumeric).collect()
}

impl Columns {
    fn from_header(header: &Headers) -> Columns {
        let mut c = Columns::default();
        for (i, h) in header.names().iter().enumerate() {
            let h = squash(h);
            let slot = match h.as_str() {
                "id" | "ref" | "reference" | "aedid" => &mut c.id,
                "location" | "name" | "site" | "sitename" | "venue" | "building" => &mut c.name,
                "postcode" | "postalcode" | "zip" | "zipcode" => &mut c.postcode,
                "notes" | "note" | "description" | "comments" | "comment" => &mut c.notes,
                "latitude" | "lat" => &mut c.lat,
                "longitude" | "lon" | "lng" | "long" => &mut c.lon,
                "easting" | "eastings" => &mut c.easting,
                "northing" | "northings" => &mut c.northing,
                "access" => &mut c.access,
                "openinghours" | "hours" => &mut c.opening_hours,
                _ => {
                    if h.starts_with("address")
                        || matches!(h.as_str(), "street" | "town" | "city" | "locality")
                    {
                        c.address.push(i);
                    }
                    continue;
                }
            };
            slot.get_or_insert(i);
        }
        c
    }
}

fn value(record: &csv::StringRecord, col: Option<usize>) -> Option<&str> {
    let v = record.get(col?)?.trim();
    match v {
        "" | "NA" | "N/A" | "n/a" | "-" => None,
        _ => Some(v),
    }
}

/// Import a council CSV file.
pub fn import_table(path: impl AsRef<Path>) -> Result<(Vec<Aed>, ImportReport), ImportError> {
    let path = path.as_ref();
    let bytes = crate::input::read(path).map_err(|source| ImportError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let stem = path
        .file_stem()
        .map_or("table".into(), |s| s.to_string_lossy().into_owned());
    import_table_from_bytes(&bytes, &path.display().to_string(), &stem)
}

/// Import a council CSV from a reader; `name` stands for the file in messages and `stem`
/// starts the ids (`<stem>-<line>`, the line a text editor shows, CRLF or not, when the
/// file has no id column).
pub fn import_table_from_reader<R: Read>(
    mut reader: R,
    name: &str,
    stem: &str,
) -> Result<(Vec<Aed>, ImportReport), ImportError> {
    let bytes = super::read_all(name, &mut reader)?;
    import_table_from_bytes(&bytes, name, stem)
}

fn import_table_from_bytes(
    bytes: &[u8],
    name: &str,
    stem: &str,
) -> Result<(Vec<Aed>, ImportReport), ImportError> {
    let csv_err = |source| ImportError::Csv {
        path: name.into(),
        source,
    };
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let mut lines = crate::input::RecordLines::new(bytes);
    let header = Headers::new(rdr.headers().map_err(csv_err)?);
    let cols = Columns::from_header(&header);
    let has_wgs84 = cols.lat.is_some() && cols.lon.is_some();
    let has_bng = cols.easting.is_some() && cols.northing.is_some();
    if !has_wgs84 && !has_bng && cols.postcode.is_none() {
        return Err(ImportError::Format {
            path: name.into(),
            reason: format!(
                "no latitude/longitude, easting/northing or postcode column in the header ({})",
                header.joined()
            ),
        });
    }
    // A generic CSV cannot know its own licence: the study declares it.
    let mut report = ImportReport::new(name, crate::sources::Source::undeclared(stem));
    let mut aeds = Vec::new();
    // Ids name AEDs in every output (GeoJSON feature ids, criticality by id): one each.
    let mut seen = std::collections::HashSet::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| match lines.problem(&e) {
            Some((line, reason)) => ImportError::Record {
                path: name.into(),
                line,
                reason,
            },
            None => csv_err(e),
        })?;
        let line = lines.at(rec.position()).unwrap_or(0);
        report.read += 1;
        match row_to_aed(&rec, &cols, name, stem, line) {
            Ok(aed) if !seen.insert(aed.id.clone()) => {
                report.reject(format!(
                    "{name}:{line}: {}: duplicate of an earlier record",
                    aed.id
                ));
            }
            Ok(aed) => {
                report.accept(&aed);
                aeds.push(aed);
            }
            Err(reason) => report.reject(reason),
        }
    }
    Ok((aeds, report))
}

fn parse_num(name: &str, line: u64, header: &str, v: &str) -> Result<f64, String> {
    v.parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
        .ok_or_else(|| format!("{name}:{line}: {header}: not a number ({v})"))
}

fn row_to_aed(
    rec: &csv::StringRecord,
    cols: &Columns,
    name: &str,
    stem: &str,
    line: u64,
) -> Result<Aed, String> {
    let pair = |a: Option<usize>, b: Option<usize>, an: &str, bn: &str| match (
        value(rec, a),
        value(rec, b),
    ) {
        (None, None) => Ok(None),
        (Some(x), Some(y)) => Ok(Some((
            parse_num(name, line, an, x)?,
            parse_num(name, line, bn, y)?,
        ))),
        (Some(_), None) => Err(format!("{name}:{line}: {an} given without {bn}")),
        (None, Some(_)) => Err(format!("{name}:{line}: {bn} given without {an}")),
    };
    let location = match pair(cols.lat, cols.lon, "latitude", "longitude")? {
        Some((lat, lon)) => {
            Some(wgs84_location(lon, lat).map_err(|e| format!("{name}:{line}: {e}"))?)
        }
        None => match pair(cols.easting, cols.northing, "easting", "northing")? {
            Some((e, n)) => {
                if !(0.0..=700_000.0).contains(&e) || !(0.0..=1_300_000.0).contains(&n) {
                    return Err(format!(
                        "{name}:{line}: easting/northing outside British National Grid ({e}, {n})"
                    ));
                }
                Some(Location {
                    coord: Coord::Bng {
                        easting_m: e,
                        northing_m: n,
                    },
                    source: LocationSource::Source,
                })
            }
            None => None,
        },
    };
    let mut tags = BTreeMap::new();
    for (key, col) in [
        ("access", cols.access),
        ("opening_hours", cols.opening_hours),
    ] {
        if let Some(v) = value(rec, col) {
            tags.insert(key.to_string(), v.to_string());
        }
    }
    let id = match value(rec, cols.id) {
        Some(v) => format!("{stem}-{v}"),
        None => format!("{stem}-{line:05}"),
    };
    let mut aed = aed_from_osm_tags(id, format!("{name}:{line}"), location, &tags);
    aed.about.name = value(rec, cols.name).unwrap_or_default().to_string();
    aed.about.address = cols
        .address
        .iter()
        .filter_map(|&i| value(rec, Some(i)))
        .collect::<Vec<_>>()
        .join(", ");
    aed.about.postcode = value(rec, cols.postcode).unwrap_or_default().to_string();
    aed.about.notes = value(rec, cols.notes).map(str::to_string);
    Ok(aed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::AccessClass;

    /// The same with LF and with CRLF line ends (as spreadsheets save CSV): ids and messages
    /// name the line a text editor shows.
    #[test]
    fn trafford_shape() {
        let csv = "Location,Address1,Address2,Address3,Postcode,Notes,Latitude,Longitude\n\
                   Acre Hall,Irlam Road,Flixton,Manchester,M41 6NA,Scheme: 999,53.448269,-2.393184\n\
                   No Position,Road,NA,NA,M33 5NW,NA,NA,NA\n\
                   Bad,Road,,,M33 5NW,,53.4x,-2.3\n\
                   Half,Road,,,M33 5NW,,53.4,\n";
        trafford_shape_from(csv);
        trafford_shape_from(&csv.replace('\n', "\r\n"));
    }

    fn trafford_shape_from(csv: &str) {
        let (aeds, rep) = import_table_from_reader(csv.as_bytes(), "t.csv", "t").unwrap();
        assert_eq!((rep.read, rep.imported), (4, 2), "{rep}");
        assert_eq!(rep.without_position, 1);
        assert_eq!(
            rep.rejected,
            [
                "t.csv:4: latitude: not a number (53.4x)",
                "t.csv:5: latitude given without longitude"
            ]
        );
        let a = &aeds[0];
        assert_eq!(a.id, "t-00002");
        assert_eq!(a.about.name, "Acre Hall");
        assert_eq!(a.about.address, "Irlam Road, Flixton, Manchester");
        assert_eq!(a.about.postcode, "M41 6NA");
        assert_eq!(a.about.notes.as_deref(), Some("Scheme: 999"));
        assert_eq!(a.access, AccessClass::Unknown);
        assert_eq!(
            a.location.unwrap().coord,
            Coord::Wgs84 {
                lon: -2.393184,
                lat: 53.448269
            }
        );
        assert_eq!(aeds[1].about.address, "Road");
        assert!(aeds[1].location.is_none());
    }

    #[test]
    fn bng_columns_and_access() {
        let csv = "Site Name,Post Code,Easting,Northing,Access,Opening Hours\n\
                   Hall,LE12 7AB,455000,318000,yes,24/7\n";
        let (aeds, rep) = import_table_from_reader(csv.as_bytes(), "b.csv", "b").unwrap();
        assert_eq!(rep.imported, 1);
        assert_eq!(aeds[0].access, AccessClass::Public247);
        assert_eq!(
            aeds[0].location.unwrap().coord,
            Coord::Bng {
                easting_m: 455000.0,
                northing_m: 318000.0
            }
        );
        let latin1 = b"Name,Latitude,Longitude\r\nHall,52.6,-1.1\r\nCaf\xe9,52.6,-1.1\r\n";
        let err = import_table_from_reader(&latin1[..], "l.csv", "l").unwrap_err();
        assert_eq!(err.to_string(), "l.csv:3: field 1 is not UTF-8 text");
        let err = import_table_from_reader("a,b\n1,2\n".as_bytes(), "x.csv", "x").unwrap_err();
        assert!(
            err.to_string().starts_with("x.csv: no latitude/longitude"),
            "{err}"
        );
    }

    /// A repeated ref, and a ref equal to the id another row gets from its line: the later
    /// record is rejected, named, and the first kept.
    #[test]
    fn a_repeated_id_is_rejected() {
        let csv = "ref,name,lat,lon\n7,Hall,52.60,-0.70\n7,Church,52.70,-0.60\n\
                   00005,Shop,52.5,-0.5\n,School,52.4,-0.4\n";
        let (aeds, rep) = import_table_from_reader(csv.as_bytes(), "t.csv", "t").unwrap();
        let kept: Vec<(&str, &str)> = aeds
            .iter()
            .map(|a| (&a.id[..], &a.about.name[..]))
            .collect();
        assert_eq!(kept, [("t-7", "Hall"), ("t-00005", "Shop")]);
        assert_eq!(
            rep.rejected,
            [
                "t.csv:3: t-7: duplicate of an earlier record",
                "t.csv:5: t-00005: duplicate of an earlier record"
            ]
        );
    }
}
