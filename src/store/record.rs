//! The JSON form of registry rows: what an editor sends, what the audit log keeps.
//!
//! [`AedRecord`] and [`GuardianRecord`] are flat, serde-friendly mirrors of
//! [`crate::registry::Aed`] and [`crate::registry::Guardian`]. Turning a record into the model
//! validates every field and names the first bad one in a [`FieldError`].

use crate::registry::{
    Aed, Coord, Description, Details, Guardian, Location, LocationSource, ManagedBy, Status,
};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// A field that failed validation: which one, and why.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct FieldError {
    pub field: String,
    pub reason: String,
}

impl FieldError {
    pub fn new(field: &str, reason: impl Into<String>) -> Self {
        FieldError {
            field: field.to_string(),
            reason: reason.into(),
        }
    }
}

/// Longest accepted free-text value, in bytes.
const MAX_TEXT: usize = 1000;

/// An AED as JSON. Position is either `lon`/`lat` (WGS84 degrees) or
/// `easting_m`/`northing_m` (EPSG:27700 metres), or absent.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AedRecord {
    #[serde(default)]
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub postcode: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lon: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lat: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub easting_m: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub northing_m: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location_source: Option<String>,
    #[serde(default)]
    pub access: String,
    #[serde(default)]
    pub opening_hours: Option<String>,
    #[serde(default)]
    pub indoor: Option<bool>,
    #[serde(default)]
    pub locked: Option<bool>,
    #[serde(default)]
    pub managed_by: String,
    #[serde(default)]
    pub circuit_id: Option<String>,
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub serial: Option<String>,
    #[serde(default)]
    pub pads_expiry: Option<String>,
    #[serde(default)]
    pub battery_expiry: Option<String>,
    #[serde(default)]
    pub last_checked: Option<String>,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub guardian_id: Option<String>,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub flags: Vec<String>,
    #[serde(default)]
    pub notes: Option<String>,
}

/// A guardian as JSON (personal data: protected routes only).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuardianRecord {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub organisation: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
}

impl From<&Aed> for AedRecord {
    fn from(a: &Aed) -> Self {
        let (mut lon, mut lat, mut easting_m, mut northing_m) = (None, None, None, None);
        let mut location_source = None;
        if let Some(loc) = &a.location {
            match loc.coord {
                Coord::Wgs84 { lon: x, lat: y } => (lon, lat) = (Some(x), Some(y)),
                Coord::Bng {
                    easting_m: e,
                    northing_m: n,
                } => (easting_m, northing_m) = (Some(e), Some(n)),
            }
            location_source = Some(loc.source.as_str().to_string());
        }
        let date = |d: Option<NaiveDate>| d.map(|d| d.to_string());
        AedRecord {
            id: String::from(&a.id),
            name: a.about.name.clone(),
            address: a.about.address.clone(),
            postcode: a.about.postcode.clone(),
            lon,
            lat,
            easting_m,
            northing_m,
            location_source,
            access: a.access.as_str().to_string(),
            opening_hours: a.opening_hours.clone(),
            indoor: a.indoor,
            locked: a.locked,
            managed_by: a.managed_by.as_str().to_string(),
            circuit_id: a.about.circuit_id.clone(),
            model: a.about.model.clone(),
            serial: a.about.serial.clone(),
            pads_expiry: date(a.pads_expiry),
            battery_expiry: date(a.battery_expiry),
            last_checked: date(a.last_checked),
            status: a.status.as_str().to_string(),
            guardian_id: a.guardian_id.clone(),
            source: a.about.source.clone(),
            flags: a.about.flags.clone(),
            notes: a.about.notes.clone(),
        }
    }
}

impl From<crate::registry::validate::Invalid> for FieldError {
    fn from(e: crate::registry::validate::Invalid) -> Self {
        FieldError {
            reason: format!("{} ({:?})", e.reason, e.value),
            field: e.column,
        }
    }
}

/// A registry id, by the registry's one rule ([`crate::registry::validate::check_id`]).
pub fn validate_id(field: &str, id: &str) -> Result<(), FieldError> {
    crate::registry::validate::check_id(field, id).map_err(FieldError::from)
}

