//! The suggestions inbox and "How good are the suggestions?": a window of its own on the
//! Code screen. The inbox is a queue, per code, of the highest-scoring passages not yet
//! coded with it across the project (computed when a code is chosen and after each
//! change, never while drawing), each with Accept, Reject and Open. The evaluation trains
//! on some documents and tests on the others (5 document folds) on a thread of its own and
//! shows per code precision, recall, F1, Krippendorff's α and the number of examples.

use super::study::Study;
use codeloom::Project;
use codeloom::model::words::count;
use codeloom::suggest::{EvalOptions, Evaluation, Statistic, Suggestion};
use egui::RichText;
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, channel};

/// What the inbox asks the Code screen for.
#[derive(Debug, Clone, PartialEq)]
pub enum InboxAction {
    /// Show this code's queue.
    Choose(String),
    Accept(Box<Suggestion>),
    Reject(Box<Suggestion>),
    Open {
        document_id: String,
        start: usize,
        end: usize,
    },
    /// Run "How good are the suggestions?".
    Evaluate,
    /// Show the queue of the documents of this wave (every wave when `None`) and of these
    /// participants (every participant when empty).
    Narrow {
        wave: Option<String>,
        participants: Vec<String>,
    },
}

/// The inbox window's state.
#[derive(Default)]
pub struct Inbox {
    pub open: bool,
    /// The code whose queue is shown.
    pub code: Option<String>,
    /// The queue covers the documents of this wave only (every wave when `None`)…
    pub wave: Option<String>,
    /// …and of these participants only, by label (every participant when empty).
    pub participants: Vec<String>,
    /// Its suggestions across the project, the highest scores first.
    pub items: Vec<Suggestion>,
    evaluating: Option<Receiver<Result<Evaluation, String>>>,
    pub evaluation: Option<Evaluation>,
}

impl Inbox {
    /// Starts the evaluation on a thread of its own (unless it is running).
    pub fn evaluate(&mut self, path: PathBuf, ctx: &egui::Context) -> Result<(), String> {
        if self.evaluating.is_some() {
            return Ok(());
        }
        let (tx, rx) = channel();
        let ctx = ctx.clone();
        std::thread::Builder::new()
            .name("evaluate".into())
            .spawn(move || {
                let result = Project::open_another(&path)
                    .and_then(|p| codeloom::suggest::evaluate(&p, &EvalOptions::default()))
                    .map_err(|e| e.to_string());
                let _ = tx.send(result);
                ctx.request_repaint();
            })
            .map_err(|e| format!("cannot start the evaluation: {e}"))?;
        self.evaluating = Some(rx);
        Ok(())
    }

    pub fn evaluating(&self) -> bool {
        self.evaluating.is_some()
    }

    /// Takes the evaluation when it has finished; `Some(Err)` when it failed.
    pub fn poll(&mut self) -> Option<Result<(), String>> {
        let result = self.evaluating.as_ref()?.try_recv().ok()?;
        self.evaluating = None;
        Some(result.map(|e| self.evaluation = Some(e)))
    }

    /// Draws the window; `codes` are the codes with a model.
    pub fn ui(&mut self, ctx: &egui::Context, study: &Study, codes: &[String]) -> Option<InboxAction> {
        let mut open = self.open;
        let mut action = None;
        egui::Window::new("Suggestions inbox").open(&mut open).default_size([720.0, 560.0]).show(ctx, |ui| {
            action = self.contents(ui, study, codes);
        });
        self.open = open;
        action
    }

