//! The hidden `__extract-pdf FILE` subcommand: the child process in which the importer
//! reads a PDF, so that a PDF that loops or overflows the stack takes down only this
//! process (see `codeloom::import::pdf`).

use clap::Args;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct ExtractPdfArgs {
    /// The most address space the reader may use, in bytes.
    #[arg(long)]
    pub max_memory: Option<u64>,
    /// The PDF file.
    pub file: PathBuf,
}

/// Prints the PDF's raw text for the parent process; returns the exit status.
pub fn run(args: ExtractPdfArgs) -> i32 {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    codeloom::import::pdf::run_extractor_child(&args.file, args.max_memory, &mut out)
}
