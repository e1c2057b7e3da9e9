//! The agreement panel: choose coders, documents (waves, participants, a sample), codes
//! and the unit, see the statistics per code with their
//! intervals and bands ("undefined" in grey), export the report, and work through the
//! disagreement queue with the coders' layers side by side. Everything goes through the library;
//! the panel returns what the application must do (open a document at a place).
//!
//! "Count the suggester as a coder" adds the model's suggestions as a coder named
//! `suggester` (`codeloom::suggest::agreement_with_suggester`), learned on a thread of its own
//! (the window never waits), with rows of the suggester against each coder. The suggester
//! takes no part in the disagreement queue or the layers: its passages are not codings,
//! and a consensus is made from the team's codings only (suggestions are accepted in the
//! Suggestions inbox).

use codeloom::Project;
use codeloom::agreement::adjudication::Queue;
use codeloom::agreement::project::{
    AnalysisOptions, DocumentFilter, GroupBy, ReliabilityInput, Selection, UnitKind, analyse,
};
use codeloom::agreement::report::{AgreementReport, ResultRow, Statistic};
use codeloom::agreement::{Band, BootstrapConfig};
use codeloom::model::offsets::slice_chars;
use codeloom::store::adjudication::{Decision, ItemRef};
use codeloom::suggest::{CoderOptions, SUGGESTION_THRESHOLD};
use egui::{Color32, RichText};
use std::sync::mpsc::{Receiver, channel};

use super::assignments::{AssignmentAction, AssignmentsPanel};
use super::study::Study;

/// The coders' layers of one document and code, with the text and its turns.
struct LayerData {
    input: ReliabilityInput,
    text: String,
    turns: Vec<(u64, u64)>,
}

/// `(id, name)` of the documents or codes to choose from.
type Choices = Vec<(String, String)>;

/// What the application must do after the panel was drawn.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Open document `document_id` and select chars `start..end`.
    JumpTo { document_id: String, start: usize, end: usize },
    /// Give documents to a coder, or take them back.
    Assignment(AssignmentAction),
    /// Decide a place of the disagreement queue into the consensus layer
    /// (`Project::decide`); the app then reloads the queue (`AgreementPanel::queue_changed`).
    Decide { selection: Box<Selection>, item: ItemRef, decision: Decision, rationale: String },
    /// Undo the last operation (the last decision) from the queue.
    Undo,
}

enum JobMessage {
    Progress(usize, usize),
    Finished(Box<Result<AgreementReport, String>>),
}

/// The agreement with the suggester, computed on a thread of its own.
struct SuggesterJob {
    rx: Receiver<JobMessage>,
    progress: Option<(usize, usize)>,
}

/// Why the suggester is not in the queue and the layers.
const NOT_IN_QUEUE: &str = "The suggester is not part of the disagreements or the layers: its passages are \
     not codings, and a consensus is made from the team's codings only. Accept suggestions in the Suggestions inbox.";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tab {
    Statistics,
    Layers,
    Queue,
    Assignments,
}

/// The panel's state.
pub struct AgreementPanel {
    /// The coders to compare, comma-separated.
    pub coders: String,
    /// Only documents of these waves / participants, comma-separated (empty: all).
    pub waves: String,
    pub participants: String,
    /// Only these codes (names or paths), comma-separated (empty: all).
    pub codes: String,
    /// A seeded random sample of this many documents (0: all).
    pub sample: usize,
    /// Extra rows per document or per wave.
    pub group_by: Option<GroupBy>,
    /// Count the suggester as a coder (computed in the background).
    pub with_suggester: bool,
    /// The suggester's codings score at least this.
    pub suggester_min_score: f64,
    job: Option<SuggesterJob>,
    unit: UnitKind,
    bootstrap: bool,
    tab: Tab,
    report: Option<AgreementReport>,
    queue: Option<Queue>,
    current: usize,
    rationale: String,
    /// Redrawn boundaries for the current item: (item index, start, end).
    redraw: Option<(usize, u64, u64)>,
    notice: Option<String>,
    /// The document and code of the side-by-side view, and the choices for them.
    layer_doc: Option<String>,
    layer_code: Option<String>,
    choices: Option<(Choices, Choices)>,
    /// What the layers view shows, loaded once per choice and project change (not per frame).
    layers: Option<(String, LayerData)>,
    /// The text of the document the queue item is in and its length in chars, read once
    /// per document.
    queue_text: Option<(String, String, u64)>,
    assignments: AssignmentsPanel,
    /// The Study's revision as of the last frame: the layers are read again when it moves.
    revision: u64,
}

