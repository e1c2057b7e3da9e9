//! The daily coding loop in the real window: the `codeloom` binary runs eframe on X11 under
//! Xvfb with a window manager (openbox, without which the window never gets the keyboard),
//! driven by real mouse and key events from xdotool; every result is checked in the project
//! file through the library. In-process (kittest) tests do not reach the focus and input
//! paths of a real winit window, which is where single-key coding once broke.
//!
//! Needs `Xvfb`, `openbox` and `xdotool` (`bash scripts/setup.sh --test` installs them); it
//! says SKIPPED without them, and fails under CI. On failure it saves a screenshot of the
//! screen (with ImageMagick's `import`, when present) to `target/real_window-*.png`.

mod common;

use codeloom::Project;
use codeloom::model::Coding;
use codeloom::store::queries::CodingFilter;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The window's inner size the coordinates below are measured in.
const WINDOW: (u32, u32) = (1440, 900);

/// One X session at a time: two debug builds drawing in software on a small machine make
/// each other's frames slow enough to lose typed keys.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Processes of one X session, ended when the test ends (passing or not).
struct Session {
    /// Held while the session runs (dropped after the processes are ended).
    _turn: std::sync::MutexGuard<'static, ()>,
    display: String,
    children: Vec<Child>,
    window: String,
    shots: PathBuf,
}

