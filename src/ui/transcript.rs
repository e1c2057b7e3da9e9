//! The transcript view: one document read turn by turn, with coloured highlights for
//! codings, a margin of coding stripes, and a selection kept in document character
//! offsets.
//!
//! It is built to stay smooth on a 300,000-character transcript with thousands of
//! codings: each turn is laid out on its own and its galley cached (keyed by wrap width
//! and a highlight revision), only the turns in view are laid out or painted, row heights
//! are estimated until measured and kept in prefix sums, and the selection is painted
//! over the cached galleys so that changing it lays nothing out again.
//!
//! The view knows nothing of the project: it is given turns and marks (codings already
//! filtered and coloured) and reports what the user asked for as [`TranscriptEvent`]s.
//! When the document's recording can be played, time stamps are buttons, Alt+click and
//! the context menu play from a place, and the turn being spoken is marked and, while
//! following, scrolled into view when it changes.

use codeloom::model::offsets::CharIndex as Offsets;
use egui::text::{CCursor, LayoutJob, TextFormat};
use egui::{Color32, FontId, Galley, Pos2, Rect, Sense, Stroke, Ui, pos2, vec2};
use std::collections::HashMap;
use std::sync::Arc;
use unicode_segmentation::UnicodeSegmentation;

/// One turn as the view shows it.
#[derive(Debug, Clone)]
pub struct TurnRow {
    pub speaker: Option<String>,
    /// The start time, already formatted.
    pub time: Option<String>,
    /// Document char offsets of the turn's text.
    pub start: usize,
    pub end: usize,
    pub text: String,
}

/// One coding as the view shows it.
#[derive(Debug, Clone)]
pub struct Mark {
    pub id: String,
    pub code_id: String,
    pub code_name: String,
    pub coder: String,
    pub start: usize,
    pub end: usize,
    pub color: Color32,
    pub starred: bool,
    pub memo: Option<String>,
}

/// A suggested coding as the view draws it: a dashed outline in the code's colour and a
/// hollow margin stripe (it is not a coding until someone accepts it).
#[derive(Debug, Clone, PartialEq)]
pub struct SuggestMark {
    pub id: String,
    pub start: usize,
    pub end: usize,
    pub color: Color32,
}

/// A half-open range of document chars the user has selected; `anchor` is where the
/// selection began and `head` where it ends now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Selection {
    pub anchor: usize,
    pub head: usize,
}

impl Selection {
    pub fn range(&self) -> (usize, usize) {
        (self.anchor.min(self.head), self.anchor.max(self.head))
    }
    pub fn is_empty(&self) -> bool {
        self.anchor == self.head
    }
}

/// What the user asked the view for; the app carries it out.
#[derive(Debug, Clone, PartialEq)]
pub enum TranscriptEvent {
    /// A coding was clicked (in the margin or the context menu), or the selection cleared.
    SelectCoding(Option<String>),
    /// A coding's boundary was dragged.
    Resize {
        id: String,
        start: usize,
        end: usize,
    },
    /// Open the code picker for the selection.
    CodeSelection,
    /// Code the selection with a new code named after its words.
    InVivo,
    /// Apply this code to the selection at once (from the context menu's recent codes).
    ApplyCode(String),
    Recode(String),
    Delete(String),
    ToggleStar(String),
    EditMemo(String),
    /// Play the recording from this char (a turn's time stamp clicked, an Alt-click, or
    /// "Play from here" in the context menu).
    PlayFrom(usize),
    /// Tie the start of the turn holding this char to the recording's current position.
    SyncHere(usize),
    /// Move the sync point of the turn holding this char to the recording's current position.
    MoveSyncHere(usize),
    /// Remove the sync point of the turn holding this char.
    RemoveSync(usize),
    /// A suggested coding was clicked, or a click elsewhere left it.
    SelectSuggestion(Option<String>),
    /// Look for the passages across the project most like the selection.
    FindSimilar,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Drag {
    Select,
    ResizeStart,
    ResizeEnd,
}

/// A turn laid out: its galleys, for measuring and hit-testing, and the jobs they came
/// from, which are handed to egui again each frame the turn is painted (see
/// [`TranscriptView::galley`]).
struct CachedGalley {
    width: u32,
    rev: u64,
    header: Option<Arc<Galley>>,
    body: Arc<Galley>,
    header_job: Option<LayoutJob>,
    body_job: LayoutJob,
}

/// Fonts and spacing of the reading view.
#[derive(Debug, Clone)]
pub struct Typography {
    pub body: FontId,
    pub header: FontId,
    pub line_height: f32,
    pub max_width: f32,
    pub turn_gap: f32,
    pub lane_width: f32,
}

impl Default for Typography {
    fn default() -> Self {
        Typography {
            body: FontId::proportional(15.5),
            header: FontId::proportional(13.0),
            line_height: 23.0,
            max_width: 760.0,
            turn_gap: 14.0,
            lane_width: 6.0,
        }
    }
}

const MAX_LANES: usize = 14;
/// The width of a margin lane that shows code names beside the stripes.
const LABEL_LANE_WIDTH: f32 = 96.0;
/// The narrowest text column that labelled lanes may leave.
const MIN_TEXT_WIDTH: f32 = 480.0;

/// How the view behaves: chosen in the View menu and kept between runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ViewSettings {
    /// Write each coding's code name beside its margin stripe when there is room.
    pub margin_labels: bool,
    /// Selections made by dragging take whole words, as in NVivo.
    pub snap_to_words: bool,
}

impl Default for ViewSettings {
    fn default() -> Self {
        ViewSettings { margin_labels: true, snap_to_words: true }
    }
}
const TEXT_COLOR: Color32 = Color32::from_rgb(32, 33, 36);
const SPEAKER_COLOR: Color32 = Color32::from_rgb(36, 84, 140);
const TIME_COLOR: Color32 = Color32::from_rgb(120, 120, 120);
const SELECTION: Color32 = Color32::from_rgba_premultiplied(40, 110, 220, 70);
const FLASH: Color32 = Color32::from_rgba_premultiplied(230, 170, 0, 90);
/// Behind the turn being spoken, and the bar beside it.
const SPOKEN: Color32 = Color32::from_rgb(226, 241, 228);
const SPOKEN_BAR: Color32 = Color32::from_rgb(60, 150, 80);

/// Where the page is drawn this frame.
struct Page {
    /// The top left of the text column, in screen coordinates.
    origin: Pos2,
    /// The part of the content in view (content coordinates).
    viewport: Rect,
    /// The top of the scrolled content, in screen coordinates.
    top: f32,
    /// The left edge of the margin.
    margin_x: f32,
}

/// Where one turn is drawn.
struct TurnGeometry {
    index: usize,
    top: f32,
    body_pos: Pos2,
    /// The first turn in view: stripes of codings that began above it are named here.
    first_seen: bool,
}

