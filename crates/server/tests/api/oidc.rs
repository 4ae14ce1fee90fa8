//! Signing in through an OpenID provider (issue 14), against a real one: the npm
//! registry's oidc-provider, started by `cargo xtask test` (ENTRADA_TEST_OIDC_ISSUER).
//! Each test server registers itself with the provider (dynamic client registration)
//! with its own redirect URI. With a `login_hint` the provider signs the person in at
//! once, so these tests follow the redirects as a browser would, without a form.

use std::net::TcpListener;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use entrada_server::oidc::{MatchClaim, Oidc, OidcConfig, OidcError};
use entrada_server::Backend;
use openidconnect::PkceCodeChallenge;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use time::OffsetDateTime;

use crate::helpers::TestApp;

const CALLBACK: &str = "/api/v1/session/oidc/callback";

/// The provider's issuer, or none (the test is skipped, said on stderr) outside CI.
fn issuer() -> Option<String> {
    match std::env::var("ENTRADA_TEST_OIDC_ISSUER") {
        Ok(issuer) => Some(issuer),
        Err(_) if std::env::var("CI").is_ok_and(|ci| ci == "true") => {
            panic!("ENTRADA_TEST_OIDC_ISSUER is not set under CI=true: use `cargo xtask test`")
        }
        Err(_) => {
            eprintln!("skipped: ENTRADA_TEST_OIDC_ISSUER is not set; run `cargo xtask test`");
            None
        }
    }
}

