//! Connecting to SQLite or PostgreSQL through sqlx's `Any` driver, and migrations. This is
//! the one place where the two backends are told apart at connection time.

use std::path::Path;
use std::str::FromStr;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Connection, Executor};

/// Which database a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An embedded SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

impl Backend {
    /// The backend a database URL names, if it is one Entrada supports.
    pub fn of_url(url: &str) -> Option<Backend> {
        if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Some(Backend::Postgres)
        } else {
            None
        }
    }
}

/// Why the database could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The URL names no supported database (the URL is kept without its password).
    #[error("unsupported database URL {0:?}: use sqlite://PATH or postgres://USER@HOST:PORT/DB")]
    UnsupportedUrl(String),
    /// The database could not be opened (URL and reason kept without the password).
    #[error("cannot open the database {url}: {reason}")]
    Connect {
        /// The URL, password redacted.
        url: String,
        /// What went wrong, password redacted.
        reason: String,
    },
    /// The folder for the SQLite file could not be created.
    #[error("cannot create the folder for the SQLite database {path}: {source}")]
    CreateFolder {
        /// The folder.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// Another server runs the background jobs on this SQLite database.
    #[error("another Entrada server runs the background jobs on the SQLite database {0}: SQLite serves one instance. Stop the other one, start this one with --no-jobs, or use PostgreSQL for several instances")]
    SqliteInUse(String),
    /// The lock file beside the SQLite database could not be opened.
    #[error("cannot open the lock file {path}: {source}")]
    LockFile {
        /// The lock file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// sqlx failed.
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
    /// A migration failed.
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// Opens a pool on `url`, creating the SQLite file (and its folder) when missing, with WAL,
/// a busy timeout and foreign keys on SQLite.
pub async fn connect(url: &str) -> Result<(AnyPool, Backend), DbError> {
    sqlx::any::install_default_drivers();
    let backend = Backend::of_url(url).ok_or_else(|| DbError::UnsupportedUrl(redact_url(url)))?;
    let given = url;
    // sqlx errors may quote the URL; none of them leaves here with the password in it.
    let failed = |error: sqlx::Error| DbError::Connect {
        url: redact_url(given),
        reason: scrub_password(&error.to_string(), given),
    };
    let url = match backend {
        Backend::Sqlite => sqlite_url_with_create(url)?,
        Backend::Postgres => url.to_owned(),
    };
    let options = AnyConnectOptions::from_str(&url).map_err(failed)?;
    let max_connections = match backend {
        Backend::Sqlite => 8,
        Backend::Postgres => 16,
    };
    let pool = AnyPoolOptions::new()
        .max_connections(max_connections)
        .after_connect(|conn, _meta| {
            Box::pin(async move {
                if conn.backend_name() == "SQLite" {
                    conn.execute("PRAGMA journal_mode = WAL").await?;
                    conn.execute("PRAGMA busy_timeout = 5000").await?;
                    conn.execute("PRAGMA foreign_keys = ON").await?;
                    conn.execute("PRAGMA synchronous = NORMAL").await?;
                }
                Ok(())
            })
        })
        .connect_with(options)
        .await
        .map_err(failed)?;
    // Fail early and clearly when the server is unreachable.
    pool.acquire()
        .await
        .map_err(failed)?
        .ping()
        .await
        .map_err(failed)?;
    Ok((pool, backend))
}

/// A database URL fit for errors and logs: `postgres://user:secret@host/db` becomes
/// `postgres://user:***@host/db`, and a `password=` query parameter becomes `password=***`.
pub fn redact_url(url: &str) -> String {
    let mut out = url.to_owned();
    if let Some(scheme_end) = url.find("://").map(|at| at + 3) {
        let authority_end = url[scheme_end..]
            .find(['/', '?', '#'])
            .map_or(url.len(), |at| at + scheme_end);
        let authority = &url[scheme_end..authority_end];
        if let Some(at) = authority.rfind('@') {
            if let Some((user, _)) = authority[..at].split_once(':') {
                out = format!(
                    "{}{user}:***{}",
                    &url[..scheme_end],
                    &url[scheme_end + at..]
                );
            }
        }
    }
    if let Some(query_start) = out.find('?') {
        let (base, query) = out.split_at(query_start + 1);
        let query: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((key, _)) if key.eq_ignore_ascii_case("password") => format!("{key}=***"),
                _ => pair.to_owned(),
            })
            .collect();
        out = format!("{base}{}", query.join("&"));
    }
    out
}

