//! A readable summary of the report (`analyze --format text`): the same content as the JSON
//! document, as aligned tables. Long lists are folded: identical chains are counted, and each
//! break kind lists its first `BREAKS_LISTED` breaks.

use std::fmt::Write;

use rustc_hash::FxHashMap;

use super::json::{ChainOut, Report};
use crate::analysis::breaks::Severity;

/// Breaks listed per kind; the JSON report has them all.
pub const BREAKS_LISTED: usize = 20;

/// The report as text.
pub fn render(r: &Report) -> String {
    let mut out = String::new();
    // Writing into a String cannot fail.
    let _ = write_report(&mut out, r);
    out
}

fn write_report(out: &mut String, r: &Report) -> std::fmt::Result {
    writeln!(out, "tracetopo report ({})", r.schema)?;

    writeln!(out, "\nInputs")?;
    let rows = r
        .inputs
        .iter()
        .map(|i| {
            vec![
                i.path.clone(),
                i.format.clone(),
                format!("{} spans", i.spans),
                format!("{} warnings", i.warnings),
            ]
        })
        .collect();
    table(out, None, rows, 2)?;

    let traced = r.services.iter().filter(|s| !s.is_virtual).count();
    let virtuals = r.services.len() - traced;
    writeln!(
        out,
        "\n{} spans in {} traces, {} services (+{} virtual peers), {} goroutine hops, {} breaks",
        r.spans,
        r.traces,
        traced,
        virtuals,
        r.goroutine_hops,
        r.breaks.len()
    )?;

    writeln!(out, "\nServices")?;
    let rows = r
        .services
        .iter()
        .map(|s| {
            let spans = if s.is_virtual {
                "virtual".to_string()
            } else {
                format!("{} spans", s.spans)
            };
            vec![s.name.to_string(), spans]
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
                vec![
                    e.from.to_string(),
                    "→".to_string(),
                    e.to.to_string(),
                    e.calls.to_string(),
                    e.errors.to_string(),
                    format!("{:.2}", e.p99_ms),
                    e.broken.to_string(),
                    e.unpaired.to_string(),
                ]
            })
            .collect();
        table(out, Some(&header), rows, 3)?;
    }

    writeln!(out, "\nConversions")?;
    if r.conversions.is_empty() {
        writeln!(out, "  none")?;
    } else {
        let rows = r
            .conversions
            .iter()
            .map(|c| {
                vec![
                    format!("{} → {}", c.from, c.to),
                    format!("{} calls", c.count),
                    format!("{} errors", c.errors),
                    format!("({})", c.services.join(", ")),
                ]
            })
            .collect();
        table(out, None, rows, 1)?;
    }

    writeln!(out, "\nConversion chains")?;
    write_chains(out, &r.conversion_chains)?;

    writeln!(out, "\nBreaks")?;
    if r.breaks.is_empty() {
        writeln!(out, "  none")?;
    }
    // Breaks are sorted by kind, so each kind is one run.
    for group in r.breaks.chunk_by(|a, b| a.kind == b.kind) {
        let Some(first) = group.first() else { continue };
        writeln!(
            out,
            "  {} ({}): {}",
            first.kind,
            severity_name(first.severity),
            group.len()
        )?;
        for b in group.iter().take(BREAKS_LISTED) {
            writeln!(
                out,
                "    {}  {:?}  trace {} span {}: {}",
                b.service, b.span_name, b.trace_id, b.span_id, b.message
            )?;
        }
        if group.len() > BREAKS_LISTED {
            writeln!(
                out,
                "    … and {} more (all are in --format json)",
                group.len() - BREAKS_LISTED
            )?;
        }
    }

    writeln!(out, "\nWarnings")?;
    if r.warnings.is_empty() {
        writeln!(out, "  none")?;
    }
    for w in r.warnings {
        writeln!(out, "  {w}")?;
    }
    Ok(())
}

