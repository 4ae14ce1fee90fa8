//! Messages to people: what each says, in plain text and HTML, with the deep link that
//! opens the right page. The server writes them to its outbox in the same transaction as
//! the event they report; a sender job delivers them. Everything here is pure: the
//! server's public address (`base`) and every value come in as arguments.

use serde::{Deserialize, Serialize};

use crate::ids::UserId;

/// What a message is about. The optional kinds can be turned off by their recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub enum MessageKind {
    /// The one-time link and code that verify a sign-up's e-mail address.
    SignUpVerification,
    /// Someone tried to sign up with an address that already has an account.
    SignUpExistingAccount,
    /// A request waits for the recipient's decision.
    RequestWaiting,
    /// The recipient's request was approved, denied or timed out.
    RequestDecided,
    /// Another approver of the same stage already decided a request.
    AlreadyDecided,
    /// The recipient's access ends in 7 days.
    AccessEndingIn7Days,
    /// The recipient's access ends in 1 day.
    AccessEndingIn1Day,
    /// The recipient's access was removed or expired.
    AccessRemoved,
}

impl MessageKind {
    /// Every kind, in a stable order.
    pub const ALL: [MessageKind; 8] = [
        MessageKind::SignUpVerification,
        MessageKind::SignUpExistingAccount,
        MessageKind::RequestWaiting,
        MessageKind::RequestDecided,
        MessageKind::AlreadyDecided,
        MessageKind::AccessEndingIn7Days,
        MessageKind::AccessEndingIn1Day,
        MessageKind::AccessRemoved,
    ];

    /// The stored name (the serde name).
    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::SignUpVerification => "signUpVerification",
            MessageKind::SignUpExistingAccount => "signUpExistingAccount",
            MessageKind::RequestWaiting => "requestWaiting",
            MessageKind::RequestDecided => "requestDecided",
            MessageKind::AlreadyDecided => "alreadyDecided",
            MessageKind::AccessEndingIn7Days => "accessEndingIn7Days",
            MessageKind::AccessEndingIn1Day => "accessEndingIn1Day",
            MessageKind::AccessRemoved => "accessRemoved",
        }
    }

    /// The kind a stored name names.
    pub fn parse(text: &str) -> Option<MessageKind> {
        MessageKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == text)
    }

    /// Whether the recipient may turn this kind off. Sign-up mail, requests waiting for a
    /// decision and the decision on one's own request always go out.
    pub fn optional(self) -> bool {
        matches!(
            self,
            MessageKind::AlreadyDecided
                | MessageKind::AccessEndingIn7Days
                | MessageKind::AccessEndingIn1Day
                | MessageKind::AccessRemoved
        )
    }
}

/// One message, ready for the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Email {
    /// What it is about.
    pub kind: MessageKind,
    /// The address it goes to.
    pub to_address: String,
    /// The person it goes to, when they have an account.
    pub to_user: Option<UserId>,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub text: String,
    /// HTML body.
    pub html: String,
    /// The absolute deep link the message is about.
    pub link: String,
}

/// A message's parts before they become text and HTML: paragraphs of plain text (escaped
/// for HTML here, never by callers), then one call to action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft<'a> {
    /// What it is about.
    pub kind: MessageKind,
    /// The address it goes to.
    pub to_address: &'a str,
    /// The person it goes to, when they have an account.
    pub to_user: Option<&'a UserId>,
    /// Subject line.
    pub subject: String,
    /// Greeting name, e.g. the recipient's display name.
    pub greeting: &'a str,
    /// Paragraphs, plain text.
    pub paragraphs: Vec<String>,
    /// The button's words, e.g. "Open the request".
    pub action: &'a str,
    /// The server's public address, e.g. `https://entrada.example` (no trailing slash).
    pub base: &'a str,
    /// The path the action opens, e.g. `/approvals/123`.
    pub path: String,
}

