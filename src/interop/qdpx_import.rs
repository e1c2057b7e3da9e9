//! Reading a REFI-QDA project (`.qdpx`) into an [`ImportPlan`] and a [`QdpxReport`].
//!
//! Tolerant of what tools really write (see `../shared/design/REFI-QDA.md`): any single
//! `*.qde` at the archive root, `sources/` in any letter case, file names matched
//! case-insensitively, bare file names without `internal://`, BOMs, any namespace or
//! none, braced and upper-case GUIDs, dangling user references. Every archive entry is
//! read through [`crate::import::office::read_zip_entry`] with its zip-bomb caps, and
//! XML with a document type declaration is refused.
//!
//! Positions: a selection's `startPosition`/`endPosition` are read half-open. Tools
//! disagree on the unit (code points or UTF-16 units, a CRLF line break as one or two),
//! so for each source whose text makes the readings differ every reading is scored (a
//! selection inside the text, ends on word boundaries, the quoted text in its `name`
//! matching) and the best one is kept, ties going to what the producing tool is known
//! to write. The choice is reported per source, and so is every selection that could
//! not be placed.

use super::codes::{RefiCode, read_codes};
use super::qdpx_media::{Location, location};
use super::*;
use crate::import::decode::{DecodeError, decode_text};
use crate::import::office::{docx_text, odt_text, read_zip_entry, read_zip_entry_from};
use crate::import::turns::detect_turns;
use crate::model::AttributeKind;
use crate::store::Project;
use roxmltree::Node;
use std::collections::{HashMap, HashSet};
use std::io::Cursor;
use std::path::Path;

/// The largest bare `.qde` file read (a `.qdpx` archive is read entry by entry from the
/// disk, each entry bounded, so recordings inside it may make it larger).
pub const MAX_QDPX_BYTES: u64 = 1024 * 1024 * 1024;
/// The most bytes unpacked from one archive in total.
const MAX_TOTAL_UNPACKED: u64 = 1024 * 1024 * 1024;
/// The most bytes of memo text copied from notes and descriptions that several things
/// refer to (one note linked to a million selections must not become a million memos).
pub const MAX_COPIED_MEMO_BYTES: usize = 256 * 1024 * 1024;

/// Reads `path` and stores everything that has a home in one operation (one undo
/// removes the whole import; a failure leaves the project unchanged).
///
/// The recordings of audio and video sources are linked when found (see
/// [`super::qdpx_media`]; those inside the archive are unpacked beside the project).
pub fn import_qdpx(project: &mut Project, path: &Path) -> Result<QdpxReport> {
    let home = project.path().to_path_buf();
    import_for(project, path, &home)
}

/// [`import_qdpx`] into a project that will live at `home` (where recordings are unpacked
/// beside, and which their paths are relative to).
fn import_for(project: &mut Project, path: &Path, home: &Path) -> Result<QdpxReport> {
    let (mut plan, mut report) = read_qdpx(path)?;
    let unpacked = super::qdpx_media::find_recordings(&mut plan, &mut report, path, home);
    let stored = match project.store_qdpx(&plan) {
        Ok(stored) => stored,
        Err(e) => {
            unpacked.remove();
            return Err(e);
        }
    };
    report.imported = stored.counts;
    for (name, existing) in &stored.duplicates {
        report.warnings.push(format!(
            "source \"{name}\" has the same text as the document \"{existing}\" already in the project; its codings and memos were attached to that document"
        ));
    }
    for (old, new) in &stored.renamed_codes {
        report.warnings.push(format!("code \"{old}\" renamed \"{new}\": a sibling code already had that name"));
    }
    if stored.new_code_ids > 0 {
        report.warnings.push(format!(
            "{} codes were given new IDs (their GUID was missing, not a UUID, or already used)",
            stored.new_code_ids
        ));
    }
    report.warnings.extend(stored.skipped_values.iter().cloned());
    Ok(report)
}

/// Creates the new project `target` holding the REFI-QDA project `qdpx`, its changes
/// recorded under `coder`. The project is built beside `target` and moved into place only
/// when the import has succeeded (never over a file that exists or appears meanwhile), so
/// a failure leaves nothing behind and can simply be retried.
pub fn new_project_from_qdpx(target: &Path, qdpx: &Path, coder: &str) -> Result<QdpxReport> {
    crate::output::create_new(target, &crate::output::Protect::none(), |staged| {
        let mut project = Project::create(staged)?;
        project.set_coder(coder)?;
        let report = import_for(&mut project, qdpx, target)?;
        // Closing the project folds its write-ahead log into the file before the move.
        drop(project);
        Ok(report)
    })
}

/// Where an archive's bytes are: in memory, or in a file read as entries are needed.
enum Backing<'a> {
    Bytes(&'a [u8]),
    File(std::fs::File),
}

struct Archive<'a> {
    backing: Backing<'a>,
    names: Vec<String>,
    /// Lower-case entry name → the first entry of that name, for lookups in any case.
    by_lower: HashMap<String, String>,
    unpacked: u64,
    file: String,
    /// A bare `.qde`: no archive at all.
    bare: bool,
}

impl<'a> Archive<'a> {
    /// A bare `.qde` file: the project XML alone, with no source files.
    fn bare(bytes: &'a [u8], file: &str) -> Self {
        let backing = Backing::Bytes(bytes);
        Archive { backing, names: vec![], by_lower: HashMap::new(), unpacked: 0, file: file.to_string(), bare: true }
    }

    fn open(bytes: &'a [u8], file: &str) -> Result<Self> {
        Self::open_backing(Backing::Bytes(bytes), file)
    }

    fn open_backing(backing: Backing<'a>, file: &str) -> Result<Self> {
        let listed = match &backing {
            Backing::Bytes(b) => zip::ZipArchive::new(Cursor::new(*b)).map(|a| Self::entry_names(&a)),
            Backing::File(f) => zip::ZipArchive::new(f).map(|a| Self::entry_names(&a)),
        };
        let names = listed.map_err(|e| {
            Error::Invalid(format!("{file}: not a readable .qdpx (zip) archive (truncated or corrupt): {e}"))
        })?;
        let mut by_lower = HashMap::new();
        for n in &names {
            by_lower.entry(n.to_lowercase()).or_insert_with(|| n.clone());
        }
        Ok(Archive { backing, names, by_lower, unpacked: 0, file: file.to_string(), bare: false })
    }

    fn entry_names<R: std::io::Read + std::io::Seek>(a: &zip::ZipArchive<R>) -> Vec<String> {
        a.file_names().filter_map(|n| n.ok()).filter(|n| !n.ends_with('/')).map(|n| n.into_owned()).collect()
    }

