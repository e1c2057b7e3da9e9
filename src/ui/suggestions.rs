//! Suggested codings on the Code screen: the model is learned from the team's codings on a
//! thread of its own (the window never waits; the status bar shows how far it is), and
//! the open document's suggestions are computed when the model arrives, when a document is
//! opened and after each change, never while drawing. The selected suggestion's reasons
//! (its score, the words that weighed most, the most similar coded passages) are shown in
//! the inspector with Accept (Enter or A), Reject (X) and "accept all of this code above
//! 0.8"; accepting and rejecting are store operations (one undoable operation each).
//! Learning again after new codings is asked for ("Learn again").

use super::study::Study;
use super::transcript::SuggestMark;
use codeloom::Project;
use codeloom::model::words::count;
use codeloom::suggest::{InboxOptions, StaticEmbeddings, SuggestOptions, Suggester, Suggestion, TrainOptions};
use egui::{Color32, RichText};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, channel};

/// "Accept all of this code above" takes suggestions scoring at least this.
pub const ACCEPT_ALL_ABOVE: f64 = 0.8;

/// What the suggestions panel asks the Code screen for.
#[derive(Debug, Clone, PartialEq)]
pub enum SuggestAction {
    Accept(String),
    Reject(String),
    /// Accept every suggestion of this code in the open document scoring at least this.
    AcceptAbove {
        code_id: String,
        min_score: f64,
    },
    /// Open a document at a passage (a similar passage was clicked).
    Open {
        document_id: String,
        start: usize,
        end: usize,
    },
}

enum TrainMessage {
    Progress(usize, usize),
    Finished(Box<Result<Suggester, String>>),
}

/// Training on a worker thread.
struct TrainJob {
    rx: Receiver<TrainMessage>,
    progress: Option<(usize, usize)>,
}

/// The suggestions of the Code screen.
#[derive(Default)]
pub struct Suggestions {
    /// Suggestions are shown (the toggle).
    pub on: bool,
    job: Option<TrainJob>,
    model: Option<Suggester>,
    /// The open document's suggestions, the highest scores first.
    shown: Vec<Suggestion>,
    /// The suggestion selected in the transcript.
    pub selected: Option<String>,
    /// Learning was asked for again while learning.
    pub again: bool,
}

impl Suggestions {
    /// Starts learning from the project at `path` on a thread of its own (unless it is
    /// already learning); with `model`, the passages are then embedded to be compared by
    /// meaning too.
    pub fn learn(
        &mut self,
        path: PathBuf,
        model: Option<Arc<StaticEmbeddings>>,
        ctx: &egui::Context,
    ) -> Result<(), String> {
        if self.job.is_some() {
            // Asked while learning (a model for meaning arrived, or "Learn again"): learn
            // again once this is done, so that the model reflects what was asked.
            self.again = true;
            return Ok(());
        }
        let (tx, rx) = channel();
        let ctx = ctx.clone();
        std::thread::Builder::new()
            .name("suggest".into())
            .spawn(move || {
                let progress_tx = std::sync::Mutex::new(tx.clone());
                let repaint = ctx.clone();
                let result = Project::open_another(&path)
                    .and_then(|project| {
                        codeloom::suggest::train_with_progress(&project, &TrainOptions::default(), &|done, total| {
                            if let Ok(tx) = progress_tx.lock() {
                                let _ = tx.send(TrainMessage::Progress(done, total));
                            }
                            repaint.request_repaint();
                        })
                    })
                    .map(|suggester| match model {
                        Some(m) => suggester.with_meaning(m, &|_, _| {}),
                        None => suggester,
                    })
                    .map_err(|e| e.to_string());
                let _ = tx.send(TrainMessage::Finished(Box::new(result)));
                ctx.request_repaint();
            })
            .map_err(|e| format!("cannot start learning the suggestions: {e}"))?;
        self.job = Some(TrainJob { rx, progress: None });
        Ok(())
    }

    /// Turns suggestions off: the model and the shown suggestions are dropped.
    pub fn turn_off(&mut self) {
        self.on = false;
        self.model = None;
        self.shown.clear();
        self.selected = None;
    }

    pub fn learning(&self) -> bool {
        self.job.is_some()
    }

    pub fn trained(&self) -> bool {
        self.model.is_some()
    }

    /// Reads what the training thread sent; `Some` when it has finished (the error, if
    /// it failed). A model that arrives after suggestions were turned off is dropped.
    pub fn poll(&mut self) -> Option<Result<(), String>> {
        let job = self.job.as_mut()?;
        let mut finished = None;
        while let Ok(m) = job.rx.try_recv() {
            match m {
                TrainMessage::Progress(done, total) => job.progress = Some((done, total)),
                TrainMessage::Finished(r) => finished = Some(*r),
            }
        }
        let result = finished?;
        self.job = None;
        Some(match result {
            Ok(model) => {
                if self.on {
                    self.model = Some(model);
                }
                Ok(())
            }
            Err(e) => Err(e),
        })
    }

    /// Computes the suggestions of a document (none when there is no model).
    pub fn compute(&mut self, project: &Project, document_id: Option<&str>) -> codeloom::Result<()> {
        self.shown = match (&self.model, document_id) {
            (Some(m), Some(doc)) if self.on => m.suggest_document(project, doc, &SuggestOptions::default())?,
            _ => Vec::new(),
        };
        if self.selected.as_ref().is_some_and(|id| !self.shown.iter().any(|s| &s.id == id)) {
            self.selected = None;
        }
        Ok(())
    }