/// `text` with the password of `url` (and the URL itself) replaced, for error messages
/// that may quote them.
fn scrub_password(text: &str, url: &str) -> String {
    let mut text = text.replace(url, &redact_url(url));
    for secret in secrets_of(url).iter().filter(|secret| !secret.is_empty()) {
        text = text.replace(secret.as_str(), "***");
    }
    text
}

/// The passwords written in a database URL.
fn secrets_of(url: &str) -> Vec<String> {
    let mut secrets = Vec::new();
    if let Some(scheme_end) = url.find("://").map(|at| at + 3) {
        let authority_end = url[scheme_end..]
            .find(['/', '?', '#'])
            .map_or(url.len(), |at| at + scheme_end);
        let authority = &url[scheme_end..authority_end];
        if let Some(at) = authority.rfind('@') {
            if let Some((_, password)) = authority[..at].split_once(':') {
                secrets.push(password.to_owned());
            }
        }
    }
    if let Some((_, query)) = url.split_once('?') {
        for pair in query.split('&') {
            if let Some((key, value)) = pair.split_once('=') {
                if key.eq_ignore_ascii_case("password") {
                    secrets.push(value.to_owned());
                }
            }
        }
    }
    secrets
}

/// Runs the migrations that have not run yet, then makes the audit log append-only: chains
/// any events written before the chain existed and installs the triggers that refuse UPDATE
/// and DELETE on it (the one step whose SQL differs per backend). Several instances
/// starting at once do this one after the other.
pub async fn migrate(pool: &AnyPool) -> Result<(), DbError> {
    sqlx::migrate!("./migrations").run(pool).await?;
    let mut tx = begin(pool).await?;
    let backend = backend_of(pool);
    if backend == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock(7310250001)")
            .execute(&mut *tx)
            .await?;
    }
    let chained = crate::store::audit::chain_unchained(&mut tx).await?;
    if chained > 0 {
        tracing::info!(
            events = chained,
            "chained the audit events written before the hash chain"
        );
    }
    sqlx::raw_sql(append_only_triggers(backend))
        .execute(&mut *tx)
        .await?;
    sqlx::raw_sql(&version_triggers(backend))
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// The backend of an open pool.
pub(crate) fn backend_of(pool: &AnyPool) -> Backend {
    match pool.connect_options().database_url.scheme() {
        "sqlite" => Backend::Sqlite,
        _ => Backend::Postgres,
    }
}

/// Triggers refusing UPDATE and DELETE on `audit_events`; DELETE passes only while the
/// retention job holds the `audit_prune_permit` row in its own transaction.
fn append_only_triggers(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => {
            "CREATE TRIGGER IF NOT EXISTS audit_events_no_update BEFORE UPDATE ON audit_events \
             BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;\n\
             CREATE TRIGGER IF NOT EXISTS audit_events_no_delete BEFORE DELETE ON audit_events \
             WHEN NOT EXISTS (SELECT 1 FROM audit_prune_permit) \
             BEGIN SELECT RAISE(ABORT, 'audit events are append-only; only retention prunes them'); END;"
        }
        Backend::Postgres => {
            "CREATE OR REPLACE FUNCTION entrada_audit_append_only() RETURNS trigger AS $$ \
             BEGIN \
               IF TG_OP = 'DELETE' AND EXISTS (SELECT 1 FROM audit_prune_permit) THEN RETURN OLD; END IF; \
               RAISE EXCEPTION 'audit events are append-only; only retention prunes them'; \
             END $$ LANGUAGE plpgsql;\n\
             DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events;\n\
             CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events \
             FOR EACH ROW EXECUTE FUNCTION entrada_audit_append_only();\n\
             DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events;\n\
             CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events \
             FOR EACH STATEMENT EXECUTE FUNCTION entrada_audit_append_only();"
        }
    }
}

/// Tables whose changes bump both counters of `data_versions`: what every My Access list
/// and approvals inbox is computed from.
pub(crate) const CATALOG_TABLES: &[&str] = &[
    "catalogs",
    "catalog_resources",
    "access_packages",
    "package_resource_roles",
    "assignment_policies",
    "connected_organizations",
    "settings",
];

