//! The registry CSV files: `aeds.csv` and the optional `guardians.csv`.
//!
//! # Format
//! Comma-separated UTF-8 with a header line. Columns are found by header name, in any
//! order and any case, by the [`crate::csvhead`] rule (a UTF-8 byte-order mark, padding and
//! CRLF line ends are fine). Only `id` is required; a missing column reads as empty; unknown
//! columns are ignored with one warning; a known column given twice is an error.
//!
//! `aeds.csv`: `id,name,address,postcode,lon,lat,easting,northing,location_source,access,
//! opening_hours,indoor,locked,managed_by,circuit_id,model,serial,pads_expiry,
//! battery_expiry,last_checked,status,guardian_id,source,flags,notes`
//!
//! - `lon`,`lat`: WGS84 degrees, or `easting`,`northing`: British National Grid
//!   (EPSG:27700) metres — one pair or neither, both values of a pair or neither.
//! - `location_source`: `source`, `postcode_centroid`, `unknown` (only with a position).
//! - `access`: `public_24_7`, `public_limited`, `restricted`, `unknown`;
//!   `managed_by`: `emas`, `community`, `business`, `unknown`;
//!   `status`: `ready`, `not_ready`, `in_use`, `retired`, `unknown`.
//! - `indoor`, `locked`: `yes`/`no`, `true`/`false`, `1`/`0`; dates `YYYY-MM-DD`.
//! - `postcode`: a UK postcode (any case and spacing; partial codes such as `LE12` accepted),
//!   kept as given.
//! - `flags`: raw unmapped values separated by `;`, e.g. `access=PUB;cabinet=unknown`.
//!
//! Example row:
//! `AED001,Village Hall,1 Main St,LE12 7AB,-1.2,52.77,,,source,public_24_7,24/7,no,yes,community,
//! C-123,Lifepak CR2,X1,2026-05-01,2027-01-01,2025-03-01,ready,G01,parish,,`
//!
//! `guardians.csv`: `id,name,organisation,email,phone` — personal data, never published.
//!
//! # Bad rows
//! A row with any bad value is not loaded: each bad value becomes a [`RowError`]
//! (`file:line: column: reason ("value")`) and reading goes on. With
//! [`ReadOptions::strict`] the first bad row ends the read with [`RegistryError::Strict`].
//! A later row repeating an id already loaded is a bad row.

use super::model::{
    AccessClass, Aed, Coord, Description, Details, Guardian, Location, LocationSource, ManagedBy,
    Status,
};
use crate::csvhead::Headers;
use crate::geography::Postcode;
use chrono::NaiveDate;
use hashbrown::HashTable;
use rayon::prelude::*;
use rustc_hash::FxBuildHasher;
use std::fmt;
use std::hash::BuildHasher;
use std::io::{self, Read, Write};
use std::mem::MaybeUninit;
use std::path::Path;
use std::str::FromStr;

/// A list of column names and, in `$module`, one index constant per name (`ID` = 0, ...),
/// so that a row's getters take a column's index rather than look its name up.
macro_rules! columns {
    ($(#[$doc:meta])* $list:ident, $module:ident { $($index:ident = $name:literal),* $(,)? }) => {
        $(#[$doc])*
        pub const $list: &[&str] = &[$($name),*];
        mod $module {
            columns!(@index 0usize; $($index)*);
        }
    };
    (@index $i:expr; $head:ident $($rest:ident)*) => {
        pub const $head: usize = $i;
        columns!(@index $i + 1usize; $($rest)*);
    };
    (@index $i:expr;) => {};
}

columns! {
    /// The `aeds.csv` columns, in the order they are written.
    AED_COLUMNS, aed {
        ID = "id",
        NAME = "name",
        ADDRESS = "address",
        POSTCODE = "postcode",
        LON = "lon",
        LAT = "lat",
        EASTING = "easting",
        NORTHING = "northing",
        LOCATION_SOURCE = "location_source",
        ACCESS = "access",
        OPENING_HOURS = "opening_hours",
        INDOOR = "indoor",
        LOCKED = "locked",
        MANAGED_BY = "managed_by",
        CIRCUIT_ID = "circuit_id",
        MODEL = "model",
        SERIAL = "serial",
        PADS_EXPIRY = "pads_expiry",
        BATTERY_EXPIRY = "battery_expiry",
        LAST_CHECKED = "last_checked",
        STATUS = "status",
        GUARDIAN_ID = "guardian_id",
        SOURCE = "source",
        FLAGS = "flags",
        NOTES = "notes",
    }
}

columns! {
    /// The `guardians.csv` columns, in the order they are written.
    GUARDIAN_COLUMNS, guardian {
        ID = "id",
        NAME = "name",
        ORGANISATION = "organisation",
        EMAIL = "email",
        PHONE = "phone",
    }
}

/// British National Grid extent, metres (EPSG:27700).
const BNG_EASTING_M: (f64, f64) = (0.0, 700_000.0);
const BNG_NORTHING_M: (f64, f64) = (0.0, 1_300_000.0);

/// How to treat bad rows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadOptions {
    /// Stop at the first bad row instead of reporting it and reading on.
    pub strict: bool,
}

/// One bad value in one row: `file:line: column: reason ("value")`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub file: String,
    /// 1-based line where the record starts (the header is line 1).
    pub line: u64,
    pub column: String,
    pub reason: String,
    pub value: String,
}

impl RowError {
    fn new(file: &str, line: u64, column: &str, reason: impl Into<String>, value: &str) -> Self {
        RowError {
            file: file.to_string(),
            line,
            column: column.to_string(),
            reason: reason.into(),
            value: value.to_string(),
        }
    }
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: {}: {} ({:?})",
            self.file, self.line, self.column, self.reason, self.value
        )
    }
}

impl std::error::Error for RowError {}

/// A registry file that could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("{file}: cannot read")]
    Io {
        file: String,
        #[source]
        source: io::Error,
    },
    #[error("{file}: the file is empty; expected a header line with at least an `id` column")]
    Empty { file: String },
    #[error("{file}:{line}: not UTF-8 text (bad byte at offset {offset}); is this a CSV file?")]
    NotUtf8 {
        file: String,
        line: u64,
        offset: usize,
    },
    #[error("{file}:{line}: binary data (a NUL byte); is this a CSV file?")]
    Binary { file: String, line: u64 },
    #[error(
        "{file}:1: looks semicolon-separated (the header is one column containing `;`); \
         registry files must be comma-separated"
    )]
    SemicolonSeparated { file: String },
    #[error(
        "{file}:1: looks tab-separated (the header is one column containing a tab); \
         registry files must be comma-separated"
    )]
    TabSeparated { file: String },
    #[error("{file}:1: no `id` column in the header (found: {found})")]
    MissingId { file: String, found: String },
    #[error("{file}:1: {column}: duplicate header ({label:?})")]
    DuplicateColumn {
        file: String,
        /// The normalised column name.
        column: String,
        /// The repeat as written in the file.
        label: String,
    },
    #[error("{file}:{line}: {message}")]
    Csv {
        file: String,
        line: u64,
        message: String,
    },
    #[error("{0} (strict mode: stopped at the first bad row)")]
    Strict(RowError),
}

/// The content of an `aeds.csv`: the good rows, every bad value, and warnings.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AedFile {
    /// Rows loaded, in file order.
    pub aeds: Vec<Aed>,
    /// Every bad value; a row with any is not in `aeds`.
    pub errors: Vec<RowError>,
    /// File-level remarks (unknown columns, no rows, blank rows skipped).
    pub warnings: Vec<String>,
    /// Data rows seen (excluding the header and blank lines).
    pub rows_seen: usize,
}

/// The content of a `guardians.csv`. Personal data: never print it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GuardianFile {
    pub guardians: Vec<Guardian>,
    pub errors: Vec<RowError>,
    pub warnings: Vec<String>,
    pub rows_seen: usize,
}

impl AedFile {
    /// Number of rows not loaded because of errors (a row may have several errors).
    pub fn bad_rows(&self) -> usize {
        bad_rows(&self.errors)
    }
}

impl GuardianFile {
    /// Number of rows not loaded because of errors.
    pub fn bad_rows(&self) -> usize {
        bad_rows(&self.errors)
    }
}

fn bad_rows(errors: &[RowError]) -> usize {
    let mut lines: Vec<u64> = errors.iter().map(|e| e.line).collect();
    lines.dedup();
    lines.len()
}

