//! Guests on approval: someone who signed up from outside (kind external) becomes a guest
//! of the directory when their first approved request is delivered, linked to the
//! connected organisation owning their e-mail domain. When no organisation owns it (they
//! came in through an "anyone" policy) a proposed organisation is created for the domain.
//! Everything happens in the delivery's transaction, with its audit events.

use entrada_domain::audit::AuditAction;
use entrada_domain::audit::AuditEvent;
use entrada_domain::directory::{email_domain, UserKind};
use entrada_domain::ids::{AuditEventId, ConnectedOrgId, UserId};
use entrada_domain::organization::{ConnectedOrgState, ConnectedOrganization};
use entrada_domain::policy::partner_of;
use sqlx::AnyConnection;
use time::OffsetDateTime;

use crate::store;

/// Before `person` is granted anything: when they are a sign-up (kind external), makes
/// them a guest of their organisation (proposing one for an unknown domain). Members and
/// guests are left as they are.
pub(crate) async fn admit_before_grant(
    conn: &mut AnyConnection,
    person: &UserId,
    now: OffsetDateTime,
) -> Result<(), sqlx::Error> {
    let Some(user) = store::users::get(conn, person).await? else {
        return Ok(());
    };
    if user.kind != UserKind::External {
        return Ok(());
    }
    let organizations = store::directory::all_organizations(conn).await?;
    let organization = match partner_of(&user, &organizations) {
        Some(found) => found.id.clone(),
        None => propose(conn, email_domain(&user.email), &organizations, person, now).await?,
    };
    let result = sqlx::query(
        "UPDATE users SET kind = 'guest', connected_org_id = $2 WHERE id = $1 AND kind = 'external'",
    )
    .bind(person.as_str())
    .bind(organization.as_str())
    .execute(&mut *conn)
    .await?;
    if result.rows_affected() == 1 {
        let event = AuditEvent::new(
            AuditEventId(store::new_id()),
            now,
            None,
            AuditAction::UserGuestCreated,
            "user",
            person.as_str(),
        )
        .with_detail("email", user.email.clone())
        .with_detail("connectedOrganization", organization.as_str());
        store::audit::append(conn, &event).await?;
    }
    Ok(())
}

/// Creates a proposed organisation for `domain`, named after it (with a number when the
/// name is taken), and audits it.
async fn propose(
    conn: &mut AnyConnection,
    domain: &str,
    existing: &[ConnectedOrganization],
    person: &UserId,
    now: OffsetDateTime,
) -> Result<ConnectedOrgId, sqlx::Error> {
    let domain = domain.to_lowercase();
    let name = free_name(&domain, existing);
    let organization = ConnectedOrganization {
        id: ConnectedOrgId(store::new_id()),
        name,
        description: format!(
            "Proposed automatically when someone from {domain} was approved for access."
        ),
        domains: vec![domain.clone()],
        state: ConnectedOrgState::Proposed,
        internal_sponsors: Vec::new(),
        external_sponsors: Vec::new(),
    };
    store::directory::insert_organization(conn, &organization, now).await?;
    let event = AuditEvent::new(
        AuditEventId(store::new_id()),
        now,
        None,
        AuditAction::ConnectedOrganizationProposed,
        "connectedOrganization",
        organization.id.as_str(),
    )
    .with_detail("name", organization.name.clone())
    .with_detail("domains", domain)
    .with_detail("firstGuest", person.as_str());
    store::audit::append(conn, &event).await?;
    Ok(organization.id)
}

/// `domain` itself, or `domain (2)`, `domain (3)`… : the first name no organisation has
/// (names are unique, case-insensitively for people reading the list).
fn free_name(domain: &str, existing: &[ConnectedOrganization]) -> String {
    let taken = |name: &str| {
        existing
            .iter()
            .any(|org| org.name.eq_ignore_ascii_case(name))
    };
    let mut name = domain.to_owned();
    let mut n = 2;
    while taken(&name) {
        name = format!("{domain} ({n})");
        n += 1;
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org(name: &str) -> ConnectedOrganization {
        ConnectedOrganization {
            id: ConnectedOrgId(name.to_owned()),
            name: name.to_owned(),
            description: String::new(),
            domains: Vec::new(),
            state: ConnectedOrgState::Configured,
            internal_sponsors: Vec::new(),
            external_sponsors: Vec::new(),
        }
    }

    #[test]
    fn a_proposed_name_never_collides() {
        assert_eq!(free_name("gmail.example", &[]), "gmail.example");
        assert_eq!(
            free_name(
                "gmail.example",
                &[org("Gmail.example"), org("gmail.example (2)")]
            ),
            "gmail.example (3)"
        );
    }
}
