//! One background job of the app (a file dialog, an export, a save, a graph layout, a large
//! trace's layout): a named thread whose one result the UI thread polls once per frame.
//!
//! Hand-written rather than the `poll-promise` crate: its `spawn_thread` panics when a thread
//! cannot start, and here that must become an error the user sees.

use std::sync::mpsc::{Receiver, TryRecvError, channel};

/// What polling a task gives.
#[derive(Debug, PartialEq, Eq)]
pub enum Poll<T> {
    /// Still running.
    Pending,
    Ready(T),
    /// The thread ended without a result (it panicked): the message says which job.
    Lost(String),
}

/// A job running on its own thread; dropping the task lets the job finish unheard.
pub struct Task<T> {
    name: &'static str,
    rx: Receiver<T>,
}

impl<T: Send + 'static> Task<T> {
    /// Runs `job` on a thread called `tracetopo-NAME`; asks `ctx` to repaint when it ends, so
    /// the UI polls the result without waiting for input. `Err` when the thread cannot start.
    pub fn spawn(
        name: &'static str,
        ctx: &egui::Context,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> Result<Task<T>, String> {
        let (tx, rx) = channel();
        let ctx = ctx.clone();
        std::thread::Builder::new()
            .name(format!("tracetopo-{name}"))
            .spawn(move || {
                // The receiver is gone when the view was reset meanwhile: nobody listens.
                let _ = tx.send(job());
                ctx.request_repaint();
            })
            .map_err(|e| format!("cannot start the {name} thread: {e}"))?;
        Ok(Task { name, rx })
    }
}

impl<T> Task<T> {
    /// Takes the result if it arrived. One receive per call: a result is never read and lost.
    pub fn poll(&self) -> Poll<T> {
        match self.rx.try_recv() {
            Ok(v) => Poll::Ready(v),
            Err(TryRecvError::Empty) => Poll::Pending,
            Err(TryRecvError::Disconnected) => {
                Poll::Lost(format!("the {} thread stopped without a result", self.name))
            }
        }
    }
}

/// Polls the task in `slot`: its result (`Err`: the thread was lost) once it ended, the slot
/// then emptied; `None` while it runs or when there is none.
pub fn take<T>(slot: &mut Option<Task<T>>) -> Option<Result<T, String>> {
    let r = match slot.as_ref()?.poll() {
        Poll::Pending => return None,
        Poll::Ready(v) => Ok(v),
        Poll::Lost(e) => Err(e),
    };
    *slot = None;
    Some(r)
}

/// The result of `build` for `want`, built on a thread named `name` when `large` (so that a
/// large trace's layout never stalls the UI) and here otherwise; `None` while the task kept in
/// `pending` builds it. A thread that cannot start or dies is replaced by building here: a
/// stall rather than nothing.
pub fn build_keyed<K: PartialEq, T: Send + 'static>(
    pending: &mut Option<(K, Task<T>)>,
    ctx: &egui::Context,
    name: &'static str,
    want: K,
    large: bool,
    build: impl FnOnce() -> T + Send + Clone + 'static,
) -> Option<T> {
    match pending.take() {
        Some((key, task)) if key == want => match task.poll() {
            Poll::Ready(x) => Some(x),
            Poll::Pending => {
                *pending = Some((key, task));
                None
            }
            // The thread died (the builds cannot panic on valid indexes): build here instead.
            Poll::Lost(_) => Some(build()),
        },
        _ if large => match Task::spawn(name, ctx, build.clone()) {
            Ok(task) => {
                *pending = Some((want, task));
                None
            }
            Err(_) => Some(build()),
        },
        _ => Some(build()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    fn wait<T>(task: &Task<T>) -> Poll<T> {
        let started = Instant::now();
        loop {
            match task.poll() {
                Poll::Pending if started.elapsed() < Duration::from_secs(30) => {
                    std::thread::sleep(Duration::from_millis(1));
                }
                other => return other,
            }
        }
    }

    #[test]
    fn a_result_is_delivered_once() {
        let ctx = egui::Context::default();
        let (go, gate) = channel::<()>();
        let task = Task::spawn("test", &ctx, move || {
            let _ = gate.recv();
            42
        })
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(task.poll(), Poll::Pending);
        let _ = go.send(());
        assert_eq!(wait(&task), Poll::Ready(42));
        // Afterwards the thread is gone: reported as lost, never as pending for ever.
        assert!(matches!(task.poll(), Poll::Lost(_)));
    }

    #[test]
    fn take_empties_the_slot_once_the_task_ended() {
        let ctx = egui::Context::default();
        let (go, gate) = channel::<()>();
        let mut slot = Some(
            Task::spawn("slot", &ctx, move || {
                let _ = gate.recv();
                7
            })
            .unwrap_or_else(|e| panic!("{e}")),
        );
        assert_eq!(take(&mut slot), None);
        assert!(slot.is_some(), "a running task stays in its slot");
        let _ = go.send(());
        let started = Instant::now();
        let got = loop {
            match take(&mut slot) {
                None if started.elapsed() < Duration::from_secs(30) => {
                    std::thread::sleep(Duration::from_millis(1));
                }
                other => break other,
            }
        };
        assert_eq!(got, Some(Ok(7)));
        assert!(slot.is_none());
        assert_eq!(take(&mut slot), None);

        let mut lost: Option<Task<u32>> = Some(
            Task::spawn("doomed", &ctx, || panic!("on purpose")).unwrap_or_else(|e| panic!("{e}")),
        );
        let started = Instant::now();
        while lost.as_ref().is_some_and(|t| t.poll() == Poll::Pending)
            && started.elapsed() < Duration::from_secs(30)
        {
            std::thread::sleep(Duration::from_millis(1));
        }
        assert!(matches!(take(&mut lost), Some(Err(msg)) if msg.contains("doomed")));
        assert!(lost.is_none());
    }

    #[test]
    fn a_panicking_job_is_reported_lost() {
        let ctx = egui::Context::default();
        let task: Task<u32> =
            Task::spawn("doomed", &ctx, || panic!("on purpose")).unwrap_or_else(|e| panic!("{e}"));
        match wait(&task) {
            Poll::Lost(msg) => assert!(msg.contains("doomed"), "{msg}"),
            other => panic!("expected Lost, got {other:?}"),
        }
    }
}
