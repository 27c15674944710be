//! Reading demand files: counts by postcode, or points.
//!
//! Counts: a CSV with a postcode column (`postcode`, `district`, `sector`, `unit`, `area` or
//! `code`) and an optional weight column (`weight`, `count`, `arrests`, `value`); without a
//! weight column every row counts 1. Points: a CSV with `lat,lon` (WGS84 degrees) or
//! `easting,northing` / `x,y` (EPSG:27700 metres unless another CRS is given), and optional
//! `weight` and `id` columns. Header names match by the [`crate::csvhead`] rule (BOM, case and
//! padding ignored). Bad values are errors naming `file:line: column: reason (value)`.

use super::spread::CountRow;
use crate::coverage::DemandPoint;
use crate::csvhead::Headers;
use ecow::{EcoString, eco_format};
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// A demand file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum DemandError {
    #[error("{path}: {source}")]
    Open { path: PathBuf, source: csv::Error },
    /// Worded without the csv crate's own line count ([`crate::input::csv_reason`]).
    #[error("{path}:{line}: {reason}", reason = crate::input::csv_reason(.source))]
    Csv {
        path: PathBuf,
        line: u64,
        source: csv::Error,
    },
    #[error("{path}:{line}: {column}: {reason} ({value:?})")]
    Field {
        path: PathBuf,
        line: u64,
        column: String,
        reason: String,
        value: String,
    },
    #[error("{path}: no {wanted} column (header: {header})")]
    MissingColumn {
        path: PathBuf,
        wanted: String,
        header: String,
    },
}

/// A conversion of (x, y) into the study's metric CRS.
pub type ToMetric = Box<dyn Fn(f64, f64) -> Result<(f64, f64), String> + Sync>;

/// How point coordinates are turned into EPSG:27700 metres.
pub enum PointCrs {
    /// `easting,northing` already in EPSG:27700 metres.
    Bng,
    /// Any other CRS: a conversion of (x, y) into the metric CRS of the study.
    Custom(ToMetric),
    /// Coordinates kept as read (lon/lat degrees or projected metres), for the pipeline to
    /// project once it has chosen the run's CRS; see [`point_columns_are_lonlat`].
    Raw,
}

/// Whether a demand file holds points (lat/lon or easting/northing columns) rather than
/// counts by postcode.
pub fn looks_like_points(path: &Path) -> Result<bool, DemandError> {
    let (_, header) = open(path)?;
    let has = |n: &[&str]| header.find_any(n).is_some();
    Ok(
        (has(&["lat", "latitude"]) && has(&["lon", "lng", "long", "longitude"]))
            || (has(&["easting", "x", "east"]) && has(&["northing", "y", "north"])),
    )
}

/// Whether a points file gives lat/lon (else easting/northing) columns.
pub fn point_columns_are_lonlat(path: &Path) -> Result<bool, DemandError> {
    let (_, header) = open(path)?;
    Ok(header.find_any(&["lat", "latitude"]).is_some()
        && header
            .find_any(&["lon", "lng", "long", "longitude"])
            .is_some())
}

/// Column `c`'s name as written, for messages.
fn label(header: &Headers, c: usize) -> &str {
    header.label(c).unwrap_or("")
}

fn number(
    path: &Path,
    rec: &csv::StringRecord,
    line: u64,
    col: usize,
    name: &str,
) -> Result<f64, DemandError> {
    let raw = rec.get(col).unwrap_or("").trim();
    match raw.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(DemandError::Field {
            path: path.to_path_buf(),
            line,
            column: name.to_string(),
            reason: "not a number".into(),
            value: raw.to_string(),
        }),
    }
}

type InputReader = std::io::Take<std::fs::File>;

/// The largest demand count or weight one row may carry: far above any real count of
/// arrests at a postcode or point, and small enough that sums stay finite.
pub const MAX_WEIGHT: f64 = 1e9;

/// A count or weight: a finite number in [0, [`MAX_WEIGHT`]].
fn weight(
    path: &Path,
    rec: &csv::StringRecord,
    line: u64,
    col: usize,
    name: &str,
) -> Result<f64, DemandError> {
    let w = number(path, rec, line, col, name)?;
    let reason = if w < 0.0 {
        "negative weight"
    } else if w > MAX_WEIGHT {
        "weight above 1e9"
    } else {
        return Ok(w);
    };
    Err(DemandError::Field {
        path: path.to_path_buf(),
        line,
        column: name.to_string(),
        reason: reason.into(),
        value: rec.get(col).unwrap_or("").trim().to_string(),
    })
}

fn open(path: &Path) -> Result<(csv::Reader<InputReader>, Headers), DemandError> {
    let file = crate::input::open(path).map_err(|e| open_error(path, e))?;
    csv_of(path, file)
}

fn open_error(path: &Path, e: std::io::Error) -> DemandError {
    DemandError::Open {
        path: path.to_path_buf(),
        source: csv::Error::from(e),
    }
}

/// A flexible csv reader of `source`, the text of `path`, past its header.
fn csv_of<R: std::io::Read>(
    path: &Path,
    source: R,
) -> Result<(csv::Reader<R>, Headers), DemandError> {
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(source);
    let header = Headers::new(rdr.headers().map_err(|source| DemandError::Csv {
        path: path.to_path_buf(),
        line: 1,
        source,
    })?);
    Ok((rdr, header))
}

/// A demand file as read: the good rows in file order and every bad row skipped.
#[derive(Debug)]
pub struct DemandRows<T> {
    pub rows: Vec<T>,
    /// The bad rows, in file order, each naming `file:line: column: reason (value)`.
    pub skipped: Vec<DemandError>,
}

