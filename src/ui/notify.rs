//! Non-blocking notifications: errors and news shown in a stack at the bottom right.
//! Errors stay until dismissed; news fades after a few seconds.

use egui::{Color32, RichText};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Error,
}

pub struct Notice {
    pub level: Level,
    pub text: String,
    shown: Instant,
}

#[derive(Default)]
pub struct Notices {
    items: Vec<Notice>,
}

const INFO_LIFETIME: Duration = Duration::from_secs(6);

impl Notices {
    /// Whether a notice on screen contains `part` (for tests).
    #[cfg(test)]
    pub fn contains(&self, part: &str) -> bool {
        self.items.iter().any(|n| n.text.contains(part))
    }

    pub fn info(&mut self, text: impl Into<String>) {
        self.push(Level::Info, text.into());
    }
    pub fn error(&mut self, text: impl Into<String>) {
        self.push(Level::Error, text.into());
    }
    fn push(&mut self, level: Level, text: String) {
        self.items.retain(|n| n.text != text);
        self.items.push(Notice { level, text, shown: Instant::now() });
        if self.items.len() > 6 {
            self.items.remove(0);
        }
    }

    pub fn ui(&mut self, ctx: &egui::Context) {
        self.items.retain(|n| n.level == Level::Error || n.shown.elapsed() < INFO_LIFETIME);
        if self.items.is_empty() {
            return;
        }
        if self.items.iter().any(|n| n.level == Level::Info) {
            ctx.request_repaint_after(Duration::from_millis(500));
        }
        let mut dismiss = None;
        egui::Area::new(egui::Id::unique("notices"))
            .anchor(egui::Align2::RIGHT_BOTTOM, [-14.0, -40.0])
            .order(egui::Order::Foreground)
            .show(ctx, |ui| {
                ui.set_max_width(460.0);
                for (i, n) in self.items.iter().enumerate() {
                    let (fill, stroke) = match n.level {
                        Level::Error => (Color32::from_rgb(253, 236, 234), Color32::from_rgb(190, 60, 40)),
                        Level::Info => (Color32::from_rgb(234, 244, 236), Color32::from_rgb(60, 130, 80)),
                    };
                    egui::Frame::new()
                        .fill(fill)
                        .stroke(egui::Stroke::new(1.0, stroke))
                        .corner_radius(6.0)
                        .inner_margin(10.0)
                        .show(ui, |ui| {
                            ui.horizontal(|ui| {
                                ui.label(RichText::new(&n.text).color(Color32::from_gray(30)));
                                if ui.small_button("x").on_hover_text("Dismiss").clicked() {
                                    dismiss = Some(i);
                                }
                            });
                        });
                    ui.add_space(6.0);
                }
            });
        if let Some(i) = dismiss {
            self.items.remove(i);
        }
    }
}