/// Turns a draft into a message: the same words in plain text and in HTML, every value
/// escaped in the HTML, the deep link absolute.
pub fn compose(draft: Draft<'_>) -> Email {
    let link = absolute_link(draft.base, &draft.path);
    let greeting = match draft.greeting.trim() {
        "" => "Hello,".to_owned(),
        name => format!("Hello {name},"),
    };
    let mut text = format!("{greeting}\n\n");
    for paragraph in &draft.paragraphs {
        text.push_str(paragraph);
        text.push_str("\n\n");
    }
    text.push_str(&format!("{}: {link}\n\n-- \nEntrada\n", draft.action));
    let mut html = String::from(
        "<!doctype html><html><body style=\"font-family:system-ui,sans-serif;line-height:1.5\">",
    );
    html.push_str(&format!("<p>{}</p>", escape_html(&greeting)));
    for paragraph in &draft.paragraphs {
        html.push_str(&format!("<p>{}</p>", escape_html(paragraph)));
    }
    html.push_str(&format!(
        "<p><a href=\"{}\">{}</a></p><p style=\"color:#555\">Entrada</p></body></html>",
        escape_html(&link),
        escape_html(draft.action)
    ));
    Email {
        kind: draft.kind,
        to_address: draft.to_address.to_owned(),
        to_user: draft.to_user.cloned(),
        subject: draft.subject,
        text,
        html,
        link,
    }
}

/// `base` and `path` joined with exactly one slash.
pub fn absolute_link(base: &str, path: &str) -> String {
    format!(
        "{}/{}",
        base.trim_end_matches('/'),
        path.trim_start_matches('/')
    )
}

/// Escapes text for HTML element content and attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

/// The sign-up verification message: a one-time link, and the same secret as a short code
/// for someone who reads mail on another device.
pub fn sign_up_verification(
    base: &str,
    to_address: &str,
    display_name: &str,
    token: &str,
    code: &str,
    valid_hours: u32,
) -> Email {
    compose(Draft {
        kind: MessageKind::SignUpVerification,
        to_address,
        to_user: None,
        subject: format!("Your Entrada code is {code}"),
        greeting: display_name,
        paragraphs: vec![
            "Confirm your e-mail address to finish signing up for Entrada.".to_owned(),
            format!("Your code is {code}. You can type it on the sign-up page instead of opening the link."),
            format!(
                "The link and the code work once, for {valid_hours} hours. If you did not sign up, ignore this message: nothing happens without it."
            ),
        ],
        action: "Confirm your address",
        base,
        path: format!("/sign-up/verify?token={token}"),
    })
}

/// What someone gets when they try to sign up with an address that already has an
/// account: the sign-up page answers the same either way, so only the owner of the
/// mailbox learns that the account exists.
pub fn sign_up_existing_account(base: &str, to_address: &str, display_name: &str) -> Email {
    compose(Draft {
        kind: MessageKind::SignUpExistingAccount,
        to_address,
        to_user: None,
        subject: "You already have an Entrada account".to_owned(),
        greeting: display_name,
        paragraphs: vec![
            "Someone tried to sign up for Entrada with this address, which already has an account.".to_owned(),
            "If it was you, sign in instead. If it was not, you need do nothing: no account was changed.".to_owned(),
        ],
        action: "Sign in",
        base,
        path: "/sign-in".to_owned(),
    })
}

/// Who a message goes to: a person with an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recipient<'a> {
    /// Their account.
    pub user: &'a UserId,
    /// Their e-mail address.
    pub address: &'a str,
    /// Their display name, for the greeting.
    pub name: &'a str,
}

impl MessageKind {
    /// A short name for the kind, as the preferences page and the Outbox page show it.
    pub fn label(self) -> &'static str {
        match self {
            MessageKind::SignUpVerification => "Sign-up verification",
            MessageKind::SignUpExistingAccount => "Sign-up with an existing address",
            MessageKind::RequestWaiting => "A request waits for your decision",
            MessageKind::RequestDecided => "The decision on your request",
            MessageKind::AlreadyDecided => "Another approver already decided",
            MessageKind::AccessEndingIn7Days => "Your access ends in 7 days",
            MessageKind::AccessEndingIn1Day => "Your access ends tomorrow",
            MessageKind::AccessRemoved => "Your access was removed or expired",
        }
    }

    /// The kinds a person may turn off, in a stable order.
    pub fn optional_kinds() -> impl Iterator<Item = MessageKind> {
        MessageKind::ALL.into_iter().filter(|kind| kind.optional())
    }
}

