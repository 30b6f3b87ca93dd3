//! What every view shares: the loaded session, the one selection all views follow, and the
//! navigation requests views make (open a trace, jump to a span, switch tab).

use std::sync::Arc;

pub use crate::query::{Selection, SelectionKey, Session, SessionIndex};

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
    /// Show the Services tab drawing what this filter chooses (`--view services:…`).
    ShowServices(crate::analysis::service_view::ServiceFilter),
}

/// The traces the Traces view's filters list, for the views that follow them (the flame
/// graph aggregates only these).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TraceFilter {
    /// Changes whenever the list may have changed; 0 when none was given.
    pub generation: u64,
    /// Sorted trace numbers; `None` when every trace is listed.
    pub traces: Option<Arc<[u32]>>,
    /// The spans the query bar's query matched (the flame chart outlines them); `None`
    /// without a query.
    pub matched: Option<Arc<crate::query::traceql::Matched>>,
}

/// What every view is drawn with: the session and its index, the app's selection, the
/// Traces view's filter, and the sink for the navigation it asks for.
pub struct ViewCtx<'a> {
    pub session: &'a Arc<Session>,
    pub selection: Selection,
    pub filter: TraceFilter,
    /// What the pointer was over at the end of the last frame, in whichever view: views
    /// outline it where they show it (a span hovered in Details is outlined in the Trace view).
    pub hovered: Selection,
    hover: Selection,
    nav: Vec<Nav>,
}

impl<'a> ViewCtx<'a> {
    pub fn new(session: &'a Arc<Session>, selection: Selection) -> Self {
        ViewCtx {
            session,
            selection,
            filter: TraceFilter::default(),
            hovered: Selection::None,
            hover: Selection::None,
            nav: Vec::new(),
        }
    }

    /// The context with `hovered` as last frame's hover.
    pub fn with_hover(self, hovered: Selection) -> Self {
        ViewCtx { hovered, ..self }
    }

    /// Notes that the pointer is over `s` in this frame.
    pub fn hover(&mut self, s: Selection) {
        self.hover = s;
    }

    /// What the pointer was over in this frame (`Selection::None` when over nothing).
    pub fn take_hover(&mut self) -> Selection {
        std::mem::take(&mut self.hover)
    }

    /// What the session's views look up.
    pub fn index(&self) -> &'a SessionIndex {
        &self.session.index
    }

    /// Asks the app for `nav` once the frame is drawn.
    pub fn navigate(&mut self, nav: Nav) {
        self.nav.push(nav);
    }

    /// Selects `s` (after the frame).
    pub fn select(&mut self, s: Selection) {
        self.navigate(Nav::Select(s));
    }

    /// Opens the trace of span `i` in the Trace tab, focused on it; nothing when the span is
    /// not in the session.
    pub fn open_span(&mut self, i: u32) {
        if let Some(trace) = self.session.trace_of(i) {
            self.navigate(Nav::OpenTrace {
                trace,
                focus_span: Some(i),
            });
        }
    }

    /// The navigation asked for so far.
    pub fn take_nav(&mut self) -> Vec<Nav> {
        std::mem::take(&mut self.nav)
    }
}

/// A tab's view (or the Details panel). It keeps its own view state (zoom, scroll, filters)
/// and draws from the shared session; it changes nothing outside itself and asks for
/// navigation through the context.
pub trait View {
    /// Called for every new session, a load or a live snapshot alike: the view drops what
    /// it derived from the old one and keeps what the user set up (camera, zoom, filters).
    fn reset(&mut self, session: &Arc<Session>);

    /// Draws the view.
    fn ui(&mut self, ui: &mut egui::Ui, ctx: &mut ViewCtx<'_>);
}