    fn read(&mut self, name: &str) -> Result<Vec<u8>> {
        let data = match &self.backing {
            Backing::Bytes(b) => read_zip_entry(b, name),
            Backing::File(f) => read_zip_entry_from(f, name),
        }
        .map_err(|e| Error::Invalid(format!("{}: {e}", self.file)))?;
        self.unpacked += data.len() as u64;
        if self.unpacked > MAX_TOTAL_UNPACKED {
            return Err(Error::Invalid(format!(
                "{}: unpacks to more than {MAX_TOTAL_UNPACKED} bytes; refused as a possible zip bomb",
                self.file
            )));
        }
        Ok(data)
    }

    /// The project XML: `project.qde`, or the only `*.qde` at the root, in any case.
    fn qde(&self) -> Result<String> {
        let at_root: Vec<&String> =
            self.names.iter().filter(|n| !n.contains('/') && n.to_lowercase().ends_with(".qde")).collect();
        match at_root.as_slice() {
            [one] => Ok(one.to_string()),
            [] => Err(Error::Invalid(format!(
                "{}: no project.qde in the archive; it is not a REFI-QDA project",
                self.file
            ))),
            many => many
                .iter()
                .find(|n| n.eq_ignore_ascii_case("project.qde"))
                .map(|n| n.to_string())
                .ok_or_else(|| Error::Invalid(format!("{}: several .qde files and none is project.qde", self.file))),
        }
    }

    /// An internal file by name, in `sources/` (any case) or at the root.
    fn find(&self, file: &str) -> Option<String> {
        let want = file.trim().trim_start_matches('/').replace('\\', "/").to_lowercase();
        self.by_lower.get(&format!("sources/{want}")).or_else(|| self.by_lower.get(&want)).cloned()
    }
}

/// Text read from a file, as written (`raw`, BOM removed) and as stored (`text`).
struct FileText {
    raw: String,
    text: String,
    notes: Vec<String>,
}

fn decode_file(bytes: &[u8]) -> std::result::Result<FileText, String> {
    match decode_text(bytes) {
        Ok((text, notes)) => {
            let enc = encoding_rs::Encoding::for_label(notes.encoding.as_bytes()).unwrap_or(encoding_rs::UTF_8);
            let (raw, _) = enc.decode_with_bom_removal(bytes);
            let raw = raw.strip_prefix('\u{FEFF}').unwrap_or(&raw).to_string();
            Ok(FileText { raw, text, notes: notes.warnings() })
        }
        Err(DecodeError::Empty) => Ok(FileText { raw: String::new(), text: String::new(), notes: vec![] }),
        Err(DecodeError::Binary) => Err("the text file is binary, not text".into()),
        Err(DecodeError::BadUtf16) => Err("the UTF-16 text file is cut short or corrupt".into()),
    }
}

/// Reads the text a path attribute points to; `.docx`/`.odt` are read as their text.
fn read_path(archive: &mut Archive, raw: &str) -> std::result::Result<FileText, String> {
    match location(raw) {
        None => Err("no file is named".into()),
        Some(Location::External(p)) => Err(format!("the text is outside the archive ({p}) and is not read")),
        Some(Location::Internal(name)) => {
            let entry = archive.find(&name).ok_or_else(|| format!("{name} is not in the archive"))?;
            let bytes = archive.read(&entry).map_err(|e| e.to_string())?;
            let lower = entry.to_lowercase();
            if lower.ends_with(".docx") || lower.ends_with(".odt") {
                let text = if lower.ends_with(".docx") { docx_text(&bytes) } else { odt_text(&bytes) }
                    .map_err(|e| format!("{name}: {e}"))?;
                return Ok(FileText { raw: text.clone(), text, notes: vec![] });
            }
            decode_file(&bytes).map_err(|e| format!("{name}: {e}"))
        }
    }
}

// ---------------------------------------------------------------------------------------
// Positions.

/// For each offset in `unit` over `raw`, the char offset in the stored text, or `None`
/// inside a character (the second half of a surrogate pair). Offsets are `u32` (8 bytes
/// an entry rather than 16): a source's text is at most 1 GB.
fn unit_map(raw: &str, unit: PositionUnit) -> Vec<Option<u32>> {
    let utf16 = matches!(unit, PositionUnit::Utf16 | PositionUnit::Utf16CrlfAsOne);
    let crlf_one = matches!(unit, PositionUnit::CodePointsCrlfAsOne | PositionUnit::Utf16CrlfAsOne);
    let mut map = Vec::with_capacity(raw.len() + 1);
    let mut n = 0u32;
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' && chars.peek() == Some(&'\n') {
            if !crlf_one {
                map.push(Some(n));
            }
            continue;
        }
        map.push(Some(n));
        if utf16 && c.len_utf16() == 2 {
            map.push(None);
        }
        n = n.saturating_add(1);
    }
    map.push(Some(n));
    map
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric()
}

fn boundary(chars: &[char], pos: usize) -> bool {
    pos == 0 || pos >= chars.len() || !(is_word(chars[pos - 1]) && is_word(chars[pos]))
}

fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether the quoted text a tool put in a selection's `name` fits the slice; `None`
/// when the name says nothing about the text.
fn name_fits(name: &str, slice: &[char]) -> Option<bool> {
    let n = name.trim();
    if n.is_empty() || n.starts_with("line:") {
        return None;
    }
    let n = n.trim_end_matches('…').trim_end_matches("...");
    let want: Vec<char> = squash(n).chars().take(30).collect();
    if want.len() < 3 {
        return None;
    }
    let got: Vec<char> = squash(&slice.iter().collect::<String>()).chars().take(want.len()).collect();
    Some(got == want)
}

struct RawSelection<'a> {
    node: Node<'a, 'a>,
    start: i64,
    end: i64,
}

fn place(map: &[Option<u32>], start: i64, end: i64) -> Option<(usize, usize)> {
    let s = map.get(usize::try_from(start).ok()?).copied().flatten()? as usize;
    let e = map.get(usize::try_from(end).ok()?).copied().flatten()? as usize;
    (s < e).then_some((s, e))
}

/// Picks the reading of positions that fits a source's selections best.
fn choose_unit(raw: &str, chars: &[char], sels: &[RawSelection], origin: &str) -> (PositionUnit, bool, usize, usize) {
    use PositionUnit::*;
    let o = origin.to_lowercase();
    let order = if o.starts_with("nvivo") {
        [Utf16, CodePoints, Utf16CrlfAsOne, CodePointsCrlfAsOne]
    } else if o.contains("atlas.ti") {
        [CodePointsCrlfAsOne, CodePoints, Utf16CrlfAsOne, Utf16]
    } else {
        [CodePoints, CodePointsCrlfAsOne, Utf16, Utf16CrlfAsOne]
    };
    let ambiguous = raw.contains("\r\n") || raw.chars().any(|c| c.len_utf16() == 2);
    let candidates: &[PositionUnit] = if ambiguous { &order } else { &[CodePoints] };
    let mut best: Option<(PositionUnit, usize, usize, usize)> = None;
    for &unit in candidates {
        let map = unit_map(raw, unit);
        let (mut placed, mut clean, mut score) = (0, 0, 0);
        for s in sels {
            let Some((a, b)) = place(&map, s.start, s.end) else { continue };
            placed += 1;
            score += 1;
            let ends = usize::from(boundary(chars, a)) + usize::from(boundary(chars, b));
            score += ends;
            let fits = name_fits(s.node.attr("name").unwrap_or(""), &chars[a..b]);
            if fits == Some(true) {
                score += 3;
            }
            if fits == Some(true) || (fits.is_none() && ends == 2) {
                clean += 1;
            }
        }
        if best.is_none_or(|(_, _, _, s)| score > s) {
            best = Some((unit, placed, clean, score));
        }
    }
    let (unit, placed, clean, _) = best.unwrap_or((CodePoints, 0, 0, 0));
    (unit, ambiguous, placed, clean)
}

