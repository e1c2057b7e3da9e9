//! The `codebook`, `code`, `copy` and `merge` subcommands: the code tree, its versions,
//! diffs, history, import and export, reshaping codes, and coders' copies.

use super::{Common, open, open_read_only, print_json};
use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use codeloom::Project;
use codeloom::codebook::diff::{self, CodebookDiff};
use codeloom::codebook::merge::{self, Choice, ConflictKind};
use codeloom::codebook::{history, reconcile, versions};
use codeloom::model::{CodeDescription, offsets::CharSlicer, time};
use codeloom::output::{self, Protect};
use codeloom::store::code_ops::SplitPart;
use codeloom::store::ops::{CodeChanges, NewCode, NewCoding};
use codeloom::store::queries::CodingFilter;
use serde_json::json;
use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

#[derive(Subcommand, Debug)]
pub enum CodeCommand {
    /// Add a code to the codebook.
    Add {
        project: PathBuf,
        name: String,
        /// Parent code (name, path or ID).
        #[arg(long)]
        parent: Option<String>,
        /// Definition of the code.
        #[arg(long)]
        description: Option<String>,
        /// Colour as #rrggbb.
        #[arg(long)]
        color: Option<String>,
        #[command(flatten)]
        common: Common,
    },
    /// Apply a code to a range [start, end) of a document (character offsets).
    Apply {
        project: PathBuf,
        #[arg(long)]
        doc: String,
        #[arg(long)]
        start: usize,
        #[arg(long)]
        end: usize,
        #[arg(long)]
        code: String,
        /// The coder (default: --as, $CODELOOM_CODER, $USER).
        #[arg(long)]
        coder: Option<String>,
        #[arg(long)]
        memo: Option<String>,
        /// Star the coding as an illustrative quote.
        #[arg(long)]
        star: bool,
        #[command(flatten)]
        common: Common,
    },
    /// Rename a code (name, path or ID).
    Rename {
        project: PathBuf,
        code: String,
        new_name: String,
        #[command(flatten)]
        common: Common,
    },
    /// Change a code's definition, inclusion and exclusion criteria, example or colour.
    Redefine {
        project: PathBuf,
        code: String,
        #[arg(long)]
        definition: Option<String>,
        #[arg(long)]
        inclusion: Option<String>,
        #[arg(long)]
        exclusion: Option<String>,
        #[arg(long)]
        example: Option<String>,
        /// Colour as #rrggbb.
        #[arg(long)]
        color: Option<String>,
        #[command(flatten)]
        common: Common,
    },
    /// Move a code under another code, or to the top level.
    Move {
        project: PathBuf,
        code: String,
        /// The new parent (name, path or ID).
        #[arg(long, conflicts_with = "top")]
        parent: Option<String>,
        /// Move it to the top level.
        #[arg(long)]
        top: bool,
        /// Place among its new siblings (0 = first; default: last).
        #[arg(long)]
        position: Option<usize>,
        #[command(flatten)]
        common: Common,
    },
    /// Merge codes into one: codings reassigned, duplicate spans joined, memos kept.
    Merge {
        project: PathBuf,
        #[arg(required = true)]
        codes: Vec<String>,
        /// The code they are merged into.
        #[arg(long)]
        into: String,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        common: Common,
    },
    /// Split a code into new codes. With --list, print its codings with their text and IDs.
    Split(SplitArgs),
    /// Delete a code with its child codes; its codings go too, only with --yes.
    Delete {
        project: PathBuf,
        code: String,
        /// Confirm deleting the codings as well.
        #[arg(long)]
        yes: bool,
        #[command(flatten)]
        common: Common,
    },
}