/// Tables whose changes bump the `data` counter: the directory, roles, resources,
/// assignments, requests and people's own choices.
pub(crate) const DATA_TABLES: &[&str] = &[
    "users",
    "global_roles",
    "directory_groups",
    "group_members",
    "applications",
    "application_role_members",
    "sites",
    "site_role_members",
    "catalog_roles",
    "resource_owners",
    "assignments",
    "assignment_grants",
    "access_requests",
    "request_decisions",
    "notification_opt_outs",
    "pending_signups",
    "directory_links",
];

/// Tables no cached answer is computed from, so their writes bump nothing: sessions are
/// checked on every request anyway, sign-ins on their way through the OpenID provider
/// are read once, directory sync's own bookkeeping is read by the sync and the
/// Integrations page, and the audit log, sign-in attempts and the outbox are
/// read fresh by the pages that show them. (Only a test reads this list: it fails when a
/// table is in none of the three.)
#[cfg(test)]
const UNCOUNTED_TABLES: &[&str] = &[
    "sessions",
    "sign_in_attempts",
    "oidc_logins",
    "directory_writes",
    "directory_syncs",
    "directory_sync_lease",
    "audit_events",
    "audit_head",
    "audit_prune_permit",
    "outbox",
    "link_base",
    "data_versions",
    "data_version_changes",
    // SCIM's tokens and resource meta: read fresh by SCIM and the Integrations page.
    "scim_tokens",
    "scim_resources",
    "_sqlx_migrations",
];

/// Triggers that bump `data_versions` in the writing transaction: on SQLite one per table
/// and statement kind (SQLite has one writer, so the row is never contended); on
/// PostgreSQL statement-level triggers that note a change in `data_version_changes` once
/// per transaction, whose deferred trigger bumps the row at commit, so the row's lock is
/// always the last one a transaction takes (no deadlock with the audit chain's head) and
/// is held only while it commits.
fn version_triggers(backend: Backend) -> String {
    let tables = CATALOG_TABLES
        .iter()
        .map(|table| (*table, "catalog"))
        .chain(DATA_TABLES.iter().map(|table| (*table, "data")));
    let mut sql = String::new();
    match backend {
        Backend::Sqlite => {
            for (table, kind) in tables {
                let set = match kind {
                    "catalog" => "data = data + 1, catalog = catalog + 1",
                    _ => "data = data + 1",
                };
                for operation in ["INSERT", "UPDATE", "DELETE"] {
                    let name = format!("{table}_version_{}", operation.to_ascii_lowercase());
                    sql.push_str(&format!(
                        "CREATE TRIGGER IF NOT EXISTS {name} AFTER {operation} ON {table} \
                         BEGIN UPDATE data_versions SET {set} WHERE id = 1; END;\n"
                    ));
                }
            }
        }
        Backend::Postgres => {
            // A statement-level trigger per table and operation notes the change once per
            // transaction (when its statement changed a row: the transition table says);
            // the note's deferred trigger bumps the counters at commit.
            sql.push_str(
                "CREATE OR REPLACE FUNCTION entrada_note_change() RETURNS trigger AS $$ \
                 BEGIN \
                   IF current_setting('entrada.noted_' || TG_ARGV[0], true) = 'yes' THEN RETURN NULL; END IF; \
                   IF NOT EXISTS (SELECT 1 FROM changed) THEN RETURN NULL; END IF; \
                   PERFORM set_config('entrada.noted_' || TG_ARGV[0], 'yes', true); \
                   INSERT INTO data_version_changes (txid, kind) VALUES (txid_current(), TG_ARGV[0]); \
                   RETURN NULL; \
                 END $$ LANGUAGE plpgsql;\n\
                 CREATE OR REPLACE FUNCTION entrada_bump_versions() RETURNS trigger AS $$ \
                 BEGIN \
                   IF NEW.kind = 'catalog' THEN \
                     UPDATE data_versions SET data = data + 1, catalog = catalog + 1 WHERE id = 1; \
                   ELSE \
                     UPDATE data_versions SET data = data + 1 WHERE id = 1; \
                   END IF; \
                   DELETE FROM data_version_changes WHERE txid = NEW.txid AND kind = NEW.kind; \
                   RETURN NULL; \
                 END $$ LANGUAGE plpgsql;\n",
            );
            sql.push_str(&pg_trigger_once(
                "data_version_changes_bump",
                "CREATE CONSTRAINT TRIGGER data_version_changes_bump AFTER INSERT ON data_version_changes \
                 DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION entrada_bump_versions()",
            ));
            for (table, kind) in tables {
                // Before migration 0019 each table had one deferred trigger per row.
                let old = format!("{table}_version");
                sql.push_str(&format!(
                    "DO $$ BEGIN \
                       IF EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = '{old}') THEN \
                         DROP TRIGGER {old} ON {table}; \
                       END IF; \
                     END $$;\n"
                ));
                for (operation, rows) in [("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD")] {
                    let name = format!("{table}_noted_{}", operation.to_ascii_lowercase());
                    sql.push_str(&pg_trigger_once(
                        &name,
                        &format!(
                            "CREATE TRIGGER {name} AFTER {operation} ON {table} \
                             REFERENCING {rows} TABLE AS changed FOR EACH STATEMENT \
                             EXECUTE FUNCTION entrada_note_change('{kind}')"
                        ),
                    ));
                }
            }
            sql.push_str("DROP FUNCTION IF EXISTS entrada_bump_version();\n");
        }
    }
    sql
}

