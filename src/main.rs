//! Start-up: no arguments or a project path opens the workbench; a subcommand runs the
//! command line.

mod cli;
mod ui;

use clap::Parser;

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
        Some(cmd) => cli::run(cmd),
        None => ui::run(args.project).map(|_| 0),
    };
    match result {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::exit(2);
        }
    }
}
