//! A headless bench of the transcript view: the real view drawn in an `egui::Context`
//! (layout and tessellation, no GPU) on a synthetic 300,000-character transcript with
//! 5,000 codings from 3 coders. It times the first frame, frames while scrolling, and
//! frames while a mouse selection grows. `codeloom bench` adds these figures to its report.

use super::transcript::{Mark, TranscriptView, TurnRow};
use codeloom::bench::Measurement;
use codeloom::bench::corpus::{Rng, transcript};
use codeloom::import::turns::detect_turns;
use codeloom::model::offsets::CharIndex;
use egui::{Color32, Event, Pos2, RawInput, Rect, pos2, vec2};
use serde_json::json;
use std::time::Instant;

/// The size of the scenario.
pub struct ViewBenchSize {
    pub chars: usize,
    pub codings: usize,
    pub frames: usize,
}

impl ViewBenchSize {
    pub const FULL: ViewBenchSize = ViewBenchSize { chars: 300_000, codings: 5_000, frames: 240 };
    pub const QUICK: ViewBenchSize = ViewBenchSize { chars: 40_000, codings: 600, frames: 30 };
}

fn document(size: &ViewBenchSize, seed: u64) -> (Vec<TurnRow>, usize, Vec<Mark>) {
    let mut rng = Rng::new(seed);
    let mut text = transcript(&mut rng, 7, size.chars / 6);
    while text.chars().count() < size.chars {
        text.push_str(&transcript(&mut rng, 7, 2000));
    }
    let index = CharIndex::new(&text);
    let len = index.char_len();
    let turns: Vec<TurnRow> = detect_turns(&text)
        .into_iter()
        .map(|t| TurnRow {
            speaker: t.speaker.clone(),
            time: None,
            start: t.start,
            end: t.end,
            text: codeloom::model::offsets::slice_chars(&text, t.start, t.end).unwrap_or("").to_string(),
        })
        .collect();
    let coders = ["amara", "ben", "chen"];
    let marks = (0..size.codings)
        .map(|i| {
            let span = rng.below(300) + 15;
            let start = rng.below(len.saturating_sub(span).max(1));
            let code = rng.below(60);
            Mark {
                id: format!("coding-{i}"),
                code_id: format!("code-{code}"),
                code_name: format!("Theme {} / Code {code}", code / 10),
                coder: coders[i % 3].to_string(),
                start,
                end: start + span,
                color: Color32::from_rgb(
                    (code * 37 % 200) as u8 + 40,
                    (code * 91 % 200) as u8 + 40,
                    (code * 53 % 200) as u8 + 40,
                ),
                starred: i % 50 == 0,
                memo: (i % 70 == 0).then(|| "A note".to_string()),
            }
        })
        .collect();
    (turns, len, marks)
}

/// Runs one frame and returns its CPU time in seconds (layout, painting, tessellation).
fn frame(ctx: &egui::Context, view: &mut TranscriptView, events: Vec<Event>) -> f64 {
    let input = RawInput {
        screen_rect: Some(Rect::from_min_size(Pos2::ZERO, vec2(1440.0, 900.0))),
        events,
        ..Default::default()
    };
    let t = Instant::now();
    let out = ctx.run_ui(input, |ui| {
        egui::CentralPanel::default().show(ui, |ui| {
            view.ui(ui, &[]);
        });
    });
    let _ = ctx.tessellate(out.shapes, out.pixels_per_point);
    let elapsed = t.elapsed().as_secs_f64();
    // No renderer takes the font atlas's updates here; dropping them unapplied is what a
    // headless frame means (debug builds assert otherwise).
    let mut textures = out.textures_delta;
    textures.clear();
    elapsed
}

fn stats(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(|a, b| a.total_cmp(b));
    let at = |q: f64| v[((v.len() as f64 - 1.0) * q).round() as usize];
    (at(0.5), at(0.95), v.last().copied().unwrap_or(0.0))
}

