//! A deterministic, structure-aware fuzzer over every file reader and the study parser, run
//! in-process (library calls, not the binary) on stable Rust.
//!
//! Seeds are the real fixtures under `tests/fixtures/` and the study files under `studies/`,
//! plus a few hand-made demand and area files. Each case mutates one seed (drop, duplicate or
//! swap lines and fields; numbers replaced by `nan`, `inf`, `1e308`, `-1` or huge values;
//! truncation; non-UTF-8 bytes; deep nesting) and feeds it to every reader. A reader may
//! refuse the input, but must not panic, and what it accepts must hold no non-finite number.
//!
//! - `smoke`: a fixed number of cases from a fixed seed, a few seconds, in `cargo test`.
//! - `budget` (`#[ignore]`, run by `.ci/run`): cases until `AEDCOVER_FUZZ_SECONDS` (default
//!   120) have passed. A failing input is written to `tests/fixtures/fuzz/<reader>__<hash>`
//!   and named in the failure; keep it there as a regression fixture.
//! - `replay`: every file in `tests/fixtures/fuzz/` through the reader its name starts with.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use aedcover::geography::{AreaLayer, AreaOptions, PostcodeIndex};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// xorshift64*: small, fast and the same on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// One reader: a name (the prefix of its regression fixtures) and a call that returns the
/// accepted value as `Debug` text, or `None` when the input was refused.
type Reader = (&'static str, fn(&Path) -> Option<String>);

fn ok<T: std::fmt::Debug, E>(r: Result<T, E>) -> Option<String> {
    r.ok().map(|v| format!("{v:?}"))
}

fn readers() -> Vec<Reader> {
    use aedcover::registry::{ReadOptions, read_aeds, read_guardians};
    vec![
        ("aeds", |p| ok(read_aeds(p, ReadOptions::default()))),
        ("guardians", |p| {
            ok(read_guardians(p, ReadOptions::default()))
        }),
        ("counts", |p| ok(aedcover::demand::read_counts(p))),
        ("points", |p| {
            ok(aedcover::demand::read_points(
                p,
                &aedcover::demand::PointCrs::Bng,
            ))
        }),
        ("points_raw", |p| {
            ok(aedcover::demand::read_points(
                p,
                &aedcover::demand::PointCrs::Raw,
            ))
        }),
        ("codepoint", |p| ok(PostcodeIndex::load(p).map(|(_, r)| r))),
        ("areas", |p| {
            ok(AreaLayer::from_geojson(
                p,
                &AreaOptions::postcode_districts(),
            ))
        }),
        ("layer", |p| ok(aedcover::api::read_geojson_layer("x", p))),
        ("population", |p| {
            ok(aedcover::geography::population::read_lsoa_population(p))
        }),
        ("imd", |p| ok(aedcover::geography::deprivation::read_imd(p))),
        ("ages", |p| {
            ok(aedcover::geography::deprivation::read_ages(p))
        }),
        ("criticality", |p| {
            ok(aedcover::coverage::criticality::read_criticality_csv(
                p, 500.0,
            ))
        }),
        ("import_osm", |p| ok(aedcover::import::import_osm(p))),
        ("import_circuit", |p| {
            ok(aedcover::import::import_circuit(p))
        }),
        ("import_table", |p| ok(aedcover::import::import_table(p))),
        ("osm_network", |p| ok(aedcover::network::read_osm(p))),
        ("sites", |p| {
            ok(aedcover::siting::read_named_sites(
                p,
                &|x, y| Some((x, y)),
                None,
            ))
        }),
        ("study", |p| ok(aedcover::study::Study::load(p))),
    ]
}

/// Whether `debug` holds `NaN` or `inf` outside a quoted string.
fn has_non_finite(debug: &str) -> bool {
    let b = debug.as_bytes();
    let (mut i, mut quoted) = (0, false);
    while i < b.len() {
        match b[i] {
            b'\\' if quoted => i += 1,
            b'"' => quoted = !quoted,
            _ if !quoted => {
                let word = |w: &[u8]| {
                    b[i..].starts_with(w)
                        && (i == 0 || !b[i - 1].is_ascii_alphanumeric() && b[i - 1] != b'_')
                        && b.get(i + w.len())
                            .is_none_or(|c| !c.is_ascii_alphanumeric() && *c != b'_')
                };
                if word(b"NaN") || word(b"inf") {
                    return true;
                }
            }
            _ => {}
        }
        i += 1;
    }
    false
}

fn seeds() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![root().join("tests/fixtures"), root().join("studies")];
    while let Some(dir) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut entries: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                if !p.ends_with("fuzz") {
                    stack.push(p);
                }
            } else if std::fs::metadata(&p).is_ok_and(|m| m.len() < 1 << 20) {
                let name = p
                    .file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned();
                if let Ok(bytes) = std::fs::read(&p) {
                    out.push((name, bytes));
                }
            }
        }
    }
    let extra: [(&str, &str); 4] = [
        (
            "counts.csv",
            "postcode,count\nLE1 1AA,3\nLE12,86\nUnknown,2\n",
        ),
        (
            "points.csv",
            "id,easting,northing,weight\na,454000,304000,2\nb,455000,305000,1\n",
        ),
        (
            "points_ll.csv",
            "id,lat,lon,weight\na,52.63,-1.13,1\nb,52.64,-1.12,2\n",
        ),
        (
            "areas.geojson",
            r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"LE1"},"geometry":{"type":"Polygon","coordinates":[[[-1.15,52.62],[-1.13,52.62],[-1.13,52.64],[-1.15,52.64],[-1.15,52.62]]]}},{"type":"Feature","properties":{"name":"LE2"},"geometry":{"type":"MultiPolygon","coordinates":[[[[-1.13,52.62],[-1.11,52.62],[-1.11,52.64],[-1.13,52.62]]]]}}]}"#,
        ),
    ];
    out.extend(
        extra
            .iter()
            .map(|(n, t)| (n.to_string(), t.as_bytes().to_vec())),
    );
    out.sort();
    out
}

