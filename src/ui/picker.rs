//! The code picker: a small window with type-ahead over the codebook. Typing ranks the
//! codes forgivingly (`codebook::find`: a prefix of any word, letters in order, case and
//! accents ignored; recently used codes first when nothing is typed), and Enter applies
//! the highlighted one, which is the best match. Creating a code is its own row, chosen
//! with the arrow keys or Ctrl+Enter, and the only choice Enter makes when nothing matches,
//! so a prefix of an existing code never creates a near-duplicate.

use codeloom::codebook::find::{self, Candidate, Found};
use egui::text::{LayoutJob, TextFormat};
use egui::{Color32, Key, Modifiers, RichText};

/// A code as the picker lists it.
#[derive(Debug, Clone)]
pub struct PickerCode {
    pub id: String,
    pub name: String,
    /// "Theme / Code".
    pub path: String,
    pub color: Color32,
}

/// What the picker is for.
#[derive(Debug, Clone, PartialEq)]
pub enum PickerPurpose {
    /// Code the current selection.
    Apply,
    /// Give this coding another code.
    Recode(String),
}

/// What the user chose.
#[derive(Debug, Clone, PartialEq)]
pub enum PickerChoice {
    Existing(String),
    /// Create a code with this name (or "Parent / Child" path).
    Create(String),
}

/// One row of the list: a code that matches, or "create the typed name".
#[derive(Debug, Clone, PartialEq)]
enum Row {
    Code(Found),
    Create(String),
}

/// The open picker.
pub struct CodePicker {
    pub purpose: PickerPurpose,
    query: String,
    /// The row the arrow keys point at (0, the best match, after every keystroke).
    highlighted: usize,
    focus_pending: bool,
}

impl CodePicker {
    pub fn new(purpose: PickerPurpose) -> Self {
        CodePicker { purpose, query: String::new(), highlighted: 0, focus_pending: true }
    }

    /// The rows for the typed text: the matching codes, best first, then "create" when
    /// the text names no code.
    fn rows(&self, codes: &[PickerCode], candidates: &[Candidate], recent: &[String]) -> Vec<Row> {
        let mut rows: Vec<Row> = find::rank(candidates, &self.query, recent).into_iter().map(Row::Code).collect();
        let typed = self.query.trim();
        if !typed.is_empty() && find::exact(candidates, typed).is_none() {
            rows.push(Row::Create(typed.to_string()));
        }
        debug_assert!(rows.iter().all(|r| !matches!(r, Row::Code(f) if f.index >= codes.len())));
        rows
    }

    /// Draws the picker; returns the choice, or `Some(None)` when it was cancelled.
    /// `recent` lists code IDs, most recently used first.
    pub fn ui(&mut self, ctx: &egui::Context, codes: &[PickerCode], recent: &[String]) -> Option<Option<PickerChoice>> {
        let mut result = None;
        let title = match self.purpose {
            PickerPurpose::Apply => "Code selection",
            PickerPurpose::Recode(_) => "Recode coding",
        };
        let candidates: Vec<Candidate> =
            codes.iter().map(|c| Candidate { id: c.id.clone(), name: c.name.clone(), path: c.path.clone() }).collect();
        let mut open = true;
        egui::Window::new(title)
            .id(egui::Id::unique("code_picker"))
            .collapsible(false)
            .resizable(false)
            .default_width(360.0)
            .anchor(egui::Align2::CENTER_TOP, [0.0, 120.0])
            .open(&mut open)
            .show(ctx, |ui| {
                // Keys first, so that Enter and the arrows act on the rows as they were drawn.
                let (down, up, enter, create_key, escape) = ui.input_mut(|i| {
                    (
                        i.consume_key(Modifiers::NONE, Key::ArrowDown) || i.consume_key(Modifiers::NONE, Key::Tab),
                        i.consume_key(Modifiers::NONE, Key::ArrowUp) || i.consume_key(Modifiers::SHIFT, Key::Tab),
                        i.key_pressed(Key::Enter) && !i.modifiers.command,
                        i.key_pressed(Key::Enter) && i.modifiers.command,
                        i.key_pressed(Key::Escape),
                    )
                });
                let edit = ui.add(
                    egui::TextEdit::singleline(&mut self.query)
                        .hint_text("Type part of a code name…")
                        .desired_width(f32::INFINITY)
                        .id(egui::Id::unique("code_picker_query")),
                );
                edit.widget_info(|| egui::WidgetInfo::labeled(egui::Role::TextInput, true, "Code name"));
                if self.focus_pending || down || up {
                    edit.request_focus();
                    self.focus_pending = false;
                }
                if edit.changed() {
                    self.highlighted = 0;
                }
                let rows = self.rows(codes, &candidates, recent);
                if down && !rows.is_empty() {
                    self.highlighted = (self.highlighted + 1).min(rows.len() - 1);
                }
                if up {
                    self.highlighted = self.highlighted.saturating_sub(1);
                }
                self.highlighted = self.highlighted.min(rows.len().saturating_sub(1));
                ui.add_space(4.0);
                egui::ScrollArea::vertical().max_height(320.0).show(ui, |ui| {
                    for (i, row) in rows.iter().enumerate() {
                        let selected = self.highlighted == i;
                        let clicked = match row {
                            Row::Code(f) => code_row(ui, &codes[f.index], f, selected),
                            Row::Create(name) => {
                                let r = ui.selectable_label(
                                    selected,
                                    RichText::new(format!("+ Create code “{name}”")).strong(),
                                );
                                if selected {
                                    r.scroll_to_me(None);
                                }
                                r.on_hover_text("Ctrl+Enter creates it from anywhere in the list").clicked()
                            }
                        };
                        if clicked {
                            result = Some(Some(choice(row, codes)));
                        }
                    }
                    if rows.is_empty() {
                        ui.weak("The codebook is empty: type a name to create the first code.");
                    }
                });
                ui.add_space(4.0);
                ui.weak(
                    "Enter applies the highlighted code · Up/Down choose · Ctrl+Enter creates the typed name · Esc closes",
                );
                if enter && result.is_none() {
                    result = rows.get(self.highlighted).map(|r| Some(choice(r, codes)));
                }
                if create_key && result.is_none() {
                    let typed = self.query.trim();
                    if let Some(c) = find::exact(&candidates, typed) {
                        result = Some(Some(PickerChoice::Existing(c.id.clone())));
                    } else if !typed.is_empty() {
                        result = Some(Some(PickerChoice::Create(typed.to_string())));
                    }
                }
                if escape {
                    result = Some(None);
                }
            });
        if !open {
            result = Some(None);
        }
        result
    }
}