/// The path of the approval page of a request: where a waiting request's message leads.
pub fn approval_path(request_id: &str) -> String {
    format!("/approvals/{request_id}")
}

/// The path of the requestor's page showing one of their requests.
pub fn request_path(request_id: &str) -> String {
    format!("/requests?id={request_id}")
}

/// The path of a package's page, where its holder asks to extend it.
pub fn package_path(package_id: &str) -> String {
    format!("/access-packages/{package_id}")
}

/// A date as people read it in a message, e.g. "7 December 2026 at 14:05 UTC".
pub fn format_moment(at: time::OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{} {} {} at {:02}:{:02} UTC",
        at.day(),
        at.month(),
        at.year(),
        at.hour(),
        at.minute()
    )
}

/// A request waits for the recipient's decision (it reached their stage, or was escalated
/// to them). Leads to the approval page.
pub fn request_waiting(
    base: &str,
    to: Recipient<'_>,
    requestor_name: &str,
    package_name: &str,
    request_id: &str,
    stage: u8,
    stages: usize,
) -> Email {
    let mut paragraphs = vec![format!(
        "{requestor_name} asks for access to \"{package_name}\" and the request waits for your decision."
    )];
    if stages > 1 {
        paragraphs.push(format!(
            "This is stage {} of {stages} of its approval.",
            usize::from(stage) + 1
        ));
    }
    paragraphs.push(
        "Another approver of the same stage may decide first; you will be told if they do."
            .to_owned(),
    );
    compose(Draft {
        kind: MessageKind::RequestWaiting,
        to_address: to.address,
        to_user: Some(to.user),
        subject: format!("Approval needed: {requestor_name} requests {package_name}"),
        greeting: to.name,
        paragraphs,
        action: "Review the request",
        base,
        path: approval_path(request_id),
    })
}

/// How a request was decided, for the requestor's message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Every stage approved.
    Approved,
    /// An approver denied it.
    Denied,
    /// No decision came in time.
    TimedOut,
}

/// The decision on the recipient's own request. Leads to their requests page, showing
/// this request.
pub fn request_decided(
    base: &str,
    to: Recipient<'_>,
    package_name: &str,
    request_id: &str,
    outcome: Outcome,
    justification: Option<&str>,
) -> Email {
    let (subject, first) = match outcome {
        Outcome::Approved => (
            format!("Approved: your request for {package_name}"),
            format!("Your request for access to \"{package_name}\" was approved."),
        ),
        Outcome::Denied => (
            format!("Denied: your request for {package_name}"),
            format!("Your request for access to \"{package_name}\" was denied."),
        ),
        Outcome::TimedOut => (
            format!("Timed out: your request for {package_name}"),
            format!(
                "Your request for access to \"{package_name}\" timed out: nobody decided it in time. You can ask again."
            ),
        ),
    };
    let mut paragraphs = vec![first];
    if let Some(reason) = justification.filter(|reason| !reason.trim().is_empty()) {
        paragraphs.push(format!("The approver wrote: {reason}"));
    }
    compose(Draft {
        kind: MessageKind::RequestDecided,
        to_address: to.address,
        to_user: Some(to.user),
        subject,
        greeting: to.name,
        paragraphs,
        action: "See your request",
        base,
        path: request_path(request_id),
    })
}

/// Another approver of the recipient's stage decided a request first, so the recipient
/// need not open it. Leads to the approval page, which says the same.
pub fn already_decided(
    base: &str,
    to: Recipient<'_>,
    decider_name: &str,
    requestor_name: &str,
    package_name: &str,
    request_id: &str,
    approved: bool,
) -> Email {
    let verb = if approved { "approved" } else { "denied" };
    compose(Draft {
        kind: MessageKind::AlreadyDecided,
        to_address: to.address,
        to_user: Some(to.user),
        subject: format!("Already decided by {decider_name}: {requestor_name}'s request for {package_name}"),
        greeting: to.name,
        paragraphs: vec![
            format!(
                "{decider_name} {verb} {requestor_name}'s request for \"{package_name}\", which also waited for you. Nothing is left for you to do."
            ),
        ],
        action: "See the decision",
        base,
        path: approval_path(request_id),
    })
}

