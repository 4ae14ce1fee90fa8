//! The `entrada` command: serve, migrate, load the demo, add users.

use std::io::Read;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use entrada_server::accounts::{add_member, NewMember};
use entrada_server::db::redact_url as redact;
use entrada_server::demo::{self, DemoOutcome};
use entrada_server::{db, App, Clock, Config, SystemClock};

#[derive(Parser)]
#[command(
    name = "entrada",
    version,
    about = "Self-hosted entitlement management"
)]
struct Cli {
    /// How log lines are written: text for people, json (one object per line) for a log
    /// collector.
    #[arg(
        long,
        global = true,
        env = "ENTRADA_LOG_FORMAT",
        value_enum,
        default_value_t = LogFormat::Text
    )]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Run migrations, serve the API and the web app, and run the background jobs.
    Serve(Box<ServeArgs>),
    /// Run the database migrations only.
    Migrate(DatabaseArgs),
    /// Load the demo organisation into an empty database; with --scale, grow it to the
    /// size of a real company for benchmarks.
    Demo(DemoArgs),
    /// Manage accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Check the audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Run the background jobs.
    Jobs {
        #[command(subcommand)]
        command: JobsCommand,
    },
    /// Sync people and groups from an LDAP / Active Directory directory.
    Directory {
        #[command(subcommand)]
        command: DirectoryCommand,
    },
    /// Copy a SQLite database to a new file while the server runs: a consistent copy of
    /// one moment (for PostgreSQL use pg_dump; see the README).
    Backup(BackupArgs),
    /// Manage the bearer tokens of identity providers' SCIM clients (`/scim/v2`).
    Scim {
        #[command(subcommand)]
        command: ScimCommand,
    },
}

#[derive(Subcommand)]
enum DirectoryCommand {
    /// Write Entrada's grants back to the directory's groups, then import people (with
    /// manager and department) and groups (with members, nested groups flattened, and
    /// owners), and block the people who left. Prints what it did as JSON.
    Sync(DirectorySyncArgs),
}

#[derive(Args)]
struct DirectorySyncArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    #[command(flatten)]
    ldap: LdapArgs,
    /// Read every person again, not only those changed since the last sync (the first
    /// sync is always full).
    #[arg(long)]
    full: bool,
}

/// The directory to sync from: the same flags for `entrada directory sync` and
/// `entrada serve` (which syncs on a schedule when --ldap-url is given).
#[derive(Args)]
struct LdapArgs {
    /// ldap://HOST:PORT or ldaps://HOST:PORT.
    #[arg(long, env = "ENTRADA_LDAP_URL")]
    ldap_url: Option<String>,
    /// The DN Entrada binds as (it reads people and groups, and writes the member
    /// attribute of groups whose grants are written back).
    #[arg(long, env = "ENTRADA_LDAP_BIND_DN", requires = "ldap_url")]
    bind_dn: Option<String>,
    /// A file holding that DN's password.
    #[arg(long, env = "ENTRADA_LDAP_PASSWORD_FILE", requires = "ldap_url")]
    password_file: Option<PathBuf>,
    /// Where people and groups are looked for (the whole subtree).
    #[arg(long, env = "ENTRADA_LDAP_BASE_DN", requires = "ldap_url")]
    base_dn: Option<String>,
    /// Which entries are people; for Active Directory use
    /// (&(objectCategory=person)(objectClass=user)).
    #[arg(long, env = "ENTRADA_LDAP_USER_FILTER", default_value = entrada_server::directory_sync::LdapConfig::USER_FILTER)]
    user_filter: String,
    /// Which entries are groups.
    #[arg(long, env = "ENTRADA_LDAP_GROUP_FILTER", default_value = entrada_server::directory_sync::LdapConfig::GROUP_FILTER)]
    group_filter: String,
    /// Minutes between the server's scheduled syncs.
    #[arg(long, env = "ENTRADA_LDAP_SYNC_MINUTES", default_value_t = 15, value_parser = clap::value_parser!(u64).range(1..=1440))]
    sync_minutes: u64,
}

