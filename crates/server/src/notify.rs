//! The hooks that write messages to the outbox, each on the transaction of the event it
//! reports: the lifecycle calls [`request_advanced`] and [`access_ended`], the jobs call
//! [`reminders`]. What the messages say is the domain's (`entrada_domain::notification`);
//! here is only who gets which, and the person's opt-outs of the optional kinds.

use entrada_domain::assignment::{Assignment, AssignmentState};
use entrada_domain::catalog::AccessPackage;
use entrada_domain::directory::User;
use entrada_domain::ids::UserId;
use entrada_domain::notification::{self, Email, Outcome as Decided, Recipient};
use entrada_domain::policy::AssignmentPolicy;
use entrada_domain::request::{AccessRequest, DecisionKind, RequestState};
use entrada_domain::request_view::current_approvers;
use sqlx::{AnyConnection, AnyPool};
use time::OffsetDateTime;

use crate::jobs::Outcome;
use crate::store;
use crate::store::notifications::{DueReminder, Reminder};

/// Writes `email` to the outbox unless its recipient turned its (optional) kind off.
async fn send(
    conn: &mut AnyConnection,
    email: Email,
    now: OffsetDateTime,
) -> Result<(), sqlx::Error> {
    send_many(conn, vec![email], now).await
}

/// Puts messages in the outbox, leaving out those without an address and the optional
/// ones their recipient turned off (one query per kind, one insert per page).
async fn send_many(
    conn: &mut AnyConnection,
    mut emails: Vec<Email>,
    now: OffsetDateTime,
) -> Result<(), sqlx::Error> {
    emails.retain(|email| !email.to_address.trim().is_empty());
    let kinds: std::collections::BTreeSet<_> = emails
        .iter()
        .filter(|email| email.kind.optional() && email.to_user.is_some())
        .map(|email| email.kind)
        .collect();
    for kind in kinds {
        let users: Vec<&UserId> = emails
            .iter()
            .filter(|email| email.kind == kind)
            .filter_map(|email| email.to_user.as_ref())
            .collect();
        let off = store::notifications::opted_out_of(conn, &users, kind).await?;
        emails.retain(|email| {
            email.kind != kind
                || email
                    .to_user
                    .as_ref()
                    .is_none_or(|user| !off.contains(user))
        });
    }
    store::outbox::enqueue_many(conn, &emails, now).await
}

fn recipient(user: &User) -> Recipient<'_> {
    Recipient {
        user: &user.id,
        address: &user.email,
        name: &user.display_name,
    }
}

async fn people(conn: &mut AnyConnection, ids: &[UserId]) -> Result<Vec<User>, sqlx::Error> {
    let mut found = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(user) = store::users::get(conn, id).await? {
            found.push(user);
        }
    }
    Ok(found)
}

/// After a request changed from `before` to `after` (its stage's approvers were
/// `stage_approvers`): the new stage's approvers learn it waits for them (or, on an
/// escalation, the alternates who were not asked before); on a decision the stage's other
/// approvers learn it is already decided; on the final outcome the requestor learns it.
pub(crate) async fn request_advanced(
    conn: &mut AnyConnection,
    before: &AccessRequest,
    after: &AccessRequest,
    stage_approvers: &[UserId],
    policy: &AssignmentPolicy,
    package: &AccessPackage,
    now: OffsetDateTime,
) -> Result<(), sqlx::Error> {
    let Some(requestor) = store::users::get(conn, &after.requestor).await? else {
        return Ok(());
    };
    let base = store::notifications::link_base(conn).await?;
    let id = after.id.as_str();
    let decision = after
        .decisions
        .last()
        .filter(|_| after.decisions.len() > before.decisions.len());

    if let Some(decision) = decision {
        let decider = store::users::get(conn, &decision.approver).await?;
        let decider_name = decider
            .as_ref()
            .map_or("Another approver", |d| &d.display_name);
        let others: Vec<UserId> = stage_approvers
            .iter()
            .filter(|id| **id != decision.approver)
            .cloned()
            .collect();
        for other in people(conn, &others).await? {
            let email = notification::already_decided(
                &base,
                recipient(&other),
                decider_name,
                &requestor.display_name,
                &package.name,
                id,
                decision.decision == DecisionKind::Approve,
            );
            send(conn, email, now).await?;
        }
    }

    let reached_stage = after.state == RequestState::PendingApproval
        && (before.state != RequestState::PendingApproval
            || before.current_stage != after.current_stage
            || before.escalated != after.escalated);
    if reached_stage {
        let directory = store::snapshot_of(conn, after, Some(policy)).await?;
        let mut waiting = current_approvers(after, policy, &directory);
        if before.current_stage == after.current_stage && before.escalated != after.escalated {
            // An escalation: only those not asked already.
            let asked = current_approvers(before, policy, &directory);
            waiting.retain(|id| !asked.contains(id));
        }
        waiting.retain(|id| *id != after.requestor);
        let stage = after.current_stage.unwrap_or(0);
        for approver in people(conn, &waiting).await? {
            let email = notification::request_waiting(
                &base,
                recipient(&approver),
                &requestor.display_name,
                &package.name,
                id,
                stage,
                policy.rules.stages.len(),
            );
            send(conn, email, now).await?;
        }
    }

    let outcome = match (before.state, after.state) {
        (RequestState::PendingApproval, RequestState::Approved) => Some(Decided::Approved),
        (RequestState::PendingApproval, RequestState::Denied) => Some(Decided::Denied),
        (RequestState::PendingApproval, RequestState::TimedOut) => Some(Decided::TimedOut),
        _ => None,
    };
    if let Some(outcome) = outcome {
        let justification = decision.and_then(|d| d.justification.as_deref());
        let email = notification::request_decided(
            &base,
            recipient(&requestor),
            &package.name,
            id,
            outcome,
            justification,
        );
        send(conn, email, now).await?;
    }
    Ok(())
}

