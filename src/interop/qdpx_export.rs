//! Writing a project as a REFI-QDA `.qdpx` that validates against `Project.xsd`:
//! `project.qde` (UTF-8, no BOM) and one `sources/<document id>.txt` per document (UTF-8
//! without BOM, LF line endings, exactly the stored text), with selection positions in
//! code points, half-open, over that text.
//!
//! Coders are users; codes keep their UUIDs, hierarchy, colour and description (the four
//! parts joined as in [`super::join_description`]); each coding is one selection holding
//! one coding; participants are cases with their attributes as variables (a category
//! attribute is a Text variable described "category"); waves are sets named
//! `Wave: NAME`; memos are notes, referenced from the project, the document, the code or
//! the coding they are about, and linked to the case of a participant (cases have no
//! note references in the schema). Stars on codings have no place in the standard and
//! are listed in the [`ExportReport`].
//!
//! A document with a linked recording is an `AudioSource` (a `VideoSource` for the video
//! containers of [`crate::media::VIDEO_EXTENSIONS`]) whose one `Transcript` is the
//! document's text file, with `SyncPoint`s (position in code points, `timeStamp` in ms):
//! the stored sync points, the turn start times the timeline keeps beside them, and, at
//! each end of a coding where no timed point is, a point without a time; each coding is a
//! `TranscriptSelection` from one point to another. The recording goes into `sources/`
//! (streamed, stored uncompressed) when it is found and at most
//! [`MAX_EMBEDDED_RECORDING_BYTES`]; otherwise the source refers to it as
//! `relative:///PATH` (from the project's folder, given as the project's `basePath`) or
//! `absolute:///PATH`, and the report says why.

use super::codes::write_codes;
use super::{NotImported, PROJECT_NS, WAVE_SET_PREFIX, shorten};
use crate::error::{Error, Result};
use crate::media::VIDEO_EXTENSIONS;
use crate::media::link::{project_folder, whereabouts};
use crate::media::sync::kept_turn_times;
use crate::model::time::format_timestamp;
use crate::model::{AttributeKind, Code, Coding, Document, Memo, MemoTarget, Participant, Turn, Wave};
use crate::store::Project;
use crate::store::media_ops::{Recording, StoredSyncPoint, SyncPoint};
use crate::store::queries::CodingFilter;
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// The largest recording written inside a `.qdpx` (REFI-QDA §8.5: an internal file holds
/// at most 2,147,483,647 bytes). A larger one, or one not found, is referred to by its path.
pub const MAX_EMBEDDED_RECORDING_BYTES: u64 = 2_147_483_647;

/// A document's recording as the export wrote it.
#[derive(Debug, Clone, Serialize)]
pub struct ExportedRecording {
    pub document: String,
    /// As the file says: `internal://GUID.EXT` inside the archive, else `relative:///…`
    /// (from the project's folder, written as `basePath`) or `absolute:///…`.
    pub path: String,
    pub included: bool,
    /// Why it is not inside the archive.
    pub reason: Option<String>,
}

/// What an export wrote, and what it could not.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ExportReport {
    pub file: String,
    pub documents: usize,
    pub codes: usize,
    pub codings: usize,
    pub coders: usize,
    pub participants: usize,
    pub attributes: usize,
    pub waves: usize,
    pub memos: usize,
    /// Documents with a recording, written as audio or video sources with a transcript.
    pub recordings: Vec<ExportedRecording>,
    /// Sync points written (stored ones and turn start times).
    pub sync_points: usize,
    pub not_exported: Vec<NotImported>,
}

