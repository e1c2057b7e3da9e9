//! File dialogs behind a small trait, so that tests can hand the app paths instead of
//! opening a desktop dialog. The real chooser uses rfd, run off the UI thread: the app
//! asks, and picks up the answer on a later frame.

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, channel};

/// What a dialog is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialog {
    OpenProject,
    NewProject,
    ImportFiles,
    ImportFolder,
    /// A codebook file to add codes from (Codeloom JSON or REFI-QDA .qdc).
    ImportCodebook,
    /// Where to write the codebook (.json or .qdc).
    ExportCodebook,
    /// A recording to link to the open document.
    LinkRecording,
    /// Where the open document's recording is now.
    LocateRecording,
    /// The folder of a sentence-embedding model (model.safetensors and tokenizer.json).
    EmbeddingModel,
}

/// Answers file dialogs. `choose` may block; the app calls it on a worker thread.
pub trait FileChooser: Send + Sync {
    fn choose(&self, dialog: Dialog) -> Vec<PathBuf>;
}

/// The desktop's file dialogs (xdg portal, or zenity), through rfd.
pub struct DesktopChooser;

impl FileChooser for DesktopChooser {
    fn choose(&self, dialog: Dialog) -> Vec<PathBuf> {
        let project = rfd::FileDialog::new().add_filter("Codeloom project", &["codeloom"]);
        match dialog {
            Dialog::OpenProject => project.set_title("Open a project").pick_file().into_iter().collect(),
            Dialog::NewProject => project
                .set_title("Create a project")
                .set_file_name("study.codeloom")
                .save_file()
                .map(|p| if p.extension().is_none() { p.with_extension("codeloom") } else { p })
                .into_iter()
                .collect(),
            Dialog::ImportFiles => rfd::FileDialog::new()
                .set_title("Import transcripts")
                .add_filter("Transcripts", codeloom::import::SUPPORTED)
                .pick_files()
                .unwrap_or_default(),
            Dialog::ImportFolder => {
                rfd::FileDialog::new().set_title("Import a folder of transcripts").pick_folder().into_iter().collect()
            }
            Dialog::ImportCodebook => rfd::FileDialog::new()
                .set_title("Import a codebook")
                .add_filter("Codebook (Codeloom JSON, REFI-QDA)", &["json", "qdc"])
                .pick_file()
                .into_iter()
                .collect(),
            Dialog::ExportCodebook => rfd::FileDialog::new()
                .set_title("Export the codebook (.json or .qdc)")
                .add_filter("Codeloom codebook", &["json"])
                .add_filter("REFI-QDA codebook", &["qdc"])
                .set_file_name("codebook.json")
                .save_file()
                .into_iter()
                .collect(),
            Dialog::LinkRecording | Dialog::LocateRecording => rfd::FileDialog::new()
                .set_title(if dialog == Dialog::LinkRecording {
                    "Link a recording to this document"
                } else {
                    "Where is this document's recording?"
                })
                .add_filter("Recordings (sound, or the sound of a video)", codeloom::media::MEDIA_EXTENSIONS)
                .pick_file()
                .into_iter()
                .collect(),
            Dialog::EmbeddingModel => rfd::FileDialog::new()
                .set_title("The folder holding model.safetensors and tokenizer.json")
                .pick_folder()
                .into_iter()
                .collect(),
        }
    }
}

/// A dialog that is open on a worker thread.
pub struct PendingDialog {
    pub dialog: Dialog,
    answer: Receiver<Vec<PathBuf>>,
}

impl PendingDialog {
    /// Opens `dialog` on a worker thread; `ctx` is repainted when it is answered.
    pub fn start(chooser: std::sync::Arc<dyn FileChooser>, dialog: Dialog, ctx: egui::Context) -> Self {
        let (tx, rx) = channel();
        let spawned = std::thread::Builder::new().name("file-dialog".into()).spawn(move || {
            let paths = chooser.choose(dialog);
            let _ = tx.send(paths);
            ctx.request_repaint();
        });
        if spawned.is_err() {
            // No thread: the receiver reports "closed", which the app treats as cancelled.
        }
        PendingDialog { dialog, answer: rx }
    }

    /// The answer, once there is one: `Some(paths)` (empty when cancelled).
    pub fn poll(&self) -> Option<Vec<PathBuf>> {
        match self.answer.try_recv() {
            Ok(p) => Some(p),
            Err(std::sync::mpsc::TryRecvError::Empty) => None,
            Err(std::sync::mpsc::TryRecvError::Disconnected) => Some(Vec::new()),
        }
    }
}

/// A chooser that answers from a list (for tests).
#[cfg(test)]
pub struct FixedChooser(pub std::sync::Mutex<Vec<Vec<PathBuf>>>);

#[cfg(test)]
impl FileChooser for FixedChooser {
    fn choose(&self, _dialog: Dialog) -> Vec<PathBuf> {
        self.0.lock().map(|mut v| if v.is_empty() { Vec::new() } else { v.remove(0) }).unwrap_or_default()
    }
}