/// The state of the transcript view for one document.
#[derive(Default)]
pub struct TranscriptView {
    document_id: String,
    turns: Vec<TurnRow>,
    len: usize,
    marks: Vec<Mark>,
    /// Indices into `marks` of the marks overlapping each turn, by start.
    by_turn: Vec<Vec<usize>>,
    /// The margin lane of each mark.
    lanes: Vec<usize>,
    lane_count: usize,
    heights: Vec<f32>,
    measured: Vec<bool>,
    /// `tops[i]` is the top of turn `i`; one more entry for the total height.
    tops: Vec<f32>,
    tops_dirty: bool,
    width: u32,
    galleys: HashMap<usize, CachedGalley>,
    rev: u64,
    pub typography: Typography,
    selection: Option<Selection>,
    selected: Option<String>,
    drag: Option<Drag>,
    /// A boundary being dragged: the coding's range as it would be.
    resize_preview: Option<(usize, usize)>,
    /// A char range to bring into view on the next frame.
    scroll_to: Option<usize>,
    /// A range briefly highlighted after a jump (a search hit, a coding).
    flash: Option<(usize, usize)>,
    has_focus: bool,
    pub settings: ViewSettings,
    /// Whether the margin shows code names this frame (labels asked for, and room for them).
    labelled: bool,
    /// The char where a mouse selection started, before snapping to words.
    drag_origin: usize,
    /// The document has a recording that can be played: time stamps are buttons and the
    /// context menu offers "Play from here" and "Set sync point here".
    pub playable: bool,
    /// The positions of the document's stored sync points: a turn holding one offers to
    /// move or remove it.
    pub sync_positions: Vec<usize>,
    /// The turn being spoken while the recording plays.
    spoken: Option<usize>,
    /// The spoken turn last brought into view while following the recording.
    followed: Option<usize>,
    /// The part of the content shown in the last frame.
    last_viewport: Option<Rect>,
    /// What the turns' time stamps asked for while painting.
    painted_events: Vec<TranscriptEvent>,
    /// Suggested codings (drawn dashed, not codings) and the one selected.
    suggestions: Vec<SuggestMark>,
    selected_suggestion: Option<String>,
    /// Where the text began on screen in the last frame.
    last_origin: Option<Pos2>,
}

impl TranscriptView {
    /// Shows a new document (or the same one after a reload: the selection is kept when
    /// it still fits).
    pub fn set_document(&mut self, id: &str, turns: Vec<TurnRow>, len: usize) {
        let same = self.document_id == id;
        self.document_id = id.to_string();
        self.len = len;
        self.heights = turns.iter().map(|t| self.estimate(t)).collect();
        self.measured = vec![false; turns.len()];
        self.turns = turns;
        self.galleys.clear();
        self.tops_dirty = true;
        self.rev += 1;
        if !same {
            self.selection = None;
            self.selected = None;
            self.flash = None;
            self.scroll_to = Some(0);
            self.spoken = None;
            self.followed = None;
            self.suggestions.clear();
            self.selected_suggestion = None;
        } else if let Some(s) = self.selection
            && s.range().1 > len
        {
            self.selection = None;
        }
        self.index_marks();
    }

    /// Replaces the codings shown.
    pub fn set_marks(&mut self, marks: Vec<Mark>) {
        self.marks = marks;
        self.index_marks();
        self.rev += 1;
        if let Some(sel) = &self.selected
            && !self.marks.iter().any(|m| &m.id == sel)
        {
            self.selected = None;
        }
    }

    /// Replaces the suggested codings shown (the selected one stays selected if it is
    /// still there).
    pub fn set_suggestions(&mut self, suggestions: Vec<SuggestMark>) {
        self.suggestions = suggestions;
        if let Some(sel) = &self.selected_suggestion
            && !self.suggestions.iter().any(|m| &m.id == sel)
        {
            self.selected_suggestion = None;
        }
        self.rev += 1;
    }
    #[cfg(test)]
    pub fn suggestions(&self) -> &[SuggestMark] {
        &self.suggestions
    }
    pub fn selected_suggestion(&self) -> Option<&str> {
        self.selected_suggestion.as_deref()
    }
    pub fn select_suggestion(&mut self, id: Option<String>) {
        self.selected_suggestion = id;
        self.rev += 1;
    }
    /// The first suggestion over char `c`.
    fn suggestion_at(&self, c: usize) -> Option<&SuggestMark> {
        self.suggestions.iter().find(|m| m.start <= c && c < m.end)
    }

    #[cfg(test)]
    pub fn document_id(&self) -> &str {
        &self.document_id
    }
    /// Whether the margin named the codes beside their stripes in the last frame.
    #[cfg(test)]
    pub fn margin_labelled(&self) -> bool {
        self.labelled
    }
    pub fn marks(&self) -> &[Mark] {
        &self.marks
    }
    #[cfg(test)]
    pub fn turns(&self) -> &[TurnRow] {
        &self.turns
    }
    pub fn selection(&self) -> Option<Selection> {
        self.selection.filter(|s| !s.is_empty())
    }
    #[cfg(test)]
    pub fn set_selection(&mut self, start: usize, end: usize) {
        let (s, e) = (start.min(self.len), end.min(self.len));
        self.selection = Some(Selection { anchor: s, head: e });
    }
    pub fn clear_selection(&mut self) {
        self.selection = None;
    }
    pub fn selected_coding(&self) -> Option<&Mark> {
        self.selected.as_ref().and_then(|id| self.marks.iter().find(|m| &m.id == id))
    }
    pub fn select_coding(&mut self, id: Option<String>) {
        self.selected = id;
        self.rev += 1;
    }

    /// Scrolls to `start` on the next frame and highlights `start..end` for a moment.
    pub fn reveal(&mut self, start: usize, end: usize) {
        self.scroll_to = Some(start);
        self.flash = Some((start, end.max(start)));
    }

    /// Marks the turn being spoken (or none); with `keep_in_view` (following the recording
    /// while it plays), a turn that becomes the spoken one, or is when following starts, is
    /// scrolled to when it is not in view; scrolling away is left alone until the next turn.
    pub fn set_spoken(&mut self, turn: Option<usize>, keep_in_view: bool) {
        let turn = turn.filter(|&i| i < self.turns.len());
        self.spoken = turn;
        if !keep_in_view {
            self.followed = None;
            return;
        }
        if let Some(i) = turn
            && self.followed != Some(i)
        {
            self.followed = Some(i);
            if !self.turn_in_view(i) {
                self.scroll_to = Some(self.turns[i].start);
            }
        }
    }

    /// The turn marked as being spoken.
    #[cfg(test)]
    pub fn spoken(&self) -> Option<usize> {
        self.spoken
    }

    /// Whether the top of turn `i` was in view in the last frame.
    pub fn turn_in_view(&self, i: usize) -> bool {
        let (Some(vp), Some(&top)) = (self.last_viewport, self.tops.get(i)) else { return false };
        top >= vp.top() && top + 8.0 <= vp.bottom()
    }

