//! `codeloom media`: link interview recordings to documents, list the links (and whether
//! each file is still where it was), unlink them, and set sync points that tie a turn to
//! a time. The work is done by [`codeloom::media`] and the store.

use super::{Common, open, open_read_only, print_json};
use anyhow::{Result, bail};
use clap::Subcommand;
use codeloom::Project;
use codeloom::media::fingerprint::Whereabouts;
use codeloom::media::link;
use codeloom::media::sync::Timeline;
use codeloom::model::time;
use codeloom::store::media_ops::SyncPoint;
use serde_json::json;
use std::path::{Path, PathBuf};

#[derive(Subcommand, Debug)]
pub enum MediaCommand {
    /// Link a recording (.wav .mp3 .m4a .aac .flac .ogg, or the sound of .mp4 .mov .mkv .webm) to a document.
    Link {
        project: PathBuf,
        /// The document (its name or ID).
        doc: String,
        file: PathBuf,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        common: Common,
    },
    /// Remove a document's recording link (the file is not touched).
    Unlink {
        project: PathBuf,
        doc: String,
        #[command(flatten)]
        common: Common,
    },
    /// List the linked recordings and whether each file is still where it was.
    List {
        project: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Show a document's turn times, or set or remove a sync point (a turn's start at a time).
    Sync {
        project: PathBuf,
        doc: String,
        /// The turn, counting from 1 as `codeloom media sync PROJECT DOC` lists them.
        #[arg(long, conflicts_with = "char")]
        turn: Option<usize>,
        /// A character position instead of a turn.
        #[arg(long)]
        char: Option<usize>,
        /// The time: M:SS, M:SS.s, H:MM:SS or seconds (for example 12:34.5).
        #[arg(long, conflicts_with = "remove")]
        at: Option<String>,
        /// Remove the sync point at that turn or character.
        #[arg(long)]
        remove: bool,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        common: Common,
    },
    /// Measure the recording scenarios of `codeloom bench` alone (seek, start, overview); prints JSON.
    Bench {
        /// A 5-minute recording instead of a 2-hour one.
        #[arg(long)]
        quick: bool,
        #[arg(long, default_value_t = 20261123)]
        seed: u64,
        /// Measure on this recording instead of making one.
        #[arg(long, conflicts_with = "quick")]
        file: Option<PathBuf>,
    },
}

/// Runs a `media` subcommand.
pub fn run(command: MediaCommand) -> Result<()> {
    match command {
        MediaCommand::Link { project, doc, file, json, common } => link_one(&project, &doc, &file, json, &common),
        MediaCommand::Unlink { project, doc, common } => {
            let mut p = open(&project, Some(&common))?;
            let id = p.resolve_document(&doc)?;
            p.unlink_recording(&id)?;
            println!("unlinked the recording of {doc}");
            Ok(())
        }
        MediaCommand::List { project, json } => list(&project, json),
        MediaCommand::Bench { quick, seed, file } => {
            let progress = &mut |m: &str| eprintln!("measuring {m} ...");
            let m = match file {
                Some(f) => codeloom::bench::media::measure_file(&f, seed, progress)?,
                None => codeloom::bench::media::measure(tempfile::tempdir()?.path(), quick, seed, progress)?,
            };
            print_json(&m)
        }
        MediaCommand::Sync { project, doc, turn, char, at, remove, json, common } => {
            let place = match (turn, char) {
                (Some(t), _) => Some(Place::Turn(t)),
                (None, Some(c)) => Some(Place::Char(c)),
                (None, None) => None,
            };
            match (place, at, remove) {
                (None, None, false) => show_times(&project, &doc, json),
                (None, _, _) => bail!("say where: --turn N (from 1) or --char N"),
                (Some(_), None, false) => bail!("say when with --at TIME (such as 12:34.5), or --remove"),
                (Some(place), at, _) => set_sync(&project, &doc, place, at.as_deref(), &common),
            }
        }
    }
}

/// Parses a time given on the command line into milliseconds.
pub fn parse_time(s: &str) -> Result<u64> {
    let t = s.trim();
    if let Some(ms) = time::parse_clock(t) {
        return Ok(ms);
    }
    let plain = t.strip_suffix('s').unwrap_or(t);
    match plain.parse::<f64>() {
        Ok(secs) if (0.0..1e7).contains(&secs) && !plain.contains(['e', 'E']) => Ok((secs * 1000.0).round() as u64),
        _ => bail!("bad time \"{s}\": write it as M:SS, M:SS.s, H:MM:SS or seconds (for example 12:34.5)"),
    }
}

fn link_one(project: &Path, doc: &str, file: &Path, json: bool, common: &Common) -> Result<()> {
    let mut p = open(project, Some(common))?;
    let id = p.resolve_document(doc)?;
    let rec = link::link_file(&mut p, &id, file)?;
    if json {
        return print_json(&rec);
    }
    let length = rec.duration_ms.map(time::format_clock).unwrap_or_else(|| "length unknown".into());
    let place = if rec.relative { "inside the project's folder" } else { "outside the project's folder" };
    println!("linked {} to {} ({length}, {}, {place})", file.display(), rec.document, rec.format);
    if rec.has_video {
        println!("  the file holds video: its sound plays; the picture is not shown yet");
    }
    Ok(())
}

