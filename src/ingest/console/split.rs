//! Cuts a console stream into the JSON objects that start a line and the other lines, one
//! piece at a time as bytes arrive (a file that grows, a pipe): each byte is scanned once,
//! whatever the chunks are.

/// An object longer than this is not a span (a span object is a few KiB): it is skipped as
/// it streams past, so a stray `{` never holds the rest of the stream in memory.
pub const MAX_OBJECT: usize = 64 << 20;

/// One piece of the stream.
#[derive(Debug, PartialEq, Eq)]
pub enum Piece<'a> {
    /// A JSON object (balanced braces, strings respected) that began a line; `line` is where.
    Object { text: &'a [u8], line: u64 },
    /// A non-blank line that is not part of an object.
    Text { line: u64 },
    /// An object that grew past `MAX_OBJECT`, or that the input ended inside.
    Cut { line: u64 },
}

#[derive(Default)]
enum State {
    /// At the start of a line, or after an object on the same line.
    #[default]
    Between,
    /// Inside a text line (already counted).
    Text,
    /// Inside an object starting at `buf[0]`; `at` is how far it was scanned.
    Object {
        at: usize,
        depth: u32,
        in_str: bool,
        esc: bool,
    },
    /// Inside an object past `MAX_OBJECT`: its bytes are dropped until it closes.
    Skip { depth: u32, in_str: bool, esc: bool },
}

/// The splitter: `push` bytes, then `drain` the complete pieces.
#[derive(Default)]
pub struct Splitter {
    /// Bytes not yet consumed (an object being read starts at 0).
    buf: Vec<u8>,
    state: State,
    /// Line number (1-based) of `buf[0]`.
    line: u64,
    /// Line where the current object began.
    obj_line: u64,
    /// `MAX_OBJECT` (smaller in tests).
    max: usize,
}

/// What a byte of an object does to its scan: the new depth, or `None` once it closes.
fn step(c: u8, depth: &mut u32, in_str: &mut bool, esc: &mut bool) -> bool {
    if *in_str {
        if *esc {
            *esc = false;
        } else if c == b'\\' {
            *esc = true;
        } else if c == b'"' {
            *in_str = false;
        }
        return false;
    }
    match c {
        b'"' => *in_str = true,
        b'{' | b'[' => *depth += 1,
        b'}' | b']' => {
            *depth = depth.saturating_sub(1);
            return *depth == 0;
        }
        _ => {}
    }
    false
}

impl Splitter {
    pub fn new() -> Self {
        Splitter {
            line: 1,
            max: MAX_OBJECT,
            ..Splitter::default()
        }
    }

    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes held: the object being read (at most `MAX_OBJECT`) and what is not scanned yet.
    pub fn held(&self) -> usize {
        self.buf.len()
    }

