//! Format detection from the first bytes of the (decompressed) content, never from the name.
//!
//! A first byte that can start an OTLP protobuf request (a field-1 tag, or the high byte of a
//! stream's 4-byte length prefix) means protobuf, unless the bytes are plain text; else `{` or
//! `[` (after whitespace) means JSON; anything else is not a trace file. JSON lines: the first line holds a complete
//! JSON value and another non-blank line follows. The JSON dialect comes from the top-level
//! keys (or the keys of the first element of a top-level array).

use super::Format;
use crate::escape::terminal;

/// What is said of an input in none of the formats.
pub const NOT_A_TRACE_FILE: &str =
    "not a trace file tracetopo reads (tried OTLP JSON, JSON lines, protobuf, Jaeger, Zipkin)";

/// At most this many keys, of at most this many characters each, are quoted in an error.
const QUOTED_KEYS: usize = 12;
const QUOTED_KEY_CHARS: usize = 64;

/// What the bytes seen so far say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Detected {
    Format(Format),
    /// Undecided: read more (only returned when the input has not ended).
    NeedMore,
    /// Not a trace format this tool reads; the message says what was found.
    Unknown(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dialect {
    Otlp,
    Jaeger,
    Zipkin,
}

/// Top-level keys that make a JSON object an OTLP document (wrappers and other signals included:
/// the reader counts logs and metrics as warnings).
const OTLP_KEYS: &[&[u8]] = &[
    b"resourceSpans",
    b"resource_spans",
    b"batches",
    b"result",
    b"resourceLogs",
    b"resource_logs",
    b"resourceMetrics",
    b"resource_metrics",
    b"resourceProfiles",
    b"resource_profiles",
];

/// What a scan of the first JSON value found so far. The scan resumes where it stopped when
/// more bytes arrive, so a first value read in doubling steps is scanned once, not once per
/// step (a one-line 200 MB document spent a sixth of its load re-scanning).
#[derive(Default)]
struct Scan {
    is_array: bool,
    /// Keys of the top-level object, or of the first element of a top-level array, as ranges
    /// of the body (the buffer may move between calls).
    keys: Vec<(usize, usize)>,
    /// Whether `keys` is complete (the object, or the array's first element, was closed).
    keys_done: bool,
    /// Offset just past the first value, when it ends within the buffer.
    end: Option<usize>,
    /// A raw newline occurred inside the first value (so it is not one JSON line).
    newline: bool,
    /// Where to go on: never inside a string (a string cut by the buffer's end is re-read).
    pos: usize,
    depth: usize,
    expect_key: bool,
    /// Only the first element of a top-level array is looked at.
    first_elem: bool,
}

impl Scan {
    fn new(b: &[u8], start: usize) -> Scan {
        Scan {
            is_array: b.get(start) == Some(&b'['),
            pos: start,
            first_elem: true,
            ..Scan::default()
        }
    }

    /// Scans `b` from where the last call stopped, until the first value ends or `b` does.
    fn resume(&mut self, b: &[u8]) {
        let key_depth = if self.is_array { 2 } else { 1 };
        let mut i = self.pos;
        while i < b.len() && self.end.is_none() {
            match b[i] {
                b'"' => {
                    let from = i + 1;
                    let mut j = from;
                    loop {
                        match memchr::memchr2(b'"', b'\\', &b[j.min(b.len())..]) {
                            Some(k) if b[j + k] == b'\\' => j += k + 2,
                            Some(k) => {
                                j += k;
                                break;
                            }
                            None => {
                                self.pos = i;
                                return;
                            }
                        }
                    }
                    if self.expect_key && self.depth == key_depth && self.first_elem {
                        self.keys.push((from, j));
                    }
                    self.expect_key = false;
                    i = j;
                }
                b'{' => {
                    self.depth += 1;
                    self.expect_key = self.depth == key_depth;
                }
                b'[' => {
                    self.depth += 1;
                    self.expect_key = false;
                }
                b'}' | b']' => {
                    if self.depth == key_depth && self.first_elem {
                        self.keys_done = true;
                        self.first_elem = false;
                    }
                    self.depth = self.depth.saturating_sub(1);
                    if self.depth == 0 {
                        self.keys_done = true;
                        self.end = Some(i + 1);
                    }
                }
                b',' => self.expect_key = self.depth == key_depth,
                b'\n' => self.newline = true,
                _ => {}
            }
            i += 1;
        }
        self.pos = i;
    }

    fn key_slices<'a>(&self, b: &'a [u8]) -> Vec<&'a [u8]> {
        self.keys.iter().map(|&(from, to)| &b[from..to]).collect()
    }
}

fn has(keys: &[&[u8]], k: &[u8]) -> bool {
    keys.contains(&k)
}

