//! The seed tables through the public API, and (when the files are beside the repository) a
//! cross-check against the report's text and against Code-Point Open.

use aedcover::geography::{Postcode, PostcodeLevel};
use aedcover::seeds::{
    self, AedModel, Cabinet, CostCategory, PostcodeFlag, Vat, aed_models, aeds_by_district,
    arrests_by_district, costs, emas_managed_aeds,
};
use std::collections::HashSet;

#[test]
fn totals_as_printed() {
    let aeds = aeds_by_district().unwrap();
    assert_eq!(aeds.len(), 25);
    assert_eq!(aeds.iter().map(|r| r.aed_count).sum::<u32>(), 865);
    let arrests = arrests_by_district().unwrap();
    assert_eq!(arrests.iter().map(|r| r.incidents).sum::<u32>(), 2252);
    assert!(
        arrests
            .iter()
            .any(|r| r.district == "Unknown" && r.incidents == 2)
    );
}

#[test]
fn every_district_code_is_a_postcode_district() {
    let aeds = aeds_by_district().unwrap();
    let arrests = arrests_by_district().unwrap();
    for d in aeds.iter().map(|r| r.district.as_str()).chain(
        arrests
            .iter()
            .filter(|r| !r.is_unknown())
            .map(|r| r.district.as_str()),
    ) {
        let p = Postcode::parse(d).unwrap_or_else(|e| panic!("{d}: {e}"));
        assert_eq!(p.level(), PostcodeLevel::District, "{d}");
        assert_eq!(p.to_string(), d);
    }
}

#[test]
fn twenty_five_emas_sites() {
    let sites = emas_managed_aeds().unwrap();
    assert_eq!(sites.len(), 25);
    let flags: Vec<_> = sites
        .iter()
        .filter(|s| s.postcode_flag != PostcodeFlag::Ok)
        .map(|s| {
            (
                s.seq,
                s.postcode_published.as_str(),
                s.postcode.as_ref().map(Postcode::to_string),
                s.postcode_flag,
            )
        })
        .collect();
    assert_eq!(
        flags,
        vec![
            (
                2,
                "LE67 3F;J",
                Some("LE67 3FJ".into()),
                PostcodeFlag::Recovered
            ),
            (10, "5QJ", None, PostcodeFlag::Incomplete),
            (
                22,
                "LE12 7F",
                Some("LE12 7".into()),
                PostcodeFlag::Incomplete
            ),
        ]
    );
    assert_eq!(sites[16].seq_printed, None);
    assert!(
        sites
            .iter()
            .filter(|s| s.seq != 17)
            .all(|s| s.seq_printed == Some(s.seq))
    );
}

#[test]
fn cost_helpers() {
    assert_eq!(aed_models().unwrap().len(), 3);
    assert_eq!(
        seeds::bundle_price_gbp(AedModel::IpadSp1, Cabinet::Plastic),
        Some((1149.0, Vat::Ex))
    );
    for (m, y8, y10) in [
        (AedModel::PowerheartG5, 596.0, 635.0),
        (AedModel::LifepakCr2, 654.0, 731.0),
        (AedModel::IpadSp1, 323.0, 541.0),
    ] {
        assert_eq!(seeds::running_costs_gbp(m, 8), Some(y8));
        assert_eq!(seeds::running_costs_gbp(m, 10), Some(y10));
    }
    let rows = costs().unwrap();
    assert_eq!(
        rows.iter()
            .filter(|r| r.category == CostCategory::Total)
            .count(),
        6
    );
}

fn report_text() -> Option<String> {
    let path = aedcover::opendata::file_for_test("../seeds/aed-report-leicestershire-2021.md")?;
    Some(std::fs::read_to_string(path).unwrap())
}

