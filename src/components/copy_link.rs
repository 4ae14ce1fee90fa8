use leptos::prelude::*;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

/// "Copy link": puts the package's full address on the clipboard, so that it can be sent
/// to a colleague. Where the browser allows no clipboard (a page not served over HTTPS),
/// it shows the address to copy by hand.
#[component]
pub(crate) fn CopyLink(
    path: String,
    /// What the link leads to, for the label of the address box.
    #[prop(into, default = "Link to this package".to_owned())]
    label: String,
) -> impl IntoView {
    let origin = window().location().origin().unwrap_or_default();
    let link = format!("{origin}{path}");
    let outcome = RwSignal::new(None::<bool>);
    let copy = {
        let link = link.clone();
        move |_| {
            let link = link.clone();
            leptos::task::spawn_local(async move {
                outcome.set(Some(write_to_clipboard(&link).await));
            });
        }
    };
    view! {
        <div class="copy-link">
            <button type="button" class="button secondary small" on:click=copy>"Copy link"</button>
            <span class="status-line" role="status">
                {move || match outcome.get() {
                    Some(true) => Some(view! { "Link copied." }.into_any()),
                    Some(false) => Some(view! {
                        "Copy this link: " <input class="link-text" type="text" readonly aria-label=label.clone() prop:value=link.clone()/>
                    }.into_any()),
                    None => None,
                }}
            </span>
        </div>
    }
}

async fn write_to_clipboard(text: &str) -> bool {
    let navigator = window().navigator();
    // `navigator.clipboard` is undefined outside secure contexts; calling it would throw.
    let available = js_sys::Reflect::get(&navigator, &JsValue::from_str("clipboard"))
        .is_ok_and(|value| !value.is_undefined());
    if !available {
        return false;
    }
    JsFuture::from(navigator.clipboard().write_text(text))
        .await
        .is_ok()
}

/// A link shown in full, with a button that copies it: for administrators who send a
/// package's My Access link to a partner contact.
#[component]
pub(crate) fn LinkBox(
    /// The absolute address.
    #[prop(into)]
    link: String,
    /// The id of the address box.
    #[prop(into)]
    id: String,
    #[prop(into)] label: String,
) -> impl IntoView {
    let outcome = RwSignal::new(None::<bool>);
    let copy = {
        let link = link.clone();
        move |_| {
            let link = link.clone();
            leptos::task::spawn_local(async move {
                outcome.set(Some(write_to_clipboard(&link).await));
            });
        }
    };
    let select_all = |event: leptos::ev::FocusEvent| {
        use wasm_bindgen::JsCast;
        if let Some(input) = event
            .target()
            .and_then(|target| target.dyn_into::<web_sys::HtmlInputElement>().ok())
        {
            input.select();
        }
    };
    view! {
        <div class="link-box">
            <label for=id.clone()>{label}</label>
            <div class="inline-row">
                <input id=id class="link-text" type="text" readonly prop:value=link on:focus=select_all/>
                <button type="button" class="button secondary small" on:click=copy>"Copy"</button>
            </div>
            <p class="status-line" role="status">
                {move || match outcome.get() {
                    Some(true) => Some("Link copied."),
                    Some(false) => Some("This browser didn't allow copying; select the link and copy it."),
                    None => None,
                }}
            </p>
        </div>
    }
}