impl<T> Default for DemandRows<T> {
    fn default() -> Self {
        DemandRows {
            rows: Vec::new(),
            skipped: Vec::new(),
        }
    }
}

impl<T> DemandRows<T> {
    /// Data rows read: used and skipped.
    pub fn read(&self) -> usize {
        self.rows.len() + self.skipped.len()
    }
}

/// Keeps a bad row's error, or returns it at once in strict mode.
fn skip(skipped: &mut Vec<DemandError>, strict: bool, e: DemandError) -> Result<(), DemandError> {
    if strict {
        return Err(e);
    }
    skipped.push(e);
    Ok(())
}

/// Reads counts by postcode; the first bad row (a negative weight, say) is the error.
pub fn read_counts(path: &Path) -> Result<Vec<CountRow>, DemandError> {
    read_counts_with(path, true).map(|r| r.rows)
}

/// Reads counts by postcode: bad rows are skipped and kept (`strict`: the first is the error).
pub fn read_counts_with(path: &Path, strict: bool) -> Result<DemandRows<CountRow>, DemandError> {
    let bytes = crate::input::read(path).map_err(|e| open_error(path, e))?;
    let (mut rdr, header) = csv_of(path, bytes.as_slice())?;
    let pc_col = header
        .find_any(&[
            "postcode",
            "district",
            "sector",
            "unit",
            "area",
            "code",
            "post code",
        ])
        .ok_or_else(|| DemandError::MissingColumn {
            path: path.to_path_buf(),
            wanted: "postcode".into(),
            header: header.joined(),
        })?;
    let w_col = header.find_any(&["weight", "count", "arrests", "value", "n", "incidents"]);
    let file = path
        .file_name()
        .map(|f| f.to_string_lossy().to_string())
        .unwrap_or_default();
    let mut out = DemandRows::default();
    let mut lines = crate::input::RecordLines::new(&bytes);
    let mut line_of = |p: Option<&csv::Position>| lines.at(p).unwrap_or(0);
    for rec in rdr.records() {
        let row = rec
            .map_err(|source| DemandError::Csv {
                path: path.to_path_buf(),
                line: line_of(source.position()),
                source,
            })
            .and_then(|rec| {
                let line = line_of(rec.position());
                count_row(path, &header, (&file, line), (pc_col, w_col), &rec)
            });
        match row {
            Ok(r) => out.rows.push(r),
            Err(e) => skip(&mut out.skipped, strict, e)?,
        }
    }
    Ok(out)
}

/// One row of a counts file, the record on `line` of `file`.
fn count_row(
    path: &Path,
    header: &Headers,
    (file, line): (&str, u64),
    (pc_col, w_col): (usize, Option<usize>),
    rec: &csv::StringRecord,
) -> Result<CountRow, DemandError> {
    let weight = match w_col {
        Some(c) => weight(path, rec, line, c, label(header, c))?,
        None => 1.0,
    };
    Ok(CountRow {
        source: format!("{file}:{line}"),
        postcode: rec.get(pc_col).unwrap_or("").trim().to_string(),
        weight,
    })
}

/// Reads demand points. Large files without quotes are cut at line ends and read on every
/// core; the points come out in file order, and the first bad row (in file order) is the
/// error, with its line.
pub fn read_points(path: &Path, crs: &PointCrs) -> Result<Vec<DemandPoint>, DemandError> {
    read_points_with(path, crs, true).map(|r| r.rows)
}

/// Reads demand points: bad rows are skipped and kept, in file order (`strict`: the first
/// bad row in file order is the error).
pub fn read_points_with(
    path: &Path,
    crs: &PointCrs,
    strict: bool,
) -> Result<DemandRows<DemandPoint>, DemandError> {
    match read_points_in_pieces(path, crs, strict, IN_PIECES)? {
        Some(rows) => Ok(rows),
        None => read_points_whole(path, crs, strict),
    }
}

/// [`read_points_with`] with the whole file in memory.
fn read_points_whole(
    path: &Path,
    crs: &PointCrs,
    strict: bool,
) -> Result<DemandRows<DemandPoint>, DemandError> {
    let bytes = crate::input::read(path).map_err(|e| open_error(path, e))?;
    let (rdr, header) = csv_of(path, bytes.as_slice())?;
    let ctx = PointContext::new(path, &header, crs, strict)?;
    let start = (rdr.position().byte() as usize).min(bytes.len());
    let first_line = rdr.position().line();
    let pieces = split_at_lines(&bytes[start..], first_line);
    let slots: Vec<usize> = pieces
        .par_iter()
        .map(|(p, _)| crate::input::most_records(p))
        .collect();
    let mut rows = placeholders(slots.iter().sum());
    let fills: Vec<Result<PieceFill, DemandError>> = pieces
        .into_par_iter()
        .zip(split_slots(&mut rows, &slots))
        .map(|((piece, line), out)| read_piece(&ctx, piece, line, out))
        .collect();
    drop(bytes);
    gather(rows, &slots, fills)
}

/// The rows that pieces read into `rows` (`slots[i]` for piece `i`), and their bad rows in
/// file order (`strict`: the first is the error).
fn gather(
    rows: Vec<DemandPoint>,
    slots: &[usize],
    fills: Vec<Result<PieceFill, DemandError>>,
) -> Result<DemandRows<DemandPoint>, DemandError> {
    let mut skipped = Vec::new();
    let mut fills_ok = Vec::with_capacity(fills.len());
    for fill in fills {
        let mut fill = fill?;
        skipped.append(&mut fill.skipped);
        fills_ok.push(fill);
    }
    let rows = compact(rows, slots, fills_ok);
    Ok(DemandRows { rows, skipped })
}

