//! Connected organisations: partners whose people may request access.

use serde::{Deserialize, Serialize};

use crate::ids::{ConnectedOrgId, UserId};

/// Whether an administrator configured the organisation or it was proposed by a sign-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub enum ConnectedOrgState {
    /// Set up by an administrator; counts for "all configured connected organisations".
    Configured,
    /// Created automatically when someone from an unknown domain was approved.
    Proposed,
}

impl ConnectedOrgState {
    /// How the admin pages name the state.
    pub fn label(self) -> &'static str {
        match self {
            ConnectedOrgState::Configured => "Configured",
            ConnectedOrgState::Proposed => "Proposed",
        }
    }
}

/// A partner organisation, recognised by its e-mail domains.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ConnectedOrganization {
    /// Identifier.
    pub id: ConnectedOrgId,
    /// Display name.
    pub name: String,
    /// What the relationship is.
    pub description: String,
    /// E-mail domains, lower-case, e.g. `fabrikam.example`.
    pub domains: Vec<String>,
    /// Configured or proposed.
    pub state: ConnectedOrgState,
    /// Members of our directory who sponsor the partner.
    pub internal_sponsors: Vec<UserId>,
    /// People of the partner who sponsor its users.
    pub external_sponsors: Vec<UserId>,
}

impl ConnectedOrganization {
    /// Whether an e-mail domain belongs to this organisation: one of its domains or a
    /// subdomain of one (see [`domain_matches`]).
    pub fn owns_domain(&self, domain: &str) -> bool {
        self.domains.iter().any(|own| domain_matches(own, domain))
    }
}

/// The configured connected organisation whose domain `email` is in (exact or a
/// subdomain): the one someone from outside with a verified address belongs to when they
/// first arrive (by sign-up or through the OpenID provider). Organisations still being set
/// up take nobody in.
pub fn configured_owner_of<'o>(
    email: &str,
    organizations: &'o [ConnectedOrganization],
) -> Option<&'o ConnectedOrganization> {
    let domain = crate::directory::email_domain(email);
    organizations
        .iter()
        .find(|org| org.state == ConnectedOrgState::Configured && org.owns_domain(domain))
}

/// The most e-mail domains an organisation lists.
pub const MAX_DOMAINS: usize = 20;
/// The most sponsors of each kind an organisation names.
pub const MAX_SPONSORS: usize = 50;

/// A connected organisation as the admin form sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct OrganizationDraft {
    /// Display name, unique.
    #[cfg_attr(feature = "openapi", schema(max_length = 100))]
    pub name: String,
    /// What the relationship is.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 1000))]
    pub description: String,
    /// E-mail domains, e.g. `fabrikam.example`.
    #[cfg_attr(feature = "openapi", schema(max_items = 20))]
    pub domains: Vec<String>,
    /// Members of our directory who sponsor the partner.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 50))]
    pub internal_sponsors: Vec<UserId>,
    /// People of the partner who sponsor its users.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 50))]
    pub external_sponsors: Vec<UserId>,
}

