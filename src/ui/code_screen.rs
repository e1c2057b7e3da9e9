//! The Code screen: documents on the left, the transcript with the selected coding's
//! inspector in the middle, the codebook on the right, and the code picker and code
//! dialogs above them. It owns its panels' state; it reads the [`Study`] while drawing and
//! carries out what the user asked for through the [`Session`], one library operation each.
//! When the open document has a linked recording, the player strip ([`Listen`]) sits above
//! the inspector: the turn being spoken is marked (and followed), turn times, Alt+click and
//! the context menu play from a place, the inspector plays a coding's passage, and "Set
//! sync point here" ties a turn to the player's position.
//! It reads the project file only when a document is opened or a change touched the open
//! document (its text, codings, recording or sync points), never while drawing.

use super::code_dialogs::{CodeDialogAction, MergeCodesDialog, SplitCodeDialog};
use super::codebook::{CodebookAction, CodebookPanel};
use super::documents::{DocumentsAction, DocumentsPanel};
use super::listen::Listen;
use super::meaning::MeaningSettings;
use super::notify::Notices;
use super::picker::{CodePicker, PickerChoice, PickerCode, PickerPurpose, in_vivo_name};
use super::player::PlayerAction;
use super::session::Session;
use super::similar::{SimilarAction, SimilarWindow};
use super::study::Study;
use super::suggest_inbox::{Inbox, InboxAction};
use super::suggestions::{SuggestAction, Suggestions};
use super::transcript::{Mark, TranscriptEvent, TranscriptView, TurnRow, ViewSettings};
use codeloom::Project;
use codeloom::model::words::count;
use codeloom::model::{MemoTarget, offsets::CharIndex, time::format_clock};
use codeloom::store::change_set::ChangeSet;
use codeloom::store::media_ops::SyncPoint;
use codeloom::store::ops::{CodingChanges, NewCode, NewCoding};
use codeloom::store::queries::CodingFilter;
use egui::{Color32, Key, Modifiers, RichText};
use std::collections::HashSet;

/// The height of the strip above the transcript that shows the selected coding.
const INSPECTOR_HEIGHT: f32 = 62.0;
/// Its height while suggestions are shown (a suggestion's reasons take more room).
const SUGGESTION_INSPECTOR_HEIGHT: f32 = 132.0;

/// The open document's header.
pub struct OpenDoc {
    pub id: String,
    pub name: String,
    participant: Option<String>,
    wave: Option<String>,
    turns: usize,
    words: usize,
}

/// A dialog that works on codes of the codebook.
enum CodeDialog {
    Merge(MergeCodesDialog),
    Split(SplitCodeDialog),
}

/// What the Code screen needs the rest of the window for.
#[derive(Debug, Clone, PartialEq)]
pub enum CodeRequest {
    /// Open the memo window on a project, document, participant or code.
    Memos { target: MemoTarget, target_id: Option<String>, subject: String },
    /// Ask for the open document's recording where it is now, and link it again.
    LocateRecording,
}

/// How the screen shows codings, chosen in the status bar and View menu.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Showing {
    pub blind: bool,
    pub settings: ViewSettings,
}

#[derive(Default)]
pub struct CodeScreen {
    pub documents: DocumentsPanel,
    pub codebook: CodebookPanel,
    pub view: TranscriptView,
    pub open_doc: Option<OpenDoc>,
    picker: Option<CodePicker>,
    /// The memo of the selected coding, as edited.
    coding_memo: Option<(String, String)>,
    pub hidden_coders: HashSet<String>,
    /// Show only codings made under this codebook version (ID, name).
    pub version_filter: Option<(String, String)>,
    /// Code IDs, most recently used first (the picker lists them first).
    pub recent_codes: Vec<String>,
    code_dialog: Option<CodeDialog>,
    /// What the transcript shows; set by the window every frame from its preferences.
    pub showing: Option<Showing>,
    /// The open document's recording and the player.
    pub listen: Listen,
    /// The open document's turns and length (the recording's timeline is built from them).
    turns: Vec<codeloom::model::Turn>,
    chars: usize,
    /// Suggested codings learned from the team's codings (the "Suggestions" toggle).
    pub suggest: Suggestions,
    /// The suggestions inbox and the evaluation.
    pub inbox: Inbox,
    /// "Passages like this": the passages most like a selection.
    pub similar: SimilarWindow,
    /// The sentence-embedding model that compares passages by meaning ("Suggestions
    /// settings…").
    pub meaning: MeaningSettings,
    /// The window's context, for work done on other threads to ask for a repaint.
    ctx_for_jobs: egui::Context,
}

impl CodeScreen {
    /// Runs one change and brings the open document's codings up to date with it.
    fn change<T>(
        &mut self,
        s: &mut Session,
        notices: &mut Notices,
        f: impl FnOnce(&mut Project) -> codeloom::Result<T>,
    ) -> Option<T> {
        match s.change(f) {
            Ok((v, changes)) => {
                self.after_change(&changes, s, notices);
                Some(v)
            }
            Err(e) => {
                notices.error(e.to_string());
                None
            }
        }
    }

