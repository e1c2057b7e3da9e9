//! The agreement report of a project analysis ([`super::project::analyse`]) and its writers:
//! JSON, CSV, Markdown and XLSX, each with the settings used so the numbers can be cited in a
//! methods section.
//!
//! Undefined values are written as the word `undefined` (with the band "undefined", grey), never
//! as 0 or 1. Bands follow AGREEMENT.md §6.2 and are applied to the point estimate.

use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;
use serde_json::{Value, json};

use super::bands::{Band, LandisKoch, MIN_MINORITY_COUNT, MIN_PAIRABLE_UNITS, RELIABLE, TENTATIVE};
use super::unit::{GroupBy, UnitKind};
use super::{Estimate, Undefined};
use crate::error::{Error, Result};
use crate::output::{self, Protect};

/// What a row of the report covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// One code, pooled over the documents.
    Code,
    /// Every code and document, pooled.
    Overall,
    /// One document, pooled over the codes.
    Document,
    /// One wave, pooled over its documents and the codes.
    Wave,
    /// Two of the coders, every code and document pooled.
    Pair,
}

impl Scope {
    fn name(self) -> &'static str {
        match self {
            Scope::Code => "code",
            Scope::Overall => "overall",
            Scope::Document => "document",
            Scope::Wave => "wave",
            Scope::Pair => "pair",
        }
    }
}

/// A statistic of the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StatKind {
    /// Percent agreement (pairwise, Fleiss's P̄).
    PercentAgreement,
    /// Cohen's κ (two coders).
    CohenKappa,
    /// Fleiss's κ, Gwet's generalisation to missing data (more than two coders).
    FleissKappa,
    /// Krippendorff's α, nominal (binary here).
    KrippendorffAlpha,
    /// Gwet's AC1 (q = 2 declared).
    GwetAc1,
    /// Brennan–Prediger κ_n (q = 2 declared).
    BrennanPrediger,
    /// |uα, "α-binary": the code's spans against the rest of the text.
    BinaryUAlpha,
    /// uα over all codes as the values of one variable.
    UAlpha,
    /// cuα over all codes, with its coverage.
    CuAlpha,
}

impl StatKind {
    /// The machine name (JSON key, CSV column prefix).
    pub fn key(self) -> &'static str {
        match self {
            StatKind::PercentAgreement => "percent_agreement",
            StatKind::CohenKappa => "cohen_kappa",
            StatKind::FleissKappa => "fleiss_kappa",
            StatKind::KrippendorffAlpha => "krippendorff_alpha",
            StatKind::GwetAc1 => "gwet_ac1",
            StatKind::BrennanPrediger => "brennan_prediger",
            StatKind::BinaryUAlpha => "binary_u_alpha",
            StatKind::UAlpha => "u_alpha",
            StatKind::CuAlpha => "cu_alpha",
        }
    }

    /// The column heading.
    pub fn heading(self) -> &'static str {
        match self {
            StatKind::PercentAgreement => "% agreement",
            StatKind::CohenKappa => "Cohen's κ",
            StatKind::FleissKappa => "Fleiss' κ",
            StatKind::KrippendorffAlpha => "Krippendorff's α",
            StatKind::GwetAc1 => "Gwet's AC1",
            StatKind::BrennanPrediger => "Brennan–Prediger",
            StatKind::BinaryUAlpha => "|uα",
            StatKind::UAlpha => "uα",
            StatKind::CuAlpha => "cuα",
        }
    }

    /// What the statistic is, for the methods section.
    pub fn definition(self) -> &'static str {
        match self {
            StatKind::PercentAgreement => "share of agreeing coder pairs per pairable unit, averaged (Fleiss's P̄)",
            StatKind::CohenKappa => "Cohen's κ over the units both coders coded, each coder's own marginals",
            StatKind::FleissKappa => {
                "Fleiss' κ generalised to missing data (Gwet 2014; irrCAC `fleiss`): P̄ over units with ≥ 2 values"
            }
            StatKind::KrippendorffAlpha => {
                "Krippendorff's α, nominal, from the coincidence matrix; units with fewer than 2 values are left out"
            }
            StatKind::GwetAc1 => "Gwet's AC1 with q = 2 declared categories (absent, present)",
            StatKind::BrennanPrediger => "Brennan–Prediger κ_n (Bennett's S) with q = 2",
            StatKind::BinaryUAlpha => {
                "Krippendorff's |uα (ATLAS.ti α-binary) on the character continuum: coded matter vs. the rest"
            }
            StatKind::UAlpha => "Krippendorff's uα with all selected codes as the values of one variable",
            StatKind::CuAlpha => "Krippendorff's cuα over all selected codes, with its coverage cl / l··",
        }
    }
}

