//! Coder assignments and the record of adjudication decisions.
//!
//! Assignments say which coder was given which document, so that agreement treats a document a
//! coder was not given as missing data rather than as "nothing coded". A coder without any
//! assignment counts as assigned every document.
//!
//! The store keeps what adjudication decided: for each place of the disagreement queue
//! (computed by the agreement module), one decision (accept one coder's coding, take the union or
//! the intersection, redraw, or skip) with an optional rationale. Recording a decision writes the
//! consensus codings under the reserved coder [`CONSENSUS_CODER`] and a row in `adjudications`;
//! the coders' own codings are never touched. Every decision is one operation, so undo takes it
//! back; deciding a place again replaces the earlier decision and its consensus codings in the
//! same operation.

use std::collections::{HashMap, HashSet};

use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::changes::Writer;
use super::log::Logged;
use super::ops::{CodingRow, current_version, ensure_coder, insert_coding_row, int, opt, s};
use super::{Project, new_id, now_ms};
use crate::error::{Error, Result};

/// The coder the consensus layer is recorded under.
pub const CONSENSUS_CODER: &str = "consensus";

/// A coder's assignment to a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Assignment {
    /// The coder's name.
    pub coder: String,
    /// The document's ID.
    pub document_id: String,
}

/// What to do with one disagreement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Decision {
    /// Take this coder's coding as the consensus.
    Accept {
        /// The coder whose coding is accepted.
        coder: String,
    },
    /// Everything any coder coded here.
    Union,
    /// Only what every coder coded here.
    Intersection,
    /// New boundaries, drawn by the adjudicator (char ranges in the document).
    Redraw {
        /// The consensus spans.
        spans: Vec<(u64, u64)>,
    },
    /// Leave this place without a consensus coding (it still counts as decided).
    Skip,
}

impl Decision {
    fn name(&self) -> &'static str {
        match self {
            Decision::Accept { .. } => "accept",
            Decision::Union => "union",
            Decision::Intersection => "intersection",
            Decision::Redraw { .. } => "redraw",
            Decision::Skip => "skip",
        }
    }
}

/// A recorded decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecisionRecord {
    /// The decision's ID.
    pub id: String,
    /// `accept`, `union`, `intersection`, `redraw`, `skip` or `agreed` (the coders agreed and
    /// their coding was adopted).
    pub decision: String,
    /// For `accept`: whose coding.
    pub accepted_coder: Option<String>,
    /// The consensus spans written.
    pub consensus: Vec<(u64, u64)>,
    /// The consensus codings written.
    pub coding_ids: Vec<String>,
    /// Why, in the adjudicator's words.
    pub rationale: String,
    /// Who decided.
    pub decided_by: String,
    /// When, in milliseconds since the Unix epoch.
    pub created_at_ms: i64,
}

/// Which place of a selection's queue a decision is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ItemRef {
    /// The document's ID.
    pub document_id: String,
    /// The code's ID.
    pub code_id: String,
    /// Start of the place (chars).
    pub start: u64,
    /// End of the place (chars, exclusive).
    pub end: u64,
}

/// A decision to record on one place (see [`Project::record_decision`]).
#[derive(Debug, Clone, Copy)]
pub struct NewDecision<'a> {
    /// The place decided.
    pub item: &'a ItemRef,
    /// The unit of analysis the place belongs to (`char`, `turn`, ...).
    pub unit: &'a str,
    /// The coders compared.
    pub coders: &'a [String],
    /// What was decided.
    pub decision: &'a Decision,
    /// The consensus spans to write.
    pub consensus: &'a [(u64, u64)],
    /// Why, in the adjudicator's words.
    pub rationale: &'a str,
    /// The code's name, for the history.
    pub code: &'a str,
    /// The document's name, for the history.
    pub document: &'a str,
}

/// The error for a comparison that includes the consensus layer itself.
pub fn consensus_compared() -> Error {
    Error::Invalid(format!(
        "the \"{CONSENSUS_CODER}\" layer is the result of adjudication; compare the coders' own layers"
    ))
}

