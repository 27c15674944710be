//! The report's own question: how many cardiac arrests are there per public AED in each
//! postcode district? Joins the two seed tables (paragraphs 6 and 14 of the 2021 report).
//!
//! Districts present in only one table are listed in their own sections, never dropped; the
//! arrests printed as `Unknown` are shown apart. The report itself warns that the ratio is a
//! crude measure (one AED in central Leicester serves far more people than one in a village).

use crate::seeds::{self, AedsByDistrict, ArrestsByDistrict, SeedError};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// One district's counts.
#[derive(Debug, Clone, PartialEq)]
pub struct DistrictRow {
    /// Postcode district, e.g. `LE12`.
    pub district: String,
    /// Public AEDs counted in the report; `None` when the district is not in the AED table.
    pub aeds: Option<u32>,
    /// Card 09 incidents; `None` when the district is not in the arrests table.
    pub arrests: Option<u32>,
    /// `arrests / aeds`; `None` when either is missing or there are no AEDs.
    pub arrests_per_aed: Option<f64>,
}

/// Both tables joined by district.
#[derive(Debug, Clone, PartialEq)]
pub struct DistrictTable {
    /// Districts with AEDs and arrests, by arrests per AED, highest first.
    pub ranked: Vec<DistrictRow>,
    /// Districts with arrests but no AEDs counted (absent from the AED table, or zero).
    pub arrests_without_aeds: Vec<DistrictRow>,
    /// Districts with AEDs but no row in the arrests table.
    pub aeds_without_arrests: Vec<DistrictRow>,
    /// Arrests the report could not place in a district (its `Unknown` row).
    pub unknown_arrests: u32,
    /// All AEDs in the AED table.
    pub total_aeds: u32,
    /// All arrests, `Unknown` included: the report's Grand Total.
    pub total_arrests: u32,
}

impl DistrictTable {
    /// AEDs and arrests over the ranked districts only.
    pub fn ranked_totals(&self) -> (u32, u32) {
        self.ranked.iter().fold((0, 0), |(a, n), r| {
            (a + r.aeds.unwrap_or(0), n + r.arrests.unwrap_or(0))
        })
    }
}

/// Join AED counts and arrest counts by district. A district repeated within one table has
/// its counts added.
pub fn district_table(aeds: &[AedsByDistrict], arrests: &[ArrestsByDistrict]) -> DistrictTable {
    type Joined = BTreeMap<(String, u32, String), DistrictRow>;
    fn entry<'a>(joined: &'a mut Joined, district: &str) -> &'a mut DistrictRow {
        joined
            .entry(district_sort_key(district))
            .or_insert_with(|| DistrictRow {
                district: district.to_string(),
                aeds: None,
                arrests: None,
                arrests_per_aed: None,
            })
    }
    let mut joined = Joined::new();
    for a in aeds {
        let row = entry(&mut joined, &a.district);
        row.aeds = Some(row.aeds.unwrap_or(0) + a.aed_count);
    }
    let mut unknown_arrests = 0;
    for a in arrests {
        if a.is_unknown() {
            unknown_arrests += a.incidents;
            continue;
        }
        let row = entry(&mut joined, &a.district);
        row.arrests = Some(row.arrests.unwrap_or(0) + a.incidents);
    }

    let mut table = DistrictTable {
        ranked: Vec::new(),
        arrests_without_aeds: Vec::new(),
        aeds_without_arrests: Vec::new(),
        unknown_arrests,
        total_aeds: aeds.iter().map(|a| a.aed_count).sum(),
        total_arrests: arrests.iter().map(|a| a.incidents).sum(),
    };
    for mut row in joined.into_values() {
        match (row.aeds, row.arrests) {
            (Some(n_aeds), Some(n_arrests)) if n_aeds > 0 => {
                row.arrests_per_aed = Some(f64::from(n_arrests) / f64::from(n_aeds));
                table.ranked.push(row);
            }
            (_, Some(_)) => table.arrests_without_aeds.push(row),
            (Some(_), None) => table.aeds_without_arrests.push(row),
            (None, None) => {}
        }
    }
    // Ties keep district order (the sort is stable and rows arrive in district order).
    table.ranked.sort_by(|a, b| {
        let ratio = |r: &DistrictRow| r.arrests_per_aed.unwrap_or(0.0);
        ratio(b)
            .total_cmp(&ratio(a))
            .then_with(|| b.arrests.cmp(&a.arrests))
    });
    table
}

/// The table built from the report's seeds.
pub fn from_seeds() -> Result<DistrictTable, SeedError> {
    Ok(district_table(
        &seeds::aeds_by_district()?,
        &seeds::arrests_by_district()?,
    ))
}

