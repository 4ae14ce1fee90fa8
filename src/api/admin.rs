//! The admin area's endpoints: catalogs, their roles and resources, access packages, their
//! resource roles and policies, the policy preview, direct assignments, the directory for
//! pickers, and the guided setup.

use entrada_domain::admin::{
    CatalogDraft, CatalogPatch, CatalogRoleDraft, DirectAssignmentDraft, OrganizationPatch,
    PackageDraft, PackagePatch, PackageResourceRoleDraft, PolicyPatch, ResourceDraft, SetupDraft,
    SetupResult,
};
use entrada_domain::api::{
    AssignmentView, CatalogDetail, CatalogRoleMember, CatalogSummary, PolicyPreviewBody,
};
use entrada_domain::assignment::Assignment;
use entrada_domain::catalog::{AccessPackage, Catalog, PackageResourceRole, Resource};
use entrada_domain::directory::{Application, Group, Site, User};
use entrada_domain::organization::{ConnectedOrganization, OrganizationDraft};
use entrada_domain::policy::{AssignmentPolicy, PolicyDraft};
use entrada_domain::preview::PolicyPreview;
use entrada_domain::settings::{Settings, SettingsPatch};
use gloo_net::http::Method;

use super::{request, ApiError, Call};
use crate::url;

/// The catalogs the signed-in person may read, with their counts and the person's roles.
pub(crate) async fn catalogs() -> Result<Vec<CatalogSummary>, ApiError> {
    request(Call::new(Method::GET, "/catalogs")).await
}

/// Creates a catalog; the creator becomes its owner.
pub(crate) async fn create_catalog(draft: CatalogDraft) -> Result<Catalog, ApiError> {
    request(Call::new(Method::POST, "/catalogs").json(&draft)?).await
}

/// One catalog with its roles, resources, packages and what the caller may do in it.
pub(crate) async fn catalog(id: String) -> Result<CatalogDetail, ApiError> {
    request(Call::new(Method::GET, &path(&["catalogs", &id]))).await
}

/// Edits a catalog with a JSON merge patch (name, description, enabled, externalUsersAllowed).
pub(crate) async fn edit_catalog(id: String, patch: CatalogPatch) -> Result<Catalog, ApiError> {
    request(Call::new(Method::PATCH, &path(&["catalogs", &id])).json(&patch)?).await
}

/// Deletes an empty catalog.
pub(crate) async fn delete_catalog(id: String) -> Result<(), ApiError> {
    request(Call::new(Method::DELETE, &path(&["catalogs", &id]))).await
}

/// Gives someone a role in a catalog.
pub(crate) async fn add_catalog_role(
    id: String,
    draft: CatalogRoleDraft,
) -> Result<CatalogRoleMember, ApiError> {
    request(Call::new(Method::POST, &path(&["catalogs", &id, "roles"])).json(&draft)?).await
}

/// Takes a catalog role away.
pub(crate) async fn remove_catalog_role(id: String, grant: String) -> Result<(), ApiError> {
    request(Call::new(
        Method::DELETE,
        &path(&["catalogs", &id, "roles", &grant]),
    ))
    .await
}

/// Adds a group, application or site to a catalog.
pub(crate) async fn add_resource(id: String, draft: ResourceDraft) -> Result<Resource, ApiError> {
    request(Call::new(Method::POST, &path(&["catalogs", &id, "resources"])).json(&draft)?).await
}

/// Removes a resource that no package uses from a catalog.
pub(crate) async fn remove_resource(id: String, resource: String) -> Result<(), ApiError> {
    request(Call::new(
        Method::DELETE,
        &path(&["catalogs", &id, "resources", &resource]),
    ))
    .await
}

/// Creates an access package in a catalog.
pub(crate) async fn create_package(draft: PackageDraft) -> Result<AccessPackage, ApiError> {
    request(Call::new(Method::POST, "/access-packages").json(&draft)?).await
}

