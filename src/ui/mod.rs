//! The workbench window (egui). For now: open or create a project, see its documents
//! grouped by participant and wave, and read a document turn by turn. Every action calls
//! the library; nothing here reads or writes the project file directly.

mod app;

pub use app::App;

use std::path::PathBuf;

/// Opens the workbench window, on `project` if given (else on the last project).
pub fn run(project: Option<PathBuf>) -> anyhow::Result<()> {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_inner_size([1280.0, 820.0])
            .with_title("Codeloom")
            .with_app_id("codeloom"),
        ..Default::default()
    };
    eframe::run_native("Codeloom", options, Box::new(move |cc| Ok(Box::new(App::new(cc, project)))))
        .map_err(|e| anyhow::anyhow!("cannot open the window: {e}"))
}
