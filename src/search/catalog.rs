//! What the index knows about the project besides its words: the documents it holds
//! (each with a small number that turns carry as a fast field), their names,
//! participants and waves in document order, the participants' attributes, the
//! attribute definitions, the waves, the code tree and the coders.
//!
//! The catalog is kept in a file beside the index's stamp, so a search reads it with the stamp and
//! asks the project for nothing but the text of the turns it shows. Counting hits per
//! document, participant and wave goes through [`Catalog::ranks`]: a table from a
//! document's number to its place in document order.

use crate::model::{AttributeKind, Code};
use crate::store::search_source::DocumentPlace;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// An indexed document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct DocInfo {
    /// Its number in the index (the `doc_ix` of its turns).
    pub(super) ix: u64,
    pub(super) id: String,
    pub(super) name: String,
    /// The participant's label and ID.
    pub(super) participant: Option<String>,
    pub(super) participant_id: Option<String>,
    /// The wave's name.
    pub(super) wave: Option<String>,
}

impl DocInfo {
    pub(super) fn new(ix: u64, place: &DocumentPlace) -> DocInfo {
        DocInfo {
            ix,
            id: place.id.clone(),
            name: place.name.clone(),
            participant: place.participant.clone(),
            participant_id: place.participant_id.clone(),
            wave: place.wave.clone(),
        }
    }
}

/// A participant: label and attribute values (name, value).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct ParticipantInfo {
    pub(super) label: String,
    pub(super) attributes: Vec<(String, String)>,
}

/// An attribute definition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct AttributeInfo {
    pub(super) name: String,
    pub(super) kind: AttributeKind,
}

/// A wave: ID, name and place in time order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct WaveInfo {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) position: i64,
}

/// A code: ID, name and parent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct CodeInfo {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) parent_id: Option<String>,
}

impl CodeInfo {
    pub(super) fn of(code: &Code) -> CodeInfo {
        CodeInfo { id: code.id.clone(), name: code.name.clone(), parent_id: code.parent_id.clone() }
    }
}

/// The catalog of an index. It is read as it is here only from the stamps written
/// before catalogs had files of their own; its file is a [`CatalogFile`].
#[derive(Debug, Clone, Default, Deserialize)]
pub(super) struct Catalog {
    /// Indexed documents, in document order once [`Catalog::finish`] has run.
    pub(super) documents: Vec<DocInfo>,
    /// Participants by ID.
    pub(super) participants: BTreeMap<String, ParticipantInfo>,
    pub(super) attributes: Vec<AttributeInfo>,
    pub(super) waves: Vec<WaveInfo>,
    /// The code tree, parents before children.
    pub(super) codes: Vec<CodeInfo>,
    /// Coder names by ID.
    pub(super) coders: BTreeMap<String, String>,
    #[serde(skip)]
    lookup: Lookup,
}

/// The catalog as its file holds it: the documents a list per column, with each
/// document's participant and wave a number into the lists of the distinct ones, so
/// that reading 10,000 documents makes about 20,000 strings rather than 50,000 (a
/// search process reads the whole file before it searches).
#[derive(Debug, Default, Serialize, Deserialize)]
struct CatalogFile {
    ix: Vec<u64>,
    id: Vec<String>,
    name: Vec<String>,
    /// Each document's place in `people`.
    person: Vec<u32>,
    /// The distinct (participant label, participant ID) pairs.
    people: Vec<(Option<String>, Option<String>)>,
    /// Each document's place in `wave_names`.
    wave: Vec<u32>,
    wave_names: Vec<Option<String>>,
    participants: BTreeMap<String, ParticipantInfo>,
    attributes: Vec<AttributeInfo>,
    waves: Vec<WaveInfo>,
    codes: Vec<CodeInfo>,
    coders: BTreeMap<String, String>,
}

/// The place of `value` in `distinct`, added when it is not there yet.
fn place_of<T: Clone + Eq + std::hash::Hash>(value: T, distinct: &mut Vec<T>, seen: &mut HashMap<T, u32>) -> u32 {
    *seen.entry(value.clone()).or_insert_with(|| {
        distinct.push(value);
        (distinct.len() - 1) as u32
    })
}

/// Tables derived from the catalog when it is read or changed.
#[derive(Debug, Clone, Default)]
struct Lookup {
    /// By document number: its place in `documents` (`u32::MAX` for none).
    ranks: Arc<Vec<u32>>,
    /// Code ID → path from its theme (`Theme / Code`).
    code_paths: HashMap<String, String>,
}

/// The rank of a number that belongs to no indexed document.
pub(super) const NO_RANK: u32 = u32::MAX;

/// The deepest code tree followed when making a code's path.
const DEEPEST_CODE_PATH: usize = 64;

