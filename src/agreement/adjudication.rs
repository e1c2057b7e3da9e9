//! The adjudication queue: the places where the coders' layers of a code differ, with the
//! decision recorded for each, and the rules that turn a decision into consensus spans.
//!
//! The queue is computed here from the project's codings ([`super::project::disagreements`]); the
//! store records and reads the decisions ([`crate::store::adjudication`]). A decision is
//! checked against the current codings before it is recorded, so a decision on a stale place
//! is refused.

use serde::Serialize;

use super::project::{
    Disagreement, DocumentFilter, ReliabilityInput, Selection, UnitKind, disagreements, intersection_of, merge_spans,
    union_of,
};
use crate::error::{Error, Result};
use crate::store::Project;
use crate::store::adjudication::{CONSENSUS_CODER, Decision, DecisionRecord, ItemRef, NewDecision, consensus_compared};

/// One place of the queue with its decision, if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueueItem {
    /// Where the coders differ, and how.
    #[serde(flatten)]
    pub disagreement: Disagreement,
    /// The decision taken, if any.
    pub decision: Option<DecisionRecord>,
}

/// The disagreement queue of a selection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Queue {
    /// The coders compared.
    pub coders: Vec<String>,
    /// The unit of analysis.
    pub unit: UnitKind,
    /// Every disagreement, sorted by code, document and position.
    pub items: Vec<QueueItem>,
    /// How many have a decision.
    pub decided: usize,
}

impl Queue {
    /// The index of the first item without a decision: where to resume.
    pub fn next_undecided(&self) -> Option<usize> {
        self.items.iter().position(|i| i.decision.is_none())
    }

    /// Number of items.
    pub fn total(&self) -> usize {
        self.items.len()
    }
}

/// The place a disagreement is at.
fn item_ref(d: &Disagreement) -> ItemRef {
    ItemRef { document_id: d.document_id.clone(), code_id: d.code_id.clone(), start: d.start, end: d.end }
}

impl From<&Disagreement> for ItemRef {
    fn from(d: &Disagreement) -> Self {
        item_ref(d)
    }
}

fn check_adjudication_coders(selection: &Selection) -> Result<()> {
    if selection.coders.iter().any(|c| c == CONSENSUS_CODER) {
        return Err(consensus_compared());
    }
    Ok(())
}

/// The consensus spans a decision gives for a place: the accepted coder's spans, the union or
/// intersection of every layer, the redrawn spans (each checked against the document's
/// `length`), or none for a skip.
fn consensus_of(decision: &Decision, place: &Disagreement, coders: &[String], length: u64) -> Result<Vec<(u64, u64)>> {
    let layers: Vec<&[(u64, u64)]> = place.spans.iter().flatten().map(Vec::as_slice).collect();
    Ok(match decision {
        Decision::Accept { coder } => {
            let i = coders
                .iter()
                .position(|c| c == coder)
                .ok_or_else(|| Error::Invalid(format!("{coder} is not one of the coders compared")))?;
            place.spans[i]
                .clone()
                .ok_or_else(|| Error::Invalid(format!("{coder} was not assigned {}", place.document)))?
        }
        Decision::Union => union_of(&layers),
        Decision::Intersection => intersection_of(&layers),
        Decision::Redraw { spans } => {
            for &(s, e) in spans {
                if e <= s || e > length {
                    return Err(Error::Invalid(format!(
                        "[{s}, {e}) is not a range in {} ({length} characters)",
                        place.document
                    )));
                }
            }
            let mut spans = spans.clone();
            merge_spans(&mut spans);
            spans
        }
        Decision::Skip => Vec::new(),
    })
}

impl Project {
    /// The disagreement queue of a selection, with each place's decision and the progress.
    pub fn adjudication_queue(&self, selection: &Selection) -> Result<Queue> {
        check_adjudication_coders(selection)?;
        let input = ReliabilityInput::load(self, selection)?;
        let mut decisions = self.adjudication_decisions(selection.unit.name())?;
        let items: Vec<QueueItem> = disagreements(&input, false)
            .into_iter()
            .map(|d| {
                let decision = decisions.remove(&item_ref(&d));
                QueueItem { disagreement: d, decision }
            })
            .collect();
        let decided = items.iter().filter(|i| i.decision.is_some()).count();
        Ok(Queue { coders: input.coders, unit: input.unit, items, decided })
    }

    /// Records a decision on one place of a selection's queue, writing the consensus codings;
    /// returns the decision's ID. The place is looked up again in the current codings, so a
    /// decision on a stale place is refused. A place decided before is decided anew.
    pub fn decide(
        &mut self,
        selection: &Selection,
        item: &ItemRef,
        decision: Decision,
        rationale: &str,
    ) -> Result<String> {
        check_adjudication_coders(selection)?;
        let narrowed = Selection {
            documents: DocumentFilter { documents: vec![item.document_id.clone()], ..Default::default() },
            codes: Some(vec![item.code_id.clone()]),
            ..selection.clone()
        };
        let input = ReliabilityInput::load(self, &narrowed)?;
        let Some(place) = disagreements(&input, true).into_iter().find(|d| d.start == item.start && d.end == item.end)
        else {
            return Err(Error::NotFound {
                kind: "disagreement",
                query: format!("{} [{}, {})", item.document_id, item.start, item.end),
            });
        };
        let length = input.documents.first().map_or(0, |d| d.length);
        let consensus = consensus_of(&decision, &place, &input.coders, length)?;
        self.record_decision(NewDecision {
            item: &item_ref(&place),
            unit: selection.unit.name(),
            coders: &input.coders,
            decision: &decision,
            consensus: &consensus,
            rationale,
            code: &place.code,
            document: &place.document,
        })
    }

    /// Adopts every place where the coders agree (and that has no decision yet) into the
    /// consensus layer, in one operation; returns how many places were adopted.
    pub fn adopt_agreements(&mut self, selection: &Selection) -> Result<usize> {
        check_adjudication_coders(selection)?;
        let input = ReliabilityInput::load(self, selection)?;
        let decided = self.adjudication_decisions(selection.unit.name())?;
        let places: Vec<(ItemRef, Vec<(u64, u64)>)> = disagreements(&input, true)
            .into_iter()
            .filter(|d| d.agreed && !decided.contains_key(&item_ref(d)))
            .map(|d| {
                let layers: Vec<&[(u64, u64)]> = d.spans.iter().flatten().map(Vec::as_slice).collect();
                (item_ref(&d), union_of(&layers))
            })
            .collect();
        self.record_agreements(selection.unit.name(), &input.coders, &places)
    }
}
