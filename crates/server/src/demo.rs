//! The demo organisation, Lakeshore Labs: people in four departments with managers, groups,
//! applications, sites, two catalogs with owners, access packages whose policies show the
//! main kinds of rule, and one connected organisation. Loaded only into an empty database.

use entrada_domain::audit::AuditAction;
use entrada_domain::audit::AuditEvent;
use entrada_domain::catalog::{
    AccessPackage, Catalog, CatalogRole, CatalogRoleAssignment, PackageResourceRole, Resource,
    ResourceKind, ResourceRole,
};
use entrada_domain::directory::{
    AppRole, Application, Group, Site, SiteRole, User, UserKind, UserState,
};
use entrada_domain::ids::{
    ApplicationId, AuditEventId, CatalogId, ConnectedOrgId, GroupId, PackageId,
    PackageResourceRoleId, PolicyId, QuestionId, ResourceId, RoleAssignmentId, SiteId, UserId,
};
use entrada_domain::organization::{ConnectedOrgState, ConnectedOrganization};
use entrada_domain::permission::GlobalRole;
use entrada_domain::policy::{
    ApprovalStage, Approver, AssignmentPolicy, Expiration, PolicyDraft, Question, QuestionKind,
    RequestorScope,
};
use sqlx::{AnyConnection, AnyPool};
use time::OffsetDateTime;

use crate::{password, store};

/// The password of every demo account (api.md).
pub const DEMO_PASSWORD: &str = "entrada-demo";

/// The e-mail domain of the demo organisation.
pub const DEMO_DOMAIN: &str = "lakeshore.example";

/// A demo account worth signing in as, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoAccount {
    /// Sign-in e-mail.
    pub email: String,
    /// What this person shows off.
    pub role: &'static str,
}

/// What loading the demo did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DemoOutcome {
    /// The demo organisation was loaded.
    Loaded {
        /// How many people.
        people: usize,
        /// How many access packages.
        packages: usize,
    },
    /// The database already had people in it, so nothing was loaded.
    AlreadyPopulated,
}

/// Why the demo could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// The database failed.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    /// The password could not be hashed.
    #[error("hashing the demo password failed: {0}")]
    Password(String),
}

/// The accounts to print at start and in the README.
pub fn accounts() -> Vec<DemoAccount> {
    [
        (
            "alex.morgan",
            "Administrator (User admin): sees and manages everything",
        ),
        (
            "priya.shah",
            "Director of Engineering; owner of the Engineering catalog",
        ),
        (
            "daniel.kim",
            "Engineering manager: approves his team's requests",
        ),
        (
            "sam.taylor",
            "Software engineer: a requestor in Engineering",
        ),
        ("ethan.brooks", "Sales representative: a requestor in Sales"),
        (
            "victor.novak",
            "Financial controller: second-stage approver for finance access",
        ),
        (
            "olivia.grant",
            "Head of Marketing; catalog creator; owns the Marketing group and co-owns Atlas Wiki",
        ),
        (
            "pat.quinn",
            "Guest from the partner Fabrikam (fabrikam.example)",
        ),
    ]
    .into_iter()
    .map(|(name, role)| DemoAccount {
        email: match name {
            "pat.quinn" => "pat.quinn@fabrikam.example".to_owned(),
            _ => format!("{name}@{DEMO_DOMAIN}"),
        },
        role,
    })
    .collect()
}

/// Loads the demo organisation unless the database already has people.
pub async fn load(db: &AnyPool, now: OffsetDateTime) -> Result<DemoOutcome, DemoError> {
    let mut tx = crate::db::begin(db).await?;
    if store::users::count(&mut tx).await? > 0 {
        return Ok(DemoOutcome::AlreadyPopulated);
    }
    // Every demo account has the same password, so it is hashed once (with one salt);
    // real accounts each get their own salt.
    let hash = password::hash(DEMO_PASSWORD.to_owned())
        .await
        .map_err(DemoError::Password)?;
    let people = insert_people(&mut tx, &hash, now).await?;
    insert_directory(&mut tx).await?;
    insert_partner(&mut tx, now).await?;
    let packages = insert_catalogs(&mut tx, now).await?;
    let event = AuditEvent::new(
        AuditEventId(store::new_id()),
        now,
        None,
        AuditAction::DemoLoaded,
        "organization",
        DEMO_DOMAIN,
    )
    .with_detail("people", people.to_string())
    .with_detail("accessPackages", packages.to_string());
    store::audit::append(&mut tx, &event).await?;
    tx.commit().await?;
    Ok(DemoOutcome::Loaded { people, packages })
}

