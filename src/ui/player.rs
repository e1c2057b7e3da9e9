//! The recording player: play/pause, back and forward 5 s, position and length, the
//! playback speed (0.5×–2×, pitch kept), and the waveform overview with the coded
//! stretches in their colours, where a click seeks. Keys F4 (play/pause), F3 and F5 (back
//! and forward, as in f4transkript) can be changed, never to a coding key.
//!
//! The widget draws and returns [`PlayerAction`]s; it never touches the project. The app
//! hands it the engine's [`Status`], the overview and the coded stretches, passes the
//! actions for the engine to [`carry_out`] and does the rest itself ("Locate…" when the
//! file is missing). It says plainly when there is no sound device.

use codeloom::media::output::Device;
use codeloom::media::player::{Command, PlayState, Player, Status};
use codeloom::media::stretch::{MAX_SPEED, MIN_SPEED};
use codeloom::media::waveform::Waveform;
use codeloom::model::time::format_clock;
use egui::{Color32, Key, Modifiers, Rect, Sense, Stroke, Ui, pos2, vec2};

/// What the researcher asked the player for.
#[derive(Debug, Clone, PartialEq)]
pub enum PlayerAction {
    TogglePlay,
    /// Go to a time (ms).
    Seek(u64),
    /// Forward (or, negative, back) by ms.
    Skip(i64),
    SetSpeed(f32),
    /// Play from a time (a turn's time stamp was clicked).
    PlayFrom(u64),
    /// Play a passage and stop at its end.
    PlayRange {
        from: u64,
        to: u64,
    },
    /// Find the missing recording (the app asks for the file and links it again).
    Locate,
}

/// The keys that code and so can never drive the player.
pub const CODING_KEYS: [Key; 6] = [Key::C, Key::V, Key::S, Key::R, Key::Delete, Key::Backspace];

/// How far back and forward the skip buttons and keys go.
pub const SKIP_MS: i64 = 5_000;

/// The speeds the Slower and Faster buttons step through.
const SPEEDS: [f32; 7] = [0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0];

/// The player's keys, kept by name so that the app can save them with its preferences.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PlayerKeys {
    pub play_pause: String,
    pub back: String,
    pub forward: String,
}

impl Default for PlayerKeys {
    fn default() -> Self {
        PlayerKeys { play_pause: "F4".into(), back: "F3".into(), forward: "F5".into() }
    }
}

/// Which of the player's keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyRole {
    PlayPause,
    Back,
    Forward,
}

impl PlayerKeys {
    /// Sets one key; refuses a coding key, a key another role has, or an unknown name.
    pub fn set(&mut self, role: KeyRole, name: &str) -> Result<(), String> {
        let key = Key::from_name(name).ok_or_else(|| format!("\"{name}\" is not a key name"))?;
        if CODING_KEYS.contains(&key) {
            return Err(format!("{} codes the selection; choose another key for the player", key.name()));
        }
        let others = match role {
            KeyRole::PlayPause => [&self.back, &self.forward],
            KeyRole::Back => [&self.play_pause, &self.forward],
            KeyRole::Forward => [&self.play_pause, &self.back],
        };
        if others.iter().any(|o| Key::from_name(o) == Some(key)) {
            return Err(format!("{} already works the player; choose another key", key.name()));
        }
        let slot = match role {
            KeyRole::PlayPause => &mut self.play_pause,
            KeyRole::Back => &mut self.back,
            KeyRole::Forward => &mut self.forward,
        };
        *slot = key.name().to_string();
        Ok(())
    }

    fn key(name: &str) -> Option<Key> {
        Key::from_name(name).filter(|k| !CODING_KEYS.contains(k))
    }
}

/// A coded stretch of the recording, drawn in its code's colour.
#[derive(Debug, Clone, PartialEq)]
pub struct CodedStretch {
    pub start_ms: u64,
    pub end_ms: u64,
    pub color: Color32,
}

