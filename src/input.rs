//! Opening input files: the one gate every reader goes through.
//!
//! An input must be a regular file (not a directory, FIFO, socket or device such as
//! `/dev/zero`) no larger than the size cap: 2 GB by default, set in bytes with the
//! environment variable `AEDCOVER_MAX_INPUT_BYTES`. Reading is also bounded by the cap, so a
//! file that grows while it is read cannot exhaust memory. Errors are `std::io::Error`s of kind
//! `InvalidInput`, so every reader keeps its own error type and adds the path.
//!
//! Every input is UTF-8 text except OSM PBF, so a file that starts as UTF-16 text (with or
//! without a byte-order mark, as spreadsheet programs save "Unicode text") is refused here
//! with its encoding named, instead of reaching a reader that would find no usable row.
//!
//! The fast paths of the CSV readers (demand points, registry) share three small helpers
//! for text with no quotes: [`most_records`], [`comma_fields`] (and [`push_str_fields`]) and
//! [`trimmed`].

use std::fs::File;
use std::io::{self, Read, Seek};
use std::path::Path;

mod pieces;
pub use pieces::LinePieces;

/// The default size cap on one input file, in bytes (2 GB).
pub const DEFAULT_MAX_INPUT_BYTES: u64 = 2_000_000_000;

/// The environment variable that sets the size cap, in bytes.
pub const MAX_INPUT_BYTES_ENV: &str = "AEDCOVER_MAX_INPUT_BYTES";

/// The size cap on one input file, in bytes: `AEDCOVER_MAX_INPUT_BYTES` when it is a whole
/// number, else [`DEFAULT_MAX_INPUT_BYTES`].
pub fn max_input_bytes() -> u64 {
    std::env::var(MAX_INPUT_BYTES_ENV)
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(DEFAULT_MAX_INPUT_BYTES)
}

fn invalid(reason: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, reason)
}

fn kind_of(t: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if t.is_dir() {
        "a directory"
    } else {
        "not a regular file"
    }
}

/// Checks that `path` is a regular file within the size cap, and returns its length in bytes.
pub fn check(path: &Path) -> io::Result<u64> {
    check_within(path, max_input_bytes())
}

fn check_within(path: &Path, cap: u64) -> io::Result<u64> {
    check_metadata(&std::fs::metadata(path)?, cap)
}

/// [`check`] of a file's metadata against the cap `cap`.
fn check_metadata(meta: &std::fs::Metadata, cap: u64) -> io::Result<u64> {
    if !meta.file_type().is_file() {
        return Err(invalid(format!(
            "not a regular file ({}); inputs must be regular files",
            kind_of(meta.file_type())
        )));
    }
    if meta.len() > cap {
        return Err(invalid(format!(
            "file is {} bytes, over the input size cap of {cap} bytes (set {MAX_INPUT_BYTES_ENV} to raise it)",
            meta.len()
        )));
    }
    Ok(meta.len())
}

/// Opens `path` after [`check`] (so that a FIFO is refused before an open that would wait
/// for a writer), and checks the opened file the same way: returns it with its length.
fn open_checked(path: &Path) -> io::Result<(File, u64)> {
    check(path)?;
    let file = File::open(path)?;
    let len = check_metadata(&file.metadata()?, max_input_bytes())?;
    Ok((file, len))
}

/// How many leading bytes [`utf16`] looks at.
const HEAD_BYTES: usize = 64;

/// Names the encoding when `head` (the first bytes of a file) is UTF-16 text: a byte-order
/// mark, or (without one) ASCII characters each paired with a zero byte. OSM PBF starts with
/// a 4-byte big-endian length and never matches.
fn utf16(head: &[u8]) -> Option<&'static str> {
    match head {
        [0xFF, 0xFE, ..] => return Some("UTF-16 little-endian text (byte-order mark FF FE)"),
        [0xFE, 0xFF, ..] => return Some("UTF-16 big-endian text (byte-order mark FE FF)"),
        _ => {}
    }
    let pairs = &head[..head.len().min(HEAD_BYTES) / 2 * 2];
    if pairs.len() < 8 {
        return None;
    }
    let ascii_then = |zero_at: usize| {
        pairs
            .chunks_exact(2)
            .all(|c| c[zero_at] == 0 && c[1 - zero_at] != 0 && c[1 - zero_at] < 0x80)
    };
    if ascii_then(1) {
        Some("UTF-16 little-endian text (no byte-order mark)")
    } else if ascii_then(0) {
        Some("UTF-16 big-endian text (no byte-order mark)")
    } else {
        None
    }
}