impl Catalog {
    /// The catalog file's text.
    pub(super) fn to_file(&self) -> serde_json::Result<String> {
        let mut file = CatalogFile {
            participants: self.participants.clone(),
            attributes: self.attributes.clone(),
            waves: self.waves.clone(),
            codes: self.codes.clone(),
            coders: self.coders.clone(),
            ..Default::default()
        };
        let (mut people, mut waves) = (HashMap::new(), HashMap::new());
        for d in &self.documents {
            file.ix.push(d.ix);
            file.id.push(d.id.clone());
            file.name.push(d.name.clone());
            let person = (d.participant.clone(), d.participant_id.clone());
            file.person.push(place_of(person, &mut file.people, &mut people));
            file.wave.push(place_of(d.wave.clone(), &mut file.wave_names, &mut waves));
        }
        serde_json::to_string(&file)
    }

    /// A catalog read from its file's text, not yet [finished](Catalog::finish) (its
    /// document numbers are checked first); `None` when the text is not a whole catalog
    /// (unreadable, columns of different lengths, a number that names no participant or
    /// wave).
    pub(super) fn from_file(text: &str) -> Option<Catalog> {
        let file: CatalogFile = serde_json::from_str(text).ok()?;
        let n = file.ix.len();
        if [file.id.len(), file.name.len(), file.person.len(), file.wave.len()].iter().any(|&len| len != n) {
            return None;
        }
        let mut documents = Vec::with_capacity(n);
        let columns = file.ix.into_iter().zip(file.id).zip(file.name).zip(file.person).zip(file.wave);
        for ((((ix, id), name), person), wave) in columns {
            let (participant, participant_id) = file.people.get(person as usize)?.clone();
            let wave = file.wave_names.get(wave as usize)?.clone();
            documents.push(DocInfo { ix, id, name, participant, participant_id, wave });
        }
        Some(Catalog {
            documents,
            participants: file.participants,
            attributes: file.attributes,
            waves: file.waves,
            codes: file.codes,
            coders: file.coders,
            lookup: Lookup::default(),
        })
    }

    /// Whether two catalogs hold the same (their lookup tables follow from that).
    pub(super) fn same_as(&self, other: &Catalog) -> bool {
        self.documents == other.documents
            && self.participants == other.participants
            && self.attributes == other.attributes
            && self.waves == other.waves
            && self.codes == other.codes
            && self.coders == other.coders
    }

    /// Puts the documents in document order (participant, wave order, name; documents
    /// without a participant or wave after those with one) and builds the lookup tables.
    pub(super) fn finish(&mut self) {
        let wave_position: HashMap<&str, i64> = self.waves.iter().map(|w| (w.name.as_str(), w.position)).collect();
        self.documents.sort_by(|a, b| {
            order_key(a, &wave_position)
                .cmp(&order_key(b, &wave_position))
                .then_with(|| a.name.cmp(&b.name))
                .then_with(|| a.id.cmp(&b.id))
        });
        let slots = self.documents.iter().map(|d| d.ix as usize + 1).max().unwrap_or(0);
        let mut ranks = vec![NO_RANK; slots];
        for (rank, d) in self.documents.iter().enumerate() {
            ranks[d.ix as usize] = rank as u32;
        }
        self.lookup.ranks = Arc::new(ranks);
        self.lookup.code_paths = code_paths(&self.codes);
    }

    /// Document number → place in document order.
    pub(super) fn ranks(&self) -> Arc<Vec<u32>> {
        self.lookup.ranks.clone()
    }

    /// The document with this number.
    pub(super) fn document(&self, ix: u64) -> Option<&DocInfo> {
        let rank = *self.lookup.ranks.get(usize::try_from(ix).ok()?)?;
        self.documents.get(rank as usize)
    }

    /// A code's path from its theme.
    pub(super) fn code_path(&self, id: &str) -> Option<&str> {
        self.lookup.code_paths.get(id).map(String::as_str)
    }

    /// The attribute terms a participant's turns are indexed under: `name=value`, lower-cased.
    pub(super) fn attribute_terms(&self, participant_id: Option<&str>) -> Vec<String> {
        participant_id
            .and_then(|p| self.participants.get(p))
            .map(|p| p.attributes.iter().map(|(n, v)| format!("{}={}", n.to_lowercase(), v.to_lowercase())).collect())
            .unwrap_or_default()
    }

    /// The wave names in time order.
    pub(super) fn wave_order(&self) -> HashMap<&str, usize> {
        let mut waves: Vec<&WaveInfo> = self.waves.iter().collect();
        waves.sort_by_key(|w| (w.position, w.name.as_str()));
        waves.into_iter().enumerate().map(|(i, w)| (w.name.as_str(), i)).collect()
    }
}

/// Where a document goes in document order, before its name: by participant, then wave
/// order; those without either after those with one. Borrows, so sorting allocates nothing.
fn order_key<'a>(d: &'a DocInfo, wave_position: &HashMap<&str, i64>) -> (bool, Option<&'a str>, bool, Option<i64>) {
    let wave = d.wave.as_deref().and_then(|w| wave_position.get(w).copied());
    (d.participant.is_none(), d.participant.as_deref(), wave.is_none(), wave)
}