/// A client registered with the provider for `redirect`: (id, secret).
async fn register(issuer: &str, redirect: &str) -> (String, String) {
    let registered: Value = Client::new()
        .post(format!("{issuer}/reg"))
        .json(&json!({
            "redirect_uris": [redirect],
            "grant_types": ["authorization_code"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "client_secret_basic",
        }))
        .send()
        .await
        .expect("registration")
        .json()
        .await
        .expect("registration answer");
    (
        registered["client_id"]
            .as_str()
            .expect("client_id")
            .to_owned(),
        registered["client_secret"]
            .as_str()
            .expect("client_secret")
            .to_owned(),
    )
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("a free port")
        .local_addr()
        .expect("its address")
        .port()
}

/// A test server on `backend` registered with the provider; `password_sign_in` as given.
async fn spawn(backend: Backend, password_sign_in: bool) -> Option<TestApp> {
    let issuer = issuer()?;
    let port = free_port();
    let (client_id, client_secret) =
        register(&issuer, &format!("http://127.0.0.1:{port}{CALLBACK}")).await;
    TestApp::spawn_with(backend, move |config| {
        config.bind = format!("127.0.0.1:{port}").parse().expect("address");
        config.password_sign_in = password_sign_in;
        config.oidc = Some(OidcConfig {
            issuer,
            client_id,
            client_secret,
            name: "Lakeshore ID".to_owned(),
            claim: MatchClaim::Email,
        });
    })
    .await
}

/// A browser: cookies kept, redirects not followed (the tests follow them).
fn browser() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// `location` (absolute, or a path on `base`'s host) as a URL.
fn absolute(base: &str, location: &str) -> String {
    match location.starts_with('/') {
        true => {
            let origin: Vec<&str> = base.splitn(4, '/').take(3).collect();
            format!("{}{location}", origin.join("/"))
        }
        false => location.to_owned(),
    }
}

fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// Follows redirects from `url` until one leads to `stop` (a URL prefix); returns that
/// URL, not followed.
async fn follow_until(browser: &Client, url: String, stop: &str) -> String {
    let mut url = url;
    for _ in 0..12 {
        if url.starts_with(stop) {
            return url;
        }
        let response = browser
            .get(&url)
            .send()
            .await
            .expect("a step of the sign-in");
        assert!(
            response.status().is_redirection(),
            "{url} answered {} {}",
            response.status(),
            response.text().await.unwrap_or_default()
        );
        url = absolute(&url, &location(&response));
    }
    panic!("the sign-in never came back to {stop}");
}

/// Signs `browser` in through the provider as `email`, from Entrada's start to its
/// callback; returns the callback URL and Entrada's answer to it (303, not followed).
async fn sign_in_through_provider(
    app: &TestApp,
    browser: &Client,
    email: &str,
    return_to: &str,
) -> (String, reqwest::Response) {
    let start = format!(
        "{}?returnTo={}&loginHint={}",
        app.api("/session/oidc/start"),
        return_to,
        email
    );
    let callback = follow_until(browser, start, &app.url(CALLBACK)).await;
    let answer = browser.get(&callback).send().await.expect("the callback");
    (callback, answer)
}

async fn me(app: &TestApp, browser: &Client) -> (StatusCode, Value) {
    let response = browser.get(app.api("/me")).send().await.expect("GET /me");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn count(app: &TestApp, sql: &str, value: &str) -> i64 {
    sqlx::query_scalar(sql)
        .bind(value)
        .fetch_one(&app.db)
        .await
        .expect("count")
}

macro_rules! on_both_backends_with_provider {
    ($($name:ident($password:expr) => $body:expr;)*) => {$(
        mod $name {
            use super::*;
            #[tokio::test]
            async fn sqlite() {
                let Some(app) = spawn(Backend::Sqlite, $password).await else { return };
                ($body)(app).await;
            }
            #[tokio::test]
            async fn postgres() {
                let Some(app) = spawn(Backend::Postgres, $password).await else { return };
                ($body)(app).await;
            }
        }
    )*};
}

on_both_backends_with_provider! {
    a_member_signs_in_through_the_provider_and_lands_where_they_were_going(true) => |app: TestApp| async move {
        let (_, methods) = (StatusCode::OK, app.client.get(app.api("/session/methods")).send().await.unwrap().json::<Value>().await.unwrap());
        assert_eq!(methods, json!({ "password": true, "provider": "Lakeshore ID" }));

        let sam = browser();
        let (_, answer) = sign_in_through_provider(&app, &sam, "Sam.Taylor@lakeshore.example", "/access-packages/ap-company-wiki").await;
        assert_eq!(answer.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&answer), "/access-packages/ap-company-wiki");
        let (status, me) = me(&app, &sam).await;
        assert_eq!(status, StatusCode::OK, "{me}");
        assert_eq!(me["user"]["email"], "sam.taylor@lakeshore.example");
        let signed_in = count(&app, "SELECT COUNT(*) FROM audit_events WHERE action = 'session.signedIn' AND target_id = $1 AND details_json LIKE '%openIdProvider%'", "user-sam.taylor").await;
        assert_eq!(signed_in, 1);
    };

    a_state_works_once_and_a_made_up_one_not_at_all(true) => |app: TestApp| async move {
        let first = browser();
        let (callback, answer) = sign_in_through_provider(&app, &first, "sam.taylor@lakeshore.example", "/").await;
        assert_eq!(location(&answer), "/");
        // The same return again, from another browser (a stolen or replayed URL).
        let thief = browser();
        let replay = thief.get(&callback).send().await.unwrap();
        assert_eq!(replay.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&replay), "/sign-in?error=expired");
        assert_eq!(me(&app, &thief).await.0, StatusCode::UNAUTHORIZED, "no session from a replayed state");
        let made_up = thief.get(format!("{}?code=abc&state=made-up", app.url(CALLBACK))).send().await.unwrap();
        assert_eq!(location(&made_up), "/sign-in?error=expired");
        assert_eq!(me(&app, &thief).await.0, StatusCode::UNAUTHORIZED);
        let refused = count(&app, "SELECT COUNT(*) FROM audit_events WHERE action = 'signIn.failed' AND details_json LIKE $1", "%expired%").await;
        assert_eq!(refused, 2);
    };

    someone_unknown_is_refused_and_someone_from_a_partner_domain_becomes_its_external_person(true) => |app: TestApp| async move {
        let stranger = browser();
        let (_, answer) = sign_in_through_provider(&app, &stranger, "nobody@elsewhere.example", "/requests").await;
        assert_eq!(location(&answer), "/sign-in?error=unknownPerson&next=%2Frequests");
        assert_eq!(me(&app, &stranger).await.0, StatusCode::UNAUTHORIZED);
        assert_eq!(count(&app, "SELECT COUNT(*) FROM users WHERE email = $1", "nobody@elsewhere.example").await, 0);

        let kim = browser();
        let (_, answer) = sign_in_through_provider(&app, &kim, "kim@fabrikam.example", "/access-packages/ap-partner-collaboration").await;
        assert_eq!(location(&answer), "/access-packages/ap-partner-collaboration");
        let (status, me) = me(&app, &kim).await;
        assert_eq!(status, StatusCode::OK, "{me}");
        assert_eq!(me["user"]["kind"], "external");
        assert_eq!(me["user"]["connectedOrganization"], "org-fabrikam");
        // Kim signs in the same way again: the same person, not a second one.
        let again = browser();
        let (_, answer) = sign_in_through_provider(&app, &again, "kim@fabrikam.example", "/").await;
        assert_eq!(location(&answer), "/");
        assert_eq!(count(&app, "SELECT COUNT(*) FROM users WHERE email = $1", "kim@fabrikam.example").await, 1);
    };

    administrators_see_the_provider_its_health_and_its_sign_ins(true) => |app: TestApp| async move {
        let sam = browser();
        sign_in_through_provider(&app, &sam, "sam.taylor@lakeshore.example", "/").await;
        let stranger = browser();
        sign_in_through_provider(&app, &stranger, "nobody@elsewhere.example", "/").await;
        let (status, _) = crate::helpers::send(&app, &sam, reqwest::Method::GET, "/integrations", Value::Null).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "a member does not see the integrations");
        app.sign_in("alex.morgan").await;
        let (_, integrations) = crate::helpers::send(&app, &app.client, reqwest::Method::GET, "/integrations", Value::Null).await;
        let provider = &integrations["openIdProvider"];
        assert_eq!(integrations["passwordSignIn"], true);
        assert_eq!(provider["name"], "Lakeshore ID");
        assert_eq!(provider["issuer"], issuer().unwrap());
        assert_eq!(provider["claim"], "email");
        assert!(provider["error"].is_null(), "{provider}");
        assert_eq!(provider["signInsLast30Days"], 1, "{provider}");
        assert_eq!(provider["refusedLast30Days"], 1, "{provider}");
        assert!(provider["lastSignIn"].is_string(), "{provider}");
        assert!(!integrations.to_string().contains("client_secret") && provider.get("clientSecret").is_none(), "the secret never leaves the server");
    };

    a_blocked_person_is_refused(true) => |app: TestApp| async move {
        sqlx::query("UPDATE users SET state = 'blocked' WHERE id = 'user-sam.taylor'").execute(&app.db).await.unwrap();
        let sam = browser();
        let (_, answer) = sign_in_through_provider(&app, &sam, "sam.taylor@lakeshore.example", "/").await;
        assert_eq!(location(&answer), "/sign-in?error=blocked&next=%2F");
        assert_eq!(me(&app, &sam).await.0, StatusCode::UNAUTHORIZED);
    };

    with_password_sign_in_off_only_the_provider_signs_people_in(false) => |app: TestApp| async move {
        let methods: Value = app.client.get(app.api("/session/methods")).send().await.unwrap().json().await.unwrap();
        assert_eq!(methods, json!({ "password": false, "provider": "Lakeshore ID" }));
        let refused = app.sign_in_as(&app.client, "sam.taylor").await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        let problem: Value = refused.json().await.unwrap();
        assert!(problem["detail"].as_str().unwrap().contains("sign in with Lakeshore ID"), "{problem}");
        let sam = browser();
        let (_, answer) = sign_in_through_provider(&app, &sam, "sam.taylor@lakeshore.example", "/").await;
        assert_eq!(location(&answer), "/");
        assert_eq!(me(&app, &sam).await.0, StatusCode::OK);
    };
}

