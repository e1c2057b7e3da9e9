//! The workbench application: menus, the status bar, and the panels (documents,
//! transcript, codebook), with every action carried out by a library call on the open
//! project. Changes are saved as they are made (each is one operation in the project
//! file); unsaved text in memo and code editors is saved when the window closes.

use super::agreement::{self as agreement_panel, AgreementPanel};
use super::analysis::{self as analysis_panel, AnalysisPanel};
use super::code_dialogs::{CodeDialogAction, MergeCodesDialog, SplitCodeDialog};
use super::codebook::{CodebookAction, CodebookPanel};
use super::codebook_review::{CodebookReview, ReviewAction};
use super::documents::{DocumentsAction, DocumentsPanel};
use super::files::{DesktopChooser, Dialog, FileChooser, PendingDialog};
use super::memos::{MemoAction, MemoWindow};
use super::notify::Notices;
use super::picker::{CodePicker, PickerChoice, PickerCode, PickerPurpose, in_vivo_name};
use super::search::{SearchAction, SearchPanel};
use super::study::Study;
use super::transcript::{Mark, TranscriptEvent, TranscriptView, TurnRow};
use codeloom::Project;
use codeloom::import::{self, FileOutcome, ImportProgress, ImportReport};
use codeloom::model::{MemoTarget, offsets::CharIndex, time::format_clock};
use codeloom::store::ops::{CodingChanges, NewCode, NewCoding};
use codeloom::store::queries::CodingFilter;
use egui::{Color32, Key, KeyboardShortcut, Modifiers, RichText};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, channel};

const PREFS_KEY: &str = "codeloom_prefs";

/// What the application remembers between runs (the project data lives in the project).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Prefs {
    pub recent: Vec<String>,
    pub coder: Option<String>,
    pub blind: bool,
    pub show_documents: bool,
    pub show_codebook: bool,
}

impl Default for Prefs {
    fn default() -> Self {
        Prefs { recent: Vec::new(), coder: None, blind: false, show_documents: true, show_codebook: true }
    }
}

/// The open document's header.
struct OpenDoc {
    id: String,
    name: String,
    participant: Option<String>,
    wave: Option<String>,
    turns: usize,
    words: usize,
}

/// An import running on a worker thread.
struct ImportJob {
    rx: Receiver<ImportMessage>,
    progress: Option<ImportProgress>,
}

enum ImportMessage {
    Progress(ImportProgress),
    Finished(Result<ImportReport, String>),
}

/// The screens of the window, chosen by the tabs in the menu bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Screen {
    /// Read and code transcripts.
    #[default]
    Code,
    /// Search every transcript, memo and code definition.
    Search,
    /// Inter-coder agreement and adjudication.
    Agreement,
    /// Themes with quotes, code × wave matrices, exports.
    Themes,
    /// Codebook versions, diffs, history, merging a coder's copy.
    Codebook,
}

impl Screen {
    pub const ALL: [(Screen, &'static str); 5] = [
        (Screen::Code, "Code"),
        (Screen::Search, "Search"),
        (Screen::Agreement, "Agreement"),
        (Screen::Themes, "Themes & export"),
        (Screen::Codebook, "Codebook versions"),
    ];
}

/// A dialog that works on codes of the codebook.
enum CodeDialog {
    Merge(MergeCodesDialog),
    Split(SplitCodeDialog),
}

/// The workbench application.
pub struct App {
    screen: Screen,
    search: SearchPanel,
    agreement: AgreementPanel,
    analysis: AnalysisPanel,
    review: CodebookReview,
    code_dialog: Option<CodeDialog>,
    project: Option<Project>,
    study: Study,
    documents: DocumentsPanel,
    codebook: CodebookPanel,
    view: TranscriptView,
    open_doc: Option<OpenDoc>,
    picker: Option<CodePicker>,
    memo: Option<MemoWindow>,
    /// The memo of the selected coding, as edited.
    coding_memo: Option<(String, String)>,
    notices: Notices,
    chooser: Arc<dyn FileChooser>,
    dialog: Option<PendingDialog>,
    import: Option<ImportJob>,
    prefs: Prefs,
    hidden_coders: HashSet<String>,
    /// Show only codings made under this codebook version (ID, name).
    version_filter: Option<(String, String)>,
    recent_codes: Vec<String>,
    new_coder: String,
    undo_hint: Option<String>,
    redo_hint: Option<String>,
    themed: bool,
}

fn default_coder() -> String {
    std::env::var("CODELOOM_CODER")
        .ok()
        .or_else(|| std::env::var("USER").ok())
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| codeloom::store::DEFAULT_CODER.to_string())
}

impl App {
    pub fn new(cc: &eframe::CreationContext<'_>, project: Option<PathBuf>) -> Self {
        let prefs: Prefs = cc.storage.and_then(|s| eframe::get_value(s, PREFS_KEY)).unwrap_or_default();
        let mut app = App::with(prefs, Arc::new(DesktopChooser));
        let last = app.prefs.recent.first().map(PathBuf::from).filter(|p| p.is_file());
        if let Some(p) = project.or(last) {
            app.open_project(&p);
        }
        app
    }

    pub fn with(prefs: Prefs, chooser: Arc<dyn FileChooser>) -> Self {
        App {
            screen: Screen::Code,
            search: SearchPanel::default(),
            agreement: AgreementPanel::default(),
            analysis: AnalysisPanel::default(),
            review: CodebookReview::default(),
            code_dialog: None,
            project: None,
            study: Study::default(),
            documents: DocumentsPanel::default(),
            codebook: CodebookPanel::default(),
            view: TranscriptView::default(),
            open_doc: None,
            picker: None,
            memo: None,
            coding_memo: None,
            notices: Notices::default(),
            chooser,
            dialog: None,
            import: None,
            prefs,
            hidden_coders: HashSet::new(),
            version_filter: None,
            recent_codes: Vec::new(),
            new_coder: String::new(),
            undo_hint: None,
            redo_hint: None,
            themed: false,
        }
    }

    #[cfg(test)]
    pub fn open_for_test(&mut self, path: &Path) {
        self.open_project(path);
    }

    #[cfg(test)]
    pub fn view(&self) -> &TranscriptView {
        &self.view
    }