/// When a file is read in pieces ([`crate::input::LinePieces`]), never whole.
#[derive(Debug, Clone, Copy)]
struct InPieces {
    /// Files at least this large, bytes.
    min_bytes: u64,
    /// Bytes per piece: small enough to stay in a core's cache between copy and parse.
    piece_bytes: usize,
}

const IN_PIECES: InPieces = InPieces {
    min_bytes: 8 << 20,
    piece_bytes: 1 << 20,
};

/// The header must end within this many bytes for a file to be read in pieces.
const IN_PIECES_HEAD_BYTES: usize = 64 << 10;

/// [`read_points_with`] for a large file with no quote, read in pieces on every core. Each
/// piece is copied from the page cache twice: once to count its records and lines (so that
/// every piece knows its first line and its share of the rows before any is parsed), once
/// to parse it. `None` when the file is small, has a quote, or changes while it is read: it
/// is then read whole, the ordinary way.
fn read_points_in_pieces(
    path: &Path,
    crs: &PointCrs,
    strict: bool,
    cut: InPieces,
) -> Result<Option<DemandRows<DemandPoint>>, DemandError> {
    let io_err = |e| open_error(path, e);
    // A small file (the usual case) is left to the whole-file read before it is opened.
    if crate::input::check(path).map_err(io_err)? < cut.min_bytes {
        return Ok(None);
    }
    // The header and every piece come from this one open file.
    let mut pieces = crate::input::LinePieces::open(path).map_err(io_err)?;
    let head = pieces.head(IN_PIECES_HEAD_BYTES).map_err(io_err)?;
    // The header record must end before the bytes read do (a header cut short by them, or
    // one the csv crate cannot read from them, leaves the file to be read whole).
    let Ok((rdr, header)) = csv_of(path, head.as_slice()) else {
        return Ok(None);
    };
    let start = rdr.position().byte() as usize;
    if start == 0 || start >= head.len() || !matches!(head[start - 1], b'\n' | b'\r') {
        return Ok(None);
    }
    let ctx = PointContext::new(path, &header, crs, strict)?;
    if !pieces.cut(start as u64, cut.piece_bytes).map_err(io_err)? {
        return Ok(None);
    }
    let Some(shapes) = piece_shapes(&pieces, rdr.position().line()).map_err(io_err)? else {
        return Ok(None);
    };
    let slots: Vec<usize> = shapes.iter().map(|s| s.records).collect();
    let mut rows = placeholders(slots.iter().sum());
    let fills: Vec<Result<Option<PieceFill>, DemandError>> = (0..shapes.len())
        .into_par_iter()
        .zip(split_slots(&mut rows, &slots))
        .map(|(i, out)| {
            let read = pieces.with(i, |piece| {
                read_piece(&ctx, piece, shapes[i].first_line, out)
            });
            read.map_err(io_err)?.transpose()
        })
        .collect();
    // A piece that could not be read, or a file now of another length: it changed.
    let fills: Option<Vec<_>> = fills.into_iter().map(Result::transpose).collect();
    match (fills, pieces.unchanged().map_err(io_err)?) {
        (Some(fills), true) => gather(rows, &slots, fills).map(Some),
        _ => Ok(None),
    }
}

/// What a first look at a piece tells: the most records it can hold, and its first line.
struct PieceShape {
    records: usize,
    first_line: u64,
}

/// Each piece's shape, the first starting on line `first_line`; `None` when a piece has a
/// quote (a quoted field may hold a line end) or the file changed.
fn piece_shapes(
    pieces: &crate::input::LinePieces,
    first_line: u64,
) -> std::io::Result<Option<Vec<PieceShape>>> {
    let looks: Vec<std::io::Result<Option<(usize, u64, bool)>>> = (0..pieces.ranges.len())
        .into_par_iter()
        .map(|i| {
            pieces.with(i, |b| {
                let lines = memchr::memchr_iter(b'\n', b).count() as u64;
                (
                    crate::input::most_records(b),
                    lines,
                    memchr::memchr(b'"', b).is_some(),
                )
            })
        })
        .collect();
    let mut shapes = Vec::with_capacity(looks.len());
    let mut line = first_line;
    for look in looks {
        match look? {
            Some((records, lines, false)) => {
                shapes.push(PieceShape {
                    records,
                    first_line: line,
                });
                line += lines;
            }
            _ => return Ok(None),
        }
    }
    Ok(Some(shapes))
}

/// A piece's rows as read: how many of its slots were filled, the rows that did not fit,
/// and its bad rows in file order.
struct PieceFill {
    filled: usize,
    overflow: Vec<DemandPoint>,
    skipped: Vec<DemandError>,
}

/// An empty demand point, for slots that parsing fills in place.
fn placeholder() -> DemandPoint {
    DemandPoint {
        id: EcoString::new(),
        x_m: 0.0,
        y_m: 0.0,
        weight: 0.0,
        residents: 0.0,
    }
}

/// `n` empty points, allocated (and their pages touched) on every core.
fn placeholders(n: usize) -> Vec<DemandPoint> {
    let mut rows = Vec::new();
    (0..n)
        .into_par_iter()
        .map(|_| placeholder())
        .collect_into_vec(&mut rows);
    rows
}

