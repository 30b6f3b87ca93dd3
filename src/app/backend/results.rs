//! The traces a search found (pick some to load), and the breaks whose other side the load
//! fetched from the backend.

use std::sync::Arc;

use egui::Ui;

use super::BackendPanel;
use crate::app::format;
use crate::app::state::{Nav, Session};

impl BackendPanel {
    pub(super) fn results_ui(&mut self, ui: &mut Ui) {
        if self.hits.is_empty() {
            if self.searching.is_none() {
                ui.weak("No results: search above.");
            }
            return;
        }
        if let Some(n) = &self.search_note {
            ui.label(n);
        }
        egui::ScrollArea::both()
            .id_salt("backend-results")
            .max_height(ui.available_height() * 0.7)
            .show(ui, |ui| {
                egui::Grid::new("backend-hits")
                    .striped(true)
                    .num_columns(6)
                    .show(ui, |ui| {
                        for h in [
                            "Trace",
                            "Root service",
                            "Name",
                            "Start (UTC)",
                            "Duration",
                            "Spans",
                        ] {
                            ui.strong(h);
                        }
                        ui.end_row();
                        for h in &self.hits {
                            let mut on = self.picked.contains(&h.trace_id);
                            // The id's first 8 digits, as Tempo's and Jaeger's lists show it.
                            let id = format!("{:032x}", h.trace_id);
                            let r = ui
                                .checkbox(&mut on, &id[..8])
                                .on_hover_text(format!("Trace {id}"));
                            if r.changed() {
                                if on {
                                    self.picked.insert(h.trace_id);
                                } else {
                                    self.picked.remove(&h.trace_id);
                                }
                            }
                            if h.root_service.is_empty() {
                                ui.weak("(root not received)");
                            } else {
                                ui.label(&h.root_service);
                            }
                            ui.label(&h.root_name);
                            // To the second: the rows are a list to choose from, the trace shows the rest.
                            ui.label(&format::utc(h.start_unix_nano)[..19]);
                            ui.label(format::duration(h.duration_ms.saturating_mul(1_000_000)));
                            match h.spans {
                                Some(n) => ui.label(n.to_string()),
                                None => ui.weak("?").on_hover_text(
                                    "this Tempo's search does not count spans (before 2.3): load the trace",
                                ),
                            };
                            ui.end_row();
                        }
                    });
            });
    }

    /// The breaks whose other side was fetched from the backend, each opening that trace.
    pub(super) fn other_half_ui(&self, ui: &mut Ui, session: Option<&Arc<Session>>) -> Vec<Nav> {
        let mut nav = Vec::new();
        let (Some(input), Some(s)) = (self.other_half, session) else {
            return nav;
        };
        let found: Vec<(usize, u32)> = s
            .analysis
            .breaks
            .iter()
            .enumerate()
            .filter_map(|(k, b)| {
                let fetched = std::iter::once(b.span)
                    .chain(b.related)
                    .find(|&i| s.store.span(i).input == input)?;
                Some((k, fetched))
            })
            .collect();
        if found.is_empty() {
            return nav;
        }
        ui.separator();
        ui.strong(format!(
            "The other half: {} with evidence from the backend",
            format::count(found.len() as u64, "break")
        ));
        for (k, span) in found {
            let b = &s.analysis.breaks[k];
            let sp = s.store.span(span);
            let id = format!("{:032x}", sp.trace_id);
            let text = format!(
                "{} → trace {} · {} · {}",
                b.kind.name(),
                &id[..8],
                s.store.service_name(span),
                s.store.str(sp.name)
            );
            if ui
                .link(text)
                .on_hover_text(format!("Open the fetched trace {id}"))
                .clicked()
                && let Ok(t) = s
                    .store
                    .index
                    .traces
                    .binary_search_by_key(&sp.trace_id, |t| t.id)
            {
                nav.push(Nav::OpenTrace {
                    trace: t as u32,
                    focus_span: Some(span),
                });
            }
        }
        nav
    }
}
