//! "Suggestions settings…": the sentence-embedding model that lets "Passages like this"
//! and the passages a suggestion is shown to be like compare meaning as well as words. The
//! researcher chooses the folder holding the model (model2vec's layout: model.safetensors
//! and tokenizer.json); it is read and checked on a thread of its own (never while
//! drawing), and the window shows the model loaded (its dimensions and vocabulary) or why
//! it was refused. A model that loaded is saved in the researcher's settings file
//! ([`codeloom::settings`]), so the next start loads it again; a refused folder is not.
//! Nothing is downloaded.

use codeloom::model::words::count;
use codeloom::settings::Settings;
use codeloom::suggest::StaticEmbeddings;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, channel};

/// What the dialog asks the window for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MeaningAction {
    /// Choose a model folder (the folder dialog).
    ChooseFolder,
    /// Compare by words only: forget the model.
    WordsOnly,
}

/// The model's state.
#[derive(Default)]
pub enum ModelState {
    /// No model: words only.
    #[default]
    None,
    /// Being read from this folder.
    Loading(PathBuf, Receiver<Result<StaticEmbeddings, String>>),
    Loaded(Arc<StaticEmbeddings>),
    /// The folder and why its model was refused.
    Refused(PathBuf, String),
}

/// The dialog and the model it loaded.
#[derive(Default)]
pub struct MeaningSettings {
    pub open: bool,
    /// The settings file the choice is saved to; none in tests, which save nothing.
    pub settings_path: Option<PathBuf>,
    pub state: ModelState,
}

impl MeaningSettings {
    /// Starts reading the model in `folder` on a thread of its own.
    pub fn load(&mut self, folder: PathBuf, ctx: &egui::Context) {
        let (tx, rx) = channel();
        let ctx = ctx.clone();
        let from = folder.clone();
        let spawned = std::thread::Builder::new().name("embedding-model".into()).spawn(move || {
            let _ = tx.send(StaticEmbeddings::load(&from).map_err(|e| e.to_string()));
            ctx.request_repaint();
        });
        self.state = match spawned {
            Ok(_) => ModelState::Loading(folder, rx),
            Err(e) => ModelState::Refused(folder, format!("cannot start reading the model: {e}")),
        };
    }

    /// Forgets the model: words only.
    pub fn clear(&mut self) {
        self.state = ModelState::None;
    }

    /// Takes the model when the thread has read it: `Some(Ok(description))` when it
    /// loaded, `Some(Err(reason))` when it was refused, `None` while nothing finished.
    pub fn poll(&mut self) -> Option<Result<String, String>> {
        let ModelState::Loading(folder, rx) = &self.state else { return None };
        let result = match rx.try_recv() {
            Ok(r) => r,
            Err(std::sync::mpsc::TryRecvError::Empty) => return None,
            Err(std::sync::mpsc::TryRecvError::Disconnected) => Err("the model could not be read".into()),
        };
        let folder = folder.clone();
        Some(match result {
            Ok(model) => {
                let description = model.describe();
                self.state = ModelState::Loaded(Arc::new(model));
                Ok(description)
            }
            Err(e) => {
                self.state = ModelState::Refused(folder, e.clone());
                Err(e)
            }
        })
    }

    /// The model, once loaded.
    pub fn model(&self) -> Option<Arc<StaticEmbeddings>> {
        match &self.state {
            ModelState::Loaded(m) => Some(m.clone()),
            _ => None,
        }
    }

    pub fn loading(&self) -> bool {
        matches!(self.state, ModelState::Loading(..))
    }

    /// Saves `folder` as the model to load at the next start (none: words only). Nothing
    /// is saved when there is no settings file (tests).
    pub fn save(&self, folder: Option<&Path>) -> Result<(), String> {
        let Some(path) = &self.settings_path else { return Ok(()) };
        let mut settings = Settings::load_from(path).map_err(|e| e.to_string())?;
        if settings.embedding_model.as_deref() == folder {
            return Ok(());
        }
        settings.embedding_model = folder.map(Path::to_path_buf);
        settings.save_to(path).map_err(|e| e.to_string())
    }

    /// Draws the dialog when it is open.
    pub fn ui(&mut self, ctx: &egui::Context) -> Option<MeaningAction> {
        let mut open = self.open;
        let mut action = None;
        egui::Window::new("Suggestions settings")
            .open(&mut open)
            .resizable(false)
            .default_width(520.0)
            .show(ctx, |ui| action = self.contents(ui));
        self.open = open;
        action
    }

    fn contents(&self, ui: &mut egui::Ui) -> Option<MeaningAction> {
        let mut action = None;
        ui.label(
            "Passages are compared by the words they share. With a sentence-embedding model, \
             they are compared by meaning too, so that passages saying the same thing in other words are found.",
        );
        ui.weak(
            "Choose a folder holding model.safetensors and tokenizer.json (model2vec's layout, such as \
             potion-base-8M). Codeloom only reads the folder: nothing is downloaded.",
        );
        ui.separator();
        match &self.state {
            ModelState::None => {
                ui.label("Model: none (words only)");
            }
            ModelState::Loading(folder, _) => {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label(format!("Reading the model in {}…", folder.display()));
                });
            }
            ModelState::Loaded(m) => {
                ui.label(format!("Model: {}", m.folder().display()));
                ui.label(format!(
                    "Loaded: {}, a vocabulary of {}",
                    count(m.dims(), "dimension"),
                    count(m.vocabulary(), "token")
                ));
            }
            ModelState::Refused(folder, reason) => {
                ui.label(format!("Model: {}", folder.display()));
                ui.colored_label(ui.visuals().error_fg_color, format!("Refused: {reason}"));
            }
        }
        ui.horizontal(|ui| {
            if ui.add_enabled(!self.loading(), egui::Button::new("Embedding model folder…")).clicked() {
                action = Some(MeaningAction::ChooseFolder);
            }
            let has = !matches!(self.state, ModelState::None);
            if ui.add_enabled(has && !self.loading(), egui::Button::new("Words only")).clicked() {
                action = Some(MeaningAction::WordsOnly);
            }
        });
        action
    }
}
