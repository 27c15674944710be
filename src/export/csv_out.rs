//! Deterministic CSV tables: a fixed header, rows checked for width, numbers formatted
//! with fixed decimals, unknown values as empty cells, `\n` line ends on every platform.

use std::path::{Path, PathBuf};

/// A table to write. Sort `rows` by a stable key before writing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CsvTable {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl CsvTable {
    pub fn new<S: Into<String>>(headers: impl IntoIterator<Item = S>) -> Self {
        CsvTable {
            headers: headers.into_iter().map(Into::into).collect(),
            rows: Vec::new(),
        }
    }

    pub fn push(&mut self, row: Vec<String>) {
        self.rows.push(row);
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CsvOutError {
    #[error("{path}: row {row} has {got} cells, the header has {want}")]
    Width {
        path: PathBuf,
        row: usize,
        got: usize,
        want: usize,
    },
    #[error("{path}: cannot write: {source}")]
    Csv { path: PathBuf, source: csv::Error },
    #[error("{path}: cannot write: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Writes `table` to `path` (through a temporary file and a rename).
pub fn write_table(path: &Path, table: &CsvTable) -> Result<(), CsvOutError> {
    let bytes = to_bytes(table).map_err(|e| match e {
        CsvOutError::Width { row, got, want, .. } => CsvOutError::Width {
            path: path.to_path_buf(),
            row,
            got,
            want,
        },
        CsvOutError::Csv { source, .. } => CsvOutError::Csv {
            path: path.to_path_buf(),
            source,
        },
        other => other,
    })?;
    let tmp = path.with_extension("csv.tmp");
    let io = |source| CsvOutError::Io {
        path: path.to_path_buf(),
        source,
    };
    std::fs::write(&tmp, bytes).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}

/// The CSV bytes of `table`.
pub fn to_bytes(table: &CsvTable) -> Result<Vec<u8>, CsvOutError> {
    let here = PathBuf::from("<memory>");
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    let csv_err = |source| CsvOutError::Csv {
        path: here.clone(),
        source,
    };
    w.write_record(&table.headers).map_err(csv_err)?;
    for (i, row) in table.rows.iter().enumerate() {
        if row.len() != table.headers.len() {
            return Err(CsvOutError::Width {
                path: here.clone(),
                row: i + 2,
                got: row.len(),
                want: table.headers.len(),
            });
        }
        w.write_record(row).map_err(csv_err)?;
    }
    w.into_inner().map_err(|e| CsvOutError::Io {
        path: here.clone(),
        source: e.into_error(),
    })
}

/// A number with `decimals` fixed places; NaN or infinite (unknown) becomes an empty cell.
pub fn num(x: f64, decimals: usize) -> String {
    if !x.is_finite() {
        return String::new();
    }
    let s = format!("{:.*}", decimals, x);
    // "-0.0" reads as a sign error in a spreadsheet.
    if s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.') {
        s[1..].to_owned()
    } else {
        s
    }
}

/// An optional value; `None` becomes an empty cell.
pub fn opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or_else(String::new, |v| v.to_string())
}

/// Free text from a user or an outside source, made safe to open in a spreadsheet: a cell
/// that would start a formula (`=`, `+`, `-`, `@`) gets a leading apostrophe, which Excel
/// and LibreOffice hide. Numbers such as `-1.5` are left alone.
pub fn text(s: &str) -> String {
    if starts_formula(s) {
        format!("'{s}")
    } else {
        s.to_owned()
    }
}

/// Whether a spreadsheet would read `s` as a formula (see [`text`]).
fn starts_formula(s: &str) -> bool {
    s.starts_with(['=', '+', '@', '\t', '\r']) || (s.starts_with('-') && s.parse::<f64>().is_err())
}

/// [`push_field`] of [`text`]`(s)`, with no copy of `s` when it needs no apostrophe.
pub fn push_text(buf: &mut Vec<u8>, s: &str) {
    if starts_formula(s) {
        push_field(buf, &text(s));
    } else {
        push_field(buf, s);
    }
}

/// The shortest exact text of a number: integers without ".0" (`500`, `0.25`).
pub fn exact(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// A radius or distance in a name: `500` for 500 m, `0.5` for half a metre.
pub fn metres(r: f64) -> String {
    exact(r)
}

/// Rounded to 6 decimals, shortest text (`0.333333`, `2`).
pub fn round6(v: f64) -> String {
    exact((v * 1e6).round() / 1e6)
}

/// One CSV field, quoted when it holds a comma, quote or line break (the csv crate's rule),
/// for writers that stream rows in parallel.
pub fn field(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\"")).into()
    } else {
        s.into()
    }
}

