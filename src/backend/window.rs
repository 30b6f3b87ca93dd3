//! Complete search results from APIs without paging: a search that comes back full (exactly
//! `limit` traces) may have left traces out, so its time window is cut in two and each half
//! searched again, newest first, until every window comes back with room to spare, the wanted
//! number of traces is found, or the request budget is spent.

use rustc_hash::FxHashSet;

/// A search window in Unix seconds, both ends included (the APIs' resolution for Tempo).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Window {
    pub start: i64,
    pub end: i64,
}

impl Window {
    /// The two halves; `None` for a window of one second, which cannot be cut.
    fn halves(self) -> Option<(Window, Window)> {
        if self.end - self.start < 1 {
            return None;
        }
        let mid = self.start + (self.end - self.start) / 2;
        Some((
            Window {
                start: self.start,
                end: mid,
            },
            Window {
                start: mid + 1,
                end: self.end,
            },
        ))
    }
}

/// What one search of one window gave: the traces it names, and whatever else the caller
/// keeps of a page that was not cut (Jaeger's search answers hold the spans themselves).
pub struct Page<T> {
    pub ids: Vec<u128>,
    pub payload: T,
    /// The answer was too large to take whole: cut the window as if it were full.
    pub cut: bool,
}

impl<T> Page<T> {
    pub fn new(ids: Vec<u128>, payload: T) -> Self {
        Page {
            ids,
            payload,
            cut: false,
        }
    }
}

/// The outcome of `collect`.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Collected {
    /// Distinct trace ids, in the order found (newest windows first).
    pub ids: Vec<u128>,
    pub searches: u32,
    /// Windows of one second that still came back full: traces may be missing there.
    pub saturated: u32,
    /// `max_traces` was reached: more traces may match.
    pub max_reached: bool,
    /// The request budget ran out before every window was searched.
    pub budget_spent: bool,
}

/// Searches `range` with pages of `limit`, cutting full windows, until `max_traces` distinct
/// traces are found or `max_searches` requests are made. `keep` receives the payload of every
/// page that was not cut, with the ids in it that were new.
pub fn collect<T, E>(
    range: Window,
    limit: u32,
    max_traces: usize,
    max_searches: u32,
    mut search: impl FnMut(Window, u32) -> Result<Page<T>, E>,
    mut keep: impl FnMut(T, &[u128]) -> Result<(), E>,
) -> Result<Collected, E> {
    let mut out = Collected::default();
    let mut seen = FxHashSet::default();
    let limit = limit.max(1);
    // Later windows on top: the newest traces are found first.
    let mut stack = vec![range];
    while let Some(w) = stack.pop() {
        if out.ids.len() >= max_traces {
            out.max_reached = true;
            break;
        }
        if out.searches >= max_searches {
            out.budget_spent = true;
            break;
        }
        out.searches += 1;
        let page = search(w, limit)?;
        if page.cut || page.ids.len() >= limit as usize {
            if let Some((early, late)) = w.halves() {
                stack.push(early);
                stack.push(late);
                continue;
            }
            out.saturated += 1;
        }
        let room = max_traces - out.ids.len();
        let new = take_new(page.ids, &mut seen, room);
        out.ids.extend_from_slice(&new);
        keep(page.payload, &new)?;
    }
    if !stack.is_empty() && out.ids.len() >= max_traces {
        out.max_reached = true;
    }
    Ok(out)
}

/// The first `room` of `ids` not in `seen`, in order, added to it.
pub(crate) fn take_new(ids: Vec<u128>, seen: &mut FxHashSet<u128>, room: usize) -> Vec<u128> {
    ids.into_iter()
        .filter(|id| seen.insert(*id))
        .take(room)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A backend holding one trace per second at the given seconds, answering like Tempo:
    /// at most `limit` traces of the window.
    fn backend(at: &[i64]) -> impl FnMut(Window, u32) -> Result<Page<()>, ()> + '_ {
        |w, limit| {
            let ids = at
                .iter()
                .filter(|&&t| w.start <= t && t <= w.end)
                .take(limit as usize)
                .map(|&t| t as u128)
                .collect();
            Ok(Page::new(ids, ()))
        }
    }

    #[test]
    fn full_windows_are_cut_until_every_trace_is_found() {
        let at: Vec<i64> = (0..100).map(|i| 1000 + i * 7).collect();
        let got = collect(
            Window {
                start: 1000,
                end: 2000,
            },
            10,
            usize::MAX,
            10_000,
            backend(&at),
            |_, _| Ok(()),
        );
        let Ok(got) = got else { panic!() };
        let mut ids = got.ids.clone();
        ids.sort_unstable();
        assert_eq!(ids, at.iter().map(|&t| t as u128).collect::<Vec<_>>());
        assert!(got.searches > 10 && !got.max_reached && !got.budget_spent);
        assert_eq!(got.saturated, 0);
    }

    #[test]
    fn a_window_with_room_is_searched_once() {
        let at = [5, 6, 7];
        let Ok(got) = collect(
            Window { start: 0, end: 100 },
            10,
            100,
            100,
            backend(&at),
            |_, _| Ok(()),
        ) else {
            panic!()
        };
        assert_eq!((got.searches, got.ids.len()), (1, 3));
    }

    #[test]
    fn max_traces_and_the_request_budget_stop_the_search() {
        let at: Vec<i64> = (0..50).collect();
        let w = Window { start: 0, end: 49 };
        let Ok(got) = collect(w, 4, 9, 1000, backend(&at), |_, _| Ok(())) else {
            panic!()
        };
        assert_eq!(got.ids.len(), 9);
        assert!(got.max_reached);
        // Newest first: the last seconds of the range were searched first.
        assert!(got.ids.iter().all(|&id| id >= 40), "{:?}", got.ids);

        let Ok(got) = collect(w, 4, 1000, 3, backend(&at), |_, _| Ok(())) else {
            panic!()
        };
        assert!(got.budget_spent && got.searches == 3);
    }

    #[test]
    fn a_full_second_is_counted_as_saturated() {
        let at = [7, 7, 7];
        let search = |w: Window, limit: u32| -> Result<Page<()>, ()> {
            let n = at.iter().filter(|&&t| w.start <= t && t <= w.end).count();
            Ok(Page::new((0..n.min(limit as usize) as u128).collect(), ()))
        };
        let Ok(got) = collect(Window { start: 7, end: 7 }, 2, 100, 100, search, |_, _| {
            Ok(())
        }) else {
            panic!()
        };
        assert_eq!((got.saturated, got.ids.len()), (1, 2));
    }
}
