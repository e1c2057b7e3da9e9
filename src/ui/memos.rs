//! The memo window: the memos written about one document, participant, code or the
//! project, each editable, and a new one. Unsaved text is handed back by `flush` so
//! that closing the window or the application loses nothing.

use codeloom::model::{Memo, MemoTarget};
use egui::Ui;

/// What the user asked for in the memo window.
#[derive(Debug, Clone, PartialEq)]
pub enum MemoAction {
    Add { target: MemoTarget, target_id: Option<String>, title: String, body: String },
    Update { id: String, title: String, body: String },
    Delete(String),
}

/// An existing memo as edited, with what is saved.
struct MemoDraft {
    id: String,
    title: String,
    body: String,
    saved_title: String,
    saved_body: String,
}

impl MemoDraft {
    fn dirty(&self) -> bool {
        self.title != self.saved_title || self.body != self.saved_body
    }
}

pub struct MemoWindow {
    pub target: MemoTarget,
    pub target_id: Option<String>,
    /// Shown in the title bar: "P03_BL", "Participant P03", "Code Pacing".
    pub subject: String,
    drafts: Vec<MemoDraft>,
    new_title: String,
    new_body: String,
}

impl MemoWindow {
    pub fn new(target: MemoTarget, target_id: Option<String>, subject: String) -> Self {
        MemoWindow { target, target_id, subject, drafts: Vec::new(), new_title: String::new(), new_body: String::new() }
    }

    /// Gives the window the target's memos (after every change); keeps unsaved edits.
    pub fn load(&mut self, memos: Vec<Memo>) {
        let old = std::mem::take(&mut self.drafts);
        self.drafts = memos
            .into_iter()
            .map(|m| {
                let mut d = MemoDraft {
                    id: m.id,
                    title: m.title.clone(),
                    body: m.body.clone(),
                    saved_title: m.title,
                    saved_body: m.body,
                };
                if let Some(o) = old.iter().find(|o| o.id == d.id && o.dirty()) {
                    d.title = o.title.clone();
                    d.body = o.body.clone();
                }
                d
            })
            .collect();
    }

    /// Unsaved edits, as actions.
    pub fn flush(&mut self) -> Vec<MemoAction> {
        let mut out: Vec<MemoAction> = self
            .drafts
            .iter()
            .filter(|d| d.dirty())
            .map(|d| MemoAction::Update { id: d.id.clone(), title: d.title.clone(), body: d.body.clone() })
            .collect();
        if !self.new_body.trim().is_empty() || !self.new_title.trim().is_empty() {
            out.push(MemoAction::Add {
                target: self.target,
                target_id: self.target_id.clone(),
                title: std::mem::take(&mut self.new_title),
                body: std::mem::take(&mut self.new_body),
            });
        }
        out
    }

    /// Draws the window; returns actions and whether it is still open.
    pub fn ui(&mut self, ctx: &egui::Context) -> (Vec<MemoAction>, bool) {
        let mut actions = Vec::new();
        let mut open = true;
        egui::Window::new(format!("Memos — {}", self.subject))
            .id(egui::Id::unique("memo_window"))
            .default_width(420.0)
            .default_height(420.0)
            .open(&mut open)
            .show(ctx, |ui| {
                egui::ScrollArea::vertical().max_height(520.0).show(ui, |ui| self.contents(ui, &mut actions));
            });
        if !open {
            actions.extend(self.flush());
        }
        (actions, open)
    }

    fn contents(&mut self, ui: &mut Ui, actions: &mut Vec<MemoAction>) {
        if self.drafts.is_empty() {
            ui.weak("No memos yet.");
        }
        for d in &mut self.drafts {
            egui::Frame::group(ui.style()).show(ui, |ui| {
                ui.add(egui::TextEdit::singleline(&mut d.title).hint_text("Title").desired_width(f32::INFINITY));
                ui.add(egui::TextEdit::multiline(&mut d.body).desired_rows(4).desired_width(f32::INFINITY))
                    .widget_info(|| egui::WidgetInfo::labeled(egui::Role::TextInput, true, "Memo text"));
                ui.horizontal(|ui| {
                    if ui.add_enabled(d.dirty(), egui::Button::new("Save memo")).clicked() {
                        actions.push(MemoAction::Update {
                            id: d.id.clone(),
                            title: d.title.clone(),
                            body: d.body.clone(),
                        });
                    }
                    if ui.button("Delete memo").clicked() {
                        actions.push(MemoAction::Delete(d.id.clone()));
                    }
                });
            });
        }
        ui.separator();
        ui.strong("New memo");
        ui.add(egui::TextEdit::singleline(&mut self.new_title).hint_text("Title").desired_width(f32::INFINITY))
            .widget_info(|| egui::WidgetInfo::labeled(egui::Role::TextInput, true, "New memo title"));
        ui.add(egui::TextEdit::multiline(&mut self.new_body).desired_rows(5).desired_width(f32::INFINITY))
            .widget_info(|| egui::WidgetInfo::labeled(egui::Role::TextInput, true, "New memo text"));
        if ui.button("Add memo").clicked() && !(self.new_title.trim().is_empty() && self.new_body.trim().is_empty()) {
            actions.push(MemoAction::Add {
                target: self.target,
                target_id: self.target_id.clone(),
                title: std::mem::take(&mut self.new_title),
                body: std::mem::take(&mut self.new_body),
            });
        }
    }
}