/// A stable GUID derived from an ID, for objects Codeloom has no ID of their own for
/// (a coding's selection, a coding memo's note, a participant memo's link).
fn derived_guid(id: &str, role: &str) -> String {
    let digest = Sha256::digest(format!("{role}:{id}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_random_bytes(bytes).into_uuid().hyphenated().to_string()
}

/// A GUID for an ID: the ID itself when it is a UUID, else one derived from it.
fn guid(id: &str) -> String {
    super::normalise_guid(id).unwrap_or_else(|| derived_guid(id, "id"))
}

/// An `xsd:decimal` for a number attribute value, or `None` if it cannot be one.
fn decimal(v: &str) -> Option<String> {
    let t = v.trim();
    let plain = |s: &str| {
        let s = s.strip_prefix(['-', '+']).unwrap_or(s);
        !s.is_empty() && s.chars().all(|c| c.is_ascii_digit() || c == '.') && s.matches('.').count() <= 1 && s != "."
    };
    if plain(t) {
        return Some(t.to_string());
    }
    let n: f64 = t.parse().ok().filter(|n: &f64| n.is_finite())?;
    let s = format!("{n}");
    plain(&s).then_some(s)
}

type X = Writer<Vec<u8>>;

/// The files of `sources/`: name and text.
pub type SourceFiles = Vec<(String, String)>;

/// The recordings put in `sources/`: name in the archive and the file to copy.
pub type MediaFiles = Vec<(String, PathBuf)>;

/// A document's recording as the export writes it.
struct MediaOf {
    rec: Recording,
    /// The sync points written with a time: the stored ones and the turn start times the
    /// timeline keeps beside them, by position: (time, GUID).
    timed: BTreeMap<usize, (u64, String)>,
    /// The `path` attribute.
    path: String,
    /// The file copied into the archive, when it is.
    embed: Option<PathBuf>,
}

fn io(e: std::io::Error) -> Error {
    Error::Invalid(format!("writing the project XML failed: {e}"))
}

fn start(w: &mut X, name: &str, attrs: &[(&str, &str)]) -> std::io::Result<()> {
    let mut e = BytesStart::new(name);
    for (k, v) in attrs {
        e.push_attribute((*k, *v));
    }
    w.write_event(Event::Start(e))
}

fn empty(w: &mut X, name: &str, attrs: &[(&str, &str)]) -> std::io::Result<()> {
    let mut e = BytesStart::new(name);
    for (k, v) in attrs {
        e.push_attribute((*k, *v));
    }
    w.write_event(Event::Empty(e))
}

fn end(w: &mut X, name: &str) -> std::io::Result<()> {
    w.write_event(Event::End(BytesEnd::new(name)))
}

fn text_element(w: &mut X, name: &str, text: &str) -> std::io::Result<()> {
    w.create_element(name).write_text_content(BytesText::new(text))?;
    Ok(())
}

/// What the export reads from the project, keyed as the XML needs it.
struct Contents {
    /// Coders as users: GUID and name.
    users: Vec<(String, String)>,
    /// Coder name → user GUID.
    coder_guid: HashMap<String, String>,
    codes: Vec<Code>,
    /// Attributes as variables: GUID, name and kind.
    attributes: Vec<(String, String, AttributeKind)>,
    participants: Vec<Participant>,
    waves: Vec<Wave>,
    documents: Vec<Document>,
    codings: Vec<Coding>,
    memos: Vec<Memo>,
    /// (target kind, target ID) → the GUIDs of the notes about it (memos not on participants).
    memo_notes: HashMap<(&'static str, String), Vec<String>>,
    /// Document ID → its recording, turns and sync points.
    media: HashMap<String, MediaOf>,
    /// The project's folder, when a recording is referred to relative to it.
    base_path: Option<String>,
}

impl Contents {
    fn notes_on(&self, target: MemoTarget, id: &str) -> &[String] {
        self.memo_notes.get(&(target.as_str(), id.to_string())).map(Vec::as_slice).unwrap_or(&[])
    }
}

/// Reads what the export writes, and counts it (with what cannot be written) in a report.
fn read_contents(project: &Project) -> Result<(Contents, ExportReport)> {
    let coders = project.coders()?;
    let users: Vec<(String, String)> = coders.iter().map(|c| (guid(&c.id), c.name.clone())).collect();
    let coder_guid = users.iter().map(|(g, n)| (n.clone(), g.clone())).collect();
    let attributes = project.attributes()?.into_iter().map(|a| (guid(&a.id), a.name, a.kind)).collect();
    let documents: Vec<Document> = project.documents()?.into_iter().map(|d| d.document).collect();
    let c = Contents {
        users,
        coder_guid,
        codes: project.codes()?,
        attributes,
        participants: project.participants()?,
        waves: project.waves()?,
        documents,
        codings: project.codings(&CodingFilter::default())?,
        memos: project.memos(None)?,
        memo_notes: HashMap::new(),
        media: HashMap::new(),
        base_path: None,
    };
    let mut report = ExportReport {
        documents: c.documents.len(),
        codes: c.codes.len(),
        codings: c.codings.len(),
        coders: c.users.len(),
        participants: c.participants.len(),
        attributes: c.attributes.len(),
        waves: c.waves.len(),
        memos: c.memos.len(),
        ..Default::default()
    };
    let stars = c.codings.iter().filter(|c| c.illustrative).count();
    if stars > 0 {
        report.not_exported.push(NotImported {
            what: "stars on codings (illustrative quotes)".into(),
            count: stars,
            reason: "REFI-QDA has no place for them".into(),
        });
    }
    let (media, base_path) = read_media(project, &mut report)?;
    let mut timed = 0;
    for d in c.documents.iter().filter(|d| !media.contains_key(&d.id)) {
        timed += project.turns(&d.id)?.iter().filter(|t| t.time_start_ms.is_some()).count();
    }
    if timed > 0 {
        report.not_exported.push(NotImported {
            what: "turn timestamps".into(),
            count: timed,
            reason: "documents without a recording are text sources, which carry no times in REFI-QDA (the text is exported; turns are found again on import)"
                .into(),
        });
    }
    let mut memo_notes: HashMap<(&'static str, String), Vec<String>> = HashMap::new();
    for m in c.memos.iter().filter(|m| m.target != MemoTarget::Participant) {
        memo_notes.entry((m.target.as_str(), m.target_id.clone().unwrap_or_default())).or_default().push(guid(&m.id));
    }
    Ok((Contents { memo_notes, media, base_path, ..c }, report))
}

/// The recordings of the project's documents, each with where the export finds it: inside
/// the archive when the file is there (at its path or found again where it was moved) and
/// at most [`MAX_EMBEDDED_RECORDING_BYTES`], else referred to by its path.
fn read_media(project: &Project, report: &mut ExportReport) -> Result<(HashMap<String, MediaOf>, Option<String>)> {
    let mut media = HashMap::new();
    let mut base_path = None;
    for rec in project.recordings()? {
        let timed = timed_points(project, &rec.document_id)?;
        report.sync_points += timed.len();
        let found = whereabouts(project.path(), &rec);
        let size = found.playable().and_then(|p| std::fs::metadata(p).ok()).map(|m| m.len());
        let ext = if rec.format.is_empty() { "bin".to_string() } else { rec.format.to_lowercase() };
        let (path, embed, reason) = match (found.playable(), size) {
            (Some(file), Some(n)) if n <= MAX_EMBEDDED_RECORDING_BYTES => {
                (format!("internal://{}.{ext}", guid(&rec.id)), Some(file.to_path_buf()), None)
            }
            (Some(_), Some(n)) => (
                reference(&rec),
                None,
                Some(format!("{n} bytes, more than {MAX_EMBEDDED_RECORDING_BYTES} a .qdpx may hold")),
            ),
            _ => (reference(&rec), None, Some(format!("the file is not found ({})", rec.path))),
        };
        if embed.is_none() && rec.relative {
            base_path = Some(project_folder(project.path()).to_string_lossy().replace('\\', "/"));
        }
        report.recordings.push(ExportedRecording {
            document: rec.document.clone(),
            path: path.clone(),
            included: embed.is_some(),
            reason,
        });
        media.insert(rec.document_id.clone(), MediaOf { rec, timed, path, embed });
    }
    Ok((media, base_path))
}

/// A document's stored sync points and the turn start times that agree with them, by
/// position (a character offset, as REFI-QDA counts positions in code points): time and GUID.
fn timed_points(project: &Project, document_id: &str) -> Result<BTreeMap<usize, (u64, String)>> {
    let chars = project.document_text(document_id)?.chars().count();
    let stored: Vec<StoredSyncPoint> = project.sync_points(document_id)?;
    let points: Vec<SyncPoint> = stored.iter().map(|p| p.point).collect();
    let turns: Vec<Turn> = project.turns(document_id)?;
    let mut timed = BTreeMap::new();
    for p in &stored {
        timed.insert(p.point.position, (p.point.time_ms, guid(&p.id)));
    }
    for t in kept_turn_times(&turns, &points, chars) {
        let g = derived_guid(&format!("{document_id}:{}", t.position), "turn time");
        timed.entry(t.position).or_insert((t.time_ms, g));
    }
    Ok(timed)
}

/// A recording's path as a REFI-QDA reference outside the archive.
fn reference(rec: &Recording) -> String {
    let p = rec.path.replace('\\', "/");
    if rec.relative {
        format!("relative:///{}", p.trim_start_matches('/'))
    } else {
        format!("absolute:///{}", p.trim_start_matches('/'))
    }
}

/// The `project.qde` XML and the source files (`sources/` names and texts) of a project.
pub fn project_qde(project: &Project) -> Result<(String, SourceFiles, ExportReport)> {
    let (xml, files, _, report) = project_qde_with_media(project)?;
    Ok((xml, files, report))
}

/// [`project_qde`] and the recordings to copy into `sources/`.
fn project_qde_with_media(project: &Project) -> Result<(String, SourceFiles, MediaFiles, ExportReport)> {
    let (c, report) = read_contents(project)?;
    let created = format_timestamp(project.created_at_ms()?.unwrap_or_else(crate::store::now_ms));
    let name = project
        .path()
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "Codeloom project".into());
    let origin = format!("Codeloom {}", env!("CARGO_PKG_VERSION"));
    let modified = format_timestamp(crate::store::now_ms());
    let me = c.coder_guid.get(project.coder()).cloned();

    let mut w: X = Writer::new_with_indent(Vec::new(), b' ', 1);
    let mut files = Vec::new();
    let result: std::io::Result<()> = (|| {
        w.write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None)))?;
        let mut root = vec![
            ("xmlns", PROJECT_NS),
            ("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance"),
            (
                "xsi:schemaLocation",
                "urn:QDA-XML:project:1.0 http://schema.qdasoftware.org/versions/Project/v1.0/Project.xsd",
            ),
            ("name", name.as_str()),
            ("origin", origin.as_str()),
        ];
        if let Some(me) = &me {
            root.push(("creatingUserGUID", me.as_str()));
        }
        root.push(("creationDateTime", created.as_str()));
        if let Some(me) = &me {
            root.push(("modifyingUserGUID", me.as_str()));
        }
        root.push(("modifiedDateTime", modified.as_str()));
        if let Some(base) = &c.base_path {
            root.push(("basePath", base.as_str()));
        }
        start(&mut w, "Project", &root)?;
        write_users(&mut w, &c)?;
        write_codebook(&mut w, &c)?;
        write_variables(&mut w, &c)?;
        write_cases(&mut w, &c)?;
        files = write_sources(&mut w, project, &c)?;
        write_notes(&mut w, &c)?;
        write_links(&mut w, &c)?;
        write_sets(&mut w, &c)?;
        for n in c.notes_on(MemoTarget::Project, "") {
            empty(&mut w, "NoteRef", &[("targetGUID", n)])?;
        }
        end(&mut w, "Project")?;
        Ok(())
    })();
    result.map_err(io)?;
    let xml = String::from_utf8(w.into_inner()).map_err(|_| Error::Invalid("the project XML is not UTF-8".into()))?;
    let mut media = MediaFiles::new();
    for m in c.media.values() {
        if let Some(file) = &m.embed {
            media.push((m.path.trim_start_matches("internal://").to_string(), file.clone()));
        }
    }
    media.sort();
    Ok((xml, files, media, report))
}

