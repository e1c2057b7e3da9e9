//! The code picker: a small window with type-ahead over the codebook. Enter on a name
//! that no code has creates that code at once ("Parent / Child" creates it under an
//! existing parent); the arrow keys or a click choose an existing code.

use egui::{Color32, Key, RichText};

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

/// The open picker.
pub struct CodePicker {
    pub purpose: PickerPurpose,
    query: String,
    /// Which row the arrow keys point at; `None` means "the typed name".
    highlighted: Option<usize>,
    focus_pending: bool,
}

impl CodePicker {
    pub fn new(purpose: PickerPurpose) -> Self {
        CodePicker { purpose, query: String::new(), highlighted: None, focus_pending: true }
    }

    /// Draws the picker; returns the choice, or `Some(None)` when it was cancelled.
    pub fn ui(&mut self, ctx: &egui::Context, codes: &[PickerCode]) -> Option<Option<PickerChoice>> {
        let mut result = None;
        let title = match self.purpose {
            PickerPurpose::Apply => "Code selection",
            PickerPurpose::Recode(_) => "Recode coding",
        };
        let mut open = true;
        egui::Window::new(title)
            .id(egui::Id::unique("code_picker"))
            .collapsible(false)
            .resizable(false)
            .default_width(340.0)
            .anchor(egui::Align2::CENTER_TOP, [0.0, 120.0])
            .open(&mut open)
            .show(ctx, |ui| {
                let edit = ui.add(
                    egui::TextEdit::singleline(&mut self.query)
                        .hint_text("Type a code name…")
                        .desired_width(f32::INFINITY)
                        .id(egui::Id::unique("code_picker_query")),
                );
                edit.widget_info(|| egui::WidgetInfo::labeled(egui::Role::TextInput, true, "Code name"));
                if self.focus_pending {
                    edit.request_focus();
                    self.focus_pending = false;
                }
                if edit.changed() {
                    self.highlighted = None;
                }
                let matches = ranked(codes, &self.query);
                let typed = self.query.trim().to_string();
                let exact =
                    codes.iter().find(|c| c.name.eq_ignore_ascii_case(&typed) || c.path.eq_ignore_ascii_case(&typed));
                let (down, up, enter, escape) = ui.input(|i| {
                    (
                        i.key_pressed(Key::ArrowDown) || i.key_pressed(Key::Tab),
                        i.key_pressed(Key::ArrowUp),
                        i.key_pressed(Key::Enter),
                        i.key_pressed(Key::Escape),
                    )
                });
                if down && !matches.is_empty() {
                    self.highlighted = Some(self.highlighted.map_or(0, |h| (h + 1).min(matches.len() - 1)));
                    edit.request_focus();
                }
                if up {
                    self.highlighted = match self.highlighted {
                        Some(0) | None => None,
                        Some(h) => Some(h - 1),
                    };
                    edit.request_focus();
                }
                ui.add_space(4.0);
                if !typed.is_empty() && exact.is_none() {
                    let create = ui.selectable_label(
                        self.highlighted.is_none(),
                        RichText::new(format!("Create code “{typed}”  (Enter)")).strong(),
                    );
                    if create.clicked() {
                        result = Some(Some(PickerChoice::Create(typed.clone())));
                    }
                }
                egui::ScrollArea::vertical().max_height(300.0).show(ui, |ui| {
                    for (row, c) in matches.iter().enumerate() {
                        let selected = self.highlighted == Some(row)
                            || (self.highlighted.is_none() && exact.is_some_and(|e| e.id == c.id));
                        ui.horizontal(|ui| {
                            let (r, _) = ui.allocate_exact_size(egui::vec2(12.0, 12.0), egui::Sense::hover());
                            ui.painter().rect_filled(r, 3.0, c.color);
                            let label = ui.selectable_label(selected, &c.path);
                            if selected {
                                label.scroll_to_me(None);
                            }
                            if label.clicked() {
                                result = Some(Some(PickerChoice::Existing(c.id.clone())));
                            }
                        });
                    }
                    if matches.is_empty() && typed.is_empty() {
                        ui.weak("The codebook is empty: type a name to create the first code.");
                    }
                });
                ui.add_space(4.0);
                ui.weak("Enter applies the highlighted code or creates the typed one · Up/Down choose · Esc closes");
                if enter && result.is_none() {
                    result = Some(match (self.highlighted, exact) {
                        (Some(h), _) => matches.get(h).map(|c| PickerChoice::Existing(c.id.clone())),
                        (None, Some(e)) => Some(PickerChoice::Existing(e.id.clone())),
                        (None, None) if !typed.is_empty() => Some(PickerChoice::Create(typed.clone())),
                        _ => None,
                    });
                    if matches!(result, Some(None)) {
                        result = None;
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

/// Codes matching a typed query, best first: exact name, name prefix, word prefix,
/// then anywhere in the path.
pub fn ranked<'a>(codes: &'a [PickerCode], query: &str) -> Vec<&'a PickerCode> {
    let q = query.trim().to_lowercase();
    if q.is_empty() {
        return codes.iter().collect();
    }
    let mut scored: Vec<(u8, &PickerCode)> = codes
        .iter()
        .filter_map(|c| {
            let name = c.name.to_lowercase();
            let path = c.path.to_lowercase();
            let score = if name == q || path == q {
                0
            } else if name.starts_with(&q) {
                1
            } else if name.split(|ch: char| !ch.is_alphanumeric()).any(|w| w.starts_with(&q)) {
                2
            } else if name.contains(&q) {
                3
            } else if path.contains(&q) {
                4
            } else {
                return None;
            };
            Some((score, c))
        })
        .collect();
    scored.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.path.cmp(&b.1.path)));
    scored.into_iter().map(|s| s.1).collect()
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

    fn code(name: &str, path: &str) -> PickerCode {
        PickerCode { id: name.into(), name: name.into(), path: path.into(), color: Color32::RED }
    }

    #[test]
    fn ranking_prefers_exact_then_prefix_then_word_then_anywhere() {
        let codes = vec![
            code("Trust in clinicians", "Care / Trust in clinicians"),
            code("Mistrust", "Care / Mistrust"),
            code("Trust", "Care / Trust"),
            code("Family", "Support / Family"),
            code("Clinic access", "Care / Clinic access"),
        ];
        let names: Vec<&str> = ranked(&codes, "trust").iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["Trust", "Trust in clinicians", "Mistrust"]);
        let names: Vec<&str> = ranked(&codes, "care").iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names.len(), 4, "path matches come last: {names:?}");
        assert_eq!(ranked(&codes, "  ").len(), 5);
    }

    #[test]
    fn in_vivo_names_come_from_the_words() {
        assert_eq!(in_vivo_name("  \"like a weight\n lifted,\" ").as_deref(), Some("like a weight lifted"));
        assert_eq!(in_vivo_name(" ... ").as_deref(), None);
        let long = "word ".repeat(30);
        let name = in_vivo_name(&long).unwrap();
        assert!(name.ends_with('…') && name.chars().count() <= 60, "{name}");
    }
}
