//! `aedcover registry check` through the binary, on the fixtures in tests/fixtures/registry.

use std::path::PathBuf;
use std::process::{Command, Output};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/registry")
        .join(name)
}

fn check(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_aedcover"))
        .args(["registry", "check"])
        .args(args)
        .args(["--today", "2025-06-01"])
        .output()
        .expect("run aedcover")
}

fn check_file(name: &str, extra: &[&str]) -> (Output, String, String) {
    let path = fixture(name);
    let mut args = vec![path.to_str().expect("utf-8 path")];
    args.extend_from_slice(extra);
    let out = check(&args);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out, stdout, stderr)
}

/// The count printed after `label` in the summary.
fn summary_count(text: &str, label: &str) -> usize {
    let line = text
        .lines()
        .find(|l| {
            l.trim_start().starts_with(label) && l.trim_start()[label.len()..].starts_with(' ')
        })
        .unwrap_or_else(|| panic!("no summary line {label:?} in\n{text}"));
    line.trim()[label.len()..]
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("bad count in {line:?}"))
}

#[test]
fn malformed_rows_are_named_with_their_lines() {
    let (out, _stdout, stderr) = check_file("aeds.csv", &["--guardians", guardians().as_str()]);
    assert!(out.status.success(), "{stderr}");
    let expected = [
        (18, "pads_expiry", "31/02/2024"),
        (19, "postcode", "LE12 7CI"),
        (20, "lat", "95.5"),
        (21, "access", "sometimes"),
        (22, "id", "A004"),
        (23, "lat", ""),
        (24, "indoor", "maybe"),
    ];
    for (line, column, value) in expected {
        let prefix = format!("aeds.csv:{line}: {column}: ");
        let hit = stderr
            .lines()
            .find(|l| l.contains(&prefix))
            .unwrap_or_else(|| panic!("no error {prefix:?} in\n{stderr}"));
        assert!(hit.ends_with(&format!("({value:?})")), "{hit}");
    }
    assert!(stderr.contains("aeds.csv:22: id: duplicate id, first on line 5"));
    assert!(stderr.contains("7 bad rows not checked"), "{stderr}");
    assert!(stderr.contains("unknown columns ignored: ward"), "{stderr}");
}

fn guardians() -> String {
    fixture("guardians.csv").display().to_string()
}

#[test]
fn every_problem_device_is_listed_and_counts_are_right() {
    let (out, stdout, stderr) = check_file("aeds.csv", &["--guardians", guardians().as_str()]);
    assert!(out.status.success(), "{stderr}");
    let expect_rows = [
        ("A002", "no guardian"),
        ("A003", "no guardian (id G99 not in guardians file)"),
        ("A004", "pads expired 61 days ago"),
        ("A005", "pads expire in 19 days"),
        ("A006", "pads expiry unknown"),
        ("A007", "battery expired 121 days ago"),
        ("A008", "battery expires in 30 days"),
        ("A009", "battery expiry unknown"),
        ("A010", "never checked"),
        ("A011", "last checked 151 days ago"),
        ("A012", "status not_ready"),
        ("A013", "status in_use"),
        (
            "A016",
            "no guardian; pads expired 31 days ago; never checked; status not_ready",
        ),
    ];
    for (id, problems) in expect_rows {
        let row = stdout
            .lines()
            .find(|l| l.split_whitespace().nth(1) == Some(id))
            .unwrap_or_else(|| panic!("{id} not listed in\n{stdout}"));
        assert!(row.ends_with(problems), "{row}");
    }
    // Most problems first.
    let first = stdout.lines().nth(1).unwrap_or_default();
    assert!(first.trim_start().starts_with("1  A016"), "{first}");
    for id in ["A001", "A014", "A015", "B001", "B006"] {
        assert!(
            !stdout
                .lines()
                .any(|l| l.split_whitespace().nth(1) == Some(id)),
            "{id} should not be listed:\n{stdout}"
        );
    }
    for (label, n) in [
        ("devices read", 16),
        ("retired (not triaged)", 1),
        ("triaged", 15),
        ("with no problem", 2),
        ("with problems", 13),
        ("bad rows (not checked)", 7),
        ("no guardian", 3),
        ("pads expired", 2),
        ("pads expiring soon", 1),
        ("pads expiry unknown", 1),
        ("battery expired", 1),
        ("battery expiring soon", 1),
        ("battery expiry unknown", 1),
        ("never checked", 2),
        ("check overdue", 1),
        ("status not ready", 3),
    ] {
        assert_eq!(summary_count(&stdout, label), n, "{label}");
    }
}

