//! Which registry AEDs count (`--scenario`).
//!
//! - `all`: every located AED;
//! - `public`: access class public 24/7 or public with limited hours;
//! - `24-7`: available at all 168 hours of the week (from `opening_hours`; a public 24/7 AED
//!   with no `opening_hours` counts, see [`super::hours`]);
//! - `ready`: has a guardian, pads and battery in date on the reference day, checked within
//!   N days (default 90) of it, status ready;
//! - `hour:Mo14`: open at that hour of the week (Monday 14:00–15:00).
//!
//! Retired devices never count. AEDs with no position, or whose position cannot be converted
//! to the metric CRS, are counted as unlocated and left out.

use super::engine::Facility;
use super::hours::{
    HOURS_PER_WEEK, MissingHoursRule, WeekAvailability, availability, parse_hour_label,
};
use crate::registry::{AccessClass, Aed, Coord, Status};
use chrono::NaiveDate;
use rayon::prelude::*;
use std::str::FromStr;

/// A scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    All,
    Public,
    TwentyFourSeven,
    Ready,
    Hour(usize),
}

impl Scenario {
    pub fn label(&self) -> String {
        match self {
            Scenario::All => "all".into(),
            Scenario::Public => "public".into(),
            Scenario::TwentyFourSeven => "24-7".into(),
            Scenario::Ready => "ready".into(),
            Scenario::Hour(h) => format!("hour:{}", super::hours::hour_label(*h)),
        }
    }
}

/// The scenario text is not one of the forms above.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown scenario {0:?} (expected all, public, 24-7, ready or hour:Mo14)")]
pub struct ScenarioError(pub String);

impl FromStr for Scenario {
    type Err = ScenarioError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_ascii_lowercase();
        match t.as_str() {
            "all" => Ok(Scenario::All),
            "public" => Ok(Scenario::Public),
            "24-7" | "24/7" | "247" => Ok(Scenario::TwentyFourSeven),
            "ready" => Ok(Scenario::Ready),
            _ => t
                .strip_prefix("hour:")
                .and_then(parse_hour_label)
                .map(Scenario::Hour)
                .ok_or_else(|| ScenarioError(s.to_string())),
        }
    }
}

/// Parameters of the `ready` rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadyRule {
    /// The day on which expiry and check dates are judged.
    pub as_of: NaiveDate,
    /// Last check at most this many days before `as_of`.
    pub max_days_since_check: i64,
}

/// Is this AED rescue-ready on `rule.as_of`?
pub fn is_ready(aed: &Aed, rule: &ReadyRule) -> bool {
    let in_date = |d: Option<NaiveDate>| d.is_some_and(|d| d >= rule.as_of);
    aed.guardian_id
        .as_deref()
        .is_some_and(|g| !g.trim().is_empty())
        && in_date(aed.pads_expiry)
        && in_date(aed.battery_expiry)
        && aed.last_checked.is_some_and(|c| {
            c <= rule.as_of && (rule.as_of - c).num_days() <= rule.max_days_since_check
        })
        && aed.status == Status::Ready
}

/// Availability of an AED through the week under the missing-hours rule.
pub fn aed_availability(aed: &Aed) -> WeekAvailability {
    availability(
        aed.opening_hours.as_deref(),
        MissingHoursRule {
            public_24_7: aed.access == AccessClass::Public247,
        },
    )
}

/// What the selection did with the registry.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct SelectionCounts {
    pub registry_total: usize,
    pub counted: usize,
    pub unlocated: usize,
    pub not_converted: usize,
    pub retired: usize,
    pub excluded_by_scenario: usize,
    /// Counted AEDs whose hours are unknown (no or invalid opening_hours, not public 24/7).
    pub unknown_hours: usize,
}

/// The counted AEDs as facilities (in registry order), their availability, and the counts.
#[derive(Debug, Clone)]
pub struct Selection {
    pub facilities: Vec<Facility>,
    pub availability: Vec<WeekAvailability>,
    pub counts: SelectionCounts,
}

/// Easting/northing in EPSG:27700 metres for a registry position (OSTN15 from WGS84).
pub fn to_bng(c: &Coord) -> Result<(f64, f64), String> {
    match *c {
        Coord::Bng {
            easting_m,
            northing_m,
        } => Ok((easting_m, northing_m)),
        Coord::Wgs84 { lon, lat } => {
            crate::geography::crs::wgs84_to_bng(lon, lat).map_err(|e| e.to_string())
        }
    }
}

/// A conversion of a registry position into the study's metric CRS.
pub type CoordToMetric<'a> = &'a (dyn Fn(&Coord) -> Result<(f64, f64), String> + Sync);

/// The one rule deciding which registry AEDs count, used by coverage, siting, `registry
/// check` and the service: never a retired device; then the scenario (with the ready rule's
/// check window when the scenario is `ready`). Position is checked separately by [`select`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CountedRule {
    pub scenario: Scenario,
    pub ready: ReadyRule,
}

impl CountedRule {
    /// Whether `aed` counts, its position aside.
    pub fn counts(&self, aed: &Aed) -> bool {
        aed.status != Status::Retired && self.passes_scenario(aed, &aed_availability(aed))
    }

    fn passes_scenario(&self, aed: &Aed, a: &WeekAvailability) -> bool {
        match self.scenario {
            Scenario::All => true,
            Scenario::Public => matches!(
                aed.access,
                AccessClass::Public247 | AccessClass::PublicLimited
            ),
            Scenario::TwentyFourSeven => a.hours_open() as usize == HOURS_PER_WEEK,
            Scenario::Ready => is_ready(aed, &self.ready),
            Scenario::Hour(h) => a.is_open(h),
        }
    }
}