/// PostgreSQL: runs `create` (a CREATE TRIGGER) unless a trigger `name` exists, so that
/// instances starting against a migrated database take no table lock for it.
fn pg_trigger_once(name: &str, create: &str) -> String {
    format!(
        "DO $$ BEGIN \
           IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = '{name}') THEN {create}; END IF; \
         END $$;\n"
    )
}

/// The file path and the query of a `sqlite:` URL.
fn sqlite_path_and_query(url: &str) -> (&str, Option<&str>) {
    let rest = url.trim_start_matches("sqlite:").trim_start_matches("//");
    match rest.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (rest, None),
    }
}

fn sqlite_url_with_create(url: &str) -> Result<String, DbError> {
    let (path, query) = sqlite_path_and_query(url);
    if path != ":memory:" && !path.is_empty() {
        if let Some(parent) = Path::new(path)
            .parent()
            .filter(|parent| !parent.as_os_str().is_empty())
        {
            std::fs::create_dir_all(parent).map_err(|source| DbError::CreateFolder {
                path: parent.display().to_string(),
                source,
            })?;
        }
    }
    let mut params: Vec<&str> = query
        .map(|query| query.split('&').collect())
        .unwrap_or_default();
    if !params.iter().any(|param| param.starts_with("mode=")) {
        params.push("mode=rwc");
    }
    Ok(format!("sqlite://{path}?{}", params.join("&")))
}

/// Held by the one server that runs the background jobs on a SQLite database: an exclusive
/// lock on the file `<database>.jobs-lock`, which the operating system releases when the
/// process ends, however it ends.
#[derive(Debug)]
pub struct JobsLock {
    _file: std::fs::File,
}

/// Takes the jobs lock of the SQLite database at `url` (none for an in-memory database);
/// [`DbError::SqliteInUse`] when another server holds it. Several instances need
/// PostgreSQL, where each due item is claimed in the database instead.
pub fn lock_sqlite_jobs(url: &str) -> Result<Option<JobsLock>, DbError> {
    let (path, _) = sqlite_path_and_query(url);
    if path.is_empty() || path == ":memory:" {
        return Ok(None);
    }
    let lock_path = format!("{path}.jobs-lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|source| DbError::LockFile {
            path: lock_path.clone(),
            source,
        })?;
    match file.try_lock() {
        Ok(()) => Ok(Some(JobsLock { _file: file })),
        Err(std::fs::TryLockError::WouldBlock) => Err(DbError::SqliteInUse(path.to_owned())),
        Err(std::fs::TryLockError::Error(source)) => Err(DbError::LockFile {
            path: lock_path,
            source,
        }),
    }
}

/// Why `entrada backup` made no copy.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The URL names PostgreSQL, which has its own tools.
    #[error("entrada backup copies SQLite databases; back up PostgreSQL with pg_dump (the README shows how)")]
    NotSqlite,
    /// The URL names no supported database.
    #[error(transparent)]
    Url(#[from] DbError),
    /// The source file is not there (a backup never creates an empty database).
    #[error("there is no SQLite database at {0}")]
    NoDatabase(String),
    /// The target exists: a backup never overwrites.
    #[error(
        "{0} already exists; give the backup a new file name (a backup never overwrites a file)"
    )]
    TargetExists(String),
    /// SQLite could not write the copy.
    #[error("the copy could not be written: {0}")]
    Copy(#[from] sqlx::Error),
}