#[test]
fn guardian_contact_data_is_never_printed() {
    for extra in [&[][..], &["--csv"][..]] {
        let g = guardians();
        let mut args = vec!["--guardians", g.as_str()];
        args.extend_from_slice(extra);
        let (_, stdout, stderr) = check_file("aeds.csv", &args);
        for secret in [
            "Alice",
            "alice@example.org",
            "01509",
            "Bob",
            "Parish Council",
        ] {
            assert!(!stdout.contains(secret), "{secret} in stdout");
            assert!(!stderr.contains(secret), "{secret} in stderr");
        }
    }
}

#[test]
fn without_guardians_file_an_unlisted_id_is_fine() {
    let (out, stdout, _) = check_file("aeds.csv", &[]);
    assert!(out.status.success());
    assert_eq!(summary_count(&stdout, "no guardian"), 2);
    assert!(
        !stdout
            .lines()
            .any(|l| l.split_whitespace().nth(1) == Some("A003"))
    );
}

#[test]
fn csv_output_has_one_row_per_problem_device() {
    let (out, stdout, stderr) =
        check_file("aeds.csv", &["--guardians", guardians().as_str(), "--csv"]);
    assert!(out.status.success(), "{stderr}");
    let mut reader = csv::Reader::from_reader(stdout.as_bytes());
    let headers = reader.headers().expect("header").clone();
    assert_eq!(&headers[1], "id");
    assert_eq!(&headers[7], "problems");
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    assert_eq!(rows.len(), 13);
    assert_eq!(&rows[0][1], "A016");
    assert_eq!(
        &rows[0][7],
        "no_guardian;pads_expired;never_checked;status_not_ready"
    );
    assert_eq!(&rows[0][6], "4");
    // The summary goes to stderr so stdout stays a clean CSV.
    assert_eq!(summary_count(&stderr, "with problems"), 13);
}

#[test]
fn windows_are_adjustable() {
    let (_, stdout, _) = check_file("aeds.csv", &["--due-days", "10", "--check-days", "200"]);
    assert_eq!(summary_count(&stdout, "pads expiring soon"), 0);
    assert_eq!(summary_count(&stdout, "battery expiring soon"), 0);
    assert_eq!(summary_count(&stdout, "check overdue"), 0);
}

#[test]
fn strict_makes_the_first_bad_row_fatal() {
    let (out, stdout, stderr) = check_file("aeds.csv", &["--strict"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout.is_empty());
    assert!(
        stderr.contains(
            "aeds.csv:18: pads_expiry: not a date in the form YYYY-MM-DD (\"31/02/2024\")"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("aeds.csv:19:"));
}

#[test]
fn bom_and_crlf_read_fine() {
    let (out, stdout, stderr) = check_file("bom_crlf.csv", &[]);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains("error"), "{stderr}");
    assert_eq!(summary_count(&stdout, "devices read"), 2);
    assert_eq!(summary_count(&stdout, "pads expired"), 1);
    assert!(stdout.contains("C002"));
}

#[test]
fn header_only_reads_zero_devices_and_says_so() {
    let (out, stdout, stderr) = check_file("header_only.csv", &[]);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("header_only.csv: no rows (the file has a header line only)"));
    assert_eq!(summary_count(&stdout, "devices read"), 0);
}

fn assert_fails(name: &str, message: &str) {
    let (out, stdout, stderr) = check_file(name, &[]);
    assert_eq!(out.status.code(), Some(1), "{name}: {stderr}");
    assert!(stdout.is_empty(), "{name}: {stdout}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.contains(name), "{name} not named: {stderr}");
    assert!(stderr.contains(message), "{name}: {stderr}");
}

#[test]
fn unreadable_files_fail_clearly() {
    assert_fails("empty.csv", "empty.csv: the file is empty");
    assert_fails("semicolon.csv", "looks semicolon-separated");
    assert_fails("random_bytes.csv", "is this a CSV file?");
    assert_fails("no_such_file.csv", "no_such_file.csv: cannot read");
}

#[test]
fn bad_guardians_file_fails_clearly() {
    let empty = fixture("empty.csv").display().to_string();
    let (out, _, stderr) = check_file("aeds.csv", &["--guardians", &empty]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.contains("empty.csv: the file is empty"), "{stderr}");
}
