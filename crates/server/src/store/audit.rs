//! The audit log: append-only and tamper-evident. Every state change appends its event in
//! the same transaction as the change. Each event carries its sequence number, the hash of
//! the event before it and its own hash (migration 0012); [`verify`] walks the chain.

use entrada_domain::audit::{
    target_link, AuditAction, AuditEntry, AuditEvent, AuditFilter, BadEvent, ChainCheck, Named,
};
use entrada_domain::ids::AuditEventId;
use entrada_domain::permission::AuditScope;
use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, Row};
use time::OffsetDateTime;

use crate::clock::to_millis;
use crate::store::{bad_value, from_json, to_json};

/// The stored columns an event's hash covers, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Chained {
    pub seq: i64,
    pub id: String,
    pub at: i64,
    pub actor_id: Option<String>,
    pub action: String,
    pub target_kind: String,
    pub target_id: String,
    pub subject_id: Option<String>,
    pub catalog_id: Option<String>,
    pub package_id: Option<String>,
    pub details_json: String,
    pub prev_hash: String,
}

impl Chained {
    /// SHA-256, in hex, over every column, each length-prefixed so that no two different
    /// rows hash the same text, and over the previous event's hash.
    pub(crate) fn hash(&self) -> String {
        let mut hasher = Sha256::new();
        let seq = self.seq.to_string();
        let at = self.at.to_string();
        let fields: [&str; 12] = [
            &seq,
            &self.id,
            &at,
            self.actor_id.as_deref().unwrap_or("\u{0}"),
            &self.action,
            &self.target_kind,
            &self.target_id,
            self.subject_id.as_deref().unwrap_or("\u{0}"),
            self.catalog_id.as_deref().unwrap_or("\u{0}"),
            self.package_id.as_deref().unwrap_or("\u{0}"),
            &self.details_json,
            &self.prev_hash,
        ];
        for field in fields {
            hasher.update(field.len().to_string().as_bytes());
            hasher.update(b":");
            hasher.update(field.as_bytes());
            hasher.update(b";");
        }
        hex(&hasher.finalize())
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Appends one event at the head of the chain. Must run inside a transaction: taking the
/// head's row lock orders concurrent appends, so the chain never forks.
pub(crate) async fn append(
    conn: &mut AnyConnection,
    event: &AuditEvent,
) -> Result<(), sqlx::Error> {
    append_many(conn, std::slice::from_ref(event)).await
}

/// Appends events at the head of the chain, in order, with one move of the head and one
/// multi-row insert per page: what a job that ends thousands of assignments writes.
/// Must run inside a transaction, as [`append`].
pub(crate) async fn append_many(
    conn: &mut AnyConnection,
    events: &[AuditEvent],
) -> Result<(), sqlx::Error> {
    if events.is_empty() {
        return Ok(());
    }
    let count = i64::try_from(events.len()).map_err(|_| bad_value("events", "too many"))?;
    let head = sqlx::query("UPDATE audit_head SET seq = seq + $1 WHERE id = 1 RETURNING seq, hash")
        .bind(count)
        .fetch_one(&mut *conn)
        .await?;
    let last: i64 = head.try_get(0)?;
    let mut prev_hash: String = head.try_get(1)?;
    let mut rows = Vec::with_capacity(events.len());
    for (offset, event) in (0i64..).zip(events) {
        let row = Chained {
            seq: last - count + 1 + offset,
            id: event.id.as_str().to_owned(),
            at: to_millis(event.at),
            actor_id: event.actor.as_ref().map(|actor| actor.as_str().to_owned()),
            action: event.action.as_str().to_owned(),
            target_kind: event.target_kind.clone(),
            target_id: event.target_id.clone(),
            subject_id: subject_of(&event.target_kind, &event.target_id, &event.details),
            catalog_id: event.catalog_id.as_ref().map(|id| id.as_str().to_owned()),
            package_id: event.package_id.as_ref().map(|id| id.as_str().to_owned()),
            details_json: to_json(&event.details)?,
            prev_hash,
        };
        let hash = row.hash();
        prev_hash = hash.clone();
        rows.push((row, hash));
    }
    for page in rows.chunks(INSERT_PAGE) {
        insert(conn, page).await?;
    }
    sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
        .bind(&prev_hash)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// How many events one INSERT writes (13 values each). On SQLite the placeholders are
/// plain `?`s (`store::positional`), so a large page costs no more to bind per row; 100
/// rather than 25 took a tenth off the expiry benchmark.
const INSERT_PAGE: usize = 100;

/// The person an event is about: its target when that is a person, else the requestor or
/// holder its details name.
fn subject_of(
    target_kind: &str,
    target_id: &str,
    details: &std::collections::BTreeMap<String, String>,
) -> Option<String> {
    match target_kind {
        "user" => Some(target_id.to_owned()),
        _ => ["requestor", "user"]
            .iter()
            .find_map(|key| details.get(*key).cloned()),
    }
}

async fn insert(conn: &mut AnyConnection, rows: &[(Chained, String)]) -> Result<(), sqlx::Error> {
    let values: Vec<String> = (0..rows.len())
        .map(|row| {
            let first = row * 13;
            let params: Vec<String> = (1..=13)
                .map(|column| format!("${}", first + column))
                .collect();
            format!("({})", params.join(", "))
        })
        .collect();
    let sql = super::positional(
        conn,
        format!(
            "INSERT INTO audit_events (id, at, actor_id, action, target_kind, target_id, subject_id, catalog_id, package_id, details_json, seq, prev_hash, hash) VALUES {}",
            values.join(", ")
        ),
    );
    let mut query = sqlx::query(&sql);
    for (row, hash) in rows {
        query = query
            .bind(&row.id)
            .bind(row.at)
            .bind(row.actor_id.as_deref())
            .bind(&row.action)
            .bind(&row.target_kind)
            .bind(&row.target_id)
            .bind(row.subject_id.as_deref())
            .bind(row.catalog_id.as_deref())
            .bind(row.package_id.as_deref())
            .bind(&row.details_json)
            .bind(row.seq)
            .bind(&row.prev_hash)
            .bind(hash);
    }
    query.execute(conn).await?;
    Ok(())
}

const CHAINED_COLUMNS: &str = "seq, id, at, actor_id, action, target_kind, target_id, subject_id, catalog_id, package_id, details_json, prev_hash, hash";

fn chained_of(row: &sqlx::any::AnyRow) -> Result<(Chained, String), sqlx::Error> {
    Ok((
        Chained {
            seq: row.try_get(0)?,
            id: row.try_get(1)?,
            at: row.try_get(2)?,
            actor_id: row.try_get(3)?,
            action: row.try_get(4)?,
            target_kind: row.try_get(5)?,
            target_id: row.try_get(6)?,
            subject_id: row.try_get(7)?,
            catalog_id: row.try_get(8)?,
            package_id: row.try_get(9)?,
            details_json: row.try_get(10)?,
            prev_hash: row.try_get(11)?,
        },
        row.try_get(12)?,
    ))
}

/// Chains the events written before migration 0012 (no sequence number yet), in the order
/// they happened, onto the head. Runs at start-up before the append-only triggers exist;
/// a database whose events are all chained is left as it is.
pub(crate) async fn chain_unchained(conn: &mut AnyConnection) -> Result<u64, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, at, actor_id, action, target_kind, target_id, catalog_id, package_id, details_json \
         FROM audit_events WHERE seq IS NULL ORDER BY at, id",
    )
    .fetch_all(&mut *conn)
    .await?;
    let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
        .fetch_one(&mut *conn)
        .await?;
    let (mut seq, mut prev): (i64, String) = (head.try_get(0)?, head.try_get(1)?);
    let count = rows.len() as u64;
    for row in rows {
        seq += 1;
        let target_kind: String = row.try_get(4)?;
        let target_id: String = row.try_get(5)?;
        let details_json: String = row.try_get(8)?;
        let details: std::collections::BTreeMap<String, String> = from_json(&details_json)?;
        let subject_id = subject_of(&target_kind, &target_id, &details);
        let chained = Chained {
            seq,
            id: row.try_get(0)?,
            at: row.try_get(1)?,
            actor_id: row.try_get(2)?,
            action: row.try_get(3)?,
            target_kind,
            target_id,
            subject_id,
            catalog_id: row.try_get(6)?,
            package_id: row.try_get(7)?,
            details_json,
            prev_hash: prev.clone(),
        };
        let hash = chained.hash();
        sqlx::query(
            "UPDATE audit_events SET seq = $1, prev_hash = $2, hash = $3, subject_id = $5 WHERE id = $4",
        )
            .bind(seq)
            .bind(&chained.prev_hash)
            .bind(&hash)
            .bind(&chained.id)
            .bind(chained.subject_id.as_deref())
            .execute(&mut *conn)
            .await?;
        prev = hash;
    }
    if count > 0 {
        sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
            .bind(seq)
            .bind(&prev)
            .execute(&mut *conn)
            .await?;
    }
    Ok(count)
}

/// Events read per query while verifying: the walk holds one page in memory.
const VERIFY_PAGE: i64 = 5_000;

/// Walks the whole chain in sequence order, a page at a time, and names the first event
/// that was altered, inserted out of order or is missing. The first event kept must be the
/// first ever (sequence 1, after nothing) or the one a retention prune recorded as its
/// anchor; the newest must be the head.
pub(crate) async fn verify(conn: &mut AnyConnection) -> Result<ChainCheck, sqlx::Error> {
    let mut check = ChainCheck {
        events: 0,
        first_seq: None,
        last_seq: None,
        first_bad: None,
    };
    // The head first: events appended while the walk runs lie beyond it and are left for
    // the next check, so a busy log never looks truncated.
    let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
        .fetch_one(&mut *conn)
        .await?;
    let (head_seq, head_hash): (i64, String) = (head.try_get(0)?, head.try_get(1)?);
    let anchor = prune_anchor(conn).await?;
    let mut previous: Option<(i64, String)> = None;
    loop {
        let after = previous.as_ref().map_or(i64::MIN, |(seq, _)| *seq);
        let rows = sqlx::query(&format!(
            "SELECT {CHAINED_COLUMNS} FROM audit_events WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT $3"
        ))
        .bind(after)
        .bind(head_seq)
        .bind(VERIFY_PAGE)
        .fetch_all(&mut *conn)
        .await?;
        if rows.is_empty() {
            break;
        }
        for row in &rows {
            let (chained, stored_hash) = chained_of(row)?;
            let bad = |reason: String| BadEvent {
                seq: chained.seq,
                id: Some(chained.id.clone()),
                reason,
            };
            let problem = match &previous {
                None => {
                    check.first_seq = Some(chained.seq);
                    first_event_problem(&chained, anchor.as_ref())
                }
                Some((seq, _)) if chained.seq != seq + 1 => Some(format!(
                    "events {} to {} are missing",
                    seq + 1,
                    chained.seq - 1
                )),
                Some((_, hash)) if &chained.prev_hash != hash => {
                    Some("it does not name the hash of the event before it".to_owned())
                }
                Some(_) => None,
            }
            .or_else(|| {
                (chained.hash() != stored_hash)
                    .then(|| "its contents do not match its hash: it was altered".to_owned())
            });
            if let Some(reason) = problem {
                check.first_bad = Some(bad(reason));
                return Ok(check);
            }
            check.events += 1;
            check.last_seq = Some(chained.seq);
            previous = Some((chained.seq, stored_hash));
        }
    }
    let (last_seq, last_hash) = previous.unwrap_or((0, String::new()));
    if head_seq != last_seq || head_hash != last_hash {
        check.first_bad = Some(BadEvent {
            seq: last_seq + 1,
            id: None,
            reason: format!(
                "the newest events are missing: the log ends at {last_seq}, its head says {head_seq}"
            ),
        });
    }
    Ok(check)
}

fn first_event_problem(first: &Chained, anchor: Option<&(i64, String)>) -> Option<String> {
    if first.seq == 1 {
        return (!first.prev_hash.is_empty())
            .then(|| "the first event names an event before it".to_owned());
    }
    match anchor {
        Some((seq, prev_hash)) if *seq == first.seq && prev_hash == &first.prev_hash => None,
        Some(_) => Some("the first event kept is not the one the last prune recorded".to_owned()),
        None => Some(format!(
            "events 1 to {} are missing and no prune recorded their removal",
            first.seq - 1
        )),
    }
}

/// The first event kept by the newest retention prune: its sequence number and the hash
/// before it, as recorded in the prune's own (chained) event.
async fn prune_anchor(conn: &mut AnyConnection) -> Result<Option<(i64, String)>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT details_json FROM audit_events WHERE action = 'audit.pruned' ORDER BY seq DESC LIMIT 1",
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let details: std::collections::BTreeMap<String, String> =
        from_json(&row.try_get::<String, _>(0)?)?;
    let seq = details
        .get("firstKeptSeq")
        .and_then(|seq| seq.parse::<i64>().ok());
    Ok(seq.zip(details.get("firstKeptPrevHash").cloned()))
}