fn write_users(w: &mut X, c: &Contents) -> std::io::Result<()> {
    if c.users.is_empty() {
        return Ok(());
    }
    start(w, "Users", &[])?;
    for (g, name) in &c.users {
        empty(w, "User", &[("guid", g), ("name", name)])?;
    }
    end(w, "Users")
}

/// The code tree, IDs as GUIDs, with the notes on each code.
fn write_codebook(w: &mut X, c: &Contents) -> std::io::Result<()> {
    if c.codes.is_empty() {
        return Ok(());
    }
    start(w, "CodeBook", &[])?;
    let codes: Vec<Code> = c
        .codes
        .iter()
        .map(|k| Code { id: guid(&k.id), parent_id: k.parent_id.as_deref().map(guid), ..k.clone() })
        .collect();
    let notes: HashMap<String, Vec<String>> = c
        .memo_notes
        .iter()
        .filter(|((t, _), _)| *t == MemoTarget::Code.as_str())
        .map(|((_, id), notes)| (guid(id), notes.clone()))
        .collect();
    write_codes(w, &codes, &notes)?;
    end(w, "CodeBook")
}

fn write_variables(w: &mut X, c: &Contents) -> std::io::Result<()> {
    if c.attributes.is_empty() {
        return Ok(());
    }
    start(w, "Variables", &[])?;
    for (g, name, kind) in &c.attributes {
        let type_of = match kind {
            AttributeKind::Number => "Float",
            AttributeKind::Date => "Date",
            AttributeKind::Text | AttributeKind::Category => "Text",
        };
        let attrs = [("guid", g.as_str()), ("name", name.as_str()), ("typeOfVariable", type_of)];
        if *kind == AttributeKind::Category {
            start(w, "Variable", &attrs)?;
            text_element(w, "Description", "category")?;
            end(w, "Variable")?;
        } else {
            empty(w, "Variable", &attrs)?;
        }
    }
    end(w, "Variables")
}

