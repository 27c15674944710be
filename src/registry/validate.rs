//! The one set of rules an AED record must meet, wherever it comes from: a row of
//! `aeds.csv` ([`super::read_aeds`]) or a body sent to `POST`/`PUT /registry/aeds`.
//!
//! Each failure is an [`Invalid`]: the column, the reason and the value, shown as
//! `column: reason ("value")` (the CSV reader adds `file:line: ` in front).

use super::model::{Aed, Coord, Status};
use chrono::NaiveDate;
use std::fmt;

/// One bad value of an AED record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub column: String,
    pub reason: String,
    pub value: String,
}

impl Invalid {
    fn new(column: &str, reason: impl Into<String>, value: impl Into<String>) -> Self {
        Invalid {
            column: column.to_string(),
            reason: reason.into(),
            value: value.into(),
        }
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} ({:?})", self.column, self.reason, self.value)
    }
}

/// Longest id, in bytes.
pub const MAX_ID_LEN: usize = 100;

/// What each byte is in an id: not allowed, a dot, or another allowed byte (ASCII letters
/// and digits, `-`, `_` and `:`).
#[derive(Clone, Copy, PartialEq)]
enum IdByte {
    No,
    Dot,
    Yes,
}

const ID_BYTES: [IdByte; 256] = {
    let mut kinds = [IdByte::No; 256];
    let mut b = 0;
    while b < 256 {
        let byte = b as u8;
        if byte == b'.' {
            kinds[b] = IdByte::Dot;
        } else if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b':') {
            kinds[b] = IdByte::Yes;
        }
        b += 1;
    }
    kinds
};

/// A registry id: 1–100 ASCII letters, digits and `-_.:`, never `..`, so an id is always
/// one safe path segment (`/registry/aeds/{id}`) and one safe file name.
pub fn check_id(column: &str, id: &str) -> Result<(), Invalid> {
    let bad = |reason: &str| Err(Invalid::new(column, reason, id));
    if id.is_empty() {
        return bad("missing");
    }
    if id.len() > MAX_ID_LEN {
        return bad("longer than 100 characters");
    }
    // One pass of byte tests: a byte of a non-ASCII character is not allowed, and
    // `contains("..")` costs a substring search's setup per id. A bad byte is named before
    // a `..`, wherever each is.
    let (mut double_dot, mut after_dot) = (false, false);
    for &b in id.as_bytes() {
        match ID_BYTES[usize::from(b)] {
            IdByte::No => return bad("only letters, digits and -_.: are allowed in an id"),
            IdByte::Dot => {
                double_dot |= after_dot;
                after_dot = true;
            }
            IdByte::Yes => after_dot = false,
        }
    }
    if double_dot {
        return bad("an id must not contain \"..\"");
    }
    Ok(())
}

/// A date written `YYYY-MM-DD` with a four-digit year; the reason when it is not one.
/// (chrono alone also takes `-2025-01-01` and `+99999-01-01`.)
pub fn parse_date(v: &str) -> Result<NaiveDate, &'static str> {
    let shaped = v.len() == 10
        && v.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
    if !shaped {
        return Err("not a date in the form YYYY-MM-DD");
    }
    NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| "no such date")
}

/// The latest accepted `last_checked`: tomorrow (UTC), so a check done today anywhere on
/// Earth is accepted.
pub fn latest_check_date(today: NaiveDate) -> NaiveDate {
    today.succ_opt().unwrap_or(NaiveDate::MAX)
}

/// Every rule of a whole record that its fields' parsing alone does not catch: the id,
/// a `last_checked` after `today` (+1 day), and a position at 0,0 (a missing position
/// written as zeros — "null island").
pub fn check_aed(aed: &Aed, today: NaiveDate) -> Vec<Invalid> {
    let mut out = Vec::new();
    if let Err(e) = check_id("id", &aed.id) {
        out.push(e);
    }
    if let Some(g) = &aed.guardian_id
        && let Err(e) = check_id("guardian_id", g)
    {
        out.push(e);
    }
    if let Some(d) = aed.last_checked
        && d > latest_check_date(today)
    {
        out.push(Invalid::new("last_checked", "in the future", d.to_string()));
    }
    if let Some(loc) = &aed.location {
        let (column, (a, b)) = match loc.coord {
            Coord::Wgs84 { lon, lat } => ("lon", (lon, lat)),
            Coord::Bng {
                easting_m,
                northing_m,
            } => ("easting", (easting_m, northing_m)),
        };
        if a == 0.0 && b == 0.0 {
            out.push(Invalid::new(
                column,
                "position 0,0 (null island) is a missing position written as zeros; leave it empty",
                format!("{a},{b}"),
            ));
        }
    }
    out
}

