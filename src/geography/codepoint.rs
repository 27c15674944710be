//! Postcode lookup from OS Code-Point Open: postcode unit → easting/northing in EPSG:27700
//! metres, positional quality, admin district.
//!
//! Two input shapes are read:
//! - a CSV with a header (`postcode` first, `positional_quality_indicator` or `pqi`,
//!   `easting`, `northing`, optional `admin_district_code`; names by the [`crate::csvhead`]
//!   rule), as in `codepoint_open/` of the open data;
//! - the native OS distribution: a folder holding `Data/CSV/*.csv`, headerless, columns
//!   `Postcode, Positional_quality_indicator, Eastings, Northings, Country_code,
//!   NHS_regional_HA_code, NHS_HA_code, Admin_county_code, Admin_district_code,
//!   Admin_ward_code` (a single headerless file is read the same way).
//!
//! Rows with no location (PQI 90, or easting and northing both 0) are counted, remembered as
//! existing postcodes, and never indexed at 0,0.
//!
//! The index is a vector of 24-byte entries sorted by a packed postcode key: the outward code
//! padded with spaces to 4 bytes, then the 3-byte inward code, big-endian in a `u64`. A
//! space sorts before digits and letters, so every district, sector and area is a contiguous
//! range found by binary search.

use std::fmt;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use super::postcode::{Postcode, PostcodeLevel};
use crate::csvhead::Headers;

/// A located postcode unit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PostcodeRecord {
    /// Easting in EPSG:27700 metres.
    pub easting_m: f64,
    /// Northing in EPSG:27700 metres.
    pub northing_m: f64,
    /// Code-Point positional quality indicator (10 = within a building's footprint, … 60).
    pub pqi: u8,
}