/// `codeloom code split`.
#[derive(Args, Debug)]
pub struct SplitArgs {
    project: PathBuf,
    code: String,
    /// Print the code's codings (ID, document, text) to choose from, and change nothing.
    #[arg(long)]
    list: bool,
    /// A new code (repeatable).
    #[arg(long = "part", value_name = "NAME")]
    parts: Vec<String>,
    /// Give a coding to a new code: CODING_ID=NAME (repeatable).
    #[arg(long = "assign", value_name = "CODING_ID=NAME")]
    assign: Vec<String>,
    /// A JSON file: [{"name": ..., "codings": [IDs], "description": {...}}, ...].
    #[arg(long)]
    plan: Option<PathBuf>,
    /// Remove the original code (every coding must go to a new code).
    #[arg(long)]
    remove_original: bool,
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    common: Common,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ExportFormat {
    Json,
    Qdc,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum AuditFormat {
    Csv,
    Markdown,
}

#[derive(Subcommand, Debug)]
pub enum CodebookCommand {
    /// Show the code tree with counts (now, or as a saved version was).
    Show {
        project: PathBuf,
        /// A saved version (name or ID).
        #[arg(long)]
        version: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Add the codes of a codebook file: Codeloom JSON, or REFI-QDA .qdc.
    Import {
        project: PathBuf,
        file: PathBuf,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        common: Common,
    },
    /// Write the codebook (now, or a saved version) as Codeloom JSON or REFI-QDA .qdc.
    Export {
        project: PathBuf,
        #[arg(long, value_enum)]
        format: ExportFormat,
        #[arg(long)]
        out: PathBuf,
        #[arg(long)]
        version: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Save the code tree as a named version; codings made from now on record it.
    Version {
        project: PathBuf,
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "")]
        note: String,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        common: Common,
    },
    /// List the saved versions with their notes and codings.
    Versions {
        project: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Every change to the project (who, when, what); --format writes an audit trail.
    History {
        project: PathBuf,
        /// Only changes to the codebook.
        #[arg(long)]
        codebook_only: bool,
        #[arg(long, value_enum)]
        format: Option<AuditFormat>,
        /// Write the audit trail here instead of printing it.
        #[arg(long)]
        out: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// What changed between two versions ("current" is the tree now), or between this
    /// project's codebook and another project file's (a coder's copy).
    Diff {
        project: PathBuf,
        /// A version name or ID, "current", or another project file.
        old: String,
        /// A version name or ID, "current", or another project file.
        new: String,
        #[arg(long)]
        json: bool,
    },
    /// Match a separately built codebook (another project file) to this one: prints
    /// suggestions; --accept applies them, --decisions FILE applies your own.
    Reconcile {
        project: PathBuf,
        other: PathBuf,
        /// Accept every suggestion (codes without one are added).
        #[arg(long)]
        accept: bool,
        /// A JSON file: {"OTHER_CODE_ID": {"action": "match", "code_id": ID} | {"action": "add"} | {"action": "skip"}}.
        #[arg(long)]
        decisions: Option<PathBuf>,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        common: Common,
    },
}

#[derive(Args, Debug)]
pub struct CopyArgs {
    pub project: PathBuf,
    /// The coder the copy is for.
    #[arg(long)]
    pub coder: String,
    #[arg(long)]
    pub out: PathBuf,
    /// Leave out the other coders' codings and memos.
    #[arg(long)]
    pub blind: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Resolve {
    /// Keep the project's version.
    Ours,
    /// Take the copy's version.
    Theirs,
    /// Ask for each conflict on the terminal.
    Ask,
}

#[derive(Args, Debug)]
pub struct MergeArgs {
    pub project: PathBuf,
    /// Coders' copies made with `codeloom copy`.
    #[arg(required = true)]
    pub copies: Vec<PathBuf>,
    /// How to resolve conflicts not settled by --resolutions.
    #[arg(long, value_enum)]
    pub resolve: Option<Resolve>,
    /// A JSON file: [{"code_id": ..., "kind": "renamed"|"moved"|"redefined"|"recoloured"|"deleted_in_project"|"deleted_in_copy", "choice": "project"|"copy"}].
    #[arg(long)]
    pub resolutions: Option<PathBuf>,
    /// Show what would happen, change nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub common: Common,
}

fn depth_of(codes: &[codeloom::model::Code], c: &codeloom::model::Code) -> usize {
    let mut d = 0;
    let mut cur = c.parent_id.clone();
    while let Some(pid) = cur {
        d += 1;
        cur = codes.iter().find(|x| x.id == pid).and_then(|x| x.parent_id.clone());
        if d > 64 {
            break;
        }
    }
    d
}

/// Runs a `code` subcommand.
pub fn run_code(command: CodeCommand) -> Result<()> {
    match command {
        CodeCommand::Add { project, name, parent, description, color, common } => {
            let mut p = open(&project, Some(&common))?;
            let parent_id = parent.map(|x| p.resolve_code(&x)).transpose()?;
            let id = p.create_code(NewCode {
                id: None,
                name: name.clone(),
                parent_id,
                color,
                description: CodeDescription { definition: description.unwrap_or_default(), ..Default::default() },
            })?;
            println!("created code {name} ({id})");
        }
        CodeCommand::Apply { project, doc, start, end, code, coder, memo, star, common } => {
            let mut p = open(&project, Some(&common))?;
            let document_id = p.resolve_document(&doc)?;
            let code_id = p.resolve_code(&code)?;
            let coder = match coder {
                Some(c) => codeloom::store::default_coder(Some(&c))?,
                None => p.coder().to_string(),
            };
            let applied = p.apply_coding(NewCoding {
                document_id,
                start,
                end,
                code_id,
                coder: Some(coder),
                memo,
                illustrative: star,
            })?;
            match applied.notice() {
                Some(notice) => println!("{notice} (coding {})", applied.id),
                None => println!("applied coding {}", applied.id),
            }
        }
        CodeCommand::Rename { project, code, new_name, common } => {
            let mut p = open(&project, Some(&common))?;
            let id = p.resolve_code(&code)?;
            let old = p.code(&id)?.name;
            p.update_code(&id, CodeChanges { name: Some(new_name.clone()), ..Default::default() })?;
            println!("renamed {old} to {} ({id})", new_name.trim());
        }
        CodeCommand::Redefine { project, code, definition, inclusion, exclusion, example, color, common } => {
            let mut p = open(&project, Some(&common))?;
            let id = p.resolve_code(&code)?;
            let c = p.code(&id)?;
            let mut d = c.description.clone();
            let touched = definition.is_some() || inclusion.is_some() || exclusion.is_some() || example.is_some();
            if let Some(v) = definition {
                d.definition = v;
            }
            if let Some(v) = inclusion {
                d.inclusion = v;
            }
            if let Some(v) = exclusion {
                d.exclusion = v;
            }
            if let Some(v) = example {
                d.example = v;
            }
            if !touched && color.is_none() {
                bail!("say what to change: --definition, --inclusion, --exclusion, --example or --color");
            }
            p.update_code(&id, CodeChanges { color, description: touched.then_some(d), ..Default::default() })?;
            println!("changed {} ({id})", c.name);
        }
        CodeCommand::Move { project, code, parent, top, position, common } => {
            let mut p = open(&project, Some(&common))?;
            let id = p.resolve_code(&code)?;
            let parent_id = match (parent, top) {
                (Some(x), _) => Some(p.resolve_code(&x)?),
                (None, true) => None,
                (None, false) => bail!("say where to: --parent CODE or --top"),
            };
            p.move_code(&id, parent_id.as_deref(), position)?;
            println!("moved to {}", p.code_path(&id)?);
        }
        CodeCommand::Merge { project, codes, into, json, common } => {
            let mut p = open(&project, Some(&common))?;
            let target = p.resolve_code(&into)?;
            let sources = codes.iter().map(|c| p.resolve_code(c)).collect::<codeloom::Result<Vec<_>>>()?;
            let out = p.merge_codes(&sources, &target)?;
            if json {
                print_json(&json!({"target": target, "result": out}))?;
            } else {
                println!(
                    "merged {} codes into {}: {} codings moved, {} duplicate spans joined, {} memos kept, {} child codes moved",
                    sources.iter().filter(|s| **s != target).count(),
                    p.code_path(&target)?,
                    out.codings_moved,
                    out.duplicates_joined,
                    out.memos_kept,
                    out.children_moved
                );
            }
        }
        CodeCommand::Split(args) => split_code(args)?,
        CodeCommand::Delete { project, code, yes, common } => code_delete(project, code, yes, common)?,
    }
    Ok(())
}

/// A version name, "current", or another project file: its code tree, log and counts.
struct Side {
    label: String,
    codes: Vec<codeloom::model::Code>,
    other: Option<Project>,
}

fn side(p: &Project, what: &str) -> Result<Side> {
    let path = Path::new(what);
    if path.is_file() {
        let other = Project::open_read_only(path)?;
        return Ok(Side { label: what.to_string(), codes: other.codes()?, other: Some(other) });
    }
    Ok(Side { label: what.to_string(), codes: versions::version_codes(p, what)?, other: None })
}

fn coding_counts(p: &Project) -> Result<HashMap<String, usize>> {
    Ok(p.code_counts()?.into_iter().map(|(k, v)| (k, v.codings)).collect())
}

/// Runs a `codebook` subcommand.
pub fn run_codebook(command: CodebookCommand) -> Result<()> {
    match command {
        CodebookCommand::Show { project, version, json } => codebook_show(project, version, json)?,
        CodebookCommand::Import { project, file, json, common } => {
            let mut p = open(&project, Some(&common))?;
            let (r, notes) = codeloom::codebook::import_codebook_file(&mut p, &file)?;
            if json {
                print_json(&json!({"created": r.created, "already_present": r.already_present, "notes": notes}))?;
            } else {
                println!("imported {} codes", r.created.len());
                if !r.already_present.is_empty() {
                    println!("already in the project (left unchanged): {}", r.already_present.join(", "));
                }
                for n in notes {
                    println!("note: {n}");
                }
            }
        }
        CodebookCommand::Export { project, format, out, version, json } => {
            let p = open_read_only(&project)?;
            let format = match format {
                ExportFormat::Json => codeloom::codebook::CodebookFormat::Json,
                ExportFormat::Qdc => codeloom::codebook::CodebookFormat::Qdc,
            };
            let count = codeloom::codebook::export_codebook_file(&p, &out, format, version.as_deref())?;
            if json {
                print_json(&json!({"out": out, "codes": count}))?;
            } else {
                println!("wrote {count} codes to {}", out.display());
            }
        }
        CodebookCommand::Version { project, name, note, json, common } => {
            let mut p = open(&project, Some(&common))?;
            let id = p.save_codebook_version(&name, &note)?;
            if json {
                print_json(&json!({"id": id, "name": name.trim(), "note": note}))?;
            } else {
                println!("saved codebook version {} ({id})", name.trim());
            }
        }
        CodebookCommand::Versions { project, json } => {
            let p = open_read_only(&project)?;
            let list = versions::versions(&p)?;
            if json {
                print_json(&list)?;
            } else {
                if list.is_empty() {
                    println!("no saved versions; save one with `codeloom codebook version PROJECT --name NAME`");
                }
                for v in list {
                    println!(
                        "{}  {}  by {}  {} codes, {} codings made under it{}",
                        time::format_timestamp(v.created_at_ms),
                        v.name,
                        v.created_by.as_deref().unwrap_or("?"),
                        v.codes,
                        v.codings,
                        if v.note.is_empty() { String::new() } else { format!("\n    {}", v.note) }
                    );
                }
            }
        }
        CodebookCommand::History { project, codebook_only, format, out, json } => {
            codebook_history(project, codebook_only, format, out, json)?
        }
        CodebookCommand::Diff { project, old, new, json } => {
            let p = open_read_only(&project)?;
            let (a, b) = (side(&p, &old)?, side(&p, &new)?);
            let newer = b.other.as_ref().unwrap_or(&p);
            let mut log = p.history()?;
            for s in [&a, &b] {
                if let Some(o) = &s.other {
                    log.extend(o.history()?);
                }
            }
            let d: CodebookDiff = diff::diff(&a.label, &a.codes, &b.label, &b.codes, &log, &coding_counts(newer)?);
            if json {
                print_json(&d)?;
            } else {
                print!("{}", d.to_text());
            }
        }
        CodebookCommand::Reconcile { project, other, accept, decisions, json, common } => {
            codebook_reconcile(project, other, accept, decisions, json, common)?
        }
    }
    Ok(())
}

/// `codeloom copy`.
pub fn run_copy(args: CopyArgs) -> Result<()> {
    let p = open_read_only(&args.project)?;
    let base = merge::make_copy(&p, &args.coder, &args.out, args.blind)?;
    if args.json {
        print_json(&json!({"out": args.out, "copy_id": base.copy_id, "coder": base.coder, "blind": base.blind,
                           "codes": base.codes.len(), "codings": base.codings.len()}))?;
    } else {
        println!(
            "wrote a {}copy for {} to {} ({} codes, {} codings); merge it back with `codeloom merge {} {}`",
            if args.blind { "blind " } else { "" },
            base.coder,
            args.out.display(),
            base.codes.len(),
            base.codings.len(),
            args.project.display(),
            args.out.display()
        );
    }
    Ok(())
}

#[derive(serde::Deserialize)]
struct Resolution {
    code_id: String,
    kind: ConflictKind,
    choice: Choice,
}

fn ask(conflict: &merge::Conflict) -> Result<Choice> {
    let stdin = std::io::stdin();
    loop {
        println!(
            "conflict {} ({:?}) on \"{}\", {} codings:\n  base:    {}\n  project: {}\n  copy:    {}",
            conflict.id,
            conflict.kind,
            conflict.code,
            conflict.codings,
            conflict.base.replace('\n', "\n           "),
            conflict.project.replace('\n', "\n           "),
            conflict.copy.replace('\n', "\n           ")
        );
        print!("keep the [p]roject's or take the [c]opy's? ");
        std::io::stdout().flush()?;
        let mut line = String::new();
        if stdin.lock().read_line(&mut line)? == 0 {
            bail!("no answer (end of input); use --resolve ours|theirs or --resolutions FILE");
        }
        match line.trim() {
            "p" | "P" | "project" | "ours" => return Ok(Choice::Project),
            "c" | "C" | "copy" | "theirs" => return Ok(Choice::Copy),
            _ => println!("answer p or c"),
        }
    }
}

/// `codeloom merge`.
pub fn run_merge(args: MergeArgs) -> Result<()> {
    let mut p = open(&args.project, Some(&args.common))?;
    let resolutions: Vec<Resolution> = match &args.resolutions {
        Some(f) => {
            let text = std::fs::read_to_string(f).with_context(|| format!("{}: cannot read", f.display()))?;
            serde_json::from_str(&text).with_context(|| format!("{}: not a list of resolutions", f.display()))?
        }
        None => vec![],
    };
    let mut reports = vec![];
    for copy in &args.copies {
        let mut plan = merge::plan_merge(&p, copy)?;
        for r in &resolutions {
            if let Some(c) = plan.conflicts.iter().find(|c| c.code_id == r.code_id && c.kind == r.kind) {
                let id = c.id;
                plan.resolve(id, r.choice)?;
            }
        }
        match args.resolve {
            Some(Resolve::Ours) => plan.resolve_rest(Choice::Project),
            Some(Resolve::Theirs) => plan.resolve_rest(Choice::Copy),
            Some(Resolve::Ask) => {
                let open: Vec<merge::Conflict> =
                    plan.conflicts.iter().filter(|c| c.choice.is_none()).cloned().collect();
                for c in open {
                    let choice = ask(&c)?;
                    plan.resolve(c.id, choice)?;
                }
            }
            None => {}
        }
        if plan.unresolved() > 0 {
            if args.json {
                print_json(&json!({"copy": copy, "unresolved": plan.conflicts}))?;
            } else {
                for c in plan.conflicts.iter().filter(|c| c.choice.is_none()) {
                    println!(
                        "conflict {} {:?} on \"{}\" (code {}): base \"{}\", project \"{}\", copy \"{}\"",
                        c.id,
                        c.kind,
                        c.code,
                        c.code_id,
                        c.base.replace('\n', "; "),
                        c.project.replace('\n', "; "),
                        c.copy.replace('\n', "; ")
                    );
                }
            }
            bail!(
                "{}: {} conflicts are not resolved; nothing was merged. Use --resolve ours|theirs|ask or --resolutions FILE",
                copy.display(),
                plan.unresolved()
            );
        }
        if args.dry_run {
            if args.json {
                print_json(&json!({"copy": copy, "conflicts": plan.conflicts}))?;
            } else {
                println!(
                    "{}: {} conflicts, all resolved; nothing changed (dry run)",
                    copy.display(),
                    plan.conflicts.len()
                );
            }
            continue;
        }
        let report = p.merge_copy(&plan)?;
        if !args.json {
            print!("{}", report.to_text());
        }
        reports.push(report);
    }
    if args.json {
        print_json(&reports)?;
    }
    Ok(())
}

/// `codeloom code split`: the code's codings with `--list`, else the split itself.
fn split_code(a: SplitArgs) -> Result<()> {
    if a.list {
        return list_codings_of(&a.project, &a.code, a.json);
    }
    let mut p = open(&a.project, Some(&a.common))?;
    let id = p.resolve_code(&a.code)?;
    let mut split: Vec<SplitPart> = match &a.plan {
        Some(f) => {
            let text = std::fs::read_to_string(f).with_context(|| format!("{}: cannot read", f.display()))?;
            serde_json::from_str(&text).with_context(|| format!("{}: not a list of split parts", f.display()))?
        }
        None => vec![],
    };
    for name in &a.parts {
        split.push(SplitPart { name: name.clone(), ..Default::default() });
    }
    for given in &a.assign {
        let (coding, name) =
            given.split_once('=').with_context(|| format!("--assign {given}: write CODING_ID=NEW_CODE_NAME"))?;
        let part = split
            .iter_mut()
            .find(|s| s.name.trim().eq_ignore_ascii_case(name.trim()))
            .with_context(|| format!("--assign {given}: no --part named {name}"))?;
        part.codings.push(coding.trim().to_string());
    }
    let ids = p.split_code(&id, split.clone(), a.remove_original)?;
    if a.json {
        let out: Vec<_> = ids
            .iter()
            .zip(&split)
            .map(|(id, s)| json!({"id": id, "name": s.name, "codings": s.codings.len()}))
            .collect();
        print_json(&out)?;
    } else {
        for (nid, s) in ids.iter().zip(&split) {
            println!("created {} ({nid}) with {} codings", s.name, s.codings.len());
        }
    }
    Ok(())
}

/// `codeloom code split --list`: a code's codings with their text, to choose from. Reads only.
fn list_codings_of(project: &std::path::Path, code: &str, json: bool) -> Result<()> {
    let p = open_read_only(project)?;
    let id = p.resolve_code(code)?;
    let codings = p.codings(&CodingFilter { code_id: Some(id.clone()), ..Default::default() })?;
    let mut texts: HashMap<String, (String, String)> = HashMap::new();
    for c in &codings {
        if !texts.contains_key(&c.document_id) {
            let d = p.document(&c.document_id)?;
            texts.insert(c.document_id.clone(), (d.name, p.document_text(&c.document_id)?));
        }
    }
    let slicers: HashMap<&str, CharSlicer> =
        texts.iter().map(|(id, (_, t))| (id.as_str(), CharSlicer::new(t))).collect();
    let mut rows = vec![];
    for c in &codings {
        let doc = &texts[&c.document_id].0;
        let quote = slicers[c.document_id.as_str()].slice(c.start, c.end).unwrap_or("").to_string();
        rows.push(
            json!({"id": c.id, "document": doc, "start": c.start, "end": c.end, "coder": c.coder, "text": quote}),
        );
    }
    if json {
        print_json(&rows)?;
    } else {
        for r in &rows {
            println!(
                "{}  {} [{}, {}) by {}\n    \"{}\"",
                r["id"].as_str().unwrap_or(""),
                r["document"].as_str().unwrap_or(""),
                r["start"],
                r["end"],
                r["coder"].as_str().unwrap_or(""),
                r["text"].as_str().unwrap_or("").replace('\n', " ")
            );
        }
        println!("{} codings", rows.len());
    }
    Ok(())
}

/// `codeloom codebook show`: the code tree (now or a saved version) with counts.
fn codebook_show(project: PathBuf, version: Option<String>, json: bool) -> Result<()> {
    let p = open_read_only(&project)?;
    let codes = match &version {
        Some(v) => versions::version_codes(&p, v)?,
        None => p.codes()?,
    };
    let counts = p.code_counts()?;
    if json {
        let list: Vec<_> = codes
            .iter()
            .map(|c| {
                let n = counts.get(&c.id).copied().unwrap_or_default();
                json!({"id": c.id, "name": c.name, "parent_id": c.parent_id, "color": c.color,
                       "description": c.description, "codings": n.codings, "participants": n.participants})
            })
            .collect();
        print_json(&list)?;
    } else {
        for c in &codes {
            let n = counts.get(&c.id).copied().unwrap_or_default();
            println!(
                "{}{}  ({} codings, {} participants)",
                "  ".repeat(depth_of(&codes, c)),
                c.name,
                n.codings,
                n.participants
            );
        }
    }
    Ok(())
}

/// `codeloom codebook history`: the audit trail, printed or written as CSV or Markdown.
fn codebook_history(
    project: PathBuf,
    codebook_only: bool,
    format: Option<AuditFormat>,
    out: Option<PathBuf>,
    json: bool,
) -> Result<()> {
    let p = open_read_only(&project)?;
    let all = p.history()?;
    let entries: Vec<_> =
        all.iter().filter(|e| !codebook_only || history::is_codebook_change(e, &all)).cloned().collect();
    let text = match format {
        Some(AuditFormat::Csv) => Some(history::audit_csv(&entries)?),
        Some(AuditFormat::Markdown) => {
            let title = format!(
                "Audit trail of {}",
                project.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
            );
            Some(history::audit_markdown(&title, &entries))
        }
        None => None,
    };
    match (text, out) {
        (Some(t), Some(o)) => {
            output::write_bytes(&o, t.as_bytes(), &Protect::project(p.path()))?;
            println!("wrote {} changes to {}", entries.len(), o.display());
        }
        (Some(t), None) => print!("{t}"),
        (None, Some(_)) => bail!("--out needs --format csv or markdown"),
        (None, None) if json => print_json(&entries)?,
        (None, None) => {
            for e in &entries {
                super::print_log_entry(e);
            }
        }
    }
    Ok(())
}

/// `codeloom codebook reconcile`: match a separately built codebook, print or apply.
fn codebook_reconcile(
    project: PathBuf,
    other: PathBuf,
    accept: bool,
    decisions: Option<PathBuf>,
    json: bool,
    common: Common,
) -> Result<()> {
    let mut p = open(&project, Some(&common))?;
    let o = Project::open_read_only(&other)?;
    let suggestions = reconcile::suggest_matches(&p, &o)?;
    let chosen: Option<HashMap<String, reconcile::Decision>> = match (&decisions, accept) {
        (Some(f), _) => {
            let text = std::fs::read_to_string(f).with_context(|| format!("{}: cannot read", f.display()))?;
            Some(serde_json::from_str(&text).with_context(|| format!("{}: not a decisions file", f.display()))?)
        }
        (None, true) => Some(reconcile::accept_suggestions(&suggestions)),
        (None, false) => None,
    };
    let Some(chosen) = chosen else {
        if json {
            print_json(&suggestions)?;
        } else {
            for s in &suggestions {
                match &s.path {
                    Some(m) => println!(
                        "{}  ->  {}  (score {:.2}: name {:.2}, coded text {:.2})",
                        s.other_path, m, s.score, s.name_similarity, s.text_overlap
                    ),
                    None => println!("{}  ->  (no match: would be added)", s.other_path),
                }
            }
            println!("apply with --accept, or --decisions FILE to change or reject matches");
        }
        return Ok(());
    };
    let report = p.reconcile_codebook(&o, &chosen)?;
    if json {
        print_json(&report)?;
    } else {
        println!(
            "{} codes matched, {} added, {} skipped; {} codings added, {} already there",
            report.codes_matched,
            report.codes_added.len(),
            report.codes_skipped.len(),
            report.codings_added,
            report.codings_duplicate
        );
        for n in &report.codings_not_merged {
            println!("  not merged: {n}");
        }
    }
    Ok(())
}

/// `codeloom code delete`: only with `--yes` when codings would go too.
fn code_delete(project: PathBuf, code: String, yes: bool, common: Common) -> Result<()> {
    let mut p = open(&project, Some(&common))?;
    let id = p.resolve_code(&code)?;
    let path = p.code_path(&id)?;
    let counts = p.code_counts()?;
    let codes = p.codes()?;
    let mut subtree = vec![id.clone()];
    let mut i = 0;
    while i < subtree.len() {
        let cur = subtree[i].clone();
        subtree.extend(codes.iter().filter(|c| c.parent_id.as_deref() == Some(&cur)).map(|c| c.id.clone()));
        i += 1;
    }
    let n: usize = subtree.iter().map(|c| counts.get(c).map_or(0, |k| k.codings)).sum();
    if n > 0 && !yes {
        bail!(
            "{path} and its {} child codes have {n} codings; they would be deleted too. Run again with --yes to delete them (undo brings everything back)",
            subtree.len() - 1
        );
    }
    let removed = p.delete_code(&id)?;
    println!("deleted {path} ({} codes, {removed} codings); `codeloom undo` brings them back", subtree.len());
    Ok(())
}