    /// Brings what the screen shows up to date with a change (this screen's, another
    /// screen's or another process's).
    pub fn after_change(&mut self, changes: &ChangeSet, s: &Session, notices: &mut Notices) {
        if self.suggest.trained() && !changes.is_empty() {
            self.refresh_suggestions(s, notices);
            self.refresh_inbox(s, notices);
        }
        let Some(d) = &self.open_doc else { return };
        if s.study.document(&d.id).is_none() {
            self.open_doc = None;
            self.view = TranscriptView::default();
            self.coding_memo = None;
            self.listen.clear();
            return;
        }
        if changes.documents.contains(&d.id) {
            let id = d.id.clone();
            self.open_document(&id, s, notices);
            return;
        }
        if changes.touches("recordings") || changes.touches("sync_points") {
            let (id, name) = (d.id.clone(), d.name.clone());
            self.listen.load(&s.project, &id, &name, &self.turns, self.chars);
            self.listen.set_marks(self.view.marks());
        }
        if changes.coded_documents.contains(&d.id) || !changes.codes.is_empty() {
            self.refresh_marks(s, notices);
        }
    }

    /// Shows a document in the transcript view.
    pub fn open_document(&mut self, id: &str, s: &Session, notices: &mut Notices) {
        let p = &s.project;
        let loaded = (|| -> codeloom::Result<_> { Ok((p.document(id)?, p.document_text(id)?, p.turns(id)?)) })();
        let (d, text, turns) = match loaded {
            Ok(v) => v,
            Err(e) => return notices.error(e.to_string()),
        };
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
        self.chars = index.char_len();
        self.listen.load(p, &d.id, &d.name, &turns, self.chars);
        self.turns = turns;
        self.refresh_marks(s, notices);
        self.refresh_suggestions(s, notices);
    }

    /// Computes the open document's suggestions again (after the model arrived, another
    /// document was opened, or a change) and gives them to the transcript.
    pub fn refresh_suggestions(&mut self, s: &Session, notices: &mut Notices) {
        let doc = self.open_doc.as_ref().map(|d| d.id.clone());
        if let Err(e) = self.suggest.compute(&s.project, doc.as_deref()) {
            notices.error(e.to_string());
        }
        let keep = self.view.selected_suggestion().map(str::to_string).filter(|id| self.suggest.find(id).is_some());
        self.view.set_suggestions(self.suggest.marks(&s.study));
        self.view.select_suggestion(keep.clone());
        self.suggest.selected = keep;
    }

    /// Carries out what the selected suggestion's inspector (or its keys) asked for.
    fn suggest_action(&mut self, a: SuggestAction, s: &mut Session, n: &mut Notices) {
        match a {
            SuggestAction::Accept(id) => {
                let Some(sc) = self.suggest.find(&id).map(|x| x.to_suggested_coding()) else { return };
                if let Some(coding) = self.change(s, n, |p| p.accept_suggestion(&sc)) {
                    n.info(format!(
                        "Accepted: coded with {}; drag its ends to adjust them. Ctrl+Z undoes it.",
                        s.study.path(&sc.code_id)
                    ));
                    self.select_suggestion(None);
                    self.view.select_coding(Some(coding));
                }
            }
            SuggestAction::Reject(id) => {
                let Some(sc) = self.suggest.find(&id).map(|x| x.to_suggested_coding()) else { return };
                if self.change(s, n, |p| p.reject_suggestion(&sc)).is_some() {
                    n.info("Rejected: it will not be suggested again. Ctrl+Z undoes it.");
                    self.select_suggestion(None);
                }
            }
            SuggestAction::AcceptAbove { code_id, min_score } => {
                let chosen: Vec<_> = self
                    .suggest
                    .shown()
                    .iter()
                    .filter(|x| x.code_id == code_id && x.score >= min_score)
                    .map(|x| x.to_suggested_coding())
                    .collect();
                if let Some(ids) = self.change(s, n, |p| p.accept_suggestions(&chosen)) {
                    n.info(format!("Accepted {}. Ctrl+Z undoes it.", count(ids.len(), "suggestion")));
                    self.select_suggestion(None);
                }
            }
            SuggestAction::Open { document_id, start, end } => {
                self.jump_to(&document_id, start, end, s, n);
            }
        }
    }

    /// Computes the inbox's queue again (its code chosen, the model arrived, a change).
    pub fn refresh_inbox(&mut self, s: &Session, notices: &mut Notices) {
        let Some(code) = self.inbox.code.clone() else { return };
        match self.suggest.inbox(&s.project, &code, self.inbox.wave.as_deref(), &self.inbox.participants) {
            Ok(items) => self.inbox.items = items,
            Err(e) => notices.error(e.to_string()),
        }
    }

