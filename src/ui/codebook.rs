//! The codebook panel: the code tree with each code's colour and how many codings and
//! participants it has; create, rename, recolour, describe and delete codes; drag a code
//! onto another to move it under it (or onto "top level"); choose which codes the
//! transcript shows.

use super::study::Study;
use super::transcript::parse_color;
use codeloom::model::words::count;
use codeloom::model::{Code, CodeDescription};
use codeloom::store::ops::{CodeChanges, NewCode};
use egui::{Color32, RichText, Ui};
use std::collections::HashSet;

/// What the user asked for in the codebook panel.
#[derive(Debug, Clone)]
pub enum CodebookAction {
    Create(NewCode),
    Update(String, CodeChanges),
    Delete(String),
    Memos(String),
    /// Open the merge dialog with this code ticked.
    Merge(String),
    /// Open the split dialog for this code.
    Split(String),
    /// Show the codings of this code (select it for the view filter).
    Focus(String),
}

/// A code being dragged onto a new parent.
#[derive(Debug, Clone)]
struct Dragged(String);

/// Edits in progress for the selected code.
#[derive(Debug, Clone, Default, PartialEq)]
struct Draft {
    id: String,
    name: String,
    description: CodeDescription,
}

#[derive(Default)]
pub struct CodebookPanel {
    pub selected: Option<String>,
    /// Codes the transcript does not show.
    pub hidden: HashSet<String>,
    collapsed: HashSet<String>,
    filter: String,
    new_name: String,
    draft: Option<Draft>,
    confirm_delete: Option<String>,
}

impl CodebookPanel {
    /// Ends editing: returns the selected code's unsaved edits as an update, if any.
    pub fn flush(&mut self, study: &Study) -> Option<CodebookAction> {
        let d = self.draft.as_ref()?;
        let code = study.code(&d.id)?;
        let name_changed = d.name.trim() != code.name;
        let desc_changed = d.description != code.description;
        if !name_changed && !desc_changed {
            return None;
        }
        Some(CodebookAction::Update(
            d.id.clone(),
            CodeChanges {
                name: name_changed.then(|| d.name.trim().to_string()),
                description: desc_changed.then(|| d.description.clone()),
                ..Default::default()
            },
        ))
    }

    pub fn select(&mut self, id: Option<String>) {
        self.selected = id;
        self.draft = None;
        self.confirm_delete = None;
    }

    pub fn ui(&mut self, ui: &mut Ui, study: &Study) -> Vec<CodebookAction> {
        let mut actions = Vec::new();
        ui.add_space(4.0);
        ui.horizontal(|ui| {
            ui.heading("Codebook");
            ui.weak(count(study.codes.len(), "code"));
        });
        ui.horizontal(|ui| {
            let r =
                ui.add(egui::TextEdit::singleline(&mut self.new_name).hint_text("New code name").desired_width(180.0));
            r.widget_info(|| egui::WidgetInfo::labeled(egui::Role::TextInput, true, "New code name"));
            let enter = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            let under = self.selected.as_ref().filter(|_| ui.input(|i| i.modifiers.shift)).cloned();
            if (ui.button("Add code").on_hover_text("Adds a top-level code").clicked() || enter)
                && !self.new_name.trim().is_empty()
            {
                actions.push(CodebookAction::Create(NewCode {
                    name: self.new_name.trim().to_string(),
                    parent_id: under,
                    ..Default::default()
                }));
                self.new_name.clear();
            }
        });
        ui.horizontal(|ui| {
            ui.add(egui::TextEdit::singleline(&mut self.filter).hint_text("Find a code").desired_width(180.0))
                .widget_info(|| egui::WidgetInfo::labeled(egui::Role::TextInput, true, "Find a code"));
            if !self.hidden.is_empty() && ui.small_button(format!("Show all ({} hidden)", self.hidden.len())).clicked()
            {
                self.hidden.clear();
            }
        });
        ui.separator();
        // The selected code's details sit at the bottom (the divider can be dragged); the
        // tree fills the rest of the panel's height.
        if self.selected.is_some() {
            egui::Panel::bottom("code_details_panel")
                .resizable(true)
                .default_size((ui.available_height() * 0.5).max(200.0))
                .min_size(80.0)
                .show(ui, |ui| self.details(ui, study, &mut actions));
        } else {
            egui::Panel::bottom("code_details_hint").resizable(false).show(ui, |ui| {
                ui.weak("Select a code to describe it. Drag a code onto another to move it under it.");
            });
        }
        self.tree(ui, study, &mut actions);
        actions
    }