fn refuse_utf16(head: &[u8]) -> io::Result<()> {
    match utf16(head) {
        Some(kind) => Err(invalid(format!(
            "the file is {kind}; save it as UTF-8 (e.g. `iconv -f UTF-16 -t UTF-8`)"
        ))),
        None => Ok(()),
    }
}

/// Opens `path` for reading after [`check`] and the UTF-16 test; reads through the handle stop
/// at the cap.
pub fn open(path: &Path) -> io::Result<io::Take<File>> {
    check(path)?;
    let mut file = File::open(path)?;
    let mut head = Vec::with_capacity(HEAD_BYTES);
    (&mut file).take(HEAD_BYTES as u64).read_to_end(&mut head)?;
    refuse_utf16(&head)?;
    file.rewind()?;
    Ok(file.take(max_input_bytes()))
}

/// Files at least this large are read in parts on every core.
const PARALLEL_READ_BYTES: u64 = 8 << 20;
/// The size of each part: enough parts to share out, few enough to cost nothing.
const READ_PART_BYTES: usize = 4 << 20;

/// The whole file as bytes, after [`check`]. A large file is read in parts on every core:
/// the copy out of the page cache and the first touch of the buffer's pages are most of the
/// time it takes to read a cached file, and both share out.
pub fn read(path: &Path) -> io::Result<Vec<u8>> {
    let len = check(path)?;
    let cap = max_input_bytes();
    let mut file = File::open(path)?;
    let mut buf = match len >= PARALLEL_READ_BYTES {
        true => read_parts(&file, len as usize)?.unwrap_or_default(),
        false => Vec::with_capacity(len as usize),
    };
    // Whatever the parts did not read: all of a small file, or what a growing file added.
    file.seek(io::SeekFrom::Start(buf.len() as u64))?;
    file.take((cap + 1).saturating_sub(buf.len() as u64))
        .read_to_end(&mut buf)?;
    if buf.len() as u64 > cap {
        return Err(invalid(format!(
            "file grew past the input size cap of {cap} bytes while being read"
        )));
    }
    refuse_utf16(&buf)?;
    Ok(buf)
}

/// The first `len` bytes of `file`, read in parts in parallel; `None` when the file ended
/// sooner (it shrank since its size was read), for the caller to read it from the start.
#[cfg(unix)]
fn read_parts(file: &File, len: usize) -> io::Result<Option<Vec<u8>>> {
    use rayon::prelude::*;
    use std::os::unix::fs::FileExt;
    // Zeroed memory comes fresh from the system: no pass to clear it.
    let mut buf = vec![0u8; len];
    let read = buf
        .par_chunks_mut(READ_PART_BYTES)
        .enumerate()
        .try_for_each(|(i, part)| file.read_exact_at(part, (i * READ_PART_BYTES) as u64));
    match read {
        Ok(()) => Ok(Some(buf)),
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(None),
        Err(e) => Err(e),
    }
}

/// Elsewhere the caller reads the file from the start, in one part.
#[cfg(not(unix))]
fn read_parts(_file: &File, _len: usize) -> io::Result<Option<Vec<u8>>> {
    Ok(None)
}

/// The whole file as UTF-8 text, after [`check`].
pub fn read_to_string(path: &Path) -> io::Result<String> {
    String::from_utf8(read(path)?).map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "not UTF-8 text (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
        )
    })
}

/// An upper bound on the CSV records of `bytes`: its lines, counting a lone `\r` (which the
/// csv crate also reads as a record end) as a line end. Exact without empty lines, bad rows
/// or quoted line breaks.
pub fn most_records(bytes: &[u8]) -> usize {
    let ends = memchr::memchr_iter(b'\n', bytes).count();
    let lone_cr = memchr::memchr_iter(b'\r', bytes)
        .filter(|&i| bytes.get(i + 1) != Some(&b'\n'))
        .count();
    let unended = bytes.last().is_some_and(|&b| b != b'\n' && b != b'\r');
    ends + lone_cr + usize::from(unended)
}

/// `s.trim()`, with nothing to do for a value that starts and ends with a visible ASCII
/// character (most values): a byte below 0x80 is a whole character, and not white space.
pub fn trimmed(s: &str) -> &str {
    match (s.as_bytes().first(), s.as_bytes().last()) {
        (Some(a), Some(b)) if a.is_ascii_graphic() && b.is_ascii_graphic() => s,
        _ => s.trim(),
    }
}

