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
    match fixed1_tenths(v) {
        Some(n) => {
            push_u64(buf, n / 10);
            buf.push(b'.');
            buf.push(b'0' + (n % 10) as u8);
        }
        None => push_formatted(buf, format_args!("{v:.1}")),
    }
}

/// The tenths `format!("{:.1}", v)` writes (below 10⁹), where integer arithmetic is sure
/// of them (see [`push_fixed1`]); `None` where the formatter must decide.
#[inline]
fn fixed1_tenths(v: f64) -> Option<u64> {
    if !(v.is_sign_positive() && v < 1e8) {
        return None;
    }
    // Floor and round by integer conversion (`floor` and `round` are library calls on
    // x86-64 without SSE4.1): `tenths - whole` is exact below 2^52.
    let tenths = v * 10.0;
    let whole = tenths as u64;
    let frac = tenths - whole as f64;
    if (frac - 0.5).abs() < 1e-6 {
        return None;
    }
    Some(whole + u64::from(frac > 0.5))
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

/// Whether [`field`]`(s)` is `s` as it is (no quotes needed).
#[inline]
pub fn is_plain_field(s: &str) -> bool {
    !needs_quotes(s.as_bytes())
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
#[derive(Debug)]
pub enum FieldTable {
    /// Every field fits in a [`Piece16`] (the usual case: ids are short).
    Pieces(Vec<Piece16>),
    /// Field `i` is `bytes[ends[i - 1]..ends[i]]` (from 0 for the first).
    Bytes { bytes: Vec<u8>, ends: Vec<usize> },
}

impl FieldTable {
    pub fn new<'s>(fields: impl IntoIterator<Item = &'s str>) -> Self {
        let (mut bytes, mut ends) = (Vec::new(), Vec::new());
        for f in fields {
            push_field(&mut bytes, f);
            ends.push(bytes.len());
        }
        let pieces: Option<Vec<Piece16>> = (0..ends.len())
            .map(|i| Piece16::new(nth_field(&bytes, &ends, i)))
            .collect();
        pieces.map_or(FieldTable::Bytes { bytes, ends }, FieldTable::Pieces)
    }

    /// Field `i` as a [`Piece16`]; `None` past the last, or when some field is longer.
    #[inline]
    pub fn piece(&self, i: usize) -> Option<&Piece16> {
        match self {
            FieldTable::Pieces(pieces) => pieces.get(i),
            FieldTable::Bytes { .. } => None,
        }
    }

    /// Field `i` as written; empty past the last.
    #[inline]
    pub fn get(&self, i: usize) -> &[u8] {
        match self {
            FieldTable::Pieces(pieces) => pieces.get(i).map_or(&[], Piece16::as_bytes),
            FieldTable::Bytes { bytes, ends } => nth_field(bytes, ends, i),
        }
    }
}

/// Field `i` of fields written one after another into `bytes`, ending at `ends`; empty
/// past the last.
fn nth_field<'b>(bytes: &'b [u8], ends: &[usize], i: usize) -> &'b [u8] {
    let start = match i {
        0 => 0,
        _ => ends.get(i - 1).copied().unwrap_or(bytes.len()),
    };
    let end = ends.get(i).copied().unwrap_or(start);
    &bytes[start..end]
}

/// [`push_exact`] that remembers the last value it wrote: a column of a few repeated
/// values (weights of 1, residents of 0) copies their text instead of writing it again.
#[derive(Debug, Default)]
pub struct LastExact {
    bits: Option<u64>,
    text: Vec<u8>,
    /// `text` as a [`Piece16`], when it fits in one.
    piece: Option<Piece16>,
}

impl LastExact {
    #[inline]
    pub fn push(&mut self, buf: &mut Vec<u8>, v: f64) {
        self.remember(v);
        buf.extend_from_slice(&self.text);
    }

    /// [`push_exact`]`(v)`'s text as a [`Piece16`]; `None` when it is longer.
    #[inline]
    pub fn piece(&mut self, v: f64) -> Option<Piece16> {
        self.remember(v);
        self.piece
    }

    #[inline]
    fn remember(&mut self, v: f64) {
        // By bits, so that −0.0 and 0.0 (and NaNs of other payloads) each keep their text.
        if self.bits != Some(v.to_bits()) {
            self.text.clear();
            push_exact(&mut self.text, v);
            self.bits = Some(v.to_bits());
            self.piece = Piece16::new(&self.text);
        }
    }
}

/// "00", "01", … "99".
const DIGIT_PAIRS: &[u8; 200] = b"\
    0001020304050607080910111213141516171819\
    2021222324252627282930313233343536373839\
    4041424344454647484950515253545556575859\
    6061626364656667686970717273747576777879\
    8081828384858687888990919293949596979899";

/// Up to 16 bytes of a row, kept in 16 so that [`FixedRow`] copies them whole.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Piece16 {
    bytes: [u8; 16],
    len: u8,
}

impl Piece16 {
    /// `s`, when it is at most 16 bytes.
    pub fn new(s: &[u8]) -> Option<Self> {
        let mut bytes = [0; 16];
        bytes.get_mut(..s.len())?.copy_from_slice(s);
        Some(Piece16 {
            bytes,
            len: s.len() as u8,
        })
    }