    /// The codes shown: tree order, below collapsed codes left out, the filter applied.
    /// Each with its depth and whether it has child codes.
    fn visible_codes<'s>(&self, study: &'s Study) -> Vec<(&'s Code, usize, bool)> {
        let needle = self.filter.trim().to_lowercase();
        let parents: HashSet<&str> = study.codes.iter().filter_map(|c| c.parent_id.as_deref()).collect();
        let mut out = Vec::new();
        let mut hidden_below: Option<usize> = None;
        for code in &study.codes {
            let depth = study.depth.get(&code.id).copied().unwrap_or(0);
            if let Some(d) = hidden_below {
                if depth > d {
                    continue;
                }
                hidden_below = None;
            }
            if !needle.is_empty() && !study.path(&code.id).to_lowercase().contains(&needle) {
                continue;
            }
            if self.collapsed.contains(&code.id) && needle.is_empty() {
                hidden_below = Some(depth);
            }
            out.push((code, depth, parents.contains(code.id.as_str())));
        }
        out
    }

    /// The code tree, drawing only the rows in view (a codebook may have thousands of codes).
    fn tree(&mut self, ui: &mut Ui, study: &Study, actions: &mut Vec<CodebookAction>) {
        // Dropping on this strip moves a code to the top level.
        let (_, top_drop) = ui.dnd_drop_zone::<Dragged, ()>(egui::Frame::new().inner_margin(2.0), |ui| {
            ui.weak("Drop a code here to move it to the top level");
        });
        if let Some(d) = top_drop {
            actions
                .push(CodebookAction::Update(d.0.clone(), CodeChanges { parent_id: Some(None), ..Default::default() }));
        }
        if study.codes.is_empty() {
            ui.weak("No codes yet. Add one above, or select text and press C.");
            return;
        }
        let rows = self.visible_codes(study);
        let height = ui.spacing().interact_size.y + ui.spacing().item_spacing.y;
        egui::ScrollArea::vertical().id_salt("codebook_tree").auto_shrink([false, false]).show_rows(
            ui,
            height,
            rows.len(),
            |ui, range| {
                for &(code, depth, has_children) in &rows[range] {
                    self.tree_row(ui, study, code, depth, has_children, actions);
                }
            },
        );
    }

    /// One code of the tree: expand, show in the transcript, colour, name (click to select,
    /// drag onto another code to move it there) and counts; a drop target for other codes.
    fn tree_row(
        &mut self,
        ui: &mut Ui,
        study: &Study,
        code: &Code,
        depth: usize,
        has_children: bool,
        actions: &mut Vec<CodebookAction>,
    ) {
        let collapsed = self.collapsed.contains(&code.id);
        let counts = study.counts.get(&code.id).copied().unwrap_or_default();
        let row = ui.horizontal(|ui| {
            ui.add_space(depth as f32 * 16.0);
            if has_children {
                let arrow = if collapsed { "+" } else { "-" };
                if ui.small_button(arrow).on_hover_text(if collapsed { "Expand" } else { "Collapse" }).clicked() {
                    if collapsed {
                        self.collapsed.remove(&code.id);
                    } else {
                        self.collapsed.insert(code.id.clone());
                    }
                }
            } else {
                ui.add_space(18.0);
            }
            let mut visible = !self.hidden.contains(&code.id);
            if ui.checkbox(&mut visible, "").on_hover_text("Show this code's codings in the transcript").changed() {
                if visible {
                    self.hidden.remove(&code.id);
                } else {
                    self.hidden.insert(code.id.clone());
                }
            }
            let mut rgb = {
                let c = parse_color(&code.color);
                [c.r(), c.g(), c.b()]
            };
            if egui::color_picker::color_edit_button_srgb(ui, &mut rgb).changed() {
                actions.push(CodebookAction::Update(
                    code.id.clone(),
                    CodeChanges {
                        color: Some(format!("#{:02x}{:02x}{:02x}", rgb[0], rgb[1], rgb[2])),
                        ..Default::default()
                    },
                ));
            }
            let selected = self.selected.as_deref() == Some(code.id.as_str());
            // One widget both selects (click) and carries the code when dragged.
            let color = if counts.codings == 0 { Color32::from_gray(110) } else { ui.visuals().text_color() };
            let label =
                ui.selectable_label(selected, RichText::new(&code.name).color(color)).interact(egui::Sense::drag());
            label.dnd_set_drag_payload(Dragged(code.id.clone()));
            if label.clicked() {
                if selected {
                    self.select(None);
                } else {
                    self.select(Some(code.id.clone()));
                    actions.push(CodebookAction::Focus(code.id.clone()));
                }
            }
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                ui.weak(format!("{} · {}p", counts.codings, counts.participants)).on_hover_text(format!(
                    "{} in {} from {}",
                    count(counts.codings, "coding"),
                    count(counts.documents, "document"),
                    count(counts.participants, "participant")
                ));
            });
        });
        // Dropping another code on this row moves it under this code.
        if let Some(d) = row.response.dnd_release_payload::<Dragged>()
            && d.0 != code.id
        {
            actions.push(CodebookAction::Update(
                d.0.clone(),
                CodeChanges { parent_id: Some(Some(code.id.clone())), ..Default::default() },
            ));
        } else if row.response.dnd_hover_payload::<Dragged>().is_some() {
            ui.painter().rect_stroke(
                row.response.rect,
                3.0,
                egui::Stroke::new(1.5, Color32::from_rgb(40, 110, 220)),
                egui::StrokeKind::Inside,
            );
        }
    }

    fn details(&mut self, ui: &mut Ui, study: &Study, actions: &mut Vec<CodebookAction>) {
        let Some(id) = self.selected.clone() else { return };
        let Some(code) = study.code(&id) else {
            self.select(None);
            return;
        };
        if self.draft.as_ref().is_none_or(|d| d.id != id) {
            self.draft = Some(Draft { id: id.clone(), name: code.name.clone(), description: code.description.clone() });
        }
        let counts = study.counts.get(&id).copied().unwrap_or_default();
        egui::ScrollArea::vertical().id_salt("code_details").show(ui, |ui| {
            let Some(draft) = self.draft.as_mut() else { return };
            ui.strong(study.path(&id));
            ui.weak(format!(
                "{} · {} · {}",
                count(counts.codings, "coding"),
                count(counts.documents, "document"),
                count(counts.participants, "participant")
            ));
            ui.horizontal_wrapped(|ui| {
                let dirty = draft.name.trim() != code.name || draft.description != code.description;
                if ui.add_enabled(dirty, egui::Button::new("Save code")).clicked() {
                    actions.push(CodebookAction::Update(
                        id.clone(),
                        CodeChanges {
                            name: Some(draft.name.trim().to_string()),
                            description: Some(draft.description.clone()),
                            ..Default::default()
                        },
                    ));
                }
                if ui.button("Memos…").clicked() {
                    actions.push(CodebookAction::Memos(id.clone()));
                }
                if ui.button("Delete code…").clicked() {
                    self.confirm_delete = Some(id.clone());
                }
                if ui.button("Merge codes…").on_hover_text("Merge this and other codes into one").clicked() {
                    actions.push(CodebookAction::Merge(id.clone()));
                }
                if ui.button("Split code…").on_hover_text("Give this code's codings to new codes").clicked() {
                    actions.push(CodebookAction::Split(id.clone()));
                }
            });
            if self.confirm_delete.as_deref() == Some(id.as_str()) {
                let below = study.descendants(&id);
                let codings: usize = std::iter::once(&id)
                    .chain(below.iter())
                    .map(|c| study.counts.get(c).map_or(0, |n| n.codings))
                    .sum();
                egui::Frame::new().fill(Color32::from_rgb(253, 236, 234)).inner_margin(8.0).show(ui, |ui| {
                    ui.label(format!(
                        "Delete “{}”{} and its {codings} codings? Undo (Ctrl+Z) brings them back.",
                        code.name,
                        if below.is_empty() {
                            String::new()
                        } else {
                            format!(", its {}", count(below.len(), "child code"))
                        }
                    ));
                    ui.horizontal(|ui| {
                        if ui.button("Delete").clicked() {
                            actions.push(CodebookAction::Delete(id.clone()));
                            self.confirm_delete = None;
                        }
                        if ui.button("Keep").clicked() {
                            self.confirm_delete = None;
                        }
                    });
                });
            }
            let field = |ui: &mut Ui, label: &str, text: &mut String, rows: usize| {
                ui.label(label);
                ui.add(egui::TextEdit::multiline(text).desired_rows(rows).desired_width(f32::INFINITY))
                    .widget_info(|| egui::WidgetInfo::labeled(egui::Role::TextInput, true, label));
            };
            ui.label("Name");
            ui.add(egui::TextEdit::singleline(&mut draft.name).desired_width(f32::INFINITY))
                .widget_info(|| egui::WidgetInfo::labeled(egui::Role::TextInput, true, "Code name field"));
            let parent_name = code.parent_id.as_deref().map(|p| study.path(p)).unwrap_or_else(|| "(top level)".into());
            egui::ComboBox::from_label("Parent").selected_text(parent_name).width(200.0).show_ui(ui, |ui| {
                if ui.selectable_label(code.parent_id.is_none(), "(top level)").clicked() {
                    actions.push(CodebookAction::Update(
                        id.clone(),
                        CodeChanges { parent_id: Some(None), ..Default::default() },
                    ));
                }
                let below = study.descendants(&id);
                for c in &study.codes {
                    if c.id == id || below.contains(&c.id) {
                        continue;
                    }
                    if ui
                        .selectable_label(code.parent_id.as_deref() == Some(c.id.as_str()), study.path(&c.id))
                        .clicked()
                    {
                        actions.push(CodebookAction::Update(
                            id.clone(),
                            CodeChanges { parent_id: Some(Some(c.id.clone())), ..Default::default() },
                        ));
                    }
                }
            });
            field(ui, "Definition", &mut draft.description.definition, 2);
            field(ui, "Include when", &mut draft.description.inclusion, 1);
            field(ui, "Exclude when", &mut draft.description.exclusion, 1);
            field(ui, "Example", &mut draft.description.example, 1);
        });
    }
}
