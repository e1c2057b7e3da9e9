//! REFI-QDA exchange of interview recordings: a document with a linked recording travels
//! as an audio or video source whose transcript carries the text, the sync points and the
//! codings; the recording goes inside the `.qdpx` (or is referred to by its path when it
//! is not found) and comes back linked, unpacked beside the new project; recordings that
//! are not there are named in the import report, never an error.

use codeloom::Project;
use codeloom::import;
use codeloom::interop::qdpx_media::media_folder;
use codeloom::interop::{QdpxReport, export_qdpx, import_qdpx, new_project_from_qdpx};
use codeloom::media::link;
use codeloom::store::media_ops::SyncPoint;
use codeloom::store::ops::{NewCode, NewCoding};
use codeloom::store::queries::CodingFilter;
use std::path::{Path, PathBuf};
use std::process::Command;

mod common;

fn fixture(name: &str) -> PathBuf {
    common::root().join("fixtures/media").join(name)
}

const TEXT: &str = "INTERVIEWER: How did the week go?\n\nP07: Better than the last one. I paced myself.\n";

/// A project with two interviews: `P07_BL` (a plain transcript with `tone.wav` beside it,
/// two sync points and three codings) and `P08_BL` (captions with turn times, `tone.mp4`).
fn recorded_project(dir: &Path) -> Project {
    let folder = dir.join("interviews");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("P07_BL.txt"), TEXT).unwrap();
    std::fs::copy(fixture("tone.wav"), folder.join("P07_BL.wav")).unwrap();
    std::fs::copy(fixture("tone.vtt"), folder.join("P08_BL.vtt")).unwrap();
    std::fs::copy(fixture("tone.mp4"), folder.join("P08_BL.mp4")).unwrap();
    let mut p = Project::create(&dir.join("study.codeloom")).unwrap();
    p.set_coder("amara").unwrap();
    let report = import::import_paths(&mut p, std::slice::from_ref(&folder), None, &mut |_| {}).unwrap();
    assert_eq!(report.imported(), 2);
    let id = p.resolve_document("P07_BL").unwrap();
    assert!(p.recording(&id).unwrap().is_some(), "linked on import");
    let turns = p.turns(&id).unwrap();
    p.set_sync_point(&id, SyncPoint { position: turns[1].start, time_ms: 480 }).unwrap();
    p.set_sync_point(&id, SyncPoint { position: 70, time_ms: 800 }).unwrap();
    let pacing = p.create_code(NewCode { name: "Pacing".into(), ..Default::default() }).unwrap();
    let hope = p.create_code(NewCode { name: "Hope".into(), ..Default::default() }).unwrap();
    for (start, end, code, memo) in
        [(turns[1].start, 64, &hope, None), (65, 80, &pacing, Some("pacing & \"energy\"")), (70, 80, &hope, None)]
    {
        let coding = NewCoding {
            document_id: id.clone(),
            start,
            end,
            code_id: code.clone(),
            coder: None,
            memo: memo.map(str::to_string),
            illustrative: false,
        };
        p.apply_coding(coding).unwrap();
    }
    p
}

fn points(p: &Project, doc: &str) -> Vec<(usize, u64)> {
    let id = p.resolve_document(doc).unwrap();
    p.sync_points(&id).unwrap().into_iter().map(|s| (s.point.position, s.point.time_ms)).collect()
}

fn codings(p: &Project, doc: &str) -> Vec<(usize, usize, String, String, Option<String>)> {
    let id = p.resolve_document(doc).unwrap();
    let filter = CodingFilter { document_id: Some(id), ..Default::default() };
    let mut v: Vec<_> = p
        .codings(&filter)
        .unwrap()
        .into_iter()
        .map(|c| (c.start, c.end, p.code(&c.code_id).unwrap().name, c.coder, c.memo))
        .collect();
    v.sort();
    v
}

fn archive_names(qdpx: &Path) -> Vec<String> {
    let archive = zip::ZipArchive::new(std::fs::File::open(qdpx).unwrap()).unwrap();
    archive.file_names().map(|n| n.unwrap().to_string()).collect()
}