fn list(project: &Path, json: bool) -> Result<()> {
    let p = open_read_only(project)?;
    let mut rows = Vec::new();
    for rec in p.recordings()? {
        let (status, found) = match link::whereabouts(project, &rec) {
            Whereabouts::Found(f) => ("ok", Some(f)),
            Whereabouts::Moved(f) => ("moved", Some(f)),
            Whereabouts::Replaced(f) => ("replaced", Some(f)),
            Whereabouts::Missing(f) => ("missing", Some(f)),
        };
        rows.push((rec, status, found));
    }
    if json {
        let list: Vec<_> = rows
            .iter()
            .map(|(rec, status, found)| json!({"recording": rec, "status": status, "file": found}))
            .collect();
        return print_json(&list);
    }
    if rows.is_empty() {
        println!("no recordings are linked; link one with: codeloom media link PROJECT DOC FILE");
    }
    for (rec, status, found) in rows {
        let length = rec.duration_ms.map(time::format_clock).unwrap_or_else(|| "-".into());
        let file = found.map(|f| f.display().to_string()).unwrap_or_default();
        let note = match status {
            "moved" => format!(
                "  moved: found at {file}; record it with: codeloom media link PROJECT \"{}\" \"{file}\"",
                rec.document
            ),
            "replaced" => format!(
                "  another file is at {file} now; locate the recording with: codeloom media link PROJECT \"{}\" FILE",
                rec.document
            ),
            "missing" => format!(
                "  missing: not at {file}; locate it with: codeloom media link PROJECT \"{}\" FILE",
                rec.document
            ),
            _ => String::new(),
        };
        let video = if rec.has_video { " (video: sound only)" } else { "" };
        println!("{:<28} {:<8} {:>8}  {}{video}{note}", rec.document, status, length, rec.path);
    }
    Ok(())
}

enum Place {
    /// A turn, counted from 1.
    Turn(usize),
    Char(usize),
}

fn position_of(p: &Project, id: &str, doc: &str, place: &Place) -> Result<usize> {
    match *place {
        Place::Char(c) => Ok(c),
        Place::Turn(n) => {
            let turns = p.turns(id)?;
            match n.checked_sub(1).and_then(|i| turns.get(i)) {
                Some(t) => Ok(t.start),
                None => bail!("{doc} has {} turns; there is no turn {n} (turns count from 1)", turns.len()),
            }
        }
    }
}

fn set_sync(project: &Path, doc: &str, place: Place, at: Option<&str>, common: &Common) -> Result<()> {
    let when = at.map(parse_time).transpose()?;
    let mut p = open(project, Some(common))?;
    let id = p.resolve_document(doc)?;
    let position = position_of(&p, &id, doc, &place)?;
    match when {
        Some(time_ms) => {
            p.set_sync_point(&id, SyncPoint { position, time_ms })?;
            println!("synced {doc} at character {position} to {}", clock_ms(time_ms));
        }
        None => {
            let points = p.sync_points(&id)?;
            let Some(point) = points.iter().find(|s| s.point.position == position) else {
                bail!("{doc} has no sync point at character {position}");
            };
            p.remove_sync_point(&point.id)?;
            println!("removed the sync point of {doc} at character {position}");
        }
    }
    Ok(())
}

fn clock_ms(ms: u64) -> String {
    format!("{}.{}", time::format_clock(ms), (ms % 1000) / 100)
}

fn show_times(project: &Path, doc: &str, json: bool) -> Result<()> {
    let p = open_read_only(project)?;
    let id = p.resolve_document(doc)?;
    let d = p.document(&id)?;
    let turns = p.turns(&id)?;
    let points: Vec<SyncPoint> = p.sync_points(&id)?.into_iter().map(|s| s.point).collect();
    let duration = p.recording(&id)?.and_then(|r| r.duration_ms);
    let timeline = Timeline::new(&turns, &points, d.char_count, duration);
    if json {
        let list: Vec<_> = turns
            .iter()
            .enumerate()
            .map(|(i, t)| {
                json!({"turn": i + 1, "speaker": t.speaker, "position": t.start, "time_ms": timeline.time_at(t.start),
                       "sync_point": points.iter().any(|s| s.position == t.start)})
            })
            .collect();
        return print_json(&json!({"basis": timeline.basis(), "turns": list, "sync_points": points}));
    }
    println!("times of {} ({:?})", d.name, timeline.basis());
    for (i, t) in turns.iter().enumerate() {
        let mark = if points.iter().any(|s| s.position == t.start) { "  (sync point)" } else { "" };
        println!(
            "{:>5}  {:>9}  {}{mark}",
            i + 1,
            clock_ms(timeline.time_at(t.start)),
            t.speaker.as_deref().unwrap_or("-")
        );
    }
    Ok(())
}
