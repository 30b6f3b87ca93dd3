//! The query layer between the store and the views (store → query → view): a `Session` is an
//! indexed store, its analysis and a `SessionIndex` of everything the views look up, all built
//! together off the UI thread (the loader or the live snapshot thread) and then shared
//! read-only. Views ask the session; they never build an index or touch petgraph indices.

mod goroutines;
mod index;
mod selection;
mod subset;
pub mod traceql;

use std::sync::Arc;
use std::time::Instant;

pub use goroutines::GoroutineGroup;
/// Sessions of the bundled samples, for the app's and the query layer's unit tests.
#[cfg(test)]
pub(crate) use index::tests as testkit;
pub use index::{Bin, EdgeCalls, EdgeRef, LinkTarget, SessionIndex};
pub use selection::{Selection, SelectionKey};
pub use subset::GraphPart;

use crate::analysis::breaks::{Break, BreakKind};
use crate::analysis::{Analysis, Options};
use crate::live::collector::Arrivals;
use crate::model::Store;

/// An indexed store with its analysis and lookups. Built off the UI thread, then shared.
pub struct Session {
    pub store: Store,
    pub analysis: Analysis,
    pub opts: Options,
    /// What the views look up (breaks by span and trace, per-trace figures, chains by type,
    /// spans by service, per-edge calls, colours), with a generation number.
    pub index: SessionIndex,
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
        let index = SessionIndex::build(&store, &analysis);
        Arc::new(Session {
            store,
            analysis,
            opts,
            index,
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

    /// The number of trace `id` in `index.traces`.
    pub fn trace_number(&self, id: u128) -> Option<u32> {
        let traces = &self.store.index.traces;
        traces
            .binary_search_by_key(&id, |t| t.id)
            .ok()
            .map(|t| t as u32)
    }

    /// The name of traced service `s` (a number into `store.index.services`); "" if none.
    pub fn service_name(&self, s: u32) -> &str {
        let store = &self.store;
        store
            .index
            .services
            .get(s as usize)
            .map_or("", |&n| store.str(n))
    }

    /// The number of the traced service called `name` (services are sorted by name).
    pub fn service_named(&self, name: &str) -> Option<u32> {
        let store = &self.store;
        let services = &store.index.services;
        services
            .binary_search_by(|&s| store.str(s).cmp(name))
            .ok()
            .map(|k| k as u32)
    }
}