/// Participants as cases with their attribute values and documents.
fn write_cases(w: &mut X, c: &Contents) -> std::io::Result<()> {
    if c.participants.is_empty() {
        return Ok(());
    }
    let by_name: HashMap<&str, (&str, AttributeKind)> =
        c.attributes.iter().map(|(g, n, k)| (n.as_str(), (g.as_str(), *k))).collect();
    start(w, "Cases", &[])?;
    for p in &c.participants {
        start(w, "Case", &[("guid", &guid(&p.id)), ("name", &p.label)])?;
        for (name, value) in &p.attributes {
            let Some((g, kind)) = by_name.get(name.as_str()) else { continue };
            let (element, v) = match kind {
                AttributeKind::Number => match decimal(&value.value) {
                    Some(v) => ("FloatValue", v),
                    None => continue,
                },
                AttributeKind::Date => ("DateValue", value.value.clone()),
                _ => ("TextValue", value.value.clone()),
            };
            start(w, "VariableValue", &[])?;
            empty(w, "VariableRef", &[("targetGUID", g)])?;
            text_element(w, element, &v)?;
            end(w, "VariableValue")?;
        }
        for d in c.documents.iter().filter(|d| d.participant.as_deref() == Some(p.label.as_str())) {
            empty(w, "SourceRef", &[("targetGUID", &guid(&d.id))])?;
        }
        end(w, "Case")?;
    }
    end(w, "Cases")
}