    /// Carries out what the inbox window asked for.
    fn inbox_action(&mut self, a: InboxAction, s: &mut Session, n: &mut Notices) {
        match a {
            InboxAction::Choose(code) => {
                self.inbox.code = Some(code);
                self.refresh_inbox(s, n);
            }
            InboxAction::Accept(x) => {
                let sc = x.to_suggested_coding();
                if self.change(s, n, |p| p.accept_suggestion(&sc)).is_some() {
                    n.info(format!("Accepted in {}. Ctrl+Z undoes it.", x.document_name));
                }
            }
            InboxAction::Reject(x) => {
                let sc = x.to_suggested_coding();
                if self.change(s, n, |p| p.reject_suggestion(&sc)).is_some() {
                    n.info("Rejected: it will not be suggested again. Ctrl+Z undoes it.");
                }
            }
            InboxAction::Open { document_id, start, end } => {
                self.jump_to(&document_id, start, end, s, n);
            }
            InboxAction::Narrow { wave, participants } => {
                self.inbox.wave = wave;
                self.inbox.participants = participants;
                self.refresh_inbox(s, n);
            }
            InboxAction::Evaluate => {
                if let Err(e) = self.inbox.evaluate(s.project.path().to_path_buf(), &self.ctx_for_jobs) {
                    n.error(e);
                }
            }
        }
    }

    fn inbox_window(&mut self, ctx: &egui::Context, s: &mut Session, n: &mut Notices) {
        if !self.inbox.open {
            return;
        }
        let codes = self.suggest.trained_codes();
        if let Some(a) = self.inbox.ui(ctx, &s.study, &codes) {
            self.inbox_action(a, s, n);
        }
    }

    fn select_suggestion(&mut self, id: Option<String>) {
        if id.is_some() {
            self.view.select_coding(None);
        }
        self.view.select_suggestion(id.clone());
        self.suggest.selected = id;
    }

    /// Reads the open document's codings and shows those the filters let through.
    pub fn refresh_marks(&mut self, s: &Session, notices: &mut Notices) {
        let Some(d) = &self.open_doc else { return };
        let filter = CodingFilter { document_id: Some(d.id.clone()), ..Default::default() };
        let codings = match s.project.codings(&filter) {
            Ok(c) => c,
            Err(e) => return notices.error(e.to_string()),
        };
        let me = s.project.coder().to_string();
        let blind = self.showing.is_some_and(|w| w.blind);
        let marks = codings
            .into_iter()
            .filter(|c| !blind || c.coder == me)
            .filter(|c| !self.hidden_coders.contains(&c.coder))
            .filter(|c| !self.codebook.hidden.contains(&c.code_id))
            .filter(|c| {
                self.version_filter.as_ref().is_none_or(|(v, _)| c.codebook_version_id.as_deref() == Some(v.as_str()))
            })
            .map(|c| Mark {
                code_name: s.study.path(&c.code_id),
                color: s.study.colors.get(&c.code_id).copied().unwrap_or(Color32::GRAY),
                id: c.id,
                code_id: c.code_id,
                coder: c.coder,
                start: c.start,
                end: c.end,
                starred: c.illustrative,
                memo: c.memo,
            })
            .collect();
        self.view.set_marks(marks);
        self.listen.set_marks(self.view.marks());
        if let Some((id, _)) = &self.coding_memo
            && self.view.selected_coding().is_none_or(|m| &m.id != id)
        {
            self.coding_memo = None;
        }
    }

    /// Saves text typed in the screen's editors that has not been saved yet.
    pub fn flush(&mut self, s: &mut Session, notices: &mut Notices) {
        if let Some(a) = self.codebook.flush(&s.study) {
            self.codebook_action(a, s, notices);
        }
        self.save_coding_memo(true, s, notices);
    }

    fn note_recent(&mut self, code_id: &str) {
        self.recent_codes.retain(|c| c != code_id);
        self.recent_codes.insert(0, code_id.to_string());
        self.recent_codes.truncate(8);
    }

    fn new_coding(&self, code_id: &str) -> Option<NewCoding> {
        let (doc, sel) = (self.open_doc.as_ref()?, self.view.selection()?);
        let (start, end) = sel.range();
        Some(NewCoding {
            document_id: doc.id.clone(),
            start,
            end,
            code_id: code_id.to_string(),
            coder: None,
            memo: None,
            illustrative: false,
        })
    }

    fn code_selection(&mut self, code_id: &str, s: &mut Session, notices: &mut Notices) {
        let Some(coding) = self.new_coding(code_id) else {
            return notices.info("Select some text first.");
        };
        if let Some(applied) = self.change(s, notices, |p| p.apply_coding(coding)) {
            if let Some(notice) = applied.notice() {
                notices.info(notice);
            }
            self.note_recent(code_id);
            self.view.clear_selection();
            self.view.select_coding(Some(applied.id));
        }
    }

    /// Creates a code from a typed name ("Parent / Child" puts it under an existing
    /// parent) and applies it to the selection, as one operation.
    fn code_selection_with_new(&mut self, typed: &str, s: &mut Session, notices: &mut Notices) {
        let Some(coding) = self.new_coding("") else {
            return notices.info("Select some text first.");
        };
        let code = new_code_from_path(typed, &s.study);
        if let Some((code_id, coding_id)) = self.change(s, notices, |p| p.apply_new_code(code, coding)) {
            self.note_recent(&code_id);
            self.view.clear_selection();
            self.view.select_coding(Some(coding_id));
        }
    }

