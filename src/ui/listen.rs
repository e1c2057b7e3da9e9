//! The open document's recording on the Code screen: the player strip above the
//! transcript, the turn being spoken, and the times of passages.
//!
//! What the strip needs is read from the project when a document is opened or a change
//! names its recording or sync points ([`Listen::load`]), never while drawing. The player
//! (a thread of its own, see `codeloom::media::player`) is started with the first recording
//! and kept for the window's life; the overview is computed in the background and cached
//! beside the project. Each frame reads the player's status (a copy under a lock) and
//! draws; what the researcher asks for is sent to the player, or returned for the screen
//! to carry out ("Locate…").

use super::player::{CodedStretch, PlayerAction, PlayerModel, PlayerView, carry_out};
use super::transcript::Mark;
use codeloom::Project;
use codeloom::media::fingerprint::Whereabouts;
use codeloom::media::link;
use codeloom::media::output::{NullOutput, open_default};
use codeloom::media::player::{Command, PlayState, Player, Status};
use codeloom::media::sync::{Timeline, turn_at_time};
use codeloom::media::waveform::{Waveform, WaveformJob, cache_path};
use codeloom::model::Turn;
use codeloom::model::time::format_clock;
use codeloom::store::media_ops::{Recording, StoredSyncPoint, SyncPoint};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, TryRecvError, channel};
use std::time::Duration;

/// The open document's recording as the strip shows it.
struct DocMedia {
    document_id: String,
    document: String,
    recording: Recording,
    /// The file played (where it was linked, or where it was found after a move).
    file: Option<PathBuf>,
    /// Why it cannot be played (missing or replaced), naming the file.
    missing: Option<String>,
    /// Where the recording is, being found out on a thread of its own.
    finding: Option<Receiver<Whereabouts>>,
    /// Where its overview is cached.
    cache: PathBuf,
    /// Said when the file was found somewhere else than where it was linked.
    moved: Option<String>,
    timeline: Timeline,
    turns: Vec<Turn>,
    /// The stored sync points, in text order.
    points: Vec<StoredSyncPoint>,
    /// Their positions, for the transcript's context menu.
    positions: Vec<usize>,
    job: Option<WaveformJob>,
    waveform: Option<Arc<Waveform>>,
    waveform_note: Option<String>,
    coded: Vec<CodedStretch>,
}

/// The Code screen's recording player.
pub struct Listen {
    player: Option<Player>,
    /// When set, the player plays silently for this reason instead of opening the sound
    /// device (the tests; set before the first recording is opened).
    pub silent: Option<String>,
    pub view: PlayerView,
    /// Keep the turn being spoken in view.
    pub follow: bool,
    doc: Option<DocMedia>,
    status: Option<Status>,
    /// The window, to ask for a frame when a command was sent (its effect shows later).
    ctx: Option<egui::Context>,
    /// "Keep this place" was clicked on a moved recording: link it where it was found.
    pub relink: Option<PathBuf>,
}

impl Default for Listen {
    fn default() -> Self {
        Listen {
            player: None,
            silent: None,
            view: PlayerView::default(),
            follow: true,
            doc: None,
            status: None,
            ctx: None,
            relink: None,
        }
    }
}