fn coder_id(conn: &Connection, name: &str) -> Result<Option<String>> {
    Ok(conn.query_row("SELECT id FROM coders WHERE name = ?1", [name], |r| r.get(0)).optional()?)
}

fn check_documents(conn: &Connection, ids: &[String]) -> Result<()> {
    for id in ids {
        let found: Option<String> =
            conn.query_row("SELECT id FROM documents WHERE id = ?1", [id], |r| r.get(0)).optional()?;
        if found.is_none() {
            return Err(Error::NotFound { kind: "document", query: id.clone() });
        }
    }
    Ok(())
}

const DECISION_COLS: &str = "id, document_id, code_id, start, \"end\", decision, accepted_coder, consensus, coding_ids, rationale, decided_by, created_at";

type DecisionRow = (ItemRef, DecisionRecord);

fn decision_from_row(r: &rusqlite::Row) -> rusqlite::Result<DecisionRow> {
    let consensus: String = r.get(7)?;
    let coding_ids: String = r.get(8)?;
    Ok((
        ItemRef {
            document_id: r.get(1)?,
            code_id: r.get(2)?,
            start: r.get::<_, i64>(3)?.max(0) as u64,
            end: r.get::<_, i64>(4)?.max(0) as u64,
        },
        DecisionRecord {
            id: r.get(0)?,
            decision: r.get(5)?,
            accepted_coder: r.get(6)?,
            consensus: serde_json::from_str(&consensus).unwrap_or_default(),
            coding_ids: serde_json::from_str(&coding_ids).unwrap_or_default(),
            rationale: r.get(9)?,
            decided_by: r.get(10)?,
            created_at_ms: r.get(11)?,
        },
    ))
}

/// Removes the decisions on `item` (in `unit`) with the consensus codings they wrote.
fn remove_decisions(w: &mut Writer, item: &ItemRef, unit: &str) -> Result<usize> {
    let rows: Vec<DecisionRow> = {
        let mut stmt = w.conn().prepare(&format!(
            "SELECT {DECISION_COLS} FROM adjudications WHERE document_id = ?1 AND code_id = ?2 AND unit = ?3 AND start = ?4 AND \"end\" = ?5"
        ))?;
        stmt.query_map(
            rusqlite::params![item.document_id, item.code_id, unit, item.start as i64, item.end as i64],
            decision_from_row,
        )?
        .collect::<rusqlite::Result<_>>()?
    };
    for (_, record) in &rows {
        remove_record(w, record)?;
    }
    Ok(rows.len())
}

fn remove_record(w: &mut Writer, record: &DecisionRecord) -> Result<()> {
    for coding in &record.coding_ids {
        let exists: Option<String> =
            w.conn().query_row("SELECT id FROM codings WHERE id = ?1", [coding], |r| r.get(0)).optional()?;
        if exists.is_some() {
            w.delete("codings", coding.as_str())?;
        }
    }
    w.delete("adjudications", record.id.as_str())
}

