//! The search panel: a query box with the exact-form switch and sort order, counts per
//! document, participant and wave, keyword-in-context lines with the matches
//! highlighted, "code all hits", CSV export and a short help on the query language.
//!
//! Queries run in the library's background [`Service`]; the panel only polls it, so a
//! frame never waits for the index. What the app must do (jump to a place, apply
//! codings) comes back as a [`SearchAction`].

// The app wires this panel in when its rewrite lands; until then only tests use it.

use super::study::Study;
use codeloom::Project;
use codeloom::model::words::count;
use codeloom::search::{Extent, HitKind, SearchOptions, SearchResults, Service, Sort, Status};
use codeloom::store::ops::NewCoding;
use egui::text::LayoutJob;
use egui::{Color32, FontId, TextFormat};
use std::path::PathBuf;

/// What the app must do after a frame of the panel.
#[derive(Debug, Clone)]
pub enum SearchAction {
    /// Show the document with chars `[start, end)` highlighted.
    Jump { document_id: String, start: usize, end: usize },
    /// Apply these codings with `Project::apply_codings(codings, &summary)` (one undo step).
    CodeAll { codings: Vec<NewCoding>, summary: String },
}

/// What the panel is waiting for from the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Waiting {
    Page,
    AllForCoding,
    AllForCsv,
}

/// The state of the search panel.
pub struct SearchPanel {
    pub query: String,
    pub exact: bool,
    pub sort: Sort,
    pub extent: Extent,
    /// The code chosen for "code all hits".
    pub code_id: Option<String>,
    pub csv_path: String,
    pub show_help: bool,
    /// Give the query field the keyboard on the next frame (Ctrl+F).
    pub focus: bool,
    results: Option<SearchResults>,
    error: Option<String>,
    notice: Option<String>,
    service: Option<(PathBuf, Service)>,
    waiting: Option<(u64, Waiting)>,
    asked: Option<(String, bool, Sort)>,
}

impl Default for SearchPanel {
    fn default() -> Self {
        SearchPanel {
            query: String::new(),
            exact: false,
            sort: Sort::Relevance,
            extent: Extent::Hit,
            code_id: None,
            csv_path: "search-hits.csv".into(),
            show_help: false,
            focus: false,
            results: None,
            error: None,
            notice: None,
            service: None,
            waiting: None,
            asked: None,
        }
    }
}

const HELP: &str = "pain — a word (stemmed: also pains; tick \"exact form\" for the word as typed)\n\
\"side effects\" — an exact phrase\n\
pain AND sleep, pain sleep — both;  pain OR ache — either;  NOT work, -work — without\n\
(pain OR ache) -work — parentheses;  pain* — prefix;  medication~1 — fuzzy (1 or 2 letters)\n\
speaker:P01  wave:BL  participant:P03  document:P03_BL  code:Pacing  coder:amara\n\
gender:female  age:>60 — participant attributes (numbers and dates compare with > >= < <= =)";

impl SearchPanel {
    /// Shows results computed elsewhere (tests, or a caller with its own index).
    pub fn set_results(&mut self, results: SearchResults) {
        self.error = None;
        self.results = Some(results);
    }

    /// The results shown, if any.
    #[cfg(test)]
    pub fn results(&self) -> Option<&SearchResults> {
        self.results.as_ref()
    }

    fn options(&self, limit: Option<usize>) -> SearchOptions {
        SearchOptions { exact: self.exact, sort: self.sort, limit, ..Default::default() }
    }

    /// Starts the background index for `project` if it is not running: opening the
    /// search screen warms the index before the first query.
    fn ensure_service(&mut self, project: &Project, ctx: &egui::Context) {
        let path = project.path().to_path_buf();
        if self.service.as_ref().is_none_or(|(p, _)| *p != path) {
            let ctx = ctx.clone();
            self.service =
                Some((path.clone(), Service::start_with_notify(&path, Box::new(move || ctx.request_repaint()))));
        }
    }

    fn send(&mut self, project: &Project, limit: Option<usize>, why: Waiting, ctx: &egui::Context) {
        self.ensure_service(project, ctx);
        let options = self.options(limit);
        if let Some((_, service)) = self.service.as_mut() {
            let ticket = service.query(&self.query, options);
            self.waiting = Some((ticket, why));
        }
    }

