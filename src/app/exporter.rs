//! The Export ▾ menu of the topology and trace views: a save dialog on its own thread (the UI
//! never blocks), then the snapshot written by `crate::export`.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, TryRecvError, channel};

use super::state::Session;
use crate::export::{self, ExportView, Format};

#[derive(Default)]
pub struct Exporter {
    running: Option<Receiver<Result<Option<PathBuf>, String>>>,
    status: Option<String>,
}

impl Exporter {
    pub fn menu(
        &mut self,
        ui: &mut egui::Ui,
        session: &Arc<Session>,
        view: ExportView,
        stem: &str,
    ) {
        if let Some(rx) = &self.running {
            match rx.try_recv() {
                Ok(Ok(Some(path))) => self.status = Some(format!("exported {}", path.display())),
                Ok(Ok(None)) => self.status = None,
                Ok(Err(e)) => self.status = Some(e),
                Err(TryRecvError::Empty) => {
                    ui.ctx()
                        .request_repaint_after(std::time::Duration::from_millis(100));
                }
                Err(TryRecvError::Disconnected) => {}
            }
            if !matches!(rx.try_recv(), Err(TryRecvError::Empty)) {
                self.running = None;
            }
        }
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

    fn start(
        &mut self,
        ctx: &egui::Context,
        session: &Arc<Session>,
        view: ExportView,
        format: Format,
        stem: &str,
    ) {
        let (tx, rx) = channel();
        let session = Arc::clone(session);
        let ctx = ctx.clone();
        let name = format!("{stem}.{}", format.extension());
        std::thread::spawn(move || {
            let picked = rfd::FileDialog::new()
                .set_file_name(&name)
                .add_filter(format.extension().to_uppercase(), &[format.extension()])
                .save_file();
            let result = match picked {
                Some(path) => {
                    export::export_to_file(&session.store, &session.analysis, view, format, &path)
                        .map(|()| Some(path))
                        .map_err(|e| format!("export failed: {e}"))
                }
                None => Ok(None),
            };
            let _ = tx.send(result);
            ctx.request_repaint();
        });
        self.running = Some(rx);
        self.status = Some("exporting…".to_string());
    }
}
