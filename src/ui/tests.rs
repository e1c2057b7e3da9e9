//! Workbench tests driven through AccessKit (egui_kittest) on the demo project, and
//! snapshots of the main screens rendered in software.

use super::app::{App, Prefs};
use super::files::FixedChooser;
use codeloom::Project;
use codeloom::store::queries::CodingFilter;
use egui::{Event, Key, Modifiers, PointerButton, Pos2, pos2};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn demo() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.codeloom");
    codeloom::demo::build_demo(&path, &codeloom::demo::DemoSources::in_repository(root())).unwrap();
    (dir, path)
}

fn chooser(answers: Vec<Vec<PathBuf>>) -> Arc<FixedChooser> {
    Arc::new(FixedChooser(Mutex::new(answers)))
}

fn app_on(path: &Path, coder: &str, answers: Vec<Vec<PathBuf>>) -> App {
    let prefs = Prefs { coder: Some(coder.into()), ..Default::default() };
    let mut app = App::with(prefs, chooser(answers));
    app.open_for_test(path);
    app
}

fn harness(app: App) -> Harness<'static, App> {
    let mut h = Harness::builder()
        .with_size(egui::vec2(1440.0, 900.0))
        .with_step_dt(1.0 / 60.0)
        .build_ui_state(|ui, app: &mut App| app.show(ui), app);
    settle(&mut h);
    h
}

/// Runs frames until the view has measured its turns and nothing is animating.
fn settle(h: &mut Harness<'static, App>) {
    h.run_steps(6);
}

