//! File › Connect to backend…: the URL, the kind (detected unless chosen), extra headers and the
//! NAME of the environment variable holding the token. Recent connections fill the form.
//! Connecting runs off the UI thread (`BackendPanel` polls it).

use egui::{RichText, Ui};

use super::config::Saved;
use crate::app::widgets::labelled_field;
use crate::backend::{self, BackendError, ErrorKind, HttpConfig, Kind};

/// What the form holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Form {
    pub url: String,
    /// None: ask the server.
    pub kind: Option<Kind>,
    /// One `Name: value` per line.
    pub headers: String,
    pub token_env: String,
}

impl Form {
    pub fn from_saved(s: &Saved) -> Form {
        Form {
            url: s.url.clone(),
            kind: s.kind(),
            headers: s
                .headers
                .iter()
                .map(|(k, v)| format!("{k}: {v}"))
                .collect::<Vec<_>>()
                .join("\n"),
            token_env: s.token_env.clone().unwrap_or_default(),
        }
    }

    /// The headers, each line `Name: value`; blank lines are skipped.
    pub fn header_pairs(&self) -> Result<Vec<(String, String)>, BackendError> {
        let mut out = Vec::new();
        for (n, line) in self.headers.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            let Some((k, v)) = line.split_once(':').filter(|(k, _)| !k.trim().is_empty()) else {
                return Err(BackendError::new(
                    &self.url,
                    ErrorKind::Config,
                    format!("header line {}: \"{line}\" is not Name: value", n + 1),
                ));
            };
            out.push((k.trim().to_string(), v.trim().to_string()));
        }
        Ok(out)
    }

    /// The client settings: headers, and the token read from the named variable now.
    pub fn http_config(&self) -> Result<HttpConfig, BackendError> {
        let token_env = self.token_env.trim();
        Ok(HttpConfig {
            headers: self.header_pairs()?,
            authorization: if token_env.is_empty() {
                None
            } else {
                Some(backend::authorization_from_env(token_env)?)
            },
            ..HttpConfig::default()
        })
    }

    /// What is remembered of it (the kind as connected, never the token).
    pub fn to_saved(&self, kind: Kind) -> Saved {
        let token_env = self.token_env.trim();
        Saved {
            url: self.url.trim().trim_end_matches('/').to_string(),
            kind: Some(kind.name().to_string()),
            headers: self.header_pairs().unwrap_or_default(),
            token_env: (!token_env.is_empty()).then(|| token_env.to_string()),
        }
    }
}

/// What the dialog asks for after drawing.
pub enum Action {
    None,
    Connect,
    Close,
}

/// Draws the dialog's contents. `busy`: a connection attempt is running; `error`: the last
/// attempt's error.
pub fn ui(
    ui: &mut Ui,
    form: &mut Form,
    saved: &[Saved],
    busy: bool,
    error: Option<&str>,
) -> Action {
    let mut action = Action::None;
    if !saved.is_empty() {
        ui.horizontal(|ui| {
            ui.label("Recent:");
            egui::ComboBox::from_id_salt("recent-backends")
                .selected_text("choose…")
                .width(320.0)
                .show_ui(ui, |ui| {
                    for s in saved {
                        if ui.selectable_label(false, &s.url).clicked() {
                            *form = Form::from_saved(s);
                        }
                    }
                });
        });
    }
    egui::Grid::new("connect-form")
        .num_columns(2)
        .spacing([8.0, 6.0])
        .show(ui, |ui| {
            let hint = "http://tempo:3200 or https://example.net/jaeger";
            labelled_field(ui, "Backend URL", &mut form.url, hint, 340.0);
            ui.end_row();
            ui.label("Kind");
            ui.horizontal(|ui| {
                ui.selectable_value(&mut form.kind, None, "Detect");
                ui.selectable_value(&mut form.kind, Some(Kind::Tempo), "Tempo");
                ui.selectable_value(&mut form.kind, Some(Kind::Jaeger), "Jaeger");
            });
            ui.end_row();
            let l = ui.label("Headers");
            ui.add(
                egui::TextEdit::multiline(&mut form.headers)
                    .hint_text("X-Scope-OrgID: acme")
                    .desired_rows(2)
                    .desired_width(340.0),
            )
            .labelled_by(l.id);
            ui.end_row();
            let hint = "TEMPO_TOKEN (the variable's name, not the token)";
            labelled_field(ui, "Token variable", &mut form.token_env, hint, 340.0).on_hover_text(
                "The token is read from this environment variable when connecting; only the \
                 variable's name is remembered",
            );
            ui.end_row();
        });
    if let Some(e) = error {
        ui.label(RichText::new(e).color(egui::Color32::from_rgb(230, 90, 80)));
    }
    ui.horizontal(|ui| {
        if busy {
            ui.spinner();
            ui.label("Connecting…");
        } else if ui
            .add_enabled(!form.url.trim().is_empty(), egui::Button::new("Connect"))
            .clicked()
        {
            action = Action::Connect;
        }
        if ui.button("Close").clicked() {
            action = Action::Close;
        }
    });
    action
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_name_value_lines() {
        let f = Form {
            url: "http://t:3200/".into(),
            headers: "X-Scope-OrgID: acme\n\n  X-A:b:c ".into(),
            ..Form::default()
        };
        let pairs = f.header_pairs().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            pairs,
            vec![
                ("X-Scope-OrgID".to_string(), "acme".to_string()),
                ("X-A".to_string(), "b:c".to_string())
            ]
        );
        let saved = f.to_saved(Kind::Tempo);
        assert_eq!(saved.url, "http://t:3200");
        assert_eq!(
            Form::from_saved(&saved).headers,
            "X-Scope-OrgID: acme\nX-A: b:c"
        );
        let bad = Form {
            headers: "no colon here".into(),
            ..Form::default()
        };
        let e = bad.header_pairs().err().map(|e| e.to_string());
        assert!(e.is_some_and(|e| e.contains("line 1")));
    }
}
