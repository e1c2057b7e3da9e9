//! The window's chrome: the menu bar (File, Edit, View, the screen tabs), the status bar
//! (the coder, blind coding, coder and version filters, import progress, what Ctrl+Z
//! would undo) and the keyboard shortcuts.

use super::app::{App, Screen};
use super::files::Dialog;
use super::player::KeyRole;
use codeloom::model::MemoTarget;
use egui::{Key, KeyboardShortcut, Modifiers, RichText};
use std::path::Path;

impl App {
    pub(super) fn shortcuts(&mut self, ctx: &egui::Context) {
        // A focused text field keeps its own keys (letters, and Ctrl+Z for its own undo);
        // otherwise keys act on the workbench, whichever widget (such as the transcript
        // view after a mouse selection) has the focus. `egui_wants_keyboard_input` would
        // be true for any focused widget, so it is not the test here.
        let typing = ctx.text_edit_focused();
        let shortcut = |m: Modifiers, k: Key| ctx.input_mut(|i| i.consume_shortcut(&KeyboardShortcut::new(m, k)));
        if !typing {
            if shortcut(Modifiers::COMMAND | Modifiers::SHIFT, Key::Z) || shortcut(Modifiers::COMMAND, Key::Y) {
                self.redo();
            } else if shortcut(Modifiers::COMMAND, Key::Z) {
                self.undo();
            }
        }
        if shortcut(Modifiers::COMMAND, Key::O) {
            self.ask(Dialog::OpenProject, ctx);
        }
        if shortcut(Modifiers::COMMAND, Key::N) {
            self.ask(Dialog::NewProject, ctx);
        }
        if self.session.is_some() && shortcut(Modifiers::COMMAND, Key::I) {
            self.ask(Dialog::ImportFiles, ctx);
        }
        if self.session.is_some() && shortcut(Modifiers::COMMAND, Key::F) {
            self.find_in_document();
        }
        // The player's keys (F4, F3, F5) and the single keys of coding act when no text
        // field has the keyboard.
        if typing {
            return;
        }
        self.code.player_keys(ctx);
        if self.screen != Screen::Code {
            return;
        }
        if let Some(s) = &mut self.session {
            self.code.keys(ctx, s, &mut self.notices);
        }
    }

    /// Ctrl+F: search the open document (or every document when none is open).
    fn find_in_document(&mut self) {
        self.flush_edits();
        let scope = match (&self.code.open_doc, self.screen) {
            (Some(d), Screen::Code) => format!("document:\"{}\" ", d.name.replace('"', "")),
            _ => String::new(),
        };
        if !scope.is_empty() && !self.search.query.starts_with(&scope) {
            self.search.query = scope;
        }
        self.search.focus = true;
        self.screen = Screen::Search;
    }

    pub(super) fn menu_bar(&mut self, ui: &mut egui::Ui) {
        egui::MenuBar::new().ui(ui, |ui| {
            ui.menu_button("File", |ui| self.file_menu(ui));
            ui.menu_button("Edit", |ui| {
                let (undo_hint, redo_hint) = match &self.session {
                    Some(s) => (s.undo_hint.clone(), s.redo_hint.clone()),
                    None => (None, None),
                };
                let undo = undo_hint.clone().map_or("Undo".to_string(), |h| format!("Undo: {h}"));
                if ui.add_enabled(undo_hint.is_some(), egui::Button::new(undo).shortcut_text("Ctrl+Z")).clicked() {
                    self.undo();
                }
                let redo = redo_hint.clone().map_or("Redo".to_string(), |h| format!("Redo: {h}"));
                if ui.add_enabled(redo_hint.is_some(), egui::Button::new(redo).shortcut_text("Ctrl+Shift+Z")).clicked()
                {
                    self.redo();
                }
            });
            ui.menu_button("View", |ui| {
                ui.checkbox(&mut self.prefs.show_documents, "Documents panel");
                ui.checkbox(&mut self.prefs.show_codebook, "Codebook panel");
                ui.separator();
                ui.checkbox(&mut self.prefs.margin_labels, "Code names in the margin")
                    .on_hover_text("A wider margin that names the code beside each stripe, when the window has room");
                ui.checkbox(&mut self.prefs.snap_to_words, "Snap selections to whole words")
                    .on_hover_text("Dragging over text selects whole words; turn off to select single characters");
                ui.menu_button("Player keys", |ui| self.player_keys_menu(ui));
                ui.separator();
                let has = self.session.is_some();
                let toggle = egui::Checkbox::new(&mut self.code.suggest.on, "Suggestions");
                if ui
                    .add_enabled(has, toggle)
                    .on_hover_text("Suggested codings learned from the team's codings, on this machine")
                    .changed()
                {
                    let ctx = ui.ctx().clone();
                    self.suggestions_changed(&ctx);
                }
                if ui
                    .button("Suggestions settings…")
                    .on_hover_text("A sentence-embedding model, so that passages are compared by meaning too")
                    .clicked()
                {
                    self.code.meaning.open = true;
                }
                ui.separator();
                if ui.checkbox(&mut self.prefs.blind, "Show only my codings (blind coding)").changed() {
                    self.refresh_marks();
                }
            });
            ui.separator();
            if self.session.is_some() {
                for (screen, label) in Screen::ALL {
                    if ui.selectable_label(self.screen == screen, label).clicked() && self.screen != screen {
                        self.flush_edits();
                        self.screen = screen;
                    }
                }
                ui.separator();
            }
            match &self.session {
                Some(s) => {
                    let p = s.project.path();
                    ui.weak(p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default())
                        .on_hover_text(p.display().to_string());
                }
                None => {
                    ui.weak("No project open");
                }
            }
        });
    }