    /// Draws the panel; returns what the app must do, if anything.
    pub fn ui(&mut self, ui: &mut egui::Ui, project: &Project, study: &Study) -> Option<SearchAction> {
        if self.results.is_none() {
            self.ensure_service(project, ui.ctx());
        }
        let mut action = self.receive(project);
        self.query_bar(ui, project);
        self.status(ui);
        self.code_all_bar(ui, project, study);
        if let Some(a) = self.results_list(ui) {
            action = Some(a);
        }
        action
    }

    /// Takes the service's answer to the query sent last: a page to show, or every hit to
    /// code or to write as CSV.
    fn receive(&mut self, project: &Project) -> Option<SearchAction> {
        let mut action = None;
        // Answers from the service.
        if let Some((_, service)) = &self.service
            && let Some((ticket, answer)) = service.take_results()
            && let Some((want, why)) = self.waiting
            && ticket == want
        {
            self.waiting = None;
            match (answer, why) {
                (Ok(r), Waiting::Page) => self.set_results(r),
                (Ok(r), Waiting::AllForCoding) => action = self.code_all(project, &r),
                (Ok(r), Waiting::AllForCsv) => {
                    let path = PathBuf::from(self.csv_path.trim());
                    let protect = codeloom::output::Protect::project(project.path());
                    let written =
                        codeloom::output::write_streamed(&path, &protect, |w| codeloom::search::write_csv(&r.hits, w));
                    self.notice = Some(match written {
                        Ok(()) => format!("wrote {} to {}", count(r.hits.len(), "hit"), path.display()),
                        Err(e) => e.to_string(),
                    });
                }
                (Err(e), _) => self.error = Some(e),
            }
        }

        action
    }