/// Runs the code flow for a client by hand (as another application would) and returns
/// the ID token the provider issues to it, for `email`, with `nonce`.
async fn id_token_for(
    issuer: &str,
    client: &(String, String),
    redirect: &str,
    email: &str,
    nonce: &str,
) -> String {
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let browser = browser();
    let mut authorize = reqwest::Url::parse(&format!("{issuer}/auth")).unwrap();
    authorize
        .query_pairs_mut()
        .append_pair("client_id", &client.0)
        .append_pair("redirect_uri", redirect)
        .append_pair("response_type", "code")
        .append_pair("scope", "openid email profile")
        .append_pair("state", "by-hand")
        .append_pair("nonce", nonce)
        .append_pair("code_challenge", challenge.as_str())
        .append_pair("code_challenge_method", "S256")
        .append_pair("login_hint", email);
    let back = follow_until(&browser, authorize.to_string(), redirect).await;
    let code = reqwest::Url::parse(&back)
        .unwrap()
        .query_pairs()
        .find(|(name, _)| name == "code")
        .map(|(_, code)| code.into_owned())
        .expect("a code");
    let tokens: Value = Client::new()
        .post(format!("{issuer}/token"))
        .basic_auth(&client.0, Some(&client.1))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", redirect),
            ("code_verifier", verifier.secret().as_str()),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    tokens["id_token"]
        .as_str()
        .unwrap_or_else(|| panic!("no ID token: {tokens}"))
        .to_owned()
}