    /// What closing the window does to unsaved text.
    #[cfg(test)]
    pub fn flush_for_test(&mut self) {
        self.flush_edits();
    }

    #[cfg(test)]
    pub fn screen(&self) -> Screen {
        self.screen
    }

    #[cfg(test)]
    pub fn has_notice_containing(&self, part: &str) -> bool {
        self.notices.contains(part)
    }

    #[cfg(test)]
    pub fn search_panel(&self) -> &SearchPanel {
        &self.search
    }

    #[cfg(test)]
    pub fn view_mut(&mut self) -> &mut TranscriptView {
        &mut self.view
    }

    #[cfg(test)]
    pub fn project(&self) -> Option<&Project> {
        self.project.as_ref()
    }

    #[cfg(test)]
    pub fn is_importing(&self) -> bool {
        self.import.is_some() || self.dialog.is_some()
    }

    // ----- project -----

    fn open_project(&mut self, path: &Path) {
        self.flush_edits();
        match Project::open(path) {
            Ok(p) => self.set_project(p),
            Err(e) => self.notices.error(e.to_string()),
        }
    }

    fn create_project(&mut self, path: &Path) {
        self.flush_edits();
        match Project::create(path) {
            Ok(p) => {
                self.notices.info(format!("Created {}", path.display()));
                self.set_project(p)
            }
            Err(e) => self.notices.error(e.to_string()),
        }
    }

    fn set_project(&mut self, mut p: Project) {
        let coder = self.prefs.coder.clone().unwrap_or_else(default_coder);
        if let Err(e) = p.set_coder(&coder) {
            self.notices.error(e.to_string());
        }
        let path = p.path().display().to_string();
        self.prefs.recent.retain(|r| r != &path);
        self.prefs.recent.insert(0, path);
        self.prefs.recent.truncate(8);
        self.project = Some(p);
        self.open_doc = None;
        self.view = TranscriptView::default();
        self.codebook = CodebookPanel::default();
        self.search = SearchPanel::default();
        self.agreement = AgreementPanel::default();
        self.analysis = AnalysisPanel::default();
        self.review = CodebookReview::default();
        self.code_dialog = None;
        self.memo = None;
        self.coding_memo = None;
        self.hidden_coders.clear();
        self.version_filter = None;
        self.reload();
    }

    fn close_project(&mut self) {
        self.flush_edits();
        self.project = None;
        self.study = Study::default();
        self.open_doc = None;
        self.view = TranscriptView::default();
        self.memo = None;
        self.code_dialog = None;
        self.screen = Screen::Code;
    }

    /// Reads what the panels show after a change.
    fn reload(&mut self) {
        let Some(p) = &self.project else { return };
        match Study::load(p) {
            Ok(s) => self.study = s,
            Err(e) => self.notices.error(format!("{}: {e}", p.path().display())),
        }
        self.undo_hint = p.undo_target().ok().flatten().map(|e| e.summary);
        self.redo_hint = p.redo_target().ok().flatten().map(|e| e.summary);
        if let Some(d) = &self.open_doc {
            if self.study.document(&d.id).is_some() {
                self.refresh_marks();
            } else {
                self.open_doc = None;
                self.view = TranscriptView::default();
            }
        }
        if let (Some(m), Some(p)) = (&mut self.memo, &self.project) {
            match p.memos(Some((m.target, m.target_id.as_deref()))) {
                Ok(list) => m.load(list),
                Err(e) => self.notices.error(e.to_string()),
            }
        }
    }

    fn open_document(&mut self, id: &str) {
        let Some(p) = &self.project else { return };
        let loaded = (|| -> codeloom::Result<_> { Ok((p.document(id)?, p.document_text(id)?, p.turns(id)?)) })();
        match loaded {
            Ok((d, text, turns)) => {
                let index = CharIndex::new(&text);
                let rows: Vec<TurnRow> = turns
                    .iter()
                    .map(|t| {
                        let body = match (index.char_to_byte(t.start), index.char_to_byte(t.end)) {
                            (Some(s), Some(e)) if s <= e => text[s..e].to_string(),
                            _ => String::new(),
                        };
                        TurnRow {
                            speaker: t.speaker.clone(),
                            time: t.time_start_ms.map(format_clock),
                            start: t.start,
                            end: t.end,
                            text: body,
                        }
                    })
                    .collect();
                self.open_doc = Some(OpenDoc {
                    id: d.id.clone(),
                    name: d.name.clone(),
                    participant: d.participant.clone(),
                    wave: d.wave.clone(),
                    turns: turns.len(),
                    words: text.split_whitespace().count(),
                });
                self.view.set_document(&d.id, rows, index.char_len());
                self.coding_memo = None;
                self.refresh_marks();
            }
            Err(e) => self.notices.error(e.to_string()),
        }
    }

    /// The codings of the open document that the view filters let through.
    fn refresh_marks(&mut self) {
        let (Some(p), Some(d)) = (&self.project, &self.open_doc) else { return };
        let codings = match p.codings(&CodingFilter { document_id: Some(d.id.clone()), ..Default::default() }) {
            Ok(c) => c,
            Err(e) => {
                self.notices.error(e.to_string());
                return;
            }
        };
        let me = p.coder().to_string();
        let marks = codings
            .into_iter()
            .filter(|c| !self.prefs.blind || c.coder == me)
            .filter(|c| !self.hidden_coders.contains(&c.coder))
            .filter(|c| !self.codebook.hidden.contains(&c.code_id))
            .filter(|c| {
                self.version_filter.as_ref().is_none_or(|(v, _)| c.codebook_version_id.as_deref() == Some(v.as_str()))
            })
            .map(|c| Mark {
                code_name: self.study.path(&c.code_id),
                color: self.study.colors.get(&c.code_id).copied().unwrap_or(Color32::GRAY),
                id: c.id,
                code_id: c.code_id,
                coder: c.coder,
                start: c.start,
                end: c.end,
                starred: c.illustrative,
                has_memo: c.memo.is_some(),
            })
            .collect();
        self.view.set_marks(marks);
        if let Some((id, _)) = &self.coding_memo
            && self.view.selected_coding().is_none_or(|m| &m.id != id)
        {
            self.coding_memo = None;
        }
    }