/// Documents as text sources, each coding a selection; returns the `sources/` files.
fn write_sources(w: &mut X, project: &Project, c: &Contents) -> std::io::Result<SourceFiles> {
    let mut files = Vec::new();
    if c.documents.is_empty() {
        return Ok(files);
    }
    let mut by_doc: HashMap<&str, Vec<&Coding>> = HashMap::new();
    for k in &c.codings {
        by_doc.entry(k.document_id.as_str()).or_default().push(k);
    }
    start(w, "Sources", &[])?;
    for d in &c.documents {
        let text = project.document_text(&d.id).map_err(|e| std::io::Error::other(e.to_string()))?;
        let file = format!("{}.txt", guid(&d.id));
        let attrs = [
            ("guid", guid(&d.id)),
            ("name", d.name.clone()),
            ("plainTextPath", format!("internal://{file}")),
            ("creationDateTime", format_timestamp(d.imported_at_ms)),
        ];
        let attrs: Vec<(&str, &str)> = attrs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let codings = by_doc.get(d.id.as_str()).map(Vec::as_slice).unwrap_or(&[]);
        if let Some(m) = c.media.get(&d.id) {
            write_recorded(w, c, d, m, &text, codings)?;
            files.push((file, text));
            continue;
        }
        start(w, "TextSource", &attrs)?;
        let chars: Vec<char> = text.chars().collect();
        for k in codings {
            write_selection(w, c, k, &chars)?;
        }
        for n in c.notes_on(MemoTarget::Document, &d.id) {
            empty(w, "NoteRef", &[("targetGUID", n)])?;
        }
        end(w, "TextSource")?;
        files.push((file, text));
    }
    end(w, "Sources")?;
    Ok(files)
}