/// Writes consensus codings and one decision row; returns the decision's ID.
#[allow(clippy::too_many_arguments)]
fn write_decision(
    w: &mut Writer,
    decided_by: &str,
    item: &ItemRef,
    unit: &str,
    coders: &[String],
    decision: &str,
    accepted: Option<&str>,
    consensus: &[(u64, u64)],
    rationale: &str,
) -> Result<String> {
    let mut coding_ids = Vec::new();
    if !consensus.is_empty() {
        let consensus_id = ensure_coder(w, CONSENSUS_CODER)?;
        let version = current_version(w.conn())?;
        for &(start, end) in consensus {
            let (from, to) = (start as usize, end as usize);
            if super::ops::identical_coding(w.conn(), &item.document_id, from, to, &item.code_id, &consensus_id)?
                .is_some()
            {
                // The consensus layer has this span already (from another decision);
                // it stays that decision's.
                continue;
            }
            let id = insert_coding_row(
                w,
                &CodingRow {
                    id: None,
                    document_id: &item.document_id,
                    start: from,
                    end: to,
                    code_id: &item.code_id,
                    coder_id: &consensus_id,
                    codebook_version_id: version.as_deref(),
                    memo: None,
                    illustrative: false,
                    created_at_ms: now_ms(),
                },
            )?;
            coding_ids.push(id);
        }
    }
    let id = new_id();
    w.insert(
        "adjudications",
        &[
            ("id", s(&id)),
            ("document_id", s(&item.document_id)),
            ("code_id", s(&item.code_id)),
            ("unit", s(unit)),
            ("start", int(item.start)),
            ("end", int(item.end)),
            ("coders", s(&serde_json::to_string(coders)?)),
            ("decision", s(decision)),
            ("accepted_coder", opt(accepted)),
            ("consensus", s(&serde_json::to_string(consensus)?)),
            ("coding_ids", s(&serde_json::to_string(&coding_ids)?)),
            ("rationale", s(rationale.trim())),
            ("decided_by", s(decided_by)),
            ("created_at", int(now_ms())),
        ],
    )?;
    Ok(id)
}

impl Project {
    /// Assigns documents to a coder (those already assigned are left as they are); returns how
    /// many assignments were added. Creates the coder if needed.
    pub fn assign_coder(&mut self, coder: &str, document_ids: &[String]) -> Result<usize> {
        let coder = coder.trim().to_string();
        if coder.is_empty() {
            return Err(Error::Invalid("a coder needs a name".into()));
        }
        self.execute("assign_coder", |w, _| {
            check_documents(w.conn(), document_ids)?;
            let cid = ensure_coder(w, &coder)?;
            let mut added = 0;
            for doc in document_ids {
                let exists: Option<String> = w
                    .conn()
                    .query_row(
                        "SELECT id FROM assignments WHERE coder_id = ?1 AND document_id = ?2",
                        [&cid, doc],
                        |r| r.get(0),
                    )
                    .optional()?;
                if exists.is_none() {
                    w.insert(
                        "assignments",
                        &[
                            ("id", s(&new_id())),
                            ("coder_id", s(&cid)),
                            ("document_id", s(doc)),
                            ("created_at", int(now_ms())),
                        ],
                    )?;
                    added += 1;
                }
            }
            Ok(Logged {
                value: added,
                summary: format!("Assign {added} documents to {coder}"),
                payload: json!({"coder": coder, "documents": document_ids}),
            })
        })
    }