    /// Runs one change on the project, shows its error if it fails, and reloads.
    fn change<T>(&mut self, f: impl FnOnce(&mut Project) -> codeloom::Result<T>) -> Option<T> {
        let p = self.project.as_mut()?;
        let result = f(p);
        match result {
            Ok(v) => {
                self.reload();
                Some(v)
            }
            Err(e) => {
                self.notices.error(e.to_string());
                None
            }
        }
    }

    fn undo(&mut self) {
        self.flush_edits();
        if let Some(e) = self.change(|p| p.undo()) {
            self.notices.info(format!("Undone: {}", e.summary));
        }
    }

    fn redo(&mut self) {
        if let Some(e) = self.change(|p| p.redo()) {
            self.notices.info(format!("Redone: {}", e.summary));
        }
    }

    /// Saves text typed in editors that has not been saved yet.
    fn flush_edits(&mut self) {
        if let Some(a) = self.codebook.flush(&self.study) {
            self.codebook_action(a);
        }
        if let Some(m) = &mut self.memo {
            for a in m.flush() {
                self.memo_action(a);
            }
        }
        if let Some((id, text)) = self.coding_memo.clone() {
            let saved = self.project.as_ref().and_then(|p| p.coding(&id).ok()).and_then(|c| c.memo).unwrap_or_default();
            if saved != text {
                self.change(|p| {
                    p.update_coding(&id, CodingChanges { memo: Some(Some(text.clone())), ..Default::default() })
                });
            }
        }
    }

    // ----- coding -----

    fn note_recent(&mut self, code_id: &str) {
        self.recent_codes.retain(|c| c != code_id);
        self.recent_codes.insert(0, code_id.to_string());
        self.recent_codes.truncate(6);
    }

    fn code_selection(&mut self, code_id: &str) {
        let (Some(doc), Some(sel)) = (&self.open_doc, self.view.selection()) else {
            self.notices.info("Select some text first.");
            return;
        };
        let (start, end) = sel.range();
        let coding = NewCoding {
            document_id: doc.id.clone(),
            start,
            end,
            code_id: code_id.to_string(),
            coder: None,
            memo: None,
            illustrative: false,
        };
        if let Some(applied) = self.change(|p| p.apply_coding(coding)) {
            if let Some(notice) = applied.notice() {
                self.notices.info(notice);
            }
            self.note_recent(code_id);
            self.view.clear_selection();
            self.view.select_coding(Some(applied.id));
        }
    }

    /// Creates a code from a typed name ("Parent / Child" puts it under an existing
    /// parent) and applies it to the selection, as one operation.
    fn code_selection_with_new(&mut self, typed: &str) {
        let (Some(doc), Some(sel)) = (&self.open_doc, self.view.selection()) else {
            self.notices.info("Select some text first.");
            return;
        };
        let (parent_id, name) = match typed.rsplit_once('/') {
            Some((parent, name)) if !name.trim().is_empty() => {
                let parent = parent.trim();
                let found = self.study.codes.iter().find(|c| {
                    self.study.path(&c.id).eq_ignore_ascii_case(parent) || c.name.eq_ignore_ascii_case(parent)
                });
                match found {
                    Some(c) => (Some(c.id.clone()), name.trim().to_string()),
                    None => (None, typed.trim().to_string()),
                }
            }
            _ => (None, typed.trim().to_string()),
        };
        let (start, end) = sel.range();
        let code = NewCode { name, parent_id, ..Default::default() };
        let coding = NewCoding {
            document_id: doc.id.clone(),
            start,
            end,
            code_id: String::new(),
            coder: None,
            memo: None,
            illustrative: false,
        };
        if let Some((code_id, coding_id)) = self.change(|p| p.apply_new_code(code, coding)) {
            self.note_recent(&code_id);
            self.view.clear_selection();
            self.view.select_coding(Some(coding_id));
        }
    }

    fn in_vivo(&mut self) {
        let Some(sel) = self.view.selection() else {
            self.notices.info("Select the words to code in vivo first.");
            return;
        };
        let (s, e) = sel.range();
        let Some(name) = in_vivo_name(&self.view.text_of(s, e)) else {
            self.notices.info("The selection has no words to name a code after.");
            return;
        };
        match self.study.codes.iter().find(|c| c.parent_id.is_none() && c.name.eq_ignore_ascii_case(&name)) {
            Some(c) => {
                let id = c.id.clone();
                self.code_selection(&id)
            }
            None => self.code_selection_with_new(&name),
        }
    }

    fn picker_codes(&self) -> Vec<PickerCode> {
        self.study
            .codes
            .iter()
            .map(|c| PickerCode {
                id: c.id.clone(),
                name: c.name.clone(),
                path: self.study.path(&c.id),
                color: self.study.colors.get(&c.id).copied().unwrap_or(Color32::GRAY),
            })
            .collect()
    }

    fn picker_choice(&mut self, purpose: PickerPurpose, choice: PickerChoice) {
        match (purpose, choice) {
            (PickerPurpose::Apply, PickerChoice::Existing(id)) => self.code_selection(&id),
            (PickerPurpose::Apply, PickerChoice::Create(name)) => self.code_selection_with_new(&name),
            (PickerPurpose::Recode(coding), PickerChoice::Existing(id)) => {
                self.change(|p| {
                    p.update_coding(&coding, CodingChanges { code_id: Some(id.clone()), ..Default::default() })
                });
                self.note_recent(&id);
            }
            (PickerPurpose::Recode(coding), PickerChoice::Create(name)) => {
                let created = self.change(|p| p.create_code(NewCode { name: name.clone(), ..Default::default() }));
                if let Some(id) = created {
                    self.change(|p| {
                        p.update_coding(&coding, CodingChanges { code_id: Some(id), ..Default::default() })
                    });
                }
            }
        }
    }