/// (e-mail name, display name, department, job title, manager's e-mail name)
const PEOPLE: &[(&str, &str, &str, &str, Option<&str>)] = &[
    (
        "maya.lindqvist",
        "Maya Lindqvist",
        "Leadership",
        "Chief Executive Officer",
        None,
    ),
    (
        "alex.morgan",
        "Alex Morgan",
        "IT",
        "IT Administrator",
        Some("maya.lindqvist"),
    ),
    (
        "priya.shah",
        "Priya Shah",
        "Engineering",
        "Director of Engineering",
        Some("maya.lindqvist"),
    ),
    (
        "daniel.kim",
        "Daniel Kim",
        "Engineering",
        "Engineering Manager",
        Some("priya.shah"),
    ),
    (
        "sam.taylor",
        "Sam Taylor",
        "Engineering",
        "Software Engineer",
        Some("daniel.kim"),
    ),
    (
        "lena.fischer",
        "Lena Fischer",
        "Engineering",
        "Software Engineer",
        Some("daniel.kim"),
    ),
    (
        "omar.haddad",
        "Omar Haddad",
        "Engineering",
        "Senior Software Engineer",
        Some("daniel.kim"),
    ),
    (
        "grace.liu",
        "Grace Liu",
        "Engineering",
        "Software Engineer",
        Some("daniel.kim"),
    ),
    (
        "tomas.silva",
        "Tomás Silva",
        "Engineering",
        "QA Engineer",
        Some("daniel.kim"),
    ),
    (
        "aisha.bello",
        "Aisha Bello",
        "Engineering",
        "Staff Engineer",
        Some("priya.shah"),
    ),
    (
        "noah.williams",
        "Noah Williams",
        "Engineering",
        "Site Reliability Engineer",
        Some("priya.shah"),
    ),
    (
        "mei.chen",
        "Mei Chen",
        "Engineering",
        "Security Engineer",
        Some("priya.shah"),
    ),
    (
        "carlos.mendoza",
        "Carlos Mendoza",
        "Sales",
        "VP of Sales",
        Some("maya.lindqvist"),
    ),
    (
        "hannah.becker",
        "Hannah Becker",
        "Sales",
        "Sales Manager",
        Some("carlos.mendoza"),
    ),
    (
        "ethan.brooks",
        "Ethan Brooks",
        "Sales",
        "Account Executive",
        Some("hannah.becker"),
    ),
    (
        "sofia.rossi",
        "Sofia Rossi",
        "Sales",
        "Account Executive",
        Some("hannah.becker"),
    ),
    (
        "liam.oconnor",
        "Liam O'Connor",
        "Sales",
        "Sales Development Rep",
        Some("hannah.becker"),
    ),
    (
        "zoe.martin",
        "Zoe Martin",
        "Sales",
        "Account Executive",
        Some("hannah.becker"),
    ),
    (
        "jonas.berg",
        "Jonas Berg",
        "Sales",
        "Solutions Engineer",
        Some("carlos.mendoza"),
    ),
    (
        "emma.dubois",
        "Emma Dubois",
        "Sales",
        "Sales Operations Analyst",
        Some("carlos.mendoza"),
    ),
    (
        "olivia.grant",
        "Olivia Grant",
        "Marketing",
        "Head of Marketing",
        Some("maya.lindqvist"),
    ),
    (
        "lucas.moreau",
        "Lucas Moreau",
        "Marketing",
        "Content Lead",
        Some("olivia.grant"),
    ),
    (
        "isabel.ortiz",
        "Isabel Ortiz",
        "Marketing",
        "Product Marketing Manager",
        Some("olivia.grant"),
    ),
    (
        "ryan.park",
        "Ryan Park",
        "Marketing",
        "Designer",
        Some("olivia.grant"),
    ),
    (
        "chloe.evans",
        "Chloe Evans",
        "Marketing",
        "Events Coordinator",
        Some("olivia.grant"),
    ),
    (
        "ben.cohen",
        "Ben Cohen",
        "Marketing",
        "Marketing Analyst",
        Some("olivia.grant"),
    ),
    (
        "fatima.rahman",
        "Fatima Rahman",
        "Finance",
        "Finance Director",
        Some("maya.lindqvist"),
    ),
    (
        "victor.novak",
        "Victor Novak",
        "Finance",
        "Financial Controller",
        Some("fatima.rahman"),
    ),
    (
        "nina.petrova",
        "Nina Petrova",
        "Finance",
        "Accountant",
        Some("victor.novak"),
    ),
    (
        "arjun.mehta",
        "Arjun Mehta",
        "Finance",
        "Financial Analyst",
        Some("victor.novak"),
    ),
    (
        "julia.schmidt",
        "Julia Schmidt",
        "Finance",
        "Payroll Specialist",
        Some("victor.novak"),
    ),
    (
        "kenji.sato",
        "Kenji Sato",
        "Finance",
        "Accounts Payable Clerk",
        Some("victor.novak"),
    ),
];