/// Runs frames until `done` holds (background threads: dialogs, imports).
fn wait_for(h: &mut Harness<'static, App>, done: impl Fn(&App) -> bool) {
    for _ in 0..400 {
        h.step();
        if done(h.state()) {
            settle(h);
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("timed out waiting for the app");
}

fn project<'h>(h: &'h Harness<'static, App>) -> &'h Project {
    h.state().project().expect("a project is open")
}

fn open_document(h: &mut Harness<'static, App>, name: &str) -> String {
    h.get_by_label_contains(&format!("{name} (")).click();
    settle(h);
    // A linked recording is looked for on a thread of its own.
    for _ in 0..2000 {
        if !h.state().code.listen.looking() {
            break;
        }
        h.step();
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    settle(h);
    let id = project(h).resolve_document(name).unwrap();
    assert_eq!(h.state().view().document_id(), id);
    id
}

/// The document range of the first `words` words of turn `n` of the open document.
fn words_of_turn(h: &Harness<'static, App>, n: usize, words: usize) -> (usize, usize) {
    let t = &h.state().view().turns()[n];
    let mut end = t.start;
    let mut seen = 0;
    let mut in_word = false;
    for (i, ch) in t.text.chars().enumerate() {
        if ch.is_whitespace() {
            if in_word {
                seen += 1;
                if seen == words {
                    end = t.start + i;
                    break;
                }
            }
            in_word = false;
        } else {
            in_word = true;
        }
    }
    (t.start, end)
}

/// Focuses the field labelled `label` and types `text` into it.
fn type_into(h: &mut Harness<'static, App>, label: &str, text: &str) {
    h.get_by_role_and_label(egui::Role::TextInput, label).focus();
    h.step();
    h.get_by_role_and_label(egui::Role::TextInput, label).type_text(text);
    h.step();
}

fn select(h: &mut Harness<'static, App>, range: (usize, usize)) {
    h.state_mut().view_mut().set_selection(range.0, range.1);
    settle(h);
}

fn codings_in(h: &Harness<'static, App>, doc: &str) -> Vec<codeloom::model::Coding> {
    project(h).codings(&CodingFilter { document_id: Some(doc.into()), ..Default::default() }).unwrap()
}

#[test]
fn codes_a_selection_with_the_picker_by_typing_and_in_vivo_then_undoes_and_redoes() {
    let (_dir, path) = demo();
    let mut h = harness(app_on(&path, "chen", vec![]));
    h.get_by_label("6 participants · 3 waves · 17 documents");
    let doc = open_document(&mut h, "P03_BL");
    let before = codings_in(&h, &doc).len();

    // An existing code, chosen by typing its name in the picker.
    let codes = project(&h).codes().unwrap();
    let existing = codes.iter().find(|c| c.parent_id.is_some()).unwrap().clone();
    let range = words_of_turn(&h, 3, 6);
    select(&mut h, range);
    h.key_press(Key::C);
    settle(&mut h);
    type_into(&mut h, "Code name", &existing.name);
    settle(&mut h);
    h.key_press(Key::Enter);
    settle(&mut h);
    let after = codings_in(&h, &doc);
    assert_eq!(after.len(), before + 1);
    let made = after.iter().find(|c| c.coder == "chen").expect("a coding by chen");
    assert_eq!((made.start, made.end, made.code_id.as_str()), (range.0, range.1, existing.id.as_str()));
    assert!(h.query_by_label("Code name").is_none(), "the picker closes");

    // An existing code, clicked in the picker's list.
    let second = codes.iter().filter(|c| c.parent_id.is_some()).nth(3).unwrap().clone();
    let range2 = words_of_turn(&h, 5, 4);
    select(&mut h, range2);
    h.key_press(Key::C);
    settle(&mut h);
    type_into(&mut h, "Code name", &second.name);
    settle(&mut h);
    let path2 = project(&h).code_path(&second.id).unwrap();
    h.get_by_label(&path2).click();
    settle(&mut h);
    assert!(codings_in(&h, &doc).iter().any(|c| c.code_id == second.id && (c.start, c.end) == range2));

    // A new code, created by typing a name no code has, in one undoable step.
    let range3 = words_of_turn(&h, 7, 5);
    select(&mut h, range3);
    h.key_press(Key::C);
    settle(&mut h);
    type_into(&mut h, "Code name", "Feeling watched at the clinic");
    settle(&mut h);
    h.key_press(Key::Enter);
    settle(&mut h);
    let new_code = project(&h).resolve_code("Feeling watched at the clinic").unwrap();
    assert!(codings_in(&h, &doc).iter().any(|c| c.code_id == new_code && (c.start, c.end) == range3));

    // In vivo: a code named after the selected words.
    let range4 = words_of_turn(&h, 9, 3);
    let words = h.state().view().text_of(range4.0, range4.1);
    select(&mut h, range4);
    h.key_press(Key::V);
    settle(&mut h);
    let name = super::picker::in_vivo_name(&words).unwrap();
    let vivo = project(&h).resolve_code(&name).unwrap();
    assert!(codings_in(&h, &doc).iter().any(|c| c.code_id == vivo && (c.start, c.end) == range4));
    let count = codings_in(&h, &doc).len();

    // Undo removes the in-vivo code and its coding in one step; redo brings both back.
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    settle(&mut h);
    assert!(project(&h).resolve_code(&name).is_err());
    assert_eq!(codings_in(&h, &doc).len(), count - 1);
    h.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, Key::Z);
    settle(&mut h);
    assert_eq!(project(&h).resolve_code(&name).unwrap(), vivo);
    assert_eq!(codings_in(&h, &doc).len(), count);
    // The Edit menu names what undo would do.
    h.get_by_label("Edit").click();
    settle(&mut h);
    h.get_by_label_contains("Undo: Create code");
}

#[test]
fn blind_mode_and_the_coder_filter_hide_other_coders() {
    let (_dir, path) = demo();
    let mut h = harness(app_on(&path, "amara", vec![]));
    open_document(&mut h, "P01_BL");
    let coders = |h: &Harness<'static, App>| {
        let mut v: Vec<String> = h.state().view().marks().iter().map(|m| m.coder.clone()).collect();
        v.sort();
        v.dedup();
        v
    };
    assert_eq!(coders(&h), ["amara", "ben"]);
    h.get_by_label("Show only my codings").click();
    settle(&mut h);
    assert_eq!(coders(&h), ["amara"]);
    h.get_by_label("Show only my codings").click();
    settle(&mut h);
    assert_eq!(coders(&h), ["amara", "ben"]);
    h.get_by_label("Coders: all").click();
    settle(&mut h);
    h.get_by_label("amara").click();
    settle(&mut h);
    assert_eq!(coders(&h), ["ben"]);
}

#[test]
fn the_mouse_selects_by_drag_word_and_turn() {
    let (_dir, path) = demo();
    let mut h = harness(app_on(&path, "amara", vec![]));
    open_document(&mut h, "P03_BL");
    let turn = h.state().view().turns()[1].clone();
    let label = format!("{}: {}", turn.speaker.clone().unwrap_or_default(), turn.text);
    let rect = h.get_by_label(&label).rect();
    let body = |dx: f32| pos2(rect.left() + dx, rect.top() + 32.0);
    // Drag across the first line of the turn's text.
    h.event(Event::PointerMoved(body(4.0)));
    h.event(press(body(4.0), true));
    h.step();
    for x in [60.0, 120.0, 200.0] {
        h.event(Event::PointerMoved(body(x)));
        h.step();
    }
    h.event(press(body(200.0), false));
    settle(&mut h);
    let sel = h.state().view().selection().expect("a selection");
    let (s, e) = sel.range();
    assert!(s >= turn.start && e <= turn.end && e > s + 5, "{s}..{e} in {}..{}", turn.start, turn.end);
    // Double-click selects a word.
    for _ in 0..2 {
        h.event(press(body(90.0), true));
        h.step();
        h.event(press(body(90.0), false));
        h.step();
    }
    settle(&mut h);
    let (s, e) = h.state().view().selection().expect("a word").range();
    let word = h.state().view().text_of(s, e);
    assert!(!word.is_empty() && !word.contains(' '), "{word:?}");
    // Triple-click selects the whole turn.
    for _ in 0..3 {
        h.event(press(body(90.0), true));
        h.step();
        h.event(press(body(90.0), false));
        h.step();
    }
    settle(&mut h);
    assert_eq!(h.state().view().selection().map(|s| s.range()), Some((turn.start, turn.end)));
    // Shift+arrow extends it by one character.
    h.key_press_modifiers(Modifiers::SHIFT, Key::ArrowLeft);
    settle(&mut h);
    assert_eq!(h.state().view().selection().map(|s| s.range()), Some((turn.start, turn.end - 1)));
}

/// Presses or releases the primary mouse button at `pos`.
fn press(pos: Pos2, pressed: bool) -> Event {
    Event::PointerButton { pos, button: PointerButton::Primary, pressed, modifiers: Modifiers::NONE }
}

/// Drags with the mouse across the first line of turn `n`'s text, from `from_x` to `to_x`
/// pixels right of its left edge, as a person does (press, moves, release).
fn drag_in_turn(h: &mut Harness<'static, App>, n: usize, from_x: f32, to_x: f32) {
    let turn = h.state().view().turns()[n].clone();
    let label = format!("{}: {}", turn.speaker.clone().unwrap_or_default(), turn.text);
    let rect = h.get_by_label(&label).rect();
    let at = |dx: f32| pos2(rect.left() + dx, rect.top() + 32.0);
    h.event(Event::PointerMoved(at(from_x)));
    h.event(press(at(from_x), true));
    h.step();
    for i in 1..=4 {
        h.event(Event::PointerMoved(at(from_x + (to_x - from_x) * i as f32 / 4.0)));
        h.step();
    }
    h.event(press(at(to_x), false));
    settle(h);
}

/// Issue 11, item 1, exactly as a coder meets it: a mouse selection gives the transcript
/// view the keyboard focus, and the single keys (C, then S on the new coding, Ctrl+Z) must
/// still act, since no text field has the focus.
#[test]
fn single_keys_act_after_a_mouse_selection() {
    let (_dir, path) = demo();
    let mut h = harness(app_on(&path, "amara", vec![]));
    let doc = open_document(&mut h, "P03_BL");
    let sleep = project(&h).resolve_code("Sleep disruption").unwrap();
    let before = codings_in(&h, &doc).len();
    let codes = project(&h).codes().unwrap().len();
    drag_in_turn(&mut h, 1, 4.0, 200.0);
    let range = h.state().view().selection().expect("a mouse selection").range();
    h.key_press(Key::C);
    settle(&mut h);
    assert!(h.query_by_label("Code name").is_some(), "C opens the picker after a mouse selection");
    // A prefix of an existing code applies that code; it does not create "sleep".
    h.get_by_role_and_label(egui::Role::TextInput, "Code name").type_text("sleep");
    settle(&mut h);
    h.key_press(Key::Enter);
    settle(&mut h);
    let after = codings_in(&h, &doc);
    assert_eq!(after.len(), before + 1);
    let made = after.iter().find(|c| c.coder == "amara" && (c.start, c.end) == range).expect("the new coding");
    assert_eq!(made.code_id, sleep, "the existing code was applied");
    assert_eq!(project(&h).codes().unwrap().len(), codes, "no code named \"sleep\" was created");
    // The new coding is selected: S stars it, Ctrl+Z takes the star back, then the coding.
    h.key_press(Key::S);
    settle(&mut h);
    assert!(project(&h).coding(&made.id).unwrap().illustrative, "S stars the selected coding");
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    settle(&mut h);
    assert!(!project(&h).coding(&made.id).unwrap().illustrative, "Ctrl+Z undoes the star");
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    settle(&mut h);
    assert!(project(&h).coding(&made.id).is_err(), "Ctrl+Z undoes the coding");
    // A double-clicked word, then V, codes it in vivo.
    for _ in 0..2 {
        drag_in_turn(&mut h, 1, 90.0, 90.0);
    }
    let (s, e) = h.state().view().selection().expect("a word").range();
    let word = h.state().view().text_of(s, e);
    h.key_press(Key::V);
    settle(&mut h);
    let vivo = project(&h).resolve_code(&super::picker::in_vivo_name(&word).unwrap()).unwrap();
    assert!(codings_in(&h, &doc).iter().any(|c| c.code_id == vivo && (c.start, c.end) == (s, e)));
}

#[test]
fn a_coding_is_recoded_starred_annotated_resized_and_deleted() {
    let (_dir, path) = demo();
    let mut h = harness(app_on(&path, "amara", vec![]));
    let doc = open_document(&mut h, "P01_BL");
    let coding = codings_in(&h, &doc).into_iter().find(|c| c.coder == "amara" && !c.illustrative).unwrap();
    h.state_mut().view_mut().select_coding(Some(coding.id.clone()));
    settle(&mut h);
    h.get_by_label("Star").click();
    settle(&mut h);
    assert!(project(&h).coding(&coding.id).unwrap().illustrative);
    type_into(&mut h, "Coding memo", "Says it twice, with feeling");
    settle(&mut h);
    h.get_by_label("Done").click();
    settle(&mut h);
    assert_eq!(project(&h).coding(&coding.id).unwrap().memo.as_deref(), Some("Says it twice, with feeling"));
    // Recode through the picker.
    h.state_mut().view_mut().select_coding(Some(coding.id.clone()));
    settle(&mut h);
    h.get_by_label("Recode…").click();
    settle(&mut h);
    type_into(&mut h, "Code name", "Recoded on reflection");
    h.key_press(Key::Enter);
    settle(&mut h);
    let recoded = project(&h).resolve_code("Recoded on reflection").unwrap();
    assert_eq!(project(&h).coding(&coding.id).unwrap().code_id, recoded);
    // Delete with the key.
    h.state_mut().view_mut().select_coding(Some(coding.id.clone()));
    settle(&mut h);
    h.key_press(Key::Delete);
    settle(&mut h);
    assert!(project(&h).coding(&coding.id).is_err());
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    settle(&mut h);
    assert!(project(&h).coding(&coding.id).is_ok(), "undo brings the coding back");
}

#[test]
fn the_codebook_panel_creates_renames_moves_describes_and_deletes_codes() {
    let (_dir, path) = demo();
    let mut h = harness(app_on(&path, "amara", vec![]));
    type_into(&mut h, "New code name", "Kitchen-table bargaining");
    h.get_by_label("Add code").click();
    settle(&mut h);
    let hope = project(&h).resolve_code("Kitchen-table bargaining").unwrap();
    // The new code is selected: rename and define it.
    type_into(&mut h, "Code name field", " with family");
    type_into(&mut h, "Definition", "Talk of getting better");
    h.get_by_label("Save code").click();
    settle(&mut h);
    let code = project(&h).code(&hope).unwrap();
    assert_eq!(code.name, "Kitchen-table bargaining with family");
    assert_eq!(code.description.definition, "Talk of getting better");
    // Move it under a theme with the Parent box.
    let theme = project(&h).codes().unwrap().into_iter().find(|c| c.parent_id.is_none() && c.id != hope).unwrap();
    let in_tree: Vec<egui::Rect> = h.get_all_by_label(&theme.name).map(|n| n.rect()).collect();
    h.get_by_label("Parent").click();
    settle(&mut h);
    // The theme's entry in the Parent list is the node that was not there before it opened.
    h.get_all_by_label(&theme.name).find(|n| !in_tree.contains(&n.rect())).expect("the theme in the list").click();
    settle(&mut h);
    assert_eq!(project(&h).code(&hope).unwrap().parent_id.as_deref(), Some(theme.id.as_str()));
    // Delete asks first.
    h.get_by_label("Delete code…").click();
    settle(&mut h);
    h.get_by_label_contains("Undo (Ctrl+Z) brings them back");
    h.get_by_label("Delete").click();
    settle(&mut h);
    assert!(project(&h).code(&hope).is_err());
}

#[test]
fn memos_are_written_on_documents_and_unsaved_text_is_kept_on_close() {
    let (_dir, path) = demo();
    let mut h = harness(app_on(&path, "amara", vec![]));
    let doc = open_document(&mut h, "P04_3M");
    h.get_by_label("Document memos…").click();
    settle(&mut h);
    type_into(&mut h, "New memo title", "Tone");
    type_into(&mut h, "New memo text", "Guarded at first, warmer after the pain question.");
    h.get_by_label("Add memo").click();
    settle(&mut h);
    let memos = project(&h).memos(Some((codeloom::model::MemoTarget::Document, Some(&doc)))).unwrap();
    assert_eq!(memos.len(), 1);
    assert_eq!(memos[0].title, "Tone");
    // Typed but not saved: closing the application saves it.
    type_into(&mut h, "New memo text", "A second thought.");
    settle(&mut h);
    h.state_mut().flush_for_test();
    let memos = project(&h).memos(Some((codeloom::model::MemoTarget::Document, Some(&doc)))).unwrap();
    assert_eq!(memos.len(), 2);
}

#[test]
fn projects_are_created_and_transcripts_imported_through_the_file_menu() {
    let dir = tempfile::tempdir().unwrap();
    let new = dir.path().join("fresh.codeloom");
    let files = vec![root().join("fixtures/demo/P01_BL.txt"), root().join("fixtures/demo/P03_3M.docx")];
    let broken = dir.path().join("P09_BL.docx");
    std::fs::write(&broken, b"PK\x03\x04 not really a zip").unwrap();
    let mut imports = files.clone();
    imports.push(broken.clone());
    let app = App::with(Prefs::default(), chooser(vec![vec![new.clone()], imports]));
    let mut h = harness(app);
    h.get_by_label("File").click();
    settle(&mut h);
    h.get_by_label("New project…").click();
    wait_for(&mut h, |a| a.project().is_some());
    assert!(new.is_file());
    h.get_by_label("File").click();
    settle(&mut h);
    h.get_by_label("Import transcripts…").click();
    wait_for(&mut h, |a| !a.is_importing() && a.project().is_some_and(|p| !p.documents().unwrap().is_empty()));
    assert_eq!(project(&h).documents().unwrap().len(), 2);
    // The broken file is named in a notification; the others were imported.
    h.get_by_label_contains("P09_BL.docx");
    h.get_by_label_contains("Imported 2 documents");
}

#[test]
fn a_project_that_cannot_open_is_reported_without_closing_the_current_one() {
    let (dir, path) = demo();
    let bad = dir.path().join("notes.codeloom");
    std::fs::write(&bad, "just some text").unwrap();
    let mut h = harness(app_on(&path, "amara", vec![vec![bad.clone()]]));
    h.get_by_label("File").click();
    settle(&mut h);
    h.get_by_label("Open project…").click();
    wait_for(&mut h, |a| !a.is_importing());
    // The error names the file and the reason, and leaves the file as it was.
    let named = h.get_by_label_contains("notes.codeloom").rect();
    let reason = h.get_by_label_contains("not a Codeloom project").rect();
    assert_eq!(named, reason, "one notice says both which file and why");
    assert_eq!(std::fs::read(&bad).unwrap(), b"just some text");
    // The demo is still the open project, with its documents.
    assert_eq!(h.state().project().unwrap().path(), path.as_path());
    h.get_by_label("6 participants · 3 waves · 17 documents");
}

/// Software renderers on other CPUs antialias glyph edges a little differently; a moved
/// or missing widget changes thousands of pixels, so a few hundred may differ.
/// egui_kittest's default colour threshold (0.6), and at most 40 differing pixels for
/// antialiasing noise of the software renderer on another CPU. The bound is measured: one
/// changed count in the documents grid ("P01_BL (24)" → "(25)") changes 762 pixels at this
/// threshold, so any changed number or label fails the test.
fn snapshot_options() -> egui_kittest::SnapshotOptions {
    egui_kittest::SnapshotOptions::new().max_failed_pixels(40)
}

#[test]
fn snapshots_of_the_main_screens() {
    let (_dir, path) = demo();
    let mut h = harness(app_on(&path, "amara", vec![]));
    let mut results = egui_kittest::SnapshotResults::new();
    let doc = open_document(&mut h, "P05_3M");
    let coding = codings_in(&h, &doc).into_iter().find(|c| c.coder == "amara").unwrap();
    h.state_mut().view_mut().select_coding(Some(coding.id.clone()));
    settle(&mut h);
    let path_label = h.get_by_label_contains("demo.codeloom").rect();
    h.mask(path_label);
    results.add(h.try_snapshot_options("workbench_reading", &snapshot_options()));
    let range = words_of_turn(&h, 4, 8);
    select(&mut h, range);
    h.key_press(Key::C);
    settle(&mut h);
    type_into(&mut h, "Code name", "pain");
    settle(&mut h);
    h.mask(path_label);
    results.add(h.try_snapshot_options("workbench_code_picker", &snapshot_options()));
    results.unwrap();
}

#[test]
fn ctrl_f_searches_the_open_document_and_a_hit_jumps_back_to_it() {
    let (_dir, path) = demo();
    let mut h = harness(app_on(&path, "chen", vec![]));
    let doc = open_document(&mut h, "P03_BL");
    // A word of at least six letters from the third turn.
    let word: String = h.state().view().turns()[2]
        .text
        .split(|c: char| !c.is_alphabetic())
        .find(|w| w.chars().count() >= 6)
        .expect("a long word")
        .to_string();
    h.key_press_modifiers(Modifiers::COMMAND, Key::F);
    settle(&mut h);
    assert_eq!(h.state().screen(), super::app::Screen::Search);
    assert_eq!(h.state().search_panel().query, "document:\"P03_BL\" ");
    h.get_by_role_and_label(egui::Role::TextInput, "Search query").type_text(&word);
    h.key_press(Key::Enter);
    wait_for(&mut h, |app| app.search_panel().results().is_some());
    let results = h.state().search_panel().results().cloned().expect("results");
    assert!(!results.hits.is_empty(), "no hit for {word}");
    assert!(results.hits.iter().all(|hit| hit.document.as_deref() == Some("P03_BL")), "the scope is the document");
    let first = results.hits[0].clone();
    let line = format!("{}{}{}", first.before, first.matched, first.after);
    h.get_all_by_label(&line).next().expect("the hit's line").click();
    settle(&mut h);
    assert_eq!(h.state().screen(), super::app::Screen::Code);
    assert_eq!(h.state().view().document_id(), doc);
    assert_eq!(h.state().view().flashed(), Some((first.start, first.end)));
}

#[test]
fn merges_two_codes_from_the_codebook_panel_and_undo_restores_them() {
    let (_dir, path) = demo();
    let mut h = harness(app_on(&path, "chen", vec![]));
    let codes = project(&h).codes().unwrap();
    let counts = project(&h).code_counts().unwrap();
    // Two codes without children, each with codings.
    let leaves: Vec<_> = codes
        .iter()
        .filter(|c| !codes.iter().any(|d| d.parent_id.as_deref() == Some(c.id.as_str())))
        .filter(|c| counts.get(&c.id).is_some_and(|n| n.codings > 0))
        .take(2)
        .cloned()
        .collect();
    assert_eq!(leaves.len(), 2, "the demo has two leaf codes with codings");
    let (a, b) = (&leaves[0], &leaves[1]);
    h.get_all_by_label(&a.name).next().expect("the code in the tree").click();
    settle(&mut h);
    h.get_by_label("Merge codes…").click();
    settle(&mut h);
    h.get_by_label_contains(&format!("{}  (", b.name)).click();
    settle(&mut h);
    // The target button of the first ticked code.
    h.get_all_by_label("target").next().expect("a target button").click();
    settle(&mut h);
    h.get_by_label_contains("Merge 1 code into").click();
    settle(&mut h);
    let after = project(&h).codes().unwrap();
    assert_eq!(after.len(), codes.len() - 1);
    let kept = if after.iter().any(|c| c.id == a.id) { a } else { b };
    let n = project(&h).code_counts().unwrap()[&kept.id].codings;
    assert!(n > counts[&kept.id].codings, "codings moved to the target");
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    settle(&mut h);
    assert_eq!(project(&h).codes().unwrap().len(), codes.len());
}

#[test]
fn dragging_a_code_onto_another_moves_it_under_it() {
    let (_dir, path) = demo();
    let mut h = harness(app_on(&path, "chen", vec![]));
    let moving = project(&h).resolve_code("Fatigue").unwrap();
    let onto = project(&h).resolve_code("Pacing").unwrap();
    let from = h.get_by_label("Fatigue").rect().center();
    let to = h.get_by_label("Pacing").rect().center();
    h.event(Event::PointerMoved(from));
    h.event(press(from, true));
    h.step();
    for i in 1..=8 {
        h.event(Event::PointerMoved(from + (to - from) * (i as f32 / 8.0)));
        h.step();
    }
    h.event(press(to, false));
    settle(&mut h);
    assert_eq!(project(&h).code(&moving).unwrap().parent_id.as_deref(), Some(onto.as_str()));
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    settle(&mut h);
    assert_ne!(project(&h).code(&moving).unwrap().parent_id.as_deref(), Some(onto.as_str()));
}

#[test]
fn the_codebook_is_exported_and_imported_through_the_file_menu() {
    let (dir, path) = demo();
    let qdc = dir.path().join("team.qdc");
    let broken = dir.path().join("broken.json");
    std::fs::write(&broken, "{\"format\": \"codeloom-codebook\", \"codes\": [").unwrap();
    let fresh = dir.path().join("fresh.codeloom");
    let answers =
        vec![vec![path.clone()], vec![qdc.clone()], vec![fresh.clone()], vec![broken.clone()], vec![qdc.clone()]];
    let mut h = harness(app_on(&path, "amara", answers));
    let codes = project(&h).codes().unwrap().len();
    // Exporting over the open project is refused, and the project is untouched.
    let before = std::fs::read(&path).unwrap();
    h.get_by_label("File").click();
    settle(&mut h);
    h.get_by_label("Export the codebook…").click();
    wait_for(&mut h, |a| a.has_notice_containing("demo.codeloom"));
    assert_eq!(std::fs::read(&path).unwrap(), before, "the project file is unchanged");
    assert!(project(&h).codes().unwrap().len() == codes);
    h.get_by_label("File").click();
    settle(&mut h);
    h.get_by_label("Export the codebook…").click();
    wait_for(&mut h, |_| qdc.is_file());
    let text = std::fs::read_to_string(&qdc).unwrap();
    assert!(text.contains("<CodeBook") && text.contains("Living with pain"));
    h.get_by_label_contains(&format!("Wrote {codes} codes"));
    // A new project takes the codebook; a broken file is named and changes nothing.
    h.get_by_label("File").click();
    settle(&mut h);
    h.get_by_label("New project…").click();
    wait_for(&mut h, |a| a.project().is_some_and(|p| p.path() == fresh.as_path()));
    h.get_by_label("File").click();
    settle(&mut h);
    h.get_by_label("Import a codebook…").click();
    wait_for(&mut h, |a| a.has_notice_containing("broken.json"));
    assert!(project(&h).codes().unwrap().is_empty());
    h.get_by_label("File").click();
    settle(&mut h);
    h.get_by_label("Import a codebook…").click();
    wait_for(&mut h, |a| a.project().is_some_and(|p| !p.codes().unwrap().is_empty()));
    assert_eq!(project(&h).codes().unwrap().len(), codes);
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    settle(&mut h);
    assert!(project(&h).codes().unwrap().is_empty(), "the import is one undoable operation");
}

/// Documents are given to a coder on the Agreement screen's Assignments tab: a tick box per
/// document and a whole wave at once, each one undoable step.
#[test]
fn documents_are_assigned_to_coders_in_the_window() {
    let (_dir, path) = demo();
    let mut h = harness(app_on(&path, "amara", vec![]));
    h.get_by_label("Agreement").click();
    settle(&mut h);
    h.get_by_label("Assignments").click();
    settle(&mut h);
    h.get_by_label_contains("has no assignments, so counts as given every document");
    // Choose ben and give him one document by its tick box.
    h.get_by_label("coder").click();
    settle(&mut h);
    h.get_all_by_label("ben").last().unwrap().click();
    settle(&mut h);
    h.get_by_label("P03_BL").click();
    settle(&mut h);
    let p03 = project(&h).resolve_document("P03_BL").unwrap();
    let given = |h: &Harness<'static, App>, coder: &str| -> Vec<String> {
        let mut v: Vec<String> =
            project(h).assignments().unwrap().into_iter().filter(|a| a.coder == coder).map(|a| a.document_id).collect();
        v.sort();
        v
    };
    assert_eq!(given(&h, "ben"), std::slice::from_ref(&p03));
    h.get_by_label_contains("ben is given 1 of 17 documents");
    // The whole 3M wave at once.
    h.get_by_label("Give all 3M").click();
    settle(&mut h);
    let mut want: Vec<String> = project(&h)
        .documents()
        .unwrap()
        .into_iter()
        .filter(|d| d.document.wave.as_deref() == Some("3M"))
        .map(|d| d.document.id)
        .chain([p03.clone()])
        .collect();
    want.sort();
    assert_eq!(given(&h, "ben"), want);
    assert!(given(&h, "amara").is_empty(), "only ben was given documents");
    // Each is one undoable step.
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    settle(&mut h);
    assert_eq!(given(&h, "ben"), std::slice::from_ref(&p03));
    // Unticking takes the document back.
    h.get_by_label("P03_BL").click();
    settle(&mut h);
    assert!(given(&h, "ben").is_empty());
}