/// A document with a recording as an audio or video source (by the file's container)
/// whose transcript is the document's text, with the sync points (those with a time,
/// then one without a time at each end of a coding where none is) and each coding as a
/// transcript selection between two of them.
fn write_recorded(
    w: &mut X,
    c: &Contents,
    d: &Document,
    m: &MediaOf,
    text: &str,
    codings: &[&Coding],
) -> std::io::Result<()> {
    let element =
        if VIDEO_EXTENSIONS.contains(&m.rec.format.to_lowercase().as_str()) { "VideoSource" } else { "AudioSource" };
    let created = format_timestamp(d.imported_at_ms);
    let source_guid = guid(&d.id);
    start(w, element, &[("guid", &source_guid), ("name", &d.name), ("path", &m.path), ("creationDateTime", &created)])?;
    let transcript_guid = derived_guid(&d.id, "transcript");
    let text_path = format!("internal://{source_guid}.txt");
    start(
        w,
        "Transcript",
        &[("guid", &transcript_guid), ("name", &d.name), ("plainTextPath", &text_path), ("creationDateTime", &created)],
    )?;
    let chars: Vec<char> = text.chars().collect();
    // Position → (time, GUID): the timed points, then an anchor at each coding's ends.
    let mut points: BTreeMap<usize, (Option<u64>, String)> =
        m.timed.iter().map(|(p, (ms, g))| (*p, (Some(*ms), g.clone()))).collect();
    for k in codings {
        for at in [k.start, k.end] {
            points.entry(at).or_insert_with(|| (None, derived_guid(&format!("{}:{at}", d.id), "anchor")));
        }
    }
    for (position, (ms, g)) in &points {
        let position = position.to_string();
        let ms = ms.map(|t| t.to_string());
        let mut attrs = vec![("guid", g.as_str()), ("position", position.as_str())];
        if let Some(ms) = &ms {
            attrs.push(("timeStamp", ms.as_str()));
        }
        empty(w, "SyncPoint", &attrs)?;
    }
    for k in codings {
        let (Some((_, from)), Some((_, to))) = (points.get(&k.start), points.get(&k.end)) else { continue };
        let sel_guid = derived_guid(&k.id, "selection");
        let name = quote_of(k, &chars);
        let when = format_timestamp(k.created_at_ms);
        let mut attrs =
            vec![("guid", sel_guid.as_str()), ("name", name.as_str()), ("fromSyncPoint", from), ("toSyncPoint", to)];
        let user = c.coder_guid.get(&k.coder).cloned();
        if let Some(u) = &user {
            attrs.push(("creatingUser", u.as_str()));
        }
        attrs.push(("creationDateTime", when.as_str()));
        start(w, "TranscriptSelection", &attrs)?;
        write_coding(w, c, k)?;
        end(w, "TranscriptSelection")?;
    }
    end(w, "Transcript")?;
    for n in c.notes_on(MemoTarget::Document, &d.id) {
        empty(w, "NoteRef", &[("targetGUID", n)])?;
    }
    end(w, element)
}

/// The quoted text of a coding, shortened, as a selection's `name`.
fn quote_of(k: &Coding, chars: &[char]) -> String {
    let quote: String = chars.get(k.start..k.end.min(chars.len())).unwrap_or(&[]).iter().collect();
    shorten(&quote, 100)
}

