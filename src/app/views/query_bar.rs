//! The TraceQL bar above the Traces view: the text, coloured by the query lexer's tokens;
//! history on Up/Down; completion of attribute names and values from the loaded data (the
//! query layer's `complete`); the parse error under its column. Enter runs the query on a
//! thread (`Task`); the answer is kept per session generation and query text.

use std::sync::Arc;

use egui::text::{CCursor, CCursorRange, CharIndex, LayoutJob, TextFormat};
use egui::{Color32, FontId, Key, Ui};

use crate::app::state::Session;
use crate::app::task::{self, Task};
use crate::app::theme::{ERROR, QL_FIELD, QL_KEYWORD, QL_NUMBER, QL_STRING};
use crate::query::traceql::complete::{Suggestion, suggest};
use crate::query::traceql::{Class, Matched, ParseError, Query, classes};
use crate::units::count;

/// Queries remembered for Up/Down.
const HISTORY: usize = 50;

#[derive(Default)]
pub struct QueryBar {
    pub text: String,
    history: Vec<String>,
    /// Position in `history` while browsing it with Up/Down.
    browsing: Option<usize>,
    /// The query the answer is for (text, session generation); `None`: no query.
    ran: Option<(String, u64)>,
    /// The answer of `ran` (every trace when `None`).
    matched: Option<Arc<Matched>>,
    pending: Option<((String, u64), Task<Matched>)>,
    error: Option<ParseError>,
    /// The evaluation thread was lost.
    failure: Option<String>,
    /// Suggestions for (text, cursor).
    suggestion: Option<(String, usize, Option<Suggestion>)>,
    /// Bumped whenever `matched` changes.
    generation: u64,
    /// A query the user ran, not yet taken by `take_new_run`.
    new_run: Option<String>,
}

impl QueryBar {
    /// The answer the views follow: `None` when no query is applied.
    pub fn matched(&self) -> Option<&Arc<Matched>> {
        self.matched.as_ref()
    }

    /// Changes whenever `matched` does.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The text of a query run since the last call (not a re-run for a new session): what
    /// the Tempo search takes.
    pub fn take_new_run(&mut self) -> Option<String> {
        self.new_run.take()
    }

    /// Whether a query is still being evaluated.
    pub fn running(&self) -> bool {
        self.pending.is_some()
    }

    /// The error of the text as it is, if it does not parse.
    pub fn error(&self) -> Option<&ParseError> {
        self.error.as_ref()
    }

    /// The session changed: the answer is taken again for it (same text).
    pub fn reset(&mut self) {
        self.suggestion = None;
    }

    /// Runs the text over `session` (an empty text clears the query).
    pub fn run(&mut self, ctx: &egui::Context, session: &Arc<Session>) {
        let text = self.text.trim().to_string();
        self.run_text(ctx, session, text, true);
    }

    /// Runs `text`; `user`: the user asked (else a re-run for a new session).
    fn run_text(&mut self, ctx: &egui::Context, session: &Arc<Session>, text: String, user: bool) {
        self.error = None;
        self.failure = None;
        self.browsing = None;
        if text.is_empty() {
            self.pending = None;
            self.set(None, None);
            return;
        }
        if self.history.last() != Some(&text) {
            self.history.push(text.clone());
            if self.history.len() > HISTORY {
                self.history.remove(0);
            }
        }
        let query = match Query::parse(&text) {
            Ok(q) => {
                if user {
                    self.new_run = Some(text.clone());
                }
                q
            }
            Err(e) => {
                self.error = Some(e);
                return;
            }
        };
        let key = (text, session.index.generation());
        if self.ran.as_ref() == Some(&key) || self.pending.as_ref().is_some_and(|(k, _)| *k == key)
        {
            return;
        }
        let s = Arc::clone(session);
        match Task::spawn("traceql", ctx, move || query.matched(&s)) {
            Ok(t) => self.pending = Some((key, t)),
            // No thread to spare: evaluate here, a stall rather than nothing.
            Err(_) => {
                let m = Query::parse(&key.0).map(|q| q.matched(session)).ok();
                self.set(Some(key), m);
            }
        }
    }