/// A status change made by an edit: retiring goes only through its own route
/// (`POST /registry/aeds/{id}/retire`, which records why), so a record sent to
/// `POST`/`PUT /registry/aeds` may not newly say `retired`. `before` is the stored status
/// (`None` for a new AED).
pub fn check_status_change(before: Option<Status>, after: Status) -> Result<(), Invalid> {
    if after == Status::Retired && before != Some(Status::Retired) {
        return Err(Invalid::new(
            "status",
            "retire through POST /registry/aeds/{id}/retire",
            after.as_str(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::{Location, LocationSource};

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 6, 1).unwrap()
    }

    #[test]
    fn ids_are_one_safe_path_segment() {
        for ok in ["T1", "osm-node-123", "circuit:TEST-0001", "a_b.c"] {
            assert!(check_id("id", ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "a/b",
            "..",
            "a..b",
            "a b",
            "x\\y",
            "é",
            &"x".repeat(101),
        ] {
            let e = check_id("id", bad).unwrap_err();
            assert_eq!(e.column, "id");
            assert_eq!(e.value, bad);
        }
    }

    #[test]
    fn id_reasons_name_the_rule_broken() {
        for ok in ["a.b.c", ".a.", "A:1-2_3"] {
            assert!(check_id("id", ok).is_ok(), "{ok}");
        }
        let reason = |id: &str| check_id("id", id).unwrap_err().reason;
        assert_eq!(reason("a..b"), "an id must not contain \"..\"");
        assert_eq!(reason("..."), "an id must not contain \"..\"");
        for other in ["é", "aé.", "a\u{0}", "a b"] {
            assert_eq!(
                reason(other),
                "only letters, digits and -_.: are allowed in an id"
            );
        }
    }

    #[test]
    fn dates_need_four_digit_years() {
        assert_eq!(
            parse_date("2025-01-31"),
            Ok(NaiveDate::from_ymd_opt(2025, 1, 31).unwrap())
        );
        for bad in ["-2025-01-01", "+99999-01-01", "2025-1-1", "31/01/2025"] {
            assert_eq!(
                parse_date(bad),
                Err("not a date in the form YYYY-MM-DD"),
                "{bad}"
            );
        }
        assert_eq!(parse_date("2025-02-30"), Err("no such date"));
    }

    #[test]
    fn future_checks_and_null_island_are_refused() {
        let aed = Aed {
            id: "A1".into(),
            last_checked: NaiveDate::from_ymd_opt(9999, 12, 31),
            location: Some(Location {
                coord: Coord::Wgs84 { lon: 0.0, lat: 0.0 },
                source: LocationSource::Source,
            }),
            ..Default::default()
        };
        let shown: Vec<String> = check_aed(&aed, today())
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(shown.len(), 2, "{shown:?}");
        assert_eq!(shown[0], "last_checked: in the future (\"9999-12-31\")");
        assert!(
            shown[1].starts_with("lon: position 0,0 (null island)"),
            "{shown:?}"
        );
        let ok = Aed {
            id: "A1".into(),
            last_checked: latest_check_date(today()).into(),
            ..Default::default()
        };
        assert!(check_aed(&ok, today()).is_empty());
    }

    #[test]
    fn retiring_only_through_its_route() {
        assert!(check_status_change(None, Status::Retired).is_err());
        assert!(check_status_change(Some(Status::Ready), Status::Retired).is_err());
        assert!(check_status_change(Some(Status::Retired), Status::Retired).is_ok());
        assert!(check_status_change(None, Status::Ready).is_ok());
    }
}
