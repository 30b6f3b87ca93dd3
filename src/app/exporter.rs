//! The Export ▾ menu of the topology and trace views: a save dialog on its own thread (the UI
//! never blocks), then the snapshot written by `crate::export`.

use std::path::PathBuf;
use std::sync::Arc;

use super::state::Session;
use super::task::{Poll, Task};
use crate::analysis::service_view::ServiceFilter;
use crate::export::{self, ExportView, Format};

/// What an export job gives: the file written, `None` when the dialog was cancelled, or why
/// it failed.
type Outcome = Result<Option<PathBuf>, String>;

#[derive(Default)]
pub struct Exporter {
    running: Option<Task<Outcome>>,
    status: Option<String>,
    /// What the Services view shows (focus, filters, groups): the export draws the same.
    pub filter: ServiceFilter,
}

impl Exporter {
    pub fn menu(
        &mut self,
        ui: &mut egui::Ui,
        session: &Arc<Session>,
        view: ExportView,
        stem: &str,
    ) {
        self.poll(ui.ctx());
        let idle = self.running.is_none();
        ui.add_enabled_ui(idle, |ui| {
            ui.menu_button("Export ▾", |ui| {
                for f in Format::ALL {
                    if ui.button(f.extension().to_uppercase()).clicked() {
                        self.start(ui.ctx(), session, view, f, stem);
                        ui.close();
                    }
                }
            });
        });
        if let Some(s) = &self.status {
            ui.label(s);
        }
    }

    /// Takes the running export's result, if it arrived: the status always leaves
    /// "exporting…" once the job ends, whether it wrote, was cancelled, failed or died.
    fn poll(&mut self, ctx: &egui::Context) {
        let Some(task) = &self.running else {
            return;
        };
        self.status = match task.poll() {
            Poll::Pending => {
                ctx.request_repaint_after(std::time::Duration::from_millis(100));
                return;
            }
            Poll::Ready(Ok(Some(path))) => Some(format!("exported {}", path.display())),
            Poll::Ready(Ok(None)) => None,
            Poll::Ready(Err(e)) | Poll::Lost(e) => Some(e),
        };
        self.running = None;
    }

    fn start(
        &mut self,
        ctx: &egui::Context,
        session: &Arc<Session>,
        view: ExportView,
        format: Format,
        stem: &str,
    ) {
        let session = Arc::clone(session);
        let filter = self.filter.clone();
        let name = format!("{stem}.{}", format.extension());
        self.run(ctx, move || {
            let picked = rfd::FileDialog::new()
                .set_file_name(&name)
                .add_filter(format.extension().to_uppercase(), &[format.extension()])
                .save_file();
            match picked {
                Some(path) => export::export_filtered_to_file(
                    &session.store,
                    &session.analysis,
                    view,
                    format,
                    &filter,
                    &path,
                )
                .map(|()| Some(path))
                .map_err(|e| format!("export failed: {e}")),
                None => Ok(None),
            }
        });
    }

    fn run(&mut self, ctx: &egui::Context, job: impl FnOnce() -> Outcome + Send + 'static) {
        match Task::spawn("export", ctx, job) {
            Ok(task) => {
                self.running = Some(task);
                self.status = Some("exporting…".to_string());
            }
            Err(e) => self.status = Some(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::channel;
    use std::time::{Duration, Instant};

    /// Polls as the menu does each frame until the job is over (bounded).
    fn settle(ex: &mut Exporter, ctx: &egui::Context) {
        let started = Instant::now();
        while ex.running.is_some() && started.elapsed() < Duration::from_secs(30) {
            ex.poll(ctx);
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    #[test]
    fn the_status_leaves_exporting_when_the_job_ends() {
        let ctx = egui::Context::default();
        let mut ex = Exporter::default();
        // The result arrives while frames poll: it must be shown, not dropped.
        let (go, gate) = channel::<()>();
        ex.run(&ctx, move || {
            let _ = gate.recv();
            Ok(Some(PathBuf::from("/tmp/x.svg")))
        });
        ex.poll(&ctx);
        assert_eq!(ex.status.as_deref(), Some("exporting…"));
        let _ = go.send(());
        settle(&mut ex, &ctx);
        assert_eq!(ex.status.as_deref(), Some("exported /tmp/x.svg"));

        ex.run(&ctx, || Err("export failed: disk full".to_string()));
        settle(&mut ex, &ctx);
        assert_eq!(ex.status.as_deref(), Some("export failed: disk full"));

        ex.run(&ctx, || Ok(None));
        settle(&mut ex, &ctx);
        assert_eq!(ex.status, None);

        ex.run(&ctx, || panic!("on purpose"));
        settle(&mut ex, &ctx);
        assert!(ex.running.is_none());
        let status = ex.status.clone().unwrap_or_default();
        assert!(status.contains("export thread stopped"), "{status}");
    }
}