    fn query_bar(&mut self, ui: &mut egui::Ui, project: &Project) {
        ui.horizontal(|ui| {
            let edit = ui.add(
                egui::TextEdit::singleline(&mut self.query)
                    .hint_text("search: words, \"phrases\", pain*, speaker:P01 …")
                    .desired_width(320.0),
            );
            edit.widget_info(|| egui::WidgetInfo::labeled(egui::Role::TextInput, true, "Search query"));
            if std::mem::take(&mut self.focus) {
                edit.request_focus();
            }
            ui.checkbox(&mut self.exact, "exact form");
            egui::ComboBox::new("search-sort", "order")
                .selected_text(if self.sort == Sort::Relevance { "by relevance" } else { "by document" })
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.sort, Sort::Relevance, "by relevance");
                    ui.selectable_value(&mut self.sort, Sort::Document, "by document");
                });
            let go =
                ui.button("Search").clicked() || (edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)));
            let changed = self.asked.as_ref() != Some(&(self.query.clone(), self.exact, self.sort));
            if (go || (changed && !self.query.trim().is_empty() && self.asked.is_some()))
                && !self.query.trim().is_empty()
            {
                self.asked = Some((self.query.clone(), self.exact, self.sort));
                self.send(project, Some(200), Waiting::Page, ui.ctx());
            }
            ui.toggle_value(&mut self.show_help, "?");
        });
    }

    /// The query help, the index's state, errors and notices.
    fn status(&mut self, ui: &mut egui::Ui) {
        if self.show_help || (self.results.is_none() && self.error.is_none()) {
            ui.label(egui::RichText::new(HELP).small());
        }
        if let Some((_, service)) = &self.service {
            match service.status() {
                Status::Indexing { done, total, rebuilding } => {
                    let what = if rebuilding { "Building the search index" } else { "Updating the search index" };
                    ui.add(
                        egui::ProgressBar::new(done as f32 / total.max(1) as f32)
                            .text(format!("{what}: {done} of {total}")),
                    );
                }
                Status::Failed(e) => {
                    ui.colored_label(Color32::from_rgb(180, 40, 40), e);
                }
                // The index folder cannot be written (a read-only disk): searched in memory.
                Status::Ready { note: Some(note), .. } => {
                    ui.colored_label(Color32::from_rgb(150, 100, 0), note);
                }
                _ => {}
            }
        }
        if let Some(e) = &self.error {
            ui.colored_label(Color32::from_rgb(180, 40, 40), e);
        }
        if let Some(n) = &self.notice {
            ui.label(n);
        }
    }

    fn code_all_bar(&mut self, ui: &mut egui::Ui, project: &Project, study: &Study) {
        ui.horizontal(|ui| {
            let codes = &study.codes;
            let chosen = self.code_id.as_ref().map(|id| study.path(id));
            egui::ComboBox::new("search-code", "code")
                .selected_text(chosen.unwrap_or_else(|| "choose a code".into()))
                .show_ui(ui, |ui| {
                    for c in codes {
                        ui.selectable_value(&mut self.code_id, Some(c.id.clone()), study.path(&c.id));
                    }
                });
            egui::ComboBox::new("search-extent", "extent").selected_text(self.extent.as_str()).show_ui(ui, |ui| {
                for e in [Extent::Hit, Extent::Sentence, Extent::Turn] {
                    ui.selectable_value(&mut self.extent, e, e.as_str());
                }
            });
            let ready = self.code_id.is_some() && self.results.is_some();
            if ui.add_enabled(ready, egui::Button::new("Code all hits")).clicked() {
                self.send(project, None, Waiting::AllForCoding, ui.ctx());
            }
            let csv_label = ui.label("CSV file");
            ui.add(egui::TextEdit::singleline(&mut self.csv_path).desired_width(160.0)).labelled_by(csv_label.id);
            if ui.add_enabled(self.results.is_some(), egui::Button::new("Export CSV")).clicked() {
                self.send(project, None, Waiting::AllForCsv, ui.ctx());
            }
        });
    }

    /// The counts and the keyword-in-context lines; only the lines in view are drawn.
    fn results_list(&self, ui: &mut egui::Ui) -> Option<SearchAction> {
        let mut action = None;
        let Some(results) = &self.results else { return None };
        let c = &results.counts;
        ui.label(format!(
            "{} in {}{}",
            count(c.passages, "passage"),
            count(c.documents.len(), "document"),
            if results.more { format!(" · first {} hits shown", results.hits.len()) } else { String::new() }
        ));
        let rows = |rows: &[codeloom::search::CountRow]| {
            rows.iter().map(|r| format!("{} {}", r.label, r.passages)).collect::<Vec<_>>().join(" · ")
        };
        if !c.participants.is_empty() {
            ui.label(format!("Participants: {}", rows(&c.participants)));
            ui.label(format!("Waves: {}", rows(&c.waves)));
        }
        ui.separator();
        let row_height = ui.text_style_height(&egui::TextStyle::Body).max(18.0) + ui.spacing().item_spacing.y;
        egui::ScrollArea::vertical().auto_shrink([false, false]).show_rows(
            ui,
            row_height,
            results.hits.len(),
            |ui, range| {
                for h in &results.hits[range] {
                    let place = match h.kind {
                        HitKind::Turn => format!(
                            "{} · {} · {}",
                            h.document.as_deref().unwrap_or("-"),
                            h.wave.as_deref().unwrap_or("-"),
                            h.speaker.as_deref().unwrap_or("-")
                        ),
                        HitKind::Memo => format!("memo · {}", h.title.as_deref().unwrap_or("")),
                        HitKind::Code => format!("code · {}", h.title.as_deref().unwrap_or("")),
                    };
                    ui.horizontal(|ui| {
                        // A fixed column for the place keeps the context lines aligned.
                        ui.allocate_ui_with_layout(
                            egui::vec2(230.0, 18.0),
                            egui::Layout::left_to_right(egui::Align::Center),
                            |ui| {
                                ui.set_min_width(230.0);
                                ui.add(egui::Label::new(egui::RichText::new(place).weak().small()).truncate());
                            },
                        );
                        let response = ui.add(
                            egui::Label::new(kwic_job(ui, &h.before, &h.matched, &h.after)).sense(egui::Sense::click()),
                        );
                        if response.clicked() && h.kind == HitKind::Turn {
                            action = Some(SearchAction::Jump { document_id: h.id.clone(), start: h.start, end: h.end });
                        }
                    });
                }
            },
        );
        action
    }

    fn code_all(&mut self, project: &Project, all: &SearchResults) -> Option<SearchAction> {
        let code = self.code_id.clone()?;
        match codeloom::search::codings_for_hits(project, &all.hits, &code, self.extent, None) {
            Ok(codings) if codings.is_empty() => {
                self.notice = Some("every hit already carries this code".into());
                None
            }
            Ok(codings) => {
                let name = project.code_path(&code).unwrap_or(code);
                self.notice = Some(format!("coding {} passages as {name}", codings.len()));
                Some(SearchAction::CodeAll {
                    summary: format!("Code all hits of \"{}\" as {name} ({})", self.query, self.extent.as_str()),
                    codings,
                })
            }
            Err(e) => {
                self.error = Some(e.to_string());
                None
            }
        }
    }
}

