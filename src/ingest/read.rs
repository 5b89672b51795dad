//! Opening inputs (plain, gzip, zstd, stdin) and cutting them into chunks.
//!
//! Compression is detected from magic bytes, not the file name, so a
//! renamed `.log` that is really gzip still reads. A chunk is ~8 MiB cut
//! just after a newline — and never in front of a TAB-indented `ss -i`
//! continuation line, so a continuation always sits in the same chunk as
//! the socket row it belongs to. Buffers come from a small pool and go back
//! after parsing, which keeps peak memory flat and avoids page-faulting a
//! fresh 8 MiB for every chunk.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Mutex;

/// Default chunk size.
pub const CHUNK_SIZE: usize = 8 << 20;
/// Longest line a chunk holds whole: the longest real socket rows (`ss
/// -tanpie` with many owning processes) are a few KiB. A longer line at a
/// chunk's end is not buffered: its first [`LONG_LINE_HEAD`] bytes and its
/// length are kept, the rest is skipped, and it is rejected as too long. A
/// chunk buffer therefore never exceeds `chunk_size + MAX_LINE` bytes.
pub const MAX_LINE: usize = crate::parse::MAX_LINE;
/// What is kept of a line longer than [`MAX_LINE`] (for its sample).
pub const LONG_LINE_HEAD: usize = 1024;

/// Compression of an input stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

impl Compression {
    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
        }
    }
}

/// Detects compression from the first bytes.
pub fn detect(head: &[u8]) -> Compression {
    if head.starts_with(&[0x1f, 0x8b]) {
        Compression::Gzip
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Compression::Zstd
    } else {
        Compression::None
    }
}

/// Opens a path (or stdin for `-`) as a decompressed byte stream.
pub fn open(path: &Path) -> io::Result<(Box<dyn Read + Send>, Compression)> {
    open_counting(path, None)
}

/// Bytes read from input files, for the progress bar (compressed bytes:
/// what the files' sizes add up to).
#[derive(Debug, Default)]
pub struct Progress {
    pub bytes: std::sync::atomic::AtomicU64,
    pub files: std::sync::atomic::AtomicU64,
}

/// A reader that adds what it reads to a [`Progress`].
struct Counting<R> {
    inner: R,
    progress: std::sync::Arc<Progress>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.bytes.fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(n)
    }
}

/// [`open`], counting the raw bytes read into `progress` when given.
pub fn open_counting(
    path: &Path,
    progress: Option<std::sync::Arc<Progress>>,
) -> io::Result<(Box<dyn Read + Send>, Compression)> {
    if path.as_os_str() == "-" {
        return sniffed(Box::new(io::stdin()));
    }
    let mut file = File::open(path)?;
    let head = read_head(&mut file)?;
    // A regular file is rewound and read directly (its reads go straight
    // into our buffers); pipes and FIFOs get the sniffed bytes chained back.
    let comp = detect(&head);
    let raw: Box<dyn Read + Send> = if file.seek(SeekFrom::Start(0)).is_err() {
        if let Some(p) = &progress {
            p.bytes.fetch_add(head.len() as u64, std::sync::atomic::Ordering::Relaxed);
        }
        let rest: Box<dyn Read + Send> = match progress {
            Some(progress) => Box::new(Counting { inner: file, progress }),
            None => Box::new(file),
        };
        Box::new(io::Cursor::new(head).chain(rest))
    } else {
        match progress {
            Some(progress) => Box::new(Counting { inner: file, progress }),
            None => Box::new(file),
        }
    };
    wrap(raw, comp)
}

/// [`open`], then decoded to UTF-8 from its text encoding (`forced`, else
/// detected from the first bytes): what every reader of captures uses.
pub fn open_text(
    path: &Path,
    forced: Option<super::encoding::TextEncoding>,
    progress: Option<std::sync::Arc<Progress>>,
) -> io::Result<(Box<dyn Read + Send>, Compression, super::encoding::TextEncoding)> {
    let (stream, comp) = open_counting(path, progress)?;
    let (stream, enc) = text(stream, forced)?;
    Ok((stream, comp, enc))
}