impl LdapArgs {
    /// The directory's settings; none without --ldap-url.
    fn config(&self) -> anyhow::Result<Option<entrada_server::directory_sync::LdapConfig>> {
        let Some(url) = &self.ldap_url else {
            return Ok(None);
        };
        if !(url.starts_with("ldap://") || url.starts_with("ldaps://")) {
            anyhow::bail!("--ldap-url {url:?} must start with ldap:// or ldaps://");
        }
        let (Some(bind_dn), Some(password_file), Some(base_dn)) =
            (&self.bind_dn, &self.password_file, &self.base_dn)
        else {
            anyhow::bail!("--ldap-url needs --bind-dn, --password-file and --base-dn");
        };
        let password = std::fs::read_to_string(password_file)
            .with_context(|| format!("reading --password-file {}", password_file.display()))?
            .trim_end_matches(['\r', '\n'])
            .to_owned();
        for (flag, filter) in [
            ("--user-filter", &self.user_filter),
            ("--group-filter", &self.group_filter),
        ] {
            if !(filter.starts_with('(') && filter.ends_with(')')) {
                anyhow::bail!("{flag} {filter:?} must be an LDAP filter in parentheses");
            }
        }
        Ok(Some(entrada_server::directory_sync::LdapConfig {
            url: url.clone(),
            bind_dn: bind_dn.clone(),
            password,
            base_dn: base_dn.clone(),
            user_filter: self.user_filter.clone(),
            group_filter: self.group_filter.clone(),
            every: std::time::Duration::from_secs(self.sync_minutes * 60),
        }))
    }
}

#[derive(Args)]
struct BackupArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    /// The file to write the copy to; it must not exist yet.
    file: PathBuf,
}

#[derive(Subcommand)]
enum JobsCommand {
    /// Run the background jobs once (all of them, or those named with --only) and print
    /// what they did as JSON, with the seconds they took. `serve` runs them every 20
    /// seconds; this is for operators and benchmarks.
    Run(JobsRunArgs),
}

#[derive(Args)]
struct JobsRunArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    /// Run them as if it were this time (RFC 3339, e.g. 2027-01-31T09:00:00Z) instead of
    /// now: to see what a date will bring, on a copy of the database.
    #[arg(long)]
    at: Option<String>,
    /// Run only these jobs: stage-timers, scheduled-starts, reminders, expiry,
    /// audit-retention, expired-sign-ups, guest-lifecycle, session-clean-up.
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Walk the audit log's hash chain; name the first event that was altered, inserted or
    /// removed. Exits with status 1 when the chain does not verify.
    Verify(DatabaseArgs),
}

#[derive(Args)]
struct DemoArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    /// Also add a scaled organisation: 1 is the reference size (10,000 people, 2,000
    /// groups, 500 packages, 100,000 assignments, 1,000 pending requests, 1,000,000 audit
    /// events); 0.1 is a tenth of it.
    #[arg(long)]
    scale: Option<f64>,
}

#[derive(Args)]
struct DatabaseArgs {
    /// sqlite://PATH or postgres://USER@HOST:PORT/DB.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://./data/entrada.db"
    )]
    database_url: String,
}

