//! The audit trail for a methods section: every change to the project from the
//! operation log (who, when, what), as CSV or Markdown, optionally only the changes to
//! the codebook.

use crate::error::Result;
use crate::model::time::format_timestamp;
use crate::store::log::LogEntry;

/// Operation kinds that change the codebook (codes and versions), as opposed to
/// documents, codings or attributes.
pub const CODEBOOK_KINDS: &[&str] = &[
    "create_code",
    "update_code",
    "delete_code",
    "merge_codes",
    "split_code",
    "move_code",
    "save_codebook_version",
    "import_codebook",
    "merge_copy",
    "reconcile_codebook",
];

/// Whether an entry changed the codebook (undo and redo of such entries included).
pub fn is_codebook_change(entry: &LogEntry, all: &[LogEntry]) -> bool {
    let kind = match entry.target_seq {
        Some(t) if entry.state == "marker" => all.iter().find(|e| e.seq == t).map(|e| e.kind.as_str()).unwrap_or(""),
        _ => entry.kind.as_str(),
    };
    CODEBOOK_KINDS.contains(&kind)
}

fn status(e: &LogEntry) -> &str {
    match e.state.as_str() {
        "applied" | "marker" => "",
        "undone" => "undone",
        "discarded" => "undone and discarded",
        other => other,
    }
}

/// The entries as CSV: seq, time (UTC), coder, kind, change, status.
pub fn audit_csv(entries: &[LogEntry]) -> Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| crate::Error::Invalid(format!("cannot write the audit trail: {e}"));
    w.write_record(["seq", "time_utc", "coder", "kind", "change", "status"]).map_err(fail)?;
    for e in entries {
        w.write_record([
            e.seq.to_string(),
            format_timestamp(e.created_at_ms),
            e.coder.clone(),
            e.kind.clone(),
            e.summary.clone(),
            status(e).to_string(),
        ])
        .map_err(fail)?;
    }
    let bytes = w.into_inner().map_err(|e| crate::Error::Invalid(format!("cannot write the audit trail: {e}")))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// The entries as a Markdown table under a heading.
pub fn audit_markdown(title: &str, entries: &[LogEntry]) -> String {
    let mut out = format!("# {}\n\n", cell(title));
    out.push_str(&format!("{} changes.\n\n", entries.len()));
    out.push_str("| # | Time (UTC) | Coder | Change | Status |\n|---:|---|---|---|---|\n");
    for e in entries {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            e.seq,
            format_timestamp(e.created_at_ms),
            cell(&e.coder),
            cell(&e.summary),
            status(e)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(seq: i64, kind: &str, summary: &str, state: &str, target: Option<i64>) -> LogEntry {
        LogEntry {
            seq,
            id: seq.to_string(),
            kind: kind.into(),
            summary: summary.into(),
            payload: serde_json::Value::Null,
            coder: "amara".into(),
            created_at_ms: 1_700_000_000_000,
            state: state.into(),
            target_seq: target,
        }
    }

    #[test]
    fn csv_and_markdown_escape_and_mark_state() {
        let all = vec![
            entry(1, "create_code", "Create code Pacing, \"slow\"", "undone", None),
            entry(2, "undo", "Undo: Create code | x", "marker", Some(1)),
            entry(3, "apply_coding", "Code A", "applied", None),
        ];
        let csv = audit_csv(&all).unwrap();
        assert!(csv.starts_with("seq,time_utc,coder,kind,change,status\n"));
        assert!(
            csv.contains("1,2023-11-14T22:13:20Z,amara,create_code,\"Create code Pacing, \"\"slow\"\"\",undone\n"),
            "{csv}"
        );
        let md = audit_markdown("Audit", &all);
        assert!(md.contains("| 2 | 2023-11-14T22:13:20Z | amara | Undo: Create code \\| x |  |"), "{md}");
        let codebook: Vec<i64> = all.iter().filter(|e| is_codebook_change(e, &all)).map(|e| e.seq).collect();
        assert_eq!(codebook, [1, 2]);
    }
}