    fn set(&mut self, ran: Option<(String, u64)>, matched: Option<Matched>) {
        self.ran = ran;
        self.matched = matched.map(Arc::new);
        self.generation += 1;
    }

    /// Takes the answer once it arrived; runs the query again for a new session.
    fn poll(&mut self, ctx: &egui::Context, session: &Arc<Session>) {
        if let Some((key, t)) = self.pending.take() {
            let mut slot = Some(t);
            match task::take(&mut slot) {
                Some(Ok(m)) if key.1 == session.index.generation() => self.set(Some(key), Some(m)),
                // Answered for a session that has since been replaced: ask again.
                Some(Ok(_)) => self.run_text(ctx, session, key.0, false),
                Some(Err(e)) => self.failure = Some(e),
                None => self.pending = slot.map(|t| (key, t)),
            }
        }
        let stale = self
            .ran
            .as_ref()
            .is_some_and(|(_, g)| *g != session.index.generation());
        if stale && self.pending.is_none() {
            let text = self
                .ran
                .as_ref()
                .map(|(t, _)| t.clone())
                .unwrap_or_default();
            self.run_text(ctx, session, text, false);
        }
    }

    pub fn ui(&mut self, ui: &mut Ui, session: &Arc<Session>) {
        self.poll(ui.ctx(), session);
        let id = ui.make_persistent_id("traceql-bar");
        let mut enter = false;
        let mut accept = None;
        // Keys the bar takes before the text field sees them.
        if ui.memory(|m| m.has_focus(id)) {
            let has_items = self.suggestion_items().is_some();
            let (up, down) = ui.input_mut(|i| {
                if has_items && i.consume_key(egui::Modifiers::NONE, Key::Tab) {
                    accept = Some(0);
                }
                (
                    i.consume_key(egui::Modifiers::NONE, Key::ArrowUp),
                    i.consume_key(egui::Modifiers::NONE, Key::ArrowDown),
                )
            });
            if up || down {
                self.browse(up);
            }
        }
        ui.horizontal(|ui| {
            let label = ui.label("TraceQL");
            let mut layouter = |ui: &Ui, text: &dyn egui::TextBuffer, _wrap: f32| {
                ui.fonts_mut(|f| f.layout_job(highlighted(ui, text.as_str())))
            };
            let width = (ui.available_width() - 110.0).max(120.0);
            let out = egui::TextEdit::singleline(&mut self.text)
                .id(id)
                .hint_text(r#"{ resource.service.name = "order-svc" && status = error }"#)
                .desired_width(width)
                .lock_focus(true)
                .layouter(&mut layouter)
                .show(ui);
            let resp = out.response.response.clone().labelled_by(label.id);
            if resp.changed() {
                self.error = Query::parse(self.text.trim())
                    .err()
                    .filter(|_| !self.text.trim().is_empty());
                self.browsing = None;
            }
            if resp.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter)) {
                enter = true;
            }
            if resp.has_focus()
                && let Some(r) = out.cursor_range
            {
                let c = byte_of_char(&self.text, r.primary.index.0);
                self.update_suggestion(session, c);
            }
            // The error under its column.
            if let Some(e) = &self.error {
                let x = column_x(&out.galley, out.galley_pos.x, e.column);
                let y = out.galley_pos.y + out.galley.size().y;
                ui.painter().text(
                    egui::pos2(x, y),
                    egui::Align2::CENTER_TOP,
                    "^",
                    FontId::monospace(12.0),
                    ERROR,
                );
            }
            if ui.button("Run").clicked() {
                enter = true;
            }
            if self.ran.is_some() && ui.button("Clear").clicked() {
                self.text.clear();
                enter = true;
            }
            if self.pending.is_some() {
                ui.spinner();
            }
        });
        if let Some(k) = accept {
            self.accept(ui.ctx(), id, k);
        }
        if let Some(e) = &self.error {
            ui.colored_label(ERROR, e.to_string());
        } else if let Some(f) = &self.failure {
            ui.colored_label(ERROR, f);
        }
        if let Some(items) = self.suggestion_items() {
            let items = items.to_vec();
            ui.horizontal_wrapped(|ui| {
                ui.weak("Tab:");
                for (k, item) in items.iter().enumerate() {
                    if ui.small_button(item).clicked() {
                        self.accept(ui.ctx(), id, k);
                    }
                }
            });
        }
        if enter {
            self.run(ui.ctx(), session);
            self.suggestion = None;
        }
        if let (Some(m), true) = (&self.matched, self.error.is_none()) {
            ui.weak(format!(
                "matched: {}, {} ({})",
                count(m.traces.len() as u64, "trace"),
                count(m.spans.len() as u64, "span"),
                self.ran.as_ref().map_or("", |(t, _)| t.as_str())
            ));
        }
    }

    fn suggestion_items(&self) -> Option<&[String]> {
        self.suggestion
            .as_ref()
            .and_then(|(_, _, s)| s.as_ref())
            .map(|s| s.items.as_slice())
    }

    fn update_suggestion(&mut self, session: &Session, cursor: usize) {
        if self
            .suggestion
            .as_ref()
            .is_some_and(|(t, c, _)| *t == self.text && *c == cursor)
        {
            return;
        }
        let s = suggest(
            &session.store,
            session.index.vocabulary(),
            &self.text,
            cursor,
        );
        self.suggestion = Some((self.text.clone(), cursor, s));
    }

    /// Puts suggestion `k` in place and the cursor after it.
    fn accept(&mut self, ctx: &egui::Context, id: egui::Id, k: usize) {
        let Some((_, _, Some(s))) = self.suggestion.take() else {
            return;
        };
        let Some(item) = s.items.get(k) else {
            return;
        };
        if s.replace.end > self.text.len() {
            return;
        }
        self.text.replace_range(s.replace.clone(), item);
        let end = s.replace.start + item.len();
        let chars = self.text[..end].chars().count();
        if let Some(mut state) = egui::TextEdit::load_state(ctx, id) {
            let c = CCursor::new(CharIndex(chars));
            state.cursor.set_char_range(Some(CCursorRange::one(c)));
            state.store(ctx, id);
        }
        self.error = Query::parse(self.text.trim()).err();
        ctx.memory_mut(|m| m.request_focus(id));
    }

    /// Up: an older query; Down: a newer one, then the empty text.
    fn browse(&mut self, older: bool) {
        if self.history.is_empty() {
            return;
        }
        let last = self.history.len() - 1;
        let next = match (self.browsing, older) {
            (None, true) => Some(last),
            (None, false) => None,
            (Some(k), true) => Some(k.saturating_sub(1)),
            (Some(k), false) if k < last => Some(k + 1),
            (Some(_), false) => None,
        };
        self.browsing = next;
        self.text = next.map_or_else(String::new, |k| self.history[k].clone());
        self.error = None;
    }
}

