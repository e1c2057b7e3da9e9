//! The codebook review panel: saved versions (with "save version"), the diff between
//! two versions, the project's history with CSV/Markdown export, and the conflicts of a
//! coder's copy being merged, in three columns (base, project, copy) with a choice per
//! conflict; and reconciling a separately built codebook (suggested matches by name and
//! coded text, each accepted, changed or rejected). What must change the project comes back
//! as a [`ReviewAction`] for the app to perform. It reads the project only on a button press
//! or when the [`Study`]'s revision says it changed (the version list, the history and the
//! diff are kept until then), never on every frame.

use super::study::Study;
use codeloom::Project;
use codeloom::codebook::diff::{self, ChangeKind, CodebookDiff};
use codeloom::codebook::merge::{self, Choice, MergePlan};
use codeloom::codebook::reconcile::{self, Decision, Suggestion};
use codeloom::codebook::{history, versions};
use codeloom::model::time::format_timestamp;
use codeloom::model::words::count;
use std::collections::HashMap;
use std::path::PathBuf;

/// What the app must do after the panel was drawn.
#[derive(Debug)]
pub enum ReviewAction {
    /// `project.save_codebook_version(name, note)`.
    SaveVersion { name: String, note: String },
    /// Write `contents` to `path` (an audit trail).
    WriteFile { path: PathBuf, contents: String },
    /// `project.merge_copy(&plan)`; every conflict has a choice.
    ApplyMerge(Box<MergePlan>),
    /// `project.reconcile_codebook(&Project::open(other), &decisions)`.
    Reconcile { other: PathBuf, decisions: HashMap<String, Decision> },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tab {
    #[default]
    Versions,
    Diff,
    History,
    Merge,
    Reconcile,
}

/// The panel's state.
#[derive(Default)]
pub struct CodebookReview {
    pub tab: Tab,
    pub version_name: String,
    pub version_note: String,
    /// The two sides of the diff: version names, or [`versions::CURRENT`].
    pub diff_old: String,
    pub diff_new: String,
    cached_diff: Option<(String, String, u64, CodebookDiff)>,
    /// The saved versions and the operation log, as of a revision of the Study.
    versions: Option<(u64, Vec<versions::CodebookVersion>)>,
    history: Option<(u64, Vec<codeloom::store::log::LogEntry>)>,
    pub codebook_only: bool,
    pub export_path: String,
    pub copy_path: String,
    /// Handing a coder a copy: the coder, whether it is blind, where it is written.
    pub new_copy_coder: String,
    pub new_copy_blind: bool,
    pub new_copy_out: String,
    pub plan: Option<MergePlan>,
    /// Reconciling: the other project file, its suggested matches and the choices.
    pub other_path: String,
    pub suggestions: Option<(PathBuf, Vec<Suggestion>)>,
    pub decisions: HashMap<String, Decision>,
    pub notice: Option<String>,
}

impl CodebookReview {
    /// Draws the panel; returns what the app must do, if anything.
    pub fn ui(&mut self, ui: &mut egui::Ui, project: &Project, study: &Study) -> Option<ReviewAction> {
        if self.versions.as_ref().is_none_or(|(r, _)| *r != study.revision) {
            self.versions = Some((study.revision, versions::versions(project).unwrap_or_default()));
        }
        ui.horizontal(|ui| {
            for (tab, label) in [
                (Tab::Versions, "Versions"),
                (Tab::Diff, "Diff"),
                (Tab::History, "History"),
                (Tab::Merge, "Merge a copy"),
                (Tab::Reconcile, "Reconcile a codebook"),
            ] {
                ui.selectable_value(&mut self.tab, tab, label);
            }
        });
        ui.separator();
        if let Some(n) = &self.notice {
            ui.label(n.clone());
        }
        match self.tab {
            Tab::Versions => self.versions_ui(ui),
            Tab::Diff => {
                self.diff_ui(ui, project, study.revision);
                None
            }
            Tab::History => self.history_ui(ui, project, study.revision),
            Tab::Merge => self.merge_ui(ui, project),
            Tab::Reconcile => self.reconcile_ui(ui, project, study),
        }
    }

