//! The architecture the code keeps, checked on its source (ARCHITECTURE.md states each rule;
//! this test is how most of them are enforced):
//!
//! - Layers: model → store → import, search, codebook, agreement, export, interop → the
//!   library's top (demo, bench) → the binary (cli, ui). A module imports only modules of its
//!   own layer or below, never above.
//! - No cycles: no module imports one that imports it back, at the top level of the library
//!   and between the files inside each module.
//! - Only the store speaks SQL: no other library module names rusqlite or the store's
//!   connection.
//! - The command line and the window never import each other; the library never names a
//!   GUI or CLI crate (the compiler also checks this: the library builds without the `app`
//!   feature).
//! - No production function is longer than 150 lines.
//! - No table deletes in cascade: an operation deletes dependent rows itself, so undo can
//!   restore them.
//! - No network access, ever: no HTTP client crate is built into Codeloom (Cargo.lock names
//!   none), so neither a model nor anything else can be downloaded.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The library's modules, lowest layer first; a module may use its own layer and those below.
const LAYERS: &[&[&str]] = &[
    &["model"],
    &["error", "output", "guard", "settings"],
    &["store"],
    &["import", "search", "codebook", "agreement", "export", "interop", "media", "suggest"],
    &["demo", "bench"],
];

const LONGEST_FUNCTION: usize = 150;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// The source without comments and string contents, so that a word in a doc comment or a
/// message is not taken for a use of a module.
fn code_only(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let b: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < b.len() {
        if b[i] == '/' && b.get(i + 1) == Some(&'/') {
            while i < b.len() && b[i] != '\n' {
                i += 1;
            }
        } else if b[i] == '/' && b.get(i + 1) == Some(&'*') {
            i += 2;
            while i + 1 < b.len() && !(b[i] == '*' && b[i + 1] == '/') {
                i += 1;
            }
            i += 2;
        } else if b[i] == 'r' && b.get(i + 1) == Some(&'#') && b.get(i + 2) == Some(&'"') {
            // A raw string r#"..."#.
            i += 3;
            while i + 1 < b.len() && !(b[i] == '"' && b[i + 1] == '#') {
                if b[i] == '\n' {
                    out.push('\n');
                }
                i += 1;
            }
            i += 2;
            out.push_str("\"\"");
        } else if b[i] == '"' {
            i += 1;
            while i < b.len() && b[i] != '"' {
                if b[i] == '\\' {
                    i += 1;
                }
                if b.get(i) == Some(&'\n') {
                    out.push('\n');
                }
                i += 1;
            }
            i += 1;
            out.push_str("\"\"");
        } else if b[i] == '\'' && b.get(i + 2) == Some(&'\'') {
            // A char literal such as '"'.
            out.push_str("' '");
            i += 3;
        } else if b[i] == '\'' && b.get(i + 1) == Some(&'\\') {
            while i < b.len() && !(b[i] == '\'' && i > 1 && b[i - 1] != '\\' && out.ends_with('\\')) {
                i += 1;
                if b.get(i) == Some(&'\'') {
                    i += 1;
                    break;
                }
            }
            out.push_str("' '");
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    out
}

/// The top-level library module a source file belongs to (`src/store/ops.rs` → `store`).
fn top_module(file: &Path) -> Option<String> {
    let rel = file.strip_prefix(Path::new(ROOT).join("src")).ok()?;
    let first = rel.components().next()?.as_os_str().to_string_lossy().into_owned();
    Some(first.trim_end_matches(".rs").to_string())
}

/// The top-level modules a file's code names through `crate::X`.
fn crate_uses(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (i, _) in code.match_indices("crate::") {
        let before = code[..i].chars().last();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let rest = &code[i + "crate::".len()..];
        let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
        if !name.is_empty() {
            out.insert(name);
        }
        if let Some(group) = rest.strip_prefix('{') {
            let group: String = group.chars().take_while(|c| *c != '}').collect();
            for part in group.split(',') {
                let name: String = part.trim().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                if !name.is_empty() {
                    out.insert(name);
                }
            }
        }
    }
    out
}

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

/// The library's production source files with their code (comments, strings and test
/// modules removed: a test may build its fixtures with a higher layer).
fn library_files() -> Vec<(PathBuf, String)> {
    let mut files = Vec::new();
    rust_files(&Path::new(ROOT).join("src"), &mut files);
    files
        .into_iter()
        .filter(|f| top_module(f).is_some_and(|m| !["cli", "ui", "main", "lib"].contains(&m.as_str())))
        .filter(|f| {
            let name = f.file_name().unwrap().to_string_lossy();
            name != "tests.rs" && !name.ends_with("_tests.rs")
        })
        .map(|f| {
            let code = code_only(&without_test_modules(&std::fs::read_to_string(&f).unwrap()));
            (f, code)
        })
        .collect()
}

/// The text without its `#[cfg(test)] mod … { … }` blocks.
fn without_test_modules(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let trimmed = line.trim_start();
        if trimmed.starts_with("#[cfg(test)]") && lines.get(i + 1).is_some_and(|l| l.trim_start().starts_with("mod ")) {
            let indent = &line[..line.len() - trimmed.len()];
            if lines[i + 1].trim_end().ends_with('{') {
                i = (i + 1..lines.len()).find(|&k| lines[k] == format!("{indent}}}")).unwrap_or(lines.len()) + 1;
            } else {
                i += 2;
            }
            continue;
        }
        out.push_str(line);
        out.push('\n');
        i += 1;
    }
    out
}

fn rel(f: &Path) -> String {
    f.strip_prefix(ROOT).unwrap_or(f).display().to_string()
}

/// The cycles of a graph, as the nodes on each (depth-first search).
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    fn visit(
        n: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
        found: &mut Vec<Vec<String>>,
    ) {
        if let Some(at) = stack.iter().position(|s| s == n) {
            found.push(stack[at..].to_vec());
            return;
        }
        if done.contains(n) {
            return;
        }
        stack.push(n.to_string());
        for m in graph.get(n).into_iter().flatten() {
            visit(m, graph, stack, done, found);
        }
        stack.pop();
        done.insert(n.to_string());
    }
    let mut found = Vec::new();
    let mut done = BTreeSet::new();
    for n in graph.keys() {
        visit(n, graph, &mut Vec::new(), &mut done, &mut found);
    }
    found
}