    /// [`push_fixed1`]`(v)`'s text, when integer arithmetic is sure of it.
    #[inline]
    pub fn fixed1(v: f64) -> Option<Self> {
        // Below 10⁹ tenths: a whole part of at most 8 digits, in 32 bits.
        let n = u32::try_from(fixed1_tenths(v)?).ok()?;
        // Written from the end of 16 bytes, two digits at a time, then moved to the front.
        let mut tmp = [0u8; 16];
        tmp[15] = b'0' + (n % 10) as u8;
        tmp[14] = b'.';
        let (mut w, mut at) = (n / 10, 14);
        while w >= 100 {
            let pair = 2 * (w % 100) as usize;
            w /= 100;
            at -= 2;
            tmp[at..at + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
        }
        if w >= 10 {
            at -= 2;
            tmp[at..at + 2].copy_from_slice(&DIGIT_PAIRS[2 * w as usize..2 * w as usize + 2]);
        } else {
            at -= 1;
            tmp[at] = b'0' + w as u8;
        }
        let moved = u128::from_le_bytes(tmp) >> (8 * at);
        Some(Piece16 {
            bytes: moved.to_le_bytes(),
            len: (16 - at) as u8,
        })
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len as usize]
    }
}

/// One CSV row put together on the stack, from [`Piece16`]s (each copied as 16 bytes) and
/// single bytes, then appended to the output at once: a row costs one copy call, not one
/// per field. Every method gives `None` (and appends nothing) when the row is full.
pub struct FixedRow {
    bytes: [u8; FixedRow::BYTES],
    len: usize,
}

impl Default for FixedRow {
    fn default() -> Self {
        FixedRow {
            bytes: [0; FixedRow::BYTES],
            len: 0,
        }
    }
}

impl FixedRow {
    pub const BYTES: usize = 128;

    /// Empties the row (its bytes are left as they are, to be written over).
    #[inline]
    pub fn clear(&mut self) {
        self.len = 0;
    }

    #[inline]
    pub fn piece(&mut self, p: &Piece16) -> Option<()> {
        let to = self.bytes.get_mut(self.len..self.len + 16)?;
        to.copy_from_slice(&p.bytes);
        self.len += p.len as usize;
        Some(())
    }

    #[inline]
    pub fn byte(&mut self, b: u8) -> Option<()> {
        *self.bytes.get_mut(self.len)? = b;
        self.len += 1;
        Some(())
    }

    #[inline]
    pub fn slice(&mut self, s: &[u8]) -> Option<()> {
        let to = self.bytes.get_mut(self.len..self.len + s.len())?;
        to.copy_from_slice(s);
        self.len += s.len();
        Some(())
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_table_gives_each_field_as_push_field_writes_it() {
        // Short fields (kept as pieces), and one too long for a piece (kept as bytes).
        for long in ["x", "an identifier of more than 16 bytes"] {
            let ids = ["AED1", "", "a,b", "say \"hi\"", long];
            let t = FieldTable::new(ids);
            assert_eq!(matches!(t, FieldTable::Pieces(_)), long == "x");
            for (i, id) in ids.iter().enumerate() {
                let mut want = Vec::new();
                push_field(&mut want, id);
                assert_eq!(t.get(i), &want[..], "{id:?}");
                assert_eq!(
                    t.piece(i).map(Piece16::as_bytes),
                    Piece16::new(&want)
                        .filter(|_| long == "x")
                        .as_ref()
                        .map(Piece16::as_bytes)
                );
            }
            assert_eq!(t.get(ids.len()), b"");
        }
        assert_eq!(FieldTable::new([]).get(0), b"");
    }

    #[test]
    fn pieces_and_fixed_rows_write_what_the_pushes_write() {
        let values = [
            0.0,
            0.04,
            0.05,
            0.06,
            9.95,
            43.6,
            99.99,
            1234.56,
            12345678.9,
            99999999.94,
        ];
        for v in values.into_iter().chain((0..2000).map(|i| i as f64 * 7.31)) {
            let mut want = Vec::new();
            push_fixed1(&mut want, v);
            if let Some(p) = Piece16::fixed1(v) {
                assert_eq!(p.as_bytes(), &want[..], "{v}");
            }
        }
        assert!(Piece16::new(&[b'x'; 17]).is_none());
        let mut row = FixedRow::default();
        let ab = Piece16::new(b"ab").unwrap();
        for _ in 0..(FixedRow::BYTES - 16) / 2 {
            row.piece(&ab).unwrap();
        }
        row.slice(b"cd").unwrap();
        assert_eq!(row.as_bytes().len(), FixedRow::BYTES - 14);
        assert!(row.piece(&ab).is_none(), "no room for 16 more");
        row.slice(&[b'e'; 14]).unwrap();
        assert!(row.byte(b'f').is_none() && row.slice(b"f").is_none());
        assert_eq!(row.as_bytes().len(), FixedRow::BYTES);
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