/// A drag that starts and ends inside words selects the whole words (as in NVivo); with
/// "Snap selections to whole words" off it selects exactly the characters dragged over.
#[test]
fn drags_snap_to_whole_words_unless_turned_off() {
    let (_dir, path) = demo();
    let mut h = harness(app_on(&path, "amara", vec![]));
    open_document(&mut h, "P03_BL");
    let turn = h.state().view().turns()[1].clone();
    let is_boundary = |text: &str, i: usize| {
        let chars: Vec<char> = text.chars().collect();
        let before = i.checked_sub(1).map(|j| chars[j]);
        let after = chars.get(i).copied();
        !(before.is_some_and(char::is_alphanumeric) && after.is_some_and(char::is_alphanumeric))
    };
    drag_in_turn(&mut h, 1, 13.0, 183.0);
    let (s, e) = h.state().view().selection().expect("a selection").range();
    let (ls, le) = (s - turn.start, e - turn.start);
    assert!(is_boundary(&turn.text, ls) && is_boundary(&turn.text, le), "whole words: {:?}", &turn.text[..]);
    let snapped = h.state().view().text_of(s, e);
    assert!(snapped.starts_with(char::is_alphanumeric) && snapped.ends_with(char::is_alphanumeric), "{snapped:?}");
    // Turned off: the same drag stops inside words.
    h.get_by_label("View").click();
    settle(&mut h);
    h.get_by_label("Snap selections to whole words").click();
    settle(&mut h);
    h.key_press(Key::Escape);
    settle(&mut h);
    drag_in_turn(&mut h, 1, 13.0, 183.0);
    let (s2, e2) = h.state().view().selection().expect("a selection").range();
    assert!(s2 > s || e2 < e, "without snapping the selection is what was dragged: {s2}..{e2} vs {s}..{e}");
    assert!(!is_boundary(&turn.text, s2 - turn.start) || !is_boundary(&turn.text, e2 - turn.start));
}

