//! The open project as the window holds it: the project file, the [`Study`] the panels read,
//! and the point of the operation log the Study reflects.
//!
//! Every change goes through [`Session::change`]: it runs one library operation, then
//! reads that operation's change set from the log and updates the Study with it, so the
//! cost of a change follows what it changed. [`Session::catch_up`] does the same for
//! changes another process made (a script running while the window is open), which the
//! window notices by polling the log's newest entry, once a second.

use super::study::Study;
use codeloom::Project;
use codeloom::store::change_set::ChangeSet;

pub struct Session {
    pub project: Project,
    pub study: Study,
    /// The newest log entry the Study reflects.
    seen: i64,
    /// What Edit > Undo and Redo would do.
    pub undo_hint: Option<String>,
    pub redo_hint: Option<String>,
}

impl Session {
    /// Reads the Study of a project that has just been opened.
    pub fn open(project: Project) -> codeloom::Result<Session> {
        let seen = project.log_position()?;
        let study = Study::load(&project)?;
        let mut s = Session { project, study, seen, undo_hint: None, redo_hint: None };
        s.hints();
        Ok(s)
    }

    /// Runs one change; on success the Study is brought up to date and the change set is
    /// returned with the operation's value.
    pub fn change<T>(
        &mut self,
        f: impl FnOnce(&mut Project) -> codeloom::Result<T>,
    ) -> codeloom::Result<(T, ChangeSet)> {
        let value = f(&mut self.project)?;
        let changes = self.catch_up()?;
        Ok((value, changes))
    }

    /// Applies what the log holds after the point the Study reflects (changes of this
    /// window or of another process); returns them.
    pub fn catch_up(&mut self) -> codeloom::Result<ChangeSet> {
        let changes = self.project.changes_since(self.seen)?;
        if changes.is_empty() && changes.through_seq == self.seen {
            return Ok(changes);
        }
        self.study.apply(&changes, &self.project)?;
        self.seen = changes.through_seq;
        self.hints();
        Ok(changes)
    }

    /// Whether the log has entries the Study does not reflect yet (a cheap indexed read).
    pub fn behind(&self) -> bool {
        self.project.log_position().is_ok_and(|n| n > self.seen)
    }

    fn hints(&mut self) {
        self.undo_hint = self.project.undo_target().ok().flatten().map(|e| e.summary);
        self.redo_hint = self.project.redo_target().ok().flatten().map(|e| e.summary);
    }
}