    /// The recording player's keys: F1–F12 (the coding keys can never be chosen).
    fn player_keys_menu(&mut self, ui: &mut egui::Ui) {
        let roles =
            [(KeyRole::PlayPause, "Play / pause"), (KeyRole::Back, "Back 5 s"), (KeyRole::Forward, "Forward 5 s")];
        for (role, label) in roles {
            let keys = &self.prefs.player_keys;
            let current = match role {
                KeyRole::PlayPause => keys.play_pause.clone(),
                KeyRole::Back => keys.back.clone(),
                KeyRole::Forward => keys.forward.clone(),
            };
            let mut chosen = None;
            ui.menu_button(format!("{label}: {current}"), |ui| {
                for n in 1..=12 {
                    let name = format!("F{n}");
                    if ui.selectable_label(name == current, &name).clicked() {
                        chosen = Some(name);
                        ui.close();
                    }
                }
            });
            if let Some(name) = chosen {
                match self.prefs.player_keys.set(role, &name) {
                    Ok(()) => self.code.listen.view.keys = self.prefs.player_keys.clone(),
                    Err(e) => self.notices.error(e),
                }
            }
        }
    }

    fn file_menu(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        if ui.button("New project…").clicked() {
            self.ask(Dialog::NewProject, &ctx);
        }
        if ui.button("Open project…").clicked() {
            self.ask(Dialog::OpenProject, &ctx);
        }
        ui.menu_button("Open recent", |ui| {
            let recent = self.prefs.recent.clone();
            if recent.is_empty() {
                ui.weak("Nothing yet");
            }
            for r in recent {
                if ui.button(&r).clicked() {
                    self.open_project(Path::new(&r));
                }
            }
        });
        ui.separator();
        let has = self.session.is_some();
        if ui.add_enabled(has, egui::Button::new("Import transcripts…")).clicked() {
            self.ask(Dialog::ImportFiles, &ctx);
        }
        if ui.add_enabled(has, egui::Button::new("Import a folder…")).clicked() {
            self.ask(Dialog::ImportFolder, &ctx);
        }
        if ui.add_enabled(has, egui::Button::new("Import a codebook…")).clicked() {
            self.ask(Dialog::ImportCodebook, &ctx);
        }
        if ui.add_enabled(has, egui::Button::new("Export the codebook…")).clicked() {
            self.ask(Dialog::ExportCodebook, &ctx);
        }
        let open_doc = self.code.open_doc.is_some();
        if ui
            .add_enabled(open_doc, egui::Button::new("Link a recording…"))
            .on_hover_text("The interview's sound (or video) for the open document; it stays where it is")
            .on_disabled_hover_text("Open a document first")
            .clicked()
        {
            self.ask_for_recording(Dialog::LinkRecording, &ctx);
        }
        if ui.add_enabled(has, egui::Button::new("Project memos…")).clicked() {
            self.open_memos(MemoTarget::Project, None, "project".into());
        }
        ui.separator();
        if ui.add_enabled(has, egui::Button::new("Close project")).clicked() {
            self.close_project();
        }
    }