fn read_entry(qdpx: &Path, name: &str) -> Vec<u8> {
    let mut archive = zip::ZipArchive::new(std::fs::File::open(qdpx).unwrap()).unwrap();
    let mut data = Vec::new();
    std::io::Read::read_to_end(&mut archive.by_name(name).unwrap(), &mut data).unwrap();
    data
}

/// `project.qde` of `qdpx` validates against `Project.xsd` (a visible skip without xmllint).
fn assert_valid(test: &str, qdpx: &Path) {
    let qde = qdpx.with_extension("qde");
    std::fs::write(&qde, read_entry(qdpx, "project.qde")).unwrap();
    if !common::tool(test, "xmllint", &["--version"]) {
        return;
    }
    let xsd = common::root().join("tests/data/refi/Project.xsd");
    let out = Command::new("xmllint").arg("--noout").arg("--schema").arg(xsd).arg(&qde).output().unwrap();
    assert!(out.status.success(), "project.qde does not validate:\n{}", String::from_utf8_lossy(&out.stderr));
}

fn line_with(r: &QdpxReport, needle: &str) -> Option<String> {
    r.lines().into_iter().find(|l| l.starts_with("recording of") && l.contains(needle))
}

#[test]
fn recordings_sync_points_and_codings_travel_inside_the_qdpx() {
    let dir = tempfile::tempdir().unwrap();
    let p = recorded_project(dir.path());
    let out = dir.path().join("out/study.qdpx");
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    let report = export_qdpx(&p, &out).unwrap();
    assert_eq!(report.recordings.len(), 2);
    assert!(report.recordings.iter().all(|r| r.included && r.path.starts_with("internal://")), "{report:#?}");
    assert!(!report.not_exported.iter().any(|n| n.what == "turn timestamps"), "turn times go as sync points");
    // Two stored sync points on P07; P08's two cues start at 0 and 500 ms.
    assert_eq!(report.sync_points, 4);
    assert_valid("recordings_sync_points_and_codings_travel_inside_the_qdpx", &out);

    let names = archive_names(&out);
    assert_eq!(names.iter().filter(|n| n.ends_with(".wav")).count(), 1, "{names:?}");
    assert_eq!(names.iter().filter(|n| n.ends_with(".mp4")).count(), 1, "{names:?}");
    let wav = names.iter().find(|n| n.ends_with(".wav")).unwrap();
    assert_eq!(read_entry(&out, wav), std::fs::read(fixture("tone.wav")).unwrap(), "the recording as it is");
    let qde = String::from_utf8(read_entry(&out, "project.qde")).unwrap();
    assert_eq!(qde.matches("<AudioSource ").count(), 1);
    assert_eq!(qde.matches("<VideoSource ").count(), 1, "mp4 is a video source");
    assert_eq!(qde.matches("<TranscriptSelection ").count(), 3);
    assert!(!qde.contains("<TextSource "), "both documents have recordings");

    // Into a new project beside another folder: the recordings are unpacked beside it.
    let target = dir.path().join("elsewhere/back.codeloom");
    std::fs::create_dir_all(target.parent().unwrap()).unwrap();
    let back = new_project_from_qdpx(&target, &out, "importer").unwrap();
    assert!(back.unplaced.is_empty() && back.not_imported.is_empty(), "{back:#?}");
    assert_eq!((back.imported.recordings, back.imported.sync_points), (2, 4));
    assert!(back.recordings.iter().all(|r| r.linked.is_some() && r.problem.is_none()), "{:#?}", back.recordings);
    let q = Project::open(&target).unwrap();
    for doc in ["P07_BL", "P08_BL"] {
        let (a, b) = (p.resolve_document(doc).unwrap(), q.resolve_document(doc).unwrap());
        assert_eq!(p.document_text(&a).unwrap(), q.document_text(&b).unwrap(), "{doc}: text");
        assert_eq!(codings(&p, doc), codings(&q, doc), "{doc}: codings");
        let (ra, rb) = (p.recording(&a).unwrap().unwrap(), q.recording(&b).unwrap().unwrap());
        assert_eq!((ra.fingerprint, ra.size, ra.format), (rb.fingerprint.clone(), rb.size, rb.format.clone()), "{doc}");
        assert!(rb.relative && rb.path.starts_with("back.media/"), "{}", rb.path);
        assert_eq!(
            link::whereabouts(q.path(), &rb).playable(),
            Some(media_folder(&target).join(Path::new(&rb.path).file_name().unwrap()).as_path())
        );
    }
    assert_eq!(points(&p, "P07_BL"), points(&q, "P07_BL"), "stored sync points come back as they were");
    let cues: Vec<(usize, u64)> = p
        .turns(&p.resolve_document("P08_BL").unwrap())
        .unwrap()
        .iter()
        .map(|t| (t.start, t.time_start_ms.unwrap()))
        .collect();
    assert_eq!(points(&q, "P08_BL"), cues, "turn times come back as sync points");
}