/// `rows` cut into consecutive slices of `slots[i]` points each.
fn split_slots<'a>(mut rows: &'a mut [DemandPoint], slots: &[usize]) -> Vec<&'a mut [DemandPoint]> {
    let mut out = Vec::with_capacity(slots.len());
    for &n in slots {
        let (head, tail) = rows.split_at_mut(n.min(rows.len()));
        out.push(head);
        rows = tail;
    }
    out
}

/// The filled points in file order. When every slot was filled (the usual case) `rows` is
/// returned as it is; otherwise the filled slots and the overflow of each piece are moved
/// into a new vector.
fn compact(mut rows: Vec<DemandPoint>, slots: &[usize], fills: Vec<PieceFill>) -> Vec<DemandPoint> {
    let exact = fills
        .iter()
        .zip(slots)
        .all(|(f, &n)| f.filled == n && f.overflow.is_empty());
    if exact {
        return rows;
    }
    let total = fills.iter().map(|f| f.filled + f.overflow.len()).sum();
    let mut out = Vec::with_capacity(total);
    let mut from = 0;
    for (fill, &n) in fills.into_iter().zip(slots) {
        let used = &mut rows[from..from + fill.filled];
        out.extend(used.iter_mut().map(|p| std::mem::replace(p, placeholder())));
        out.extend(fill.overflow);
        from += n;
    }
    out
}

/// Where one piece's rows go: its slots in the output, then an overflow.
struct Slots<'a> {
    slots: &'a mut [DemandPoint],
    fill: PieceFill,
}

impl<'a> Slots<'a> {
    fn new(slots: &'a mut [DemandPoint]) -> Self {
        Slots {
            slots,
            fill: PieceFill {
                filled: 0,
                overflow: Vec::new(),
                skipped: Vec::new(),
            },
        }
    }

    fn push(&mut self, p: DemandPoint) {
        match self.slots.get_mut(self.fill.filled) {
            Some(slot) => {
                *slot = p;
                self.fill.filled += 1;
            }
            None => self.fill.overflow.push(p),
        }
    }

    /// Keeps a bad row's error, or returns it at once in strict mode.
    fn skip(&mut self, strict: bool, e: DemandError) -> Result<(), DemandError> {
        skip(&mut self.fill.skipped, strict, e)
    }
}

/// Bytes per piece when a file is read in parallel.
const PIECE_BYTES: usize = 4 << 20;

/// Cuts `body` (which starts on line `first_line`) into pieces at line ends, each with its
/// first line number. A body with a quote stays whole: a quoted field may hold a line end.
fn split_at_lines(body: &[u8], first_line: u64) -> Vec<(&[u8], u64)> {
    if body.len() <= PIECE_BYTES || memchr::memchr(b'"', body).is_some() {
        return vec![(body, first_line)];
    }
    let mut out = Vec::new();
    let (mut from, mut line) = (0, first_line);
    while from < body.len() {
        let to = match memchr::memchr(b'\n', &body[(from + PIECE_BYTES).min(body.len())..]) {
            Some(i) if from + PIECE_BYTES < body.len() => from + PIECE_BYTES + i + 1,
            _ => body.len(),
        };
        out.push((&body[from..to], line));
        line += memchr::memchr_iter(b'\n', &body[from..to]).count() as u64;
        from = to;
    }
    out
}

/// Column positions of a points file.
#[derive(Debug, Clone, Copy)]
struct PointColumns {
    x: usize,
    y: usize,
    wgs84: bool,
    weight: Option<usize>,
    id: Option<usize>,
}

impl PointColumns {
    fn find(path: &Path, header: &Headers) -> Result<PointColumns, DemandError> {
        let lat = header.find_any(&["lat", "latitude"]);
        let lon = header.find_any(&["lon", "lng", "long", "longitude"]);
        let east = header.find_any(&["easting", "x", "east"]);
        let north = header.find_any(&["northing", "y", "north"]);
        let (x, y, wgs84) = match (lon, lat, east, north) {
            (Some(x), Some(y), _, _) => (x, y, true),
            (_, _, Some(x), Some(y)) => (x, y, false),
            _ => {
                return Err(DemandError::MissingColumn {
                    path: path.to_path_buf(),
                    wanted: "lat,lon or easting,northing".into(),
                    header: header.joined(),
                });
            }
        };
        Ok(PointColumns {
            x,
            y,
            wgs84,
            weight: header.find_any(&["weight", "count", "arrests", "value"]),
            id: header.find_any(&["id", "incident_id", "name", "postcode"]),
        })
    }
}

struct PointContext<'a> {
    path: &'a Path,
    header: &'a Headers,
    cols: PointColumns,
    crs: &'a PointCrs,
    strict: bool,
}

impl<'a> PointContext<'a> {
    fn new(
        path: &'a Path,
        header: &'a Headers,
        crs: &'a PointCrs,
        strict: bool,
    ) -> Result<Self, DemandError> {
        Ok(PointContext {
            path,
            header,
            cols: PointColumns::find(path, header)?,
            crs,
            strict,
        })
    }
}