    /// The range flashed by the last [`TranscriptView::reveal`], until the next click.
    #[cfg(test)]
    pub fn flashed(&self) -> Option<(usize, usize)> {
        self.flash
    }

    /// The text of a document char range, joined across turns.
    pub fn text_of(&self, start: usize, end: usize) -> String {
        let mut out = String::new();
        for t in &self.turns {
            let (s, e) = (start.max(t.start), end.min(t.end));
            if s < e {
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(slice(&t.text, s - t.start, e - t.start));
            }
        }
        out
    }

    fn estimate(&self, t: &TurnRow) -> f32 {
        let width = if self.width > 0 { self.width as f32 } else { self.typography.max_width };
        let chars = (t.end - t.start).max(1) as f32;
        let per_line = (width / (self.typography.body.size * 0.48)).max(10.0);
        let lines = (chars / per_line).ceil() + t.text.matches('\n').count() as f32;
        let header = if t.speaker.is_some() || t.time.is_some() { self.typography.line_height } else { 0.0 };
        header + lines * self.typography.line_height + self.typography.turn_gap
    }

    fn index_marks(&mut self) {
        self.by_turn = vec![Vec::new(); self.turns.len()];
        let mut order: Vec<usize> = (0..self.marks.len()).collect();
        order.sort_by_key(|&i| (self.marks[i].start, std::cmp::Reverse(self.marks[i].end)));
        // Greedy interval colouring: each mark takes the first lane free at its start.
        let mut lane_end: Vec<usize> = Vec::new();
        self.lanes = vec![0; self.marks.len()];
        for &i in &order {
            let m = &self.marks[i];
            let lane = match lane_end.iter().position(|&end| end <= m.start) {
                Some(l) => l,
                None if lane_end.len() < MAX_LANES => {
                    lane_end.push(0);
                    lane_end.len() - 1
                }
                None => MAX_LANES - 1,
            };
            lane_end[lane] = lane_end[lane].max(m.end);
            self.lanes[i] = lane;
        }
        self.lane_count = lane_end.len();
        // Marks per turn: turns are sorted, so find the first turn by binary search.
        for &i in &order {
            let m = &self.marks[i];
            let first = self.turns.partition_point(|t| t.end <= m.start);
            for (k, t) in self.turns.iter().enumerate().skip(first) {
                if t.start >= m.end.max(m.start + 1) {
                    break;
                }
                self.by_turn[k].push(i);
            }
        }
    }

    fn margin_width(&self) -> f32 {
        let suggested = usize::from(!self.suggestions.is_empty());
        (self.lane_count.max(1) + suggested) as f32 * self.lane_width() + 16.0
    }

    fn lane_width(&self) -> f32 {
        if self.labelled { LABEL_LANE_WIDTH } else { self.typography.lane_width }
    }

    /// The selection from `origin` to `c`, widened to whole words when snapping is on: a
    /// word either end touches is taken whole; spaces and punctuation are not added.
    fn drag_selection(&self, origin: usize, c: usize) -> Selection {
        if !self.settings.snap_to_words || origin == c {
            return Selection { anchor: origin, head: c };
        }
        let (a, b) = (origin.min(c), origin.max(c));
        let is_word = |(s, e): (usize, usize)| e > s && self.text_of(s, e).chars().any(char::is_alphanumeric);
        let mut start = Some(self.word_at(a)).filter(|&w| is_word(w)).map_or(a, |w| w.0.min(a));
        let mut end = Some(self.word_at(b - 1)).filter(|&w| is_word(w)).map_or(b, |w| w.1.max(b));
        // A drag that begins or ends between words takes no white space at its ends.
        let text: Vec<char> = self.text_of(start, end).chars().collect();
        if text.len() == end - start {
            start += text.iter().take_while(|ch| ch.is_whitespace()).count();
            end -= text.iter().rev().take_while(|ch| ch.is_whitespace()).count();
            if end <= start {
                return Selection { anchor: origin, head: c };
            }
        }
        if c >= origin { Selection { anchor: start, head: end } } else { Selection { anchor: end, head: start } }
    }

    fn recompute_tops(&mut self) {
        if !self.tops_dirty {
            return;
        }
        self.tops.clear();
        self.tops.reserve(self.heights.len() + 1);
        let mut y = 0.0;
        for h in &self.heights {
            self.tops.push(y);
            y += h;
        }
        self.tops.push(y);
        self.tops_dirty = false;
    }

    /// The turn at content height `y`.
    fn turn_at_y(&self, y: f32) -> usize {
        let n = self.turns.len();
        if n == 0 {
            return 0;
        }
        self.tops[..n].partition_point(|&t| t <= y).saturating_sub(1).min(n - 1)
    }

    fn turn_of_char(&self, c: usize) -> usize {
        self.turns.partition_point(|t| t.end < c).min(self.turns.len().saturating_sub(1))
    }

    /// Builds the highlighted layout of a turn.
    fn body_job(&self, i: usize, width: f32) -> LayoutJob {
        let t = &self.turns[i];
        let base = TextFormat {
            font_id: self.typography.body.clone(),
            color: TEXT_COLOR,
            line_height: Some(self.typography.line_height),
            ..Default::default()
        };
        let mut job = LayoutJob::default();
        job.wrap.max_width = width;
        let marks = &self.by_turn[i];
        if marks.is_empty() {
            job.append(&t.text, 0.0, base);
            return job;
        }
        let mut cuts: Vec<usize> = vec![0, t.end - t.start];
        for &m in marks {
            let m = &self.marks[m];
            cuts.push(m.start.saturating_sub(t.start).min(t.end - t.start));
            cuts.push(m.end.saturating_sub(t.start).min(t.end - t.start));
        }
        cuts.sort_unstable();
        cuts.dedup();
        let offsets = Offsets::new(&t.text);
        let mut covering: Vec<&Mark> = Vec::new();
        for w in cuts.windows(2) {
            let (a, b) = (w[0], w[1]);
            let (Some(ba), Some(bb)) = (offsets.char_to_byte(a), offsets.char_to_byte(b)) else { continue };
            covering.clear();
            covering.extend(
                marks.iter().map(|&m| &self.marks[m]).filter(|m| m.start <= t.start + a && m.end >= t.start + b),
            );
            // The innermost coding gives the fill, the next one an underline.
            covering.sort_by_key(|m| (m.end - m.start, self.selected.as_deref() != Some(m.id.as_str())));
            let mut format = base.clone();
            if let Some(first) = covering.first() {
                let strong = self.selected.as_deref() == Some(first.id.as_str());
                format.background = tint(first.color, if strong { 0.55 } else { 0.30 });
                format.expand_bg = 0.0;
            }
            if let Some(second) = covering.get(1) {
                format.underline = Stroke::new(2.0, second.color);
            }
            job.append(&t.text[ba..bb], 0.0, format);
        }
        job
    }