fn choice(row: &Row, codes: &[PickerCode]) -> PickerChoice {
    match row {
        Row::Code(f) => PickerChoice::Existing(codes[f.index].id.clone()),
        Row::Create(name) => PickerChoice::Create(name.clone()),
    }
}

/// A code's row: its colour and its path with the matched letters in bold; true when clicked.
fn code_row(ui: &mut egui::Ui, code: &PickerCode, found: &Found, selected: bool) -> bool {
    ui.horizontal(|ui| {
        let (r, _) = ui.allocate_exact_size(egui::vec2(12.0, 12.0), egui::Sense::hover());
        ui.painter().rect_filled(r, 3.0, code.color);
        let mut job = LayoutJob::default();
        let plain = TextFormat { color: ui.visuals().text_color(), ..Default::default() };
        let strong = TextFormat {
            color: ui.visuals().strong_text_color(),
            underline: egui::Stroke::new(1.0, ui.visuals().strong_text_color()),
            ..Default::default()
        };
        // Runs of matched and unmatched letters.
        let mut run = String::new();
        let mut run_matched = false;
        for (i, ch) in code.path.chars().enumerate() {
            let matched = found.matched.binary_search(&i).is_ok();
            if matched != run_matched && !run.is_empty() {
                job.append(&run, 0.0, if run_matched { strong.clone() } else { plain.clone() });
                run.clear();
            }
            run_matched = matched;
            run.push(ch);
        }
        job.append(&run, 0.0, if run_matched { strong } else { plain });
        let label = ui.selectable_label(selected, job);
        if selected {
            label.scroll_to_me(None);
        }
        label.clicked()
    })
    .inner
}

/// A code name made from selected words ("in vivo"): whitespace collapsed, surrounding
/// punctuation and quotes removed, at most 60 characters cut at a word.
pub fn in_vivo_name(text: &str) -> Option<String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let joined = words.join(" ");
    let trimmed = joined.trim_matches(|c: char| !c.is_alphanumeric());
    if trimmed.is_empty() {
        return None;
    }
    if trimmed.chars().count() <= 60 {
        return Some(trimmed.to_string());
    }
    let mut out = String::new();
    for w in trimmed.split(' ') {
        if out.chars().count() + w.chars().count() + 1 > 59 {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    if out.is_empty() {
        out = trimmed.chars().take(59).collect();
    }
    out.push('…');
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_vivo_names_come_from_the_words() {
        assert_eq!(in_vivo_name("  \"like a weight\n lifted,\" ").as_deref(), Some("like a weight lifted"));
        assert_eq!(in_vivo_name(" ... ").as_deref(), None);
        let long = "word ".repeat(30);
        let name = in_vivo_name(&long).unwrap();
        assert!(name.ends_with('…') && name.chars().count() <= 60, "{name}");
    }
}
