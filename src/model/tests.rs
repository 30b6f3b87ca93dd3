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

#[test]
fn merge_and_index() {
    let mut store = Store::new();
    let input = store.add_input("a.json", "otlp-json");

    let mut b = Batch::new();
    let r = b.add_service_resource("api");
    let s1 = span(&mut b, 7, 1, 0, 100, "GET /", r);
    let s2 = span(&mut b, 7, 2, 1, 105, "call", r);
    let orphan = span(&mut b, 7, 3, 99, 104, "lost", r);
    let other = span(&mut b, 5, 1, 0, 50, "other", r);
    b.spans.extend([s2, s1, orphan, other]);
    store.add_batch(b, input);

    // A second batch repeating the resource and one identical span copy.
    let mut b = Batch::new();
    let r = b.add_service_resource("api");
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