impl Default for AgreementPanel {
    fn default() -> Self {
        AgreementPanel {
            coders: String::new(),
            waves: String::new(),
            participants: String::new(),
            codes: String::new(),
            sample: 0,
            group_by: None,
            with_suggester: false,
            suggester_min_score: SUGGESTION_THRESHOLD,
            job: None,
            unit: UnitKind::Char,
            bootstrap: true,
            tab: Tab::Statistics,
            report: None,
            queue: None,
            current: 0,
            rationale: String::new(),
            redraw: None,
            notice: None,
            layer_doc: None,
            layer_code: None,
            choices: None,
            layers: None,
            queue_text: None,
            assignments: AssignmentsPanel::default(),
            revision: 0,
        }
    }
}

fn band_colour(band: Option<Band>) -> Color32 {
    match band {
        Some(Band::Reliable) => Color32::from_rgb(0x2e, 0x7d, 0x32),
        Some(Band::Tentative) => Color32::from_rgb(0xb2, 0x8a, 0x00),
        Some(Band::Unreliable) => Color32::from_rgb(0xc6, 0x28, 0x28),
        Some(Band::Undefined) => Color32::GRAY,
        None => Color32::PLACEHOLDER,
    }
}

fn stat_text(st: &Statistic) -> RichText {
    let mut text = st.value_text();
    if st.ci95.is_some() {
        text = format!("{text} {}", st.ci_text());
    }
    RichText::new(text).color(band_colour(if st.value.is_defined() { st.band } else { Some(Band::Undefined) }))
}

/// The text `[from, to)` with one coder's spans marked: green where another coder coded too
/// (agreement), orange where only this coder did.
fn layer_job(text: &str, from: u64, to: u64, mine: &[(u64, u64)], others: &[&(u64, u64)]) -> egui::text::LayoutJob {
    let mut job = egui::text::LayoutJob::default();
    let mut bounds = vec![from, to];
    for &(s, e) in mine.iter().chain(others.iter().copied()) {
        bounds.extend([s, e]);
    }
    bounds.sort_unstable();
    bounds.dedup();
    for w in bounds.windows(2) {
        let (a, b) = (w[0].max(from), w[1].min(to));
        if a >= b {
            continue;
        }
        let piece = slice_chars(text, a as usize, b as usize).unwrap_or("");
        let coded = mine.iter().any(|&(s, e)| s <= a && b <= e);
        let by_other = others.iter().any(|&&(s, e)| s <= a && b <= e);
        let background = match (coded, by_other) {
            (true, true) => Color32::from_rgba_unmultiplied(46, 125, 50, 90),
            (true, false) => Color32::from_rgba_unmultiplied(230, 120, 0, 110),
            _ => Color32::TRANSPARENT,
        };
        job.append(piece, 0.0, egui::TextFormat { background, ..Default::default() });
    }
    job
}

impl AgreementPanel {
    /// The coders, documents, codes and unit chosen; a code name that is not in the
    /// project is an error naming it.
    fn selection(&self, project: &Project) -> Result<Selection, String> {
        let list = |s: &str| s.split(',').map(|c| c.trim().to_string()).filter(|c| !c.is_empty()).collect::<Vec<_>>();
        let codes = list(&self.codes);
        let codes = if codes.is_empty() {
            None
        } else {
            Some(codes.iter().map(|c| project.resolve_code(c).map_err(|e| e.to_string())).collect::<Result<_, _>>()?)
        };
        Ok(Selection {
            coders: list(&self.coders),
            documents: DocumentFilter {
                waves: list(&self.waves),
                participants: list(&self.participants),
                documents: Vec::new(),
                sample: (self.sample > 0).then_some((self.sample, 1)),
            },
            codes,
            unit: self.unit,
        })
    }

    fn compute(&mut self, project: &Project, ctx: &egui::Context) {
        let bootstrap = self.bootstrap.then_some(BootstrapConfig { resamples: 1000, seed: 7 });
        let group_by = self.group_by;
        if self.with_suggester {
            match self.selection(project).and_then(|s| self.start_suggester(project, s, ctx)) {
                Ok(()) => self.notice = None,
                Err(e) => self.notice = Some(e),
            }
            return;
        }
        let result = self.selection(project).and_then(|selection| {
            ReliabilityInput::load(project, &selection)
                .map_err(|e| e.to_string())
                .and_then(|input| analyse(&input, &AnalysisOptions { bootstrap, group_by }).map_err(|e| e.to_string()))
        });
        match result {
            Ok(r) => {
                self.report = Some(r);
                self.notice = None;
            }
            Err(e) => self.notice = Some(e),
        }
    }