    fn in_vivo(&mut self, s: &mut Session, notices: &mut Notices) {
        let Some(sel) = self.view.selection() else {
            return notices.info("Select the words to code in vivo first.");
        };
        let (a, b) = sel.range();
        let Some(name) = in_vivo_name(&self.view.text_of(a, b)) else {
            return notices.info("The selection has no words to name a code after.");
        };
        let existing = s.study.codes.iter().find(|c| c.parent_id.is_none() && c.name.eq_ignore_ascii_case(&name));
        match existing.map(|c| c.id.clone()) {
            Some(id) => self.code_selection(&id, s, notices),
            None => self.code_selection_with_new(&name, s, notices),
        }
    }

    fn picker_codes(study: &Study) -> Vec<PickerCode> {
        study
            .codes
            .iter()
            .map(|c| PickerCode {
                id: c.id.clone(),
                name: c.name.clone(),
                path: study.path(&c.id),
                color: study.colors.get(&c.id).copied().unwrap_or(Color32::GRAY),
            })
            .collect()
    }

    fn picker_choice(&mut self, purpose: PickerPurpose, choice: PickerChoice, s: &mut Session, n: &mut Notices) {
        match (purpose, choice) {
            (PickerPurpose::Apply, PickerChoice::Existing(id)) => self.code_selection(&id, s, n),
            (PickerPurpose::Apply, PickerChoice::Create(name)) => self.code_selection_with_new(&name, s, n),
            (PickerPurpose::Recode(coding), PickerChoice::Existing(id)) => {
                let recode = CodingChanges { code_id: Some(id.clone()), ..Default::default() };
                self.change(s, n, |p| p.update_coding(&coding, recode));
                self.note_recent(&id);
            }
            (PickerPurpose::Recode(coding), PickerChoice::Create(name)) => {
                let code = new_code_from_path(&name, &s.study);
                let made = self.change(s, n, |p| p.recode_to_new_code(&coding, code));
                if let Some(id) = made {
                    self.note_recent(&id);
                }
            }
        }
    }

    fn transcript_event(&mut self, e: TranscriptEvent, s: &mut Session, n: &mut Notices) {
        match e {
            TranscriptEvent::SelectCoding(id) => {
                self.save_coding_memo(false, s, n);
                if id.is_some() {
                    self.select_suggestion(None);
                }
                self.view.select_coding(id.clone());
                // The codebook panel shows the selected coding's code and its definition.
                let code = self.view.selected_coding().map(|m| m.code_id.clone());
                if let Some(code) = code
                    && self.codebook.selected.as_deref() != Some(code.as_str())
                {
                    if let Some(a) = self.codebook.flush(&s.study) {
                        self.codebook_action(a, s, n);
                    }
                    self.codebook.select(Some(code));
                }
            }
            TranscriptEvent::Resize { id, start, end } => {
                let resized = CodingChanges { start: Some(start), end: Some(end), ..Default::default() };
                self.change(s, n, |p| p.update_coding(&id, resized));
            }
            TranscriptEvent::CodeSelection => self.open_picker(PickerPurpose::Apply, n),
            TranscriptEvent::InVivo => self.in_vivo(s, n),
            TranscriptEvent::ApplyCode(id) => self.code_selection(&id, s, n),
            TranscriptEvent::Recode(id) => {
                self.view.select_coding(Some(id.clone()));
                self.open_picker(PickerPurpose::Recode(id), n);
            }
            TranscriptEvent::Delete(id) => self.delete_coding(&id, s, n),
            TranscriptEvent::ToggleStar(id) => self.toggle_star(&id, s, n),
            TranscriptEvent::EditMemo(id) => self.view.select_coding(Some(id)),
            TranscriptEvent::PlayFrom(c) => {
                if let Some(ms) = self.listen.time_at(c) {
                    self.listen.act(vec![PlayerAction::PlayFrom(ms)]);
                }
            }
            TranscriptEvent::SyncHere(c) => self.sync_here(c, s, n),
            TranscriptEvent::MoveSyncHere(c) => self.move_sync_here(c, s, n),
            TranscriptEvent::RemoveSync(c) => self.remove_sync(c, s, n),
            TranscriptEvent::SelectSuggestion(id) => self.select_suggestion(id),
            TranscriptEvent::FindSimilar => self.find_similar(s, n),
        }
    }

    /// "Find similar passages": looks for the passages like the selection on a thread of
    /// its own and opens "Passages like this".
    fn find_similar(&mut self, s: &Session, n: &mut Notices) {
        let (Some(doc), Some(sel)) = (&self.open_doc, self.view.selection()) else {
            return n.info("Select some text first.");
        };
        let (start, end) = sel.range();
        let path = s.project.path().to_path_buf();
        let model = self.meaning.model();
        if let Err(e) = self.similar.find(path, (doc.id.clone(), start, end), model, &self.ctx_for_jobs) {
            n.error(e);
        }
    }

