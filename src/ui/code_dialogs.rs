//! Dialogs that reshape the code tree: merging several codes into one, and splitting a
//! code, choosing for each of its codings (listed with their text) which new code it
//! goes to. They read the [`Study`] while drawing (the split dialog reads its codings'
//! text once, when it opens) and return a [`CodeDialogAction`] for the app to perform
//! (`Project::merge_codes`, `Project::split_code`).

use super::study::Study;
use codeloom::Project;
use codeloom::model::offsets::slice_chars;
use codeloom::model::words::count;
use codeloom::store::code_ops::SplitPart;
use codeloom::store::queries::CodingFilter;
use std::collections::{BTreeSet, HashMap};

/// What the app must do.
#[derive(Debug, Clone, PartialEq)]
pub enum CodeDialogAction {
    /// `project.merge_codes(&sources, &target)`.
    MergeCodes { sources: Vec<String>, target: String },
    /// `project.split_code(&code_id, parts, remove_original)`.
    SplitCode { code_id: String, parts: Vec<SplitPart>, remove_original: bool },
    /// The dialog was closed without a change.
    Cancel,
}

/// Merge codes: tick the codes to merge, pick the code they go into.
#[derive(Debug, Default)]
pub struct MergeCodesDialog {
    pub selected: BTreeSet<String>,
    pub target: Option<String>,
}

impl MergeCodesDialog {
    /// Starts with `codes` ticked (for instance the codes selected in the tree).
    pub fn new(codes: impl IntoIterator<Item = String>) -> Self {
        MergeCodesDialog { selected: codes.into_iter().collect(), target: None }
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, study: &Study) -> Option<CodeDialogAction> {
        let (codes, counts, paths) = (&study.codes, &study.counts, &study.paths);
        ui.heading("Merge codes");
        ui.label("Codings move to the target; the same span by the same coder becomes one coding; memos are kept.");
        egui::ScrollArea::vertical().max_height(ui.available_height() - 60.0).show(ui, |ui| {
            for c in codes {
                let n = counts.get(&c.id).map_or(0, |k| k.codings);
                let mut on = self.selected.contains(&c.id);
                ui.horizontal(|ui| {
                    if ui.checkbox(&mut on, format!("{}  ({})", paths[&c.id], count(n, "coding"))).changed() {
                        if on {
                            self.selected.insert(c.id.clone());
                        } else {
                            self.selected.remove(&c.id);
                        }
                    }
                    if on && ui.selectable_label(self.target.as_deref() == Some(c.id.as_str()), "target").clicked() {
                        self.target = Some(c.id.clone());
                    }
                });
            }
        });
        if self.target.as_ref().is_some_and(|t| !self.selected.contains(t)) {
            self.target = None;
        }
        let sources: Vec<String> =
            self.selected.iter().filter(|s| Some(s.as_str()) != self.target.as_deref()).cloned().collect();
        let mut action = None;
        ui.horizontal(|ui| {
            let ready = self.target.is_some() && !sources.is_empty();
            let label = match &self.target {
                Some(t) => {
                    format!("Merge {} into {}", count(sources.len(), "code"), paths.get(t).cloned().unwrap_or_default())
                }
                None => "Choose the target".to_string(),
            };
            if ui.add_enabled(ready, egui::Button::new(label)).clicked() {
                action = self.target.clone().map(|target| CodeDialogAction::MergeCodes { sources, target });
            }
            if ui.button("Cancel").clicked() {
                action = Some(CodeDialogAction::Cancel);
            }
        });
        action
    }
}

/// Split a code: name the new codes, then give each coding to one of them (or leave it
/// on the original).
#[derive(Debug, Default)]
pub struct SplitCodeDialog {
    pub code_id: String,
    pub parts: Vec<String>,
    pub new_part: String,
    /// Coding ID to the index of its part in `parts`.
    pub assignment: HashMap<String, usize>,
    pub remove_original: bool,
    /// Coding ID, document name, coder, text.
    rows: Vec<(String, String, String, String)>,
}