    fn contents(&self, ui: &mut egui::Ui, study: &Study, codes: &[String]) -> Option<InboxAction> {
        let mut action = None;
        ui.horizontal(|ui| {
            let chosen = self.code.as_ref().map_or("Choose a code".to_string(), |c| study.path(c));
            egui::ComboBox::from_label("code").selected_text(chosen).show_ui(ui, |ui| {
                for c in codes {
                    if ui.selectable_label(self.code.as_ref() == Some(c), study.path(c)).clicked() {
                        action = Some(InboxAction::Choose(c.clone()));
                    }
                }
            });
            ui.separator();
            let button = egui::Button::new("How good are the suggestions?");
            if ui
                .add_enabled(!self.evaluating(), button)
                .on_hover_text("Learns on some documents and tests on the others (5 document folds)")
                .clicked()
            {
                action = Some(InboxAction::Evaluate);
            }
            if self.evaluating() {
                ui.spinner();
                ui.weak("Evaluating…");
            }
        });
        if let Some(narrow) = self.narrowing(ui, study) {
            action = Some(narrow);
        }
        ui.separator();
        egui::ScrollArea::vertical().id_salt("inbox_scroll").max_height(300.0).show(ui, |ui| {
            if self.code.is_some() && self.items.is_empty() {
                ui.weak("Nothing to suggest for this code.");
            }
            egui::Grid::new("inbox_queue").striped(true).show(ui, |ui| {
                for s in &self.items {
                    ui.label(&s.document_name);
                    ui.label(format!("{:.2}", s.score));
                    let words: Vec<&str> = s.words.iter().take(4).map(|w| w.word.as_str()).collect();
                    ui.weak(words.join(", "));
                    let open = InboxAction::Open { document_id: s.document_id.clone(), start: s.start, end: s.end };
                    if ui.button("Open").clicked() {
                        action = Some(open);
                    }
                    if ui.button("Accept").clicked() {
                        action = Some(InboxAction::Accept(Box::new(s.clone())));
                    }
                    if ui.button("Reject").clicked() {
                        action = Some(InboxAction::Reject(Box::new(s.clone())));
                    }
                    ui.end_row();
                }
            });
        });
        if let Some(e) = &self.evaluation {
            ui.separator();
            evaluation_table(ui, e);
        }
        action
    }
}

impl Inbox {
    /// The wave and participants the queue covers; a change asks for the queue again.
    fn narrowing(&self, ui: &mut egui::Ui, study: &Study) -> Option<InboxAction> {
        let (mut wave, mut participants) = (self.wave.clone(), self.participants.clone());
        ui.horizontal(|ui| {
            let shown = wave.clone().unwrap_or_else(|| "Every wave".to_string());
            egui::ComboBox::from_label("wave").selected_text(shown).show_ui(ui, |ui| {
                ui.selectable_value(&mut wave, None, "Every wave");
                for w in &study.waves {
                    ui.selectable_value(&mut wave, Some(w.clone()), w);
                }
            });
            let chosen = match participants.len() {
                0 => "Every participant".to_string(),
                n => count(n, "participant"),
            };
            ui.menu_button(chosen, |ui| {
                if ui.button("Every participant").clicked() {
                    participants.clear();
                }
                egui::ScrollArea::vertical().max_height(260.0).show(ui, |ui| {
                    for p in &study.participants {
                        let mut on = participants.contains(&p.label);
                        if ui.checkbox(&mut on, &p.label).changed() {
                            if on {
                                participants.push(p.label.clone());
                            } else {
                                participants.retain(|l| l != &p.label);
                            }
                        }
                    }
                });
            });
            ui.label("participants");
        });
        (wave != self.wave || participants != self.participants).then_some(InboxAction::Narrow { wave, participants })
    }
}

fn stat(s: &Statistic) -> String {
    s.value.map_or("–".to_string(), |v| format!("{v:.2}"))
}

/// The evaluation's per-code table.
fn evaluation_table(ui: &mut egui::Ui, e: &Evaluation) {
    ui.label(RichText::new("How good are the suggestions?").strong());
    ui.weak(format!(
        "{} folds over {}; a passage scoring at least {:.2} counts as suggested; {} with too few codings not evaluated.",
        e.folds,
        count(e.documents, "document"),
        e.threshold,
        count(e.flagged.len(), "code")
    ));
    egui::ScrollArea::vertical().id_salt("evaluation_scroll").show(ui, |ui| {
        egui::Grid::new("evaluation_table").striped(true).show(ui, |ui| {
            for h in ["Code", "Precision", "Recall", "F1", "α", "Examples"] {
                ui.label(RichText::new(h).strong());
            }
            ui.end_row();
            for c in &e.codes {
                ui.label(&c.code_name);
                for s in [&c.figures.precision, &c.figures.recall, &c.figures.f1, &c.figures.alpha] {
                    ui.label(stat(s)).on_hover_text(s.undefined.clone().unwrap_or_default());
                }
                ui.label(c.examples.to_string());
                ui.end_row();
            }
            ui.label(RichText::new("All codes").strong());
            let p = &e.pooled;
            for s in [&p.precision, &p.recall, &p.f1, &p.alpha] {
                ui.label(stat(s));
            }
            ui.end_row();
        });
    });
}