struct Table<T> {
    rows: Vec<T>,
    errors: Vec<RowError>,
    warnings: Vec<String>,
    rows_seen: usize,
}

impl From<Table<Aed>> for AedFile {
    fn from(t: Table<Aed>) -> Self {
        AedFile {
            aeds: t.rows,
            errors: t.errors,
            warnings: t.warnings,
            rows_seen: t.rows_seen,
        }
    }
}

impl From<Table<Guardian>> for GuardianFile {
    fn from(t: Table<Guardian>) -> Self {
        GuardianFile {
            guardians: t.rows,
            errors: t.errors,
            warnings: t.warnings,
            rows_seen: t.rows_seen,
        }
    }
}

/// Read an `aeds.csv` file.
pub fn read_aeds(path: impl AsRef<Path>, opts: ReadOptions) -> Result<AedFile, RegistryError> {
    let (name, bytes) = read_path(path.as_ref())?;
    aeds_from_bytes(&name, &bytes, opts)
}

fn aeds_from_bytes(name: &str, bytes: &[u8], opts: ReadOptions) -> Result<AedFile, RegistryError> {
    let table = parse_table(
        name,
        bytes,
        AED_COLUMNS,
        opts,
        aed_parser(),
        |a| &a.id,
        SPLIT,
    );
    table.map(AedFile::from)
}

fn aed_parser() -> impl Fn(&mut Row, &mut Aed) + Sync {
    let today = chrono::Utc::now().date_naive();
    move |row, aed| parse_aed(row, today, aed)
}

/// Read `aeds.csv` content from any reader; `name` is used in messages.
pub fn read_aeds_from_reader<R: Read>(
    name: &str,
    reader: R,
    opts: ReadOptions,
) -> Result<AedFile, RegistryError> {
    let bytes = read_all(name, reader)?;
    aeds_from_bytes(name, &bytes, opts)
}

/// Read a `guardians.csv` file.
pub fn read_guardians(
    path: impl AsRef<Path>,
    opts: ReadOptions,
) -> Result<GuardianFile, RegistryError> {
    let (name, bytes) = read_path(path.as_ref())?;
    guardians_from_bytes(&name, &bytes, opts)
}

/// Read `guardians.csv` content from any reader; `name` is used in messages.
pub fn read_guardians_from_reader<R: Read>(
    name: &str,
    reader: R,
    opts: ReadOptions,
) -> Result<GuardianFile, RegistryError> {
    let bytes = read_all(name, reader)?;
    guardians_from_bytes(name, &bytes, opts)
}

fn guardians_from_bytes(
    name: &str,
    bytes: &[u8],
    opts: ReadOptions,
) -> Result<GuardianFile, RegistryError> {
    let table = parse_table(
        name,
        bytes,
        GUARDIAN_COLUMNS,
        opts,
        parse_guardian,
        |g| &g.id,
        SPLIT,
    );
    table.map(GuardianFile::from)
}

/// Write AEDs in the registry format, sorted by id, every column present.
pub fn write_aeds<W: Write>(writer: W, aeds: &[Aed]) -> io::Result<()> {
    let mut sorted: Vec<&Aed> = aeds.iter().collect();
    sorted.sort_by(|a, b| a.id.cmp(&b.id));
    let mut w = csv::Writer::from_writer(writer);
    w.write_record(AED_COLUMNS)?;
    for a in sorted {
        let (lon, lat, e, n, ls) = match a.location {
            Some(Location {
                coord: Coord::Wgs84 { lon, lat },
                source,
            }) => (
                lon.to_string(),
                lat.to_string(),
                String::new(),
                String::new(),
                source.as_str(),
            ),
            Some(Location {
                coord:
                    Coord::Bng {
                        easting_m,
                        northing_m,
                    },
                source,
            }) => (
                String::new(),
                String::new(),
                easting_m.to_string(),
                northing_m.to_string(),
                source.as_str(),
            ),
            None => Default::default(),
        };
        let record: [&str; 25] = [
            &a.id,
            &a.about.name,
            &a.about.address,
            &a.about.postcode,
            &lon,
            &lat,
            &e,
            &n,
            ls,
            a.access.as_str(),
            opt(&a.opening_hours),
            bool_str(a.indoor),
            bool_str(a.locked),
            a.managed_by.as_str(),
            opt(&a.about.circuit_id),
            opt(&a.about.model),
            opt(&a.about.serial),
            &date_str(a.pads_expiry),
            &date_str(a.battery_expiry),
            &date_str(a.last_checked),
            a.status.as_str(),
            opt(&a.guardian_id),
            opt(&a.about.source),
            &a.about.flags.join(";"),
            opt(&a.about.notes),
        ];
        w.write_record(record)?;
    }
    w.flush()
}

/// Write guardians in the registry format, sorted by id. Personal data: for the
/// registry's own files only.
pub fn write_guardians<W: Write>(writer: W, guardians: &[Guardian]) -> io::Result<()> {
    let mut sorted: Vec<&Guardian> = guardians.iter().collect();
    sorted.sort_by(|a, b| a.id.cmp(&b.id));
    let mut w = csv::Writer::from_writer(writer);
    w.write_record(GUARDIAN_COLUMNS)?;
    for g in sorted {
        w.write_record([
            g.id.as_str(),
            &g.name,
            opt(&g.organisation),
            opt(&g.email),
            opt(&g.phone),
        ])?;
    }
    w.flush()
}

fn opt(s: &Option<String>) -> &str {
    s.as_deref().unwrap_or("")
}

fn bool_str(b: Option<bool>) -> &'static str {
    match b {
        Some(true) => "yes",
        Some(false) => "no",
        None => "",
    }
}

fn date_str(d: Option<NaiveDate>) -> String {
    d.map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

fn read_path(path: &Path) -> Result<(String, Vec<u8>), RegistryError> {
    let name = path.display().to_string();
    match crate::input::read(path) {
        Ok(bytes) => Ok((name, bytes)),
        Err(source) => Err(RegistryError::Io { file: name, source }),
    }
}

fn read_all<R: Read>(name: &str, mut reader: R) -> Result<Vec<u8>, RegistryError> {
    let mut bytes = Vec::new();
    reader
        .read_to_end(&mut bytes)
        .map_err(|source| RegistryError::Io {
            file: name.to_string(),
            source,
        })?;
    Ok(bytes)
}

fn line_of(bytes: &[u8], offset: usize) -> u64 {
    1 + memchr::memchr_iter(b'\n', &bytes[..offset.min(bytes.len())]).count() as u64
}

/// Checks that make a file readable as text at all.
fn as_text<'a>(file: &str, bytes: &'a [u8]) -> Result<&'a str, RegistryError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Some(offset) = memchr::memchr(0, bytes) {
        return Err(RegistryError::Binary {
            file: file.to_string(),
            line: line_of(bytes, offset),
        });
    }
    let text = std::str::from_utf8(bytes).map_err(|e| RegistryError::NotUtf8 {
        file: file.to_string(),
        line: line_of(bytes, e.valid_up_to()),
        offset: e.valid_up_to(),
    })?;
    if text.trim().is_empty() {
        return Err(RegistryError::Empty {
            file: file.to_string(),
        });
    }
    Ok(text)
}

/// The most known columns of a table (`aeds.csv` has the most).
const MOST_COLUMNS: usize = AED_COLUMNS.len();

/// Where each known column the file has is in a record: `(c, i)` when the column named
/// `known[c]` is field `i`.
struct Columns {
    known: &'static [&'static str],
    present: Vec<(usize, usize)>,
}

impl Columns {
    /// Puts each known column's value in `fields` (a record with a field per header
    /// column), trimmed, into `values`, which is `None` for the columns the file lacks.
    fn fill<'r>(&self, values: &mut [Option<&'r str>; MOST_COLUMNS], fields: &[&'r str]) {
        for &(c, i) in &self.present {
            values[c] = Some(crate::input::trimmed(fields[i]));
        }
    }
}

/// One data row being parsed: typed getters, by column index (`aed::ID`, ...), that record
/// errors instead of failing.
struct Row<'r> {
    file: &'r str,
    line: u64,
    /// Each known column's value, trimmed, if the file has the column: [`Columns::fill`].
    values: [Option<&'r str>; MOST_COLUMNS],
    columns: &'r Columns,
    errors: Vec<RowError>,
}