/// One statistic's value, CI and band.
#[derive(Debug, Clone, PartialEq)]
pub struct Statistic {
    /// Which statistic.
    pub kind: StatKind,
    /// The point estimate, or why it is undefined.
    pub value: Estimate,
    /// The percentile 95 % bootstrap interval (document clusters), when computed and defined.
    pub ci95: Option<(f64, f64)>,
    /// Bootstrap resamples whose value was undefined.
    pub skipped: usize,
    /// The interpretation band (`None` for percent agreement, which has none).
    pub band: Option<Band>,
}

impl Statistic {
    /// The value as text with four decimals, or `undefined`.
    pub fn value_text(&self) -> String {
        fmt_estimate(self.value)
    }

    /// The CI as `[lo, hi]`, or empty.
    pub fn ci_text(&self) -> String {
        self.ci95.map(|(lo, hi)| format!("[{lo:.3}, {hi:.3}]")).unwrap_or_default()
    }

    fn to_json(&self) -> Value {
        let mut v = json!({
            "value": self.value.value(),
            "ci95": self.ci95.map(|(lo, hi)| [lo, hi]),
            "bootstrap_skipped": self.skipped,
            "band": self.band.map(Band::label),
            "colour": self.band.map(Band::colour),
        });
        if let Some(why) = self.value.undefined_reason() {
            v["note"] = json!(why.note());
        }
        if matches!(self.kind, StatKind::CohenKappa | StatKind::FleissKappa)
            && let Some(lk) = LandisKoch::for_estimate(self.value)
        {
            v["landis_koch"] = json!(lk.label());
        }
        v
    }
}

fn fmt_estimate(e: Estimate) -> String {
    match e {
        Estimate::Defined(v) => format!("{v:.4}"),
        Estimate::Undefined(_) => "undefined".into(),
    }
}

/// One row of the report: a code, the pooled total, a document or a wave.
#[derive(Debug, Clone, PartialEq)]
pub struct ResultRow {
    /// What the row covers.
    pub scope: Scope,
    /// The code's, document's or wave's ID or name (`None` for the pooled total).
    pub id: Option<String>,
    /// What to show.
    pub label: String,
    /// Documents with at least one unit in this row.
    pub documents: usize,
    /// Pairable units (units with values from at least two coders).
    pub units: u64,
    /// Share of pairable values that are "present".
    pub prevalence: Option<f64>,
    /// How often the less frequent value occurs among the pairable values.
    pub minority: u64,
    /// The statistics, in column order.
    pub statistics: Vec<Statistic>,
}

impl ResultRow {
    /// The statistic of a kind, if the row has it.
    pub fn get(&self, kind: StatKind) -> Option<&Statistic> {
        self.statistics.iter().find(|s| s.kind == kind)
    }

    /// The row as JSON, as the report writes it.
    pub fn to_json(&self) -> Value {
        let mut v = json!({
            "scope": self.scope,
            "id": self.id,
            "label": self.label,
            "documents": self.documents,
            "units": self.units,
            "prevalence": self.prevalence,
            "minority_count": self.minority,
        });
        for s in &self.statistics {
            v[s.kind.key()] = s.to_json();
        }
        v
    }
}

/// The unitizing alphas over all selected codes (character unit only).
#[derive(Debug, Clone, PartialEq)]
pub struct UnitizingSummary {
    /// Documents that enter (those every coder was assigned).
    pub documents: usize,
    /// uα, all codes as one variable (undefined when a coder's codes overlap).
    pub u_alpha: Statistic,
    /// |uα, any code vs. uncoded text.
    pub binary_u_alpha: Statistic,
    /// cuα, all codes as one variable.
    pub cu_alpha: Statistic,
    /// cuα's coverage cl / l··.
    pub cu_coverage: Option<f64>,
}