// ---------------------------------------------------------------------------------------
// The project.

fn strip_known_extension(name: &str) -> String {
    let t = name.trim();
    if let Some((stem, ext)) = t.rsplit_once('.')
        && !stem.is_empty()
        && ["txt", "docx", "doc", "rtf", "odt", "pdf", "md"].contains(&ext.to_lowercase().as_str())
    {
        return stem.to_string();
    }
    t.to_string()
}

fn variable_kind(node: Node) -> AttributeKind {
    match node.attr("typeOfVariable").map(str::trim).unwrap_or("Text") {
        "Integer" | "Float" => AttributeKind::Number,
        "Date" => AttributeKind::Date,
        "Boolean" => AttributeKind::Category,
        _ if node.description().eq_ignore_ascii_case("category") => AttributeKind::Category,
        _ => AttributeKind::Text,
    }
}

/// A note, as a memo waiting for its target.
struct NoteText {
    title: String,
    body: String,
    coder: Option<String>,
}

/// What the file holds that has no home, counted for the report as it is read.
#[derive(Default)]
struct Tally {
    /// References to users the file does not list.
    dangling_users: usize,
    /// Selections inside notes (QualCoder annotations).
    note_selections: usize,
    empty_sources: Vec<String>,
    missing_sources: Vec<String>,
    /// Sources that are not text, by kind: how many, and the codings on them.
    other_sources: HashMap<&'static str, (usize, usize)>,
    source_values: usize,
    bare_selections: usize,
    unknown_code_refs: usize,
    selection_memos_on_documents: usize,
    /// Transcripts whose text is missing or empty (with the reason).
    missing_transcripts: Vec<String>,
    /// Audio and video sources without a transcript, by name.
    untranscribed: Vec<String>,
    /// Selections of recordings by time, and the codings on them and on the sources.
    media_selections: usize,
    media_codings: usize,
    /// Sync points without a readable position, outside the text, or against the order of time.
    dropped_sync_points: usize,
}

struct Reader<'a> {
    plan: ImportPlan,
    report: QdpxReport,
    users: HashMap<String, String>,
    notes: HashMap<String, NoteText>,
    used_notes: HashSet<String>,
    code_index: HashMap<String, usize>,
    source_index: HashMap<String, usize>,
    /// Selection GUID → the document and the plan codings made from it.
    selection_index: HashMap<String, (usize, Vec<usize>)>,
    archive: Archive<'a>,
    tally: Tally,
    /// Bytes of memo text copied so far may grow to this; beyond it the file is refused.
    copy_budget: usize,
    over_budget: bool,
}

impl Reader<'_> {
    /// Whether `n` more bytes of copied memo text fit the budget; marks the file refused if not.
    fn spend(&mut self, n: usize) -> bool {
        match self.copy_budget.checked_sub(n) {
            Some(left) if !self.over_budget => {
                self.copy_budget = left;
                true
            }
            _ => {
                self.over_budget = true;
                false
            }
        }
    }

    fn coder(&mut self, guid: Option<&str>) -> Option<String> {
        let g = guid.map(str::trim).filter(|g| !g.is_empty())?;
        let found = self.users.get(&guid_key(g)).cloned();
        if found.is_none() {
            self.tally.dangling_users += 1;
        }
        found
    }

    fn take_note(&mut self, target: &str) -> Option<&NoteText> {
        let key = guid_key(target);
        if self.notes.contains_key(&key) {
            self.used_notes.insert(key.clone());
        }
        self.notes.get(&key)
    }

    fn memo(&mut self, target: PlanTarget, note_guid: &str) {
        let Some(n) = self.take_note(note_guid) else { return };
        let memo = PlanMemo { target, title: n.title.clone(), body: n.body.clone(), coder: n.coder.clone() };
        if self.spend(memo.title.len() + memo.body.len()) {
            self.plan.memos.push(memo);
        }
    }

    fn note_as_coding_memo(&mut self, codings: &[usize], note_guid: &str) {
        let Some(n) = self.take_note(note_guid) else { return };
        let text =
            if n.title.is_empty() || n.title == n.body { n.body.clone() } else { format!("{}\n\n{}", n.title, n.body) };
        for &i in codings {
            if self.spend(text.len()) {
                add_memo(&mut self.plan.codings[i].memo, &text);
            }
        }
    }
}

fn add_memo(memo: &mut Option<String>, text: &str) {
    let text = text.trim();
    if text.is_empty() {
        return;
    }
    match memo {
        Some(m) => {
            m.push_str("\n\n");
            m.push_str(text);
        }
        None => *memo = Some(text.to_string()),
    }
}

/// Reads a `.qdpx` file into what would be stored, without touching any project.
pub fn read_qdpx(path: &Path) -> Result<(ImportPlan, QdpxReport)> {
    let file = path.display().to_string();
    let cannot = |e: std::io::Error| Error::Invalid(format!("{file}: cannot read the file: {e}"));
    let meta = std::fs::metadata(path).map_err(cannot)?;
    let mut head = [0u8; 4];
    let mut f = std::fs::File::open(path).map_err(cannot)?;
    let n = std::io::Read::read(&mut f, &mut head).map_err(cannot)?;
    if is_zip(&head[..n]) {
        // Read entry by entry from the disk: recordings inside may make the file large.
        let mut archive = Archive::open_backing(Backing::File(f), &file)?;
        let qde = archive.qde()?;
        let xml = archive.read(&qde)?;
        return read_project(archive, &xml, &format!("{file}: {qde}"), MAX_COPIED_MEMO_BYTES);
    }
    if meta.len() > MAX_QDPX_BYTES {
        return Err(Error::Invalid(format!("{file}: larger than {MAX_QDPX_BYTES} bytes; refused")));
    }
    let bytes = std::fs::read(path).map_err(|e| Error::Invalid(format!("{file}: cannot read the file: {e}")))?;
    read_qdpx_bytes(&bytes, &file)
}

/// [`read_qdpx`] on bytes already in memory; `file` names them in messages. A bare
/// `.qde` (the project XML alone) is read too, without its source files.
pub fn read_qdpx_bytes(bytes: &[u8], file: &str) -> Result<(ImportPlan, QdpxReport)> {
    read_within(bytes, file, MAX_COPIED_MEMO_BYTES)
}