impl<'r> Row<'r> {
    fn get(&self, c: usize) -> &'r str {
        self.values[c].unwrap_or("")
    }

    fn name(&self, c: usize) -> &'static str {
        self.columns.known[c]
    }

    fn text(&self, c: usize) -> String {
        self.get(c).to_string()
    }

    #[inline]
    fn opt_text(&self, c: usize) -> Option<String> {
        let v = self.get(c);
        (!v.is_empty()).then(|| v.to_string())
    }

    fn error(&mut self, column: &str, reason: impl Into<String>, value: &str) {
        let error = RowError::new(self.file, self.line, column, reason, value);
        self.errors.push(error);
    }

    #[inline]
    fn date(&mut self, c: usize) -> Option<NaiveDate> {
        let v = self.get(c);
        if v.is_empty() {
            return None;
        }
        match super::validate::parse_date(v) {
            Ok(d) => Some(d),
            Err(reason) => {
                self.error(self.name(c), reason, v);
                None
            }
        }
    }

    #[inline]
    fn boolean(&mut self, c: usize) -> Option<bool> {
        let v = self.get(c);
        let is = |words: &[&str]| words.iter().any(|w| v.eq_ignore_ascii_case(w));
        if v.is_empty() {
            None
        } else if is(&["yes", "y", "true", "1"]) {
            Some(true)
        } else if is(&["no", "n", "false", "0"]) {
            Some(false)
        } else {
            self.error(self.name(c), "expected yes/no, true/false or 1/0", v);
            None
        }
    }

    fn number_in(&mut self, c: usize, (min, max): (f64, f64), what: &str) -> Option<f64> {
        let v = self.get(c);
        if v.is_empty() {
            return None;
        }
        match crate::input::plain_integer(v.as_bytes()) {
            Some(x) if (min..=max).contains(&x) => Some(x),
            _ => self.number_in_slowly(c, (min, max), what),
        }
    }

    /// [`Row::number_in`] of a value that is not a plain integer in the range.
    #[cold]
    fn number_in_slowly(&mut self, c: usize, (min, max): (f64, f64), what: &str) -> Option<f64> {
        let v = self.get(c);
        match v.parse::<f64>() {
            Ok(x) if x.is_finite() && (min..=max).contains(&x) => Some(x),
            Ok(_) => {
                self.error(self.name(c), format!("{what} out of range {min}..{max}"), v);
                None
            }
            Err(_) => {
                self.error(self.name(c), "not a number", v);
                None
            }
        }
    }

    /// An empty value is the default, as each choice reads it (`Unknown`, tested in
    /// `an_empty_choice_is_its_default`), without a parse.
    fn choice<T: FromStr<Err = String> + Default>(&mut self, c: usize) -> T {
        let v = self.get(c);
        if v.is_empty() {
            return T::default();
        }
        match v.parse::<T>() {
            Ok(x) => x,
            Err(reason) => {
                self.error(self.name(c), format!("unknown value; {reason}"), v);
                T::default()
            }
        }
    }

    /// A coordinate pair: both values or neither.
    fn pair(
        &mut self,
        (a, a_range, a_what): (usize, (f64, f64), &str),
        (b, b_range, b_what): (usize, (f64, f64), &str),
    ) -> Option<(f64, f64)> {
        let x = self.number_in(a, a_range, a_what);
        let y = self.number_in(b, b_range, b_what);
        let (a_given, b_given) = (!self.get(a).is_empty(), !self.get(b).is_empty());
        let (a_name, b_name) = (self.name(a), self.name(b));
        if a_given && !b_given {
            let reason = format!("missing: {a_name} is given, give both or neither");
            self.error(b_name, reason, "");
        } else if b_given && !a_given {
            let reason = format!("missing: {b_name} is given, give both or neither");
            self.error(a_name, reason, "");
        }
        x.zip(y)
    }
}

/// Fills `a`, a default record, from `row`. `today` is read once per file: the clock is a
/// system call in some sandboxes, and one date for the whole file also keeps rows near
/// midnight consistent.
fn parse_aed(row: &mut Row, today: NaiveDate, a: &mut Aed) {
    parse_aed_fields(row, a);
    for e in super::validate::check_aed(a, today) {
        row.error(&e.column, e.reason, &e.value);
    }
}

/// Fills `a` field by field, its errors in column order (the description, whose texts
/// cannot be bad, is read last).
fn parse_aed_fields(row: &mut Row, a: &mut Aed) {
    a.id = row.get(aed::ID).into();
    let postcode = row.get(aed::POSTCODE);
    if !postcode.is_empty()
        && let Err(e) = Postcode::parse(postcode)
    {
        let reason = format!("not a UK postcode: {}", e.reason);
        row.error("postcode", reason, postcode);
    }
    a.location = parse_location(row);
    a.access = row.choice::<AccessClass>(aed::ACCESS);
    a.opening_hours = row.opt_text(aed::OPENING_HOURS);
    a.indoor = row.boolean(aed::INDOOR);
    a.locked = row.boolean(aed::LOCKED);
    a.managed_by = row.choice::<ManagedBy>(aed::MANAGED_BY);
    a.pads_expiry = row.date(aed::PADS_EXPIRY);
    a.battery_expiry = row.date(aed::BATTERY_EXPIRY);
    a.last_checked = row.date(aed::LAST_CHECKED);
    a.status = row.choice::<Status>(aed::STATUS);
    a.guardian_id = row.opt_text(aed::GUARDIAN_ID);
    a.about = parse_description(row, postcode);
}

/// The row's description (its texts have no bad values), boxed only when it gives one.
fn parse_description(row: &Row, postcode: &str) -> Details {
    // Every text column but the postcode: each field of `Description` (see its `is_empty`).
    const TEXTS: [usize; 8] = [
        aed::NAME,
        aed::ADDRESS,
        aed::CIRCUIT_ID,
        aed::MODEL,
        aed::SERIAL,
        aed::SOURCE,
        aed::FLAGS,
        aed::NOTES,
    ];
    if postcode.is_empty() && TEXTS.iter().all(|&c| row.get(c).is_empty()) {
        return Details::default();
    }
    Details::new(Description {
        name: row.text(aed::NAME),
        address: row.text(aed::ADDRESS),
        postcode: postcode.to_string(),
        circuit_id: row.opt_text(aed::CIRCUIT_ID),
        model: row.opt_text(aed::MODEL),
        serial: row.opt_text(aed::SERIAL),
        source: row.opt_text(aed::SOURCE),
        flags: (row.get(aed::FLAGS).split(';'))
            .map(str::trim)
            .filter(|f| !f.is_empty())
            .map(str::to_string)
            .collect(),
        notes: row.opt_text(aed::NOTES),
    })
}

/// The position: lon/lat or easting/northing (one pair, both values or neither) and its
/// `location_source`.
fn parse_location(row: &mut Row) -> Option<Location> {
    let lonlat_given = !row.get(aed::LON).is_empty() || !row.get(aed::LAT).is_empty();
    let en_given = !row.get(aed::EASTING).is_empty() || !row.get(aed::NORTHING).is_empty();
    // A pair with neither value is no position and no error.
    let wgs84 = lonlat_given.then(|| {
        row.pair(
            (aed::LON, (-180.0, 180.0), "longitude"),
            (aed::LAT, (-90.0, 90.0), "latitude"),
        )
    });
    let bng = en_given.then(|| {
        row.pair(
            (aed::EASTING, BNG_EASTING_M, "BNG easting (m)"),
            (aed::NORTHING, BNG_NORTHING_M, "BNG northing (m)"),
        )
    });
    let (wgs84, bng) = (wgs84.flatten(), bng.flatten());
    if lonlat_given && en_given {
        let v = format!("{},{}", row.get(aed::EASTING), row.get(aed::NORTHING));
        row.error(
            "easting",
            "both lon/lat and easting/northing given; keep one pair",
            &v,
        );
    }
    let coord = match (wgs84, bng) {
        (Some((lon, lat)), None) => Some(Coord::Wgs84 { lon, lat }),
        (None, Some((easting_m, northing_m))) => Some(Coord::Bng {
            easting_m,
            northing_m,
        }),
        _ => None,
    };
    let Some(coord) = coord else {
        let source_text = row.get(aed::LOCATION_SOURCE);
        if !source_text.is_empty() && !lonlat_given && !en_given {
            row.error(
                "location_source",
                "given without lon/lat or easting/northing",
                source_text,
            );
        }
        return None;
    };
    let source = row.choice::<LocationSource>(aed::LOCATION_SOURCE);
    Some(Location { coord, source })
}

