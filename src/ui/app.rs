//! The workbench window's shell: it holds the open [`Session`] and the screens, routes what
//! the screens and menus ask for to the library, and keeps the screens up to date with each
//! change's change set (its own, and another process's, noticed once a second). The menus,
//! status bar and shortcuts are in `chrome.rs`; each screen is a file of its own.
//!
//! Changes are saved as they are made (each is one operation in the project file); unsaved
//! text in memo and code editors is saved before any other action and when the window closes.

use super::agreement::{self as agreement_panel, AgreementPanel};
use super::analysis::{self as analysis_panel, AnalysisPanel};
use super::assignments::AssignmentAction;
use super::code_screen::{CodeRequest, CodeScreen, Showing};
use super::codebook_review::{CodebookReview, ReviewAction};
use super::files::{DesktopChooser, Dialog, FileChooser, PendingDialog};
use super::meaning::MeaningAction;
use super::memos::{MemoAction, MemoWindow};
use super::notify::Notices;
use super::player::{PlayerKeys, PlayerView};
use super::search::{SearchAction, SearchPanel};
use super::session::Session;
#[cfg(test)]
use super::transcript::TranscriptView;
use super::transcript::ViewSettings;
use codeloom::Project;
use codeloom::import::{self, FileOutcome, ImportProgress, ImportReport};
use codeloom::model::MemoTarget;
use codeloom::model::words::count;
use codeloom::output::Protect;
use codeloom::store::change_set::ChangeSet;
use codeloom::store::open::{ALWAYS_CHECK_BYTES, Upkeep, UpkeepDone};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

pub(super) const PREFS_KEY: &str = "codeloom_prefs";

/// How often the window looks for changes another process made to the open project.
const WATCH_EVERY: Duration = Duration::from_secs(1);

/// What the application remembers between runs (the project data lives in the project).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Prefs {
    pub recent: Vec<String>,
    pub coder: Option<String>,
    pub blind: bool,
    pub show_documents: bool,
    pub show_codebook: bool,
    /// Code names beside the margin stripes (when the window is wide enough).
    pub margin_labels: bool,
    /// Mouse selections take whole words.
    pub snap_to_words: bool,
    /// The recording player's keys.
    pub player_keys: PlayerKeys,
}

impl Default for Prefs {
    fn default() -> Self {
        Prefs {
            recent: Vec::new(),
            coder: None,
            blind: false,
            show_documents: true,
            show_codebook: true,
            margin_labels: true,
            snap_to_words: true,
            player_keys: PlayerKeys::default(),
        }
    }
}

/// An import running on a worker thread.
pub(super) struct ImportJob {
    rx: Receiver<ImportMessage>,
    pub(super) progress: Option<ImportProgress>,
}

enum ImportMessage {
    Progress(ImportProgress),
    Finished(Result<ImportReport, String>),
}

/// The day's damage check and backup of a large project, on a worker thread of its own
/// so that the window shows the study at once ([`Project::open_leaving_upkeep`]).
pub(super) struct UpkeepJob {
    rx: Receiver<codeloom::Result<UpkeepDone>>,
    /// The project file it is of.
    path: PathBuf,
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

/// The workbench application.
pub struct App {
    pub(super) screen: Screen,
    pub(super) session: Option<Session>,
    pub(super) code: CodeScreen,
    pub(super) search: SearchPanel,
    pub(super) agreement: AgreementPanel,
    pub(super) analysis: AnalysisPanel,
    pub(super) review: CodebookReview,
    pub(super) memo: Option<MemoWindow>,
    pub(super) notices: Notices,
    chooser: Arc<dyn FileChooser>,
    dialog: Option<PendingDialog>,
    pub(super) import: Option<ImportJob>,
    pub(super) upkeep: Option<UpkeepJob>,
    /// Projects larger than this many bytes are checked and backed up after they open.
    pub(super) upkeep_above: u64,
    pub(super) prefs: Prefs,
    pub(super) new_coder: String,
    themed: bool,
    last_watch: Option<Instant>,
    /// The window's title as last set (it says so while a recording plays).
    pub(super) title: String,
}

impl App {
    pub fn new(cc: &eframe::CreationContext<'_>, project: Option<PathBuf>, document: Option<String>) -> Self {
        let prefs: Prefs = cc.storage.and_then(|s| eframe::get_value(s, PREFS_KEY)).unwrap_or_default();
        let mut app = App::with(prefs, Arc::new(DesktopChooser));
        app.read_settings(codeloom::settings::default_path(), &cc.egui_ctx);
        let last = app.prefs.recent.first().map(PathBuf::from).filter(|p| p.is_file());
        if let Some(p) = project.or(last) {
            app.open_project(&p);
        }
        if let (Some(name), Some(s)) = (document, &app.session) {
            match s.project.resolve_document(&name) {
                Ok(id) => app.code.open_document(&id, s, &mut app.notices),
                Err(e) => app.notices.error(e.to_string()),
            }
        }
        app
    }

