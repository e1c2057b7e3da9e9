//! "Passages like this": the passages across the project most like a selection
//! ([`codeloom::suggest::similar_with`], by meaning too when a sentence-embedding model is
//! loaded in "Suggestions settings…"), computed once on a thread of its own when
//! "Find similar passages" is chosen (never while drawing), listed with their document,
//! score and text, each with a checkbox and Open; "Code the chosen with" applies one code
//! to every ticked passage as one operation (one undo step).

use super::study::Study;
use codeloom::Project;
use codeloom::suggest::{SimilarPassage, StaticEmbeddings};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, channel};

/// How many passages the window lists.
pub const SIMILAR_LIMIT: usize = 20;

/// What the window asks the Code screen for.
#[derive(Debug, Clone, PartialEq)]
pub enum SimilarAction {
    /// Open a document at a passage.
    Open { document_id: String, start: usize, end: usize },
    /// Apply this code to every ticked passage.
    Code(String),
}

/// The window's state.
#[derive(Default)]
pub struct SimilarWindow {
    pub open: bool,
    job: Option<Receiver<Result<Vec<SimilarPassage>, String>>>,
    /// The passages found, the most similar first.
    pub passages: Vec<SimilarPassage>,
    /// Which passages are ticked (as many as `passages`).
    pub chosen: Vec<bool>,
    /// The code "Code the chosen with" applies.
    pub code: Option<String>,
}

impl SimilarWindow {
    /// Starts looking for the passages like chars `[start, end)` of `document` in the
    /// project at `path` (by meaning too with `model`), on a thread of its own, and opens
    /// the window.
    pub fn find(
        &mut self,
        path: PathBuf,
        (document, start, end): (String, usize, usize),
        model: Option<Arc<StaticEmbeddings>>,
        ctx: &egui::Context,
    ) -> Result<(), String> {
        let (tx, rx) = channel();
        let ctx = ctx.clone();
        std::thread::Builder::new()
            .name("similar".into())
            .spawn(move || {
                let result = Project::open_another(&path)
                    .and_then(|p| {
                        codeloom::suggest::similar_with(&p, (document.as_str(), start, end), SIMILAR_LIMIT, model)
                    })
                    .map_err(|e| e.to_string());
                let _ = tx.send(result);
                ctx.request_repaint();
            })
            .map_err(|e| format!("cannot look for similar passages: {e}"))?;
        self.job = Some(rx);
        self.open = true;
        self.passages.clear();
        self.chosen.clear();
        Ok(())
    }

    pub fn finding(&self) -> bool {
        self.job.is_some()
    }

    /// Takes the passages when the thread has finished; `Some(Err)` when it failed.
    pub fn poll(&mut self) -> Option<Result<(), String>> {
        let result = self.job.as_ref()?.try_recv().ok()?;
        self.job = None;
        Some(result.map(|found| {
            self.chosen = vec![false; found.len()];
            self.passages = found;
        }))
    }

    /// The ticked passages.
    pub fn ticked(&self) -> Vec<&SimilarPassage> {
        self.passages.iter().zip(&self.chosen).filter(|(_, c)| **c).map(|(p, _)| p).collect()
    }

    /// Draws the window.
    pub fn ui(&mut self, ctx: &egui::Context, study: &Study) -> Option<SimilarAction> {
        let mut open = self.open;
        let mut action = None;
        egui::Window::new("Passages like this").open(&mut open).default_size([720.0, 480.0]).show(ctx, |ui| {
            action = self.contents(ui, study);
        });
        self.open = open;
        action
    }

    fn contents(&mut self, ui: &mut egui::Ui, study: &Study) -> Option<SimilarAction> {
        let mut action = None;
        ui.horizontal(|ui| {
            let chosen = self.code.as_ref().map_or("Choose a code".to_string(), |c| study.path(c));
            egui::ComboBox::from_label("Code the chosen with").selected_text(chosen).show_ui(ui, |ui| {
                for c in &study.codes {
                    let path = study.path(&c.id);
                    if ui.selectable_label(self.code.as_ref() == Some(&c.id), path).clicked() {
                        self.code = Some(c.id.clone());
                    }
                }
            });
            let n = self.chosen.iter().filter(|c| **c).count();
            let button = egui::Button::new(format!("Code {n} chosen"));
            if ui.add_enabled(n > 0 && self.code.is_some(), button).clicked()
                && let Some(code) = &self.code
            {
                action = Some(SimilarAction::Code(code.clone()));
            }
        });
        ui.separator();
        if self.finding() {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.weak("Looking for similar passages…");
            });
            return action;
        }
        if self.passages.is_empty() {
            ui.weak("No similar passages.");
        }
        egui::ScrollArea::vertical().id_salt("similar_scroll").show(ui, |ui| {
            egui::Grid::new("similar_passages").striped(true).show(ui, |ui| {
                for (p, chosen) in self.passages.iter().zip(self.chosen.iter_mut()) {
                    ui.checkbox(chosen, &p.document_name).on_hover_text("Choose this passage");
                    ui.label(format!("{:.2}", p.score));
                    ui.add(egui::Label::new(&p.text).truncate()).on_hover_text(&p.text);
                    if ui.button("Open").clicked() {
                        action = Some(SimilarAction::Open {
                            document_id: p.document_id.clone(),
                            start: p.start,
                            end: p.end,
                        });
                    }
                    ui.end_row();
                }
            });
        });
        action
    }
}