    fn transcript_event(&mut self, e: TranscriptEvent) {
        match e {
            TranscriptEvent::SelectCoding(id) => {
                self.flush_coding_memo();
                self.view.select_coding(id.clone());
                self.coding_memo = None;
                // The codebook panel shows the selected coding's code and its definition.
                let code = self.view.selected_coding().map(|m| m.code_id.clone());
                if let Some(code) = code
                    && self.codebook.selected.as_deref() != Some(code.as_str())
                {
                    if let Some(a) = self.codebook.flush(&self.study) {
                        self.codebook_action(a);
                    }
                    self.codebook.select(Some(code));
                }
            }
            TranscriptEvent::Resize { id, start, end } => {
                self.change(|p| {
                    p.update_coding(&id, CodingChanges { start: Some(start), end: Some(end), ..Default::default() })
                });
            }
            TranscriptEvent::CodeSelection => self.open_picker(PickerPurpose::Apply),
            TranscriptEvent::InVivo => self.in_vivo(),
            TranscriptEvent::ApplyCode(id) => self.code_selection(&id),
            TranscriptEvent::Recode(id) => {
                self.view.select_coding(Some(id.clone()));
                self.open_picker(PickerPurpose::Recode(id));
            }
            TranscriptEvent::Delete(id) => self.delete_coding(&id),
            TranscriptEvent::ToggleStar(id) => self.toggle_star(&id),
            TranscriptEvent::EditMemo(id) => {
                self.view.select_coding(Some(id));
            }
        }
    }

    fn open_picker(&mut self, purpose: PickerPurpose) {
        if purpose == PickerPurpose::Apply && self.view.selection().is_none() {
            self.notices.info("Select some text first, then press C.");
            return;
        }
        self.picker = Some(CodePicker::new(purpose));
    }

    fn delete_coding(&mut self, id: &str) {
        if self.change(|p| p.delete_coding(id)).is_some() {
            self.view.select_coding(None);
            self.coding_memo = None;
        }
    }

    fn toggle_star(&mut self, id: &str) {
        let starred = self.view.marks().iter().find(|m| m.id == id).is_some_and(|m| m.starred);
        self.change(|p| p.update_coding(id, CodingChanges { illustrative: Some(!starred), ..Default::default() }));
    }

    fn flush_coding_memo(&mut self) {
        if let Some((id, text)) = self.coding_memo.take() {
            let saved = self.project.as_ref().and_then(|p| p.coding(&id).ok()).and_then(|c| c.memo).unwrap_or_default();
            if saved != text {
                self.change(|p| p.update_coding(&id, CodingChanges { memo: Some(Some(text)), ..Default::default() }));
            }
        }
    }

    // ----- other panels -----

    fn codebook_action(&mut self, a: CodebookAction) {
        match a {
            CodebookAction::Create(code) => {
                if let Some(id) = self.change(|p| p.create_code(code)) {
                    self.codebook.select(Some(id));
                }
            }
            CodebookAction::Update(id, changes) => {
                self.change(|p| p.update_code(&id, changes));
            }
            CodebookAction::Delete(id) => {
                if let Some(n) = self.change(|p| p.delete_code(&id)) {
                    self.codebook.select(None);
                    self.notices.info(format!("Deleted the code and {n} codings. Ctrl+Z brings them back."));
                }
            }
            CodebookAction::Memos(id) => {
                let subject = format!("code {}", self.study.path(&id));
                self.open_memos(MemoTarget::Code, Some(id), subject);
            }
            CodebookAction::Merge(id) => self.code_dialog = Some(CodeDialog::Merge(MergeCodesDialog::new([id]))),
            CodebookAction::Split(id) => self.code_dialog = Some(CodeDialog::Split(SplitCodeDialog::new(&id))),
            // A code chosen in the tree heads the context menu's recent codes.
            CodebookAction::Focus(id) => self.note_recent(&id),
        }
        self.refresh_marks();
    }

    fn code_dialog_action(&mut self, a: CodeDialogAction) {
        match a {
            CodeDialogAction::MergeCodes { sources, target } => {
                if let Some(m) = self.change(|p| p.merge_codes(&sources, &target)) {
                    self.codebook.select(Some(target));
                    self.notices.info(format!(
                        "Merged {} codes: {} codings moved, {} duplicates joined, {} child codes moved. Ctrl+Z undoes it.",
                        sources.len(),
                        m.codings_moved,
                        m.duplicates_joined,
                        m.children_moved
                    ));
                }
            }
            CodeDialogAction::SplitCode { code_id, parts, remove_original } => {
                let n = parts.len();
                if self.change(|p| p.split_code(&code_id, parts, remove_original)).is_some() {
                    if remove_original {
                        self.codebook.select(None);
                    }
                    self.notices.info(format!("Split the code into {n} codes. Ctrl+Z undoes it."));
                }
            }
            CodeDialogAction::Cancel => {}
        }
        self.code_dialog = None;
        self.refresh_marks();
    }

    /// Shows a document with chars `[start, end)` in view and flashed.
    fn jump_to(&mut self, document_id: &str, start: usize, end: usize) {
        self.flush_coding_memo();
        if self.open_doc.as_ref().is_none_or(|d| d.id != document_id) {
            self.open_document(document_id);
        }
        if self.open_doc.as_ref().is_some_and(|d| d.id == document_id) {
            self.view.reveal(start, end);
            self.screen = Screen::Code;
        }
    }

    fn search_action(&mut self, a: SearchAction) {
        match a {
            SearchAction::Jump { document_id, start, end } => self.jump_to(&document_id, start, end),
            SearchAction::CodeAll { codings, summary } => {
                let n = codings.len();
                if self.change(|p| p.apply_codings(codings, &summary)).is_some() {
                    self.notices.info(format!("{summary}: {n} codings. Ctrl+Z undoes it."));
                    self.refresh_marks();
                }
            }
        }
    }

