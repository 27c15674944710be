//! Hour-of-week availability from OSM `opening_hours`, and coverage at each of the 168 hours.
//!
//! Hours are numbered 0..168 from Monday 00:00. An expression is evaluated with the
//! `opening-hours` crate at the middle of each hour (HH:30) of a fixed reference week,
//! Monday 13 January 2025 to Sunday 19 January 2025 ([`REFERENCE_MONDAY`]): a plain
//! January week with no UK public holiday. No holiday calendar is loaded, so `PH` rules never
//! match; month- or season-dependent rules are read as they stand in mid-January.
//!
//! A facility with no or an unparsable `opening_hours` follows [`MissingHoursRule`]: AEDs
//! whose access class is public 24/7 are open; others are *unknown*, counted as closed and
//! flagged (never silently assumed open).

use super::engine::{ConfigError, CoverageConfig, DemandPoint, Neighbours};
use chrono::{Duration, NaiveDate, NaiveDateTime};
use opening_hours::OpeningHours;

/// Hours in a week.
pub const HOURS_PER_WEEK: usize = 168;

/// The Monday that starts the reference week (2025-01-13).
pub const REFERENCE_MONDAY: (i32, u32, u32) = (2025, 1, 13);

const DAYS: [&str; 7] = ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"];

/// The date-time at which hour `h` (0 = Monday 00:00) is evaluated: HH:30 of the reference week.
pub fn reference_time(hour: usize) -> NaiveDateTime {
    let (y, m, d) = REFERENCE_MONDAY;
    NaiveDate::from_ymd_opt(y, m, d)
        .and_then(|d| d.and_hms_opt(0, 30, 0))
        .map(|t| t + Duration::hours(hour as i64))
        .unwrap_or_default()
}

/// "Mo14" style label of an hour of the week.
pub fn hour_label(hour: usize) -> String {
    format!("{}{:02}", DAYS[(hour / 24) % 7], hour % 24)
}

/// Parses "Mo14" (day two letters, hour 0–23) into an hour of the week.
pub fn parse_hour_label(s: &str) -> Option<usize> {
    let s = s.trim();
    let day = s.get(..2)?;
    let d = DAYS.iter().position(|x| x.eq_ignore_ascii_case(day))?;
    let h: usize = s.get(2..)?.parse().ok()?;
    (h < 24).then_some(d * 24 + h)
}

/// How a facility's hours were decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HoursSource {
    /// Parsed from `opening_hours`.
    Parsed,
    /// No usable `opening_hours`; open because its access class is public 24/7.
    AssumedOpenPublic247,
    /// No `opening_hours`: unknown, treated as closed.
    UnknownMissing,
    /// `opening_hours` could not be parsed: unknown, treated as closed.
    UnknownInvalid,
}

/// What to do when `opening_hours` is absent or invalid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MissingHoursRule {
    /// The facility's access class is public 24/7.
    pub public_24_7: bool,
}

/// A facility's availability through the reference week.
#[derive(Debug, Clone, PartialEq)]
pub struct WeekAvailability {
    /// Bit `h % 64` of word `h / 64` set ⇔ open at hour `h`.
    bits: [u64; 3],
    pub source: HoursSource,
    /// The parser's message when `source` is `UnknownInvalid`.
    pub error: Option<String>,
}

impl WeekAvailability {
    pub fn always_open(source: HoursSource) -> Self {
        let mut w = WeekAvailability {
            bits: [0; 3],
            source,
            error: None,
        };
        (0..HOURS_PER_WEEK).for_each(|h| w.set(h));
        w
    }
    pub fn never_open(source: HoursSource, error: Option<String>) -> Self {
        WeekAvailability {
            bits: [0; 3],
            source,
            error,
        }
    }
    fn set(&mut self, h: usize) {
        self.bits[h / 64] |= 1 << (h % 64);
    }
    /// The 168 hours as bits: bit `h % 64` of word `h / 64` set ⇔ open at hour `h`.
    pub fn bits(&self) -> [u64; 3] {
        self.bits
    }
    /// Open at hour `h` of the week (0 = Monday 00:00).
    pub fn is_open(&self, h: usize) -> bool {
        h < HOURS_PER_WEEK && self.bits[h / 64] & (1 << (h % 64)) != 0
    }
    /// Hours open in the week.
    pub fn hours_open(&self) -> u32 {
        self.bits.iter().map(|b| b.count_ones()).sum()
    }
    /// Unknown availability (flag it in outputs).
    pub fn is_unknown(&self) -> bool {
        matches!(
            self.source,
            HoursSource::UnknownMissing | HoursSource::UnknownInvalid
        )
    }
}