/// Events matching `filter` within `scope`, newest first (time, then sequence), at most
/// `limit` of them after the filter's cursor, with the names of the people, catalog and
/// package they mention. Every filter is a bound parameter; each has an index.
pub(crate) async fn page(
    conn: &mut AnyConnection,
    filter: &AuditFilter,
    scope: &AuditScope,
    limit: u32,
) -> Result<Vec<AuditEntry>, sqlx::Error> {
    let mut conditions: Vec<String> = Vec::new();
    let mut binds: Vec<Bind> = Vec::new();
    let next = |value: Bind, binds: &mut Vec<Bind>| {
        binds.push(value);
        format!("${}", binds.len())
    };
    if let Some(from) = filter.from {
        let p = next(Bind::Int(to_millis(from)), &mut binds);
        conditions.push(format!("e.at >= {p}"));
    }
    if let Some(to) = filter.to {
        let p = next(Bind::Int(to_millis(to)), &mut binds);
        conditions.push(format!("e.at < {p}"));
    }
    if let Some(actor) = &filter.actor {
        let p = next(Bind::Text(actor.as_str().to_owned()), &mut binds);
        conditions.push(format!("e.actor_id = {p}"));
    }
    if let Some(target) = &filter.target {
        let p = next(Bind::Text(target.clone()), &mut binds);
        let q = next(Bind::Text(target.clone()), &mut binds);
        conditions.push(format!("(e.subject_id = {p} OR e.target_id = {q})"));
    }
    if let Some(catalog) = &filter.catalog {
        let p = next(Bind::Text(catalog.as_str().to_owned()), &mut binds);
        conditions.push(format!("e.catalog_id = {p}"));
    }
    if let Some(package) = &filter.package {
        let p = next(Bind::Text(package.as_str().to_owned()), &mut binds);
        conditions.push(format!("e.package_id = {p}"));
    }
    if let Some(action) = filter.action {
        let p = next(Bind::Text(action.as_str().to_owned()), &mut binds);
        conditions.push(format!("e.action = {p}"));
    }
    if let Some((at, seq)) = filter.cursor {
        // A row comparison, which both backends read as a range of the (at, seq) index, so
        // each page starts where the last ended. Written as `at < a OR (at = a AND seq < s)`,
        // PostgreSQL filtered a backward scan from the newest event on every page, and an
        // export of 1,000,000 events took 229 s.
        let a = next(Bind::Int(at), &mut binds);
        let s = next(Bind::Int(seq), &mut binds);
        conditions.push(format!("(e.at, e.seq) < ({a}, {s})"));
    }
    if let AuditScope::Catalogs(catalogs) = scope {
        let list = catalogs
            .iter()
            .map(|catalog| next(Bind::Text(catalog.as_str().to_owned()), &mut binds))
            .collect::<Vec<_>>()
            .join(", ");
        conditions.push(format!("e.catalog_id IN ({list})"));
    }
    let limit_param = next(Bind::Int(i64::from(limit)), &mut binds);
    let where_clause = match conditions.is_empty() {
        true => String::new(),
        false => format!("WHERE {}", conditions.join(" AND ")),
    };
    let sql = format!(
        "SELECT e.seq, e.id, e.at, e.actor_id, actor.display_name, e.action, e.target_kind, e.target_id, \
         e.subject_id, subject.display_name, e.catalog_id, catalog.name, e.package_id, package.name, e.details_json \
         FROM audit_events e \
         LEFT JOIN users actor ON actor.id = e.actor_id \
         LEFT JOIN users subject ON subject.id = e.subject_id \
         LEFT JOIN catalogs catalog ON catalog.id = e.catalog_id \
         LEFT JOIN access_packages package ON package.id = e.package_id \
         {where_clause} ORDER BY e.at DESC, e.seq DESC LIMIT {limit_param}"
    );
    let mut query = sqlx::query(&sql);
    for bind in binds {
        query = match bind {
            Bind::Int(value) => query.bind(value),
            Bind::Text(value) => query.bind(value),
        };
    }
    let rows = query.fetch_all(&mut *conn).await?;
    rows.iter().map(entry_of).collect()
}