fn user_id(name: &str) -> UserId {
    UserId(format!("user-{name}"))
}

async fn insert_people(
    conn: &mut AnyConnection,
    hash: &str,
    now: OffsetDateTime,
) -> Result<usize, sqlx::Error> {
    for (name, display_name, department, title, manager) in PEOPLE {
        let user = User {
            id: user_id(name),
            email: format!("{name}@{DEMO_DOMAIN}"),
            display_name: (*display_name).to_owned(),
            kind: UserKind::Member,
            state: UserState::Active,
            department: Some((*department).to_owned()),
            job_title: Some((*title).to_owned()),
            manager: manager.map(user_id),
            connected_organization: None,
        };
        store::users::insert(conn, &user, Some(hash), now).await?;
    }
    let guest = User {
        id: user_id("pat.quinn"),
        email: "pat.quinn@fabrikam.example".to_owned(),
        display_name: "Pat Quinn".to_owned(),
        kind: UserKind::Guest,
        state: UserState::Active,
        department: None,
        job_title: Some("Partner Manager, Fabrikam".to_owned()),
        manager: None,
        connected_organization: Some(ConnectedOrgId::new("org-fabrikam")),
    };
    store::users::insert(conn, &guest, Some(hash), now).await?;
    store::users::grant_global_role(conn, &user_id("alex.morgan"), GlobalRole::Administrator)
        .await?;
    store::users::grant_global_role(conn, &user_id("olivia.grant"), GlobalRole::CatalogCreator)
        .await?;
    Ok(PEOPLE.len() + 1)
}

/// (group id, name, description, members: a department name or e-mail names)
const GROUPS: &[(&str, &str, &str, &[&str])] = &[
    (
        "grp-engineering",
        "Engineering",
        "Everyone in Engineering.",
        &["@Engineering"],
    ),
    ("grp-sales", "Sales", "Everyone in Sales.", &["@Sales"]),
    (
        "grp-marketing",
        "Marketing",
        "Everyone in Marketing.",
        &["@Marketing"],
    ),
    (
        "grp-finance",
        "Finance",
        "Everyone in Finance.",
        &["@Finance"],
    ),
    (
        "grp-sales-leadership",
        "Sales Leadership",
        "Approves access to sales tools.",
        &["carlos.mendoza", "hannah.becker"],
    ),
    (
        "grp-finance-approvers",
        "Finance Approvers",
        "Second-stage approvers for finance systems.",
        &["fatima.rahman", "victor.novak"],
    ),
    (
        "grp-project-falcon",
        "Project Falcon",
        "The confidential Falcon product team.",
        &["aisha.bello", "omar.haddad", "isabel.ortiz"],
    ),
    (
        "grp-security-champions",
        "Security Champions",
        "Security advocates across teams.",
        &["mei.chen", "noah.williams", "jonas.berg"],
    ),
    (
        "grp-on-call",
        "On-call Engineers",
        "Carries the production pager.",
        &["noah.williams", "omar.haddad", "grace.liu"],
    ),
    (
        "grp-people-managers",
        "People Managers",
        "Everyone who manages a team.",
        &[
            "priya.shah",
            "daniel.kim",
            "carlos.mendoza",
            "hannah.becker",
            "olivia.grant",
            "fatima.rahman",
            "victor.novak",
        ],
    ),
];