#[test]
fn each_module_uses_only_its_layer_and_those_below() {
    let mut wrong = Vec::new();
    for (file, code) in library_files() {
        let module = top_module(&file).unwrap();
        let Some(own) = layer_of(&module) else {
            wrong.push(format!("{}: the module {module} has no layer in tests/architecture.rs", rel(&file)));
            continue;
        };
        for used in crate_uses(&code) {
            match layer_of(&used) {
                Some(l) if l > own => {
                    wrong.push(format!("{} ({module}) uses crate::{used}, a higher layer", rel(&file)))
                }
                _ => {}
            }
        }
    }
    assert!(wrong.is_empty(), "layering broken:\n{}", wrong.join("\n"));
}

#[test]
fn no_module_imports_one_that_imports_it_back() {
    // Between the library's top-level modules.
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    // Between the files inside each module (`store/ops.rs` → `store/queries.rs`).
    let mut inner: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (file, code) in library_files() {
        let module = top_module(&file).unwrap();
        for used in crate_uses(&code) {
            if used != module && layer_of(&used).is_some() {
                graph.entry(module.clone()).or_default().insert(used);
            }
        }
        let here = file_module(&file);
        for other in sibling_uses(&file, &code) {
            if other != here {
                inner.entry(here.clone()).or_default().insert(other);
            }
        }
    }
    let top = cycles(&graph);
    assert!(top.is_empty(), "modules that import each other: {top:?}");
    let within = cycles(&inner);
    assert!(within.is_empty(), "files that import each other: {within:?}");
}

/// `store::ops` for `src/store/ops.rs`; `store` for `src/store/mod.rs`.
fn file_module(file: &Path) -> String {
    let rel = file.strip_prefix(Path::new(ROOT).join("src")).unwrap();
    let mut parts: Vec<String> =
        rel.components().map(|c| c.as_os_str().to_string_lossy().trim_end_matches(".rs").to_string()).collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts.join("::")
}

