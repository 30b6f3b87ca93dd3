//! The Jaeger and Zipkin readers against the real files under the shared corpus: every file
//! loads, and its span and service counts match the per-file table of the corpus MANIFEST.md.

use crate::util::corpus;

use std::collections::BTreeSet;
use std::path::Path;

use tracetopo::ingest::{jaeger, zipkin};
use tracetopo::model::span::flags;
use tracetopo::model::{Batch, LoadError, SpanKind, Store};

type Reader = fn(&str, &[u8]) -> Result<Batch, LoadError>;

/// (file, spans, services) from MANIFEST.md's per-file table. MANIFEST counts span objects
/// as written, before any merging, so these are compared with what the reader produced:
/// identical copies (`jaeger__otlp2jaeger-out.json` holds one span twice) are still two spans
/// here (the store merges them later), and each Zipkin shared server half is its own span
/// already in the file, so deriving its id changes no count. Services are the distinct
/// service names; MANIFEST counts a Zipkin span without `localEndpoint.serviceName` as no
/// service (`envoy.json`: 0), where the reader says `unknown_service`, so that name is not
/// counted.
const JAEGER: &[(&str, usize, usize)] = &[
    (
        "jaeger-ui-tracestats/spanAmongEachOtherGroupedAndSpans.json",
        17,
        2,
    ),
    ("jaeger-ui-tracestats/spanLongerAsParent.json", 8, 2),
    ("jaeger-ui-tracestats/spansAmongEachOther.json", 12, 2),
    (
        "jaeger-ui-tracestats/spansAmongEachOtherGrouped.json",
        15,
        2,
    ),
    ("jaeger-ui-tracestats/testTraceNormal.json", 5, 2),
    (
        "jaeger-ui-tracestats/traceWithMultipleSpansWithTheSameValueInDifferentTags.json",
        4,
        1,
    ),
    (
        "jaeger-ui-tracestats/traceWithOverlappingChildren.json",
        3,
        2,
    ),
    (
        "jaeger-ui-tracestats/traceWithOverlappingChildrenLongerThanParent.json",
        4,
        2,
    ),
    (
        "jaeger-ui-tracestats/traceWithSingleChildLongerThanParentAndStartsAfterParent.json",
        2,
        2,
    ),
    (
        "jaeger-ui-tracestats/traceWithThreeShortChildren.json",
        4,
        2,
    ),
    (
        "jaeger-ui-tracestats/traceWithThreeShortOverlappingChildren.json",
        4,
        2,
    ),
    (
        "jaeger-ui-tracestats/traceWithTwoChildrenStartedAtTraceStart.json",
        3,
        2,
    ),
    (
        "jaeger-ui-tracestats/traceWithTwoNonOverlappingChildren.json",
        3,
        2,
    ),
    ("jaeger-ui__TraceFlamegraph__testTrace.json", 4, 2),
    ("jaeger-ui__TraceGraph__testTrace.json", 11, 2),
    ("jaeger-ui__genaiTestTrace.json", 57, 10),
    ("jaeger-ui__oltp2jaeger-multi-out.json", 4, 1),
    ("jaeger-ui__otlp2jaeger-out.json", 2, 1),
    ("jaeger__anonymizer__trace_success.json", 2, 2),
    ("jaeger__otlp2jaeger-out.json", 2, 1),
    ("jaeger__ui_01.json", 5, 2),
];

const ZIPKIN: &[(&str, usize, usize)] = &[
    ("zipkin-benchmarks__zipkin2-chinese.json", 1, 1),
    ("zipkin-benchmarks__zipkin2-client.json", 1, 1),
    ("zipkin-lens__ascend.json", 8, 3),
    ("zipkin-lens__envoy.json", 1, 0),
    ("zipkin-lens__messaging-kafka.json", 28, 2),
    ("zipkin-lens__messaging.json", 4, 2),
    ("zipkin-lens__messaging2.json", 11, 4),
    ("zipkin-lens__simple-db-p6.json", 5, 1),
    ("zipkin-lens__skew.json", 4, 2),
    ("zipkin-lens__smartthings-oauth-authorization.json", 175, 8),
    ("zipkin-lens__yelp.json", 16, 6),
];

