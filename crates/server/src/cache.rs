//! Answers kept in memory by each instance, and how they stay current.
//!
//! The database holds two counters, `data_versions.data` and `data_versions.catalog`,
//! which triggers bump in every transaction that changes what a page shows (see
//! `db::version_triggers`), whoever commits it: a request on any instance, a job, a
//! command. Every signed-in request reads them in the same query that checks its session,
//! so an answer kept under the counters it was computed at is served only while nothing
//! it depends on has changed, on every instance, with no extra round trip.
//!
//! Three things are kept:
//! - the signed-in person and their roles (per person, under `data`);
//! - the catalogs, packages, policies and organisations every list is computed from
//!   (once, under `catalog`, which only administrative changes bump);
//! - whole JSON answers of the busiest reads (per person and query, under `data`), with
//!   an ETag, so a client that still holds one gets a 304.
//!
//! Counters are read before the data they label, and each change bumps them in its own
//! commit, so an answer is never labelled newer than what it was computed from.

use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::Bytes;
use entrada_domain::catalog::{AccessPackage, Catalog};
use entrada_domain::directory::User;
use entrada_domain::ids::UserId;
use entrada_domain::organization::ConnectedOrganization;
use entrada_domain::permission::Actor;
use entrada_domain::policy::AssignmentPolicy;
use hashlink::LruCache;
use sqlx::AnyConnection;

use crate::store;

/// The database's data versions when a request's session was checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Versions {
    /// Bumped by every change any cached answer depends on.
    pub data: i64,
    /// Bumped by changes to catalogs, packages, policies, organisations and settings.
    pub catalog: i64,
}

/// What every My Access list and approvals inbox is computed from.
pub(crate) struct CatalogData {
    pub catalogs: Vec<Catalog>,
    pub packages: Vec<AccessPackage>,
    pub policies: Vec<AssignmentPolicy>,
    pub organizations: Vec<ConnectedOrganization>,
}

/// Which answer a kept body is.
#[derive(Debug, Clone, Hash, PartialEq, Eq)]
pub(crate) enum Answer {
    /// `GET /my/access-packages?search=`.
    MyAccess { user: UserId, search: String },
    /// `GET /approvals`.
    Approvals { user: UserId },
}

impl Answer {
    /// The ETag of this answer at `versions`: the same for as long as the answer is.
    pub(crate) fn etag(&self, versions: Versions) -> String {
        // Fixed keys: the same on every instance of one build.
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        self.hash(&mut hasher);
        format!("W/\"{}-{:016x}\"", versions.data, hasher.finish())
    }
}

/// How many bytes of answers an instance keeps (the least recently used go first). At the
/// reference size a person's My Access list is about 300 KB, so this keeps about 50.
const ANSWER_BYTES: usize = 16 << 20;

/// How many signed-in people an instance keeps.
const PEOPLE: usize = 4096;

/// The per-instance cache (one per `AppState`).
pub(crate) struct Cache {
    inner: Mutex<Inner>,
}

struct Inner {
    /// The `data` version every kept person and answer belongs to.
    data: i64,
    people: LruCache<UserId, Arc<(User, Actor)>>,
    answers: LruCache<Answer, Bytes>,
    answer_bytes: usize,
    catalog: Option<(i64, Arc<CatalogData>)>,
}

impl Inner {
    /// Drops everything kept under another `data` version.
    fn at(&mut self, data: i64) -> &mut Self {
        if self.data != data {
            self.people.clear();
            self.answers.clear();
            self.answer_bytes = 0;
            self.data = data;
        }
        self
    }
}

impl Default for Cache {
    fn default() -> Self {
        Self {
            inner: Mutex::new(Inner {
                data: -1,
                people: LruCache::new(PEOPLE),
                answers: LruCache::new_unbounded(),
                answer_bytes: 0,
                catalog: None,
            }),
        }
    }
}

impl Cache {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves nothing half-written that matters: every
        // entry is inserted whole.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The person and roles kept for `user` at `versions`.
    pub(crate) fn person(&self, versions: Versions, user: &UserId) -> Option<Arc<(User, Actor)>> {
        self.lock().at(versions.data).people.get(user).cloned()
    }

    /// Keeps a person and their roles, read at `versions`.
    pub(crate) fn keep_person(&self, versions: Versions, person: Arc<(User, Actor)>) {
        let mut inner = self.lock();
        let inner = inner.at(versions.data);
        inner.people.insert(person.0.id.clone(), person);
    }

