//! The 10,000-transcript scenario of `codeloom bench --scale` (issue 12): a corpus of
//! synthetic interviews at real length (about 40,000 characters and 120 turns each,
//! participant and wave in the file names) written to files, imported through the
//! normal import path, then coded with 1,000,000 codings by 3 coders over 60 codes
//! (through [`Project::apply_codings`], in batches).
//!
//! [`scale_project`] builds that study once per scratch folder and hands back its path,
//! so that every figure of the scenario (search here; the window, the command line,
//! agreement and import memory as they are added) measures the same study. The words
//! follow a Zipf distribution over a vocabulary of some 30,000 words (common English,
//! interview words, and made-up words for the long tail), so that the index sizes and
//! query times are those of real text rather than of a few repeated words.

use super::Measurement;
use super::corpus::Rng;
use crate::error::{Error, Result};
use crate::import;
use crate::store::Project;
use crate::store::ops::{NewCode, NewCoding};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// How big the scenario is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScaleSize {
    pub transcripts: usize,
    /// Turns per transcript (interviewer and participant in turn).
    pub turns: usize,
    /// About this many characters per transcript.
    pub chars: usize,
    pub codings: usize,
    pub codes: usize,
    pub coders: usize,
}

impl ScaleSize {
    /// The study issue 12 sets targets for.
    pub const FULL: ScaleSize =
        ScaleSize { transcripts: 10_000, turns: 120, chars: 40_000, codings: 1_000_000, codes: 60, coders: 3 };
    /// A tenth of it, to check that the scenario works.
    pub const QUICK: ScaleSize =
        ScaleSize { transcripts: 1_000, turns: 120, chars: 40_000, codings: 100_000, codes: 60, coders: 3 };
}

/// The built study.
#[derive(Debug, Clone)]
pub struct ScaleProject {
    /// The project file.
    pub path: PathBuf,
    /// The folder of transcripts it was imported from.
    pub corpus: PathBuf,
    pub size: ScaleSize,
    /// Bytes of text in the transcripts.
    pub text_bytes: u64,
    /// A word that occurs in about one turn in thirty, and one that occurs a few
    /// hundred times in the whole corpus, for timing queries.
    pub common_word: String,
    pub rare_word: String,
    /// How long writing, importing and coding took (empty when the study was already built).
    pub measurements: Vec<Measurement>,
}

/// The full study in `work` (built there unless it already is), as issue 12 describes it.
pub fn scale_project(work: &Path, seed: u64) -> Result<PathBuf> {
    Ok(build(work, seed, ScaleSize::FULL, &mut |_| {})?.path)
}

/// The file that says a study in `work` was built to the end, and what it holds.
const BUILT: &str = "built.json";