/// The dialect the keys show, `Ok(None)` when more keys are needed.
fn dialect(s: &Scan, body: &[u8]) -> Result<Option<Dialect>, String> {
    let k = &s.key_slices(body);
    if s.is_array {
        if has(k, b"traceID") || has(k, b"spanID") {
            return Ok(Some(Dialect::Jaeger));
        }
        if has(k, b"traceId") && has(k, b"id") {
            return Ok(Some(Dialect::Zipkin));
        }
        if s.keys_done && k.is_empty() && s.end.is_some() {
            // `[]`: an empty Zipkin span list.
            return Ok(Some(Dialect::Zipkin));
        }
    } else {
        if k.iter().any(|key| OTLP_KEYS.contains(key)) {
            return Ok(Some(Dialect::Otlp));
        }
        if has(k, b"data") || (has(k, b"traceID") && has(k, b"spans")) {
            return Ok(Some(Dialect::Jaeger));
        }
        if has(k, b"traceId") && has(k, b"id") {
            return Ok(Some(Dialect::Zipkin));
        }
        if s.keys_done && k.is_empty() {
            // `{}`: an empty OTLP request.
            return Ok(Some(Dialect::Otlp));
        }
    }
    if !s.keys_done {
        return Ok(None);
    }
    let mut names: Vec<String> = k.iter().take(QUOTED_KEYS).map(|k| quote_key(k)).collect();
    if k.len() > QUOTED_KEYS {
        names.push(format!("… {} more", k.len() - QUOTED_KEYS));
    }
    let what = if s.is_array {
        "a JSON array whose first element has keys"
    } else {
        "a JSON object with keys"
    };
    Err(format!(
        "not a trace file this tool reads: {what} [{}]",
        names.join(", ")
    ))
}

/// A key as quoted in an error: one line (the scan takes raw bytes between quotes, line
/// breaks included), and cut short when long.
fn quote_key(k: &[u8]) -> String {
    let k = String::from_utf8_lossy(k);
    let mut out = terminal(&k).into_owned();
    if let Some((cut, _)) = out.char_indices().nth(QUOTED_KEY_CHARS) {
        out.truncate(cut);
        out.push('…');
    }
    out
}

/// Whether bytes that are not JSON can be an OTLP protobuf request: a request starts with
/// field 1 (`0x0a`), a length-prefixed stream with the high byte of a length (`0x00`), and
/// neither is plain text (a span's id fields alone hold control bytes).
fn may_be_protobuf(b: &[u8]) -> bool {
    if !matches!(b.first(), Some(0x0a | 0x00)) {
        return false;
    }
    let text = match std::str::from_utf8(b) {
        Ok(t) => t,
        // Cut inside a character at the end of what was read so far: still text.
        Err(e) if e.error_len().is_none() => {
            std::str::from_utf8(&b[..e.valid_up_to()]).unwrap_or_default()
        }
        Err(_) => return true,
    };
    text.chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
}

fn single(d: Dialect) -> Format {
    match d {
        Dialect::Otlp => Format::OtlpJson,
        Dialect::Jaeger => Format::JaegerJson,
        Dialect::Zipkin => Format::ZipkinJson,
    }
}

/// Whether a non-blank line follows the first line (which ends at `at`): `None` = not known yet.
fn another_line_follows(b: &[u8], at: usize, eof: bool) -> Option<bool> {
    let mut i = at;
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\r') {
        i += 1;
    }
    match b.get(i) {
        // Something else on the first line: not JSON lines (the parser reports it).
        Some(&c) if c != b'\n' => return Some(false),
        Some(_) => {}
        None => return if eof { Some(false) } else { None },
    }
    match b[i..].iter().position(|c| !c.is_ascii_whitespace()) {
        Some(_) => Some(true),
        None if eof => Some(false),
        None => None,
    }
}

/// Detects the format of `buf`, the first bytes of the content (`eof`: that is all of it).
pub fn detect(buf: &[u8], eof: bool) -> Detected {
    Detector::default().detect(buf, eof)
}

/// Detection over a buffer that grows between calls: what was scanned is not scanned again.
#[derive(Default)]
pub struct Detector {
    scan: Option<Scan>,
}

impl Detector {
    /// Detects the format of `buf`, the first bytes of the content (`eof`: that is all of
    /// it). Each call must see the bytes of the one before, and more. What is none of the
    /// dump formats may be an SDK's console output (`console::sniff`).
    pub fn detect(&mut self, buf: &[u8], eof: bool) -> Detected {
        if super::golog::sniff(buf) {
            // A service's console output often starts with its logger's lines: SDK span
            // objects further on make it console output (whose reader keeps those lines as
            // records too), else it is a log file.
            return match super::console::sniff(buf, eof) {
                Some(Detected::Format(f)) => Detected::Format(f),
                Some(Detected::NeedMore) => Detected::NeedMore,
                _ => Detected::Format(Format::GoLogs),
            };
        }
        match self.detect_dump(buf, eof) {
            Detected::Unknown(m) => super::console::sniff(buf, eof).unwrap_or(Detected::Unknown(m)),
            d => d,
        }
    }

