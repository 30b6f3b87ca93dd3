use super::*;

fn span(
    b: &mut Batch,
    trace: u128,
    id: u64,
    parent: u64,
    start: u64,
    name: &str,
    res: u32,
) -> Span {
    Span {
        trace_id: trace,
        span_id: id,
        parent_id: parent,
        start,
        end: start + 10,
        name: b.intern(name),
        resource: res,
        ..Span::default()
    }
}

/// A store with one input, and a batch for it holding the resource of service `api`.
fn api_store(path: &str, format: &str) -> (Store, u16, Batch, u32) {
    let mut store = Store::new();
    let input = store.add_input(path, format);
    let (b, r) = api_batch();
    (store, input, b, r)
}

fn api_batch() -> (Batch, u32) {
    let mut b = Batch::new();
    let r = b.add_service_resource("api");
    (b, r)
}

#[test]
fn merge_and_index() {
    let (mut store, input, mut b, r) = api_store("a.json", "otlp-json");
    let s1 = span(&mut b, 7, 1, 0, 100, "GET /", r);
    let s2 = span(&mut b, 7, 2, 1, 105, "call", r);
    let orphan = span(&mut b, 7, 3, 99, 104, "lost", r);
    let other = span(&mut b, 5, 1, 0, 50, "other", r);
    b.spans.extend([s2, s1, orphan, other]);
    store.add_batch(b, input);

    // A second batch repeating the resource and one identical span copy.
    let (mut b, r) = api_batch();
    let dup = span(&mut b, 7, 2, 1, 105, "call", r);
    let differing = span(&mut b, 7, 1, 0, 100, "GET /v2", r);
    b.spans.extend([dup, differing]);
    store.add_batch(b, input);

    store.build_index();
    assert_eq!(store.resources.len(), 1, "same resource stored once");
    assert_eq!(
        store.spans.len(),
        5,
        "identical copy merged, differing copy kept"
    );
    assert_eq!(store.inputs[0].spans, 5);
    assert_eq!(store.index.traces.len(), 2);
    assert_eq!(store.index.traces[0].id, 5);

    let t7 = *store.trace(7).unwrap();
    let root = store.find_span(7, 1).unwrap();
    assert_eq!(store.spans[root as usize].flags & span::flags::DUPLICATE, 0);
    let dups: Vec<_> = store
        .spans
        .iter()
        .filter(|s| s.flags & span::flags::DUPLICATE != 0)
        .map(|s| store.str(s.name))
        .collect();
    assert_eq!(dups.len(), 1);
    let child = store.find_span(7, 2).unwrap();
    assert_eq!(store.parent(child), Some(root));
    assert_eq!(store.children(root), &[child]);
    let lost = store.find_span(7, 3).unwrap();
    assert_eq!(store.parent(lost), None);
    assert!(t7.range().contains(&(lost as usize)));
    assert_eq!(store.service_name(lost), "api");
    assert_eq!(store.index.services.len(), 1);
}

#[test]
fn retain_traces_keeps_whole_traces_and_drops_unused_strings() {
    let (mut store, input, mut b, r) = api_store("live", "otlp");
    let old = span(&mut b, 1, 1, 0, 100, "evicted-only-name", r);
    let mut kept = span(&mut b, 2, 1, 0, 200, "kept", r);
    let mark = b.attr_mark();
    b.push_str_attr("http.route", "/orders");
    kept.attrs = b.attrs_since(mark);
    let mark = b.attr_mark();
    b.push_int_attr("evicted.key", 5);
    let mut old2 = span(&mut b, 1, 2, 1, 101, "child", r);
    old2.attrs = b.attrs_since(mark);
    b.spans.extend([old, kept, old2]);
    store.add_batch(b, input);

    store.retain_traces(|t| t != 1);
    assert_eq!(store.spans.len(), 1);
    assert_eq!(store.inputs[0].spans, 1);
    assert_eq!(store.attrs.len(), 1);
    assert_eq!(store.strings.get("evicted-only-name"), None);
    assert_eq!(store.strings.get("evicted.key"), None);
    store.build_index();
    let k = store.find_span(2, 1).unwrap();
    assert_eq!(store.str(store.span(k).name), "kept");
    assert_eq!(store.service_name(k), "api");
    assert_eq!(
        store.attr(k, "http.route").and_then(|v| v.as_str()),
        Some("/orders")
    );

    // What is appended afterwards lands on the same resource.
    let (mut b, r) = api_batch();
    let s = span(&mut b, 3, 1, 0, 300, "new", r);
    b.spans.push(s);
    store.add_batch(b, input);
    assert_eq!(store.resources.len(), 1);
}

/// n copies of one span id at one time, with n/2 different contents and each content twice:
/// the merge compares each copy with the earlier ones of its hash only, and `find_span` on each
/// copy is a binary search.
fn duplicate_steps(n: u64) -> u64 {
    let (_, steps) = ops::counted(|| {
        let (mut store, input, mut b, r) = api_store("dups.json", "otlp-json");
        for k in 0..n {
            let s = span(&mut b, 7, 1, 0, 100, &format!("op{}", k / 2), r);
            b.spans.push(s);
        }
        store.add_batch(b, input);
        store.build_index();
        assert_eq!(store.spans.len() as u64, n / 2, "identical copies merged");
        let first = store.find_span(7, 1).unwrap();
        assert_eq!(
            store.spans[first as usize].flags & span::flags::DUPLICATE,
            0
        );
        for _ in 0..store.spans.len() {
            assert_eq!(store.find_span(7, 1), Some(first));
        }
    });
    steps
}

#[test]
fn duplicate_span_ids_cost_n_log_n() {
    ops::assert_steps_n_log_n("merging and finding duplicate span ids", duplicate_steps);
}

/// n resources of n services: one process lookup each.
#[test]
fn many_resources_cost_n_log_n() {
    let steps = |n: u64| {
        ops::counted(|| {
            let mut b = Batch::new();
            for k in 0..n {
                b.add_service_resource(&format!("svc{k}"));
            }
            assert_eq!(b.processes.len() as u64, n);
            // A rolled-back resource leaves no process behind to be found later.
            let mark = BatchMark::of(&b);
            b.add_service_resource("gone");
            mark.rollback(&mut b);
            let again = b.add_service_resource("gone");
            assert_eq!(b.resources[again as usize].process as u64, n);
        })
        .1
    };
    ops::assert_steps_n_log_n("resources with distinct processes", steps);
}
