use entrada_domain::catalog::{PackageResourceRole, ResourceKind};
use entrada_domain::policy::AssignmentPolicy;
use leptos::prelude::*;

/// What an access package grants: each resource with its role.
#[component]
pub(crate) fn Grants(roles: Vec<PackageResourceRole>) -> impl IntoView {
    if roles.is_empty() {
        return view! { <p class="muted">"This package doesn't grant any resource roles yet."</p> }
            .into_any();
    }
    view! {
        <ul class="grants">
            {roles
                .into_iter()
                .map(|role| {
                    view! {
                        <li>
                            <span class="resource">{role.resource_name}</span>
                            " "
                            <span class="role">{role.role_name}</span>
                            " "
                            <span class="kind">{kind_label(role.resource_kind)}</span>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
    .into_any()
}

/// How a policy works for the requestor: approval, how long access lasts and, in
/// `detailed` form, stages, justification and whether it accepts requests.
#[component]
pub(crate) fn PolicySummary(
    policy: AssignmentPolicy,
    #[prop(optional)] detailed: bool,
) -> impl IntoView {
    let rules = policy.rules;
    let approval = match rules.stages.len() {
        0 => "No approval needed".to_owned(),
        _ if !detailed => "Approval required".to_owned(),
        1 => "Approval required (1 stage)".to_owned(),
        stages => format!("Approval required ({stages} stages)"),
    };
    let justification = match rules.requestor_justification_required {
        true => "You'll be asked why you need it",
        false => "No reason needed",
    };
    let accepting = (!rules.accepting_requests).then_some("Not accepting new requests");
    view! {
        <div class="policy">
            <p class="policy-name">{rules.name}</p>
            {(detailed && !rules.description.is_empty()).then(|| view! { <p class="muted">{rules.description.clone()}</p> })}
            <ul class="facts">
                <li>{approval}</li>
                <li>{rules.expiration.describe()}</li>
                {detailed.then(|| view! { <li>{justification}</li> })}
                {detailed.then_some(accepting).flatten().map(|text| view! { <li>{text}</li> })}
            </ul>
        </div>
    }
}

fn kind_label(kind: ResourceKind) -> &'static str {
    match kind {
        ResourceKind::Group => "group",
        ResourceKind::Application => "application",
        ResourceKind::Site => "site",
    }
}
