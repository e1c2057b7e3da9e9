//! The documents panel: documents as a participant × wave grid with their numbers of
//! codings, a filter, and documents that have no participant or wave listed below.

use super::study::Study;
use codeloom::model::words::count;
use egui::{RichText, Ui};

/// What the user asked for in the documents panel.
#[derive(Debug, Clone, PartialEq)]
pub enum DocumentsAction {
    Open(String),
    ParticipantMemos(String),
}

#[derive(Default)]
pub struct DocumentsPanel {
    pub filter: String,
}

impl DocumentsPanel {
    pub fn ui(&mut self, ui: &mut Ui, study: &Study, open: Option<&str>) -> Option<DocumentsAction> {
        let mut action = None;
        ui.add_space(4.0);
        ui.heading("Documents");
        ui.label(format!(
            "{} · {} · {}",
            count(study.participants.len(), "participant"),
            count(study.waves.len(), "wave"),
            count(study.documents.len(), "document")
        ));
        ui.add(
            egui::TextEdit::singleline(&mut self.filter)
                .hint_text("Filter by participant, document or attribute")
                .desired_width(f32::INFINITY),
        )
        .widget_info(|| egui::WidgetInfo::labeled(egui::Role::TextInput, true, "Filter documents"));
        ui.separator();
        let needle = self.filter.trim().to_lowercase();
        let shown: Vec<_> = study
            .participants
            .iter()
            .filter(|p| {
                needle.is_empty()
                    || p.label.to_lowercase().contains(&needle)
                    || p.attributes.iter().any(|(_, v)| v.value.to_lowercase().contains(&needle))
                    || study.waves.iter().any(|w| {
                        study
                            .grid
                            .get(&(p.label.clone(), w.clone()))
                            .is_some_and(|&i| study.documents[i].document.name.to_lowercase().contains(&needle))
                    })
            })
            .collect();
        egui::ScrollArea::vertical().id_salt("documents_scroll").show(ui, |ui| {
            egui::Grid::new("participant_wave_grid").striped(true).spacing([10.0, 6.0]).show(ui, |ui| {
                ui.strong("Participant");
                for w in &study.waves {
                    ui.strong(w);
                }
                ui.end_row();
                for p in &shown {
                    let attrs: Vec<String> = p.attributes.iter().map(|(k, v)| format!("{k}: {}", v.value)).collect();
                    let r = ui.add(egui::Label::new(RichText::new(&p.label).strong()).sense(egui::Sense::click()));
                    let r = if attrs.is_empty() { r } else { r.on_hover_text(attrs.join("\n")) };
                    if r.clicked() {
                        action = Some(DocumentsAction::ParticipantMemos(p.label.clone()));
                    }
                    for w in &study.waves {
                        match study.grid.get(&(p.label.clone(), w.clone())).map(|&i| &study.documents[i]) {
                            Some(d) => {
                                let selected = open == Some(d.document.id.as_str());
                                let label = format!("{} ({})", d.document.name, d.coding_count);
                                let r = ui.selectable_label(selected, label).on_hover_text(format!(
                                    "{}\n{} · {}",
                                    d.document.original_name,
                                    count(d.turn_count, "turn"),
                                    count(d.coding_count, "coding")
                                ));
                                if r.clicked() {
                                    action = Some(DocumentsAction::Open(d.document.id.clone()));
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
            let loose: Vec<_> = study
                .documents
                .iter()
                .filter(|d| d.document.participant.is_none() || d.document.wave.is_none())
                .filter(|d| needle.is_empty() || d.document.name.to_lowercase().contains(&needle))
                .collect();
            if !loose.is_empty() {
                ui.separator();
                ui.strong("Other documents");
                for d in loose {
                    let selected = open == Some(d.document.id.as_str());
                    if ui.selectable_label(selected, format!("{} ({})", d.document.name, d.coding_count)).clicked() {
                        action = Some(DocumentsAction::Open(d.document.id.clone()));
                    }
                }
            }
            if study.documents.is_empty() {
                ui.add_space(12.0);
                ui.weak("No documents yet. Drop transcripts on the window, or use File > Import transcripts…");
            }
        });
        action
    }
}
