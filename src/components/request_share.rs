use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// "Share…": hands a package's request link to the phone's share sheet (`navigator.share`),
/// so that it can go to a colleague by chat or mail. Browsers without the Web Share API
/// (most desktops) show nothing; "Copy link" serves them.
#[component]
pub(crate) fn ShareLink(
    /// The path inside Entrada (`/access-packages/…`).
    path: String,
    /// What is shared, as the share sheet titles it.
    #[prop(into)]
    title: String,
) -> impl IntoView {
    let Some(share) = share_function() else {
        return ().into_any();
    };
    let origin = window().location().origin().unwrap_or_default();
    let link = format!("{origin}{path}");
    let failed = RwSignal::new(false);
    let on_click = move |_| {
        let data = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&data, &"title".into(), &title.as_str().into());
        let _ = js_sys::Reflect::set(&data, &"url".into(), &link.as_str().into());
        let call = share.call1(&window().navigator(), &data);
        failed.set(false);
        leptos::task::spawn_local(async move {
            let outcome = match call {
                Ok(promise) => JsFuture::from(js_sys::Promise::from(promise)).await,
                Err(error) => Err(error),
            };
            // Closing the share sheet rejects with AbortError; that is not a failure.
            if let Err(error) = outcome {
                failed.set(!is_abort(&error));
            }
        });
    };
    view! {
        <button type="button" class="button secondary small" on:click=on_click>"Share…"</button>
        <span class="status-line" role="status">
            {move || failed.get().then_some("Sharing didn't work; copy the link instead.")}
        </span>
    }
    .into_any()
}

/// `navigator.share`, where the browser has it.
fn share_function() -> Option<js_sys::Function> {
    let navigator = window().navigator();
    js_sys::Reflect::get(&navigator, &JsValue::from_str("share"))
        .ok()?
        .dyn_into::<js_sys::Function>()
        .ok()
}

fn is_abort(error: &JsValue) -> bool {
    js_sys::Reflect::get(error, &JsValue::from_str("name"))
        .ok()
        .and_then(|name| name.as_string())
        .is_some_and(|name| name == "AbortError")
}