#[derive(Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "ENTRADA_BIND", default_value = "127.0.0.1:8080")]
    bind: SocketAddr,
    #[command(flatten)]
    database: DatabaseArgs,
    /// Load the demo organisation when the database is empty.
    #[arg(long)]
    demo: bool,
    /// Folder holding the built web app (index.html).
    #[arg(long, env = "ENTRADA_STATIC_DIR", default_value = "dist")]
    static_dir: PathBuf,
    /// Mark the session cookie Secure (when served over HTTPS, e.g. behind a proxy).
    #[arg(long, env = "ENTRADA_SECURE_COOKIES")]
    secure_cookies: bool,
    /// The address people open Entrada at (e.g. https://entrada.example), when a proxy in
    /// front changes the Host header; browser requests that change data must come from it.
    #[arg(long, env = "ENTRADA_PUBLIC_ORIGIN")]
    public_origin: Option<String>,
    /// Take the client address from the proxy's X-Forwarded-For (only when Entrada is
    /// reachable solely through that proxy), so sign-in throttling is per real client.
    #[arg(long, env = "ENTRADA_TRUST_FORWARDED_FOR")]
    trust_forwarded_for: bool,
    /// Hours a session may stay unused before it ends.
    #[arg(long, env = "ENTRADA_SESSION_IDLE_HOURS", default_value_t = 12, value_parser = clap::value_parser!(u32).range(1..=720))]
    session_idle_hours: u32,
    /// The SMTP server to send mail through: smtp://HOST:PORT (plain; add ?tls=required
    /// for STARTTLS) or smtps://HOST:PORT, optionally with USER:PASSWORD@. Without it,
    /// messages stay in the outbox (the admin Outbox page shows them).
    #[arg(long, env = "ENTRADA_SMTP_URL")]
    smtp_url: Option<String>,
    /// The sender of the mail.
    #[arg(
        long,
        env = "ENTRADA_MAIL_FROM",
        default_value = "Entrada <entrada@localhost>"
    )]
    mail_from: String,
    /// Do not run the background jobs in this instance.
    #[arg(long)]
    no_jobs: bool,
    /// A file holding the bearer token a metrics scraper sends to GET /metrics
    /// (Authorization: Bearer …). Without it, only signed-in administrators read /metrics.
    #[arg(long, env = "ENTRADA_METRICS_TOKEN_FILE")]
    metrics_token_file: Option<PathBuf>,
    /// Sign people in through this OpenID provider (its issuer URL; discovery is at
    /// ISSUER/.well-known/openid-configuration). Register Entrada there with the redirect
    /// URI PUBLIC_ORIGIN/api/v1/session/oidc/callback.
    #[arg(long, env = "ENTRADA_OIDC_ISSUER", requires_all = ["oidc_client_id", "oidc_client_secret_file"])]
    oidc_issuer: Option<String>,
    /// Entrada's client id at the OpenID provider.
    #[arg(long, env = "ENTRADA_OIDC_CLIENT_ID", requires = "oidc_issuer")]
    oidc_client_id: Option<String>,
    /// A file holding Entrada's client secret at the OpenID provider.
    #[arg(
        long,
        env = "ENTRADA_OIDC_CLIENT_SECRET_FILE",
        requires = "oidc_issuer"
    )]
    oidc_client_secret_file: Option<PathBuf>,
    /// The provider's name on the sign-in page ("Sign in with NAME"); the issuer's host
    /// when not set.
    #[arg(long, env = "ENTRADA_OIDC_NAME")]
    oidc_name: Option<String>,
    /// The ID token claim people are matched by, against their e-mail address: email,
    /// preferred_username or sub.
    #[arg(long, env = "ENTRADA_OIDC_CLAIM", default_value = "email", value_parser = ["email", "preferred_username", "sub"])]
    oidc_claim: String,
    /// Whether people may sign in with a password: on, or off (only through the OpenID
    /// provider).
    #[arg(long, env = "ENTRADA_PASSWORD_SIGN_IN", default_value = "on", value_parser = ["on", "off"])]
    password_sign_in: String,
    #[command(flatten)]
    ldap: LdapArgs,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a member who can sign in; the password is read from standard input.
    Add {
        /// Sign-in e-mail.
        #[arg(long)]
        email: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// Make the person an administrator.
        #[arg(long)]
        admin: bool,
        /// Read the password from standard input (required: passwords never go on the command line).
        #[arg(long, required = true)]
        password_stdin: bool,
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

fn main() -> anyhow::Result<()> {
    limit_malloc_arenas();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run())
}

/// glibc gives threads that allocate at the same time arenas of their own (up to eight per
/// core), and each arena keeps what was freed in it. Under the benchmarks' load (issue 12:
/// a first paint, then the My Access list and the approvals inbox at 64 connections and
/// the audit log), the server's peak RSS on SQLite reached 111.9 MiB; with two arenas it
/// stayed at 69.3 MiB, at the same throughput.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn limit_malloc_arenas() {
    // SAFETY: mallopt only sets a parameter of the allocator, before any thread starts.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn limit_malloc_arenas() {}

async fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "entrada_server=info,tower_http=warn,sqlx=warn".into());
    match cli.log_format {
        LogFormat::Text => tracing_subscriber::fmt().with_env_filter(filter).init(),
        LogFormat::Json => tracing_subscriber::fmt()
            .json()
            .with_current_span(true)
            .with_env_filter(filter)
            .init(),
    }
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    match cli.command {
        Command::Serve(args) => serve(*args, clock).await,
        Command::Migrate(args) => {
            let (pool, _) = db::connect(&args.database_url).await?;
            db::migrate(&pool).await?;
            println!(
                "Migrations are up to date on {}.",
                redact(&args.database_url)
            );
            Ok(())
        }
        Command::Demo(args) => {
            let (pool, _) = db::connect(&args.database.database_url).await?;
            db::migrate(&pool).await?;
            match args.scale {
                None => report_demo(demo::load(&pool, clock.now()).await?),
                Some(factor) => {
                    let started = std::time::Instant::now();
                    let size = entrada_server::scale::grow(&pool, clock.now(), factor).await?;
                    println!(
                        "Grew the demo organisation (scale {factor}) in {:.1} s: {} people, {} groups, {} access packages, {} assignments, {} pending requests ({} waiting for {}), {} audit events or more.",
                        started.elapsed().as_secs_f64(),
                        size.people,
                        size.groups,
                        size.packages,
                        size.assignments,
                        size.pending_requests,
                        size.busiest_inbox,
                        entrada_server::scale::person_email(0),
                        size.audit_events,
                    );
                }
            }
            Ok(())
        }
        Command::Audit {
            command: AuditCommand::Verify(args),
        } => {
            let (pool, _) = db::connect(&args.database_url).await?;
            db::migrate(&pool).await?;
            let check = entrada_server::audit::verify(&pool).await?;
            let range = match (check.first_seq, check.last_seq) {
                (Some(first), Some(last)) => format!(" (sequence {first} to {last})"),
                _ => String::new(),
            };
            match &check.first_bad {
                None => {
                    println!("The audit log verifies: {} events{range}.", check.events);
                    Ok(())
                }
                Some(bad) => {
                    println!(
                        "The audit log does NOT verify: {} events check out{range}, then event {}{} fails: {}.",
                        check.events,
                        bad.seq,
                        bad.id.as_deref().map(|id| format!(" ({id})")).unwrap_or_default(),
                        bad.reason
                    );
                    std::process::exit(1);
                }
            }
        }
        Command::Jobs {
            command: JobsCommand::Run(args),
        } => {
            let now = match &args.at {
                Some(at) => {
                    time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339)
                        .with_context(|| format!("--at {at:?} is not an RFC 3339 time"))?
                }
                None => clock.now(),
            };
            let (pool, _) = db::connect(&args.database.database_url).await?;
            db::migrate(&pool).await?;
            let started = std::time::Instant::now();
            let outcome = match args.only.is_empty() {
                true => entrada_server::jobs::run_once(&pool, now).await?,
                false => entrada_server::jobs::run_only(&pool, now, &args.only)
                    .await
                    .with_context(|| {
                        format!(
                            "--only names a job that does not exist; the jobs are {}",
                            entrada_server::jobs::JOBS.join(", ")
                        )
                    })?,
            };
            let seconds = started.elapsed().as_secs_f64();
            let mut report = serde_json::to_value(&outcome)?;
            report["seconds"] = serde_json::json!(seconds);
            println!("{report}");
            if outcome.failed > 0 {
                std::process::exit(1);
            }
            Ok(())
        }
        Command::Directory {
            command: DirectoryCommand::Sync(args),
        } => {
            let Some(ldap) = args.ldap.config()? else {
                anyhow::bail!("entrada directory sync needs --ldap-url, --bind-dn, --password-file and --base-dn");
            };
            let (pool, _) = db::connect(&args.database.database_url).await?;
            db::migrate(&pool).await?;
            let mode = args
                .full
                .then_some(entrada_domain::directory_sync::SyncMode::Full);
            let outcome =
                entrada_server::directory_sync::sync(&pool, &ldap, mode, "command", clock.now())
                    .await
                    .with_context(|| format!("syncing from {}", ldap.url))?;
            println!("{}", serde_json::to_string_pretty(&outcome)?);
            Ok(())
        }
        Command::Backup(args) => {
            let url = &args.database.database_url;
            let started = std::time::Instant::now();
            let bytes = db::backup(url, &args.file)
                .await
                .with_context(|| format!("backing up {}", redact(url)))?;
            println!(
                "Backed up {} to {} ({:.1} MB in {:.1} s).",
                redact(url),
                args.file.display(),
                bytes as f64 / 1_000_000.0,
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::Scim { command } => scim_command(command, clock).await,
        Command::User {
            command:
                UserCommand::Add {
                    email,
                    name,
                    admin,
                    password_stdin: _,
                    database,
                },
        } => {
            let mut password = String::new();
            std::io::stdin()
                .read_to_string(&mut password)
                .context("reading the password from standard input")?;
            let password = password.trim_end_matches(['\r', '\n']).to_owned();
            let (pool, _) = db::connect(&database.database_url).await?;
            db::migrate(&pool).await?;
            let member = NewMember {
                email: email.clone(),
                display_name: name,
                administrator: admin,
                password,
            };
            let id = add_member(&pool, member, clock.now()).await?;
            println!(
                "Created {} ({email}){}.",
                id,
                if admin { " as an administrator" } else { "" }
            );
            Ok(())
        }
    }
}