/// The query text coloured by the lexer's classes.
fn highlighted(ui: &Ui, text: &str) -> LayoutJob {
    let font = FontId::monospace(13.0);
    let plain = ui.visuals().text_color();
    let mut job = LayoutJob::default();
    let mut at = 0;
    let push = |job: &mut LayoutJob, s: &str, color: Color32| {
        job.append(s, 0.0, TextFormat::simple(font.clone(), color));
    };
    for (range, class) in classes(text) {
        if range.start > at {
            push(&mut job, &text[at..range.start], plain);
        }
        let color = match class {
            Class::Field => QL_FIELD,
            Class::String => QL_STRING,
            Class::Number => QL_NUMBER,
            Class::Keyword => QL_KEYWORD,
            Class::Error => ERROR,
            Class::Punct | Class::Operator => plain,
        };
        push(&mut job, &text[range.clone()], color);
        at = range.end;
    }
    if at < text.len() {
        push(&mut job, &text[at..], plain);
    }
    job
}

fn byte_of_char(s: &str, chars: usize) -> usize {
    s.char_indices().nth(chars).map_or(s.len(), |(b, _)| b)
}

/// The x of the middle of 1-based character column `col` of a one-line galley.
fn column_x(galley: &egui::Galley, left: f32, col: usize) -> f32 {
    let at = |k: usize| galley.pos_from_cursor(CCursor::new(CharIndex(k))).left();
    let k = col.saturating_sub(1);
    left + (at(k) + at(k + 1)) / 2.0
}