    /// Carries out what "Passages like this" asked for.
    fn similar_action(&mut self, a: SimilarAction, s: &mut Session, n: &mut Notices) {
        match a {
            SimilarAction::Open { document_id, start, end } => {
                self.jump_to(&document_id, start, end, s, n);
            }
            SimilarAction::Code(code_id) => {
                let codings: Vec<NewCoding> = self
                    .similar
                    .ticked()
                    .into_iter()
                    .map(|p| NewCoding {
                        document_id: p.document_id.clone(),
                        start: p.start,
                        end: p.end,
                        code_id: code_id.clone(),
                        coder: None,
                        memo: None,
                        illustrative: false,
                    })
                    .collect();
                let summary = format!("Code similar passages as {}", s.study.path(&code_id));
                if let Some(applied) = self.change(s, n, |p| p.apply_codings(codings, &summary)) {
                    n.info(format!(
                        "Coded {} with {}. Ctrl+Z undoes it.",
                        count(applied.ids.len(), "passage"),
                        s.study.path(&code_id)
                    ));
                    self.note_recent(&code_id);
                    self.similar.chosen.iter_mut().for_each(|c| *c = false);
                }
            }
        }
    }

    fn similar_window(&mut self, ctx: &egui::Context, s: &mut Session, n: &mut Notices) {
        if let Some(Err(e)) = self.similar.poll() {
            n.error(format!("The similar passages could not be found: {e}"));
        }
        if !self.similar.open {
            return;
        }
        if let Some(a) = self.similar.ui(ctx, &s.study) {
            self.similar_action(a, s, n);
        }
    }

    /// "Set sync point here": the turn holding `c` starts at the recording's current position.
    fn sync_here(&mut self, c: usize, s: &mut Session, n: &mut Notices) {
        let Some((doc, position, time_ms)) = self.listen.sync_point_here(c) else {
            return n.info("Open the recording first: the sync point takes the player's position.");
        };
        if self.change(s, n, |p| p.set_sync_point(&doc, SyncPoint { position, time_ms })).is_some() {
            n.info(format!("This turn now starts at {} in the recording. Ctrl+Z undoes it.", format_clock(time_ms)));
        }
    }

    /// "Move sync point to the player's position": the sync point of the turn holding `c`
    /// keeps its character and takes the recording's current position.
    fn move_sync_here(&mut self, c: usize, s: &mut Session, n: &mut Notices) {
        let (Some((id, point)), Some(time_ms)) = (self.listen.sync_point_in_turn(c), self.listen.position_ms()) else {
            return n.info("Open the recording first: the sync point takes the player's position.");
        };
        let to = SyncPoint { position: point.position, time_ms };
        if self.change(s, n, |p| p.move_sync_point(&id, to)).is_some() {
            n.info(format!("The sync point now ties this turn to {}. Ctrl+Z undoes it.", format_clock(time_ms)));
        }
    }

    /// "Remove sync point": the turn holding `c` loses its sync point.
    fn remove_sync(&mut self, c: usize, s: &mut Session, n: &mut Notices) {
        let Some((id, _)) = self.listen.sync_point_in_turn(c) else {
            return n.info("This turn has no sync point.");
        };
        if self.change(s, n, |p| p.remove_sync_point(&id)).is_some() {
            n.info("Sync point removed. Ctrl+Z undoes it.");
        }
    }

    /// The player's keys, when the open document's recording can be played. The window
    /// calls this only when no text field has the keyboard.
    pub fn player_keys(&mut self, ctx: &egui::Context) {
        self.listen.keys(ctx);
    }

    fn open_picker(&mut self, purpose: PickerPurpose, notices: &mut Notices) {
        if purpose == PickerPurpose::Apply && self.view.selection().is_none() {
            return notices.info("Select some text first, then press C.");
        }
        self.picker = Some(CodePicker::new(purpose));
    }

    fn delete_coding(&mut self, id: &str, s: &mut Session, n: &mut Notices) {
        if self.change(s, n, |p| p.delete_coding(id)).is_some() {
            self.view.select_coding(None);
            self.coding_memo = None;
        }
    }

    fn toggle_star(&mut self, id: &str, s: &mut Session, n: &mut Notices) {
        let starred = self.view.marks().iter().find(|m| m.id == id).is_some_and(|m| m.starred);
        self.change(s, n, |p| {
            p.update_coding(id, CodingChanges { illustrative: Some(!starred), ..Default::default() })
        });
    }

    /// Saves the memo typed for the selected coding if it differs from the stored one;
    /// `keep` leaves the editor open on it.
    fn save_coding_memo(&mut self, keep: bool, s: &mut Session, n: &mut Notices) {
        let Some((id, text)) = (if keep { self.coding_memo.clone() } else { self.coding_memo.take() }) else {
            return;
        };
        let saved = self.view.marks().iter().find(|m| m.id == id).map(|m| m.memo.clone().unwrap_or_default());
        if saved.is_some_and(|saved| saved != text) {
            self.change(s, n, |p| p.update_coding(&id, CodingChanges { memo: Some(Some(text)), ..Default::default() }));
        }
    }