/// The settings an analysis used.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportSettings {
    /// The coders compared.
    pub coders: Vec<String>,
    /// The unit of analysis.
    pub unit: UnitKind,
    /// The unit in words.
    pub unit_description: String,
    /// Number of documents selected.
    pub documents: usize,
    /// How they were selected.
    pub document_selection: String,
    /// Number of codes.
    pub codes: usize,
    /// Whether some coder was not assigned some document (those values are missing).
    pub assignments_missing: bool,
    /// Bootstrap resamples (0: none).
    pub resamples: usize,
    /// Bootstrap seed.
    pub seed: Option<u64>,
    /// Extra rows per document or wave.
    pub group_by: Option<GroupBy>,
    /// Further settings lines, `(name, value)`, from the input (how an added coder coded).
    pub notes: Vec<(String, String)>,
}

/// A complete agreement report.
#[derive(Debug, Clone, PartialEq)]
pub struct AgreementReport {
    /// The settings used.
    pub settings: ReportSettings,
    /// One row per code, in codebook order.
    pub codes: Vec<ResultRow>,
    /// Every code and document pooled (coincidences summed, never averaged).
    pub overall: ResultRow,
    /// Rows per document or per wave, when asked for.
    pub groups: Vec<ResultRow>,
    /// One coder against each other coder, when asked for ([`super::project::pair_rows`]).
    pub pairs: Vec<ResultRow>,
    /// The unitizing alphas over all codes (character unit only).
    pub unitizing: Option<UnitizingSummary>,
    /// Warnings: merged spans, coders who applied nothing, documents left out of unitizing.
    pub warnings: Vec<String>,
}

/// The settings as `(name, value)` lines, for every writer.
fn settings_lines(r: &AgreementReport, project: Option<&str>) -> Vec<(String, String)> {
    let s = &r.settings;
    let mut out = Vec::new();
    if let Some(p) = project {
        out.push(("project".into(), p.to_string()));
    }
    out.push(("software".into(), format!("Codeloom {}", env!("CARGO_PKG_VERSION"))));
    out.push(("coders".into(), s.coders.join(", ")));
    out.push(("unit of analysis".into(), s.unit_description.clone()));
    out.push(("documents".into(), format!("{} ({})", s.documents, s.document_selection)));
    out.push(("codes".into(), s.codes.to_string()));
    out.extend(s.notes.iter().cloned());
    out.push((
        "missing data".into(),
        if s.assignments_missing {
            "a coder not assigned a document gives no value for it (missing), which is not the same as absent"
        } else {
            "every coder was assigned every selected document"
        }
        .into(),
    ));
    out.push(("pooling".into(), "per code over documents, overall over codes and documents, by summing counts and coincidences (never averaging per-document values)".into()));
    out.push((
        "confidence intervals".into(),
        match s.seed {
            Some(seed) if s.resamples > 0 => format!(
                "unit bootstrap with documents as clusters, {} resamples, seed {seed}, percentile 95 %; undefined replicates skipped",
                s.resamples
            ),
            _ => "none (no bootstrap)".into(),
        },
    ));
    out.push((
        "bands".into(),
        format!(
            "reliable ≥ {RELIABLE:.3}, tentative ≥ {TENTATIVE:.3}, unreliable below; undefined (grey) where there is no variation, and for α also with fewer than {MIN_PAIRABLE_UNITS} pairable units or the less frequent value fewer than {MIN_MINORITY_COUNT} times"
        ),
    ));
    let mut kinds: Vec<StatKind> = Vec::new();
    for row in r.codes.iter().chain(std::iter::once(&r.overall)) {
        for st in &row.statistics {
            if !kinds.contains(&st.kind) {
                kinds.push(st.kind);
            }
        }
    }
    if r.unitizing.is_some() {
        kinds.extend([StatKind::UAlpha, StatKind::CuAlpha]);
    }
    for k in kinds {
        out.push((k.heading().to_string(), k.definition().to_string()));
    }
    out
}

/// The statistic columns of the table, in order.
fn columns(r: &AgreementReport) -> Vec<StatKind> {
    let mut kinds: Vec<StatKind> = Vec::new();
    for row in all_rows(r) {
        for st in &row.statistics {
            if !kinds.contains(&st.kind) {
                kinds.push(st.kind);
            }
        }
    }
    kinds
}

fn all_rows(r: &AgreementReport) -> impl Iterator<Item = &ResultRow> {
    r.codes.iter().chain(std::iter::once(&r.overall)).chain(&r.groups).chain(&r.pairs)
}

fn pct(x: Option<f64>) -> String {
    x.map(|v| format!("{:.1} %", 100.0 * v)).unwrap_or_else(|| "undefined".into())
}