    /// Starts the agreement with the suggester on a thread of its own, which reads the
    /// project from its file (unless one is running).
    fn start_suggester(&mut self, project: &Project, selection: Selection, ctx: &egui::Context) -> Result<(), String> {
        if self.job.is_some() {
            return Ok(());
        }
        let analysis = AnalysisOptions {
            bootstrap: self.bootstrap.then_some(BootstrapConfig { resamples: 1000, seed: 7 }),
            group_by: self.group_by,
        };
        let options = CoderOptions { min_score: self.suggester_min_score, ..Default::default() };
        let path = project.path().to_path_buf();
        let (tx, rx) = channel();
        let ctx = ctx.clone();
        std::thread::Builder::new()
            .name("agreement-suggester".into())
            .spawn(move || {
                let progress_tx = std::sync::Mutex::new(tx.clone());
                let repaint = ctx.clone();
                let result = Project::open_read_only(&path)
                    .and_then(|p| {
                        codeloom::suggest::agreement_with_suggester(
                            &p,
                            &selection,
                            &analysis,
                            &options,
                            &|done, all| {
                                if let Ok(tx) = progress_tx.lock() {
                                    let _ = tx.send(JobMessage::Progress(done, all));
                                }
                                repaint.request_repaint();
                            },
                        )
                    })
                    .map_err(|e| e.to_string());
                let _ = tx.send(JobMessage::Finished(Box::new(result)));
                ctx.request_repaint();
            })
            .map_err(|e| format!("cannot start the suggester: {e}"))?;
        self.job = Some(SuggesterJob { rx, progress: None });
        Ok(())
    }

    /// Whether the agreement with the suggester is being computed.
    pub fn computing(&self) -> bool {
        self.job.is_some()
    }

    /// Takes what the suggester's thread sent: its progress, and the report when done.
    fn poll(&mut self) {
        let Some(job) = &mut self.job else { return };
        let mut finished = None;
        while let Ok(m) = job.rx.try_recv() {
            match m {
                JobMessage::Progress(done, all) => job.progress = Some((done, all)),
                JobMessage::Finished(r) => finished = Some(*r),
            }
        }
        let Some(result) = finished else { return };
        self.job = None;
        match result {
            Ok(r) => {
                self.report = Some(r);
                self.notice = None;
            }
            Err(e) => self.notice = Some(format!("The agreement with the suggester could not be computed: {e}")),
        }
    }

    fn load_queue(&mut self, project: &Project) {
        match self.selection(project).and_then(|s| project.adjudication_queue(&s).map_err(|e| e.to_string())) {
            Ok(q) => {
                self.current = q.next_undecided().unwrap_or(0);
                self.queue = Some(q);
                self.notice = None;
            }
            Err(e) => self.notice = Some(e),
        }
    }

    /// Draws the panel; returns what the application must do.
    /// Draws the panel. It reads the project on a button press or a new choice, and keeps
    /// what it read until the Study's revision changes; what changes the project comes back
    /// as an [`Action`].
    pub fn ui(&mut self, ui: &mut egui::Ui, project: &Project, study: &Study) -> Option<Action> {
        self.revision = study.revision;
        self.poll();
        let mut action = None;
        ui.horizontal(|ui| {
            ui.label("Coders");
            ui.add(egui::TextEdit::singleline(&mut self.coders).hint_text("amara,ben").desired_width(160.0));
            egui::ComboBox::from_label("Unit").selected_text(self.unit.name()).show_ui(ui, |ui| {
                for u in [UnitKind::Char, UnitKind::Turn, UnitKind::Sentence, UnitKind::Document] {
                    ui.selectable_value(&mut self.unit, u, u.name());
                }
            });
            ui.checkbox(&mut self.bootstrap, "95 % CI (1,000 resamples)");
            if ui.add_enabled(!self.computing(), egui::Button::new("Compute")).clicked() {
                self.compute(project, ui.ctx());
            }
        });
        self.suggester_row(ui);
        ui.horizontal(|ui| {
            let text = |ui: &mut egui::Ui, label: &str, value: &mut String, hint: &str| {
                let l = ui.label(label);
                ui.add(egui::TextEdit::singleline(value).hint_text(hint).desired_width(140.0)).labelled_by(l.id);
            };
            text(ui, "Waves", &mut self.waves, "all");
            text(ui, "Participants", &mut self.participants, "all");
            text(ui, "Codes", &mut self.codes, "all");
            let l = ui.label("Sample");
            ui.add(egui::DragValue::new(&mut self.sample).range(0..=100_000).suffix(" docs"))
                .labelled_by(l.id)
                .on_hover_text("A seeded random sample of this many documents (0: all)");
            let by = match self.group_by {
                None => "overall and per code",
                Some(GroupBy::Document) => "also per document",
                Some(GroupBy::Wave) => "also per wave",
            };
            egui::ComboBox::from_label("Rows").selected_text(by).show_ui(ui, |ui| {
                ui.selectable_value(&mut self.group_by, None, "overall and per code");
                ui.selectable_value(&mut self.group_by, Some(GroupBy::Document), "also per document");
                ui.selectable_value(&mut self.group_by, Some(GroupBy::Wave), "also per wave");
            });
        });
        ui.horizontal(|ui| {
            ui.selectable_value(&mut self.tab, Tab::Statistics, "Statistics");
            ui.selectable_value(&mut self.tab, Tab::Layers, "Layers side by side");
            ui.selectable_value(&mut self.tab, Tab::Queue, "Disagreements");
            ui.selectable_value(&mut self.tab, Tab::Assignments, "Assignments")
                .on_hover_text("Which coder was given which documents");
        });
        if let Some(n) = &self.notice {
            ui.colored_label(Color32::from_rgb(0xc6, 0x28, 0x28), n);
        }
        ui.separator();
        match self.tab {
            Tab::Statistics => self.statistics(ui, project),
            Tab::Layers => self.layers(ui, project),
            Tab::Queue => action = self.queue_ui(ui, project),
            Tab::Assignments => action = self.assignments.ui(ui, study).map(Action::Assignment),
        }
        action
    }

