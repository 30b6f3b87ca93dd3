//! Analysis over an indexed `Store`: graphs and breaks. Knows nothing of files, sockets or UI.

pub mod breaks;
pub mod chains;
pub mod conversion;
pub mod flame;
pub mod keys;
pub mod lanes;
pub mod layout;
pub mod links;
pub mod peer;
pub mod service_view;
pub mod services;
pub mod span_graph;
pub mod trace_summary;
pub mod types;

#[cfg(any(test, feature = "testkit"))]
pub mod testkit;

use crate::model::Store;
use breaks::Break;
use chains::Chain;
use keys::Keys;
use links::SpanLinks;
use services::ServiceGraph;
use types::TypeGraph;

/// Settings shared by every analysis.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Time comparisons tolerate this much (spec §5: default 1 ms).
    pub tolerance_ns: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            tolerance_ns: 1_000_000,
        }
    }
}

/// Everything the report and the views show about one indexed store.
#[derive(Debug, Clone)]
pub struct Analysis {
    pub services: ServiceGraph,
    pub types: TypeGraph,
    pub chains: Vec<Chain>,
    pub goroutine_hops: u64,
    pub breaks: Vec<Break>,
    /// The span links whose target is loaded, both ways.
    pub links: SpanLinks,
}

impl Analysis {
    /// Finds the breaks of an indexed `store` and builds every graph around them.
    pub fn run(store: &Store, opts: &Options) -> Self {
        Self::build(store, opts, |links| {
            breaks::find_breaks_linked(store, opts, links)
        })
    }

    /// Builds the graphs of an indexed `store` around `breaks` found by the break detectors
    /// (the service graph follows their `propagation_break` stitches).
    pub fn with_breaks(store: &Store, opts: &Options, breaks: Vec<Break>) -> Self {
        Self::build(store, opts, move |_| breaks)
    }

    /// The independent parts run side by side: breaks then the service graph (which follows
    /// the stitches), beside the type graph, its chains and the goroutine-hop count.
    fn build(
        store: &Store,
        opts: &Options,
        breaks: impl FnOnce(&SpanLinks) -> Vec<Break> + Send,
    ) -> Self {
        let keys = Keys::new(store);
        let ((breaks, services, links), ((types, chains), goroutine_hops)) = rayon::join(
            || {
                let links = SpanLinks::build(store);
                let breaks = breaks(&links);
                let services = ServiceGraph::build(store, &keys, &breaks, &links);
                (breaks, services, links)
            },
            || {
                rayon::join(
                    || {
                        let types = TypeGraph::build(store);
                        let chains = chains::find_chains(store, &types, opts);
                        (types, chains)
                    },
                    || span_graph::count_goroutine_hops(store),
                )
            },
        );
        Analysis {
            services,
            types,
            chains,
            goroutine_hops,
            breaks,
            links,
        }
    }
}

/// The values of `pairs` (sorted by key) under `key`: span links and the query index keep
/// their one-to-many lookups as such sorted lists, as do the flame index's breaks and stitches.
pub(crate) fn under<V: Copy>(pairs: &[(u32, V)], key: u32) -> impl Iterator<Item = V> + '_ {
    let from = pairs.partition_point(|&(k, _)| k < key);
    pairs[from..]
        .iter()
        .take_while(move |&&(k, _)| k == key)
        .map(|&(_, v)| v)
}
