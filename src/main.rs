//! Start-up, and the one place the command line and the window meet: no arguments or a
//! project path opens the workbench; a subcommand runs the command line, which is handed
//! the window (for `demo --open` and the window's bench scenarios) as a [`cli::Window`]
//! rather than importing it.

mod cli;
mod ui;

use clap::Parser;
use std::path::{Path, PathBuf};

/// The workbench, as the command line may use it.
struct Workbench;

impl cli::Window for Workbench {
    fn open(&self, project: PathBuf) -> anyhow::Result<()> {
        ui::run(Some(project), None)
    }

    fn bench(&self, quick: bool, seed: u64) -> Vec<codeloom::bench::Measurement> {
        let size = if quick { ui::bench::ViewBenchSize::QUICK } else { ui::bench::ViewBenchSize::FULL };
        ui::bench::transcript_view(&size, seed)
    }

    fn bench_scale(&self, project: &Path) -> codeloom::Result<Vec<codeloom::bench::Measurement>> {
        ui::bench::study_at_scale(project)
    }
}

fn main() {
    // Behave like other command-line tools when output is piped into `head`: stop quietly.
    #[cfg(unix)]
    // SAFETY: restoring the default action of SIGPIPE before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    // PDFs are read in a child process running this program (`__extract-pdf`).
    if let Ok(exe) = std::env::current_exe() {
        codeloom::import::set_extractor(exe);
    }
    let args = cli::Cli::parse();
    let result = match args.command {
        Some(cmd) => cli::run(cmd, &Workbench),
        None => ui::run(args.project, args.document).map(|_| 0),
    };
    match result {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::exit(2);
        }
    }
}