/// Times the transcript view; returns the measurements for `codeloom bench`.
pub fn transcript_view(size: &ViewBenchSize, seed: u64) -> Vec<Measurement> {
    let (turns, len, marks) = document(size, seed);
    let turn_count = turns.len();
    let ctx = egui::Context::default();
    super::theme::apply(&ctx);
    // Fonts are loaded once when the application starts; do that before timing.
    let mut empty = TranscriptView::default();
    frame(&ctx, &mut empty, Vec::new());

    let mut view = TranscriptView::default();
    let t = Instant::now();
    view.set_document("bench", turns, len);
    view.set_marks(marks);
    let prepare = t.elapsed().as_secs_f64();
    let first = prepare + frame(&ctx, &mut view, Vec::new());
    // Let the background measuring of turn heights run its course, as it would while
    // the researcher starts reading (each of these frames is also timed).
    let mut settle = Vec::new();
    for _ in 0..size.frames {
        settle.push(frame(&ctx, &mut view, Vec::new()));
    }

    let centre = pos2(500.0, 450.0);
    let mut scrolling = Vec::new();
    for i in 0..size.frames {
        let dy = if i < size.frames * 3 / 4 { -180.0 } else { 600.0 };
        let events = vec![
            Event::PointerMoved(centre),
            Event::MouseWheel {
                unit: egui::MouseWheelUnit::Point,
                delta: vec2(0.0, dy),
                phase: egui::TouchPhase::Move,
                source: egui::MouseWheelSource::Unknown,
                modifiers: Default::default(),
            },
        ];
        scrolling.push(frame(&ctx, &mut view, events));
    }

    let mut selecting = Vec::new();
    let press = |pressed: bool, pos: Pos2| Event::PointerButton {
        pos,
        button: egui::PointerButton::Primary,
        pressed,
        modifiers: Default::default(),
    };
    let start = pos2(80.0, 200.0);
    frame(&ctx, &mut view, vec![Event::PointerMoved(start), press(true, start)]);
    for i in 0..size.frames {
        let p = pos2(80.0 + (i % 40) as f32 * 14.0, 200.0 + (i as f32 * 2.5) % 600.0);
        selecting.push(frame(&ctx, &mut view, vec![Event::PointerMoved(p)]));
    }
    frame(&ctx, &mut view, vec![press(false, pos2(400.0, 600.0))]);
    let selected = view.selection().map(|s| s.range());

    let (settle_med, settle_p95, settle_max) = stats(settle);
    let (scroll_med, scroll_p95, scroll_max) = stats(scrolling);
    let (sel_med, sel_p95, sel_max) = stats(selecting);
    let doc = json!({"characters": len, "turns": turn_count, "codings": size.codings, "coders": 3, "codes": 60, "window": "1440x900"});
    vec![
        Measurement {
            name: "transcript_first_frame".into(),
            what: format!(
                "open a {len}-character transcript ({turn_count} turns) with {} codings from 3 coders: prepare the view and draw the first frame (layout + tessellation, headless)",
                size.codings
            ),
            seconds: first,
            target_seconds: Some(0.1),
            details: json!({"document": doc, "prepare_seconds": prepare,
                "settling_frames": {"median": settle_med, "p95": settle_p95, "max": settle_max}}),
        },
        Measurement {
            name: "transcript_scroll_frame".into(),
            what: format!("median CPU time per frame while scrolling through the transcript ({} frames)", size.frames),
            seconds: scroll_med,
            target_seconds: Some(0.008),
            details: json!({"document": doc, "p95_seconds": scroll_p95, "max_seconds": scroll_max}),
        },
        Measurement {
            name: "transcript_selection_frame".into(),
            what: format!("median CPU time per frame while a mouse selection changes ({} frames)", size.frames),
            seconds: sel_med,
            target_seconds: Some(0.008),
            details: json!({"document": doc, "p95_seconds": sel_p95, "max_seconds": sel_max, "final_selection": selected}),
        },
    ]
}