    fn codebook_action(&mut self, a: CodebookAction, s: &mut Session, n: &mut Notices) -> Option<CodeRequest> {
        match a {
            CodebookAction::Create(code) => {
                if let Some(id) = self.change(s, n, |p| p.create_code(code)) {
                    self.codebook.select(Some(id));
                }
            }
            CodebookAction::Update(id, changes) => {
                self.change(s, n, |p| p.update_code(&id, changes));
            }
            CodebookAction::Delete(id) => {
                if let Some(k) = self.change(s, n, |p| p.delete_code(&id)) {
                    self.codebook.select(None);
                    n.info(format!("Deleted the code and {}. Ctrl+Z brings them back.", count(k, "coding")));
                }
            }
            CodebookAction::Memos(id) => {
                let subject = format!("code {}", s.study.path(&id));
                return Some(CodeRequest::Memos { target: MemoTarget::Code, target_id: Some(id), subject });
            }
            CodebookAction::Merge(id) => self.code_dialog = Some(CodeDialog::Merge(MergeCodesDialog::new([id]))),
            CodebookAction::Split(id) => match SplitCodeDialog::load(&id, &s.project) {
                Ok(d) => self.code_dialog = Some(CodeDialog::Split(d)),
                Err(e) => n.error(e.to_string()),
            },
            // A code chosen in the tree heads the picker's and the context menu's recent codes.
            CodebookAction::Focus(id) => self.note_recent(&id),
        }
        None
    }

    fn code_dialog_action(&mut self, a: CodeDialogAction, s: &mut Session, n: &mut Notices) {
        match a {
            CodeDialogAction::MergeCodes { sources, target } => {
                if let Some(m) = self.change(s, n, |p| p.merge_codes(&sources, &target)) {
                    self.codebook.select(Some(target));
                    n.info(format!(
                        "Merged {}: {} moved, {} joined, {} moved. Ctrl+Z undoes it.",
                        count(sources.len(), "code"),
                        count(m.codings_moved, "coding"),
                        count(m.duplicates_joined, "duplicate"),
                        count(m.children_moved, "child code")
                    ));
                }
            }
            CodeDialogAction::SplitCode { code_id, parts, remove_original } => {
                let k = parts.len();
                if self.change(s, n, |p| p.split_code(&code_id, parts, remove_original)).is_some() {
                    if remove_original {
                        self.codebook.select(None);
                    }
                    n.info(format!("Split the code into {}. Ctrl+Z undoes it.", count(k, "code")));
                }
            }
            CodeDialogAction::Cancel => {}
        }
        self.code_dialog = None;
    }

    /// Shows chars `[start, end)` of a document, scrolled into view and flashed.
    pub fn jump_to(&mut self, document_id: &str, start: usize, end: usize, s: &mut Session, n: &mut Notices) -> bool {
        self.save_coding_memo(false, s, n);
        if self.open_doc.as_ref().is_none_or(|d| d.id != document_id) {
            self.open_document(document_id, s, n);
        }
        let there = self.open_doc.as_ref().is_some_and(|d| d.id == document_id);
        if there {
            self.view.reveal(start, end);
        }
        there
    }

    /// The single keys of coding: C, V, and on a selected coding Delete, S and R. The
    /// window calls this only when no text field has the keyboard.
    pub fn keys(&mut self, ctx: &egui::Context, s: &mut Session, n: &mut Notices) {
        if self.picker.is_some() || self.open_doc.is_none() {
            return;
        }
        let key = |k: Key| ctx.input_mut(|i| i.consume_key(Modifiers::NONE, k));
        if let Some(id) = self.suggest.selected().map(|x| x.id.clone()) {
            if key(Key::Enter) || key(Key::A) {
                return self.suggest_action(SuggestAction::Accept(id), s, n);
            } else if key(Key::X) {
                return self.suggest_action(SuggestAction::Reject(id), s, n);
            }
        }
        if key(Key::C) {
            self.open_picker(PickerPurpose::Apply, n);
        } else if key(Key::V) {
            self.in_vivo(s, n);
        } else if let Some(id) = self.view.selected_coding().map(|m| m.id.clone()) {
            if key(Key::Delete) || key(Key::Backspace) {
                self.delete_coding(&id, s, n);
            } else if key(Key::S) {
                self.toggle_star(&id, s, n);
            } else if key(Key::R) {
                self.open_picker(PickerPurpose::Recode(id), n);
            }
        }
    }

