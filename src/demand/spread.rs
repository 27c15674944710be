//! Counts by postcode (unit, sector, district or area) → demand points on postcode units.
//!
//! A unit count sits on its unit. A sector, district or area count is spread over its member
//! units in proportion to their residents, or in equal shares when none of them has residents.
//!
//! **Totals are preserved exactly.** Every member but one receives `W · r_i / R`; the member
//! with the most residents receives `W` minus the sum of the others, so the shares of one row
//! add up to `W` (up to one rounding of the final addition) and none is negative (a unit
//! without residents gets exactly 0). After all rows are placed, the grand total of
//! the points is compared with the total of the placed rows; the largest absolute difference
//! is reported as [`SpreadReport::placement_error`] and must stay below 1e-9 of the total.
//! Rows that cannot be placed are never dropped silently: `Unknown` rows and unmatched
//! postcodes are totalled and listed in the report, so that
//! `placed + unknown + unmatched = input total`.

use super::units::UnitTable;
use crate::coverage::DemandPoint;
use crate::geography::{Postcode, PostcodeLevel};
use std::collections::BTreeMap;

/// The level at which counts are given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DemandLevel {
    /// Each row at the level of its own postcode.
    #[default]
    Auto,
    /// Every row read at this level (finer codes are truncated to it).
    Fixed(PostcodeLevel),
}

/// One input row: a postcode (as given) and its count.
#[derive(Debug, Clone, PartialEq)]
pub struct CountRow {
    /// Where it came from, e.g. `arrests.csv:5`.
    pub source: String,
    pub postcode: String,
    pub weight: f64,
}

/// A row that could not be placed.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Unplaced {
    pub source: String,
    pub postcode: String,
    pub weight: f64,
    pub reason: String,
}

/// What happened to the input.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct SpreadReport {
    pub rows: usize,
    pub input_total: f64,
    pub placed_total: f64,
    /// Rows whose postcode is literally "Unknown" (any case) or empty.
    pub unknown_rows: usize,
    pub unknown_total: f64,
    /// Rows whose postcode is invalid or has no located unit.
    pub unmatched_rows: usize,
    pub unmatched_total: f64,
    pub unmatched: Vec<Unplaced>,
    /// Placed weight by the level it was given at ("unit", "sector", "district", "area").
    pub placed_by_level: BTreeMap<String, f64>,
    /// Rows spread in equal shares because no member unit had residents.
    pub rows_spread_equally: usize,
    /// |sum of demand weights − placed_total|.
    pub placement_error: f64,
}

/// Places every row on units of `units`, returning one demand point per unit that received
/// weight or has residents (sorted by postcode), and the report.
pub fn spread(
    rows: &[CountRow],
    units: &UnitTable,
    level: DemandLevel,
) -> (Vec<DemandPoint>, SpreadReport) {
    let mut report = SpreadReport::default();
    let mut weight = vec![0.0f64; units.len()];
    for row in rows {
        report.rows += 1;
        report.input_total += row.weight;
        let raw = row.postcode.trim();
        if raw.is_empty() || raw.eq_ignore_ascii_case("unknown") {
            report.unknown_rows += 1;
            report.unknown_total += row.weight;
            continue;
        }
        let unmatched = |report: &mut SpreadReport, reason: String| {
            report.unmatched_rows += 1;
            report.unmatched_total += row.weight;
            report.unmatched.push(Unplaced {
                source: row.source.clone(),
                postcode: row.postcode.clone(),
                weight: row.weight,
                reason,
            });
        };
        let pc = match Postcode::parse(raw) {
            Ok(p) => p,
            Err(e) => {
                unmatched(&mut report, e.to_string());
                continue;
            }
        };
        let pc = match level {
            DemandLevel::Auto => pc,
            DemandLevel::Fixed(l) => match pc.at_level(l) {
                Some(p) => p,
                None => {
                    unmatched(
                        &mut report,
                        format!("{} is coarser than level {l}", pc.level()),
                    );
                    continue;
                }
            },
        };
        let members = units.members(&pc);
        if members.is_empty() {
            unmatched(&mut report, "no located postcode unit".to_string());
            continue;
        }
        let equal = members.iter().map(|&i| units.residents(i)).sum::<f64>() <= 0.0;
        if equal && members.len() > 1 {
            report.rows_spread_equally += 1;
        }
        for (i, share) in shares(row.weight, members, units) {
            weight[i] += share;
        }
        report.placed_total += row.weight;
        *report
            .placed_by_level
            .entry(pc.level().as_str().to_string())
            .or_default() += row.weight;
    }
    let points: Vec<DemandPoint> = (0..units.len())
        .filter(|&i| weight[i] != 0.0 || units.residents(i) > 0.0)
        .map(|i| units.demand_point(i, weight[i]))
        .collect();
    let sum: f64 = points.iter().map(|p| p.weight).sum();
    report.placement_error = (sum - report.placed_total).abs();
    (points, report)
}

