//! Colours and spacing of the workbench: a light, paper-like theme for reading all day.

use egui::{Color32, Visuals};

pub fn apply(ctx: &egui::Context) {
    let mut visuals = Visuals::light();
    visuals.panel_fill = Color32::from_rgb(246, 245, 242);
    visuals.window_fill = Color32::from_rgb(252, 252, 250);
    visuals.extreme_bg_color = Color32::WHITE;
    visuals.faint_bg_color = Color32::from_rgb(238, 237, 233);
    visuals.selection.bg_fill = Color32::from_rgb(196, 218, 250);
    visuals.selection.stroke.color = Color32::from_rgb(30, 70, 140);
    ctx.set_theme(egui::Theme::Light);
    ctx.set_visuals_of(egui::Theme::Light, visuals);
    ctx.all_styles_mut(|style| {
        style.spacing.item_spacing = egui::vec2(8.0, 6.0);
        style.spacing.button_padding = egui::vec2(8.0, 3.0);
    });
}