/// What the app gives the player to draw.
pub struct PlayerModel<'a> {
    pub status: &'a Status,
    /// The overview, once computed.
    pub waveform: Option<&'a Waveform>,
    /// Said where the overview goes while there is none ("Computing the overview…", or why not).
    pub waveform_note: Option<&'a str>,
    pub coded: &'a [CodedStretch],
    /// The recording is missing or replaced: what to say (a "Locate…" button follows).
    pub missing: Option<&'a str>,
}

/// The player's state between frames.
#[derive(Debug, Default)]
pub struct PlayerView {
    pub keys: PlayerKeys,
    /// The overview at the width drawn last: (columns, duration, peaks).
    columns: Option<(usize, u64, Vec<u8>)>,
}

/// The height of the overview strip.
const WAVE_HEIGHT: f32 = 44.0;

impl PlayerView {
    pub fn new(keys: PlayerKeys) -> Self {
        PlayerView { keys, columns: None }
    }

    /// Draws the player; returns what was asked of it.
    pub fn ui(&mut self, ui: &mut Ui, model: &PlayerModel) -> Vec<PlayerAction> {
        let mut actions = Vec::new();
        let status = model.status;
        // The message wraps above the button, so that a long path never pushes it out of view.
        let problem = match (model.missing, &status.state) {
            (Some(message), _) => Some((message, ui.visuals().warn_fg_color)),
            (None, PlayState::Failed(message)) => Some((message.as_str(), ui.visuals().error_fg_color)),
            _ => None,
        };
        if let Some((message, color)) = problem {
            ui.colored_label(color, message);
            if ui.button("Locate…").on_hover_text("Find the recording and link it again").clicked() {
                actions.push(PlayerAction::Locate);
            }
            return actions;
        }
        self.controls(ui, status, &mut actions);
        self.overview(ui, model, &mut actions);
        if let Some(Device::Silent { reason }) = &status.device {
            ui.weak(no_sound_note(reason));
        }
        if status.info.as_ref().is_some_and(|i| i.has_video) {
            ui.weak("This recording is a video: its sound plays; the picture is not shown yet.");
        }
        actions
    }

    fn controls(&self, ui: &mut Ui, status: &Status, actions: &mut Vec<PlayerAction>) {
        let ready = !matches!(status.state, PlayState::Empty);
        ui.add_enabled_ui(ready, |ui| {
            ui.horizontal(|ui| {
                if ui.button("Back 5 s").on_hover_text(format!("Key: {}", self.keys.back)).clicked() {
                    actions.push(PlayerAction::Skip(-SKIP_MS));
                }
                let label = if status.is_playing() { "Pause" } else { "Play" };
                if ui.button(label).on_hover_text(format!("Key: {}", self.keys.play_pause)).clicked() {
                    actions.push(PlayerAction::TogglePlay);
                }
                if ui.button("Forward 5 s").on_hover_text(format!("Key: {}", self.keys.forward)).clicked() {
                    actions.push(PlayerAction::Skip(SKIP_MS));
                }
                let length = status.duration_ms().map(format_clock).unwrap_or_else(|| "–".into());
                ui.monospace(format!("{} / {length}", format_clock(status.position_ms)));
                ui.separator();
                let at = SPEEDS.iter().position(|s| (s - status.speed).abs() < 0.01);
                let slower = SPEEDS.iter().rev().find(|s| **s < status.speed - 0.01).copied();
                let faster = SPEEDS.iter().find(|s| **s > status.speed + 0.01).copied();
                if ui.add_enabled(slower.is_some(), egui::Button::new("Slower")).clicked()
                    && let Some(s) = slower
                {
                    actions.push(PlayerAction::SetSpeed(s));
                }
                let shown = at.map(|i| SPEEDS[i]).unwrap_or(status.speed);
                ui.label(format!("Speed {}×", trim_speed(shown))).on_hover_text(format!(
                    "Playback speed, {}× to {}×, with the pitch kept",
                    trim_speed(MIN_SPEED),
                    trim_speed(MAX_SPEED)
                ));
                if ui.add_enabled(faster.is_some(), egui::Button::new("Faster")).clicked()
                    && let Some(s) = faster
                {
                    actions.push(PlayerAction::SetSpeed(s));
                }
            });
        });
    }