/// `(unit, share)` of `w` for each member: in proportion to residents (equal shares when none
/// has residents). The member with the largest share takes `w` minus the others' sum, so the
/// shares add up to `w` and none is negative: a member without residents gets exactly 0, and
/// the largest share (at least `w / n`) dwarfs the rounding of the others' sum.
fn shares(w: f64, members: &[usize], units: &UnitTable) -> Vec<(usize, f64)> {
    let residents = |i: usize| units.residents(i).max(0.0);
    let r_total: f64 = members.iter().map(|&i| residents(i)).sum();
    let equal = r_total <= 0.0;
    let share_of = |i: usize| {
        if equal {
            w / members.len() as f64
        } else {
            w * residents(i) / r_total
        }
    };
    // First member of the largest residents (any member when shares are equal).
    let largest = members.iter().enumerate().fold(0, |b, (j, &i)| {
        if residents(i) > residents(members[b]) {
            j
        } else {
            b
        }
    });
    let mut out: Vec<(usize, f64)> = members.iter().map(|&i| (i, share_of(i))).collect();
    let others: f64 = out
        .iter()
        .enumerate()
        .filter(|&(j, _)| j != largest)
        .map(|(_, s)| s.1)
        .sum();
    out[largest].1 = w - others;
    out
}

/// Residents as the demand: one point per unit with residents, weight = residents.
pub fn residents_as_demand(units: &UnitTable) -> Vec<DemandPoint> {
    (0..units.len())
        .filter(|&i| units.residents(i) > 0.0)
        .map(|i| units.demand_point(i, units.residents(i)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(with_pop: bool) -> UnitTable {
        let units = [
            ("LE12 7AA", 0.0, 0.0, 30.0),
            ("LE12 7AB", 10.0, 0.0, 10.0),
            ("LE12 8AA", 20.0, 0.0, 0.0),
            ("LE13 1AA", 30.0, 0.0, 60.0),
        ];
        UnitTable::new(
            units
                .iter()
                .map(|&(p, x, y, r)| (p.to_string(), x, y, if with_pop { r } else { 0.0 })),
        )
        .0
    }
    fn row(pc: &str, w: f64) -> CountRow {
        CountRow {
            source: "t.csv:2".into(),
            postcode: pc.into(),
            weight: w,
        }
    }

    #[test]
    fn district_count_spread_by_residents_keeps_its_total() {
        let (pts, rep) = spread(&[row("LE12", 4.0)], &table(true), DemandLevel::Auto);
        let w: BTreeMap<_, _> = pts.iter().map(|p| (p.id.as_str(), p.weight)).collect();
        assert_eq!(w["LE12 7AA"], 3.0);
        assert_eq!(w["LE12 7AB"], 1.0);
        assert!(!w.contains_key("LE12 8AA")); // no weight, no residents
        assert_eq!(w["LE13 1AA"], 0.0); // residents only
        assert_eq!(rep.placed_total, 4.0);
        assert_eq!(rep.placement_error, 0.0);
    }

    #[test]
    fn equal_shares_without_population_and_exact_thirds() {
        let (pts, rep) = spread(&[row("LE12", 1.0)], &table(false), DemandLevel::Auto);
        assert_eq!(pts.len(), 3);
        let sum: f64 = pts.iter().map(|p| p.weight).sum();
        assert_eq!(sum, 1.0);
        assert_eq!(rep.rows_spread_equally, 1);
    }

    #[test]
    fn unknown_unmatched_and_units_are_accounted() {
        let rows = [
            row("LE13 1AA", 2.0),
            row("Unknown", 2.0),
            row("ZZ99 9ZZ", 1.0),
            row("not a postcode", 1.0),
            row("le12 7", 5.0),
        ];
        let (pts, rep) = spread(&rows, &table(true), DemandLevel::Auto);
        assert_eq!(rep.unknown_total, 2.0);
        assert_eq!(rep.unmatched_rows, 2);
        assert_eq!(rep.unmatched_total, 2.0);
        assert_eq!(rep.placed_total, 7.0);
        assert_eq!(
            rep.placed_total + rep.unknown_total + rep.unmatched_total,
            rep.input_total
        );
        assert_eq!(rep.placed_by_level["sector"], 5.0);
        let w: f64 = pts.iter().map(|p| p.weight).sum();
        assert!((w - 7.0).abs() < 1e-12);
    }

    #[test]
    fn fixed_level_truncates_finer_codes() {
        let (pts, rep) = spread(
            &[row("LE12 8AA", 4.0), row("LE", 1.0)],
            &table(true),
            DemandLevel::Fixed(PostcodeLevel::District),
        );
        assert_eq!(rep.unmatched_rows, 1); // an area is coarser than district
        let w: BTreeMap<_, _> = pts.iter().map(|p| (p.id.as_str(), p.weight)).collect();
        assert_eq!(w["LE12 7AA"], 3.0);
    }

    #[test]
    fn shares_are_never_negative_and_zero_without_residents() {
        // Residents chosen so that the float sum of the others' shares overshoots: the old
        // rule (remainder to the last member, here without residents) left -4e-14 on it.
        let units: Vec<_> = (0..300)
            .map(|i| {
                let r = if i == 299 { 0.0 } else { (i % 13) as f64 + 0.1 };
                (
                    format!(
                        "LE1 {}{}{}",
                        i % 10,
                        (b'A' + (i / 10 % 26) as u8) as char,
                        (b'A' + (i / 260) as u8) as char
                    ),
                    i as f64,
                    0.0,
                    r,
                )
            })
            .collect();
        let (t, _) = UnitTable::new(units);
        for w in [1.0, 3.0, 7.0, 17.0, 2252.0, 0.1] {
            let (pts, rep) = spread(&[row("LE1", w)], &t, DemandLevel::Auto);
            assert!(pts.iter().all(|p| p.weight >= 0.0), "w {w}");
            let zero: Vec<_> = pts.iter().filter(|p| p.residents == 0.0).collect();
            assert!(zero.iter().all(|p| p.weight == 0.0), "w {w}");
            let sum: f64 = pts.iter().map(|p| p.weight).sum();
            assert!((sum - w).abs() <= 1e-12 * w, "w {w}: {sum}");
            assert!(rep.placement_error <= 1e-12 * w);
        }
    }

    #[test]
    fn many_uneven_shares_still_sum_to_the_row() {
        let units: Vec<_> = (0..997)
            .map(|i| {
                (
                    format!(
                        "LE1 {}{}{}",
                        i % 10,
                        (b'A' + (i / 10 % 26) as u8) as char,
                        (b'A' + (i / 260) as u8) as char
                    ),
                    i as f64,
                    0.0,
                    (i % 7) as f64 + 0.3,
                )
            })
            .collect();
        let (t, _) = UnitTable::new(units);
        let (pts, rep) = spread(&[row("LE1", 2252.0)], &t, DemandLevel::Auto);
        let sum: f64 = pts.iter().map(|p| p.weight).sum();
        assert!((sum - 2252.0).abs() < 1e-9, "{sum}");
        assert!(rep.placement_error < 1e-9);
    }
}