/// The files of the same module a file names (`super::ops`, `crate::store::ops`).
fn sibling_uses(file: &Path, code: &str) -> BTreeSet<String> {
    let here = file_module(file);
    let top = here.split("::").next().unwrap_or_default().to_string();
    let parent = match here.rsplit_once("::") {
        Some((p, _)) if !file.ends_with("mod.rs") => p.to_string(),
        _ => here.clone(),
    };
    let mut out = BTreeSet::new();
    let mut named = |prefix: &str, base: &str| {
        for (i, _) in code.match_indices(prefix) {
            if code[..i].chars().last().is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            let rest = &code[i + prefix.len()..];
            let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if !name.is_empty() && name.chars().next().is_some_and(|c| c.is_lowercase()) {
                out.insert(format!("{base}::{name}"));
            }
        }
    };
    named("super::", &parent);
    named(&format!("crate::{top}::"), &top);
    // Grouped imports: `use super::{backup, locks};`.
    for (prefix, base) in [("super::{", parent.as_str()), (&*format!("crate::{top}::{{"), top.as_str())] {
        for (i, _) in code.match_indices(prefix) {
            let rest = &code[i + prefix.len()..];
            let inside = &rest[..rest.find('}').unwrap_or(0)];
            for name in inside.split(',').map(|n| n.trim().split("::").next().unwrap_or("").trim()) {
                if name.chars().next().is_some_and(|c| c.is_lowercase()) && name != "self" {
                    out.insert(format!("{base}::{name}"));
                }
            }
        }
    }
    // Only names that are files (modules), not items such as functions.
    out.retain(|m| {
        let path = Path::new(ROOT).join("src").join(m.replace("::", "/"));
        path.with_extension("rs").is_file() || path.join("mod.rs").is_file()
    });
    out
}

#[test]
fn only_the_store_speaks_sql() {
    let mut wrong = Vec::new();
    for (file, code) in library_files() {
        // The store, and the library's error type, which wraps the database's errors.
        if top_module(&file).as_deref() == Some("store") || file.ends_with("src/error.rs") {
            continue;
        }
        for needle in ["rusqlite", ".conn()", ".conn_mut()", "Connection"] {
            if code.contains(needle) {
                wrong.push(format!("{} names {needle}", rel(&file)));
            }
        }
    }
    assert!(wrong.is_empty(), "SQL outside the store:\n{}", wrong.join("\n"));
}