/// Builds the study of `size` in `work/scale-N/` (or finds it built there) and reports
/// what building it took.
pub fn build(work: &Path, seed: u64, size: ScaleSize, progress: &mut dyn FnMut(&str)) -> Result<ScaleProject> {
    let home = work.join(format!("scale-{}", size.transcripts));
    let corpus = home.join("transcripts");
    let path = home.join("study.codeloom");
    let vocabulary = Vocabulary::new(seed);
    let (common_word, rare_word) = (COMMON_WORD.to_string(), vocabulary.words[RARE_RANK].clone());
    if let Ok(raw) = std::fs::read_to_string(home.join(BUILT))
        && let Ok(text_bytes) = raw.trim().parse::<u64>()
    {
        let measurements = Vec::new();
        return Ok(ScaleProject { path, corpus, size, text_bytes, common_word, rare_word, measurements });
    }
    let io = |p: &Path, e: std::io::Error| Error::Invalid(format!("{}: {e}", p.display()));
    if home.exists() {
        std::fs::remove_dir_all(&home).map_err(|e| io(&home, e))?;
    }
    std::fs::create_dir_all(&corpus).map_err(|e| io(&corpus, e))?;
    let mut measurements = Vec::new();

    progress(&format!("scale: writing {} transcripts", size.transcripts));
    let t = Instant::now();
    let written = write_corpus(&corpus, &vocabulary, size, seed)?;
    measurements.push(Measurement {
        name: format!("scale_write_corpus_{}", size.transcripts),
        what: format!("write {} synthetic transcripts at real length", size.transcripts),
        seconds: t.elapsed().as_secs_f64(),
        target_seconds: None,
        details: serde_json::json!({
            "transcripts": size.transcripts, "bytes": written.bytes, "chars": written.chars,
            "words": written.words, "turns": written.turns, "vocabulary": vocabulary.words.len(),
            "common_word": common_word, "rare_word": rare_word,
        }),
    });

    progress("scale: importing them");
    let t = Instant::now();
    let mut project = Project::create(&path)?;
    let report = import::import_paths(&mut project, std::slice::from_ref(&corpus), None, &mut |_| {})?;
    let seconds = t.elapsed().as_secs_f64();
    let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    measurements.push(Measurement {
        name: format!("scale_import_{}", size.transcripts),
        what: format!("create a project and import {} transcripts through the normal import path", size.transcripts),
        seconds,
        target_seconds: Some(60.0),
        details: serde_json::json!({
            "imported": report.imported(), "failed": report.failed(), "project_file_bytes": bytes,
            "words_per_second": (written.words as f64 / seconds).round(),
            // The bench process only wrote the corpus (a file at a time) before: its peak
            // so far bounds the import's from above.
            "peak_resident_mib_bench_process_so_far": super::window::status_bytes("self", "VmHWM:")
                .map(|b| b as f64 / (1024.0 * 1024.0)),
            "peak_resident_target_mib": 1024,
        }),
    });
    if report.imported() != size.transcripts {
        return Err(Error::Invalid(format!(
            "the scale study imported {} of {} transcripts",
            report.imported(),
            size.transcripts
        )));
    }

    progress(&format!("scale: {} codings", size.codings));
    measurements.push(add_codings(&mut project, size, seed)?);
    drop(project);
    std::fs::write(home.join(BUILT), written.bytes.to_string()).map_err(|e| io(&home, e))?;
    Ok(ScaleProject { path, corpus, size, text_bytes: written.bytes, common_word, rare_word, measurements })
}

/// Codes (themes of six codes each) and random codings by the coders, in batches of
/// 100,000, each batch one operation.
fn add_codings(project: &mut Project, size: ScaleSize, seed: u64) -> Result<Measurement> {
    let t = Instant::now();
    let mut codes = Vec::with_capacity(size.codes);
    let mut theme = None;
    for i in 0..size.codes {
        let parent_id = if i % 6 == 0 { None } else { theme.clone() };
        let id = project.create_code(NewCode { name: format!("Code {i:02}"), parent_id, ..Default::default() })?;
        if i % 6 == 0 {
            theme = Some(id.clone());
        }
        codes.push(id);
    }
    let docs: Vec<(String, usize)> =
        project.documents()?.into_iter().map(|d| (d.document.id, d.document.char_count)).collect();
    let coders: Vec<String> = (0..size.coders).map(|i| format!("coder{}", i + 1)).collect();
    let mut rng = Rng::new(seed ^ 0xC0D1);
    let mut left = size.codings;
    let mut applied = 0;
    while left > 0 {
        let n = left.min(100_000);
        let batch: Vec<NewCoding> = (0..n)
            .map(|i| {
                let (id, chars) = &docs[rng.below(docs.len())];
                let len = rng.below(400) + 20;
                let start = rng.below(chars.saturating_sub(len).max(1));
                NewCoding {
                    document_id: id.clone(),
                    start,
                    end: (start + len).min(*chars).max(start + 1),
                    code_id: codes[rng.below(codes.len())].clone(),
                    coder: Some(coders[i % coders.len()].clone()),
                    memo: None,
                    illustrative: false,
                }
            })
            .collect();
        applied += project.apply_codings(batch, "Scale bench codings")?.ids.len();
        left -= n;
    }
    Ok(Measurement {
        name: format!("scale_codings_{}", size.codings),
        what: format!(
            "add {} codes and {} codings by {} coders, in batches of 100,000",
            size.codes, size.codings, size.coders
        ),
        seconds: t.elapsed().as_secs_f64(),
        target_seconds: None,
        details: serde_json::json!({ "codings_applied": applied, "documents": docs.len() }),
    })
}