/// Selects the AEDs that count under `rule`, converting positions with `to_metric`.
pub fn select(aeds: &[Aed], rule: &CountedRule, to_metric: CoordToMetric<'_>) -> Selection {
    let mut counts = SelectionCounts {
        registry_total: aeds.len(),
        ..Default::default()
    };
    // Each AED is judged on its own, in parallel, then counted in registry order.
    let judged: Vec<Judged> = aeds
        .par_iter()
        .map(|aed| judge(aed, rule, to_metric))
        .collect();
    let mut facilities = Vec::with_capacity(judged.len());
    let mut avail = Vec::with_capacity(judged.len());
    for j in judged {
        match j {
            Judged::Retired => counts.retired += 1,
            Judged::Unlocated => counts.unlocated += 1,
            Judged::NotConverted => counts.not_converted += 1,
            Judged::Excluded => counts.excluded_by_scenario += 1,
            Judged::Counted(f, a) => {
                if a.is_unknown() {
                    counts.unknown_hours += 1;
                }
                facilities.push(f);
                avail.push(a);
            }
        }
    }
    counts.counted = facilities.len();
    Selection {
        facilities,
        availability: avail,
        counts,
    }
}

/// What [`select`] makes of one AED.
enum Judged {
    Retired,
    Unlocated,
    NotConverted,
    Excluded,
    Counted(Facility, WeekAvailability),
}

fn judge(aed: &Aed, rule: &CountedRule, to_metric: CoordToMetric<'_>) -> Judged {
    if aed.status == Status::Retired {
        return Judged::Retired;
    }
    let Some(loc) = &aed.location else {
        return Judged::Unlocated;
    };
    let Ok((x_m, y_m)) = to_metric(&loc.coord) else {
        return Judged::NotConverted;
    };
    let a = aed_availability(aed);
    if !rule.passes_scenario(aed, &a) {
        return Judged::Excluded;
    }
    let id = aed.id.clone();
    Judged::Counted(Facility { id, x_m, y_m }, a)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::{Location, LocationSource};

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn aed(id: &str, access: AccessClass, oh: Option<&str>) -> Aed {
        Aed {
            id: id.into(),
            location: Some(Location {
                coord: Coord::Bng {
                    easting_m: 454_000.0,
                    northing_m: 304_000.0,
                },
                source: LocationSource::Source,
            }),
            access,
            opening_hours: oh.map(str::to_string),
            ..Default::default()
        }
    }

    const RULE: ReadyRule = ReadyRule {
        as_of: NaiveDate::from_ymd_opt(2025, 6, 1).unwrap(),
        max_days_since_check: 90,
    };

    #[test]
    fn parses_scenarios() {
        assert_eq!("ready".parse(), Ok(Scenario::Ready));
        assert_eq!("hour:Mo14".parse(), Ok(Scenario::Hour(14)));
        assert_eq!("HOUR:su00".parse(), Ok(Scenario::Hour(144)));
        assert!("hour:Mo25".parse::<Scenario>().is_err());
        assert_eq!(Scenario::Hour(14).label(), "hour:Mo14");
    }

    #[test]
    fn scenarios_select_the_right_aeds() {
        let mut unlocated = aed("u", AccessClass::Public247, None);
        unlocated.location = None;
        let mut retired = aed("r", AccessClass::Public247, None);
        retired.status = Status::Retired;
        let aeds = vec![
            aed("box", AccessClass::Public247, None),
            aed(
                "shop",
                AccessClass::PublicLimited,
                Some("Mo-Fr 09:00-17:00"),
            ),
            aed("gym", AccessClass::Restricted, Some("nonsense hours")),
            unlocated,
            retired,
        ];
        let ids = |s: Scenario| -> Vec<String> {
            select(
                &aeds,
                &CountedRule {
                    scenario: s,
                    ready: RULE,
                },
                &to_bng,
            )
            .facilities
            .into_iter()
            .map(|f| String::from(&f.id))
            .collect()
        };
        assert_eq!(ids(Scenario::All), ["box", "shop", "gym"]);
        assert_eq!(ids(Scenario::Public), ["box", "shop"]);
        assert_eq!(ids(Scenario::TwentyFourSeven), ["box"]);
        assert_eq!(ids(Scenario::Hour(14)), ["box", "shop"]);
        assert_eq!(ids(Scenario::Hour(5 * 24 + 14)), ["box"]);
        let all = select(
            &aeds,
            &CountedRule {
                scenario: Scenario::All,
                ready: RULE,
            },
            &to_bng,
        );
        assert_eq!(all.counts.unlocated, 1);
        assert_eq!(all.counts.retired, 1);
        assert_eq!(all.counts.unknown_hours, 1);
    }

    #[test]
    fn ready_needs_every_condition() {
        let mut a = aed("a", AccessClass::Public247, None);
        a.guardian_id = Some("G1".into());
        a.pads_expiry = Some(d("2026-01-01"));
        a.battery_expiry = Some(d("2027-01-01"));
        a.last_checked = Some(d("2025-04-01"));
        a.status = Status::Ready;
        assert!(is_ready(&a, &RULE));
        let mut b = a.clone();
        b.pads_expiry = Some(d("2025-05-31"));
        assert!(!is_ready(&b, &RULE));
        let mut c = a.clone();
        c.last_checked = Some(d("2025-02-01"));
        assert!(!is_ready(&c, &RULE));
        let mut e = a.clone();
        e.guardian_id = None;
        assert!(!is_ready(&e, &RULE));
        let mut f = a;
        f.status = Status::Unknown;
        assert!(!is_ready(&f, &RULE));
    }
}