/// Edits a package with a JSON merge patch (name, description, hidden).
pub(crate) async fn edit_package(
    id: String,
    patch: PackagePatch,
) -> Result<AccessPackage, ApiError> {
    request(Call::new(Method::PATCH, &path(&["access-packages", &id])).json(&patch)?).await
}

/// Deletes a package nobody holds.
pub(crate) async fn delete_package(id: String) -> Result<(), ApiError> {
    request(Call::new(Method::DELETE, &path(&["access-packages", &id]))).await
}

/// What a package grants.
pub(crate) async fn package_resource_roles(
    id: String,
) -> Result<Vec<PackageResourceRole>, ApiError> {
    request(Call::new(
        Method::GET,
        &path(&["access-packages", &id, "resource-roles"]),
    ))
    .await
}

/// Adds one role of a catalog resource to a package.
pub(crate) async fn add_package_resource_role(
    id: String,
    draft: PackageResourceRoleDraft,
) -> Result<PackageResourceRole, ApiError> {
    let call = Call::new(
        Method::POST,
        &path(&["access-packages", &id, "resource-roles"]),
    );
    request(call.json(&draft)?).await
}

/// Removes a resource role from a package.
pub(crate) async fn remove_package_resource_role(id: String, role: String) -> Result<(), ApiError> {
    request(Call::new(
        Method::DELETE,
        &path(&["access-packages", &id, "resource-roles", &role]),
    ))
    .await
}

/// The assignment policies of a package.
pub(crate) async fn policies(package: String) -> Result<Vec<AssignmentPolicy>, ApiError> {
    request(Call::new(
        Method::GET,
        &path(&["access-packages", &package, "policies"]),
    ))
    .await
}

/// Adds an assignment policy to a package.
pub(crate) async fn create_policy(
    package: String,
    draft: PolicyDraft,
) -> Result<AssignmentPolicy, ApiError> {
    let call = Call::new(
        Method::POST,
        &path(&["access-packages", &package, "policies"]),
    );
    request(call.json(&draft)?).await
}

/// One assignment policy.
pub(crate) async fn policy(id: String) -> Result<AssignmentPolicy, ApiError> {
    request(Call::new(Method::GET, &path(&["policies", &id]))).await
}

/// Edits a policy with a JSON merge patch (the whole draft, or one field).
pub(crate) async fn edit_policy(
    id: String,
    patch: PolicyPatch,
) -> Result<AssignmentPolicy, ApiError> {
    request(Call::new(Method::PATCH, &path(&["policies", &id])).json(&patch)?).await
}

/// Deletes a policy.
pub(crate) async fn delete_policy(id: String) -> Result<(), ApiError> {
    request(Call::new(Method::DELETE, &path(&["policies", &id]))).await
}

/// Who could request through a policy as edited, and who would approve for one person.
pub(crate) async fn policy_preview(body: PolicyPreviewBody) -> Result<PolicyPreview, ApiError> {
    request(Call::new(Method::POST, "/policy-preview").json(&body)?).await
}

/// The assignments of one package.
pub(crate) async fn assignments(package: String) -> Result<Vec<AssignmentView>, ApiError> {
    let call = Call::new(Method::GET, "/assignments").query("accessPackageId", &package);
    request(call).await
}

/// Assigns a person directly, without approval.
pub(crate) async fn assign(draft: DirectAssignmentDraft) -> Result<AssignmentView, ApiError> {
    request(Call::new(Method::POST, "/assignments").json(&draft)?).await
}

/// Removes an assignment and takes its grants back.
pub(crate) async fn remove_assignment(id: String) -> Result<Assignment, ApiError> {
    request(Call::new(
        Method::POST,
        &path(&["assignments", &id, "remove"]),
    ))
    .await
}