fn json_files(dir: &Path, out: &mut BTreeSet<String>, prefix: &str) {
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let name = format!("{prefix}{}", e.file_name().to_string_lossy());
        if e.file_type().unwrap().is_dir() {
            json_files(&e.path(), out, &format!("{name}/"));
        } else if name.ends_with(".json") {
            out.insert(name);
        }
    }
}

fn load(dir: &Path, file: &str, read: Reader) -> Batch {
    let path = dir.join(file);
    let bytes = std::fs::read(&path).unwrap();
    read(&path.display().to_string(), &bytes).unwrap_or_else(|e| panic!("{e}"))
}

fn services(b: &Batch) -> BTreeSet<&str> {
    b.spans
        .iter()
        .map(|s| b.strings.resolve(b.resources[s.resource as usize].service))
        .filter(|&n| n != "unknown_service")
        .collect()
}

fn check_dir(sub: &str, table: &[(&str, usize, usize)], read: Reader) {
    let Some(root) = corpus() else { return };
    let dir = root.join(sub);
    let mut on_disk = BTreeSet::new();
    json_files(&dir, &mut on_disk, "");
    let listed: BTreeSet<String> = table.iter().map(|t| t.0.to_string()).collect();
    assert_eq!(
        on_disk, listed,
        "every corpus file has a row, every row a file"
    );
    for &(file, spans, svcs) in table {
        let b = load(&dir, file, read);
        assert_eq!(b.spans.len(), spans, "{file}: spans");
        assert_eq!(
            services(&b).len(),
            svcs,
            "{file}: services {:?}",
            services(&b)
        );
    }
}

#[test]
fn every_jaeger_file_matches_the_manifest() {
    check_dir("jaeger-json", JAEGER, jaeger::read);
}

#[test]
fn every_zipkin_file_matches_the_manifest() {
    check_dir("zipkin-json", ZIPKIN, zipkin::read);
}

fn store_of(b: Batch) -> Store {
    let mut st = Store::new();
    let input = st.add_input("f", "x");
    st.add_batch(b, input);
    st.build_index();
    st
}

#[test]
fn jaeger_trace_graph_fixture() {
    let Some(root) = corpus() else { return };
    let b = load(
        &root.join("jaeger-json"),
        "jaeger-ui__TraceGraph__testTrace.json",
        jaeger::read,
    );
    // Every span has the non-hex ids "trace-123"/"span-N": one folded warning, one per span.
    assert_eq!(b.diag.warnings.len(), 1);
    assert_eq!(b.diag.warnings[0].count, 11);
    let st = store_of(b);
    assert_eq!(
        st.index.traces.len(),
        1,
        "all spans in the one synthetic trace"
    );
    let by = |n: &str| {
        (0..st.spans.len() as u32)
            .filter(|&i| st.str(st.spans[i as usize].name) == n)
            .collect::<Vec<_>>()
    };
    let root_span = by("op1")
        .into_iter()
        .find(|&i| st.spans[i as usize].is_root())
        .unwrap();
    // span-1 (op1, server) has five children: span-2, span-2_1, span-3, span-6, span-12.
    assert_eq!(st.children(root_span).len(), 5);
    // span-7 (op3, consumer) FOLLOWS_FROM span-6 (op4, producer): its parent, and a link.
    let consumer = by("op3")
        .into_iter()
        .find(|&i| st.spans[i as usize].kind == SpanKind::Consumer)
        .unwrap();
    let producer = by("op4")[0];
    assert_eq!(st.parent(consumer), Some(producer));
    assert_eq!(st.span_links(consumer).len(), 1);
    // span-2 carries error="true" (a string): the one error span MANIFEST lists.
    let errors = st
        .spans
        .iter()
        .filter(|s| s.status == tracetopo::model::StatusCode::Error)
        .count();
    assert_eq!(errors, 1);
}