    fn overview(&mut self, ui: &mut Ui, model: &PlayerModel, actions: &mut Vec<PlayerAction>) {
        let width = ui.available_width().max(40.0);
        let (rect, response) = ui.allocate_exact_size(vec2(width, WAVE_HEIGHT), Sense::click());
        response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, "Recording overview"));
        let duration = model.status.duration_ms().or(model.waveform.map(|w| w.duration_ms)).unwrap_or(0);
        if response.clicked()
            && duration > 0
            && let Some(p) = response.interact_pointer_pos()
        {
            let f = ((p.x - rect.left()) / rect.width()).clamp(0.0, 1.0);
            actions.push(PlayerAction::Seek((f64::from(f) * duration as f64).round() as u64));
        }
        if !ui.is_rect_visible(rect) {
            return;
        }
        let painter = ui.painter_at(rect);
        painter.rect_filled(rect, 2.0, ui.visuals().extreme_bg_color);
        let x_of = |ms: u64| rect.left() + rect.width() * (ms as f32 / duration.max(1) as f32);
        for c in model.coded {
            let r = Rect::from_min_max(
                pos2(x_of(c.start_ms), rect.top()),
                pos2(x_of(c.end_ms).max(x_of(c.start_ms) + 1.0), rect.bottom()),
            );
            painter.rect_filled(r, 0.0, c.color.gamma_multiply(0.35));
        }
        match model.waveform {
            Some(w) => self.draw_peaks(ui, &painter, rect, w),
            None => {
                let note = model.waveform_note.unwrap_or("Computing the overview…");
                painter.text(
                    rect.center(),
                    egui::Align2::CENTER_CENTER,
                    note,
                    egui::FontId::proportional(12.0),
                    ui.visuals().weak_text_color(),
                );
            }
        }
        if duration > 0 {
            let x = x_of(model.status.position_ms.min(duration));
            painter.line_segment(
                [pos2(x, rect.top()), pos2(x, rect.bottom())],
                Stroke::new(2.0, ui.visuals().selection.stroke.color),
            );
        }
    }

    /// One line per column, from the overview cached for this width.
    fn draw_peaks(&mut self, ui: &Ui, painter: &egui::Painter, rect: Rect, w: &Waveform) {
        let columns = rect.width().round().max(1.0) as usize;
        let stale = self.columns.as_ref().is_none_or(|(n, d, _)| *n != columns || *d != w.duration_ms);
        if stale {
            self.columns = Some((columns, w.duration_ms, w.overview(columns)));
        }
        let Some((_, _, peaks)) = &self.columns else { return };
        let color = ui.visuals().text_color().gamma_multiply(0.7);
        let mid = rect.center().y;
        let half = rect.height() / 2.0 - 2.0;
        let shapes: Vec<egui::Shape> = peaks
            .iter()
            .enumerate()
            .filter(|(_, p)| **p > 0)
            .map(|(i, p)| {
                let x = rect.left() + i as f32 + 0.5;
                let h = half * f32::from(*p) / 255.0;
                egui::Shape::line_segment([pos2(x, mid - h), pos2(x, mid + h)], Stroke::new(1.0, color))
            })
            .collect();
        painter.extend(shapes);
    }

    /// The player's keys pressed this frame (consumed, so nothing else acts on them).
    pub fn keys(&self, ctx: &egui::Context) -> Vec<PlayerAction> {
        let mut actions = Vec::new();
        let bound = [
            (PlayerKeys::key(&self.keys.play_pause), PlayerAction::TogglePlay),
            (PlayerKeys::key(&self.keys.back), PlayerAction::Skip(-SKIP_MS)),
            (PlayerKeys::key(&self.keys.forward), PlayerAction::Skip(SKIP_MS)),
        ];
        ctx.input_mut(|i| {
            for (key, action) in bound {
                if let Some(k) = key
                    && i.consume_key(Modifiers::NONE, k)
                {
                    actions.push(action);
                }
            }
        });
        actions
    }
}

