//! The search form (TraceQL for Tempo; service, operation, attributes and duration for Jaeger;
//! time presets and a limit) and the query it makes.

use std::time::SystemTime;

use egui::Ui;

use super::BackendPanel;
use crate::app::widgets::labelled_field;
use crate::backend::{self, Kind, Query, Window};

/// The largest limit the panel asks for: one search lists at most this many traces.
pub const MAX_LIMIT: u32 = 1000;

/// The time range searched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Range {
    Last(u64),
    Custom,
}

const PRESETS: [(&str, u64); 4] = [
    ("15 min", 900),
    ("1 h", 3600),
    ("6 h", 6 * 3600),
    ("24 h", 24 * 3600),
];

/// The search form.
#[derive(Debug, Clone)]
pub struct SearchForm {
    pub traceql: String,
    pub service: String,
    pub operation: String,
    /// `key=value` pairs separated by spaces, as Jaeger's UI takes them.
    pub attributes: String,
    pub duration_min: String,
    pub duration_max: String,
    pub range: Range,
    /// RFC 3339 or Unix seconds.
    pub custom_start: String,
    pub custom_end: String,
    pub limit: u32,
}

impl Default for SearchForm {
    fn default() -> Self {
        SearchForm {
            traceql: "{}".to_string(),
            service: String::new(),
            operation: String::new(),
            attributes: String::new(),
            duration_min: String::new(),
            duration_max: String::new(),
            range: Range::Last(3600),
            custom_start: String::new(),
            custom_end: String::new(),
            limit: 20,
        }
    }
}

impl SearchForm {
    fn window(&self, now: SystemTime) -> Result<Window, String> {
        match self.range {
            Range::Last(s) => {
                let end = now
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs() as i64);
                Ok(Window {
                    start: end - s as i64,
                    end,
                })
            }
            Range::Custom => {
                let start =
                    backend::parse_time(&self.custom_start).map_err(|e| format!("From: {e}"))?;
                let end = backend::parse_time(&self.custom_end).map_err(|e| format!("To: {e}"))?;
                if end < start {
                    return Err("the range ends before it starts".to_string());
                }
                Ok(Window { start, end })
            }
        }
    }

    /// The query for `kind`: at most `limit` traces, newest first.
    pub fn query(&self, kind: Kind, now: SystemTime) -> Result<Query, String> {
        let nonempty = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        let limit = self.limit.clamp(1, MAX_LIMIT);
        let mut q = Query {
            window: Some(self.window(now)?),
            limit,
            max_traces: limit as usize,
            ..Query::default()
        };
        match kind {
            Kind::Tempo => q.traceql = nonempty(&self.traceql),
            Kind::Jaeger => {
                // No service: every service the backend lists, as the CLI does.
                q.service = nonempty(&self.service);
                q.operation = nonempty(&self.operation);
                for pair in self.attributes.split_whitespace() {
                    let Some((k, v)) = pair.split_once('=').filter(|(k, _)| !k.is_empty()) else {
                        return Err(format!("attribute \"{pair}\" is not key=value"));
                    };
                    q.attributes.push((k.to_string(), v.to_string()));
                }
                let duration =
                    |d: &str| nonempty(d).map(|d| backend::parse_duration(&d)).transpose();
                q.min_duration = duration(&self.duration_min)?;
                q.max_duration = duration(&self.duration_max)?;
            }
        }
        Ok(q)
    }
}

impl BackendPanel {
    pub(super) fn tempo_form(&mut self, ui: &mut Ui) {
        let l = ui.label("TraceQL");
        ui.add(
            egui::TextEdit::multiline(&mut self.search.traceql)
                .code_editor()
                .desired_rows(2)
                .desired_width(f32::INFINITY),
        )
        .labelled_by(l.id);
    }

