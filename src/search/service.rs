//! A search index kept in a background thread, for the GUI.
//!
//! The thread opens its own connection to the project file and the index beside it,
//! builds or updates the index (reporting progress), watches the project's change
//! counter twice a second and updates the index when it moves, and answers queries.
//! Every method on [`Service`] returns at once: the GUI may call [`Service::status`]
//! and [`Service::take_results`] every frame (each is one uncontended mutex lock).

use super::{Progress, SearchIndex, SearchOptions, SearchResults};
use crate::store::Project;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// What the index is doing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Opening the project and the index.
    Starting,
    /// Indexing documents: `done` of `total`. `rebuilding` when starting from nothing.
    Indexing { done: usize, total: usize, rebuilding: bool },
    /// Up to date with the project at this change counter. `note` says when the index
    /// is kept in memory because its folder cannot be written.
    Ready { documents: usize, change_counter: i64, note: Option<String> },
    /// The index could not be opened or updated; queries will fail with this message.
    Failed(String),
}

enum Request {
    Refresh,
    Query { ticket: u64, query: String, options: SearchOptions },
}

#[derive(Default)]
struct Shared {
    status: Option<Status>,
    results: Option<(u64, Result<SearchResults, String>)>,
}

/// The state the thread shares, and a signal for [`Service::wait_for`] when it changes.
type SharedState = Arc<(Mutex<Shared>, Condvar)>;

/// A handle on the background search thread; dropping it stops the thread.
pub struct Service {
    tx: Option<Sender<Request>>,
    shared: SharedState,
    next_ticket: u64,
    thread: Option<std::thread::JoinHandle<()>>,
}

type Notify = Box<dyn Fn() + Send>;

impl Service {
    /// Starts the thread for the project file at `path`.
    pub fn start(path: &Path) -> Service {
        Self::start_with_notify(path, Box::new(|| {}))
    }

    /// Like [`Service::start`]; `notify` is called from the thread whenever the status
    /// or results change (the GUI passes `ctx.request_repaint`).
    pub fn start_with_notify(path: &Path, notify: Notify) -> Service {
        let (tx, rx) = channel();
        let shared = Arc::new((Mutex::new(Shared { status: Some(Status::Starting), results: None }), Condvar::new()));
        let worker_shared = shared.clone();
        let path = path.to_path_buf();
        let thread = std::thread::Builder::new()
            .name("codeloom-search".into())
            .spawn(move || run(path, rx, worker_shared, notify))
            .ok();
        Service { tx: Some(tx), shared, next_ticket: 0, thread }
    }

    /// Asks the thread to bring the index up to date now (it also does so by itself
    /// when the project's change counter moves).
    pub fn refresh(&self) {
        if let Some(tx) = &self.tx {
            let _ = tx.send(Request::Refresh);
        }
    }

    /// Sends a query; the answer arrives through [`Service::take_results`] with the
    /// returned ticket. A newer query supersedes older ones still waiting.
    pub fn query(&mut self, query: &str, options: SearchOptions) -> u64 {
        self.next_ticket += 1;
        if let Some(tx) = &self.tx {
            let _ = tx.send(Request::Query { ticket: self.next_ticket, query: query.to_string(), options });
        }
        self.next_ticket
    }

    /// What the index is doing now.
    pub fn status(&self) -> Status {
        self.shared.0.lock().ok().and_then(|s| s.status.clone()).unwrap_or(Status::Starting)
    }

    /// The newest answer not yet taken, with its ticket.
    pub fn take_results(&self) -> Option<(u64, Result<SearchResults, String>)> {
        self.shared.0.lock().ok().and_then(|mut s| s.results.take())
    }

    /// Waits (up to `timeout`) for the answer to `ticket`, waking as soon as it comes;
    /// for the CLI, tests and the bench. Answers to older tickets are taken and dropped.
    pub fn wait_for(&self, ticket: u64, timeout: Duration) -> Option<Result<SearchResults, String>> {
        let until = std::time::Instant::now() + timeout;
        let (lock, changed) = &*self.shared;
        let mut shared = lock.lock().ok()?;
        loop {
            if let Some((t, r)) = shared.results.take()
                && t == ticket
            {
                return Some(r);
            }
            let left = until.checked_duration_since(std::time::Instant::now())?;
            shared = changed.wait_timeout(shared, left).ok()?.0;
        }
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.tx = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn set(shared: &SharedState, notify: &Notify, f: impl FnOnce(&mut Shared)) {
    if let Ok(mut s) = shared.0.lock() {
        f(&mut s);
    }
    shared.1.notify_all();
    notify();
}

fn run(path: PathBuf, rx: Receiver<Request>, shared: SharedState, notify: Notify) {
    let mut state: Option<(Project, SearchIndex)> = None;
    let mut failure: Option<String> = None;
    let bring_up_to_date = |state: &mut Option<(Project, SearchIndex)>, failure: &mut Option<String>| {
        let progress = |rebuilding: bool| {
            let shared = shared.clone();
            let notify = &notify;
            move |p: Progress| {
                set(&shared, notify, |s| s.status = Some(Status::Indexing { done: p.done, total: p.total, rebuilding }))
            }
        };
        let result = match state.take() {
            Some((project, mut index)) => {
                let moved = project.change_counter().map(|c| c != index.change_counter()).unwrap_or(true);
                if moved {
                    index.update(&project, &mut progress(false)).map(|_| (project, index))
                } else {
                    Ok((project, index))
                }
            }
            None => Project::open_another(&path).and_then(|project| {
                let dir = super::index_dir(&path);
                let rebuilding = !dir.join(super::folder::STAMP_FILE).is_file();
                SearchIndex::open(&project, &mut progress(rebuilding)).map(|(index, _)| (project, index))
            }),
        };
        match result {
            Ok((project, index)) => {
                let note = index.folder().is_none().then(|| {
                    format!(
                        "the search index folder {} cannot be written, so the index is kept in memory while \
                         Codeloom runs; make the folder writable to keep it",
                        super::index_dir(&path).display()
                    )
                });
                let status =
                    Status::Ready { documents: index.document_count(), change_counter: index.change_counter(), note };
                set(&shared, &notify, |s| s.status = Some(status));
                *state = Some((project, index));
                *failure = None;
            }
            Err(e) => {
                let message = e.to_string();
                set(&shared, &notify, |s| s.status = Some(Status::Failed(message.clone())));
                *failure = Some(message);
            }
        }
    };
    bring_up_to_date(&mut state, &mut failure);
    loop {
        let first = match rx.recv_timeout(Duration::from_millis(500)) {
            Ok(r) => r,
            Err(RecvTimeoutError::Timeout) => Request::Refresh,
            Err(RecvTimeoutError::Disconnected) => return,
        };
        // Take everything waiting: one refresh and the newest query are enough.
        let mut query = None;
        let mut pending = vec![first];
        while let Ok(r) = rx.try_recv() {
            pending.push(r);
        }
        for r in pending {
            if let Request::Query { ticket, query: q, options } = r {
                query = Some((ticket, q, options));
            }
        }
        bring_up_to_date(&mut state, &mut failure);
        if let Some((ticket, q, options)) = query {
            let answer = match (&state, &failure) {
                (Some((_, index)), _) => index.search(&q, &options).map_err(|e| e.to_string()),
                (None, Some(f)) => Err(f.clone()),
                (None, None) => Err("the search index is not open".to_string()),
            };
            set(&shared, &notify, |s| s.results = Some((ticket, answer)));
        }
    }
}