    fn versions_ui(&mut self, ui: &mut egui::Ui) -> Option<ReviewAction> {
        let mut action = None;
        let list = self.versions.as_ref().map(|(_, v)| v.clone()).unwrap_or_default();
        match list {
            list if list.is_empty() => {
                ui.label("No saved versions yet.");
            }
            list => {
                egui::Grid::new("codebook_versions").striped(true).show(ui, |ui| {
                    for h in ["Version", "Saved", "By", "Codes", "Codings", "Note"] {
                        ui.strong(h);
                    }
                    ui.end_row();
                    for v in list {
                        ui.label(&v.name);
                        ui.label(format_timestamp(v.created_at_ms));
                        ui.label(v.created_by.as_deref().unwrap_or(""));
                        ui.label(v.codes.to_string());
                        ui.label(v.codings.to_string());
                        ui.label(&v.note);
                        ui.end_row();
                    }
                });
            }
        }
        ui.separator();
        ui.horizontal(|ui| {
            let l = ui.label("Name");
            ui.text_edit_singleline(&mut self.version_name).labelled_by(l.id);
            let l = ui.label("Note");
            ui.text_edit_singleline(&mut self.version_note).labelled_by(l.id);
            let ready = !self.version_name.trim().is_empty();
            if ui.add_enabled(ready, egui::Button::new("Save version")).clicked() {
                action = Some(ReviewAction::SaveVersion {
                    name: self.version_name.trim().to_string(),
                    note: self.version_note.clone(),
                });
                self.version_name.clear();
                self.version_note.clear();
            }
        });
        action
    }

    fn diff_ui(&mut self, ui: &mut egui::Ui, project: &Project, revision: u64) {
        let mut names: Vec<String> =
            self.versions.iter().flat_map(|(_, list)| list.iter().map(|v| v.name.clone())).collect();
        names.push(versions::CURRENT.to_string());
        if self.diff_old.is_empty() {
            self.diff_old = names.first().cloned().unwrap_or_default();
        }
        if self.diff_new.is_empty() {
            self.diff_new = versions::CURRENT.to_string();
        }
        ui.horizontal(|ui| {
            for (label, value) in [("From", &mut self.diff_old), ("to", &mut self.diff_new)] {
                let l = ui.label(label);
                let r = egui::ComboBox::from_id_salt(label).selected_text(value.clone()).show_ui(ui, |ui| {
                    for n in &names {
                        ui.selectable_value(value, n.clone(), n);
                    }
                });
                r.response.labelled_by(l.id);
            }
        });
        let counter = revision;
        let stale = !matches!(&self.cached_diff, Some((a, b, c, _)) if *a == self.diff_old && *b == self.diff_new && *c == counter);
        if stale {
            let computed = (|| -> codeloom::Result<CodebookDiff> {
                let old = versions::version_codes(project, &self.diff_old)?;
                let new = versions::version_codes(project, &self.diff_new)?;
                let counts = project.code_counts()?.into_iter().map(|(k, v)| (k, v.codings)).collect();
                Ok(diff::diff(&self.diff_old, &old, &self.diff_new, &new, &project.history()?, &counts))
            })();
            match computed {
                Ok(d) => self.cached_diff = Some((self.diff_old.clone(), self.diff_new.clone(), counter, d)),
                Err(e) => {
                    ui.label(format!("Cannot compare: {e}"));
                    return;
                }
            }
        }
        let Some((_, _, _, d)) = &self.cached_diff else { return };
        if d.changes.is_empty() {
            ui.label("No changes.");
            return;
        }
        let summary: Vec<String> = d.counts().iter().map(|(k, n)| format!("{n} {}", k.as_str())).collect();
        ui.label(summary.join(", "));
        egui::ScrollArea::vertical().show(ui, |ui| {
            for c in &d.changes {
                let old = c.old_path.as_deref().unwrap_or("");
                let new = c.new_path.as_deref().unwrap_or("");
                let line = match c.kind {
                    ChangeKind::Added => format!("Added {new}"),
                    ChangeKind::Removed => format!("Removed {old}"),
                    ChangeKind::Renamed | ChangeKind::Moved => format!("{} {old} -> {new}", capital(c.kind.as_str())),
                    ChangeKind::Merged => format!("Merged {old} into {}", c.related_path.as_deref().unwrap_or("?")),
                    ChangeKind::Split => format!("Split {} -> {new}", c.related_path.as_deref().unwrap_or("?")),
                    ChangeKind::Redefined | ChangeKind::Recoloured => format!("{} {new}", capital(c.kind.as_str())),
                };
                ui.label(format!("{line}  ({})", count(c.codings, "coding")));
                if let (Some(a), Some(b)) = (&c.old_description, &c.new_description) {
                    egui::Grid::new(("redefined", &c.code_id)).striped(true).show(ui, |ui| {
                        ui.strong("");
                        ui.strong("Before");
                        ui.strong("After");
                        ui.end_row();
                        for (label, x, y) in [
                            ("Definition", &a.definition, &b.definition),
                            ("Inclusion", &a.inclusion, &b.inclusion),
                            ("Exclusion", &a.exclusion, &b.exclusion),
                            ("Example", &a.example, &b.example),
                        ] {
                            if x != y {
                                ui.label(label);
                                ui.label(x);
                                ui.label(y);
                                ui.end_row();
                            }
                        }
                    });
                }
            }
        });
    }