/// The margin names the code beside each stripe when there is room (here with the side
/// panels hidden), and the View menu turns the names off.
#[test]
fn margin_stripes_carry_code_names_when_there_is_room() {
    let (_dir, path) = demo();
    let mut h = harness(app_on(&path, "amara", vec![]));
    open_document(&mut h, "P01_BL");
    for panel in ["Documents panel", "Codebook panel"] {
        h.get_by_label("View").click();
        settle(&mut h);
        h.get_by_label(panel).click();
        settle(&mut h);
        h.key_press(Key::Escape);
        settle(&mut h);
    }
    assert!(h.state().view().margin_labelled(), "a wide view names the codes in the margin");
    h.get_by_label("View").click();
    settle(&mut h);
    h.get_by_label("Code names in the margin").click();
    settle(&mut h);
    assert!(!h.state().view().margin_labelled(), "the View menu turns the names off");
}

/// Selecting a coding shows its inspector in a strip of fixed height: the transcript does
/// not move under the pointer.
#[test]
fn selecting_a_coding_does_not_move_the_text() {
    let (_dir, path) = demo();
    let mut h = harness(app_on(&path, "amara", vec![]));
    let doc = open_document(&mut h, "P01_BL");
    let turn = h.state().view().turns()[1].clone();
    let label = format!("{}: {}", turn.speaker.clone().unwrap_or_default(), turn.text);
    let before = h.get_by_label(&label).rect();
    let coding = codings_in(&h, &doc).into_iter().next().unwrap();
    h.state_mut().view_mut().select_coding(Some(coding.id.clone()));
    settle(&mut h);
    h.get_by_label("Recode…");
    assert_eq!(h.get_by_label(&label).rect(), before, "the text stays where it was");
    h.get_by_label("Done").click();
    settle(&mut h);
    assert!(h.state().view().selected_coding().is_none(), "Done ends the selection");
    assert!(h.query_by_label("Recode…").is_none());
    assert_eq!(h.get_by_label(&label).rect(), before);
}

/// The window's icon is a real 256 × 256 picture, and the desktop entry names the binary
/// and an icon that `scripts/install-desktop.sh` installs.
#[test]
fn the_window_icon_and_desktop_entry_are_sound() {
    let icon = eframe::icon_data::from_png_bytes(super::ICON_PNG).expect("the icon is a PNG");
    assert_eq!((icon.width, icon.height), (256, 256));
    assert!(icon.rgba.chunks(4).any(|p| p[3] == 255), "the icon is not blank");
    let desktop = std::fs::read_to_string(root().join("assets/codeloom.desktop")).unwrap();
    for line in ["[Desktop Entry]", "Type=Application", "Name=Codeloom", "Exec=codeloom %f", "Icon=codeloom"] {
        assert!(desktop.lines().any(|l| l == line), "the desktop entry lacks {line}");
    }
    let script = std::fs::read_to_string(root().join("scripts/install-desktop.sh")).unwrap();
    for size in [32, 64, 128, 256] {
        assert!(root().join(format!("assets/codeloom-{size}.png")).is_file());
        assert!(script.contains("for s in 32 64 128 256"), "the install script installs every size");
    }
}

/// A change made by another process while the window is open (a script, a second window)
/// shows up within a second: a new code in the codebook, a new coding in the transcript.
#[test]
fn changes_made_by_another_process_show_up() {
    let (_dir, path) = demo();
    let mut h = harness(app_on(&path, "amara", vec![]));
    let doc = open_document(&mut h, "P01_BL");
    let marks = h.state().view().marks().len();
    let mut other = Project::open(&path).unwrap();
    other.set_coder("script").unwrap();
    let code = other
        .create_code(codeloom::store::ops::NewCode { name: "Added by a script".into(), ..Default::default() })
        .unwrap();
    let coding = other
        .apply_coding(codeloom::store::ops::NewCoding {
            document_id: doc.clone(),
            start: 10,
            end: 20,
            code_id: code.clone(),
            coder: None,
            memo: None,
            illustrative: false,
        })
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    settle(&mut h);
    // The tree draws only the rows in view: find the new code to bring it there.
    type_into(&mut h, "Find a code", "by a script");
    settle(&mut h);
    h.get_by_label("Added by a script");
    assert_eq!(h.state().view().marks().len(), marks + 1);
    assert!(h.state().view().marks().iter().any(|m| m.id == coding.id && m.coder == "script"));
    assert_eq!(h.state().study().unwrap().counts.get(&code).map(|c| c.codings), Some(1));
}

// ----- the recording player on the Code screen (silent output) -----

/// The demo project with a recording of `seconds` of tone beside it, linked to P03_BL, and
/// an app on it whose player plays silently.
fn with_recording(seconds: u32) -> (tempfile::TempDir, PathBuf, PathBuf, Harness<'static, App>) {
    let (dir, path) = demo();
    let wav = dir.path().join("P03_BL.wav");
    let spec =
        hound::WavSpec { channels: 1, sample_rate: 4000, bits_per_sample: 16, sample_format: hound::SampleFormat::Int };
    let mut w = hound::WavWriter::create(&wav, spec).unwrap();
    for i in 0..seconds * 4000 {
        let t = f64::from(i) / 4000.0;
        w.write_sample(((t * 2.0 * std::f64::consts::PI * 220.0).sin() * 8000.0) as i16).unwrap();
    }
    w.finalize().unwrap();
    {
        let mut p = Project::open(&path).unwrap();
        let doc = p.resolve_document("P03_BL").unwrap();
        codeloom::media::link::link_file(&mut p, &doc, &wav).unwrap();
    }
    let mut app = app_on(&path, "amara", vec![]);
    app.code.listen.silent = Some("no sound device in the tests".into());
    let mut h = harness(app);
    open_document(&mut h, "P03_BL");
    (dir, path, wav, h)
}

/// Waits until the player has carried out what it was sent and `until` holds; then frames.
fn player_state(
    h: &mut Harness<'static, App>,
    until: impl Fn(&codeloom::media::player::Status) -> bool,
) -> codeloom::media::player::Status {
    // Frames run while waiting: the window sends some commands only once it has found the file.
    for _ in 0..2000 {
        h.step();
        let player = h.state().code.listen.player().expect("a player was started");
        if let Some(s) = player.wait(std::time::Duration::from_millis(10), &until) {
            h.run_steps(3);
            return s;
        }
    }
    panic!("the player did not do as asked");
}