    /// Hands every complete piece to `f`; `eof`: no more bytes will come (an object still
    /// open is `Cut`). What is incomplete stays for the next `push`.
    pub fn drain(&mut self, eof: bool, mut f: impl FnMut(Piece<'_>)) {
        let mut i = 0;
        let buf = std::mem::take(&mut self.buf);
        while i < buf.len() {
            match &mut self.state {
                State::Between => match buf[i] {
                    b' ' | b'\t' | b'\r' => i += 1,
                    b'\n' => {
                        self.line += 1;
                        i += 1;
                    }
                    b'{' => {
                        // The object's bytes move to the front of the kept buffer.
                        self.obj_line = self.line;
                        self.state = State::Object {
                            at: 0,
                            depth: 0,
                            in_str: false,
                            esc: false,
                        };
                        let rest = &buf[i..];
                        let (used, closed) = self.scan_object(rest, &mut f);
                        i += used;
                        if !closed {
                            break;
                        }
                    }
                    _ => {
                        f(Piece::Text { line: self.line });
                        self.state = State::Text;
                    }
                },
                State::Text => match memchr::memchr(b'\n', &buf[i..]) {
                    Some(n) => {
                        i += n;
                        self.state = State::Between;
                    }
                    None => i = buf.len(),
                },
                State::Object { .. } => {
                    // Resumed: `buf` starts with the object read so far.
                    let (used, closed) = self.scan_object(&buf, &mut f);
                    i = used;
                    if !closed {
                        break;
                    }
                }
                State::Skip { depth, in_str, esc } => {
                    let c = buf[i];
                    if c == b'\n' {
                        self.line += 1;
                    }
                    i += 1;
                    if step(c, depth, in_str, esc) {
                        self.state = State::Between;
                    }
                }
            }
        }
        // Only an open object is kept; the buffer's memory is reused.
        self.buf = buf;
        self.buf.drain(..i);
        if eof {
            if matches!(self.state, State::Object { .. } | State::Skip { .. }) {
                f(Piece::Cut {
                    line: self.obj_line,
                });
            }
            self.buf.clear();
            self.state = State::Between;
        }
    }

    /// Scans the object at the start of `text` from where the last scan stopped. Returns the
    /// bytes of `text` used and whether the object closed (then it was handed to `f`, and the
    /// lines it spans counted). When it did not close, `text` is kept whole.
    fn scan_object(&mut self, text: &[u8], f: &mut impl FnMut(Piece<'_>)) -> (usize, bool) {
        let State::Object {
            at,
            depth,
            in_str,
            esc,
        } = &mut self.state
        else {
            return (0, false);
        };
        let mut j = *at;
        // The bound holds however the bytes came: an object longer than it is cut even when
        // it closes within one chunk.
        let end = text.len().min(self.max + 1);
        while j < end {
            let c = text[j];
            j += 1;
            if step(c, depth, in_str, esc) {
                let obj = &text[..j];
                let lines = memchr::memchr_iter(b'\n', obj).count() as u64;
                f(Piece::Object {
                    text: obj,
                    line: self.obj_line,
                });
                self.line += lines;
                self.state = State::Between;
                return (j, true);
            }
        }
        *at = j;
        if j > self.max {
            let lines = memchr::memchr_iter(b'\n', &text[..j]).count() as u64;
            self.line += lines;
            f(Piece::Cut {
                line: self.obj_line,
            });
            self.state = State::Skip {
                depth: *depth,
                in_str: *in_str,
                esc: *esc,
            };
            return (j, true);
        }
        (0, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pieces of `input` fed in chunks of `n` bytes, objects as text.
    fn pieces(input: &str, n: usize) -> Vec<String> {
        pieces_max(input, n, MAX_OBJECT)
    }

    fn pieces_max(input: &str, n: usize, max: usize) -> Vec<String> {
        let mut s = Splitter::new();
        s.max = max;
        let mut out = Vec::new();
        let mut take = |p: Piece<'_>| {
            out.push(match p {
                Piece::Object { text, line } => {
                    format!("{line}:{}", String::from_utf8_lossy(text))
                }
                Piece::Text { line } => format!("{line}:text"),
                Piece::Cut { line } => format!("{line}:cut"),
            })
        };
        for c in input.as_bytes().chunks(n) {
            s.push(c);
            s.drain(false, &mut take);
        }
        s.drain(true, &mut take);
        out
    }

    #[test]
    fn objects_and_lines_in_any_chunking() {
        let input = "starting on :8080\n{\"a\":\"}{\",\n \"b\":[{}]}\n\n  {\"c\":\"\\\"}\"}{\"d\":1}\nbye\n{\"open\":";
        let want = [
            "1:text",
            "2:{\"a\":\"}{\",\n \"b\":[{}]}",
            "5:{\"c\":\"\\\"}\"}",
            "5:{\"d\":1}",
            "6:text",
            "7:cut",
        ];
        for n in [1, 2, 3, 7, 1000] {
            assert_eq!(pieces(input, n), want, "chunks of {n}");
        }
    }

    #[test]
    fn an_object_past_the_bound_is_dropped_as_it_streams() {
        let big = format!(
            "{{\"a\":\"{}}}\",\n\"b\":[1]}}\n{{\"c\":2}}\nend\n",
            "x".repeat(100)
        );
        for n in [1, 10, 1000] {
            let mut s = Splitter::new();
            s.max = 32;
            let mut out = Vec::new();
            for c in big.as_bytes().chunks(n) {
                s.push(c);
                s.drain(false, |p| out.push(format!("{p:?}")));
                assert!(s.held() <= 32 + n, "held {} with chunks of {n}", s.held());
            }
            assert_eq!(
                out,
                [
                    "Cut { line: 1 }",
                    "Object { text: [123, 34, 99, 34, 58, 50, 125], line: 3 }",
                    "Text { line: 4 }"
                ],
                "chunks of {n}"
            );
        }
        assert_eq!(pieces_max(&big, 7, 1 << 20).len(), 3);
    }

    #[test]
    fn a_text_line_counts_once_however_long() {
        let long = format!("{}\n{{}}\n", "x".repeat(10_000));
        assert_eq!(pieces(&long, 64), ["1:text", "2:{}"]);
    }
}