const NUMBERS: [&str; 14] = [
    "nan",
    "NaN",
    "inf",
    "-inf",
    "1e308",
    "-1e308",
    "-1",
    "0",
    "1e999",
    "-0",
    "99999999999999999999999",
    "4294967296",
    "1e-320",
    "",
];

/// Spans of numbers in `text` (digits with an optional sign, point and exponent).
fn number_spans(text: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < text.len() {
        if text[i].is_ascii_digit() {
            let start = if i > 0 && text[i - 1] == b'-' {
                i - 1
            } else {
                i
            };
            while i < text.len() && (text[i].is_ascii_digit() || b".eE+-".contains(&text[i])) {
                i += 1;
            }
            out.push((start, i));
        } else {
            i += 1;
        }
    }
    out
}

fn lines(b: &[u8]) -> Vec<Vec<u8>> {
    b.split_inclusive(|&c| c == b'\n')
        .map(<[u8]>::to_vec)
        .collect()
}

fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
    let mut b = seed.to_vec();
    for _ in 0..1 + rng.below(3) {
        b = mutate_once(rng, &b);
    }
    b
}

fn mutate_once(rng: &mut Rng, b: &[u8]) -> Vec<u8> {
    let mut ls = lines(b);
    match rng.below(10) {
        0..=2 => {
            let spans = number_spans(b);
            if spans.is_empty() {
                return b.to_vec();
            }
            let (s, e) = spans[rng.below(spans.len())];
            let with = NUMBERS[rng.below(NUMBERS.len())].as_bytes();
            [&b[..s], with, &b[e..]].concat()
        }
        3 if !ls.is_empty() => {
            let i = rng.below(ls.len());
            ls.remove(i);
            ls.concat()
        }
        4 if !ls.is_empty() => {
            let i = rng.below(ls.len());
            let l = ls[i].clone();
            ls.insert(i, l);
            ls.concat()
        }
        5 if ls.len() > 1 => {
            let (i, j) = (rng.below(ls.len()), rng.below(ls.len()));
            ls.swap(i, j);
            ls.concat()
        }
        6 => b[..rng.below(b.len() + 1)].to_vec(),
        7 => {
            let at = rng.below(b.len() + 1);
            let junk: &[u8] = [
                &b"\xff\xfe"[..],
                b"\xef\xbb\xbf",
                b"\0",
                b"\xc3\x28",
                b"\"",
                b",",
            ][rng.below(6)];
            [&b[..at], junk, &b[at..]].concat()
        }
        8 => {
            // Drop or duplicate one comma-separated field of one line.
            if ls.is_empty() {
                return b.to_vec();
            }
            let i = rng.below(ls.len());
            let mut fields: Vec<Vec<u8>> =
                ls[i].split(|&c| c == b',').map(<[u8]>::to_vec).collect();
            let k = rng.below(fields.len());
            if rng.below(2) == 0 && fields.len() > 1 {
                fields.remove(k);
            } else {
                let f = fields[k].clone();
                fields.insert(k, f);
            }
            ls[i] = fields.join(&b","[..]);
            ls.concat()
        }
        _ => {
            // Deep nesting where a JSON value or TOML array could start.
            let at = b.iter().position(|&c| c == b'[').unwrap_or(0);
            let depth = 1 + rng.below(5000);
            [&b[..at], &b"[".repeat(depth), &b[at..], &b"]".repeat(depth)].concat()
        }
    }
}