fn is_zip(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06")
}

/// [`read_qdpx_bytes`] copying at most `copy_budget` bytes of memo text.
fn read_within(bytes: &[u8], file: &str, copy_budget: usize) -> Result<(ImportPlan, QdpxReport)> {
    let is_zip = is_zip(bytes);
    let looks_xml = {
        let t = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        t.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'<')
    };
    let unpacked: Vec<u8>;
    let (archive, xml, what) = if !is_zip && looks_xml {
        (Archive::bare(bytes, file), bytes, file.to_string())
    } else {
        let mut archive = Archive::open(bytes, file)?;
        let qde = archive.qde()?;
        unpacked = archive.read(&qde)?;
        (archive, unpacked.as_slice(), format!("{file}: {qde}"))
    };
    read_project(archive, xml, &what, copy_budget)
}

/// Reads the project XML `xml` (named `what` in messages) with the files of `archive`.
fn read_project(archive: Archive, xml: &[u8], what: &str, copy_budget: usize) -> Result<(ImportPlan, QdpxReport)> {
    let file = archive.file.clone();
    let doc = parse_xml(xml, what)?;
    let root = doc.root_element();
    match root.local() {
        "Project" => {}
        "CodeBook" => {
            return Err(Error::Invalid(format!("{file}: holds a codebook, not a project; import it as a codebook")));
        }
        other => {
            return Err(Error::Invalid(format!("{file}: the root element is <{other}>, not a REFI-QDA <Project>")));
        }
    }
    let report = QdpxReport {
        file: file.to_string(),
        origin: root.attr("origin").unwrap_or("").trim().to_string(),
        project_name: root.attr("name").unwrap_or("").trim().to_string(),
        ..Default::default()
    };
    let bare = archive.bare;
    let mut r = Reader {
        plan: ImportPlan {
            source: file.to_string(),
            base_path: root.attr_nonempty("basePath").map(str::to_string),
            ..Default::default()
        },
        report,
        users: HashMap::new(),
        notes: HashMap::new(),
        used_notes: HashSet::new(),
        code_index: HashMap::new(),
        source_index: HashMap::new(),
        selection_index: HashMap::new(),
        archive,
        tally: Tally::default(),
        copy_budget,
        over_budget: false,
    };
    if bare {
        r.report.warnings.push("a bare .qde file: the source files of a .qdpx are not there".into());
    }
    r.read_users(root);
    r.read_notes(root);
    r.read_codes(root);
    let variables = r.read_variables(root);
    if let Some(sources) = root.child("Sources") {
        for (n, src) in sources.elements().enumerate() {
            r.read_source(src, n);
        }
    }
    r.report_sources();
    r.read_links(root);
    r.read_cases(root, &variables);
    r.read_sets(root);
    r.read_project_notes(root);
    if r.over_budget {
        return Err(Error::Invalid(format!(
            "{file}: its notes and descriptions are referred to so often that their copies exceed {copy_budget} bytes; refused"
        )));
    }
    Ok((r.plan, r.report))
}

