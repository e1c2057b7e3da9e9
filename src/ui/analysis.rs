//! The analysis panel: the quote report's settings and a preview of its tables (a table
//! per theme, a column per wave when split), participants per theme at each wave as a
//! bar chart and a table, and buttons that export the quote report, the counts and the
//! codebook. Everything comes from `codeloom::export`; clicking a quote asks the app to
//! jump to it.

use codeloom::Project;
use codeloom::export::data::StudyData;
use codeloom::export::matrix::{self, Matrix};
use codeloom::export::quotes::{self, QuoteOptions, QuoteReport, Selection, WaveSplit};
use codeloom::export::{Format, appendix};
use egui::RichText;
use egui_plot::{Bar, BarChart, Legend, Plot};

/// What the app must do after the panel was drawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Show document `document_id` with the characters `start..end` selected.
    JumpTo { document_id: String, start: usize, end: usize },
}

/// The panel's state: report settings, the last built report and counts, the export path.
pub struct AnalysisPanel {
    pub template: String,
    pub by_wave: bool,
    pub propose: bool,
    pub per_cell: usize,
    /// 0: no limit.
    pub max_words: usize,
    pub out_path: String,
    pub format: Format,
    report: Option<QuoteReport>,
    /// Codings and participants per code and wave, themes rolled up.
    counts: Option<Matrix>,
    waves: Vec<String>,
    /// The Study's revision when the report was built.
    built_at: Option<u64>,
    stale: bool,
    notice: Option<String>,
}

impl Default for AnalysisPanel {
    fn default() -> Self {
        AnalysisPanel {
            template: "[{age}-year-old {gender}]".into(),
            by_wave: true,
            propose: false,
            per_cell: 2,
            max_words: 40,
            out_path: "quotes.docx".into(),
            format: Format::Docx,
            report: None,
            counts: None,
            waves: Vec::new(),
            built_at: None,
            stale: true,
            notice: None,
        }
    }
}

impl AnalysisPanel {
    fn options(&self) -> QuoteOptions {
        QuoteOptions {
            template: self.template.clone(),
            waves: if self.by_wave { WaveSplit::EachWave } else { WaveSplit::Together },
            selection: if self.propose {
                Selection::Propose { per_cell: self.per_cell.max(1) }
            } else {
                Selection::Starred { per_cell: None }
            },
            max_words: (self.max_words > 0).then_some(self.max_words),
            ..QuoteOptions::default()
        }
    }

    /// Rebuilds the preview and the counts from the project.
    pub fn refresh(&mut self, project: &Project, revision: u64) {
        self.stale = false;
        self.built_at = Some(revision);
        let built = StudyData::load(project, None).and_then(|data| {
            let report = quotes::build(&data, &self.options(), &mut |id| project.document_text(id))?;
            Ok((report, matrix::code_wave(&data, true), data.waves.clone()))
        });
        match built {
            Ok((report, counts, waves)) => {
                self.report = Some(report);
                self.counts = Some(counts);
                self.waves = waves;
            }
            Err(e) => self.notice = Some(e.to_string()),
        }
    }

    /// The last built report.
    #[cfg(test)]
    pub fn report(&self) -> Option<&QuoteReport> {
        self.report.as_ref()
    }

    fn export(&mut self, project: &Project, what: &str) {
        let path = std::path::PathBuf::from(self.out_path.trim());
        let result = (|| -> codeloom::Result<()> {
            let bytes = match what {
                "quotes" => quotes::render(&quotes::quote_report(project, &self.options())?, self.format)?,
                "counts" => {
                    let data = StudyData::load(project, None)?;
                    matrix::code_wave(&data, true).render("Code × wave", self.format)?
                }
                _ => {
                    appendix::render(&appendix::appendix(project, &appendix::AppendixOptions::default())?, self.format)?
                }
            };
            codeloom::output::write_bytes(&path, &bytes, &codeloom::output::Protect::project(project.path()))
        })();
        self.notice = Some(match result {
            Ok(()) => format!("Wrote the {what} to {}", path.display()),
            Err(e) => e.to_string(),
        });
    }