/// What the csv crate's error `e` says of a record, without the crate's own line count (one
/// short in CRLF text and after blank lines: [`RecordLines`] gives the line instead). A row
/// whose field count differs from the header's, and a field that is not UTF-8, are put in
/// words; other errors (I/O, say) read as the crate words them.
pub fn csv_reason(e: &csv::Error) -> String {
    match e.kind() {
        // Without `flexible`, every record before this one had the header's length.
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("has {len} fields, the header has {expected_len}"),
        csv::ErrorKind::Utf8 { err, .. } => {
            format!("field {} is not UTF-8 text", err.field() + 1)
        }
        _ => e.to_string(),
    }
}

/// The line each record of a text read by the csv crate starts on. The crate's own line
/// count is taken where it starts to look for the next record: before the `\n` of a CRLF
/// and before any blank lines, so one line short after every CRLF.
pub struct RecordLines<'t> {
    text: &'t [u8],
    /// An offset already counted, and the line it is on.
    at: usize,
    line: u64,
}

impl<'t> RecordLines<'t> {
    pub fn new(text: &'t [u8]) -> Self {
        RecordLines {
            text,
            at: 0,
            line: 1,
        }
    }

    /// The line (from 1) of the record the crate started to look for at byte `offset` (no
    /// earlier than any offset asked before): the line of its first byte that ends no line.
    pub fn of(&mut self, offset: usize) -> u64 {
        let rest = self.text.get(offset..).unwrap_or_default();
        let skip = rest
            .iter()
            .take_while(|&&b| b == b'\r' || b == b'\n')
            .count();
        let start = (offset + skip).min(self.text.len()).max(self.at);
        self.line += memchr::memchr_iter(b'\n', &self.text[self.at..start]).count() as u64;
        self.at = start;
        self.line
    }

    /// [`RecordLines::of`] the place the csv crate gives for a record or an error; `None`
    /// when it gives none.
    pub fn at(&mut self, pos: Option<&csv::Position>) -> Option<u64> {
        pos.map(|p| self.of(usize::try_from(p.byte()).unwrap_or(usize::MAX)))
    }

    /// The line and [`csv_reason`] of the csv crate's error `e` about a record; `None` for
    /// an error about no record (I/O, say).
    pub fn problem(&mut self, e: &csv::Error) -> Option<(u64, String)> {
        Some((self.at(e.position())?, csv_reason(e)))
    }
}

/// A whole number of 1 to 15 digits with an optional `-`, as `str::parse::<f64>` reads it
/// (such a number is exact as f64), in one pass without UTF-8 checks; `None` for anything
/// else, which the caller parses the general way.
#[inline]
pub fn plain_integer(field: &[u8]) -> Option<f64> {
    let (negative, digits) = match field.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, field),
    };
    if digits.is_empty() || digits.len() > 15 {
        return None;
    }
    let mut v = 0u64;
    for &d in digits {
        let x = d.wrapping_sub(b'0');
        if x > 9 {
            return None;
        }
        v = v * 10 + u64::from(x);
    }
    // Below 10^15, so through i64: one instruction on x86-64 where u64 takes several.
    let v = v as i64 as f64;
    Some(if negative { -v } else { v })
}

/// Calls `field(range)` for each field of a CSV record with no quotes, in order: the bytes
/// between its commas. The commas are found 8 bytes at a time, in a `u64` (records are
/// short, and a memchr per comma costs more in setup than it saves there).
pub fn comma_fields(record: &[u8], mut field: impl FnMut(std::ops::Range<usize>)) {
    let mut start = 0;
    // The commas marked in `commas` (see [`byte_marks`]), whose byte 0 is at `base`.
    let mut commas_at = |mut commas: u64, base: usize| {
        while commas != 0 {
            let i = base + (commas.trailing_zeros() / 8) as usize;
            field(start..i);
            start = i + 1;
            commas &= commas - 1;
        }
    };
    let word = |bytes: &[u8]| u64::from_le_bytes(bytes.try_into().expect("8 bytes"));
    let mut words = record.chunks_exact(8);
    let mut base = 0;
    for w in &mut words {
        commas_at(byte_marks(word(w), b','), base);
        base += 8;
    }
    let rest = words.remainder().len();
    if rest > 0 && record.len() >= 8 {
        // The last 8 bytes, less the first `8 - rest` of them, searched already.
        let last = word(&record[record.len() - 8..]);
        commas_at(byte_marks(last, b',') >> (8 * (8 - rest)), base);
    } else {
        let short = (words.remainder().iter().enumerate())
            .filter(|&(_, &b)| b == b',')
            .fold(0u64, |m, (j, _)| m | 0x80 << (8 * j));
        commas_at(short, base);
    }
    field(start..record.len());
}