async fn serve(args: ServeArgs, clock: Arc<dyn Clock>) -> anyhow::Result<()> {
    let static_dir = args
        .static_dir
        .join("index.html")
        .is_file()
        .then(|| args.static_dir.clone());
    if static_dir.is_none() {
        eprintln!(
            "warning: {} has no index.html; the web app is not served (build it with `cargo xtask serve`).",
            args.static_dir.display()
        );
    }
    let mut config = Config::new(args.bind, args.database.database_url.clone());
    config.oidc = oidc_config(&args)?;
    config.static_dir = static_dir;
    config.secure_cookies = args.secure_cookies;
    config.public_origin = args.public_origin;
    config.trust_forwarded_for = args.trust_forwarded_for;
    config.sessions.idle = time::Duration::hours(i64::from(args.session_idle_hours));
    config.run_jobs = !args.no_jobs;
    config.smtp_url = args.smtp_url;
    config.mail_from = args.mail_from;
    config.metrics_token = match &args.metrics_token_file {
        Some(file) => Some(read_metrics_token(file)?),
        None => None,
    };
    config.password_sign_in = args.password_sign_in == "on";
    config.ldap = args.ldap.config()?;
    if !config.password_sign_in && config.oidc.is_none() {
        anyhow::bail!("--password-sign-in off needs an OpenID provider (--oidc-issuer …): otherwise nobody could sign in");
    }
    let app = App::build(config, clock.clone())
        .await
        .with_context(|| format!("starting on {}", redact(&args.database.database_url)))?;
    if args.demo {
        report_demo(demo::load(app.db(), clock.now()).await?);
    }
    let address = app.local_addr();
    println!(
        "Entrada is serving on http://{address} (database: {})",
        redact(&args.database.database_url)
    );
    if args.demo {
        println!("Demo accounts (password: {}):", demo::DEMO_PASSWORD);
        for account in demo::accounts() {
            println!("  {:<36} {}", account.email, account.role);
        }
    }
    println!("Press Ctrl-C to stop.");
    app.run().await.context("serving")?;
    Ok(())
}

