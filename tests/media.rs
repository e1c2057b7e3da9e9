//! Interview recordings: decoding every claimed format from the committed fixtures
//! (`fixtures/media/`, made by `fixtures/media/make.sh`), linking on import by base name,
//! finding moved and reporting replaced files, undo and redo of links and sync points,
//! the player with no sound device, and the `codeloom media` commands with bad input.

use codeloom::Project;
use codeloom::import;
use codeloom::media::decode::{Source, probe};
use codeloom::media::fingerprint::Whereabouts;
use codeloom::media::link;
use codeloom::media::player::{Command, PlayState, Player};
use codeloom::media::sync::{Basis, Timeline};
use codeloom::media::waveform::Waveform;
use codeloom::media::{MediaProblem, output::NullOutput};
use codeloom::store::media_ops::SyncPoint;
use std::path::{Path, PathBuf};
use std::time::Duration;

mod common;
use common::{codeloom, json, ok, root};

fn fixture(name: &str) -> PathBuf {
    root().join("fixtures/media").join(name)
}

/// The root mean square of the first tenth of a second of a recording.
fn first_energy(path: &Path) -> (f32, u32) {
    let mut source = Source::open(path).unwrap_or_else(|e| panic!("{e}"));
    let rate = source.info().sample_rate;
    let want = rate as usize / 10;
    let mut samples = Vec::new();
    while samples.len() < want + rate as usize / 20 {
        let Some(b) = source.next_block().unwrap() else { break };
        samples.extend(b.samples);
    }
    // Skip the codec's start-up (encoder delay) before measuring.
    let part = &samples[rate as usize / 20..(rate as usize / 20 + want).min(samples.len())];
    ((part.iter().map(|s| s * s).sum::<f32>() / part.len() as f32).sqrt(), rate)
}

#[test]
fn every_claimed_format_decodes_with_its_length_and_sound() {
    for (name, video) in [
        ("tone.wav", false),
        ("tone.mp3", false),
        ("tone.m4a", false),
        ("tone.flac", false),
        ("tone.ogg", false),
        ("tone.mp4", true),
        ("tone.mov", true),
        ("tone.mkv", true),
        ("tone.webm", true),
    ] {
        let path = fixture(name);
        let info = probe(&path).unwrap_or_else(|e| panic!("{e}"));
        let ms = info.duration_ms.unwrap_or_else(|| panic!("{name}: no length"));
        assert!((950..=1100).contains(&ms), "{name}: {ms} ms");
        assert_eq!(info.has_video, video, "{name}");
        let (rms, _) = first_energy(&path);
        // A sine of amplitude a has an RMS of a/√2; ffmpeg's sine source has a = 1/8.
        assert!((0.06..0.11).contains(&rms), "{name}: RMS {rms}");
    }
}

#[test]
fn an_opus_sound_track_and_a_missing_file_give_clear_errors() {
    let opus = Source::open(&fixture("tone-opus.webm")).err().expect("Opus is not played");
    assert_eq!(opus.problem, MediaProblem::UnsupportedCodec("Opus".into()));
    assert!(opus.to_string().contains("tone-opus.webm"), "{opus}");
    let missing = Source::open(&fixture("none.m4a")).err().expect("missing");
    assert_eq!(missing.problem, MediaProblem::Missing);
    let text = Source::open(&fixture("tone.vtt")).err().expect("not a recording");
    assert!(matches!(text.problem, MediaProblem::UnsupportedType(_)), "{text}");
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("fake.m4a");
    std::fs::write(&fake, b"this is not a recording at all").unwrap();
    let bad = Source::open(&fake).err().expect("not a recording");
    assert!(matches!(bad.problem, MediaProblem::Corrupt(_)), "{bad}");
}

#[test]
fn seeking_lands_on_the_time_asked_for() {
    for name in ["tone.m4a", "tone.mp3", "tone.wav", "tone.ogg"] {
        let mut s = Source::open(&fixture(name)).unwrap();
        s.seek(600).unwrap();
        let b = s.next_block().unwrap().expect("sound after the seek");
        assert!((b.start_ms - 600.0).abs() < 30.0, "{name}: the block starts at {} ms", b.start_ms);
    }
}