/// Appends the decimal digits of `n`.
#[inline]
fn push_u64(buf: &mut Vec<u8>, n: u64) {
    if n < 10 {
        // Counts, weights and flags are mostly one digit.
        buf.push(b'0' + n as u8);
        return;
    }
    buf.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

/// Appends `v` as the formatter writes it with `args` (the rare values the fast paths of
/// [`push_exact`] and [`push_fixed1`] leave to it), kept out of their inlined code.
#[cold]
fn push_formatted(buf: &mut Vec<u8>, args: std::fmt::Arguments<'_>) {
    let _ = std::io::Write::write_fmt(buf, args);
}

/// Appends [`exact`]`(v)` without a temporary string.
#[inline]
pub fn push_exact(buf: &mut Vec<u8>, v: f64) {
    // `v` is a whole number when it survives a round trip through an integer: the test of
    // [`exact`] with no `fract` (a library call on x86-64 without SSE4.1, and this runs
    // for every weight written).
    let i = v as i64;
    if v.abs() < 1e15 && i as f64 == v {
        if i < 0 {
            buf.push(b'-');
        }
        push_u64(buf, i.unsigned_abs());
    } else {
        push_formatted(buf, format_args!("{v}"));
    }
}

/// Appends `format!("{:.1}", v)` for a distance: exact integer arithmetic where the
/// rounding is unambiguous (|10v − (n + ½)| > 10⁻⁶ for v < 10⁸ m, far above the error of
/// `10 * v`), the formatter otherwise.
#[inline]
pub fn push_fixed1(buf: &mut Vec<u8>, v: f64) {
    if !(v.is_sign_positive() && v < 1e8) {
        return push_formatted(buf, format_args!("{v:.1}"));
    }
    // Floor and round by integer conversion (`floor` and `round` are library calls on
    // x86-64 without SSE4.1): `tenths - whole` is exact below 2^52.
    let tenths = v * 10.0;
    let whole = tenths as u64;
    let frac = tenths - whole as f64;
    if (frac - 0.5).abs() < 1e-6 {
        return push_formatted(buf, format_args!("{v:.1}"));
    }
    let n = whole + u64::from(frac > 0.5);
    push_u64(buf, n / 10);
    buf.push(b'.');
    buf.push(b'0' + (n % 10) as u8);
}

/// Whether a CSV field needs quotes: it holds a comma, quote or line break (as
/// [`field`] decides), looked for 8 bytes at a time.
#[inline]
fn needs_quotes(s: &[u8]) -> bool {
    let special = |b: &u8| matches!(b, b',' | b'"' | b'\n' | b'\r');
    if s.len() < 8 {
        return s.iter().any(special);
    }
    let marks = |w: &[u8]| {
        let w = u64::from_le_bytes(w.try_into().expect("8 bytes"));
        use crate::input::byte_marks;
        byte_marks(w, b',') | byte_marks(w, b'"') | byte_marks(w, b'\n') | byte_marks(w, b'\r')
    };
    // Whole words, then the last 8 bytes (which may overlap the last whole word).
    s.chunks_exact(8).any(|w| marks(w) != 0) || marks(&s[s.len() - 8..]) != 0
}

/// Appends [`field`]`(s)`.
#[inline]
pub fn push_field(buf: &mut Vec<u8>, s: &str) {
    if needs_quotes(s.as_bytes()) {
        push_quoted(buf, s);
    } else {
        buf.extend_from_slice(s.as_bytes());
    }
}

/// Appends [`field`]`(s)` of a field that needs quotes (rare), kept out of
/// [`push_field`]'s inlined code.
#[cold]
fn push_quoted(buf: &mut Vec<u8>, s: &str) {
    buf.extend_from_slice(field(s).as_bytes());
}

/// Fields written once and copied into many rows: each as [`push_field`] writes it, one
/// after another (`coverage_points.csv` names one of 100,000 AEDs on each of 1.7 million
/// rows).
#[derive(Debug, Default)]
pub struct FieldTable {
    bytes: Vec<u8>,
    /// Field `i` is `bytes[ends[i - 1]..ends[i]]` (from 0 for the first).
    ends: Vec<usize>,
}

impl FieldTable {
    pub fn new<'s>(fields: impl IntoIterator<Item = &'s str>) -> Self {
        let mut t = FieldTable::default();
        for f in fields {
            push_field(&mut t.bytes, f);
            t.ends.push(t.bytes.len());
        }
        t
    }

    /// Field `i` as written; empty past the last.
    #[inline]
    pub fn get(&self, i: usize) -> &[u8] {
        let start = match i {
            0 => 0,
            _ => self.ends.get(i - 1).copied().unwrap_or(self.bytes.len()),
        };
        let end = self.ends.get(i).copied().unwrap_or(start);
        &self.bytes[start..end]
    }
}

/// [`push_exact`] that remembers the last value it wrote: a column of a few repeated
/// values (weights of 1, residents of 0) copies their text instead of writing it again.
#[derive(Debug, Default)]
pub struct LastExact {
    bits: Option<u64>,
    text: Vec<u8>,
}

