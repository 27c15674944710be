//! A large file read piece by piece, each piece ending at a line end, without ever holding
//! the whole file in memory.
//!
//! Reading a cached file whole costs more than its parse: the buffer's pages are fresh from
//! the system (each one faulted in and zeroed) and the copy out of the page cache lands in
//! memory that is not in any cache. Here each piece is copied into a small buffer that is
//! used again for the next piece, so the copy stays in the cache the parse then reads, and
//! the file's own size is never allocated.
//!
//! The file is checked ([`super::check`]) and its first bytes are refused when they are
//! UTF-16 text, as every input is. A file that changes size while it is read is noticed,
//! and the caller reads it again the ordinary way ([`super::read`]).

use std::fs::File;
use std::io;
use std::ops::Range;
use std::path::Path;
use std::sync::Mutex;

/// How far past a piece's nominal end a line end is looked for; a longer line leaves the
/// file to the ordinary reader.
const LINE_SEARCH_BYTES: usize = 64 << 10;

/// Pieces of one file that end at line ends.
pub struct LinePieces {
    file: File,
    /// The file's length when it was opened, bytes.
    len: u64,
    /// The pieces in file order: together, the file from the offset given to [`Self::open`].
    pub ranges: Vec<Range<u64>>,
    /// Buffers not in use; at most one per thread reading at once.
    spare: Mutex<Vec<Vec<u8>>>,
}

impl LinePieces {
    /// The file at `path` from byte `from`, cut into pieces of about `piece_bytes` that each
    /// end just after a `\n` (the last at the end of the file). `None` when a line is longer
    /// than the search for its end allows, or the file is shorter than `from`.
    pub fn open(path: &Path, from: u64, piece_bytes: usize) -> io::Result<Option<LinePieces>> {
        let len = super::check(path)?;
        let file = File::open(path)?;
        if from > len {
            return Ok(None);
        }
        let mut ranges = Vec::new();
        let mut start = from;
        while start < len {
            let nominal = start.saturating_add(piece_bytes as u64);
            let end = match nominal >= len {
                true => len,
                false => match line_end_after(&file, nominal, len)? {
                    Some(end) => end,
                    None => return Ok(None),
                },
            };
            ranges.push(start..end);
            start = end;
        }
        Ok(Some(LinePieces {
            file,
            len,
            ranges,
            spare: Mutex::new(Vec::new()),
        }))
    }

    /// Calls `f` with the bytes of piece `i`. `None` when the file is now shorter than it was
    /// (it changed while being read).
    pub fn with<T>(&self, i: usize, f: impl FnOnce(&[u8]) -> T) -> io::Result<Option<T>> {
        let range = &self.ranges[i];
        let n = (range.end - range.start) as usize;
        let mut buf = self.take_buffer();
        if buf.len() < n {
            buf.resize(n, 0);
        }
        let out = match read_at(&self.file, &mut buf[..n], range.start)? {
            true => Some(f(&buf[..n])),
            false => None,
        };
        self.give_back(buf);
        Ok(out)
    }

    /// Whether the file still has the length it had when opened.
    pub fn unchanged(&self) -> io::Result<bool> {
        Ok(self.file.metadata()?.len() == self.len)
    }

    fn take_buffer(&self) -> Vec<u8> {
        let mut spare = self.spare.lock().unwrap_or_else(|e| e.into_inner());
        spare.pop().unwrap_or_default()
    }

    fn give_back(&self, buf: Vec<u8>) {
        let mut spare = self.spare.lock().unwrap_or_else(|e| e.into_inner());
        spare.push(buf);
    }
}

/// The offset just after the first `\n` at or after `at` (at most [`LINE_SEARCH_BYTES`] on);
/// the end of the file when none follows before it.
fn line_end_after(file: &File, at: u64, len: u64) -> io::Result<Option<u64>> {
    let n = (len - at).min(LINE_SEARCH_BYTES as u64) as usize;
    let mut window = vec![0u8; n];
    if !read_at(file, &mut window, at)? {
        return Ok(None);
    }
    Ok(match memchr::memchr(b'\n', &window) {
        Some(i) => Some(at + i as u64 + 1),
        None if at + n as u64 == len => Some(len),
        None => None,
    })
}

/// Fills `buf` from `offset`; `false` when the file ends sooner.
#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<bool> {
    use std::os::unix::fs::FileExt;
    match file.read_exact_at(buf, offset) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(false),
        Err(e) => Err(e),
    }
}

/// Elsewhere nothing is read in pieces: the caller reads the file the ordinary way.
#[cfg(not(unix))]
fn read_at(_file: &File, _buf: &mut [u8], _offset: u64) -> io::Result<bool> {
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn file(text: &[u8]) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(text).unwrap();
        f
    }

    fn pieces_of(text: &[u8], from: u64, piece_bytes: usize) -> Option<Vec<Vec<u8>>> {
        let f = file(text);
        let p = LinePieces::open(f.path(), from, piece_bytes).unwrap()?;
        let read = (0..p.ranges.len()).map(|i| p.with(i, <[u8]>::to_vec).unwrap().unwrap());
        Some(read.collect())
    }

    #[test]
    fn pieces_end_at_line_ends_and_together_are_the_file_from_the_offset() {
        let text = b"h\naaaa\nbb\n\ncccccc\nd";
        for piece_bytes in 1..text.len() + 2 {
            let pieces = pieces_of(text, 2, piece_bytes).unwrap();
            assert_eq!(pieces.concat(), &text[2..], "piece_bytes {piece_bytes}");
            let (last, ended) = pieces.split_last().unwrap();
            assert!(ended.iter().all(|p| p.ends_with(b"\n")));
            assert!(!last.is_empty());
        }
    }

    #[test]
    fn an_empty_rest_has_no_pieces_and_an_offset_past_the_end_none() {
        assert_eq!(pieces_of(b"h\n", 2, 4), Some(vec![]));
        assert_eq!(pieces_of(b"h\n", 3, 4), None);
    }

    #[test]
    fn a_line_longer_than_the_search_leaves_the_file_to_the_ordinary_reader() {
        let mut text = vec![b'x'; LINE_SEARCH_BYTES + 10];
        text.push(b'\n');
        text.extend_from_slice(b"y\n");
        assert_eq!(pieces_of(&text, 0, 4), None);
        let short = b"xxxxxxxx\ny\n";
        assert_eq!(pieces_of(short, 0, 4).unwrap().concat(), short.to_vec());
    }

    #[test]
    fn a_file_that_shrank_reads_as_none() {
        let f = file(b"h\naaaa\nbbbb\ncccc\n");
        let p = LinePieces::open(f.path(), 2, 4).unwrap().unwrap();
        std::fs::write(f.path(), b"h\n").unwrap();
        assert!(p.with(1, |_| ()).unwrap().is_none());
        assert!(!p.unchanged().unwrap());
    }
}