#[tokio::test]
async fn tampered_foreign_expired_and_replayed_id_tokens_are_refused() {
    let Some(issuer) = issuer() else { return };
    let redirect = "http://127.0.0.1:9/entrada/callback";
    let entrada = register(&issuer, redirect).await;
    let other_app = register(&issuer, "http://127.0.0.1:9/other/callback").await;
    let oidc = Oidc::new(
        OidcConfig {
            issuer: issuer.clone(),
            client_id: entrada.0.clone(),
            client_secret: entrada.1.clone(),
            name: "Lakeshore ID".to_owned(),
            claim: MatchClaim::Email,
        },
        redirect.to_owned(),
    )
    .unwrap();
    let now = OffsetDateTime::now_utc();

    let token = id_token_for(
        &issuer,
        &entrada,
        redirect,
        "sam.taylor@lakeshore.example",
        "n-1",
    )
    .await;
    let claims = oidc
        .verify_id_token(&token, "n-1", now)
        .await
        .expect("a good token verifies");
    assert_eq!(claims.subject, "sam.taylor@lakeshore.example");

    // Tampered: the payload says someone else, the signature is the provider's.
    let parts: Vec<&str> = token.split('.').collect();
    let payload = String::from_utf8(decode(parts[1])).unwrap();
    let forged = payload.replace(
        "sam.taylor@lakeshore.example",
        "alex.morgan@lakeshore.example",
    );
    assert_ne!(forged, payload);
    let tampered = format!("{}.{}.{}", parts[0], encode(forged.as_bytes()), parts[2]);
    let refused = oidc.verify_id_token(&tampered, "n-1", now).await;
    assert!(matches!(refused, Err(OidcError::Token(_))), "{refused:?}");

    // Issued to another application: the audience is not Entrada.
    let foreign = id_token_for(
        &issuer,
        &other_app,
        "http://127.0.0.1:9/other/callback",
        "sam.taylor@lakeshore.example",
        "n-2",
    )
    .await;
    let refused = oidc.verify_id_token(&foreign, "n-2", now).await;
    match refused {
        Err(OidcError::Token(reason)) => {
            assert!(reason.to_lowercase().contains("audience"), "{reason}")
        }
        other => panic!("a foreign token was not refused for its audience: {other:?}"),
    }

    // Expired: the same good token two hours later (the provider issues them for one).
    let refused = oidc
        .verify_id_token(&token, "n-1", now + time::Duration::hours(2))
        .await;
    match refused {
        Err(OidcError::Token(reason)) => {
            assert!(reason.to_lowercase().contains("expir"), "{reason}")
        }
        other => panic!("an expired token was not refused: {other:?}"),
    }

    // Another sign-in's nonce: a token replayed into a different sign-in.
    let refused = oidc.verify_id_token(&token, "n-other", now).await;
    match refused {
        Err(OidcError::Token(reason)) => {
            assert!(reason.to_lowercase().contains("nonce"), "{reason}")
        }
        other => panic!("a token with another nonce was not refused: {other:?}"),
    }
}

/// Base64url without padding, as JWTs use it.
fn decode(text: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(text).expect("base64url")
}

fn encode(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

#[tokio::test]
async fn an_unreachable_provider_is_reported_and_its_sign_in_says_so() {
    let closed = format!("http://127.0.0.1:{}", free_port());
    let app = TestApp::spawn_with(Backend::Sqlite, move |config| {
        config.oidc = Some(OidcConfig {
            issuer: closed,
            client_id: "entrada".to_owned(),
            client_secret: "secret".to_owned(),
            name: "Lakeshore ID".to_owned(),
            claim: MatchClaim::Email,
        });
    })
    .await
    .expect("a SQLite server");
    let response = browser()
        .get(app.api("/session/oidc/start?returnTo=/requests"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&response),
        "/sign-in?error=providerUnavailable&next=%2Frequests"
    );
    app.sign_in("alex.morgan").await;
    let (status, integrations) = crate::helpers::send(
        &app,
        &app.client,
        reqwest::Method::GET,
        "/integrations",
        Value::Null,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let error = integrations["openIdProvider"]["error"]
        .as_str()
        .unwrap_or_default();
    assert!(error.contains("discovery"), "{integrations}");
}