/// Each typed-in row, rebuilt as the report's tab-separated line, must occur in the report.
#[test]
fn rows_occur_verbatim_in_the_report() {
    let Some(report) = report_text() else { return };
    let lines: HashSet<&str> = report.lines().collect();
    let has = |line: String| assert!(lines.contains(line.as_str()), "not in report: {line:?}");

    for r in aeds_by_district().unwrap() {
        has(format!("{}\t{}", r.district, r.aed_count));
    }
    for r in arrests_by_district().unwrap() {
        has(format!("{}\t{}", r.district, r.incidents));
    }
    for s in emas_managed_aeds().unwrap() {
        if s.seq == 17 {
            // Split over two lines in the extraction.
            assert!(report.contains(
                " - Loughborough Brush Sports & Social Club, 18 Fennel Street LE11\n 1UQ:"
            ));
            continue;
        }
        assert!(
            report.contains(&s.as_printed),
            "not in report: {:?}",
            s.as_printed
        );
        assert!(s.as_printed.contains(&s.name));
        assert!(s.as_printed.contains(&s.address));
        assert!(s.as_printed.contains(&s.postcode_published));
    }

    // aed_models.csv: label, then the three models' values, as printed.
    let csv_path = concat!(env!("CARGO_MANIFEST_DIR"), "/seeds/aed_models.csv");
    let mut rdr = csv::Reader::from_path(csv_path).unwrap();
    let headers = rdr.headers().unwrap().clone();
    let records: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), 3);
    let label = |col: &str| match col {
        "operating_temperature" => "Operating temp'".to_string(),
        "ip_rating" => "IP rating".to_string(),
        "cpr_coaching_language" => "CPR coaching language".to_string(),
        "ecg_assessment" => "ECG assessment".to_string(),
        other => {
            let s = other.replace('_', " ");
            let mut c = s.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect())
                .unwrap()
        }
    };
    for (i, col) in headers.iter().enumerate().skip(2) {
        let values: Vec<&str> = records.iter().map(|r| &r[i]).collect();
        has(format!("{}\t{}", label(col), values.join("\t")));
    }
    has(format!(
        "\t{}",
        records.iter().map(|r| &r[1]).collect::<Vec<_>>().join("\t")
    ));

    // costs.csv: each printed row (label, three cells), or the electricity sentence.
    let rows = costs().unwrap();
    let mut printed_rows: Vec<(CostCategory, String, Vec<&str>)> = Vec::new();
    for r in rows.iter().filter(|r| r.model.is_some()) {
        let label = match r.category {
            CostCategory::Running | CostCategory::Total => format!("Year {}", r.year.unwrap()),
            _ => r.item.clone(),
        };
        match printed_rows
            .iter_mut()
            .find(|(c, l, _)| *c == r.category && *l == label)
        {
            Some((_, _, cells)) => cells.push(&r.amount_text),
            None => printed_rows.push((r.category, label, vec![&r.amount_text])),
        }
    }
    assert_eq!(printed_rows.len(), 23);
    for (_, label, cells) in &printed_rows {
        assert_eq!(cells.len(), 3, "{label}");
        has(format!("{label}\t{}", cells.join("\t")));
    }
    for r in rows.iter().filter(|r| r.model.is_none()) {
        assert!(report.contains(&r.amount_text), "{r:?}");
    }
}

/// All unit postcodes of the EMAS sites are live postcodes in Code-Point Open 2025-10.
#[test]
fn emas_unit_postcodes_exist_in_codepoint() {
    let Some(path) = aedcover::opendata::file_for_test(
        "codepoint_open/codepoint_open_2025-10_LE_CV_DE_NG_PE.csv",
    ) else {
        return;
    };
    let text = std::fs::read_to_string(path).unwrap();
    let live: HashSet<&str> = text
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').next())
        .collect();
    let sites = emas_managed_aeds().unwrap();
    let units: Vec<String> = sites
        .iter()
        .filter_map(|s| s.postcode.as_ref().and_then(Postcode::unit))
        .collect();
    assert_eq!(units.len(), 23);
    for u in &units {
        assert!(live.contains(u.as_str()), "{u} not in Code-Point Open");
    }
    // The incomplete sector is real too, and 5QJ is ambiguous across districts (not guessed).
    assert!(live.iter().any(|p| p.starts_with("LE12 7F")));
    let five_qj = live
        .iter()
        .filter(|p| p.starts_with("LE") && p.ends_with(" 5QJ"))
        .count();
    assert!(five_qj > 1, "5QJ occurs in {five_qj} LE districts");
}
