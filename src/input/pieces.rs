//! A large file read piece by piece, each piece ending at a line end, without ever holding
//! the whole file in memory.
//!
//! Reading a cached file whole costs more than its parse: the buffer's pages are fresh from
//! the system (each one faulted in and zeroed) and the copy out of the page cache lands in
//! memory that is not in any cache. Here each piece is copied into a small buffer that is
//! used again for the next piece, so the copy stays in the cache the parse then reads, and
//! the file's own size is never allocated.
//!
//! The file is checked ([`super::check`]) and opened once: its head and every piece come
//! from that one open file, so a file replaced on disk meanwhile is not mixed with the old
//! one. Its first bytes are refused when they are UTF-16 text, as every input is. A file
//! that changes size while it is read is noticed, and the caller reads it again the
//! ordinary way ([`super::read`]); one rewritten in place at the same size is not.

use std::fs::File;
use std::io;
use std::ops::Range;
use std::path::Path;
use std::sync::Mutex;

/// How far past a piece's nominal end a line end is looked for; a longer line leaves the
/// file to the ordinary reader.
const LINE_SEARCH_BYTES: usize = 64 << 10;

/// Pieces of one open file that end at line ends.
pub struct LinePieces {
    file: File,
    /// The file's length when it was opened, bytes.
    len: u64,
    /// The pieces in file order: together, the file from the offset given to [`Self::cut`].
    pub ranges: Vec<Range<u64>>,
    /// Buffers not in use; at most one per thread reading at once.
    spare: Mutex<Vec<Vec<u8>>>,
}

impl LinePieces {
    /// Opens `path`, with no pieces yet.
    pub fn open(path: &Path) -> io::Result<LinePieces> {
        let (file, len) = super::open_checked(path)?;
        Ok(LinePieces {
            file,
            len,
            ranges: Vec::new(),
            spare: Mutex::new(Vec::new()),
        })
    }

    /// The file's first `n` bytes (fewer when it is shorter), refused when they are UTF-16.
    pub fn head(&self, n: usize) -> io::Result<Vec<u8>> {
        let mut head = vec![0u8; self.len.min(n as u64) as usize];
        if !read_at(&self.file, &mut head, 0)? {
            head.clear();
        }
        super::refuse_utf16(&head)?;
        Ok(head)
    }

    /// Cuts the file from byte `from` into pieces of about `piece_bytes` that each end just
    /// after a `\n` (the last at the end of the file). `false`, with no pieces, when a line
    /// is longer than the search for its end allows or the file is shorter than `from`.
    pub fn cut(&mut self, from: u64, piece_bytes: usize) -> io::Result<bool> {
        self.ranges.clear();
        if from > self.len {
            return Ok(false);
        }
        let mut start = from;
        while start < self.len {
            let nominal = start.saturating_add(piece_bytes as u64);
            let end = match nominal >= self.len {
                true => Some(self.len),
                false => line_end_after(&self.file, nominal, self.len)?,
            };
            let Some(end) = end else {
                self.ranges.clear();
                return Ok(false);
            };
            self.ranges.push(start..end);
            start = end;
        }
        Ok(true)
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
        crate::sync::lock(&self.spare).pop().unwrap_or_default()
    }

    fn give_back(&self, buf: Vec<u8>) {
        crate::sync::lock(&self.spare).push(buf);
    }
}

/// The offset just after the first `\n` at or after `at` (at most [`LINE_SEARCH_BYTES`] on);
/// the end of the file when none follows before it. `None` when the search ends first.
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

// Pieces are read only on Unix (elsewhere every file is read the ordinary way).
#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::io::Write;

    fn file(text: &[u8]) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(text).unwrap();
        f
    }

    fn read_all(p: &LinePieces) -> Vec<Vec<u8>> {
        let read = (0..p.ranges.len()).map(|i| p.with(i, <[u8]>::to_vec).unwrap().unwrap());
        read.collect()
    }

    fn pieces_of(text: &[u8], from: u64, piece_bytes: usize) -> Option<Vec<Vec<u8>>> {
        let f = file(text);
        let mut p = LinePieces::open(f.path()).unwrap();
        assert_eq!(p.head(4).unwrap(), &text[..text.len().min(4)]);
        p.cut(from, piece_bytes).unwrap().then(|| read_all(&p))
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
        text.extend_from_slice(b"\ny\n");
        assert_eq!(pieces_of(&text, 0, 4), None);
        let short = b"xxxxxxxx\ny\n";
        assert_eq!(pieces_of(short, 0, 4).unwrap().concat(), short.to_vec());
    }

    #[test]
    fn a_file_replaced_after_it_was_opened_is_read_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let (path, other) = (dir.path().join("p.csv"), dir.path().join("q.csv"));
        std::fs::write(&path, b"h\naaaa\nbbbb\n").unwrap();
        let mut p = LinePieces::open(&path).unwrap();
        std::fs::write(&other, b"H\nAAAA\nBBBB\n").unwrap();
        std::fs::rename(&other, &path).unwrap();
        assert_eq!(p.head(2).unwrap(), b"h\n");
        assert!(p.cut(2, 4).unwrap() && p.unchanged().unwrap());
        assert_eq!(read_all(&p).concat(), b"aaaa\nbbbb\n");
    }

    #[test]
    fn a_file_that_shrank_reads_as_none() {
        let f = file(b"h\naaaa\nbbbb\ncccc\n");
        let mut p = LinePieces::open(f.path()).unwrap();
        assert!(p.cut(2, 4).unwrap());
        std::fs::write(f.path(), b"h\n").unwrap();
        assert!(p.with(1, |_| ()).unwrap().is_none());
        assert!(!p.unchanged().unwrap());
    }

    #[test]
    fn a_utf16_head_is_refused() {
        let f = file(b"\xff\xfei\x00d\x00\n\x00");
        let p = LinePieces::open(f.path()).unwrap();
        assert!(p.head(64).unwrap_err().to_string().contains("UTF-16"));
    }
}