    /// The inbox of one code: its highest-scoring passages across the project, or in the
    /// documents of one wave and of the participants given (every one when empty).
    pub fn inbox(
        &self,
        project: &Project,
        code_id: &str,
        wave: Option<&str>,
        participants: &[String],
    ) -> codeloom::Result<Vec<Suggestion>> {
        match &self.model {
            Some(m) => {
                let options = InboxOptions {
                    codes: vec![code_id.to_string()],
                    wave: wave.map(str::to_string),
                    participants: participants.to_vec(),
                    per_code: 30,
                    ..Default::default()
                };
                m.inbox(project, &options)
            }
            None => Ok(Vec::new()),
        }
    }

    /// The codes with a model (those that can be suggested).
    pub fn trained_codes(&self) -> Vec<String> {
        self.model.as_ref().map(|m| m.trained_codes()).unwrap_or_default()
    }

    pub fn shown(&self) -> &[Suggestion] {
        &self.shown
    }

    pub fn find(&self, id: &str) -> Option<&Suggestion> {
        self.shown.iter().find(|s| s.id == id)
    }

    pub fn selected(&self) -> Option<&Suggestion> {
        self.selected.as_deref().and_then(|id| self.find(id))
    }

    /// The shown suggestions as the transcript draws them.
    pub fn marks(&self, study: &Study) -> Vec<SuggestMark> {
        self.shown
            .iter()
            .map(|s| SuggestMark {
                id: s.id.clone(),
                start: s.start,
                end: s.end,
                color: study.colors.get(&s.code_id).copied().unwrap_or(Color32::GRAY),
            })
            .collect()
    }

    /// The status bar's part: the toggle's state, learning progress, the flagged codes and
    /// "Learn again". Returns whether "Learn again" was clicked.
    pub fn status(&self, ui: &mut egui::Ui, study: &Study) -> bool {
        if let Some(job) = &self.job {
            match job.progress {
                Some((done, total)) => {
                    let frac = done as f32 / total.max(1) as f32;
                    ui.add(
                        egui::ProgressBar::new(frac)
                            .desired_width(160.0)
                            .text(format!("Learning from the team's codings… {done}/{total}")),
                    );
                }
                None => {
                    ui.spinner();
                    ui.weak("Learning from the team's codings…");
                }
            }
            return false;
        }
        let Some(model) = &self.model else { return false };
        ui.weak(count(self.shown.len(), "suggestion"));
        let flagged = model.flagged();
        if !flagged.is_empty() {
            let names: Vec<String> =
                flagged.iter().map(|(id, n)| format!("{} ({})", study.path(id), count(*n, "coding"))).collect();
            let least = TrainOptions::default().min_examples;
            ui.weak(format!("{} not suggested (fewer than {least} codings)", count(flagged.len(), "code")))
                .on_hover_text(format!(
                    "Codes with fewer than {least} codings are not suggested:\n{}",
                    names.join("\n")
                ));
        }
        ui.button("Learn again")
            .on_hover_text("Learn from the codings as they are now (the model does not follow new codings by itself)")
            .clicked()
    }

    /// The selected suggestion in the inspector: its code, score, reasons, similar coded
    /// passages and what can be done with it.
    pub fn inspector(&self, ui: &mut egui::Ui, study: &Study) -> Option<SuggestAction> {
        let s = self.selected()?;
        let mut action = None;
        let color = study.colors.get(&s.code_id).copied().unwrap_or(Color32::GRAY);
        egui::Sides::new().shrink_left().truncate().show(
            ui,
            |ui| {
                let (r, _) = ui.allocate_exact_size(egui::vec2(12.0, 12.0), egui::Sense::hover());
                ui.painter().rect_stroke(r, 3.0, egui::Stroke::new(2.0, color), egui::StrokeKind::Inside);
                ui.label(RichText::new(format!("{:.2}", s.score)).strong())
                    .on_hover_text(format!("The model's score, from {}", s.model_version));
                let name = format!("Suggested: {}", study.path(&s.code_id));
                ui.add(egui::Label::new(RichText::new(&name).strong()).truncate()).on_hover_text(&name);
            },
            |ui| {
                let this_code = self.shown.iter().filter(|o| o.code_id == s.code_id && o.score >= ACCEPT_ALL_ABOVE);
                let n = this_code.count();
                if ui
                    .add_enabled(n > 0, egui::Button::new(format!("Accept all of this code above 0.8 ({n})")))
                    .clicked()
                {
                    action =
                        Some(SuggestAction::AcceptAbove { code_id: s.code_id.clone(), min_score: ACCEPT_ALL_ABOVE });
                }
                if ui.button("Reject").on_hover_text("X").clicked() {
                    action = Some(SuggestAction::Reject(s.id.clone()));
                }
                if ui.button("Accept").on_hover_text("Enter or A").clicked() {
                    action = Some(SuggestAction::Accept(s.id.clone()));
                }
            },
        );
        let words: Vec<&str> = s.words.iter().take(8).map(|w| w.word.as_str()).collect();
        ui.horizontal_wrapped(|ui| {
            ui.weak("Because of:");
            ui.label(if words.is_empty() { "–".to_string() } else { words.join(", ") });
        });
        for p in s.similar.iter().take(3) {
            let text = format!("{} ({:.2}): {}", p.document_name, p.score, p.text);
            if ui.link(text).on_hover_text("Open this passage").clicked() {
                action = Some(SuggestAction::Open { document_id: p.document_id.clone(), start: p.start, end: p.end });
            }
        }
        action
    }
}