    fn history_ui(&mut self, ui: &mut egui::Ui, project: &Project, revision: u64) -> Option<ReviewAction> {
        if self.history.as_ref().is_none_or(|(r, _)| *r != revision) {
            match project.history() {
                Ok(h) => self.history = Some((revision, h)),
                Err(e) => {
                    ui.label(format!("Cannot read the history: {e}"));
                    return None;
                }
            }
        }
        let all = self.history.as_ref().map(|(_, h)| h.as_slice()).unwrap_or_default();
        let entries: Vec<_> =
            all.iter().filter(|e| !self.codebook_only || history::is_codebook_change(e, all)).cloned().collect();
        let mut action = None;
        ui.horizontal(|ui| {
            ui.checkbox(&mut self.codebook_only, "Only codebook changes");
            let l = ui.label("Export to");
            ui.text_edit_singleline(&mut self.export_path).labelled_by(l.id);
            let ready = !self.export_path.trim().is_empty();
            if ui.add_enabled(ready, egui::Button::new("Export CSV")).clicked() {
                match history::audit_csv(&entries) {
                    Ok(contents) => {
                        action = Some(ReviewAction::WriteFile { path: self.export_path.trim().into(), contents })
                    }
                    Err(e) => self.notice = Some(e.to_string()),
                }
            }
            if ui.add_enabled(ready, egui::Button::new("Export Markdown")).clicked() {
                let title = format!(
                    "Audit trail of {}",
                    project.path().file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
                );
                action = Some(ReviewAction::WriteFile {
                    path: self.export_path.trim().into(),
                    contents: history::audit_markdown(&title, &entries),
                });
            }
        });
        ui.label(format!("{} changes", entries.len()));
        egui::ScrollArea::vertical().show_rows(ui, 18.0, entries.len(), |ui, rows| {
            for e in &entries[rows] {
                let state = match e.state.as_str() {
                    "undone" => " (undone)",
                    "discarded" => " (undone, discarded)",
                    _ => "",
                };
                ui.label(format!(
                    "{}  {}  {}  {}{state}",
                    e.seq,
                    format_timestamp(e.created_at_ms),
                    e.coder,
                    e.summary
                ));
            }
        });
        action
    }

