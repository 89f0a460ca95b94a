//! `agentcore-agent`: the AgentCore agent runtime in Rust, a drop-in twin of `agent_image/`.
//!
//! Usage: `agentcore-agent [--host 0.0.0.0] [--port 8080]`; configuration from the environment
//! (`settings`). A bad value stops the process with `agent: configuration error: ...`. SIGTERM
//! (or Ctrl-C) stops accepting connections and lets answers in flight finish, for up to 25 s.

mod calc;
mod credentials;
mod document;
mod errors;
mod history;
mod logs;
mod memory;
mod model;
mod otlp_http;
mod outbound;
mod payload;
mod server;
mod sessions;
mod settings;
mod telemetry;
mod tools;

use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};
use aws_credential_types::provider::SharedCredentialsProvider;

const SHUTDOWN_GRACE: Duration = Duration::from_secs(25);
/// How long a stopping agent waits for turns answered but not yet stored in Memory.
const MEMORY_FLUSH: Duration = Duration::from_secs(10);

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
    // The endpoint (AWS_ENDPOINT_URL_BEDROCK_RUNTIME) and the rest come from the SDK's standard
    // sources; credentials from its chain plus the metadata service's plain GETs (`credentials`);
    // region, retries and timeouts are the agent's own settings.
    // One client for the agent's own outbound HTTP (metadata GETs, span exports): the system's
    // certificate roots are read once.
    let http = match outbound::client() {
        Ok(http) => http,
        Err(message) => {
            eprintln!("agent: {message}");
            return ExitCode::FAILURE;
        }
    };
    let credentials = SharedCredentialsProvider::new(
        credentials::AgentCredentials::new(&settings.region, http.clone()).await,
    );
    let tracing = match telemetry::start(
        settings.traces.as_ref(),
        &settings.region,
        credentials.clone(),
        http,
    ) {
        Ok(provider) => provider,
        Err(message) => {
            eprintln!("agent: {message}");
            return ExitCode::FAILURE;
        }
    };
    let config = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(settings.region.clone()))
        .credentials_provider(credentials)
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
        retry_budget: settings.model_retry_budget,
        read_timeout: settings.model_read_timeout,
        max_attempts: settings.model_max_attempts,
        tools: tools::configuration(),
    };
    // AgentCore Memory, when the component gave the runtime one: its own retries and timeouts,
    // shorter than the model's (a restore is on the turn's path).
    let memory = settings.memory_id.clone().map(|memory_id| {
        let client = aws_sdk_bedrockagentcore::config::Builder::from(&config)
            .retry_config(RetryConfig::standard().with_max_attempts(3))
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(5))
                    .read_timeout(Duration::from_secs(10))
                    .build(),
            )
            .build();
        memory::ConversationMemory::new(
            aws_sdk_bedrockagentcore::Client::from_conf(client),
            memory_id,
            settings.memory_namespaces.clone(),
        )
    });
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
        memory: memory.clone(),
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
    let code = tokio::select! {
        served = server => match served {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                logs::log(logs::Level::Error, "agent", "server failed", fields! {"exception" => error.to_string()});
                ExitCode::FAILURE
            }
        },
        () = grace => {
            logs::log(logs::Level::Warning, "agent", "answers still in flight after the grace period", fields! {});
            ExitCode::SUCCESS
        }
    };
    if let Some(memory) = memory {
        memory.flush(MEMORY_FLUSH).await; // turns answered but not yet stored
    }
    if let Some(provider) = tracing {
        // Flush the spans still queued (the batch processor's thread exports through this runtime).
        let flushed = tokio::task::spawn_blocking(move || provider.shutdown()).await;
        if let Ok(Err(error)) = flushed {
            logs::log(
                logs::Level::Warning,
                "agent",
                "spans not flushed at shutdown",
                fields! {"exception" => error.to_string()},
            );
        }
    }
    logs::log(logs::Level::Info, "agent", "agent stopped", fields! {});
    code
}

async fn shutdown_signal() {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("a SIGTERM handler");
    tokio::select! {
        _ = terminate.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}
