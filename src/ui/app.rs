//! The application state and its one screen: a documents panel (participant × wave)
//! and a reading view of the selected document.

use codeloom::Project;
use codeloom::model::{Turn, offsets::CharIndex, time::format_clock};
use codeloom::store::queries::DocumentSummary;
use egui::{Color32, RichText};
use std::collections::HashMap;
use std::path::PathBuf;

const LAST_PROJECT_KEY: &str = "last_project";

/// The open document, loaded once when selected.
struct Reading {
    id: String,
    title: String,
    /// Each turn with its text, cut from the document once rather than every frame.
    turns: Vec<(Turn, String)>,
}

/// The workbench application.
pub struct App {
    project: Option<Project>,
    documents: Vec<DocumentSummary>,
    /// Index into `documents` by (participant, wave), built when the project is read.
    grid: HashMap<(String, String), usize>,
    waves: Vec<String>,
    participants: Vec<String>,
    reading: Option<Reading>,
    path_input: String,
    notice: Option<String>,
}

impl App {
    pub fn new(cc: &eframe::CreationContext<'_>, project: Option<PathBuf>) -> Self {
        let last: Option<String> = cc.storage.and_then(|s| eframe::get_value(s, LAST_PROJECT_KEY));
        let mut app = App::empty();
        let chosen = project.or_else(|| last.map(PathBuf::from).filter(|p| p.is_file()));
        if let Some(p) = chosen {
            app.open(p);
        }
        app
    }

    fn empty() -> Self {
        App {
            project: None,
            documents: Vec::new(),
            grid: HashMap::new(),
            waves: Vec::new(),
            participants: Vec::new(),
            reading: None,
            path_input: String::new(),
            notice: None,
        }
    }

    /// An app showing an already open project.
    #[cfg(test)]
    pub fn on_project(project: Project) -> Self {
        let mut app = App::empty();
        app.set_project(project);
        app
    }

    /// Draws the whole window.
    pub fn show(&mut self, ui: &mut egui::Ui) {
        egui::Panel::top("top_bar").show(ui, |ui| self.top_bar(ui));
        egui::Panel::left("documents").resizable(true).default_size(380.0).show(ui, |ui| self.documents_panel(ui));
        egui::CentralPanel::default().show(ui, |ui| self.reading_view(ui));
    }

    fn open(&mut self, path: PathBuf) {
        match Project::open(&path) {
            Ok(p) => self.set_project(p),
            Err(e) => self.notice = Some(e.to_string()),
        }
    }

    fn set_project(&mut self, p: Project) {
        self.path_input = p.path().display().to_string();
        self.project = Some(p);
        self.reading = None;
        self.refresh();
    }

    fn refresh(&mut self) {
        let Some(p) = &self.project else { return };
        let loaded = (|| -> codeloom::Result<_> { Ok((p.documents()?, p.waves()?, p.participants()?)) })();
        match loaded {
            Ok((docs, waves, parts)) => {
                self.grid = docs
                    .iter()
                    .enumerate()
                    .filter_map(|(i, d)| Some(((d.document.participant.clone()?, d.document.wave.clone()?), i)))
                    .collect();
                self.documents = docs;
                self.waves = waves.into_iter().map(|w| w.name).collect();
                self.participants = parts.into_iter().map(|p| p.label).collect();
            }
            Err(e) => self.notice = Some(e.to_string()),
        }
    }

    fn select(&mut self, id: &str) {
        let Some(p) = &self.project else { return };
        let loaded = (|| -> codeloom::Result<_> { Ok((p.document(id)?, p.document_text(id)?, p.turns(id)?)) })();
        match loaded {
            Ok((d, text, turns)) => {
                let title = format!(
                    "{}  ·  participant {}  ·  wave {}  ·  {} turns",
                    d.name,
                    d.participant.as_deref().unwrap_or("-"),
                    d.wave.as_deref().unwrap_or("-"),
                    turns.len()
                );
                let index = CharIndex::new(&text);
                let turns = turns
                    .into_iter()
                    .map(|t| {
                        let body = match (index.char_to_byte(t.start), index.char_to_byte(t.end)) {
                            (Some(s), Some(e)) if s <= e => text[s..e].to_string(),
                            _ => String::new(),
                        };
                        (t, body)
                    })
                    .collect();
                self.reading = Some(Reading { id: d.id, title, turns });
            }
            Err(e) => self.notice = Some(e.to_string()),
        }
    }

