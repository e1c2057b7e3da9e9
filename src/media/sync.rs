//! Times and character positions: which turn is being spoken at a time, and when a
//! character is spoken. Pure functions, no I/O.
//!
//! A [`Timeline`] is built from what is known: the start times of turns (captions give
//! them), the researcher's sync points (a character and its time; these win over a turn
//! time that disagrees with them), the length of the text and of the recording. Between
//! two known points the time is interpolated by characters, so within a turn it runs
//! evenly from the turn's start to the next turn's start. A transcript without any time
//! is spread evenly over the recording (as ATLAS.ti does) until sync points are set.
//!
//! Invariants (property-tested): [`Timeline::time_at`] never decreases as the position
//! grows, [`Timeline::position_at`] never decreases as the time grows, and
//! `time_at(position_at(t)) <= t`; `position_at(time_at(c)) == c` wherever the
//! recording spends at least a millisecond per character.

use crate::model::Turn;
use crate::store::media_ops::SyncPoint;

/// The speaking rate assumed where nothing says otherwise: about 15 characters a second.
pub const DEFAULT_MS_PER_CHAR: f64 = 65.0;

/// Where a timeline's times come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// Turn times from the transcript (captions), perhaps with sync points.
    Turns,
    /// Sync points set by the researcher, no turn times.
    SyncPoints,
    /// Nothing known: the text spread evenly over the recording.
    Estimated,
}

/// The map between character positions and times in one document.
#[derive(Debug, Clone, PartialEq)]
pub struct Timeline {
    /// (position, ms), positions strictly increasing from 0 to `chars`, times not decreasing.
    anchors: Vec<(f64, f64)>,
    chars: usize,
    basis: Basis,
}

impl Timeline {
    /// Builds the timeline of a text of `chars` characters with these turns and sync
    /// points, for a recording of `duration_ms` (when known).
    pub fn new(turns: &[Turn], points: &[SyncPoint], chars: usize, duration_ms: Option<u64>) -> Timeline {
        let mut points: Vec<SyncPoint> = points.iter().copied().filter(|p| p.position <= chars).collect();
        points.sort_by_key(|p| p.position);
        // Sync points were kept in order by the store; drop any that are not, to be safe.
        let mut fixed: Vec<(f64, f64)> = Vec::with_capacity(points.len());
        for p in &points {
            let (pos, ms) = (p.position as f64, p.time_ms as f64);
            if fixed.last().is_none_or(|&(lp, lt)| pos > lp && ms > lt) {
                fixed.push((pos, ms));
            }
        }
        let mut from_turns: Vec<(f64, f64)> = Vec::new();
        for t in turns {
            if let Some(ms) = t.time_start_ms
                && t.start <= chars
            {
                from_turns.push((t.start as f64, ms as f64));
            }
        }
        if let Some(last) = turns.last()
            && let Some(end) = last.time_end_ms
            && last.end <= chars
        {
            from_turns.push((last.end as f64, end as f64));
        }
        let basis = match (from_turns.is_empty(), fixed.is_empty()) {
            (false, _) => Basis::Turns,
            (true, false) => Basis::SyncPoints,
            (true, true) => Basis::Estimated,
        };
        let anchors = merge(&fixed, &from_turns);
        Timeline { anchors: close_ends(anchors, chars, duration_ms), chars, basis }
    }

    /// Where the times come from.
    pub fn basis(&self) -> Basis {
        self.basis
    }

    /// The number of characters of the text.
    pub fn chars(&self) -> usize {
        self.chars
    }

    fn exact_time(&self, position: usize) -> f64 {
        let c = position.min(self.chars) as f64;
        let i = self.anchors.partition_point(|a| a.0 <= c).saturating_sub(1);
        let (p0, t0) = self.anchors[i];
        match self.anchors.get(i + 1) {
            Some(&(p1, t1)) if p1 > p0 => t0 + (c - p0) * (t1 - t0) / (p1 - p0),
            _ => t0,
        }
    }

    /// The time (ms from the start of the recording) at which the character at
    /// `position` is spoken.
    pub fn time_at(&self, position: usize) -> u64 {
        (self.exact_time(position) + 1e-6).floor().max(0.0) as u64
    }