#[test]
fn f4_plays_and_pauses_the_linked_recording_and_coding_keys_still_code() {
    let (_dir, _path, _wav, mut h) = with_recording(20);
    player_state(&mut h, |s| s.state == codeloom::media::player::PlayState::Paused);
    h.get_by_label_contains("No sound: no sound device in the tests");
    h.get_by_label("Play");
    h.key_press(Key::F4);
    h.run_steps(1);
    let s = player_state(&mut h, |s| s.is_playing());
    assert!(s.is_playing());
    h.get_by_label("Pause");
    h.key_press(Key::F4);
    h.run_steps(1);
    player_state(&mut h, |s| s.state == codeloom::media::player::PlayState::Paused);
    h.get_by_label("Play");
    // F5 goes forward 5 s; C still opens the picker on a selection; F4 in a text field types nothing to the player.
    let before = h.state().code.listen.player().unwrap().status().position_ms;
    h.key_press(Key::F5);
    h.run_steps(1);
    let after = player_state(&mut h, |s| s.position_ms >= before + 4_900).position_ms;
    assert!((before + 4_900..=before + 5_100).contains(&after), "{before} -> {after}");
    let range = words_of_turn(&h, 1, 3);
    select(&mut h, range);
    h.key_press(Key::C);
    settle(&mut h);
    assert!(h.query_by_label("Code name").is_some(), "C opens the picker while a recording is open");
    h.get_by_role_and_label(egui::Role::TextInput, "Code name").type_text("sleep");
    settle(&mut h);
    h.key_press(Key::F4);
    h.run_steps(2);
    assert!(!h.state().code.listen.player().unwrap().status().is_playing(), "F4 in the picker's text field");
}

#[test]
fn clicking_a_turn_time_plays_from_there_and_the_turn_is_marked() {
    let (_dir, _path, _wav, mut h) = with_recording(600);
    let turns = h.state().view().turns().to_vec();
    let (i, t) = turns.iter().enumerate().find(|(_, t)| t.time.as_deref() == Some("0:26")).expect("a turn at 0:26");
    h.get_by_label("Play from 0:26").click();
    h.run_steps(1);
    let s = player_state(&mut h, |s| s.is_playing() && s.position_ms >= 26_000);
    assert!(s.position_ms < 30_000, "{} ms", s.position_ms);
    assert_eq!(h.state().view().spoken(), Some(i), "the turn being spoken is marked");
    assert!(h.state().view().turn_in_view(i));
    // Play this passage: a coding's times, from its start.
    let doc = project(&h).resolve_document("P03_BL").unwrap();
    let listen = &h.state().code.listen;
    let coding = codings_in(&h, &doc)
        .into_iter()
        .find(|c| c.start >= t.start && listen.range_time(c.start, c.end).is_some_and(|(_, to)| to < 590_000))
        .expect("a coding between 0:26 and 9:50");
    h.state_mut().view_mut().select_coding(Some(coding.id.clone()));
    settle(&mut h);
    h.get_by_label("Play this passage").click();
    h.run_steps(1);
    let (from, to) = h.state().code.listen.range_time(coding.start, coding.end).unwrap();
    let s = player_state(&mut h, |s| s.position_ms >= from && (s.is_playing() || s.position_ms >= to));
    assert!(s.position_ms <= to.max(from + 1_000), "{} in {from}..{to}", s.position_ms);
}

#[test]
fn follow_keeps_the_spoken_turn_in_view_until_turned_off() {
    let (_dir, _path, _wav, mut h) = with_recording(600);
    // A seek by clicking the overview near its end, then play: the spoken turn is far down.
    let rect = h.get_by_label("Recording overview").rect();
    let at = pos2(rect.left() + rect.width() * 0.9, rect.center().y);
    h.event(Event::PointerMoved(at));
    h.event(press(at, true));
    h.step();
    h.event(press(at, false));
    h.run_steps(2);
    player_state(&mut h, |s| s.position_ms >= 500_000);
    h.key_press(Key::F4);
    h.run_steps(1);
    player_state(&mut h, |s| s.is_playing());
    settle(&mut h);
    let far = h.state().view().spoken().expect("a turn is being spoken");
    assert!(far > 10, "turn {far} is far down the transcript");
    assert!(h.state().view().turn_in_view(far), "follow scrolled to the spoken turn");
    // Follow off: going back to the start marks an early turn but leaves the view where it is.
    h.get_by_label("Follow").click();
    settle(&mut h);
    let at = pos2(rect.left() + rect.width() * 0.1, rect.center().y);
    h.event(Event::PointerMoved(at));
    h.event(press(at, true));
    h.step();
    h.event(press(at, false));
    h.run_steps(2);
    player_state(&mut h, |s| s.position_ms < 100_000);
    settle(&mut h);
    let early = h.state().view().spoken().expect("a turn is being spoken");
    assert!(early < far);
    assert!(!h.state().view().turn_in_view(early), "without follow the view stays put");
    assert!(h.state().view().turn_in_view(far));
}

#[test]
fn a_missing_recording_says_so_and_locate_links_it_again() {
    let (dir, path) = demo();
    let wav = dir.path().join("P03_BL.wav");
    std::fs::copy(root().join("fixtures/media/tone.wav"), &wav).unwrap();
    {
        let mut p = Project::open(&path).unwrap();
        let doc = p.resolve_document("P03_BL").unwrap();
        codeloom::media::link::link_file(&mut p, &doc, &wav).unwrap();
    }
    // Gone (a copy turns up elsewhere later, after the strip has said so).
    std::fs::remove_file(&wav).unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let moved = elsewhere.path().join("interview three.wav");
    let mut app = app_on(&path, "amara", vec![vec![moved.clone()]]);
    app.code.listen.silent = Some("no sound device in the tests".into());
    let mut h = harness(app);
    let doc = open_document(&mut h, "P03_BL");
    h.get_by_label_contains("the recording is not there");
    assert!(h.query_by_label("Play").is_none(), "no controls for a missing file");
    h.key_press(Key::F4);
    h.run_steps(2);
    std::fs::copy(root().join("fixtures/media/tone.wav"), &moved).unwrap();
    h.get_by_label("Locate…").click();
    wait_for(&mut h, |a| {
        a.project()
            .and_then(|p| p.recording(&doc).ok().flatten())
            .is_some_and(|r| r.path.ends_with("interview three.wav"))
    });
    player_state(&mut h, |s| s.state == codeloom::media::player::PlayState::Paused);
    h.get_by_label("Play");
    assert!(h.query_by_label_contains("the recording is not there").is_none());
    assert!(h.state().has_notice_containing("Linked"));
}

#[test]
fn link_a_recording_from_the_file_menu_and_set_a_sync_point() {
    let (dir, path) = demo();
    let wav = dir.path().join("any name.wav");
    std::fs::copy(root().join("fixtures/media/tone.wav"), &wav).unwrap();
    let mut app = app_on(&path, "amara", vec![vec![wav.clone()]]);
    app.code.listen.silent = Some("no sound device in the tests".into());
    let mut h = harness(app);
    let doc = open_document(&mut h, "P01_BL");
    assert!(h.query_by_label("Recording overview").is_none(), "no strip without a recording");
    h.get_by_label("File").click();
    settle(&mut h);
    h.get_by_label("Link a recording…").click();
    wait_for(&mut h, |a| a.project().and_then(|p| p.recording(&doc).ok().flatten()).is_some());
    player_state(&mut h, |s| s.state == codeloom::media::player::PlayState::Paused);
    h.get_by_label("Recording overview");
    // Forward to the end (1 s), then "Set sync point here" on the second turn.
    h.key_press(Key::F5);
    h.run_steps(1);
    let at = player_state(&mut h, |s| s.position_ms > 0).position_ms;
    // Right-click in the second turn's text, then "Set sync point here".
    let second = h.state().view().turns()[1].clone();
    let label = match &second.speaker {
        Some(s) => format!("{s}: {}", second.text),
        None => second.text.clone(),
    };
    let rect = h.get_by_label(&label).rect();
    let at_text = pos2(rect.left() + 40.0, rect.top() + 32.0);
    h.event(Event::PointerMoved(at_text));
    h.step();
    for pressed in [true, false] {
        h.event(Event::PointerButton {
            pos: at_text,
            button: PointerButton::Secondary,
            pressed,
            modifiers: Modifiers::NONE,
        });
    }
    settle(&mut h);
    h.get_by_label("Set sync point here").click();
    settle(&mut h);
    let points = project(&h).sync_points(&doc).unwrap();
    assert_eq!(points.len(), 1);
    assert_eq!((points[0].point.position, points[0].point.time_ms), (second.start, at));
    assert_eq!(h.state().code.listen.time_at(second.start), Some(at), "the timeline follows the sync point");
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    settle(&mut h);
    assert!(project(&h).sync_points(&doc).unwrap().is_empty());
    assert_ne!(h.state().code.listen.time_at(second.start), Some(at), "undo took the sync point back");
}

/// Right-clicks in the text of the open document's turn `i`; returns that turn.
fn context_menu_on_turn(h: &mut Harness<'static, App>, i: usize) -> super::transcript::TurnRow {
    let turn = h.state().view().turns()[i].clone();
    let label = match &turn.speaker {
        Some(s) => format!("{s}: {}", turn.text),
        None => turn.text.clone(),
    };
    let rect = h.get_by_label(&label).rect();
    let at_text = pos2(rect.left() + 40.0, rect.top() + 32.0);
    h.event(Event::PointerMoved(at_text));
    h.step();
    for pressed in [true, false] {
        h.event(Event::PointerButton {
            pos: at_text,
            button: PointerButton::Secondary,
            pressed,
            modifiers: Modifiers::NONE,
        });
    }
    settle(h);
    turn
}