    fn review_action(&mut self, a: ReviewAction) {
        match a {
            ReviewAction::SaveVersion { name, note } => {
                if self.change(|p| p.save_codebook_version(&name, &note)).is_some() {
                    self.notices.info(format!("Saved codebook version “{name}”."));
                }
            }
            ReviewAction::WriteFile { path, contents } => match std::fs::write(&path, contents) {
                Ok(()) => self.notices.info(format!("Wrote {}", path.display())),
                Err(e) => self.notices.error(format!("{}: cannot write: {e}", path.display())),
            },
            ReviewAction::Reconcile { other, decisions } => {
                let other = match Project::open(&other) {
                    Ok(o) => o,
                    Err(e) => {
                        self.notices.error(e.to_string());
                        return;
                    }
                };
                if let Some(r) = self.change(|p| p.reconcile_codebook(&other, &decisions)) {
                    let mut text = format!(
                        "Reconciled: {} codes matched, {} added, {} left out; {} codings added, {} already there.",
                        r.codes_matched,
                        r.codes_added.len(),
                        r.codes_skipped.len(),
                        r.codings_added,
                        r.codings_duplicate
                    );
                    if !r.codings_not_merged.is_empty() {
                        text += &format!(
                            " {} codings not brought in: {}",
                            r.codings_not_merged.len(),
                            r.codings_not_merged.join("; ")
                        );
                    }
                    self.notices.info(text);
                    self.refresh_marks();
                }
            }
            ReviewAction::ApplyMerge(plan) => {
                if let Some(r) = self.change(|p| p.merge_copy(&plan)) {
                    self.notices.info(format!(
                        "Merged {}: {} codes added, {} changed, {} removed, {} codings, {} memos.",
                        r.copy,
                        r.codes_added.len(),
                        r.codes_changed.len(),
                        r.codes_removed.len(),
                        r.codings.len(),
                        r.memos_added
                    ));
                    self.refresh_marks();
                }
            }
        }
    }

    fn open_memos(&mut self, target: MemoTarget, target_id: Option<String>, subject: String) {
        if let Some(m) = &mut self.memo {
            let pending = m.flush();
            for a in pending {
                self.memo_action(a);
            }
        }
        self.memo = Some(MemoWindow::new(target, target_id, subject));
        self.reload();
    }

    fn memo_action(&mut self, a: MemoAction) {
        match a {
            MemoAction::Add { target, target_id, title, body } => {
                self.change(|p| p.add_memo(target, target_id.as_deref(), &title, &body));
            }
            MemoAction::Update { id, title, body } => {
                self.change(|p| p.update_memo(&id, &title, &body));
            }
            MemoAction::Delete(id) => {
                self.change(|p| p.delete_memo(&id));
            }
        }
    }

    /// Adds the codes of a codebook file (one undoable operation).
    fn import_codebook(&mut self, path: &Path) {
        self.flush_edits();
        if let Some((r, notes)) = self.change(|p| codeloom::codebook::import_codebook_file(p, path)) {
            let mut text = format!("Imported {} codes from {}", r.created.len(), path.display());
            if !r.already_present.is_empty() {
                text += &format!("; {} were already in the project and left unchanged", r.already_present.len());
            }
            for n in notes {
                text += &format!("\n{n}");
            }
            self.notices.info(text);
            self.refresh_marks();
        }
    }

    /// Writes the codebook as Codeloom JSON, or REFI-QDA when the name ends in `.qdc`.
    fn export_codebook(&mut self, path: &Path) {
        self.flush_edits();
        let Some(p) = &self.project else { return };
        let name = p.path().file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let format = codeloom::codebook::CodebookFormat::for_path(path);
        let written = codeloom::codebook::export_codebook_text(p, format, None, &name)
            .map_err(|e| e.to_string())
            .and_then(|(text, n)| std::fs::write(path, text).map(|()| n).map_err(|e| format!("cannot write: {e}")));
        match written {
            Ok(n) => self.notices.info(format!("Wrote {n} codes to {}", path.display())),
            Err(e) => self.notices.error(format!("{}: {e}", path.display())),
        }
    }

    fn start_import(&mut self, paths: Vec<PathBuf>, ctx: &egui::Context) {
        let Some(p) = &self.project else {
            self.notices.error("Open or create a project before importing transcripts.");
            return;
        };
        if self.import.is_some() {
            self.notices.info("An import is already running; drop the files again when it has finished.");
            return;
        }
        let path = p.path().to_path_buf();
        let coder = p.coder().to_string();
        let (tx, rx) = channel();
        let ctx = ctx.clone();
        let spawned = std::thread::Builder::new().name("import".into()).spawn(move || {
            let result = (|| -> codeloom::Result<ImportReport> {
                let mut project = Project::open(&path)?;
                project.set_coder(&coder)?;
                import::import_paths(&mut project, &paths, None, &mut |pr| {
                    let _ = tx.send(ImportMessage::Progress(pr));
                    ctx.request_repaint();
                })
            })();
            let _ = tx.send(ImportMessage::Finished(result.map_err(|e| e.to_string())));
            ctx.request_repaint();
        });
        match spawned {
            Ok(_) => self.import = Some(ImportJob { rx, progress: None }),
            Err(e) => self.notices.error(format!("cannot start the import: {e}")),
        }
    }

    fn poll_background(&mut self, ctx: &egui::Context) {
        if let Some(d) = &self.dialog
            && let Some(paths) = d.poll()
        {
            let dialog = d.dialog;
            self.dialog = None;
            if let Some(first) = paths.first().cloned() {
                match dialog {
                    Dialog::OpenProject => self.open_project(&first),
                    Dialog::NewProject => self.create_project(&first),
                    Dialog::ImportFiles | Dialog::ImportFolder => self.start_import(paths, ctx),
                    Dialog::ImportCodebook => self.import_codebook(&first),
                    Dialog::ExportCodebook => self.export_codebook(&first),
                }
            }
        }
        let mut finished = None;
        if let Some(job) = &mut self.import {
            while let Ok(m) = job.rx.try_recv() {
                match m {
                    ImportMessage::Progress(p) => job.progress = Some(p),
                    ImportMessage::Finished(r) => finished = Some(r),
                }
            }
        }
        if let Some(result) = finished {
            self.import = None;
            match result {
                Ok(report) => {
                    for f in &report.files {
                        if let FileOutcome::Failed { reason } = &f.outcome {
                            self.notices.error(format!("{}: {reason}", f.path.display()));
                        }
                    }
                    let dup = report.count(|o| matches!(o, FileOutcome::Duplicate { .. }));
                    self.notices.info(format!(
                        "Imported {} documents{}{}",
                        report.imported(),
                        if dup > 0 { format!(", {dup} already in the project") } else { String::new() },
                        if report.failed() > 0 { format!(", {} failed", report.failed()) } else { String::new() }
                    ));
                }
                Err(e) => self.notices.error(e),
            }
            self.reload();
        }
    }

