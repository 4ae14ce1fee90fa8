use leptos::prelude::*;

/// One labelled form field with its error next to it. The input says `aria-invalid` and
/// points at the message with `aria-describedby`, so screen readers read it with the field.
#[component]
pub(crate) fn Field(
    /// The input's id and name; also the field path that validation errors use.
    #[prop(into)]
    id: String,
    /// The visible label.
    #[prop(into)]
    label: String,
    /// The input type (`text`, `email`, `password`, …).
    #[prop(into, default = "text".to_owned())]
    input_type: String,
    /// The browser's autofill hint.
    #[prop(into, optional)]
    autocomplete: Option<String>,
    /// The text in the field.
    value: RwSignal<String>,
    /// The message to show, if the field needs attention.
    #[prop(into)]
    error: Signal<Option<String>>,
    /// Called when the person edits the field.
    #[prop(optional)]
    on_input: Option<Callback<()>>,
    /// Called when the field loses focus.
    #[prop(optional)]
    on_blur: Option<Callback<()>>,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    let described_by = {
        let error_id = error_id.clone();
        move || error.get().map(|_| error_id.clone())
    };
    view! {
        <div class="field" class:invalid=move || error.get().is_some()>
            <label for=id.clone()>{label}</label>
            <input
                id=id.clone()
                name=id
                type=input_type
                autocomplete=autocomplete
                prop:value=move || value.get()
                aria-invalid=move || if error.get().is_some() { "true" } else { "false" }
                aria-describedby=described_by
                on:input=move |event| {
                    value.set(event_target_value(&event));
                    if let Some(on_input) = on_input {
                        on_input.run(());
                    }
                }
                on:blur=move |_| {
                    if let Some(on_blur) = on_blur {
                        on_blur.run(());
                    }
                }
            />
            <p class="field-error" id=error_id>{move || error.get()}</p>
        </div>
    }
}