fn parse_guardian(row: &mut Row, g: &mut Guardian) {
    g.id = row.text(guardian::ID);
    if g.id.is_empty() {
        row.error("id", "missing", "");
    }
    g.email = row.opt_text(guardian::EMAIL);
    if let Some(e) = &g.email
        && !e.contains('@')
    {
        // The value is personal data: name the problem, not the address.
        row.error("email", "not an email address (no @)", "");
    }
    g.name = row.text(guardian::NAME);
    g.organisation = row.opt_text(guardian::ORGANISATION);
    g.phone = row.opt_text(guardian::PHONE);
}

/// The records of a text with no `"` and no `\r`: one per non-empty line, fields split at
/// `,`. This is what the csv crate makes of such text, without copying each record, and
/// with its line numbers: it skips empty lines, and a record's line does not count the
/// empty lines just before it.
struct PlainRecords<'t> {
    text: &'t str,
    /// Where the next line starts; past the end when every line has been read.
    start: usize,
    /// Lines read so far.
    lines: u64,
}

impl<'t> PlainRecords<'t> {
    fn new(text: &'t str) -> Self {
        PlainRecords::after(text, 0)
    }

    /// The records of `text`, which follows `lines` lines ending in a non-empty one.
    fn after(text: &'t str, lines: u64) -> Self {
        PlainRecords {
            text,
            start: 0,
            lines,
        }
    }

    /// The text not read yet, and the lines read before it.
    fn rest(&self) -> (&'t str, u64) {
        (self.text.get(self.start..).unwrap_or(""), self.lines)
    }
}

impl<'t> Iterator for PlainRecords<'t> {
    type Item = (u64, &'t str);

    fn next(&mut self) -> Option<(u64, &'t str)> {
        while self.start <= self.text.len() {
            let rest = &self.text.as_bytes()[self.start..];
            let end = memchr::memchr(b'\n', rest).map_or(self.text.len(), |i| self.start + i);
            let l = &self.text[self.start..end];
            self.start = end + 1;
            self.lines += 1;
            if !l.is_empty() {
                return Some((self.lines, l));
            }
        }
        None
    }
}

/// One table file's records: split directly when the text has no `"` and no `\r`, else
/// read by the csv crate (the two agree; `plain_text_reads_as_the_csv_crate_reads_it`).
use crate::input::RecordLines;

enum Records<'t> {
    Plain(PlainRecords<'t>),
    Csv(csv::Reader<&'t [u8]>, RecordLines<'t>),
}

impl<'t> Records<'t> {
    /// `allow_plain` is false only in tests comparing the two ways.
    fn new(text: &'t str, allow_plain: bool) -> Self {
        if allow_plain && memchr::memchr2(b'"', b'\r', text.as_bytes()).is_none() {
            Records::Plain(PlainRecords::new(text))
        } else {
            let reader = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(text.as_bytes());
            Records::Csv(reader, RecordLines::new(text.as_bytes()))
        }
    }

    /// The header line; a file without one is [`RegistryError::Empty`].
    fn header(&mut self, file: &str) -> Result<csv::StringRecord, RegistryError> {
        let mut header = csv::StringRecord::new();
        let have_header = match self {
            Records::Plain(records) => records
                .next()
                .map(|(_, line)| {
                    let mut fields = Vec::new();
                    crate::input::push_str_fields(line, &mut fields);
                    header = fields.into_iter().collect();
                })
                .is_some(),
            Records::Csv(reader, _) => reader
                .read_record(&mut header)
                .map_err(|e| csv_error(file, e))?,
        };
        match have_header {
            true => Ok(header),
            false => Err(RegistryError::Empty {
                file: file.to_string(),
            }),
        }
    }

    /// Calls `on_record(line, fields)` for every record after the header.
    fn each(
        self,
        file: &str,
        fields_hint: usize,
        mut on_record: impl FnMut(u64, &[&str]) -> Result<(), RegistryError>,
    ) -> Result<(), RegistryError> {
        match self {
            Records::Plain(records) => {
                let mut fields: Vec<&str> = Vec::with_capacity(fields_hint);
                for (line, record) in records {
                    fields.clear();
                    crate::input::push_str_fields(record, &mut fields);
                    on_record(line, &fields)?;
                }
            }
            Records::Csv(mut reader, mut lines) => {
                let mut record = csv::StringRecord::new();
                while reader
                    .read_record(&mut record)
                    .map_err(|e| csv_error(file, e))?
                {
                    let line = lines.at(record.position()).unwrap_or(0);
                    let fields: Vec<&str> = record.iter().collect();
                    on_record(line, &fields)?;
                }
            }
        }
        Ok(())
    }
}

fn csv_error(file: &str, e: csv::Error) -> RegistryError {
    RegistryError::Csv {
        file: file.to_string(),
        line: e.position().map_or(0, |p| p.line()),
        message: e.to_string(),
    }
}

/// Where each known column is, and the labels of the unknown ones. A repeated unknown
/// column is ignored like any unknown column; a repeated known one would make its values
/// ambiguous; a header without `id` is refused, naming a `;` or tab separator if it has one.
fn resolve_columns(
    file: &str,
    header: &csv::StringRecord,
    known: &'static [&'static str],
) -> Result<(Columns, Vec<String>), RegistryError> {
    let headers = Headers::new(header);
    if let Some(d) = headers
        .duplicates()
        .into_iter()
        .find(|d| known.contains(&d.name.as_str()))
    {
        return Err(RegistryError::DuplicateColumn {
            file: file.to_string(),
            column: d.name,
            label: d.label,
        });
    }
    assert!(
        known.len() <= MOST_COLUMNS,
        "a row holds {MOST_COLUMNS} values"
    );
    let at: Vec<Option<usize>> = known.iter().map(|&k| headers.find(k)).collect();
    // `id` is the first column of both lists.
    if at[0].is_none() {
        return Err(missing_id(file, header));
    }
    let present = (at.iter().enumerate())
        .filter_map(|(c, i)| Some((c, (*i)?)))
        .collect();
    let unknown = (0..headers.len())
        .filter(|&i| !known.contains(&headers.names()[i].as_str()))
        .filter_map(|i| headers.label(i).map(str::to_string))
        .collect();
    Ok((Columns { known, present }, unknown))
}

fn missing_id(file: &str, header: &csv::StringRecord) -> RegistryError {
    let file = file.to_string();
    if header.len() == 1 {
        let only = header.get(0).unwrap_or("");
        if only.contains(';') {
            return RegistryError::SemicolonSeparated { file };
        }
        if only.contains('\t') {
            return RegistryError::TabSeparated { file };
        }
    }
    let mut found = format!("{:?}", header.iter().collect::<Vec<_>>());
    if found.chars().count() > 120 {
        found = found.chars().take(117).collect::<String>() + "...";
    }
    RegistryError::MissingId { file, found }
}

/// What every row of one file is parsed against.
struct RowParser<'a> {
    file: &'a str,
    header_len: usize,
    columns: &'a Columns,
}

impl RowParser<'_> {
    /// Parses one record that is not blank into `slot`, a placeholder: whether the slot
    /// holds its item (not when the record has the wrong number of fields), and its bad
    /// values.
    fn parse<T>(
        &self,
        (line, fields): (u64, &[&str]),
        slot: &mut T,
        parse_row: &impl Fn(&mut Row, &mut T),
    ) -> (bool, Vec<RowError>) {
        if fields.len() != self.header_len {
            let raw: String = fields.join(",").chars().take(80).collect();
            let reason = format!(
                "has {} fields, the header has {}",
                fields.len(),
                self.header_len
            );
            return (
                false,
                vec![RowError::new(self.file, line, "row", reason, &raw)],
            );
        }
        let mut row = Row {
            file: self.file,
            line,
            values: [None; MOST_COLUMNS],
            columns: self.columns,
            errors: Vec::new(),
        };
        self.columns.fill(&mut row.values, fields);
        parse_row(&mut row, slot);
        (true, row.errors)
    }
}

/// One piece of a file as parsed: its records fill `slots[..filled]` of its share of the
/// table in file order (a record with the wrong number of fields leaves its placeholder).
#[derive(Default)]
struct Piece {
    /// The slot of its first record in the table.
    first: usize,
    filled: usize,
    /// The line of each filled slot.
    lines: Vec<u64>,
    /// The hash of the id of each filled slot's item (0 without an item), found in
    /// parallel so that the ids are decided in file order without reading the rows.
    hashes: Vec<u64>,
    /// Each record with a bad value, in order: its slot, its errors, and whether it has an
    /// item.
    bad: Vec<(usize, Vec<RowError>, bool)>,
    blank_rows: usize,
}