    fn header_job(&self, t: &TurnRow) -> Option<LayoutJob> {
        if t.speaker.is_none() && t.time.is_none() {
            return None;
        }
        let mut job = LayoutJob::default();
        if let Some(s) = &t.speaker {
            let f = TextFormat {
                font_id: FontId::new(self.typography.header.size, egui::FontFamily::Proportional),
                color: SPEAKER_COLOR,
                ..Default::default()
            };
            job.append(s, 0.0, f);
        }
        if let Some(time) = &t.time {
            let f = TextFormat { font_id: self.typography.header.clone(), color: TIME_COLOR, ..Default::default() };
            job.append(time, if t.speaker.is_some() { 10.0 } else { 0.0 }, f);
        }
        Some(job)
    }

    /// Lays out turn `i` at the current width and records its measured height.
    ///
    /// The layout is cached here, but the galleys painted come from egui's own galley cache
    /// each frame (a lookup by the job when nothing changed): a galley holds places in the
    /// font atlas, which egui clears when it fills up or its text options change (as when a
    /// real window learns its GPU's texture size), and a galley kept across that would paint
    /// other glyphs' pixels.
    fn galley(&mut self, ui: &Ui, i: usize) -> (Option<Arc<Galley>>, Arc<Galley>) {
        if let Some(c) = self.galleys.get_mut(&i)
            && c.width == self.width
            && c.rev == self.rev
        {
            c.body = ui.fonts_mut(|f| f.layout_job(c.body_job.clone()));
            c.header = c.header_job.clone().map(|j| ui.fonts_mut(|f| f.layout_job(j)));
            return (c.header.clone(), c.body.clone());
        }
        let width = self.width as f32;
        let body_job = self.body_job(i, width);
        let header_job = self.header_job(&self.turns[i]);
        let body = ui.fonts_mut(|f| f.layout_job(body_job.clone()));
        let header = header_job.clone().map(|j| ui.fonts_mut(|f| f.layout_job(j)));
        let header_h = header.as_ref().map_or(0.0, |h| h.size().y.max(self.typography.line_height - 4.0) + 2.0);
        let h = header_h + body.size().y + self.typography.turn_gap;
        if !self.measured[i] || (self.heights[i] - h).abs() > 0.5 {
            self.heights[i] = h;
            self.tops_dirty = true;
        }
        self.measured[i] = true;
        self.galleys.insert(
            i,
            CachedGalley {
                width: self.width,
                rev: self.rev,
                header: header.clone(),
                body: body.clone(),
                header_job,
                body_job,
            },
        );
        (header, body)
    }

    /// Where a document char is drawn, in screen coordinates, if its turn is laid out.
    /// Where char `c` was on screen in the last frame (when its turn was laid out).
    #[cfg(test)]
    pub fn char_on_screen(&self, c: usize) -> Option<Rect> {
        self.char_rect(self.last_origin?, c)
    }

    pub fn char_rect(&self, origin: Pos2, c: usize) -> Option<Rect> {
        let i = self.turn_of_char(c);
        let cached = self.galleys.get(&i)?;
        let t = &self.turns[i];
        let header_h = self.header_height(cached);
        let local = c.clamp(t.start, t.end) - t.start;
        let r = cached.body.pos_from_cursor(CCursor::new(local));
        Some(r.translate(origin.to_vec2() + vec2(0.0, self.tops[i] + header_h)))
    }

    fn header_height(&self, c: &CachedGalley) -> f32 {
        c.header.as_ref().map_or(0.0, |h| h.size().y.max(self.typography.line_height - 4.0) + 2.0)
    }

    /// The document char under a content-space point.
    fn char_at(&self, content: Pos2) -> usize {
        if self.turns.is_empty() {
            return 0;
        }
        let i = self.turn_at_y(content.y);
        let t = &self.turns[i];
        let Some(c) = self.galleys.get(&i) else { return t.start };
        let body_top = self.tops[i] + self.header_height(c);
        if content.y < body_top {
            return t.start;
        }
        if content.y > body_top + c.body.size().y {
            return t.end;
        }
        let cursor = c.body.cursor_from_pos(vec2(content.x, content.y - body_top));
        t.start + cursor.index.0.min(t.end - t.start)
    }

    /// The word (or run of spaces/punctuation) around a document char.
    fn word_at(&self, c: usize) -> (usize, usize) {
        let i = self.turn_of_char(c);
        let t = &self.turns[i];
        let local = c.clamp(t.start, t.end) - t.start;
        let offsets = Offsets::new(&t.text);
        let Some(byte) = offsets.char_to_byte(local) else { return (c, c) };
        for (b, w) in t.text.split_word_bound_indices() {
            if byte >= b && byte < b + w.len() {
                let s = offsets.byte_to_char(b).unwrap_or(local);
                let e = offsets.byte_to_char(b + w.len()).unwrap_or(local);
                return (t.start + s, t.start + e);
            }
        }
        (c, c)
    }

    fn marks_at(&self, c: usize) -> Vec<usize> {
        let i = self.turn_of_char(c);
        self.by_turn
            .get(i)
            .map(|v| v.iter().copied().filter(|&m| self.marks[m].start <= c && c < self.marks[m].end).collect())
            .unwrap_or_default()
    }

    /// Draws the view and handles the mouse and keyboard.
    pub fn ui(&mut self, ui: &mut Ui, recent_codes: &[(String, String)]) -> Vec<TranscriptEvent> {
        let mut events = Vec::new();
        self.lay_out(ui);
        let total = self.tops.last().copied().unwrap_or(0.0);
        let mut scroll = egui::ScrollArea::vertical().id_salt("transcript_scroll").auto_shrink([false, false]);
        if let Some(c) = self.scroll_to.take() {
            let i = self.turn_of_char(c);
            let y = self.tops.get(i).copied().unwrap_or(0.0);
            scroll = scroll.vertical_scroll_offset((y - 60.0).max(0.0));
        }
        let id = ui.scope_id().with("transcript_text");
        scroll.show_viewport(ui, |ui, viewport| {
            self.last_viewport = Some(viewport);
            ui.set_height(total);
            ui.set_width(ui.available_width());
            let origin = ui.min_rect().min + vec2(20.0, 0.0);
            self.last_origin = Some(origin);
            let text_rect =
                Rect::from_min_size(origin + vec2(0.0, viewport.top()), vec2(self.width as f32, viewport.height()));
            let response = ui.interact(text_rect, id, Sense::click_and_drag());
            self.has_focus = response.has_focus();
            if response.clicked() || response.drag_started() {
                response.request_focus();
            }
            let page =
                Page { origin, viewport, top: ui.min_rect().top(), margin_x: origin.x + self.width as f32 + 14.0 };
            let painter = ui.painter().clone();
            let stripe_hits = self.paint(ui, &painter, &page);
            let handles = self.paint_handles(&painter, &page);
            self.margin(ui, &page, id, &stripe_hits, &mut events);
            self.mouse(ui, &response, &page, &handles, &mut events);
            // Right click: code the selection, or act on the codings under the pointer.
            let pointer_char = response.hover_pos().map(|p| self.char_at(p - origin.to_vec2()));
            if response.secondary_clicked() {
                let c = pointer_char.unwrap_or(0);
                let inside = self.selection().is_some_and(|s| s.range().0 <= c && c <= s.range().1);
                if !inside {
                    self.selection = None;
                }
                ui.memory_mut(|m| m.data.insert_temp(id.with("menu_at"), c));
            }
            let menu_at: usize = ui.memory(|m| m.data.get_temp(id.with("menu_at"))).unwrap_or(0);
            response.context_menu(|ui| self.context_menu(ui, menu_at, recent_codes, &mut events));
        });
        events.append(&mut self.painted_events);
        self.keyboard(ui, &mut events);
        if self.flash.is_some() && ui.input(|i| i.pointer.any_pressed()) {
            self.flash = None;
        }
        events
    }

