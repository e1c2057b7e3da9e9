//! Which coder was given which documents (the Agreement screen's "Assignments" tab): a
//! participant × wave grid of tick boxes for the chosen coder, whole waves at once, and a
//! summary per coder. A document a coder was not given counts as missing data in the
//! agreement statistics, not as "nothing coded"; a coder with no assignments counts as
//! given every document. The panel reads the [`Study`] and returns actions; the application
//! carries them out as undoable operations (`Project::assign_coder`, `unassign_coder`).

use super::study::Study;
use codeloom::model::words::count;
use egui::{RichText, Ui};
use std::collections::{BTreeMap, HashSet};

/// What the user asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssignmentAction {
    Assign { coder: String, document_ids: Vec<String> },
    Unassign { coder: String, document_ids: Vec<String> },
}

#[derive(Default)]
pub struct AssignmentsPanel {
    /// The coder whose assignments are shown.
    coder: String,
    /// A coder name typed for someone not in the project yet.
    new_coder: String,
}

impl AssignmentsPanel {
    pub fn ui(&mut self, ui: &mut Ui, study: &Study) -> Option<AssignmentAction> {
        let mut action = None;
        if self.coder.is_empty()
            && let Some(first) = study.coders.iter().find(|c| c.as_str() != "consensus")
        {
            self.coder = first.clone();
        }
        let given = |coder: &str| -> HashSet<&str> {
            study.assignments.iter().filter(|a| a.coder == coder).map(|a| a.document_id.as_str()).collect()
        };
        ui.horizontal(|ui| {
            egui::ComboBox::from_label("coder").selected_text(&self.coder).show_ui(ui, |ui| {
                for c in &study.coders {
                    ui.selectable_value(&mut self.coder, c.clone(), c);
                }
            });
            let r = ui
                .add(egui::TextEdit::singleline(&mut self.new_coder).hint_text("or a new coder").desired_width(140.0));
            r.widget_info(|| egui::WidgetInfo::labeled(egui::Role::TextInput, true, "New coder to assign"));
            if ui.button("Choose").clicked() && !self.new_coder.trim().is_empty() {
                self.coder = self.new_coder.trim().to_string();
                self.new_coder.clear();
            }
        });
        if self.coder.is_empty() {
            ui.weak("Add a coder (type a name above) to give them documents.");
            return None;
        }
        let mine = given(&self.coder);
        ui.label(if mine.is_empty() {
            format!("{} has no assignments, so counts as given every document.", self.coder)
        } else {
            format!("{} is given {} of {}.", self.coder, mine.len(), count(study.documents.len(), "document"))
        });
        ui.horizontal_wrapped(|ui| {
            for w in &study.waves {
                let ids: Vec<String> = study
                    .documents
                    .iter()
                    .filter(|d| d.document.wave.as_deref() == Some(w.as_str()))
                    .map(|d| d.document.id.clone())
                    .collect();
                if ui.button(format!("Give all {w}")).clicked() {
                    action = Some(AssignmentAction::Assign { coder: self.coder.clone(), document_ids: ids.clone() });
                }
                if ui.button(format!("Take back {w}")).clicked() {
                    action = Some(AssignmentAction::Unassign { coder: self.coder.clone(), document_ids: ids });
                }
            }
            if !mine.is_empty() && ui.button("Take back all").clicked() {
                let ids = mine.iter().map(|s| s.to_string()).collect();
                action = Some(AssignmentAction::Unassign { coder: self.coder.clone(), document_ids: ids });
            }
        });
        ui.separator();
        egui::ScrollArea::vertical().id_salt("assignments_scroll").max_height(ui.available_height() - 90.0).show(
            ui,
            |ui| {
                if let Some(a) = self.grid(ui, study, &mine) {
                    action = Some(a);
                }
            },
        );
        ui.separator();
        let mut per_coder: BTreeMap<&str, usize> = BTreeMap::new();
        for a in &study.assignments {
            *per_coder.entry(a.coder.as_str()).or_default() += 1;
        }
        ui.horizontal_wrapped(|ui| {
            ui.strong("Given so far:");
            if per_coder.is_empty() {
                ui.weak("nobody has assignments; every coder counts as given every document");
            }
            for (coder, n) in per_coder {
                ui.label(format!("{coder}: {}", count(n, "document")));
            }
        });
        action
    }

    /// Tick boxes by participant and wave; a tick gives the document to the coder.
    fn grid(&self, ui: &mut Ui, study: &Study, mine: &HashSet<&str>) -> Option<AssignmentAction> {
        let mut action = None;
        let mut tick = |ui: &mut Ui, id: &str, label: &str| {
            let mut on = mine.contains(id);
            if ui.checkbox(&mut on, label).changed() {
                let (coder, document_ids) = (self.coder.clone(), vec![id.to_string()]);
                action = Some(if on {
                    AssignmentAction::Assign { coder, document_ids }
                } else {
                    AssignmentAction::Unassign { coder, document_ids }
                });
            }
        };
        egui::Grid::new("assignment_grid").striped(true).spacing([12.0, 4.0]).show(ui, |ui| {
            ui.strong("Participant");
            for w in &study.waves {
                ui.strong(w);
            }
            ui.end_row();
            for p in &study.participants {
                ui.label(&p.label);
                for w in &study.waves {
                    match study.grid.get(&(p.label.clone(), w.clone())).map(|&i| &study.documents[i]) {
                        Some(d) => tick(ui, &d.document.id, &d.document.name),
                        None => {
                            ui.weak("—");
                        }
                    }
                }
                ui.end_row();
            }
        });
        let loose: Vec<_> =
            study.documents.iter().filter(|d| d.document.participant.is_none() || d.document.wave.is_none()).collect();
        if !loose.is_empty() {
            ui.add_space(6.0);
            ui.label(RichText::new("Documents without a participant or wave").strong());
            for d in loose {
                tick(ui, &d.document.id, &d.document.name);
            }
        }
        action
    }
}