    fn ask(&mut self, dialog: Dialog, ctx: &egui::Context) {
        if self.dialog.is_none() {
            self.dialog = Some(PendingDialog::start(self.chooser.clone(), dialog, ctx.clone()));
        }
    }

    // ----- drawing -----

    /// Draws the whole window.
    pub fn show(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        if !self.themed {
            super::theme::apply(&ctx);
            self.themed = true;
        }
        self.poll_background(&ctx);
        let dropped: Vec<PathBuf> = ctx.input(|i| {
            i.raw.dropped_files.iter().map(|f| f.path().to_path_buf()).filter(|p| !p.as_os_str().is_empty()).collect()
        });
        if !dropped.is_empty() {
            self.start_import(dropped, &ctx);
        }
        self.shortcuts(&ctx);

        egui::Panel::top("menu_bar").show(ui, |ui| self.menu_bar(ui));
        egui::Panel::bottom("status_bar").show(ui, |ui| self.status_bar(ui));
        let coding = self.screen == Screen::Code;
        if self.project.is_some() && coding && self.prefs.show_documents {
            egui::Panel::left("documents").resizable(true).default_size(360.0).show(ui, |ui| {
                let open = self.open_doc.as_ref().map(|d| d.id.clone());
                match self.documents.ui(ui, &self.study, open.as_deref()) {
                    Some(DocumentsAction::Open(id)) => {
                        self.flush_coding_memo();
                        self.open_document(&id)
                    }
                    Some(DocumentsAction::ParticipantMemos(label)) => {
                        let id = self.study.participants.iter().find(|p| p.label == label).map(|p| p.id.clone());
                        self.open_memos(MemoTarget::Participant, id, format!("participant {label}"));
                    }
                    None => {}
                }
            });
        }
        if self.project.is_some() && coding && self.prefs.show_codebook {
            egui::Panel::right("codebook").resizable(true).default_size(340.0).show(ui, |ui| {
                let before = self.codebook.hidden.clone();
                let actions = self.codebook.ui(ui, &self.study);
                for a in actions {
                    self.codebook_action(a);
                }
                if before != self.codebook.hidden {
                    self.refresh_marks();
                }
            });
        }
        egui::CentralPanel::default().show(ui, |ui| match self.screen {
            _ if self.project.is_none() => self.central(ui),
            Screen::Code => self.central(ui),
            Screen::Search => self.search_screen(ui),
            Screen::Agreement => self.agreement_screen(ui),
            Screen::Themes => self.themes_screen(ui),
            Screen::Codebook => self.review_screen(ui),
        });
        self.code_dialog_window(&ctx);

        let codes = if self.picker.is_some() { self.picker_codes() } else { Vec::new() };
        if let Some(picker) = &mut self.picker
            && let Some(outcome) = picker.ui(&ctx, &codes)
        {
            let purpose = picker.purpose.clone();
            self.picker = None;
            if let Some(choice) = outcome {
                self.picker_choice(purpose, choice);
            }
        }
        if let Some(m) = &mut self.memo {
            let (actions, open) = m.ui(&ctx);
            if !open {
                self.memo = None;
            }
            for a in actions {
                self.memo_action(a);
            }
        }
        if ctx.input(|i| !i.raw.hovered_files.is_empty()) {
            egui::Area::new(egui::Id::unique("drop_hint")).anchor(egui::Align2::CENTER_CENTER, [0.0, 0.0]).show(
                &ctx,
                |ui| {
                    egui::Frame::popup(ui.style()).inner_margin(24.0).show(ui, |ui| {
                        ui.heading("Drop to import transcripts into this project");
                    });
                },
            );
        }
        self.notices.ui(&ctx);
    }

    fn shortcuts(&mut self, ctx: &egui::Context) {
        let shortcut = |m: Modifiers, k: Key| ctx.input_mut(|i| i.consume_shortcut(&KeyboardShortcut::new(m, k)));
        if shortcut(Modifiers::COMMAND | Modifiers::SHIFT, Key::Z) || shortcut(Modifiers::COMMAND, Key::Y) {
            self.redo();
        } else if !ctx.egui_wants_keyboard_input() && shortcut(Modifiers::COMMAND, Key::Z) {
            self.undo();
        }
        if shortcut(Modifiers::COMMAND, Key::O) {
            self.ask(Dialog::OpenProject, ctx);
        }
        if shortcut(Modifiers::COMMAND, Key::N) {
            self.ask(Dialog::NewProject, ctx);
        }
        if self.project.is_some() && shortcut(Modifiers::COMMAND, Key::I) {
            self.ask(Dialog::ImportFiles, ctx);
        }
        if self.project.is_some() && shortcut(Modifiers::COMMAND, Key::F) {
            self.find_in_document();
        }
        // Single keys act on the transcript when no text field has the keyboard.
        if ctx.egui_wants_keyboard_input()
            || self.picker.is_some()
            || self.open_doc.is_none()
            || self.screen != Screen::Code
        {
            return;
        }
        let key = |k: Key| ctx.input_mut(|i| i.consume_key(Modifiers::NONE, k));
        if key(Key::C) {
            self.open_picker(PickerPurpose::Apply);
        } else if key(Key::V) {
            self.in_vivo();
        } else if let Some(id) = self.view.selected_coding().map(|m| m.id.clone()) {
            if key(Key::Delete) || key(Key::Backspace) {
                self.delete_coding(&id);
            } else if key(Key::S) {
                self.toggle_star(&id);
            } else if key(Key::R) {
                self.open_picker(PickerPurpose::Recode(id));
            }
        }
    }

