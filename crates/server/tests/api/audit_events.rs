//! Every write endpoint writes exactly its audit events (issue 11), on both backends: one
//! table with a row per write operation of the OpenAPI document (a new write endpoint
//! without a row fails the test). Each row runs against fresh objects: first a refused
//! call, which must write nothing (a failed sign-in excepted: that is its event), then the
//! accepted call, whose events must be exactly the row's, in order, by the caller, about
//! the row's target, in the fixture's catalog where the row says so.

use reqwest::{Client, Method};
use serde_json::{json, Value};

use entrada_domain::audit::AuditAction;

use crate::helpers::{as_person, TestApp};
use crate::matrix::{call, fixture, policy_body, Fixture};
use crate::on_both_backends;

/// What a row works on: the matrix's fresh catalog and objects, Sam's pending request of
/// its package, an empty catalog, an unused organisation and a sign-up waiting for its link.
struct Scene {
    f: Fixture,
    n: usize,
    request: String,
    spare_policy: String,
    empty_catalog: String,
    unused_organization: String,
    signup_token: String,
    /// A SCIM token, and a person and a group SCIM provisioned with it.
    scim_token: String,
    scim_user: String,
    scim_group: String,
}

type Call = (Method, String, Option<Value>);

/// By whom, the call, its status, the events it writes.
type Refusal = (
    &'static str,
    fn(&Scene) -> Call,
    u16,
    &'static [&'static str],
);

struct Row {
    /// The operation of the OpenAPI document the row covers.
    route: (&'static str, &'static str),
    name: &'static str,
    /// Who calls: a demo person, or "" for nobody signed in.
    by: &'static str,
    call: fn(&Scene) -> Call,
    status: u16,
    /// The actions written, in order, each by the caller, or, marked `entrada:`, by
    /// Entrada itself (no person; the audit page names the job).
    events: &'static [&'static str],
    /// The first event's target.
    target: fn(&Scene, &Value) -> String,
    /// Whether every event names the fixture's catalog.
    in_catalog: bool,
    /// The same operation refused: by whom, the call, its status, the events it writes.
    refused: Refusal,
}

const SAM: &str = "sam.taylor";
const ALEX: &str = "alex.morgan";
const PRIYA: &str = "priya.shah";
const AISHA: &str = "aisha.bello";
const DANIEL: &str = "daniel.kim";
const NOAH: &str = "noah.williams";
/// Not a person: the scene's SCIM token (its calls go to `/scim/v2`).
const SCIM: &str = "scim";

fn scim_user_name(s: &Scene) -> String {
    format!("provisioned{}@example.com", s.n)
}

fn scim_patch(operations: Value) -> Value {
    json!({ "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": operations })
}

fn id(value: &Value) -> String {
    value["id"].as_str().unwrap_or_default().to_owned()
}

fn sign_in_body(password: &str) -> Value {
    json!({ "email": "sam.taylor@lakeshore.example", "password": password })
}

fn request_body(f: &Fixture) -> Value {
    json!({ "accessPackageId": f.package, "policyId": f.policy, "type": "userAdd", "justification": "Audit", "answers": [] })
}

