//! A readable summary of the report (`analyze --format text`): the same content as the JSON
//! document, as aligned tables, written as it is made. Long lists are folded: identical chains
//! are counted, and each break kind (in spec §5 order, as the app lists them) shows its first
//! `BREAKS_LISTED` breaks. Text from the input (names, messages, paths) is printed with its
//! control characters escaped (`crate::escape::terminal`).

use std::io::{self, Write};

use rustc_hash::FxHashMap;

use super::json::{Report, severity_name};
use crate::analysis::breaks::BreakKind;
use crate::escape::terminal;
use crate::units::{count, ms};

/// Breaks listed per kind; the JSON report has them all.
pub const BREAKS_LISTED: usize = 20;

/// The report as text, in memory (tests and small inputs).
pub fn render(r: &Report) -> String {
    let mut out = Vec::new();
    // Writing into a Vec cannot fail.
    let _ = write(&mut out, r);
    String::from_utf8_lossy(&out).into_owned()
}

/// Writes the report as text to `out`.
pub fn write(out: &mut impl Write, r: &Report) -> io::Result<()> {
    writeln!(out, "tracetopo report ({})", r.schema)?;

    writeln!(out, "\nInputs")?;
    let rows = r
        .inputs
        .iter()
        .map(|i| {
            vec![
                terminal(&i.path).into_owned(),
                terminal(&i.format).into_owned(),
                match i.logs {
                    0 => count(i.spans, "span"),
                    n => format!("{}, {}", count(i.spans, "span"), count(n, "log record")),
                },
                count(i.warnings, "warning"),
            ]
        })
        .collect();
    table(out, None, rows, 2)?;

    let traced = r.services.iter().filter(|s| !s.is_virtual).count() as u64;
    let virtuals = r.services.len() as u64 - traced;
    writeln!(
        out,
        "\n{} in {}, {} (+{}), {}, {}",
        count(r.spans, "span"),
        count(r.traces, "trace"),
        count(traced, "service"),
        count(virtuals, "virtual peer"),
        count(r.goroutine_hops, "goroutine hop"),
        count(r.break_count() as u64, "break"),
    )?;

    writeln!(out, "\nServices")?;
    let rows = r
        .services
        .iter()
        .map(|s| {
            let spans = if s.is_virtual {
                "virtual".to_string()
            } else {
                count(s.spans, "span")
            };
            vec![terminal(s.name).into_owned(), spans]
        })
        .collect();
    table(out, None, rows, 1)?;

    writeln!(out, "\nService edges")?;
    if r.service_edges.is_empty() {
        writeln!(out, "  none")?;
    } else {
        let header = [
            "from", "", "to", "calls", "errors", "p99 ms", "broken", "unpaired",
        ];
        let rows = r
            .service_edges
            .iter()
            .map(|e| {
                let f = e.figures;
                vec![
                    terminal(e.from).into_owned(),
                    "→".to_string(),
                    terminal(e.to).into_owned(),
                    f.calls.to_string(),
                    f.errors.to_string(),
                    ms(f.p99_ms),
                    f.broken.to_string(),
                    f.unpaired.to_string(),
                ]
            })
            .collect();
        table(out, Some(&header), rows, 3)?;
        // Calls made by span links, under the table so reports without links read as before.
        for e in r.service_edges.iter().filter(|e| e.figures.linked > 0) {
            writeln!(
                out,
                "  {} → {}: {} by span links (asynchronous)",
                terminal(e.from),
                terminal(e.to),
                count(e.figures.linked, "call")
            )?;
        }
    }

    writeln!(out, "\nConversions")?;
    if r.conversions.is_empty() {
        writeln!(out, "  none")?;
    } else {
        let rows = r
            .conversions
            .iter()
            .map(|c| {
                let services: Vec<_> = c.services.iter().map(|s| terminal(s)).collect();
                vec![
                    terminal(&format!("{} → {}", c.from, c.to)).into_owned(),
                    count(c.count, "call"),
                    count(c.errors, "error"),
                    format!("({})", services.join(", ")),
                ]
            })
            .collect();
        table(out, None, rows, 1)?;
    }

    writeln!(out, "\nConversion chains")?;
    write_chains(out, r)?;

    writeln!(out, "\nLogs")?;
    let l = &r.logs;
    if l.records == 0 {
        writeln!(out, "  none")?;
    } else {
        writeln!(
            out,
            "  {}: {} joined to their span, {} to their trace only, {} of traces not loaded \
             (sampled out, lost, or in another file), {} without a trace id",
            count(l.records, "log record"),
            l.joined_to_span,
            l.joined_to_trace,
            l.unknown_trace,
            l.without_trace
        )?;
    }

    writeln!(out, "\nBreaks")?;
    if r.break_count() == 0 {
        writeln!(out, "  none")?;
    }
    for kind in BreakKind::ALL {
        let group = r.breaks_of(kind);
        let n = group.len();
        if n == 0 {
            continue;
        }
        writeln!(
            out,
            "  {} ({}): {n}",
            kind.name(),
            severity_name(kind.severity())
        )?;
        for b in group.take(BREAKS_LISTED) {
            writeln!(
                out,
                "    {}  {:?}  trace {} span {}: {}",
                terminal(b.service),
                b.span_name,
                b.trace_id,
                b.span_id,
                terminal(&b.message)
            )?;
        }
        if n > BREAKS_LISTED {
            writeln!(
                out,
                "    … and {} more (all are in --format json)",
                n - BREAKS_LISTED
            )?;
        }
    }

    writeln!(out, "\nWarnings")?;
    if r.warnings.is_empty() {
        writeln!(out, "  none")?;
    }
    for w in r.warnings {
        writeln!(out, "  {}", terminal(&w.to_string()))?;
    }
    Ok(())
}