    pub fn with(prefs: Prefs, chooser: Arc<dyn FileChooser>) -> Self {
        let mut code = CodeScreen::default();
        code.listen.view = PlayerView::new(prefs.player_keys.clone());
        App {
            screen: Screen::Code,
            session: None,
            code,
            search: SearchPanel::default(),
            agreement: AgreementPanel::default(),
            analysis: AnalysisPanel::default(),
            review: CodebookReview::default(),
            memo: None,
            notices: Notices::default(),
            chooser,
            dialog: None,
            import: None,
            upkeep: None,
            upkeep_above: ALWAYS_CHECK_BYTES,
            prefs,
            new_coder: String::new(),
            themed: false,
            last_watch: None,
            title: "Codeloom".into(),
        }
    }

    #[cfg(test)]
    pub fn open_for_test(&mut self, path: &Path) {
        self.open_project(path);
    }

    /// Opens a project as if it were larger than `above` bytes: its daily check and
    /// backup, when due, run after it opens.
    #[cfg(test)]
    pub fn open_leaving_upkeep_for_test(&mut self, path: &Path, above: u64) {
        self.upkeep_above = above;
        self.open_project(path);
    }

    #[cfg(test)]
    pub fn is_keeping_up(&self) -> bool {
        self.upkeep.is_some()
    }

    #[cfg(test)]
    pub fn view(&self) -> &TranscriptView {
        &self.code.view
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
        &mut self.code.view
    }

    #[cfg(test)]
    pub fn project(&self) -> Option<&Project> {
        self.session.as_ref().map(|s| &s.project)
    }

    #[cfg(test)]
    pub fn study(&self) -> Option<&super::study::Study> {
        self.session.as_ref().map(|s| &s.study)
    }

    #[cfg(test)]
    pub fn is_importing(&self) -> bool {
        self.import.is_some() || self.dialog.is_some()
    }

    // ----- project -----

    pub(super) fn open_project(&mut self, path: &Path) {
        self.flush_edits();
        match Project::open_leaving_upkeep_above(path, self.upkeep_above) {
            Ok((p, upkeep)) => {
                self.set_project(p);
                if self.session.is_some() {
                    self.start_upkeep(upkeep);
                }
            }
            Err(e) => self.notices.error(e.to_string()),
        }
    }

    /// Starts the day's check and backup that opening left, if any. A job still running
    /// for a project opened before is let go: its result is not waited for (that
    /// project's check and backup are due again the next time it opens).
    fn start_upkeep(&mut self, upkeep: Upkeep) {
        self.upkeep = None;
        if upkeep.is_none() {
            return;
        }
        let (tx, rx) = channel();
        let path = upkeep.path.clone();
        let started = std::thread::Builder::new().name("codeloom-upkeep".into()).spawn(move || {
            let _ = tx.send(upkeep.run());
        });
        match started {
            Ok(_) => self.upkeep = Some(UpkeepJob { rx, path }),
            Err(e) => self.notices.error(format!("cannot start the daily check and backup: {e}")),
        }
    }