enum Bind {
    Int(i64),
    Text(String),
}

fn entry_of(row: &sqlx::any::AnyRow) -> Result<AuditEntry, sqlx::Error> {
    let named = |id: Option<String>, name: Option<String>| id.map(|id| Named { id, name });
    let action: String = row.try_get(5)?;
    let target_kind: String = row.try_get(6)?;
    let target_id: String = row.try_get(7)?;
    let catalog_id: Option<String> = row.try_get(10)?;
    let package_id: Option<String> = row.try_get(12)?;
    let link = target_link(
        &target_kind,
        &target_id,
        catalog_id.as_deref(),
        package_id.as_deref(),
    );
    Ok(AuditEntry {
        seq: row.try_get(0)?,
        id: row.try_get(1)?,
        at: crate::clock::from_millis(row.try_get(2)?),
        actor: named(row.try_get(3)?, row.try_get(4)?),
        action: AuditAction::parse(&action).ok_or_else(|| bad_value("action", &action))?,
        target_kind,
        target_id,
        subject: named(row.try_get(8)?, row.try_get(9)?),
        catalog: named(catalog_id, row.try_get(11)?),
        package: named(package_id, row.try_get(13)?),
        details: from_json(&row.try_get::<String, _>(14)?)?,
        link,
    })
}