/// A project with the fixture VTT imported, and the folder it came from.
fn imported_with_recording(dir: &Path) -> (Project, String, PathBuf) {
    let folder = dir.join("interviews");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::copy(fixture("tone.vtt"), folder.join("P07_BL.vtt")).unwrap();
    std::fs::copy(fixture("tone.m4a"), folder.join("P07_BL.m4a")).unwrap();
    let mut p = Project::create(&dir.join("study.codeloom")).unwrap();
    let report = import::import_paths(&mut p, std::slice::from_ref(&folder), None, &mut |_| {}).unwrap();
    assert_eq!(report.imported(), 1);
    let vtt = report.files.iter().find(|f| f.path.ends_with("P07_BL.vtt")).unwrap();
    assert_eq!(vtt.recording.as_deref(), Some(folder.join("P07_BL.m4a").as_path()));
    let skipped = report.files.iter().find(|f| f.path.ends_with("P07_BL.m4a")).unwrap();
    assert!(
        matches!(&skipped.outcome, import::FileOutcome::Skipped { reason } if reason.contains("linked to P07_BL")),
        "{:?}",
        skipped.outcome
    );
    let id = p.resolve_document("P07_BL").unwrap();
    (p, id, folder)
}

#[test]
fn a_recording_beside_a_transcript_is_linked_on_import_and_found_after_a_move() {
    let dir = tempfile::tempdir().unwrap();
    let (p, id, folder) = imported_with_recording(dir.path());
    let rec = p.recording(&id).unwrap().expect("linked on import");
    assert_eq!((rec.path.as_str(), rec.relative, rec.format.as_str()), ("interviews/P07_BL.m4a", true, "m4a"));
    assert!(rec.duration_ms.is_some_and(|d| (950..=1100).contains(&d)));
    let project = p.path().to_path_buf();
    assert_eq!(link::whereabouts(&project, &rec), Whereabouts::Found(folder.join("P07_BL.m4a")));

    std::fs::create_dir_all(folder.join("audio")).unwrap();
    let moved = folder.join("audio/renamed.m4a");
    std::fs::rename(folder.join("P07_BL.m4a"), &moved).unwrap();
    assert_eq!(link::whereabouts(&project, &rec), Whereabouts::Moved(moved.clone()));

    std::fs::copy(fixture("tone.mp3"), folder.join("P07_BL.m4a")).unwrap();
    assert_eq!(link::whereabouts(&project, &rec), Whereabouts::Replaced(folder.join("P07_BL.m4a")));
    std::fs::remove_file(folder.join("P07_BL.m4a")).unwrap();
    std::fs::remove_file(&moved).unwrap();
    let gone = link::whereabouts(&project, &rec);
    assert_eq!(gone, Whereabouts::Missing(folder.join("P07_BL.m4a")));
    assert_eq!(gone.playable(), None);
}

#[test]
fn links_and_sync_points_undo_and_redo_and_go_with_their_document() {
    let dir = tempfile::tempdir().unwrap();
    let (mut p, id, folder) = imported_with_recording(dir.path());
    p.unlink_recording(&id).unwrap();
    assert_eq!(p.recording(&id).unwrap(), None);
    p.undo().unwrap();
    assert!(p.recording(&id).unwrap().is_some(), "undo brings the link back");
    p.redo().unwrap();
    assert_eq!(p.recording(&id).unwrap(), None);
    let relinked = link::link_file(&mut p, &id, &folder.join("P07_BL.m4a")).unwrap();
    assert_eq!(relinked.document, "P07_BL");

    let first = p.set_sync_point(&id, SyncPoint { position: 10, time_ms: 200 }).unwrap();
    p.set_sync_point(&id, SyncPoint { position: 40, time_ms: 700 }).unwrap();
    let backwards = p.set_sync_point(&id, SyncPoint { position: 50, time_ms: 100 }).unwrap_err();
    assert!(backwards.to_string().contains("time must run forward"), "{backwards}");
    p.move_sync_point(&first, SyncPoint { position: 12, time_ms: 300 }).unwrap();
    let at = |p: &Project| {
        p.sync_points(&id).unwrap().iter().map(|s| (s.point.position, s.point.time_ms)).collect::<Vec<_>>()
    };
    assert_eq!(at(&p), [(12, 300), (40, 700)]);
    p.undo().unwrap();
    assert_eq!(at(&p), [(10, 200), (40, 700)], "undo of a move");
    p.remove_sync_point(&first).unwrap();
    assert_eq!(at(&p), [(40, 700)]);
    p.undo().unwrap();
    p.undo().unwrap();
    assert_eq!(at(&p), [(10, 200)], "undo of a removal, then of a set");
    p.redo().unwrap();
    assert_eq!(at(&p), [(10, 200), (40, 700)]);

    p.delete_document(&id).unwrap();
    assert!(p.recordings().unwrap().is_empty());
    assert!(p.sync_points(&id).unwrap().is_empty());
    p.undo().unwrap();
    assert!(p.recording(&id).unwrap().is_some(), "undoing the deletion restores the link");
    assert_eq!(at(&p).len(), 2);
}