impl Listen {
    /// Reads the recording of a document that has just been opened or whose recording or
    /// sync points changed. The player keeps its place when the file is the same.
    pub fn load(&mut self, p: &Project, document_id: &str, document: &str, turns: &[Turn], chars: usize) {
        let rec = match p.recording(document_id) {
            Ok(r) => r,
            Err(e) => return self.fail(document_id, document, e.to_string()),
        };
        let Some(rec) = rec else {
            if self.doc.take().is_some()
                && let Some(pl) = &mut self.player
            {
                pl.send(Command::Unload);
            }
            return;
        };
        let stored = match p.sync_points(document_id) {
            Ok(v) => v,
            Err(e) => return self.fail(document_id, document, e.to_string()),
        };
        let points: Vec<SyncPoint> = stored.iter().map(|s| s.point).collect();
        let positions: Vec<usize> = points.iter().map(|s| s.position).collect();
        let timeline = Timeline::new(turns, &points, chars, rec.duration_ms);
        if let Some(d) = &mut self.doc
            && d.document_id == document_id
            && d.recording.path == rec.path
            && d.recording.relative == rec.relative
            && d.recording.fingerprint == rec.fingerprint
        {
            // The same recording (its sync points or the text changed): the player keeps its place.
            d.recording = rec;
            d.timeline = timeline;
            d.turns = turns.to_vec();
            d.points = stored;
            d.positions = positions;
            d.document = document.to_string();
            return;
        }
        // Another recording: the old one stops, and the file is looked for off the window's
        // thread (a drive that is not connected can keep a look-up waiting for long).
        self.player_mut().send(Command::Unload);
        let (tx, rx) = channel();
        let (project, looked_for, ctx) = (p.path().to_path_buf(), rec.clone(), self.ctx.clone());
        let spawned = std::thread::Builder::new().name("media-find".into()).spawn(move || {
            let _ = tx.send(link::whereabouts(&project, &looked_for));
            if let Some(ctx) = ctx {
                ctx.request_repaint();
            }
        });
        let missing = spawned.err().map(|e| format!("{}: the recording cannot be looked for: {e}", rec.path));
        self.doc = Some(DocMedia {
            document_id: document_id.to_string(),
            document: document.to_string(),
            cache: cache_path(p.path(), &rec.fingerprint),
            recording: rec,
            file: None,
            finding: missing.is_none().then_some(rx),
            missing,
            moved: None,
            timeline,
            turns: turns.to_vec(),
            points: stored,
            positions,
            job: None,
            waveform: None,
            waveform_note: None,
            coded: Vec::new(),
        });
    }

    fn player_mut(&mut self) -> &mut Player {
        let silent = self.silent.clone();
        self.player.get_or_insert_with(|| {
            Player::with_output(move || match silent {
                Some(reason) => Box::new(NullOutput::new(48_000, &reason)),
                None => open_default(),
            })
        })
    }

    /// Where the recording was found (or why it cannot be played): the player opens it and
    /// its overview is computed or read from the cache.
    fn found(&mut self, place: Whereabouts) {
        let (file, missing, moved) = match &place {
            Whereabouts::Found(f) => (Some(f.clone()), None, None),
            Whereabouts::Moved(f) => {
                (Some(f.clone()), None, Some(format!("The recording was moved; playing it from {}.", f.display())))
            }
            Whereabouts::Replaced(f) => (
                None,
                Some(format!(
                    "{}: another file is there now, not the recording that was linked. Locate the recording:",
                    f.display()
                )),
                None,
            ),
            Whereabouts::Missing(f) => (
                None,
                Some(format!(
                    "{}: the recording is not there (moved, renamed, or on a drive that is not connected?)",
                    f.display()
                )),
                None,
            ),
        };
        if let Some(f) = &file {
            self.player_mut().send(Command::Load(f.clone()));
        }
        let Some(d) = &mut self.doc else { return };
        d.job = file.as_ref().map(|f| WaveformJob::start(f.clone(), Some(d.cache.clone())));
        (d.file, d.missing, d.moved) = (file, missing, moved);
        if let Some(ctx) = &self.ctx {
            ctx.request_repaint();
        }
    }

    /// The coded stretches drawn on the overview.
    #[cfg(test)]
    pub fn coded(&self) -> &[CodedStretch] {
        self.doc.as_ref().map_or(&[], |d| d.coded.as_slice())
    }

    /// The recording is still being looked for.
    #[cfg(test)]
    pub fn looking(&self) -> bool {
        self.doc.as_ref().is_some_and(|d| d.finding.is_some())
    }

    /// A recording whose link could not be read: said where the strip would be.
    fn fail(&mut self, document_id: &str, document: &str, message: String) {
        self.doc = None;
        if let Some(pl) = &mut self.player {
            pl.send(Command::Unload);
        }
        eprintln!("{document} ({document_id}): the recording cannot be read: {message}");
    }

    /// Forgets the recording (no document open).
    pub fn clear(&mut self) {
        if self.doc.take().is_some()
            && let Some(pl) = &mut self.player
        {
            pl.send(Command::Unload);
        }
    }

