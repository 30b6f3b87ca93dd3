//! `Batch`: what one reader (or one chunk of a big file, or one receiver request) produced,
//! with its own small interner so that chunks can be parsed on several threads at once and
//! then merged into the `Store`.

use rustc_hash::FxHashMap;

use super::attr::Attr;
use super::diag::Diagnostics;
use super::interner::{Interner, Sym};
use super::log::LogRecord;
use super::ops;
use super::span::{ArenaRange, Event, Link, Process, Resource, Span};

#[derive(Default)]
pub struct Batch {
    pub strings: Interner,
    pub spans: Vec<Span>,
    /// Attributes of spans, events and links.
    pub attrs: Vec<Attr>,
    /// Attributes of resources (kept apart so that repeated resources are stored once).
    pub res_attrs: Vec<Attr>,
    pub events: Vec<Event>,
    pub links: Vec<Link>,
    /// `Resource::process` indexes `processes` of the same batch.
    pub resources: Vec<Resource>,
    pub processes: Vec<Process>,
    /// Log records; their attributes are in `attrs`, their bodies in `log_bytes`.
    pub logs: Vec<LogRecord>,
    pub log_bytes: Vec<u8>,
    pub diag: Diagnostics,
    /// Where each process is in `processes` (a batch can hold many: a lookup per resource).
    process_ids: FxHashMap<Process, u32>,
}

impl Batch {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn intern(&mut self, s: &str) -> Sym {
        self.strings.intern(s)
    }

    /// Where the next attribute goes; pass it to `attrs_since` after pushing.
    pub fn attr_mark(&self) -> u32 {
        self.attrs.len() as u32
    }

    pub fn attrs_since(&self, mark: u32) -> ArenaRange {
        ArenaRange {
            start: mark,
            len: self.attrs.len() as u32 - mark,
        }
    }

    pub fn push_str_attr(&mut self, key: &str, value: &str) {
        let (k, v) = (self.intern(key), self.intern(value));
        self.attrs.push(Attr::str(k, v));
    }

    /// Appends a log body and returns where it is.
    pub fn push_body(&mut self, text: &[u8]) -> ArenaRange {
        let start = self.log_bytes.len() as u32;
        self.log_bytes.extend_from_slice(text);
        ArenaRange {
            start,
            len: text.len() as u32,
        }
    }

    pub fn push_int_attr(&mut self, key: &str, value: i64) {
        let k = self.intern(key);
        self.attrs.push(Attr::int(k, value));
    }

    /// Moves the attributes pushed since `mark` into a new resource, deriving its service and
    /// process (spec §3), and returns the resource's index in this batch.
    pub fn add_resource(&mut self, mark: u32) -> u32 {
        let start = self.res_attrs.len() as u32;
        self.res_attrs.extend(self.attrs.drain(mark as usize..));
        let range = ArenaRange {
            start,
            len: self.res_attrs.len() as u32 - start,
        };
        let (service, process_key) = self.identity(range);
        let p = Process {
            service,
            key: process_key,
        };
        let next = self.processes.len() as u32;
        ops::count(1);
        let process = *self.process_ids.entry(p).or_insert(next);
        if process == next {
            self.processes.push(p);
        }
        self.resources.push(Resource {
            service,
            process,
            attrs: range,
        });
        self.resources.len() as u32 - 1
    }

    /// A resource with only a service name (Jaeger processes without tags, Zipkin endpoints).
    pub fn add_service_resource(&mut self, service: &str) -> u32 {
        let mark = self.attr_mark();
        if !service.is_empty() {
            self.push_str_attr("service.name", service);
        }
        self.add_resource(mark)
    }

    fn res_attr(&self, range: ArenaRange, key: &str) -> Option<String> {
        let k = self.strings.get(key)?;
        self.res_attrs[range.range()]
            .iter()
            .find(|a| a.key == k)
            .map(|a| a.value(&self.strings).to_text())
            .filter(|s| !s.is_empty())
    }

    fn identity(&mut self, range: ArenaRange) -> (Sym, Sym) {
        let name = self.res_attr(range, "service.name");
        let service = match (self.res_attr(range, "service.namespace"), name) {
            (Some(ns), Some(n)) => format!("{ns}/{n}"),
            (Some(ns), None) => format!("{ns}/unknown_service"),
            (None, Some(n)) => n,
            (None, None) => "unknown_service".to_string(),
        };
        let key = match self.res_attr(range, "service.instance.id") {
            Some(id) => id,
            None => match (
                self.res_attr(range, "host.name"),
                self.res_attr(range, "process.pid"),
            ) {
                (None, None) => String::new(),
                (h, p) => format!("{}/{}", h.unwrap_or_default(), p.unwrap_or_default()),
            },
        };
        (self.intern(&service), self.intern(&key))
    }
}

/// Lengths of a batch's vectors, to drop what a half-read line or an abandoned parse wrote.
/// (Strings it interned stay in the append-only interner; nothing kept refers to them.)
pub struct BatchMark([usize; 9]);

impl BatchMark {
    pub fn of(b: &Batch) -> Self {
        BatchMark([
            b.spans.len(),
            b.attrs.len(),
            b.res_attrs.len(),
            b.events.len(),
            b.links.len(),
            b.resources.len(),
            b.processes.len(),
            b.logs.len(),
            b.log_bytes.len(),
        ])
    }

    pub fn rollback(&self, b: &mut Batch) {
        let [s, a, ra, e, l, r, p, lg, lb] = self.0;
        b.logs.truncate(lg);
        b.log_bytes.truncate(lb);
        b.spans.truncate(s);
        b.attrs.truncate(a);
        b.res_attrs.truncate(ra);
        b.events.truncate(e);
        b.links.truncate(l);
        b.resources.truncate(r);
        for gone in b.processes.drain(p.min(b.processes.len())..) {
            b.process_ids.remove(&gone);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_identity_follows_spec() {
        let mut b = Batch::new();
        let m = b.attr_mark();
        b.push_str_attr("service.name", "order-svc");
        b.push_str_attr("service.namespace", "shop");
        b.push_str_attr("host.name", "h1");
        b.push_int_attr("process.pid", 42);
        let r = b.add_resource(m);
        assert_eq!(b.attrs.len(), 0, "resource attributes leave the span arena");
        let res = b.resources[r as usize];
        assert_eq!(b.strings.resolve(res.service), "shop/order-svc");
        let p = b.processes[res.process as usize];
        assert_eq!(b.strings.resolve(p.key), "h1/42");

        let r2 = b.add_service_resource("");
        assert_eq!(
            b.strings.resolve(b.resources[r2 as usize].service),
            "unknown_service"
        );
    }
}
