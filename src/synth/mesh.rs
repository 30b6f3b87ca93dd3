//! Dense service meshes for the topology views: `services` services in namespaces, each pair
//! of an `edges`-long list of caller → callee pairs called a few times, a share of them failing
//! or unpaired. 12 services with 132 edges is every service calling every other one; 300 with
//! 2,000 is a company's graph. Each service carries `service.namespace` (so its name is
//! `namespace/name`, spec §3) and `k8s.namespace.name`, so both groupings have something to
//! group. Deterministic: same config, same bytes.

use std::io::{self, Write};

use super::json::Json;
use super::rng::Rng;
use crate::model::ids::{span_hex, trace_hex};

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeshConfig {
    pub services: u32,
    /// Distinct caller → callee pairs (at most services × (services − 1)).
    pub edges: u32,
    pub seed: u64,
}

impl Default for MeshConfig {
    fn default() -> Self {
        MeshConfig {
            services: 12,
            edges: 132,
            seed: 1,
        }
    }
}

/// What was written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MeshStats {
    pub services: u32,
    pub edges: u32,
    pub spans: u64,
    pub traces: u64,
}

const NAMESPACES: [&str; 12] = [
    "checkout", "payments", "catalog", "identity", "shipping", "search", "ads", "notify", "media",
    "billing", "risk", "platform",
];
const ROLES: [&str; 25] = [
    "api",
    "worker",
    "store",
    "gateway",
    "cache",
    "auth",
    "router",
    "indexer",
    "sync",
    "ledger",
    "scheduler",
    "export",
    "import",
    "audit",
    "quota",
    "profile",
    "render",
    "resolver",
    "notifier",
    "planner",
    "pricing",
    "inventory",
    "session",
    "rules",
    "reports",
];
/// Namespaces per Kubernetes namespace: `k8s.namespace.name` is a coarser grouping than
/// `service.namespace`.
const NAMESPACES_PER_K8S: usize = 2;
/// 2025-06-12T03:00:00Z.
const START_NS: u64 = 1_749_697_200_000_000_000;

/// One service: its namespace, its own name, and the Kubernetes namespace it runs in.
struct Svc {
    namespace: &'static str,
    name: String,
    k8s: String,
}

impl Svc {
    /// The name the model gives it (spec §3: `namespace/name`).
    fn full(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }
}

/// As many namespaces as keep about 25 services in each, at least 3; service k is in
/// namespace k mod that.
fn namespaces(n: u32) -> usize {
    (n as usize)
        .div_ceil(ROLES.len())
        .clamp(3, NAMESPACES.len())
}

fn services(n: u32) -> Vec<Svc> {
    let spaces = namespaces(n);
    (0..n as usize)
        .map(|k| {
            let ns = k % spaces;
            let role = k / spaces;
            let name = match role / ROLES.len() {
                0 => ROLES[role].to_string(),
                round => format!("{}-{}", ROLES[role % ROLES.len()], round + 1),
            };
            Svc {
                namespace: NAMESPACES[ns],
                name,
                k8s: format!("team-{}", ns / NAMESPACES_PER_K8S + 1),
            }
        })
        .collect()
}

/// The caller → callee pairs: every pair when `edges` covers them all, else random distinct
/// pairs, two in three within the caller's namespace when it has room.
fn pairs(n: u32, edges: u32, rng: &mut Rng) -> Vec<(u32, u32)> {
    let all = u64::from(n) * u64::from(n.saturating_sub(1));
    if u64::from(edges) >= all {
        return (0..n)
            .flat_map(|a| (0..n).filter(move |&b| b != a).map(move |b| (a, b)))
            .collect();
    }
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(edges as usize);
    while out.len() < edges as usize {
        let a = rng.range(0, u64::from(n) - 1) as u32;
        let b = if rng.chance(667) {
            // Same namespace: services k, k + spaces, k + 2·spaces, ….
            let spaces = namespaces(n) as u32;
            let members = (n - a % spaces).div_ceil(spaces);
            a % spaces + spaces * rng.range(0, u64::from(members) - 1) as u32
        } else {
            rng.range(0, u64::from(n) - 1) as u32
        };
        if a != b && seen.insert((a, b)) {
            out.push((a, b));
        }
    }
    out.sort_unstable();
    out
}

fn attr(key: &'static str, value: &str) -> Json {
    Json::Obj(vec![
        ("key", Json::str(key)),
        ("value", Json::Obj(vec![("stringValue", Json::str(value))])),
    ])
}

struct SpanSpec<'a> {
    trace: u128,
    id: u64,
    parent: u64,
    name: &'a str,
    kind: i64,
    start: u64,
    end: u64,
    error: bool,
    attrs: Vec<Json>,
}

fn span_json(s: SpanSpec<'_>) -> Json {
    let mut f = vec![
        ("traceId", Json::str(trace_hex(s.trace))),
        ("spanId", Json::str(span_hex(s.id))),
    ];
    if s.parent != 0 {
        f.push(("parentSpanId", Json::str(span_hex(s.parent))));
    }
    f.push(("name", Json::str(s.name)));
    f.push(("kind", Json::int(s.kind)));
    f.push(("startTimeUnixNano", Json::str(s.start.to_string())));
    f.push(("endTimeUnixNano", Json::str(s.end.to_string())));
    f.push(("attributes", Json::Arr(s.attrs)));
    if s.error {
        f.push((
            "status",
            Json::Obj(vec![
                ("message", Json::str("upstream failed")),
                ("code", Json::int(2)),
            ]),
        ));
    }
    Json::Obj(f)
}

