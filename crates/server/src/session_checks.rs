//! Session checks, read together. Every signed-in request checks its session (and reads the
//! data versions with it, see `cache`). On PostgreSQL that was a round trip per request,
//! and at 64 connections those round trips, not the answers (served from memory), were
//! what held the server back: the My Access benchmark at the reference size gave 3,554
//! requests/s, 0.38 of the baseline, against SQLite's 0.67. Here one reader takes every
//! check waiting and answers them with one query: at low load a check is read alone, at
//! once; under load one round trip serves all that arrived during the last one. With it the
//! same benchmark gave 4,002 requests/s, 0.61 of the baseline. (Four readers instead of one:
//! 0.49 on PostgreSQL; on SQLite one and four were the same within this machine's noise.)
//!
//! A check is never answered from before it was asked: its query starts after it was
//! queued, so it sees every commit that came before the request (a session ended a moment
//! ago is refused, on any instance).

use std::collections::HashMap;
use std::sync::Arc;

use sqlx::{AnyPool, Row};
use tokio::sync::{mpsc, oneshot, Mutex};

use crate::cache::Versions;

/// How many batches may be read at once (each holds a pooled connection while it runs).
/// One: while it reads, the next batch gathers.
const READERS: usize = 1;

/// The most checks one query reads. Batches are padded to a power of two up to this, so a
/// connection prepares at most seven statements for them.
const MOST: usize = 64;

/// A session as stored, with the data versions read in the same query.
#[derive(Debug, Clone)]
pub(crate) struct Stored {
    pub user_id: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
    pub versions: Versions,
}

type Reply = oneshot::Sender<Result<Option<Stored>, String>>;

/// The queue of session checks (one per instance, in `AppState`).
pub(crate) struct SessionChecks {
    queue: mpsc::UnboundedSender<(String, Reply)>,
}

impl SessionChecks {
    /// Starts the readers on `db`. They stop once the last handle to this is dropped.
    pub(crate) fn start(db: AnyPool) -> Self {
        let (queue, waiting) = mpsc::unbounded_channel();
        let waiting = Arc::new(Mutex::new(waiting));
        for _ in 0..READERS {
            tokio::spawn(read_forever(db.clone(), waiting.clone()));
        }
        Self { queue }
    }

    /// The session stored under `token_hash` (`None`: no such session), read by a query
    /// that started after this call.
    pub(crate) async fn look_up(&self, token_hash: &str) -> Result<Option<Stored>, sqlx::Error> {
        let (reply, answer) = oneshot::channel();
        let stopped = || sqlx::Error::PoolClosed;
        self.queue
            .send((token_hash.to_owned(), reply))
            .map_err(|_| stopped())?;
        answer
            .await
            .map_err(|_| stopped())?
            .map_err(|reason| sqlx::Error::Protocol(format!("reading sessions: {reason}")))
    }
}

/// Takes whatever checks are waiting (at least one, at most [`MOST`]) and answers them with
/// one query, until the queue closes.
async fn read_forever(db: AnyPool, waiting: Arc<Mutex<mpsc::UnboundedReceiver<(String, Reply)>>>) {
    loop {
        let mut batch = Vec::new();
        {
            let mut waiting = waiting.lock().await;
            match waiting.recv().await {
                Some(first) => batch.push(first),
                None => return,
            }
            while batch.len() < MOST {
                match waiting.try_recv() {
                    Ok(next) => batch.push(next),
                    Err(_) => break,
                }
            }
        }
        let hashes: Vec<&str> = batch.iter().map(|(hash, _)| hash.as_str()).collect();
        match read(&db, &hashes).await {
            Ok(found) => {
                // One session may be checked by several requests at once.
                for (hash, reply) in batch {
                    let _ = reply.send(Ok(found.get(&hash).cloned()));
                }
            }
            Err(error) => {
                tracing::warn!(%error, checks = batch.len(), "sessions could not be read");
                for (_, reply) in batch {
                    let _ = reply.send(Err(error.to_string()));
                }
            }
        }
    }
}

/// The sessions stored under `hashes`, by hash.
async fn read(db: &AnyPool, hashes: &[&str]) -> Result<HashMap<String, Stored>, sqlx::Error> {
    let size = hashes.len().next_power_of_two().min(MOST);
    let placeholders: Vec<String> = (1..=size).map(|n| format!("${n}")).collect();
    let sql = format!(
        "SELECT s.token_hash, s.user_id, s.created_at, s.last_seen_at, s.expires_at, v.data, v.catalog \
         FROM sessions s CROSS JOIN data_versions v WHERE v.id = 1 AND s.token_hash IN ({})",
        placeholders.join(", ")
    );
    let mut query = sqlx::query(&sql);
    // Padding: no session is stored under the empty hash.
    for n in 0..size {
        query = query.bind(hashes.get(n).copied().unwrap_or(""));
    }
    let rows = query.fetch_all(db).await?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get("token_hash")?,
                Stored {
                    user_id: row.try_get("user_id")?,
                    created_at: row.try_get("created_at")?,
                    last_seen_at: row.try_get("last_seen_at")?,
                    expires_at: row.try_get("expires_at")?,
                    versions: Versions {
                        data: row.try_get("data")?,
                        catalog: row.try_get("catalog")?,
                    },
                },
            ))
        })
        .collect()
}