/// Copies the SQLite database at `url` to the new file `to` while the server may be
/// running (`VACUUM INTO`: one read transaction, so the copy is the database as it was at
/// one moment, compacted, and writers carry on meanwhile). Returns the copy's size in bytes.
pub async fn backup(url: &str, to: &Path) -> Result<u64, BackupError> {
    match Backend::of_url(url) {
        Some(Backend::Sqlite) => {}
        Some(Backend::Postgres) => return Err(BackupError::NotSqlite),
        None => return Err(DbError::UnsupportedUrl(redact_url(url)).into()),
    }
    let (path, _) = sqlite_path_and_query(url);
    if !Path::new(path).is_file() {
        return Err(BackupError::NoDatabase(path.to_owned()));
    }
    if to.exists() {
        return Err(BackupError::TargetExists(to.display().to_string()));
    }
    // `mode=rw`: open what is there, never create.
    let (pool, _) = connect(&format!("sqlite://{path}?mode=rw")).await?;
    let copied = sqlx::query("VACUUM INTO $1")
        .bind(to.to_string_lossy().into_owned())
        .execute(&pool)
        .await;
    pool.close().await;
    copied?;
    Ok(std::fs::metadata(to).map(|meta| meta.len()).unwrap_or(0))
}

/// Whether the database answers a trivial query (readiness).
pub(crate) async fn answers(pool: &AnyPool) -> Result<(), sqlx::Error> {
    sqlx::query_scalar::<_, i64>("SELECT 1")
        .fetch_one(pool)
        .await
        .map(|_| ())
}

/// Begins a transaction that will write. On SQLite it takes the write lock at once
/// (`BEGIN IMMEDIATE`), so two concurrent writers queue behind the busy timeout instead
/// of one failing when it upgrades a read lock; PostgreSQL needs no such help.
pub async fn begin(pool: &AnyPool) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
    match backend_of(pool) {
        Backend::Sqlite => pool.begin_with("BEGIN IMMEDIATE").await,
        Backend::Postgres => pool.begin().await,
    }
}

/// A connection for a job that writes a great deal at once (the expiry of a hundred
/// thousand assignments). On SQLite it gets a 64 MiB page cache, so that a batch's
/// scattered index pages stay in memory until its commit writes each once, instead of
/// spilling to the log and being read back; and it checkpoints the log every 64 MiB rather
/// than every 4, so a page that several batches change is copied back once. (The expiry
/// benchmark at scale 0.1: 213,010 `pwrite`s and 67,330 `pread`s before, 74,113 and 8,676
/// with the cache; 3.4 s before, 1.3 s with both.) The connection is closed when dropped,
/// which frees the cache.
pub async fn bulk_connection(
    pool: &AnyPool,
) -> Result<sqlx::pool::PoolConnection<sqlx::Any>, sqlx::Error> {
    let mut conn = pool.acquire().await?;
    conn.close_on_drop();
    if backend_of(pool) == Backend::Sqlite {
        for pragma in [
            "PRAGMA cache_size = -65536",
            "PRAGMA wal_autocheckpoint = 16384",
        ] {
            sqlx::query(pragma).execute(&mut *conn).await?;
        }
    }
    Ok(conn)
}

