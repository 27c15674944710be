//! The registry's data model: defibrillators and, separately, their guardians.
//!
//! Guardian contact details are personal data. They live only in [`Guardian`]; an [`Aed`]
//! carries nothing but the guardian's id, so anything built from AEDs alone cannot leak a
//! name, email or phone number.

use chrono::NaiveDate;
use std::fmt;
use std::str::FromStr;

/// A position as the source gave it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Coord {
    /// lon/lat in WGS84 degrees (EPSG:4326).
    Wgs84 { lon: f64, lat: f64 },
    /// easting/northing in British National Grid metres (EPSG:27700).
    Bng { easting_m: f64, northing_m: f64 },
}

/// How a position was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LocationSource {
    /// Given by the source at the device (surveyed, mapped, or as published).
    Source,
    /// Taken from the centroid of the device's postcode unit (precision: a postcode).
    PostcodeCentroid,
    /// Unknown provenance.
    Unknown,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Location {
    pub coord: Coord,
    pub source: LocationSource,
}

/// Who may use the device, after the report's two groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AccessClass {
    /// Public, in a cabinet, available 24/7.
    Public247,
    /// Public, but only during opening hours.
    PublicLimited,
    /// Only for the premises (staff, customers): the report's group 2.
    Restricted,
    Unknown,
}

/// Who manages the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ManagedBy {
    Emas,
    Community,
    Business,
    Unknown,
}

/// Readiness status as last reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    Ready,
    NotReady,
    InUse,
    Retired,
    Unknown,
}

/// A public-access defibrillator: what the analysis reads, inline, and what describes the
/// device to people in [`Details`], held apart.
///
/// A national registry is read in full for every run, so the record stays small (128 bytes
/// on 64-bit targets): its name, address and other texts are boxed, and absent when a row
/// gives none. (A registry whose rows all have texts, as every importer's do with their
/// `source`, holds a box per device as well: about as much memory as the texts inline.)
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Aed {
    /// Held inline up to 15 bytes (`AED000001`, `trafford:17`), so reading a registry of
    /// such ids and copying them into the analysis allocate nothing per device; a longer id
    /// (`osm-node-12345678901`) is shared on the heap.
    pub id: ecow::EcoString,
    pub location: Option<Location>,
    pub access: AccessClass,
    /// OSM `opening_hours` syntax, e.g. `24/7` or `Mo-Fr 08:00-18:00`.
    pub opening_hours: Option<String>,
    pub indoor: Option<bool>,
    pub locked: Option<bool>,
    pub managed_by: ManagedBy,
    pub pads_expiry: Option<NaiveDate>,
    pub battery_expiry: Option<NaiveDate>,
    pub last_checked: Option<NaiveDate>,
    pub status: Status,
    pub guardian_id: Option<String>,
    /// The name, address, make and provenance: `aed.about.name` and so on.
    pub about: Details,
}

/// The texts that describe a device and where its record came from. The coverage scan reads
/// none of them; the postcode places a device without a position and counts it in its
/// district.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Description {
    pub name: String,
    pub address: String,
    /// The postcode as given (not necessarily valid); normalise with
    /// [`crate::geography::postcode::Postcode::parse`].
    pub postcode: String,
    /// The Circuit (national defibrillator network) id.
    pub circuit_id: Option<String>,
    pub model: Option<String>,
    pub serial: Option<String>,
    /// Where the record came from, e.g. `osm:node/123` or `trafford:17`.
    pub source: Option<String>,
    /// Raw values that could not be mapped, kept as `key=value` (e.g. `access=PUB`).
    pub flags: Vec<String>,
    pub notes: Option<String>,
}

impl Description {
    /// Every text empty: what a record without a description reads as.
    pub const EMPTY: Description = Description {
        name: String::new(),
        address: String::new(),
        postcode: String::new(),
        circuit_id: None,
        model: None,
        serial: None,
        source: None,
        flags: Vec::new(),
        notes: None,
    };

    /// Whether every text is empty (field by field: cheaper than comparing with
    /// [`Description::EMPTY`], which calls `memcmp` for each empty string).
    pub fn is_empty(&self) -> bool {
        let Description {
            name,
            address,
            postcode,
            circuit_id,
            model,
            serial,
            source,
            flags,
            notes,
        } = self;
        let texts = [circuit_id, model, serial, source, notes];
        [name, address, postcode].iter().all(|t| t.is_empty())
            && texts.iter().all(|t| t.is_none())
            && flags.is_empty()
    }
}

/// A [`Description`], boxed once it is borrowed mutably (`aed.about.name = …`): it reads as
/// [`Description::EMPTY`] until then. Two `Details` are equal, and show alike in `Debug`,
/// when their descriptions are, boxed or not.
#[derive(Clone, Default)]
pub struct Details(Option<Box<Description>>);

