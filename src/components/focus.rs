//! Where focus goes after something happens. Every submit moves keyboard focus to its
//! outcome (the error summary, the first field that needs attention, or the heading of the
//! result) and scrolls it into the middle of the screen, clear of sticky headers and of the
//! phone's sticky action bar, so that the person sees what happened and screen readers read
//! it.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// Once the current render is on screen, scrolls the element with this id to the middle of
/// the viewport and focuses it. An element that cannot take focus (a heading, a summary)
/// is given `tabindex="-1"` first, so that it can be focused by script but is not a tab
/// stop.
pub(crate) fn focus_outcome(id: impl Into<String>) {
    let id = id.into();
    request_animation_frame(move || focus_now(&id));
}

/// Moves focus to the field at an API path (`policy.stages[0].approvers`), the way
/// [`focus_outcome`] does.
pub(crate) fn focus_field(path: &str) {
    focus_outcome(crate::components::form::dom_id(path));
}

/// [`focus_outcome`] for an element the caller holds.
pub(crate) fn focus_element(element: &web_sys::HtmlElement) {
    let element = element.clone();
    request_animation_frame(move || bring_into_view(&element));
}

/// Focuses the element with this id at once (without waiting for a frame), for click
/// handlers that already run after rendering.
pub(crate) fn focus_now(id: &str) {
    let element = document()
        .get_element_by_id(id)
        .and_then(|element| element.dyn_into::<web_sys::HtmlElement>().ok());
    if let Some(element) = element {
        bring_into_view(&element);
    }
}

fn bring_into_view(element: &web_sys::HtmlElement) {
    if element.tab_index() < 0 && !element.has_attribute("tabindex") {
        let _ = element.set_attribute("tabindex", "-1");
    }
    let options = web_sys::ScrollIntoViewOptions::new();
    options.set_block(web_sys::ScrollLogicalPosition::Center);
    options.set_inline(web_sys::ScrollLogicalPosition::Nearest);
    element.scroll_into_view_with_scroll_into_view_options(&options);
    let focus = web_sys::FocusOptions::new();
    focus.set_prevent_scroll(true);
    let _ = element.focus_with_options(&focus);
}
