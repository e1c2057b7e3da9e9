//! Transcript layouts beyond `Name: text`: line numbers in the margin, speaker labels on
//! their own line, and bold labels in Word files. Each reads a synthetic transcript
//! (tests/data/import, or a .docx built here) and checks the speakers, the exact text of
//! every turn, and what the import reports.

mod common;

use codeloom::import::{self, Extracted, line_numbers};
use codeloom::model::offsets::slice_chars;
use std::io::Write;
use std::path::PathBuf;

fn data(name: &str) -> PathBuf {
    common::root().join("tests/data/import").join(name)
}

fn read(name: &str) -> Extracted {
    let path = data(name);
    let bytes = std::fs::read(&path).unwrap();
    let ext = path.extension().unwrap().to_string_lossy().to_string();
    import::extract_bytes(&ext, &path, &bytes).unwrap()
}

/// Every turn as (speaker, text), checking that each range is a slice of the text.
fn turns(doc: &Extracted) -> Vec<(Option<String>, String)> {
    let chars = doc.text.chars().count();
    let mut previous_end = 0;
    doc.turns
        .iter()
        .map(|t| {
            assert!(t.start < t.end && t.end <= chars && t.start >= previous_end, "turn range {t:?}");
            previous_end = t.end;
            (t.speaker.clone(), slice_chars(&doc.text, t.start, t.end).unwrap().to_string())
        })
        .collect()
}

fn said(speaker: &str, text: &str) -> (Option<String>, String) {
    (Some(speaker.to_string()), text.to_string())
}

#[test]
fn line_numbers_in_the_margin_are_removed_and_turns_kept() {
    let doc = read("line_numbers.txt");
    assert_eq!(doc.warnings, [line_numbers::WARNING]);
    assert_eq!(doc.warnings[0], "line numbers in the margin were removed");
    for line in doc.text.lines() {
        assert!(!line.starts_with(|c: char| c.is_ascii_digit() || c.is_whitespace()), "margin left: {line:?}");
    }
    let got = turns(&doc);
    assert_eq!(got[0], (None, "Living with pain study: interview 7, wave 2 (transcribed 14 March)".to_string()));
    assert_eq!(
        got[1..],
        [
            said(
                "Interviewer",
                "Thanks for making the time again. Last time you said the\nmornings were the hardest part. Is that still the case?"
            ),
            said(
                "Dan",
                "Okay. So... yes and no. The mornings are still stiff, but I’ve\ngot a routine now. I don’t try to “get up and go” any more."
            ),
            said("Interviewer", "What does the routine look like?"),
            said(
                "Dan",
                "I lie there for ten minutes, stretch my legs under the covers,\nthen sit on the edge of the bed. My physio calls it “warming\nthe engine”. It sounds daft, but it works."
            ),
            said("Interviewer", "And the rest of the day?"),
            said(
                "Dan",
                "Afternoons are fine if I pace myself. If I don’t, I pay for it\nthe next day. That’s the bit people don’t see."
            ),
            said("Interviewer", "When you say people, who do you mean?"),
            said(
                "Dan",
                "Work, mostly. My manager’s been good, honestly, but the others\nthink I’m “having a lie-in” when I start at ten."
            ),
            said("Interviewer", "Have you talked to them about it?"),
            said("Dan", "Once. It didn’t go well. I’d rather just get on with it."),
            said("Interviewer", "Let’s come back to sleep. Are the nights any better?"),
            said(
                "Dan",
                "A bit. The new tablets help me drop off, but I still wake at\nthree most nights with my hips burning."
            ),
            said("Interviewer", "What do you do then?"),
            said("Dan", "Podcasts. Anything boring. It takes my mind off it."),
        ]
    );
}

#[test]
fn labels_on_their_own_line() {
    let doc = read("own_line_labels.txt");
    assert!(doc.warnings.is_empty(), "{:?}", doc.warnings);
    let got = turns(&doc);
    let speakers: Vec<_> = got.iter().map(|t| t.0.as_deref()).collect();
    assert_eq!(
        speakers,
        [
            None,
            Some("INTERVIEWER"),
            Some("Participant 3"),
            Some("INTERVIEWER"),
            Some("Participant 3"),
            Some("INTERVIEWER"),
            Some("Participant 3"),
            Some("INTERVIEWER"),
            Some("Participant 3"),
        ],
        "the heading \"Notes\", which does not recur, is not a speaker"
    );
    assert_eq!(got[0].1, "Focus on daily life with chronic pain");
    assert_eq!(got[1].1, "Could you start by telling me what a normal day looks like for you at the moment?");
    assert_eq!(
        got[4].1,
        "Two or three times a week, I’d say. My daughter calls them my “slow days”, which is kinder than what I call them.\n\nNotes\nThe participant shifted position often during this part."
    );
    assert_eq!(
        got[8].1,
        "She referred me to the pain clinic. They were the ones who said pacing isn’t giving up. That changed a lot for me."
    );
    assert!(got.iter().all(|t| !t.1.starts_with("INTERVIEWER") && !t.1.starts_with("Participant 3")));
}