/// How one kind of row is read: its parser, and its id.
struct RowKind<P, I> {
    parse_row: P,
    id_of: I,
}

/// Parses the records of one piece into `slots` (at least as many as its records), each
/// slot filled by the task that parses its record, so a record is written where it stays
/// while that memory is in cache.
///
/// Returns the number of slots written, always all of them, with the piece or its error:
/// the slots after its records hold defaults, also when the piece stops at an error.
/// [`parse_pieces`] relies on this to take the slots as initialised, so this function
/// has no early return (its result is not a `Result`, so `?` cannot make one).
fn parse_piece<T: Default, P: Fn(&mut Row, &mut T), I: Fn(&T) -> &str>(
    parser: &RowParser<'_>,
    records: Records<'_>,
    slots: &mut [MaybeUninit<T>],
    kind: &RowKind<P, I>,
) -> (usize, Result<Piece, RegistryError>) {
    let mut piece = Piece {
        lines: Vec::with_capacity(slots.len()),
        hashes: Vec::with_capacity(slots.len()),
        ..Piece::default()
    };
    let read = records.each(parser.file, parser.header_len, |line, fields| {
        if fields.iter().all(|f| crate::input::trimmed(f).is_empty()) {
            piece.blank_rows += 1;
            return Ok(());
        }
        let slot = piece.filled;
        let item = slots[slot].write(T::default());
        let (has_item, errors) = parser.parse((line, fields), item, &kind.parse_row);
        let hash = match has_item {
            true => FxBuildHasher.hash_one((kind.id_of)(item)),
            false => 0,
        };
        piece.filled += 1;
        piece.lines.push(line);
        piece.hashes.push(hash);
        if !errors.is_empty() {
            piece.bad.push((slot, errors, has_item));
        }
        Ok(())
    });
    let mut written = piece.filled;
    for slot in &mut slots[piece.filled..] {
        slot.write(T::default());
        written += 1;
    }
    (written, read.map(|()| piece))
}

/// The ids loaded so far, in file order, and the rows to keep.
struct Loaded<'a, T, I> {
    file: &'a str,
    rows: &'a [T],
    id_of: I,
    /// Every row loaded as (hash of its id, slot, line): the ids stay in the rows, with no
    /// copy per row, and are read only when two hashes are equal. `None` when no two rows'
    /// ids have the same hash ([`distinct_hashes`]): then no id can repeat one before it.
    ids: Option<HashTable<(u64, usize, u64)>>,
    keep: Vec<bool>,
}

impl<T, I: Fn(&T) -> &str> Loaded<'_, T, I> {
    /// Decides the record in `slot` (on `line`, its id's hash `hash`; `errors` found by its
    /// parse): loaded unless it has a bad value or repeats an id already loaded. Returns its
    /// errors.
    fn decide(
        &mut self,
        (slot, line, hash): (usize, u64, u64),
        (mut errors, has_item): (Vec<RowError>, bool),
    ) -> Vec<RowError> {
        if !has_item {
            return errors;
        }
        let (rows, id_of) = (self.rows, &self.id_of);
        let id = |i: usize| id_of(&rows[i]);
        let same = |&(h, i, _): &(u64, usize, u64)| h == hash && id(i) == id(slot);
        if let Some(&(_, _, first)) = self.ids.as_ref().and_then(|ids| ids.find(hash, same)) {
            let reason = format!("duplicate id, first on line {first}");
            errors.push(RowError::new(self.file, line, "id", reason, id(slot)));
        }
        if errors.is_empty() {
            if let Some(ids) = &mut self.ids {
                let rehash = |&(h, _, _): &(u64, usize, u64)| h;
                ids.insert_unique(hash, (hash, slot, line), rehash);
            }
            self.keep[slot] = true;
        }
        errors
    }

    /// Decides every record of `pieces` in file order, adding their errors to `errors`
    /// (`strict`: the first is the error). Returns the number of blank rows.
    fn decide_pieces(
        &mut self,
        pieces: Vec<Piece>,
        strict: bool,
        errors: &mut Vec<RowError>,
    ) -> Result<usize, RegistryError> {
        let mut blank_rows = 0;
        for piece in pieces {
            blank_rows += piece.blank_rows;
            if piece.bad.is_empty() && self.ids.is_none() {
                // No row of the piece has an error or can repeat an id: all are loaded.
                self.keep[piece.first..piece.first + piece.filled].fill(true);
                continue;
            }
            let mut bad = piece.bad.into_iter().peekable();
            let lines = piece.lines.iter().zip(&piece.hashes);
            for (j, (&line, &hash)) in lines.enumerate() {
                let found = match bad.next_if(|(slot, _, _)| *slot == j) {
                    Some((_, errors, has_item)) => (errors, has_item),
                    None => (Vec::new(), true),
                };
                let mut found = self.decide((piece.first + j, line, hash), found);
                if strict && !found.is_empty() {
                    return Err(RegistryError::Strict(found.swap_remove(0)));
                }
                errors.append(&mut found);
            }
        }
        Ok(blank_rows)
    }
}

/// Whether no two records of `pieces` have the same hash (a record without an item has
/// hash 0, so two of those count as equal: such files take the exact check). Equal ids
/// always have equal hashes.
///
/// Each hash sets a bit picked by its top bits, 8 to 16 bits per hash; only the hashes
/// whose bit is set twice are sorted and compared. Two passes over the hashes in cache,
/// several times faster than sorting them all or a table built in file order.
fn distinct_hashes(pieces: &[Piece]) -> bool {
    let hashes = || pieces.iter().flat_map(|p| &p.hashes).copied();
    let n: usize = pieces.iter().map(|p| p.hashes.len()).sum();
    let bits = (8 * n).next_power_of_two().trailing_zeros().clamp(6, 40);
    // A hash's bit: its word, and its mask in the word.
    let bit = |h: u64| {
        let at = h >> (64 - bits);
        ((at / 64) as usize, 1u64 << (at % 64))
    };
    let (mut once, mut twice) = (vec![0u64; 1 << (bits - 6)], vec![0u64; 1 << (bits - 6)]);
    let mut repeats = false;
    for h in hashes() {
        let (word, mask) = bit(h);
        if once[word] & mask == 0 {
            once[word] |= mask;
        } else {
            twice[word] |= mask;
            repeats = true;
        }
    }
    if !repeats {
        return true;
    }
    let mut suspects: Vec<u64> = hashes()
        .filter(|&h| {
            let (word, mask) = bit(h);
            twice[word] & mask != 0
        })
        .collect();
    suspects.sort_unstable();
    suspects.windows(2).all(|w| w[0] != w[1])
}

/// The table, with a warning for blank rows skipped and for a file of a header only.
fn finish<T>(mut table: Table<T>, file: &str, blank_rows: usize) -> Table<T> {
    if blank_rows > 0 {
        let warning = format!("{file}: {blank_rows} blank rows skipped");
        table.warnings.push(warning);
    }
    if table.rows_seen == 0 {
        let warning = format!("{file}: no rows (the file has a header line only)");
        table.warnings.push(warning);
    }
    table
}

/// How a table's text is cut into records (tests compare the ways).
#[derive(Debug, Clone, Copy)]
enum Split {
    /// Directly when the text has no `"` and no `\r` (else by the csv crate), in pieces of
    /// about `piece_bytes` parsed in parallel.
    Plain { piece_bytes: usize },
    /// By the csv crate.
    #[cfg(test)]
    Csv,
}

/// How files are read: 256 KiB pieces, so that a large file keeps both cores busy.
const SPLIT: Split = Split::Plain {
    piece_bytes: 256 << 10,
};

/// Cuts `body` (the text after the header, whose first line is `first_line` + 1) into
/// pieces of about `piece_bytes` that each start after a non-empty line, with the lines
/// before each: a record's line does not count the empty lines just before it, so those
/// must stay in its piece.
fn plain_pieces(body: &str, first_line: u64, piece_bytes: usize) -> Vec<(&str, u64)> {
    let bytes = body.as_bytes();
    let mut out = Vec::new();
    let (mut from, mut lines) = (0, first_line);
    while from < bytes.len() {
        let mut end = from.saturating_add(piece_bytes).min(bytes.len());
        loop {
            match memchr::memchr(b'\n', &bytes[end..]) {
                Some(i) if end + i > 0 && bytes[end + i - 1] != b'\n' => break end += i + 1,
                Some(i) => end += i + 1,
                None => break end = bytes.len(),
            }
        }
        out.push((&body[from..end], lines));
        lines += memchr::memchr_iter(b'\n', &bytes[from..end]).count() as u64;
        from = end;
    }
    out
}

