//! File › Follow file…: the file dialog runs on its own thread (it blocks), and the file it
//! gives is followed in live mode (`live::follow`).

use std::path::PathBuf;
use std::sync::mpsc;

#[derive(Default)]
pub struct FollowPicker {
    rx: Option<mpsc::Receiver<Option<PathBuf>>>,
}

impl FollowPicker {
    /// Opens the dialog, unless it is open already.
    pub fn open(&mut self, ctx: &egui::Context) -> std::io::Result<()> {
        if self.rx.is_some() {
            return Ok(());
        }
        let (tx, rx) = mpsc::channel();
        let ctx = ctx.clone();
        std::thread::Builder::new()
            .name("tracetopo-follow-dialog".into())
            .spawn(move || {
                let file = rfd::FileDialog::new()
                    .set_title("Follow a file as it grows")
                    .pick_file();
                let _ = tx.send(file);
                ctx.request_repaint();
            })?;
        self.rx = Some(rx);
        Ok(())
    }

    /// The file picked, once the dialog closed with one.
    pub fn poll(&mut self) -> Option<PathBuf> {
        let got = self.rx.as_ref()?.try_recv();
        match got {
            Ok(file) => {
                self.rx = None;
                file
            }
            Err(mpsc::TryRecvError::Empty) => None,
            Err(mpsc::TryRecvError::Disconnected) => {
                self.rx = None;
                None
            }
        }
    }
}