/// The recipient's access ends soon (`kind` says how soon: 7 days or 1 day). Leads to the
/// package's page, where they ask for an extension.
pub fn access_ending(
    base: &str,
    to: Recipient<'_>,
    kind: MessageKind,
    package_name: &str,
    package_id: &str,
    end: time::OffsetDateTime,
) -> Email {
    let when = match kind {
        MessageKind::AccessEndingIn1Day => "tomorrow",
        _ => "in 7 days",
    };
    compose(Draft {
        kind,
        to_address: to.address,
        to_user: Some(to.user),
        subject: format!("Your access to {package_name} ends {when}"),
        greeting: to.name,
        paragraphs: vec![
            format!(
                "Your access to \"{package_name}\" ends on {}.",
                format_moment(end)
            ),
            "If you still need it, ask for an extension before then.".to_owned(),
        ],
        action: "Ask for an extension",
        base,
        path: package_path(package_id),
    })
}

/// The recipient's access was removed (by them, an administrator or an approved removal)
/// or expired. Leads to the package's page, where they can ask again.
pub fn access_removed(
    base: &str,
    to: Recipient<'_>,
    package_name: &str,
    package_id: &str,
    expired: bool,
) -> Email {
    let (subject, first) = match expired {
        true => (
            format!("Your access to {package_name} expired"),
            format!("Your access to \"{package_name}\" expired and was taken back."),
        ),
        false => (
            format!("Your access to {package_name} was removed"),
            format!("Your access to \"{package_name}\" was removed."),
        ),
    };
    compose(Draft {
        kind: MessageKind::AccessRemoved,
        to_address: to.address,
        to_user: Some(to.user),
        subject,
        greeting: to.name,
        paragraphs: vec![
            first,
            "If you need it again, you can ask for it on the package's page.".to_owned(),
        ],
        action: "Open the package",
        base,
        path: package_path(package_id),
    })
}

/// One kind of message as a person's preferences show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct KindPreference {
    /// The kind.
    pub kind: MessageKind,
    /// What it is about, in words.
    pub label: String,
    /// Whether the person may turn it off (the others always go out).
    pub optional: bool,
    /// Whether the person gets it.
    pub enabled: bool,
}

/// `GET /my/notifications`: every kind a person can receive, and which they get.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct NotificationPreferences {
    /// The kinds, in a stable order.
    pub kinds: Vec<KindPreference>,
}

impl NotificationPreferences {
    /// The preferences of a person who turned off `off` (sign-up kinds are left out: they
    /// go to people before they have an account).
    pub fn from_opt_outs(off: &[MessageKind]) -> Self {
        let kinds = MessageKind::ALL
            .into_iter()
            .filter(|kind| {
                !matches!(
                    kind,
                    MessageKind::SignUpVerification | MessageKind::SignUpExistingAccount
                )
            })
            .map(|kind| KindPreference {
                kind,
                label: kind.label().to_owned(),
                optional: kind.optional(),
                enabled: !(kind.optional() && off.contains(&kind)),
            })
            .collect();
        Self { kinds }
    }
}

/// `PATCH /my/notifications`: kinds to turn on (`true`) or off (`false`); kinds left out
/// stay as they are.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NotificationPreferencesPatch {
    /// Kind name to on or off.
    #[cfg_attr(feature = "openapi", schema(value_type = std::collections::BTreeMap<String, bool>))]
    pub kinds: std::collections::BTreeMap<MessageKind, bool>,
}

