//! `codeloom export qdpx`, `codeloom import PROJECT FILE.qdpx` and
//! `codeloom new PROJECT --from FILE.qdpx`: exchanging whole projects with other tools
//! through REFI-QDA.

use super::{Common, open, print_json};
use anyhow::{Result, bail};
use clap::{Args, Subcommand};
use codeloom::interop::{QdpxReport, export_qdpx, import_qdpx, new_project_from_qdpx};
use std::path::{Path, PathBuf};

/// What `codeloom export` writes.
#[derive(Subcommand, Debug)]
pub enum ExportCommand {
    /// The whole project as a REFI-QDA .qdpx for NVivo, ATLAS.ti, MAXQDA, QualCoder and others.
    Qdpx(QdpxExportArgs),
}

#[derive(Args, Debug)]
pub struct QdpxExportArgs {
    pub project: PathBuf,
    /// The .qdpx file to write.
    #[arg(long)]
    pub out: PathBuf,
    #[arg(long)]
    pub json: bool,
}

/// Whether a path names a REFI-QDA project file.
pub fn is_qdpx(path: &Path) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case("qdpx"))
}

pub fn export(command: ExportCommand) -> Result<i32> {
    match command {
        ExportCommand::Qdpx(args) => {
            let p = super::open_read_only(&args.project)?;
            let report = export_qdpx(&p, &args.out)?;
            if args.json {
                print_json(&report)?;
            } else {
                println!(
                    "wrote {}: {} documents, {} codes, {} codings, {} coders, {} participants, {} attributes, {} waves, {} memos",
                    report.file,
                    report.documents,
                    report.codes,
                    report.codings,
                    report.coders,
                    report.participants,
                    report.attributes,
                    report.waves,
                    report.memos
                );
                for r in &report.recordings {
                    match &r.reason {
                        None => println!("recording of {}: inside the file as {}", r.document, r.path),
                        Some(why) => println!("recording of {}: referred to as {} ({why})", r.document, r.path),
                    }
                }
                if report.sync_points > 0 {
                    println!("{} sync points written", report.sync_points);
                }
                for n in &report.not_exported {
                    println!("not exported: {} × {}: {}", n.count, n.what, n.reason);
                }
            }
        }
    }
    Ok(0)
}

fn print_report(report: &QdpxReport, json: bool) -> Result<()> {
    if json {
        print_json(report)
    } else {
        for line in report.lines() {
            println!("{line}");
        }
        Ok(())
    }
}

/// `codeloom import PROJECT FILE.qdpx`: one .qdpx, nothing else in the same command.
pub fn import(project: &Path, paths: &[PathBuf], json: bool, common: &Common) -> Result<i32> {
    let [file] = paths else {
        bail!("import a .qdpx project on its own: codeloom import PROJECT FILE.qdpx");
    };
    let mut p = open(project, Some(common))?;
    let report = import_qdpx(&mut p, file)?;
    print_report(&report, json)?;
    Ok(0)
}

/// `codeloom new PROJECT --from FILE.qdpx`: a new project holding the imported one. It
/// appears only once the import has succeeded, so a failed import leaves nothing behind.
pub fn new_from(project: &Path, file: &Path, json: bool, common: &Common) -> Result<i32> {
    if !is_qdpx(file) {
        bail!("{}: --from takes a REFI-QDA project (.qdpx)", file.display());
    }
    let report = new_project_from_qdpx(project, file, &codeloom::store::default_coder(common.coder.as_deref())?)?;
    if !json {
        println!("created {}", project.display());
    }
    print_report(&report, json)?;
    Ok(0)
}