    /// The suggester's checkbox, its min score, and its progress while it learns.
    fn suggester_row(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            ui.checkbox(&mut self.with_suggester, "Count the suggester as a coder").on_hover_text(
                "The model's suggestions count as the codings of a coder named suggester: learned from the coders \
                 above, each document's from models that did not learn from it (5 document folds). Nothing is stored.",
            );
            let l = ui.label("min score");
            ui.add_enabled(
                self.with_suggester,
                egui::DragValue::new(&mut self.suggester_min_score).range(0.0..=1.0).speed(0.01).fixed_decimals(2),
            )
            .labelled_by(l.id)
            .on_hover_text("The suggester's codings are the passages scoring at least this");
            if let Some(job) = &self.job {
                ui.spinner();
                match job.progress {
                    Some((done, all)) => ui.weak(format!("Learning the suggester… {done}/{all}")),
                    None => ui.weak("Learning the suggester…"),
                };
            }
        });
    }

    fn statistics(&mut self, ui: &mut egui::Ui, project: &Project) {
        let Some(report) = &self.report else {
            ui.label("Choose two or more coders and press Compute.");
            return;
        };
        for (name, value) in &report.settings.notes {
            ui.weak(format!("{name}: {value}"));
        }
        if !report.warnings.is_empty() {
            egui::CollapsingHeader::new(format!("Warnings ({})", report.warnings.len())).show(ui, |ui| {
                for w in &report.warnings {
                    ui.label(w);
                }
            });
        }
        let mut export = None;
        ui.horizontal(|ui| {
            for ext in ["csv", "md", "xlsx"] {
                if ui.button(format!("Export {ext}")).clicked() {
                    export = Some(ext);
                }
            }
        });
        if let Some(ext) = export {
            let path = project.path().with_extension(format!("agreement.{ext}"));
            let name = project.path().file_name().map(|n| n.to_string_lossy().into_owned());
            let protect = codeloom::output::Protect::project(project.path());
            self.notice = Some(match report.write_file(&path, name.as_deref(), &protect) {
                Ok(()) => format!("wrote {}", path.display()),
                Err(e) => e.to_string(),
            });
        }
        let columns: Vec<_> = report.overall.statistics.iter().map(|s| s.kind).collect();
        let row_ui = |ui: &mut egui::Ui, row: &ResultRow| {
            ui.label(&row.label);
            ui.label(row.units.to_string());
            ui.label(row.prevalence.map(|p| format!("{:.1} %", 100.0 * p)).unwrap_or_else(|| "undefined".into()));
            for k in &columns {
                match row.get(*k) {
                    Some(st) => {
                        let label = ui.label(stat_text(st));
                        if let Some(why) = st.value.undefined_reason() {
                            label.on_hover_text(why.note());
                        }
                    }
                    None => {
                        ui.label("");
                    }
                }
            }
            ui.end_row();
        };
        egui::ScrollArea::both().show(ui, |ui| {
            egui::Grid::new("agreement_table").striped(true).show(ui, |ui| {
                ui.strong("Code");
                ui.strong("Units");
                ui.strong("Prevalence");
                for k in &columns {
                    ui.strong(k.heading());
                }
                ui.end_row();
                for row in &report.codes {
                    row_ui(ui, row);
                }
                row_ui(ui, &report.overall);
                for row in report.groups.iter().chain(&report.pairs) {
                    row_ui(ui, row);
                }
            });
            if let Some(u) = &report.unitizing {
                ui.separator();
                ui.horizontal(|ui| {
                    ui.label("uα (all codes)");
                    ui.label(stat_text(&u.u_alpha));
                    ui.label("|uα (any code)");
                    ui.label(stat_text(&u.binary_u_alpha));
                    ui.label("cuα");
                    ui.label(stat_text(&u.cu_alpha));
                    ui.label(u.cu_coverage.map(|c| format!("coverage {:.1} %", 100.0 * c)).unwrap_or_default());
                });
            }
            ui.label("Bands: green ≥ 0.800 reliable, yellow ≥ 0.667 tentative, red unreliable, grey undefined.");
        });
    }

    /// One document and code: the turns in rows, one column per coder, each coder's codings
    /// marked (green where the other coders coded too, orange where this coder alone did).
    fn layers(&mut self, ui: &mut egui::Ui, project: &Project) {
        if self.with_suggester {
            ui.weak(NOT_IN_QUEUE);
        }
        if self.choices.is_none() {
            let docs = project
                .documents()
                .map(|d| d.into_iter().map(|d| (d.document.id, d.document.name)).collect())
                .unwrap_or_default();
            let codes = project
                .codes()
                .map(|c| c.into_iter().map(|c| (c.id.clone(), project.code_path(&c.id).unwrap_or(c.name))).collect())
                .unwrap_or_default();
            self.choices = Some((docs, codes));
        }
        let Some((docs, codes)) = &self.choices else { return };
        let name = |list: &[(String, String)], id: &Option<String>| {
            id.as_ref()
                .and_then(|i| list.iter().find(|(x, _)| x == i))
                .map(|(_, n)| n.clone())
                .unwrap_or("choose".into())
        };
        ui.horizontal(|ui| {
            egui::ComboBox::from_label("Document").selected_text(name(docs, &self.layer_doc)).show_ui(ui, |ui| {
                for (id, n) in docs {
                    ui.selectable_value(&mut self.layer_doc, Some(id.clone()), n);
                }
            });
            egui::ComboBox::from_label("Code").selected_text(name(codes, &self.layer_code)).show_ui(ui, |ui| {
                for (id, n) in codes {
                    ui.selectable_value(&mut self.layer_code, Some(id.clone()), n);
                }
            });
        });
        let (Some(doc), Some(code)) = (self.layer_doc.clone(), self.layer_code.clone()) else {
            ui.label("Choose a document and a code.");
            return;
        };
        let key = format!(
            "{doc}|{code}|{}|{}|{}|{}|{:?}",
            self.coders,
            self.waves,
            self.participants,
            self.unit.name(),
            self.revision
        );
        if self.layers.as_ref().is_none_or(|(k, _)| *k != key) {
            match self.load_layers(project, &doc, &code) {
                Ok(data) => self.layers = Some((key, data)),
                Err(e) => {
                    self.layers = None;
                    ui.colored_label(Color32::from_rgb(0xc6, 0x28, 0x28), e);
                    return;
                }
            }
        }
        let Some((_, LayerData { input, text, turns })) = &self.layers else { return };
        let Some(d) = input.documents.first() else { return };
        egui::ScrollArea::vertical().show(ui, |ui| {
            egui::Grid::new("layers").striped(true).show(ui, |ui| {
                for (i, c) in input.coders.iter().enumerate() {
                    ui.strong(if d.assigned[i] { c.clone() } else { format!("{c} (not assigned)") });
                }
                ui.end_row();
                for &(from, to) in turns {
                    for i in 0..input.coders.len() {
                        let mine = &d.spans[0][i];
                        let others: Vec<&(u64, u64)> = (0..input.coders.len())
                            .filter(|&j| j != i && d.assigned[j])
                            .flat_map(|j| d.spans[0][j].iter())
                            .collect();
                        ui.add(egui::Label::new(layer_job(text, from, to, mine, &others)).wrap());
                    }
                    ui.end_row();
                }
            });
        });
    }

    fn load_layers(&self, project: &Project, doc: &str, code: &str) -> Result<LayerData, String> {
        let mut selection = self.selection(project)?;
        selection.documents.documents = vec![doc.to_string()];
        selection.codes = Some(vec![code.to_string()]);
        let input = ReliabilityInput::load(project, &selection).map_err(|e| e.to_string())?;
        let text = project.document_text(doc).map_err(|e| e.to_string())?;
        let length = input.documents.first().map_or(0, |d| d.length);
        let turns = match project.turns(doc) {
            Ok(t) if !t.is_empty() => t.into_iter().map(|t| (t.start as u64, t.end as u64)).collect(),
            _ => vec![(0, length)],
        };
        Ok(LayerData { input, text, turns })
    }

    /// The queue again after a decision or an undo.
    pub fn queue_changed(&mut self, project: &Project) {
        self.rationale.clear();
        self.load_queue(project);
    }

    fn queue_ui(&mut self, ui: &mut egui::Ui, project: &Project) -> Option<Action> {
        let mut action = None;
        if self.with_suggester {
            ui.weak(NOT_IN_QUEUE);
        }
        ui.horizontal(|ui| {
            if ui.button("Load queue").clicked() {
                self.load_queue(project);
            }
            if ui.button("Undo").clicked() {
                action = Some(Action::Undo);
            }
        });
        let Some(queue) = &self.queue else {
            ui.label("Choose the coders and press Load queue.");
            return None;
        };
        ui.label(format!("{} of {} decided", queue.decided, queue.total()));
        let Some(item) = queue.items.get(self.current) else {
            ui.label("No disagreements.");
            return None;
        };
        let d = item.disagreement.clone();
        let coders = queue.coders.clone();
        ui.horizontal(|ui| {
            if ui.button("Previous").clicked() {
                self.current = self.current.saturating_sub(1);
            }
            ui.label(format!("{} / {}", self.current + 1, queue.total()));
            if ui.button("Next").clicked() && self.current + 1 < queue.total() {
                self.current += 1;
            }
            if ui.button("Open in document").clicked() {
                action = Some(Action::JumpTo {
                    document_id: d.document_id.clone(),
                    start: d.start as usize,
                    end: d.end as usize,
                });
            }
        });
        ui.strong(format!("{}  ·  {}  ·  [{}, {})", d.code, d.document, d.start, d.end));
        if let Some(r) = &item.decision {
            ui.label(format!(
                "Decided: {}{}",
                r.accepted_coder.as_ref().map(|c| format!("accept {c}")).unwrap_or(r.decision.clone()),
                if r.rationale.is_empty() { String::new() } else { format!(" ({})", r.rationale) }
            ));
        }
        // The coders' layers side by side: agreement green, one coder only orange.
        if self.queue_text.as_ref().is_none_or(|(id, _, _)| *id != d.document_id) {
            let text = project.document_text(&d.document_id).unwrap_or_default();
            let len = text.chars().count() as u64;
            self.queue_text = Some((d.document_id.clone(), text, len));
        }
        let (text, len) = self.queue_text.as_ref().map(|(_, t, n)| (t.as_str(), *n)).unwrap_or_default();
        let from = d.start.saturating_sub(60);
        let to = d.end + 60;
        ui.columns(coders.len().max(1), |cols| {
            for (i, col) in cols.iter_mut().enumerate() {
                col.strong(&coders[i]);
                let Some(Some(mine)) = d.spans.get(i) else {
                    col.label(RichText::new("not assigned").color(Color32::GRAY));
                    continue;
                };
                let others: Vec<&(u64, u64)> =
                    d.spans.iter().enumerate().filter(|(j, _)| *j != i).flat_map(|(_, s)| s.iter().flatten()).collect();
                let job = layer_job(text, from, to, mine, &others);
                col.label(job);
            }
        });
        ui.add(egui::TextEdit::multiline(&mut self.rationale).hint_text("Rationale (optional)").desired_rows(2));
        let mut decision = None;
        ui.horizontal(|ui| {
            for c in &coders {
                if ui.button(format!("Accept {c}")).clicked() {
                    decision = Some(Decision::Accept { coder: c.clone() });
                }
            }
            if ui.button("Union").clicked() {
                decision = Some(Decision::Union);
            }
            if ui.button("Intersection").clicked() {
                decision = Some(Decision::Intersection);
            }
            if ui.button("Skip").clicked() {
                decision = Some(Decision::Skip);
            }
        });
        // Redraw: new boundaries for the consensus, starting from the disputed stretch.
        if self.redraw.is_none_or(|(i, _, _)| i != self.current) {
            self.redraw = Some((self.current, d.start, d.end));
        }
        if let Some((_, start, end)) = &mut self.redraw {
            ui.horizontal(|ui| {
                let l = ui.label("Redraw from");
                ui.add(egui::DragValue::new(start).range(0..=len)).labelled_by(l.id);
                let l = ui.label("to");
                ui.add(egui::DragValue::new(end).range(0..=len)).labelled_by(l.id);
                let (a, b) = ((*start).min(*end), (*start).max(*end));
                let quote = slice_chars(text, a as usize, b as usize).unwrap_or("").replace('\n', " ");
                let quote = if quote.chars().count() > 90 {
                    format!("{}…", quote.chars().take(90).collect::<String>())
                } else {
                    quote
                };
                ui.weak(format!("“{quote}”"));
                if ui.add_enabled(b > a, egui::Button::new("Redraw")).clicked() {
                    decision = Some(Decision::Redraw { spans: vec![(a, b)] });
                }
            });
        }
        if let Some(decision) = decision {
            match self.selection(project) {
                Ok(selection) => {
                    action = Some(Action::Decide {
                        selection: Box::new(selection),
                        item: ItemRef::from(&d),
                        decision,
                        rationale: self.rationale.clone(),
                    })
                }
                Err(e) => self.notice = Some(e),
            }
        }
        action
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use egui_kittest::Harness;
    use egui_kittest::kittest::Queryable;

    struct State {
        panel: AgreementPanel,
        project: Project,
        action: Option<Action>,
    }

    impl State {
        /// What the application does with the panel's actions.
        fn apply(&mut self, a: Action) {
            match &a {
                Action::Decide { selection, item, decision, rationale } => {
                    self.project.decide(selection, item, decision.clone(), rationale).unwrap();
                    self.panel.queue_changed(&self.project);
                }
                Action::Undo => {
                    self.project.undo().unwrap();
                    self.panel.queue_changed(&self.project);
                }
                _ => {}
            }
            self.action = Some(a);
        }
    }

    #[test]
    fn statistics_then_the_queue_with_a_decision_and_undo() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("demo.codeloom");
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        codeloom::demo::build_demo(&path, &codeloom::demo::DemoSources::in_repository(root)).unwrap();
        let mut project = Project::open(&path).unwrap();
        project
            .create_code(codeloom::store::ops::NewCode { name: "Not used yet".into(), ..Default::default() })
            .unwrap();
        let panel = AgreementPanel { coders: "amara,ben".into(), bootstrap: false, ..Default::default() };
        let mut harness = Harness::builder().with_size(egui::vec2(1600.0, 3000.0)).build_ui_state(
            |ui, s: &mut State| {
                if let Some(a) = s.panel.ui(ui, &s.project, &Study::default()) {
                    s.apply(a);
                }
            },
            State { panel, project, action: None },
        );
        harness.run();
        harness.get_by_label("Compute").click();
        harness.run();
        harness.get_by_label("Krippendorff's α");
        let report = harness.state().panel.report.clone().unwrap();
        assert!(report.codes.iter().any(|r| !r.statistics[2].value.is_defined()), "some code has no variation");
        assert!(harness.query_all_by_label("undefined").count() > 0, "undefined values show the word undefined");
        harness.get_by_label("Not used yet");
        harness.get_by_label("Layers side by side").click();
        harness.run();
        harness.get_by_label("Choose a document and a code.");
        let (doc, code) = {
            let p = &harness.state().project;
            (p.resolve_document("P01_BL").unwrap(), p.resolve_code("Pacing").unwrap())
        };
        harness.state_mut().panel.layer_doc = Some(doc);
        harness.state_mut().panel.layer_code = Some(code);
        harness.run();
        harness.get_by_label("amara");
        harness.get_by_label("ben");
        harness.get_by_label("Disagreements").click();
        harness.run();
        harness.get_by_label("Load queue").click();
        harness.run();
        let total = harness.state().panel.queue.as_ref().unwrap().total();
        harness.get_by_label(&format!("0 of {total} decided"));
        harness.get_by_label("Union").click();
        harness.run();
        harness.get_by_label(&format!("1 of {total} decided"));
        harness.get_by_label("Open in document").click();
        harness.run();
        assert!(matches!(harness.state().action, Some(Action::JumpTo { .. })));
        harness.get_by_label("Undo").click();
        harness.run();
        harness.get_by_label(&format!("0 of {total} decided"));
    }

    #[test]
    fn filters_narrow_the_documents_and_codes_and_a_redraw_writes_the_consensus() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("demo.codeloom");
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        codeloom::demo::build_demo(&path, &codeloom::demo::DemoSources::in_repository(root)).unwrap();
        let project = Project::open(&path).unwrap();
        let panel = AgreementPanel {
            coders: "amara,ben".into(),
            bootstrap: false,
            waves: "BL".into(),
            codes: "Pacing, Sleep disruption".into(),
            group_by: Some(GroupBy::Wave),
            ..Default::default()
        };
        let mut harness = Harness::builder().with_size(egui::vec2(1600.0, 2000.0)).build_ui_state(
            |ui, s: &mut State| {
                if let Some(a) = s.panel.ui(ui, &s.project, &Study::default()) {
                    s.apply(a);
                }
            },
            State { panel, project, action: None },
        );
        harness.run();
        harness.get_by_label("Compute").click();
        harness.run();
        let report = harness.state().panel.report.clone().expect("a report");
        assert_eq!(report.codes.len(), 2, "only the chosen codes");
        assert_eq!(report.groups.len(), 1, "one row for the one wave chosen");
        assert!(report.settings.document_selection.contains("BL"), "{}", report.settings.document_selection);
        // A code that does not exist is named, and nothing is computed.
        harness.state_mut().panel.codes = "No such code".into();
        harness.get_by_label("Compute").click();
        harness.run();
        harness.get_by_label_contains("No such code");
        harness.state_mut().panel.codes = String::new();
        harness.get_by_label("Disagreements").click();
        harness.run();
        harness.get_by_label("Load queue").click();
        harness.run();
        let queue = harness.state().panel.queue.clone().expect("a queue");
        let p = &harness.state().project;
        assert!(
            queue.items.iter().all(|i| p.document(&i.disagreement.document_id).unwrap().wave.as_deref() == Some("BL")),
            "only baseline documents"
        );
        let item = queue.items.first().expect("a disagreement at baseline").disagreement.clone();
        harness.get_by_label("Redraw").click();
        harness.run();
        let consensus = harness
            .state()
            .project
            .codings(&codeloom::store::queries::CodingFilter {
                document_id: Some(item.document_id.clone()),
                coder: Some("consensus".into()),
                ..Default::default()
            })
            .unwrap();
        assert!(
            consensus.iter().any(|c| c.start == item.start as usize && c.end == item.end as usize),
            "the redrawn span is in the consensus layer"
        );
    }

    #[test]
    fn the_suggester_counts_as_a_coder_computed_in_the_background_and_stays_out_of_the_queue() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("demo.codeloom");
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        codeloom::demo::build_demo(&path, &codeloom::demo::DemoSources::in_repository(root)).unwrap();
        let project = Project::open(&path).unwrap();
        let before = project.codings(&Default::default()).unwrap();
        let panel = AgreementPanel { coders: "amara".into(), bootstrap: false, ..Default::default() };
        let mut harness = Harness::builder().with_size(egui::vec2(1600.0, 2000.0)).build_ui_state(
            |ui, s: &mut State| {
                if let Some(a) = s.panel.ui(ui, &s.project, &Study::default()) {
                    s.apply(a);
                }
            },
            State { panel, project, action: None },
        );
        harness.run();
        harness.get_by_role_and_label(egui::Role::CheckBox, "Count the suggester as a coder").click();
        harness.run();
        assert!(harness.state().panel.with_suggester);
        harness.get_by_label("Compute").click();
        harness.step();
        // The frame that started it returned at once: the suggester learns on its own thread.
        assert!(harness.state().panel.computing(), "learning in the background");
        assert!(harness.state().panel.report.is_none());
        for _ in 0..6000 {
            if !harness.state().panel.computing() {
                break;
            }
            harness.step();
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert!(!harness.state().panel.computing(), "the suggester was not learned in time");
        harness.run();
        let report =
            harness.state().panel.report.clone().unwrap_or_else(|| panic!("{:?}", harness.state().panel.notice));
        assert_eq!(report.settings.coders, ["amara", "suggester"]);
        assert_eq!(report.pairs.len(), 1);
        harness.get_by_label("suggester vs amara");
        harness.get_by_label_contains("suggester: trained on other documents, 5 folds, min score 0.50");
        // The queue is the team's: the suggester is named as left out, and offered no decision.
        harness.get_by_label("Disagreements").click();
        harness.run();
        harness.get_by_label_contains("The suggester is not part of the disagreements");
        assert!(harness.query_by_label("Accept suggester").is_none());
        assert_eq!(harness.state().project.codings(&Default::default()).unwrap(), before, "nothing stored");
    }
}