/// A Word paragraph: an optional bold label, how it is separated, and the text.
fn paragraph(label: Option<&str>, separator: &str, text: &str) -> String {
    let run = |t: &str, bold: bool| {
        let props = if bold { "<w:rPr><w:b/></w:rPr>" } else { "" };
        format!(r#"<w:r>{props}<w:t xml:space="preserve">{}</w:t></w:r>"#, t.replace('&', "&amp;"))
    };
    match (label, separator) {
        (None, _) => format!("<w:p>{}</w:p>", run(text, false)),
        (Some(l), "bold colon") => {
            format!("<w:p>{}{}</w:p>", run(&format!("{l}:"), true), run(&format!(" {text}"), false))
        }
        (Some(l), "tab") => format!("<w:p>{}<w:r><w:tab/></w:r>{}</w:p>", run(l, true), run(text, false)),
        (Some(l), _) => format!("<w:p>{}{}</w:p>", run(l, true), run(&format!(": {text}"), false)),
    }
}

fn docx(body: &str) -> Vec<u8> {
    let xml = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>{body}</w:body></w:document>"#
    );
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        z.start_file("[Content_Types].xml", opts).unwrap();
        z.write_all(
            br#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>"#,
        )
        .unwrap();
        z.start_file("word/document.xml", opts).unwrap();
        z.write_all(xml.as_bytes()).unwrap();
        z.finish().unwrap();
    }
    buf.into_inner()
}

/// A family interview where the grandmother and the neighbour speak once each, under
/// labels of several words: only the bold tells that they are speakers.
const FAMILY: &[(Option<&str>, &str, &str)] = &[
    (None, "", "Family interview, household 12"),
    (
        Some("Ayesha"),
        "bold colon",
        "My back went in 2019, lifting boxes at the warehouse. I thought it was a strain. It never really went away.",
    ),
    (
        Some("Grandmother Farida Begum"),
        "colon after",
        "She doesn’t say it, but she’s in pain every single day. I see her face when she gets out of the car.",
    ),
    (
        Some("Ayesha"),
        "tab",
        "Mum’s right, I suppose. I just don’t want it to be the whole story. I’ve got the kids, I’ve got work.",
    ),
    (
        Some("Neighbour from number 4"),
        "bold colon",
        "We do the shopping together on Saturdays. I carry the heavy bags and she does the list. It’s a good system.",
    ),
    (
        Some("Ayesha"),
        "bold colon",
        "It is. And it means I get out of the house, which on the bad weeks is half the battle.",
    ),
    (
        Some("Ayesha"),
        "colon after",
        "The worst bit isn’t the pain, if I’m honest. It’s the planning. Every trip, every party, I’m working out where I can sit down and how long I can stand in a queue before it starts.",
    ),
    (None, "", "(Interruption: the children come in from school.)"),
    (
        Some("Ayesha"),
        "tab",
        "Sorry. Where was I? The planning. My husband says I’ve turned into a project manager. He means it nicely. I think.",
    ),
    (
        Some("Ayesha"),
        "bold colon",
        "The physio gave me a sheet of exercises in April. I did them for three weeks and felt “a bit better”, then the flare-up in May knocked me back and I stopped. I’m starting again now, slowly, ten minutes at a time.",
    ),
];

#[test]
fn bold_labels_in_a_word_file_make_speakers() {
    let body: String = FAMILY.iter().map(|(l, s, t)| paragraph(*l, s, t)).collect();
    let bytes = docx(&body);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("P12_W1.docx");
    std::fs::write(&path, &bytes).unwrap();
    let doc = import::extract_bytes("docx", &path, &bytes).unwrap();
    let got = turns(&doc);
    // A paragraph without a label after a speaker's turn continues that turn.
    let mut expected: Vec<(Option<String>, String)> = Vec::new();
    for (label, _, text) in FAMILY {
        match (label, expected.last_mut()) {
            (None, Some((Some(_), turn))) => *turn = format!("{turn}\n\n{text}"),
            _ => expected.push((label.map(str::to_string), text.to_string())),
        }
    }
    assert_eq!(expected.len(), FAMILY.len() - 1);
    assert_eq!(got, expected);
    assert!(
        doc.text.contains("Grandmother Farida Begum: She doesn’t say it") && doc.text.contains("Ayesha\tMum’s right")
    );
    assert!(doc.warnings.is_empty());

    // The same text without the bold: the grandmother and the neighbour speak once, under
    // long labels, so their labels stay text.
    let plain: String = doc.text.split("\n\n").map(|p| paragraph(None, "", p)).collect();
    let plain_doc = import::extract_bytes("docx", &path, &docx(&plain)).unwrap();
    let speakers: Vec<_> = plain_doc.turns.iter().filter_map(|t| t.speaker.as_deref()).collect();
    assert_eq!(speakers, ["Ayesha"; 6]);
}

#[test]
fn the_import_reports_the_removed_numbers_and_stores_the_clean_text() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("p.codeloom");
    let file = dir.path().join("P07_W2.txt");
    std::fs::copy(data("line_numbers.txt"), &file).unwrap();
    common::ok(&["new", project.to_str().unwrap()]);
    let report = common::json(&["import", project.to_str().unwrap(), file.to_str().unwrap(), "--json"]);
    let f = &report["files"][0];
    assert_eq!(f["status"], "imported", "{report:#}");
    assert_eq!(f["speakers"], serde_json::json!(["Interviewer", "Dan"]));
    assert_eq!(f["warnings"], serde_json::json!(["line numbers in the margin were removed"]));
    let shown = common::json(&["show", project.to_str().unwrap(), "P07_W2", "--json"]);
    let text = shown["text"].as_str().unwrap();
    assert!(text.contains("\nDan: Okay. So... yes and no."), "{text}");
    assert!(!text.contains("  1 ") && !text.contains("\n11 "), "{text}");
    let first = &shown["turns"][1];
    let (s, e) = (first["start"].as_u64().unwrap() as usize, first["end"].as_u64().unwrap() as usize);
    assert_eq!(
        slice_chars(text, s, e).unwrap().lines().next(),
        Some("Thanks for making the time again. Last time you said the")
    );
}