/// Retention: deletes the events older than `cutoff` (a prefix of the chain, in sequence
/// order), then appends an `audit.pruned` event that records the first event kept and the
/// hash before it, so the chain still verifies from there. Takes the head's lock first, so
/// two instances pruning at once prune once. Returns how many events were deleted.
pub(crate) async fn prune(
    conn: &mut AnyConnection,
    cutoff: OffsetDateTime,
    now: OffsetDateTime,
) -> Result<u64, sqlx::Error> {
    let head = sqlx::query("UPDATE audit_head SET seq = seq WHERE id = 1 RETURNING seq, hash")
        .fetch_one(&mut *conn)
        .await?;
    let (head_seq, head_hash): (i64, String) = (head.try_get(0)?, head.try_get(1)?);
    let oldest: Option<i64> = sqlx::query_scalar("SELECT MIN(seq) FROM audit_events")
        .fetch_one(&mut *conn)
        .await?;
    let first_kept: Option<i64> =
        sqlx::query_scalar("SELECT MIN(seq) FROM audit_events WHERE at >= $1")
            .bind(to_millis(cutoff))
            .fetch_one(&mut *conn)
            .await?;
    let first_kept = first_kept.unwrap_or(head_seq + 1);
    let Some(oldest) = oldest.filter(|oldest| *oldest < first_kept) else {
        return Ok(0);
    };
    let kept_prev_hash: String = match first_kept > head_seq {
        true => head_hash,
        false => {
            sqlx::query_scalar("SELECT prev_hash FROM audit_events WHERE seq = $1")
                .bind(first_kept)
                .fetch_one(&mut *conn)
                .await?
        }
    };
    sqlx::query("INSERT INTO audit_prune_permit (id) VALUES (1)")
        .execute(&mut *conn)
        .await?;
    let deleted = sqlx::query("DELETE FROM audit_events WHERE seq < $1")
        .bind(first_kept)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    sqlx::query("DELETE FROM audit_prune_permit")
        .execute(&mut *conn)
        .await?;
    let event = AuditEvent::new(
        AuditEventId(crate::store::new_id()),
        now,
        None,
        AuditAction::AuditPruned,
        "audit",
        "audit",
    )
    .with_detail("deleted", deleted.to_string())
    .with_detail("deletedSeqs", format!("{oldest}–{}", first_kept - 1))
    .with_detail(
        "olderThan",
        cutoff
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
    )
    .with_detail("firstKeptSeq", first_kept.to_string())
    .with_detail("firstKeptPrevHash", kept_prev_hash);
    append(conn, &event).await?;
    Ok(deleted)
}