impl fmt::Debug for Details {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl Details {
    /// Boxed unless every text is empty.
    pub fn new(description: Description) -> Self {
        Details((!description.is_empty()).then(|| Box::new(description)))
    }
}

impl std::ops::Deref for Details {
    type Target = Description;
    fn deref(&self) -> &Description {
        static EMPTY: Description = Description::EMPTY;
        self.0.as_deref().unwrap_or(&EMPTY)
    }
}

impl std::ops::DerefMut for Details {
    fn deref_mut(&mut self) -> &mut Description {
        self.0.get_or_insert_default()
    }
}

impl PartialEq for Details {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

/// A guardian: the person or body that keeps an AED rescue-ready.
///
/// Personal data: never written to public outputs.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Guardian {
    pub id: String,
    pub name: String,
    pub organisation: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

macro_rules! text_enum {
    ($ty:ident { $($variant:ident => $text:literal $(| $alias:literal)*),+ $(,)? }) => {
        impl $ty {
            /// The registry CSV spelling.
            pub fn as_str(self) -> &'static str {
                match self { $($ty::$variant => $text),+ }
            }
            /// Every value, in registry order.
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];
        }
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl FromStr for $ty {
            type Err = String;
            /// Case-insensitive; `-`, `_` and spaces are interchangeable.
            fn from_str(s: &str) -> Result<Self, String> {
                // A value written as the registry writes it needs no normalising.
                match s {
                    $($text $(| $alias)* => return Ok($ty::$variant),)+
                    _ => {}
                }
                let k: String = s.trim().to_ascii_lowercase().chars()
                    .map(|c| if c == '-' || c == ' ' { '_' } else { c }).collect();
                match k.as_str() {
                    $($text $(| $alias)* => Ok($ty::$variant),)+
                    _ => Err(format!(
                        "expected one of {}",
                        [$($text),+].join(", ")
                    )),
                }
            }
        }
        impl Default for $ty {
            fn default() -> Self { $ty::Unknown }
        }
    };
}

text_enum!(AccessClass {
    Public247 => "public_24_7" | "public_247" | "public24/7" | "public_24/7" | "24/7",
    PublicLimited => "public_limited" | "public_limited_hours",
    Restricted => "restricted" | "private" | "premises",
    Unknown => "unknown" | "",
});

text_enum!(ManagedBy {
    Emas => "emas",
    Community => "community",
    Business => "business",
    Unknown => "unknown" | "",
});

text_enum!(Status {
    Ready => "ready" | "rescue_ready",
    NotReady => "not_ready",
    InUse => "in_use",
    Retired => "retired",
    Unknown => "unknown" | "",
});

text_enum!(LocationSource {
    Source => "source",
    PostcodeCentroid => "postcode_centroid",
    Unknown => "unknown" | "",
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_stays_small_and_its_description_boxes_only_when_given() {
        #[cfg(target_pointer_width = "64")]
        assert_eq!(std::mem::size_of::<Aed>(), 128);
        assert_eq!(Description::default(), Description::EMPTY);
        assert!(Description::EMPTY.is_empty());
        let mut aed = Aed::default();
        assert_eq!(aed.about.name, "");
        assert_eq!(aed, Aed::default());
        aed.about.name = "Hall".into();
        assert_ne!(aed, Aed::default());
        assert_eq!(aed.about, Details::new((*aed.about).clone()));
        // An empty description, boxed or not, is the same value.
        assert!(Details::new(Description::default()).0.is_none());
        let mut boxed = Aed::default();
        boxed.about.flags.clear();
        assert!(boxed.about.0.is_some());
        assert_eq!(boxed, Aed::default());
        assert_eq!(format!("{boxed:?}"), format!("{:?}", Aed::default()));
    }

    #[test]
    fn enums_round_trip_and_accept_aliases() {
        for a in AccessClass::ALL {
            assert_eq!(a.as_str().parse::<AccessClass>(), Ok(*a));
        }
        for s in Status::ALL {
            assert_eq!(s.as_str().parse::<Status>(), Ok(*s));
        }
        assert_eq!("Not Ready".parse::<Status>(), Ok(Status::NotReady));
        assert_eq!(
            "PUBLIC-24-7".parse::<AccessClass>(),
            Ok(AccessClass::Public247)
        );
        // Exact spellings (the fast path) and the same words to normalise agree.
        for (exact, loose) in [
            ("24/7", " 24/7 "),
            ("private", "PRIVATE"),
            ("rescue_ready", "Rescue Ready"),
            ("public_limited_hours", "public-limited-hours"),
            ("", "  "),
        ] {
            assert_eq!(exact.parse::<AccessClass>(), loose.parse::<AccessClass>());
            assert_eq!(exact.parse::<Status>(), loose.parse::<Status>());
        }
        assert_eq!("".parse::<ManagedBy>(), Ok(ManagedBy::Unknown));
        assert_eq!(
            "postcode_centroid".parse::<LocationSource>(),
            Ok(LocationSource::PostcodeCentroid)
        );
        assert!(
            "sometimes"
                .parse::<AccessClass>()
                .unwrap_err()
                .contains("public_24_7")
        );
    }
}