fn parse_table<T: Default + Send>(
    file: &str,
    bytes: &[u8],
    known: &'static [&'static str],
    opts: ReadOptions,
    parse_row: impl Fn(&mut Row, &mut T) + Sync,
    id_of: impl Fn(&T) -> &str + Sync,
    split: Split,
) -> Result<Table<T>, RegistryError> {
    let text = as_text(file, bytes)?;
    let mut records = Records::new(text, matches!(split, Split::Plain { .. }));
    let header = records.header(file)?;
    let (columns, unknown) = resolve_columns(file, &header, known)?;
    let mut warnings = Vec::new();
    if !unknown.is_empty() {
        warnings.push(format!(
            "{file}: unknown columns ignored: {}",
            unknown.join(", ")
        ));
    }
    let parser = RowParser {
        file,
        header_len: header.len(),
        columns: &columns,
    };
    let piece_bytes = match split {
        Split::Plain { piece_bytes } => piece_bytes,
        #[cfg(test)]
        Split::Csv => usize::MAX,
    };
    let kind = RowKind { parse_row, id_of };
    let (mut rows, pieces) = parse_pieces(&parser, (text, records, piece_bytes), &kind)?;
    let mut table = Table {
        rows: Vec::new(),
        errors: Vec::new(),
        warnings,
        rows_seen: pieces.iter().map(|p| p.filled).sum(),
    };
    let mut loaded = Loaded {
        file,
        rows: &rows,
        id_of: kind.id_of,
        ids: (!distinct_hashes(&pieces)).then(|| HashTable::with_capacity(table.rows_seen)),
        keep: vec![false; rows.len()],
    };
    let blank_rows = loaded.decide_pieces(pieces, opts.strict, &mut table.errors)?;
    let mut keep = std::mem::take(&mut loaded.keep).into_iter();
    rows.retain(|_| keep.next().unwrap_or(false));
    table.rows = rows;
    Ok(finish(table, file, blank_rows))
}