    /// Draws the panel.
    /// Draws the panel; the report is rebuilt when the options or the project (its
    /// Study's `revision`) changed, not on every frame.
    pub fn ui(&mut self, ui: &mut egui::Ui, project: &Project, revision: u64) -> Option<Action> {
        if self.stale || self.built_at != Some(revision) {
            self.refresh(project, revision);
        }
        let mut action = None;
        ui.horizontal(|ui| {
            let l = ui.label("Attribution");
            let r = ui.add(egui::TextEdit::singleline(&mut self.template).desired_width(220.0)).labelled_by(l.id);
            self.stale |= r.changed();
            self.stale |= ui.checkbox(&mut self.by_wave, "Split by wave").changed();
            self.stale |= ui.checkbox(&mut self.propose, "Propose quotes").changed();
            if self.propose {
                let l = ui.label("per cell");
                self.stale |=
                    ui.add(egui::DragValue::new(&mut self.per_cell).range(1..=20)).labelled_by(l.id).changed();
            }
            let l = ui.label("Max words (0: all)");
            self.stale |= ui.add(egui::DragValue::new(&mut self.max_words).range(0..=500)).labelled_by(l.id).changed();
        });
        ui.horizontal(|ui| {
            let l = ui.label("Export to");
            ui.add(egui::TextEdit::singleline(&mut self.out_path).desired_width(260.0)).labelled_by(l.id);
            egui::ComboBox::from_label("Format").selected_text(self.format.extension()).show_ui(ui, |ui| {
                for f in [Format::Docx, Format::Xlsx, Format::Csv, Format::Markdown, Format::Html] {
                    ui.selectable_value(&mut self.format, f, f.extension());
                }
            });
            if ui.button("Export quotes").clicked() {
                self.export(project, "quotes");
            }
            if ui.button("Export counts").clicked() {
                self.export(project, "counts");
            }
            if ui.button("Export codebook").clicked() {
                self.export(project, "codebook");
            }
        });
        if let Some(n) = &self.notice {
            ui.label(RichText::new(n).italics());
        }
        if let Some(r) = &self.report {
            for w in &r.warnings {
                ui.label(RichText::new(format!("⚠ {w}")).color(ui.visuals().warn_fg_color));
            }
        }
        ui.separator();
        egui::ScrollArea::vertical().auto_shrink([false, false]).show(ui, |ui| {
            self.counts_ui(ui);
            if let Some(report) = &self.report {
                ui.heading(format!("{} ({} quotes)", report.title, report.quote_count()));
                for theme in &report.themes {
                    ui.add_space(8.0);
                    ui.label(RichText::new(&theme.name).strong().size(16.0));
                    egui::Grid::new(("quotes", &theme.code_id))
                        .striped(true)
                        .num_columns(report.columns.len() + 1)
                        .show(ui, |ui| {
                            ui.label(RichText::new("Subtheme").strong());
                            for c in &report.columns {
                                ui.label(RichText::new(c).strong());
                            }
                            ui.end_row();
                            for row in &theme.rows {
                                ui.label(&row.name);
                                for cell in &row.cells {
                                    ui.vertical(|ui| {
                                        ui.set_max_width(320.0);
                                        if cell.is_empty() {
                                            ui.label("—");
                                        }
                                        for q in cell {
                                            if ui.link(quotes::quote_line(q)).on_hover_text(&q.document).clicked() {
                                                action = Some(Action::JumpTo {
                                                    document_id: q.document_id.clone(),
                                                    start: q.start,
                                                    end: q.end,
                                                });
                                            }
                                        }
                                    });
                                }
                                ui.end_row();
                            }
                        });
                }
                if !report.empty_themes.is_empty() {
                    ui.label(format!("No quotes for: {}", report.empty_themes.join(", ")));
                }
            }
        });
        action
    }

