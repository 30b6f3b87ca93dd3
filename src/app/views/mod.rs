//! The views, one file per tab (named after it) plus the Details panel, and `Views`, the
//! registry that gives each a new session the same way, whether it comes from a file load or
//! a live snapshot.

pub mod breaks;
pub mod details;
pub mod flame;
pub mod services;
pub mod trace;
mod trace_paint;
pub mod traces;
pub mod types;

use std::sync::Arc;

use super::state::{Session, Tab, View, ViewCtx};
use breaks::BreaksView;
use details::Details;
use flame::FlameGraphView;
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
    pub details: Details,
    /// The Traces view's filter generation the flame graph was last given.
    flame_filter: Option<u64>,
}

impl Views {
    /// Gives every view the new session (views keep what the user set up: filters, zoom,
    /// camera, folded groups).
    pub fn reset(&mut self, session: &Arc<Session>) {
        for v in self.all() {
            v.reset(session);
        }
        // The flame graph takes the Traces view's list again (trace numbers moved).
        self.flame_filter = None;
    }

    fn all(&mut self) -> [&mut dyn View; 7] {
        [
            &mut self.traces,
            &mut self.trace,
            &mut self.flame,
            &mut self.services,
            &mut self.types,
            &mut self.breaks,
            &mut self.details,
        ]
    }

    /// Draws the view of `tab`.
    pub fn tab_ui(&mut self, tab: Tab, ui: &mut egui::Ui, ctx: &mut ViewCtx<'_>) {
        if tab == Tab::Flame {
            // The flame graph aggregates the traces the Traces view lists.
            let generation = self.traces.generation();
            if self.flame_filter != Some(generation) {
                self.flame.set_trace_filter(self.traces.filtered_traces());
                self.flame_filter = Some(generation);
            }
        }
        let view: &mut dyn View = match tab {
            Tab::Traces => &mut self.traces,
            Tab::Trace => &mut self.trace,
            Tab::Flame => &mut self.flame,
            Tab::Services => &mut self.services,
            Tab::Types => &mut self.types,
            Tab::Breaks => &mut self.breaks,
        };
        view.ui(ui, ctx);
    }
}
