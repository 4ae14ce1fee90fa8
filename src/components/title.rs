use leptos::prelude::*;

/// Sets the browser tab's title for the current page ("My Access · Entrada"), which is
/// also what screen readers announce after a navigation.
pub(crate) fn set_page_title(page: &str) {
    document().set_title(&format!("{page} · Entrada"));
}
