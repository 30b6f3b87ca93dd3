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