/// The OpenID provider of `--oidc-issuer`, `--oidc-client-id` and
/// `--oidc-client-secret-file` (clap makes sure they come together).
fn oidc_config(args: &ServeArgs) -> anyhow::Result<Option<entrada_server::oidc::OidcConfig>> {
    let (Some(issuer), Some(client_id), Some(file)) = (
        &args.oidc_issuer,
        &args.oidc_client_id,
        &args.oidc_client_secret_file,
    ) else {
        return Ok(None);
    };
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("reading the OpenID client secret file {}", file.display()))?;
    let secret = text.lines().next().unwrap_or_default().trim().to_owned();
    if secret.is_empty() {
        anyhow::bail!("the OpenID client secret file {} is empty", file.display());
    }
    let parsed = url::Url::parse(issuer)
        .with_context(|| format!("--oidc-issuer {issuer:?} is not a URL"))?;
    let name = match (&args.oidc_name, parsed.host_str()) {
        (Some(name), _) => name.clone(),
        (None, Some(host)) => host.to_owned(),
        (None, None) => issuer.clone(),
    };
    Ok(Some(entrada_server::oidc::OidcConfig {
        issuer: issuer.clone(),
        client_id: client_id.clone(),
        client_secret: secret,
        name,
        claim: entrada_server::oidc::MatchClaim::parse(&args.oidc_claim).unwrap_or_default(),
    }))
}

/// The metrics token in `file`: its first line, at least 16 characters, so a guessable
/// token is refused at start rather than trusted.
fn read_metrics_token(file: &std::path::Path) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("reading the metrics token file {}", file.display()))?;
    let token = text.lines().next().unwrap_or_default().trim().to_owned();
    if token.chars().count() < 16 {
        anyhow::bail!(
            "the metrics token in {} is {} characters long; use at least 16 (for example: head -c 24 /dev/urandom | base64 > {})",
            file.display(),
            token.chars().count(),
            file.display()
        );
    }
    Ok(token)
}

fn report_demo(outcome: DemoOutcome) {
    match outcome {
        DemoOutcome::Loaded { people, packages } => {
            println!("Loaded the demo organisation Lakeshore Labs: {people} people, {packages} access packages.")
        }
        DemoOutcome::AlreadyPopulated => {
            println!("The database already has people in it; the demo organisation was not loaded.")
        }
    }
}

#[derive(Subcommand)]
enum ScimCommand {
    /// Manage SCIM tokens.
    Token {
        #[command(subcommand)]
        command: ScimTokenCommand,
    },
}

#[derive(Subcommand)]
enum ScimTokenCommand {
    /// Make a token for an identity provider and print it (the only time it is shown).
    Create {
        /// What the token is for, e.g. okta: shown in the audit log and on Integrations.
        #[arg(long)]
        name: String,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// List the tokens: name, when made, when last used, whether revoked.
    List {
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Revoke a token: SCIM requests with it are refused from now on.
    Revoke {
        /// The token's name.
        name: String,
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

/// `entrada scim token create|list|revoke`.
async fn scim_command(command: ScimCommand, clock: Arc<dyn Clock>) -> anyhow::Result<()> {
    let ScimCommand::Token { command } = command;
    let url = match &command {
        ScimTokenCommand::Create { database, .. }
        | ScimTokenCommand::List { database }
        | ScimTokenCommand::Revoke { database, .. } => database.database_url.clone(),
    };
    let (pool, _) = db::connect(&url).await?;
    db::migrate(&pool).await?;
    match command {
        ScimTokenCommand::Create { name, .. } => {
            let token = entrada_server::scim::create_token(&pool, &name, clock.now()).await?;
            println!("{token}");
            eprintln!(
                "Made the SCIM token {name:?}. It is shown only now: give it to the identity provider as the bearer token for https://HOST/scim/v2."
            );
        }
        ScimTokenCommand::List { .. } => {
            let tokens = entrada_server::scim::list_tokens(&pool).await?;
            if tokens.is_empty() {
                println!("No SCIM tokens. Make one with `entrada scim token create --name NAME`.");
            }
            let moment = |at: time::OffsetDateTime| {
                at.format(&time::format_description::well_known::Rfc3339)
                    .unwrap_or_default()
            };
            for token in tokens {
                println!(
                    "{}\tcreated {}\tlast used {}{}",
                    token.name,
                    moment(token.created_at),
                    token
                        .last_used_at
                        .map(moment)
                        .unwrap_or_else(|| "never".to_owned()),
                    if token.revoked { "\trevoked" } else { "" }
                );
            }
        }
        ScimTokenCommand::Revoke { name, .. } => {
            entrada_server::scim::revoke_token(&pool, &name, clock.now()).await?;
            println!("Revoked the SCIM token {name:?}.");
        }
    }
    Ok(())
}
