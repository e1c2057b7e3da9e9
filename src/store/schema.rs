//! The project file's schema and its numbered migrations.
//!
//! The schema version is kept in SQLite's `user_version`. Each migration moves the file
//! from version `n - 1` to `n` inside one transaction (with the step of
//! [`before_migration`] that needs code, not SQL); a file whose version is above
//! [`SCHEMA_VERSION`] was written by a newer Codeloom and is refused. From version 3 on,
//! every migration also sets SQLite's `application_id` to
//! [`APPLICATION_ID`](super::APPLICATION_ID).

use crate::error::Result;

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = 8;

/// Migration `i` (0-based) moves a file from version `i` to `i + 1`.
pub const MIGRATIONS: &[&str] = &[V1, V2, V3, V4, V5, V6, V7, V8];

/// The work a migration to `target` does in code before its SQL, in the same
/// transaction: version 3 first removes identical codings (see
/// [`remove_identical_codings`](super::ops::remove_identical_codings)), which its
/// unique index then forbids.
pub(crate) fn before_migration(tx: &rusqlite::Transaction, target: i64, coder: &str) -> Result<()> {
    if target == 3 {
        super::ops::remove_identical_codings(tx, coder)?;
    }
    Ok(())
}

const V1: &str = r#"
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Project settings changed by operations (and so undoable), keyed by name.
CREATE TABLE settings (
    id    TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE coders (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);

CREATE TABLE waves (
    id       TEXT PRIMARY KEY,
    name     TEXT NOT NULL UNIQUE,
    position INTEGER NOT NULL
);

CREATE TABLE participants (
    id         TEXT PRIMARY KEY,
    label      TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);

CREATE TABLE attributes (
    id       TEXT PRIMARY KEY,
    name     TEXT NOT NULL UNIQUE,
    kind     TEXT NOT NULL CHECK (kind IN ('text', 'number', 'date', 'category')),
    position INTEGER NOT NULL
);

CREATE TABLE attribute_values (
    id             TEXT PRIMARY KEY,
    participant_id TEXT NOT NULL REFERENCES participants(id),
    attribute_id   TEXT NOT NULL REFERENCES attributes(id),
    value          TEXT NOT NULL,
    UNIQUE (participant_id, attribute_id)
);

CREATE TABLE documents (
    id             TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    original_name  TEXT NOT NULL,
    format         TEXT NOT NULL,
    content_hash   TEXT NOT NULL UNIQUE,
    char_count     INTEGER NOT NULL,
    participant_id TEXT REFERENCES participants(id),
    wave_id        TEXT REFERENCES waves(id),
    revision       INTEGER NOT NULL DEFAULT 1,
    previous_id    TEXT,
    imported_at    INTEGER NOT NULL,
    imported_by    TEXT,
    -- Last, so that reading the other columns never walks the text's overflow pages.
    text           TEXT NOT NULL
);
CREATE INDEX documents_participant ON documents(participant_id, wave_id);

CREATE TABLE turns (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    document_id   TEXT NOT NULL REFERENCES documents(id),
    ordinal       INTEGER NOT NULL,
    speaker       TEXT,
    start         INTEGER NOT NULL,
    "end"         INTEGER NOT NULL,
    time_start_ms INTEGER,
    time_end_ms   INTEGER,
    UNIQUE (document_id, ordinal)
);

CREATE TABLE codebook_versions (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    note       TEXT NOT NULL DEFAULT '',
    snapshot   TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT
);

CREATE TABLE codes (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    parent_id  TEXT REFERENCES codes(id),
    color      TEXT NOT NULL,
    definition TEXT NOT NULL DEFAULT '',
    inclusion  TEXT NOT NULL DEFAULT '',
    exclusion  TEXT NOT NULL DEFAULT '',
    example    TEXT NOT NULL DEFAULT '',
    position   INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT
);
CREATE INDEX codes_parent ON codes(parent_id);

CREATE TABLE codings (
    id                  TEXT PRIMARY KEY,
    document_id         TEXT NOT NULL REFERENCES documents(id),
    start               INTEGER NOT NULL CHECK (start >= 0),
    "end"               INTEGER NOT NULL CHECK ("end" > start),
    code_id             TEXT NOT NULL REFERENCES codes(id),
    coder_id            TEXT NOT NULL REFERENCES coders(id),
    codebook_version_id TEXT REFERENCES codebook_versions(id),
    memo                TEXT,
    illustrative        INTEGER NOT NULL DEFAULT 0,
    created_at          INTEGER NOT NULL
);
CREATE INDEX codings_document ON codings(document_id, start);
CREATE INDEX codings_code ON codings(code_id, document_id);

CREATE TABLE memos (
    id          TEXT PRIMARY KEY,
    target_kind TEXT NOT NULL CHECK (target_kind IN ('project', 'document', 'participant', 'code')),
    target_id   TEXT,
    title       TEXT NOT NULL DEFAULT '',
    body        TEXT NOT NULL,
    coder_id    TEXT REFERENCES coders(id),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX memos_target ON memos(target_kind, target_id);

-- The operation log: every change to the project, in order. `payload` says what was
-- done (for history, audit and merging copies); `changes` holds the row images that
-- undo and redo replay. `state` is applied, undone, discarded (undone and then
-- superseded by a new operation) or marker (an undo/redo entry pointing at target_seq).
CREATE TABLE operations (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    id         TEXT NOT NULL UNIQUE,
    kind       TEXT NOT NULL,
    summary    TEXT NOT NULL,
    payload    TEXT NOT NULL,
    changes    TEXT NOT NULL,
    coder      TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    state      TEXT NOT NULL CHECK (state IN ('applied', 'undone', 'discarded', 'marker')),
    target_seq INTEGER
);
CREATE INDEX operations_state ON operations(state, seq);
"#;

/// Version 2: coder assignments (which coder was given which document, so that "not
/// assigned" is missing data in agreement) and adjudication decisions (the consensus layer).
/// Document and code IDs here are not foreign keys: deleting a document or code leaves these
/// rows behind, unused, and undoing the deletion finds them again.
const V2: &str = r#"
CREATE TABLE assignments (
    id          TEXT PRIMARY KEY,
    coder_id    TEXT NOT NULL REFERENCES coders(id),
    document_id TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    UNIQUE (coder_id, document_id)
);

-- One decision on one disagreement: which coders were compared, in which unit, what was
-- decided, and the consensus codings it wrote (coder "consensus"; JSON list of coding IDs).
CREATE TABLE adjudications (
    id             TEXT PRIMARY KEY,
    document_id    TEXT NOT NULL,
    code_id        TEXT NOT NULL,
    unit           TEXT NOT NULL,
    start          INTEGER NOT NULL,
    "end"          INTEGER NOT NULL,
    coders         TEXT NOT NULL,
    decision       TEXT NOT NULL
                   CHECK (decision IN ('accept', 'union', 'intersection', 'redraw', 'skip', 'agreed')),
    accepted_coder TEXT,
    consensus      TEXT NOT NULL,
    coding_ids     TEXT NOT NULL,
    rationale      TEXT NOT NULL DEFAULT '',
    decided_by     TEXT NOT NULL,
    created_at     INTEGER NOT NULL
);
CREATE INDEX adjudications_item ON adjudications(code_id, document_id, unit, start);
"#;

/// Version 3: one coding per document, range, code and coder. Applying the same code to
/// the same span twice as the same coder is a no-op, and the index makes it impossible
/// for any path to store a second one.
const V3: &str = r#"
CREATE UNIQUE INDEX codings_identical ON codings(document_id, start, "end", code_id, coder_id);
"#;

/// Version 4: each document keeps its numbers of turns and codings and its speakers (in
/// the order they first speak), so that listing 10,000 documents reads 10,000 rows instead
/// of grouping every turn and coding. Turns and speakers are written when a document is
/// stored; the coding count is kept by every operation that adds or removes codings
/// (`store::counts::maintain_counts`), through the operation log, so undo and redo
/// keep it too.
const V4: &str = r#"
ALTER TABLE documents ADD COLUMN turn_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE documents ADD COLUMN speakers TEXT NOT NULL DEFAULT '[]';
ALTER TABLE documents ADD COLUMN coding_count INTEGER NOT NULL DEFAULT 0;
UPDATE documents SET
    turn_count = (SELECT count(*) FROM turns t WHERE t.document_id = documents.id),
    coding_count = (SELECT count(*) FROM codings c WHERE c.document_id = documents.id),
    speakers = (SELECT json_group_array(speaker) FROM (
        SELECT speaker, min(ordinal) AS first FROM turns t
        WHERE t.document_id = documents.id AND speaker IS NOT NULL
        GROUP BY speaker ORDER BY first));
"#;

/// Version 5: interview recordings linked to documents, and sync points. A recording is
/// never copied into the project: `path` is where the file was (relative to the project's
/// folder when `relative` is 1), and `size` with `fingerprint` (a hash of its first and last
/// MiB) find it again after a move and tell a replaced file. A sync point ties a character
/// of the text to a time in the recording. Deleting a document deletes both through the
/// operation's writer (`store::media_ops`), never by cascade.
const V5: &str = r#"
CREATE TABLE recordings (
    id          TEXT PRIMARY KEY,
    document_id TEXT NOT NULL UNIQUE REFERENCES documents(id),
    path        TEXT NOT NULL,
    relative    INTEGER NOT NULL CHECK (relative IN (0, 1)),
    size        INTEGER NOT NULL,
    fingerprint TEXT NOT NULL,
    format      TEXT NOT NULL,
    duration_ms INTEGER,
    has_video   INTEGER NOT NULL DEFAULT 0,
    linked_at   INTEGER NOT NULL,
    linked_by   TEXT
);

CREATE TABLE sync_points (
    id          TEXT PRIMARY KEY,
    document_id TEXT NOT NULL REFERENCES documents(id),
    position    INTEGER NOT NULL CHECK (position >= 0),
    time_ms     INTEGER NOT NULL CHECK (time_ms >= 0),
    created_at  INTEGER NOT NULL,
    created_by  TEXT,
    UNIQUE (document_id, position)
);
"#;

/// Version 6: suggested codings. A rejection remembers a suggestion a coder turned down
/// (the passage, the code, the model version and score it was suggested with), so that it
/// is never suggested again and teaches the model as a negative example. A provenance row
/// records that a coding came from an accepted suggestion: the model version, its score,
/// who accepted it and when. Document, code and coding IDs here are not foreign keys (as
/// in version 2): deleting a document, code or coding leaves these rows behind, unused, and
/// undoing the deletion finds them again.
const V6: &str = r#"
CREATE TABLE suggestion_rejections (
    id            TEXT PRIMARY KEY,
    document_id   TEXT NOT NULL,
    code_id       TEXT NOT NULL,
    start         INTEGER NOT NULL CHECK (start >= 0),
    "end"         INTEGER NOT NULL CHECK ("end" > start),
    coder_id      TEXT NOT NULL REFERENCES coders(id),
    model_version TEXT NOT NULL,
    score         REAL NOT NULL,
    created_at    INTEGER NOT NULL
);
CREATE INDEX suggestion_rejections_code ON suggestion_rejections(code_id, document_id, start);

CREATE TABLE coding_provenance (
    id            TEXT PRIMARY KEY,
    coding_id     TEXT NOT NULL UNIQUE,
    model_version TEXT NOT NULL,
    score         REAL NOT NULL,
    accepted_by   TEXT NOT NULL REFERENCES coders(id),
    accepted_at   INTEGER NOT NULL
);
"#;

/// The kept code counts of version 7, computed from every coding (the migration, and a
/// copy whose codings were cut down outside the log).
macro_rules! fill_code_counts {
    () => {
        r#"
DELETE FROM code_documents;
DELETE FROM code_totals;
INSERT INTO code_documents (id, code_id, document_id, participant_id, codings)
    SELECT c.code_id || '|' || c.document_id, c.code_id, c.document_id, d.participant_id, count(*)
    FROM codings c JOIN documents d ON d.id = c.document_id GROUP BY c.code_id, c.document_id;
INSERT INTO code_totals (id, codings, documents, participants)
    SELECT code_id, sum(codings), count(*), count(DISTINCT participant_id) FROM code_documents GROUP BY code_id;
"#
    };
}

/// [`fill_code_counts`] as one SQL batch.
pub(crate) const FILL_CODE_COUNTS: &str = fill_code_counts!();

/// Version 7: each code keeps its numbers of codings, coded documents and coded
/// participants (`code_totals`, keyed by code ID), and how many codings it has in each
/// document with that document's participant (`code_documents`, keyed by
/// `CODE_ID|DOCUMENT_ID`, stored in key order with no second copy), so that opening a project of 1,000,000 codings reads 60 rows
/// instead of grouping every coding, and a change recounts only the (code, document) pairs
/// it wrote. Both are kept by every operation (`store::counts::maintain_counts`)
/// through the operation log, so undo and redo keep them too. Derived rows: no foreign keys
/// (a document's codings and the document go in one operation, the counts at its end).
const V7: &str = concat!(
    r#"
CREATE TABLE code_documents (
    id             TEXT PRIMARY KEY,
    code_id        TEXT NOT NULL,
    document_id    TEXT NOT NULL,
    participant_id TEXT,
    codings        INTEGER NOT NULL CHECK (codings > 0)
) WITHOUT ROWID;
CREATE INDEX code_documents_document ON code_documents(document_id);
CREATE INDEX code_documents_participant ON code_documents(code_id, participant_id);
CREATE TABLE code_totals (
    id           TEXT PRIMARY KEY,
    codings      INTEGER NOT NULL CHECK (codings > 0),
    documents    INTEGER NOT NULL,
    participants INTEGER NOT NULL
);
"#,
    fill_code_counts!()
);

/// Version 8: every foreign key's column leads an index, so that deleting a row others
/// may point to (a coder, a codebook version, an attribute, a wave) checks them with one
/// lookup rather than a scan of the table that points: undoing the first coding of a new
/// coder scanned all 1,000,000 codings of the scale study (80 ms).
const V8: &str = r#"
CREATE INDEX codings_coder ON codings(coder_id);
CREATE INDEX codings_codebook_version ON codings(codebook_version_id) WHERE codebook_version_id IS NOT NULL;
CREATE INDEX attribute_values_attribute ON attribute_values(attribute_id);
CREATE INDEX documents_wave ON documents(wave_id);
CREATE INDEX memos_coder ON memos(coder_id);
CREATE INDEX suggestion_rejections_coder ON suggestion_rejections(coder_id);
CREATE INDEX coding_provenance_accepted_by ON coding_provenance(accepted_by);
"#;