#[test]
fn the_timeline_of_a_captioned_transcript_follows_its_cues() {
    let dir = tempfile::tempdir().unwrap();
    let (p, id, _) = imported_with_recording(dir.path());
    let turns = p.turns(&id).unwrap();
    let doc = p.document(&id).unwrap();
    let tl = Timeline::new(&turns, &[], doc.char_count, p.recording(&id).unwrap().and_then(|r| r.duration_ms));
    assert_eq!(tl.basis(), Basis::Turns);
    assert_eq!(tl.time_at(turns[1].start), 500);
    assert_eq!(codeloom::media::sync::turn_at_time(&tl, &turns, 499), Some(0));
    assert_eq!(codeloom::media::sync::turn_at_time(&tl, &turns, 500), Some(1));
}

#[test]
fn the_player_plays_through_a_silent_output_when_there_is_no_device() {
    let mut player = Player::with_output(|| Box::new(NullOutput::new(48_000, "no sound device")));
    player.send(Command::Load(fixture("tone.m4a")));
    let long = Duration::from_secs(20);
    player.wait(long, |s| s.state == PlayState::Paused).expect("loaded");
    player.send(Command::Speed(0.5));
    player.send(Command::Play);
    player.wait(long, |s| s.is_playing() && s.position_ms > 100).expect("the position moves at half speed");
    player.send(Command::Speed(2.0));
    let s = player.wait(long, |s| s.state == PlayState::Ended).expect("plays to the end");
    assert_eq!(s.speed, 2.0);
    assert!(matches!(s.device, Some(codeloom::media::output::Device::Silent { .. })));
}

/// `idle` tells a window whether the player has caught up with what it was sent (the
/// window asks for frames until it has): not while the output is still being opened.
#[test]
fn the_player_is_idle_once_it_has_carried_out_every_command() {
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let mut player = Player::with_output(move || {
        let _ = rx.recv_timeout(Duration::from_secs(20));
        Box::new(NullOutput::new(48_000, "no sound device"))
    });
    assert!(player.idle(), "nothing sent yet");
    player.send(Command::Load(fixture("tone.wav")));
    assert!(!player.idle(), "the output is not open yet, so the Load waits");
    tx.send(()).unwrap();
    player.wait(Duration::from_secs(20), |s| s.state == PlayState::Paused).expect("loaded");
    assert!(player.idle());
}

#[test]
fn the_overview_of_a_recording_is_computed_and_cached() {
    let dir = tempfile::tempdir().unwrap();
    let w = Waveform::compute(&fixture("tone.flac"), 2, &Default::default()).unwrap();
    assert_eq!(w.peaks().len(), 50, "1 s in 20 ms buckets");
    assert!(w.peaks().iter().all(|&p| (25..40).contains(&p)), "a steady tone of 1/8: {:?}", w.peaks());
    let cache = codeloom::media::waveform::cache_path(&dir.path().join("s.codeloom"), "00ff");
    let job = codeloom::media::waveform::WaveformJob::start(fixture("tone.wav"), Some(cache.clone()));
    let computed = job.wait().unwrap();
    assert_eq!(Waveform::load(&cache).as_ref(), Some(&*computed));
}

fn project_with_document(dir: &Path) -> String {
    let p = dir.join("study.codeloom");
    ok(&["new", p.to_str().unwrap()]);
    let vtt = dir.join("P07_BL.vtt");
    std::fs::copy(fixture("tone.vtt"), &vtt).unwrap();
    ok(&["import", p.to_str().unwrap(), vtt.to_str().unwrap()]);
    p.to_str().unwrap().to_string()
}

