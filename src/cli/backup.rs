//! `codeloom backup`: list a project's backups, make one now, restore one, and set how
//! many are kept. The work is done by [`codeloom::store::backup`].

use super::{open, print_json};
use anyhow::Result;
use clap::Subcommand;
use codeloom::model::time;
use codeloom::store::backup;
use std::path::PathBuf;

#[derive(Subcommand, Debug)]
pub enum BackupCommand {
    /// List the project's backups, oldest first.
    List {
        project: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Make a backup now (the oldest beyond the number kept are deleted).
    Now {
        project: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Put a backup back: checks it, keeps a backup of the project as it is, then
    /// replaces the project's content in one step.
    Restore {
        project: PathBuf,
        /// The backup: its name from `codeloom backup list`, its YYYYMMDD-HHMMSS stamp, or a path.
        backup: String,
        #[arg(long)]
        json: bool,
    },
    /// Set how many backups the project keeps (default 10).
    Keep { project: PathBuf, count: usize },
}

fn size(bytes: u64) -> String {
    match bytes {
        0..1_000_000 => format!("{:.0} kB", bytes as f64 / 1e3),
        _ => format!("{:.1} MB", bytes as f64 / 1e6),
    }
}

/// Runs a `backup` subcommand.
pub fn run(command: BackupCommand) -> Result<()> {
    match command {
        BackupCommand::List { project, json } => {
            let list = backup::list(&project)?;
            if json {
                return print_json(&list);
            }
            if list.is_empty() {
                println!("no backups in {}", backup::backup_dir(&project).display());
            }
            for b in &list {
                println!("{}  {}  {}", b.name, time::format_timestamp(b.made_at_ms), size(b.bytes));
            }
        }
        BackupCommand::Now { project, json } => {
            let before = backup::list(&project)?;
            let p = open(&project, None)?;
            // Opening may itself have made one (before an upgrade, or the daily backup).
            let made = match backup::list(&project)?.into_iter().rfind(|b| !before.contains(b)) {
                Some(b) => b,
                None => p.backup_now()?,
            };
            if json {
                return print_json(&made);
            }
            println!("backed up {} to {} ({})", project.display(), made.path.display(), size(made.bytes));
        }
        BackupCommand::Restore { project, backup: which, json } => {
            let done = backup::restore(&project, &which)?;
            if json {
                return print_json(&done);
            }
            match (&done.previous, &done.raw_copy) {
                (Some(b), _) => println!("kept the project as it was in {}", b.path.display()),
                (None, Some(raw)) => println!("kept a copy of the damaged file as {}", raw.display()),
                (None, None) => {}
            }
            println!("restored {} from {}", project.display(), done.backup.display());
        }
        BackupCommand::Keep { project, count } => {
            let mut p = open(&project, None)?;
            p.set_backups_kept(count)?;
            println!("{} keeps its newest {} backups", project.display(), p.backups_kept()?);
        }
    }
    Ok(())
}
