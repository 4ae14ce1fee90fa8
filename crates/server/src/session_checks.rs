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

use sqlx::AnyPool;
use tokio::sync::{mpsc, oneshot};

use crate::store::sessions::{read_many, Stored};

/// The most checks one query reads (see [`read_many`]).
const MOST: usize = crate::store::sessions::READ_AT_MOST;

type Reply = oneshot::Sender<Result<Option<Stored>, String>>;

/// The queue of session checks (one per instance, in `AppState`).
pub(crate) struct SessionChecks {
    queue: mpsc::UnboundedSender<(String, Reply)>,
}

impl SessionChecks {
    /// Starts the reader on `db`: one, so that while it reads the next batch gathers. It
    /// stops once the last handle to this is dropped.
    pub(crate) fn start(db: AnyPool) -> Self {
        let (queue, waiting) = mpsc::unbounded_channel();
        tokio::spawn(read_forever(db, waiting));
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
async fn read_forever(db: AnyPool, mut waiting: mpsc::UnboundedReceiver<(String, Reply)>) {
    while let Some(first) = waiting.recv().await {
        let mut batch = vec![first];
        while batch.len() < MOST {
            match waiting.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        let hashes: Vec<&str> = batch.iter().map(|(hash, _)| hash.as_str()).collect();
        match read_many(&db, &hashes).await {
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