/// Chains with the same types and services are one line with a count, most frequent first.
fn write_chains(out: &mut String, chains: &[ChainOut]) -> std::fmt::Result {
    if chains.is_empty() {
        return writeln!(out, "  none");
    }
    let mut counts: FxHashMap<(&[&str], &[&str]), usize> = FxHashMap::default();
    for c in chains {
        *counts.entry((&c.types, &c.services)).or_default() += 1;
    }
    let mut lines: Vec<_> = counts.into_iter().collect();
    lines.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    for ((types, services), n) in lines {
        write!(out, "  {}  ({})", types.join(" → "), services.join(" → "))?;
        if n > 1 {
            write!(out, "  ×{n}")?;
        }
        writeln!(out)?;
    }
    Ok(())
}

fn severity_name(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "info",
    }
}

/// Writes rows as aligned columns, indented and separated by two spaces; columns from `right_from` on are
/// right-aligned (numbers).
fn table(
    out: &mut String,
    header: Option<&[&str]>,
    rows: Vec<Vec<String>>,
    right_from: usize,
) -> std::fmt::Result {
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
    use super::super::json::{BreakOut, ServiceOut};
    use super::*;
    use crate::model::Input;

    fn report<'a>(inputs: &'a [Input], chains: Vec<ChainOut<'a>>) -> Report<'a> {
        Report {
            schema: super::super::json::SCHEMA,
            inputs,
            spans: 10,
            traces: 2,
            services: vec![
                ServiceOut {
                    name: "api-gateway",
                    spans: 6,
                    is_virtual: false,
                },
                ServiceOut {
                    name: "postgresql",
                    spans: 0,
                    is_virtual: true,
                },
            ],
            service_edges: vec![],
            conversions: vec![],
            conversion_chains: chains,
            goroutine_hops: 3,
            breaks: (0..BREAKS_LISTED + 2)
                .map(|k| BreakOut {
                    kind: "orphan_span",
                    severity: Severity::Error,
                    trace_id: "t".into(),
                    span_id: format!("{k:016x}"),
                    service: "user-svc",
                    span_name: "SELECT acme.users",
                    related_trace_id: None,
                    related_span_id: None,
                    message: "parent not loaded",
                })
                .collect(),
            warnings: &[],
        }
    }

    #[test]
    fn summary_reads_well() {
        let inputs = [Input {
            path: "a.json".into(),
            format: "otlp-json".into(),
            spans: 10,
            warnings: 0,
        }];
        let chain = |trace: &str| ChainOut {
            trace_id: trace.into(),
            span_ids: vec![],
            types: vec!["[]byte", "*dto.X", "*pb.Y"],
            services: vec!["api-gateway", "order-svc"],
        };
        let text = render(&report(&inputs, vec![chain("t1"), chain("t2")]));
        assert!(
            text.contains("\n  []byte → *dto.X → *pb.Y  (api-gateway → order-svc)  ×2\n"),
            "{text}"
        );
        assert!(text.contains(
            "10 spans in 2 traces, 1 services (+1 virtual peers), 3 goroutine hops, 22 breaks"
        ));
        assert!(
            text.contains("\n  api-gateway  6 spans\n  postgresql   virtual\n"),
            "{text}"
        );
        assert!(text.contains("\n  orphan_span (error): 22\n"));
        assert!(text.contains(
            "\n    user-svc  \"SELECT acme.users\"  trace t span 0000000000000000: parent not loaded\n"
        ));
        assert_eq!(text.matches("parent not loaded").count(), BREAKS_LISTED);
        assert!(text.contains("… and 2 more"));
        assert!(text.contains("\nService edges\n  none\n"));
    }

    #[test]
    fn table_aligns_numbers_right() {
        let mut out = String::new();
        let rows = vec![
            vec!["a".to_string(), "1".to_string()],
            vec!["longer".to_string(), "100".to_string()],
        ];
        table(&mut out, Some(&["name", "n"]), rows, 1).ok();
        assert_eq!(out, "  name      n\n  a         1\n  longer  100\n");
    }
}