/// The word used as a common word (the first interview word, after the common English
/// ones), and the Zipf rank of the rare one.
const COMMON_WORD: &str = "medication";
const RARE_RANK: usize = 24_000;

/// Words in Zipf order: common English first, then interview words, then made-up
/// words for the long tail; drawn with probability about 1/(rank + 2.7).
struct Vocabulary {
    words: Vec<String>,
    /// Cumulative weights, for drawing by binary search.
    cumulative: Vec<f64>,
}

const COMMON: &str = "the I and to a it that you of was in my but so like it's just know we is they what \
    he she not for on have with be at all do this there don't one about them if had then were because think \
    me really when get out up go can no yeah would could well as right from or an by time going mean said \
    people thing things some got been did more how now back very still day here other much say felt feel \
    little bit way even never always sometimes good bad again before after today week night morning";

const INTERVIEW: &str = "medication pain sleep tired doctor tablets family daughter son husband wife work \
    money bus stairs walking physio exercise breathing worry anxious hope plan flare appointment clinic \
    nurse hospital treatment dose side effects knee back hip hands shoulder diet weight friends neighbours \
    church garden dog shopping cooking stress mood low better worse support group sessions therapy \
    counselling benefits carer council flat house kitchen bathroom bed chair car driving taxi café";

const SYLLABLES: [&str; 24] = [
    "ba", "ke", "lo", "mi", "nu", "ra", "sen", "tor", "vel", "dri", "pla", "gon", "sha", "fi", "que", "zan", "wen",
    "hol", "mar", "cit", "ous", "ing", "er", "al",
];

/// Phrases put into answers now and then, so that phrase queries find something.
const PHRASES: [&str; 6] =
    ["side effects", "pain clinic", "follow-up appointment", "my daughter's house", "bad night", "really tired"];

const QUESTIONS: [&str; 10] = [
    "Can you tell me about a typical day at the moment?",
    "How has the pain affected your sleep?",
    "What did you make of the group sessions?",
    "And how did that feel?",
    "What has changed since we last spoke?",
    "Could you say a bit more about that?",
    "How are you getting on with the medication?",
    "Who helps you at home?",
    "What would make things easier?",
    "How do you manage on a bad day?",
];

impl Vocabulary {
    fn new(seed: u64) -> Vocabulary {
        let mut words: Vec<String> = Vec::new();
        let mut seen = HashSet::new();
        for w in COMMON.split_whitespace().chain(INTERVIEW.split_whitespace()) {
            if seen.insert(w.to_string()) {
                words.push(w.to_string());
            }
        }
        let mut rng = Rng::new(seed ^ 0x5EED);
        while words.len() < 30_000 {
            let parts = 2 + rng.below(3);
            let w: String = (0..parts).map(|_| SYLLABLES[rng.below(SYLLABLES.len())]).collect();
            if seen.insert(w.clone()) {
                words.push(w);
            }
        }
        let mut total = 0.0;
        let cumulative = (0..words.len())
            .map(|r| {
                total += 1.0 / (r as f64 + 2.7);
                total
            })
            .collect();
        Vocabulary { words, cumulative }
    }

    fn draw(&self, rng: &mut Rng) -> &str {
        let total = self.cumulative.last().copied().unwrap_or(1.0);
        let x = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * total;
        let i = self.cumulative.partition_point(|&c| c < x).min(self.words.len() - 1);
        &self.words[i]
    }
}

/// What was written.
struct Written {
    bytes: u64,
    chars: u64,
    words: u64,
    turns: u64,
}

/// Writes the transcripts `P<n>_<wave>.txt`, three waves per participant.
fn write_corpus(dir: &Path, vocabulary: &Vocabulary, size: ScaleSize, seed: u64) -> Result<Written> {
    let waves = ["BL", "3M", "6M"];
    let mut rng = Rng::new(seed);
    let mut written = Written { bytes: 0, chars: 0, words: 0, turns: 0 };
    for i in 0..size.transcripts {
        let participant = i / waves.len() + 1;
        let text = transcript(&mut rng, vocabulary, participant, size);
        written.bytes += text.len() as u64;
        written.chars += text.chars().count() as u64;
        written.words += text.split_whitespace().count() as u64;
        written.turns += (size.turns / 2 * 2) as u64;
        let path = dir.join(format!("P{participant:04}_{}.txt", waves[i % waves.len()]));
        std::fs::write(&path, text).map_err(|e| Error::Invalid(format!("{}: {e}", path.display())))?;
    }
    Ok(written)
}