/// `LE2` before `LE10`: area letters, district number, then any trailing letter.
fn district_sort_key(district: &str) -> (String, u32, String) {
    let letters: String = district
        .chars()
        .take_while(char::is_ascii_alphabetic)
        .collect();
    let rest = &district[letters.len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let number = digits.parse().unwrap_or(0);
    (letters, number, rest[digits.len()..].to_string())
}

fn fmt_count(n: Option<u32>) -> String {
    n.map_or_else(|| "-".to_string(), |n| n.to_string())
}

fn fmt_ratio(r: Option<f64>, decimals: usize) -> String {
    r.map_or_else(|| "-".to_string(), |r| format!("{r:.decimals$}"))
}

fn ratio(arrests: u32, aeds: u32) -> Option<f64> {
    (aeds > 0).then(|| f64::from(arrests) / f64::from(aeds))
}

/// A readable, aligned text report.
pub fn render_text(table: &DistrictTable) -> String {
    let mut out = String::new();
    let w = &mut out;
    let line = |w: &mut String, rank: &str, d: &str, aeds: &str, arrests: &str, per: &str| {
        let _ = writeln!(w, "{rank:>4}  {d:<8}  {aeds:>5}  {arrests:>7}  {per:>11}");
    };
    let rows = |w: &mut String, rows: &[DistrictRow]| {
        if rows.is_empty() {
            let _ = writeln!(w, "      (none)");
        }
        for r in rows {
            line(
                w,
                "",
                &r.district,
                &fmt_count(r.aeds),
                &fmt_count(r.arrests),
                &fmt_ratio(r.arrests_per_aed, 2),
            );
        }
    };
    let header = |w: &mut String| line(w, "Rank", "District", "AEDs", "Arrests", "Arrests/AED");

    let _ = writeln!(
        w,
        "Cardiac arrests per public AED by postcode district\n\
         Source: Leicestershire County Council, Health Overview and Scrutiny Committee,\n\
         10 November 2021, agenda item 11. AEDs: public cabinet AEDs on the EMAS CAD system\n\
         (paragraph 6). Arrests: Card 09 incidents (paragraph 14); the report gives no period.\n"
    );
    let _ = writeln!(w, "Ranked by arrests per AED, highest first");
    header(w);
    for (i, r) in table.ranked.iter().enumerate() {
        line(
            w,
            &(i + 1).to_string(),
            &r.district,
            &fmt_count(r.aeds),
            &fmt_count(r.arrests),
            &fmt_ratio(r.arrests_per_aed, 2),
        );
    }
    let (ranked_aeds, ranked_arrests) = table.ranked_totals();
    line(
        w,
        "",
        "Subtotal",
        &ranked_aeds.to_string(),
        &ranked_arrests.to_string(),
        &fmt_ratio(ratio(ranked_arrests, ranked_aeds), 2),
    );

    let _ = writeln!(
        w,
        "\nDistricts with arrests but no AED count in the report (not ranked)"
    );
    header(w);
    rows(w, &table.arrests_without_aeds);

    let _ = writeln!(w, "\nDistricts with AEDs but no arrests row in the report");
    header(w);
    rows(w, &table.aeds_without_arrests);

    let _ = writeln!(w, "\nArrests with no district (printed as \"Unknown\")");
    header(w);
    line(
        w,
        "",
        "Unknown",
        "-",
        &table.unknown_arrests.to_string(),
        "-",
    );

    let _ = writeln!(w, "\nTotals as printed in the report (all rows)");
    header(w);
    line(
        w,
        "",
        "Total",
        &table.total_aeds.to_string(),
        &table.total_arrests.to_string(),
        &fmt_ratio(ratio(table.total_arrests, table.total_aeds), 2),
    );
    out
}

/// CSV with one row per district and per total:
/// `section,rank,district,aeds,arrests,arrests_per_aed`. Sections: `ranked`,
/// `arrests_no_aed_count`, `aeds_no_arrests_row`, `unknown`, `subtotal_ranked`, `total`.
/// Missing values are empty; ratios have 4 decimals.
pub fn render_csv(table: &DistrictTable) -> Result<String, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "section",
        "rank",
        "district",
        "aeds",
        "arrests",
        "arrests_per_aed",
    ])?;
    let opt = |n: Option<u32>| n.map(|n| n.to_string()).unwrap_or_default();
    let per = |r: Option<f64>| r.map(|r| format!("{r:.4}")).unwrap_or_default();
    let mut row = |section: &str, rank: String, r: &DistrictRow| {
        w.write_record([
            section,
            &rank,
            &r.district,
            &opt(r.aeds),
            &opt(r.arrests),
            &per(r.arrests_per_aed),
        ])
    };
    for (i, r) in table.ranked.iter().enumerate() {
        row("ranked", (i + 1).to_string(), r)?;
    }
    for r in &table.arrests_without_aeds {
        row("arrests_no_aed_count", String::new(), r)?;
    }
    for r in &table.aeds_without_arrests {
        row("aeds_no_arrests_row", String::new(), r)?;
    }
    let synthetic = |district: &str, aeds: Option<u32>, arrests: u32| DistrictRow {
        district: district.to_string(),
        aeds,
        arrests: Some(arrests),
        arrests_per_aed: aeds.and_then(|a| ratio(arrests, a)),
    };
    row(
        "unknown",
        String::new(),
        &synthetic(seeds::UNKNOWN_DISTRICT, None, table.unknown_arrests),
    )?;
    let (ranked_aeds, ranked_arrests) = table.ranked_totals();
    row(
        "subtotal_ranked",
        String::new(),
        &synthetic("", Some(ranked_aeds), ranked_arrests),
    )?;
    row(
        "total",
        String::new(),
        &synthetic("", Some(table.total_aeds), table.total_arrests),
    )?;
    let bytes = w.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aed(d: &str, n: u32) -> AedsByDistrict {
        AedsByDistrict {
            district: d.into(),
            aed_count: n,
        }
    }

    fn arr(d: &str, n: u32) -> ArrestsByDistrict {
        ArrestsByDistrict {
            district: d.into(),
            incidents: n,
        }
    }

    #[test]
    fn join_ranks_and_separates() {
        let t = district_table(
            &[aed("LE1", 10), aed("LE2", 4), aed("LE10", 5), aed("CV9", 3)],
            &[
                arr("LE1", 20),
                arr("LE2", 8),
                arr("LE10", 30),
                arr("PE9", 7),
                arr("Unknown", 2),
            ],
        );
        let ranked: Vec<_> = t.ranked.iter().map(|r| r.district.as_str()).collect();
        // LE10 6.0 first; LE1 and LE2 tie at 2.0 and the one with more arrests comes first.
        assert_eq!(ranked, ["LE10", "LE1", "LE2"]);
        assert_eq!(t.ranked[0].arrests_per_aed, Some(6.0));
        assert_eq!(t.arrests_without_aeds.len(), 1);
        assert_eq!(t.arrests_without_aeds[0].district, "PE9");
        assert_eq!(t.arrests_without_aeds[0].arrests_per_aed, None);
        assert_eq!(t.aeds_without_arrests[0].district, "CV9");
        assert_eq!(t.unknown_arrests, 2);
        assert_eq!(t.total_aeds, 22);
        assert_eq!(t.total_arrests, 67);
        assert_eq!(t.ranked_totals(), (19, 58));
    }

    #[test]
    fn zero_aeds_is_not_ranked() {
        let t = district_table(&[aed("LE5", 0)], &[arr("LE5", 3)]);
        assert!(t.ranked.is_empty());
        assert_eq!(t.arrests_without_aeds[0].aeds, Some(0));
        assert_eq!(t.arrests_without_aeds[0].arrests_per_aed, None);
    }

    #[test]
    fn natural_district_order() {
        let mut v = vec!["LE10", "LE2", "DE74", "LE1", "EC1A", "LE65"];
        v.sort_by_key(|d| district_sort_key(d));
        assert_eq!(v, ["DE74", "EC1A", "LE1", "LE2", "LE10", "LE65"]);
    }

    #[test]
    fn seeds_table() {
        let t = from_seeds().unwrap();
        assert_eq!(t.total_aeds, 865);
        assert_eq!(t.total_arrests, 2252);
        assert_eq!(t.unknown_arrests, 2);
        assert_eq!(t.ranked.len(), 25);
        let missing: Vec<_> = t
            .arrests_without_aeds
            .iter()
            .map(|r| r.district.as_str())
            .collect();
        assert_eq!(missing, ["DE11", "DE73", "NG13", "NG32", "NG33", "PE9"]);
        assert!(t.aeds_without_arrests.is_empty());
        // LE5: 234 arrests / 25 AEDs = 9.36, the highest ratio.
        assert_eq!(t.ranked[0].district, "LE5");
        assert!((t.ranked[0].arrests_per_aed.unwrap() - 9.36).abs() < 1e-9);
        assert!(
            t.ranked
                .windows(2)
                .all(|w| w[0].arrests_per_aed >= w[1].arrests_per_aed)
        );
        let (a, n) = t.ranked_totals();
        assert_eq!((a, n), (865, 2252 - 22 - 2));
    }

    #[test]
    fn renders() {
        let t = from_seeds().unwrap();
        let text = render_text(&t);
        assert!(text.contains("no AED count"));
        assert!(
            text.contains("   1  LE5          25      234         9.36"),
            "{text}"
        );
        let csv = render_csv(&t).unwrap();
        let lines: Vec<_> = csv.lines().collect();
        assert_eq!(
            lines[0],
            "section,rank,district,aeds,arrests,arrests_per_aed"
        );
        assert_eq!(lines[1], "ranked,1,LE5,25,234,9.3600");
        assert_eq!(lines.last(), Some(&"total,,,865,2252,2.6035"));
        assert_eq!(lines.len(), 1 + 25 + 6 + 1 + 2);
    }
}