/// What the player says when there is no sound device (the reason may end in a full stop).
fn no_sound_note(reason: &str) -> String {
    let reason = reason.trim_end().trim_end_matches('.');
    format!("No sound: {reason}. The player runs silently; everything else works.")
}

fn trim_speed(s: f32) -> String {
    let text = format!("{s:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Passes the actions for the engine to `player`; returns the rest for the app (Locate…).
pub fn carry_out(actions: Vec<PlayerAction>, player: &mut Player) -> Vec<PlayerAction> {
    let mut rest = Vec::new();
    for action in actions {
        match action {
            PlayerAction::TogglePlay => player.send(Command::Toggle),
            PlayerAction::Seek(ms) => player.send(Command::Seek(ms)),
            PlayerAction::Skip(ms) => player.send(Command::Skip(ms)),
            PlayerAction::SetSpeed(s) => player.send(Command::Speed(s)),
            PlayerAction::PlayFrom(ms) => {
                player.send(Command::Seek(ms));
                player.send(Command::Play);
            }
            PlayerAction::PlayRange { from, to } => player.send(Command::PlayRange { from, to }),
            PlayerAction::Locate => rest.push(action),
        }
    }
    rest
}

#[cfg(test)]
mod tests {
    use super::*;
    use codeloom::media::output::NullOutput;
    use egui_kittest::Harness;
    use egui_kittest::kittest::Queryable;
    use std::path::{Path, PathBuf};
    use std::time::Duration;

    struct Bench {
        view: PlayerView,
        player: Player,
        waveform: Waveform,
        missing: Option<String>,
        others: Vec<PlayerAction>,
        seen: Vec<PlayerAction>,
    }

    fn tone() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/media/tone.wav")
    }

    fn harness(missing: Option<String>) -> Harness<'static, Bench> {
        let mut player = Player::with_output(|| Box::new(NullOutput::new(8000, "no sound device in the tests")));
        player.send(Command::Load(tone()));
        player.wait(Duration::from_secs(20), |s| s.state == PlayState::Paused).expect("loaded");
        let bench = Bench {
            view: PlayerView::default(),
            player,
            waveform: Waveform::from_peaks(vec![120; 50], 1000),
            missing,
            others: Vec::new(),
            seen: Vec::new(),
        };
        Harness::builder().with_size(vec2(600.0, 200.0)).build_ui_state(
            |ui, b: &mut Bench| {
                let status = b.player.status();
                let coded = [CodedStretch { start_ms: 200, end_ms: 400, color: Color32::RED }];
                let model = PlayerModel {
                    status: &status,
                    waveform: Some(&b.waveform),
                    waveform_note: None,
                    coded: &coded,
                    missing: b.missing.as_deref(),
                };
                let mut actions = b.view.ui(ui, &model);
                actions.extend(b.view.keys(ui.ctx()));
                b.seen.extend(actions.iter().cloned());
                let rest = carry_out(actions, &mut b.player);
                b.others.extend(rest);
            },
            bench,
        )
    }

    fn settle(h: &mut Harness<'static, Bench>, until: impl Fn(&Status) -> bool) -> Status {
        let s = h.state().player.wait(Duration::from_secs(20), until).expect("the player did as asked");
        h.run_steps(2);
        s
    }

    #[test]
    fn play_and_pause_change_the_button_and_the_state() {
        let mut h = harness(None);
        h.run_steps(2);
        h.get_by_label("Play").click();
        h.run_steps(1);
        settle(&mut h, |s| s.is_playing());
        h.get_by_label("Pause").click();
        h.run_steps(1);
        settle(&mut h, |s| s.state == PlayState::Paused);
        h.get_by_label("Play");
        h.get_by_label_contains("No sound: no sound device in the tests");
    }

    #[test]
    fn a_click_on_the_overview_seeks_there() {
        let mut h = harness(None);
        h.run_steps(2);
        let rect = h.get_by_label("Recording overview").rect();
        let at = egui::pos2(rect.left() + rect.width() * 0.75, rect.center().y);
        h.event(egui::Event::PointerMoved(at));
        h.event(egui::Event::PointerButton {
            pos: at,
            button: egui::PointerButton::Primary,
            pressed: true,
            modifiers: Modifiers::NONE,
        });
        h.run_steps(1);
        h.event(egui::Event::PointerButton {
            pos: at,
            button: egui::PointerButton::Primary,
            pressed: false,
            modifiers: Modifiers::NONE,
        });
        h.run_steps(2);
        let s = settle(&mut h, |s| s.position_ms > 0);
        assert!((740..=760).contains(&s.position_ms), "seeked to {} ms", s.position_ms);
        h.get_by_label_contains("0:00 / 0:01");
    }

    #[test]
    fn the_speed_steps_between_half_and_double() {
        let mut h = harness(None);
        h.run_steps(2);
        h.get_by_label("Faster").click();
        h.run_steps(1);
        assert_eq!(settle(&mut h, |s| s.speed > 1.0).speed, 1.25);
        h.get_by_label("Speed 1.25×");
        for _ in 0..6 {
            h.get_by_label("Slower").click();
            h.run_steps(1);
            h.state().player.wait(Duration::from_secs(20), |_| true);
            h.run_steps(1);
        }
        assert_eq!(h.state().player.status().speed, 0.5);
        h.get_by_label("Speed 0.5×");
    }

    #[test]
    fn the_keys_work_the_player_and_never_take_coding_keys() {
        let mut h = harness(None);
        h.run_steps(2);
        h.key_press(Key::F4);
        h.run_steps(1);
        settle(&mut h, |s| s.is_playing());
        h.key_press(Key::F4);
        h.run_steps(1);
        let paused = settle(&mut h, |s| s.state == PlayState::Paused);
        h.key_press(Key::F3);
        h.run_steps(1);
        assert_eq!(settle(&mut h, |_| true).position_ms, 0, "back 5 s from under a second");
        h.key_press(Key::F5);
        h.run_steps(1);
        assert_eq!(settle(&mut h, |_| true).position_ms, 1000, "forward 5 s stops at the end");
        h.key_press(Key::C);
        h.run_steps(1);
        assert_eq!(h.state().seen.len(), 4, "C is not the player's: {:?}", h.state().seen);
        assert!(paused.position_ms <= 1000);

        let mut keys = PlayerKeys::default();
        assert!(keys.set(KeyRole::PlayPause, "C").unwrap_err().contains("codes the selection"));
        assert!(keys.set(KeyRole::Back, "Delete").is_err());
        assert!(keys.set(KeyRole::Back, "F5").unwrap_err().contains("already"));
        assert!(keys.set(KeyRole::Back, "Nonsense").is_err());
        keys.set(KeyRole::PlayPause, "F8").unwrap();
        let saved = serde_json::to_string(&keys).unwrap();
        assert_eq!(serde_json::from_str::<PlayerKeys>(&saved).unwrap().play_pause, "F8");
        h.state_mut().view.keys = keys;
        h.key_press(Key::F8);
        h.run_steps(1);
        settle(&mut h, |s| s.is_playing() || s.state == PlayState::Ended);
    }

    #[test]
    fn the_no_sound_note_ends_one_sentence_once() {
        let note = no_sound_note("The requested audio device is not available. It may have been disconnected.");
        assert!(note.contains("disconnected. The player runs silently"), "{note}");
        assert!(!note.contains(".."), "{note}");
    }

    #[test]
    fn a_missing_recording_offers_locate() {
        let mut h = harness(Some("P07_BL.m4a is not where it was".into()));
        h.run_steps(2);
        h.get_by_label_contains("not where it was");
        h.get_by_label("Locate…").click();
        h.run_steps(1);
        assert_eq!(h.state().others, [PlayerAction::Locate]);
    }
}
