//! Where the time of `tracetopo analyze` goes: times each phase (load, index, each analysis,
//! report) on its own, one after the other, for docs/PERFORMANCE.md.
//!
//! `cargo run --release --example load_phases -- FILE...`

use std::time::Instant;

use tracetopo::analysis::keys::Keys;
use tracetopo::analysis::links::SpanLinks;
use tracetopo::analysis::services::ServiceGraph;
use tracetopo::analysis::types::TypeGraph;
use tracetopo::analysis::{Analysis, Options, breaks, chains, span_graph};
use tracetopo::ingest::{LoadOptions, load_path};
use tracetopo::model::Store;
use tracetopo::report::Report;

fn main() {
    let files: Vec<String> = std::env::args().skip(1).collect();
    if files.is_empty() {
        eprintln!("usage: load_phases FILE...");
        std::process::exit(2);
    }
    let ms = |t: Instant| t.elapsed().as_secs_f64() * 1e3;
    let t = Instant::now();
    let mut store = Store::new();
    for f in &files {
        if let Err(e) = load_path(&mut store, f.as_ref(), &LoadOptions::default()) {
            eprintln!("load_phases: {e}");
            std::process::exit(2);
        }
    }
    println!(
        "load          {:8.1} ms  {} spans",
        ms(t),
        store.spans.len()
    );
    let t = Instant::now();
    store.build_index();
    println!(
        "index         {:8.1} ms  {} traces",
        ms(t),
        store.index.traces.len()
    );

    let opts = Options::default();
    let keys = Keys::new(&store);
    let t = Instant::now();
    let links = SpanLinks::build(&store);
    println!(
        "span links    {:8.1} ms  {} resolved",
        ms(t),
        links.pairs().len()
    );
    let t = Instant::now();
    let found = breaks::find_breaks_linked(&store, &opts, &links);
    println!("breaks        {:8.1} ms  {} breaks", ms(t), found.len());
    let t = Instant::now();
    let services = ServiceGraph::build(&store, &keys, &found, &links);
    println!(
        "service graph {:8.1} ms  {} edges",
        ms(t),
        services.graph.edge_count()
    );
    let t = Instant::now();
    let types = TypeGraph::build(&store);
    println!(
        "type graph    {:8.1} ms  {} conversions",
        ms(t),
        types.graph.edge_count()
    );
    let t = Instant::now();
    let found_chains = chains::find_chains(&store, &types, &opts);
    println!(
        "chains        {:8.1} ms  {} chains",
        ms(t),
        found_chains.len()
    );
    let t = Instant::now();
    let hops = span_graph::count_goroutine_hops(&store);
    println!("hops          {:8.1} ms  {hops} goroutine hops", ms(t));

    let t = Instant::now();
    let analysis = Analysis::run(&store, &opts);
    println!(
        "Analysis::run {:8.1} ms  (the parts above, side by side)",
        ms(t)
    );
    let t = Instant::now();
    match Report::build(&store, &analysis).to_json() {
        Ok(json) => println!(
            "report        {:8.1} ms  {} bytes of JSON",
            ms(t),
            json.len()
        ),
        Err(e) => eprintln!("load_phases: report: {e}"),
    }
}