/// Reads one piece whose first record is on line `first_line`.
fn read_piece(
    ctx: &PointContext<'_>,
    piece: &[u8],
    first_line: u64,
    slots: &mut [DemandPoint],
) -> Result<PieceFill, DemandError> {
    let mut out = Slots::new(slots);
    // A row with bytes that are not UTF-8, in any column, goes to the checked path, which
    // names it as a bad row: the rule does not depend on which path reads the row.
    let piece_text = std::str::from_utf8(piece).ok();
    if memchr::memchr2(b'"', b'\r', piece).is_none() {
        read_plain_piece(ctx, (piece, piece_text), first_line, &mut out)?;
        return Ok(out.fill);
    }
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(piece);
    let mut brec = csv::ByteRecord::new();
    let mut lines = crate::input::RecordLines::new(piece);
    loop {
        let line_in_piece = lines.of(rdr.position().byte() as usize);
        let point = match rdr.read_byte_record(&mut brec) {
            Ok(false) => break,
            Ok(true) => {
                let at = lines.at(brec.position());
                let line = first_line + at.unwrap_or(line_in_piece) - 1;
                // Field by field when the piece is not all UTF-8: a character cut by a
                // separator is valid once the fields are joined. Only the fields the fast
                // path reads are then taken as text, with no copy of the record.
                let text =
                    piece_text.is_some() || brec.iter().all(|f| std::str::from_utf8(f).is_ok());
                let field = |c| brec.get(c).and_then(|f| std::str::from_utf8(f).ok());
                let fast = text.then(|| fast_point(ctx, field, line)).flatten();
                match fast {
                    Some(p) => Ok(p),
                    None => checked_point(ctx, &brec, line),
                }
            }
            Err(source) => Err(DemandError::Csv {
                path: ctx.path.to_path_buf(),
                line: first_line + lines.at(source.position()).unwrap_or(line_in_piece) - 1,
                source,
            }),
        };
        match point {
            Ok(p) => out.push(p),
            Err(e) => out.skip(ctx.strict, e)?,
        }
    }
    Ok(out.fill)
}

/// A piece with no quote and no carriage return (`text`: the piece, when all of it is
/// UTF-8), read the way the csv crate reads such bytes (records end at `\n`, empty lines are
/// skipped, fields split at `,`) without copying each record.
fn read_plain_piece(
    ctx: &PointContext<'_>,
    (piece, text): (&[u8], Option<&str>),
    first_line: u64,
    out: &mut Slots<'_>,
) -> Result<(), DemandError> {
    let mut fields: Vec<&str> = Vec::with_capacity(8);
    for (n, at) in split_memchr(b'\n', piece).enumerate() {
        if at.is_empty() {
            continue;
        }
        let line = first_line + n as u64;
        let record = &piece[at.clone()];
        // `\n` and `,` are ASCII: a record of a UTF-8 piece is whole text, and a record
        // is UTF-8 exactly when every field is.
        let record_text = match text {
            Some(text) => Some(&text[at]),
            None => std::str::from_utf8(record).ok(),
        };
        let fast = record_text.and_then(|t| {
            fields.clear();
            crate::input::push_str_fields(t, &mut fields);
            fast_point(ctx, |c| fields.get(c).copied(), line)
        });
        let point = match fast {
            Some(p) => Ok(p),
            None => checked_point(ctx, &byte_record(record), line),
        };
        match point {
            Ok(p) => out.push(p),
            Err(e) => out.skip(ctx.strict, e)?,
        }
    }
    Ok(())
}

/// The fields of a record with no quote, split at `,`.
fn byte_record(record: &[u8]) -> csv::ByteRecord {
    let mut fields = csv::ByteRecord::new();
    crate::input::comma_fields(record, |r| fields.push_field(&record[r]));
    fields
}

/// Where the parts of `bytes` between `sep`s are, as `bytes.split(|&b| b == sep)` cuts
/// them, found with memchr (many times faster on long pieces).
fn split_memchr(sep: u8, bytes: &[u8]) -> impl Iterator<Item = std::ops::Range<usize>> {
    let mut from = 0;
    memchr::memchr_iter(sep, bytes)
        .chain(std::iter::once(bytes.len()))
        .map(move |end| {
            let part = from..end;
            from = end + 1;
            part
        })
}

/// A finite number: digits with an optional `-` (at most 15, exact as f64, as `parse`
/// gives them) in one pass without UTF-8 checks, anything else through `str::parse`.
#[inline]
fn plain_number(field: &[u8]) -> Option<f64> {
    if let Some(v) = crate::input::plain_integer(field) {
        return Some(v);
    }
    std::str::from_utf8(field)
        .ok()?
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
}

/// Plain ASCII numbers in the run's own coordinates; `None` sends the row to the checked
/// path. `get(c)` is field `c` of the record, a UTF-8 one.
fn fast_point<'r>(
    ctx: &PointContext<'_>,
    get: impl Fn(usize) -> Option<&'r str>,
    line: u64,
) -> Option<DemandPoint> {
    let cols = ctx.cols;
    if !(matches!(ctx.crs, PointCrs::Raw) || (!cols.wgs84 && matches!(ctx.crs, PointCrs::Bng))) {
        return None;
    }
    let fast = |c: usize| get(c).and_then(|f| plain_number(f.as_bytes()));
    let (x_m, y_m) = (fast(cols.x)?, fast(cols.y)?);
    extent(cols.wgs84, x_m, y_m).ok()?;
    let weight = match cols.weight {
        Some(c) => fast(c).filter(|w| (0.0..=MAX_WEIGHT).contains(w))?,
        None => 1.0,
    };
    let id = cols.id.and_then(&get).map_or("", crate::input::trimmed);
    let id = match id.is_empty() {
        true => eco_format!("line{line}"),
        false => EcoString::from(id),
    };
    Some(DemandPoint {
        id,
        x_m,
        y_m,
        weight,
        residents: 0.0,
    })
}