    /// Draws the screen's side panels, centre and windows; returns what the window must do.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        s: &mut Session,
        n: &mut Notices,
        panels: (bool, bool),
    ) -> Option<CodeRequest> {
        let mut request = None;
        self.ctx_for_jobs = ui.ctx().clone();
        if panels.0 {
            egui::Panel::left("documents").resizable(true).default_size(420.0).show(ui, |ui| {
                let open = self.open_doc.as_ref().map(|d| d.id.clone());
                match self.documents.ui(ui, &s.study, open.as_deref()) {
                    Some(DocumentsAction::Open(id)) => {
                        self.save_coding_memo(false, s, n);
                        self.open_document(&id, s, n)
                    }
                    Some(DocumentsAction::ParticipantMemos(label)) => {
                        let id = s.study.participants.iter().find(|p| p.label == label).map(|p| p.id.clone());
                        request = Some(CodeRequest::Memos {
                            target: MemoTarget::Participant,
                            target_id: id,
                            subject: format!("participant {label}"),
                        });
                    }
                    None => {}
                }
            });
        }
        if panels.1 {
            egui::Panel::right("codebook").resizable(true).default_size(340.0).show(ui, |ui| {
                let before = self.codebook.hidden.clone();
                for a in self.codebook.ui(ui, &s.study) {
                    request = self.codebook_action(a, s, n).or(request.take());
                }
                if before != self.codebook.hidden {
                    self.refresh_marks(s, n);
                }
            });
        }
        egui::CentralPanel::default().show(ui, |ui| {
            if let Some(r) = self.central(ui, s, n) {
                request = Some(r);
            }
        });
        let ctx = ui.ctx().clone();
        self.code_dialog_window(&ctx, s, n);
        self.picker_window(&ctx, s, n);
        self.inbox_window(&ctx, s, n);
        self.similar_window(&ctx, s, n);
        request
    }

    fn picker_window(&mut self, ctx: &egui::Context, s: &mut Session, n: &mut Notices) {
        let Some(picker) = &mut self.picker else { return };
        let codes = Self::picker_codes(&s.study);
        if let Some(outcome) = picker.ui(ctx, &codes, &self.recent_codes) {
            let purpose = picker.purpose.clone();
            self.picker = None;
            if let Some(choice) = outcome {
                self.picker_choice(purpose, choice, s, n);
            }
        }
    }

    fn code_dialog_window(&mut self, ctx: &egui::Context, s: &mut Session, n: &mut Notices) {
        let Some(dialog) = &mut self.code_dialog else { return };
        let mut open = true;
        let title = match dialog {
            CodeDialog::Merge(_) => "Merge codes",
            CodeDialog::Split(_) => "Split a code",
        };
        let study = &s.study;
        let action = egui::Window::new(title)
            .open(&mut open)
            .default_size([560.0, 520.0])
            .collapsible(false)
            .show(ctx, |ui| match dialog {
                CodeDialog::Merge(d) => d.ui(ui, study),
                CodeDialog::Split(d) => d.ui(ui, study),
            })
            .and_then(|r| r.inner)
            .flatten();
        if let Some(a) = action {
            self.code_dialog_action(a, s, n);
        } else if !open {
            self.code_dialog = None;
        }
    }

    fn central(&mut self, ui: &mut egui::Ui, s: &mut Session, n: &mut Notices) -> Option<CodeRequest> {
        let Some(doc) = &self.open_doc else {
            ui.centered_and_justified(|ui| {
                ui.weak("Choose a document on the left to read it.");
            });
            return None;
        };
        // Header: the document, one-click jumps to the participant's other waves, memos.
        let mut jump = None;
        let mut memos = false;
        ui.horizontal_wrapped(|ui| {
            ui.heading(&doc.name);
            ui.weak(format!(
                "participant {} · wave {} · {} · {}",
                doc.participant.as_deref().unwrap_or("–"),
                doc.wave.as_deref().unwrap_or("–"),
                count(doc.turns, "turn"),
                count(doc.words, "word")
            ));
            if let Some(part) = &doc.participant {
                ui.separator();
                for w in &s.study.waves {
                    if let Some(&i) = s.study.grid.get(&(part.clone(), w.clone())) {
                        let d = &s.study.documents[i];
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
        let (doc_id, doc_name) = (doc.id.clone(), doc.name.clone());
        let locate = self.listen.linked() && self.listen.strip(ui).contains(&PlayerAction::Locate);
        if let Some(file) = self.listen.relink.take() {
            let linked = self.change(s, n, |p| codeloom::media::link::link_file(p, &doc_id, &file));
            if linked.is_some() {
                n.info(format!("The recording is now linked at {}. Ctrl+Z undoes it.", file.display()));
            }
        }
        self.coding_inspector(ui, s, n);
        let recent: Vec<(String, String)> = self
            .recent_codes
            .iter()
            .filter(|c| s.study.code(c).is_some())
            .map(|c| (c.clone(), s.study.path(c)))
            .collect();
        if let Some(w) = self.showing {
            self.view.settings = w.settings;
        }
        self.view.playable = self.listen.playable();
        self.listen.copy_sync_positions(&mut self.view.sync_positions);
        self.view.set_spoken(self.listen.spoken_turn(), self.listen.follow && self.listen.is_playing());
        for e in self.view.ui(ui, &recent) {
            self.transcript_event(e, s, n);
        }
        if let Some(id) = jump {
            self.save_coding_memo(false, s, n);
            self.open_document(&id, s, n);
        }
        if locate {
            return Some(CodeRequest::LocateRecording);
        }
        memos.then_some(CodeRequest::Memos { target: MemoTarget::Document, target_id: Some(doc_id), subject: doc_name })
    }

    /// The selected coding (its code, coder, star, memo, and what can be done with it), or
    /// a hint, in a strip of fixed height above the transcript, so that selecting a coding
    /// never moves the text under the pointer.
    fn coding_inspector(&mut self, ui: &mut egui::Ui, s: &mut Session, n: &mut Notices) {
        let height = if self.suggest.on { SUGGESTION_INSPECTOR_HEIGHT } else { INSPECTOR_HEIGHT };
        let (rect, _) = ui.allocate_exact_size(egui::vec2(ui.available_width(), height), egui::Sense::hover());
        let layout = egui::Layout::top_down(egui::Align::Min);
        // A child that does not report its size to the panel: whatever it holds, the
        // transcript below starts at the same place.
        let mut strip =
            ui.new_child(egui::UiBuilder::new().max_rect(rect.shrink2(egui::vec2(6.0, 4.0))).layout(layout));
        strip.set_clip_rect(rect.intersect(ui.clip_rect()));
        if self.suggest.selected().is_some() {
            strip.painter().rect_filled(rect, 4.0, Color32::from_gray(246));
            if let Some(a) = self.suggest.inspector(&mut strip, &s.study) {
                self.suggest_action(a, s, n);
            }
            return;
        }
        match self.view.selected_coding().cloned() {
            Some(mark) => {
                strip.painter().rect_filled(rect, 4.0, super::transcript::tint(mark.color, 0.18));
                self.inspector_contents(&mut strip, &mark, s, n);
            }
            None => {
                let hint = match self.view.selection() {
                    Some(sel) => {
                        let (a, b) = sel.range();
                        format!(
                            "{} selected · C: code it · V: in vivo · right-click for more",
                            count(b - a, "character")
                        )
                    }
                    None if self.suggest.trained() => "Dashed outlines are suggested codings: click one to see why it \
                             was suggested, then Enter or A accepts it and X rejects it."
                        .into(),
                    None => "Select text with the mouse (double-click a word, triple-click a turn) or Shift+arrows; \
                             click a highlight or a margin stripe to select a coding."
                        .into(),
                };
                strip.add_space(6.0);
                strip.weak(hint);
            }
        }
    }

    fn inspector_contents(&mut self, ui: &mut egui::Ui, mark: &Mark, s: &mut Session, n: &mut Notices) {
        if self.coding_memo.as_ref().is_none_or(|(id, _)| id != &mark.id) {
            self.coding_memo = Some((mark.id.clone(), mark.memo.clone().unwrap_or_default()));
        }
        let mut action = None;
        let mut play = None;
        // The buttons keep their place on the right; the code's name gives way (it is cut
        // with an ellipsis, in full on hover) when the column is narrow.
        egui::Sides::new().shrink_left().truncate().show(
            ui,
            |ui| {
                let (r, _) = ui.allocate_exact_size(egui::vec2(12.0, 12.0), egui::Sense::hover());
                ui.painter().rect_filled(r, 3.0, mark.color);
                ui.add(egui::Label::new(RichText::new(&mark.code_name).strong()).truncate()).on_hover_text(format!(
                    "{}\nby {} · chars {}–{}",
                    mark.code_name, mark.coder, mark.start, mark.end
                ));
                ui.weak(format!("by {}", mark.coder))
                    .on_hover_text("Drag the dark handles at either end of the passage to resize it.");
            },
            |ui| {
                if ui.button("Done").on_hover_text("Esc").clicked() {
                    action = Some(TranscriptEvent::SelectCoding(None));
                }
                if self.listen.playable()
                    && let Some((from, to)) = self.listen.range_time(mark.start, mark.end)
                    && ui
                        .button("Play this passage")
                        .on_hover_text(format!("{} to {}", format_clock(from), format_clock(to)))
                        .clicked()
                {
                    play = Some((from, to));
                }
                if ui.button("Delete coding").on_hover_text("Delete").clicked() {
                    action = Some(TranscriptEvent::Delete(mark.id.clone()));
                }
                if ui.button("Recode…").on_hover_text("R").clicked() {
                    action = Some(TranscriptEvent::Recode(mark.id.clone()));
                }
                let star = if mark.starred { "Starred" } else { "Star" };
                if ui.button(star).on_hover_text("Illustrative quote (S)").clicked() {
                    action = Some(TranscriptEvent::ToggleStar(mark.id.clone()));
                }
            },
        );
        let mut memo_done = false;
        if let Some((_, text)) = &mut self.coding_memo {
            ui.horizontal(|ui| {
                ui.label("Memo");
                let r = ui.add(
                    egui::TextEdit::singleline(text).desired_width(f32::INFINITY).hint_text("A note on this coding"),
                );
                r.widget_info(|| egui::WidgetInfo::labeled(egui::Role::TextInput, true, "Coding memo"));
                memo_done = r.lost_focus();
            });
        }
        if memo_done {
            self.save_coding_memo(true, s, n);
        }
        if let Some(e) = action {
            self.transcript_event(e, s, n);
        }
        if let Some((from, to)) = play {
            self.listen.act(vec![PlayerAction::PlayRange { from, to }]);
        }
    }
}

/// A new code from a typed name: "Parent / Child" puts it under the existing code named
/// "Parent" (by path or name); otherwise the whole text is a top-level code's name.
fn new_code_from_path(typed: &str, study: &Study) -> NewCode {
    if let Some((parent, name)) = typed.rsplit_once('/')
        && !name.trim().is_empty()
    {
        let parent = parent.trim();
        let found = study
            .codes
            .iter()
            .find(|c| study.path(&c.id).eq_ignore_ascii_case(parent) || c.name.eq_ignore_ascii_case(parent));
        if let Some(c) = found {
            return NewCode { name: name.trim().to_string(), parent_id: Some(c.id.clone()), ..Default::default() };
        }
    }
    NewCode { name: typed.trim().to_string(), ..Default::default() }
}