/// [`begin`] on one connection rather than the pool.
pub async fn begin_on(
    conn: &mut sqlx::AnyConnection,
    backend: Backend,
) -> Result<sqlx::Transaction<'_, sqlx::Any>, sqlx::Error> {
    match backend {
        Backend::Sqlite => sqlx::Connection::begin_with(conn, "BEGIN IMMEDIATE").await,
        Backend::Postgres => sqlx::Connection::begin(conn).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A migrated SQLite database `name` in `dir`, and its URL.
    async fn migrated(dir: &Path, name: &str) -> (AnyPool, String) {
        let url = format!("sqlite://{}/{name}", dir.display());
        let (pool, _) = connect(&url).await.unwrap();
        migrate(&pool).await.unwrap();
        (pool, url)
    }

    #[tokio::test]
    async fn a_backup_is_the_database_at_one_moment_while_a_writer_carries_on() {
        let dir = tempfile::tempdir().unwrap();
        let (pool, url) = migrated(dir.path(), "live.db").await;
        crate::demo::load(&pool, time::OffsetDateTime::now_utc())
            .await
            .unwrap();
        let people: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&pool)
            .await
            .unwrap();
        // A writer holds an open transaction with a change not committed yet.
        let mut writer = begin(&pool).await.unwrap();
        sqlx::query("UPDATE users SET display_name = 'Changed meanwhile'")
            .execute(&mut *writer)
            .await
            .unwrap();
        let copy = dir.path().join("copy.db");
        let size = backup(&url, &copy).await.unwrap();
        writer.commit().await.unwrap();
        assert!(size > 0);

        let (copied, _) = connect(&format!("sqlite://{}", copy.display()))
            .await
            .unwrap();
        let copied_people: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&copied)
            .await
            .unwrap();
        assert_eq!(copied_people, people);
        let changed: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM users WHERE display_name = 'Changed meanwhile'",
        )
        .fetch_one(&copied)
        .await
        .unwrap();
        assert_eq!(changed, 0, "the copy holds no uncommitted change");
        let check = crate::audit::verify(&copied).await.unwrap();
        assert!(check.first_bad.is_none());
        assert!(check.events > 0);
    }

    #[tokio::test]
    async fn a_backup_never_overwrites_creates_or_copies_postgresql() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/live.db", dir.path().display());
        let copy = dir.path().join("copy.db");
        assert!(matches!(
            backup(&url, &copy).await,
            Err(BackupError::NoDatabase(_))
        ));
        assert!(
            !dir.path().join("live.db").exists(),
            "a backup of nothing creates nothing"
        );
        migrated(dir.path(), "live.db").await;
        std::fs::write(&copy, b"keep me").unwrap();
        assert!(matches!(
            backup(&url, &copy).await,
            Err(BackupError::TargetExists(_))
        ));
        assert_eq!(std::fs::read(&copy).unwrap(), b"keep me");
        assert!(matches!(
            backup(
                "postgres://entrada@localhost/entrada",
                &dir.path().join("pg.db")
            )
            .await,
            Err(BackupError::NotSqlite)
        ));
    }

    #[tokio::test]
    async fn every_table_is_counted_or_named_as_not_shown() {
        let dir = tempfile::tempdir().unwrap();
        let (pool, _) = migrated(dir.path(), "tables.db").await;
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        let named = |table: &str| {
            [CATALOG_TABLES, DATA_TABLES, UNCOUNTED_TABLES]
                .iter()
                .any(|list| list.contains(&table))
        };
        let unnamed: Vec<&String> = tables.iter().filter(|table| !named(table)).collect();
        assert!(
            unnamed.is_empty(),
            "say in db.rs whether a change to {unnamed:?} changes what cached answers show"
        );
        assert!(tables.len() > 20, "{tables:?}");
    }

    #[test]
    fn sqlite_urls_gain_create_mode() {
        let dir = std::env::temp_dir().join(format!("entrada-db-{}", std::process::id()));
        let url = format!("sqlite://{}/x.db", dir.display());
        assert_eq!(
            sqlite_url_with_create(&url).unwrap(),
            format!("sqlite://{}/x.db?mode=rwc", dir.display())
        );
        assert!(dir.is_dir());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn urls_lose_their_password_for_printing() {
        assert_eq!(
            redact_url("postgres://entrada:s3cret@db.internal:5432/entrada"),
            "postgres://entrada:***@db.internal:5432/entrada"
        );
        assert_eq!(
            redact_url("postgres://entrada@db/x?sslmode=require&password=s3cret"),
            "postgres://entrada@db/x?sslmode=require&password=***"
        );
        assert_eq!(redact_url("postgres://u@h/d"), "postgres://u@h/d");
        assert_eq!(
            redact_url("sqlite://./data/entrada.db"),
            "sqlite://./data/entrada.db"
        );
        // An @ after the host is not taken for the end of the credentials.
        assert_eq!(
            redact_url("postgres://u:pw@h:5432/d?application_name=a@b"),
            "postgres://u:***@h:5432/d?application_name=a@b"
        );
    }

    #[test]
    fn errors_opening_the_database_never_show_the_password() {
        let url = "mysql://root:hunter2@db/x";
        let outcome = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(connect(url));
        let Err(error) = outcome else {
            panic!("an unsupported URL fails")
        };
        let text = error.to_string();
        assert!(!text.contains("hunter2"), "{text}");
        assert!(text.contains("root:***@db"), "{text}");

        let scrubbed = scrub_password(
            "error with configuration: bad port in postgres://u:hunter2@h:99999/d (hunter2)",
            "postgres://u:hunter2@h:99999/d",
        );
        assert!(!scrubbed.contains("hunter2"), "{scrubbed}");
    }

    #[test]
    fn unknown_schemes_are_refused() {
        assert_eq!(Backend::of_url("mysql://x"), None);
        assert_eq!(Backend::of_url("postgres://u@h/d"), Some(Backend::Postgres));
    }
}