/// One coding as a selection (named by its quote) holding one coding.
fn write_selection(w: &mut X, c: &Contents, k: &Coding, chars: &[char]) -> std::io::Result<()> {
    let user = c.coder_guid.get(&k.coder).cloned();
    let when = format_timestamp(k.created_at_ms);
    let (s, e) = (k.start.to_string(), k.end.to_string());
    let sel_guid = derived_guid(&k.id, "selection");
    let name = quote_of(k, chars);
    let mut attrs = vec![
        ("guid", sel_guid.as_str()),
        ("name", name.as_str()),
        ("startPosition", s.as_str()),
        ("endPosition", e.as_str()),
    ];
    if let Some(u) = &user {
        attrs.push(("creatingUser", u.as_str()));
    }
    attrs.push(("creationDateTime", when.as_str()));
    start(w, "PlainTextSelection", &attrs)?;
    write_coding(w, c, k)?;
    end(w, "PlainTextSelection")
}

/// The `<Coding>` of a coding, with a reference to its memo's note.
fn write_coding(w: &mut X, c: &Contents, k: &Coding) -> std::io::Result<()> {
    let user = c.coder_guid.get(&k.coder).cloned();
    let when = format_timestamp(k.created_at_ms);
    let cg = guid(&k.id);
    let mut attrs = vec![("guid", cg.as_str())];
    if let Some(u) = &user {
        attrs.push(("creatingUser", u.as_str()));
    }
    attrs.push(("creationDateTime", when.as_str()));
    start(w, "Coding", &attrs)?;
    empty(w, "CodeRef", &[("targetGUID", &guid(&k.code_id))])?;
    if k.memo.as_deref().is_some_and(|m| !m.trim().is_empty()) {
        empty(w, "NoteRef", &[("targetGUID", &derived_guid(&k.id, "memo"))])?;
    }
    end(w, "Coding")
}

/// Memos and coding memos as notes.
fn write_notes(w: &mut X, c: &Contents) -> std::io::Result<()> {
    let coding_memos: Vec<_> =
        c.codings.iter().filter(|k| k.memo.as_deref().is_some_and(|m| !m.trim().is_empty())).collect();
    if c.memos.is_empty() && coding_memos.is_empty() {
        return Ok(());
    }
    start(w, "Notes", &[])?;
    for m in &c.memos {
        let when = format_timestamp(m.updated_at_ms);
        let g = guid(&m.id);
        let mut attrs = vec![("guid", g.as_str())];
        if !m.title.is_empty() {
            attrs.push(("name", m.title.as_str()));
        }
        let user = m.coder.as_ref().and_then(|k| c.coder_guid.get(k)).cloned();
        if let Some(u) = &user {
            attrs.push(("creatingUser", u.as_str()));
        }
        attrs.push(("creationDateTime", when.as_str()));
        start(w, "Note", &attrs)?;
        text_element(w, "PlainTextContent", &m.body)?;
        end(w, "Note")?;
    }
    for k in &coding_memos {
        let g = derived_guid(&k.id, "memo");
        let mut attrs = vec![("guid", g.clone())];
        if let Some(u) = c.coder_guid.get(&k.coder) {
            attrs.push(("creatingUser", u.clone()));
        }
        let attrs: Vec<(&str, &str)> = attrs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        start(w, "Note", &attrs)?;
        text_element(w, "PlainTextContent", k.memo.as_deref().unwrap_or(""))?;
        end(w, "Note")?;
    }
    end(w, "Notes")
}

/// Memos on participants as links from their note to the case (cases hold no note references).
fn write_links(w: &mut X, c: &Contents) -> std::io::Result<()> {
    let participant_memos: Vec<_> =
        c.memos.iter().filter(|m| m.target == MemoTarget::Participant && m.target_id.is_some()).collect();
    if participant_memos.is_empty() {
        return Ok(());
    }
    start(w, "Links", &[])?;
    for m in participant_memos {
        let target = guid(m.target_id.as_deref().unwrap_or(""));
        empty(
            w,
            "Link",
            &[
                ("guid", &derived_guid(&m.id, "link")),
                ("name", "Memo on participant"),
                ("direction", "OneWay"),
                ("originGUID", &guid(&m.id)),
                ("targetGUID", &target),
            ],
        )?;
    }
    end(w, "Links")
}