impl AgreementReport {
    /// The whole report as JSON.
    pub fn to_json(&self, project: Option<&str>) -> Value {
        let settings: serde_json::Map<String, Value> =
            settings_lines(self, project).into_iter().map(|(k, v)| (k, Value::String(v))).collect();
        let unitizing = self.unitizing.as_ref().map(|u| {
            json!({
                "documents": u.documents,
                "u_alpha": u.u_alpha.to_json(),
                "binary_u_alpha": u.binary_u_alpha.to_json(),
                "cu_alpha": u.cu_alpha.to_json(),
                "cu_coverage": u.cu_coverage,
            })
        });
        json!({
            "settings": self.settings,
            "methods": settings,
            "codes": self.codes.iter().map(ResultRow::to_json).collect::<Vec<_>>(),
            "overall": self.overall.to_json(),
            "groups": self.groups.iter().map(ResultRow::to_json).collect::<Vec<_>>(),
            "pairs": self.pairs.iter().map(ResultRow::to_json).collect::<Vec<_>>(),
            "unitizing": unitizing,
            "warnings": self.warnings,
        })
    }

    /// The report as CSV: `#` lines with the settings, then one row per code, the pooled total
    /// and any document or wave rows.
    pub fn to_csv(&self, project: Option<&str>) -> Result<String> {
        let mut out = String::new();
        for (k, v) in settings_lines(self, project) {
            let _ = writeln!(out, "# {k}: {v}");
        }
        let cols = columns(self);
        let mut writer = csv::Writer::from_writer(Vec::new());
        let mut header: Vec<String> =
            ["scope", "id", "label", "documents", "units", "prevalence"].iter().map(|s| s.to_string()).collect();
        for k in &cols {
            for part in ["", "_ci_low", "_ci_high", "_band"] {
                header.push(format!("{}{part}", k.key()));
            }
        }
        let csv_err = |e: csv::Error| Error::Invalid(format!("cannot write the CSV report: {e}"));
        writer.write_record(&header).map_err(csv_err)?;
        let mut records: Vec<Vec<String>> = all_rows(self).map(|row| self.csv_record(row, &cols)).collect();
        if let Some(u) = &self.unitizing {
            for (label, st) in [
                ("uα (all codes)", &u.u_alpha),
                ("|uα (any code)", &u.binary_u_alpha),
                ("cuα (all codes)", &u.cu_alpha),
            ] {
                let mut rec = vec![
                    "unitizing".to_string(),
                    String::new(),
                    label.to_string(),
                    u.documents.to_string(),
                    String::new(),
                    if st.kind == StatKind::CuAlpha {
                        u.cu_coverage.map(|c| format!("coverage {c:.4}")).unwrap_or_default()
                    } else {
                        String::new()
                    },
                ];
                for k in &cols {
                    if *k == StatKind::BinaryUAlpha {
                        rec.extend(stat_cells(Some(st)));
                    } else {
                        rec.extend(stat_cells(None));
                    }
                }
                records.push(rec);
            }
        }
        for rec in records {
            writer.write_record(&rec).map_err(csv_err)?;
        }
        let bytes = writer.into_inner().map_err(|e| Error::Invalid(format!("cannot write the CSV report: {e}")))?;
        out.push_str(&String::from_utf8_lossy(&bytes));
        Ok(out)
    }

    fn csv_record(&self, row: &ResultRow, cols: &[StatKind]) -> Vec<String> {
        let mut rec = vec![
            row.scope.name().to_string(),
            row.id.clone().unwrap_or_default(),
            row.label.clone(),
            row.documents.to_string(),
            row.units.to_string(),
            row.prevalence.map(|p| format!("{p:.4}")).unwrap_or_else(|| "undefined".into()),
        ];
        for k in cols {
            rec.extend(stat_cells(row.get(*k)));
        }
        rec
    }