/// Loading Code-Point failed as a whole (bad rows are not errors: see [`LoadReport`]).
#[derive(Debug, thiserror::Error)]
pub enum CodepointError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{path}: no Code-Point CSV files found (expected a CSV file or a folder with Data/CSV/*.csv)"
    )]
    NoFiles { path: PathBuf },
    #[error("{path}:1: header has no {column} column")]
    MissingColumn { path: PathBuf, column: &'static str },
    #[error(
        "{path}: not a Code-Point file: none of its {rows} rows is a postcode record (first: {first})"
    )]
    NotCodepoint {
        path: PathBuf,
        rows: usize,
        first: String,
    },
    #[error("{path}: more than 65,534 distinct admin district codes")]
    TooManyDistricts { path: PathBuf },
}

/// What a load read, counted.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LoadReport {
    /// The CSV files read, in order.
    pub files: Vec<PathBuf>,
    /// Data rows seen (headers and blank lines not counted).
    pub rows: usize,
    /// Rows indexed with a position.
    pub located: usize,
    /// Rows with no location (PQI 90 or 0,0): counted, not indexed.
    pub no_location: usize,
    /// Rows that could not be read.
    pub bad_rows: usize,
    /// Rows repeating a postcode already read (the first one is kept).
    pub duplicates: usize,
    /// `file:line: reason (value)` for bad rows and duplicates; the first
    /// [`LoadReport::MAX_MESSAGES`] only, the counts above are complete.
    pub errors: Vec<String>,
}

impl LoadReport {
    pub const MAX_MESSAGES: usize = 200;

    fn push_error(&mut self, msg: String) {
        if self.errors.len() < Self::MAX_MESSAGES {
            self.errors.push(msg);
        }
    }
}

impl fmt::Display for LoadReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Code-Point: {} file(s), {} rows: {} located, {} with no location, {} bad, {} duplicate",
            self.files.len(),
            self.rows,
            self.located,
            self.no_location,
            self.bad_rows,
            self.duplicates
        )?;
        for e in &self.errors {
            write!(f, "\n  {e}")?;
        }
        let shown = self.errors.len();
        let total = self.bad_rows + self.duplicates;
        if total > shown {
            write!(f, "\n  … and {} more", total - shown)?;
        }
        Ok(())
    }
}

const NO_DISTRICT: u16 = u16::MAX;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    key: u64,
    easting_m: u32,
    northing_m: u32,
    district: u16,
    pqi: u8,
    /// Its place among the located rows of the files read: of the rows of a repeated
    /// postcode, the first is kept. (It fits in what would be padding.)
    row: u32,
}

impl Entry {
    fn record(&self) -> PostcodeRecord {
        PostcodeRecord {
            easting_m: f64::from(self.easting_m),
            northing_m: f64::from(self.northing_m),
            pqi: self.pqi,
        }
    }
}

/// Postcode units of Code-Point Open, indexed for lookup by unit and by prefix.
#[derive(Debug, Clone, Default)]
pub struct PostcodeIndex {
    entries: Vec<Entry>,
    /// Keys of postcodes present with no location, sorted.
    unlocated: Vec<u64>,
    districts: Vec<Box<str>>,
}

/// Pack a unit postcode (any case and spacing, optional quotes) into its 7-byte key.
/// `None` unless it has the shape of a unit: 2–4 outward characters and `9AA` inward.
fn unit_key(raw: &[u8]) -> Option<u64> {
    let mut buf = [0u8; 7];
    let mut n = 0;
    for &b in raw {
        if b == b' ' || b == b'"' || b == b'\t' {
            continue;
        }
        if n == 7 || !b.is_ascii_alphanumeric() {
            return None;
        }
        buf[n] = b.to_ascii_uppercase();
        n += 1;
    }
    if n < 5 {
        return None;
    }
    let (outward, inward) = buf[..n].split_at(n - 3);
    if !(outward[0].is_ascii_alphabetic()
        && inward[0].is_ascii_digit()
        && inward[1].is_ascii_alphabetic()
        && inward[2].is_ascii_alphabetic())
    {
        return None;
    }
    let mut key = [b' '; 7];
    key[..outward.len()].copy_from_slice(outward);
    key[4..].copy_from_slice(inward);
    Some(pack(&key))
}

/// Big-endian packing of up to 7 bytes, padded with `fill`.
fn pack_with(prefix: &[u8], fill: u8) -> u64 {
    let mut k = 0u64;
    for i in 0..7 {
        k = (k << 8) | u64::from(prefix.get(i).copied().unwrap_or(fill));
    }
    k
}

fn pack(key: &[u8; 7]) -> u64 {
    pack_with(key, 0)
}

fn unpack(key: u64) -> [u8; 7] {
    let mut out = [0u8; 7];
    for (i, b) in out.iter_mut().enumerate() {
        *b = (key >> (8 * (6 - i))) as u8;
    }
    out
}

/// The normalised unit string (`LE1 1AA`, `LE12 7AB`) of a key.
fn key_to_string(key: u64) -> String {
    let b = unpack(key);
    let outward: String = b[..4]
        .iter()
        .filter(|&&c| c != b' ')
        .map(|&c| c as char)
        .collect();
    let inward: String = b[4..].iter().map(|&c| c as char).collect();
    format!("{outward} {inward}")
}

impl PostcodeIndex {
    /// Load Code-Point Open from a CSV file (with or without header) or a native OS folder
    /// (`Data/CSV/*.csv`, or a folder of `*.csv`).
    pub fn load(path: impl AsRef<Path>) -> Result<(PostcodeIndex, LoadReport), CodepointError> {
        let path = path.as_ref();
        let files = list_files(path)?;
        let mut report = LoadReport::default();
        let mut districts = Districts::default();
        let mut entries: Vec<Entry> = Vec::new();
        let mut unlocated: Vec<u64> = Vec::new();
        for file in &files {
            let buf = crate::input::read(file).map_err(|source| CodepointError::Io {
                path: file.clone(),
                source,
            })?;
            let (rows_before, errors_before) = (report.rows, report.errors.len());
            let first_row = entries.len();
            let parsed = parse_buffer(file, &buf, first_row, &mut districts, &mut report)?;
            drop(buf);
            let rows = report.rows - rows_before;
            if rows > 0 && parsed.0.is_empty() && parsed.1.is_empty() {
                return Err(CodepointError::NotCodepoint {
                    path: file.clone(),
                    rows,
                    first: report
                        .errors
                        .get(errors_before)
                        .cloned()
                        .unwrap_or_default(),
                });
            }
            if entries.is_empty() {
                entries = parsed.0;
            } else {
                entries.extend_from_slice(&parsed.0);
            }
            unlocated.extend(parsed.1);
        }
        report.files = files;

        let before = entries.len();
        let dup_keys = sort_keeping_first(&mut entries);
        unlocated.sort_unstable();
        unlocated.dedup();
        // A postcode both located and unlocated stays located.
        unlocated.retain(|k| entries.binary_search_by_key(k, |e| e.key).is_err());
        report.duplicates = before - entries.len();
        report.located = entries.len();
        for k in dup_keys {
            report.push_error(format!(
                "{}: duplicate postcode {}: the first row is kept",
                path.display(),
                key_to_string(k)
            ));
        }
        entries.shrink_to_fit();
        Ok((
            PostcodeIndex {
                entries,
                unlocated,
                districts: districts.names,
            },
            report,
        ))
    }

    /// Located postcode units.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Postcodes present in Code-Point with no location (PQI 90 / 0,0).
    pub fn no_location_len(&self) -> usize {
        self.unlocated.len()
    }

    fn find(&self, postcode: &str) -> Option<&Entry> {
        let key = unit_key(postcode.as_bytes())?;
        let i = self.entries.binary_search_by_key(&key, |e| e.key).ok()?;
        Some(&self.entries[i])
    }

    /// Look up a unit postcode, any case and spacing (`le11aa`, `LE1 1AA`).
    pub fn get(&self, postcode: &str) -> Option<PostcodeRecord> {
        self.find(postcode).map(Entry::record)
    }

    /// True when the unit is in Code-Point but has no location.
    pub fn has_no_location(&self, postcode: &str) -> bool {
        unit_key(postcode.as_bytes()).is_some_and(|k| self.unlocated.binary_search(&k).is_ok())
    }

    /// The unit's admin district (local authority) GSS code, e.g. `E06000016`.
    pub fn admin_district(&self, postcode: &str) -> Option<&str> {
        let e = self.find(postcode)?;
        self.districts.get(usize::from(e.district)).map(|s| &**s)
    }

    /// The entries of the units inside `postcode` (itself for a unit; every unit of the
    /// sector, district or area otherwise).
    fn range(&self, postcode: &Postcode) -> Vec<&Entry> {
        let s = postcode.to_string();
        let (prefix, area_len) = match postcode.level() {
            PostcodeLevel::Unit => return self.find(&s).into_iter().collect(),
            PostcodeLevel::Area => (s.into_bytes(), Some(postcode.area().len())),
            PostcodeLevel::District | PostcodeLevel::Sector => {
                let (out, inw) = s.split_once(' ').unwrap_or((&s, ""));
                if out.len() > 4 {
                    return Vec::new();
                }
                let mut p = out.as_bytes().to_vec();
                p.resize(4, b' ');
                p.extend_from_slice(inw.as_bytes());
                (p, None)
            }
        };
        let lo = pack_with(&prefix, 0);
        let hi = pack_with(&prefix, 0xFF);
        let start = self.entries.partition_point(|e| e.key < lo);
        let end = self.entries.partition_point(|e| e.key <= hi);
        self.entries[start..end]
            .iter()
            // Area `L` must not take `LE…`: the byte after the area letters is a digit.
            .filter(|e| area_len.is_none_or(|n| unpack(e.key)[n].is_ascii_digit()))
            .collect()
    }

    /// The located units inside an area, district or sector (or the unit itself), sorted.
    pub fn members(&self, postcode: &Postcode) -> Vec<(String, PostcodeRecord)> {
        self.range(postcode)
            .into_iter()
            .map(|e| (key_to_string(e.key), e.record()))
            .collect()
    }

    /// Number of located units inside an area, district or sector.
    pub fn count(&self, postcode: &Postcode) -> usize {
        self.range(postcode).len()
    }

    /// Mean easting/northing (EPSG:27700 metres) of the located units inside `postcode`;
    /// `None` when it has none.
    pub fn centroid(&self, postcode: &Postcode) -> Option<(f64, f64)> {
        let r = self.range(postcode);
        if r.is_empty() {
            return None;
        }
        let (se, sn) = r.iter().fold((0u64, 0u64), |(se, sn), e| {
            (se + u64::from(e.easting_m), sn + u64::from(e.northing_m))
        });
        let n = r.len() as f64;
        Some((se as f64 / n, sn as f64 / n))
    }

    /// Every located unit in postcode order: (`LE1 1AA`, record).
    pub fn iter(&self) -> impl Iterator<Item = (String, PostcodeRecord)> + '_ {
        self.entries
            .iter()
            .map(|e| (key_to_string(e.key), e.record()))
    }

    /// Every located unit with its admin district code (`None` when the file has none).
    pub fn iter_with_district(
        &self,
    ) -> impl Iterator<Item = (String, PostcodeRecord, Option<&str>)> + '_ {
        self.entries.iter().map(|e| {
            (
                key_to_string(e.key),
                e.record(),
                self.districts.get(usize::from(e.district)).map(|s| &**s),
            )
        })
    }
}

fn list_files(path: &Path) -> Result<Vec<PathBuf>, CodepointError> {
    let io = |source| CodepointError::Io {
        path: path.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if !meta.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let dir = [
        path.join("Data").join("CSV"),
        path.join("CSV"),
        path.to_path_buf(),
    ]
    .into_iter()
    .find(|d| d.is_dir() && has_csv(d))
    .ok_or_else(|| CodepointError::NoFiles {
        path: path.to_path_buf(),
    })?;
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&dir).map_err(io)? {
        let p = entry.map_err(io)?.path();
        if is_csv(&p) {
            files.push(p);
        }
    }
    files.sort();
    Ok(files)
}

fn is_csv(p: &Path) -> bool {
    p.is_file() && p.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv"))
}

fn has_csv(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|rd| rd.flatten().any(|e| is_csv(&e.path())))
}

/// Column positions in a row.
#[derive(Debug, Clone, Copy)]
struct Columns {
    postcode: usize,
    pqi: usize,
    easting: usize,
    northing: usize,
    district: Option<usize>,
}

impl Columns {
    /// The native OS layout.
    const NATIVE: Columns = Columns {
        postcode: 0,
        pqi: 1,
        easting: 2,
        northing: 3,
        district: Some(8),
    };

    fn max(&self) -> usize {
        [self.postcode, self.pqi, self.easting, self.northing]
            .into_iter()
            .chain(self.district)
            .max()
            .unwrap_or(0)
    }
}

fn unquote(f: &[u8]) -> &[u8] {
    let f = f.trim_ascii();
    match f {
        [b'"', inner @ .., b'"'] => inner,
        _ => f,
    }
}

fn header_columns(path: &Path, line: &[u8]) -> Result<Option<Columns>, CodepointError> {
    let headers = Headers::from_names(
        line.split(|&b| b == b',')
            .map(|f| String::from_utf8_lossy(unquote(f)).into_owned()),
    );
    if headers.find("postcode") != Some(0) {
        return Ok(None);
    }
    let find = |alts: &[&str]| headers.find_any(alts);
    let need = |alts: &[&str], column| {
        find(alts).ok_or_else(|| CodepointError::MissingColumn {
            path: path.to_path_buf(),
            column,
        })
    };
    Ok(Some(Columns {
        postcode: 0,
        pqi: need(
            &["positional_quality_indicator", "pqi", "quality"],
            "positional_quality_indicator (or pqi)",
        )?,
        easting: need(&["easting", "eastings"], "easting")?,
        northing: need(&["northing", "northings"], "northing")?,
        district: find(&["admin_district_code", "admin_district"]),
    }))
}

/// Admin district codes, interned as small ids.
#[derive(Default)]
struct Districts {
    names: Vec<Box<str>>,
    ids: FxHashMap<Box<str>, u16>,
}

impl Districts {
    fn intern(&mut self, name: &str) -> Option<u16> {
        if let Some(&id) = self.ids.get(name) {
            return Some(id);
        }
        let id = u16::try_from(self.names.len())
            .ok()
            .filter(|&i| i < NO_DISTRICT)?;
        self.names.push(name.into());
        self.ids.insert(name.into(), id);
        Some(id)
    }
}

/// What one chunk of a buffer gave.
#[derive(Default)]
struct Chunk {
    entries: Vec<Entry>,
    unlocated: Vec<u64>,
    lines: usize,
    rows: usize,
    bad: usize,
    /// (line within chunk, 0-based; message)
    errors: Vec<(usize, String)>,
    districts: Vec<Box<str>>,
}

const CHUNK_BYTES: usize = 2 << 20;

/// Sorts `entries` by postcode and drops every row of a repeated postcode after its first;
/// returns the keys dropped. Files in postcode order with no repeat need neither step (OS
/// publishes them nearly so: the GB file has nine places where the order steps back).
fn sort_keeping_first(entries: &mut Vec<Entry>) -> Vec<u64> {
    let mut dropped = Vec::new();
    if entries.par_windows(2).all(|w| w[0].key < w[1].key) {
        return dropped;
    }
    entries.par_sort_unstable_by_key(|e| e.key);
    if entries.par_windows(2).all(|w| w[0].key != w[1].key) {
        return dropped;
    }
    for same in entries.chunk_by_mut(|a, b| a.key == b.key) {
        same.sort_unstable_by_key(|e| e.row);
    }
    entries.dedup_by(|later, first| {
        let repeat = later.key == first.key;
        if repeat {
            dropped.push(later.key);
        }
        repeat
    });
    dropped
}

/// Parses one file; its located rows are numbered (`Entry::row`) from `first_row`.
fn parse_buffer(
    path: &Path,
    buf: &[u8],
    first_row: usize,
    districts: &mut Districts,
    report: &mut LoadReport,
) -> Result<(Vec<Entry>, Vec<u64>), CodepointError> {
    // A UTF-8 byte-order mark is not part of the first field.
    let buf = buf.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(buf);
    let first_end = memchr::memchr(b'\n', buf).map_or(buf.len(), |i| i + 1);
    let (cols, body, first_line) = match header_columns(path, &buf[..first_end])? {
        Some(c) => (c, &buf[first_end..], 2),
        None => (Columns::NATIVE, buf, 1),
    };

    // Cut the body at line ends into chunks of about CHUNK_BYTES.
    let mut bounds = vec![0usize];
    let mut at = 0;
    while at < body.len() {
        let target = (at + CHUNK_BYTES).min(body.len());
        let end = if target == body.len() {
            body.len()
        } else {
            memchr::memchr(b'\n', &body[target..]).map_or(body.len(), |i| target + i + 1)
        };
        bounds.push(end);
        at = end;
    }
    let mut chunks: Vec<Chunk> = bounds
        .par_windows(2)
        .map(|w| parse_chunk(&body[w[0]..w[1]], cols))
        .collect();

    let mut unlocated = Vec::new();
    let mut maps = Vec::with_capacity(chunks.len());
    let mut line0 = first_line;
    for c in &mut chunks {
        // Local district ids → global ids.
        let mut map = Vec::with_capacity(c.districts.len());
        for d in &c.districts {
            map.push(
                districts
                    .intern(d)
                    .ok_or_else(|| CodepointError::TooManyDistricts {
                        path: path.to_path_buf(),
                    })?,
            );
        }
        maps.push(map);
        report.no_location += c.unlocated.len();
        unlocated.append(&mut c.unlocated);
        report.rows += c.rows;
        report.bad_rows += c.bad;
        for (l, msg) in std::mem::take(&mut c.errors) {
            report.push_error(format!("{}:{}: {msg}", path.display(), line0 + l));
        }
        line0 += c.lines;
    }
    Ok((joined(&chunks, &maps, first_row), unlocated))
}

/// The entries of every chunk in order, with global district ids (`maps[c]`: chunk `c`'s
/// local ids to global ones) and numbered from `first_row`, copied on every core: the copy
/// and the first touch of the joined table's pages are shared out.
fn joined(chunks: &[Chunk], maps: &[Vec<u16>], first_row: usize) -> Vec<Entry> {
    // starts[c]: where chunk c's entries begin in the joined table.
    let mut starts = Vec::with_capacity(chunks.len());
    let mut total = 0;
    for c in chunks {
        starts.push(total);
        total += c.entries.len();
    }
    let mut entries = Vec::new();
    (0..total)
        .into_par_iter()
        .map(|i| {
            let c = starts.partition_point(|&s| s <= i) - 1;
            let mut e = chunks[c].entries[i - starts[c]];
            e.row = u32::try_from(first_row + i).unwrap_or(u32::MAX);
            if e.district != NO_DISTRICT {
                e.district = maps[c][usize::from(e.district)];
            }
            e
        })
        .collect_into_vec(&mut entries);
    entries
}

/// No row that gives an entry is shorter: `A11AA,1,1,1` and its line end take 12 bytes.
const SHORTEST_ROW_BYTES: usize = 12;

fn parse_chunk(chunk: &[u8], cols: Columns) -> Chunk {
    let mut out = Chunk {
        // Room for every entry at once (counting the lines would cost a pass over the text);
        // the pages a chunk leaves unused are never touched.
        entries: Vec::with_capacity(chunk.len() / SHORTEST_ROW_BYTES + 1),
        ..Chunk::default()
    };
    let mut local: FxHashMap<&[u8], u16> = FxHashMap::default();
    let max = cols.max();
    let mut fields: Vec<&[u8]> = Vec::with_capacity(max + 1);
    let mut start = 0;
    let mut line_no = 0;
    while start < chunk.len() {
        let end = memchr::memchr(b'\n', &chunk[start..]).map_or(chunk.len(), |i| start + i);
        let line = &chunk[start..end];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let this_line = line_no;
        start = end + 1;
        line_no += 1;
        if line.trim_ascii().is_empty() {
            continue;
        }
        out.rows += 1;
        fields.clear();
        let mut f0 = 0;
        for i in memchr::memchr_iter(b',', line) {
            fields.push(&line[f0..i]);
            f0 = i + 1;
            if fields.len() > max {
                break;
            }
        }
        if fields.len() <= max {
            fields.push(&line[f0..]);
        }
        let mut bad = |reason: &str, value: &[u8]| {
            out.bad += 1;
            if out.errors.len() < LoadReport::MAX_MESSAGES {
                out.errors.push((
                    this_line,
                    format!("{reason} ({})", String::from_utf8_lossy(value)),
                ));
            }
        };
        if fields.len() <= max {
            bad(
                &format!(
                    "expected at least {} columns, found {}",
                    max + 1,
                    fields.len()
                ),
                line,
            );
            continue;
        }
        let pc = unquote(fields[cols.postcode]);
        let Some(key) = unit_key(pc) else {
            bad("postcode: not a unit postcode", pc);
            continue;
        };
        let pqi_raw = unquote(fields[cols.pqi]);
        let Some(pqi) = parse_u32(pqi_raw).and_then(|v| u8::try_from(v).ok()) else {
            bad("positional_quality_indicator: not a number 0-255", pqi_raw);
            continue;
        };
        let e_raw = unquote(fields[cols.easting]);
        let Some(easting_m) = parse_u32(e_raw) else {
            bad("easting: not a whole number of metres", e_raw);
            continue;
        };
        let n_raw = unquote(fields[cols.northing]);
        let Some(northing_m) = parse_u32(n_raw) else {
            bad("northing: not a whole number of metres", n_raw);
            continue;
        };
        if pqi == 90 || (easting_m == 0 && northing_m == 0) {
            out.unlocated.push(key);
            continue;
        }
        let district = match cols.district.map(|i| unquote(fields[i])) {
            None | Some([]) => NO_DISTRICT,
            Some(d) => match local.get(d) {
                Some(&id) => id,
                None => {
                    let Some(id) = u16::try_from(out.districts.len())
                        .ok()
                        .filter(|&i| i < NO_DISTRICT)
                    else {
                        bad("admin_district_code: too many distinct codes", d);
                        continue;
                    };
                    local.insert(d, id);
                    out.districts
                        .push(String::from_utf8_lossy(d).into_owned().into_boxed_str());
                    id
                }
            },
        };
        out.entries.push(Entry {
            key,
            easting_m,
            northing_m,
            district,
            pqi,
            row: 0,
        });
    }
    out.lines = line_no;
    out
}

fn parse_u32(b: &[u8]) -> Option<u32> {
    if b.is_empty() || b.len() > 9 {
        return None;
    }
    let mut v = 0u32;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u32::from(c - b'0');
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/codepoint_native")
    }

    #[test]
    fn keys_sort_districts_before_longer_districts() {
        let k = |s: &str| unit_key(s.as_bytes()).unwrap();
        assert_eq!(k("le1 1aa"), k("\"LE1 1AA\""));
        assert_eq!(k("LE127AB"), k("LE12 7AB"));
        assert!(k("LE1 9ZZ") < k("LE10 0AA"));
        assert!(k("L9 9ZZ") < k("LA1 1AA"));
        assert_eq!(key_to_string(k("le127ab")), "LE12 7AB");
        assert_eq!(key_to_string(k("L1  0AA")), "L1 0AA");
        assert!(unit_key(b"LE1").is_none());
        assert!(unit_key(b"LE1 1A1").is_none());
        assert!(unit_key(b"LE1 1AA X").is_none());
    }

    #[test]
    fn native_folder_counts_and_errors() {
        let (idx, rep) = PostcodeIndex::load(fixture()).unwrap();
        assert_eq!(rep.files.len(), 2);
        assert_eq!(rep.rows, 10);
        assert_eq!(rep.located, 6);
        assert_eq!(idx.len(), 6);
        assert_eq!(rep.no_location, 2);
        assert_eq!(idx.no_location_len(), 2);
        assert_eq!(rep.bad_rows, 2);
        assert_eq!(rep.errors.len(), 2, "{rep}");
        assert!(
            rep.errors[0].ends_with("le.csv:7: easting: not a whole number of metres (45x000)")
        );
        assert!(
            rep.errors[1].contains("le.csv:8: expected at least 9 columns, found 3"),
            "{rep}"
        );
        assert!(idx.has_no_location("LE12 7AD"));
        assert!(idx.has_no_location("le127ae"));
        assert!(idx.get("LE12 7AD").is_none());
    }

    #[test]
    fn lookups_and_prefix_ranges() {
        let (idx, _) = PostcodeIndex::load(fixture()).unwrap();
        let r = idx.get(" le12 7ab ").unwrap();
        assert_eq!((r.easting_m, r.northing_m, r.pqi), (455000.0, 318000.0, 10));
        assert_eq!(idx.admin_district("LE1 1AA"), Some("E06000016"));
        assert_eq!(idx.admin_district("L1 0AB"), Some("E08000012"));
        assert_eq!(idx.get("LE1 9ZZ"), None);
        let p = |s: &str| Postcode::parse(s).unwrap();
        let names =
            |s: &str| -> Vec<String> { idx.members(&p(s)).into_iter().map(|(n, _)| n).collect() };
        assert_eq!(names("LE"), ["LE1 1AA", "LE1 1AB", "LE1 2AA", "LE12 7AB"]);
        assert_eq!(names("L"), ["L1 0AA", "L1 0AB"]);
        assert_eq!(names("LE1"), ["LE1 1AA", "LE1 1AB", "LE1 2AA"]);
        assert_eq!(names("LE1 1"), ["LE1 1AA", "LE1 1AB"]);
        assert_eq!(names("LE12"), ["LE12 7AB"]);
        assert_eq!(names("LE1 1AB"), ["LE1 1AB"]);
        assert!(names("LE2").is_empty());
        assert_eq!(idx.centroid(&p("LE1 1")), Some((459350.0, 304200.0)));
        assert_eq!(idx.centroid(&p("LE2")), None);
        assert_eq!(idx.count(&p("LE")), 4);
        let all: Vec<_> = idx.iter().map(|(n, _)| n).collect();
        assert_eq!(all.len(), 6);
        assert!(
            all.windows(2)
                .all(|w| unit_key(w[0].as_bytes()) < unit_key(w[1].as_bytes()))
        );
    }

    #[test]
    fn a_file_with_no_postcode_record_is_not_a_codepoint_file() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("passwd");
        std::fs::write(
            &f,
            "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1::/usr/sbin:/bin/sh\n",
        )
        .unwrap();
        let e = PostcodeIndex::load(&f).unwrap_err().to_string();
        assert!(
            e.contains("passwd: not a Code-Point file: none of its 2 rows"),
            "{e}"
        );
        let e = PostcodeIndex::load("/dev/zero").unwrap_err().to_string();
        assert!(e.contains("not a regular file"), "{e}");
    }

    #[test]
    fn of_a_repeated_postcode_the_first_row_in_the_files_is_kept() {
        // 3,000 rows over 300 postcodes in random order, in two files of a folder, past
        // the small sizes a sort handles in order: each postcode's first row (its easting
        // is its row number) must be the one kept.
        let dir = tempfile::tempdir().unwrap();
        let mut rng = crate::test_rng::Lcg(7);
        let mut first_row: FxHashMap<String, u32> = FxHashMap::default();
        let mut texts = [String::new(), String::new()];
        for row in 0..3000u32 {
            let n = (rng.unit() * 300.0) as u32;
            let pc = format!("LE{} {}AA", 1 + n / 10, n % 10);
            first_row.entry(pc.clone()).or_insert(row + 1);
            let text = &mut texts[usize::from(row >= 1500)];
            text.push_str(&format!("{pc},10,{},300000\n", row + 1));
        }
        for (name, text) in ["a.csv", "b.csv"].iter().zip(&texts) {
            let header = "postcode,pqi,easting,northing\n";
            std::fs::write(dir.path().join(name), format!("{header}{text}")).unwrap();
        }
        let (idx, rep) = PostcodeIndex::load(dir.path()).unwrap();
        assert_eq!(rep.files.len(), 2);
        assert_eq!(
            (idx.len(), rep.duplicates),
            (first_row.len(), 3000 - first_row.len())
        );
        for (pc, row) in &first_row {
            assert_eq!(idx.get(pc).unwrap().easting_m, f64::from(*row), "{pc}");
        }
    }

    #[test]
    fn header_csv_by_column_name_and_duplicates() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("cp.csv");
        std::fs::write(
            &f,
            "postcode,easting,northing,pqi\r\nLE1 1AA,459300,304100,10\r\n\r\nLE1 1AA,1,2,10\r\nXX,1,2,10\r\nLE1 1AB,0,0,90\r\n",
        )
        .unwrap();
        let (idx, rep) = PostcodeIndex::load(&f).unwrap();
        assert_eq!((rep.rows, rep.located, rep.no_location), (4, 1, 1));
        assert_eq!((rep.bad_rows, rep.duplicates), (1, 1));
        assert!(
            rep.errors
                .iter()
                .any(|e| e.ends_with("cp.csv:5: postcode: not a unit postcode (XX)")),
            "{rep}"
        );
        assert!(
            rep.errors
                .iter()
                .any(|e| e.contains("duplicate postcode LE1 1AA"))
        );
        assert_eq!(idx.get("LE1 1AA").unwrap().easting_m, 459300.0);
        assert_eq!(idx.admin_district("LE1 1AA"), None);

        std::fs::write(&f, "postcode,pqi,northing\nLE1 1AA,10,1\n").unwrap();
        let err = PostcodeIndex::load(&f).unwrap_err();
        assert!(
            err.to_string()
                .ends_with("cp.csv:1: header has no easting column"),
            "{err}"
        );
        assert!(matches!(
            PostcodeIndex::load(dir.path().join("nope")),
            Err(CodepointError::Io { .. })
        ));
    }
}
