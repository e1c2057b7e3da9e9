//! Markdown writer: a [`Layout`] to GitHub-flavoured Markdown (pipe tables; several
//! paragraphs in one cell are joined with `<br><br>`).

use super::layout::{Block, Layout, Para, Run};

/// Writes `layout` as Markdown.
pub fn write(layout: &Layout) -> String {
    let mut out = String::new();
    for block in &layout.blocks {
        match block {
            Block::Heading { level, text } => {
                out.push_str(&"#".repeat((*level).clamp(1, 6) as usize));
                out.push(' ');
                out.push_str(&escape(text));
                out.push_str("\n\n");
            }
            Block::Paragraph(p) => {
                out.push_str(&para(p));
                out.push_str("\n\n");
            }
            Block::Table(t) => {
                let cols = t.header.len().max(1);
                out.push('|');
                for h in &t.header {
                    out.push_str(&format!(" {} |", cell_text(&escape(h))));
                }
                out.push_str("\n|");
                for _ in 0..cols {
                    out.push_str(" --- |");
                }
                out.push('\n');
                for row in &t.rows {
                    out.push('|');
                    for i in 0..cols {
                        let text = row
                            .get(i)
                            .map(|c| c.paragraphs.iter().map(para).collect::<Vec<_>>().join("<br><br>"))
                            .unwrap_or_default();
                        out.push_str(&format!(" {} |", cell_text(&text)));
                    }
                    out.push('\n');
                }
                out.push('\n');
            }
        }
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

fn para(p: &Para) -> String {
    let text: String = p.runs.iter().map(run).collect();
    if p.note { format!("<small>{text}</small>") } else { text }
}

fn run(r: &Run) -> String {
    let t = escape(&r.text);
    // Emphasis markers must touch the text, so leading and trailing spaces stay outside.
    let core = t.trim();
    if core.is_empty() || (!r.italic && !r.bold) {
        return t;
    }
    let lead = &t[..t.len() - t.trim_start().len()];
    let trail = &t[t.trim_end().len()..];
    let mark = match (r.bold, r.italic) {
        (true, true) => "***",
        (true, false) => "**",
        _ => "*",
    };
    format!("{lead}{mark}{core}{mark}{trail}")
}

/// Keeps table cells on one line.
fn cell_text(s: &str) -> String {
    s.replace("\r\n", "\n").replace('\n', "<br>")
}

/// Escapes the characters Markdown would read as formatting.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in crate::export::xml_safe(s).chars() {
        match c {
            '\\' | '|' | '*' | '_' | '`' | '#' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::layout::{Cell, Table};

    #[test]
    fn tables_escape_pipes_and_keep_cells_on_one_line() {
        let layout = Layout {
            title: "t".into(),
            landscape: false,
            blocks: vec![
                Block::Heading { level: 2, text: "A | B".into() },
                Block::Table(Table {
                    header: vec!["Code".into(), "Quotes".into()],
                    widths: vec![],
                    rows: vec![vec![
                        Cell::bold("Pacing"),
                        Cell {
                            paragraphs: vec![
                                Para { runs: vec![Run::italic("“one *two*”"), Run::plain(" [P01]")], note: false },
                                Para::plain("line\nbreak <b>"),
                            ],
                        },
                    ]],
                }),
            ],
        };
        let md = write(&layout);
        assert_eq!(
            md,
            "## A \\| B\n\n| Code | Quotes |\n| --- | --- |\n| **Pacing** | *“one \\*two\\*”* [P01]<br><br>line<br>break &lt;b&gt; |\n"
        );
    }
}