    /// Hand a coder a copy of the project to code independently.
    fn make_copy_ui(&mut self, ui: &mut egui::Ui, project: &Project) {
        ui.strong("Hand a coder a copy");
        ui.horizontal(|ui| {
            let l = ui.label("Coder");
            ui.add(egui::TextEdit::singleline(&mut self.new_copy_coder).desired_width(120.0)).labelled_by(l.id);
            ui.checkbox(&mut self.new_copy_blind, "blind (without other coders' codings and memos)");
        });
        let coder = self.new_copy_coder.trim().to_string();
        let suggested = {
            let stem = project.path().file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            project.path().with_file_name(format!("{stem}-{coder}.codeloom")).display().to_string()
        };
        ui.horizontal(|ui| {
            let l = ui.label("Write to");
            ui.add(
                egui::TextEdit::singleline(&mut self.new_copy_out)
                    .hint_text(if coder.is_empty() { String::new() } else { suggested.clone() })
                    .desired_width(420.0),
            )
            .labelled_by(l.id);
            if ui.add_enabled(!coder.is_empty(), egui::Button::new("Make copy")).clicked() {
                let out = if self.new_copy_out.trim().is_empty() {
                    suggested.clone()
                } else {
                    self.new_copy_out.trim().to_string()
                };
                self.notice =
                    Some(match merge::make_copy(project, &coder, std::path::Path::new(&out), self.new_copy_blind) {
                        Ok(base) => format!(
                            "Wrote {out} for {coder}{}: {}, {}. Merge it back below when it is coded.",
                            if base.blind { " (blind)" } else { "" },
                            count(base.codes.len(), "code"),
                            count(base.codings.len(), "coding")
                        ),
                        Err(e) => format!("Cannot make the copy: {e}"),
                    });
            }
        });
        ui.separator();
    }

    /// Another team's codebook, built without shared IDs: match its codes to ours.
    fn reconcile_ui(&mut self, ui: &mut egui::Ui, project: &Project, study: &Study) -> Option<ReviewAction> {
        ui.label(
            "Bring in a codebook that was built separately (another project file with the same transcripts): \
             each of its codes is matched to one of ours, added as a new code, or skipped; its codings follow.",
        );
        ui.horizontal(|ui| {
            let l = ui.label("Other project");
            ui.add(egui::TextEdit::singleline(&mut self.other_path).desired_width(420.0)).labelled_by(l.id);
            if ui.add_enabled(!self.other_path.trim().is_empty(), egui::Button::new("Suggest matches")).clicked() {
                let path = PathBuf::from(self.other_path.trim());
                let suggested = Project::open(&path).and_then(|other| reconcile::suggest_matches(project, &other));
                match suggested {
                    Ok(list) => {
                        self.decisions = reconcile::accept_suggestions(&list);
                        self.notice = None;
                        self.suggestions = Some((path, list));
                    }
                    Err(e) => self.notice = Some(e.to_string()),
                }
            }
        });
        let Some((path, list)) = &self.suggestions else { return None };
        let (codes, paths) = (&study.codes, &study.paths);
        let label = |d: Option<&Decision>| match d {
            Some(Decision::Match(id)) => format!("same as {}", paths.get(id).cloned().unwrap_or_default()),
            Some(Decision::Skip) => "leave out".to_string(),
            Some(Decision::Add) | None => "add as a new code".to_string(),
        };
        let mut action = None;
        egui::ScrollArea::vertical().max_height(ui.available_height() - 40.0).show(ui, |ui| {
            egui::Grid::new("reconcile").striped(true).num_columns(4).show(ui, |ui| {
                for h in ["Their code", "Becomes", "Name alike", "Same text"] {
                    ui.strong(h);
                }
                ui.end_row();
                for s in list {
                    ui.label(&s.other_path);
                    let current = self.decisions.get(&s.other_code_id).cloned();
                    let choice = egui::ComboBox::from_id_salt(("reconcile", &s.other_code_id))
                        .selected_text(label(current.as_ref()))
                        .width(320.0)
                        .show_ui(ui, |ui| {
                            let mut pick = |d: Decision, ui: &mut egui::Ui| {
                                let text = label(Some(&d));
                                if ui.selectable_label(current.as_ref() == Some(&d), text).clicked() {
                                    self.decisions.insert(s.other_code_id.clone(), d);
                                }
                            };
                            pick(Decision::Add, ui);
                            pick(Decision::Skip, ui);
                            for c in codes {
                                pick(Decision::Match(c.id.clone()), ui);
                            }
                        });
                    choice.response.widget_info(|| {
                        egui::WidgetInfo::labeled(egui::Role::ComboBox, true, format!("{} becomes", s.other_path))
                    });
                    ui.label(format!("{:.0} %", s.name_similarity * 100.0));
                    ui.label(format!("{:.0} %", s.text_overlap * 100.0));
                    ui.end_row();
                }
            });
        });
        let matched = self.decisions.values().filter(|d| matches!(d, Decision::Match(_))).count();
        let skipped = self.decisions.values().filter(|d| **d == Decision::Skip).count();
        let added = list.len().saturating_sub(matched + skipped);
        let text = format!("Reconcile: {matched} matched, {added} added, {skipped} left out");
        if ui.button(text).clicked() {
            action = Some(ReviewAction::Reconcile { other: path.clone(), decisions: self.decisions.clone() });
        }
        action
    }