/// Pushes the fields of a CSV record with no quotes onto `fields` ([`comma_fields`]): `,` is
/// one byte, so the text between two of them is whole UTF-8.
pub fn push_str_fields<'t>(record: &'t str, fields: &mut Vec<&'t str>) {
    comma_fields(record.as_bytes(), |r| fields.push(&record[r]));
}

/// The top bit of each byte of `word` that is `b`, and no other bit. Exact: adding within
/// the low 7 bits of each byte carries into no other byte.
#[inline]
pub fn byte_marks(word: u64, b: u8) -> u64 {
    const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
    let x = word ^ (u64::from(b) * 0x0101_0101_0101_0101);
    !(((x & LOW7) + LOW7) | x | LOW7)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16le(text: &str) -> Vec<u8> {
        text.encode_utf16().flat_map(u16::to_le_bytes).collect()
    }

    #[test]
    fn utf16_text_is_refused_by_name_with_or_without_a_byte_order_mark() {
        let dir = tempfile::tempdir().unwrap();
        let csv = "postcode,count\nLE1 1AA,3\n";
        let mut with_bom = vec![0xFF, 0xFE];
        with_bom.extend(utf16le(csv));
        let big_endian: Vec<u8> = csv.encode_utf16().flat_map(u16::to_be_bytes).collect();
        for (name, bytes, kind) in [
            (
                "bom.csv",
                with_bom,
                "little-endian text (byte-order mark FF FE)",
            ),
            (
                "nobom.csv",
                utf16le(csv),
                "little-endian text (no byte-order mark)",
            ),
            ("be.csv", big_endian, "big-endian text (no byte-order mark)"),
        ] {
            let p = dir.path().join(name);
            std::fs::write(&p, bytes).unwrap();
            for e in [
                read(&p).unwrap_err(),
                read_to_string(&p).unwrap_err(),
                open(&p).unwrap_err(),
            ] {
                assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
                assert!(e.to_string().contains(kind), "{name}: {e}");
                assert!(e.to_string().contains("save it as UTF-8"), "{name}: {e}");
            }
        }
        // UTF-8 text, short files and a PBF header (4-byte big-endian length) still open.
        for (name, bytes) in [
            ("utf8.csv", csv.as_bytes().to_vec()),
            ("short.csv", b"a\n".to_vec()),
            ("head.pbf", b"\0\0\0\x0d\x0a\x09OSMHeader\x18\x7c".to_vec()),
        ] {
            let p = dir.path().join(name);
            std::fs::write(&p, &bytes).unwrap();
            let mut back = Vec::new();
            open(&p).unwrap().read_to_end(&mut back).unwrap();
            assert_eq!(back, bytes, "{name}");
        }
    }

    #[test]
    fn devices_directories_and_fifos_are_refused_by_name() {
        for (p, kind) in [
            ("/dev/zero", "character device"),
            ("/dev/urandom", "character device"),
            ("/tmp", "directory"),
        ] {
            if !Path::new(p).exists() {
                continue;
            }
            let e = read(Path::new(p)).unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
            assert!(e.to_string().contains(kind), "{p}: {e}");
            assert!(open(Path::new(p)).is_err());
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe");
        let ok = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if !ok {
            println!("SKIPPED: mkfifo not available");
            return;
        }
        let e = read_to_string(&fifo).unwrap_err().to_string();
        assert!(e.contains("a FIFO"), "{e}");
    }

    #[test]
    fn a_file_over_the_cap_is_refused_with_the_variable_to_raise_it() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("big.csv");
        std::fs::write(&p, b"0123456789").unwrap();
        assert_eq!(check_within(&p, 10).unwrap(), 10);
        let e = check_within(&p, 9).unwrap_err().to_string();
        assert!(
            e.contains("10 bytes") && e.contains(MAX_INPUT_BYTES_ENV),
            "{e}"
        );
    }

    #[test]
    fn a_large_file_read_in_parts_is_the_file() {
        // Over the size read in parts, and not a whole number of parts.
        let len = PARALLEL_READ_BYTES as usize + 3 * READ_PART_BYTES / 2 + 7;
        let mut rng = crate::test_rng::Lcg(11);
        let bytes: Vec<u8> = (0..len).map(|_| b'a' + (rng.unit() * 26.0) as u8).collect();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.csv");
        std::fs::write(&path, &bytes).unwrap();
        assert!(read(&path).unwrap() == bytes);
        // A file that ended sooner than its size said is read again from the start.
        #[cfg(unix)]
        assert!(
            read_parts(&File::open(&path).unwrap(), len + 1)
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn a_regular_file_reads_and_non_utf8_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.txt");
        std::fs::write(&p, b"ok\n").unwrap();
        assert_eq!(read_to_string(&p).unwrap(), "ok\n");
        std::fs::write(&p, b"ok\xff\n").unwrap();
        let e = read_to_string(&p).unwrap_err().to_string();
        assert!(e.contains("not UTF-8") && e.contains("offset 2"), "{e}");
    }

    /// Every record starts on the line RecordLines names for it, whatever the line ends
    /// and blank lines, where the csv crate's own count is one short after every CRLF.
    #[test]
    fn record_lines_name_the_line_of_each_record() {
        for (text, want) in [
            ("h\na\nb\n", vec![2, 3]),
            ("h\r\na\r\nb\r\n", vec![2, 3]),
            ("h\r\n\r\n\r\na\r\n\nb", vec![4, 6]),
            ("h\n\"x\ny\"\nb\n", vec![2, 4]),
        ] {
            let mut rdr = csv::ReaderBuilder::new()
                .flexible(true)
                .from_reader(text.as_bytes());
            let mut lines = RecordLines::new(text.as_bytes());
            let got: Vec<u64> = rdr
                .records()
                .map(|r| lines.of(r.unwrap().position().unwrap().byte() as usize))
                .collect();
            assert_eq!(got, want, "{text:?}");
        }
    }

    /// Whole numbers of up to 15 digits are read, as `parse` reads them, to the bit.
    fn integer_reads_as_parse(s: &str) -> bool {
        let digits = s.strip_prefix('-').unwrap_or(s);
        let plain = (1..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit());
        match plain_integer(s.as_bytes()) {
            Some(v) => plain && s.parse::<f64>().is_ok_and(|p| p.to_bits() == v.to_bits()),
            None => !plain,
        }
    }

    #[test]
    fn plain_integers_read_as_parse_reads_them() {
        let cases = [
            "",
            "-",
            "0",
            "-0",
            "007",
            "42",
            "-17",
            "394272",
            "123456789012345",
            "-123456789012345",
            "1234567890123456",
            "12a",
            "a1",
            "1.5",
            " 42",
            "--1",
            "1e3",
            "+1",
            "9/",
            ":0",
            "\u{661}",
        ];
        for s in cases {
            assert!(integer_reads_as_parse(s), "{s:?}");
        }
    }

    #[test]
    fn byte_marks_mark_every_such_byte_and_nothing_else() {
        for sought in [b',', b'"', b'\n', b'\r', 0, 0x7F, 0x80, 0xFF] {
            for b in 0..=255u8 {
                for at in 0..8 {
                    // `b` at `at`, with the byte sought and others around it.
                    let mut bytes = [b'a', sought, 0xAC, sought, 0x2D, sought ^ 0x80, 0xFF, 0];
                    bytes[at] = b;
                    let want = (bytes.iter().enumerate())
                        .filter(|&(_, &x)| x == sought)
                        .fold(0u64, |m, (i, _)| m | 0x80 << (8 * i));
                    let got = byte_marks(u64::from_le_bytes(bytes), sought);
                    assert_eq!(got, want, "{sought} in {bytes:?}");
                }
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn plain_integer_is_parse(s in "-?[0-9/:a]{0,17}") {
            proptest::prop_assert!(integer_reads_as_parse(&s), "{:?}", s);
        }

        #[test]
        fn trimmed_is_trim(s in "[ \t\u{a0}\u{3000}a-z,é]{0,6}", t in ".*") {
            proptest::prop_assert_eq!(trimmed(&s), s.trim());
            proptest::prop_assert_eq!(trimmed(&t), t.trim());
        }

        #[test]
        fn comma_fields_are_the_text_between_commas(s in "[,a\u{e9}\u{2c}\u{ac}\u{12c} ]{0,40}") {
            let mut fields = Vec::new();
            push_str_fields(&s, &mut fields);
            proptest::prop_assert_eq!(fields, s.split(',').collect::<Vec<_>>());
        }
    }
}