/// Availability of one facility from its `opening_hours` value.
pub fn availability(opening_hours: Option<&str>, rule: MissingHoursRule) -> WeekAvailability {
    let fallback = |source, error| {
        if rule.public_24_7 {
            WeekAvailability::always_open(HoursSource::AssumedOpenPublic247)
        } else {
            WeekAvailability::never_open(source, error)
        }
    };
    let raw = match opening_hours.map(str::trim) {
        None | Some("") => return fallback(HoursSource::UnknownMissing, None),
        Some(s) => s,
    };
    if raw == "24/7" {
        return WeekAvailability::always_open(HoursSource::Parsed);
    }
    match raw.parse::<OpeningHours>() {
        Ok(oh) => {
            let mut w = WeekAvailability::never_open(HoursSource::Parsed, None);
            for h in 0..HOURS_PER_WEEK {
                if oh.is_open(reference_time(h)) {
                    w.set(h);
                }
            }
            w
        }
        Err(e) => fallback(HoursSource::UnknownInvalid, Some(e.to_string())),
    }
}

/// How many of the facilities are open at each hour of the week. One pass over them: the
/// distinct weeks are counted first (most facilities share one), then each hour adds up the
/// weeks open at it.
pub fn open_per_hour(availability: &[WeekAvailability]) -> [usize; HOURS_PER_WEEK] {
    let mut weeks: rustc_hash::FxHashMap<[u64; 3], usize> = Default::default();
    for a in availability {
        *weeks.entry(a.bits).or_default() += 1;
    }
    let mut open = [0; HOURS_PER_WEEK];
    for (h, n) in open.iter_mut().enumerate() {
        let (word, bit) = (h / 64, 1u64 << (h % 64));
        *n = weeks
            .iter()
            .filter(|(bits, _)| bits[word] & bit != 0)
            .map(|(_, count)| count)
            .sum();
    }
    open
}

/// Coverage at one hour of the week.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct HourCoverage {
    pub hour: usize,
    pub label: String,
    pub facilities_open: usize,
    /// Per radius of the configuration.
    pub pct_demand_covered: Vec<f64>,
    pub pct_residents_covered: Vec<f64>,
}

/// The 168 hours and, per radius, the hour with the least demand covered.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct WeekCoverage {
    pub hours: Vec<HourCoverage>,
    /// Per radius: the worst hour (earliest among equals).
    pub worst_hour: Vec<usize>,
    pub facilities_unknown_hours: usize,
}

