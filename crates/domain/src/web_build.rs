//! The web app's three builds (the root package's `src/lib.rs`) and which of them holds
//! which page, decided once for the browser (whether a link is followed inside the app or
//! loads the page) and the server (which build's `index.html` answers a page).

/// A build of the web app, from the smallest to the whole; each holds every page the
/// smaller ones hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum WebBuild {
    /// `/` (My Access) and `/sign-in`: what every visit opens first.
    FirstLoad,
    /// Every page but the admin area.
    Portal,
    /// Everything, the admin area included.
    Admin,
}

impl WebBuild {
    /// Every build, from the smallest.
    pub const ALL: [WebBuild; 3] = [WebBuild::FirstLoad, WebBuild::Portal, WebBuild::Admin];

    /// The smallest build that holds the page at `path` (query and fragment ignored).
    pub fn holding(path: &str) -> WebBuild {
        let path = path.split(['?', '#']).next().unwrap_or_default();
        match path {
            "" | "/" | "/sign-in" => WebBuild::FirstLoad,
            "/admin" => WebBuild::Admin,
            path if path.starts_with("/admin/") => WebBuild::Admin,
            _ => WebBuild::Portal,
        }
    }

    /// Whether this build has the page at `path`.
    pub fn holds(self, path: &str) -> bool {
        self >= WebBuild::holding(path)
    }

    /// Its folder in `dist/` (the first load is `dist/` itself), which is also the path
    /// its files are served under.
    pub fn folder(self) -> &'static str {
        match self {
            WebBuild::FirstLoad => "",
            WebBuild::Portal => "portal",
            WebBuild::Admin => "admin",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::WebBuild;

    #[test]
    fn my_access_and_sign_in_are_the_first_load_the_admin_area_the_whole_app_and_the_rest_the_portal(
    ) {
        for path in [
            "/",
            "",
            "/?search=wiki",
            "/sign-in",
            "/sign-in?next=%2Frequests",
        ] {
            assert_eq!(WebBuild::holding(path), WebBuild::FirstLoad, "{path}");
        }
        for path in ["/admin", "/admin/", "/admin/catalogs/cat-1", "/admin?x=1"] {
            assert_eq!(WebBuild::holding(path), WebBuild::Admin, "{path}");
        }
        for path in [
            "/requests",
            "/access-packages/admin",
            "/administrators",
            "/sign-in/elsewhere",
            "/sign-up",
            "/approvals/req-1#decide",
        ] {
            assert_eq!(WebBuild::holding(path), WebBuild::Portal, "{path}");
        }
    }

    #[test]
    fn a_larger_build_holds_every_page_a_smaller_one_does() {
        assert!(WebBuild::Admin.holds("/") && WebBuild::Admin.holds("/admin/audit"));
        assert!(WebBuild::Portal.holds("/sign-in") && WebBuild::Portal.holds("/requests"));
        assert!(!WebBuild::Portal.holds("/admin"));
        assert!(WebBuild::FirstLoad.holds("/") && !WebBuild::FirstLoad.holds("/access"));
    }
}