/// A context line with the match on a highlight.
fn kwic_job(ui: &egui::Ui, before: &str, matched: &str, after: &str) -> LayoutJob {
    let font = FontId::proportional(14.0);
    let text = ui.visuals().text_color();
    let plain = TextFormat { font_id: font.clone(), color: text, ..Default::default() };
    let hit = TextFormat {
        font_id: font,
        color: Color32::BLACK,
        background: Color32::from_rgb(255, 214, 102),
        ..Default::default()
    };
    let mut job = LayoutJob::default();
    job.append(before, 0.0, plain.clone());
    job.append(matched, 0.0, hit);
    job.append(after, 0.0, plain);
    job
}

#[cfg(test)]
mod tests {
    use super::*;
    use codeloom::search::SearchIndex;
    use egui_kittest::Harness;
    use egui_kittest::kittest::Queryable;

    struct State {
        panel: SearchPanel,
        project: Project,
        study: Study,
        actions: Vec<SearchAction>,
    }

    #[test]
    fn shows_counts_and_lines_and_jumps_on_click() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("demo.codeloom");
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        codeloom::demo::build_demo(&path, &codeloom::demo::DemoSources::in_repository(root)).unwrap();
        let project = Project::open(&path).unwrap();
        let index = SearchIndex::in_memory(&project).unwrap();
        let results = index.search("budgie", &SearchOptions { sort: Sort::Document, ..Default::default() }).unwrap();
        let first = results.hits[0].clone();
        let mut panel = SearchPanel { query: "budgie".into(), ..Default::default() };
        panel.set_results(results);
        let mut harness = Harness::builder().with_size(egui::vec2(1100.0, 700.0)).build_ui_state(
            |ui, s: &mut State| {
                if let Some(a) = s.panel.ui(ui, &s.project, &s.study) {
                    s.actions.push(a);
                }
            },
            State { panel, study: Study::load(&project).unwrap(), project, actions: vec![] },
        );
        harness.run();
        harness.get_by_label_contains("passages in");
        harness.get_by_label_contains("Participants: P01");
        let line = format!("{}{}{}", first.before, first.matched, first.after);
        harness.get_all_by_label(&line).next().expect("the first context line").click();
        harness.run();
        let actions = &harness.state().actions;
        assert_eq!(actions.len(), 1);
        assert!(
            matches!(&actions[0], SearchAction::Jump { document_id, start, end }
                if *document_id == first.id && *start == first.start && *end == first.end),
            "{actions:?}"
        );
        harness.get_by_label("?").click();
        harness.run();
        harness.get_by_label_contains("medication~1");
    }

    #[test]
    fn searches_through_the_service_and_codes_all_hits() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("demo.codeloom");
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        codeloom::demo::build_demo(&path, &codeloom::demo::DemoSources::in_repository(root)).unwrap();
        let project = Project::open(&path).unwrap();
        let code = project.resolve_code("Living with pain").unwrap();
        let mut harness = Harness::builder().with_size(egui::vec2(1100.0, 700.0)).build_ui_state(
            |ui, s: &mut State| {
                if let Some(a) = s.panel.ui(ui, &s.project, &s.study) {
                    s.actions.push(a);
                }
            },
            State {
                panel: SearchPanel { query: "budgie".into(), ..Default::default() },
                study: Study::load(&project).unwrap(),
                project,
                actions: vec![],
            },
        );
        harness.run();
        harness.get_by_label("Search").click();
        let wait = |harness: &mut Harness<'_, State>, done: &dyn Fn(&State) -> bool| {
            for _ in 0..1200 {
                harness.step();
                if done(harness.state()) {
                    return;
                }
                std::thread::sleep(std::time::Duration::from_millis(25));
            }
            panic!("the search service did not answer");
        };
        wait(&mut harness, &|s| s.panel.results.is_some() || s.panel.error.is_some());
        assert!(harness.state().panel.error.is_none());
        assert!(!harness.state().panel.results.as_ref().unwrap().hits.is_empty());
        harness.state_mut().panel.code_id = Some(code.clone());
        harness.state_mut().panel.extent = Extent::Sentence;
        harness.step();
        harness.get_by_label("Code all hits").click();
        wait(&mut harness, &|s| !s.actions.is_empty() || s.panel.error.is_some());
        let Some(SearchAction::CodeAll { codings, summary }) = harness.state().actions.first().cloned() else {
            panic!("{:?}", harness.state().actions);
        };
        assert!(!codings.is_empty() && codings.iter().all(|c| c.code_id == code));
        let before = harness.state().project.codings(&Default::default()).unwrap().len();
        harness.state_mut().project.apply_codings(codings.clone(), &summary).unwrap();
        assert_eq!(harness.state().project.codings(&Default::default()).unwrap().len(), before + codings.len());
    }
}