    fn detect_dump(&mut self, buf: &[u8], eof: bool) -> Detected {
        let body = buf.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(buf);
        let start = match body.iter().position(|c| !c.is_ascii_whitespace()) {
            Some(p) => p,
            None if eof => return Detected::Unknown("empty input".to_string()),
            None => return Detected::NeedMore,
        };
        // Before JSON: a request whose first resource is 91 or 123 bytes long starts `\n[` or
        // `\n{`, but JSON, unlike protobuf, never holds control bytes other than whitespace.
        if may_be_protobuf(buf) {
            return Detected::Format(Format::OtlpProto);
        }
        if !matches!(body[start], b'{' | b'[') {
            return Detected::Unknown(NOT_A_TRACE_FILE.to_string());
        }
        let s = self.scan.get_or_insert_with(|| Scan::new(body, start));
        s.resume(body);
        let d = match dialect(s, body) {
            Ok(d) => d,
            Err(msg) => return Detected::Unknown(msg),
        };
        let decided = |d: Option<Dialect>| match d {
            Some(d) => Detected::Format(single(d)),
            None if eof => Detected::Unknown(
                "not a trace file this tool reads: truncated JSON with no known top-level key"
                    .to_string(),
            ),
            None => Detected::NeedMore,
        };
        if s.newline {
            return decided(d);
        }
        let Some(end) = s.end else {
            return if eof { decided(d) } else { Detected::NeedMore };
        };
        match another_line_follows(body, end, eof) {
            None => Detected::NeedMore,
            Some(true) if d == Some(Dialect::Otlp) => Detected::Format(Format::OtlpJsonLines),
            Some(_) => decided(d),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(s: &str) -> Detected {
        detect(s.as_bytes(), true)
    }

    #[test]
    fn otlp_documents_and_wrappers() {
        for doc in [
            "{\n  \"resourceSpans\": []\n}\n",
            "{\"resource_spans\":[]}",
            "{\"batches\":[{\"resource\":{}}]}",
            "{\n \"result\": {\"resourceSpans\": []}}",
            "{\"resourceLogs\":[]}",
            "\u{feff}{}",
        ] {
            assert_eq!(fmt(doc), Detected::Format(Format::OtlpJson), "{doc:?}");
        }
    }

    #[test]
    fn json_lines_need_a_second_line() {
        let one = "{\"resourceSpans\":[{\"scopeSpans\":[]}]}";
        assert_eq!(
            fmt(&format!("{one}\n{one}\n")),
            Detected::Format(Format::OtlpJsonLines)
        );
        assert_eq!(
            fmt(&format!("{one}\r\n\n  {one}")),
            Detected::Format(Format::OtlpJsonLines)
        );
        assert_eq!(
            fmt(&format!("{one}\n\n")),
            Detected::Format(Format::OtlpJson)
        );
        assert_eq!(fmt(one), Detected::Format(Format::OtlpJson));
        // Not finished yet: a single line could still be followed by another.
        assert_eq!(detect(one.as_bytes(), false), Detected::NeedMore);
        assert_eq!(detect(&one.as_bytes()[..10], false), Detected::NeedMore);
        // A pretty-printed document is decided as soon as its first key is seen.
        assert_eq!(
            detect(b"{\n  \"resourceSpans\": [ {", false),
            Detected::Format(Format::OtlpJson)
        );
    }

    #[test]
    fn jaeger_shapes() {
        let f = Detected::Format(Format::JaegerJson);
        assert_eq!(fmt("{\"data\":[{\"traceID\":\"1\",\"spans\":[]}]}"), f);
        assert_eq!(fmt("{\"traceID\":\"a\",\"spans\":[],\"processes\":{}}"), f);
        assert_eq!(
            fmt("[{\"traceID\":\"a\",\"spanID\":\"b\",\"process\":{}}]"),
            f
        );
    }

    #[test]
    fn zipkin_shapes() {
        let f = Detected::Format(Format::ZipkinJson);
        assert_eq!(
            fmt("[{\"traceId\":\"a\",\"id\":\"b\",\"tags\":{\"x\":\"}\"}}]"),
            f
        );
        assert_eq!(fmt("{\"id\":\"b\",\"traceId\":\"a\"}"), f);
        assert_eq!(fmt("[]"), f);
    }

    #[test]
    fn keys_inside_nested_values_do_not_count() {
        // `traceId`/`id` nested one level deeper than the first element's keys.
        let d = fmt("[{\"x\":{\"traceId\":\"a\",\"id\":\"b\"}}]");
        assert!(
            matches!(d, Detected::Unknown(ref m) if m.contains("[x]")),
            "{d:?}"
        );
    }

    #[test]
    fn protobuf_and_rubbish() {
        assert_eq!(
            detect(&[0x0a, 0x10, 0x01], true),
            Detected::Format(Format::OtlpProto)
        );
        assert_eq!(
            detect(&[0, 0, 0, 5, 0x0a], true),
            Detected::Format(Format::OtlpProto)
        );
        assert_eq!(fmt("  \n "), Detected::Unknown("empty input".to_string()));
        let d = fmt("{\"description\":\"x\",\"requests\":[]}");
        assert_eq!(
            d,
            Detected::Unknown(
                "not a trace file this tool reads: a JSON object with keys [description, requests]"
                    .to_string()
            )
        );
        assert!(matches!(
            fmt("{\"a\": \"unterminated"),
            Detected::Unknown(_)
        ));
    }

    #[test]
    fn text_and_random_bytes_are_not_trace_files() {
        let junk = Detected::Unknown(NOT_A_TRACE_FILE.to_string());
        assert_eq!(fmt("hello, world\n"), junk);
        assert_eq!(fmt("\n\nid,name\n1,a\n"), junk);
        assert_eq!(detect(&[0x89, b'P', b'N', b'G', 0x0d, 0x0a], true), junk);
        assert_eq!(detect(&[0xff, 0x00, 0x12], true), junk);
        // Plain text cut inside a character is still text, where SDK console output may
        // follow: undecided until `console::SNIFF_BYTES` of it were read.
        assert_eq!(
            detect("\nnaïve".as_bytes().split_at(4).0, false),
            Detected::NeedMore
        );
        let long = "log line\n".repeat(super::super::console::SNIFF_BYTES / 9 + 1);
        assert_eq!(detect(long.as_bytes(), false), junk);
        // JSON after a line break is still JSON; protobuf whose first length byte reads `{`
        // is still protobuf.
        assert_eq!(
            fmt("\n{\"resourceSpans\":[]}"),
            Detected::Format(Format::OtlpJson)
        );
        assert_eq!(
            detect(&[0x0a, b'{', 0x0a, 0x05, 0x12, 0x03], true),
            Detected::Format(Format::OtlpProto)
        );
    }

    /// Detection resumed over a growing buffer decides as detection of the whole does,
    /// wherever the buffer was cut (inside strings, escapes, keys, between lines).
    #[test]
    fn resumed_detection_matches_detection_of_the_whole() {
        let inputs = [
            "{\"resourceSpans\":[{\"a\":\"x\\\"}\"}]}\n{\"resourceSpans\":[]}\n",
            "{\"resourceSpans\":[{\"a\":\"x\\\\\"}]}",
            "[{\"x\":{\"traceId\":\"a\"},\"traceId\":\"a\",\"id\":\"b\"}]",
            "{\"description\":\"x\",\"requests\":[]}",
            "{\n \"data\": [{\"traceID\": \"1\"}]}",
            " {\"a\": \"unterminated",
        ];
        for text in inputs {
            let b = text.as_bytes();
            let whole = detect(b, true);
            for cut in 0..b.len() {
                let mut d = Detector::default();
                let first = d.detect(&b[..cut], false);
                let got = match first {
                    Detected::NeedMore => d.detect(b, true),
                    decided => decided,
                };
                assert_eq!(got, whole, "{text:?} cut at {cut}");
            }
        }
    }

    /// Mutated JSON can put a raw line break in a key: the error stays on one line.
    #[test]
    fn quoted_keys_stay_on_one_line_and_short() {
        let Detected::Unknown(m) = fmt("{\"res\nource\u{1b}[2J\":1,\"b\r\":2}") else {
            panic!("not unknown");
        };
        assert_eq!(
            m,
            "not a trace file this tool reads: a JSON object with keys [res\\nource\\u{1b}[2J, b\\r]"
        );
        let long = format!("{{\"{}\":1}}", "k".repeat(1000));
        let Detected::Unknown(m) = fmt(&long) else {
            panic!("not unknown");
        };
        assert!(m.ends_with(&format!("[{}…]", "k".repeat(64))), "{m}");
        let many: Vec<String> = (0..20).map(|i| format!("\"k{i}\":1")).collect();
        let Detected::Unknown(m) = fmt(&format!("{{{}}}", many.join(","))) else {
            panic!("not unknown");
        };
        assert!(m.ends_with("k10, k11, … 8 more]"), "{m}");
    }
}
