//! `loopdesk-sandbox`: serve the CareLoop API sandbox and print one JSON line on start.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use loopdesk_sandbox::{DataSize, KeySpec, Sandbox, SandboxConfig, WebhookTarget};

#[derive(Parser, Debug)]
#[command(
    name = "loopdesk-sandbox",
    version,
    about = "A local CareLoop API sandbox"
)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8787")]
    listen: SocketAddr,
    /// Seed of the data generator.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// small (1 home, 40 residents), medium (3, 300) or large (10, 2,000).
    #[arg(long, default_value = "small", value_parser = ["small", "medium", "large"])]
    size: String,
    /// An API key, TOKEN=SCOPE,SCOPE (repeatable). Without any, one admin key is created.
    #[arg(long = "key", value_name = "TOKEN=SCOPES")]
    keys: Vec<String>,
    /// Webhook URL (repeatable; each needs a --webhook-secret, in the same order).
    #[arg(long = "webhook-url", value_name = "URL")]
    webhook_urls: Vec<String>,
    /// Secret for the webhook URL in the same position.
    #[arg(long = "webhook-secret", value_name = "SECRET")]
    webhook_secrets: Vec<String>,
    /// Divide the webhook retry schedule and the no-show grace period by N.
    #[arg(long, default_value_t = 1.0)]
    time_scale: f64,
    /// Keep state in this SQLite file across restarts.
    #[arg(long = "data", value_name = "FILE")]
    data: Option<PathBuf>,
    /// Serve the /v1/_test/* controls (clock, events, faults).
    #[arg(long)]
    test_controls: bool,
    /// Ignore Idempotency-Key, as an API that does not support it: every request is processed.
    #[arg(long)]
    ignore_idempotency_keys: bool,
    /// Lift the rate limits (120/min and 30 per 5 s per key), e.g. for conformance runs.
    #[arg(long)]
    no_rate_limits: bool,
    /// Print the OpenAPI 3.1 document (with --test-controls: including them) and exit.
    #[arg(long)]
    print_openapi: bool,
}

fn config(args: Args) -> Result<SandboxConfig, String> {
    if args.webhook_urls.len() != args.webhook_secrets.len() {
        return Err("every --webhook-url needs one --webhook-secret".into());
    }
    let keys = args
        .keys
        .iter()
        .map(|k| k.parse::<KeySpec>().map_err(|e| e.to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(SandboxConfig {
        listen: args.listen,
        seed: args.seed,
        size: args.size.parse::<DataSize>().map_err(|e| e.to_string())?,
        keys,
        webhooks: args
            .webhook_urls
            .into_iter()
            .zip(args.webhook_secrets)
            .map(|(url, secret)| WebhookTarget { url, secret })
            .collect(),
        time_scale: args.time_scale,
        data_file: args.data,
        test_controls: args.test_controls,
        honour_idempotency_keys: !args.ignore_idempotency_keys,
        rate_limits: !args.no_rate_limits,
        ..SandboxConfig::default()
    })
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    if args.print_openapi {
        println!(
            "{:#}",
            loopdesk_sandbox::http::openapi::document(args.test_controls)
        );
        return ExitCode::SUCCESS;
    }
    let cfg = match config(args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("loopdesk-sandbox: {e}");
            return ExitCode::from(2);
        }
    };
    let sandbox = match Sandbox::start(cfg).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("loopdesk-sandbox: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    // A struct keeps the documented field order: {"base_url", "keys": [{"token", "scopes"}]}.
    #[derive(serde::Serialize)]
    struct StartLine<'a> {
        base_url: &'a str,
        keys: &'a [loopdesk_sandbox::KeyInfo],
    }
    let line = StartLine {
        base_url: sandbox.base_url(),
        keys: sandbox.keys(),
    };
    match serde_json::to_string(&line) {
        Ok(line) => println!("{line}"),
        Err(e) => {
            eprintln!("loopdesk-sandbox: {e}");
            return ExitCode::FAILURE;
        }
    }
    wait_for_signal().await;
    match sandbox.shutdown().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("loopdesk-sandbox: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Ctrl-C, or SIGTERM where there are signals (a service manager's stop).
async fn wait_for_signal() {
    #[cfg(unix)]
    if let Ok(mut term) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
    {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
        return;
    }
    let _ = tokio::signal::ctrl_c().await;
}