async fn insert_directory(conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
    for (id, name, description, members) in GROUPS {
        let group = Group {
            id: GroupId::new(*id),
            name: (*name).to_owned(),
            description: (*description).to_owned(),
            owners: Vec::new(),
        };
        store::directory::insert_group(conn, &group).await?;
        for member in *members {
            let names: Vec<&str> = match member.strip_prefix('@') {
                Some(department) => PEOPLE
                    .iter()
                    .filter(|p| p.2 == department)
                    .map(|p| p.0)
                    .collect(),
                None => vec![*member],
            };
            for name in names {
                store::directory::add_group_member(conn, &group.id, &user_id(name)).await?;
            }
        }
    }
    for (id, name, description, roles) in APPLICATIONS {
        let application = Application {
            id: ApplicationId::new(*id),
            name: (*name).to_owned(),
            description: (*description).to_owned(),
            roles: roles
                .iter()
                .map(|(id, name)| AppRole {
                    id: (*id).to_owned(),
                    name: (*name).to_owned(),
                })
                .collect(),
            owners: Vec::new(),
        };
        store::directory::insert_application(conn, &application).await?;
    }
    for (id, name, url) in SITES {
        let site = Site {
            id: SiteId::new(*id),
            name: (*name).to_owned(),
            url: (*url).to_owned(),
            roles: site_roles()
                .into_iter()
                .map(|role| SiteRole {
                    id: role.id,
                    name: role.name,
                })
                .collect(),
            owners: Vec::new(),
        };
        store::directory::insert_site(conn, &site).await?;
    }
    // Existing access that did not come through Entrada.
    store::directory::add_application_role_member(
        conn,
        &ApplicationId::new("app-crm"),
        "admin",
        &user_id("emma.dubois"),
    )
    .await?;
    store::directory::add_application_role_member(
        conn,
        &ApplicationId::new("app-ledger"),
        "controller",
        &user_id("victor.novak"),
    )
    .await?;
    store::directory::add_site_role_member(
        conn,
        &SiteId::new("site-eng-hub"),
        "owner",
        &user_id("priya.shah"),
    )
    .await?;
    for (kind, origin, owners) in OWNERS {
        for owner in *owners {
            store::directory::add_owner(conn, *kind, origin, &user_id(owner)).await?;
        }
    }
    Ok(())
}

/// Who owns each group, application and site (only they, besides administrators, may add
/// it to a catalog): departments own their groups, IT and a business owner the
/// applications, the teams their sites.
const OWNERS: &[(ResourceKind, &str, &[&str])] = &[
    (ResourceKind::Group, "grp-engineering", &["priya.shah"]),
    (ResourceKind::Group, "grp-sales", &["carlos.mendoza"]),
    (ResourceKind::Group, "grp-marketing", &["olivia.grant"]),
    (ResourceKind::Group, "grp-finance", &["fatima.rahman"]),
    (
        ResourceKind::Group,
        "grp-sales-leadership",
        &["carlos.mendoza"],
    ),
    (
        ResourceKind::Group,
        "grp-finance-approvers",
        &["fatima.rahman", "victor.novak"],
    ),
    (
        ResourceKind::Group,
        "grp-project-falcon",
        &["priya.shah", "aisha.bello"],
    ),
    (
        ResourceKind::Group,
        "grp-security-champions",
        &["priya.shah", "mei.chen"],
    ),
    (
        ResourceKind::Group,
        "grp-on-call",
        &["daniel.kim", "noah.williams"],
    ),
    (
        ResourceKind::Group,
        "grp-people-managers",
        &["maya.lindqvist"],
    ),
    (
        ResourceKind::Application,
        "app-crm",
        &["alex.morgan", "carlos.mendoza"],
    ),
    (
        ResourceKind::Application,
        "app-ledger",
        &["alex.morgan", "fatima.rahman"],
    ),
    (
        ResourceKind::Application,
        "app-buildbox",
        &["alex.morgan", "priya.shah"],
    ),
    (
        ResourceKind::Application,
        "app-atlas",
        &["alex.morgan", "olivia.grant"],
    ),
    (ResourceKind::Site, "site-eng-hub", &["priya.shah"]),
    (
        ResourceKind::Site,
        "site-sales-enablement",
        &["carlos.mendoza", "hannah.becker"],
    ),
    (
        ResourceKind::Site,
        "site-partner-portal",
        &["carlos.mendoza", "alex.morgan"],
    ),
];

