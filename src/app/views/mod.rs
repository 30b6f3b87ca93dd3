//! The views, one file per tab (named after it) plus the Details panel, and `Views`, the
//! registry that gives each a new session the same way, whether it comes from a file load or
//! a live snapshot.

pub mod breaks;
pub mod details;
pub mod flame;
mod lanes_paint;
pub mod log_ticks;
pub mod logs;
pub mod query_bar;
pub mod services;
pub mod trace;
mod trace_paint;
pub mod traces;
pub mod types;

use std::sync::Arc;

use super::state::{Session, Tab, TraceFilter, View, ViewCtx};
use breaks::BreaksView;
use details::Details;
use flame::FlameGraphView;
use logs::LogsView;
use services::ServicesView;
use trace::FlameChartView;
use traces::TracesView;
use types::TypesView;

/// Every view of the window.
#[derive(Default)]
pub struct Views {
    pub traces: TracesView,
    pub trace: FlameChartView,
    pub flame: FlameGraphView,
    pub services: ServicesView,
    pub types: TypesView,
    pub breaks: BreaksView,
    pub logs: LogsView,
    pub details: Details,
    /// The Traces view's list as last taken, and the generation it was taken at.
    listed: Option<TraceFilter>,
}

impl Views {
    /// Gives every view the new session (views keep what the user set up: filters, zoom,
    /// camera, folded groups).
    pub fn reset(&mut self, session: &Arc<Session>) {
        for v in self.all() {
            v.reset(session);
        }
        // The Traces view's list is taken again (trace numbers moved).
        self.listed = None;
    }

    fn all(&mut self) -> [&mut dyn View; 8] {
        [
            &mut self.traces,
            &mut self.trace,
            &mut self.flame,
            &mut self.services,
            &mut self.types,
            &mut self.breaks,
            &mut self.logs,
            &mut self.details,
        ]
    }

    /// Draws the view of `tab`, with the Traces view's filter.
    pub fn tab_ui(&mut self, tab: Tab, ui: &mut egui::Ui, ctx: &mut ViewCtx<'_>) {
        // Never 0: a list was given.
        let generation = self.traces.generation() + 1;
        let listed = match self.listed.take() {
            Some(f) if f.generation == generation => f,
            _ => TraceFilter {
                generation,
                traces: self.traces.filtered_traces().map(Arc::from),
                matched: self.traces.matched().map(Arc::clone),
            },
        };
        ctx.filter = listed.clone();
        self.listed = Some(listed);
        let view: &mut dyn View = match tab {
            Tab::Traces => &mut self.traces,
            Tab::Trace => &mut self.trace,
            Tab::Flame => &mut self.flame,
            Tab::Services => &mut self.services,
            Tab::Types => &mut self.types,
            Tab::Breaks => &mut self.breaks,
            Tab::Logs => &mut self.logs,
        };
        view.ui(ui, ctx);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::state::Selection;
    use crate::query::testkit::broken;

    /// Draws `tab` of `views` once, headless.
    fn draw(views: &mut Views, tab: Tab, session: &Arc<Session>) {
        let ctx = egui::Context::default();
        let mut out = ctx.run_ui(egui::RawInput::default(), |ui| {
            views.tab_ui(tab, ui, &mut ViewCtx::new(session, Selection::None));
        });
        // No renderer to upload the font texture to.
        out.textures_delta.clear();
    }

    /// The flame graph aggregates what the Traces view lists, through the view context, and
    /// takes the list again after a new session.
    #[test]
    fn the_flame_graph_follows_the_traces_filter() {
        let session = broken();
        let mut views = Views::default();
        views.reset(&session);
        views.traces.filter.errors_only = true;
        draw(&mut views, Tab::Traces, &session);
        let listed = views.traces.listed().count();
        let all = session.store.index.traces.len();
        assert!(listed > 0 && listed < all, "{listed} of {all}");
        draw(&mut views, Tab::Flame, &session);
        assert_eq!(views.flame.graph().map(|g| g.traces), Some(listed));

        let next = broken();
        views.reset(&next);
        views.traces.filter.errors_only = false;
        draw(&mut views, Tab::Traces, &next);
        draw(&mut views, Tab::Flame, &next);
        assert_eq!(views.flame.graph().map(|g| g.traces), Some(all));
    }
}