/// Checks an organisation draft; returns it trimmed, with domains lower-case and unique.
pub fn validate_organization(
    draft: &OrganizationDraft,
) -> Result<OrganizationDraft, crate::FieldErrors> {
    use crate::error::FieldError;
    let mut errors = Vec::new();
    let name = draft.name.trim().to_owned();
    if name.is_empty() {
        errors.push(FieldError::new("name", "Give the organisation a name."));
    } else if name.chars().count() > crate::policy::MAX_NAME_CHARS {
        errors.push(FieldError::new(
            "name",
            format!("Use at most {} characters.", crate::policy::MAX_NAME_CHARS),
        ));
    }
    let description_limit = crate::policy::MAX_DESCRIPTION_CHARS;
    if draft.description.trim().chars().count() > description_limit {
        errors.push(FieldError::new(
            "description",
            format!("Use at most {description_limit} characters."),
        ));
    }
    for (field, sponsors) in [
        ("internalSponsors", &draft.internal_sponsors),
        ("externalSponsors", &draft.external_sponsors),
    ] {
        if sponsors.len() > MAX_SPONSORS {
            errors.push(FieldError::new(
                field,
                format!("Name at most {MAX_SPONSORS} sponsors."),
            ));
        }
    }
    let mut domains: Vec<String> = Vec::new();
    if draft.domains.len() > MAX_DOMAINS {
        errors.push(FieldError::new(
            "domains",
            format!("List at most {MAX_DOMAINS} e-mail domains."),
        ));
    }
    for (index, domain) in draft.domains.iter().enumerate().take(MAX_DOMAINS) {
        let domain = domain.trim().trim_start_matches('@').to_lowercase();
        if !looks_like_domain(&domain) {
            errors.push(FieldError::new(
                format!("domains[{index}]"),
                "Enter a domain such as fabrikam.example.",
            ));
        } else if !domains.contains(&domain) {
            domains.push(domain);
        }
    }
    if draft.domains.is_empty() {
        errors.push(FieldError::new(
            "domains",
            "Add at least one e-mail domain.",
        ));
    }
    crate::FieldErrors::into_result(errors, || OrganizationDraft {
        name,
        description: draft.description.trim().to_owned(),
        domains,
        ..draft.clone()
    })
}

/// Whether the e-mail domain `domain` is `listed` or a subdomain of it, ignoring case and
/// one trailing dot: `fabrikam.example` matches `Fabrikam.Example` and
/// `mail.fabrikam.example`. Look-alikes never match: not `evilfabrikam.example` (no dot
/// before the listed domain), not `fabrikam.example.evil.test` (the listed domain is not at
/// the end), and an empty or dotless listing matches nothing.
pub fn domain_matches(listed: &str, domain: &str) -> bool {
    let listed = listed.strip_suffix('.').unwrap_or(listed);
    let domain = domain.strip_suffix('.').unwrap_or(domain);
    if listed.is_empty() || !listed.contains('.') || listed.len() > domain.len() {
        return false;
    }
    let split = domain.len() - listed.len();
    let Some((head, tail)) = domain.split_at_checked(split) else {
        return false;
    };
    tail.eq_ignore_ascii_case(listed)
        && (head.is_empty() || (head.ends_with('.') && head.len() > 1 && !head.starts_with('.')))
}

