//! The workbench window (egui): open or create a project, import transcripts, read and
//! code them, edit the codebook, write memos, undo and redo. Each panel is its own file
//! with a small state struct and a `ui` method; every action calls the library, and
//! nothing here reads or writes the project file directly.

mod agreement;
mod analysis;
mod app;
mod assignments;
pub mod bench;
mod chrome;
mod code_dialogs;
mod code_screen;
mod codebook;
mod codebook_review;
mod documents;
mod files;
mod listen;
mod meaning;
mod memos;
mod notify;
mod picker;
pub mod player;
mod search;
mod session;
mod similar;
mod study;
#[cfg(test)]
mod study_tests;
mod suggest_inbox;
mod suggestions;
#[cfg(test)]
mod tests;
mod theme;
mod transcript;

pub use app::App;

use std::path::PathBuf;

/// The application icon (`assets/codeloom-256.png`, rendered from `assets/codeloom.svg`).
pub const ICON_PNG: &[u8] = include_bytes!("../../assets/codeloom-256.png");

/// Opens the workbench window, on `project` if given (else on the last project), at
/// `document` if given.
pub fn run(project: Option<PathBuf>, document: Option<String>) -> anyhow::Result<()> {
    let mut viewport = egui::ViewportBuilder::default();
    match eframe::icon_data::from_png_bytes(ICON_PNG) {
        Ok(icon) => viewport = viewport.with_icon(icon),
        Err(e) => eprintln!("the window icon cannot be read: {e}"),
    }
    let options = eframe::NativeOptions {
        viewport: viewport
            .with_inner_size([1440.0, 900.0])
            .with_min_inner_size([900.0, 560.0])
            .with_title("Codeloom")
            .with_app_id("codeloom")
            .with_drag_and_drop(true),
        ..Default::default()
    };
    eframe::run_native("Codeloom", options, Box::new(move |cc| Ok(Box::new(App::new(cc, project, document)))))
        .map_err(|e| anyhow::anyhow!("cannot open the window: {e}"))
}