/// People of the directory whose name, e-mail or department holds every word (at most 50).
pub(crate) async fn directory_users(search: String) -> Result<Vec<User>, ApiError> {
    let mut call = Call::new(Method::GET, "/directory/users");
    let search = search.trim();
    if !search.is_empty() {
        call = call.query("search", search);
    }
    request(call).await
}

/// The directory's groups.
pub(crate) async fn directory_groups() -> Result<Vec<Group>, ApiError> {
    request(Call::new(Method::GET, "/directory/groups")).await
}

/// The groups the signed-in person may add to a catalog (an administrator: all; anyone
/// else: those they own).
pub(crate) async fn addable_groups() -> Result<Vec<Group>, ApiError> {
    request(Call::new(Method::GET, "/directory/groups").query("addable", "true")).await
}

/// The applications, with their roles, the signed-in person may add to a catalog.
pub(crate) async fn addable_applications() -> Result<Vec<Application>, ApiError> {
    request(Call::new(Method::GET, "/directory/applications").query("addable", "true")).await
}

/// The sites, with their roles, the signed-in person may add to a catalog.
pub(crate) async fn addable_sites() -> Result<Vec<Site>, ApiError> {
    request(Call::new(Method::GET, "/directory/sites").query("addable", "true")).await
}

/// The connected organisations.
pub(crate) async fn connected_organizations() -> Result<Vec<ConnectedOrganization>, ApiError> {
    request(Call::new(Method::GET, "/directory/connected-organizations")).await
}

/// The connected organisations, for their administration page (administrators).
pub(crate) async fn organizations() -> Result<Vec<ConnectedOrganization>, ApiError> {
    request(Call::new(Method::GET, "/connected-organizations")).await
}

/// Connects a partner organisation.
pub(crate) async fn create_organization(
    draft: OrganizationDraft,
) -> Result<ConnectedOrganization, ApiError> {
    request(Call::new(Method::POST, "/connected-organizations").json(&draft)?).await
}

/// Edits a connected organisation with a JSON merge patch.
pub(crate) async fn edit_organization(
    id: String,
    patch: OrganizationPatch,
) -> Result<ConnectedOrganization, ApiError> {
    let call = Call::new(Method::PATCH, &path(&["connected-organizations", &id]));
    request(call.json(&patch)?).await
}

/// Deletes a connected organisation no policy names and nobody belongs to.
pub(crate) async fn delete_organization(id: String) -> Result<(), ApiError> {
    request(Call::new(
        Method::DELETE,
        &path(&["connected-organizations", &id]),
    ))
    .await
}

/// The organisation-wide settings (administrators).
pub(crate) async fn settings() -> Result<Settings, ApiError> {
    request(Call::new(Method::GET, "/settings")).await
}

/// Changes settings with a JSON merge patch; answers them as they now are.
pub(crate) async fn change_settings(patch: SettingsPatch) -> Result<Settings, ApiError> {
    request(Call::new(Method::PATCH, "/settings").json(&patch)?).await
}

/// Saves a guided setup (catalog, resources, package, roles, policy) in one transaction.
pub(crate) async fn setup(draft: SetupDraft) -> Result<SetupResult, ApiError> {
    request(Call::new(Method::POST, "/setup").json(&draft)?).await
}

/// An API path from segments, each percent-encoded.
fn path(segments: &[&str]) -> String {
    segments
        .iter()
        .map(|segment| format!("/{}", url::encode_path_segment(segment)))
        .collect()
}

/// The identity systems Entrada works with here (administrators).
pub(crate) async fn integrations() -> Result<entrada_domain::api::Integrations, ApiError> {
    request(Call::new(Method::GET, "/integrations")).await
}

/// Syncs people and groups from the directory now (administrators); the sync as recorded.
pub(crate) async fn sync_directory(
    full: bool,
) -> Result<entrada_domain::api::DirectorySync, ApiError> {
    let run = entrada_domain::api::DirectorySyncRun { full };
    request(Call::new(Method::POST, "/integrations/directory-sync").json(&run)?).await
}