/// Any row the fast path declined: every value checked, errors with file:line.
fn checked_point(
    ctx: &PointContext<'_>,
    brec: &csv::ByteRecord,
    line: u64,
) -> Result<DemandPoint, DemandError> {
    let (path, header, cols) = (ctx.path, ctx.header, ctx.cols);
    let rec = csv::StringRecord::from_byte_record(brec.clone()).map_err(|e| {
        let field = e.utf8_error().field();
        DemandError::Field {
            path: path.to_path_buf(),
            line,
            column: label(header, field).to_string(),
            reason: "not UTF-8 text".into(),
            value: String::from_utf8_lossy(brec.get(field).unwrap_or_default()).into_owned(),
        }
    })?;
    let x = number(path, &rec, line, cols.x, label(header, cols.x))?;
    let y = number(path, &rec, line, cols.y, label(header, cols.y))?;
    let converted = match ctx.crs {
        _ if extent(cols.wgs84, x, y).is_err() => extent(cols.wgs84, x, y).map(|_| (x, y)),
        PointCrs::Raw => Ok((x, y)),
        _ if cols.wgs84 => crate::geography::crs::wgs84_to_bng(x, y).map_err(|e| e.to_string()),
        PointCrs::Bng => Ok((x, y)),
        PointCrs::Custom(f) => f(x, y),
    };
    let (x_m, y_m) = converted.map_err(|reason| DemandError::Field {
        path: path.to_path_buf(),
        line,
        column: format!("{},{}", label(header, cols.x), label(header, cols.y)),
        reason,
        value: format!("{x},{y}"),
    })?;
    let weight = match cols.weight {
        Some(c) => weight(path, &rec, line, c, label(header, c))?,
        None => 1.0,
    };
    let id = cols
        .id
        .and_then(|c| rec.get(c))
        .map(|s| EcoString::from(s.trim()))
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| eco_format!("line{line}"));
    Ok(DemandPoint {
        id,
        x_m,
        y_m,
        weight,
        residents: 0.0,
    })
}