/// One reading step per REFI element kind, in the order the references need.
impl Reader<'_> {
    /// Users → coders.
    fn read_users(&mut self, root: Node) {
        for u in root.items("Users", "User") {
            let Some(guid) = u.attr_nonempty("guid") else { continue };
            let name = u
                .attr_nonempty("name")
                .or_else(|| u.attr_nonempty("id"))
                .map(str::to_string)
                .unwrap_or_else(|| format!("user {}", &guid.trim_matches(['{', '}'])[..8.min(guid.len())]));
            if !self.plan.coders.contains(&name) {
                self.plan.coders.push(name.clone());
            }
            self.users.insert(guid_key(guid), name);
        }
    }

    /// Notes, kept until something refers to them.
    fn read_notes(&mut self, root: Node) {
        for n in root.items("Notes", "Note") {
            let Some(guid) = n.attr_nonempty("guid") else { continue };
            let body = match n.child("PlainTextContent") {
                Some(c) => c.text_content().replace("\r\n", "\n"),
                None => match n.attr_nonempty("plainTextPath").or_else(|| n.attr_nonempty("richTextPath")) {
                    Some(p) => match read_path(&mut self.archive, p) {
                        Ok(t) => t.text,
                        Err(e) => {
                            self.report.warnings.push(format!("note \"{}\": {e}", n.attr("name").unwrap_or("")));
                            String::new()
                        }
                    },
                    None => String::new(),
                },
            };
            let body = if body.trim().is_empty() { n.description() } else { body.trim().to_string() };
            self.tally.note_selections += n.count_deep("PlainTextSelection");
            let coder = self.coder(n.attr("creatingUser"));
            let title = n.attr("name").unwrap_or("").trim().to_string();
            self.notes.insert(guid_key(guid), NoteText { title, body, coder });
        }
    }

    /// The code tree, flattened parents first, with its notes as memos.
    fn read_codes(&mut self, root: Node) {
        let mut code_warnings = Vec::new();
        let codes: Vec<RefiCode> = root
            .child("CodeBook")
            .and_then(|cb| cb.child("Codes"))
            .map(|c| read_codes(c, &mut code_warnings))
            .unwrap_or_default();
        self.report.warnings.extend(code_warnings);
        let mut folders = 0;
        let mut code_notes: Vec<(usize, String)> = Vec::new();
        // Depth first without recursion: (code, its parent's plan index).
        let mut stack: Vec<(&RefiCode, Option<usize>)> = codes.iter().rev().map(|c| (c, None)).collect();
        while let Some((c, parent)) = stack.pop() {
            let i = self.plan.codes.len();
            if !c.codable {
                folders += 1;
            }
            self.plan.codes.push(PlanCode {
                guid: normalise_guid(&c.guid),
                name: if c.name.is_empty() { "(unnamed code)".into() } else { c.name.clone() },
                parent,
                color: c.color.clone(),
                description: split_description(&c.description),
            });
            if !c.guid.is_empty() {
                self.code_index.entry(guid_key(&c.guid)).or_insert(i);
            }
            code_notes.extend(c.note_refs.iter().map(|n| (i, n.clone())));
            stack.extend(c.children.iter().rev().map(|k| (k, Some(i))));
        }
        if folders > 0 {
            self.report.warnings.push(format!(
                "{folders} codes are marked not codable (folders) in the file; they were imported as ordinary codes"
            ));
        }
        for (i, n) in code_notes {
            self.memo(PlanTarget::Code(i), &n);
        }
    }

    /// Variables → attributes; returns variable GUID key → attribute index.
    fn read_variables(&mut self, root: Node) -> HashMap<String, usize> {
        let mut variables = HashMap::new();
        // Attribute name (ASCII case ignored) → its index in the plan.
        let mut by_name: HashMap<String, usize> = HashMap::new();
        for v in root.items("Variables", "Variable") {
            let (Some(guid), Some(name)) = (v.attr_nonempty("guid"), v.attr_nonempty("name")) else { continue };
            let attributes = &mut self.plan.attributes;
            let i = *by_name.entry(name.to_ascii_lowercase()).or_insert_with(|| {
                attributes.push((name.to_string(), variable_kind(v)));
                attributes.len() - 1
            });
            variables.insert(guid_key(guid), i);
        }
        variables
    }

    /// A source: a text source becomes a document with its codings, an audio or video
    /// source one document per transcript; any other is counted.
    fn read_source(&mut self, src: Node, n: usize) {
        match src.local() {
            "TextSource" => self.read_text_source(src, n),
            "AudioSource" | "VideoSource" => self.read_media_source(src, n),
            other => {
                let kind = match other {
                    "PDFSource" => "PDF sources",
                    "PictureSource" => "picture sources",
                    _ => "other sources",
                };
                let entry = self.tally.other_sources.entry(kind).or_default();
                entry.0 += 1;
                entry.1 += src.count_deep("Coding");
            }
        }
    }

    fn read_text_source(&mut self, src: Node, n: usize) {
        self.tally.source_values += src.all("VariableValue").count();
        let label = src
            .attr_nonempty("name")
            .map(str::to_string)
            .or_else(|| src.attr_nonempty("plainTextPath").map(|p| p.rsplit('/').next().unwrap_or(p).to_string()))
            .unwrap_or_else(|| format!("Source {}", n + 1));
        let sels: Vec<RawSelection> = src
            .all("PlainTextSelection")
            .map(|s| RawSelection {
                node: s,
                start: s.attr("startPosition").and_then(|v| v.trim().parse().ok()).unwrap_or(-1),
                end: s.attr("endPosition").and_then(|v| v.trim().parse().ok()).unwrap_or(-1),
            })
            .collect();
        let Some((doc, text)) = self.text_document(src, None, &label, &sels) else { return };
        if !sels.is_empty() {
            self.place_selections(&label, doc, &text, &sels);
        }
    }

    /// An audio or video source: each transcript a document (named by the transcript, or
    /// the source), with its sync points and its transcript selections as codings, all
    /// sharing the source's recording. Selections of the recording itself (by time) are
    /// counted, not imported.
    fn read_media_source(&mut self, src: Node, n: usize) {
        let audio = src.local() == "AudioSource";
        let (kind, selection) = if audio { ("audio", "AudioSelection") } else { ("video", "VideoSelection") };
        self.tally.source_values += src.all("VariableValue").count();
        let timed: Vec<Node> = src.all(selection).collect();
        self.tally.media_selections += timed.len();
        self.tally.media_codings +=
            timed.iter().map(|s| s.count_deep("Coding")).sum::<usize>() + src.all("Coding").count();
        let path = src.attr_nonempty("path").or_else(|| src.attr_nonempty("currentPath")).unwrap_or("").trim();
        let name = src
            .attr_nonempty("name")
            .map(str::to_string)
            .or_else(|| (!path.is_empty()).then(|| path.rsplit('/').next().unwrap_or(path).to_string()))
            .unwrap_or_else(|| format!("{kind} source {}", n + 1));
        let transcripts: Vec<Node> = src.all("Transcript").collect();
        let mut documents = Vec::new();
        for (i, t) in transcripts.iter().enumerate() {
            let label = match t.attr_nonempty("name") {
                Some(l) => l.to_string(),
                None if transcripts.len() == 1 => name.clone(),
                None => format!("{name} ({})", i + 1),
            };
            if let Some(doc) = self.read_transcript(src, *t, i == 0, &label) {
                documents.push(doc);
            }
        }
        if transcripts.is_empty() {
            self.tally.untranscribed.push(name.clone());
        }
        self.plan.media.push(PlanMedia { source: name, path: path.to_string(), documents, recording: None });
    }

    /// A transcript: its document, timed sync points as the document's sync points, and its
    /// selections (between two sync points) placed as codings; returns the document.
    fn read_transcript(&mut self, src: Node, t: Node, first: bool, label: &str) -> Option<usize> {
        // Sync point GUID → its position as written; and the timed ones in file order.
        let mut at: HashMap<String, i64> = HashMap::new();
        let mut timed: Vec<(i64, u64)> = Vec::new();
        for p in t.all("SyncPoint") {
            let Some(pos) = p.attr("position").and_then(|v| v.trim().parse::<i64>().ok()) else {
                self.tally.dropped_sync_points += 1;
                continue;
            };
            if let Some(g) = p.attr_nonempty("guid") {
                at.insert(guid_key(g), pos);
            }
            if let Some(ms) = p.attr("timeStamp").and_then(|v| v.trim().parse::<u64>().ok()) {
                timed.push((pos, ms));
            }
        }
        let point = |g: Option<&str>| g.and_then(|g| at.get(&guid_key(g)).copied()).unwrap_or(-1);
        let sels: Vec<RawSelection> = t
            .all("TranscriptSelection")
            .map(|s| RawSelection { node: s, start: point(s.attr("fromSyncPoint")), end: point(s.attr("toSyncPoint")) })
            .collect();
        let Some((doc, text)) = self.text_document(t, Some((src, first)), label, &sels) else {
            self.tally.dropped_sync_points += timed.len();
            return None;
        };
        let unit = if sels.is_empty() {
            let chars: Vec<char> = text.text.chars().collect();
            choose_unit(&text.raw, &chars, &[], &self.report.origin).0
        } else {
            self.place_selections(label, doc, &text, &sels)
        };
        let map = unit_map(&text.raw, unit);
        let mut points: Vec<(usize, u64)> = Vec::with_capacity(timed.len());
        let mut placed: Vec<(usize, u64)> = timed
            .iter()
            .filter_map(|&(pos, ms)| Some((map.get(usize::try_from(pos).ok()?).copied().flatten()? as usize, ms)))
            .collect();
        self.tally.dropped_sync_points += timed.len() - placed.len();
        placed.sort();
        for (pos, ms) in placed {
            // Time runs forward through the text: a point that goes against the one before is dropped.
            if points.last().is_none_or(|&(lp, lt)| pos > lp && ms > lt) {
                points.push((pos, ms));
            } else {
                self.tally.dropped_sync_points += 1;
            }
        }
        self.plan.documents[doc].sync_points = points;
        Some(doc)
    }

    /// The document of a text source or of a transcript (`owner` is then its audio or video
    /// source, whose GUID, description and notes go to its first transcript's document),
    /// with its description and notes as memos; `None` when it has no text, or when its
    /// selections' positions cannot be trusted (they are then reported as not placed).
    fn text_document(
        &mut self,
        node: Node,
        owner: Option<(Node, bool)>,
        label: &str,
        sels: &[RawSelection],
    ) -> Option<(usize, FileText)> {
        let missing_before = self.tally.missing_sources.len();
        let Some((text, positions_trustworthy)) = self.source_text(node, label) else {
            if owner.is_some() {
                // A transcript's missing text is counted with the audio and video sources.
                let missing = self.tally.missing_sources.split_off(missing_before);
                if missing.is_empty() {
                    self.tally.missing_transcripts.push(format!("{label}: the transcript has no text"));
                }
                self.tally.missing_transcripts.extend(missing);
            } else if self.tally.missing_sources.len() == missing_before {
                self.tally.empty_sources.push(label.to_string());
            }
            self.unplace(label, sels, "the source's text is missing or empty");
            return None;
        };
        for w in &text.notes {
            self.report.warnings.push(format!("{label}: {w}"));
        }
        let doc = self.plan.documents.len();
        let mut described = vec![node];
        if let Some(g) = node.attr_nonempty("guid") {
            self.source_index.insert(guid_key(g), doc);
        }
        if let Some((src, true)) = owner {
            described.insert(0, src);
            if let Some(g) = src.attr_nonempty("guid") {
                self.source_index.entry(guid_key(g)).or_insert(doc);
            }
        }
        self.plan.documents.push(PlanDocument {
            name: strip_known_extension(label),
            original_name: label.to_string(),
            turns: detect_turns(&text.text),
            text: text.text.clone(),
            ..Default::default()
        });
        for n in described {
            let description = n.description();
            if !description.is_empty() {
                let target = PlanTarget::Document(doc);
                let memo = PlanMemo { target, title: "Description".into(), body: description, coder: None };
                self.plan.memos.push(memo);
            }
            for nr in n.all("NoteRef").filter_map(|n| n.attr("targetGUID")) {
                self.memo(PlanTarget::Document(doc), nr);
            }
        }
        if !positions_trustworthy {
            self.unplace(label, sels, "the positions refer to a plain-text file that is empty or missing");
            return None;
        }
        Some((doc, text))
    }

    /// The text of a source, and whether its selections' positions refer to it (not when
    /// it was read from the rich-text file because the plain text is missing); `None` when
    /// there is no text.
    fn source_text(&mut self, src: Node, label: &str) -> Option<(FileText, bool)> {
        let text = match src.child("PlainTextContent") {
            Some(c) => {
                let raw = c.text_content();
                let text = decode_text(raw.as_bytes()).map(|t| t.0).unwrap_or_default();
                Ok(FileText { raw, text, notes: vec![] })
            }
            None => match src.attr_nonempty("plainTextPath") {
                Some(p) => read_path(&mut self.archive, p),
                None => Err("the source names no plain-text file".into()),
            },
        };
        let mut text = match text {
            Ok(t) => Some(t),
            Err(e) => {
                self.tally.missing_sources.push(format!("{label}: {e}"));
                None
            }
        };
        let mut positions_trustworthy = true;
        if text.as_ref().is_none_or(|t| t.text.trim().is_empty())
            && let Some(rich) = src.attr_nonempty("richTextPath")
            && let Ok(t) = read_path(&mut self.archive, rich)
            && !t.text.trim().is_empty()
        {
            self.report.warnings.push(format!(
                "{label}: the plain-text file is empty or missing; the text was read from the rich-text file"
            ));
            text = Some(t);
            positions_trustworthy = false;
        }
        text.filter(|t| !t.text.trim().is_empty()).map(|t| (t, positions_trustworthy))
    }

    fn unplace(&mut self, label: &str, sels: &[RawSelection], reason: &str) {
        for s in sels {
            self.report.unplaced.push(Unplaced {
                source: label.to_string(),
                selection: s.node.attr("guid").unwrap_or("").to_string(),
                name: s.node.attr("name").unwrap_or("").to_string(),
                start: s.start,
                end: s.end,
                codings: s.node.all("Coding").count(),
                reason: reason.to_string(),
            });
        }
    }

    /// Chooses how to read a source's positions and places its selections; returns the
    /// reading chosen.
    fn place_selections(&mut self, label: &str, doc: usize, text: &FileText, sels: &[RawSelection]) -> PositionUnit {
        let chars: Vec<char> = text.text.chars().collect();
        let (unit, ambiguous, placed, clean) = choose_unit(&text.raw, &chars, sels, &self.report.origin);
        self.report.readings.push(SourceReading {
            source: label.to_string(),
            unit,
            ambiguous,
            selections: sels.len(),
            placed,
            clean,
        });
        let map = unit_map(&text.raw, unit);
        for s in sels {
            let Some((a, b)) = place(&map, s.start, s.end) else {
                let at = |pos: i64| usize::try_from(pos).ok().and_then(|p| map.get(p));
                let reason = if s.start < 0 || s.end < 0 {
                    "missing or unreadable positions".to_string()
                } else if s.end <= s.start {
                    "empty or reversed range".to_string()
                } else if at(s.end).is_none() {
                    format!("beyond the end of the text ({} characters)", chars.len())
                } else if at(s.start).is_some_and(Option::is_none) || at(s.end).is_some_and(Option::is_none) {
                    "starts or ends inside a character (between the two UTF-16 units of one emoji or other character outside the BMP)".to_string()
                } else {
                    "covers no character of the text (only the carriage return of a line break)".to_string()
                };
                self.unplace(label, std::slice::from_ref(s), &reason);
                continue;
            };
            self.read_selection(s.node, doc, (a, b), &chars);
        }
        unit
    }

    /// A placed selection: its codings, or a memo on the document when it has only a memo.
    fn read_selection(&mut self, sel: Node, doc: usize, (a, b): (usize, usize), chars: &[char]) {
        let mut made = Vec::new();
        let sel_coder = sel.attr("creatingUser");
        for c in sel.all("Coding") {
            let Some(code) = c
                .child("CodeRef")
                .and_then(|cr| cr.attr("targetGUID"))
                .and_then(|g| self.code_index.get(&guid_key(g)).copied())
            else {
                self.tally.unknown_code_refs += 1;
                continue;
            };
            let coder = self.coder(c.attr("creatingUser").or(sel_coder));
            self.plan.codings.push(PlanCoding { document: doc, start: a, end: b, code, coder, memo: None });
            let i = self.plan.codings.len() - 1;
            made.push(i);
            for nr in c.all("NoteRef").filter_map(|n| n.attr("targetGUID")) {
                self.note_as_coding_memo(&[i], nr);
            }
        }
        let refs: Vec<&str> = sel.all("NoteRef").filter_map(|n| n.attr("targetGUID")).collect();
        let desc = sel.description();
        if made.is_empty() {
            if refs.is_empty() && desc.is_empty() {
                self.tally.bare_selections += 1;
            } else {
                let quote = shorten(&chars[a..b].iter().collect::<String>(), 60);
                let title = format!("On [{a}, {b}) \"{quote}\"");
                if !desc.is_empty() {
                    let target = PlanTarget::Document(doc);
                    self.plan.memos.push(PlanMemo { target, title: title.clone(), body: desc, coder: None });
                }
                for nr in refs {
                    if let Some(n) = self.take_note(nr) {
                        let body =
                            if n.title.is_empty() { n.body.clone() } else { format!("{}\n\n{}", n.title, n.body) };
                        let coder = n.coder.clone();
                        let target = PlanTarget::Document(doc);
                        if self.spend(title.len() + body.len()) {
                            self.plan.memos.push(PlanMemo { target, title: title.clone(), body, coder });
                        }
                    }
                }
                self.tally.selection_memos_on_documents += 1;
            }
        } else {
            for i in &made {
                if self.spend(desc.len()) {
                    add_memo(&mut self.plan.codings[*i].memo, &desc);
                }
            }
            for nr in refs {
                self.note_as_coding_memo(&made, nr);
            }
        }
        if let Some(g) = sel.attr_nonempty("guid") {
            self.selection_index.insert(guid_key(g), (doc, made));
        }
    }

    /// Reports the sources and selections that did not come across.
    fn report_sources(&mut self) {
        let t = std::mem::take(&mut self.tally.missing_sources);
        for m in &t {
            self.report.warnings.push(format!("text source not imported: {m}"));
        }
        let r = &mut self.report;
        r.not_imported(
            "text sources whose text file is missing or unreadable",
            t.len(),
            "the archive does not hold their text (see the warnings)",
        );
        r.not_imported(
            "text sources with no text",
            self.tally.empty_sources.len(),
            "an empty document has nothing to code",
        );
        let mut other: Vec<_> = self.tally.other_sources.iter().map(|(k, v)| (*k, *v)).collect();
        other.sort();
        for (what, (n, codings)) in other {
            r.not_imported(what, n, &format!("Codeloom holds text documents only ({codings} codings on them)"));
        }
        let t = std::mem::take(&mut self.tally.missing_transcripts);
        for m in &t {
            r.warnings.push(format!("transcript not imported: {m}"));
        }
        r.not_imported(
            "transcripts whose text file is missing or unreadable",
            t.len(),
            "the archive does not hold their text (see the warnings)",
        );
        let untranscribed = &self.tally.untranscribed;
        r.not_imported(
            "audio and video sources without a transcript",
            untranscribed.len(),
            &format!("Codeloom's documents are text; a recording needs a transcript ({})", untranscribed.join(", ")),
        );
        r.not_imported(
            "selections of recordings by time (audio and video selections)",
            self.tally.media_selections,
            &format!(
                "Codeloom codes the transcript's text, not stretches of time ({} codings on them and on whole recordings)",
                self.tally.media_codings
            ),
        );
        r.not_imported(
            "sync points",
            self.tally.dropped_sync_points,
            "their position is missing, outside the transcript, or time would run backwards there",
        );
        r.not_imported(
            "variable values on sources (document variables)",
            self.tally.source_values,
            "Codeloom keeps attributes on participants, not documents",
        );
        r.not_imported(
            "text selections without codings or notes",
            self.tally.bare_selections,
            "Codeloom has no uncoded selections",
        );
        r.not_imported(
            "codings of codes that are not in the codebook",
            self.tally.unknown_code_refs,
            "their CodeRef names no code of the file",
        );
        let memos = self.tally.selection_memos_on_documents;
        if memos > 0 {
            r.warnings.push(format!(
                "{memos} selections carried only a memo; each became a memo on its document naming the range"
            ));
        }
    }

    /// Links: a note linked to something is a memo on it (NVivo's annotations).
    fn read_links(&mut self, root: Node) {
        let mut other_links = 0;
        // Case GUID → its name, looked up once rather than per link.
        let mut cases: HashMap<String, Option<&str>> = HashMap::new();
        for c in root.items("Cases", "Case") {
            if let Some(g) = c.attr("guid") {
                cases.entry(guid_key(g)).or_insert(c.attr_nonempty("name"));
            }
        }
        for l in root.items("Links", "Link") {
            let (Some(origin), Some(target)) = (l.attr_nonempty("originGUID"), l.attr_nonempty("targetGUID")) else {
                other_links += 1;
                continue;
            };
            let (o, t) = (guid_key(origin), guid_key(target));
            let (note, other) = if self.notes.contains_key(&o) {
                (origin, t)
            } else if self.notes.contains_key(&t) {
                (target, o)
            } else {
                other_links += 1;
                continue;
            };
            if let Some((_, codings)) = self.selection_index.get(&other).cloned()
                && !codings.is_empty()
            {
                self.note_as_coding_memo(&codings, note);
            } else if let Some((doc, _)) = self.selection_index.get(&other).cloned() {
                self.memo(PlanTarget::Document(doc), note);
            } else if let Some(&doc) = self.source_index.get(&other) {
                self.memo(PlanTarget::Document(doc), note);
            } else if let Some(&code) = self.code_index.get(&other) {
                self.memo(PlanTarget::Code(code), note);
            } else if let Some(case) = cases.get(&other) {
                match case {
                    Some(label) => self.memo(PlanTarget::Participant(label.to_string()), note),
                    None => other_links += 1,
                }
            } else {
                other_links += 1;
            }
        }
        self.report.not_imported("links", other_links, "Codeloom has no links between objects");
    }

    /// Cases → participants with attribute values, their documents and descriptions.
    fn read_cases(&mut self, root: Node, variables: &HashMap<String, usize>) {
        let (mut nameless, mut case_refs, mut bad_values) = (0, 0, 0);
        let mut labels: HashMap<String, usize> = HashMap::new();
        for c in root.items("Cases", "Case") {
            case_refs += c.all("CodeRef").count() + c.all("SelectionRef").count();
            let Some(label) = c.attr_nonempty("name").map(str::to_string) else {
                nameless += 1;
                continue;
            };
            let pi = *labels.entry(label.to_lowercase()).or_insert_with(|| {
                self.plan.participants.push(PlanParticipant { label: label.clone(), values: vec![] });
                self.plan.participants.len() - 1
            });
            let label = self.plan.participants[pi].label.clone();
            bad_values += self.read_case_values(c, pi, variables);
            for sr in c.all("SourceRef").filter_map(|s| s.attr("targetGUID")) {
                if let Some(&doc) = self.source_index.get(&guid_key(sr)) {
                    let d = &mut self.plan.documents[doc];
                    match &d.participant {
                        Some(p) if p != &label => self.report.warnings.push(format!(
                            "source \"{}\" belongs to the cases \"{p}\" and \"{label}\"; it was given to \"{p}\"",
                            d.original_name
                        )),
                        _ => d.participant = Some(label.clone()),
                    }
                }
            }
            let description = c.description();
            if !description.is_empty() {
                let target = PlanTarget::Participant(label.clone());
                self.plan.memos.push(PlanMemo { target, title: "Description".into(), body: description, coder: None });
            }
        }
        let r = &mut self.report;
        r.not_imported(
            "cases without a name",
            nameless,
            "a participant needs a label (MAXQDA writes document variables this way)",
        );
        r.not_imported(
            "code and selection references in cases",
            case_refs,
            "participants hold documents, not codes or selections",
        );
        r.not_imported(
            "case variable values naming no variable",
            bad_values,
            "their VariableRef names no variable of the file",
        );
    }

    /// A case's variable values onto participant `pi`; returns how many name no variable.
    fn read_case_values(&mut self, case: Node, pi: usize, variables: &HashMap<String, usize>) -> usize {
        let mut bad = 0;
        for vv in case.all("VariableValue") {
            let Some(var) =
                vv.child("VariableRef").and_then(|v| v.attr("targetGUID")).and_then(|g| variables.get(&guid_key(g)))
            else {
                bad += 1;
                continue;
            };
            let Some(value) =
                vv.elements().find(|e| e.local() != "VariableRef").map(|e| e.text_content().trim().to_string())
            else {
                continue;
            };
            if value.is_empty() {
                continue;
            }
            let value = match self.plan.attributes[*var].1 {
                AttributeKind::Date => value.chars().take(10).collect(),
                _ => value,
            };
            self.plan.participants[pi].values.push((*var, value));
        }
        bad
    }

    /// Sets: `Wave: …` sets are waves; other sets (and graphs) have no home.
    fn read_sets(&mut self, root: Node) {
        let mut other_sets = 0;
        for s in root.items("Sets", "Set") {
            let name = s.attr("name").unwrap_or("").trim();
            let wave = name
                .get(..WAVE_SET_PREFIX.trim_end().len())
                .filter(|p| p.eq_ignore_ascii_case(WAVE_SET_PREFIX.trim_end()))
                .map(|_| name[WAVE_SET_PREFIX.trim_end().len()..].trim())
                .filter(|w| !w.is_empty());
            let Some(wave) = wave else {
                other_sets += 1;
                continue;
            };
            for m in s.all("MemberSource").filter_map(|m| m.attr("targetGUID")) {
                if let Some(&doc) = self.source_index.get(&guid_key(m)) {
                    let d = &mut self.plan.documents[doc];
                    match &d.wave {
                        Some(w) if w != wave => self.report.warnings.push(format!(
                            "source \"{}\" is in the waves \"{w}\" and \"{wave}\"; it was kept in \"{w}\"",
                            d.original_name
                        )),
                        _ => d.wave = Some(wave.to_string()),
                    }
                }
            }
        }
        self.report.not_imported(
            "sets",
            other_sets,
            "Codeloom groups documents only by participant and wave (sets named \"Wave: …\" become waves)",
        );
        self.report.not_imported("graphs", root.items("Graphs", "Graph").count(), "Codeloom has no network views");
    }

    /// The project's own description and notes; notes nothing refers to become project memos.
    fn read_project_notes(&mut self, root: Node) {
        let description = root.description();
        if !description.is_empty() {
            let title = "Project description".into();
            self.plan.memos.push(PlanMemo { target: PlanTarget::Project, title, body: description, coder: None });
        }
        for nr in root.all("NoteRef").filter_map(|n| n.attr("targetGUID")) {
            self.memo(PlanTarget::Project, nr);
        }
        let mut left: Vec<String> = self.notes.keys().filter(|k| !self.used_notes.contains(*k)).cloned().collect();
        left.sort();
        for k in left {
            self.memo(PlanTarget::Project, &k);
        }
        let note_selections = self.tally.note_selections;
        if note_selections > 0 {
            self.report.warnings.push(format!(
                "{note_selections} selections inside notes (QualCoder annotations) were not placed; the notes became memos"
            ));
        }
        let dangling = self.tally.dangling_users;
        if dangling > 0 {
            self.report.warnings.push(format!(
                "{dangling} references to users not listed in the file; those codings and memos are recorded under the importing coder"
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_maps() {
        let raw = "a\r\nb😀c";
        assert_eq!(
            unit_map(raw, PositionUnit::CodePoints),
            [Some(0), Some(1), Some(1), Some(2), Some(3), Some(4), Some(5)]
        );
        assert_eq!(
            unit_map(raw, PositionUnit::CodePointsCrlfAsOne),
            [Some(0), Some(1), Some(2), Some(3), Some(4), Some(5)]
        );
        assert_eq!(
            unit_map(raw, PositionUnit::Utf16),
            [Some(0), Some(1), Some(1), Some(2), Some(3), None, Some(4), Some(5)]
        );
    }

    #[test]
    fn the_reading_that_fits_wins() {
        // "x\r\nhello world": "world" is at 9..14 counting CRLF as two, 8..13 as one.
        let raw = "x\r\nhello 😀 world";
        let text = "x\nhello 😀 world";
        let chars: Vec<char> = text.chars().collect();
        let doc = roxmltree::Document::parse("<PlainTextSelection name=\"world\"/>").unwrap();
        let node = doc.root_element();
        // UTF-16 with CRLF as two: x CR LF h e l l o sp 😀(2) sp w → "world" at 12..17.
        let sels = [RawSelection { node, start: 12, end: 17 }];
        let (unit, ambiguous, placed, clean) = choose_unit(raw, &chars, &sels, "QualCoder");
        assert_eq!((unit, ambiguous, placed, clean), (PositionUnit::Utf16, true, 1, 1));
        let sels = [RawSelection { node, start: 10, end: 15 }];
        assert_eq!(choose_unit(raw, &chars, &sels, "").0, PositionUnit::CodePointsCrlfAsOne);
    }

    #[test]
    fn notes_referred_to_over_and_over_are_refused_beyond_the_budget() {
        let links: String =
            (0..50).map(|i| format!("<Link guid=\"{i}\" originGUID=\"n1\" targetGUID=\"s1\"/>")).collect();
        let xml = format!(
            "<Project name=\"p\"><Sources><TextSource guid=\"s1\" name=\"a\"><PlainTextContent>hello</PlainTextContent></TextSource></Sources>\
             <Notes><Note guid=\"n1\" name=\"t\"><PlainTextContent>{}</PlainTextContent></Note></Notes><Links>{links}</Links></Project>",
            "x".repeat(100)
        );
        let (plan, _) = read_within(xml.as_bytes(), "ok.qde", 50 * 101).unwrap();
        assert_eq!(plan.memos.len(), 50);
        let e = read_within(xml.as_bytes(), "big.qde", 49 * 101).unwrap_err().to_string();
        assert!(e.starts_with("big.qde: its notes and descriptions are referred to so often"), "{e}");
    }

    #[test]
    fn paths() {
        assert!(matches!(location("internal://AB.txt"), Some(Location::Internal(n)) if n == "AB.txt"));
        assert!(matches!(location("Internal:///AB.txt"), Some(Location::Internal(n)) if n == "AB.txt"));
        assert!(matches!(location("board.txt"), Some(Location::Internal(n)) if n == "board.txt"));
        assert!(matches!(location("relative:///x.mov"), Some(Location::External(_))));
        assert_eq!(strip_known_extension("Mabel.txt"), "Mabel");
        assert_eq!(strip_known_extension("ICLS 2024 3-10"), "ICLS 2024 3-10");
    }
}
