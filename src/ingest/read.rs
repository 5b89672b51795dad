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
/// A chunk grows up to this size looking for a line end; past it a line is
/// cut (and rejected as too long).
const MAX_CHUNK: usize = 64 << 20;

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
    if path.as_os_str() == "-" {
        return sniffed(Box::new(io::stdin()));
    }
    let mut file = File::open(path)?;
    let head = read_head(&mut file)?;
    // A regular file is rewound and read directly (its reads go straight
    // into our buffers); pipes and FIFOs get the sniffed bytes chained back.
    let comp = detect(&head);
    if file.seek(SeekFrom::Start(0)).is_err() {
        return wrap(Box::new(io::Cursor::new(head).chain(file)), comp);
    }
    wrap(Box::new(file), comp)
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

#[derive(Default)]
pub struct BufPool {
    free: Mutex<Vec<Vec<u8>>>,
}

impl BufPool {
    pub fn get(&self) -> Vec<u8> {
        self.free.lock().ok().and_then(|mut f| f.pop()).unwrap_or_default()
    }
    pub fn put(&self, b: Vec<u8>) {
        if let Ok(mut f) = self.free.lock()
            && f.len() < 8
        {
            f.push(b);
        }
    }
}

/// One chunk: whole lines (the last chunk may end without a newline).
pub struct Chunk {
    pub index: usize,
    /// Buffer from the pool; only `..len` is data.
    pub buf: Vec<u8>,
    pub len: usize,
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
    index: usize,
    eof: bool,
    pool: &'p BufPool,
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
            index: 0,
            eof: false,
            pool,
            bytes: 0,
            error: None,
        }
    }

    /// Reads until `buf` (of length `*filled`) holds `want` bytes or the
    /// stream ends.
    fn fill(&mut self, buf: &mut Vec<u8>, filled: &mut usize, want: usize) {
        // `read_to_end` reads into the spare capacity; for a plain file it
        // is never zeroed first (a large input would not notice, a small one
        // would pay for zeroing a whole chunk buffer).
        while !self.eof && buf.len() < want {
            let before = buf.len();
            buf.reserve(want - before);
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
        let mut want = self.chunk_size.max(self.carry.len() + 1);
        buf.clear();
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
            if want >= MAX_CHUNK {
                // A line longer than MAX_CHUNK: cut at the last newline
                // even before a continuation, or hard-cut.
                let cut = memchr::memrchr(b'\n', &buf[..filled]).map_or(filled, |p| p + 1);
                self.carry.extend_from_slice(&buf[cut..filled]);
                break cut;
            }
            want = (want * 2).min(MAX_CHUNK);
        };
        let index = self.index;
        self.index += 1;
        Some(Chunk { index, buf, len })
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
    fn magic_bytes_pick_the_decoder() {
        assert_eq!(detect(&[0x1f, 0x8b, 8, 0]), Compression::Gzip);
        assert_eq!(detect(&[0x28, 0xb5, 0x2f, 0xfd]), Compression::Zstd);
        assert_eq!(detect(b"tcp "), Compression::None);
        assert_eq!(detect(b""), Compression::None);
    }
}