    fn merge_ui(&mut self, ui: &mut egui::Ui, project: &Project) -> Option<ReviewAction> {
        self.make_copy_ui(ui, project);
        ui.horizontal(|ui| {
            let l = ui.label("Coder's copy");
            ui.text_edit_singleline(&mut self.copy_path).labelled_by(l.id);
            if ui.add_enabled(!self.copy_path.trim().is_empty(), egui::Button::new("Compare")).clicked() {
                match merge::plan_merge(project, std::path::Path::new(self.copy_path.trim())) {
                    Ok(plan) => {
                        self.notice = None;
                        self.plan = Some(plan);
                    }
                    Err(e) => self.notice = Some(e.to_string()),
                }
            }
        });
        let plan = self.plan.as_mut()?;
        ui.label(format!(
            "Copy of {}: {} conflicts, {} still to resolve",
            plan.base.coder,
            plan.conflicts.len(),
            plan.unresolved()
        ));
        let mut choices = vec![];
        egui::ScrollArea::vertical().max_height(ui.available_height() - 40.0).show(ui, |ui| {
            egui::Grid::new("merge_conflicts").striped(true).num_columns(5).show(ui, |ui| {
                for h in ["Conflict", "Base", "Project", "Copy", "Choice"] {
                    ui.strong(h);
                }
                ui.end_row();
                for c in &plan.conflicts {
                    ui.label(format!(
                        "{} {}: {}  ({})",
                        c.id + 1,
                        kind_label(c.kind),
                        c.code,
                        count(c.codings, "coding")
                    ));
                    ui.label(&c.base);
                    ui.label(&c.project);
                    ui.label(&c.copy);
                    ui.horizontal(|ui| {
                        if ui.selectable_label(c.choice == Some(Choice::Project), "Keep project's").clicked() {
                            choices.push((c.id, Choice::Project));
                        }
                        if ui.selectable_label(c.choice == Some(Choice::Copy), "Take copy's").clicked() {
                            choices.push((c.id, Choice::Copy));
                        }
                    });
                    ui.end_row();
                }
            });
        });
        for (id, choice) in choices {
            let _ = plan.resolve(id, choice);
        }
        if ui.add_enabled(plan.unresolved() == 0, egui::Button::new("Merge")).clicked() {
            return self.plan.take().map(|p| ReviewAction::ApplyMerge(Box::new(p)));
        }
        None
    }
}

fn capital(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

fn kind_label(k: merge::ConflictKind) -> &'static str {
    use merge::ConflictKind::*;
    match k {
        Renamed => "renamed differently",
        Moved => "moved differently",
        Redefined => "redefined differently",
        Recoloured => "recoloured differently",
        DeletedInProject => "deleted in the project, used in the copy",
        DeletedInCopy => "deleted in the copy, used in the project",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use codeloom::store::ops::CodeChanges;
    use egui_kittest::Harness;
    use egui_kittest::kittest::Queryable;

    pub(crate) struct State {
        pub panel: CodebookReview,
        pub project: Project,
        pub study: Study,
        pub actions: Vec<ReviewAction>,
    }

    pub(crate) fn demo() -> (tempfile::TempDir, Project) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("demo.codeloom");
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        codeloom::demo::build_demo(&path, &codeloom::demo::DemoSources::in_repository(root)).unwrap();
        let project = Project::open(&path).unwrap();
        (dir, project)
    }

    fn harness(project: Project, tab: Tab) -> Harness<'static, State> {
        Harness::builder().with_size(egui::vec2(1280.0, 820.0)).build_ui_state(
            |ui, s: &mut State| {
                if let Some(a) = s.panel.ui(ui, &s.project, &s.study) {
                    s.actions.push(a);
                }
            },
            {
                let study = Study::load(&project).unwrap();
                State { panel: CodebookReview { tab, ..Default::default() }, project, study, actions: vec![] }
            },
        )
    }