/// % demand and residents covered at each hour: a point is covered at hour `h` and radius
/// `r` when a facility open at `h` lies within the effective radius.
///
/// `availability[i]` belongs to facility `i` of the index.
pub fn week_coverage(
    index: &impl Neighbours,
    availability: &[WeekAvailability],
    demand: &[DemandPoint],
    config: &CoverageConfig,
) -> Result<WeekCoverage, ConfigError> {
    let wants = super::scan::ScanWants {
        criticality: false,
        hours: Some(availability),
        demand_sums: None,
    };
    let scan = super::scan::scan(index, demand, config, wants)?;
    Ok(scan.hours.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coverage::engine::{Facility, FacilityIndex};

    const PRIVATE: MissingHoursRule = MissingHoursRule { public_24_7: false };

    #[test]
    fn open_per_hour_counts_each_facility_open_at_the_hour() {
        let weeks = [
            availability(Some("Mo-Fr 09:00-17:00"), PRIVATE),
            availability(Some("24/7"), PRIVATE),
            availability(None, PRIVATE),
            availability(Some("Mo-Fr 09:00-17:00"), PRIVATE),
        ];
        let open = open_per_hour(&weeks);
        for (h, &n) in open.iter().enumerate() {
            assert_eq!(n, weeks.iter().filter(|a| a.is_open(h)).count(), "hour {h}");
        }
        assert_eq!((open[9], open[8], open[5 * 24 + 10]), (3, 1, 1));
        assert_eq!(open_per_hour(&[]), [0; HOURS_PER_WEEK]);
    }

    #[test]
    fn reference_week_starts_monday() {
        use chrono::{Datelike, Timelike, Weekday};
        let t = reference_time(0);
        assert_eq!(t.weekday(), Weekday::Mon);
        assert_eq!((t.hour(), t.minute()), (0, 30));
        assert_eq!(reference_time(167).weekday(), Weekday::Sun);
        assert_eq!(reference_time(14).hour(), 14);
    }

    #[test]
    fn labels_round_trip() {
        assert_eq!(parse_hour_label("Mo14"), Some(14));
        assert_eq!(parse_hour_label("su23"), Some(167));
        assert_eq!(parse_hour_label("Xx01"), None);
        assert_eq!(parse_hour_label("Mo24"), None);
        for h in 0..HOURS_PER_WEEK {
            assert_eq!(parse_hour_label(&hour_label(h)), Some(h));
        }
    }

    #[test]
    fn office_hours() {
        let a = availability(Some("Mo-Fr 09:00-17:00"), PRIVATE);
        assert_eq!(a.source, HoursSource::Parsed);
        assert_eq!(a.hours_open(), 40);
        assert!(a.is_open(9) && a.is_open(16) && !a.is_open(17) && !a.is_open(8));
        assert!(!a.is_open(5 * 24 + 10)); // Saturday 10:00
    }

    #[test]
    fn always_open_and_fallbacks() {
        assert_eq!(availability(Some("24/7"), PRIVATE).hours_open(), 168);
        let missing = availability(None, PRIVATE);
        assert!(missing.is_unknown() && missing.hours_open() == 0);
        let bad = availability(Some("whenever the shop is open"), PRIVATE);
        assert_eq!(bad.source, HoursSource::UnknownInvalid);
        assert!(bad.error.is_some());
        let public = availability(None, MissingHoursRule { public_24_7: true });
        assert_eq!(public.source, HoursSource::AssumedOpenPublic247);
        assert_eq!(public.hours_open(), 168);
    }

    #[test]
    fn worst_hour_is_when_the_shop_shuts() {
        let idx = FacilityIndex::new(vec![
            Facility {
                id: "shop".into(),
                x_m: 0.0,
                y_m: 0.0,
            },
            Facility {
                id: "box".into(),
                x_m: 5000.0,
                y_m: 0.0,
            },
        ]);
        let avail = vec![
            availability(Some("Mo-Sa 08:00-20:00"), PRIVATE),
            availability(Some("24/7"), PRIVATE),
        ];
        let demand = vec![
            DemandPoint {
                id: "a".into(),
                x_m: 100.0,
                y_m: 0.0,
                weight: 3.0,
                residents: 30.0,
            },
            DemandPoint {
                id: "b".into(),
                x_m: 5000.0,
                y_m: 100.0,
                weight: 1.0,
                residents: 10.0,
            },
        ];
        let w = week_coverage(&idx, &avail, &demand, &CoverageConfig::default()).unwrap();
        assert_eq!(w.hours[10].pct_demand_covered[2], 100.0);
        assert_eq!(w.hours[2].pct_demand_covered[2], 25.0);
        assert_eq!(w.hours[2].pct_residents_covered[2], 25.0);
        assert_eq!(w.worst_hour[2], 0);
        assert_eq!(w.hours[6 * 24 + 12].facilities_open, 1); // Sunday noon
    }
}