/// Chains with the same types and services are one line with a count, most frequent first.
fn write_chains(out: &mut impl Write, r: &Report) -> io::Result<()> {
    if r.chain_count() == 0 {
        return writeln!(out, "  none");
    }
    let mut counts: FxHashMap<(Vec<&str>, Vec<&str>), u64> = FxHashMap::default();
    for c in r.chains() {
        *counts.entry((c.types, c.services)).or_default() += 1;
    }
    let mut lines: Vec<_> = counts.into_iter().collect();
    lines.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    for ((types, services), n) in lines {
        let line = format!("{}  ({})", types.join(" → "), services.join(" → "));
        write!(out, "  {}", terminal(&line))?;
        if n > 1 {
            write!(out, "  ×{n}")?;
        }
        writeln!(out)?;
    }
    Ok(())
}

/// Writes rows as aligned columns, indented and separated by two spaces; columns from `right_from` on are
/// right-aligned (numbers).
fn table(
    out: &mut impl Write,
    header: Option<&[&str]>,
    rows: Vec<Vec<String>>,
    right_from: usize,
) -> io::Result<()> {
    let header: Option<Vec<String>> = header.map(|h| h.iter().map(|s| s.to_string()).collect());
    let all: Vec<&Vec<String>> = header.iter().chain(rows.iter()).collect();
    let cols = all.iter().map(|r| r.len()).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|c| {
            all.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in all {
        let mut line = String::new();
        for (c, (cell, &w)) in row.iter().zip(&widths).enumerate() {
            let pad = w.saturating_sub(cell.chars().count());
            line.push_str("  ");
            if c >= right_from {
                line.extend(std::iter::repeat_n(' ', pad));
                line.push_str(cell);
            } else {
                line.push_str(cell);
                line.extend(std::iter::repeat_n(' ', pad));
            }
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::testkit::Kit;
    use crate::analysis::{Analysis, Options};
    use crate::model::{SpanKind, Store};

    /// A gateway request (10–100 ms) whose child in user-svc starts 5 ms before it (one
    /// `clock_skew`), and `orphans` spans of user-svc whose parent never arrived (one
    /// `orphan_span` each). `user` names the second service.
    fn store(orphans: u64, user: &str, span_name: &str) -> Store {
        let mut kit = Kit::new();
        let gw = kit.batch.add_service_resource("api-gateway");
        let us = kit.batch.add_service_resource(user);
        let mut push = |res, id, parent, times, kind, name: &str| {
            kit.span(res, 0xfeed, id, parent, times, kind, name, &[]);
        };
        push(gw, 1, 0, (10, 100), SpanKind::Server, "GET /users");
        push(us, 2, 1, (5, 50), SpanKind::Server, "GetUser");
        for k in 0..orphans {
            push(us, 100 + k, 0xdead, (20, 30), SpanKind::Internal, span_name);
        }
        kit.store_as("a.json")
    }

    fn text(store: &Store) -> String {
        let analysis = Analysis::run(store, &Options::default());
        render(&Report::build(store, &analysis))
    }

    #[test]
    fn summary_reads_well() {
        let n = BREAKS_LISTED as u64 + 2;
        let text = text(&store(n, "user-svc", "SELECT acme.users"));
        assert!(
            text.contains("\n  a.json  otlp-json  24 spans  0 warnings\n"),
            "{text}"
        );
        assert!(
            text.contains("\n24 spans in 1 trace, 2 services (+0 virtual peers), "),
            "{text}"
        );
        assert!(text.contains(", 23 breaks\n"), "{text}");
        assert!(
            text.contains("\n  api-gateway    1 span\n  user-svc     23 spans\n"),
            "{text}"
        );
        assert!(text.contains("\n  orphan_span (error): 22\n"), "{text}");
        assert!(text.contains(&format!(
            "\n    user-svc  \"SELECT acme.users\"  trace {:032x} span {:016x}: ",
            0xfeed, 100
        )));
        assert_eq!(
            text.matches("\"SELECT acme.users\"  trace").count(),
            BREAKS_LISTED
        );
        assert!(text.contains("    … and 2 more (all are in --format json)\n"));
        assert!(text.contains("\nConversions\n  none\n"));
    }

    #[test]
    fn counts_of_one_are_singular() {
        let text = text(&store(0, "user-svc", "x"));
        assert!(
            text.contains(
                "\n2 spans in 1 trace, 2 services (+0 virtual peers), 0 goroutine hops, 1 break\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("  a.json  otlp-json  2 spans  0 warnings"),
            "{text}"
        );
    }

    #[test]
    fn break_kinds_come_in_spec_order() {
        // Alphabetically clock_skew would come first; spec §5 (and the app) list orphans first.
        let text = text(&store(1, "user-svc", "x"));
        let orphan = text.find("  orphan_span (error): 1\n");
        let skew = text.find("  clock_skew (info): 1\n");
        assert!(orphan.is_some() && skew.is_some(), "{text}");
        assert!(orphan < skew, "{text}");
    }

    #[test]
    fn control_characters_are_escaped() {
        let text = text(&store(1, "evil\u{1b}[2J\rsvc\u{9b}", "q\u{1b}]0;x\u{7}"));
        assert!(
            !text.chars().any(|c| c.is_control() && c != '\n'),
            "{text:?}"
        );
        assert!(text.contains("evil\\u{1b}[2J\\rsvc\\u{9b}"), "{text}");
        assert!(text.contains("\"q\\u{1b}]0;x\\u{7}\""), "{text}");
    }

    #[test]
    fn table_aligns_numbers_right() {
        let mut out = Vec::new();
        let rows = vec![
            vec!["a".to_string(), "1".to_string()],
            vec!["longer".to_string(), "100".to_string()],
        ];
        table(&mut out, Some(&["name", "n"]), rows, 1).ok();
        assert_eq!(out, b"  name      n\n  a         1\n  longer  100\n");
    }
}
