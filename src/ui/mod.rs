//! The workbench window (egui): open or create a project, import transcripts, read and
//! code them, edit the codebook, write memos, undo and redo. Each panel is its own file
//! with a small state struct and a `ui` method; every action calls the library, and
//! nothing here reads or writes the project file directly.

mod agreement;
mod analysis;
mod app;
pub mod bench;
mod code_dialogs;
mod codebook;
mod codebook_review;
mod documents;
mod files;
mod memos;
mod notify;
mod picker;
mod search;
mod study;
#[cfg(test)]
mod tests;
mod theme;
mod transcript;

pub use app::App;

use std::path::PathBuf;

/// Opens the workbench window, on `project` if given (else on the last project).
pub fn run(project: Option<PathBuf>) -> anyhow::Result<()> {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_inner_size([1440.0, 900.0])
            .with_min_inner_size([900.0, 560.0])
            .with_title("Codeloom")
            .with_app_id("codeloom")
            .with_drag_and_drop(true),
        ..Default::default()
    };
    eframe::run_native("Codeloom", options, Box::new(move |cc| Ok(Box::new(App::new(cc, project)))))
        .map_err(|e| anyhow::anyhow!("cannot open the window: {e}"))
}