/// Parses the records of `text` after the header into a table with a slot per possible
/// record (a default where a record had the wrong number of fields, and after the last),
/// a piece per task when the text is plain. Returns the table and its pieces.
fn parse_pieces<T: Default + Send, P, I>(
    parser: &RowParser<'_>,
    (text, records, piece_bytes): (&str, Records<'_>, usize),
    kind: &RowKind<P, I>,
) -> Result<(Vec<T>, Vec<Piece>), RegistryError>
where
    P: Fn(&mut Row, &mut T) + Sync,
    I: Fn(&T) -> &str + Sync,
{
    let parts: Vec<(Records<'_>, usize)> = match records {
        Records::Plain(plain) => {
            let (body, lines) = plain.rest();
            plain_pieces(body, lines, piece_bytes)
                .into_iter()
                .map(|(text, lines)| {
                    let slots = crate::input::most_records(text.as_bytes());
                    (Records::Plain(PlainRecords::after(text, lines)), slots)
                })
                .collect()
        }
        // The whole text bounds the records after its header.
        Records::Csv(reader, lines) => vec![(
            Records::Csv(reader, lines),
            crate::input::most_records(text.as_bytes()),
        )],
    };
    let sizes: Vec<usize> = parts.iter().map(|(_, n)| *n).collect();
    let total = sizes.iter().sum::<usize>();
    let mut rows: Vec<T> = Vec::with_capacity(total);
    let mut shares = Vec::with_capacity(parts.len());
    let mut rest = &mut rows.spare_capacity_mut()[..total];
    for (records, n) in parts {
        let (share, tail) = std::mem::take(&mut rest).split_at_mut(n);
        shares.push((records, share));
        rest = tail;
    }
    // Every share is parsed (a `Vec` of results, not a `Result` that stops at the first).
    let parsed: Vec<(usize, Result<Piece, RegistryError>)> = shares
        .into_par_iter()
        .map(|(records, share)| parse_piece(parser, records, share, kind))
        .collect();
    let written: usize = parsed.iter().map(|(n, _)| n).sum();
    assert_eq!(written, total, "every slot of the table is written");
    // SAFETY: the shares are disjoint and cover `..total` of the spare capacity, and each
    // `parse_piece` wrote every slot of its share (its count, checked above; a panic would
    // not reach this line, and the slots written before it would only leak).
    unsafe { rows.set_len(total) };
    let mut pieces = Vec::with_capacity(parsed.len());
    let mut first = 0;
    for ((_, piece), n) in parsed.into_iter().zip(sizes) {
        pieces.push(Piece { first, ..piece? });
        first += n;
    }
    Ok((rows, pieces))
}
#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn read(text: &str) -> Result<AedFile, RegistryError> {
        read_aeds_from_reader("t.csv", text.as_bytes(), ReadOptions::default())
    }

    /// `Row::choice` reads an empty value as the default without a parse: each choice must
    /// parse "" as its default.
    #[test]
    fn an_empty_choice_is_its_default() {
        fn empty_is_default<T: FromStr<Err = String> + Default + PartialEq + fmt::Debug>() {
            assert_eq!("".parse::<T>(), Ok(T::default()));
        }
        empty_is_default::<AccessClass>();
        empty_is_default::<ManagedBy>();
        empty_is_default::<Status>();
        empty_is_default::<LocationSource>();
    }

    /// Each text column alone gives the row a description: the reader's list of text
    /// columns and `Description`'s fields agree.
    #[test]
    fn every_text_column_alone_is_a_description() {
        let columns = [
            "name",
            "address",
            "postcode",
            "circuit_id",
            "model",
            "serial",
            "source",
            "flags",
            "notes",
        ];
        for column in columns {
            let value = if column == "postcode" {
                "LE1 1AA"
            } else {
                "x=1"
            };
            let f = read(&format!("id,{column}\nA1,{value}\n")).unwrap();
            assert!(f.errors.is_empty(), "{column}: {:?}", f.errors);
            assert!(!f.aeds[0].about.is_empty(), "{column}");
        }
        let f = read("id,name,notes\nA1,,\n").unwrap();
        assert_eq!(f.aeds[0].about, Details::default());
    }

    #[test]
    fn reads_by_header_name_any_order_and_case() {
        let f = read("Status,ID,Lat,LON,Pads_Expiry\nready,A1,52.5,-1.1,2025-01-31\n").unwrap();
        assert!(f.errors.is_empty(), "{:?}", f.errors);
        let a = &f.aeds[0];
        assert_eq!(a.id, "A1");
        assert_eq!(a.status, Status::Ready);
        assert_eq!(
            a.location.map(|l| l.coord),
            Some(Coord::Wgs84 {
                lon: -1.1,
                lat: 52.5
            })
        );
        assert_eq!(a.pads_expiry, NaiveDate::from_ymd_opt(2025, 1, 31));
    }

    #[test]
    fn plain_text_reads_as_the_csv_crate_reads_it() {
        let text = "\n\u{feff}id,postcode,lat,lon,access,indoor,pads_expiry,last_checked,notes\n\
             A1,LE12 7AB,52,-1,public_24_7,Yes,2025-01-01,,\n\
             \n\
             A2,,95,-1,,maybe,,,\n\
             ,,,,,,,,\n\
             \x20\n\
             A3,ZZ99 9ZZ,,,,,31/02/2024,9999-01-01,x\n\
             A4,,0,0,sometimes,no,,,\n\
             A5,,1\n\
             A1,,,,,,,,\n\
             A6 ,, 52.1 ,-1.2,,N,,,last";
        let parse = |strict: bool, split: Split| {
            let opts = ReadOptions { strict };
            parse_table(
                "t.csv",
                text.as_bytes(),
                AED_COLUMNS,
                opts,
                aed_parser(),
                |a| &a.id,
                split,
            )
            .map(AedFile::from)
        };
        // Whole, and in pieces of a line or so (each after a non-empty line).
        let (whole, lines) = (SPLIT, Split::Plain { piece_bytes: 1 });
        let plain = parse(false, whole).unwrap();
        assert_eq!(plain, parse(false, Split::Csv).unwrap());
        assert_eq!(plain, parse(false, lines).unwrap());
        assert_eq!(plain.aeds.len(), 2);
        assert!(plain.errors.len() >= 8, "{:#?}", plain.errors);
        let strict = |split| parse(true, split).unwrap_err().to_string();
        assert_eq!(strict(whole), strict(Split::Csv));
        assert_eq!(strict(whole), strict(lines));
        for text in [
            "id\n",
            "\n\nid\n\n",
            "id;name\nA;B\n",
            "a,b\n1,2\n",
            "id,ID\nA,B\n",
        ] {
            let show = |split| {
                format!(
                    "{:?}",
                    parse_table(
                        "t.csv",
                        text.as_bytes(),
                        AED_COLUMNS,
                        ReadOptions::default(),
                        aed_parser(),
                        |a| &a.id,
                        split
                    )
                    .map(AedFile::from)
                )
            };
            assert_eq!(show(SPLIT), show(Split::Csv), "{text:?}");
            assert_eq!(
                show(SPLIT),
                show(Split::Plain { piece_bytes: 1 }),
                "{text:?}"
            );
        }
    }

    #[test]
    fn whole_numbers_read_as_any_other_spelling_of_the_number() {
        let text = "id,easting,northing\n\
             A1,394272,806506\n\
             A2,394272.0,8.06506e5\n\
             A3, 0394272 ,806506.000\n\
             A4,-1,806506\n\
             A5,1234567890123456,806506\n\
             A6,12a,806506\n";
        let f = read(text).unwrap();
        // The csv crate's way (a quoted field; a BOM) reads the same.
        let quoted = text.replacen("A2,", "\"A2\",", 1);
        assert_eq!(read(&format!("\u{feff}{quoted}")).unwrap(), f);
        let at = |i: usize| f.aeds[i].location.map(|l| l.coord);
        let want = Some(Coord::Bng {
            easting_m: 394_272.0,
            northing_m: 806_506.0,
        });
        assert_eq!((at(0), at(1), at(2)), (want, want, want));
        let shown: Vec<String> = f.errors.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "t.csv:5: easting: BNG easting (m) out of range 0..700000 (\"-1\")",
                "t.csv:6: easting: BNG easting (m) out of range 0..700000 (\"1234567890123456\")",
                "t.csv:7: easting: not a number (\"12a\")",
            ]
        );
    }

    #[test]
    fn bom_and_crlf_are_fine() {
        let f = read("\u{feff}id,name\r\nA1,Hall\r\nA2,Shop\r\n").unwrap();
        assert_eq!(f.aeds.len(), 2);
        assert_eq!(f.aeds[1].about.name, "Shop");
        assert!(f.errors.is_empty());
    }

    /// Spreadsheets save CSV with CRLF line ends: an error names the line a text editor
    /// shows, whether the file takes the plain path or the csv crate's (a quote).
    #[test]
    fn crlf_errors_name_the_right_line() {
        for quote in ["", "\"Hall\""] {
            let text =
                format!("id,name,easting,northing\r\nA1,{quote},1,2\r\nA2,,3,4\r\nA3,,-1,4\r\n");
            let f = read(&text).unwrap();
            assert_eq!(f.aeds.len(), 2, "{quote:?}");
            let lines: Vec<u64> = f.errors.iter().map(|e| e.line).collect();
            assert_eq!(lines, [4], "{quote:?}: {:?}", f.errors);
        }
    }

    #[test]
    fn unknown_columns_warn_once() {
        let f = read("id,colour,size\nA1,red,2\nA2,blue,3\n").unwrap();
        assert_eq!(f.aeds.len(), 2);
        assert_eq!(f.warnings.len(), 1);
        assert!(f.warnings[0].contains("colour, size"));
    }

    #[test]
    fn bad_values_are_named_with_line_and_row_is_not_loaded() {
        let f = read(
            "id,postcode,lat,lon,access,pads_expiry\n\
             A1,LE12 7AB,52,-1,public_24_7,2025-01-01\n\
             A2,,95,-1,,\n\
             A3,ZZ99 9ZZ,,,,\n\
             A4,,,,sometimes,31/02/2024\n\
             A1,,,,,\n",
        )
        .unwrap();
        assert_eq!(f.aeds.len(), 1);
        let shown: Vec<String> = f.errors.iter().map(ToString::to_string).collect();
        assert_eq!(f.bad_rows(), 4, "{shown:#?}");
        assert!(shown.contains(&"t.csv:3: lat: latitude out of range -90..90 (\"95\")".into()));
        assert!(
            shown
                .iter()
                .any(|s| s.starts_with("t.csv:4: postcode: not a UK postcode"))
        );
        assert!(
            shown
                .iter()
                .any(|s| s.starts_with("t.csv:5: access: unknown value"))
        );
        assert!(shown.contains(
            &"t.csv:5: pads_expiry: not a date in the form YYYY-MM-DD (\"31/02/2024\")".into()
        ));
        assert!(shown.contains(&"t.csv:6: id: duplicate id, first on line 2 (\"A1\")".into()));
    }

    /// With no id repeated, the ids are not put in a table (`distinct_hashes`): bad rows,
    /// and a row with the wrong number of fields, still keep only themselves out.
    #[test]
    fn ids_all_different_skip_the_table_and_decide_the_same() {
        let text = "id,lat,lon\nA1,52,-1\nA2,95,-1\nA3,52\nA4,52,-1\n";
        let f = read(text).unwrap();
        let ids: Vec<&str> = f.aeds.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(ids, ["A1", "A4"]);
        let shown: Vec<String> = f.errors.iter().map(ToString::to_string).collect();
        assert_eq!(shown.len(), 2, "{shown:#?}");
        assert!(shown[0].starts_with("t.csv:3: lat: latitude out of range"));
        assert!(shown[1].starts_with("t.csv:4: row: has 2 fields"));
        let piece = |hashes: Vec<u64>| Piece {
            hashes,
            ..Piece::default()
        };
        assert!(distinct_hashes(&[piece(vec![3, 1]), piece(vec![0, 2])]));
        // An id hashed twice, in one piece or two; two rows without an item (hash 0).
        assert!(!distinct_hashes(&[piece(vec![3, 1, 3])]));
        assert!(!distinct_hashes(&[piece(vec![3, 1]), piece(vec![2, 1])]));
        assert!(!distinct_hashes(&[piece(vec![0, 1]), piece(vec![0])]));
        assert!(distinct_hashes(&[]));
    }

    proptest! {
        /// The check agrees with a set, for hashes spread out, packed together, or
        /// repeated, in one piece or two.
        #[test]
        fn distinct_hashes_agree_with_a_set(
            hashes in proptest::collection::vec(
                prop_oneof![any::<u64>(), 0..4u64, (0..4u64).prop_map(|h| h << 62 | 7)],
                0..300,
            ),
            cut in 0..300usize,
        ) {
            let cut = cut.min(hashes.len());
            let pieces = [&hashes[..cut], &hashes[cut..]].map(|h| Piece {
                hashes: h.to_vec(),
                ..Piece::default()
            });
            let set: std::collections::HashSet<u64> = hashes.iter().copied().collect();
            prop_assert_eq!(distinct_hashes(&pieces), set.len() == hashes.len());
        }
    }

    #[test]
    fn impossible_date_and_half_pairs() {
        let f = read("id,pads_expiry,lon,easting,northing\nA1,2024-02-30,-1,,\nA2,,,400000,\n")
            .unwrap();
        let shown: Vec<String> = f.errors.iter().map(ToString::to_string).collect();
        assert!(shown.contains(&"t.csv:2: pads_expiry: no such date (\"2024-02-30\")".into()));
        assert!(shown.iter().any(|s| s.starts_with("t.csv:2: lat: missing")));
        assert!(
            shown
                .iter()
                .any(|s| s.starts_with("t.csv:3: northing: missing"))
        );
    }

    #[test]
    fn strict_stops_at_first_bad_row() {
        let e = read_aeds_from_reader(
            "t.csv",
            "id,lat,lon\nA1,100,0\nA2,200,0\n".as_bytes(),
            ReadOptions { strict: true },
        )
        .unwrap_err();
        let msg = e.to_string();
        assert!(msg.starts_with("t.csv:2: lat:"), "{msg}");
        assert!(msg.contains("strict"));
    }

    #[test]
    fn file_level_errors() {
        assert!(matches!(read(""), Err(RegistryError::Empty { .. })));
        assert!(matches!(
            read("\u{feff}\r\n"),
            Err(RegistryError::Empty { .. })
        ));
        assert!(matches!(
            read("id;name\nA1;Hall\n"),
            Err(RegistryError::SemicolonSeparated { .. })
        ));
        assert!(matches!(
            read("name,address\nHall,x\n"),
            Err(RegistryError::MissingId { .. })
        ));
        assert_eq!(
            read("id,ID\nA,B\n").unwrap_err().to_string(),
            "t.csv:1: id: duplicate header (\"ID\")"
        );
        // A repeated unknown column is only an unknown column.
        let f = read("id,extra,Extra\nA1,x,y\n").unwrap();
        assert_eq!(f.aeds.len(), 1);
        assert!(f.warnings[0].ends_with("unknown columns ignored: extra, Extra"));
        let bad = read_aeds_from_reader("t.csv", &b"id\nA\xff\xfe"[..], ReadOptions::default());
        match bad {
            Err(RegistryError::NotUtf8 { line, .. }) => assert_eq!(line, 2),
            other => panic!("{other:?}"),
        }
        let header_only = read("id,name\n").unwrap();
        assert!(header_only.aeds.is_empty());
        assert!(header_only.warnings[0].contains("header line only"));
    }

    #[test]
    fn wrong_field_count_is_a_row_error() {
        let f = read("id,name\nA1,Hall,extra\nA2,Shop\n").unwrap();
        assert_eq!(f.aeds.len(), 1);
        assert_eq!(f.errors[0].line, 2);
        assert_eq!(f.errors[0].column, "row");
    }

    #[test]
    fn guardians_read_and_email_checked_without_echoing_it() {
        let f = read_guardians_from_reader(
            "g.csv",
            "id,name,email\nG1,Ann,ann@example.org\nG2,Bob,bob-at-example\n".as_bytes(),
            ReadOptions::default(),
        )
        .unwrap();
        assert_eq!(f.guardians.len(), 1);
        assert_eq!(f.errors[0].line, 3);
        assert!(!f.errors[0].to_string().contains("bob-at"));
    }

    fn text(max: usize) -> impl Strategy<Value = String> {
        proptest::string::string_regex(&format!("[a-zA-Z0-9 ,\"'\n;é/-]{{0,{max}}}"))
            .unwrap()
            .prop_map(|s| s.trim().to_string())
    }

    fn opt_text() -> impl Strategy<Value = Option<String>> {
        proptest::option::of(text(12).prop_filter("non-empty", |s| !s.is_empty()))
    }

    fn date() -> impl Strategy<Value = Option<NaiveDate>> {
        proptest::option::of(
            (1990i32..2100, 1u32..=12, 1u32..=28)
                .prop_map(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()),
        )
    }

    /// A check date: never after today (a later one is refused).
    fn past_date() -> impl Strategy<Value = Option<NaiveDate>> {
        proptest::option::of(
            (1990i32..2025, 1u32..=12, 1u32..=28)
                .prop_map(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()),
        )
    }

    fn location() -> impl Strategy<Value = Option<Location>> {
        let coord = prop_oneof![
            (-180.0f64..=180.0, -90.0f64..=90.0).prop_map(|(lon, lat)| Coord::Wgs84 { lon, lat }),
            (0.0f64..=700_000.0, 0.0f64..=1_300_000.0).prop_map(|(e, n)| Coord::Bng {
                easting_m: e,
                northing_m: n
            }),
        ];
        // 0,0 is refused as a missing position written as zeros.
        let coord = coord.prop_filter("not 0,0", |c| match *c {
            Coord::Wgs84 { lon, lat } => lon != 0.0 || lat != 0.0,
            Coord::Bng {
                easting_m,
                northing_m,
            } => easting_m != 0.0 || northing_m != 0.0,
        });
        proptest::option::of(
            (coord, proptest::sample::select(LocationSource::ALL))
                .prop_map(|(coord, source)| Location { coord, source }),
        )
    }

    prop_compose! {
        fn aed()(
            id in "[A-Za-z0-9_-]{1,8}",
            name in text(20),
            address in text(30),
            postcode in proptest::sample::select(vec!["", "LE12 7AB", "le113tu", "EC1A 1BB", "LE12", "GIR 0AA"]),
            location in location(),
            access in proptest::sample::select(AccessClass::ALL),
            opening_hours in opt_text(),
            indoor in proptest::option::of(any::<bool>()),
            locked in proptest::option::of(any::<bool>()),
            managed_by in proptest::sample::select(ManagedBy::ALL),
            circuit_id in opt_text(),
            model in opt_text(),
            serial in opt_text(),
            pads_expiry in date(),
            battery_expiry in date(),
            last_checked in past_date(),
            status in proptest::sample::select(Status::ALL),
            guardian_id in proptest::option::of("[A-Za-z0-9_:.-]{1,8}".prop_filter("no ..", |g| !g.contains(".."))),
            source in opt_text(),
            flags in proptest::collection::vec("[a-z]{1,5}=[A-Za-z0-9 ,]{0,6}[A-Za-z0-9]", 0..3),
            notes in opt_text(),
        ) -> Aed {
            let about = Description {
                name, address, postcode: postcode.to_string(), circuit_id, model, serial, source,
                flags, notes,
            };
            Aed {
                id: id.into(), location, access, opening_hours, indoor, locked, managed_by, pads_expiry,
                battery_expiry, last_checked, status, guardian_id, about: Details::new(about),
            }
        }
    }

    proptest! {
        /// Any text of ids, repeats, bad values, blank rows and empty lines reads the same in
        /// pieces of any size as whole and as the csv crate reads it.
        #[test]
        fn pieces_read_as_the_whole_text_reads(
            rows in proptest::collection::vec(
                "(A[0-3]|A[0-3] |)(,(52|-1|x|)(,(LE1 1AA|ZZ|)|)|)|",
                0..40,
            ),
            piece_bytes in 1usize..64,
            strict in any::<bool>(),
        ) {
            let text = format!("id,lat,postcode\n{}", rows.join("\n"));
            let parse = |split| {
                let opts = ReadOptions { strict };
                let t = parse_table("p.csv", text.as_bytes(), AED_COLUMNS, opts, aed_parser(), |a| &a.id, split);
                format!("{:?}", t.map(AedFile::from))
            };
            let whole = parse(SPLIT);
            prop_assert_eq!(&whole, &parse(Split::Csv));
            prop_assert_eq!(&whole, &parse(Split::Plain { piece_bytes }));
        }

        #[test]
        fn aeds_round_trip(aeds in proptest::collection::vec(aed(), 0..8)) {
            // Ids must be unique in a registry.
            let mut aeds = aeds;
            for (i, a) in aeds.iter_mut().enumerate() {
                a.id = ecow::eco_format!("{i:02}{}", a.id);
            }
            let mut buf = Vec::new();
            write_aeds(&mut buf, &aeds).unwrap();
            let back = read_aeds_from_reader("rt.csv", buf.as_slice(), ReadOptions { strict: true })
                .unwrap();
            prop_assert!(back.errors.is_empty());
            prop_assert_eq!(back.aeds, aeds);
        }

        #[test]
        fn guardians_round_trip(gs in proptest::collection::vec(
            ("[A-Za-z0-9]{1,6}", text(20), opt_text(), proptest::option::of("[a-z]{1,6}@[a-z]{1,6}\\.org"), opt_text()),
            0..6,
        )) {
            let gs: Vec<Guardian> = gs.into_iter().enumerate().map(|(i, (id, name, organisation, email, phone))| Guardian {
                id: format!("{i:02}{id}"), name, organisation, email, phone,
            }).collect();
            let mut buf = Vec::new();
            write_guardians(&mut buf, &gs).unwrap();
            let back = read_guardians_from_reader("rt.csv", buf.as_slice(), ReadOptions { strict: true }).unwrap();
            prop_assert_eq!(back.guardians, gs);
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = read_aeds_from_reader("x.csv", bytes.as_slice(), ReadOptions::default());
        }

        #[test]
        fn arbitrary_rows_never_panic(body in "[a-zA-Z0-9 ,;\"\n./-]{0,200}") {
            let text = format!("{}\n{body}", AED_COLUMNS.join(","));
            let _ = read_aeds_from_reader("x.csv", text.as_bytes(), ReadOptions::default());
        }
    }
}