/// After assignments ended (removed or expired): each holder learns it.
pub(crate) async fn access_ended(
    conn: &mut AnyConnection,
    ended: &[(&Assignment, &AccessPackage)],
    now: OffsetDateTime,
) -> Result<(), sqlx::Error> {
    let ids: Vec<&UserId> = ended
        .iter()
        .map(|(assignment, _)| &assignment.user_id)
        .collect();
    let holders: std::collections::HashMap<UserId, User> = store::users::by_ids(conn, &ids)
        .await?
        .into_iter()
        .map(|user| (user.id.clone(), user))
        .collect();
    let base = store::notifications::link_base(conn).await?;
    let emails = ended
        .iter()
        .filter_map(|(assignment, package)| {
            let holder = holders.get(&assignment.user_id)?;
            Some(notification::access_removed(
                &base,
                recipient(holder),
                &package.name,
                package.id.as_str(),
                assignment.state == AssignmentState::Expired,
            ))
        })
        .collect();
    send_many(conn, emails, now).await
}

/// The job: reminds holders 7 days and 1 day before their access ends, each reminder once
/// per end (a guarded mark in the same transaction as the message), one assignment per
/// transaction.
pub(crate) async fn reminders(
    db: &AnyPool,
    now: OffsetDateTime,
    outcome: &mut Outcome,
) -> Result<(), sqlx::Error> {
    for reminder in [Reminder::OneDay, Reminder::SevenDays] {
        let due = {
            let mut conn = db.acquire().await?;
            store::notifications::due_reminders(&mut conn, reminder, now).await?
        };
        for item in due {
            match remind(db, &item, reminder, now).await {
                Ok(true) => outcome.reminders_sent += 1,
                Ok(false) => {}
                Err(error) => {
                    tracing::warn!(%error, assignment = %item.assignment, "reminder failed");
                    outcome.failed += 1;
                }
            }
        }
    }
    Ok(())
}

async fn remind(
    db: &AnyPool,
    due: &DueReminder,
    reminder: Reminder,
    now: OffsetDateTime,
) -> Result<bool, sqlx::Error> {
    let mut tx = crate::db::begin(db).await?;
    if !store::notifications::mark_reminded(&mut tx, due, reminder).await? {
        return Ok(false);
    }
    let Some(holder) = store::users::get(&mut tx, &due.user).await? else {
        tx.commit().await?;
        return Ok(false);
    };
    let Some(package) = store::catalogs::get_package(&mut tx, &due.package).await? else {
        tx.commit().await?;
        return Ok(false);
    };
    let base = store::notifications::link_base(&mut tx).await?;
    let email = notification::access_ending(
        &base,
        recipient(&holder),
        reminder.kind(),
        &package.name,
        package.id.as_str(),
        due.end,
    );
    send(&mut tx, email, now).await?;
    tx.commit().await?;
    Ok(true)
}