    /// The text column's width for this frame (and whether the margin has room for code
    /// names), and a few more turns measured, within a time budget, so that the scroll bar
    /// becomes exact without ever laying out the whole transcript at once.
    fn lay_out(&mut self, ui: &Ui) {
        let avail = ui.available_width();
        let lanes = self.lane_count.max(1) as f32;
        self.labelled = self.settings.margin_labels && avail - lanes * LABEL_LANE_WIDTH - 56.0 >= MIN_TEXT_WIDTH;
        let width = (avail - self.margin_width() - 40.0).clamp(200.0, self.typography.max_width).round() as u32;
        if width != self.width {
            self.width = width;
            self.galleys.clear();
            self.measured.iter_mut().for_each(|m| *m = false);
        }
        let budget = std::time::Instant::now();
        if let Some(first) = self.measured.iter().position(|m| !m) {
            let mut i = first;
            while i < self.turns.len() && budget.elapsed().as_micros() < 1500 {
                if !self.measured[i] {
                    self.galley(ui, i);
                    // Keep only what is likely to be painted.
                    self.galleys.remove(&i);
                }
                i += 1;
            }
            if self.measured.iter().any(|m| !m) {
                ui.ctx().request_repaint();
            }
        }
        self.recompute_tops();
    }

    /// Paints the page and the turns in view (with a little overscan): text, selection,
    /// flash, the selected coding's outline and the margin stripes. Returns where each
    /// stripe (and its label) is, with the mark it shows.
    fn paint(&mut self, ui: &Ui, painter: &egui::Painter, page: &Page) -> Vec<(Rect, usize)> {
        let (origin, viewport) = (page.origin, page.viewport);
        let first = self.turn_at_y(viewport.top() - 200.0);
        let first_seen = self.turn_at_y(viewport.top());
        let last = self.turn_at_y(viewport.bottom() + 200.0);
        // The page: white paper behind the text and the margin.
        painter.rect_filled(
            Rect::from_min_max(
                pos2(origin.x - 16.0, viewport.top() + page.top),
                pos2(origin.x + self.width as f32 + 14.0 + self.margin_width(), viewport.bottom() + page.top),
            ),
            0.0,
            Color32::WHITE,
        );
        let mut stripe_hits: Vec<(Rect, usize)> = Vec::new();
        let selection = self.selection.filter(|s| !s.is_empty()).map(|s| s.range());
        let selected_range = self.resize_preview.or_else(|| self.selected_coding().map(|m| (m.start, m.end)));
        if self.turns.is_empty() {
            return stripe_hits;
        }
        for i in first..=last.min(self.turns.len() - 1) {
            let (header, body) = self.galley(ui, i);
            let top = origin.y + self.tops[i];
            let header_h = header.as_ref().map_or(0.0, |h| h.size().y.max(self.typography.line_height - 4.0) + 2.0);
            if self.spoken == Some(i) {
                let row = Rect::from_min_size(
                    pos2(origin.x - 12.0, top - 2.0),
                    vec2(self.width as f32 + 16.0, self.heights[i]),
                );
                painter.rect_filled(row, 3.0, SPOKEN);
                painter.rect_filled(Rect::from_min_size(row.min, vec2(4.0, row.height())), 2.0, SPOKEN_BAR);
            }
            if let Some(h) = &header {
                painter.galley(pos2(origin.x, top), h.clone(), TEXT_COLOR);
                self.time_button(ui, h, pos2(origin.x, top), i);
            }
            let body_pos = pos2(origin.x, top + header_h);
            painter.galley(body_pos, body.clone(), TEXT_COLOR);
            let t = &self.turns[i];
            // Accessibility (and tests): each visible turn is a labelled node.
            let row_rect = Rect::from_min_size(pos2(origin.x, top), vec2(self.width as f32, self.heights[i]));
            let label = match &t.speaker {
                Some(s) => format!("{s}: {}", t.text),
                None => t.text.clone(),
            };
            let row = ui.interact(row_rect, ui.scope_id().with(("turn", i)), Sense::hover());
            row.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Label, true, &label));
            for (range, color) in [(selection, SELECTION), (self.flash, FLASH)] {
                if let Some((s, e)) = range {
                    for r in range_rects(&body, t, s, e) {
                        painter.rect_filled(r.translate(body_pos.to_vec2()), 2.0, color);
                    }
                }
            }
            if let Some((s, e)) = selected_range {
                for r in range_rects(&body, t, s, e) {
                    painter.rect_stroke(
                        r.translate(body_pos.to_vec2()).expand(1.0),
                        2.0,
                        Stroke::new(1.5, Color32::from_gray(60)),
                        egui::StrokeKind::Outside,
                    );
                }
            }
            let turn = TurnGeometry { index: i, top, body_pos, first_seen: i == first_seen };
            self.paint_suggestions(painter, page, &turn, &body);
            self.paint_stripes(ui, painter, page, &turn, &body, &mut stripe_hits);
        }
        stripe_hits
    }

    /// A turn's time stamp, when the recording can be played: a button that plays from there.
    fn time_button(&mut self, ui: &Ui, header: &Galley, at: Pos2, i: usize) {
        let t = &self.turns[i];
        let Some(time) = t.time.as_ref().filter(|_| self.playable) else { return };
        let skip = t.speaker.as_ref().map_or(0, |s| s.chars().count());
        let x = header.pos_from_cursor(CCursor::new(skip)).left();
        let rect = Rect::from_min_max(at + vec2(x, 0.0), at + header.size());
        let r = ui.interact(rect, ui.scope_id().with(("turn_time", i)), Sense::click());
        r.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, format!("Play from {time}")));
        if r.hovered() {
            ui.ctx().set_cursor_icon(egui::CursorIcon::PointingHand);
            ui.painter().rect_stroke(rect.expand(1.0), 2.0, Stroke::new(1.0, TIME_COLOR), egui::StrokeKind::Outside);
        }
        if r.clicked() {
            self.painted_events.push(TranscriptEvent::PlayFrom(t.start));
        }
    }

    /// The suggested codings over one turn: a dashed outline round their text in the
    /// code's colour (thicker when selected) and a hollow stripe in the margin's last lane.
    fn paint_suggestions(&self, painter: &egui::Painter, page: &Page, turn: &TurnGeometry, body: &Galley) {
        let t = &self.turns[turn.index];
        let x = page.margin_x + self.lane_count.max(1) as f32 * self.lane_width();
        for m in self.suggestions.iter().filter(|m| m.start < t.end && m.end > t.start) {
            let selected = self.selected_suggestion.as_deref() == Some(m.id.as_str());
            let stroke = Stroke::new(if selected { 2.5 } else { 1.5 }, m.color);
            let rects = range_rects(body, t, m.start, m.end);
            for r in &rects {
                let r = r.translate(turn.body_pos.to_vec2()).expand(1.5);
                let corners = [r.left_top(), r.right_top(), r.right_bottom(), r.left_bottom(), r.left_top()];
                for shape in egui::Shape::dashed_line(&corners, stroke, 4.0, 3.0) {
                    painter.add(shape);
                }
            }
            if let (Some(first), Some(last)) = (rects.first(), rects.last()) {
                let y0 = turn.body_pos.y + first.top();
                let y1 = turn.body_pos.y + last.bottom();
                let r = Rect::from_x_y_ranges(x..=x + self.typography.lane_width - 2.0, y0..=y1.max(y0 + 4.0));
                painter.rect_stroke(r, 1.0, Stroke::new(1.5, m.color), egui::StrokeKind::Inside);
            }
        }
    }

    /// The margin stripes of one turn, with the code names beside them when labelled.
    fn paint_stripes(
        &self,
        ui: &Ui,
        painter: &egui::Painter,
        page: &Page,
        turn: &TurnGeometry,
        body: &Galley,
        stripe_hits: &mut Vec<(Rect, usize)>,
    ) {
        let (i, top, body_pos) = (turn.index, turn.top, turn.body_pos);
        let t = &self.turns[i];
        let row_bottom = top + self.heights[i] - self.typography.turn_gap;
        for &m in &self.by_turn[i] {
            let mark = &self.marks[m];
            let y0 = if mark.start <= t.start {
                if mark.start < t.start { top } else { body_pos.y }
            } else {
                body_pos.y + body.pos_from_cursor(CCursor::new(mark.start - t.start)).top()
            };
            let y1 = if mark.end >= t.end {
                if mark.end > t.end { top + self.heights[i] } else { row_bottom }
            } else {
                body_pos.y + body.pos_from_cursor(CCursor::new(mark.end - t.start)).bottom()
            };
            let x = page.margin_x + self.lanes[m] as f32 * self.lane_width();
            let r = Rect::from_x_y_ranges(x..=x + self.typography.lane_width - 2.0, y0..=y1.max(y0 + 4.0));
            let strong = self.selected.as_deref() == Some(mark.id.as_str());
            painter.rect_filled(r, 1.0, if strong { mark.color } else { tint(mark.color, 0.75) });
            let mut hit = r;
            if self.labelled && (mark.start >= t.start || turn.first_seen) {
                hit = self.paint_label(ui, painter, mark, pos2(r.right() + 3.0, y0), strong).union(r);
            }
            stripe_hits.push((hit, m));
        }
    }

    /// The dark handles at the ends of the selected coding, for resizing it.
    fn paint_handles(&self, painter: &egui::Painter, page: &Page) -> Vec<(Rect, Drag)> {
        let mut handles = Vec::new();
        let selected_range = self.resize_preview.or_else(|| self.selected_coding().map(|m| (m.start, m.end)));
        if let Some((s, e)) = selected_range {
            for (c, kind) in [(s, Drag::ResizeStart), (e, Drag::ResizeEnd)] {
                if let Some(r) = self.char_rect(page.origin, c) {
                    let h = Rect::from_center_size(r.center(), vec2(7.0, r.height() + 6.0));
                    painter.rect_filled(h, 2.0, Color32::from_rgb(40, 40, 40));
                    handles.push((h, kind));
                }
            }
        }
        handles
    }

    /// The margin: hovering a stripe names its coding, clicking selects it.
    fn margin(
        &self,
        ui: &Ui,
        page: &Page,
        id: egui::Id,
        stripe_hits: &[(Rect, usize)],
        events: &mut Vec<TranscriptEvent>,
    ) {
        let margin_rect = Rect::from_x_y_ranges(
            page.margin_x..=page.margin_x + self.margin_width(),
            page.viewport.top() + page.origin.y..=page.viewport.bottom() + page.origin.y,
        );
        let margin = ui.interact(margin_rect, id.with("margin"), Sense::click());
        let Some(p) = margin.hover_pos() else { return };
        let here: Vec<usize> = stripe_hits.iter().filter(|(r, _)| r.expand(1.0).contains(p)).map(|h| h.1).collect();
        if let Some(&m) = here.first() {
            let mark = &self.marks[m];
            let tip = format!(
                "{} — {}{}{}",
                mark.code_name,
                mark.coder,
                if mark.starred { " (starred)" } else { "" },
                if mark.memo.is_some() { " (memo)" } else { "" }
            );
            margin.clone().on_hover_text_at_pointer(tip);
            if margin.clicked() {
                events.push(TranscriptEvent::SelectCoding(Some(mark.id.clone())));
            }
        }
    }

    /// Mouse selection (drag, double and triple click, Shift+click) and boundary dragging.
    fn mouse(
        &mut self,
        ui: &Ui,
        response: &egui::Response,
        page: &Page,
        handles: &[(Rect, Drag)],
        events: &mut Vec<TranscriptEvent>,
    ) {
        let shift = ui.input(|i| i.modifiers.shift);
        let selected_range = self.resize_preview.or_else(|| self.selected_coding().map(|m| (m.start, m.end)));
        if let Some(p) = response.interact_pointer_pos().or_else(|| response.hover_pos()) {
            let c = self.char_at(p - page.origin.to_vec2());
            if response.drag_started() {
                match handles.iter().find(|(r, _)| r.expand(3.0).contains(p)).map(|h| h.1) {
                    Some(kind) => {
                        self.drag = Some(kind);
                        self.resize_preview = selected_range;
                    }
                    None => {
                        self.drag = Some(Drag::Select);
                        self.drag_origin = match (shift, self.selection) {
                            (true, Some(s)) => s.anchor,
                            _ => c,
                        };
                        self.selection = Some(self.drag_selection(self.drag_origin, c));
                    }
                }
            } else if response.dragged() {
                self.drag_to(ui, response, p, c);
            }
            self.clicks(response, shift, c, events);
        }
        if response.drag_stopped() {
            if let (Some(Drag::ResizeStart | Drag::ResizeEnd), Some((s, e)), Some(m)) =
                (self.drag, self.resize_preview, self.selected_coding())
                && (s, e) != (m.start, m.end)
            {
                events.push(TranscriptEvent::Resize { id: m.id.clone(), start: s, end: e });
            }
            self.drag = None;
            self.resize_preview = None;
        }
        if response.hovered() && !handles.is_empty() {
            if let Some(p) = response.hover_pos()
                && handles.iter().any(|(r, _)| r.expand(3.0).contains(p))
            {
                ui.ctx().set_cursor_icon(egui::CursorIcon::ResizeHorizontal);
            }
        } else if response.hovered() {
            ui.ctx().set_cursor_icon(egui::CursorIcon::Text);
        }
    }

    /// A drag in progress: the selection or the boundary follows the pointer, and the view
    /// scrolls when the pointer is near its top or bottom edge.
    fn drag_to(&mut self, ui: &Ui, response: &egui::Response, p: Pos2, c: usize) {
        match self.drag {
            Some(Drag::Select) if self.selection.is_some() => {
                self.selection = Some(self.drag_selection(self.drag_origin, c));
            }
            Some(Drag::ResizeStart) => {
                if let Some((_, e)) = self.resize_preview {
                    self.resize_preview = Some((c.min(e.saturating_sub(1)), e));
                }
            }
            Some(Drag::ResizeEnd) => {
                if let Some((s, _)) = self.resize_preview {
                    self.resize_preview = Some((s, c.max(s + 1)));
                }
            }
            Some(Drag::Select) | None => {}
        }
        let edge = 30.0;
        let rect = response.rect;
        if p.y < rect.top() + edge || p.y > rect.bottom() - edge {
            let dy = if p.y < rect.top() + edge { edge } else { -edge };
            ui.scroll_with_delta(vec2(0.0, dy * 0.3));
        }
    }

    /// Triple click: the turn; double click: the word; Shift+click extends; a plain click
    /// clears the selection and the selected coding.
    fn clicks(&mut self, response: &egui::Response, shift: bool, c: usize, events: &mut Vec<TranscriptEvent>) {
        if response.triple_clicked() {
            let t = &self.turns[self.turn_of_char(c)];
            self.selection = Some(Selection { anchor: t.start, head: t.end });
        } else if response.double_clicked() {
            let (s, e) = self.word_at(c);
            self.selection = Some(Selection { anchor: s, head: e });
        } else if response.clicked() && self.playable && response.ctx.input(|i| i.modifiers.alt) {
            events.push(TranscriptEvent::PlayFrom(c));
        } else if response.clicked() {
            if shift && let Some(s) = self.selection {
                self.selection = Some(Selection { anchor: s.anchor, head: c });
            } else {
                self.selection = None;
                if self.selected.is_some() {
                    events.push(TranscriptEvent::SelectCoding(None));
                }
                match self.suggestion_at(c).map(|m| m.id.clone()) {
                    Some(id) => events.push(TranscriptEvent::SelectSuggestion(Some(id))),
                    None if self.selected_suggestion.is_some() => events.push(TranscriptEvent::SelectSuggestion(None)),
                    None => {}
                }
            }
        }
    }

    /// Writes a coding's code name beside its stripe (cut with an ellipsis when it is
    /// longer than the lane); returns the rectangle it covers.
    fn paint_label(&self, ui: &Ui, painter: &egui::Painter, mark: &Mark, at: Pos2, strong: bool) -> Rect {
        let name = mark.code_name.rsplit(" / ").next().unwrap_or(&mark.code_name);
        let width = LABEL_LANE_WIDTH - self.typography.lane_width - 5.0;
        let color = if strong { Color32::from_gray(20) } else { darken(mark.color, 0.55) };
        let mut job = LayoutJob::simple_singleline(name.to_string(), FontId::proportional(11.0), color);
        job.wrap = egui::text::TextWrapping::truncate_at_width(width);
        let galley = ui.fonts_mut(|f| f.layout_job(job));
        let rect = Rect::from_min_size(at, galley.size());
        painter.galley(at, galley, color);
        rect
    }

    fn context_menu(
        &self,
        ui: &mut Ui,
        at: usize,
        recent_codes: &[(String, String)],
        events: &mut Vec<TranscriptEvent>,
    ) {
        if self.selection().is_some() {
            if ui.button("Code selection…   C").clicked() {
                events.push(TranscriptEvent::CodeSelection);
                ui.close();
            }
            if ui.button("Code in vivo   V").clicked() {
                events.push(TranscriptEvent::InVivo);
                ui.close();
            }
            if ui.button("Find similar passages").clicked() {
                events.push(TranscriptEvent::FindSimilar);
                ui.close();
            }
            if !recent_codes.is_empty() {
                ui.separator();
                ui.weak("Recent codes");
                for (id, name) in recent_codes {
                    if ui.button(name).clicked() {
                        events.push(TranscriptEvent::ApplyCode(id.clone()));
                        ui.close();
                    }
                }
            }
        }
        let here = self.marks_at(at);
        if !here.is_empty() {
            if self.selection().is_some() {
                ui.separator();
            }
            for m in here {
                let mark = &self.marks[m];
                ui.menu_button(format!("{} — {}", mark.code_name, mark.coder), |ui| {
                    if ui.button("Select").clicked() {
                        events.push(TranscriptEvent::SelectCoding(Some(mark.id.clone())));
                        ui.close();
                    }
                    if ui.button("Recode…").clicked() {
                        events.push(TranscriptEvent::Recode(mark.id.clone()));
                        ui.close();
                    }
                    if ui.button(if mark.starred { "Unstar" } else { "Star as illustrative quote" }).clicked() {
                        events.push(TranscriptEvent::ToggleStar(mark.id.clone()));
                        ui.close();
                    }
                    if ui.button("Memo…").clicked() {
                        events.push(TranscriptEvent::EditMemo(mark.id.clone()));
                        ui.close();
                    }
                    if ui.button("Delete coding").clicked() {
                        events.push(TranscriptEvent::Delete(mark.id.clone()));
                        ui.close();
                    }
                });
            }
        }
        if self.playable {
            ui.separator();
            if ui.button("Play from here").on_hover_text("Alt+click does the same").clicked() {
                events.push(TranscriptEvent::PlayFrom(at));
                ui.close();
            }
            if ui
                .button("Set sync point here")
                .on_hover_text("This turn starts at the recording's current position")
                .clicked()
            {
                events.push(TranscriptEvent::SyncHere(at));
                ui.close();
            }
            if self.turn_has_sync_point(at) {
                if ui
                    .button("Move sync point to the player's position")
                    .on_hover_text("This turn's sync point takes the recording's current position")
                    .clicked()
                {
                    events.push(TranscriptEvent::MoveSyncHere(at));
                    ui.close();
                }
                if ui.button("Remove sync point").clicked() {
                    events.push(TranscriptEvent::RemoveSync(at));
                    ui.close();
                }
            }
        }
        if self.selection().is_none() && self.marks_at(at).is_empty() && !self.playable {
            ui.weak("Select text to code it.");
        }
    }

    /// Whether the turn holding `at` (from its start to the next turn's) has a sync point.
    fn turn_has_sync_point(&self, at: usize) -> bool {
        let i = self.turns.partition_point(|t| t.start <= at);
        let Some(turn) = i.checked_sub(1) else { return false };
        let to = self.turns.get(turn + 1).map_or(usize::MAX, |t| t.start);
        self.sync_positions.iter().any(|p| (self.turns[turn].start..to).contains(p))
    }

    /// Keyboard selection: Shift+arrows by character, Ctrl+Shift+arrows by word,
    /// Shift+Home/End to the turn's ends, Escape to clear.
    fn keyboard(&mut self, ui: &Ui, events: &mut Vec<TranscriptEvent>) {
        if !self.has_focus || self.turns.is_empty() {
            return;
        }
        let id = ui.scope_id().with("transcript_text");
        ui.memory_mut(|m| {
            m.set_focus_lock_filter(
                id,
                egui::EventFilter { horizontal_arrows: true, vertical_arrows: true, escape: true, tab: false },
            )
        });
        let (keys, mods) = ui.input(|i| {
            let keys: Vec<egui::Key> = i
                .events
                .iter()
                .filter_map(|e| match e {
                    egui::Event::Key { key, pressed: true, .. } => Some(*key),
                    _ => None,
                })
                .collect();
            (keys, i.modifiers)
        });
        for key in keys {
            if key == egui::Key::Escape {
                self.selection = None;
                if self.selected.is_some() {
                    events.push(TranscriptEvent::SelectCoding(None));
                }
                if self.selected_suggestion.is_some() {
                    events.push(TranscriptEvent::SelectSuggestion(None));
                }
                continue;
            }
            if !mods.shift {
                continue;
            }
            let sel = self.selection.unwrap_or_else(|| {
                let c = self.turns.first().map_or(0, |t| t.start);
                Selection { anchor: c, head: c }
            });
            let head = sel.head;
            let t = &self.turns[self.turn_of_char(head)];
            let new_head = match key {
                egui::Key::ArrowRight if mods.command => {
                    self.word_at(head.min(self.len.saturating_sub(1))).1.max(head + 1)
                }
                egui::Key::ArrowLeft if mods.command => {
                    let w = self.word_at(head.saturating_sub(1)).0;
                    w.min(head.saturating_sub(1))
                }
                egui::Key::ArrowRight => head + 1,
                egui::Key::ArrowLeft => head.saturating_sub(1),
                egui::Key::End => t.end,
                egui::Key::Home => t.start,
                egui::Key::ArrowDown => {
                    let n = self.turn_of_char(head);
                    self.turns.get(n + 1).map_or(t.end, |next| next.start + (head - t.start).min(next.end - next.start))
                }
                egui::Key::ArrowUp => {
                    let n = self.turn_of_char(head);
                    if n == 0 {
                        t.start
                    } else {
                        let prev = &self.turns[n - 1];
                        prev.start + (head - t.start).min(prev.end - prev.start)
                    }
                }
                _ => continue,
            };
            self.selection = Some(Selection { anchor: sel.anchor, head: new_head.min(self.len) });
        }
    }
}