fn text(field: &str, v: &str) -> Result<(), FieldError> {
    if v.len() > MAX_TEXT {
        return Err(FieldError::new(
            field,
            format!("longer than {MAX_TEXT} bytes"),
        ));
    }
    if v.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(FieldError::new(field, "contains control characters"));
    }
    Ok(())
}

fn opt_text(field: &str, v: &Option<String>) -> Result<Option<String>, FieldError> {
    match v {
        Some(s) if s.trim().is_empty() => Ok(None),
        Some(s) => text(field, s).map(|_| Some(s.trim().to_string())),
        None => Ok(None),
    }
}

/// Parses a date `YYYY-MM-DD` by the registry's one rule
/// ([`crate::registry::validate::parse_date`]), naming `field` on failure.
pub fn parse_date(field: &str, v: &Option<String>) -> Result<Option<NaiveDate>, FieldError> {
    match v.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => crate::registry::validate::parse_date(s)
            .map(Some)
            .map_err(|reason| FieldError::new(field, format!("{reason} ({s:?})"))),
    }
}

fn parse_enum<T: std::str::FromStr<Err = String>>(field: &str, v: &str) -> Result<T, FieldError> {
    v.parse::<T>()
        .map_err(|e| FieldError::new(field, format!("{e} (got {v:?})")))
}

/// Checks that an OSM `opening_hours` value can be evaluated.
pub fn validate_opening_hours(v: &str) -> Result<(), FieldError> {
    v.parse::<opening_hours::OpeningHours>()
        .map(|_| ())
        .map_err(|e| {
            FieldError::new(
                "opening_hours",
                format!("not OSM opening_hours syntax ({v:?}): {e}"),
            )
        })
}

impl AedRecord {
    /// Validates and converts to the model by the same rules as a row of `aeds.csv`
    /// ([`crate::registry::validate::check_aed`], checks on `today`). The first bad field
    /// is named.
    pub fn to_aed(&self) -> Result<Aed, FieldError> {
        let aed = self.fields_to_aed()?;
        let today = chrono::Utc::now().date_naive();
        if let Some(e) = crate::registry::validate::check_aed(&aed, today)
            .into_iter()
            .next()
        {
            let mut e = FieldError::from(e);
            if e.field == "easting" {
                e.field = "easting_m".into();
            }
            return Err(e);
        }
        Ok(aed)
    }

    fn fields_to_aed(&self) -> Result<Aed, FieldError> {
        validate_id("id", &self.id)?;
        if self.name.trim().is_empty() {
            return Err(FieldError::new("name", "must not be empty"));
        }
        text("name", &self.name)?;
        text("address", &self.address)?;
        text("postcode", &self.postcode)?;
        let location = self.location()?;
        let opening_hours = opt_text("opening_hours", &self.opening_hours)?;
        if let Some(oh) = &opening_hours {
            validate_opening_hours(oh)?;
        }
        if let Some(g) = &self.guardian_id {
            validate_id("guardian_id", g)?;
        }
        for (i, f) in self.flags.iter().enumerate() {
            text(&format!("flags[{i}]"), f)?;
        }
        // Each field is checked in the record's order, so the first bad one is named.
        let access = parse_enum("access", &self.access)?;
        let managed_by = parse_enum::<ManagedBy>("managed_by", &self.managed_by)?;
        let circuit_id = opt_text("circuit_id", &self.circuit_id)?;
        let model = opt_text("model", &self.model)?;
        let serial = opt_text("serial", &self.serial)?;
        let pads_expiry = parse_date("pads_expiry", &self.pads_expiry)?;
        let battery_expiry = parse_date("battery_expiry", &self.battery_expiry)?;
        let last_checked = parse_date("last_checked", &self.last_checked)?;
        let status = parse_enum::<Status>("status", &self.status)?;
        let about = Description {
            name: self.name.trim().to_string(),
            address: self.address.trim().to_string(),
            postcode: self.postcode.trim().to_string(),
            circuit_id,
            model,
            serial,
            source: opt_text("source", &self.source)?,
            flags: self.flags.clone(),
            notes: opt_text("notes", &self.notes)?,
        };
        Ok(Aed {
            id: self.id.as_str().into(),
            location,
            access,
            opening_hours,
            indoor: self.indoor,
            locked: self.locked,
            managed_by,
            pads_expiry,
            battery_expiry,
            last_checked,
            status,
            guardian_id: self.guardian_id.clone().filter(|g| !g.is_empty()),
            about: Details::new(about),
        })
    }

