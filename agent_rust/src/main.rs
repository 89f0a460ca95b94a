//! `agentcore-agent`: the AgentCore agent runtime in Rust, a drop-in twin of `agent_image/`.
//!
//! Usage: `agentcore-agent [--host 0.0.0.0] [--port 8080]`; configuration from the environment
//! (`settings`). A bad value stops the process with `agent: configuration error: ...`. SIGTERM
//! (or Ctrl-C) stops accepting connections and lets answers in flight finish, for up to 25 s.

mod calc;
mod document;
mod errors;
mod logs;
mod model;
mod payload;
mod server;
mod sessions;
mod settings;
mod tools;

use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};

const SHUTDOWN_GRACE: Duration = Duration::from_secs(25);

fn main() -> ExitCode {
    let environment: HashMap<String, String> = std::env::vars().collect();
    let settings = match settings::Settings::from_env(&environment) {
        Ok(settings) => settings,
        Err(message) => {
            eprintln!("agent: configuration error: {message}");
            return ExitCode::FAILURE;
        }
    };
    let (host, port) = match listen_address(std::env::args().skip(1)) {
        Ok(address) => address,
        Err(message) => {
            eprintln!("agent: {message}");
            return ExitCode::from(2);
        }
    };
    logs::configure(&settings.log_level);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a Tokio runtime");
    runtime.block_on(serve(settings, host, port))
}

/// `--host H --port P` (defaults 0.0.0.0 and 8080, AgentCore's port).
fn listen_address(mut args: impl Iterator<Item = String>) -> Result<(String, u16), String> {
    let (mut host, mut port) = ("0.0.0.0".to_string(), 8080u16);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--host" => host = value,
            "--port" => {
                port = value
                    .parse()
                    .map_err(|_| format!("--port must be a port number; got {value}"))?
            }
            other => return Err(format!("unknown argument {other}; use --host and --port")),
        }
    }
    Ok((host, port))
}

async fn serve(settings: settings::Settings, host: String, port: u16) -> ExitCode {
    // Credentials, endpoint (AWS_ENDPOINT_URL_BEDROCK_RUNTIME) and the rest come from the SDK's
    // standard chain; only region, retries and timeouts are the agent's own settings.
    let config = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(settings.region.clone()))
        .retry_config(RetryConfig::standard().with_max_attempts(settings.model_max_attempts))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(settings.model_connect_timeout)
                .read_timeout(settings.model_read_timeout)
                .build(),
        )
        .load()
        .await;
    let model = model::Model {
        client: aws_sdk_bedrockruntime::Client::new(&config),
        model_id: settings.model_id.clone(),
        system_prompt: settings.system_prompt.clone(),
        retry_budget: settings.model_retry_budget,
        read_timeout: settings.model_read_timeout,
        max_attempts: settings.model_max_attempts,
        tools: tools::configuration(),
    };
    let listener = match tokio::net::TcpListener::bind((host.as_str(), port)).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("agent: cannot listen on {host}:{port}: {error}");
            return ExitCode::FAILURE;
        }
    };
    logs::log(
        logs::Level::Info,
        "agent",
        "agent ready",
        fields! {"model_id" => settings.model_id, "region" => settings.region, "max_sessions" => settings.max_sessions},
    );
    let app = Arc::new(server::App {
        sessions: sessions::SessionStore::new(settings.max_sessions),
        settings,
        model,
        status_since: chrono::Utc::now().timestamp(),
    });
    let stopping = Arc::new(tokio::sync::Notify::new());
    let signalled = stopping.clone();
    let server = axum::serve(listener, server::router(app)).with_graceful_shutdown(async move {
        shutdown_signal().await;
        logs::log(
            logs::Level::Info,
            "agent",
            "shutting down; finishing answers in flight",
            fields! {},
        );
        signalled.notify_one();
    });
    let grace = async {
        stopping.notified().await;
        tokio::time::sleep(SHUTDOWN_GRACE).await;
    };
    tokio::select! {
        served = server => {
            if let Err(error) = served {
                logs::log(logs::Level::Error, "agent", "server failed", fields! {"exception" => error.to_string()});
                return ExitCode::FAILURE;
            }
        }
        () = grace => logs::log(logs::Level::Warning, "agent", "answers still in flight after the grace period", fields! {}),
    }
    logs::log(logs::Level::Info, "agent", "agent stopped", fields! {});
    ExitCode::SUCCESS
}

async fn shutdown_signal() {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("a SIGTERM handler");
    tokio::select! {
        _ = terminate.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}