fn rows() -> Vec<Row> {
    use Method as M;
    vec![
        Row {
            route: ("post", "/session"),
            name: "sign in",
            by: "",
            call: |_| {
                (
                    M::POST,
                    "/session".into(),
                    Some(sign_in_body(entrada_server::demo::DEMO_PASSWORD)),
                )
            },
            status: 200,
            events: &["session.signedIn"],
            target: |_, _| "user-sam.taylor".into(),
            in_catalog: false,
            refused: (
                "",
                |_| {
                    (
                        M::POST,
                        "/session".into(),
                        Some(sign_in_body("not the password")),
                    )
                },
                401,
                &["signIn.failed"],
            ),
        },
        Row {
            route: ("delete", "/session"),
            name: "sign out",
            by: SAM,
            call: |_| (M::DELETE, "/session".into(), None),
            status: 204,
            events: &["session.signedOut"],
            target: |_, _| "user-sam.taylor".into(),
            in_catalog: false,
            refused: ("", |_| (M::DELETE, "/session".into(), None), 401, &[]),
        },
        Row {
            route: ("post", "/catalogs"),
            name: "create a catalog",
            by: ALEX,
            call: |s| {
                (
                    M::POST,
                    "/catalogs".into(),
                    Some(json!({ "name": format!("Audited {}", s.n) })),
                )
            },
            status: 201,
            events: &["catalog.created"],
            target: |_, response| id(response),
            in_catalog: false,
            refused: (
                SAM,
                |s| {
                    (
                        M::POST,
                        "/catalogs".into(),
                        Some(json!({ "name": format!("Refused {}", s.n) })),
                    )
                },
                403,
                &[],
            ),
        },
        Row {
            route: ("patch", "/catalogs/{id}"),
            name: "edit a catalog",
            by: PRIYA,
            call: |s| {
                (
                    M::PATCH,
                    format!("/catalogs/{}", s.f.catalog),
                    Some(json!({ "description": "Edited" })),
                )
            },
            status: 200,
            events: &["catalog.updated"],
            target: |s, _| s.f.catalog.clone(),
            in_catalog: true,
            refused: (
                AISHA,
                |s| {
                    (
                        M::PATCH,
                        format!("/catalogs/{}", s.f.catalog),
                        Some(json!({ "description": "Edited" })),
                    )
                },
                403,
                &[],
            ),
        },
        Row {
            route: ("delete", "/catalogs/{id}"),
            name: "delete an empty catalog",
            by: ALEX,
            call: |s| (M::DELETE, format!("/catalogs/{}", s.empty_catalog), None),
            status: 204,
            events: &["catalog.deleted"],
            target: |s, _| s.empty_catalog.clone(),
            in_catalog: false,
            refused: (
                PRIYA,
                |s| (M::DELETE, format!("/catalogs/{}", s.f.catalog), None),
                409,
                &[],
            ),
        },
        Row {
            route: ("post", "/catalogs/{id}/roles"),
            name: "give a catalog role",
            by: PRIYA,
            call: |s| {
                (
                    M::POST,
                    format!("/catalogs/{}/roles", s.f.catalog),
                    Some(json!({ "userId": "user-ben.cohen", "role": "reader" })),
                )
            },
            status: 201,
            events: &["catalogRole.added"],
            target: |_, _| "user-ben.cohen".into(),
            in_catalog: true,
            refused: (
                AISHA,
                |s| {
                    (
                        M::POST,
                        format!("/catalogs/{}/roles", s.f.catalog),
                        Some(json!({ "userId": "user-ben.cohen", "role": "owner" })),
                    )
                },
                403,
                &[],
            ),
        },
        Row {
            route: ("delete", "/catalogs/{id}/roles/{assignment_id}"),
            name: "take a catalog role away",
            by: PRIYA,
            call: |s| {
                (
                    M::DELETE,
                    format!("/catalogs/{}/roles/{}", s.f.catalog, s.f.reader_grant),
                    None,
                )
            },
            status: 204,
            events: &["catalogRole.removed"],
            target: |_, _| "user-aisha.bello".into(),
            in_catalog: true,
            refused: (
                DANIEL,
                |s| {
                    (
                        M::DELETE,
                        format!("/catalogs/{}/roles/{}", s.f.catalog, s.f.reader_grant),
                        None,
                    )
                },
                403,
                &[],
            ),
        },
        Row {
            route: ("post", "/catalogs/{id}/resources"),
            name: "add a resource",
            by: PRIYA,
            call: |s| {
                (
                    M::POST,
                    format!("/catalogs/{}/resources", s.f.catalog),
                    Some(json!({ "kind": "group", "originId": "grp-security-champions" })),
                )
            },
            status: 201,
            events: &["resource.added"],
            target: |_, response| id(response),
            in_catalog: true,
            // Finance Approvers is not Priya's: an owner never adds what they do not own.
            refused: (
                PRIYA,
                |s| {
                    (
                        M::POST,
                        format!("/catalogs/{}/resources", s.f.catalog),
                        Some(json!({ "kind": "group", "originId": "grp-finance-approvers" })),
                    )
                },
                403,
                &[],
            ),
        },
        Row {
            route: ("delete", "/catalogs/{id}/resources/{resource_id}"),
            name: "remove an unused resource",
            by: PRIYA,
            call: |s| {
                (
                    M::DELETE,
                    format!(
                        "/catalogs/{}/resources/{}",
                        s.f.catalog, s.f.unused_resource
                    ),
                    None,
                )
            },
            status: 204,
            events: &["resource.removed"],
            target: |s, _| s.f.unused_resource.clone(),
            in_catalog: true,
            refused: (
                PRIYA,
                |s| {
                    (
                        M::DELETE,
                        format!(
                            "/catalogs/{}/resources/{}",
                            s.f.catalog, s.f.falcon_resource
                        ),
                        None,
                    )
                },
                409,
                &[],
            ),
        },
        Row {
            route: ("post", "/access-packages"),
            name: "create a package",
            by: DANIEL,
            call: |s| {
                (
                    M::POST,
                    "/access-packages".into(),
                    Some(json!({ "catalogId": s.f.catalog, "name": "Another" })),
                )
            },
            status: 201,
            events: &["accessPackage.created"],
            target: |_, response| id(response),
            in_catalog: true,
            refused: (
                AISHA,
                |s| {
                    (
                        M::POST,
                        "/access-packages".into(),
                        Some(json!({ "catalogId": s.f.catalog, "name": "Another" })),
                    )
                },
                403,
                &[],
            ),
        },
        Row {
            route: ("patch", "/access-packages/{id}"),
            name: "hide a package",
            by: DANIEL,
            call: |s| {
                (
                    M::PATCH,
                    format!("/access-packages/{}", s.f.package),
                    Some(json!({ "hidden": true })),
                )
            },
            status: 200,
            events: &["accessPackage.updated"],
            target: |s, _| s.f.package.clone(),
            in_catalog: true,
            refused: (
                NOAH,
                |s| {
                    (
                        M::PATCH,
                        format!("/access-packages/{}", s.f.package),
                        Some(json!({ "hidden": true })),
                    )
                },
                403,
                &[],
            ),
        },
        Row {
            route: ("delete", "/access-packages/{id}"),
            name: "delete an empty package",
            by: DANIEL,
            call: |s| {
                (
                    M::DELETE,
                    format!("/access-packages/{}", s.f.empty_package),
                    None,
                )
            },
            status: 204,
            events: &["accessPackage.deleted"],
            target: |s, _| s.f.empty_package.clone(),
            in_catalog: true,
            refused: (
                DANIEL,
                |s| (M::DELETE, format!("/access-packages/{}", s.f.package), None),
                409,
                &[],
            ),
        },
        Row {
            route: ("post", "/access-packages/{id}/resource-roles"),
            name: "add a resource role to a package",
            by: DANIEL,
            call: |s| {
                (
                    M::POST,
                    format!("/access-packages/{}/resource-roles", s.f.empty_package),
                    Some(json!({ "resourceId": s.f.falcon_resource, "roleId": "member" })),
                )
            },
            status: 201,
            events: &["packageResourceRole.added"],
            target: |s, _| s.f.empty_package.clone(),
            in_catalog: true,
            refused: (
                AISHA,
                |s| {
                    (
                        M::POST,
                        format!("/access-packages/{}/resource-roles", s.f.empty_package),
                        Some(json!({ "resourceId": s.f.falcon_resource, "roleId": "member" })),
                    )
                },
                403,
                &[],
            ),
        },
        Row {
            route: ("delete", "/access-packages/{id}/resource-roles/{role_id}"),
            name: "remove a resource role from a package",
            by: DANIEL,
            call: |s| {
                (
                    M::DELETE,
                    format!(
                        "/access-packages/{}/resource-roles/{}",
                        s.f.package, s.f.package_role
                    ),
                    None,
                )
            },
            status: 204,
            events: &["packageResourceRole.removed"],
            target: |s, _| s.f.package.clone(),
            in_catalog: true,
            refused: (
                NOAH,
                |s| {
                    (
                        M::DELETE,
                        format!(
                            "/access-packages/{}/resource-roles/{}",
                            s.f.package, s.f.package_role
                        ),
                        None,
                    )
                },
                403,
                &[],
            ),
        },
        Row {
            route: ("post", "/access-packages/{id}/policies"),
            name: "create a policy",
            by: DANIEL,
            call: |s| {
                (
                    M::POST,
                    format!("/access-packages/{}/policies", s.f.package),
                    Some(policy_body()),
                )
            },
            status: 201,
            events: &["policy.created"],
            target: |_, response| id(response),
            in_catalog: true,
            refused: (
                DANIEL,
                |s| {
                    let mut body = policy_body();
                    body["name"] = json!("");
                    (
                        M::POST,
                        format!("/access-packages/{}/policies", s.f.package),
                        Some(body),
                    )
                },
                422,
                &[],
            ),
        },
        Row {
            route: ("patch", "/policies/{id}"),
            name: "stop a policy accepting requests",
            by: PRIYA,
            call: |s| {
                (
                    M::PATCH,
                    format!("/policies/{}", s.f.policy),
                    Some(json!({ "acceptingRequests": false })),
                )
            },
            status: 200,
            events: &["policy.updated"],
            target: |s, _| s.f.policy.clone(),
            in_catalog: true,
            refused: (
                AISHA,
                |s| {
                    (
                        M::PATCH,
                        format!("/policies/{}", s.f.policy),
                        Some(json!({ "acceptingRequests": false })),
                    )
                },
                403,
                &[],
            ),
        },
        Row {
            route: ("delete", "/policies/{id}"),
            name: "delete a policy",
            by: PRIYA,
            call: |s| (M::DELETE, format!("/policies/{}", s.spare_policy), None),
            status: 204,
            events: &["policy.deleted"],
            target: |s, _| s.spare_policy.clone(),
            in_catalog: true,
            // Sam's request through it is still pending.
            refused: (
                PRIYA,
                |s| (M::DELETE, format!("/policies/{}", s.f.policy), None),
                409,
                &[],
            ),
        },
        Row {
            route: ("post", "/policy-preview"),
            name: "preview a policy (changes nothing)",
            by: PRIYA,
            call: |s| {
                (
                    M::POST,
                    "/policy-preview".into(),
                    Some(json!({ "catalogId": s.f.catalog, "policy": policy_body() })),
                )
            },
            status: 200,
            events: &[],
            target: |_, _| String::new(),
            in_catalog: true,
            refused: (
                SAM,
                |s| {
                    (
                        M::POST,
                        "/policy-preview".into(),
                        Some(json!({ "catalogId": s.f.catalog, "policy": policy_body() })),
                    )
                },
                403,
                &[],
            ),
        },
        Row {
            route: ("post", "/setup"),
            name: "a wizard sets up a package in a catalog",
            by: PRIYA,
            call: |s| {
                (
                    M::POST,
                    "/setup".into(),
                    Some(
                        json!({ "catalog": { "kind": "existing", "id": s.f.catalog }, "package": { "catalogId": "", "name": "From a wizard" }, "roles": [{ "kind": "group", "originId": "grp-project-falcon", "roleId": "member" }], "policy": policy_body() }),
                    ),
                )
            },
            status: 201,
            events: &[
                "accessPackage.created",
                "packageResourceRole.added",
                "policy.created",
            ],
            target: |_, response| {
                response["package"]["id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned()
            },
            in_catalog: true,
            refused: (
                AISHA,
                |s| {
                    (
                        M::POST,
                        "/setup".into(),
                        Some(
                            json!({ "catalog": { "kind": "existing", "id": s.f.catalog }, "package": { "catalogId": "", "name": "From a wizard" }, "roles": [{ "kind": "group", "originId": "grp-project-falcon", "roleId": "member" }], "policy": policy_body() }),
                        ),
                    )
                },
                403,
                &[],
            ),
        },
        Row {
            route: ("patch", "/settings"),
            name: "change a setting",
            by: ALEX,
            call: |s| {
                (
                    M::PATCH,
                    "/settings".into(),
                    Some(json!({ "externalLifecycle": { "deleteAfterDays": 40 + s.n } })),
                )
            },
            status: 200,
            events: &["settings.changed"],
            target: |_, _| "settings".into(),
            in_catalog: false,
            refused: (
                ALEX,
                |_| {
                    (
                        M::PATCH,
                        "/settings".into(),
                        Some(json!({ "externalLifecycle": { "deleteAfterDays": 0 } })),
                    )
                },
                422,
                &[],
            ),
        },
        Row {
            route: ("patch", "/my/notifications"),
            name: "turn an optional e-mail off",
            by: SAM,
            call: |_| {
                (
                    M::PATCH,
                    "/my/notifications".into(),
                    Some(json!({ "kinds": { "accessRemoved": false } })),
                )
            },
            status: 200,
            events: &["notifications.changed"],
            target: |_, _| "user-sam.taylor".into(),
            in_catalog: false,
            refused: (
                SAM,
                |_| {
                    (
                        M::PATCH,
                        "/my/notifications".into(),
                        Some(json!({ "kinds": { "signUpVerification": false } })),
                    )
                },
                422,
                &[],
            ),
        },
        Row {
            route: ("post", "/assignments"),
            name: "assign directly",
            by: NOAH,
            call: |s| {
                (
                    M::POST,
                    "/assignments".into(),
                    Some(
                        json!({ "userId": "user-ben.cohen", "accessPackageId": s.f.package, "policyId": s.f.policy }),
                    ),
                )
            },
            status: 201,
            events: &["assignment.created"],
            target: |_, response| {
                response["assignment"]["id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned()
            },
            in_catalog: true,
            refused: (
                AISHA,
                |s| {
                    (
                        M::POST,
                        "/assignments".into(),
                        Some(
                            json!({ "userId": "user-ben.cohen", "accessPackageId": s.f.package, "policyId": s.f.policy }),
                        ),
                    )
                },
                403,
                &[],
            ),
        },
        Row {
            route: ("post", "/assignments/{id}/remove"),
            name: "remove an assignment",
            by: NOAH,
            call: |s| {
                (
                    M::POST,
                    format!("/assignments/{}/remove", s.f.assignment),
                    None,
                )
            },
            status: 200,
            events: &["assignment.removed"],
            target: |s, _| s.f.assignment.clone(),
            in_catalog: true,
            refused: (
                DANIEL,
                |s| {
                    (
                        M::POST,
                        format!("/assignments/{}/remove", s.f.assignment),
                        None,
                    )
                },
                403,
                &[],
            ),
        },
        Row {
            route: ("post", "/requests"),
            name: "ask for a package",
            by: "grace.liu",
            call: |s| (M::POST, "/requests".into(), Some(request_body(&s.f))),
            status: 201,
            events: &["request.submitted"],
            target: |_, response| {
                response["request"]["id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned()
            },
            in_catalog: true,
            // Sam already has a pending request of it.
            refused: (
                SAM,
                |s| (M::POST, "/requests".into(), Some(request_body(&s.f))),
                409,
                &[],
            ),
        },
        Row {
            route: ("post", "/requests/{id}/cancel"),
            name: "cancel one's request",
            by: SAM,
            call: |s| (M::POST, format!("/requests/{}/cancel", s.request), None),
            status: 200,
            events: &["request.canceled"],
            target: |s, _| s.request.clone(),
            in_catalog: true,
            refused: (
                DANIEL,
                |s| (M::POST, format!("/requests/{}/cancel", s.request), None),
                403,
                &[],
            ),
        },
        Row {
            route: ("post", "/requests/{id}/decisions"),
            name: "approve a request: it is delivered",
            by: DANIEL,
            call: |s| {
                (
                    M::POST,
                    format!("/requests/{}/decisions", s.request),
                    Some(json!({ "decision": "approve" })),
                )
            },
            status: 200,
            events: &[
                "request.approved",
                "entrada:assignment.created",
                "entrada:request.delivered",
            ],
            target: |s, _| s.request.clone(),
            in_catalog: true,
            refused: (
                SAM,
                |s| {
                    (
                        M::POST,
                        format!("/requests/{}/decisions", s.request),
                        Some(json!({ "decision": "approve" })),
                    )
                },
                403,
                &[],
            ),
        },
        Row {
            route: ("post", "/requests/{id}/decisions"),
            name: "deny a request",
            by: DANIEL,
            call: |s| {
                (
                    M::POST,
                    format!("/requests/{}/decisions", s.request),
                    Some(json!({ "decision": "deny", "justification": "Not this quarter" })),
                )
            },
            status: 200,
            events: &["request.denied"],
            target: |s, _| s.request.clone(),
            in_catalog: true,
            refused: (
                DANIEL,
                |s| {
                    (
                        M::POST,
                        format!("/requests/{}/decisions", s.request),
                        Some(json!({ "decision": "maybe" })),
                    )
                },
                400,
                &[],
            ),
        },
        Row {
            route: ("post", "/connected-organizations"),
            name: "connect an organisation",
            by: ALEX,
            call: |s| {
                (
                    M::POST,
                    "/connected-organizations".into(),
                    Some(
                        json!({ "name": format!("Partner {}", s.n), "domains": [format!("partner{}.example", s.n)] }),
                    ),
                )
            },
            status: 201,
            events: &["connectedOrganization.created"],
            target: |_, response| id(response),
            in_catalog: false,
            refused: (
                PRIYA,
                |s| {
                    (
                        M::POST,
                        "/connected-organizations".into(),
                        Some(
                            json!({ "name": format!("Partner {}", s.n), "domains": [format!("partner{}.example", s.n)] }),
                        ),
                    )
                },
                403,
                &[],
            ),
        },
        Row {
            route: ("patch", "/connected-organizations/{id}"),
            name: "edit a connected organisation",
            by: ALEX,
            call: |_| {
                (
                    M::PATCH,
                    "/connected-organizations/org-fabrikam".into(),
                    Some(json!({ "description": "Edited", "state": "proposed" })),
                )
            },
            status: 200,
            events: &["connectedOrganization.updated"],
            target: |_, _| "org-fabrikam".into(),
            in_catalog: false,
            refused: (
                ALEX,
                |_| {
                    (
                        M::PATCH,
                        "/connected-organizations/org-fabrikam".into(),
                        Some(json!({ "domains": ["not a domain"] })),
                    )
                },
                422,
                &[],
            ),
        },
        Row {
            route: ("delete", "/connected-organizations/{id}"),
            name: "delete an unused connected organisation",
            by: ALEX,
            call: |s| {
                (
                    M::DELETE,
                    format!("/connected-organizations/{}", s.unused_organization),
                    None,
                )
            },
            status: 204,
            events: &["connectedOrganization.deleted"],
            target: |s, _| s.unused_organization.clone(),
            in_catalog: false,
            refused: (
                ALEX,
                |_| {
                    (
                        M::DELETE,
                        "/connected-organizations/org-fabrikam".into(),
                        None,
                    )
                },
                409,
                &[],
            ),
        },
        Row {
            route: ("post", "/signup"),
            name: "sign up",
            by: "",
            call: |s| {
                (
                    M::POST,
                    "/signup".into(),
                    Some(
                        json!({ "email": format!("bidder{}@gmail.example", s.n), "displayName": "Bidder", "password": "correct horse battery" }),
                    ),
                )
            },
            status: 202,
            events: &["signup.requested"],
            target: |s, _| format!("bidder{}@gmail.example", s.n),
            in_catalog: false,
            refused: (
                "",
                |s| {
                    (
                        M::POST,
                        "/signup".into(),
                        Some(
                            json!({ "email": format!("bidder{}", s.n), "displayName": "Bidder", "password": "correct horse battery" }),
                        ),
                    )
                },
                422,
                &[],
            ),
        },
        Row {
            route: ("post", "/signup/verify"),
            name: "verify a sign-up",
            by: "",
            call: |s| {
                (
                    M::POST,
                    "/signup/verify".into(),
                    Some(json!({ "token": s.signup_token })),
                )
            },
            status: 200,
            events: &["user.created", "signup.verified"],
            target: |_, response| {
                response["me"]["user"]["id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned()
            },
            in_catalog: false,
            refused: (
                "",
                |s| {
                    (
                        M::POST,
                        "/signup/verify".into(),
                        Some(json!({ "token": format!("forged{}", s.n) })),
                    )
                },
                409,
                &[],
            ),
        },
        Row {
            route: ("post", "/scim/v2/Users"),
            name: "SCIM: provision a person",
            by: SCIM,
            call: |s| {
                (
                    M::POST,
                    "/scim/v2/Users".into(),
                    Some(json!({ "userName": format!("audited{}@example.com", s.n) })),
                )
            },
            status: 201,
            events: &["entrada:scim.userCreated"],
            target: |_, response| id(response),
            in_catalog: false,
            refused: (
                "",
                |s| {
                    (
                        M::POST,
                        "/scim/v2/Users".into(),
                        Some(json!({ "userName": format!("audited{}@example.com", s.n) })),
                    )
                },
                401,
                &[],
            ),
        },
        Row {
            route: ("put", "/scim/v2/Users/{id}"),
            name: "SCIM: replace a person",
            by: SCIM,
            call: |s| {
                (
                    M::PUT,
                    format!("/scim/v2/Users/{}", s.scim_user),
                    Some(json!({ "userName": scim_user_name(s), "title": "Auditor" })),
                )
            },
            status: 200,
            events: &["entrada:scim.userChanged"],
            target: |s, _| s.scim_user.clone(),
            in_catalog: false,
            refused: (
                SCIM,
                |s| {
                    (
                        M::PUT,
                        format!("/scim/v2/Users/{}", s.scim_user),
                        Some(json!({ "title": "No userName" })),
                    )
                },
                400,
                &[],
            ),
        },
        Row {
            route: ("patch", "/scim/v2/Users/{id}"),
            name: "SCIM: deactivate a person",
            by: SCIM,
            call: |s| {
                (
                    M::PATCH,
                    format!("/scim/v2/Users/{}", s.scim_user),
                    Some(scim_patch(
                        json!([{ "op": "replace", "path": "active", "value": false }]),
                    )),
                )
            },
            status: 200,
            events: &["entrada:scim.userBlocked"],
            target: |s, _| s.scim_user.clone(),
            in_catalog: false,
            refused: (
                SCIM,
                |s| {
                    (
                        M::PATCH,
                        format!("/scim/v2/Users/{}", s.scim_user),
                        Some(scim_patch(
                            json!([{ "op": "replace", "path": "shoeSize", "value": 1 }]),
                        )),
                    )
                },
                400,
                &[],
            ),
        },
        Row {
            route: ("delete", "/scim/v2/Users/{id}"),
            name: "SCIM: delete a person",
            by: SCIM,
            call: |s| (M::DELETE, format!("/scim/v2/Users/{}", s.scim_user), None),
            status: 204,
            events: &["entrada:scim.userDeleted"],
            target: |s, _| s.scim_user.clone(),
            in_catalog: false,
            refused: (
                "",
                |s| (M::DELETE, format!("/scim/v2/Users/{}", s.scim_user), None),
                401,
                &[],
            ),
        },
        Row {
            route: ("post", "/scim/v2/Groups"),
            name: "SCIM: create a group",
            by: SCIM,
            call: |s| {
                (
                    M::POST,
                    "/scim/v2/Groups".into(),
                    Some(
                        json!({ "displayName": format!("Audited group {}", s.n), "members": [{ "value": s.scim_user }] }),
                    ),
                )
            },
            status: 201,
            events: &["entrada:scim.groupCreated"],
            target: |_, response| id(response),
            in_catalog: false,
            refused: (
                SCIM,
                |s| {
                    (
                        M::POST,
                        "/scim/v2/Groups".into(),
                        Some(json!({ "displayName": format!("SCIM group {}", s.n) })),
                    )
                },
                409,
                &[],
            ),
        },
        Row {
            route: ("put", "/scim/v2/Groups/{id}"),
            name: "SCIM: replace a group",
            by: SCIM,
            call: |s| {
                (
                    M::PUT,
                    format!("/scim/v2/Groups/{}", s.scim_group),
                    Some(
                        json!({ "displayName": format!("SCIM group {} renamed", s.n), "members": [{ "value": s.scim_user }] }),
                    ),
                )
            },
            status: 200,
            events: &["entrada:scim.groupChanged"],
            target: |s, _| s.scim_group.clone(),
            in_catalog: false,
            refused: (
                SCIM,
                |s| {
                    (
                        M::PUT,
                        format!("/scim/v2/Groups/{}", s.scim_group),
                        Some(json!({ "displayName": "x", "members": [{ "value": "nobody" }] })),
                    )
                },
                400,
                &[],
            ),
        },
        Row {
            route: ("patch", "/scim/v2/Groups/{id}"),
            name: "SCIM: add a member to a group",
            by: SCIM,
            call: |s| {
                (
                    M::PATCH,
                    format!("/scim/v2/Groups/{}", s.scim_group),
                    Some(scim_patch(
                        json!([{ "op": "add", "path": "members", "value": [{ "value": s.scim_user }] }]),
                    )),
                )
            },
            status: 200,
            events: &["entrada:scim.groupChanged"],
            target: |s, _| s.scim_group.clone(),
            in_catalog: false,
            refused: (
                "",
                |s| {
                    (
                        M::PATCH,
                        format!("/scim/v2/Groups/{}", s.scim_group),
                        Some(scim_patch(json!([{ "op": "remove", "path": "members" }]))),
                    )
                },
                401,
                &[],
            ),
        },
        Row {
            route: ("delete", "/scim/v2/Groups/{id}"),
            name: "SCIM: delete a group",
            by: SCIM,
            call: |s| (M::DELETE, format!("/scim/v2/Groups/{}", s.scim_group), None),
            status: 204,
            events: &["entrada:scim.groupDeleted"],
            target: |s, _| s.scim_group.clone(),
            in_catalog: false,
            refused: (
                SCIM,
                |_| (M::DELETE, "/scim/v2/Groups/grp-project-falcon".into(), None),
                409,
                &[],
            ),
        },
        Row {
            route: ("post", "/scim/v2/.search"),
            name: "SCIM: search every resource type (not offered)",
            by: SCIM,
            call: |_| {
                (
                    M::POST,
                    "/scim/v2/.search".into(),
                    Some(
                        json!({ "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"] }),
                    ),
                )
            },
            status: 501,
            events: &[],
            target: |_, _| String::new(),
            in_catalog: false,
            refused: (
                "",
                |_| (M::POST, "/scim/v2/.search".into(), Some(json!({}))),
                401,
                &[],
            ),
        },
    ]
}

/// A client signed in as `person` ("" for nobody), or with the scene's SCIM token.
async fn client_of(app: &TestApp, person: &str, scene: &Scene) -> Client {
    if person == SCIM {
        let mut headers = reqwest::header::HeaderMap::new();
        let bearer = format!("Bearer {}", scene.scim_token);
        headers.insert(reqwest::header::AUTHORIZATION, bearer.parse().unwrap());
        return Client::builder().default_headers(headers).build().unwrap();
    }
    let client = app.new_client();
    if !person.is_empty() {
        let response = app.sign_in_as(&client, person).await;
        assert!(response.status().is_success(), "{person} signs in");
    }
    client
}

async fn scene(app: &TestApp, admin: &Client, n: usize) -> Scene {
    let f = fixture(app, admin, n).await;
    let sam = as_person(app, SAM).await;
    let (status, view) = call(
        &sam,
        Method::POST,
        app.api("/requests"),
        Some(request_body(&f)),
    )
    .await;
    assert_eq!(status.as_u16(), 201, "{view}");
    let mut spare = policy_body();
    spare["name"] = json!("Spare");
    let (status, spare) = call(
        admin,
        Method::POST,
        app.api(&format!("/access-packages/{}/policies", f.package)),
        Some(spare),
    )
    .await;
    assert_eq!(status.as_u16(), 201, "{spare}");
    let (_, empty) = call(
        admin,
        Method::POST,
        app.api("/catalogs"),
        Some(json!({ "name": format!("Empty {n}") })),
    )
    .await;
    let (_, organization) = call(
        admin,
        Method::POST,
        app.api("/connected-organizations"),
        Some(json!({ "name": format!("Unused {n}"), "domains": [format!("unused{n}.example")] })),
    )
    .await;
    let email = format!("verified{n}@gmail.example");
    let (status, _) = call(&app.new_client(), Method::POST, app.api("/signup"), Some(json!({ "email": email, "displayName": "Verified", "password": "correct horse battery" }))).await;
    assert_eq!(status.as_u16(), 202);
    let link: String = sqlx::query_scalar(
        "SELECT link FROM outbox WHERE to_address = $1 AND kind = 'signUpVerification'",
    )
    .bind(&email)
    .fetch_one(&app.db)
    .await
    .unwrap();
    let now = entrada_server::Clock::now(app.clock.as_ref());
    let scim_token = entrada_server::scim::create_token(&app.db, &format!("audit-{n}"), now)
        .await
        .unwrap();
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {scim_token}").parse().unwrap(),
    );
    let scim = Client::builder().default_headers(headers).build().unwrap();
    let (status, scim_user) = call(
        &scim,
        Method::POST,
        app.url("/scim/v2/Users"),
        Some(json!({ "userName": format!("provisioned{n}@example.com") })),
    )
    .await;
    assert_eq!(status.as_u16(), 201, "{scim_user}");
    let (status, scim_group) = call(
        &scim,
        Method::POST,
        app.url("/scim/v2/Groups"),
        Some(json!({ "displayName": format!("SCIM group {n}") })),
    )
    .await;
    assert_eq!(status.as_u16(), 201, "{scim_group}");
    Scene {
        scim_token,
        scim_user: id(&scim_user),
        scim_group: id(&scim_group),
        request: view["request"]["id"].as_str().unwrap().to_owned(),
        spare_policy: id(&spare),
        empty_catalog: id(&empty),
        unused_organization: id(&organization),
        signup_token: link.split_once("token=").unwrap().1.to_owned(),
        f,
        n,
    }
}

/// The URL of a row's path: SCIM's own, or the API's.
fn url(app: &TestApp, path: &str) -> String {
    match path.starts_with("/scim/") {
        true => app.url(path),
        false => app.api(path),
    }
}

async fn last_seq(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM audit_events")
        .fetch_one(&app.db)
        .await
        .unwrap()
}

/// An event as the rows check it: action, actor, target, catalog.
type Event = (String, Option<String>, String, Option<String>);

/// Each event after `seq`, oldest first.
async fn events_after(app: &TestApp, seq: i64) -> Vec<Event> {
    sqlx::query_as("SELECT action, actor_id, target_id, catalog_id FROM audit_events WHERE seq > $1 ORDER BY seq")
        .bind(seq)
        .fetch_all(&app.db)
        .await
        .unwrap()
}

/// Write operations whose events another module checks, because they need an outside
/// system this test's server does not have: (method, path, where).
const CHECKED_ELSEWHERE: &[(&str, &str, &str)] = &[(
    "post",
    "/integrations/directory-sync",
    "ldap.rs, against slapd: directory.synced, user.imported, user.leftDirectory, user.returnedToDirectory, directory.writtenBack, directory.takenBack",
)];

/// The write operations (method, path) the OpenAPI document lists.
async fn write_operations(app: &TestApp) -> Vec<(String, String)> {
    let document = crate::helpers::openapi_document(app).await;
    crate::helpers::operations_of(&document)
        .into_iter()
        .filter(|(method, _)| ["post", "put", "patch", "delete"].contains(&method.as_str()))
        .map(|(method, path)| (method, path.trim_start_matches("/api/v1").to_owned()))
        .collect()
}

on_both_backends! {
    every_write_endpoint_writes_exactly_its_events_and_a_refused_write_none => |app: TestApp| async move {
        let rows = rows();
        let uncovered: Vec<_> = write_operations(&app).await.into_iter()
            .filter(|(method, path)| !rows.iter().any(|row| row.route == (method.as_str(), path.as_str())))
            .filter(|(method, path)| !CHECKED_ELSEWHERE.iter().any(|(m, p, _)| (*m, *p) == (method.as_str(), path.as_str())))
            .collect();
        assert!(uncovered.is_empty(), "write operations without a row: {uncovered:?}");

        let admin = as_person(&app, ALEX).await;
        let mut failures = Vec::new();
        for (n, row) in rows.iter().enumerate() {
            let scene = scene(&app, &admin, n).await;

            let (who, refused, status, expected) = row.refused;
            let client = client_of(&app, who, &scene).await;
            let (method, path, body) = refused(&scene);
            let before = last_seq(&app).await;
            let (got, response) = call(&client, method.clone(), url(&app, &path), body).await;
            let written: Vec<String> = events_after(&app, before).await.into_iter().map(|event| event.0).collect();
            if got.as_u16() != status || written != expected {
                failures.push(format!("{} refused ({method} {path} by {who:?}): expected {status} writing {expected:?}, got {got} writing {written:?}: {response}", row.name));
            }

            let client = client_of(&app, row.by, &scene).await;
            let (method, path, body) = (row.call)(&scene);
            let before = last_seq(&app).await;
            let (got, response) = call(&client, method.clone(), url(&app, &path), body).await;
            let events = events_after(&app, before).await;
            let written: Vec<&str> = events.iter().map(|event| event.0.as_str()).collect();
            let listed: Vec<&str> = row.events.iter().map(|action| action.trim_start_matches("entrada:")).collect();
            if got.as_u16() != row.status || written != listed {
                failures.push(format!("{} ({method} {path} by {:?}): expected {} writing {:?}, got {got} writing {written:?}: {response}", row.name, row.by, row.status, row.events));
                continue;
            }
            // Someone not signed in acts as the person the call signs in, if any.
            let caller = match row.by.is_empty() || row.by == SCIM {
                false => Some(format!("user-{}", row.by)),
                true => ["/me/user/id", "/user/id"]
                    .iter()
                    .find_map(|pointer| response.pointer(pointer))
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            };
            for ((action, by, _, catalog), listed) in events.iter().zip(row.events) {
                // "entrada:" marks what Entrada does itself: no person, a named job.
                let expected = match listed.starts_with("entrada:") {
                    true => None,
                    false => caller.clone(),
                };
                if by != &expected {
                    failures.push(format!("{}: {action} is by {by:?}, not {expected:?}", row.name));
                }
                let job = AuditAction::parse(action).and_then(AuditAction::system_job);
                if by.is_none() && listed.starts_with("entrada:") && job.is_none() {
                    failures.push(format!("{}: {action} is by Entrada, but names no job", row.name));
                }
                if row.in_catalog && catalog.as_deref() != Some(scene.f.catalog.as_str()) {
                    failures.push(format!("{}: {action} names catalog {catalog:?}, not {}", row.name, scene.f.catalog));
                }
            }
            if let Some((action, _, target, _)) = events.first() {
                let expected = (row.target)(&scene, &response);
                if target != &expected {
                    failures.push(format!("{}: {action} is about {target:?}, not {expected:?}", row.name));
                }
            }
        }
        assert!(failures.is_empty(), "{} row(s) differ:\n{}", failures.len(), failures.join("\n"));
    };
}