/// The rectangles (relative to the galley) covering document chars `s..e` of turn `t`.
fn range_rects(galley: &Galley, t: &TurnRow, s: usize, e: usize) -> Vec<Rect> {
    let (s, e) = (s.max(t.start), e.min(t.end));
    if s >= e {
        return Vec::new();
    }
    let (a, b) = (s - t.start, e - t.start);
    let mut out = Vec::new();
    let mut row_start = 0;
    for row in &galley.rows {
        let n = row.char_count_excluding_newline().0;
        let row_end = row_start + n;
        let (ra, rb) = (a.max(row_start), b.min(row_end));
        if ra < rb {
            let x0 = row.pos.x + row.x_offset((ra - row_start).into());
            let x1 = row.pos.x + row.x_offset((rb - row_start).into());
            out.push(Rect::from_x_y_ranges(x0..=x1, row.min_y()..=row.max_y()));
        }
        row_start = row_end + usize::from(row.ends_with_newline);
        if row_start >= b {
            break;
        }
    }
    out
}

/// A light fill of a code's colour over white paper.
pub fn tint(c: Color32, alpha: f32) -> Color32 {
    let mix = |v: u8| (255.0 - (255.0 - v as f32) * alpha).round() as u8;
    Color32::from_rgb(mix(c.r()), mix(c.g()), mix(c.b()))
}