    /// The open document has a recording that can be played.
    pub fn playable(&self) -> bool {
        self.doc.as_ref().is_some_and(|d| d.file.is_some())
    }

    /// The recording is playing.
    pub fn is_playing(&self) -> bool {
        self.status.as_ref().is_some_and(Status::is_playing)
    }

    /// The open document has a linked recording (playable or not).
    pub fn linked(&self) -> bool {
        self.doc.is_some()
    }

    /// The coded stretches of the recording, from the codings shown.
    pub fn set_marks(&mut self, marks: &[Mark]) {
        let Some(d) = &mut self.doc else { return };
        d.coded = marks
            .iter()
            .map(|m| {
                let (start_ms, end_ms) = d.timeline.range_time(m.start, m.end);
                CodedStretch { start_ms, end_ms, color: m.color }
            })
            .collect();
    }

    /// The times of the passage `[start, end)`.
    pub fn range_time(&self, start: usize, end: usize) -> Option<(u64, u64)> {
        self.doc.as_ref().map(|d| d.timeline.range_time(start, end))
    }

    /// The time a char is spoken at.
    pub fn time_at(&self, position: usize) -> Option<u64> {
        self.doc.as_ref().map(|d| d.timeline.time_at(position))
    }

    /// The start of the turn holding `position`, and the player's position now: a sync point.
    pub fn sync_point_here(&self, position: usize) -> Option<(String, usize, u64)> {
        let d = self.doc.as_ref()?;
        let turn = codeloom::media::sync::turn_at(&d.turns, position)?;
        Some((d.document_id.clone(), d.turns[turn].start, self.status.as_ref()?.position_ms))
    }

    /// The positions of the stored sync points, copied into `into` (kept from frame to frame).
    pub fn copy_sync_positions(&self, into: &mut Vec<usize>) {
        match &self.doc {
            Some(d) => into.clone_from(&d.positions),
            None => into.clear(),
        }
    }

    /// The stored sync point in the turn holding `position` (from the turn's start to the
    /// next turn's), if it has one: its ID and place.
    pub fn sync_point_in_turn(&self, position: usize) -> Option<(String, SyncPoint)> {
        let d = self.doc.as_ref()?;
        let turn = codeloom::media::sync::turn_at(&d.turns, position)?;
        let from = d.turns[turn].start;
        let to = d.turns.get(turn + 1).map_or(usize::MAX, |t| t.start);
        d.points.iter().find(|p| (from..to).contains(&p.point.position)).map(|p| (p.id.clone(), p.point))
    }

    /// The player's position now, when a recording is open.
    pub fn position_ms(&self) -> Option<u64> {
        self.doc.as_ref()?;
        Some(self.status.as_ref()?.position_ms)
    }

    /// Reads the player's status and the overview job; asks for frames while either moves.
    pub fn poll(&mut self, ctx: &egui::Context) {
        if self.ctx.is_none() {
            self.ctx = Some(ctx.clone());
        }
        let place = match self.doc.as_ref().and_then(|d| d.finding.as_ref()).map(Receiver::try_recv) {
            Some(Ok(place)) => Some(Ok(place)),
            Some(Err(TryRecvError::Empty)) => {
                ctx.request_repaint_after(Duration::from_millis(50));
                None
            }
            Some(Err(TryRecvError::Disconnected)) => Some(Err(())),
            None => None,
        };
        if let Some(place) = place {
            if let Some(d) = &mut self.doc {
                d.finding = None;
            }
            match place {
                Ok(place) => self.found(place),
                Err(()) => {
                    if let Some(d) = &mut self.doc {
                        d.missing = Some(format!("{}: the recording could not be looked for", d.recording.path));
                    }
                }
            }
        }
        let Some(d) = &mut self.doc else {
            self.status = None;
            return;
        };
        if let Some(job) = &mut d.job
            && let Some(done) = job.poll()
        {
            match done {
                Ok(w) => d.waveform = Some(w.clone()),
                Err(e) => d.waveform_note = Some(format!("No overview: {e}")),
            }
            d.job = None;
        }
        if d.job.is_some() {
            ctx.request_repaint_after(Duration::from_millis(150));
        }
        self.status = self.player.as_ref().map(Player::status);
        let loading = d.file.is_some() && self.status.as_ref().is_some_and(|s| s.state == PlayState::Empty);
        let busy = self.player.as_ref().is_some_and(|p| !p.idle());
        if busy {
            ctx.request_repaint_after(Duration::from_millis(10));
        } else if loading || self.status.as_ref().is_some_and(Status::is_playing) {
            ctx.request_repaint_after(Duration::from_millis(40));
        }
    }

