//! `/admin/reports/…`: who has what. A package's holders, a resource's role holders
//! (through which package, or granted outside Entrada), and everything one person holds
//! and requested; the first two at a past date too. Each downloads as CSV.

use entrada_domain::audit::Named;
use entrada_domain::report::{Holding, PackageReport, PersonReport, ResourceReport};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};
use leptos_router::NavigateOptions;

use crate::api;
use crate::components::{set_page_title, Loading, ProblemPanel};
use crate::url;

use super::audit::when;
use super::shared::load;

fn name_of(named: &Named) -> String {
    named.name.clone().unwrap_or_else(|| named.id.clone())
}

fn person_href(id: &str) -> String {
    format!("/admin/reports/people/{}", url::encode_path_segment(id))
}

fn package_href(id: &str) -> String {
    format!(
        "/admin/reports/access-packages/{}",
        url::encode_path_segment(id)
    )
}

fn audit_href(name: &str, id: &str) -> String {
    format!("/admin/audit?{name}={}", url::encode_query_value(id))
}

fn until_text(holding: &Holding) -> String {
    match (holding.state.is_live(), holding.until) {
        (true, None) => "No end".to_owned(),
        (true, Some(end)) => when(end),
        (false, Some(end)) => format!("Ended {}", when(end)),
        (false, None) => "Ended".to_owned(),
    }
}

/// The `?at=` date of a report page (a whole UTC day, its end), and the control that
/// changes it.
fn at_param() -> (Memo<String>, Memo<Option<String>>) {
    let query = use_query_map();
    let date = Memo::new(move |_| query.read().get("at").unwrap_or_default());
    let at = Memo::new(move |_| {
        let date = date.get();
        (!date.trim().is_empty()).then(|| format!("{}T23:59:59Z", date.trim()))
    });
    (date, at)
}

#[component]
fn AsOf(date: Memo<String>) -> impl IntoView {
    let navigate = use_navigate();
    let draft = RwSignal::new(date.get_untracked());
    let apply = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let path = window().location().pathname().unwrap_or_default();
        let target = match draft.get_untracked() {
            day if day.is_empty() => path,
            day => format!("{path}?at={}", url::encode_query_value(&day)),
        };
        navigate(&target, NavigateOptions::default());
    };
    view! {
        <form class="as-of" on:submit=apply aria-label="The date the report describes">
            <div class="field">
                <label for="report-at">"As of the end of (UTC; empty for now)"</label>
                <input id="report-at" type="date" prop:value=move || draft.get()
                    on:input=move |ev| draft.set(event_target_value(&ev))/>
            </div>
            <button type="submit" class="button secondary">"Show"</button>
        </form>
    }
}