    fn location(&self) -> Result<Option<Location>, FieldError> {
        let source = match &self.location_source {
            Some(s) => parse_enum::<LocationSource>("location_source", s)?,
            None => LocationSource::Source,
        };
        let finite = |field: &str, v: f64| {
            if v.is_finite() {
                Ok(v)
            } else {
                Err(FieldError::new(field, "not a finite number"))
            }
        };
        let coord = match (self.lon, self.lat, self.easting_m, self.northing_m) {
            (None, None, None, None) => return Ok(None),
            (Some(lon), Some(lat), None, None) => {
                let (lon, lat) = (finite("lon", lon)?, finite("lat", lat)?);
                if !(-180.0..=180.0).contains(&lon) {
                    return Err(FieldError::new("lon", format!("outside -180..180 ({lon})")));
                }
                if !(-90.0..=90.0).contains(&lat) {
                    return Err(FieldError::new("lat", format!("outside -90..90 ({lat})")));
                }
                Coord::Wgs84 { lon, lat }
            }
            (None, None, Some(e), Some(n)) => {
                let (e, n) = (finite("easting_m", e)?, finite("northing_m", n)?);
                if !(0.0..=700_000.0).contains(&e) {
                    return Err(FieldError::new(
                        "easting_m",
                        format!("outside British National Grid 0..700000 ({e})"),
                    ));
                }
                if !(0.0..=1_300_000.0).contains(&n) {
                    return Err(FieldError::new(
                        "northing_m",
                        format!("outside British National Grid 0..1300000 ({n})"),
                    ));
                }
                Coord::Bng {
                    easting_m: e,
                    northing_m: n,
                }
            }
            (Some(_), None, _, _) => return Err(FieldError::new("lat", "lon given without lat")),
            (None, Some(_), _, _) => return Err(FieldError::new("lon", "lat given without lon")),
            (Some(_), Some(_), _, _) => {
                return Err(FieldError::new(
                    "easting_m",
                    "give lon/lat or easting_m/northing_m, not both",
                ));
            }
            (None, None, Some(_), None) => {
                return Err(FieldError::new(
                    "northing_m",
                    "easting_m given without northing_m",
                ));
            }
            (None, None, None, Some(_)) => {
                return Err(FieldError::new(
                    "easting_m",
                    "northing_m given without easting_m",
                ));
            }
        };
        Ok(Some(Location { coord, source }))
    }
}

impl From<&Guardian> for GuardianRecord {
    fn from(g: &Guardian) -> Self {
        GuardianRecord {
            id: g.id.clone(),
            name: g.name.clone(),
            organisation: g.organisation.clone(),
            email: g.email.clone(),
            phone: g.phone.clone(),
        }
    }
}

impl GuardianRecord {
    /// Validates and converts to the model.
    pub fn to_guardian(&self) -> Result<Guardian, FieldError> {
        validate_id("id", &self.id)?;
        if self.name.trim().is_empty() {
            return Err(FieldError::new("name", "must not be empty"));
        }
        text("name", &self.name)?;
        let email = opt_text("email", &self.email)?;
        if let Some(e) = &email
            && (!e.contains('@') || e.contains(char::is_whitespace))
        {
            return Err(FieldError::new(
                "email",
                format!("not an email address ({e:?})"),
            ));
        }
        let phone = opt_text("phone", &self.phone)?;
        if let Some(p) = &phone
            && !p.chars().all(|c| c.is_ascii_digit() || " +()-".contains(c))
        {
            return Err(FieldError::new(
                "phone",
                format!("not a phone number ({p:?})"),
            ));
        }
        Ok(Guardian {
            id: self.id.clone(),
            name: self.name.trim().to_string(),
            organisation: opt_text("organisation", &self.organisation)?,
            email,
            phone,
        })
    }
}

