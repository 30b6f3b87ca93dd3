//! OTLP/JSON lines (the Collector `file` exporter): one request per line. The file is streamed
//! in chunks of about 8 MiB cut at the last newline; the lines of a chunk are parsed in
//! parallel (each worker fills its own `Batch`) and merged into the store in file order.
//! A bad line is skipped with a warning naming it; the rest still loads.

use rayon::prelude::*;

use super::otlp_json::{self, Counts, Ctx, Tally};
use super::{Format, Source};
use crate::model::{Batch, BatchMark, LoadError, Position, Store, WarningKind};

/// Bytes per chunk (a chunk grows when a single line is longer).
const CHUNK: usize = 8 << 20;

/// A read buffer's first size: it doubles from there up to `CHUNK` while the input lasts.
const FIRST_READ: usize = 64 << 10;

/// Bad lines: how many, and the first one with its reason.
#[derive(Default)]
struct Skipped {
    count: u64,
    first: Option<(Position, String)>,
}

impl Skipped {
    fn merge(&mut self, o: Skipped) {
        self.count += o.count;
        if self.first.is_none() {
            self.first = o.first;
        }
    }
}

/// A read buffer whose bytes stay initialized between uses: refilling it reads straight into
/// it, where `read_to_end` would zero 8 MiB of spare capacity before every read.
#[derive(Default)]
struct ChunkBuf {
    data: Vec<u8>,
    len: usize,
}

impl ChunkBuf {
    fn text(&self) -> &[u8] {
        &self.data[..self.len]
    }