    /// The last character that has begun to be spoken at `ms`.
    pub fn position_at(&self, ms: u64) -> usize {
        if self.time_at(self.chars) <= ms {
            return self.chars;
        }
        // The largest position whose time is at most `ms`: time_at(lo) <= ms < time_at(hi).
        let (mut lo, mut hi) = (0usize, self.chars);
        if self.time_at(0) > ms {
            return 0;
        }
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if self.time_at(mid) <= ms {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        lo
    }

    /// The times of a passage `[start, end)`: what "Play this passage" plays.
    pub fn range_time(&self, start: usize, end: usize) -> (u64, u64) {
        let (a, b) = (self.time_at(start), self.time_at(end.max(start)));
        (a, b.max(a))
    }

    /// The time the whole text ends.
    pub fn end_ms(&self) -> u64 {
        self.time_at(self.chars)
    }
}

/// The turn start times a [`Timeline`] keeps beside these sync points (those that agree
/// with them, see [`merge`]), as points in text order: what a REFI-QDA export writes as
/// sync points besides the stored ones.
pub fn kept_turn_times(turns: &[Turn], points: &[SyncPoint], chars: usize) -> Vec<SyncPoint> {
    let mut fixed: Vec<(f64, f64)> = Vec::new();
    let mut sorted: Vec<SyncPoint> = points.iter().copied().filter(|p| p.position <= chars).collect();
    sorted.sort_by_key(|p| p.position);
    for p in &sorted {
        let (pos, ms) = (p.position as f64, p.time_ms as f64);
        if fixed.last().is_none_or(|&(lp, lt)| pos > lp && ms > lt) {
            fixed.push((pos, ms));
        }
    }
    let from_turns: Vec<(f64, f64)> = turns
        .iter()
        .filter(|t| t.start <= chars)
        .filter_map(|t| t.time_start_ms.map(|ms| (t.start as f64, ms as f64)))
        .collect();
    let stored: std::collections::HashSet<u64> = fixed.iter().map(|a| a.0 as u64).collect();
    merge(&fixed, &from_turns)
        .into_iter()
        .filter(|a| !stored.contains(&(a.0 as u64)))
        .map(|(p, t)| SyncPoint { position: p as usize, time_ms: t as u64 })
        .collect()
}

/// The sync points with the turn times that agree with them, in order. A turn time is
/// kept when it lies strictly between the times of the sync points around it and after
/// the turn time kept before it.
fn merge(fixed: &[(f64, f64)], from_turns: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut all: Vec<(f64, f64, bool)> = fixed.iter().map(|&(p, t)| (p, t, true)).collect();
    for &(p, t) in from_turns {
        let i = fixed.partition_point(|a| a.0 < p);
        let before_ok = i == 0 || fixed[i - 1].1 < t;
        let at_point = fixed.get(i).is_some_and(|a| a.0 == p);
        let after_ok = fixed.get(i).is_none_or(|a| t < a.1);
        if before_ok && after_ok && !at_point {
            all.push((p, t, false));
        }
    }
    all.sort_by(|a, b| a.0.total_cmp(&b.0).then(b.2.cmp(&a.2)));
    let mut kept: Vec<(f64, f64)> = Vec::with_capacity(all.len());
    for (p, t, _) in all {
        if kept.last().is_none_or(|&(lp, lt)| p > lp && t > lt) {
            kept.push((p, t));
        }
    }
    kept
}

/// Adds the start (position 0 at time 0, unless a point is there) and the end (the last
/// character at the recording's end, or at the speaking rate so far).
fn close_ends(mut anchors: Vec<(f64, f64)>, chars: usize, duration_ms: Option<u64>) -> Vec<(f64, f64)> {
    if anchors.first().is_none_or(|a| a.0 > 0.0) {
        anchors.insert(0, (0.0, 0.0));
    }
    let end = chars as f64;
    let &(lp, lt) = anchors.last().unwrap_or(&(0.0, 0.0));
    if lp < end {
        let rate = if anchors.len() >= 2 && lp > 0.0 && lt > 0.0 { lt / lp } else { DEFAULT_MS_PER_CHAR };
        let by_rate = lt + (end - lp) * rate;
        let t = match duration_ms.map(|d| d as f64) {
            Some(d) if d > lt => d,
            _ => by_rate,
        };
        anchors.push((end, t));
    }
    anchors
}

/// The turn that holds `position`: the last one starting at or before it.
pub fn turn_at(turns: &[Turn], position: usize) -> Option<usize> {
    let i = turns.partition_point(|t| t.start <= position);
    i.checked_sub(1)
}

/// The turn being spoken at `ms`.
pub fn turn_at_time(timeline: &Timeline, turns: &[Turn], ms: u64) -> Option<usize> {
    turn_at(turns, timeline.position_at(ms))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn turn(start: usize, end: usize, ms: Option<u64>) -> Turn {
        Turn { speaker: Some("P".into()), start, end, time_start_ms: ms, time_end_ms: None }
    }

    #[test]
    fn within_a_turn_time_runs_by_characters_to_the_next_turn() {
        let turns = [turn(3, 50, Some(10_000)), turn(53, 100, Some(20_000))];
        let tl = Timeline::new(&turns, &[], 100, Some(30_000));
        assert_eq!(tl.basis(), Basis::Turns);
        assert_eq!(tl.time_at(3), 10_000);
        assert_eq!(tl.time_at(28), 15_000, "halfway from 3 to 53");
        assert_eq!(tl.time_at(53), 20_000);
        assert_eq!(tl.time_at(100), 30_000, "the last turn runs to the end of the recording");
        assert_eq!(tl.position_at(15_000), 28);
        assert_eq!(turn_at_time(&tl, &turns, 19_999), Some(0));
        assert_eq!(turn_at_time(&tl, &turns, 20_000), Some(1));
        assert_eq!(tl.range_time(28, 53), (15_000, 20_000));
    }

    #[test]
    fn without_times_the_text_is_spread_evenly_until_sync_points_are_set() {
        let turns = [turn(0, 40, None), turn(40, 100, None)];
        let tl = Timeline::new(&turns, &[], 100, Some(50_000));
        assert_eq!(tl.basis(), Basis::Estimated);
        assert_eq!(tl.time_at(50), 25_000);
        let synced = Timeline::new(&turns, &[SyncPoint { position: 40, time_ms: 40_000 }], 100, Some(50_000));
        assert_eq!(synced.basis(), Basis::SyncPoints);
        assert_eq!(synced.time_at(20), 20_000);
        assert_eq!(synced.time_at(40), 40_000);
        assert_eq!(synced.time_at(70), 45_000);
        assert_eq!(turn_at_time(&synced, &turns, 39_999), Some(0));
    }

    #[test]
    fn sync_points_win_over_turn_times_that_disagree() {
        let turns = [turn(0, 10, Some(0)), turn(10, 20, Some(5_000)), turn(20, 30, Some(6_000))];
        let points = [SyncPoint { position: 15, time_ms: 8_000 }];
        let tl = Timeline::new(&turns, &points, 30, None);
        assert_eq!(tl.time_at(15), 8_000);
        assert_eq!(tl.time_at(10), 5_000, "an agreeing turn time is kept");
        assert!(tl.time_at(20) > 8_000, "a turn time that would run backwards is dropped");
    }

    #[test]
    fn the_turn_times_kept_beside_sync_points_are_those_that_agree() {
        let turns = [turn(0, 10, Some(0)), turn(10, 20, Some(5_000)), turn(20, 30, Some(6_000)), turn(30, 40, None)];
        let points = [SyncPoint { position: 15, time_ms: 8_000 }, SyncPoint { position: 0, time_ms: 100 }];
        // 0 is a sync point already; 10 agrees; 20 would run backwards against 15 at 8 s.
        assert_eq!(kept_turn_times(&turns, &points, 40), [SyncPoint { position: 10, time_ms: 5_000 }]);
        assert_eq!(kept_turn_times(&turns, &[], 40).len(), 3);
    }

    #[test]
    fn an_empty_text_and_no_duration() {
        let tl = Timeline::new(&[], &[], 0, None);
        assert_eq!((tl.time_at(0), tl.position_at(5_000)), (0, 0));
        let tl = Timeline::new(&[], &[], 10, None);
        assert_eq!(tl.time_at(10), (10.0 * DEFAULT_MS_PER_CHAR) as u64);
        assert_eq!(turn_at(&[turn(5, 10, None)], 2), None);
    }

    fn timeline_input() -> impl Strategy<Value = (Vec<Turn>, Vec<SyncPoint>, usize, Option<u64>)> {
        (
            1usize..3_000,
            proptest::collection::vec((0usize..3_000, 0u64..4_000_000, any::<bool>()), 0..12),
            any::<bool>(),
            0u64..5_000_000,
        )
            .prop_map(|(chars, raw, timed, duration)| {
                let mut turns: Vec<Turn> = Vec::new();
                let mut points = Vec::new();
                for (pos, ms, is_point) in raw {
                    let pos = pos % (chars + 1);
                    if is_point {
                        points.push(SyncPoint { position: pos, time_ms: ms });
                    } else {
                        turns.push(turn(pos, pos, timed.then_some(ms)));
                    }
                }
                turns.sort_by_key(|t| t.start);
                (turns, points, chars, (duration > 0).then_some(duration))
            })
    }

    proptest! {
        #[test]
        fn times_and_positions_are_monotonic_and_inverse((turns, points, chars, duration) in timeline_input(), a in 0usize..3_000, b in 0usize..3_000, t in 0u64..6_000_000, u in 0u64..6_000_000) {
            let tl = Timeline::new(&turns, &points, chars, duration);
            let (a, b) = (a.min(b) % (chars + 1), a.max(b) % (chars + 1));
            let (a, b) = (a.min(b), a.max(b));
            prop_assert!(tl.time_at(a) <= tl.time_at(b));
            let (t, u) = (t.min(u), t.max(u));
            prop_assert!(tl.position_at(t) <= tl.position_at(u));
            prop_assert!(tl.time_at(tl.position_at(t)) <= t.max(tl.time_at(0)));
            let c = tl.position_at(tl.time_at(a));
            prop_assert!(c >= a, "position_at(time_at({a})) = {c}");
            if a < chars && tl.time_at(a + 1) > tl.time_at(a) {
                prop_assert_eq!(c, a);
            }
        }
    }
}