    /// The report as Markdown: a settings list, the table, the unitizing alphas and warnings.
    pub fn to_markdown(&self, project: Option<&str>) -> String {
        let mut out = String::from("# Inter-coder agreement\n\n## Settings\n\n");
        for (k, v) in settings_lines(self, project) {
            let _ = writeln!(out, "- **{k}**: {v}");
        }
        let cols = columns(self);
        out.push_str("\n## Results\n\n| Scope | Code / document | Docs | Units | Prevalence |");
        for k in &cols {
            let _ = write!(out, " {} (95 % CI) |", k.heading().replace('|', "\\|"));
        }
        out.push_str("\n|---|---|---:|---:|---:|");
        for _ in &cols {
            out.push_str("---|");
        }
        out.push('\n');
        for row in all_rows(self) {
            let _ = write!(
                out,
                "| {} | {} | {} | {} | {} |",
                row.scope.name(),
                row.label.replace('|', "\\|"),
                row.documents,
                row.units,
                pct(row.prevalence)
            );
            for k in &cols {
                let cell = match row.get(*k) {
                    Some(st) => md_cell(st).replace('|', "\\|"),
                    None => String::new(),
                };
                let _ = write!(out, " {cell} |");
            }
            out.push('\n');
        }
        if let Some(u) = &self.unitizing {
            let _ = writeln!(out, "\n## Unitizing alphas over all codes ({} documents)\n", u.documents);
            let _ = writeln!(out, "- uα (all codes as one variable): {}", md_cell(&u.u_alpha));
            let _ = writeln!(out, "- |uα (any code vs. uncoded text): {}", md_cell(&u.binary_u_alpha));
            let _ = writeln!(
                out,
                "- cuα (all codes): {}, coverage {}",
                md_cell(&u.cu_alpha),
                u.cu_coverage.map(|c| format!("{:.1} %", 100.0 * c)).unwrap_or_else(|| "undefined".into())
            );
        }
        if !self.warnings.is_empty() {
            out.push_str("\n## Warnings\n\n");
            for w in &self.warnings {
                let _ = writeln!(out, "- {w}");
            }
        }
        out
    }

    /// The report as an XLSX workbook: sheet "Agreement" (cells filled with the band
    /// colours), sheet "Settings".
    pub fn to_xlsx(&self, project: Option<&str>) -> Result<Vec<u8>> {
        use rust_xlsxwriter::{Color, Format, Workbook};
        let fail = |e: rust_xlsxwriter::XlsxError| Error::Export { format: "xlsx", message: e.to_string() };
        let mut book = Workbook::new();
        let bold = Format::new().set_bold();
        let fill = |band: Option<Band>| -> Format {
            let colour = match band {
                Some(Band::Reliable) => 0xC6EFCE,
                Some(Band::Tentative) => 0xFFEB9C,
                Some(Band::Unreliable) => 0xFFC7CE,
                Some(Band::Undefined) => 0xD9D9D9,
                None => 0xFFFFFF,
            };
            Format::new().set_background_color(Color::RGB(colour)).set_num_format("0.000")
        };
        let cols = columns(self);
        {
            let sheet = book.add_worksheet();
            sheet.set_name("Agreement").map_err(fail)?;
            let mut header: Vec<String> =
                ["Scope", "Code / document", "Docs", "Units", "Prevalence"].iter().map(|s| s.to_string()).collect();
            for k in &cols {
                header.push(k.heading().to_string());
                header.push("CI low".into());
                header.push("CI high".into());
                header.push("Band".into());
            }
            for (c, h) in header.iter().enumerate() {
                sheet.write_string_with_format(0, c as u16, h, &bold).map_err(fail)?;
            }
            sheet.set_column_width(1, 40).map_err(fail)?;
            let mut r = 1u32;
            for row in all_rows(self) {
                sheet.write_string(r, 0, row.scope.name()).map_err(fail)?;
                sheet.write_string(r, 1, &row.label).map_err(fail)?;
                sheet.write_number(r, 2, row.documents as f64).map_err(fail)?;
                sheet.write_number(r, 3, row.units as f64).map_err(fail)?;
                match row.prevalence {
                    Some(p) => sheet.write_number(r, 4, p).map_err(fail)?,
                    None => sheet.write_string(r, 4, "undefined").map_err(fail)?,
                };
                for (i, k) in cols.iter().enumerate() {
                    let c = 5 + 4 * i as u16;
                    let Some(st) = row.get(*k) else { continue };
                    let format = fill(st.band);
                    match st.value {
                        Estimate::Defined(v) => sheet.write_number_with_format(r, c, v, &format).map_err(fail)?,
                        Estimate::Undefined(_) => {
                            sheet.write_string_with_format(r, c, "undefined", &format).map_err(fail)?
                        }
                    };
                    if let Some((lo, hi)) = st.ci95 {
                        sheet.write_number(r, c + 1, lo).map_err(fail)?;
                        sheet.write_number(r, c + 2, hi).map_err(fail)?;
                    }
                    if let Some(b) = st.band {
                        sheet.write_string(r, c + 3, b.label()).map_err(fail)?;
                    }
                }
                r += 1;
            }
            if let Some(u) = &self.unitizing {
                r += 1;
                for (label, st) in [
                    ("uα (all codes)", &u.u_alpha),
                    ("|uα (any code)", &u.binary_u_alpha),
                    ("cuα (all codes)", &u.cu_alpha),
                ] {
                    sheet.write_string(r, 0, "unitizing").map_err(fail)?;
                    sheet.write_string(r, 1, label).map_err(fail)?;
                    sheet.write_number(r, 2, u.documents as f64).map_err(fail)?;
                    let format = fill(st.band);
                    match st.value {
                        Estimate::Defined(v) => sheet.write_number_with_format(r, 5, v, &format).map_err(fail)?,
                        Estimate::Undefined(_) => {
                            sheet.write_string_with_format(r, 5, "undefined", &format).map_err(fail)?
                        }
                    };
                    if let Some((lo, hi)) = st.ci95 {
                        sheet.write_number(r, 6, lo).map_err(fail)?;
                        sheet.write_number(r, 7, hi).map_err(fail)?;
                    }
                    if st.kind == StatKind::CuAlpha
                        && let Some(c) = u.cu_coverage
                    {
                        sheet.write_string(r, 8, format!("coverage {:.1} %", 100.0 * c)).map_err(fail)?;
                    }
                    r += 1;
                }
            }
        }
        {
            let sheet = book.add_worksheet();
            sheet.set_name("Settings").map_err(fail)?;
            sheet.set_column_width(0, 24).map_err(fail)?;
            sheet.set_column_width(1, 100).map_err(fail)?;
            let mut r = 0u32;
            for (k, v) in settings_lines(self, project) {
                sheet.write_string_with_format(r, 0, &k, &bold).map_err(fail)?;
                sheet.write_string(r, 1, &v).map_err(fail)?;
                r += 1;
            }
            for w in &self.warnings {
                sheet.write_string_with_format(r, 0, "warning", &bold).map_err(fail)?;
                sheet.write_string(r, 1, w).map_err(fail)?;
                r += 1;
            }
        }
        book.save_to_buffer().map_err(fail)
    }