    /// Reads until it holds `target` bytes or the input ends; true at the end. The buffer
    /// grows by doubling from `FIRST_READ` as it fills, so a small input (whose length is
    /// not known when compressed or piped) costs what it holds, not a zeroed `CHUNK`.
    fn fill_to(&mut self, src: &mut Source, target: usize) -> Result<bool, LoadError> {
        while self.len < target {
            if self.len >= self.data.len() {
                let grown = (self.data.len() * 2).max(FIRST_READ).min(target);
                self.data.resize(grown, 0);
            }
            let end = self.data.len().min(target);
            self.len += src.read_into(&mut self.data[self.len..end])?;
            if self.len < end {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

/// Streams the rest of the input (`pending` holds what detection already read) into `store`.
pub(crate) fn load(
    store: &mut Store,
    src: &mut Source,
    pending: Vec<u8>,
) -> Result<u16, LoadError> {
    let input = store.add_input(src.name, Format::OtlpJsonLines.name());
    let mut tally = Tally::new();
    let mut skipped = Skipped::default();
    let mut line = 1u64;
    let mut eof = false;
    let mut pending = ChunkBuf {
        len: pending.len(),
        data: pending,
    };
    let mut chunk = next_chunk(src, &mut pending, &mut eof, ChunkBuf::default())?;
    let mut parsed: Vec<(Batch, Tally, Skipped)> = Vec::new();
    // Three buffers take turns (one parsed, one filled, one free), so chunks reuse memory
    // instead of faulting in fresh pages for every 8 MiB.
    let mut free = ChunkBuf::default();
    // A three-stage pipeline: while the pool parses chunk k, the other side of the join
    // merges chunk k-1 into the store and reads chunk k+1, so neither waits for the other.
    while let Some(text) = chunk {
        let done = std::mem::take(&mut parsed);
        let spare = std::mem::take(&mut free);
        let ((now, lines), next) = rayon::join(
            || parse_chunk(text.text(), line),
            || {
                for (batch, t, s) in done {
                    store.add_batch(batch, input);
                    tally.merge(t);
                    skipped.merge(s);
                }
                src.report_progress();
                next_chunk(src, &mut pending, &mut eof, spare)
            },
        );
        line += lines;
        parsed = now;
        free = text;
        chunk = next?;
    }
    for (batch, t, s) in parsed {
        store.add_batch(batch, input);
        tally.merge(t);
        skipped.merge(s);
    }
    src.report_progress();
    let mut last = Batch::new();
    tally.emit(&mut last, src.name);
    if let Some((pos, why)) = skipped.first {
        last.diag.warn_n(
            WarningKind::SkippedLine,
            src.name,
            pos,
            format!("skipped a line that is not a valid OTLP/JSON trace request (first: {why})"),
            skipped.count,
        );
    }
    store.add_batch(last, input);
    Ok(input)
}

/// The next run of whole lines (about `CHUNK` bytes; more when one line is longer), or
/// `None` at the end. `pending` keeps the bytes after the last newline for the next call.
fn next_chunk(
    src: &mut Source,
    pending: &mut ChunkBuf,
    eof: &mut bool,
    mut spare: ChunkBuf,
) -> Result<Option<ChunkBuf>, LoadError> {
    src.check_cancel()?;
    let mut target = CHUNK;
    // Bytes already known to hold no newline: a long line is searched once, not once per step.
    let mut searched = 0;
    loop {
        while !*eof && pending.len < target {
            *eof = pending.fill_to(src, target)?;
        }
        let text = pending.text();
        let cut = if *eof {
            Some(text.len())
        } else {
            memchr::memrchr(b'\n', &text[searched..]).map(|i| searched + i + 1)
        };
        match cut {
            Some(0) => return Ok(None),
            Some(cut) => {
                // The tail moves to the spare buffer, which is sized for a whole chunk.
                let tail = &text[cut..];
                if spare.data.len() < tail.len() {
                    spare.data.resize(tail.len(), 0);
                }
                spare.data[..tail.len()].copy_from_slice(tail);
                spare.len = tail.len();
                pending.len = cut;
                return Ok(Some(std::mem::replace(pending, spare)));
            }
            // One line longer than a chunk: read on until it ends. It is held whole, as a
            // JSON document is, so the same bound on decompression bombs applies.
            None => {
                src.check_expansion(pending.len)?;
                searched = pending.len;
                target = pending.len + CHUNK;
            }
        }
    }
}

/// Parses the lines of `chunk` (whose first line is number `first_line`) in parallel; also
/// returns how many newlines the chunk holds.
fn parse_chunk(chunk: &[u8], first_line: u64) -> (Vec<(Batch, Tally, Skipped)>, u64) {
    let mut lines = Vec::new();
    let mut start = 0;
    let mut newlines = 0;
    for end in memchr::memchr_iter(b'\n', chunk).chain(std::iter::once(chunk.len())) {
        if end > start {
            lines.push((&chunk[start..end], first_line + newlines));
        }
        newlines += 1;
        start = end + 1;
    }
    let groups = rayon::current_num_threads() * 4;
    let per_group = lines.len().div_ceil(groups).max(1);
    // The final "line" after the last newline is counted above but is not a newline.
    (
        lines.par_chunks(per_group).map(parse_group).collect(),
        newlines - 1,
    )
}

fn parse_group(lines: &[(&[u8], u64)]) -> (Batch, Tally, Skipped) {
    let mut batch = Batch::new();
    let bytes: usize = lines.iter().map(|(t, _)| t.len()).sum();
    batch.spans.reserve(bytes / 512);
    batch.attrs.reserve(bytes / 64);
    let mut tally = Tally::new();
    let mut skipped = Skipped::default();
    for &(text, line) in lines {
        let Some(lead) = text.iter().position(|c| !c.is_ascii_whitespace()) else {
            continue;
        };
        let mark = BatchMark::of(&batch);
        let mut ctx = Ctx {
            batch: &mut batch,
            counts: Counts::default(),
        };
        match otlp_json::parse(&mut ctx, &text[lead..]) {
            Ok(()) => {
                let counts = ctx.counts;
                tally.add(counts, || Position::Line { line });
            }
            Err(e) => {
                mark.rollback(&mut batch);
                skipped.count += 1;
                if skipped.first.is_none() {
                    let pos = Position::LineCol {
                        line,
                        column: (e.column() + lead) as u64,
                    };
                    skipped.first = Some((pos, otlp_json::error_message(&e)));
                }
            }
        }
    }
    (batch, tally, skipped)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fills a fresh buffer from `len` bytes as `next_chunk` does; returns its size.
    fn buffer_for(len: usize) -> usize {
        let input = vec![b'x'; len];
        let opts = super::super::LoadOptions::default();
        let mut src = Source {
            name: "t.jsonl",
            reader: Box::new(input.as_slice()),
            raw_bytes: Default::default(),
            opts: &opts,
        };
        let mut buf = ChunkBuf::default();
        let eof = buf.fill_to(&mut src, CHUNK).unwrap_or(false);
        assert_eq!(eof, len < CHUNK);
        assert_eq!(buf.text(), &input[..len.min(CHUNK)]);
        buf.data.len()
    }

    #[test]
    fn read_buffers_grow_with_the_input_up_to_a_chunk() {
        assert_eq!(buffer_for(3_000), FIRST_READ);
        assert_eq!(buffer_for(200 << 10), 256 << 10);
        assert_eq!(buffer_for(CHUNK), CHUNK);
        assert_eq!(buffer_for(CHUNK + 5), CHUNK);
    }

    #[test]
    fn lines_are_numbered_across_blank_lines_and_rolled_back_when_bad() {
        let good = r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"00000000000000aa","attributes":[{"key":"k","value":{"stringValue":"v"}}]}]}]}]}"#;
        let bad = r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"a","value":{"intValue":"1"}}]},"scopeSpans":[{"spans":[{"spanId":"00000000000000bb","attributes":[{"key":"k","value":{"intValue":"2"}}],"events":[{"name":"e"}]},{"kind":"NOPE"}]}]}]}"#;
        let text = format!("\n{good}\r\n  \n{bad}\n{good}");
        let (parts, newlines) = parse_chunk(text.as_bytes(), 10);
        assert_eq!(newlines, text.matches('\n').count() as u64);
        let mut spans = 0;
        let mut skipped = Skipped::default();
        for (b, _, s) in parts {
            spans += b.spans.len();
            assert!(b.events.is_empty(), "the bad line's event was rolled back");
            assert!(
                b.res_attrs.is_empty(),
                "the bad line's resource was rolled back"
            );
            assert!(b.attrs.iter().all(|a| a.ty == crate::model::AttrType::Str));
            skipped.merge(s);
        }
        assert_eq!(spans, 2);
        assert_eq!(skipped.count, 1);
        let (pos, why) = skipped.first.unwrap();
        assert!(matches!(pos, Position::LineCol { line: 13, .. }), "{pos:?}");
        assert!(why.contains("unknown span kind \"NOPE\""), "{why}");
    }
}