#[test]
fn move_and_remove_a_sync_point_from_the_context_menu() {
    let (dir, path) = demo();
    let wav = dir.path().join("any name.wav");
    std::fs::copy(root().join("fixtures/media/tone.wav"), &wav).unwrap();
    let mut app = app_on(&path, "amara", vec![vec![wav.clone()]]);
    app.code.listen.silent = Some("no sound device in the tests".into());
    let mut h = harness(app);
    let doc = open_document(&mut h, "P01_BL");
    h.get_by_label("File").click();
    settle(&mut h);
    h.get_by_label("Link a recording…").click();
    wait_for(&mut h, |a| a.project().and_then(|p| p.recording(&doc).ok().flatten()).is_some());
    player_state(&mut h, |s| s.state == codeloom::media::player::PlayState::Paused);
    // At the end (1 s), a sync point on the second turn.
    h.key_press(Key::F5);
    h.run_steps(1);
    let end = player_state(&mut h, |s| s.position_ms > 0).position_ms;
    context_menu_on_turn(&mut h, 1);
    assert!(h.query_by_label("Remove sync point").is_none(), "no sync point on this turn yet");
    h.get_by_label("Set sync point here").click();
    settle(&mut h);
    let at = |h: &Harness<'static, App>| {
        project(h).sync_points(&doc).unwrap().iter().map(|p| (p.point.position, p.point.time_ms)).collect::<Vec<_>>()
    };
    let second = h.state().view().turns()[1].start;
    assert_eq!(at(&h), [(second, end)]);
    // Back to the start, then "Move sync point to the player's position".
    h.key_press(Key::F3);
    h.run_steps(1);
    player_state(&mut h, |s| s.position_ms == 0);
    context_menu_on_turn(&mut h, 1);
    h.get_by_label("Move sync point to the player's position").click();
    settle(&mut h);
    assert_eq!(at(&h), [(second, 0)], "the turn keeps its sync point, at the player's position");
    assert_eq!(h.state().code.listen.time_at(second), Some(0), "the timeline follows");
    context_menu_on_turn(&mut h, 1);
    h.get_by_label("Remove sync point").click();
    settle(&mut h);
    assert!(at(&h).is_empty());
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    settle(&mut h);
    assert_eq!(at(&h), [(second, 0)], "undo brings the removed point back");
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    settle(&mut h);
    assert_eq!(at(&h), [(second, end)], "undo takes the move back");
}

/// A file dropped on the window.
#[derive(Debug)]
struct Dropped(PathBuf);

impl egui::DroppedFile for Dropped {
    fn path(&self) -> &Path {
        &self.0
    }
    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

#[test]
fn a_recording_dropped_on_the_open_document_is_linked_and_alt_click_plays_from_there() {
    let (dir, path) = demo();
    let wav = dir.path().join("dropped.wav");
    std::fs::copy(root().join("fixtures/media/tone.wav"), &wav).unwrap();
    let mut app = app_on(&path, "amara", vec![]);
    app.code.listen.silent = Some("no sound device in the tests".into());
    let mut h = harness(app);
    let doc = open_document(&mut h, "P01_BL");
    h.input_mut().dropped_files.push(Arc::new(Dropped(wav.clone())));
    settle(&mut h);
    let rec = project(&h).recording(&doc).unwrap().expect("the dropped file is linked");
    assert!(rec.path.ends_with("dropped.wav"));
    assert!(!h.state().is_importing(), "a recording is not imported as a transcript");
    player_state(&mut h, |s| s.state == codeloom::media::player::PlayState::Paused);
    // Alt+click in a turn's text plays from that place.
    let turn = h.state().view().turns().iter().find(|t| t.speaker.is_some()).unwrap().clone();
    let label = format!("{}: {}", turn.speaker.clone().unwrap_or_default(), turn.text);
    let rect = h.get_by_label(&label).rect();
    let at = pos2(rect.left() + 40.0, rect.top() + 32.0);
    h.event(Event::PointerMoved(at));
    h.event(Event::ModifiersChanged(Modifiers::ALT));
    h.event(Event::PointerButton { pos: at, button: PointerButton::Primary, pressed: true, modifiers: Modifiers::ALT });
    h.event(Event::PointerButton {
        pos: at,
        button: PointerButton::Primary,
        pressed: false,
        modifiers: Modifiers::ALT,
    });
    h.run_steps(1);
    h.event(Event::ModifiersChanged(Modifiers::NONE));
    player_state(&mut h, |s| s.is_playing() || s.state == codeloom::media::player::PlayState::Ended);
}

#[test]
fn the_player_keys_are_chosen_in_the_view_menu_and_kept_in_the_preferences() {
    let (_dir, _path, _wav, mut h) = with_recording(20);
    player_state(&mut h, |s| s.state == codeloom::media::player::PlayState::Paused);
    h.get_by_label("View").click();
    settle(&mut h);
    h.get_by_label("Player keys").click();
    settle(&mut h);
    h.get_by_label("Play / pause: F4").click();
    settle(&mut h);
    h.get_by_label("F8").click();
    settle(&mut h);
    assert_eq!(h.state().prefs.player_keys.play_pause, "F8");
    h.key_press(Key::Escape);
    settle(&mut h);
    h.key_press(Key::F4);
    h.run_steps(2);
    assert!(!h.state().code.listen.player().unwrap().status().is_playing(), "F4 no longer plays");
    h.key_press(Key::F8);
    h.run_steps(1);
    player_state(&mut h, |s| s.is_playing());
}

#[test]
fn a_moved_recording_plays_from_where_it_was_found_and_can_be_linked_there() {
    let (dir, path) = demo();
    let wav = dir.path().join("P03_BL.wav");
    std::fs::copy(root().join("fixtures/media/tone.wav"), &wav).unwrap();
    {
        let mut p = Project::open(&path).unwrap();
        let doc = p.resolve_document("P03_BL").unwrap();
        codeloom::media::link::link_file(&mut p, &doc, &wav).unwrap();
    }
    std::fs::create_dir(dir.path().join("audio")).unwrap();
    std::fs::rename(&wav, dir.path().join("audio/renamed.wav")).unwrap();
    let mut app = app_on(&path, "amara", vec![]);
    app.code.listen.silent = Some("no sound device in the tests".into());
    let mut h = harness(app);
    let doc = open_document(&mut h, "P03_BL");
    h.get_by_label_contains("The recording was moved; playing it from");
    player_state(&mut h, |s| s.state == codeloom::media::player::PlayState::Paused);
    h.get_by_label("Play");
    h.get_by_label("Keep this place").click();
    settle(&mut h);
    let rec = project(&h).recording(&doc).unwrap().unwrap();
    assert_eq!(rec.path, "audio/renamed.wav");
    assert!(h.query_by_label_contains("The recording was moved").is_none());
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    settle(&mut h);
    assert!(project(&h).recording(&doc).unwrap().unwrap().path.ends_with("P03_BL.wav"), "undo");
}

#[test]
fn the_recording_keeps_playing_and_f4_works_on_other_screens() {
    let (_dir, _path, _wav, mut h) = with_recording(60);
    player_state(&mut h, |s| s.state == codeloom::media::player::PlayState::Paused);
    h.get_by_label("Search").click();
    settle(&mut h);
    h.key_press(Key::F4);
    h.run_steps(1);
    player_state(&mut h, |s| s.is_playing());
    settle(&mut h);
    let title = h.state().title.clone();
    assert!(title.starts_with("Codeloom – playing P03_BL at "), "{title}");
    h.key_press(Key::F4);
    h.run_steps(1);
    player_state(&mut h, |s| s.state == codeloom::media::player::PlayState::Paused);
    settle(&mut h);
    assert_eq!(h.state().title, "Codeloom");
}

#[test]
fn the_overview_shows_each_coding_at_its_time_in_its_code_colour() {
    let (_dir, _path, _wav, mut h) = with_recording(600);
    player_state(&mut h, |s| s.state == codeloom::media::player::PlayState::Paused);
    let check = |h: &Harness<'static, App>| {
        let listen = &h.state().code.listen;
        let marks = h.state().view().marks();
        assert!(!marks.is_empty());
        assert_eq!(listen.coded().len(), marks.len());
        for (m, c) in marks.iter().zip(listen.coded()) {
            assert_eq!(Some((c.start_ms, c.end_ms)), listen.range_time(m.start, m.end));
            assert_eq!(c.color, m.color);
        }
    };
    check(&h);
    // A coding's times follow the turn times: the first coding starts after the first turn's time.
    let first = h.state().view().marks().iter().map(|m| m.start).min().unwrap();
    let at_first = h.state().code.listen.coded().iter().map(|c| c.start_ms).min().unwrap();
    assert!(at_first >= 4_000, "the first turn is spoken at 0:04; the first coding at {at_first} ms (char {first})");
    // Blind mode hides other coders' codings: their stretches go too.
    h.get_by_label("Show only my codings").click();
    settle(&mut h);
    check(&h);
}