/// (id, name, description, roles as (id, name))
type ApplicationSpec = (
    &'static str,
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

const APPLICATIONS: &[ApplicationSpec] = &[
    (
        "app-crm",
        "Pipeline CRM",
        "Customer relationships and the sales pipeline.",
        &[
            ("reader", "Reader"),
            ("sales-rep", "Sales Rep"),
            ("admin", "Sales Admin"),
        ],
    ),
    (
        "app-ledger",
        "Ledger",
        "General ledger, budgets and financial reporting.",
        &[
            ("viewer", "Viewer"),
            ("accountant", "Accountant"),
            ("controller", "Controller"),
        ],
    ),
    (
        "app-buildbox",
        "BuildBox CI",
        "Builds, tests and deploys our software.",
        &[("developer", "Developer"), ("maintainer", "Maintainer")],
    ),
    (
        "app-atlas",
        "Atlas Wiki",
        "The company knowledge base.",
        &[("reader", "Reader"), ("editor", "Editor")],
    ),
];

const SITES: &[(&str, &str, &str)] = &[
    (
        "site-eng-hub",
        "Engineering Hub",
        "https://sites.lakeshore.example/engineering",
    ),
    (
        "site-sales-enablement",
        "Sales Enablement",
        "https://sites.lakeshore.example/sales",
    ),
    (
        "site-partner-portal",
        "Partner Portal",
        "https://partners.lakeshore.example",
    ),
];

fn site_roles() -> Vec<ResourceRole> {
    [
        ("visitor", "Visitor"),
        ("member", "Member"),
        ("owner", "Owner"),
    ]
    .into_iter()
    .map(|(id, name)| ResourceRole {
        id: id.to_owned(),
        name: name.to_owned(),
    })
    .collect()
}

async fn insert_partner(conn: &mut AnyConnection, now: OffsetDateTime) -> Result<(), sqlx::Error> {
    let fabrikam = ConnectedOrganization {
        id: ConnectedOrgId::new("org-fabrikam"),
        name: "Fabrikam".to_owned(),
        description: "Manufacturing partner working with Sales on joint bids.".to_owned(),
        domains: vec!["fabrikam.example".to_owned()],
        state: ConnectedOrgState::Configured,
        internal_sponsors: vec![user_id("hannah.becker")],
        external_sponsors: vec![],
    };
    store::directory::insert_organization(conn, &fabrikam, now).await
}

/// Catalogs, their roles and resources, packages and policies. Returns how many packages.
async fn insert_catalogs(
    conn: &mut AnyConnection,
    now: OffsetDateTime,
) -> Result<usize, sqlx::Error> {
    let engineering = CatalogId::new("cat-engineering");
    let business = CatalogId::new("cat-business-apps");
    let catalogs = [
        (
            &engineering,
            "Engineering",
            "Tools, sites and teams of the Engineering department.",
            false,
            "priya.shah",
        ),
        (
            &business,
            "Business Applications",
            "Sales, marketing and finance systems, and partner collaboration.",
            true,
            "carlos.mendoza",
        ),
    ];
    for (id, name, description, external, creator) in catalogs {
        let catalog = Catalog {
            id: id.clone(),
            name: name.to_owned(),
            description: description.to_owned(),
            enabled: true,
            external_users_allowed: external,
            created_by: Some(user_id(creator)),
            created_at: now,
        };
        store::catalogs::insert_catalog(conn, &catalog).await?;
    }
    let roles = [
        (&engineering, "priya.shah", CatalogRole::Owner),
        (
            &engineering,
            "daniel.kim",
            CatalogRole::AccessPackageManager,
        ),
        (&engineering, "aisha.bello", CatalogRole::Reader),
        (&business, "carlos.mendoza", CatalogRole::Owner),
        (&business, "fatima.rahman", CatalogRole::Owner),
        (
            &business,
            "hannah.becker",
            CatalogRole::AccessPackageAssignmentManager,
        ),
        (&business, "victor.novak", CatalogRole::Reader),
    ];
    for (catalog, person, role) in roles {
        let grant = CatalogRoleAssignment {
            id: RoleAssignmentId(format!("role-{}-{}-{}", catalog, person, role.as_str())),
            catalog_id: catalog.clone(),
            user_id: user_id(person),
            role,
        };
        store::catalogs::insert_role(conn, &grant).await?;
    }

    let mut resources = Vec::new();
    let group_resources = [
        (&engineering, "grp-project-falcon", "Project Falcon"),
        (&engineering, "grp-on-call", "On-call Engineers"),
    ];
    for (catalog, origin, name) in group_resources {
        resources.push(resource(
            catalog,
            ResourceKind::Group,
            origin,
            name,
            entrada_domain::catalog::group_roles(),
        ));
    }
    for (catalog, origin) in [
        (&engineering, "app-buildbox"),
        (&engineering, "app-atlas"),
        (&business, "app-crm"),
        (&business, "app-ledger"),
    ] {
        let (_, name, _, roles) = APPLICATIONS
            .iter()
            .find(|app| app.0 == origin)
            .copied()
            .unwrap_or(APPLICATIONS[0]);
        let roles = roles
            .iter()
            .map(|(id, name)| ResourceRole {
                id: (*id).to_owned(),
                name: (*name).to_owned(),
            })
            .collect();
        resources.push(resource(
            catalog,
            ResourceKind::Application,
            origin,
            name,
            roles,
        ));
    }
    for (catalog, origin) in [
        (&engineering, "site-eng-hub"),
        (&business, "site-sales-enablement"),
        (&business, "site-partner-portal"),
    ] {
        let (_, name, _) = SITES
            .iter()
            .find(|site| site.0 == origin)
            .copied()
            .unwrap_or(SITES[0]);
        resources.push(resource(
            catalog,
            ResourceKind::Site,
            origin,
            name,
            site_roles(),
        ));
    }
    for resource in &resources {
        store::catalogs::insert_resource(conn, resource).await?;
    }

    let packages = demo_packages(&engineering, &business);
    for (package, grants, policy) in &packages {
        let package = AccessPackage {
            id: PackageId::new(package.0),
            catalog_id: package.1.clone(),
            name: package.2.to_owned(),
            description: package.3.to_owned(),
            hidden: package.4,
            archived: false,
            resource_roles: grants
                .iter()
                .filter_map(|(origin, role)| package_role(&resources, package.0, origin, role))
                .collect(),
            created_at: now,
        };
        store::catalogs::insert_package(conn, &package).await?;
        let policy = AssignmentPolicy {
            id: PolicyId(format!(
                "pol-{}",
                package.id.as_str().trim_start_matches("ap-")
            )),
            access_package_id: package.id.clone(),
            rules: policy.clone(),
        };
        store::catalogs::insert_policy(conn, &policy, now).await?;
    }
    Ok(packages.len())
}

fn resource(
    catalog: &CatalogId,
    kind: ResourceKind,
    origin: &str,
    name: &str,
    roles: Vec<ResourceRole>,
) -> Resource {
    Resource {
        id: ResourceId(format!(
            "res-{}-{origin}",
            catalog.as_str().trim_start_matches("cat-")
        )),
        catalog_id: catalog.clone(),
        kind,
        origin_id: origin.to_owned(),
        name: name.to_owned(),
        roles,
    }
}

fn package_role(
    resources: &[Resource],
    package: &str,
    origin: &str,
    role: &str,
) -> Option<PackageResourceRole> {
    let resource = resources
        .iter()
        .find(|resource| resource.origin_id == origin)?;
    let role = resource
        .roles
        .iter()
        .find(|candidate| candidate.id == role)?;
    Some(PackageResourceRole {
        id: PackageResourceRoleId(format!(
            "prr-{}-{}-{}",
            package.trim_start_matches("ap-"),
            origin,
            role.id
        )),
        resource_id: resource.id.clone(),
        resource_kind: resource.kind,
        resource_name: resource.name.clone(),
        role_id: role.id.clone(),
        role_name: role.name.clone(),
    })
}

type PackageSpec<'a> = (
    (
        &'static str,
        &'a CatalogId,
        &'static str,
        &'static str,
        bool,
    ),
    Vec<(&'static str, &'static str)>,
    PolicyDraft,
);

