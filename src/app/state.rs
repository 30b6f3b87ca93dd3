//! What every view shares: the loaded session, the one selection all views follow, and the
//! navigation requests views make (open a trace, jump to a span, switch tab).

use std::sync::Arc;
use std::time::Instant;

use crate::analysis::breaks::{Break, BreakKind};
use crate::analysis::trace_summary::{self, TraceSummary};
use crate::analysis::{Analysis, Options};
use crate::live::collector::Arrivals;
use crate::model::Store;

/// An indexed store with its analysis. Built off the UI thread, then shared read-only.
pub struct Session {
    pub store: Store,
    pub analysis: Analysis,
    pub opts: Options,
    /// One summary row per trace (`index.traces` order), built with the session so that the
    /// Traces view never computes it on the UI thread.
    pub traces: Arc<[TraceSummary]>,
    /// For a live session: when each trace last received spans.
    pub live: Option<Arrivals>,
}

impl Session {
    /// Indexes `store` and analyses it (call off the UI thread: this is the heavy part).
    pub fn build(store: Store, opts: Options) -> Arc<Session> {
        Self::build_with(store, opts, None)
    }

    /// Same, for a snapshot of the live store.
    pub fn build_with(mut store: Store, opts: Options, live: Option<Arrivals>) -> Arc<Session> {
        store.build_index();
        let analysis = Analysis::run(&store, &opts);
        let traces = trace_summary::summarize(&store, &analysis.breaks).into();
        Arc::new(Session {
            store,
            analysis,
            opts,
            traces,
            live,
        })
    }

    /// A live break that data still on its way could undo (a parent or a server span that
    /// has not arrived yet) is pending while its trace keeps receiving spans.
    pub fn is_pending(&self, b: &Break, now: Instant) -> bool {
        let Some(live) = &self.live else {
            return false;
        };
        matches!(
            b.kind,
            BreakKind::OrphanSpan | BreakKind::PropagationBreak | BreakKind::UnmatchedClient
        ) && live.recent(self.store.span(b.span).trace_id, now)
    }

    /// How many breaks are pending now.
    pub fn pending_breaks(&self, now: Instant) -> usize {
        if self.live.is_none() {
            return 0;
        }
        let breaks = &self.analysis.breaks;
        breaks.iter().filter(|b| self.is_pending(b, now)).count()
    }
}

/// The tabs of the main window. Names match the `--view` names of spec §6.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tab {
    #[default]
    Traces,
    Trace,
    Flame,
    Services,
    Types,
    Breaks,
    Logs,
}

impl Tab {
    pub const ALL: [Tab; 7] = [
        Tab::Traces,
        Tab::Trace,
        Tab::Flame,
        Tab::Services,
        Tab::Types,
        Tab::Breaks,
        Tab::Logs,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Tab::Traces => "Traces",
            Tab::Trace => "Trace",
            Tab::Flame => "Flame graph",
            Tab::Services => "Services",
            Tab::Types => "Types",
            Tab::Breaks => "Breaks",
            Tab::Logs => "Logs",
        }
    }

    /// The `--view` name (spec §6).
    pub fn view_name(self) -> &'static str {
        match self {
            Tab::Traces => "traces",
            Tab::Trace => "trace",
            Tab::Flame => "flame",
            Tab::Services => "services",
            Tab::Types => "types",
            Tab::Breaks => "breaks",
            Tab::Logs => "logs",
        }
    }
}

/// The one selection every view highlights and the Details panel describes. Indexes are into
/// the session's store and analysis (`Store::spans`, `index.traces`, the graphs' node and edge
/// indexes, `Analysis::chains`, `Analysis::breaks`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Selection {
    #[default]
    None,
    Trace(u32),
    Span(u32),
    /// A node of the service graph.
    Service(u32),
    /// An edge of the service graph.
    ServiceEdge(u32),
    /// A node of the type-flow graph.
    Type(u32),
    /// An edge of the type-flow graph.
    TypeEdge(u32),
    Chain(u32),
    Break(u32),
}

/// What a view asks the app to do after drawing (views never change other views' state).
#[derive(Debug, Clone, PartialEq)]
pub enum Nav {
    Select(Selection),
    /// Open trace `index.traces[t]` in the Trace tab, optionally focused on a span.
    OpenTrace {
        trace: u32,
        focus_span: Option<u32>,
    },
    /// Show the Traces tab filtered to traces containing this (service, span name) frame path.
    FilterTracesByFrame(Vec<(String, String)>),
    SwitchTab(Tab),
}

/// A tab's view. It keeps its own view state (zoom, scroll, filters) and draws from the shared
/// session; it changes nothing outside itself and asks for navigation through `Nav`.
pub trait View {
    /// Called when a new session replaces the old one (views drop caches tied to it).
    fn reset(&mut self, session: &Arc<Session>);

    /// Draws the view. `selection` is the app's current selection.
    fn ui(&mut self, ui: &mut egui::Ui, session: &Arc<Session>, selection: Selection) -> Vec<Nav>;
}