/// Where a point's coordinates as read may lie: lon/lat within the globe, or projected
/// metres within [`crate::geography::crs::MAX_METRIC_M`] of the origin.
fn extent(wgs84: bool, x: f64, y: f64) -> Result<(), String> {
    if wgs84 {
        crate::geography::crs::check_lonlat(x, y)
    } else {
        crate::geography::crs::check_metric(x, y)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn file(text: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(text.as_bytes()).unwrap();
        f
    }

    #[test]
    fn split_memchr_splits_like_slice_split() {
        for text in ["", ",", "a", "a,b", "a,,b,", ",a", "\n\n", "a\nb\n"] {
            for sep in [b',', b'\n'] {
                let want: Vec<&[u8]> = text.as_bytes().split(|&b| b == sep).collect();
                let got: Vec<&[u8]> = (split_memchr(sep, text.as_bytes()))
                    .map(|r| &text.as_bytes()[r])
                    .collect();
                assert_eq!(got, want, "{text:?}");
            }
        }
    }

    #[test]
    fn plain_numbers_read_as_parse_reads_them() {
        let parse = |s: &str| s.trim().parse::<f64>().ok().filter(|v| v.is_finite());
        let mut cases: Vec<String> = [
            "",
            "-",
            "0",
            "-0",
            "007",
            "123456789012345",
            "1234567890123456",
            "12a",
            "a1",
            "1.5",
            " 42 ",
            "-17",
            "--1",
            "1e3",
            "inf",
            "NaN",
            "9/",
            ":0",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let mut x = 1u64;
        for _ in 0..2000 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            cases.push((x >> (x % 64)).to_string());
        }
        for s in &cases {
            let got = plain_number(s.as_bytes());
            assert_eq!(got.map(f64::to_bits), parse(s).map(f64::to_bits), "{s:?}");
        }
    }

    #[test]
    fn pieces_with_blank_lines_and_lone_carriage_returns_keep_every_row_in_order() {
        assert_eq!(crate::input::most_records(b"a\nb\n"), 2);
        assert_eq!(crate::input::most_records(b"a\nb"), 2);
        assert_eq!(crate::input::most_records(b"a\rb\r\n"), 2);
        let f = file("id,easting,northing\na,1,2\n\nb,3,4\rc,5,6\r\nd,x,1\ne,7,8");
        let r = read_points_with(f.path(), &PointCrs::Bng, false).unwrap();
        let ids: Vec<&str> = r.rows.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["a", "b", "c", "e"]);
        assert_eq!(r.skipped.len(), 1);
    }

    #[test]
    fn a_file_read_in_pieces_keeps_file_order_across_gaps() {
        let mut text = String::from("id,easting,northing\n");
        for i in 0..800_000 {
            match i {
                10 => text.push('\n'),
                20 => text.push_str("bad,x,1\n"),
                _ => {}
            }
            text.push_str(&format!("p{i},{i},1\n"));
        }
        assert!(text.len() > 2 * PIECE_BYTES);
        let f = file(&text);
        let r = read_points_with(f.path(), &PointCrs::Bng, false).unwrap();
        assert_eq!((r.rows.len(), r.skipped.len()), (800_000, 1));
        assert!(r.rows.iter().enumerate().all(|(i, p)| p.x_m == i as f64));
        assert_eq!(r.rows[799_999].id, "p799999");
        assert!(
            r.skipped[0].to_string().contains(":23: easting"),
            "{}",
            r.skipped[0]
        );
    }

    /// Tiny pieces, so that a small file is cut at many line ends.
    const TINY: InPieces = InPieces {
        min_bytes: 0,
        piece_bytes: 7,
    };

    fn in_pieces(f: &tempfile::NamedTempFile, strict: bool) -> Option<Result<String, String>> {
        let shown = |r: DemandRows<DemandPoint>| format!("{:?} {:?}", r.rows, r.skipped);
        match read_points_in_pieces(f.path(), &PointCrs::Bng, strict, TINY) {
            Ok(Some(r)) => Some(Ok(shown(r))),
            Ok(None) => None,
            Err(e) => Some(Err(e.to_string())),
        }
    }

    fn whole(f: &tempfile::NamedTempFile, strict: bool) -> Result<String, String> {
        let shown = |r: DemandRows<DemandPoint>| format!("{:?} {:?}", r.rows, r.skipped);
        read_points_whole(f.path(), &PointCrs::Bng, strict)
            .map(shown)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn a_file_read_in_pieces_reads_as_the_whole_file_reads() {
        let mut bytes = b"id,easting,northing\r\na,1,2\n\nb,3,4\r\nbad,x,1\n".to_vec();
        bytes.extend_from_slice(b"c,5,6\rd,7,8\n\xff\xfe,9,9\n  \ne,10,11\nshort,1\nf,12,13");
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(&bytes).unwrap();
        for strict in [false, true] {
            let pieces = in_pieces(&f, strict).expect("read in pieces");
            assert_eq!(pieces, whole(&f, strict), "strict {strict}");
        }
        let read = in_pieces(&f, false).unwrap().unwrap();
        assert!(read.contains("\"f\"") && read.contains("line: 5, column: \"easting\""));
        // An id that is not UTF-8 is a bad row, named, not a point under another id.
        assert!(
            read.contains("line: 7, column: \"id\", reason: \"not UTF-8 text\""),
            "{read}"
        );
    }

    #[test]
    fn bytes_not_utf8_in_a_column_not_read_make_a_bad_row_on_every_path() {
        // Pieces read directly and by the csv crate (a quote, or a CR line end), numbers
        // in either spelling, and a character cut in two by a comma (whole once the fields
        // are joined): each row is named the same way.
        for extra in ["", "\"q\",1,1,q,q\n", "q,1,1,q,q\r\n"] {
            let head = format!("id,easting,northing,name,note\n{extra}a,1,2,ok,ok\n");
            let mut bytes = head.into_bytes();
            bytes.extend_from_slice(b"b,3,4,caf\xe9,ok\nc,5e0,6,caf\xc3,\xa9\nd,7,8,ok,ok\n");
            let mut f = tempfile::NamedTempFile::new().unwrap();
            f.write_all(&bytes).unwrap();
            let r = read_points_with(f.path(), &PointCrs::Bng, false).unwrap();
            let ids: Vec<&str> = r.rows.iter().map(|p| p.id.as_str()).collect();
            let first = if extra.is_empty() { 2 } else { 3 };
            assert_eq!(ids.last(), Some(&"d"), "{extra:?}");
            assert!(
                !ids.contains(&"b") && !ids.contains(&"c"),
                "{extra:?}: {ids:?}"
            );
            for (e, line) in r.skipped.iter().zip([first + 1, first + 2]) {
                let e = e.to_string();
                assert!(e.contains(&format!(":{line}: name")), "{extra:?}: {e}");
                assert!(e.contains("not UTF-8 text"), "{e}");
            }
            assert_eq!(r.skipped.len(), 2);
        }
    }

    proptest::proptest! {
        /// Any file of points, bad values, blank lines, CRLF and lone CR line ends reads the
        /// same in pieces of any size as whole.
        #[test]
        fn pieces_of_any_size_read_as_the_whole_file_reads(
            rows in proptest::collection::vec("(p[0-3]|)(,(1|-2|x|)(,(3|y|)|)|)(\r|)", 0..30),
            piece_bytes in 1usize..48,
            strict in proptest::prelude::any::<bool>(),
        ) {
            // A file of a header only has no body to cut: it is read whole.
            let body = rows.join("\n");
            proptest::prop_assume!(!body.is_empty());
            let f = file(&format!("id,easting,northing\n{body}"));
            let cut = InPieces { min_bytes: 0, piece_bytes };
            let shown = |r: DemandRows<DemandPoint>| format!("{:?} {:?}", r.rows, r.skipped);
            let pieces = read_points_in_pieces(f.path(), &PointCrs::Bng, strict, cut);
            let pieces = pieces.map(|r| r.map(shown)).map_err(|e| e.to_string());
            let whole = whole(&f, strict);
            proptest::prop_assert_eq!(pieces, whole.map(Some));
        }
    }

    #[test]
    fn a_file_with_a_quote_or_a_header_past_the_first_bytes_is_read_whole() {
        let quoted = file("id,easting,northing\na,1,2\n\"b\nc\",3,4\n");
        assert_eq!(in_pieces(&quoted, false), None);
        let long = format!(
            "id,easting,northing,{}\na,1,2\n",
            "x".repeat(IN_PIECES_HEAD_BYTES)
        );
        assert_eq!(in_pieces(&file(&long), false), None);
        let small = file("id,easting,northing\na,1,2\n");
        let cut = InPieces {
            min_bytes: 1 << 20,
            ..TINY
        };
        let read = read_points_in_pieces(small.path(), &PointCrs::Bng, false, cut).unwrap();
        assert!(read.is_none());
    }

    #[test]
    fn counts_with_and_without_weight() {
        let f = file("District,Arrests\nLE12,86\nUnknown,2\n");
        let rows = read_counts(f.path()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].postcode, "LE12");
        assert_eq!(rows[0].weight, 86.0);
        assert!(rows[1].source.ends_with(":3"));
        let f = file("postcode\nLE1 1AA\n");
        assert_eq!(read_counts(f.path()).unwrap()[0].weight, 1.0);
    }

    #[test]
    fn bad_count_names_file_line_column_value() {
        let f = file("postcode,count\nLE1,3\nLE2,three\n");
        let e = read_counts(f.path()).unwrap_err().to_string();
        assert!(e.ends_with(":3: count: not a number (\"three\")"), "{e}");
    }

    /// Spreadsheets save CSV with CRLF line ends, and files gather blank lines: an error
    /// and a count's source name the line a text editor shows.
    #[test]
    fn crlf_and_blank_lines_name_the_right_line() {
        let f = file("postcode,count\r\nLE1,3\r\n\r\nLE2,2\r\nLE3,three\r\n");
        let r = read_counts_with(f.path(), false).unwrap();
        let sources: Vec<&str> = r.rows.iter().map(|c| c.source.as_str()).collect();
        let name = f.path().file_name().unwrap().to_string_lossy().to_string();
        assert_eq!(sources, [format!("{name}:2"), format!("{name}:4")]);
        let e = r.skipped[0].to_string();
        assert!(e.ends_with(":5: count: not a number (\"three\")"), "{e}");
        for text in [
            "id,easting,northing\r\na,1,2\r\n\r\nb,x,4\r\n",
            "id,easting,northing\r\n\"a\",1,2\r\n\r\nb,x,4\r\n",
            "id,easting,northing\na,1,2\n\nb,x,4\n",
        ] {
            let f = file(text);
            let r = read_points_with(f.path(), &PointCrs::Bng, false).unwrap();
            let e = r.skipped[0].to_string();
            assert!(e.contains(":4: easting"), "{text:?}: {e}");
        }
    }

    #[test]
    fn a_field_not_utf8_is_named_once_by_the_line_a_text_editor_shows() {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(&mut f, b"postcode,count\r\nLE1,3\r\nLE\xe9,2\r\n").unwrap();
        let e = read_counts(f.path()).unwrap_err().to_string();
        assert!(e.ends_with(":3: field 1 is not UTF-8 text"), "{e}");
    }

    #[test]
    fn huge_and_negative_weights_and_far_coordinates_are_named() {
        let f = file("postcode,count\nLE1,1e308\n");
        let e = read_counts(f.path()).unwrap_err().to_string();
        assert!(
            e.ends_with(":2: count: weight above 1e9 (\"1e308\")"),
            "{e}"
        );
        let f = file("id,easting,northing,weight\na,454000,304000,-4\n");
        let e = read_points(f.path(), &PointCrs::Bng)
            .unwrap_err()
            .to_string();
        assert!(e.ends_with(":2: weight: negative weight (\"-4\")"), "{e}");
        for crs in [PointCrs::Bng, PointCrs::Raw] {
            let f = file("easting,northing\n454000,1e308\n");
            let e = read_points(f.path(), &crs).unwrap_err().to_string();
            assert!(e.contains(":2: easting,northing: outside"), "{e}");
            let f = file("lat,lon\n91,0\n");
            let e = read_points(f.path(), &crs).unwrap_err().to_string();
            assert!(e.contains(":2: lon,lat: "), "{e}");
        }
    }

    #[test]
    fn bad_rows_are_skipped_and_kept_unless_strict() {
        let f = file("postcode,count\nLE1,3\nLE2,three\nLE3,-1\nLE4,2\n");
        let r = read_counts_with(f.path(), false).unwrap();
        assert_eq!((r.rows.len(), r.skipped.len(), r.read()), (2, 2, 4));
        assert!(
            r.skipped[0]
                .to_string()
                .ends_with(":3: count: not a number (\"three\")")
        );
        assert!(
            r.skipped[1]
                .to_string()
                .contains(":4: count: negative weight")
        );
        let e = read_counts_with(f.path(), true).unwrap_err().to_string();
        assert!(e.contains(":3:"), "{e}");
        let f = file("id,easting,northing\na,454000,304000\nb,x,304000\nc,454100,304000\n");
        let r = read_points_with(f.path(), &PointCrs::Bng, false).unwrap();
        assert_eq!((r.rows.len(), r.skipped.len()), (2, 1));
        assert!(
            r.skipped[0]
                .to_string()
                .contains(":3: easting: not a number")
        );
        assert!(read_points_with(f.path(), &PointCrs::Bng, true).is_err());
    }

    #[test]
    fn points_in_bng_and_wgs84() {
        let f = file("id,easting,northing,weight\na,454000,304000,2\n");
        let p = read_points(f.path(), &PointCrs::Bng).unwrap();
        assert_eq!(
            (p[0].id.as_str(), p[0].x_m, p[0].weight),
            ("a", 454000.0, 2.0)
        );
        let f = file("lat,lon\n52.631095,-1.203584\n");
        let p = read_points(f.path(), &PointCrs::Bng).unwrap();
        assert!((p[0].x_m - 454_000.0).abs() < 1.0 && (p[0].y_m - 304_000.0).abs() < 1.0);
        assert_eq!(p[0].id, "line2");
        let f = file("x,y\n1,\n");
        let e = read_points(f.path(), &PointCrs::Bng)
            .unwrap_err()
            .to_string();
        assert!(e.contains(":2: y: not a number"), "{e}");
    }
}
