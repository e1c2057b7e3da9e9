//! Running a parser that may panic on hostile input: the panic becomes an
//! [`ExtractError`], and the panic message and backtrace stay off the terminal.
//!
//! The process-wide panic hook is wrapped once: it stays silent on a thread while that
//! thread runs a guarded parser (a thread-local flag says so) and calls the previous
//! hook everywhere else, so an ordinary panic elsewhere is as loud as ever. What the
//! silent hook saw (the panic message) is kept for the error.

use crate::error::ExtractError;
use std::cell::{Cell, RefCell};
use std::sync::Once;

thread_local! {
    /// Whether this thread is running a guarded parser.
    static QUIET: Cell<bool> = const { Cell::new(false) };
    /// The message of the last panic silenced on this thread.
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

static HOOK: Once = Once::new();

/// The longest panic message kept for an error.
const MAX_MESSAGE_CHARS: usize = 200;

fn install_hook() {
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if QUIET.with(Cell::get) {
                let payload = info.payload();
                let message = payload
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "an unknown failure".to_string());
                // The file name and line only: a full path names the build machine's folders.
                let location = info
                    .location()
                    .map(|l| {
                        let file = std::path::Path::new(l.file()).file_name().map(|f| f.to_string_lossy());
                        format!(" at {}:{}", file.unwrap_or_default(), l.line())
                    })
                    .unwrap_or_default();
                let text: String = format!("{message}{location}").chars().take(MAX_MESSAGE_CHARS).collect();
                LAST_PANIC.with(|m| *m.borrow_mut() = Some(text));
            } else {
                previous(info);
            }
        }));
    });
}

/// Restores the thread's flag when the guarded call ends, even by unwinding.
struct QuietScope(bool);

impl QuietScope {
    fn enter() -> Self {
        install_hook();
        QuietScope(QUIET.with(|q| q.replace(true)))
    }
}

impl Drop for QuietScope {
    fn drop(&mut self) {
        QUIET.with(|q| q.set(self.0));
    }
}

/// Runs `f` (a third-party or our own parser of `what`, e.g. "PDF"), turning a panic
/// into [`ExtractError::ReaderFailed`] without printing it.
pub fn guarded<T>(what: &str, f: impl FnOnce() -> Result<T, ExtractError>) -> Result<T, ExtractError> {
    let scope = QuietScope::enter();
    LAST_PANIC.with(|m| m.borrow_mut().take());
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    drop(scope);
    match result {
        Ok(r) => r,
        Err(_) => {
            let detail = LAST_PANIC.with(|m| m.borrow_mut().take()).map(|m| format!(" ({m})")).unwrap_or_default();
            Err(ExtractError::ReaderFailed(format!(
                "the {what} is corrupt or uses features the reader does not support: the reader failed{detail}"
            )))
        }
    }
}

/// Whether the current thread is inside [`guarded`] (for tests).
#[cfg(test)]
fn is_quiet() -> bool {
    QUIET.with(Cell::get)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_an_error_naming_the_reader() {
        let r: Result<(), _> = guarded("RTF", || panic!("index 7 out of range"));
        match r {
            Err(ExtractError::ReaderFailed(m)) => {
                assert!(m.starts_with("the RTF is corrupt"), "{m}");
                assert!(m.contains("index 7 out of range at guard.rs:"), "the panic message is kept: {m}");
            }
            other => panic!("expected a ReaderFailed error, got {other:?}"),
        }
        assert!(!is_quiet(), "the flag is reset after a caught panic");
    }

    #[test]
    fn results_pass_through_and_the_flag_is_scoped() {
        assert_eq!(guarded("PDF", || Ok(3)), Ok(3));
        let inner = guarded("PDF", || Ok(is_quiet()));
        assert_eq!(inner, Ok(true), "the parser runs with the quiet flag set");
        assert!(!is_quiet());
        let e: Result<(), _> = guarded("PDF", || Err(ExtractError::NoText("x".into())));
        assert_eq!(e, Err(ExtractError::NoText("x".into())), "a parser's own error is returned as it is");
    }

    #[test]
    fn other_threads_stay_loud() {
        // A panic on another thread, while this one is quiet, still reaches the previous
        // hook: the quiet flag is per thread.
        let seen = guarded("PDF", || Ok(std::thread::spawn(is_quiet).join().unwrap_or(true)));
        assert_eq!(seen, Ok(false));
    }
}