impl Drop for Session {
    fn drop(&mut self) {
        for c in self.children.iter_mut().rev() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Session {
    /// Starts Xvfb, openbox and the workbench on `project` at `document`.
    fn start(project: &Path, document: &str, home: &Path) -> Session {
        let turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
        let n = (110..250).find(|n| !Path::new(&format!("/tmp/.X{n}-lock")).exists()).expect("a free X display");
        let display = format!(":{n}");
        let xvfb = Command::new("Xvfb")
            .args([&display, "-screen", "0", "1600x1000x24", "-nolisten", "tcp"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start Xvfb");
        let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("real_window-{n}"));
        let mut s =
            Session { _turn: turn, display: display.clone(), children: vec![xvfb], window: String::new(), shots };
        wait_until("the X server", Duration::from_secs(20), || Path::new(&format!("/tmp/.X11-unix/X{n}")).exists());
        let wm = Command::new("openbox")
            .env("DISPLAY", &display)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start openbox");
        s.children.push(wm);
        std::thread::sleep(Duration::from_millis(800));
        let log = std::fs::File::create(home.join("codeloom.log")).expect("log file");
        let app = Command::new(env!("CARGO_BIN_EXE_codeloom"))
            .arg(project)
            .args(["--document", document])
            .env("DISPLAY", &display)
            .env("HOME", home)
            .env("XDG_DATA_HOME", home.join("data"))
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("XDG_RUNTIME_DIR", home)
            .env("CODELOOM_CODER", "tester")
            .env_remove("WAYLAND_DISPLAY")
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("start codeloom");
        s.children.push(app);
        let found = poll(Duration::from_secs(90), || {
            let out = s.xdotool_output(&["search", "--onlyvisible", "--name", "^Codeloom$"]);
            out.lines().next().map(str::to_string)
        });
        s.window = found.unwrap_or_else(|| s.fail("the window never appeared"));
        s.xdo(&["windowactivate", "--sync", &s.window.clone()]);
        s.xdo(&["windowmove", "--sync", &s.window.clone(), "0", "0"]);
        s.xdo(&["windowsize", "--sync", &s.window.clone(), &WINDOW.0.to_string(), &WINDOW.1.to_string()]);
        // Let the first frames lay out the transcript at its new size.
        std::thread::sleep(Duration::from_secs(2));
        s
    }

    fn xdotool_output(&self, args: &[&str]) -> String {
        let out = Command::new("xdotool").args(args).env("DISPLAY", &self.display).output().expect("run xdotool");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// One xdotool command, then a pause so that egui sees a frame in between.
    fn xdo(&self, args: &[&str]) {
        let status = Command::new("xdotool").args(args).env("DISPLAY", &self.display).status().expect("xdotool");
        assert!(status.success(), "xdotool {args:?} failed");
        std::thread::sleep(Duration::from_millis(350));
    }

    /// Moves the pointer to window coordinates.
    fn at(&self, x: i32, y: i32) {
        self.xdo(&["mousemove", "--window", &self.window.clone(), &x.to_string(), &y.to_string()]);
    }

    fn key(&self, keys: &str) {
        self.xdo(&["key", "--window", &self.window.clone(), keys]);
    }

    fn type_text(&self, text: &str) {
        self.xdo(&["type", "--delay", "60", "--window", &self.window.clone(), text]);
    }

    /// A drag with pauses between press, moves and release, as a hand makes it.
    fn drag(&self, from: (i32, i32), to: (i32, i32)) {
        self.at(from.0, from.1);
        self.xdo(&["mousedown", "1"]);
        for i in 1..=4 {
            self.at(from.0 + (to.0 - from.0) * i / 4, from.1 + (to.1 - from.1) * i / 4);
        }
        self.xdo(&["mouseup", "1"]);
    }

    /// Saves a screenshot and the program's output, then fails the test.
    fn fail(&self, what: &str) -> ! {
        let png = self.shots.with_extension("png");
        let _ = Command::new("import")
            .args(["-window", "root", png.to_str().unwrap_or("shot.png")])
            .env("DISPLAY", &self.display)
            .status();
        panic!("{what} (screenshot: {})", png.display());
    }
}

/// Polls `f` every 200 ms until it gives a value or `limit` passes.
fn poll<T>(limit: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if start.elapsed() > limit {
            return None;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn wait_until(what: &str, limit: Duration, mut f: impl FnMut() -> bool) {
    assert!(poll(limit, || f().then_some(())).is_some(), "timed out waiting for {what}");
}

/// The codings of `doc` by the coder `tester`, read from the project file.
fn testers(project: &Path, doc: &str) -> Vec<Coding> {
    let p = Project::open(project).expect("open the project");
    let filter = CodingFilter { document_id: Some(doc.to_string()), ..Default::default() };
    p.codings(&filter).expect("codings").into_iter().filter(|c| c.coder == "tester").collect()
}

fn text_of(project: &Path, c: &Coding) -> String {
    let p = Project::open(project).expect("open the project");
    let text = p.document_text(&c.document_id).expect("text");
    text.chars().skip(c.start).take(c.end - c.start).collect()
}

/// The smoke test and the loop around it: double-click a word, C, a prefix of an
/// existing code, Enter; Ctrl+Z; a drag, C, another prefix, Enter; S stars the new coding;
/// Delete removes it; Ctrl+Z brings it back.
#[test]
fn the_daily_coding_loop_in_the_real_window() {
    let test = "the_daily_coding_loop_in_the_real_window";
    if !["Xvfb", "openbox", "xdotool"].iter().all(|t| common::tool(test, t, &["-help"])) {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let project = dir.path().join("demo.codeloom");
    common::ok(&["demo", project.to_str().expect("path")]);
    let (doc, sleep, pacing) = {
        let p = Project::open(&project).expect("open");
        (
            p.resolve_document("P03_BL").expect("P03_BL"),
            p.resolve_code("Sleep disruption").expect("code"),
            p.resolve_code("Pacing").expect("code"),
        )
    };
    let s = Session::start(&project, "P03_BL", dir.path());

    // Where the first turn's text is in a 1440 × 900 window with both side panels open: the
    // interviewer's opening line, "Okay, I think that's recording now. …".
    let line = (560, 186);
    s.at(line.0, line.1);
    s.xdo(&["click", "--repeat", "2", "--delay", "90", "1"]);
    s.key("c");
    s.type_text("sleep");
    s.key("Return");
    let coded = poll(Duration::from_secs(15), || testers(&project, &doc).into_iter().next());
    let coded = coded.unwrap_or_else(|| s.fail("double-click, C, \"sleep\", Enter made no coding"));
    assert_eq!(coded.code_id, sleep, "a prefix of an existing code applies that code");
    let word = text_of(&project, &coded);
    assert!(!word.is_empty() && word.chars().all(char::is_alphanumeric), "one word was coded: {word:?}");

    s.key("ctrl+z");
    if poll(Duration::from_secs(10), || testers(&project, &doc).is_empty().then_some(())).is_none() {
        s.fail("Ctrl+Z did not undo the coding");
    }

    // A drag over several words, then C and a prefix of another code.
    s.drag((line.0 - 60, line.1), (line.0 + 170, line.1));
    s.key("c");
    s.type_text("pac");
    s.key("Return");
    let dragged = poll(Duration::from_secs(15), || testers(&project, &doc).into_iter().next());
    let dragged = dragged.unwrap_or_else(|| s.fail("drag, C, \"pac\", Enter made no coding"));
    assert_eq!(dragged.code_id, pacing);
    let words = text_of(&project, &dragged);
    assert!(words.split_whitespace().count() >= 3, "the drag took several words: {words:?}");
    assert!(
        words.starts_with(char::is_alphanumeric) && words.ends_with(char::is_alphanumeric),
        "the selection snapped to whole words: {words:?}"
    );

    // The new coding is selected: S stars it, Delete removes it, Ctrl+Z brings it back.
    s.key("s");
    let starred =
        poll(Duration::from_secs(10), || testers(&project, &doc).iter().any(|c| c.illustrative).then_some(()));
    if starred.is_none() {
        s.fail("S did not star the new coding");
    }
    s.key("Delete");
    if poll(Duration::from_secs(10), || testers(&project, &doc).is_empty().then_some(())).is_none() {
        s.fail("Delete did not remove the selected coding");
    }
    s.key("ctrl+z");
    if poll(Duration::from_secs(10), || (testers(&project, &doc).len() == 1).then_some(())).is_none() {
        s.fail("Ctrl+Z did not bring the coding back");
    }
}

/// The seconds of the "M:SS" at the end of the window's title while a recording plays.
fn seconds_in(title: &str) -> Option<u64> {
    let (m, s) = title.rsplit(' ').next()?.split_once(':')?;
    Some(m.parse::<u64>().ok()? * 60 + s.parse::<u64>().ok()?)
}

/// A recording in the real window: a demo project whose P03_BL has a linked recording
/// (a minute of tone written here). F4, sent as a real X key event, starts the player: the
/// window's title then says what is playing and where, and the time in it moves on; F5
/// jumps 5 s forward; F4 again pauses it. The overview is computed in the background and
/// cached beside the project. Then a drag and C still code.
///
/// What this proves: the keys reach the player through a real winit window and the player
/// runs and reports its position. What it does not: that sound is heard (there is no sound
/// card here, so the player runs on its silent output), nor anything about the strip's
/// pixels (the title is read, not the screen).
#[test]
fn f4_plays_the_linked_recording_in_the_real_window_and_c_still_codes() {
    let test = "f4_plays_the_linked_recording_in_the_real_window_and_c_still_codes";
    if !["Xvfb", "openbox", "xdotool"].iter().all(|t| common::tool(test, t, &["-help"])) {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let project = dir.path().join("demo.codeloom");
    common::ok(&["demo", project.to_str().expect("path")]);
    let wav = dir.path().join("P03_BL.wav");
    let spec =
        hound::WavSpec { channels: 1, sample_rate: 8000, bits_per_sample: 16, sample_format: hound::SampleFormat::Int };
    let mut w = hound::WavWriter::create(&wav, spec).expect("write the recording");
    for i in 0..60 * 8000u32 {
        let t = f64::from(i) / 8000.0;
        w.write_sample(((t * 2.0 * std::f64::consts::PI * 220.0).sin() * 8000.0) as i16).expect("a sample");
    }
    w.finalize().expect("finish the recording");
    let (doc, sleep) = {
        let mut p = Project::open(&project).expect("open");
        let doc = p.resolve_document("P03_BL").expect("P03_BL");
        codeloom::media::link::link_file(&mut p, &doc, &wav).expect("link the recording");
        (doc, p.resolve_code("Sleep disruption").expect("code"))
    };
    let s = Session::start(&project, "P03_BL", dir.path());
    let title = || s.xdotool_output(&["getwindowname", &s.window]).trim().to_string();
    assert_eq!(title(), "Codeloom", "nothing plays before F4");

    // The overview is computed in the background and cached beside the project.
    let cache = dir.path().join("demo.codeloom.media");
    let cached = poll(Duration::from_secs(30), || {
        std::fs::read_dir(&cache).ok()?.flatten().find(|e| e.path().extension().is_some_and(|x| x == "peaks"))
    });
    if cached.is_none() {
        s.fail("the overview was never cached beside the project");
    }

    s.key("F4");
    let playing = poll(Duration::from_secs(10), || {
        let t = title();
        t.starts_with("Codeloom – playing P03_BL at ").then_some(t)
    });
    let first = playing.unwrap_or_else(|| s.fail("F4 did not start the recording"));
    let moved = poll(Duration::from_secs(10), || {
        let t = title();
        (t.starts_with("Codeloom – playing P03_BL at ") && t != first).then_some(t)
    });
    let moved = moved.unwrap_or_else(|| s.fail(&format!("the position did not move on while playing ({first})")));
    // F5 goes forward 5 s: the time in the title jumps.
    let before = seconds_in(&moved).unwrap_or_else(|| s.fail(&format!("no time in the title {moved}")));
    s.key("F5");
    let jumped = poll(Duration::from_secs(10), || seconds_in(&title()).filter(|t| *t >= before + 5));
    if jumped.is_none() {
        s.fail(&format!("F5 did not go forward 5 s from {moved}"));
    }
    s.key("F4");
    if poll(Duration::from_secs(10), || (title() == "Codeloom").then_some(())).is_none() {
        s.fail("F4 again did not pause the recording");
    }

    // Coding keys still code with a recording open: a drag over words well inside the
    // transcript, whatever the height of the player strip above it (a drag, not a
    // double-click, whose timing a busy machine can stretch past egui's limit).
    s.drag((500, 726), (760, 726));
    s.key("c");
    // The picker's field takes the keyboard a frame after it opens; on a busy machine a
    // frame can take longer than xdotool's pause.
    std::thread::sleep(Duration::from_secs(1));
    s.type_text("sleep");
    s.key("Return");
    let coded = poll(Duration::from_secs(15), || testers(&project, &doc).into_iter().next());
    let coded = coded.unwrap_or_else(|| s.fail("a drag, C, \"sleep\", Enter made no coding"));
    if coded.code_id != sleep {
        let p = Project::open(&project).expect("open the project");
        let name = p.code(&coded.code_id).map(|c| c.name).unwrap_or_default();
        s.fail(&format!("the drag was coded with \"{name}\", not Sleep disruption"));
    }
    let words = text_of(&project, &coded);
    assert!(words.split_whitespace().count() >= 2, "the drag took several words: {words:?}");
}

/// Suggestions in the real window: a demo project with one more interview whose first
/// turn says what the team codes "Sleep disruption". View > Suggestions, clicked with the
/// real pointer, learns from the team's codings on a thread of its own; the first turn
/// then carries a dashed suggestion. A click on it and the `A` key, as real X events, make
/// it a coding by the person at the keyboard, with its provenance (the model and its
/// score) in the project file; Ctrl+Z takes it back; a click and `X` reject it, and the
/// rejection is remembered in the project file.
///
/// What this proves: the menu, the click on a dashed outline and the single keys reach the
/// suggestions through a real winit window, and what they do is stored. What it does not:
/// anything about the outline's pixels (the library is asked where the suggestion is).
#[test]
fn a_suggestion_is_accepted_undone_and_rejected_in_the_real_window() {
    let test = "a_suggestion_is_accepted_undone_and_rejected_in_the_real_window";
    if !["Xvfb", "openbox", "xdotool"].iter().all(|t| common::tool(test, t, &["-help"])) {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let project = dir.path().join("demo.codeloom");
    common::ok(&["demo", project.to_str().expect("path")]);
    let text = "Sam: Some nights I only get two hours of sleep, I wake up every time I turn over in bed.\n\n\
                Interviewer: And how is that affecting you?\n\nSam: Well.\n";
    let (doc, expected) = {
        let mut p = Project::open(&project).expect("open");
        p.import_documents(vec![codeloom::model::ParsedDocument {
            source: PathBuf::from("P07_BL.txt"),
            name: "P07_BL".into(),
            original_name: "P07_BL.txt".into(),
            format: "txt".into(),
            text: text.into(),
            turns: codeloom::import::turns::detect_turns(text),
            participant: Some("P07".into()),
            wave: Some("BL".into()),
            warnings: vec![],
        }])
        .expect("import P07_BL");
        let doc = p.resolve_document("P07_BL").expect("P07_BL");
        // What the window will learn and suggest: the same library function underneath.
        let suggester = codeloom::suggest::train(&p, &codeloom::suggest::TrainOptions::default()).expect("learn");
        let shown = suggester.suggest_document(&p, &doc, &Default::default()).expect("suggest");
        let first_turn = p.turns(&doc).expect("turns")[0].clone();
        let expected = shown
            .into_iter()
            .find(|x| x.start >= first_turn.start && x.end <= first_turn.end)
            .expect("the first turn is suggested");
        assert_eq!(expected.code_id, p.resolve_code("Sleep disruption").expect("code"));
        (doc, expected)
    };
    let s = Session::start(&project, "P07_BL", dir.path());

    // View > Suggestions (the menu bar is at the window's top; the item is the sixth).
    s.at(91, 13);
    s.xdo(&["click", "1"]);
    s.at(135, 194);
    s.xdo(&["click", "1"]);
    s.key("Escape");

    // The first turn's first sentence, two lines long, under the taller strip the
    // suggestions' inspector takes. Learning takes a few seconds in a debug build: until
    // the suggestion is shown, a click selects nothing and A does nothing, so try again.
    let sentence = (560, 243);
    let accepted = poll(Duration::from_secs(90), || {
        s.at(sentence.0, sentence.1);
        s.xdo(&["click", "1"]);
        s.key("a");
        std::thread::sleep(Duration::from_millis(800));
        testers(&project, &doc).into_iter().next()
    });
    let accepted = accepted.unwrap_or_else(|| s.fail("a click on the suggestion and A made no coding"));
    assert_eq!(
        (accepted.code_id.as_str(), accepted.start, accepted.end),
        (expected.code_id.as_str(), expected.start, expected.end),
        "the suggested passage was coded with the suggested code"
    );
    let provenance = Project::open(&project)
        .expect("open")
        .coding_provenance(&accepted.id)
        .expect("provenance")
        .unwrap_or_else(|| s.fail("the accepted coding has no provenance"));
    assert_eq!(provenance.accepted_by, "tester");
    assert_eq!(provenance.model_version, expected.model_version);
    assert!((provenance.score - expected.score).abs() < 1e-9, "{} vs {}", provenance.score, expected.score);

    s.key("ctrl+z");
    if poll(Duration::from_secs(10), || testers(&project, &doc).is_empty().then_some(())).is_none() {
        s.fail("Ctrl+Z did not take the accepted suggestion back");
    }

    // Undone, the passage is suggested again: a click and X reject it.
    let rejected = poll(Duration::from_secs(30), || {
        s.at(sentence.0, sentence.1);
        s.xdo(&["click", "1"]);
        s.key("x");
        std::thread::sleep(Duration::from_millis(800));
        let p = Project::open(&project).expect("open");
        p.suggestion_rejections().expect("rejections").into_iter().find(|r| r.document_id == doc)
    });
    let rejected = rejected.unwrap_or_else(|| s.fail("a click on the suggestion and X rejected nothing"));
    assert_eq!((rejected.start, rejected.end), (expected.start, expected.end));
    assert!(testers(&project, &doc).is_empty(), "a rejection codes nothing");
}