fn demo_packages<'a>(engineering: &'a CatalogId, business: &'a CatalogId) -> Vec<PackageSpec<'a>> {
    let group = |id: &str| GroupId::new(id);
    let manager_stage = || ApprovalStage {
        approvers: vec![Approver::Manager],
        fallback_approvers: vec![Approver::User {
            id: user_id("priya.shah"),
        }],
        approver_justification_required: false,
        decision_timeout_days: 7,
        escalation: None,
    };
    vec![
        (
            ("ap-engineering-onboarding", engineering, "Engineering Onboarding", "Everything a new engineer needs on day one: CI, the wiki as an editor and the Engineering Hub.", false),
            vec![("app-buildbox", "developer"), ("app-atlas", "editor"), ("site-eng-hub", "member")],
            PolicyDraft {
                name: "Engineers".to_owned(),
                description: "Members of the Engineering group get it without approval.".to_owned(),
                requestor_scope: RequestorScope::SpecificDirectoryUsers { users: vec![], groups: vec![group("grp-engineering")] },
                accepting_requests: true,
                requestor_justification_required: false,
                questions: vec![],
                stages: vec![],
                expiration: Expiration::Never,
                extension_allowed: false,
                requestor_may_choose_schedule: false,
            },
        ),
        (
            ("ap-company-wiki", engineering, "Company Wiki Editors", "Edit rights on Atlas Wiki for 30 days, to document a project or process.", false),
            vec![("app-atlas", "editor")],
            PolicyDraft {
                name: "All employees, manager approval".to_owned(),
                description: "Any member may ask; their manager approves.".to_owned(),
                requestor_scope: RequestorScope::AllMembers,
                accepting_requests: true,
                requestor_justification_required: true,
                questions: vec![],
                stages: vec![manager_stage()],
                expiration: Expiration::AfterDays { days: 30 },
                extension_allowed: true,
                requestor_may_choose_schedule: true,
            },
        ),
        (
            ("ap-project-falcon", engineering, "Project Falcon", "Membership of the confidential Falcon team and its space on the Engineering Hub. Shared by link only.", true),
            vec![("grp-project-falcon", "member"), ("site-eng-hub", "visitor")],
            PolicyDraft {
                name: "Invited members".to_owned(),
                description: "Members who were sent the link; their manager approves.".to_owned(),
                requestor_scope: RequestorScope::AllMembers,
                accepting_requests: true,
                requestor_justification_required: true,
                questions: vec![Question {
                    id: QuestionId::new("q-workstream"),
                    text: "Which workstream will you join?".to_owned(),
                    required: true,
                    kind: QuestionKind::Choice { options: vec!["Hardware".to_owned(), "Firmware".to_owned(), "Go-to-market".to_owned()] },
                }],
                stages: vec![manager_stage()],
                expiration: Expiration::AfterDays { days: 90 },
                extension_allowed: true,
                requestor_may_choose_schedule: false,
            },
        ),
        (
            ("ap-finance-reporting", business, "Finance Reporting", "Read-only access to budgets and reports in Ledger.", false),
            vec![("app-ledger", "viewer")],
            PolicyDraft {
                name: "All employees, two-stage approval".to_owned(),
                description: "The requestor's manager approves, then Finance Approvers.".to_owned(),
                requestor_scope: RequestorScope::AllMembers,
                accepting_requests: true,
                requestor_justification_required: true,
                questions: vec![],
                stages: vec![
                    manager_stage(),
                    ApprovalStage {
                        approvers: vec![Approver::GroupMembers { id: group("grp-finance-approvers") }],
                        fallback_approvers: vec![],
                        approver_justification_required: true,
                        decision_timeout_days: 14,
                        escalation: None,
                    },
                ],
                expiration: Expiration::AfterDays { days: 90 },
                extension_allowed: true,
                requestor_may_choose_schedule: false,
            },
        ),
        (
            ("ap-sales-crm", business, "Sales CRM", "Pipeline CRM as a sales rep, and the Sales Enablement site.", false),
            vec![("app-crm", "sales-rep"), ("site-sales-enablement", "member")],
            PolicyDraft {
                name: "Sales and Marketing".to_owned(),
                description: "Sales and Marketing staff; Sales Leadership approves.".to_owned(),
                requestor_scope: RequestorScope::SpecificDirectoryUsers { users: vec![], groups: vec![group("grp-sales"), group("grp-marketing")] },
                accepting_requests: true,
                requestor_justification_required: false,
                questions: vec![],
                stages: vec![ApprovalStage {
                    approvers: vec![Approver::GroupMembers { id: group("grp-sales-leadership") }],
                    fallback_approvers: vec![],
                    approver_justification_required: false,
                    decision_timeout_days: 5,
                    escalation: None,
                }],
                expiration: Expiration::AfterDays { days: 180 },
                extension_allowed: true,
                requestor_may_choose_schedule: false,
            },
        ),
        (
            ("ap-partner-collaboration", business, "Partner Collaboration", "Member access to the Partner Portal for people of connected partner organisations.", false),
            vec![("site-partner-portal", "member")],
            PolicyDraft {
                name: "Fabrikam".to_owned(),
                description: "People from Fabrikam; their sponsor approves; access lasts 30 days.".to_owned(),
                requestor_scope: RequestorScope::SpecificConnectedOrganizations { organizations: vec![ConnectedOrgId::new("org-fabrikam")] },
                accepting_requests: true,
                requestor_justification_required: true,
                questions: vec![],
                stages: vec![ApprovalStage {
                    approvers: vec![Approver::Sponsors],
                    fallback_approvers: vec![Approver::User { id: user_id("hannah.becker") }],
                    approver_justification_required: false,
                    decision_timeout_days: 7,
                    escalation: None,
                }],
                expiration: Expiration::AfterDays { days: 30 },
                extension_allowed: false,
                requestor_may_choose_schedule: false,
            },
        ),
        (
            ("ap-contract-bids", business, "Contract Bids", "Visitor access to the Partner Portal to submit a bid for the 2027 facilities contract. Open to anyone, including personal e-mail accounts.", false),
            vec![("site-partner-portal", "visitor")],
            PolicyDraft {
                name: "Anyone who bids".to_owned(),
                description: "Anyone may sign up and ask; Hannah Becker approves; access lasts 60 days.".to_owned(),
                requestor_scope: RequestorScope::AllExternalUsers,
                accepting_requests: true,
                requestor_justification_required: false,
                questions: vec![Question {
                    id: QuestionId::new("q-company"),
                    text: "Which company do you bid for?".to_owned(),
                    required: true,
                    kind: QuestionKind::ShortText,
                }],
                stages: vec![ApprovalStage {
                    approvers: vec![Approver::User { id: user_id("hannah.becker") }],
                    fallback_approvers: vec![],
                    approver_justification_required: false,
                    decision_timeout_days: 7,
                    escalation: None,
                }],
                expiration: Expiration::AfterDays { days: 60 },
                extension_allowed: false,
                requestor_may_choose_schedule: false,
            },
        ),
    ]
}