    fn counts_ui(&self, ui: &mut egui::Ui) {
        let Some(counts) = &self.counts else { return };
        let themes: Vec<&matrix::MatrixRow> = counts.rows.iter().filter(|r| r.depth == 0).collect();
        ui.heading("Participants per theme at each wave");
        let participants = |row: &matrix::MatrixRow, w: usize| row.values.get(2 * w + 1).copied().unwrap_or(0);
        let n = self.waves.len().max(1) as f64;
        let width = 0.8 / n;
        let charts: Vec<BarChart> = self
            .waves
            .iter()
            .enumerate()
            .map(|(w, wave)| {
                let bars = themes
                    .iter()
                    .enumerate()
                    .map(|(t, row)| {
                        Bar::new(t as f64 + (w as f64 - (n - 1.0) / 2.0) * width, participants(row, w) as f64)
                            .width(width)
                            .name(&row.name)
                    })
                    .collect();
                BarChart::new(wave.clone(), bars).width(width)
            })
            .collect();
        let names: Vec<String> = themes.iter().map(|r| r.name.clone()).collect();
        Plot::new("participants-per-theme")
            .height(180.0)
            .legend(Legend::default().follow_insertion_order(true))
            .include_y(0.0)
            .allow_zoom(false)
            .allow_scroll(false)
            .allow_drag(false)
            .x_axis_formatter(move |mark, _| {
                let i = mark.value.round();
                if (mark.value - i).abs() < 1e-6 && i >= 0.0 {
                    names.get(i as usize).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .show(ui, |plot| {
                for c in charts {
                    plot.bar_chart(c);
                }
            });
        egui::Grid::new("theme-counts").striped(true).show(ui, |ui| {
            ui.label(RichText::new("Theme").strong());
            for w in &self.waves {
                ui.label(RichText::new(format!("{w} participants")).strong());
            }
            ui.end_row();
            for row in &themes {
                ui.label(&row.name);
                for w in 0..self.waves.len() {
                    ui.label(participants(row, w).to_string());
                }
                ui.end_row();
            }
        });
        ui.separator();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use egui_kittest::Harness;
    use egui_kittest::kittest::Queryable;

    struct State {
        panel: AnalysisPanel,
        project: Project,
        actions: Vec<Action>,
    }

    fn harness(dir: &std::path::Path) -> Harness<'static, State> {
        let path = dir.join("demo.codeloom");
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        codeloom::demo::build_demo(&path, &codeloom::demo::DemoSources::in_repository(root)).unwrap();
        let state =
            State { panel: AnalysisPanel::default(), project: Project::open(&path).unwrap(), actions: Vec::new() };
        Harness::builder().with_size(egui::vec2(1400.0, 900.0)).build_ui_state(
            |ui, s: &mut State| {
                if let Some(a) = s.panel.ui(ui, &s.project, 0) {
                    s.actions.push(a);
                }
            },
            state,
        )
    }

    #[test]
    fn previews_quotes_by_wave_and_jumps_to_a_quote() {
        let dir = tempfile::tempdir().unwrap();
        let mut h = harness(dir.path());
        h.run();
        h.get_by_label("Participants per theme at each wave");
        let report = h.state().panel.report().unwrap().clone();
        assert_eq!(report.columns, ["BL", "3M", "6M"]);
        h.get_by_label(&format!("Themes and illustrative quotes ({} quotes)", report.quote_count()));
        let first = &report.themes[0].rows.iter().flat_map(|r| &r.cells).flatten().next().unwrap().clone();
        assert!(first.attribution.ends_with("-year-old female]") || first.attribution.ends_with("-year-old male]"));
        h.get_by_label(&quotes::quote_line(first)).click();
        h.run();
        assert_eq!(
            h.state().actions,
            [Action::JumpTo { document_id: first.document_id.clone(), start: first.start, end: first.end }]
        );
    }

    /// The chart's legend lists the waves in wave order (BL, 3M, 6M), not alphabetically.
    #[test]
    fn the_chart_legend_follows_wave_order() {
        let dir = tempfile::tempdir().unwrap();
        let mut h = harness(dir.path());
        h.run();
        // Legend entries are the only nodes labelled with a bare wave name inside the chart.
        let chart = h.get_by_label("Participants per theme at each wave").rect();
        let top_of = |h: &Harness<'static, State>, wave: &str| {
            h.query_all_by_label(wave)
                .map(|n| n.rect())
                .filter(|r| r.top() > chart.bottom() && r.top() < chart.bottom() + 200.0)
                .map(|r| r.top())
                .next()
                .unwrap_or_else(|| panic!("no legend entry for {wave}"))
        };
        let (bl, m3, m6) = (top_of(&h, "BL"), top_of(&h, "3M"), top_of(&h, "6M"));
        assert!(bl < m3 && m3 < m6, "legend order BL {bl}, 3M {m3}, 6M {m6}");
    }

    #[test]
    fn exports_from_the_panel_and_reports_errors() {
        let dir = tempfile::tempdir().unwrap();
        let mut h = harness(dir.path());
        h.run();
        let out = dir.path().join("quotes.md");
        h.state_mut().panel.out_path = out.display().to_string();
        h.state_mut().panel.format = Format::Markdown;
        h.get_by_label("Export quotes").click();
        h.run();
        let md = std::fs::read_to_string(&out).unwrap();
        assert!(md.contains("| Subtheme | BL | 3M | 6M |"));
        h.get_by_label(&format!("Wrote the quotes to {}", out.display()));
        h.state_mut().panel.out_path = dir.path().join("no/such/folder.md").display().to_string();
        h.get_by_label("Export codebook").click();
        h.run();
        h.get_by_label_contains("does not exist");
    }
}