#[test]
fn zipkin_shared_spans_resolve_in_the_store() {
    let Some(root) = corpus() else { return };
    let dir = root.join("zipkin-json");

    // skew.json: servicea's CLIENT "post" and serviceb's shared SERVER "post" share id
    // 74280ae0c10d8062; serviceb's "async" names that id as its parent.
    let st = store_of(load(&dir, "zipkin-lens__skew.json", zipkin::read));
    assert_eq!(st.spans.len(), 4);
    let find = |name: &str, kind: SpanKind| {
        (0..st.spans.len() as u32)
            .find(|&i| {
                let s = &st.spans[i as usize];
                st.str(s.name) == name && s.kind == kind
            })
            .unwrap()
    };
    let client = find("post", SpanKind::Client);
    let server = find("post", SpanKind::Server);
    let asynch = find("async", SpanKind::Unspecified);
    assert_eq!(st.spans[client as usize].span_id, 0x74280ae0c10d8062);
    assert_ne!(st.spans[server as usize].span_id, 0x74280ae0c10d8062);
    assert_eq!(st.parent(server), Some(client));
    assert_eq!(
        st.parent(asynch),
        Some(server),
        "serviceb's child follows serviceb's half"
    );
    assert_eq!(st.service_name(server), "serviceb");

    // smartthings: MANIFEST counts 45 shared server halves, each with a client half of the
    // same id (41 ids: one send has five receivers), and no identical copies. After the
    // split exactly those 45 carry ids that are not in the file, each under a CLIENT span
    // whose id is the one it shared, and no span is a differing duplicate.
    let file = dir.join("zipkin-lens__smartthings-oauth-authorization.json");
    let raw: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    let file_ids: BTreeSet<u64> = raw
        .as_array()
        .unwrap()
        .iter()
        .map(|s| u64::from_str_radix(s["id"].as_str().unwrap(), 16).unwrap())
        .collect();
    let st = store_of(load(
        &dir,
        "zipkin-lens__smartthings-oauth-authorization.json",
        zipkin::read,
    ));
    assert_eq!(st.spans.len(), 175);
    assert_eq!(st.index.services.len(), 8);
    assert!(st.spans.iter().all(|s| s.flags & flags::DUPLICATE == 0));
    let derived: Vec<u32> = (0..st.spans.len() as u32)
        .filter(|&i| !file_ids.contains(&st.spans[i as usize].span_id))
        .collect();
    assert_eq!(derived.len(), 45);
    for i in derived {
        let s = &st.spans[i as usize];
        assert_eq!(s.kind, SpanKind::Server);
        let p = st.parent(i).expect("the client half is loaded");
        assert_eq!(st.spans[p as usize].kind, SpanKind::Client);
        assert_eq!(st.spans[p as usize].span_id, s.parent_id);
    }
}

/// A real production capture whose Cassandra queries name their own service (`auth`) as the
/// remote endpoint, tagged `cassandra.*`: database calls, drawn as `auth → cassandra`, and
/// not one of them an `unmatched_client` (it reported 50 before database calls were told
/// from calls to traced services).
#[test]
fn zipkin_cassandra_calls_are_database_calls() {
    use tracetopo::analysis::peer::PeerKind;
    use tracetopo::analysis::services::NodeKind;
    use tracetopo::analysis::{Analysis, Options, breaks::BreakKind};
    let Some(root) = corpus() else { return };
    let dir = root.join("zipkin-json");
    let st = store_of(load(
        &dir,
        "zipkin-lens__smartthings-oauth-authorization.json",
        zipkin::read,
    ));
    let a = Analysis::run(&st, &Options::default());
    let unmatched = a
        .breaks
        .iter()
        .filter(|b| b.kind == BreakKind::UnmatchedClient)
        .count();
    assert_eq!(unmatched, 0);
    let g = &a.services.graph;
    let node = |n: &str| g.node_indices().find(|&k| g[k].name == n).unwrap();
    let cassandra = node("cassandra");
    assert_eq!(g[cassandra].kind, NodeKind::Virtual(PeerKind::Database));
    let edge = g
        .find_edge(node("auth"), cassandra)
        .expect("auth → cassandra");
    assert_eq!(g[edge].calls, 50);
}