#[test]
fn a_recording_not_found_is_referred_to_by_path_and_found_beside_the_qdpx() {
    let dir = tempfile::tempdir().unwrap();
    let p = recorded_project(dir.path());
    std::fs::remove_file(dir.path().join("interviews/P08_BL.mp4")).unwrap();
    let out = dir.path().join("shared/study.qdpx");
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    let report = export_qdpx(&p, &out).unwrap();
    let missing = report.recordings.iter().find(|r| r.document == "P08_BL").unwrap();
    assert_eq!(missing.path, "relative:///interviews/P08_BL.mp4");
    assert!(!missing.included && missing.reason.as_deref().unwrap().contains("not found"), "{missing:?}");
    assert_valid("a_recording_not_found_is_referred_to_by_path_and_found_beside_the_qdpx", &out);
    let qde = String::from_utf8(read_entry(&out, "project.qde")).unwrap();
    assert!(qde.contains("basePath="), "relative paths start from the project's folder");

    // Imported where neither the base path nor the file beside the .qdpx holds it: named
    // in the report, and the rest comes across (sync points included).
    std::fs::rename(dir.path().join("interviews"), dir.path().join("moved")).unwrap();
    let mut q = Project::create(&dir.path().join("shared/back.codeloom")).unwrap();
    let r = import_qdpx(&mut q, &out).unwrap();
    assert_eq!(r.imported.documents, 2);
    assert_eq!(r.imported.recordings, 1);
    let line = line_with(&r, "P08_BL").expect("the missing recording is named");
    assert!(line.contains("not linked: missing") && line.contains("P08_BL.mp4"), "{line}");
    assert_eq!(points(&q, "P08_BL").len(), 2, "sync points are kept for a recording linked later");

    // Put beside the .qdpx at its relative path, it is found and linked.
    std::fs::create_dir_all(dir.path().join("shared/interviews")).unwrap();
    std::fs::copy(fixture("tone.mp4"), dir.path().join("shared/interviews/P08_BL.mp4")).unwrap();
    let target = dir.path().join("shared/again.codeloom");
    let r = new_project_from_qdpx(&target, &out, "importer").unwrap();
    assert_eq!(r.imported.recordings, 2, "{:#?}", r.recordings);
    let q = Project::open(&target).unwrap();
    let rec = q.recording(&q.resolve_document("P08_BL").unwrap()).unwrap().unwrap();
    assert_eq!((rec.path.as_str(), rec.relative), ("interviews/P08_BL.mp4", true));
}

#[test]
fn a_failed_import_leaves_no_unpacked_recording_behind() {
    let dir = tempfile::tempdir().unwrap();
    let p = recorded_project(dir.path());
    let out = dir.path().join("study.qdpx");
    export_qdpx(&p, &out).unwrap();
    // A read-only project: storing fails after the recordings were unpacked.
    drop(p);
    let mut q = Project::open_read_only(&dir.path().join("study.codeloom")).unwrap();
    assert!(import_qdpx(&mut q, &out).is_err());
    assert!(!media_folder(&dir.path().join("study.codeloom")).exists(), "nothing left behind");
}