fn resource_spans(svc: &Svc, spans: Vec<Json>) -> Json {
    let resource = Json::Obj(vec![(
        "attributes",
        Json::Arr(vec![
            attr("service.name", &svc.name),
            attr("service.namespace", svc.namespace),
            attr("k8s.namespace.name", &svc.k8s),
            attr("service.instance.id", &format!("{}-0", svc.full())),
        ]),
    )]);
    Json::Obj(vec![
        ("resource", resource),
        (
            "scopeSpans",
            Json::Arr(vec![Json::Obj(vec![
                (
                    "scope",
                    Json::Obj(vec![("name", Json::str("github.com/acme/mesh"))]),
                ),
                ("spans", Json::Arr(spans)),
            ])]),
        ),
    ])
}

/// Writes the mesh as OTLP/JSON lines: one trace per caller, one line per trace (the caller's
/// spans and its callees' server spans as one request).
pub fn write_mesh(mut w: impl Write, cfg: &MeshConfig) -> io::Result<MeshStats> {
    let n = cfg.services.max(2);
    let svcs = services(n);
    let mut rng = Rng::new(cfg.seed);
    let pairs = pairs(n, cfg.edges, &mut rng);
    let mut stats = MeshStats {
        services: n,
        edges: pairs.len() as u32,
        ..MeshStats::default()
    };
    for (caller, out) in pairs.chunk_by(|x, y| x.0 == y.0).enumerate() {
        let a = out[0].0 as usize;
        let trace = rng.trace_id();
        let base = START_NS + caller as u64 * 1_000_000_000;
        let root = rng.span_id();
        // Spans per service of this trace, the caller's first.
        let mut by_svc: Vec<(usize, Vec<Json>)> = vec![(a, Vec::new())];
        let mut at = base + 100_000;
        for &(_, b) in out {
            let b = b as usize;
            let calls = rng.range(1, 6);
            // One edge in twelve fails now and then; one in thirty is unpaired (the callee
            // never saw the context: no server span, named by `peer.service`).
            let failing = rng.chance(83);
            let unpaired = rng.chance(33);
            let route = format!("/{}", svcs[b].name);
            for _ in 0..calls {
                let dur = rng.range(300_000, 40_000_000);
                let client = rng.span_id();
                let error = failing && rng.chance(400);
                let mut attrs = vec![attr("http.request.method", "GET")];
                if unpaired {
                    attrs.push(attr("peer.service", &svcs[b].full()));
                } else {
                    let server = rng.span_id();
                    let spans = match by_svc.iter_mut().find(|(s, _)| *s == b) {
                        Some((_, list)) => list,
                        None => {
                            by_svc.push((b, Vec::new()));
                            &mut by_svc.last_mut().expect("just pushed").1
                        }
                    };
                    spans.push(span_json(SpanSpec {
                        trace,
                        id: server,
                        parent: client,
                        name: &format!("GET {route}"),
                        kind: 2,
                        start: at + 50_000,
                        end: at + dur - 50_000,
                        error,
                        attrs: vec![attr("http.route", &route)],
                    }));
                    stats.spans += 1;
                }
                by_svc[0].1.push(span_json(SpanSpec {
                    trace,
                    id: client,
                    parent: root,
                    name: &format!("GET {}{route}", svcs[b].full()),
                    kind: 3,
                    start: at,
                    end: at + dur,
                    error,
                    attrs,
                }));
                stats.spans += 1;
                at += dur + 10_000;
            }
        }
        let root_span = span_json(SpanSpec {
            trace,
            id: root,
            parent: 0,
            name: &format!("GET /{}", svcs[a].name),
            kind: 2,
            start: base,
            end: at + 100_000,
            error: false,
            attrs: vec![attr("http.route", &format!("/{}", svcs[a].name))],
        });
        by_svc[0].1.insert(0, root_span);
        stats.spans += 1;
        stats.traces += 1;
        let request = Json::Obj(vec![(
            "resourceSpans",
            Json::Arr(
                by_svc
                    .into_iter()
                    .map(|(s, spans)| resource_spans(&svcs[s], spans))
                    .collect(),
            ),
        )]);
        w.write_all(request.compact().as_bytes())?;
        w.write_all(b"\n")?;
    }
    w.flush()?;
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `n` services and `calls` caller → callee pairs among them (seed 1), as many as asked.
    fn mesh(n: u32, calls: u32) -> (Vec<Svc>, Vec<(u32, u32)>) {
        let p = pairs(n, calls, &mut Rng::new(1));
        assert_eq!(p.len(), calls as usize);
        (services(n), p)
    }

    #[test]
    fn twelve_services_call_every_other_one() {
        let (svcs, p) = mesh(12, 132);
        assert!(p.iter().all(|&(a, b)| a != b && a < 12 && b < 12));
        // Three namespaces of four, in two Kubernetes namespaces.
        let ns: std::collections::BTreeSet<_> = svcs.iter().map(|s| s.namespace).collect();
        assert_eq!(ns.len(), 3);
        let k8s: std::collections::BTreeSet<_> = svcs.iter().map(|s| s.k8s.as_str()).collect();
        assert_eq!(k8s.len(), 2);
    }

    #[test]
    fn large_mesh_has_distinct_pairs_and_unique_names() {
        let (svcs, p) = mesh(300, 2000);
        let distinct: std::collections::HashSet<_> = p.iter().collect();
        assert_eq!(distinct.len(), 2000);
        let names: std::collections::HashSet<_> = svcs.iter().map(Svc::full).collect();
        assert_eq!(names.len(), 300);
        let same_ns = p
            .iter()
            .filter(|&&(a, b)| svcs[a as usize].namespace == svcs[b as usize].namespace)
            .count();
        assert!(same_ns > 1000, "{same_ns} calls within a namespace");
    }
}