    /// The turn being spoken now (while a recording is open and not at its very start).
    pub fn spoken_turn(&self) -> Option<usize> {
        let (d, s) = (self.doc.as_ref()?, self.status.as_ref()?);
        if d.file.is_none() || !matches!(s.state, PlayState::Playing | PlayState::Paused | PlayState::Ended) {
            return None;
        }
        if !s.is_playing() && s.position_ms == 0 {
            return None;
        }
        turn_at_time(&d.timeline, &d.turns, s.position_ms)
    }

    /// What the window title says while a recording plays.
    pub fn title(&self) -> Option<String> {
        let (d, s) = (self.doc.as_ref()?, self.status.as_ref()?);
        s.is_playing()
            .then(|| format!("Codeloom – playing {} at {}", d.document, format_clock(s.position_ms / 1000 * 1000)))
    }

    /// Draws the strip (nothing when the document has no recording); returns what the
    /// player could not do itself ("Locate…").
    pub fn strip(&mut self, ui: &mut egui::Ui) -> Vec<PlayerAction> {
        let Some(d) = &self.doc else { return Vec::new() };
        let status = self.status.clone().unwrap_or_else(Status::empty);
        let mut actions = Vec::new();
        egui::Frame::group(ui.style()).inner_margin(6.0).show(ui, |ui| {
            ui.horizontal(|ui| {
                let name = d.recording.path.rsplit(['/', '\\']).next().unwrap_or(&d.recording.path);
                ui.strong("Recording");
                ui.label(name).on_hover_text(&d.recording.path);
                if d.file.is_some() {
                    ui.checkbox(&mut self.follow, "Follow")
                        .on_hover_text("Keep the turn being spoken in view while the recording plays");
                }
            });
            if d.finding.is_some() {
                ui.weak("Looking for the recording…");
                return;
            }
            if let Some(m) = &d.moved {
                ui.horizontal_wrapped(|ui| {
                    ui.weak(m);
                    let keep =
                        ui.small_button("Keep this place").on_hover_text("Link the recording where it was found");
                    if keep.clicked() {
                        self.relink = d.file.clone();
                    }
                });
            }
            let model = PlayerModel {
                status: &status,
                waveform: d.waveform.as_deref(),
                waveform_note: d.waveform_note.as_deref(),
                coded: &d.coded,
                missing: d.missing.as_deref(),
            };
            actions = self.view.ui(ui, &model);
        });
        self.act(actions)
    }

    /// The player's keys (F4, F3, F5 unless changed), when a recording can be played.
    pub fn keys(&mut self, ctx: &egui::Context) -> Vec<PlayerAction> {
        if !self.playable() {
            return Vec::new();
        }
        let actions = self.view.keys(ctx);
        self.act(actions)
    }

    /// Sends actions to the player; returns the rest.
    pub fn act(&mut self, actions: Vec<PlayerAction>) -> Vec<PlayerAction> {
        if actions.is_empty() {
            return actions;
        }
        // What the player does shows in a later frame: ask for one.
        if let Some(ctx) = &self.ctx {
            ctx.request_repaint();
        }
        match (&mut self.player, self.doc.as_ref().is_some_and(|d| d.file.is_some())) {
            (Some(pl), true) => carry_out(actions, pl),
            _ => actions.into_iter().filter(|a| *a == PlayerAction::Locate).collect(),
        }
    }

    /// The player, for tests that wait on it.
    #[cfg(test)]
    pub fn player(&self) -> Option<&Player> {
        self.player.as_ref()
    }
}
