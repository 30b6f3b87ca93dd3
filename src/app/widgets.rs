//! Small egui widgets the views and panels share.

use egui::{Response, Ui};

/// A one-line text field after its label, named by it (screen readers and the UI tests find
/// the field by the label's text).
pub fn labelled_field(
    ui: &mut Ui,
    label: &str,
    value: &mut String,
    hint: &str,
    width: f32,
) -> Response {
    let l = ui.label(label);
    ui.add(
        egui::TextEdit::singleline(value)
            .hint_text(hint)
            .desired_width(width),
    )
    .labelled_by(l.id)
}

/// A progress bar, `done` of `total` (empty while the total is unknown), saying `text`, and a
/// button `cancel` after it: true when that was clicked.
pub fn progress_with_cancel(
    ui: &mut Ui,
    (done, total): (f64, f64),
    width: f32,
    text: String,
    cancel: &str,
) -> bool {
    let fraction = if total > 0.0 {
        (done / total).clamp(0.0, 1.0) as f32
    } else {
        0.0
    };
    ui.horizontal(|ui| {
        let bar = egui::ProgressBar::new(fraction).desired_width(width);
        ui.add(bar.text(text));
        ui.button(cancel).clicked()
    })
    .inner
}