#[test]
fn sky_loom_transcripts_sync_points_and_missing_recordings_are_reported() {
    let test = "sky_loom_transcripts_sync_points_and_missing_recordings_are_reported";
    let Some(folder) = common::shared(test, "interop/samples/sky-loom") else { return };
    // Spec Annex A.2 (ATLAS.ti 8.4): an audio source without a transcript, two video
    // sources with three transcripts and 13 sync points, the recordings outside the file
    // (relative:/// under an absolute basePath) and absent, the transcripts' text too.
    for name in ["TestProject.qdpx", "Project.qde"] {
        let dir = tempfile::tempdir().unwrap();
        let mut p = Project::create(&dir.path().join("t.codeloom")).unwrap();
        let r = import_qdpx(&mut p, &folder.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let not = |what: &str| r.not_imported.iter().filter(|n| n.what == what).map(|n| n.count).sum::<usize>();
        assert_eq!(not("audio and video sources without a transcript"), 1, "{name}");
        assert_eq!(not("transcripts whose text file is missing or unreadable"), 3, "{name}");
        assert_eq!(not("sync points"), 13, "{name}: their transcripts' text is missing");
        assert_eq!(not("selections of recordings by time (audio and video selections)"), 2, "{name}");
        assert_eq!(r.recordings.len(), 3, "{name}");
        for (source, file) in [
            ("Jeanine's Breakfast.m4a", "DF370983-F009-4D47-8615-711633FA9DE6.m4a"),
            ("1960s Coca Cola commercial.mp4", "5293A7DD-8139-4811-88E4-3357E3AA64E1.mp4"),
            ("1994 Diet Coke-Diet Coke Break.mp4", "DAD05D08-38E7-4F58-BF6D-9AAE714F2F50.mp4"),
        ] {
            let line = line_with(&r, source).unwrap_or_else(|| panic!("{name}: {source} not in the report"));
            assert!(line.contains("not linked: missing") && line.contains(file), "{name}: {line}");
        }
        assert!(p.recordings().unwrap().is_empty());
    }
}

#[test]
fn sky_loom_transcripts_with_their_text_become_documents_with_sync_points() {
    let test = "sky_loom_transcripts_with_their_text_become_documents_with_sync_points";
    let Some(folder) = common::shared(test, "interop/samples/sky-loom") else { return };
    // The sample without its text files, given them: the 11 timed points of the Diet Coke
    // transcript become sync points over a text long enough to hold them.
    let qde = std::fs::read_to_string(folder.join("Project.qde")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let qdpx = dir.path().join("sky.qdpx");
    {
        let mut zip = zip::ZipWriter::new(std::fs::File::create(&qdpx).unwrap());
        let opts = zip::write::SimpleFileOptions::default();
        zip.start_file("Project.qde", opts).unwrap();
        std::io::Write::write_all(&mut zip, qde.as_bytes()).unwrap();
        for guid in ["01106019-2518-43DD-BBD1-8F0252BACB30", "C8A57C71-D156-4A94-8407-2BD2FA57E2A4"] {
            zip.start_file(format!("Sources/{guid}.txt"), opts).unwrap();
            std::io::Write::write_all(&mut zip, format!("Transcript {guid}: words words.").as_bytes()).unwrap();
        }
        zip.start_file("Sources/230B768E-5A3D-42B7-BE92-2A3721177944.txt", opts).unwrap();
        std::io::Write::write_all(&mut zip, "Diet Coke break. ".repeat(15).as_bytes()).unwrap();
        zip.finish().unwrap();
    }
    let mut p = Project::create(&dir.path().join("t.codeloom")).unwrap();
    let r = import_qdpx(&mut p, &qdpx).unwrap();
    assert_eq!(r.imported.sync_points, 13, "{:#?}", r.lines());
    let diet = p.resolve_document("1994 Diet Coke-Diet Coke Break").unwrap();
    let at: Vec<(usize, u64)> =
        p.sync_points(&diet).unwrap().into_iter().map(|s| (s.point.position, s.point.time_ms)).collect();
    assert_eq!(at.len(), 11);
    assert_eq!(at[1], (20, 2260));
    assert_eq!(at[10], (192, 40348));
    let line = line_with(&r, "1994 Diet Coke-Diet Coke Break.mp4").unwrap();
    assert!(line.contains("not linked: missing"), "{line}");
}

#[test]
fn the_commands_say_which_recordings_went_inside_and_which_were_linked() {
    let dir = tempfile::tempdir().unwrap();
    drop(recorded_project(dir.path()));
    let project = dir.path().join("study.codeloom");
    std::fs::remove_file(dir.path().join("interviews/P08_BL.mp4")).unwrap();
    let qdpx = dir.path().join("study.qdpx");
    let s = |p: &Path| p.to_str().unwrap().to_string();
    let out = common::ok(&["export", "qdpx", &s(&project), "--out", &s(&qdpx)]);
    assert!(out.contains("recording of P07_BL: inside the file as internal://"), "{out}");
    assert!(
        out.contains("recording of P08_BL: referred to as relative:///interviews/P08_BL.mp4 (the file is not found"),
        "{out}"
    );
    assert!(out.contains("4 sync points written"), "{out}");

    std::fs::rename(dir.path().join("interviews"), dir.path().join("gone")).unwrap();
    let out = common::ok(&["new", &s(&dir.path().join("back.codeloom")), "--from", &s(&qdpx)]);
    assert!(out.contains("1 recordings linked, 4 sync points"), "{out}");
    assert!(
        out.contains("recording of \"P07_BL\" (internal://") && out.contains(".wav) linked to 1 document: "),
        "{out}"
    );
    assert!(out.contains("recording of \"P08_BL\" (relative:///interviews/P08_BL.mp4) not linked: missing"), "{out}");
    let v = common::json(&["new", &s(&dir.path().join("again.codeloom")), "--from", &s(&qdpx), "--json"]);
    let recordings = v["recordings"].as_array().unwrap();
    assert_eq!(recordings.len(), 2);
    assert_eq!(v["imported"]["recordings"], 1);
    let missing = recordings.iter().find(|r| r["source"] == "P08_BL").unwrap();
    assert!(missing["linked"].is_null() && missing["problem"].as_str().unwrap().starts_with("missing"), "{missing}");
}

#[test]
fn a_recording_larger_than_a_qdpx_may_hold_is_referred_to_by_path() {
    use codeloom::interop::qdpx_export::MAX_EMBEDDED_RECORDING_BYTES;
    use codeloom::store::media_ops::NewRecording;
    let dir = tempfile::tempdir().unwrap();
    let mut p = recorded_project(dir.path());
    // A sparse file one byte over the limit stands for a long video: nothing is written.
    let big = dir.path().join("interviews/long.mp4");
    std::fs::File::create(&big).unwrap().set_len(MAX_EMBEDDED_RECORDING_BYTES + 1).unwrap();
    let print = codeloom::media::fingerprint::fingerprint(&big).unwrap();
    let id = p.resolve_document("P08_BL").unwrap();
    let rec = NewRecording {
        path: "interviews/long.mp4".into(),
        relative: true,
        size: print.size,
        fingerprint: print.hash,
        format: "mp4".into(),
        duration_ms: Some(1000),
        has_video: true,
    };
    p.link_recording(&id, &rec).unwrap();
    let out = dir.path().join("study.qdpx");
    let report = export_qdpx(&p, &out).unwrap();
    let r = report.recordings.iter().find(|r| r.document == "P08_BL").unwrap();
    assert_eq!(r.path, "relative:///interviews/long.mp4");
    assert!(!r.included && r.reason.as_deref().unwrap().contains("more than 2147483647"), "{r:?}");
    assert!(std::fs::metadata(&out).unwrap().len() < 1024 * 1024, "not copied into the archive");
    assert_valid("a_recording_larger_than_a_qdpx_may_hold_is_referred_to_by_path", &out);
}