impl SplitCodeDialog {
    /// Opens the dialog on a code, reading its codings and their text once.
    pub fn load(code_id: &str, project: &Project) -> codeloom::Result<Self> {
        let mut d = SplitCodeDialog { code_id: code_id.to_string(), ..Default::default() };
        let codings = project.codings(&CodingFilter { code_id: Some(code_id.to_string()), ..Default::default() })?;
        let mut docs: HashMap<String, (String, String)> = HashMap::new();
        let mut rows = vec![];
        for c in codings {
            if !docs.contains_key(&c.document_id) {
                docs.insert(
                    c.document_id.clone(),
                    (project.document(&c.document_id)?.name, project.document_text(&c.document_id)?),
                );
            }
            let (name, text) = &docs[&c.document_id];
            let quote = slice_chars(text, c.start, c.end).unwrap_or("").replace('\n', " ");
            rows.push((c.id, name.clone(), c.coder, quote));
        }
        d.rows = rows;
        Ok(d)
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, study: &Study) -> Option<CodeDialogAction> {
        let name = study.path(&self.code_id);
        ui.heading(format!("Split {name}"));
        ui.horizontal(|ui| {
            let l = ui.label("New code");
            ui.text_edit_singleline(&mut self.new_part).labelled_by(l.id);
            let fresh = self.new_part.trim();
            let ok = !fresh.is_empty() && !self.parts.iter().any(|p| p.eq_ignore_ascii_case(fresh));
            if ui.add_enabled(ok, egui::Button::new("Add new code")).clicked() {
                self.parts.push(fresh.to_string());
                self.new_part.clear();
            }
        });
        let rows = self.rows.clone();
        egui::ScrollArea::vertical().max_height(ui.available_height() - 60.0).show(ui, |ui| {
            egui::Grid::new("split_codings").striped(true).num_columns(3).show(ui, |ui| {
                ui.strong("Coded text");
                ui.strong("Where");
                ui.strong("Goes to");
                ui.end_row();
                for (id, doc, coder, text) in &rows {
                    let quote = ui.label(text);
                    ui.label(format!("{doc}, {coder}"));
                    let current = self.assignment.get(id).copied();
                    let shown = current.and_then(|i| self.parts.get(i)).cloned().unwrap_or_else(|| "(stays)".into());
                    let r = egui::ComboBox::from_id_salt(("split", id)).selected_text(shown).show_ui(ui, |ui| {
                        if ui.selectable_label(current.is_none(), "(stays)").clicked() {
                            self.assignment.remove(id);
                        }
                        for (i, p) in self.parts.iter().enumerate() {
                            if ui.selectable_label(current == Some(i), p).clicked() {
                                self.assignment.insert(id.clone(), i);
                            }
                        }
                    });
                    r.response.labelled_by(quote.id);
                    ui.end_row();
                }
            });
        });
        let left = rows.len() - rows.iter().filter(|r| self.assignment.contains_key(&r.0)).count();
        ui.checkbox(&mut self.remove_original, format!("Remove {name} (every coding must go to a new code)"));
        let mut action = None;
        ui.horizontal(|ui| {
            let ready = !self.parts.is_empty() && (!self.remove_original || left == 0);
            if ui.add_enabled(ready, egui::Button::new("Split")).clicked() {
                let parts = self
                    .parts
                    .iter()
                    .enumerate()
                    .map(|(i, p)| SplitPart {
                        name: p.clone(),
                        codings: rows
                            .iter()
                            .filter(|r| self.assignment.get(&r.0) == Some(&i))
                            .map(|r| r.0.clone())
                            .collect(),
                        ..Default::default()
                    })
                    .collect();
                action = Some(CodeDialogAction::SplitCode {
                    code_id: self.code_id.clone(),
                    parts,
                    remove_original: self.remove_original,
                });
            }
            if ui.button("Cancel").clicked() {
                action = Some(CodeDialogAction::Cancel);
            }
            ui.label(format!("{} stay on {name}", count(left, "coding")));
        });
        action
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
        (dir, Project::open(&path).unwrap())
    }

    #[test]
    fn merge_dialog_returns_sources_and_target() {
        let (_dir, project) = demo();
        let low = project.resolve_code("Low mood").unwrap();
        let fear = project.resolve_code("Fear of movement").unwrap();
        let mut h = Harness::builder().with_size(egui::vec2(900.0, 1400.0)).build_ui_state(
            |ui, s: &mut (MergeCodesDialog, Project, Vec<CodeDialogAction>, Study)| {
                if let Some(a) = s.0.ui(ui, &s.3) {
                    s.2.push(a);
                }
            },
            {
                let study = Study::load(&project).unwrap();
                (MergeCodesDialog::new([low.clone(), fear.clone()]), project, vec![], study)
            },
        );
        h.run();
        h.get_by_label("Choose the target");
        h.get_all_by_label("target").nth(1).unwrap().click();
        h.run();
        h.get_by_label("Merge 1 code into Identity and emotion / Mood and worry / Fear of movement").click();
        h.run();
        assert_eq!(h.state().2, [CodeDialogAction::MergeCodes { sources: vec![low], target: fear }]);
        let CodeDialogAction::MergeCodes { sources, target } = h.state().2[0].clone() else { unreachable!() };
        h.state_mut().1.merge_codes(&sources, &target).unwrap();
        assert!(h.state().1.resolve_code("Low mood").is_err());
    }

    #[test]
    fn split_dialog_lists_codings_with_text_and_assigns_them() {
        let (_dir, project) = demo();
        let code = project.resolve_code("Transport").unwrap();
        let codings = project.codings(&CodingFilter { code_id: Some(code.clone()), ..Default::default() }).unwrap();
        assert!(codings.len() >= 2);
        let first_text = {
            let t = project.document_text(&codings[0].document_id).unwrap();
            slice_chars(&t, codings[0].start, codings[0].end).unwrap().replace('\n', " ")
        };
        let mut h = Harness::builder().with_size(egui::vec2(1400.0, 1400.0)).build_ui_state(
            |ui, s: &mut (SplitCodeDialog, Project, Vec<CodeDialogAction>, Study)| {
                if let Some(a) = s.0.ui(ui, &s.3) {
                    s.2.push(a);
                }
            },
            {
                let study = Study::load(&project).unwrap();
                (SplitCodeDialog::load(&code, &project).unwrap(), project, vec![], study)
            },
        );
        h.run();
        h.get_by_label(&first_text);
        h.state_mut().0.new_part = "Buses".into();
        h.run();
        h.get_by_label("Add new code").click();
        h.run();
        h.state_mut().0.new_part = "Driving".into();
        h.run();
        h.get_by_label("Add new code").click();
        h.run();
        h.state_mut().0.assignment.insert(codings[0].id.clone(), 0);
        h.state_mut().0.assignment.insert(codings[1].id.clone(), 1);
        h.run();
        h.get_by_label(&format!(
            "{} codings stay on The group programme / Barriers to attending / Transport",
            codings.len() - 2
        ));
        h.get_by_label("Split").click();
        h.run();
        let Some(CodeDialogAction::SplitCode { parts, remove_original, .. }) = h.state().2.first().cloned() else {
            panic!("no split action")
        };
        assert!(!remove_original);
        assert_eq!(parts[0].codings, [codings[0].id.clone()]);
        assert_eq!(parts[1].codings, [codings[1].id.clone()]);
        let ids = h.state_mut().1.split_code(&code, parts, false).unwrap();
        assert_eq!(ids.len(), 2);
    }
}
