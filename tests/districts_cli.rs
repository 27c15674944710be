//! `aedcover districts` through the binary.

use std::process::Command;

fn run(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_aedcover"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The text between a heading and the next blank line.
fn section<'a>(text: &'a str, heading: &str) -> &'a str {
    let start = text
        .find(heading)
        .unwrap_or_else(|| panic!("no {heading:?}"));
    let rest = &text[start..];
    &rest[..rest.find("\n\n").unwrap_or(rest.len())]
}

#[test]
fn text_table_is_ranked_with_missing_counts_and_totals() {
    let text = run(&["districts"]);

    let ranked = section(&text, "Ranked by arrests per AED");
    let rows: Vec<(u32, String, f64)> = ranked
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let rank = f.first()?.parse().ok()?;
            Some((rank, f[1].to_string(), f[4].parse().ok()?))
        })
        .collect();
    assert_eq!(rows.len(), 25);
    assert_eq!(
        rows.iter().map(|r| r.0).collect::<Vec<_>>(),
        (1..=25).collect::<Vec<_>>()
    );
    assert!(
        rows.windows(2).all(|w| w[0].2 >= w[1].2),
        "not ranked: {rows:?}"
    );
    assert_eq!(rows[0].1, "LE5");
    assert_eq!(rows[24].1, "CV9");

    let missing = section(&text, "arrests but no AED count");
    for d in ["DE11", "DE73", "NG13", "NG32", "NG33", "PE9"] {
        assert!(
            missing
                .lines()
                .any(|l| l.split_whitespace().next() == Some(d)),
            "{d} missing from:\n{missing}"
        );
        assert!(!ranked.contains(d), "{d} must not be ranked");
    }
    assert!(section(&text, "AEDs but no arrests row").contains("(none)"));
    assert!(section(&text, "no district").contains("Unknown"));

    let totals = section(&text, "Totals as printed");
    let total_line = totals
        .lines()
        .find(|l| l.trim_start().starts_with("Total "))
        .unwrap();
    let f: Vec<&str> = total_line.split_whitespace().collect();
    assert_eq!(&f[1..3], ["865", "2252"]);
}

#[test]
fn csv_mode_parses() {
    let out = run(&["districts", "--csv"]);
    let mut rdr = csv::Reader::from_reader(out.as_bytes());
    assert_eq!(
        rdr.headers().unwrap(),
        vec![
            "section",
            "rank",
            "district",
            "aeds",
            "arrests",
            "arrests_per_aed"
        ]
    );
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    fn in_section<'a>(
        rows: &'a [csv::StringRecord],
        s: &'static str,
    ) -> impl Iterator<Item = &'a csv::StringRecord> {
        rows.iter().filter(move |r| &r[0] == s)
    }

    let ranked: Vec<f64> = in_section(&rows, "ranked")
        .map(|r| r[5].parse().unwrap())
        .collect();
    assert_eq!(ranked.len(), 25);
    assert!(ranked.windows(2).all(|w| w[0] >= w[1]));

    let missing: Vec<&str> = in_section(&rows, "arrests_no_aed_count")
        .map(|r| &r[2])
        .collect();
    assert_eq!(missing, ["DE11", "DE73", "NG13", "NG32", "NG33", "PE9"]);
    assert!(in_section(&rows, "arrests_no_aed_count").all(|r| r[3].is_empty() && r[5].is_empty()));

    let unknown: Vec<_> = in_section(&rows, "unknown").collect();
    assert_eq!((&unknown[0][2], &unknown[0][4]), ("Unknown", "2"));

    let total: Vec<_> = in_section(&rows, "total").collect();
    assert_eq!(total.len(), 1);
    assert_eq!((&total[0][3], &total[0][4]), ("865", "2252"));

    // Every arrest is in exactly one non-total row.
    let arrests: u32 = rows
        .iter()
        .filter(|r| !matches!(&r[0], "total" | "subtotal_ranked"))
        .map(|r| r[4].parse::<u32>().unwrap_or(0))
        .sum();
    assert_eq!(arrests, 2252);
}