/// Whether text looks like a DNS domain: dotted labels of letters, digits and hyphens.
pub fn looks_like_domain(text: &str) -> bool {
    let labels: Vec<&str> = text.split('.').collect();
    labels.len() >= 2
        && text.len() <= 253
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(draft: &OrganizationDraft) -> Vec<String> {
        match validate_organization(draft) {
            Ok(_) => Vec::new(),
            Err(crate::FieldErrors(errors)) => {
                errors.into_iter().map(|error| error.field).collect()
            }
        }
    }

    #[test]
    fn organisations_need_a_name_and_valid_domains() {
        let empty = OrganizationDraft::default();
        assert_eq!(fields(&empty), ["name", "domains"]);
        let bad = OrganizationDraft {
            name: "Fabrikam".into(),
            domains: vec!["fabrikam".into(), "ok.example".into(), "-x.example".into()],
            ..Default::default()
        };
        assert_eq!(fields(&bad), ["domains[0]", "domains[2]"]);
    }

    #[test]
    fn organisations_bound_their_lists_and_description() {
        let draft = OrganizationDraft {
            name: "Fabrikam".into(),
            description: "x".repeat(crate::policy::MAX_DESCRIPTION_CHARS + 1),
            domains: (0..=MAX_DOMAINS).map(|i| format!("d{i}.example")).collect(),
            internal_sponsors: (0..=MAX_SPONSORS)
                .map(|i| UserId::new(format!("u{i}")))
                .collect(),
            external_sponsors: vec![],
        };
        assert_eq!(
            fields(&draft),
            ["description", "internalSponsors", "domains"]
        );
    }

    #[test]
    fn a_domain_matches_itself_and_its_subdomains_in_any_case() {
        for domain in [
            "fabrikam.example",
            "FABRIKAM.Example",
            "fabrikam.example.",
            "mail.fabrikam.example",
            "eu.mail.Fabrikam.example",
        ] {
            assert!(domain_matches("fabrikam.example", domain), "{domain}");
        }
    }

    #[test]
    fn look_alike_domains_never_match() {
        for domain in [
            "fabrikam.example.evil.test",
            "evilfabrikam.example",
            "fabrikam.examples",
            "fabrikam.exampl",
            "abrikam.example",
            ".fabrikam.example",
            "..fabrikam.example",
            "fabrikam-example",
            "",
        ] {
            assert!(!domain_matches("fabrikam.example", domain), "{domain:?}");
        }
        assert!(!domain_matches("", "fabrikam.example"));
        assert!(!domain_matches("example", "fabrikam.example"));
    }

    #[test]
    fn an_organisation_owns_the_e_mail_domains_of_its_people_only() {
        let fabrikam = ConnectedOrganization {
            id: ConnectedOrgId::new("org-fabrikam"),
            name: "Fabrikam".into(),
            description: String::new(),
            domains: vec!["fabrikam.example".into(), "fabrikam.test".into()],
            state: ConnectedOrgState::Configured,
            internal_sponsors: vec![],
            external_sponsors: vec![],
        };
        assert!(fabrikam.owns_domain("sales.fabrikam.test"));
        assert!(fabrikam.owns_domain("Fabrikam.Example"));
        assert!(!fabrikam.owns_domain("fabrikam.example.evil.test"));
        assert!(!fabrikam.owns_domain("evilfabrikam.example"));
    }

    #[test]
    fn someone_from_outside_belongs_to_the_configured_organisation_owning_their_domain() {
        use crate::testkit::organization;
        let organizations = [
            organization(
                "org-proposed",
                "contoso.example",
                ConnectedOrgState::Proposed,
            ),
            organization(
                "org-fabrikam",
                "fabrikam.example",
                ConnectedOrgState::Configured,
            ),
        ];
        let owner =
            |email: &str| configured_owner_of(email, &organizations).map(|org| org.id.as_str());
        assert_eq!(owner("kim@fabrikam.example"), Some("org-fabrikam"));
        assert_eq!(owner("kim@sales.fabrikam.example"), Some("org-fabrikam"));
        assert_eq!(owner("kim@fabrikam.example.evil.test"), None);
        assert_eq!(
            owner("kim@contoso.example"),
            None,
            "a proposed organisation takes nobody in"
        );
        assert_eq!(owner("no-at-sign"), None);
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(crate::testkit::proptest_cases(256)))]

        /// Whatever is put before or after a listed domain, it matches only when what
        /// comes before ends with a dot (a subdomain) and nothing comes after.
        #[test]
        fn only_true_subdomains_match(
            before in "[a-z0-9.-]{0,12}",
            after in "[a-z0-9.-]{0,6}",
        ) {
            let domain = format!("{before}fabrikam.example{after}");
            let subdomain = before.is_empty()
                || (before.ends_with('.') && before.len() > 1 && !before.starts_with('.'));
            let expected = subdomain && (after.is_empty() || after == ".");
            proptest::prop_assert_eq!(domain_matches("fabrikam.example", &domain), expected, "{}", domain);
        }
    }

    #[test]
    fn domains_are_trimmed_lower_cased_and_deduplicated() {
        let draft = OrganizationDraft {
            name: " Fabrikam ".into(),
            domains: vec![" @Fabrikam.Example".into(), "fabrikam.example".into()],
            ..Default::default()
        };
        let valid = validate_organization(&draft).unwrap();
        assert_eq!(valid.name, "Fabrikam");
        assert_eq!(valid.domains, ["fabrikam.example"]);
    }
}
