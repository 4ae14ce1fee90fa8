//! Sign-in through an organisation's OpenID provider (issue 14): discovery, the
//! authorization code flow with PKCE, a state and a nonce per sign-in, and the ID token
//! verified (signature against the provider's published keys, issuer, audience, expiry
//! and nonce) by the `openidconnect` crate. People are matched to the directory by one
//! claim of the token (their e-mail address by default).

use std::sync::Arc;

use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreIdToken, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};
use time::OffsetDateTime;
use tokio::sync::RwLock;

/// What an ID token's or a UserInfo answer's standard claims say of the person (the two
/// types have the same accessors and no trait in common).
macro_rules! claims_of {
    ($claims:expr) => {{
        let claims = &$claims;
        Claims {
            subject: claims.subject().as_str().to_owned(),
            email: claims
                .email()
                .filter(|_| claims.email_verified() != Some(false))
                .map(|email| email.as_str().to_lowercase()),
            preferred_username: claims
                .preferred_username()
                .map(|name| name.as_str().to_lowercase()),
            name: claims
                .name()
                .and_then(|names| names.get(None))
                .map(|name| name.as_str().to_owned()),
        }
    }};
}

/// How long a sign-in may take between leaving for the provider and coming back.
pub const LOGIN_TTL: time::Duration = time::Duration::minutes(10);

/// Which claim of the ID token names the person (it is compared with their e-mail
/// address in the directory, ignoring case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MatchClaim {
    /// `email`, which the provider must not say is unverified.
    #[default]
    Email,
    /// `preferred_username`.
    PreferredUsername,
    /// `sub`.
    Subject,
}

impl MatchClaim {
    /// Reads the claim's name, as `--oidc-claim` takes it.
    pub fn parse(text: &str) -> Option<MatchClaim> {
        match text {
            "email" => Some(MatchClaim::Email),
            "preferred_username" => Some(MatchClaim::PreferredUsername),
            "sub" => Some(MatchClaim::Subject),
            _ => None,
        }
    }

    /// The claim's name.
    pub fn as_str(self) -> &'static str {
        match self {
            MatchClaim::Email => "email",
            MatchClaim::PreferredUsername => "preferred_username",
            MatchClaim::Subject => "sub",
        }
    }
}

/// The provider Entrada signs people in through.
#[derive(Clone)]
pub struct OidcConfig {
    /// The issuer (discovery is at `{issuer}/.well-known/openid-configuration`).
    pub issuer: String,
    /// Entrada's client id at the provider.
    pub client_id: String,
    /// Entrada's client secret at the provider.
    pub client_secret: String,
    /// The provider's name on the sign-in page ("Sign in with …").
    pub name: String,
    /// The claim people are matched by.
    pub claim: MatchClaim,
}

impl std::fmt::Debug for OidcConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcConfig")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("client_secret", &"(set)")
            .field("name", &self.name)
            .field("claim", &self.claim)
            .finish()
    }
}

/// Why a sign-in through the provider failed.
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    /// The issuer's discovery document could not be read.
    #[error("the OpenID provider's discovery document could not be read: {0}")]
    Discovery(String),
    /// The code could not be exchanged for tokens.
    #[error("the OpenID provider did not exchange the code: {0}")]
    Exchange(String),
    /// The token response held no ID token.
    #[error("the OpenID provider sent no ID token")]
    NoIdToken,
    /// The ID token did not verify (signature, issuer, audience, expiry or nonce).
    #[error("the ID token was refused: {0}")]
    Token(String),
    /// The token does not carry the claim people are matched by (or says the e-mail
    /// address is not verified).
    #[error("the ID token has no usable {0} claim")]
    NoClaim(&'static str),
}

/// What a verified ID token (and, for a provider that keeps them there, its UserInfo
/// endpoint) says of the person.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Claims {
    /// The provider's subject.
    pub subject: String,
    /// The e-mail address, unless the provider says it is not verified; lowercased.
    pub email: Option<String>,
    /// `preferred_username`, lowercased.
    pub preferred_username: Option<String>,
    /// The person's name.
    pub name: Option<String>,
}