/// The window's side of the scale study at `path` (`codeloom bench --scale`): opening it
/// to the [`Study`](super::study::Study) its first frame draws, and
/// each kind of change the window makes, timed as the window makes them: the operation,
/// its change set and the Study's update through [`Session::change`](super::session::Session::change).
/// Drawing is not included (the panels are virtualised; `transcript_view` times frames),
/// nor is memory (this process has built the study; measure the window's own with
/// `/usr/bin/time -v codeloom STUDY`).
pub fn study_at_scale(path: &std::path::Path) -> codeloom::Result<Vec<Measurement>> {
    use super::session::Session;
    use codeloom::store::ops::{CodingChanges, NewCode, NewCoding};
    let t = Instant::now();
    let mut project = codeloom::Project::open(path)?;
    project.set_coder("bench")?;
    let mut session = Session::open(project)?;
    let open = t.elapsed().as_secs_f64();
    let n = session.study.documents.len();
    let doc = session.study.documents.get(n / 2).map(|d| d.document.id.clone()).unwrap_or_default();
    let code = session.study.codes.first().map(|c| c.id.clone()).unwrap_or_default();
    let other = session.study.codes.get(1).map(|c| c.id.clone()).unwrap_or_default();
    // Names no earlier run left in the study (a kept study is measured again and again).
    let nonce = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis());
    let mut times: Vec<(&str, Vec<f64>)> = Vec::new();
    let mut time = |name: &'static str,
                    session: &mut Session,
                    f: &mut dyn FnMut(&mut codeloom::Project) -> codeloom::Result<()>|
     -> codeloom::Result<()> {
        let t = Instant::now();
        session.change(|p| f(p))?;
        let s = t.elapsed().as_secs_f64();
        match times.iter_mut().find(|(k, _)| *k == name) {
            Some((_, v)) => v.push(s),
            None => times.push((name, vec![s])),
        }
        Ok(())
    };
    for run in 0..5usize {
        let start = 17 + run * 211;
        let new = NewCoding {
            document_id: doc.clone(),
            start,
            end: start + 40,
            code_id: code.clone(),
            coder: None,
            memo: None,
            illustrative: false,
        };
        let mut id = String::new();
        time("apply a coding", &mut session, &mut |p| p.apply_coding(new.clone()).map(|a| id = a.id))?;
        let resize = CodingChanges { end: Some(start + 48), ..Default::default() };
        time("resize a coding", &mut session, &mut |p| p.update_coding(&id, resize.clone()))?;
        let recode = CodingChanges { code_id: Some(other.clone()), ..Default::default() };
        time("recode a coding", &mut session, &mut |p| p.update_coding(&id, recode.clone()))?;
        time("delete a coding", &mut session, &mut |p| p.delete_coding(&id))?;
        let mut new_code = String::new();
        let code_row = NewCode { name: format!("Bench code {nonce}-{run}"), ..Default::default() };
        time("add a code", &mut session, &mut |p| p.create_code(code_row.clone()).map(|c| new_code = c))?;
        let rename =
            codeloom::store::ops::CodeChanges { name: Some(format!("Renamed {nonce}-{run}")), ..Default::default() };
        time("rename a code", &mut session, &mut |p| p.update_code(&new_code, rename.clone()))?;
        time("move a code", &mut session, &mut |p| p.move_code(&new_code, Some(&code), None))?;
        time("undo", &mut session, &mut |p| p.undo().map(|_| ()))?;
        time("redo", &mut session, &mut |p| p.redo().map(|_| ()))?;
    }
    let mut out = vec![Measurement {
        name: format!("scale_window_open_{n}"),
        what: format!(
            "open a project of {n} documents to the Study the first frame draws (documents grid, codes with counts, coders)"
        ),
        seconds: open,
        target_seconds: Some(1.0),
        details: json!({}),
    }];
    let per_change: serde_json::Map<String, serde_json::Value> =
        times.iter().map(|(k, v)| (k.to_string(), json!(stats(v.clone()).0))).collect();
    let worst = times.iter().map(|(_, v)| stats(v.clone()).0).fold(0.0, f64::max);
    out.push(Measurement {
        name: format!("scale_window_change_{n}"),
        what: format!(
            "each kind of change the window makes in a project of {n} documents: the operation, its change set and the Study's update; seconds is the slowest kind's median (drawing not included)"
        ),
        seconds: worst,
        target_seconds: Some(0.05),
        details: json!({ "median_seconds": per_change, "runs": 5 }),
    });
    Ok(out)
}