    fn top_bar(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            ui.heading("Codeloom");
            ui.separator();
            ui.label("Project file:");
            ui.add(
                egui::TextEdit::singleline(&mut self.path_input)
                    .desired_width(420.0)
                    .hint_text("path/to/study.codeloom"),
            );
            if ui.button("Open").clicked() {
                self.open(PathBuf::from(self.path_input.trim()));
            }
            if ui.button("Create").clicked() {
                match Project::create(&PathBuf::from(self.path_input.trim())) {
                    Ok(p) => self.set_project(p),
                    Err(e) => self.notice = Some(e.to_string()),
                }
            }
        });
        if let Some(n) = self.notice.clone() {
            ui.horizontal(|ui| {
                ui.colored_label(Color32::from_rgb(190, 60, 40), n);
                if ui.small_button("Dismiss").clicked() {
                    self.notice = None;
                }
            });
        }
    }

    fn documents_panel(&mut self, ui: &mut egui::Ui) {
        ui.heading("Documents");
        ui.label(format!(
            "{} participants · {} waves · {} documents",
            self.participants.len(),
            self.waves.len(),
            self.documents.len()
        ));
        ui.separator();
        let mut clicked = None;
        egui::ScrollArea::vertical().show(ui, |ui| {
            egui::Grid::new("participant_wave_grid").striped(true).spacing([12.0, 6.0]).show(ui, |ui| {
                ui.strong("Participant");
                for w in &self.waves {
                    ui.strong(w);
                }
                ui.end_row();
                for p in &self.participants {
                    ui.label(p);
                    for w in &self.waves {
                        let doc = self.grid.get(&(p.clone(), w.clone())).map(|&i| &self.documents[i]);
                        match doc {
                            Some(d) => {
                                let selected = self.reading.as_ref().is_some_and(|r| r.id == d.document.id);
                                let label = format!("{} ({})", d.document.name, d.coding_count);
                                if ui
                                    .selectable_label(selected, label)
                                    .on_hover_text(&d.document.original_name)
                                    .clicked()
                                {
                                    clicked = Some(d.document.id.clone());
                                }
                            }
                            None => {
                                ui.weak("—");
                            }
                        }
                    }
                    ui.end_row();
                }
            });
            let loose: Vec<&DocumentSummary> = self
                .documents
                .iter()
                .filter(|d| d.document.participant.is_none() || d.document.wave.is_none())
                .collect();
            if !loose.is_empty() {
                ui.separator();
                ui.strong("Other documents");
                for d in loose {
                    if ui.selectable_label(false, &d.document.name).clicked() {
                        clicked = Some(d.document.id.clone());
                    }
                }
            }
        });
        if let Some(id) = clicked {
            self.select(&id);
        }
    }

    fn reading_view(&self, ui: &mut egui::Ui) {
        let Some(r) = &self.reading else {
            ui.centered_and_justified(|ui| {
                ui.weak(if self.project.is_some() {
                    "Choose a document on the left to read it."
                } else {
                    "Open a project file, or build the demo with `codeloom demo`."
                });
            });
            return;
        };
        ui.heading(&r.title);
        ui.separator();
        egui::ScrollArea::vertical().auto_shrink([false, false]).show(ui, |ui| {
            ui.set_max_width(820.0);
            for (t, body) in &r.turns {
                ui.horizontal(|ui| {
                    if let Some(s) = &t.speaker {
                        ui.label(RichText::new(s).strong().color(Color32::from_rgb(40, 90, 150)));
                    }
                    if let Some(ms) = t.time_start_ms {
                        ui.weak(format_clock(ms));
                    }
                });
                ui.label(RichText::new(body.as_str()).size(15.0));
                ui.add_space(10.0);
            }
        });
    }
}

impl eframe::App for App {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.show(ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        if let Some(p) = &self.project {
            eframe::set_value(storage, LAST_PROJECT_KEY, &p.path().display().to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use egui_kittest::Harness;
    use egui_kittest::kittest::Queryable;

    fn demo() -> (tempfile::TempDir, Project) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("demo.codeloom");
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        codeloom::demo::build_demo(&path, &codeloom::demo::DemoSources::in_repository(root)).unwrap();
        let project = Project::open(&path).unwrap();
        (dir, project)
    }

    fn harness(project: Project) -> Harness<'static, App> {
        Harness::builder()
            .with_size(egui::vec2(1280.0, 820.0))
            .build_ui_state(|ui, app: &mut App| app.show(ui), App::on_project(project))
    }

    #[test]
    fn lists_participants_by_wave_and_reads_a_document() {
        let (_dir, project) = demo();
        let mut harness = harness(project);
        harness.run();
        harness.get_by_label("6 participants · 3 waves · 17 documents");
        for wave in ["BL", "3M", "6M"] {
            harness.get_by_label(wave);
        }
        harness.get_by_label("Choose a document on the left to read it.");
        harness.get_by_label_contains("P03_BL (").click();
        harness.run();
        harness.get_by_label("P03_BL  ·  participant P03  ·  wave BL  ·  60 turns");
        assert!(harness.get_all_by_label("Priya").count() > 5);
        harness.get_by_label("0:26");
        assert!(harness.query_by_label("Choose a document on the left to read it.").is_none());
    }

    #[test]
    fn a_bad_project_path_shows_a_notice() {
        let (_dir, project) = demo();
        let mut harness = harness(project);
        harness.run();
        harness.state_mut().path_input = "/nonexistent/study.codeloom".into();
        harness.get_by_label("Open").click();
        harness.run();
        harness.get_by_label_contains("/nonexistent/study.codeloom: no such project file");
        harness.get_by_label("6 participants · 3 waves · 17 documents");
    }
}
