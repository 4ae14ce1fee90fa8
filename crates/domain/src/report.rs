//! Who has what: the reports an auditor reads (`GET /reports/access-packages/{id}`,
//! `/reports/resources/{id}`, `/reports/people/{id}`, each also as `.csv`).

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::assignment::AssignmentState;
use crate::audit::{csv_line, Named};
use crate::request::RequestState;

/// One assignment of a package to a person, with where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Holding {
    /// The assignment.
    pub assignment_id: String,
    /// Who holds (or held) it.
    pub person: Named,
    /// Their e-mail address.
    pub email: Option<String>,
    /// The package.
    pub package: Named,
    /// Its catalog.
    pub catalog: Named,
    /// Delivering, delivered, expired or removed.
    pub state: AssignmentState,
    /// Since when.
    #[serde(with = "time::serde::rfc3339")]
    pub since: OffsetDateTime,
    /// Until when: the planned end of live access, or when ended access ended.
    #[serde(with = "time::serde::rfc3339::option")]
    pub until: Option<OffsetDateTime>,
    /// The policy it was granted through (its name, when the policy still exists).
    pub policy: Option<Named>,
    /// The request that granted it; none for a direct assignment made before requests were
    /// recorded.
    pub request_id: Option<String>,
}

/// Who has one access package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PackageReport {
    /// The package.
    pub package: Named,
    /// Its catalog.
    pub catalog: Named,
    /// The moment the report describes.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// The assignments live at that moment, by person.
    pub holders: Vec<Holding>,
}

/// How someone holds a role of a resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RoleHolder {
    /// The person.
    pub person: Named,
    /// The package assignment that gives the role; none when it was granted outside
    /// Entrada.
    pub via: Option<Holding>,
}

/// The holders of one role of a resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RoleHolders {
    /// The role.
    pub role: Named,
    /// Who holds it, through which package or outside Entrada.
    pub holders: Vec<RoleHolder>,
}

/// Who holds each role of a resource (group, application or site) in a catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ResourceReport {
    /// The resource (its catalog resource id and name).
    pub resource: Named,
    /// Group, application or site.
    pub kind: crate::catalog::ResourceKind,
    /// Its catalog.
    pub catalog: Named,
    /// The moment the report describes.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// Whether `at` is now. Access granted outside Entrada has no history here: for a past
    /// moment only what Entrada granted is listed.
    pub now: bool,
    /// Each role with its holders.
    pub roles: Vec<RoleHolders>,
}

/// One request a person made (or that was made for them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RequestLine {
    /// The request.
    pub request_id: String,
    /// The package asked for.
    pub package: Named,
    /// Its catalog.
    pub catalog: Named,
    /// Where it stands.
    pub state: RequestState,
    /// When it was made.
    #[serde(with = "time::serde::rfc3339")]
    pub created: OffsetDateTime,
    /// Who decided each stage, in order.
    pub deciders: Vec<Named>,
}

/// Everything one person holds and requested.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PersonReport {
    /// The person.
    pub person: Named,
    /// Their e-mail address.
    pub email: String,
    /// Their assignments, live and ended, newest first.
    pub holdings: Vec<Holding>,
    /// Their requests, newest first.
    pub requests: Vec<RequestLine>,
}

fn name(named: &Named) -> String {
    named.name.clone().unwrap_or_else(|| named.id.clone())
}

fn time_text(at: Option<OffsetDateTime>) -> String {
    at.and_then(|at| {
        at.format(&time::format_description::well_known::Rfc3339)
            .ok()
    })
    .unwrap_or_default()
}

const HOLDING_HEADER: [&str; 10] = [
    "person",
    "e-mail",
    "access package",
    "catalog",
    "state",
    "since",
    "until",
    "policy",
    "request",
    "assignment",
];

fn holding_fields(holding: &Holding) -> [String; 10] {
    [
        name(&holding.person),
        holding.email.clone().unwrap_or_default(),
        name(&holding.package),
        name(&holding.catalog),
        holding.state.as_str().to_owned(),
        time_text(Some(holding.since)),
        time_text(holding.until),
        holding.policy.as_ref().map(name).unwrap_or_default(),
        holding.request_id.clone().unwrap_or_default(),
        holding.assignment_id.clone(),
    ]
}

impl PackageReport {
    /// The report as CSV, one holder per row.
    pub fn to_csv(&self) -> String {
        let mut out = csv_line(&HOLDING_HEADER);
        for holding in &self.holders {
            out.push_str(&csv_line(&holding_fields(holding)));
        }
        out
    }
}

impl ResourceReport {
    /// The report as CSV, one role holder per row.
    pub fn to_csv(&self) -> String {
        let mut out = csv_line(&[
            "role",
            "person",
            "through",
            "access package",
            "since",
            "until",
            "request",
        ]);
        for role in &self.roles {
            for holder in &role.holders {
                let (through, package, since, until, request) = match &holder.via {
                    Some(via) => (
                        "access package",
                        name(&via.package),
                        time_text(Some(via.since)),
                        time_text(via.until),
                        via.request_id.clone().unwrap_or_default(),
                    ),
                    None => (
                        "outside Entrada",
                        String::new(),
                        String::new(),
                        String::new(),
                        String::new(),
                    ),
                };
                out.push_str(&csv_line(&[
                    name(&role.role),
                    name(&holder.person),
                    through.to_owned(),
                    package,
                    since,
                    until,
                    request,
                ]));
            }
        }
        out
    }
}

impl PersonReport {
    /// The report as CSV: the holdings, then the requests, each row saying which.
    pub fn to_csv(&self) -> String {
        let mut header = vec!["section"];
        header.extend(HOLDING_HEADER);
        header.push("decided by");
        let mut out = csv_line(&header);
        for holding in &self.holdings {
            let mut fields = vec!["holds".to_owned()];
            fields.extend(holding_fields(holding));
            fields.push(String::new());
            out.push_str(&csv_line(&fields));
        }
        for request in &self.requests {
            let deciders = request
                .deciders
                .iter()
                .map(name)
                .collect::<Vec<_>>()
                .join("; ");
            out.push_str(&csv_line(&[
                "requested".to_owned(),
                name(&self.person),
                self.email.clone(),
                name(&request.package),
                name(&request.catalog),
                request.state.as_str().to_owned(),
                time_text(Some(request.created)),
                String::new(),
                String::new(),
                request.request_id.clone(),
                String::new(),
                deciders,
            ]));
        }
        out
    }
}
