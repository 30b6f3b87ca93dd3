//! The Types tab: the type-flow graph drawn from its layered layout (`app::canvas`); a
//! selected type lists the conversion chains through it, a selected chain is highlighted.

use std::sync::Arc;

use egui::Pos2;

use crate::app::canvas::{Canvas, Highlight, Hit};
use crate::app::exporter::Exporter;
use crate::app::state::{Selection, Session, View, ViewCtx};
use crate::export::ExportView;
use crate::units::{count, duration};

/// The smallest zoom Fit picks for the type graph.
const TYPES_MIN_FIT_ZOOM: f32 = 0.8;

/// The `Tab::Types` view.
pub struct TypesView {
    canvas: Canvas,
    exporter: Exporter,
}

impl Default for TypesView {
    fn default() -> Self {
        Self::new()
    }
}

impl TypesView {
    pub fn new() -> Self {
        TypesView {
            // Type names stay legible however long the chains: at least 0.8 of their size.
            canvas: Canvas::new(ExportView::Types).with_min_fit_zoom(TYPES_MIN_FIT_ZOOM),
            exporter: Exporter::default(),
        }
    }

    pub fn is_laid_out(&self) -> bool {
        self.canvas.is_laid_out()
    }

    /// Screen position of type node `k`'s centre in the last frame.
    pub fn node_screen_pos(&self, k: usize) -> Option<Pos2> {
        self.canvas.node_screen_pos(k)
    }

    fn chain_panel(ui: &mut egui::Ui, ty: u32, ctx: &mut ViewCtx<'_>) {
        let (session, selection) = (ctx.session, ctx.selection);
        let list: Vec<u32> = ctx.index().chains_through(ty).collect();
        ui.heading(session.type_name(ty));
        ui.label(format!(
            "{} through this type",
            count(list.len() as u64, "chain")
        ));
        ui.separator();
        egui::ScrollArea::vertical()
            .id_salt("type-chains")
            .show(ui, |ui| {
                for c in list {
                    let Some(chain) = session.chain(c) else {
                        continue;
                    };
                    let services = session.service_names(&chain.services);
                    let text = format!("{}\n  in {}", session.chain_text(c), services.join(" → "));
                    if ui
                        .selectable_label(selection == Selection::Chain(c), text)
                        .clicked()
                    {
                        ctx.select(Selection::Chain(c));
                    }
                }
            });
    }
}

impl View for TypesView {
    fn reset(&mut self, session: &Arc<Session>) {
        self.canvas.reset(session);
    }

    fn ui(&mut self, ui: &mut egui::Ui, ctx: &mut ViewCtx<'_>) {
        let (session, selection) = (ctx.session, ctx.selection);
        ui.horizontal(|ui| {
            self.canvas.fit_button(ui);
            self.exporter.menu(ui, session, ExportView::Types, "types");
        });
        let mut hl = Highlight::default();
        match selection {
            Selection::Type(t) => {
                hl.nodes.push(t as usize);
                egui::Panel::right("type-chains")
                    .default_size(320.0)
                    .show(ui, |ui| Self::chain_panel(ui, t, ctx));
            }
            Selection::TypeEdge(e) => hl.edges.push(e as usize),
            Selection::Chain(c) => {
                let types = session.chain_types(c);
                hl.nodes.extend(types.iter().map(|&t| t as usize));
                let edges = types
                    .windows(2)
                    .filter_map(|w| session.find_type_edge(w[0], w[1]));
                hl.edges.extend(edges.map(|e| e as usize));
            }
            _ => {}
        }
        let events = self.canvas.ui(ui, &hl);
        if let Some(s) = events.clicked_selection(Selection::Type, Selection::TypeEdge) {
            ctx.select(s);
        }
        // A type name cut with … is whole on hover.
        if let Some(Hit::Node(k)) = events.hovered {
            events.tooltip(format!(
                "{}\nclick for the chains through it",
                session.type_name(k as u32)
            ));
        }
        if let Some(Hit::Edge(k)) = events.hovered
            && let Some(e) = session.type_edge(k as u32)
        {
            let w = e.weight;
            let services = session.service_names(&w.services);
            events.tooltip(format!(
                "{} → {}\n{} conversions · {} errors · {} total\nin {}",
                e.from_name,
                e.to_name,
                w.count,
                w.errors,
                duration(w.total_ns),
                services.join(", ")
            ));
        }
    }
}
