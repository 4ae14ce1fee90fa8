//! The audit log's checks, for the command line (`entrada audit verify`) and the API.

use entrada_domain::audit::ChainCheck;
use sqlx::AnyPool;

use crate::store;

/// Walks the audit log's hash chain from the first event kept to the head, a page at a
/// time, and names the first event that was altered, inserted out of order or removed.
pub async fn verify(db: &AnyPool) -> Result<ChainCheck, sqlx::Error> {
    let mut conn = db.acquire().await?;
    store::audit::verify(&mut conn).await
}