    /// The answer kept for `key` at `versions`.
    pub(crate) fn answer(&self, versions: Versions, key: &Answer) -> Option<Bytes> {
        self.lock().at(versions.data).answers.get(key).cloned()
    }

    /// Keeps an answer computed at `versions`, dropping the least recently used ones
    /// beyond the byte budget (one larger than the whole budget is not kept).
    pub(crate) fn keep_answer(&self, versions: Versions, key: Answer, body: Bytes) {
        if body.len() > ANSWER_BYTES {
            return;
        }
        let mut inner = self.lock();
        let inner = inner.at(versions.data);
        if let Some(old) = inner.answers.remove(&key) {
            inner.answer_bytes -= old.len();
        }
        while inner.answer_bytes + body.len() > ANSWER_BYTES {
            match inner.answers.remove_lru() {
                Some((_, old)) => inner.answer_bytes -= old.len(),
                None => break,
            }
        }
        inner.answer_bytes += body.len();
        inner.answers.insert(key, body);
    }

    /// The catalogs, packages, policies and organisations at `versions`: kept, or read
    /// (four queries) and kept.
    pub(crate) async fn catalog(
        &self,
        conn: &mut AnyConnection,
        versions: Versions,
    ) -> Result<Arc<CatalogData>, sqlx::Error> {
        if let Some((version, data)) = &self.lock().catalog {
            if *version == versions.catalog {
                return Ok(data.clone());
            }
        }
        let data = Arc::new(CatalogData {
            catalogs: store::catalogs::all_catalogs(conn).await?,
            packages: store::catalogs::all_packages(conn).await?,
            policies: store::catalogs::policies(conn, None).await?,
            organizations: store::directory::all_organizations(conn).await?,
        });
        self.lock().catalog = Some((versions.catalog, data.clone()));
        Ok(data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(data: i64) -> Versions {
        Versions { data, catalog: 0 }
    }

    fn key(user: &str) -> Answer {
        Answer::Approvals {
            user: UserId(user.to_owned()),
        }
    }

    #[test]
    fn an_answer_is_served_only_at_the_version_it_was_computed_at() {
        let cache = Cache::default();
        cache.keep_answer(at(3), key("ana"), Bytes::from_static(b"[1]"));
        assert_eq!(
            cache.answer(at(3), &key("ana")).as_deref(),
            Some(&b"[1]"[..])
        );
        assert_eq!(
            cache.answer(at(3), &key("ben")),
            None,
            "another person's key"
        );
        assert_eq!(cache.answer(at(4), &key("ana")), None, "a newer version");
        assert_eq!(
            cache.answer(at(3), &key("ana")),
            None,
            "gone once a newer one was seen"
        );
    }

    #[test]
    fn answers_beyond_the_byte_budget_push_out_the_least_recently_used() {
        let cache = Cache::default();
        let big = || Bytes::from(vec![b' '; ANSWER_BYTES / 3]);
        cache.keep_answer(at(1), key("a"), big());
        cache.keep_answer(at(1), key("b"), big());
        cache.keep_answer(at(1), key("c"), big());
        assert!(
            cache.answer(at(1), &key("a")).is_some(),
            "a is now the most recent"
        );
        cache.keep_answer(at(1), key("d"), big());
        assert!(
            cache.answer(at(1), &key("b")).is_none(),
            "b was the least recent"
        );
        for kept in ["a", "c", "d"] {
            assert!(cache.answer(at(1), &key(kept)).is_some(), "{kept} is kept");
        }
        cache.keep_answer(at(1), key("huge"), Bytes::from(vec![0; ANSWER_BYTES + 1]));
        assert!(cache.answer(at(1), &key("huge")).is_none());
        assert!(
            cache.answer(at(1), &key("a")).is_some(),
            "a huge answer pushes nothing out"
        );
    }

    #[test]
    fn etags_differ_by_person_query_and_version() {
        let mine = Answer::MyAccess {
            user: UserId("ana".into()),
            search: String::new(),
        };
        let searched = Answer::MyAccess {
            user: UserId("ana".into()),
            search: "sales".into(),
        };
        assert_eq!(mine.etag(at(7)), mine.etag(at(7)));
        assert_ne!(mine.etag(at(7)), mine.etag(at(8)));
        assert_ne!(mine.etag(at(7)), searched.etag(at(7)));
        assert_ne!(mine.etag(at(7)), key("ana").etag(at(7)));
        assert!(mine.etag(at(7)).starts_with("W/\"7-"));
    }
}