/// A decompressed stream decoded to UTF-8 from its text encoding
/// (`forced`, else detected from its first bytes).
pub fn text(
    mut stream: Box<dyn Read + Send>,
    forced: Option<super::encoding::TextEncoding>,
) -> io::Result<(Box<dyn Read + Send>, super::encoding::TextEncoding)> {
    use super::encoding::{HEAD, decoder, detect, legacy_guess};
    let mut head = vec![0u8; HEAD];
    let mut n = 0;
    while n < HEAD {
        match stream.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    head.truncate(n);
    let enc = forced.unwrap_or_else(|| {
        let e = detect(&head);
        if e == super::encoding::TextEncoding::Utf8 { legacy_guess(&head).unwrap_or(e) } else { e }
    });
    let stream: Box<dyn Read + Send> = Box::new(io::Cursor::new(head).chain(stream));
    Ok((decoder(stream, enc), enc))
}

fn read_head(r: &mut dyn Read) -> io::Result<Vec<u8>> {
    let mut head = [0u8; 4];
    let mut n = 0;
    while n < head.len() {
        match r.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(head[..n].to_vec())
}

/// Wraps any stream (stdin, a pipe, fuzzer input) in the decompressor and
/// text decoder its first bytes call for.
pub fn decoded(raw: Box<dyn Read + Send>) -> io::Result<(Box<dyn Read + Send>, Compression)> {
    let (stream, comp) = sniffed(raw)?;
    Ok((text(stream, None)?.0, comp))
}

fn sniffed(mut raw: Box<dyn Read + Send>) -> io::Result<(Box<dyn Read + Send>, Compression)> {
    let head = read_head(&mut raw)?;
    let comp = detect(&head);
    wrap(Box::new(io::Cursor::new(head).chain(raw)), comp)
}

fn wrap(stream: Box<dyn Read + Send>, comp: Compression) -> io::Result<(Box<dyn Read + Send>, Compression)> {
    Ok(match comp {
        Compression::None => (stream, comp),
        Compression::Gzip => (Box::new(flate2::read::MultiGzDecoder::new(stream)), comp),
        Compression::Zstd => (Box::new(zstd::stream::read::Decoder::new(stream)?), comp),
    })
}

/// Chunk buffers for reuse. Holds at most `cap` free buffers, each at
/// most `chunk_size + MAX_LINE` bytes (the reader never grows one past
/// that), so the pool's memory is bounded by `cap` times that.
pub struct BufPool {
    free: Mutex<Vec<Vec<u8>>>,
    cap: usize,
}

impl Default for BufPool {
    fn default() -> Self {
        BufPool::with_cap(4)
    }
}

impl BufPool {
    /// A pool keeping at most `cap` free buffers.
    pub fn with_cap(cap: usize) -> Self {
        BufPool { free: Mutex::new(Vec::new()), cap }
    }
    pub fn get(&self) -> Vec<u8> {
        self.free.lock().ok().and_then(|mut f| f.pop()).unwrap_or_default()
    }
    pub fn put(&self, b: Vec<u8>) {
        if let Ok(mut f) = self.free.lock()
            && f.len() < self.cap
        {
            f.push(b);
        }
    }
}

/// One chunk: whole lines (the last chunk may end without a newline), or
/// the head of one line too long to keep.
pub struct Chunk {
    pub index: usize,
    /// Buffer from the pool; only `..len` is data.
    pub buf: Vec<u8>,
    pub len: usize,
    /// `Some(bytes)`: this chunk is one line longer than [`MAX_LINE`], of
    /// `bytes` bytes (without its newline); `data()` is its head.
    pub long_line: Option<u64>,
}

impl Chunk {
    pub fn data(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

/// Splits a stream into chunks of whole lines.
pub struct ChunkReader<'p, R: Read> {
    inner: R,
    carry: Vec<u8>,
    chunk_size: usize,
    max_line: usize,
    index: usize,
    eof: bool,
    pool: &'p BufPool,
    /// A long line found at the end of the previous read: (head, length),
    /// to be handed out as the next chunk.
    long: Option<(Vec<u8>, u64)>,
    /// Decompressed bytes read so far.
    pub bytes: u64,
    /// The first read error; reading stops there.
    pub error: Option<io::Error>,
}

impl<'p, R: Read> ChunkReader<'p, R> {
    pub fn new(inner: R, chunk_size: usize, pool: &'p BufPool) -> Self {
        ChunkReader {
            inner,
            carry: Vec::new(),
            chunk_size: chunk_size.max(1),
            max_line: MAX_LINE,
            index: 0,
            eof: false,
            pool,
            long: None,
            bytes: 0,
            error: None,
        }
    }

    /// Sets the longest line kept whole (tests use small ones).
    pub fn max_line(mut self, n: usize) -> Self {
        self.max_line = n.max(1);
        self
    }

    /// Chunks handed out so far.
    pub fn chunks(&self) -> usize {
        self.index
    }

    /// Reads until `buf` (of length `*filled`) holds `want` bytes or the
    /// stream ends.
    fn fill(&mut self, buf: &mut Vec<u8>, filled: &mut usize, want: usize) {
        // `read_to_end` reads into the spare capacity; for a plain file it
        // is never zeroed first (a large input would not notice, a small one
        // would pay for zeroing a whole chunk buffer).
        while !self.eof && buf.len() < want {
            let before = buf.len();
            // Exact: the buffer's size is part of the memory bound.
            buf.reserve_exact(want - before);
            let res = (&mut self.inner).take((want - before) as u64).read_to_end(buf);
            self.bytes += (buf.len() - before) as u64;
            match res {
                // Short of `want`: the stream ended.
                Ok(_) => self.eof |= buf.len() < want,
                Err(e) => {
                    self.error = Some(e);
                    self.eof = true;
                }
            }
        }
        *filled = buf.len();
    }

    /// Reads and drops the rest of a line, up to and including its
    /// newline; what follows goes to `carry`. Returns the bytes dropped
    /// (without the newline).
    fn skip_line(&mut self) -> u64 {
        // What follows the newline becomes the carry: no more than one
        // chunk buffer may hold.
        let mut scratch = vec![0u8; (64 << 10).min(self.chunk_size + self.max_line)];
        let mut skipped = 0u64;
        while !self.eof {
            let n = match self.inner.read(&mut scratch) {
                Ok(0) => {
                    self.eof = true;
                    break;
                }
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.error = Some(e);
                    self.eof = true;
                    break;
                }
            };
            self.bytes += n as u64;
            if let Some(nl) = memchr::memchr(b'\n', &scratch[..n]) {
                skipped += nl as u64;
                self.carry.extend_from_slice(&scratch[nl + 1..n]);
                return skipped;
            }
            skipped += n as u64;
        }
        skipped
    }

    fn chunk(&mut self, buf: Vec<u8>, len: usize, long_line: Option<u64>) -> Chunk {
        let index = self.index;
        self.index += 1;
        Chunk { index, buf, len, long_line }
    }
}

/// Where to cut `buf`: just after a newline that is not followed by a TAB
/// (a continuation line). `None` if there is no such newline.
pub fn cut_point(buf: &[u8]) -> Option<usize> {
    let mut end = buf.len();
    while let Some(nl) = memchr::memrchr(b'\n', &buf[..end]) {
        match buf.get(nl + 1) {
            // The byte after this newline is in the buffer: cut only if it
            // does not start a continuation.
            Some(b'\t') => end = nl,
            Some(_) => return Some(nl + 1),
            // Newline is the last byte: the next line is unseen, so it could
            // be a continuation; prefer an earlier cut.
            None => end = nl,
        }
        if end == 0 {
            break;
        }
    }
    None
}

impl<R: Read> Iterator for ChunkReader<'_, R> {
    type Item = Chunk;

    fn next(&mut self) -> Option<Chunk> {
        let mut buf = self.pool.get();
        buf.clear();
        // `reserve_exact` before every copy: amortized growth would double
        // a buffer past the bound.
        if let Some((head, len)) = self.long.take() {
            buf.reserve_exact(head.len());
            buf.extend_from_slice(&head);
            let n = buf.len();
            return Some(self.chunk(buf, n, Some(len)));
        }
        let limit = self.chunk_size + self.max_line;
        let mut want = self.chunk_size.max(self.carry.len() + 1).min(limit);
        buf.reserve_exact(self.carry.len());
        buf.extend_from_slice(&self.carry);
        let mut filled = self.carry.len();
        self.carry.clear();
        let len = loop {
            self.fill(&mut buf, &mut filled, want);
            if filled == 0 {
                self.pool.put(buf);
                return None;
            }
            if self.eof {
                break filled;
            }
            if let Some(cut) = cut_point(&buf[..filled]) {
                self.carry.extend_from_slice(&buf[cut..filled]);
                break cut;
            }
            // No place to cut: the last line is still open.
            let tail = memchr::memrchr(b'\n', &buf[..filled]).map_or(0, |p| p + 1);
            if filled - tail > self.max_line {
                // Too long to keep: its head and length, the rest skipped.
                let head = buf[tail..filled.min(tail + LONG_LINE_HEAD)].to_vec();
                let len = (filled - tail) as u64 + self.skip_line();
                if tail == 0 {
                    buf.clear();
                    buf.extend_from_slice(&head); // shorter than what it held
                    let n = buf.len();
                    return Some(self.chunk(buf, n, Some(len)));
                }
                self.long = Some((head, len));
                break tail;
            }
            if want >= limit {
                // Continuation lines all the way: cut before one anyway.
                self.carry.extend_from_slice(&buf[tail..filled]);
                break tail;
            }
            want = (want * 2).min(limit);
        };
        Some(self.chunk(buf, len, None))
    }
}

/// Iterates the lines of a chunk without their `\n`; a final fragment
/// without a newline is a line too. One SIMD scan over the whole chunk
/// (`memchr_iter`) instead of a fresh search per line.
pub fn lines(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut pos = 0;
    let mut ends = memchr::memchr_iter(b'\n', data);
    std::iter::from_fn(move || {
        if pos >= data.len() {
            return None;
        }
        let start = pos;
        match ends.next() {
            Some(n) => {
                pos = n + 1;
                Some(&data[start..n])
            }
            None => {
                pos = data.len();
                Some(&data[start..])
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks(text: &[u8], size: usize) -> Vec<Vec<u8>> {
        let pool = BufPool::default();
        ChunkReader::new(text, size, &pool).map(|c| c.data().to_vec()).collect()
    }

    #[test]
    fn chunks_hold_whole_lines_and_lose_nothing() {
        let text = b"a 1\nb 22\nc 333\nd\n";
        for size in 1..20 {
            let cs = chunks(text, size);
            assert_eq!(cs.concat(), text.to_vec(), "size {size}");
            for c in &cs {
                assert_eq!(c.last(), Some(&b'\n'), "size {size}");
            }
        }
    }

    #[test]
    fn continuation_lines_stay_with_their_row() {
        let text = b"ESTAB 0 0 a:1 b:2\n\t skmem:(r0)\n\t cubic\nESTAB 0 0 a:1 b:3\n\t x\n";
        for size in 1..text.len() + 2 {
            for c in chunks(text, size) {
                assert_ne!(c.first(), Some(&b'\t'), "size {size}");
            }
        }
    }

    #[test]
    fn unterminated_last_line_is_kept() {
        assert_eq!(chunks(b"x\ny", 1).concat(), b"x\ny".to_vec());
        let v: Vec<_> = lines(b"x\n\ny").collect();
        assert_eq!(v, vec![&b"x"[..], b"", b"y"]);
        assert_eq!(lines(b"").count(), 0);
    }

    #[test]
    fn a_line_too_long_to_keep_is_cut_to_its_head_and_measured() {
        let long = "x".repeat(5000);
        let text = format!("a 1\nb 2\n{long}\nc 3\n{long}");
        for size in [1, 3, 10, 100, 4000] {
            let pool = BufPool::default();
            let mut got = Vec::new();
            for c in ChunkReader::new(text.as_bytes(), size, &pool).max_line(2000) {
                assert!(
                    c.buf.capacity() <= size + 2000 + 1 || c.buf.capacity() <= LONG_LINE_HEAD,
                    "size {size}: capacity {} for {:?}",
                    c.buf.capacity(),
                    (c.long_line, c.len)
                );
                got.push((c.long_line, c.data().to_vec()));
            }
            let longs: Vec<_> = got.iter().filter_map(|(l, d)| l.map(|n| (n, d.len()))).collect();
            assert_eq!(longs, [(5000, LONG_LINE_HEAD), (5000, LONG_LINE_HEAD)], "size {size}");
            let rest: Vec<u8> =
                got.iter().filter(|(l, _)| l.is_none()).flat_map(|(_, d)| d.clone()).collect();
            assert_eq!(rest, b"a 1\nb 2\nc 3\n", "size {size}");
        }
    }

    #[test]
    fn magic_bytes_pick_the_decoder() {
        assert_eq!(detect(&[0x1f, 0x8b, 8, 0]), Compression::Gzip);
        assert_eq!(detect(&[0x28, 0xb5, 0x2f, 0xfd]), Compression::Zstd);
        assert_eq!(detect(b"tcp "), Compression::None);
        assert_eq!(detect(b""), Compression::None);
    }
}
