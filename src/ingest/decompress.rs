//! Transparent decompression: gzip and zstd recognised by their magic bytes (never by file
//! name), streamed, with a counter of the raw (compressed) bytes read for progress reports.

use std::io::{self, Cursor, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// How the raw bytes were compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

/// Counts the bytes that pass through it; the count is shared so that progress can be read
/// while a decompressor owns the reader.
pub struct Counting<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R> Counting<R> {
    pub fn new(inner: R) -> (Self, Arc<AtomicU64>) {
        let count = Arc::new(AtomicU64::new(0));
        (
            Counting {
                inner,
                count: Arc::clone(&count),
            },
            count,
        )
    }
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Reads until `buf` is full or the input ends; returns how many bytes were read.
pub fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Appends to `buf` until it holds `target` bytes or the input ends; true at the end.
pub fn fill_to(r: &mut impl Read, buf: &mut Vec<u8>, target: usize) -> io::Result<bool> {
    let want = target.saturating_sub(buf.len());
    // `read_to_end` grows the buffer as data arrives: a small input costs no 8 MiB block.
    let n = r.by_ref().take(want as u64).read_to_end(buf)?;
    Ok(n < want)
}

/// Wraps `raw` in the decompressor its first bytes call for.
pub fn open<'a>(
    mut raw: impl Read + Send + 'a,
) -> io::Result<(Box<dyn Read + Send + 'a>, Compression)> {
    let mut head = [0u8; 4];
    let n = read_full(&mut raw, &mut head)?;
    let head = &head[..n];
    let compression = if head.starts_with(&GZIP_MAGIC) {
        Compression::Gzip
    } else if head.starts_with(&ZSTD_MAGIC) {
        Compression::Zstd
    } else {
        Compression::None
    };
    let whole = Cursor::new(head.to_vec()).chain(raw);
    let reader: Box<dyn Read + Send + 'a> = match compression {
        Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(whole)),
        Compression::Zstd => Box::new(zstd::Decoder::new(whole)?),
        Compression::None => Box::new(whole),
    };
    Ok((reader, compression))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn roundtrip(bytes: &[u8]) -> (Vec<u8>, Compression) {
        let (mut r, c) = open(bytes).unwrap();
        let mut out = Vec::new();
        r.read_to_end(&mut out).unwrap();
        (out, c)
    }

    #[test]
    fn plain_passes_through_even_when_short() {
        assert_eq!(roundtrip(b"{}"), (b"{}".to_vec(), Compression::None));
        assert_eq!(roundtrip(b""), (Vec::new(), Compression::None));
        assert_eq!(
            roundtrip(b"{\"resourceSpans\":[]}").0,
            b"{\"resourceSpans\":[]}".to_vec()
        );
    }

    #[test]
    fn gzip_members_are_all_read() {
        let mut all = Vec::new();
        for part in [&b"hello "[..], &b"world"[..]] {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(part).unwrap();
            all.extend(e.finish().unwrap());
        }
        assert_eq!(
            roundtrip(&all),
            (b"hello world".to_vec(), Compression::Gzip)
        );
    }

    #[test]
    fn zstd_is_recognised() {
        let z = zstd::encode_all(&b"{\"a\":1}"[..], 3).unwrap();
        assert_eq!(roundtrip(&z), (b"{\"a\":1}".to_vec(), Compression::Zstd));
    }

    #[test]
    fn counting_counts_raw_bytes() {
        let z = zstd::encode_all(&[b'x'; 10_000][..], 3).unwrap();
        let (c, count) = Counting::new(&z[..]);
        let (mut r, _) = open(c).unwrap();
        let mut out = Vec::new();
        r.read_to_end(&mut out).unwrap();
        assert_eq!(out.len(), 10_000);
        assert_eq!(count.load(Ordering::Relaxed), z.len() as u64);
    }

    #[test]
    fn corrupt_gzip_is_an_error_not_a_panic() {
        let (mut r, c) = open(&[0x1f, 0x8b, 0x08, 0x00, 0xff, 0xff][..]).unwrap();
        assert_eq!(c, Compression::Gzip);
        let mut out = Vec::new();
        assert!(r.read_to_end(&mut out).is_err());
    }
}