fn fails(args: &[&str]) -> String {
    let out = codeloom(args);
    assert!(!out.status.success(), "{args:?} should fail");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn the_media_commands_link_list_sync_and_unlink() {
    let dir = tempfile::tempdir().unwrap();
    let project = project_with_document(dir.path());
    let file = fixture("tone.mp4");
    let out = ok(&["media", "link", &project, "P07_BL", file.to_str().unwrap()]);
    assert!(out.contains("linked") && out.contains("picture is not shown yet"), "{out}");
    let list = json(&["media", "list", &project, "--json"]);
    assert_eq!(list[0]["status"], "ok");
    assert_eq!(list[0]["recording"]["has_video"], true);
    ok(&["media", "sync", &project, "P07_BL", "--turn", "2", "--at", "0:00.6"]);
    let times = json(&["media", "sync", &project, "P07_BL", "--json"]);
    assert_eq!(times["turns"][1]["time_ms"], 600);
    assert_eq!(times["turns"][1]["sync_point"], true);
    ok(&["undo", &project]);
    let times = json(&["media", "sync", &project, "P07_BL", "--json"]);
    assert_eq!(times["turns"][1]["time_ms"], 500, "undo of a sync point from the command line");
    ok(&["media", "unlink", &project, "P07_BL"]);
    assert_eq!(json(&["media", "list", &project, "--json"]), serde_json::json!([]));
}

#[test]
fn the_media_commands_explain_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let project = project_with_document(dir.path());
    let missing = dir.path().join("absent.m4a");
    let err = fails(&["media", "link", &project, "P07_BL", missing.to_str().unwrap()]);
    assert!(err.contains("absent.m4a") && err.contains("not there"), "{err}");
    let err = fails(&["media", "link", &project, "P99_XX", fixture("tone.wav").to_str().unwrap()]);
    assert!(err.contains("P99_XX"), "{err}");
    let err = fails(&["media", "link", &project, "P07_BL", fixture("tone-opus.webm").to_str().unwrap()]);
    assert!(err.contains("tone-opus.webm") && err.contains("Opus"), "{err}");
    let err = fails(&["media", "sync", &project, "P07_BL", "--turn", "1", "--at", "12:7x"]);
    assert!(err.contains("bad time \"12:7x\""), "{err}");
    let err = fails(&["media", "sync", &project, "P07_BL", "--turn", "9", "--at", "1:00"]);
    assert!(err.contains("no turn 9"), "{err}");
    let err = fails(&["media", "unlink", &project, "P07_BL"]);
    assert!(err.contains("no recording"), "{err}");
    let err = fails(&["media", "list", dir.path().join("none.codeloom").to_str().unwrap()]);
    assert!(err.contains("none.codeloom"), "{err}");
}

#[test]
fn quote_exports_can_give_the_time_of_each_quote() {
    use codeloom::export::quotes::{QuoteOptions, quote_report};
    use codeloom::store::ops::{NewCode, NewCoding};
    let dir = tempfile::tempdir().unwrap();
    let (mut p, id, _) = imported_with_recording(dir.path());
    let turns = p.turns(&id).unwrap();
    p.set_sync_point(&id, SyncPoint { position: turns[1].start, time_ms: 65_000 }).unwrap();
    let code = p.create_code(NewCode { name: "Weeks".into(), ..Default::default() }).unwrap();
    p.apply_coding(NewCoding {
        document_id: id.clone(),
        start: turns[1].start,
        end: turns[1].end,
        code_id: code,
        coder: None,
        memo: None,
        illustrative: true,
    })
    .unwrap();
    let options = QuoteOptions { template: "[{participant}, {time}]".into(), ..Default::default() };
    let report = quote_report(&p, &options).unwrap();
    let text = format!("{report:?}");
    assert!(text.contains("[P07, 1:05]"), "{text}");
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    p.unlink_recording(&id).unwrap();
    let text = format!("{:?}", quote_report(&p, &options).unwrap());
    assert!(text.contains("[P07]"), "without a recording the time is left out: {text}");
}