impl NotificationPreferencesPatch {
    /// The opt-outs after this patch, from the ones before: turning off a required kind is
    /// a field error (`kinds.requestWaiting`); turning it on changes nothing.
    pub fn apply(&self, before: &[MessageKind]) -> Result<Vec<MessageKind>, crate::FieldErrors> {
        let mut errors = Vec::new();
        let mut off: Vec<MessageKind> = before.to_vec();
        for (&kind, &enabled) in &self.kinds {
            if !kind.optional() {
                if !enabled {
                    errors.push(crate::FieldError::new(
                        format!("kinds.{}", kind.as_str()),
                        format!(
                            "\"{}\" is always sent: it cannot be turned off.",
                            kind.label()
                        ),
                    ));
                }
                continue;
            }
            off.retain(|other| *other != kind);
            if !enabled {
                off.push(kind);
            }
        }
        off.sort();
        crate::FieldErrors::into_result(errors, || off)
    }
}

/// Where a message in the outbox is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub enum OutboxState {
    /// Not sent yet (waiting for its next attempt, or for SMTP to be configured).
    Pending,
    /// Accepted by the SMTP server.
    Sent,
    /// Given up after the last attempt.
    Failed,
}

impl OutboxState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxState::Pending => "pending",
            OutboxState::Sent => "sent",
            OutboxState::Failed => "failed",
        }
    }

    /// The state a stored name names.
    pub fn parse(text: &str) -> Option<OutboxState> {
        [OutboxState::Pending, OutboxState::Sent, OutboxState::Failed]
            .into_iter()
            .find(|state| state.as_str() == text)
    }
}

/// One message in the outbox, as administrators see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct OutboxMessage {
    /// Identifier.
    pub id: String,
    /// What it is about.
    pub kind: MessageKind,
    /// The address it goes to.
    pub to_address: String,
    /// Subject line.
    pub subject: String,
    /// The deep link it carries.
    pub link: String,
    /// Pending, sent or failed.
    pub state: OutboxState,
    /// Delivery attempts so far.
    pub attempts: u32,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When it was written.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: time::OffsetDateTime,
    /// When the next attempt is due, while pending.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub next_attempt_at: Option<time::OffsetDateTime>,
    /// When the SMTP server accepted it.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub sent_at: Option<time::OffsetDateTime>,
    /// Plain-text body.
    pub text: String,
    /// HTML body.
    pub html: String,
}