/// Waves as sets named `Wave: NAME` holding their documents.
fn write_sets(w: &mut X, c: &Contents) -> std::io::Result<()> {
    if c.waves.is_empty() {
        return Ok(());
    }
    start(w, "Sets", &[])?;
    for v in &c.waves {
        let name = format!("{WAVE_SET_PREFIX}{}", v.name);
        start(w, "Set", &[("guid", &guid(&v.id)), ("name", &name)])?;
        text_element(w, "Description", "Codeloom wave")?;
        for d in c.documents.iter().filter(|d| d.wave.as_deref() == Some(v.name.as_str())) {
            empty(w, "MemberSource", &[("targetGUID", &guid(&d.id))])?;
        }
        end(w, "Set")?;
    }
    end(w, "Sets")
}

/// Writes the project as a `.qdpx` file at `out`, whole or not at all, never over the
/// project, its side files or search index, another project or anything but a regular
/// file (see [`crate::output`]).
pub fn export_qdpx(project: &Project, out: &Path) -> Result<ExportReport> {
    let protect = crate::output::Protect::project(project.path());
    crate::output::check_target(out, &protect)?;
    let (xml, files, media, mut report) = project_qde_with_media(project)?;
    let fail = |e: &dyn std::fmt::Display| crate::output::write_error(out, e);
    crate::output::write_streamed(out, &protect, |file| -> Result<()> {
        let mut zip = zip::ZipWriter::new(file);
        let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        zip.start_file("project.qde", opts).map_err(|e| fail(&e))?;
        zip.write_all(xml.as_bytes()).map_err(|e| fail(&e))?;
        for (name, text) in &files {
            zip.start_file(format!("sources/{name}"), opts).map_err(|e| fail(&e))?;
            zip.write_all(text.as_bytes()).map_err(|e| fail(&e))?;
        }
        for (name, path) in &media {
            copy_recording(&mut zip, name, path).map_err(|e| fail(&e))?;
        }
        zip.finish().map_err(|e| fail(&e))?;
        Ok(())
    })?;
    report.file = out.display().to_string();
    Ok(report)
}

/// Copies a recording into the archive as `sources/NAME`, streamed (never whole in
/// memory) and stored as it is (recordings are compressed already), refusing a file that
/// grew beyond [`MAX_EMBEDDED_RECORDING_BYTES`] since it was looked at.
fn copy_recording<W: Write + std::io::Seek>(
    zip: &mut zip::ZipWriter<W>,
    name: &str,
    path: &Path,
) -> std::io::Result<()> {
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.start_file(format!("sources/{name}"), opts).map_err(std::io::Error::other)?;
    let file = std::fs::File::open(path)
        .map_err(|e| std::io::Error::new(e.kind(), format!("the recording {}: {e}", path.display())))?;
    let copied = std::io::copy(&mut file.take(MAX_EMBEDDED_RECORDING_BYTES + 1), zip)?;
    if copied > MAX_EMBEDDED_RECORDING_BYTES {
        return Err(std::io::Error::other(format!(
            "the recording {} grew beyond {MAX_EMBEDDED_RECORDING_BYTES} bytes while it was written",
            path.display()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_and_guids() {
        assert_eq!(decimal("67").as_deref(), Some("67"));
        assert_eq!(decimal("-0.5").as_deref(), Some("-0.5"));
        assert_eq!(decimal("1e3").as_deref(), Some("1000"));
        assert_eq!(decimal("x"), None);
        assert_eq!(derived_guid("a", "selection"), derived_guid("a", "selection"));
        assert_ne!(derived_guid("a", "selection"), derived_guid("a", "memo"));
        assert!(super::super::normalise_guid(&derived_guid("a", "x")).is_some());
    }
}