    /// Records the day's check and backup when they are done, or shows why they failed
    /// (a damaged file names its last backup).
    fn poll_upkeep(&mut self) {
        let Some(job) = &self.upkeep else { return };
        let result = match job.rx.try_recv() {
            Ok(r) => r,
            Err(std::sync::mpsc::TryRecvError::Empty) => return,
            Err(std::sync::mpsc::TryRecvError::Disconnected) => Err(codeloom::Error::Invalid(format!(
                "the daily check and backup of {} stopped before it finished",
                job.path.display()
            ))),
        };
        let path = job.path.clone();
        self.upkeep = None;
        let done = match result {
            Ok(done) => done,
            Err(e) => return self.notices.error(e.to_string()),
        };
        if let Some(s) = self.session.as_ref().filter(|s| s.project.path() == path)
            && let Err(e) = s.project.record_upkeep(&done)
        {
            return self.notices.error(e.to_string());
        }
        if let Some(b) = &done.backup {
            self.notices.info(format!("Backed up {} (the day's backup: {})", path.display(), b.name));
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
        // The coder chosen before, else the one rule the command line follows too.
        let coder = codeloom::store::default_coder(self.prefs.coder.as_deref())
            .or_else(|_| codeloom::store::default_coder(None))
            .unwrap_or_else(|_| codeloom::store::DEFAULT_CODER.to_string());
        if let Err(e) = p.set_coder(&coder) {
            self.notices.error(e.to_string());
        }
        let path = p.path().display().to_string();
        let session = match Session::open(p) {
            Ok(s) => s,
            Err(e) => return self.notices.error(format!("{path}: {e}")),
        };
        self.prefs.recent.retain(|r| r != &path);
        self.prefs.recent.insert(0, path);
        self.prefs.recent.truncate(8);
        self.session = Some(session);
        let silent = self.code.listen.silent.take();
        self.code = CodeScreen::default();
        self.code.listen.silent = silent;
        self.code.listen.view = PlayerView::new(self.prefs.player_keys.clone());
        self.search = SearchPanel::default();
        self.agreement = AgreementPanel::default();
        self.analysis = AnalysisPanel::default();
        self.review = CodebookReview::default();
        self.memo = None;
    }

    pub(super) fn close_project(&mut self) {
        self.flush_edits();
        self.session = None;
        let silent = self.code.listen.silent.take();
        self.code = CodeScreen::default();
        self.code.listen.silent = silent;
        self.code.listen.view = PlayerView::new(self.prefs.player_keys.clone());
        self.memo = None;
        self.screen = Screen::Code;
    }

    /// Runs one change on the project; shows its error if it fails. The Study and the
    /// screens are brought up to date with what it changed.
    pub(super) fn change<T>(&mut self, f: impl FnOnce(&mut Project) -> codeloom::Result<T>) -> Option<T> {
        let s = self.session.as_mut()?;
        match s.change(f) {
            Ok((v, changes)) => {
                self.changed(&changes);
                Some(v)
            }
            Err(e) => {
                self.notices.error(e.to_string());
                None
            }
        }
    }

    /// Tells the screens and the memo window what a change changed.
    fn changed(&mut self, changes: &ChangeSet) {
        let Some(s) = &self.session else { return };
        self.code.after_change(changes, s, &mut self.notices);
        if let Some(m) = &mut self.memo
            && !changes.memos.is_empty()
        {
            match s.project.memos(Some((m.target, m.target_id.as_deref()))) {
                Ok(list) => m.load(list),
                Err(e) => self.notices.error(e.to_string()),
            }
        }
    }

    /// Picks up changes another process made to the project (once a second, cheaply).
    fn watch(&mut self, ctx: &egui::Context) {
        let Some(s) = &mut self.session else { return };
        if self.last_watch.is_some_and(|t| t.elapsed() < WATCH_EVERY) {
            return;
        }
        self.last_watch = Some(Instant::now());
        ctx.request_repaint_after(WATCH_EVERY);
        if !s.behind() {
            return;
        }
        match s.catch_up() {
            Ok(changes) => self.changed(&changes),
            Err(e) => self.notices.error(e.to_string()),
        }
    }

    pub(super) fn undo(&mut self) {
        self.flush_edits();
        if let Some(e) = self.change(|p| p.undo()) {
            self.notices.info(format!("Undone: {}", e.summary));
        }
    }

    pub(super) fn redo(&mut self) {
        if let Some(e) = self.change(|p| p.redo()) {
            self.notices.info(format!("Redone: {}", e.summary));
        }
    }

    /// Saves text typed in editors that has not been saved yet.
    pub(super) fn flush_edits(&mut self) {
        let Some(s) = &mut self.session else { return };
        self.code.flush(s, &mut self.notices);
        if let Some(m) = &mut self.memo {
            for a in m.flush() {
                self.memo_action(a);
            }
        }
    }

    /// What the transcript shows, from the preferences.
    pub(super) fn showing(&self) -> Showing {
        Showing {
            blind: self.prefs.blind,
            settings: ViewSettings { margin_labels: self.prefs.margin_labels, snap_to_words: self.prefs.snap_to_words },
        }
    }

    /// Shows the codings again after a view filter (blind mode, coders, versions) changed.
    pub(super) fn refresh_marks(&mut self) {
        self.code.showing = Some(self.showing());
        if let Some(s) = &self.session {
            self.code.refresh_marks(s, &mut self.notices);
        }
    }

    // ----- what the screens ask for -----

    fn code_request(&mut self, r: CodeRequest, ctx: &egui::Context) {
        match r {
            CodeRequest::Memos { target, target_id, subject } => self.open_memos(target, target_id, subject),
            CodeRequest::LocateRecording => self.ask_for_recording(Dialog::LocateRecording, ctx),
        }
    }

    /// Opens the dialog that picks a recording for the open document (to link, or to find
    /// a missing one again).
    pub(super) fn ask_for_recording(&mut self, dialog: Dialog, ctx: &egui::Context) {
        if self.code.open_doc.is_none() {
            return self.notices.info("Open a document first: the recording is linked to it.");
        }
        self.ask(dialog, ctx);
    }

    /// Files dropped on the window: a recording dropped while a document is open is linked
    /// to it; transcripts are imported.
    fn dropped(&mut self, paths: Vec<PathBuf>, ctx: &egui::Context) {
        let (media, transcripts): (Vec<PathBuf>, Vec<PathBuf>) =
            paths.into_iter().partition(|p| codeloom::media::media_extension(p).is_some());
        match media.as_slice() {
            [] => {}
            [one] if self.code.open_doc.is_some() && self.screen == Screen::Code => self.link_recording(one),
            _ => self.notices.info(
                "To link a recording, open its document and drop one sound or video file on the window \
                 (or use File > Link a recording…).",
            ),
        }
        if !transcripts.is_empty() {
            self.start_import(transcripts, ctx);
        }
    }

    /// Links `file` to the open document as its recording (one undoable operation).
    fn link_recording(&mut self, file: &Path) {
        let Some(doc) = self.code.open_doc.as_ref().map(|d| d.id.clone()) else { return };
        if let Some(rec) = self.change(|p| codeloom::media::link::link_file(p, &doc, file)) {
            let length =
                rec.duration_ms.map(codeloom::model::time::format_clock).unwrap_or_else(|| "unknown length".into());
            self.notices.info(format!("Linked {} ({length}) to {}. Ctrl+Z undoes it.", file.display(), rec.document));
        }
    }

    /// Shows a document with chars `[start, end)` in view and flashed, on the Code screen.
    fn jump_to(&mut self, document_id: &str, start: usize, end: usize) {
        let Some(s) = &mut self.session else { return };
        if self.code.jump_to(document_id, start, end, s, &mut self.notices) {
            self.screen = Screen::Code;
        }
    }

    fn search_action(&mut self, a: SearchAction) {
        match a {
            SearchAction::Jump { document_id, start, end } => self.jump_to(&document_id, start, end),
            SearchAction::CodeAll { codings, summary } => {
                if let Some(r) = self.change(|p| p.apply_codings(codings, &summary)) {
                    let already = match r.already_present {
                        0 => String::new(),
                        k => format!(" ({} already there)", count(k, "identical coding")),
                    };
                    self.notices
                        .info(format!("{summary}: {}{already}. Ctrl+Z undoes it.", count(r.ids.len(), "coding")));
                }
            }
        }
    }

    fn agreement_action(&mut self, a: agreement_panel::Action) {
        match a {
            agreement_panel::Action::JumpTo { document_id, start, end } => self.jump_to(&document_id, start, end),
            agreement_panel::Action::Assignment(a) => self.assignment_action(a),
            agreement_panel::Action::Decide { selection, item, decision, rationale } => {
                self.change(|p| p.decide(&selection, &item, decision, &rationale));
                if let Some(s) = &self.session {
                    self.agreement.queue_changed(&s.project);
                }
            }
            agreement_panel::Action::Undo => {
                self.undo();
                if let Some(s) = &self.session {
                    self.agreement.queue_changed(&s.project);
                }
            }
        }
    }

    fn assignment_action(&mut self, a: AssignmentAction) {
        match a {
            AssignmentAction::Assign { coder, document_ids } => {
                if let Some(n) = self.change(|p| p.assign_coder(&coder, &document_ids)) {
                    self.notices.info(format!("Gave {coder} {}. Ctrl+Z undoes it.", count(n, "more document")));
                }
            }
            AssignmentAction::Unassign { coder, document_ids } => {
                if let Some(n) = self.change(|p| p.unassign_coder(&coder, Some(&document_ids))) {
                    self.notices.info(format!("Took back {} from {coder}. Ctrl+Z undoes it.", count(n, "document")));
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
            ReviewAction::WriteFile { path, contents } => {
                let Some(s) = &self.session else { return };
                match codeloom::output::write_bytes(&path, contents.as_bytes(), &Protect::project(s.project.path())) {
                    Ok(()) => self.notices.info(format!("Wrote {}", path.display())),
                    Err(e) => self.notices.error(e.to_string()),
                }
            }
            ReviewAction::Reconcile { other, decisions } => {
                let other = match Project::open(&other) {
                    Ok(o) => o,
                    Err(e) => return self.notices.error(e.to_string()),
                };
                if let Some(r) = self.change(|p| p.reconcile_codebook(&other, &decisions)) {
                    let mut text = format!(
                        "Reconciled: {} matched, {} added, {} left out; {} added, {} already there.",
                        count(r.codes_matched, "code"),
                        r.codes_added.len(),
                        r.codes_skipped.len(),
                        count(r.codings_added, "coding"),
                        r.codings_duplicate
                    );
                    if !r.codings_not_merged.is_empty() {
                        text += &format!(
                            " {} not brought in: {}",
                            count(r.codings_not_merged.len(), "coding"),
                            r.codings_not_merged.join("; ")
                        );
                    }
                    self.notices.info(text);
                }
            }
            ReviewAction::ApplyMerge(plan) => {
                if let Some(r) = self.change(|p| p.merge_copy(&plan)) {
                    self.notices.info(format!(
                        "Merged {}: {} added, {} changed, {} removed, {}, {}.",
                        r.copy,
                        count(r.codes_added.len(), "code"),
                        r.codes_changed.len(),
                        r.codes_removed.len(),
                        count(r.codings.len(), "coding"),
                        count(r.memos_added, "memo")
                    ));
                }
            }
        }
    }

    pub(super) fn open_memos(&mut self, target: MemoTarget, target_id: Option<String>, subject: String) {
        if let Some(m) = &mut self.memo {
            for a in m.flush() {
                self.memo_action(a);
            }
        }
        let Some(s) = &self.session else { return };
        let mut window = MemoWindow::new(target, target_id, subject);
        match s.project.memos(Some((window.target, window.target_id.as_deref()))) {
            Ok(list) => window.load(list),
            Err(e) => self.notices.error(e.to_string()),
        }
        self.memo = Some(window);
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
            let mut text = format!("Imported {} from {}", count(r.created.len(), "code"), path.display());
            if !r.already_present.is_empty() {
                text += &format!("; {} were already in the project and left unchanged", r.already_present.len());
            }
            for n in notes {
                text += &format!("\n{n}");
            }
            self.notices.info(text);
        }
    }

    /// Writes the codebook as Codeloom JSON, or REFI-QDA when the name ends in `.qdc`.
    fn export_codebook(&mut self, path: &Path) {
        self.flush_edits();
        let Some(s) = &self.session else { return };
        let format = codeloom::codebook::CodebookFormat::for_path(path);
        match codeloom::codebook::export_codebook_file(&s.project, path, format, None) {
            Ok(n) => self.notices.info(format!("Wrote {} to {}", count(n, "code"), path.display())),
            Err(e) => self.notices.error(e.to_string()),
        }
    }

    fn start_import(&mut self, paths: Vec<PathBuf>, ctx: &egui::Context) {
        let Some(s) = &self.session else {
            return self.notices.error("Open or create a project before importing transcripts.");
        };
        if self.import.is_some() {
            return self.notices.info("An import is already running; drop the files again when it has finished.");
        }
        let path = s.project.path().to_path_buf();
        let coder = s.project.coder().to_string();
        let (tx, rx) = channel();
        let ctx = ctx.clone();
        let spawned = std::thread::Builder::new().name("import".into()).spawn(move || {
            let result = (|| -> codeloom::Result<ImportReport> {
                let mut project = Project::open_another(&path)?;
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
                    Dialog::LinkRecording | Dialog::LocateRecording => self.link_recording(&first),
                    Dialog::EmbeddingModel => self.embedding_model_chosen(Some(first), ctx),
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
            self.import_finished(result);
        }
        self.poll_upkeep();
        self.poll_suggestions();
        if self.code.suggest.again && !self.code.suggest.learning() {
            self.code.suggest.again = false;
            self.suggestions_changed(ctx);
        }
        self.poll_meaning(ctx);
    }

    /// Reads the researcher's settings file at `path` (none: no settings) and starts
    /// loading the sentence-embedding model it names.
    pub(super) fn read_settings(&mut self, path: Option<PathBuf>, ctx: &egui::Context) {
        self.code.meaning.settings_path = path.clone();
        let Some(path) = path else { return };
        match codeloom::settings::Settings::load_from(&path) {
            Ok(settings) => {
                if let Some(folder) = settings.embedding_model {
                    self.code.meaning.load(folder, ctx);
                }
            }
            Err(e) => self.notices.error(e.to_string()),
        }
    }

    /// A model folder was chosen in "Suggestions settings…": it is read on a thread of its
    /// own (and saved in the settings once it has loaded). None: words only, saved at once.
    pub(super) fn embedding_model_chosen(&mut self, folder: Option<PathBuf>, ctx: &egui::Context) {
        match folder {
            Some(f) => self.code.meaning.load(f, ctx),
            None => {
                self.code.meaning.clear();
                self.save_meaning(None);
                self.relearn_for_meaning(ctx);
            }
        }
    }

    /// Saves the model folder to load at the next start (none: words only).
    fn save_meaning(&mut self, folder: Option<&Path>) {
        if let Err(e) = self.code.meaning.save(folder) {
            self.notices.error(format!("The choice of model could not be saved: {e}"));
        }
    }

    /// Takes the model when its thread has read it, saves its folder in the settings, and
    /// learns the suggestions again so that they compare by meaning.
    fn poll_meaning(&mut self, ctx: &egui::Context) {
        match self.code.meaning.poll() {
            Some(Ok(model)) => {
                self.notices.info(format!("Passages are compared by meaning too, with {model}."));
                let folder = self.code.meaning.model().map(|m| m.folder().to_path_buf());
                self.save_meaning(folder.as_deref());
                self.relearn_for_meaning(ctx);
            }
            Some(Err(e)) => self.notices.error(format!("The sentence-embedding model was refused: {e}")),
            None => {}
        }
    }

    /// Learns the suggestions again when they are on, with the model as it is now.
    fn relearn_for_meaning(&mut self, ctx: &egui::Context) {
        if self.code.suggest.on && self.session.is_some() {
            self.suggestions_changed(ctx);
        }
    }

    /// Suggestions were turned on or off (View menu, status bar), or "Learn again".
    pub(super) fn suggestions_changed(&mut self, ctx: &egui::Context) {
        let Some(s) = &self.session else { return };
        if !self.code.suggest.on {
            self.code.suggest.turn_off();
            self.code.refresh_suggestions(s, &mut self.notices);
            return;
        }
        let model = self.code.meaning.model();
        if let Err(e) = self.code.suggest.learn(s.project.path().to_path_buf(), model, ctx) {
            self.notices.error(e);
        }
    }

    /// Takes the model when the training thread has finished and shows its suggestions.
    fn poll_suggestions(&mut self) {
        match self.code.inbox.poll() {
            Some(Ok(())) => self.notices.info("The suggestions were evaluated: see the Suggestions inbox."),
            Some(Err(e)) => self.notices.error(format!("The suggestions could not be evaluated: {e}")),
            None => {}
        }
        let Some(result) = self.code.suggest.poll() else { return };
        let Some(s) = &self.session else { return };
        match result {
            Ok(()) => {
                self.code.refresh_suggestions(s, &mut self.notices);
                self.code.refresh_inbox(s, &mut self.notices);
                if self.code.suggest.trained() {
                    self.notices.info(
                        "Suggestions learned from the team's codings: dashed outlines. Click one to see why; \
                         Enter or A accepts it, X rejects it. “Learn again” after new codings.",
                    );
                }
            }
            Err(e) => self.notices.error(format!("The suggestions could not be learned: {e}")),
        }
    }

    fn import_finished(&mut self, result: Result<ImportReport, String>) {
        match result {
            Ok(report) => {
                for f in &report.files {
                    if let FileOutcome::Failed { reason } = &f.outcome {
                        self.notices.error(format!("{}: {reason}", f.path.display()));
                    }
                }
                let dup = report.count(|o| matches!(o, FileOutcome::Duplicate { .. }));
                self.notices.info(format!(
                    "Imported {}{}{}",
                    count(report.imported(), "document"),
                    if dup > 0 { format!(", {dup} already in the project") } else { String::new() },
                    if report.failed() > 0 { format!(", {} failed", report.failed()) } else { String::new() }
                ));
            }
            Err(e) => self.notices.error(e),
        }
        // The import ran on its own connection: pick up what it wrote.
        if let Some(s) = &mut self.session {
            match s.catch_up() {
                Ok(changes) => self.changed(&changes),
                Err(e) => self.notices.error(e.to_string()),
            }
        }
    }

    pub(super) fn ask(&mut self, dialog: Dialog, ctx: &egui::Context) {
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
        self.watch(&ctx);
        let dropped: Vec<PathBuf> = ctx.input(|i| {
            i.raw.dropped_files.iter().map(|f| f.path().to_path_buf()).filter(|p| !p.as_os_str().is_empty()).collect()
        });
        if !dropped.is_empty() {
            self.dropped(dropped, &ctx);
        }
        // The player's status is read on every screen: it keeps playing (and F4 works)
        // when the Code screen is not shown.
        self.code.listen.poll(&ctx);
        self.shortcuts(&ctx);

        egui::Panel::top("menu_bar").show(ui, |ui| self.menu_bar(ui));
        egui::Panel::bottom("status_bar").show(ui, |ui| self.status_bar(ui));
        self.screens(ui);
        let title = self.code.listen.title().unwrap_or_else(|| "Codeloom".into());
        if title != self.title {
            ctx.send_viewport_cmd(egui::ViewportCommand::Title(title.clone()));
            self.title = title;
        }
        match self.code.meaning.ui(&ctx) {
            Some(MeaningAction::ChooseFolder) => self.ask(Dialog::EmbeddingModel, &ctx),
            Some(MeaningAction::WordsOnly) => self.embedding_model_chosen(None, &ctx),
            None => {}
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
                        ui.heading("Drop transcripts to import them, or a recording to link it to the open document");
                    });
                },
            );
        }
        self.notices.ui(&ctx);
    }

    /// The screen chosen in the menu bar.
    fn screens(&mut self, ui: &mut egui::Ui) {
        let showing = self.showing();
        let Some(s) = &mut self.session else {
            egui::CentralPanel::default().show(ui, |ui| {
                ui.centered_and_justified(|ui| {
                    ui.label(
                        egui::RichText::new(
                            "Open a project (File > Open project…, Ctrl+O) or create one (Ctrl+N).\n\
                             To try Codeloom on a sample study, run `codeloom demo demo.codeloom --open`.",
                        )
                        .size(16.0),
                    );
                });
            });
            return;
        };
        match self.screen {
            Screen::Code => {
                self.code.showing = Some(showing);
                let panels = (self.prefs.show_documents, self.prefs.show_codebook);
                if let Some(r) = self.code.ui(ui, s, &mut self.notices, panels) {
                    let ctx = ui.ctx().clone();
                    self.code_request(r, &ctx);
                }
            }
            Screen::Search => {
                let action =
                    egui::CentralPanel::default().show(ui, |ui| self.search.ui(ui, &s.project, &s.study)).inner;
                if let Some(a) = action {
                    self.search_action(a);
                }
            }
            Screen::Agreement => {
                if self.agreement.coders.trim().is_empty() {
                    self.agreement.coders = s.study.coders.join(", ");
                }
                let action =
                    egui::CentralPanel::default().show(ui, |ui| self.agreement.ui(ui, &s.project, &s.study)).inner;
                if let Some(a) = action {
                    self.agreement_action(a);
                }
            }
            Screen::Themes => {
                let revision = s.study.revision;
                let action =
                    egui::CentralPanel::default().show(ui, |ui| self.analysis.ui(ui, &s.project, revision)).inner;
                if let Some(analysis_panel::Action::JumpTo { document_id, start, end }) = action {
                    self.jump_to(&document_id, start, end);
                }
            }
            Screen::Codebook => {
                let action =
                    egui::CentralPanel::default().show(ui, |ui| self.review.ui(ui, &s.project, &s.study)).inner;
                if let Some(a) = action {
                    self.review_action(a);
                }
            }
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