    pub(super) fn jaeger_form(&mut self, ui: &mut Ui) {
        let Some(c) = &self.conn else { return };
        let before = self.search.service.clone();
        egui::Grid::new("jaeger-search")
            .num_columns(2)
            .show(ui, |ui| {
                let hint = Some("One search per service the backend lists");
                let service = &mut self.search.service;
                one_or_all(ui, "Service", service, &c.services, hint);
                let operation = &mut self.search.operation;
                one_or_all(ui, "Operation", operation, &c.operations, None);
                for (label, value, hint) in [
                    (
                        "Attributes",
                        &mut self.search.attributes,
                        "http.status_code=500",
                    ),
                    ("Min duration", &mut self.search.duration_min, "100ms"),
                    ("Max duration", &mut self.search.duration_max, "2s"),
                ] {
                    let width = ui.spacing().text_edit_width;
                    labelled_field(ui, label, value, hint, width);
                    ui.end_row();
                }
            });
        if self.search.service != before {
            self.search.operation.clear();
            self.list_operations();
        }
    }

    pub(super) fn range_ui(&mut self, ui: &mut Ui) {
        ui.horizontal(|ui| {
            ui.label("Last");
            for (name, secs) in PRESETS {
                ui.selectable_value(&mut self.search.range, Range::Last(secs), name);
            }
            ui.selectable_value(&mut self.search.range, Range::Custom, "Custom");
        });
        if self.search.range == Range::Custom {
            ui.horizontal(|ui| {
                let (from, to) = (&mut self.search.custom_start, &mut self.search.custom_end);
                labelled_field(ui, "From", from, "2026-11-28T10:00:00Z", 160.0);
                labelled_field(ui, "To", to, "2026-11-28T11:00:00Z", 160.0);
            });
        }
    }
}

/// A grid row: `label` and a list of `options` plus "all" (the empty value), whose entry says
/// `all_hint` when hovered.
fn one_or_all(
    ui: &mut Ui,
    label: &str,
    value: &mut String,
    options: &[String],
    all_hint: Option<&str>,
) {
    let l = ui.label(label);
    let shown = if value.is_empty() {
        "all"
    } else {
        value.as_str()
    }
    .to_string();
    egui::ComboBox::from_id_salt(format!("jaeger-{}", label.to_lowercase()))
        .selected_text(shown)
        .width(260.0)
        .show_ui(ui, |ui| {
            let all = ui.selectable_value(value, String::new(), "all");
            if let Some(hint) = all_hint {
                all.on_hover_text(hint);
            }
            for o in options {
                ui.selectable_value(value, o.clone(), o);
            }
        })
        .response
        .labelled_by(l.id);
    ui.end_row();
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn the_form_makes_the_query() {
        let now = std::time::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let mut f = SearchForm {
            range: Range::Last(900),
            limit: 5000,
            traceql: "  ".into(),
            ..SearchForm::default()
        };
        let q = f.query(Kind::Tempo, now).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            q.window,
            Some(Window {
                start: 1_700_000_000 - 900,
                end: 1_700_000_000
            })
        );
        assert_eq!((q.limit, q.max_traces), (MAX_LIMIT, MAX_LIMIT as usize));
        assert_eq!(q.traceql, None);

        f.range = Range::Custom;
        f.custom_start = "2023-11-14T22:13:20Z".into();
        f.custom_end = "1700000060".into();
        f.service = "checkout".into();
        f.attributes = "http.method=GET  peer=a=b".into();
        f.duration_min = "150ms".into();
        let q = f.query(Kind::Jaeger, now).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            q.window,
            Some(Window {
                start: 1_700_000_000,
                end: 1_700_000_060
            })
        );
        assert_eq!(q.service.as_deref(), Some("checkout"));
        assert_eq!(
            q.attributes,
            vec![
                ("http.method".to_string(), "GET".to_string()),
                ("peer".to_string(), "a=b".to_string())
            ]
        );
        assert_eq!(q.min_duration, Some(Duration::from_millis(150)));
        assert_eq!(q.max_duration, None);

        for (field, bad) in [("attributes", "=x"), ("duration", "soon"), ("range", "")] {
            let mut g = f.clone();
            match field {
                "attributes" => g.attributes = bad.into(),
                "duration" => g.duration_max = bad.into(),
                _ => g.custom_end = "1699999999".into(),
            }
            assert!(g.query(Kind::Jaeger, now).is_err(), "{field} {bad:?}");
        }
    }
}