/// A table of holdings; on a phone each row reads as a card (CSS, from the labels).
#[component]
fn Holdings(holdings: Vec<Holding>, #[prop(optional)] show_package: bool) -> impl IntoView {
    view! {
        <table class="report-table">
            <thead><tr>
                <th scope="col">{if show_package { "Access package" } else { "Person" }}</th>
                <th scope="col">"Since"</th>
                <th scope="col">"Until"</th>
                <th scope="col">"Policy"</th>
                <th scope="col">"Request"</th>
            </tr></thead>
            <tbody>
                {holdings.into_iter().map(|holding| {
                    let (href, name) = match show_package {
                        true => (package_href(&holding.package.id), name_of(&holding.package)),
                        false => (person_href(&holding.person.id), name_of(&holding.person)),
                    };
                    let first = view! { <A href=href>{name}</A> };
                    let request = holding.request_id.clone();
                    view! {
                        <tr>
                            <th scope="row" data-label=if show_package { "Access package" } else { "Person" }>{first}</th>
                            <td data-label="Since">{when(holding.since)}</td>
                            <td data-label="Until">{until_text(&holding)}</td>
                            <td data-label="Policy">{holding.policy.as_ref().map(name_of).unwrap_or_else(|| "—".to_owned())}</td>
                            <td data-label="Request">{match request {
                                Some(id) => view! { <A href=audit_href("target", &id)>"Its audit trail"</A> }.into_any(),
                                None => "Direct assignment".into_any(),
                            }}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// `/admin/reports/access-packages/:id`.
#[component]
pub(crate) fn PackageReportPage() -> impl IntoView {
    set_page_title("Who has this access package");
    let params = use_params_map();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let (date, at) = at_param();
    let report = load(
        move || (id.get(), at.get()),
        |(id, at)| api::package_report(id, at),
    );
    let body = move || match report.get() {
        None => view! { <Loading text="Loading the report…"/> }.into_any(),
        Some(Err(error)) => {
            let retry = Callback::new(move |()| report.set(None));
            view! { <ProblemPanel error retry/> }.into_any()
        }
        Some(Ok(PackageReport {
            package,
            catalog,
            holders,
            at: moment,
        })) => {
            let csv = api::report_csv_href("access-packages", &package.id, &at.get());
            let count = holders.len();
            view! {
                <h1>{format!("Who has {}", name_of(&package))}</h1>
                <p class="lead">{format!("In {}. {} as of {}.", name_of(&catalog),
                    match count { 0 => "Nobody holds it".to_owned(), 1 => "1 person holds it".to_owned(), n => format!("{n} people hold it") },
                    when(moment))}</p>
                <div class="audit-actions">
                    <a class="button secondary" href=csv download="entrada-access-package.csv">"Download as CSV"</a>
                    <A href=audit_href("package", &package.id)>"Its audit trail"</A>
                </div>
                <AsOf date/>
                {(count > 0).then(move || view! { <Holdings holdings=holders/> })}
            }
            .into_any()
        }
    };
    view! {
        <p class="breadcrumb"><A href="/admin">"Admin"</A></p>
        {body}
    }
}

/// `/admin/reports/resources/:id` (a catalog resource).
#[component]
pub(crate) fn ResourceReportPage() -> impl IntoView {
    set_page_title("Who holds this resource's roles");
    let params = use_params_map();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let (date, at) = at_param();
    let report = load(
        move || (id.get(), at.get()),
        |(id, at)| api::resource_report(id, at),
    );
    let body = move || match report.get() {
        None => view! { <Loading text="Loading the report…"/> }.into_any(),
        Some(Err(error)) => {
            let retry = Callback::new(move |()| report.set(None));
            view! { <ProblemPanel error retry/> }.into_any()
        }
        Some(Ok(ResourceReport {
            resource,
            catalog,
            roles,
            now,
            at: moment,
            ..
        })) => {
            let csv = api::report_csv_href("resources", &resource.id, &at.get());
            view! {
                <h1>{format!("Who holds the roles of {}", name_of(&resource))}</h1>
                <p class="lead">{format!("In {}, as of {}.", name_of(&catalog), when(moment))}
                    {(!now).then_some(" Only what Entrada granted is listed for a past date: access given outside Entrada has no history here.")}</p>
                <div class="audit-actions">
                    <a class="button secondary" href=csv download="entrada-resource.csv">"Download as CSV"</a>
                </div>
                <AsOf date/>
                {roles.into_iter().map(|role| {
                    let heading = name_of(&role.role);
                    view! {
                        <section class="admin-section">
                            <h2>{heading}</h2>
                            {match role.holders.is_empty() {
                                true => view! { <p class="empty">"Nobody holds this role."</p> }.into_any(),
                                false => view! {
                                    <ul class="report-list">
                                        {role.holders.into_iter().map(|holder| view! {
                                            <li>
                                                <A href=person_href(&holder.person.id)>{name_of(&holder.person)}</A>
                                                {match holder.via {
                                                    Some(via) => view! {
                                                        " — through "<A href=package_href(&via.package.id)>{name_of(&via.package)}</A>
                                                        {format!(", since {}", when(via.since))}
                                                    }.into_any(),
                                                    None => " — granted outside Entrada".into_any(),
                                                }}
                                            </li>
                                        }).collect_view()}
                                    </ul>
                                }.into_any(),
                            }}
                        </section>
                    }
                }).collect_view()}
            }
            .into_any()
        }
    };
    view! {
        <p class="breadcrumb"><A href="/admin">"Admin"</A></p>
        {body}
    }
}

/// `/admin/reports/people/:id`.
#[component]
pub(crate) fn PersonReportPage() -> impl IntoView {
    set_page_title("What a person holds");
    let params = use_params_map();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let report = load(move || id.get(), api::person_report);
    let body = move || match report.get() {
        None => view! { <Loading text="Loading the report…"/> }.into_any(),
        Some(Err(error)) => {
            let retry = Callback::new(move |()| report.set(None));
            view! { <ProblemPanel error retry/> }.into_any()
        }
        Some(Ok(PersonReport {
            person,
            email,
            holdings,
            requests,
        })) => {
            let csv = api::report_csv_href("people", &person.id, &None);
            view! {
                <h1>{format!("What {} holds", name_of(&person))}</h1>
                <p class="lead">{email}</p>
                <div class="audit-actions">
                    <a class="button secondary" href=csv download="entrada-person.csv">"Download as CSV"</a>
                    <A href=audit_href("target", &person.id)>"Their audit trail"</A>
                </div>
                <section class="admin-section" aria-labelledby="holdings-heading">
                    <h2 id="holdings-heading">"Access packages"</h2>
                    {match holdings.is_empty() {
                        true => view! { <p class="empty">"None."</p> }.into_any(),
                        false => view! { <Holdings holdings show_package=true/> }.into_any(),
                    }}
                </section>
                <section class="admin-section" aria-labelledby="requests-heading">
                    <h2 id="requests-heading">"Requests"</h2>
                    {match requests.is_empty() {
                        true => view! { <p class="empty">"None."</p> }.into_any(),
                        false => view! {
                            <ul class="report-list">
                                {requests.into_iter().map(|request| {
                                    let deciders = request.deciders.iter().map(name_of).collect::<Vec<_>>().join(", ");
                                    view! {
                                        <li>
                                            <A href=package_href(&request.package.id)>{name_of(&request.package)}</A>
                                            {format!(" — {} on {}", request.state.label(), when(request.created))}
                                            {(!deciders.is_empty()).then(|| format!("; decided by {deciders}"))}
                                            " · "<A href=audit_href("target", &request.request_id)>"Its audit trail"</A>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                    }}
                </section>
            }
            .into_any()
        }
    };
    view! {
        <p class="breadcrumb"><A href="/admin">"Admin"</A></p>
        {body}
    }
}
