//! Building and checking the SPA's own URLs: the sign-in return path and query values.

/// The path that sends a person to sign in and then back to `next`. `expired` adds the
/// note that an earlier session ended.
pub(crate) fn sign_in_path(next: &str, expired: bool) -> String {
    let mut path = String::from("/sign-in");
    let mut separator = '?';
    if let Some(next) = safe_next(next).filter(|next| *next != "/") {
        path.push(separator);
        path.push_str("next=");
        path.push_str(&encode_query_value(next));
        separator = '&';
    }
    if expired {
        path.push(separator);
        path.push_str("expired=1");
    }
    path
}

/// `next` when it is a path inside Entrada, `None` otherwise. Only a single leading `/`
/// is honoured, so `//evil.example`, `/\evil.example` or `https://…` can never send a
/// person to another site after sign-in. Whitespace and control characters are refused
/// because browsers strip some of them (`/\t/evil.example` becomes `//evil.example`).
pub(crate) fn safe_next(next: &str) -> Option<&str> {
    let rest = next.strip_prefix('/')?;
    if rest.starts_with('/') || rest.starts_with('\\') {
        return None;
    }
    if next.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return None;
    }
    if next == "/sign-in" || next.starts_with("/sign-in?") {
        return None;
    }
    Some(next)
}

/// Percent-encodes text for a query value: everything but RFC 3986's unreserved
/// characters and `/` (which keeps return paths readable).
pub(crate) fn encode_query_value(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                encoded.push(byte as char)
            }
            _ => encoded.push_str(&format!("%{byte:02X}")),
        }
    }
    encoded
}

/// Percent-encodes one path segment: like [`encode_query_value`], but `/` is encoded too.
pub(crate) fn encode_path_segment(text: &str) -> String {
    encode_query_value(text).replace('/', "%2F")
}

/// The absolute address of a package's My Access page, to send to people.
pub(crate) fn package_link(origin: &str, package: &str) -> String {
    format!("{origin}/access-packages/{}", encode_path_segment(package))
}

/// The My Access path for a search, so that a search can be shared as a link.
pub(crate) fn my_access_path(search: &str) -> String {
    match search.trim().is_empty() {
        true => "/".to_owned(),
        false => format!("/?search={}", encode_query_value(search)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_accepts_paths_inside_entrada() {
        assert_eq!(
            safe_next("/access-packages/p1"),
            Some("/access-packages/p1")
        );
        assert_eq!(
            safe_next("/?search=sales%20crm"),
            Some("/?search=sales%20crm")
        );
    }

    #[test]
    fn next_refuses_anything_that_could_leave_the_site() {
        for next in [
            "//evil.example",
            "/\\evil.example",
            "https://evil.example",
            "evil",
            "",
            "/\t/evil.example",
            "/ /x",
        ] {
            assert_eq!(safe_next(next), None, "{next:?}");
        }
    }

    #[test]
    fn next_never_loops_back_to_sign_in() {
        assert_eq!(safe_next("/sign-in"), None);
        assert_eq!(safe_next("/sign-in?next=/"), None);
    }

    #[test]
    fn sign_in_path_encodes_the_return_path() {
        assert_eq!(
            sign_in_path("/?search=a%20b&x=1", false),
            "/sign-in?next=/%3Fsearch%3Da%2520b%26x%3D1"
        );
        assert_eq!(
            sign_in_path("/access", true),
            "/sign-in?next=/access&expired=1"
        );
        assert_eq!(sign_in_path("/", true), "/sign-in?expired=1");
        assert_eq!(sign_in_path("//evil.example", false), "/sign-in");
    }

    #[test]
    fn path_segments_never_add_a_level() {
        assert_eq!(encode_path_segment("ap-1"), "ap-1");
        assert_eq!(encode_path_segment("a/b c"), "a%2Fb%20c");
        assert_eq!(
            package_link("https://e.example", "ap 1"),
            "https://e.example/access-packages/ap%201"
        );
    }

    #[test]
    fn my_access_path_keeps_the_search() {
        assert_eq!(my_access_path(""), "/");
        assert_eq!(my_access_path("  "), "/");
        assert_eq!(my_access_path("crm é"), "/?search=crm%20%C3%A9");
    }
}