/// All AEDs and guardians as JSON records, e.g. for a seed file.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SeedFile {
    #[serde(default)]
    pub aeds: Vec<AedRecord>,
    #[serde(default)]
    pub guardians: Vec<GuardianRecord>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::AccessClass;

    fn rec() -> AedRecord {
        AedRecord {
            id: "T1".into(),
            name: "Village hall".into(),
            lon: Some(-1.2),
            lat: Some(52.6),
            access: "public_24_7".into(),
            status: "ready".into(),
            pads_expiry: Some("2030-01-31".into()),
            ..Default::default()
        }
    }

    #[test]
    fn round_trips_through_the_model() {
        let aed = rec().to_aed().unwrap();
        assert_eq!(aed.access, AccessClass::Public247);
        assert_eq!(AedRecord::from(&aed).to_aed().unwrap(), aed);
    }

    #[test]
    fn names_the_bad_field() {
        let mut r = rec();
        r.pads_expiry = Some("31/02/2024".into());
        assert_eq!(r.to_aed().unwrap_err().field, "pads_expiry");
        let mut r = rec();
        r.lat = None;
        assert_eq!(r.to_aed().unwrap_err().field, "lat");
        let mut r = rec();
        r.access = "sometimes".into();
        assert_eq!(r.to_aed().unwrap_err().field, "access");
        let mut r = rec();
        r.opening_hours = Some("whenever".into());
        assert_eq!(r.to_aed().unwrap_err().field, "opening_hours");
        let mut r = rec();
        r.id = "a b".into();
        assert_eq!(r.to_aed().unwrap_err().field, "id");
        // With several bad fields, the first in the record's order is named.
        let mut r = rec();
        r.access = "sometimes".into();
        r.status = "broken".into();
        r.notes = Some("a\u{0}b".into());
        assert_eq!(r.to_aed().unwrap_err().field, "access");
        r.access = "public_24_7".into();
        r.model = Some("a\u{0}b".into());
        assert_eq!(r.to_aed().unwrap_err().field, "model");
        r.model = None;
        assert_eq!(r.to_aed().unwrap_err().field, "status");
    }

    /// The same rules as the CSV reader, with the same messages.
    #[test]
    fn refuses_what_the_csv_reader_refuses() {
        type Edit = fn(&mut AedRecord);
        let cases: [(&str, Edit); 7] = [
            ("pads_expiry", |r| {
                r.pads_expiry = Some("-2025-01-01".into())
            }),
            ("battery_expiry", |r| {
                r.battery_expiry = Some("+99999-01-01".into())
            }),
            ("last_checked", |r| {
                r.last_checked = Some("9999-12-31".into())
            }),
            ("id", |r| r.id = "a/b".into()),
            ("id", |r| r.id = "..".into()),
            ("lon", |r| (r.lon, r.lat) = (Some(0.0), Some(0.0))),
            ("easting_m", |r| {
                (r.lon, r.lat, r.easting_m, r.northing_m) = (None, None, Some(0.0), Some(0.0))
            }),
        ];
        for (field, edit) in cases {
            let mut r = rec();
            edit(&mut r);
            let e = r.to_aed().unwrap_err();
            assert_eq!(e.field, field, "{e}");
            // The CSV reader's row with the same value names the same reason.
            let csv = format!(
                "id,name,lon,lat,easting,northing,pads_expiry,battery_expiry,last_checked\n{},{},{},{},{},{},{},{},{}\n",
                r.id,
                r.name,
                r.lon.map(|x| x.to_string()).unwrap_or_default(),
                r.lat.map(|x| x.to_string()).unwrap_or_default(),
                r.easting_m.map(|x| x.to_string()).unwrap_or_default(),
                r.northing_m.map(|x| x.to_string()).unwrap_or_default(),
                r.pads_expiry.clone().unwrap_or_default(),
                r.battery_expiry.clone().unwrap_or_default(),
                r.last_checked.clone().unwrap_or_default(),
            );
            let f = crate::registry::read_aeds_from_reader(
                "t.csv",
                csv.as_bytes(),
                crate::registry::ReadOptions::default(),
            )
            .unwrap();
            assert!(f.aeds.is_empty(), "{field}: the CSV reader took it");
            let row = f.errors[0].to_string();
            assert!(row.ends_with(&e.reason), "{row} vs {e}");
        }
    }
}
