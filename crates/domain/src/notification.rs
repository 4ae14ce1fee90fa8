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
}