/// Turns suggestions on in the status bar and runs frames until the model, learned on its
/// own thread, has arrived (bounded).
fn turn_on_suggestions(h: &mut Harness<'static, App>) {
    h.get_by_role_and_label(egui::Role::CheckBox, "Suggestions").click();
    h.step();
    assert!(h.state().code.suggest.learning() || h.state().code.suggest.trained(), "learning started");
    for _ in 0..6000 {
        h.step();
        if h.state().code.suggest.trained() && !h.state().code.suggest.learning() {
            settle(h);
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("the suggestions were not learned in time");
}

/// Brings a suggestion into view and clicks inside it, as a person does.
fn click_suggestion(h: &mut Harness<'static, App>, s: &codeloom::suggest::Suggestion) {
    h.state_mut().view_mut().reveal(s.start, s.end);
    settle(h);
    let r = h.state().view().char_on_screen(s.start + 1).expect("the suggestion is laid out");
    let p = pos2(r.left() + 1.0, r.center().y);
    h.event(Event::PointerMoved(p));
    h.event(press(p, true));
    h.step();
    h.event(press(p, false));
    settle(h);
}

/// Issue 14 in the window: suggestions are learned in the background, drawn (not counted as
/// codings), selected with a click to show their reasons; A accepts (a coding with
/// provenance, undone by Ctrl+Z), X rejects (remembered, no longer shown); the keys do
/// nothing while a text field has the keyboard; a similar passage opens its document.
#[test]
fn suggestions_are_learned_shown_accepted_rejected_and_undone_in_the_window() {
    let (_dir, path) = demo();
    let mut h = harness(app_on(&path, "amara", vec![]));
    let doc = open_document(&mut h, "P05_BL");
    assert!(h.state().view().suggestions().is_empty(), "no suggestions until they are turned on");
    let before = codings_in(&h, &doc);
    turn_on_suggestions(&mut h);
    let shown = h.state().code.suggest.shown().to_vec();
    assert!(shown.len() >= 2, "the demo document has suggestions: {}", shown.len());
    assert_eq!(h.state().view().suggestions().len(), shown.len(), "the transcript draws each suggestion");
    assert_eq!(h.state().view().marks().len(), before.len(), "suggestions are not codings");
    for s in &shown {
        assert_eq!(s.document_id, doc);
        assert!(
            !before.iter().any(|c| c.code_id == s.code_id && c.start < s.end && s.start < c.end),
            "a suggestion never overlaps a coding of its code"
        );
    }
    h.get_by_label_contains("not suggested (fewer than 8 codings)");

    // A click inside the first suggestion selects it; the inspector gives its reasons.
    let first = shown[0].clone();
    click_suggestion(&mut h, &first);
    assert_eq!(h.state().view().selected_suggestion(), Some(first.id.as_str()));
    let code_path = h.state().study().unwrap().path(&first.code_id);
    h.get_by_label(&format!("Suggested: {code_path}"));
    h.get_by_label(&format!("{:.2}", first.score));
    h.get_by_label("Accept");
    h.get_by_label("Reject");
    let path_label = h.get_by_label_contains("demo.codeloom").rect();
    h.mask(path_label);
    h.snapshot_options("workbench_suggestion", &snapshot_options());

    // While a text field has the keyboard, A and X do nothing.
    h.get_by_role_and_label(egui::Role::TextInput, "Find a code").focus();
    h.step();
    h.key_press(Key::A);
    h.key_press(Key::X);
    settle(&mut h);
    assert_eq!(codings_in(&h, &doc).len(), before.len(), "A typed in a field accepts nothing");
    assert!(project(&h).suggestion_rejections().unwrap().is_empty(), "X typed in a field rejects nothing");

    // A accepts: an ordinary coding by amara, with its provenance; it is no longer suggested.
    click_suggestion(&mut h, &first);
    assert_eq!(h.state().view().selected_suggestion(), Some(first.id.as_str()));
    h.key_press(Key::A);
    settle(&mut h);
    let after = codings_in(&h, &doc);
    assert_eq!(after.len(), before.len() + 1);
    let made = after
        .iter()
        .find(|c| c.code_id == first.code_id && (c.start, c.end) == (first.start, first.end))
        .expect("the accepted coding");
    assert_eq!(made.coder, "amara");
    let provenance = project(&h).coding_provenance(&made.id).unwrap().expect("provenance is recorded");
    assert_eq!(provenance.model_version, first.model_version);
    assert_eq!(provenance.accepted_by, "amara");
    assert!((provenance.score - first.score).abs() < 1e-9);
    assert!(!h.state().view().suggestions().iter().any(|m| m.id == first.id), "accepted: no longer suggested");
    assert!(h.state().view().marks().iter().any(|m| m.id == made.id), "accepted: drawn as a coding");
    let selected = h.state().view().selected_coding().map(|m| m.id.clone());
    assert_eq!(selected, Some(made.id.clone()), "accepted: the coding is selected, its ends ready to drag");
    h.get_by_label_contains("drag its ends to adjust them");

    // Ctrl+Z takes the coding back, and the passage is suggested again.
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    settle(&mut h);
    assert!(project(&h).coding(&made.id).is_err(), "Ctrl+Z undoes the accepted suggestion");
    assert!(h.state().view().suggestions().iter().any(|m| m.id == first.id), "suggested again after undo");

    // Enter accepts too; Ctrl+Z again.
    click_suggestion(&mut h, &first);
    h.key_press(Key::Enter);
    settle(&mut h);
    assert_eq!(codings_in(&h, &doc).len(), before.len() + 1, "Enter accepts the selected suggestion");
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    settle(&mut h);
    assert_eq!(codings_in(&h, &doc).len(), before.len());

    // X rejects another: remembered, and no longer shown.
    let second = shown.iter().find(|s| s.id != first.id).unwrap().clone();
    click_suggestion(&mut h, &second);
    assert_eq!(h.state().view().selected_suggestion(), Some(second.id.as_str()));
    h.key_press(Key::X);
    settle(&mut h);
    let rejections = project(&h).suggestion_rejections().unwrap();
    assert_eq!(rejections.len(), 1);
    let r = &rejections[0];
    assert_eq!((&r.code_id, r.start, r.end, r.coder.as_str()), (&second.code_id, second.start, second.end, "amara"));
    assert!(!h.state().view().suggestions().iter().any(|m| m.id == second.id), "rejected: no longer shown");
    assert_eq!(codings_in(&h, &doc).len(), before.len(), "rejecting codes nothing");

    // "Accept all of this code above 0.8": one operation for every such suggestion of the code.
    let now = h.state().code.suggest.shown().to_vec();
    let top = now.iter().find(|s| s.score >= 0.8).cloned().expect("a suggestion above 0.8");
    let same: Vec<_> = now.iter().filter(|s| s.code_id == top.code_id && s.score >= 0.8).cloned().collect();
    click_suggestion(&mut h, &top);
    h.get_by_label(&format!("Accept all of this code above 0.8 ({})", same.len())).click();
    settle(&mut h);
    let coded = codings_in(&h, &doc);
    assert_eq!(coded.len(), before.len() + same.len());
    for s in &same {
        assert!(coded.iter().any(|c| c.code_id == s.code_id && (c.start, c.end) == (s.start, s.end)));
    }
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    settle(&mut h);
    assert_eq!(codings_in(&h, &doc).len(), before.len(), "one Ctrl+Z takes them all back");

    // A similar coded passage opens its document there.
    let third = h.state().code.suggest.shown().iter().find(|s| !s.similar.is_empty()).cloned();
    let third = third.expect("a suggestion with similar passages");
    click_suggestion(&mut h, &third);
    let p = third.similar[0].clone();
    h.get_by_label_contains(&format!("{} ({:.2}):", p.document_name, p.score)).click();
    settle(&mut h);
    assert_eq!(h.state().view().document_id(), p.document_id, "the similar passage's document is open");
    assert_eq!(h.state().view().flashed(), Some((p.start, p.end)));
    assert!(!h.state().view().suggestions().is_empty() || h.state().code.suggest.shown().is_empty());

    // View > Suggestions turns them off: nothing suggested is drawn.
    h.get_by_label("View").click();
    settle(&mut h);
    let toggles: Vec<_> = h.get_all_by_role_and_label(egui::Role::CheckBox, "Suggestions").collect();
    assert_eq!(toggles.len(), 2, "the View menu and the status bar");
    toggles[0].click();
    settle(&mut h);
    assert!(!h.state().code.suggest.on);
    assert!(h.state().view().suggestions().is_empty(), "turned off: no suggestions drawn");
}

/// The suggestions inbox: a code's queue across the project, accepted from the window
/// (a coding with provenance); "How good are the suggestions?" runs in the background and
/// shows the same per-code figures as the library's evaluation.
#[test]
fn the_suggestions_inbox_accepts_across_the_project_and_the_evaluation_is_shown() {
    let (_dir, path) = demo();
    let mut h = harness(app_on(&path, "chen", vec![]));
    open_document(&mut h, "P01_BL");
    turn_on_suggestions(&mut h);
    h.get_by_label("Inbox…").click();
    settle(&mut h);
    let codes = h.state().code.suggest.trained_codes();
    let study = h.state().study().unwrap();
    let code = codes.iter().find(|c| study.path(c).contains(" / ")).expect("a child code with a model").clone();
    let code_path = study.path(&code);
    h.get_by_label("code").click();
    settle(&mut h);
    h.get_by_label(&code_path).click();
    settle(&mut h);
    let items = h.state().code.inbox.items.clone();
    assert!(!items.is_empty(), "the queue of {code_path} has suggestions");
    assert!(items.iter().all(|s| s.code_id == code), "only the chosen code");
    assert!(items.windows(2).all(|w| w[0].score >= w[1].score), "the highest scores first");
    let docs: std::collections::HashSet<&str> = items.iter().map(|s| s.document_id.as_str()).collect();
    assert!(!docs.is_empty());

    // Accept the first in the queue: a coding by chen with provenance; it leaves the queue.
    let first = items[0].clone();
    h.get_all_by_label("Accept").next().unwrap().click();
    settle(&mut h);
    let made = codings_in(&h, &first.document_id)
        .into_iter()
        .find(|c| c.code_id == code && (c.start, c.end) == (first.start, first.end))
        .expect("the accepted coding");
    assert_eq!(made.coder, "chen");
    assert!(project(&h).coding_provenance(&made.id).unwrap().is_some());
    assert!(!h.state().code.inbox.items.iter().any(|s| s.id == first.id), "accepted: out of the queue");

    // Narrowed to one wave, then to one participant of it: only their documents are queued.
    let doc_of = |h: &Harness<'static, App>, id: &str| {
        h.state().study().unwrap().documents.iter().find(|d| d.document.id == id).unwrap().document.clone()
    };
    let left = h.state().code.inbox.items[0].document_id.clone();
    let wave = doc_of(&h, &left).wave.unwrap();
    h.get_by_label("wave").click();
    settle(&mut h);
    h.get_all_by_label(&wave).last().unwrap().click();
    settle(&mut h);
    assert_eq!(h.state().code.inbox.wave.as_deref(), Some(wave.as_str()));
    let in_wave = h.state().code.inbox.items.clone();
    assert!(!in_wave.is_empty(), "{code_path} has suggestions in wave {wave}");
    assert!(in_wave.iter().all(|s| doc_of(&h, &s.document_id).wave.as_deref() == Some(wave.as_str())), "{in_wave:?}");
    let someone = doc_of(&h, &in_wave[0].document_id).participant.unwrap();
    h.get_by_label("Every participant").click();
    settle(&mut h);
    h.get_all_by_label(&someone).last().unwrap().click();
    settle(&mut h);
    assert_eq!(h.state().code.inbox.participants, vec![someone.clone()]);
    let theirs = h.state().code.inbox.items.clone();
    assert!(!theirs.is_empty());
    assert!(theirs.iter().all(|s| {
        let d = doc_of(&h, &s.document_id);
        d.wave.as_deref() == Some(wave.as_str()) && d.participant.as_deref() == Some(someone.as_str())
    }));
    let library =
        h.state().code.suggest.inbox(project(&h), &code, Some(&wave), std::slice::from_ref(&someone)).unwrap();
    assert_eq!(theirs, library, "the window shows the library's narrowed inbox");
    h.key_press(egui::Key::Escape);
    settle(&mut h);

    // The evaluation, in the background, then its table.
    h.get_by_label("How good are the suggestions?").click();
    for _ in 0..6000 {
        h.step();
        if h.state().code.inbox.evaluation.is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    settle(&mut h);
    let shown = h.state().code.inbox.evaluation.clone().expect("the evaluation finished");
    let expected = codeloom::suggest::evaluate(project(&h), &Default::default()).unwrap();
    assert_eq!(shown, expected, "the window shows the library's evaluation");
    h.get_by_label("Precision");
    let c = &expected.codes[0];
    assert!(h.get_all_by_label(&c.code_name).count() >= 2, "the table has a row for {}", c.code_name);
    h.get_by_label("All codes");
}

/// Issue 14, "Find similar passages": from the context menu on a selection, the window
/// lists the library's similar passages (found in the background); two ticked passages
/// are coded with one code as one operation, and one Ctrl+Z takes both back.
#[test]
fn similar_passages_are_found_from_a_selection_and_the_chosen_are_coded_at_once() {
    let (_dir, path) = demo();
    let mut h = harness(app_on(&path, "chen", vec![]));
    let doc = open_document(&mut h, "P03_BL");
    let i = (1..h.state().view().turns().len())
        .find(|&i| h.state().view().turns()[i].text.split_whitespace().count() >= 30)
        .expect("a long turn");
    let turn = h.state().view().turns()[i].clone();
    select(&mut h, (turn.start, turn.end));
    context_menu_on_turn(&mut h, i);
    h.get_by_label("Find similar passages").click();
    for _ in 0..6000 {
        h.step();
        if !h.state().code.similar.finding() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    settle(&mut h);
    assert!(!h.state().code.similar.finding(), "the passages were found");
    let shown = h.state().code.similar.passages.clone();
    let expected =
        codeloom::suggest::similar(project(&h), &doc, turn.start, turn.end, super::similar::SIMILAR_LIMIT).unwrap();
    assert_eq!(shown, expected, "the window lists the library's similar passages");
    assert!(shown.len() >= 2, "the demo has passages like this turn: {}", shown.len());
    h.get_by_label("Passages like this");
    h.get_by_label(&format!("{:.2}", shown[0].score));

    // Tick the first two.
    for k in 0..2 {
        let name = &shown[k].document_name;
        let nth = shown[..k].iter().filter(|p| &p.document_name == name).count();
        h.get_all_by_role_and_label(egui::Role::CheckBox, name).nth(nth).expect("a checkbox").click();
        settle(&mut h);
    }
    assert_eq!(h.state().code.similar.chosen.iter().filter(|c| **c).count(), 2);

    // Choose a code and code both, as one operation.
    let study = h.state().study().unwrap();
    let code = study.codes.iter().find(|c| study.path(&c.id).contains(" / ")).expect("a child code").id.clone();
    let code_path = study.path(&code);
    h.get_by_label("Code the chosen with").click();
    settle(&mut h);
    h.get_by_label(&code_path).click();
    settle(&mut h);
    h.get_by_label("Code 2 chosen").click();
    settle(&mut h);
    let has = |h: &Harness<'static, App>, p: &codeloom::suggest::SimilarPassage| {
        codings_in(h, &p.document_id)
            .iter()
            .any(|c| c.code_id == code && (c.start, c.end) == (p.start, p.end) && c.coder == "chen")
    };
    assert!(has(&h, &shown[0]) && has(&h, &shown[1]), "both chosen passages are coded in the project file");
    let reopened = Project::open(&path).unwrap();
    for p in &shown[..2] {
        let f = CodingFilter { document_id: Some(p.document_id.clone()), ..Default::default() };
        assert!(
            reopened.codings(&f).unwrap().iter().any(|c| c.code_id == code && (c.start, c.end) == (p.start, p.end))
        );
    }
    drop(reopened);

    // One Ctrl+Z removes both.
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    settle(&mut h);
    assert!(!has(&h, &shown[0]) && !has(&h, &shown[1]), "one Ctrl+Z takes both codings back");

    // Open shows a passage's document there.
    let k = shown.iter().position(|p| p.document_id != doc).expect("a passage in another document");
    assert_eq!(h.get_all_by_label("Open").count(), shown.len(), "one Open a passage");
    h.get_all_by_label("Open").nth(k).unwrap().click();
    settle(&mut h);
    assert_eq!(h.state().view().document_id(), shown[k].document_id, "the passage's document is open");
    assert_eq!(h.state().view().flashed(), Some((shown[k].start, shown[k].end)));
}

/// Issue 14, meaning: "Suggestions settings…" in the View menu chooses the folder of a
/// sentence-embedding model; it is read on a thread of its own and shown loaded with its
/// dimensions and vocabulary, a bad folder is refused with the file and the reason, a model
/// that loaded is saved in the settings file, and "Words only" forgets the model.
#[test]
fn the_suggestions_settings_load_a_model_folder_or_say_why_it_is_refused() {
    use super::meaning::ModelState;
    use codeloom::settings::Settings;
    let (dir, path) = demo();
    let model = dir.path().join("model");
    codeloom::bench::model::write_random_model(&model, 500, 16, 1).unwrap();
    let bad = dir.path().join("bad");
    std::fs::create_dir_all(&bad).unwrap();
    std::fs::write(bad.join("model.safetensors"), b"nonsense").unwrap();
    std::fs::write(bad.join("tokenizer.json"), b"{}").unwrap();
    let mut h = harness(app_on(&path, "amara", vec![vec![model.clone()], vec![bad.clone()]]));
    let settings = dir.path().join("config/codeloom/settings.json");
    h.state_mut().code.meaning.settings_path = Some(settings.clone());

    h.get_by_label("View").click();
    settle(&mut h);
    h.get_by_label("Suggestions settings…").click();
    settle(&mut h);
    h.get_by_label("Model: none (words only)");
    h.get_by_label("Embedding model folder…").click();
    wait_for(&mut h, |a| a.code.meaning.model().is_some());
    h.get_by_label("Loaded: 16 dimensions, a vocabulary of 500 tokens");
    h.get_by_label(&format!("Model: {}", model.display()));
    assert!(h.state().has_notice_containing("compared by meaning too"));
    assert_eq!(Settings::load_from(&settings).unwrap().embedding_model, Some(model.clone()));

    // A folder whose model is not a safetensors file: refused, and said why.
    h.get_by_label("Embedding model folder…").click();
    wait_for(&mut h, |a| matches!(a.code.meaning.state, ModelState::Refused(..)));
    h.get_by_label_contains(&format!("Refused: {}: not a safetensors file", bad.join("model.safetensors").display()));
    assert!(h.state().code.meaning.model().is_none());
    assert!(h.state().has_notice_containing("was refused"));
    assert_eq!(
        Settings::load_from(&settings).unwrap().embedding_model,
        Some(model.clone()),
        "a refused folder is not saved"
    );

    h.get_by_label("Words only").click();
    settle(&mut h);
    h.get_by_label("Model: none (words only)");
    assert_eq!(Settings::load_from(&settings).unwrap().embedding_model, None);
}

#[test]
fn a_large_project_shows_at_once_and_is_checked_and_backed_up_after() {
    let (_dir, path) = demo();
    Project::open(&path).unwrap().make_upkeep_due().unwrap();
    let backups = || codeloom::store::backup::list(&path).unwrap().len();
    let before = backups();
    let prefs = Prefs { coder: Some("amara".into()), ..Default::default() };
    let mut app = App::with(prefs, chooser(vec![]));
    app.open_leaving_upkeep_for_test(&path, 0);
    // The study is there before the backup is made.
    assert!(app.study().is_some());
    let mut h = harness(app);
    wait_for(&mut h, |app| !app.is_keeping_up());
    assert_eq!(backups(), before + 1);
    assert!(h.state().has_notice_containing("the day's backup"));
    drop(h);
    // Recorded: the next opening leaves nothing to do.
    let (_, upkeep) = Project::open_leaving_upkeep_above(&path, 0).unwrap();
    assert!(!upkeep.backup, "{upkeep:?}");
    assert_eq!(backups(), before + 1);

    // Another project opened meanwhile: the status bar no longer speaks of the first one's.
    Project::open(&path).unwrap().make_upkeep_due().unwrap();
    let (_other_dir, other) = demo();
    let mut app = App::with(Prefs::default(), chooser(vec![]));
    app.open_leaving_upkeep_for_test(&path, 0);
    assert!(app.is_keeping_up());
    app.open_leaving_upkeep_for_test(&other, u64::MAX);
    assert!(!app.is_keeping_up());
}
