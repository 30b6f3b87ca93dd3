//! The notice above the view: the files that could not be read and the readers' warnings of
//! the last load, folded to one line until opened.

use egui::{Color32, RichText, Ui};

use super::format;
use super::theme;
use crate::model::Warning;

/// Errors and reader warnings of the last load, shown above the view.
#[derive(Default)]
pub struct Notice {
    errors: Vec<String>,
    pub warnings: Vec<Warning>,
    open: bool,
    dismissed: bool,
}

impl Notice {
    /// The notice of a load that failed on these files (open when there are any).
    pub fn of_errors(errors: Vec<String>) -> Self {
        Notice {
            open: !errors.is_empty(),
            errors,
            ..Notice::default()
        }
    }

    /// Shows one error, open.
    pub fn error(&mut self, e: String) {
        self.errors = vec![e];
        self.open = true;
        self.dismissed = false;
    }

    /// Opens or closes the details (the status line's warnings link).
    pub fn toggle(&mut self) {
        self.dismissed = false;
        self.open = !self.open;
    }

    pub fn ui(&mut self, ui: &mut Ui) {
        let n = self;
        if n.dismissed || (n.errors.is_empty() && n.warnings.is_empty()) {
            return;
        }
        let errors = !n.errors.is_empty();
        let (fill, stroke) = if errors {
            (theme::ERROR_FILL, theme::ERROR)
        } else {
            (theme::WARNING_FILL, theme::WARNING)
        };
        egui::Frame::new()
            .fill(fill)
            .stroke(egui::Stroke::new(1.0, stroke))
            .corner_radius(4.0)
            .inner_margin(6.0)
            .show(ui, |ui| {
                ui.horizontal(|ui| {
                    let total: u64 = n.warnings.iter().map(|w| w.count).sum();
                    let mut title = Vec::new();
                    if errors {
                        let files = format::count(n.errors.len() as u64, "file");
                        title.push(format!("{files} could not be read"));
                    }
                    if total > 0 {
                        title.push(format!("{} while loading", format::count(total, "warning")));
                    }
                    ui.label(
                        RichText::new(title.join(", "))
                            .color(Color32::WHITE)
                            .strong(),
                    );
                    let toggle = if n.open { "Hide details" } else { "Details" };
                    if ui.button(toggle).clicked() {
                        n.open = !n.open;
                    }
                    if ui.button("Dismiss").clicked() {
                        n.dismissed = true;
                    }
                });
                if n.open {
                    egui::ScrollArea::vertical()
                        .id_salt("notice")
                        .max_height(160.0)
                        .show(ui, |ui| {
                            for e in &n.errors {
                                ui.label(RichText::new(e).color(Color32::WHITE));
                            }
                            for w in &n.warnings {
                                ui.label(RichText::new(w.to_string()).color(Color32::WHITE));
                            }
                        });
                }
            });
        ui.add_space(4.0);
    }
}