    pub(super) fn status_bar(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            if self.session.is_none() {
                ui.weak("Ctrl+O opens a project · Ctrl+N creates one");
                return;
            }
            self.coder_menu(ui);
            if ui.checkbox(&mut self.prefs.blind, "Show only my codings").changed() {
                self.refresh_marks();
            }
            self.filter_menus(ui);
            ui.separator();
            self.suggestions_status(ui);
            if self.upkeep.is_some() {
                ui.spinner();
                ui.weak("Checking the project file and making the day's backup…");
                ui.separator();
            }
            if let Some(job) = &self.import {
                match &job.progress {
                    Some(pr) => {
                        let frac = pr.done as f32 / pr.total.max(1) as f32;
                        ui.add(
                            egui::ProgressBar::new(frac)
                                .desired_width(160.0)
                                .text(format!("Importing {}/{}", pr.done, pr.total)),
                        );
                        ui.weak(pr.current.file_name().map(|f| f.to_string_lossy().to_string()).unwrap_or_default());
                    }
                    None => {
                        ui.spinner();
                        ui.weak("Importing…");
                    }
                }
                ui.separator();
            }
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                if let Some(h) = self.session.as_ref().and_then(|s| s.undo_hint.as_ref()) {
                    ui.weak(format!("Ctrl+Z: {h}"));
                }
            });
        });
    }

    /// The "Suggestions" toggle, learning progress, and "Learn again".
    fn suggestions_status(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        if ui
            .checkbox(&mut self.code.suggest.on, "Suggestions")
            .on_hover_text("Suggested codings learned from the team's codings, on this machine")
            .changed()
        {
            self.suggestions_changed(&ctx);
        }
        let Some(s) = &self.session else { return };
        if self.code.suggest.on && self.code.suggest.status(ui, &s.study) {
            self.suggestions_changed(&ctx);
        }
        if self.code.suggest.trained()
            && ui.button("Inbox…").on_hover_text("Suggestions across the project, per code").clicked()
        {
            self.code.inbox.open = true;
        }
        ui.separator();
    }

    /// The coder changes are recorded under: switch, or name a new one.
    fn coder_menu(&mut self, ui: &mut egui::Ui) {
        let Some(s) = &self.session else { return };
        let me = s.project.coder().to_string();
        let coders = s.study.coders.clone();
        let mut switch_to = None;
        egui::ComboBox::from_label("coding").selected_text(RichText::new(&me).strong()).show_ui(ui, |ui| {
            for c in &coders {
                if ui.selectable_label(c == &me, c).clicked() {
                    switch_to = Some(c.clone());
                }
            }
            ui.separator();
            ui.horizontal(|ui| {
                ui.add(egui::TextEdit::singleline(&mut self.new_coder).hint_text("New coder").desired_width(110.0))
                    .widget_info(|| egui::WidgetInfo::labeled(egui::Role::TextInput, true, "New coder name"));
                if ui.button("Switch").clicked() && !self.new_coder.trim().is_empty() {
                    switch_to = Some(self.new_coder.trim().to_string());
                    self.new_coder.clear();
                }
            });
        });
        if let Some(name) = switch_to {
            self.flush_edits();
            if let Some(s) = &mut self.session {
                match s.project.set_coder(&name) {
                    Ok(()) => self.prefs.coder = Some(name.clone()),
                    Err(e) => self.notices.error(e.to_string()),
                }
            }
            self.refresh_marks();
        }
    }

    /// Which coders' codings and which codebook version's codings the transcript shows.
    fn filter_menus(&mut self, ui: &mut egui::Ui) {
        let Some(s) = &self.session else { return };
        let coders = s.study.coders.clone();
        let versions = s.study.versions.clone();
        let mut changed = false;
        let hidden = &mut self.code.hidden_coders;
        let label =
            if hidden.is_empty() { "Coders: all".to_string() } else { format!("Coders: {} hidden", hidden.len()) };
        ui.menu_button(label, |ui| {
            for c in &coders {
                let mut shown = !hidden.contains(c);
                if ui.checkbox(&mut shown, c).changed() {
                    changed = true;
                    if shown {
                        hidden.remove(c);
                    } else {
                        hidden.insert(c.clone());
                    }
                }
            }
        });
        let filter = &mut self.code.version_filter;
        let label = match filter {
            None => "Versions: all".to_string(),
            Some((_, name)) => format!("Version: {name}"),
        };
        ui.menu_button(label, |ui| {
            if ui.selectable_label(filter.is_none(), "Codings of every version").clicked() {
                *filter = None;
                changed = true;
            }
            if versions.is_empty() {
                ui.weak("No saved versions yet (Codebook versions tab)");
            }
            for (id, name) in versions {
                let on = filter.as_ref().is_some_and(|(v, _)| v == &id);
                if ui.selectable_label(on, format!("Made under {name}")).clicked() {
                    *filter = Some((id.clone(), name.clone()));
                    changed = true;
                }
            }
        });
        if changed {
            self.refresh_marks();
        }
    }
}