    #[test]
    fn versions_are_listed_and_saved_through_an_action() {
        let (_dir, project) = demo();
        let mut h = harness(project, Tab::Versions);
        h.run();
        h.get_by_label("v1 starter");
        h.state_mut().panel.version_name = "v2 after reconciliation".into();
        h.run();
        h.get_by_label("Save version").click();
        h.run();
        assert!(
            matches!(&h.state().actions[..], [ReviewAction::SaveVersion { name, .. }] if name == "v2 after reconciliation")
        );
    }

    #[test]
    fn the_diff_shows_changes_with_definitions_side_by_side() {
        let (_dir, mut project) = demo();
        let hope = project.resolve_code("Hope").unwrap();
        let mut d = project.code(&hope).unwrap().description;
        let old_definition = d.definition.clone();
        assert!(!old_definition.is_empty());
        d.definition = "Looking forward with some confidence".into();
        project
            .update_code(
                &hope,
                CodeChanges { name: Some("Optimism".into()), description: Some(d), ..Default::default() },
            )
            .unwrap();
        let mut h = harness(project, Tab::Diff);
        h.run();
        h.get_by_label("1 renamed, 1 redefined");
        h.get_by_label_contains("Renamed Identity and emotion / Hope -> Identity and emotion / Optimism");
        // The definitions side by side: the version's old one under "Before", the new one after.
        let before = h.get_by_label("Before").rect();
        let new = h.get_by_label("Looking forward with some confidence").rect();
        let old = h.get_by_label(&old_definition).rect();
        assert!(new.left() > old.left(), "the new definition is to the right of the old one");
        assert!(old.top() > before.top(), "the old definition is under Before");
        // Nothing else differs from the starter version.
        assert_eq!(h.query_all_by_label_contains("Renamed ").count(), 1);
    }

    #[test]
    fn history_exports_csv_and_markdown() {
        let (dir, project) = demo();
        let mut h = harness(project, Tab::History);
        h.run();
        h.get_by_label_contains("Import 17 documents");
        h.state_mut().panel.export_path = dir.path().join("audit.md").to_string_lossy().into_owned();
        h.run();
        h.get_by_label("Export Markdown").click();
        h.run();
        match &h.state().actions[..] {
            [ReviewAction::WriteFile { contents, .. }] => assert!(contents.contains("| # | Time (UTC) |")),
            other => panic!("{other:?}"),
        }
        h.get_by_label("Only codebook changes").click();
        h.run();
        assert!(h.query_by_label_contains("Import 17 documents").is_none());
    }

    #[test]
    fn conflicts_are_resolved_in_three_columns() {
        let (dir, project) = demo();
        let copy = dir.path().join("ben.codeloom");
        merge::make_copy(&project, "ben", &copy, true).unwrap();
        let hope = project.resolve_code("Hope").unwrap();
        {
            let mut c = Project::open(&copy).unwrap();
            c.update_code(&hope, CodeChanges { name: Some("Optimism".into()), ..Default::default() }).unwrap();
        }
        let mut project = project;
        project.update_code(&hope, CodeChanges { name: Some("Hopefulness".into()), ..Default::default() }).unwrap();
        let mut h = harness(project, Tab::Merge);
        h.state_mut().panel.copy_path = copy.to_string_lossy().into_owned();
        h.run();
        h.get_by_label("Compare").click();
        h.run();
        h.get_by_label("Copy of ben: 1 conflicts, 1 still to resolve");
        h.get_by_label("Hopefulness");
        h.get_by_label("Optimism");
        h.get_by_label("Take copy's").click();
        h.run();
        h.get_by_label("Merge").click();
        h.run();
        let Some(ReviewAction::ApplyMerge(plan)) = h.state_mut().actions.pop() else { panic!("no merge action") };
        let report = h.state_mut().project.merge_copy(&plan).unwrap();
        assert!(report.changed);
        assert_eq!(h.state().project.code(&hope).unwrap().name, "Optimism");
    }