    /// Writes the report in the format named by the file's extension (`.csv`, `.md`, `.xlsx`,
    /// `.json`), whole or not at all and never over a SQLite database (so never over a
    /// project); `project` is the project's name shown in the report. Where a project is
    /// open, use [`AgreementReport::write_file`] so that its side files are refused too.
    pub fn write(&self, path: &Path, project: Option<&str>) -> Result<()> {
        self.write_file(path, project, &Protect::none())
    }

    /// [`AgreementReport::write`], refusing also what `protect` names (see [`crate::output`]).
    pub fn write_file(&self, path: &Path, project: Option<&str>, protect: &Protect) -> Result<()> {
        let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).unwrap_or_default();
        let bytes = match ext.as_str() {
            "csv" => self.to_csv(project)?.into_bytes(),
            "md" | "markdown" => self.to_markdown(project).into_bytes(),
            "json" => serde_json::to_string_pretty(&self.to_json(project))?.into_bytes(),
            "xlsx" => self.to_xlsx(project)?,
            _ => {
                return Err(Error::Invalid(format!(
                    "{}: unknown report format; use a file name ending in .csv, .md, .xlsx or .json",
                    path.display()
                )));
            }
        };
        output::write_bytes(path, &bytes, protect)
    }
}

fn stat_cells(st: Option<&Statistic>) -> [String; 4] {
    match st {
        None => Default::default(),
        Some(st) => [
            match st.value {
                Estimate::Defined(v) => format!("{v:.6}"),
                Estimate::Undefined(_) => "undefined".into(),
            },
            st.ci95.map(|c| format!("{:.6}", c.0)).unwrap_or_default(),
            st.ci95.map(|c| format!("{:.6}", c.1)).unwrap_or_default(),
            st.band.map(|b| b.label().to_string()).unwrap_or_default(),
        ],
    }
}

fn md_cell(st: &Statistic) -> String {
    let mut cell = st.value_text();
    if st.ci95.is_some() {
        cell.push(' ');
        cell.push_str(&st.ci_text());
    }
    if let Some(b) = st.band {
        let _ = write!(cell, " ({})", b.label());
    }
    cell
}

/// Why a statistic is undefined, for showing next to the word "undefined".
pub fn undefined_note(st: &Statistic) -> Option<&'static str> {
    st.value.undefined_reason().map(Undefined::note)
}