/// One interview of `size.turns` turns and about `size.chars` characters.
fn transcript(rng: &mut Rng, vocabulary: &Vocabulary, participant: usize, size: ScaleSize) -> String {
    let mut out = String::with_capacity(size.chars + 1_000);
    let pairs = (size.turns / 2).max(1);
    // What is left for the answers once the questions are written.
    let answer_chars = size.chars.saturating_sub(pairs * 60) / pairs;
    for _ in 0..pairs {
        out.push_str("INTERVIEWER: ");
        out.push_str(QUESTIONS[rng.below(QUESTIONS.len())]);
        out.push_str("\n\n");
        out.push_str(&format!("P{participant:04}: "));
        let target = answer_chars / 2 + rng.below(answer_chars.max(1));
        let start = out.len();
        while out.len() - start < target {
            sentence(rng, vocabulary, &mut out);
        }
        out.push_str("\n\n");
    }
    out
}

/// One sentence of 4 to 21 words, now and then with a set phrase.
fn sentence(rng: &mut Rng, vocabulary: &Vocabulary, out: &mut String) {
    let len = rng.below(18) + 4;
    for i in 0..len {
        let w = if rng.below(40) == 0 { PHRASES[rng.below(PHRASES.len())] } else { vocabulary.draw(rng) };
        super::corpus::push_word(out, w, i == 0);
    }
    out.push_str(". ");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transcripts_have_the_turns_and_length_asked_for_and_zipf_words() {
        let v = Vocabulary::new(7);
        assert_eq!(v.words.len(), 30_000);
        assert_eq!(v.words[0], "the");
        let size = ScaleSize { transcripts: 1, ..ScaleSize::QUICK };
        let text = transcript(&mut Rng::new(1), &v, 12, size);
        let turns = crate::import::turns::detect_turns(&text);
        assert_eq!(turns.len(), size.turns);
        let chars = text.chars().count();
        assert!((30_000..50_000).contains(&chars), "{chars}");
        // The commonest word is far commoner than a word of the long tail.
        let mut rng = Rng::new(3);
        let draws: Vec<&str> = (0..20_000).map(|_| v.draw(&mut rng)).collect();
        let count = |w: &str| draws.iter().filter(|d| **d == w).count();
        assert!(count("the") > 500 && count(&v.words[RARE_RANK]) < 5, "{}", count("the"));
    }

    #[test]
    fn a_small_study_is_built_once_and_its_search_figures_are_measured() {
        let work = tempfile::tempdir().unwrap();
        let size = ScaleSize { transcripts: 6, turns: 20, chars: 4_000, codings: 300, codes: 12, coders: 3 };
        let study = build(work.path(), 5, size, &mut |_| {}).unwrap();
        assert_eq!(study.measurements.len(), 3);
        let project = Project::open_read_only(&study.path).unwrap();
        let docs = project.documents().unwrap();
        assert_eq!(docs.len(), 6);
        assert!(docs.iter().all(|d| d.turn_count == 20 && d.document.participant.is_some()));
        assert_eq!(project.codings(&Default::default()).unwrap().len(), 300);
        assert_eq!(project.codes().unwrap().len(), 12);
        drop(project);
        // Built once: asked again, it is found as it is.
        let again = build(work.path(), 5, size, &mut |_| {}).unwrap();
        assert!(again.measurements.is_empty() && again.path == study.path && again.text_bytes == study.text_bytes);
        let figures = crate::bench::search::measure_at_scale(&study, None, &mut |_| {}).unwrap();
        let names: Vec<&str> = figures.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "scale_search_index_build_6",
                "scale_search_in_process_6",
                "scale_search_window_6",
                "scale_search_update_one_coding_6"
            ]
        );
        assert_eq!(figures[0].details["documents"], 6);
        assert_eq!(figures[3].details["documents_indexed"], serde_json::json!(vec![1; crate::bench::search::RUNS]));
    }
}