/// A code's colour darkened towards black, readable as text on white paper.
fn darken(c: Color32, amount: f32) -> Color32 {
    let mix = |v: u8| (v as f32 * (1.0 - amount)).round() as u8;
    Color32::from_rgb(mix(c.r()), mix(c.g()), mix(c.b()))
}

/// Chars `a..b` of `text`.
fn slice(text: &str, a: usize, b: usize) -> &str {
    codeloom::model::offsets::slice_chars(text, a, b).unwrap_or("")
}

/// A code's `#rrggbb` colour.
pub fn parse_color(hex: &str) -> Color32 {
    let h = hex.trim_start_matches('#');
    let v = |i: usize| h.get(i..i + 2).and_then(|s| u8::from_str_radix(s, 16).ok()).unwrap_or(150);
    Color32::from_rgb(v(0), v(2), v(4))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn turn(start: usize, text: &str) -> TurnRow {
        TurnRow { speaker: Some("Ana".into()), time: None, start, end: start + text.chars().count(), text: text.into() }
    }

    fn mark(id: &str, start: usize, end: usize) -> Mark {
        Mark {
            id: id.into(),
            code_id: "c".into(),
            code_name: "Code".into(),
            coder: "amara".into(),
            start,
            end,
            color: Color32::RED,
            starred: false,
            memo: None,
        }
    }

    #[test]
    fn marks_are_indexed_by_turn_and_get_their_own_lanes_when_they_overlap() {
        let mut v = TranscriptView::default();
        v.set_document("d", vec![turn(5, "héllo world"), turn(22, "second turn here")], 40);
        v.set_marks(vec![mark("a", 6, 10), mark("b", 8, 30), mark("c", 12, 14), mark("d", 30, 35)]);
        assert_eq!(v.by_turn[0].len(), 3);
        assert_eq!(v.by_turn[1].len(), 2);
        let lane = |id: &str| v.lanes[v.marks.iter().position(|m| m.id == id).unwrap()];
        assert_ne!(lane("a"), lane("b"));
        assert_eq!(lane("a"), lane("c"), "c starts after a ends and reuses its lane");
        assert_eq!(v.text_of(6, 10), "éllo");
        assert_eq!(v.text_of(11, 26), "world seco");
    }

    #[test]
    fn words_are_found_around_a_char_including_accents() {
        let mut v = TranscriptView::default();
        v.set_document("d", vec![turn(0, "la señora dijo")], 14);
        assert_eq!(v.word_at(5), (3, 9));
        assert_eq!(v.text_of(3, 9), "señora");
    }
}