    fn menu_bar(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        egui::MenuBar::new().ui(ui, |ui| {
            ui.menu_button("File", |ui| {
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
                let has = self.project.is_some();
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
                if ui.add_enabled(has, egui::Button::new("Project memos…")).clicked() {
                    self.open_memos(MemoTarget::Project, None, "project".into());
                }
                ui.separator();
                if ui.add_enabled(has, egui::Button::new("Close project")).clicked() {
                    self.close_project();
                }
            });
            ui.menu_button("Edit", |ui| {
                let undo = self.undo_hint.clone().map_or("Undo".to_string(), |h| format!("Undo: {h}"));
                if ui.add_enabled(self.undo_hint.is_some(), egui::Button::new(undo).shortcut_text("Ctrl+Z")).clicked() {
                    self.undo();
                }
                let redo = self.redo_hint.clone().map_or("Redo".to_string(), |h| format!("Redo: {h}"));
                if ui
                    .add_enabled(self.redo_hint.is_some(), egui::Button::new(redo).shortcut_text("Ctrl+Shift+Z"))
                    .clicked()
                {
                    self.redo();
                }
            });
            ui.menu_button("View", |ui| {
                ui.checkbox(&mut self.prefs.show_documents, "Documents panel");
                ui.checkbox(&mut self.prefs.show_codebook, "Codebook panel");
                if ui.checkbox(&mut self.prefs.blind, "Show only my codings (blind coding)").changed() {
                    self.refresh_marks();
                }
            });
            ui.separator();
            if self.project.is_some() {
                for (screen, label) in Screen::ALL {
                    if ui.selectable_label(self.screen == screen, label).clicked() && self.screen != screen {
                        self.flush_edits();
                        self.screen = screen;
                    }
                }
                ui.separator();
            }
            match &self.project {
                Some(p) => {
                    ui.weak(p.path().file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default())
                        .on_hover_text(p.path().display().to_string());
                }
                None => {
                    ui.weak("No project open");
                }
            }
        });
    }

