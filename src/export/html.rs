//! HTML writer: a [`Layout`] to one self-contained HTML5 page (inline style, every text
//! escaped).

use super::layout::{Block, Layout, Para};

/// Writes `layout` as an HTML page.
pub fn write(layout: &Layout) -> String {
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>");
    out.push_str(&escape(&layout.title));
    out.push_str("</title>\n<style>\n");
    out.push_str(
        "body { font-family: Georgia, 'Times New Roman', serif; max-width: 70rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.4; }\n\
         table { border-collapse: collapse; width: 100%; margin: 0.5rem 0 1.5rem; }\n\
         th, td { border: 1px solid #999; padding: 0.4rem 0.5rem; vertical-align: top; text-align: left; }\n\
         th { background: #eee; }\n\
         td p { margin: 0 0 0.6rem; }\n\
         p.note { font-size: 0.85rem; color: #555; }\n",
    );
    out.push_str("</style>\n</head>\n<body>\n");
    for block in &layout.blocks {
        match block {
            Block::Heading { level, text } => {
                let l = (*level).clamp(1, 6);
                out.push_str(&format!("<h{l}>{}</h{l}>\n", escape(text)));
            }
            Block::Paragraph(p) => {
                out.push_str(&para(p));
                out.push('\n');
            }
            Block::Table(t) => {
                out.push_str("<table>\n<thead><tr>");
                for h in &t.header {
                    out.push_str(&format!("<th>{}</th>", escape(h)));
                }
                out.push_str("</tr></thead>\n<tbody>\n");
                for row in &t.rows {
                    out.push_str("<tr>");
                    for i in 0..t.header.len() {
                        out.push_str("<td>");
                        if let Some(c) = row.get(i) {
                            for p in &c.paragraphs {
                                out.push_str(&para(p));
                            }
                        }
                        out.push_str("</td>");
                    }
                    out.push_str("</tr>\n");
                }
                out.push_str("</tbody>\n</table>\n");
            }
        }
    }
    out.push_str("</body>\n</html>\n");
    out
}

fn para(p: &Para) -> String {
    let mut s = String::from(if p.note { "<p class=\"note\">" } else { "<p>" });
    for r in &p.runs {
        let mut t = escape(&r.text).replace('\n', "<br>");
        if r.italic {
            t = format!("<em>{t}</em>");
        }
        if r.bold {
            t = format!("<strong>{t}</strong>");
        }
        s.push_str(&t);
    }
    s.push_str("</p>");
    s
}

/// Escapes text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in crate::export::xml_safe(s).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::layout::{Cell, Run, Table};

    #[test]
    fn escapes_everything_it_writes() {
        let layout = Layout {
            title: "<script>alert('x')</script>".into(),
            landscape: false,
            blocks: vec![Block::Table(Table {
                header: vec!["A & B".into()],
                widths: vec![],
                rows: vec![vec![Cell {
                    paragraphs: vec![Para {
                        runs: vec![Run::italic("“a < b”"), Run::plain(" \"x\"")], note: false
                    }],
                }]],
            })],
        };
        let html = write(&layout);
        assert!(html.contains("<title>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;</title>"), "{html}");
        assert!(html.contains("<th>A &amp; B</th>"));
        assert!(html.contains("<td><p><em>“a &lt; b”</em> &quot;x&quot;</p></td>"));
        assert!(!html.contains("<script>"));
    }
}