/// Runs every reader on `path`; the first failure, as text.
fn run_all(path: &Path, readers: &[Reader]) -> Option<(&'static str, String)> {
    for (name, read) in readers {
        match catch_unwind(AssertUnwindSafe(|| read(path))) {
            Err(e) => {
                let msg = e
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                return Some((name, format!("panicked: {msg}")));
            }
            Ok(Some(debug)) if has_non_finite(&debug) => {
                return Some((name, "accepted a non-finite number".into()));
            }
            Ok(_) => {}
        }
    }
    None
}

fn keep(reader: &str, bytes: &[u8]) -> PathBuf {
    let hash = bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &c| {
        (h ^ u64::from(c)).wrapping_mul(0x100_0000_01b3)
    });
    let p = root().join(format!("tests/fixtures/fuzz/{reader}__{hash:016x}"));
    let _ = std::fs::write(&p, bytes);
    p
}

/// Runs cases until `cases` are done or `budget` has passed; returns failures and the count.
fn fuzz(seed: u64, cases: usize, budget: Duration) -> (Vec<String>, usize) {
    let seeds = seeds();
    assert!(!seeds.is_empty(), "no fixtures found under tests/fixtures");
    let readers = readers();
    let dir = tempfile::tempdir().expect("temp dir");
    let mut rng = Rng(seed);
    let started = Instant::now();
    let mut failures = Vec::new();
    let mut n = 0;
    while n < cases && started.elapsed() < budget {
        let (name, bytes) = &seeds[rng.below(seeds.len())];
        let input = mutate(&mut rng, bytes);
        let path = dir.path().join(name);
        if std::fs::write(&path, &input).is_err() {
            continue;
        }
        if let Some((reader, what)) = run_all(&path, &readers) {
            let kept = keep(reader, &input);
            failures.push(format!("{reader} {what}: kept as {}", kept.display()));
        }
        n += 1;
    }
    (failures, n)
}

#[test]
fn smoke() {
    let (failures, n) = fuzz(0x5eed_aed0_c0fe_0001, 400, Duration::from_secs(60));
    println!("fuzz smoke: {n} cases, {} failures", failures.len());
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
#[ignore = "bounded fuzz run for .ci/run: AEDCOVER_FUZZ_SECONDS (default 120)"]
fn budget() {
    // One test binary: this module runs as `fuzz_inputs::budget`.
    let secs = std::env::var("AEDCOVER_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or(120);
    let seed = std::env::var("AEDCOVER_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or(0x5eed_aed0_c0fe_0002);
    let (failures, n) = fuzz(seed, usize::MAX, Duration::from_secs(secs));
    println!(
        "fuzz budget: {n} cases in {secs} s, {} failures",
        failures.len()
    );
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn replay() {
    let dir = root().join("tests/fixtures/fuzz");
    let readers = readers();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|rd| rd.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    let mut failures = Vec::new();
    for f in files
        .iter()
        .filter(|f| f.extension().is_none_or(|e| e != "md"))
    {
        let name = f
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let prefix = name.split("__").next().unwrap_or("");
        let chosen: Vec<Reader> = readers.iter().copied().filter(|r| r.0 == prefix).collect();
        assert!(!chosen.is_empty(), "{name}: no reader named {prefix:?}");
        if let Some((reader, what)) = run_all(f, &chosen) {
            failures.push(format!("{name}: {reader} {what}"));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn the_non_finite_scan_ignores_quoted_text() {
    assert!(has_non_finite("Point { x: inf, y: 1.0 }"));
    assert!(has_non_finite("[NaN]"));
    assert!(!has_non_finite(
        "Row { id: \"inf\", note: \"say \\\"NaN\\\"\" , info: 1 }"
    ));
}
