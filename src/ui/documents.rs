//! The documents panel: documents as a participant × wave grid with their numbers of
//! codings, a filter, and documents that have no participant or wave listed below.

use super::study::Study;
use codeloom::model::words::count;
use codeloom::store::queries::DocumentSummary;
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
    /// The rows the filter lets through, as of a filter text and a Study revision.
    shown: Option<(String, u64, Vec<Row>)>,
}

/// The width of the participant column.
const PARTICIPANT_WIDTH: f32 = 56.0;

/// One row of the list.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Row {
    /// A participant (index into `Study::participants`) with their documents by wave.
    Participant(usize),
    OtherHeading,
    /// A document without a participant or wave (index into `Study::documents`).
    Other(usize),
}

/// A cell of a fixed width.
fn cell(ui: &mut Ui, width: f32, add: impl FnOnce(&mut Ui)) {
    ui.allocate_ui_with_layout(
        egui::vec2(width, ui.spacing().interact_size.y),
        egui::Layout::left_to_right(egui::Align::Center),
        |ui| {
            ui.set_min_width(width);
            ui.set_max_width(width);
            add(ui);
        },
    );
}

/// A participant's row: their label (click for memos, hover for attributes) and one
/// document per wave.
fn participant_row(
    ui: &mut Ui,
    study: &Study,
    i: usize,
    wave_width: f32,
    open: Option<&str>,
) -> Option<DocumentsAction> {
    let p = &study.participants[i];
    let mut action = None;
    ui.horizontal(|ui| {
        cell(ui, PARTICIPANT_WIDTH, |ui| {
            let attrs: Vec<String> = p.attributes.iter().map(|(k, v)| format!("{k}: {}", v.value)).collect();
            let r = ui.add(egui::Label::new(RichText::new(&p.label).strong()).sense(egui::Sense::click()));
            let r = if attrs.is_empty() { r } else { r.on_hover_text(attrs.join("\n")) };
            if r.clicked() {
                action = Some(DocumentsAction::ParticipantMemos(p.label.clone()));
            }
        });
        for w in &study.waves {
            cell(ui, wave_width, |ui| match study.grid.get(&(p.label.clone(), w.clone())) {
                Some(&d) => {
                    if let Some(a) = document_cell(ui, &study.documents[d], open) {
                        action = Some(a);
                    }
                }
                None => {
                    ui.weak("—");
                }
            });
        }
    });
    action
}

/// A document's name and number of codings; a click opens it.
fn document_cell(ui: &mut Ui, d: &DocumentSummary, open: Option<&str>) -> Option<DocumentsAction> {
    let selected = open == Some(d.document.id.as_str());
    let label = format!("{} ({})", d.document.name, d.coding_count);
    let r = ui.add(egui::Button::selectable(selected, label).truncate()).on_hover_text(format!(
        "{}\n{} · {}",
        d.document.original_name,
        count(d.turn_count, "turn"),
        count(d.coding_count, "coding")
    ));
    r.clicked().then(|| DocumentsAction::Open(d.document.id.clone()))
}

impl DocumentsPanel {
    /// The rows to show for the current filter (participant, attribute value or document
    /// name), worked out again only when the filter or the Study changed.
    fn rows(&mut self, study: &Study) -> Vec<Row> {
        let needle = self.filter.trim().to_lowercase();
        if let Some((f, r, rows)) = &self.shown
            && *f == needle
            && *r == study.revision
        {
            return rows.clone();
        }
        let mut rows: Vec<Row> = study
            .participants
            .iter()
            .enumerate()
            .filter(|(_, p)| {
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
            .map(|(i, _)| Row::Participant(i))
            .collect();
        let other: Vec<Row> = study
            .documents
            .iter()
            .enumerate()
            .filter(|(_, d)| d.document.participant.is_none() || d.document.wave.is_none())
            .filter(|(_, d)| needle.is_empty() || d.document.name.to_lowercase().contains(&needle))
            .map(|(i, _)| Row::Other(i))
            .collect();
        if !other.is_empty() {
            rows.push(Row::OtherHeading);
            rows.extend(other);
        }
        self.shown = Some((needle, study.revision, rows.clone()));
        rows
    }

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
        let rows = self.rows(study);
        if study.documents.is_empty() {
            ui.add_space(12.0);
            ui.weak("No documents yet. Drop transcripts on the window, or use File > Import transcripts…");
            return None;
        }
        // Fixed columns, so that only the rows in view need drawing (a study may have
        // thousands of participants).
        // The columns share the panel's width exactly (spacing included), so that the rows
        // never ask the panel to grow.
        let waves = study.waves.len().max(1) as f32;
        let spacing = ui.spacing().item_spacing.x;
        let wave_width =
            ((ui.available_width() - PARTICIPANT_WIDTH - spacing * (waves + 1.0) - 14.0) / waves).floor().max(40.0);
        ui.horizontal(|ui| {
            cell(ui, PARTICIPANT_WIDTH, |ui| {
                ui.strong("Participant");
            });
            for w in &study.waves {
                cell(ui, wave_width, |ui| {
                    ui.strong(w);
                });
            }
        });
        let height = ui.spacing().interact_size.y + ui.spacing().item_spacing.y;
        egui::ScrollArea::vertical().id_salt("documents_scroll").auto_shrink([true, false]).show_rows(
            ui,
            height,
            rows.len(),
            |ui, range| {
                for row in &rows[range] {
                    let chosen = match *row {
                        Row::Participant(i) => participant_row(ui, study, i, wave_width, open),
                        Row::OtherHeading => {
                            ui.strong("Other documents");
                            None
                        }
                        Row::Other(i) => document_cell(ui, &study.documents[i], open),
                    };
                    if chosen.is_some() {
                        action = chosen;
                    }
                }
            },
        );
        action
    }
}
