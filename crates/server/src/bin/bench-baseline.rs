//! The benchmarks' baseline (`cargo xtask bench`): axum on the same runtime as the server,
//! answering every GET with one body held in memory. The server's figures are reported as
//! ratios to this one's, measured in the same run on the same machine.
//!
//! `bench-baseline BIND BODY_FILE`

use axum::http::header;
use axum::Router;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(bind), Some(path)) = (args.next(), args.next()) else {
        eprintln!("usage: bench-baseline BIND BODY_FILE");
        std::process::exit(2);
    };
    let body = axum::body::Bytes::from(std::fs::read(&path)?);
    let app = Router::new().fallback(move || {
        let body = body.clone();
        async move { ([(header::CONTENT_TYPE, "application/json")], body) }
    });
    let listener = tokio::net::TcpListener::bind(&bind).await?;
    axum::serve(listener, app).await
}