    #[test]
    fn a_coder_is_handed_a_blind_copy_beside_the_project() {
        let (dir, project) = demo();
        let mut h = harness(project, Tab::Merge);
        h.run();
        h.get_by_role_and_label(egui::Role::TextInput, "Coder").focus();
        h.run();
        h.get_by_role_and_label(egui::Role::TextInput, "Coder").type_text("dana");
        h.run();
        h.get_by_label("blind (without other coders' codings and memos)").click();
        h.run();
        h.get_by_label("Make copy").click();
        h.run();
        let copy = dir.path().join("demo-dana.codeloom");
        h.get_by_label_contains(&format!("Wrote {}", copy.display()));
        let base = merge::copy_base(&Project::open(&copy).unwrap()).unwrap().expect("the copy knows its base");
        assert_eq!(base.coder, "dana");
        assert!(base.blind);
        assert!(base.codings.is_empty(), "a blind copy for a new coder has no codings");
        // A second copy to the same place is refused with the reason, and the first is kept.
        h.get_by_label("Make copy").click();
        h.run();
        h.get_by_label_contains("a file already exists there");
        assert!(copy.is_file());
    }

    #[test]
    fn a_separate_codebook_is_reconciled_with_suggested_and_changed_matches() {
        let (dir, project) = demo();
        // Another team's project: the same transcripts, its own codes (new IDs).
        let other_path = dir.path().join("other.codeloom");
        let mut other = Project::create(&other_path).unwrap();
        let docs: Vec<_> = project.documents().unwrap();
        let parsed: Vec<codeloom::import::ParsedDocument> = docs
            .iter()
            .take(2)
            .map(|d| codeloom::import::ParsedDocument {
                source: PathBuf::from(&d.document.name),
                name: d.document.name.clone(),
                original_name: d.document.original_name.clone(),
                format: "txt".into(),
                text: project.document_text(&d.document.id).unwrap(),
                turns: vec![],
                participant: None,
                wave: None,
                warnings: vec![],
            })
            .collect();
        other.import_documents(parsed).unwrap();
        let sleep = other
            .create_code(codeloom::store::ops::NewCode { name: "Sleep disruptions".into(), ..Default::default() })
            .unwrap();
        other.create_code(codeloom::store::ops::NewCode { name: "Gardening".into(), ..Default::default() }).unwrap();
        drop(other);
        let mut h = harness(project, Tab::Reconcile);
        h.state_mut().panel.other_path = other_path.to_string_lossy().into_owned();
        h.run();
        h.get_by_label("Suggest matches").click();
        h.run();
        let ours = h.state().project.resolve_code("Sleep disruption").unwrap();
        assert_eq!(h.state().panel.decisions.get(&sleep), Some(&Decision::Match(ours.clone())));
        h.get_by_label("Gardening");
        // Change one choice: leave the garden code out.
        h.get_by_label("Gardening becomes").click();
        h.run();
        h.get_all_by_label("leave out").last().unwrap().click();
        h.run();
        h.get_by_label("Reconcile: 1 matched, 0 added, 1 left out").click();
        h.run();
        let Some(ReviewAction::Reconcile { other, decisions }) = h.state_mut().actions.pop() else {
            panic!("no reconcile action")
        };
        let other = Project::open(&other).unwrap();
        let before = h.state().project.codes().unwrap().len();
        let report = h.state_mut().project.reconcile_codebook(&other, &decisions).unwrap();
        assert_eq!(report.codes_matched, 1);
        assert_eq!(report.codes_skipped.len(), 1);
        assert_eq!(h.state().project.codes().unwrap().len(), before);
    }
}