    /// Removes documents from a coder's assignments (all of them when `document_ids` is
    /// `None`, after which the coder counts as assigned every document again); returns how
    /// many were removed.
    pub fn unassign_coder(&mut self, coder: &str, document_ids: Option<&[String]>) -> Result<usize> {
        self.execute("unassign_coder", |w, _| {
            let Some(cid) = coder_id(w.conn(), coder)? else {
                return Err(Error::NotFound { kind: "coder", query: coder.to_string() });
            };
            let rows: Vec<(String, String)> = {
                let mut stmt = w.conn().prepare("SELECT id, document_id FROM assignments WHERE coder_id = ?1")?;
                stmt.query_map([&cid], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?
            };
            let mut removed = 0;
            for (id, doc) in rows {
                if document_ids.is_none_or(|list| list.contains(&doc)) {
                    w.delete("assignments", id.as_str())?;
                    removed += 1;
                }
            }
            Ok(Logged {
                value: removed,
                summary: format!("Unassign {removed} documents from {coder}"),
                payload: json!({"coder": coder, "documents": document_ids}),
            })
        })
    }

    /// Every assignment, by coder and document.
    pub fn assignments(&self) -> Result<Vec<Assignment>> {
        let mut stmt = self.conn().prepare(
            "SELECT k.name, a.document_id FROM assignments a JOIN coders k ON k.id = a.coder_id ORDER BY k.name, a.document_id",
        )?;
        let rows = stmt.query_map([], |r| Ok(Assignment { coder: r.get(0)?, document_id: r.get(1)? }))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The documents a coder was assigned, or `None` when the coder has no assignments (and so
    /// counts as assigned every document).
    pub fn assigned_documents(&self, coder: &str) -> Result<Option<HashSet<String>>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT a.document_id FROM assignments a JOIN coders k ON k.id = a.coder_id WHERE k.name = ?1",
        )?;
        let docs: HashSet<String> = stmt.query_map([coder], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
        Ok((!docs.is_empty()).then_some(docs))
    }

    /// The decisions recorded for a unit kind (`char`, `turn`, ...), by the place they decide.
    pub fn adjudication_decisions(&self, unit: &str) -> Result<HashMap<ItemRef, DecisionRecord>> {
        let mut stmt = self
            .conn()
            .prepare(&format!("SELECT {DECISION_COLS} FROM adjudications WHERE unit = ?1 ORDER BY created_at"))?;
        let rows = stmt.query_map([unit], decision_from_row)?;
        let mut out = HashMap::new();
        for row in rows {
            let (key, record) = row?;
            out.insert(key, record);
        }
        Ok(out)
    }

    /// Records a decision on one place, writing its consensus codings and replacing any
    /// earlier decision on the same place, in one operation; returns the decision's ID. The
    /// caller has checked the place and computed the consensus.
    pub fn record_decision(&mut self, new: NewDecision<'_>) -> Result<String> {
        let NewDecision { item, unit, coders, decision, consensus, rationale, code, document } = new;
        if coders.iter().any(|c| c == CONSENSUS_CODER) {
            return Err(consensus_compared());
        }
        self.execute("adjudicate", |w, decided_by| {
            let replaced = remove_decisions(w, item, unit)?;
            let accepted = match decision {
                Decision::Accept { coder } => Some(coder.as_str()),
                _ => None,
            };
            let id = write_decision(
                w,
                decided_by,
                item,
                unit,
                coders,
                decision.name(),
                accepted,
                consensus,
                rationale,
            )?;
            let what = match decision {
                Decision::Accept { coder } => format!("accept {coder}"),
                other => other.name().to_string(),
            };
            Ok(Logged {
                summary: format!(
                    "Adjudicate {code} in {document} [{}, {}): {what}{}",
                    item.start,
                    item.end,
                    if replaced > 0 { " (replacing the earlier decision)" } else { "" }
                ),
                payload: json!({"id": id, "item": item, "unit": unit, "coders": coders, "decision": decision, "rationale": rationale, "consensus": consensus}),
                value: id,
            })
        })
    }

    /// Records, in one operation, an `agreed` decision for each place where the coders agree,
    /// with its consensus spans; returns how many were recorded.
    pub fn record_agreements(
        &mut self,
        unit: &str,
        coders: &[String],
        places: &[(ItemRef, Vec<(u64, u64)>)],
    ) -> Result<usize> {
        if coders.iter().any(|c| c == CONSENSUS_CODER) {
            return Err(consensus_compared());
        }
        self.execute("adopt_agreements", |w, decided_by| {
            for (item, consensus) in places {
                write_decision(w, decided_by, item, unit, coders, "agreed", None, consensus, "")?;
            }
            Ok(Logged {
                value: places.len(),
                summary: format!(
                    "Adopt {} agreed codings of {} into the consensus layer",
                    places.len(),
                    coders.join(", ")
                ),
                payload: json!({"coders": coders, "unit": unit, "places": places.len()}),
            })
        })
    }

    /// Removes a decision and the consensus codings it wrote.
    pub fn clear_decision(&mut self, id: &str) -> Result<()> {
        self.execute("clear_adjudication", |w, _| {
            let record = w
                .conn()
                .query_row(&format!("SELECT {DECISION_COLS} FROM adjudications WHERE id = ?1"), [id], decision_from_row)
                .optional()?
                .ok_or_else(|| Error::NotFound { kind: "decision", query: id.to_string() })?;
            remove_record(w, &record.1)?;
            Ok(Logged {
                value: (),
                summary: format!("Clear adjudication decision ({})", record.1.decision),
                payload: json!({"id": id}),
            })
        })
    }
}