/// `GET /outbox`: one page of messages, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct OutboxPage {
    /// Whether this server sends mail (`--smtp-url`); without it messages stay pending.
    pub smtp_configured: bool,
    /// The messages.
    pub messages: Vec<OutboxMessage>,
    /// Pass as `cursor` for the next (older) page; none on the last page.
    pub next_cursor: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_html_body_escapes_every_value_and_the_text_body_keeps_it() {
        let email = compose(Draft {
            kind: MessageKind::RequestWaiting,
            to_address: "ada@example.com",
            to_user: None,
            subject: "s".to_owned(),
            greeting: "Ada <script>",
            paragraphs: vec!["Fish & \"chips\"".to_owned()],
            action: "Open",
            base: "https://entrada.example/",
            path: "/approvals/1".to_owned(),
        });
        assert!(email.html.contains("Hello Ada &lt;script&gt;,"));
        assert!(email.html.contains("Fish &amp; &quot;chips&quot;"));
        assert!(!email.html.contains("<script>"));
        assert!(email.text.contains("Hello Ada <script>,"));
        assert_eq!(email.link, "https://entrada.example/approvals/1");
        assert!(email
            .text
            .contains("Open: https://entrada.example/approvals/1"));
        assert!(email
            .html
            .contains("<a href=\"https://entrada.example/approvals/1\">Open</a>"));
    }

    #[test]
    fn the_verification_message_carries_the_link_and_the_code() {
        let email = sign_up_verification(
            "http://127.0.0.1:8080",
            "kim@fabrikam.example",
            "Kim",
            "tok123",
            "482913",
            24,
        );
        assert_eq!(
            email.link,
            "http://127.0.0.1:8080/sign-up/verify?token=tok123"
        );
        assert!(email.subject.contains("482913"));
        assert!(email.text.contains("482913"));
        assert!(email.html.contains("482913"));
        assert_eq!(email.to_address, "kim@fabrikam.example");
        assert!(!email.kind.optional());
    }

    #[test]
    fn kinds_round_trip_through_their_stored_names() {
        for kind in MessageKind::ALL {
            assert_eq!(MessageKind::parse(kind.as_str()), Some(kind));
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
        }
        assert_eq!(MessageKind::parse("nonsense"), None);
    }

    fn ada() -> UserId {
        UserId("u-ada".to_owned())
    }

    fn to(user: &UserId) -> Recipient<'_> {
        Recipient {
            user,
            address: "ada@lakeshore.example",
            name: "Ada",
        }
    }

    #[test]
    fn every_notification_leads_to_its_page_and_says_what_happened() {
        let user = ada();
        let base = "https://entrada.example";
        let waiting = request_waiting(base, to(&user), "Kim", "Sales <tools>", "r1", 1, 2);
        assert_eq!(waiting.link, "https://entrada.example/approvals/r1");
        assert!(waiting
            .text
            .contains("Kim asks for access to \"Sales <tools>\""));
        assert!(waiting.text.contains("stage 2 of 2"));
        assert!(waiting.html.contains("Sales &lt;tools&gt;"));
        assert_eq!(waiting.to_user.as_ref(), Some(&user));

        let denied = request_decided(
            base,
            to(&user),
            "Sales",
            "r1",
            Outcome::Denied,
            Some("Not now"),
        );
        assert_eq!(denied.link, "https://entrada.example/requests?id=r1");
        assert!(denied.subject.starts_with("Denied"));
        assert!(denied.text.contains("Not now"));

        let decided = already_decided(base, to(&user), "Lee", "Kim", "Sales", "r1", true);
        assert!(decided.subject.contains("Already decided by Lee"));
        assert!(decided.text.contains("Lee approved Kim's request"));
        assert_eq!(decided.link, "https://entrada.example/approvals/r1");

        let end = time::macros::datetime!(2026-12-07 14:05 UTC);
        let ending = access_ending(
            base,
            to(&user),
            MessageKind::AccessEndingIn1Day,
            "Sales",
            "p1",
            end,
        );
        assert!(ending.subject.ends_with("ends tomorrow"));
        assert!(ending.text.contains("7 December 2026 at 14:05 UTC"));
        assert_eq!(ending.link, "https://entrada.example/access-packages/p1");

        let expired = access_removed(base, to(&user), "Sales", "p1", true);
        assert!(expired.subject.contains("expired"));
        assert_eq!(expired.kind, MessageKind::AccessRemoved);
    }

    #[test]
    fn only_the_messages_about_ones_own_access_and_others_decisions_are_optional() {
        let optional: Vec<_> = MessageKind::optional_kinds().collect();
        assert_eq!(
            optional,
            vec![
                MessageKind::AlreadyDecided,
                MessageKind::AccessEndingIn7Days,
                MessageKind::AccessEndingIn1Day,
                MessageKind::AccessRemoved
            ]
        );
        assert!(!MessageKind::RequestWaiting.optional());
        assert!(!MessageKind::RequestDecided.optional());
    }

    #[test]
    fn a_patch_turns_optional_kinds_off_and_on_but_never_a_required_one() {
        let patch = NotificationPreferencesPatch {
            kinds: [
                (MessageKind::AccessRemoved, false),
                (MessageKind::AlreadyDecided, true),
            ]
            .into_iter()
            .collect(),
        };
        let off = patch.apply(&[MessageKind::AlreadyDecided]).unwrap();
        assert_eq!(off, vec![MessageKind::AccessRemoved]);
        let prefs = NotificationPreferences::from_opt_outs(&off);
        let removed = prefs
            .kinds
            .iter()
            .find(|k| k.kind == MessageKind::AccessRemoved)
            .unwrap();
        assert!(!removed.enabled);
        assert!(prefs
            .kinds
            .iter()
            .all(|k| k.kind != MessageKind::SignUpVerification));

        let refused = NotificationPreferencesPatch {
            kinds: [(MessageKind::RequestWaiting, false)].into_iter().collect(),
        }
        .apply(&[])
        .unwrap_err();
        assert!(refused.for_field("kinds.requestWaiting").is_some());
    }
}