#[test]
fn the_command_line_and_the_window_never_import_each_other() {
    let mut wrong = Vec::new();
    for (dir, other) in [("src/cli", "ui"), ("src/ui", "cli")] {
        let mut files = Vec::new();
        rust_files(&Path::new(ROOT).join(dir), &mut files);
        for f in files {
            let code = code_only(&std::fs::read_to_string(&f).unwrap());
            if code.contains(&format!("crate::{other}")) || code.contains(&format!("super::{other}::")) {
                wrong.push(format!("{} uses {other}", rel(&f)));
            }
        }
    }
    for (file, code) in library_files() {
        for krate in ["egui", "eframe", "rfd", "clap", "indicatif", "anyhow"] {
            if code.contains(&format!("{krate}::")) || code.contains(&format!("use {krate}")) {
                wrong.push(format!("{} names the {krate} crate", rel(&file)));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// `(name, first line, lines)` of each function outside test code. rustfmt puts a
/// function's closing brace on a line of its own at the indentation of its `fn` line.
fn functions(text: &str) -> Vec<(String, usize, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let trimmed = line.trim_start();
        // Test modules (rustfmt keeps `mod tests {` after `#[cfg(test)]`) are skipped whole.
        if trimmed.starts_with("#[cfg(test)]") && lines.get(i + 1).is_some_and(|l| l.trim_start().starts_with("mod ")) {
            let indent = &line[..line.len() - trimmed.len()];
            let end = (i + 1..lines.len()).find(|&k| lines[k] == format!("{indent}}}")).unwrap_or(lines.len());
            i = end + 1;
            continue;
        }
        let words: Vec<&str> = trimmed.split_whitespace().collect();
        if let Some(at) = words.iter().position(|w| *w == "fn")
            && words[..at].iter().all(|w| {
                ["pub", "pub(crate)", "pub(super)", "const", "async", "unsafe"].contains(w) || w.starts_with("pub(")
            })
        {
            let name: String = words
                .get(at + 1)
                .map(|w| w.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect())
                .unwrap_or_default();
            let indent = &line[..line.len() - trimmed.len()];
            let mut j = i;
            while j < lines.len() && !lines[j].trim_end().ends_with('{') && !lines[j].trim_end().ends_with(';') {
                j += 1;
            }
            if j < lines.len()
                && lines[j].trim_end().ends_with('{')
                && !lines[j].trim_end().ends_with("{}")
                && let Some(end) = (j..lines.len()).find(|&k| lines[k] == format!("{indent}}}"))
            {
                out.push((name, i + 1, end - i + 1));
            }
        }
        i += 1;
    }
    out
}

#[test]
fn no_production_function_is_longer_than_150_lines() {
    let mut files = Vec::new();
    rust_files(&Path::new(ROOT).join("src"), &mut files);
    let mut long = Vec::new();
    for f in files {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        if name == "tests.rs" || name.ends_with("_tests.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        for (func, line, n) in functions(&text) {
            if n > LONGEST_FUNCTION {
                long.push(format!("{}:{line} {func}: {n} lines", rel(&f)));
            }
        }
    }
    assert!(long.is_empty(), "functions over {LONGEST_FUNCTION} lines:\n{}", long.join("\n"));
}

/// The checker itself: it finds what it should (a check that cannot fail checks nothing).
/// The lines of the schema's SQL and code, without its comments (which may name the rule).
fn without_comment_lines(text: &str) -> String {
    text.lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n").to_uppercase()
}

#[test]
fn no_table_deletes_in_cascade() {
    let schema = std::fs::read_to_string(Path::new(ROOT).join("src/store/schema.rs")).expect("read the schema");
    assert!(
        !without_comment_lines(&schema).contains("CASCADE"),
        "src/store/schema.rs deletes in cascade; delete dependent rows through the writer"
    );
    // The check sees SQL in strings, and not a comment that names the rule.
    assert!(without_comment_lines("let s = \"FOREIGN KEY ... ON DELETE CASCADE\";").contains("CASCADE"));
    assert!(!without_comment_lines("    //! never ON DELETE CASCADE").contains("CASCADE"));
}

/// HTTP clients and the crates that download models; none may be in the build.
const NETWORK_CRATES: &[&str] = &["reqwest", "ureq", "hyper", "hf-hub", "attohttpc", "curl", "isahc", "surf", "ehttp"];

/// The packages Cargo.lock names.
fn locked_packages(lock: &str) -> BTreeSet<String> {
    lock.lines().filter_map(|l| l.strip_prefix("name = \"")?.strip_suffix('"')).map(str::to_string).collect()
}

#[test]
fn no_http_client_is_built_in() {
    let lock = std::fs::read_to_string(Path::new(ROOT).join("Cargo.lock")).unwrap();
    let packages = locked_packages(&lock);
    assert!(packages.contains("tokenizers") && packages.contains("safetensors"), "the lock file is read");
    let found: Vec<&&str> = NETWORK_CRATES.iter().filter(|c| packages.contains(**c)).collect();
    assert!(found.is_empty(), "Codeloom never uses the network, but Cargo.lock has {found:?}");
    assert_eq!(
        locked_packages("[[package]]\nname = \"ureq\"\nversion = \"2\"\n"),
        BTreeSet::from(["ureq".to_string()])
    );
}

#[test]
fn the_checks_see_what_they_look_for() {
    let code = code_only("use crate::store::ops; // crate::ui\nlet s = \"crate::cli\";\nuse crate::{model, error};");
    assert_eq!(crate_uses(&code), ["error", "model", "store"].iter().map(|s| s.to_string()).collect());
    let text = "fn short() {\n    a();\n}\n\nimpl X {\n    pub fn long(&self) -> u8 {\n".to_string()
        + &"        x();\n".repeat(160)
        + "    }\n}\n#[cfg(test)]\nmod tests {\n    fn ignored() {\n"
        + &"        y();\n".repeat(200)
        + "    }\n}\n";
    let found = functions(&text);
    assert_eq!(found.iter().map(|f| (f.0.as_str(), f.2)).collect::<Vec<_>>(), [("short", 3), ("long", 162)]);
    let mut g = BTreeMap::new();
    g.insert("a".to_string(), ["b".to_string()].into_iter().collect());
    g.insert("b".to_string(), ["a".to_string()].into_iter().collect::<BTreeSet<_>>());
    assert_eq!(cycles(&g).len(), 1);
}