    fn status_bar(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            let Some(p) = &self.project else {
                ui.weak("Ctrl+O opens a project · Ctrl+N creates one");
                return;
            };
            let me = p.coder().to_string();
            let mut switch_to = None;
            egui::ComboBox::from_label("coding").selected_text(RichText::new(&me).strong()).show_ui(ui, |ui| {
                for c in &self.study.coders {
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
                if let Some(p) = &mut self.project {
                    match p.set_coder(&name) {
                        Ok(()) => self.prefs.coder = Some(name.clone()),
                        Err(e) => self.notices.error(e.to_string()),
                    }
                }
                self.refresh_marks();
            }
            if ui.checkbox(&mut self.prefs.blind, "Show only my codings").changed() {
                self.refresh_marks();
            }
            let mut coders_changed = false;
            ui.menu_button(
                if self.hidden_coders.is_empty() {
                    "Coders: all".to_string()
                } else {
                    format!("Coders: {} hidden", self.hidden_coders.len())
                },
                |ui| {
                    for c in &self.study.coders {
                        let mut shown = !self.hidden_coders.contains(c);
                        if ui.checkbox(&mut shown, c).changed() {
                            coders_changed = true;
                            if shown {
                                self.hidden_coders.remove(c);
                            } else {
                                self.hidden_coders.insert(c.clone());
                            }
                        }
                    }
                },
            );
            if coders_changed {
                self.refresh_marks();
            }
            let label = match &self.version_filter {
                None => "Versions: all".to_string(),
                Some((_, name)) => format!("Version: {name}"),
            };
            let mut version_changed = false;
            ui.menu_button(label, |ui| {
                if ui.selectable_label(self.version_filter.is_none(), "Codings of every version").clicked() {
                    self.version_filter = None;
                    version_changed = true;
                }
                let versions = self.project.as_ref().map(codeloom::codebook::versions::versions);
                match versions {
                    Some(Ok(list)) => {
                        if list.is_empty() {
                            ui.weak("No saved versions yet (Codebook versions tab)");
                        }
                        for v in list {
                            let on = self.version_filter.as_ref().is_some_and(|(id, _)| id == &v.id);
                            if ui
                                .selectable_label(on, format!("Made under {} ({} codings)", v.name, v.codings))
                                .clicked()
                            {
                                self.version_filter = Some((v.id.clone(), v.name.clone()));
                                version_changed = true;
                            }
                        }
                    }
                    Some(Err(e)) => {
                        ui.label(e.to_string());
                    }
                    None => {}
                }
            });
            if version_changed {
                self.refresh_marks();
            }
            ui.separator();
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
                if let Some(h) = &self.undo_hint {
                    ui.weak(format!("Ctrl+Z: {h}"));
                }
            });
        });
    }

    /// Ctrl+F: search the open document (or every document when none is open).
    fn find_in_document(&mut self) {
        self.flush_edits();
        let scope = match (&self.open_doc, self.screen) {
            (Some(d), Screen::Code) => format!("document:\"{}\" ", d.name.replace('"', "")),
            _ => String::new(),
        };
        if !scope.is_empty() && !self.search.query.starts_with(&scope) {
            self.search.query = scope;
        }
        self.search.focus = true;
        self.screen = Screen::Search;
    }

    fn search_screen(&mut self, ui: &mut egui::Ui) {
        let Some(p) = &self.project else { return };
        if let Some(a) = self.search.ui(ui, p) {
            self.search_action(a);
        }
    }

    fn agreement_screen(&mut self, ui: &mut egui::Ui) {
        if self.agreement.coders.trim().is_empty() {
            self.agreement.coders = self.study.coders.join(", ");
        }
        let Some(p) = &mut self.project else { return };
        let before = p.change_counter().ok();
        let action = self.agreement.ui(ui, p);
        if p.change_counter().ok() != before {
            self.reload();
        }
        if let Some(agreement_panel::Action::JumpTo { document_id, start, end }) = action {
            self.jump_to(&document_id, start, end);
        }
    }

    fn themes_screen(&mut self, ui: &mut egui::Ui) {
        let Some(p) = &self.project else { return };
        if let Some(analysis_panel::Action::JumpTo { document_id, start, end }) = self.analysis.ui(ui, p) {
            self.jump_to(&document_id, start, end);
        }
    }

    fn review_screen(&mut self, ui: &mut egui::Ui) {
        let Some(p) = &self.project else { return };
        if let Some(a) = self.review.ui(ui, p) {
            self.review_action(a);
        }
    }

    fn code_dialog_window(&mut self, ctx: &egui::Context) {
        let (Some(dialog), Some(p)) = (&mut self.code_dialog, &self.project) else { return };
        let mut open = true;
        let title = match dialog {
            CodeDialog::Merge(_) => "Merge codes",
            CodeDialog::Split(_) => "Split a code",
        };
        let action = egui::Window::new(title)
            .open(&mut open)
            .default_size([560.0, 520.0])
            .collapsible(false)
            .show(ctx, |ui| match dialog {
                CodeDialog::Merge(d) => d.ui(ui, p),
                CodeDialog::Split(d) => d.ui(ui, p),
            })
            .and_then(|r| r.inner)
            .flatten();
        if let Some(a) = action {
            self.code_dialog_action(a);
        } else if !open {
            self.code_dialog = None;
        }
    }

    fn central(&mut self, ui: &mut egui::Ui) {
        if self.project.is_none() {
            ui.centered_and_justified(|ui| {
                ui.label(
                    RichText::new(
                        "Open a project (File > Open project…, Ctrl+O) or create one (Ctrl+N).\n\
                         To try Codeloom on a sample study, run `codeloom demo demo.codeloom --open`.",
                    )
                    .size(16.0),
                );
            });
            return;
        }
        let Some(doc) = &self.open_doc else {
            ui.centered_and_justified(|ui| {
                ui.weak("Choose a document on the left to read it.");
            });
            return;
        };
        // Header: the document, one-click jumps to the participant's other waves, memos.
        let mut jump = None;
        let mut memos = false;
        ui.horizontal_wrapped(|ui| {
            ui.heading(&doc.name);
            ui.weak(format!(
                "participant {} · wave {} · {} turns · {} words",
                doc.participant.as_deref().unwrap_or("–"),
                doc.wave.as_deref().unwrap_or("–"),
                doc.turns,
                doc.words
            ));
            if let Some(part) = &doc.participant {
                ui.separator();
                for w in &self.study.waves {
                    if let Some(&i) = self.study.grid.get(&(part.clone(), w.clone())) {
                        let d = &self.study.documents[i];
                        let here = d.document.id == doc.id;
                        if ui.selectable_label(here, w).on_hover_text(format!("Open {}", d.document.name)).clicked()
                            && !here
                        {
                            jump = Some(d.document.id.clone());
                        }
                    }
                }
            }
            ui.separator();
            if ui.button("Document memos…").clicked() {
                memos = true;
            }
        });
        let doc_id = doc.id.clone();
        let doc_name = doc.name.clone();
        self.coding_inspector(ui);
        ui.separator();
        let recent: Vec<(String, String)> = self
            .recent_codes
            .iter()
            .filter(|c| self.study.code(c).is_some())
            .map(|c| (c.clone(), self.study.path(c)))
            .collect();
        let events = self.view.ui(ui, &recent);
        for e in events {
            self.transcript_event(e);
        }
        if let Some(id) = jump {
            self.flush_coding_memo();
            self.open_document(&id);
        }
        if memos {
            self.open_memos(MemoTarget::Document, Some(doc_id), doc_name);
        }
    }

    /// The selected coding: its code, coder, star, memo, and what can be done with it.
    fn coding_inspector(&mut self, ui: &mut egui::Ui) {
        let Some(mark) = self.view.selected_coding().cloned() else {
            let hint = match self.view.selection() {
                Some(s) => {
                    let (a, b) = s.range();
                    format!("{} characters selected · C: code it · V: in vivo · right-click for more", b - a)
                }
                None => "Select text with the mouse (double-click a word, triple-click a turn) or Shift+arrows.".into(),
            };
            ui.weak(hint);
            return;
        };
        if self.coding_memo.as_ref().is_none_or(|(id, _)| id != &mark.id) {
            let memo =
                self.project.as_ref().and_then(|p| p.coding(&mark.id).ok()).and_then(|c| c.memo).unwrap_or_default();
            self.coding_memo = Some((mark.id.clone(), memo));
        }
        let mut action = None;
        egui::Frame::group(ui.style()).fill(super::transcript::tint(mark.color, 0.18)).show(ui, |ui| {
            ui.horizontal_wrapped(|ui| {
                let (r, _) = ui.allocate_exact_size(egui::vec2(12.0, 12.0), egui::Sense::hover());
                ui.painter().rect_filled(r, 3.0, mark.color);
                ui.strong(&mark.code_name);
                ui.weak(format!("by {} · chars {}–{}", mark.coder, mark.start, mark.end));
                if ui
                    .button(if mark.starred { "Starred" } else { "Star" })
                    .on_hover_text("Illustrative quote (S)")
                    .clicked()
                {
                    action = Some(TranscriptEvent::ToggleStar(mark.id.clone()));
                }
                if ui.button("Recode…").on_hover_text("R").clicked() {
                    action = Some(TranscriptEvent::Recode(mark.id.clone()));
                }
                if ui.button("Delete coding").on_hover_text("Delete").clicked() {
                    action = Some(TranscriptEvent::Delete(mark.id.clone()));
                }
                if ui.button("Done").clicked() {
                    action = Some(TranscriptEvent::SelectCoding(None));
                }
            });
            ui.weak("Drag the dark handles at either end to resize it.");
            if let Some((_, text)) = &mut self.coding_memo {
                ui.horizontal(|ui| {
                    ui.label("Memo");
                    let r = ui.add(
                        egui::TextEdit::singleline(text)
                            .desired_width(f32::INFINITY)
                            .hint_text("A note on this coding"),
                    );
                    r.widget_info(|| egui::WidgetInfo::labeled(egui::Role::TextInput, true, "Coding memo"));
                    if r.lost_focus() {
                        action = action.take().or(Some(TranscriptEvent::EditMemo(String::new())));
                    }
                });
            }
        });
        match action {
            Some(TranscriptEvent::EditMemo(_)) => {
                if let Some((id, text)) = self.coding_memo.clone() {
                    let saved =
                        self.project.as_ref().and_then(|p| p.coding(&id).ok()).and_then(|c| c.memo).unwrap_or_default();
                    if saved != text {
                        self.change(|p| {
                            p.update_coding(&id, CodingChanges { memo: Some(Some(text)), ..Default::default() })
                        });
                    }
                }
            }
            Some(e) => self.transcript_event(e),
            None => {}
        }
    }
}

impl eframe::App for App {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.show(ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        self.flush_edits();
        eframe::set_value(storage, PREFS_KEY, &self.prefs);
    }
}