impl Claims {
    /// Fills in what `more` has and these lack.
    fn or(self, more: Claims) -> Claims {
        Claims {
            subject: self.subject,
            email: self.email.or(more.email),
            preferred_username: self.preferred_username.or(more.preferred_username),
            name: self.name.or(more.name),
        }
    }
}

/// Who the provider says signed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The matching claim's value, lowercased (compared with e-mail addresses).
    pub login: String,
    /// The verified e-mail address, when the token has one.
    pub email: Option<String>,
    /// The person's name, when the token has one.
    pub name: Option<String>,
    /// The provider's subject.
    pub subject: String,
}

/// A sign-in on its way to the provider: where to send the person, and what to keep until
/// they come back.
pub struct Departure {
    /// The provider's authorization URL.
    pub url: String,
    /// The state (the key the return is matched by).
    pub state: String,
    /// The nonce the ID token must carry.
    pub nonce: String,
    /// The PKCE verifier the code is exchanged with.
    pub pkce_verifier: String,
}

/// The provider, its discovery document read on first use (and again when a token's key
/// is unknown, for a provider that rotated its keys).
pub struct Oidc {
    config: OidcConfig,
    redirect_url: String,
    http: reqwest::Client,
    metadata: RwLock<Option<Arc<CoreProviderMetadata>>>,
}