impl LastExact {
    #[inline]
    pub fn push(&mut self, buf: &mut Vec<u8>, v: f64) {
        // By bits, so that −0.0 and 0.0 (and NaNs of other payloads) each keep their text.
        if self.bits != Some(v.to_bits()) {
            self.text.clear();
            push_exact(&mut self.text, v);
            self.bits = Some(v.to_bits());
        }
        buf.extend_from_slice(&self.text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_table_gives_each_field_as_push_field_writes_it() {
        let ids = ["AED1", "", "a,b", "say \"hi\"", "x"];
        let t = FieldTable::new(ids);
        for (i, id) in ids.iter().enumerate() {
            let mut want = Vec::new();
            push_field(&mut want, id);
            assert_eq!(t.get(i), &want[..], "{id:?}");
        }
        assert_eq!(t.get(ids.len()), b"");
        assert_eq!(FieldTable::new([]).get(0), b"");
    }

    #[test]
    fn last_exact_writes_what_push_exact_writes() {
        let mut last = LastExact::default();
        let values = [
            1.0,
            1.0,
            0.0,
            -0.0,
            -0.0,
            0.25,
            1e20,
            f64::NAN,
            1.0,
            -3.0,
            -3.0,
        ];
        let (mut got, mut want) = (Vec::new(), Vec::new());
        for v in values {
            last.push(&mut got, v);
            got.push(b'|');
            push_exact(&mut want, v);
            want.push(b'|');
        }
        assert_eq!(
            String::from_utf8(got).unwrap(),
            String::from_utf8(want).unwrap()
        );
    }

    /// Every length to 20 bytes, each special byte (and others) at every place.
    #[test]
    fn needs_quotes_finds_a_special_byte_anywhere() {
        for len in 0..20 {
            for at in 0..len {
                for &b in b",\"\n\ra \xAC\x8D\x8A" {
                    let mut s = vec![b'x'; len];
                    s[at] = b;
                    let want = matches!(b, b',' | b'"' | b'\n' | b'\r');
                    assert_eq!(needs_quotes(&s), want, "{s:?}");
                }
            }
        }
    }

    #[test]
    fn writes_header_rows_and_quotes() {
        let mut t = CsvTable::new(["area", "population", "covered_pct"]);
        t.push(vec![
            text("Anstey, Thurcaston"),
            6_500.to_string(),
            num(41.256, 1),
        ]);
        t.push(vec![
            text("=HYPERLINK(\"x\")"),
            opt(None::<u32>),
            num(f64::NAN, 1),
        ]);
        let s = String::from_utf8(to_bytes(&t).unwrap()).unwrap();
        assert_eq!(
            s,
            "area,population,covered_pct\n\"Anstey, Thurcaston\",6500,41.3\n\"'=HYPERLINK(\"\"x\"\")\",,\n"
        );
    }

    #[test]
    fn ragged_row_is_an_error_naming_the_line() {
        let mut t = CsvTable::new(["a", "b"]);
        t.push(vec!["1".into()]);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        let e = write_table(&path, &t).unwrap_err().to_string();
        assert!(e.contains("t.csv") && e.contains("row 2"), "{e}");
    }

    #[test]
    fn pushed_numbers_match_the_formatter() {
        let mut values = vec![
            0.0, 0.05, 0.25, 0.75, 1.0, 2.5, 9.95, 99.96, 499.95, 1e8, 3e9,
        ];
        values.extend((0..20_000).map(|i| f64::from(i).sqrt() * 3.7));
        // Every twentieth of a metre to 1 km: halves, near-halves and carries (9.95, 99.95).
        values.extend((0..20_000).map(|i| f64::from(i) * 0.05));
        values.extend((0..20_000).map(|i| f64::from(i) * 0.05 + 1e-9));
        values.extend([-0.0, -1.0, -2.5, 1e15, 1e16, 0.1 + 0.2, f64::INFINITY]);
        values.extend([
            f64::NAN,
            f64::NEG_INFINITY,
            -0.5,
            1e15 - 1.0,
            -1e15 + 1.0,
            9.2e18,
        ]);
        values.extend([-1e15, 1e15 - 0.5, f64::MAX, f64::MIN_POSITIVE, -3.0e-300]);
        for v in values {
            let mut b = Vec::new();
            push_exact(&mut b, v);
            assert_eq!(String::from_utf8(b).unwrap(), exact(v), "exact {v}");
            if v.is_finite() {
                let mut b = Vec::new();
                push_fixed1(&mut b, v);
                assert_eq!(
                    String::from_utf8(b).unwrap(),
                    format!("{v:.1}"),
                    "fixed1 {v}"
                );
            }
        }
        for s in ["LE1 1AA", "a,b", "say \"hi\"", "two\nlines", ""] {
            let mut b = Vec::new();
            push_field(&mut b, s);
            assert_eq!(String::from_utf8(b).unwrap(), field(s));
        }
    }

    #[test]
    fn numbers() {
        assert_eq!(num(-0.01, 1), "0.0");
        assert_eq!(num(2.5, 0), "2");
        assert_eq!(num(f64::INFINITY, 2), "");
        assert_eq!(text("-1.5"), "-1.5");
        assert_eq!(text("-bad"), "'-bad");
    }
}