/// Each code's path from its theme, following at most [`DEEPEST_CODE_PATH`] parents.
fn code_paths(codes: &[CodeInfo]) -> HashMap<String, String> {
    let by_id: HashMap<&str, &CodeInfo> = codes.iter().map(|c| (c.id.as_str(), c)).collect();
    let mut out = HashMap::with_capacity(codes.len());
    for c in codes {
        let mut names = vec![c.name.as_str()];
        let mut cur = c.parent_id.as_deref();
        while let Some(p) = cur.and_then(|p| by_id.get(p)) {
            names.push(&p.name);
            cur = p.parent_id.as_deref();
            if names.len() > DEEPEST_CODE_PATH {
                break;
            }
        }
        names.reverse();
        out.insert(c.id.clone(), names.join(" / "));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(ix: u64, name: &str, participant: Option<&str>, wave: Option<&str>) -> DocInfo {
        DocInfo {
            ix,
            id: format!("id-{name}"),
            name: name.into(),
            participant: participant.map(str::to_string),
            participant_id: participant.map(|p| format!("pid-{p}")),
            wave: wave.map(str::to_string),
        }
    }

    #[test]
    fn documents_sort_by_participant_wave_order_and_name_and_numbers_find_them() {
        let mut c = Catalog {
            documents: vec![
                doc(1, "z", None, None),
                doc(7, "P02_BL", Some("P02"), Some("BL")),
                doc(3, "P01_6M", Some("P01"), Some("6M")),
                doc(2, "P01_BL", Some("P01"), Some("BL")),
                doc(5, "P01_x", Some("P01"), None),
            ],
            waves: vec![
                WaveInfo { id: "w6".into(), name: "6M".into(), position: 2 },
                WaveInfo { id: "wb".into(), name: "BL".into(), position: 0 },
            ],
            codes: vec![
                CodeInfo { id: "a".into(), name: "Theme".into(), parent_id: None },
                CodeInfo { id: "b".into(), name: "Sub".into(), parent_id: Some("a".into()) },
            ],
            ..Default::default()
        };
        c.finish();
        let names: Vec<&str> = c.documents.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["P01_BL", "P01_6M", "P01_x", "P02_BL", "z"]);
        let rank = |ix: usize| c.ranks().get(ix).copied().unwrap_or(NO_RANK);
        assert_eq!((rank(2), rank(7), rank(1), rank(4), rank(99)), (0, 3, 4, NO_RANK, NO_RANK));
        assert_eq!(c.document(3).map(|d| d.name.as_str()), Some("P01_6M"));
        assert!(c.document(4).is_none() && c.document(u64::MAX).is_none());
        assert_eq!(c.code_path("b"), Some("Theme / Sub"));
        assert_eq!(c.wave_order().get("6M"), Some(&1));

        // Its file: read back the same; anything but a whole catalog is refused.
        let text = c.to_file().unwrap();
        let back = Catalog::from_file(&text).unwrap();
        assert!(back.same_as(&c), "{back:?}");
        let file: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(file["people"].as_array().map(Vec::len), Some(3), "P01, P02 and none, once each");
        for (column, bad) in [
            ("id", serde_json::json!(["a"])),
            ("person", serde_json::json!([0, 0, 0, 0, 99])),
            ("wave", serde_json::json!([0, 0, 0, 0, u32::MAX])),
            ("ix", serde_json::json!("x")),
        ] {
            let mut damaged = file.clone();
            damaged[column] = bad;
            assert!(Catalog::from_file(&damaged.to_string()).is_none(), "{column}");
        }
        assert!(Catalog::from_file("{\"ix\": [1").is_none());
        assert!(Catalog::from_file(&Catalog::default().to_file().unwrap()).is_some_and(|c| c.documents.is_empty()));
    }
}

/// What the index holds: written after every change to the index, read when it opens.
/// The catalog is kept in a file of its own, named here, and written only when it
/// changes: an update after one coding rewrites this small stamp and not the catalog of
/// every document.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(super) struct Stamp {
    pub(super) schema_version: u32,
    pub(super) project_id: String,
    /// The operation log entry the index reflects: sequence number (0 for an empty
    /// log, -1 for an index not yet built) and ID.
    pub(super) log_seq: i64,
    pub(super) log_id: Option<String>,
    /// The project's change counter when the index was last brought up to date.
    pub(super) change_counter: i64,
    /// The last document number given out.
    pub(super) next_ix: u64,
    /// The catalog file ([`super::folder::catalog_file`]); `None` while the catalog is
    /// empty, and in the stamps written before catalogs had files of their own, which held it.
    #[serde(default)]
    pub(super) catalog_file: Option<String>,
    /// Read from such an older stamp, never written into one: the next update moves it
    /// to a file of its own.
    #[serde(default, skip_serializing)]
    pub(super) catalog: Catalog,
}