impl Oidc {
    /// The provider of `config`; people come back to `redirect_url`.
    pub fn new(config: OidcConfig, redirect_url: String) -> Result<Oidc, OidcError> {
        let http = reqwest::Client::builder()
            // The crate's advice: following redirects would open the way to SSRF.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .map_err(|error| OidcError::Discovery(error.to_string()))?;
        Ok(Oidc {
            config,
            redirect_url,
            http,
            metadata: RwLock::new(None),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &OidcConfig {
        &self.config
    }

    /// Reads the provider's discovery document (and its keys) afresh: whether it can be
    /// reached now.
    pub async fn check(&self) -> Result<(), OidcError> {
        self.metadata(true).await.map(|_| ())
    }

    async fn metadata(&self, fresh: bool) -> Result<Arc<CoreProviderMetadata>, OidcError> {
        if !fresh {
            if let Some(metadata) = self.metadata.read().await.as_ref() {
                return Ok(metadata.clone());
            }
        }
        let issuer = IssuerUrl::new(self.config.issuer.clone())
            .map_err(|error| OidcError::Discovery(error.to_string()))?;
        let metadata = CoreProviderMetadata::discover_async(issuer, &self.http)
            .await
            .map_err(|error| OidcError::Discovery(error.to_string()))?;
        let metadata = Arc::new(metadata);
        *self.metadata.write().await = Some(metadata.clone());
        Ok(metadata)
    }

    fn client(
        &self,
        metadata: &CoreProviderMetadata,
    ) -> Result<
        CoreClient<
            openidconnect::EndpointSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointMaybeSet,
            openidconnect::EndpointMaybeSet,
        >,
        OidcError,
    > {
        let redirect = RedirectUrl::new(self.redirect_url.clone())
            .map_err(|error| OidcError::Discovery(error.to_string()))?;
        Ok(CoreClient::from_provider_metadata(
            metadata.clone(),
            ClientId::new(self.config.client_id.clone()),
            Some(ClientSecret::new(self.config.client_secret.clone())),
        )
        .set_redirect_uri(redirect))
    }

    /// Begins a sign-in: the provider's URL with a fresh state, nonce and PKCE challenge.
    /// `login_hint` (an address the person typed) is passed on to the provider.
    pub async fn depart(&self, login_hint: Option<&str>) -> Result<Departure, OidcError> {
        let metadata = self.metadata(false).await?;
        let client = self.client(&metadata)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("email".to_owned()))
            .add_scope(Scope::new("profile".to_owned()))
            .set_pkce_challenge(challenge);
        if let Some(hint) = login_hint {
            request = request.add_extra_param("login_hint", hint.to_owned());
        }
        let (url, state, nonce) = request.url();
        Ok(Departure {
            url: url.to_string(),
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
        })
    }

    /// Exchanges the code the provider sent back (with the PKCE verifier kept at
    /// departure) and verifies the ID token it answers with.
    pub async fn arrive(
        &self,
        code: &str,
        pkce_verifier: &str,
        nonce: &str,
        now: OffsetDateTime,
    ) -> Result<Identity, OidcError> {
        let metadata = self.metadata(false).await?;
        let client = self.client(&metadata)?;
        let response = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|error| OidcError::Exchange(error.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_owned()))
            .request_async(&self.http)
            .await
            .map_err(|error| OidcError::Exchange(error.to_string()))?;
        let token = response.id_token().ok_or(OidcError::NoIdToken)?;
        let mut claims = self.verify_parsed(token, nonce, now).await?;
        // A provider may keep the profile claims out of the ID token of the code flow
        // (OpenID Connect Core 5.4): then they come from its UserInfo endpoint, for the
        // same subject.
        if self.login_of(&claims).is_none() && client.user_info_url().is_some() {
            let subject = openidconnect::SubjectIdentifier::new(claims.subject.clone());
            let info: openidconnect::core::CoreUserInfoClaims = client
                .user_info(response.access_token().clone(), Some(subject))
                .map_err(|error| OidcError::Exchange(error.to_string()))?
                .request_async(&self.http)
                .await
                .map_err(|error| OidcError::Token(format!("UserInfo: {error}")))?;
            claims = claims.or(claims_of!(info));
        }
        let login = self
            .login_of(&claims)
            .ok_or(OidcError::NoClaim(self.config.claim.as_str()))?;
        Ok(Identity {
            login,
            email: claims.email,
            name: claims.name,
            subject: claims.subject,
        })
    }

    /// The value people are matched by.
    fn login_of(&self, claims: &Claims) -> Option<String> {
        match self.config.claim {
            MatchClaim::Email => claims.email.clone(),
            MatchClaim::PreferredUsername => claims.preferred_username.clone(),
            MatchClaim::Subject => Some(claims.subject.to_lowercase()),
        }
        .filter(|login| !login.trim().is_empty())
    }

    /// Verifies an ID token (its signature with the provider's keys, the issuer, that it
    /// was issued to Entrada's client, that it has not expired at `now`, and its nonce)
    /// and reads what it says of the person.
    pub async fn verify_id_token(
        &self,
        id_token: &str,
        nonce: &str,
        now: OffsetDateTime,
    ) -> Result<Claims, OidcError> {
        let token: CoreIdToken = id_token
            .parse()
            .map_err(|error: serde_json::Error| OidcError::Token(error.to_string()))?;
        self.verify_parsed(&token, nonce, now).await
    }

    async fn verify_parsed(
        &self,
        token: &CoreIdToken,
        nonce: &str,
        now: OffsetDateTime,
    ) -> Result<Claims, OidcError> {
        let nonce = Nonce::new(nonce.to_owned());
        let at = chrono::DateTime::from_timestamp(now.unix_timestamp(), now.nanosecond())
            .unwrap_or_default();
        let mut metadata = self.metadata(false).await?;
        for attempt in 0..2 {
            let client = self.client(&metadata)?;
            let verifier = client.id_token_verifier().set_time_fn(move || at);
            match token.claims(&verifier, &nonce) {
                Ok(claims) => return Ok(claims_of!(*claims)),
                // A key the cached document does not have: the provider may have rotated
                // its keys; read the document again, once.
                Err(openidconnect::ClaimsVerificationError::SignatureVerification(_))
                    if attempt == 0 =>
                {
                    metadata = self.metadata(true).await?;
                }
                Err(error) => return Err(OidcError::Token(error.to_string())),
            }
        }
        Err(OidcError::Token("the signature does not verify".to_owned()))
    }
}
