//! The HTTP contract AgentCore Runtime calls: `GET /ping` and `POST /invocations`, everything else
//! a JSON 404/405, and one JSON access-log line per request. The same answers as `agent_image`
//! (docs/agent-api.md): JSON or SSE, the session header, the error bodies and the limits.
//!
//! Each turn runs in a task of its own and reports through a channel; the request's handler (or
//! its SSE body) holds the receiving end, so a client that leaves drops it and the turn stops at
//! once, even while it waits for its session's earlier turns.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Router;
use axum::body::{Body, HttpBody as _};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use futures_util::StreamExt;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::errors::{self, ApiError};
use crate::fields;
use crate::history::{Conversation, Stored};
use crate::logs::{self, Level};
use crate::memory::{self, ConversationMemory};
use crate::model::{Failure, FinalAnswer, Model, TurnEvent};
use crate::payload::{BadRequest, parse_invocation};
use crate::sessions::SessionStore;
use crate::settings::Settings;
use crate::telemetry;

pub const SESSION_HEADER: &str = "x-amzn-bedrock-agentcore-runtime-session-id";
pub const REQUEST_ID_HEADER: &str = "x-amzn-bedrock-agentcore-runtime-request-id";
const MAX_SESSION_ID_CHARS: usize = 256;
/// Between actor and session id in the session store's key (it cannot occur in an actor id).
const ACTOR_SEPARATOR: char = '|';

pub struct App {
    pub settings: Settings,
    pub model: Model,
    /// AgentCore Memory, when the runtime has one (`memory`).
    pub memory: Option<Arc<ConversationMemory>>,
    pub sessions: Arc<SessionStore>,
    /// `/ping`'s `time_of_last_update`: the status has not changed since start-up.
    pub status_since: i64,
}

/// What a handler tells the access log about its request (filled in as the answer goes out).
#[derive(Default)]
struct Notes {
    error_code: Option<&'static str>,
    stream: bool,
}

type SharedNotes = Arc<Mutex<Notes>>;

pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/ping", get(ping))
        .route("/invocations", post(invocations))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn(access_log))
        .with_state(app)
}

async fn ping(State(app): State<Arc<App>>) -> Response {
    json_response(
        StatusCode::OK,
        &json!({"status": "Healthy", "time_of_last_update": app.status_since}),
        None,
    )
}

async fn not_found(uri: Uri, request: Request) -> Response {
    let message = format!(
        "No route {}; use POST /invocations or GET /ping.",
        uri.path()
    );
    error_response(&request_notes(&request), 404, "not_found", &message, None)
}

async fn method_not_allowed(method: Method, uri: Uri, request: Request) -> Response {
    let message = format!("{method} is not allowed on {}.", uri.path());
    error_response(
        &request_notes(&request),
        405,
        "method_not_allowed",
        &message,
        None,
    )
}

fn request_notes(request: &Request) -> SharedNotes {
    request
        .extensions()
        .get::<SharedNotes>()
        .cloned()
        .unwrap_or_default()
}

async fn invocations(State(app): State<Arc<App>>, request: Request) -> Response {
    let notes = request_notes(&request);
    let trace = request
        .extensions()
        .get::<opentelemetry::Context>()
        .cloned()
        .unwrap_or_default();
    let headers = request.headers().clone();
    let requested = headers
        .get(SESSION_HEADER)
        .and_then(|value| value.to_str().ok())
        .map(str::to_string);
    if requested
        .as_ref()
        .is_some_and(|id| id.chars().count() > MAX_SESSION_ID_CHARS)
    {
        let message = format!(
            "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id is longer than {MAX_SESSION_ID_CHARS} characters."
        );
        return error_response(&notes, 400, "invalid_session_id", &message, None);
    }
    let known = requested.as_deref().filter(|id| !id.is_empty());
    let Some(body) = read_body(request, app.settings.max_body_bytes()).await else {
        return api_error(&notes, errors::PAYLOAD_TOO_LARGE, known);
    };
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    let invocation = match parse_invocation(&body, accept, app.settings.max_prompt_chars) {
        Ok(invocation) => invocation,
        Err(BadRequest {
            status,
            code,
            message,
        }) => return error_response(&notes, status, code, &message, known),
    };
    // With Memory, a conversation is the actor's: another actor sending the same session id gets
    // its own.
    let actor = match app.memory.as_ref().map(|_| memory::actor_id(&headers)) {
        Some(Err(message)) => {
            return error_response(&notes, 400, "invalid_actor_id", &message, known);
        }
        Some(Ok(actor)) => Some(actor),
        None => None,
    };
    let session_id = known
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    notes.lock().expect("notes lock").stream = invocation.stream;
    let turn = Turn {
        session_id: session_id.clone(),
        actor,
        prompt: invocation.prompt,
        trace,
    };
    let mut events = start_turn(app, turn);
    if invocation.stream {
        return stream_answer(events, notes, session_id).await;
    }
    while let Some(event) = events.recv().await {
        match event {
            TurnEvent::Delta(_) => {}
            TurnEvent::Final(answer) => {
                let mut body = final_body(&answer);
                body["session_id"] = Value::String(session_id.clone());
                return json_response(StatusCode::OK, &body, Some(&session_id));
            }
            TurnEvent::Failed(failure) => return api_error(&notes, failure.api, Some(&session_id)),
        }
    }
    api_error(&notes, errors::INTERNAL, Some(&session_id))
}

/// One request's turn: its session, the actor it belongs to (with Memory), prompt and span.
struct Turn {
    session_id: String,
    actor: Option<String>,
    prompt: String,
    trace: opentelemetry::Context,
}

/// Run the turn in its own task; it ends early once the returned receiver is dropped.
fn start_turn(app: Arc<App>, turn: Turn) -> mpsc::Receiver<TurnEvent> {
    let (sender, receiver) = mpsc::channel(64);
    tokio::spawn(async move {
        let key = match &turn.actor {
            Some(actor) => format!("{actor}{ACTOR_SEPARATOR}{}", turn.session_id),
            None => turn.session_id.clone(),
        };
        let checkout = app.sessions.checkout(&key);
        let mut conversation = tokio::select! {
            conversation = checkout.history.clone().lock_owned() => conversation,
            _ = sender.closed() => return, // the caller left while the session was busy
        };
        let memory = app.memory.as_ref().zip(turn.actor.as_deref());
        let system = match memory {
            Some((memory, actor)) => {
                if let Err(failure) =
                    remember(memory, actor, &turn.session_id, &mut conversation).await
                {
                    log_failure(&failure);
                    let _ = sender.send(TurnEvent::Failed(failure)).await;
                    return;
                }
                with_records(
                    &app.settings.system_prompt,
                    memory.recall(actor, &turn.session_id, &turn.prompt).await,
                )
            }
            None => app.settings.system_prompt.clone(),
        };
        let outcome = app
            .model
            .turn(
                &mut conversation.messages,
                &turn.prompt,
                &system,
                &sender,
                &turn.trace,
                &turn.session_id,
            )
            .await;
        match (outcome, memory) {
            (Ok(first_new), Some((memory, actor))) => {
                let messages = conversation.messages[first_new..]
                    .iter()
                    .map(Stored::to_strands)
                    .collect();
                memory.save(actor, &turn.session_id, messages);
            }
            (Err(Some(failure)), _) => log_failure(&failure),
            _ => {}
        }
    });
    receiver
}

/// Restore the session's conversation from Memory before its first turn in this process.
async fn remember(
    memory: &ConversationMemory,
    actor: &str,
    session_id: &str,
    conversation: &mut Conversation,
) -> Result<(), Failure> {
    if conversation.loaded {
        return Ok(());
    }
    match memory.restore(actor, session_id).await {
        Ok(restored) => {
            conversation.messages = restored;
            conversation.loaded = true;
            Ok(())
        }
        Err(cause) => Err(Failure {
            api: errors::MEMORY_UNAVAILABLE,
            exception: "MemoryUnavailable".into(),
            cause,
        }),
    }
}

/// The system prompt with the actor's long-term records, as the Python agent words it.
fn with_records(system: &str, records: Vec<String>) -> String {
    if records.is_empty() {
        return system.to_string();
    }
    let lines: Vec<String> = records.iter().map(|record| format!("- {record}")).collect();
    format!(
        "{system}\n\nWhat you remember about this user from earlier conversations:\n{}",
        lines.join("\n")
    )
}

fn log_failure(failure: &Failure) {
    let (level, message) = if failure.api == errors::INTERNAL {
        (Level::Error, "agent turn failed unexpectedly")
    } else {
        (Level::Warning, "agent turn failed")
    };
    logs::log(
        level,
        "agent",
        message,
        fields! {"error_code" => failure.api.code, "exception" => failure.exception, "cause" => failure.cause},
    );
}

/// SSE: deltas then one final event; a failure before the first event is a JSON error with its
/// status, after it an error event (the 200 is already out).
async fn stream_answer(
    mut events: mpsc::Receiver<TurnEvent>,
    notes: SharedNotes,
    session_id: String,
) -> Response {
    let first = match events.recv().await {
        Some(TurnEvent::Failed(failure)) => {
            return api_error(&notes, failure.api, Some(&session_id));
        }
        None => return api_error(&notes, errors::INTERNAL, Some(&session_id)),
        Some(first) => first,
    };
    let rest = futures_util::stream::unfold(events, |mut events| async move {
        events.recv().await.map(|event| (event, events))
    });
    let frames = futures_util::stream::iter([first])
        .chain(rest)
        .map(move |event| {
            let data = match event {
                TurnEvent::Delta(text) => json!({"delta": text}),
                TurnEvent::Final(answer) => final_body(&answer),
                TurnEvent::Failed(failure) => {
                    notes.lock().expect("notes lock").error_code = Some(failure.api.code);
                    failure.api.body()
                }
            };
            Ok::<_, std::convert::Infallible>(format!("data: {data}\n\n"))
        });
    let mut response = Body::from_stream(frames).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    insert_session(headers, Some(&session_id));
    response
}

fn final_body(answer: &FinalAnswer) -> Value {
    json!({
        "completion": answer.completion,
        "stop_reason": answer.stop_reason,
        "usage": {
            "input_tokens": answer.usage.input_tokens,
            "output_tokens": answer.usage.output_tokens,
            "total_tokens": answer.usage.total_tokens,
        },
    })
}

/// The body, or `None` once it exceeds `limit` bytes: a declared length over the limit is
/// refused without waiting for the body; a chunked one is read no further than the limit.
///
/// Why the rest of a refused body is still read and dropped (up to `DRAIN_BYTES`, for at most
/// `DRAIN_TIME`): closing a connection with unread data resets it, and the client would lose the
/// 413 it is owed. A body larger than that is not waited for.
async fn read_body(request: Request, limit: usize) -> Option<Vec<u8>> {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    let mut body = request.into_body();
    if let Some(length) = declared.filter(|length| *length > limit as u64) {
        if length <= (limit + DRAIN_BYTES) as u64 {
            drain(body).await;
        }
        return None;
    }
    let mut bytes = Vec::new();
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else {
            return Some(Vec::new()); // the client left mid-body: nothing to answer
        };
        if let Some(data) = frame.data_ref() {
            bytes.extend_from_slice(data);
            if bytes.len() > limit {
                drain(body).await;
                return None;
            }
        }
    }
    Some(bytes)
}

const DRAIN_BYTES: usize = 1 << 20;
const DRAIN_TIME: std::time::Duration = std::time::Duration::from_secs(5);

async fn drain(mut body: Body) {
    let mut drained = 0usize;
    let _ = tokio::time::timeout(DRAIN_TIME, async {
        while let Some(Ok(frame)) = body.frame().await {
            drained += frame.data_ref().map_or(0, |data| data.len());
            if drained > DRAIN_BYTES {
                break;
            }
        }
    })
    .await;
}

fn api_error(notes: &SharedNotes, error: ApiError, session: Option<&str>) -> Response {
    error_response(notes, error.status, error.code, error.message, session)
}

fn error_response(
    notes: &SharedNotes,
    status: u16,
    code: &'static str,
    message: &str,
    session: Option<&str>,
) -> Response {
    notes.lock().expect("notes lock").error_code = Some(code);
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    json_response(status, &json!({"error": message, "code": code}), session)
}

fn json_response(status: StatusCode, body: &Value, session: Option<&str>) -> Response {
    let mut response = (status, body.to_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    insert_session(headers, session);
    response
}

fn insert_session(headers: &mut HeaderMap, session: Option<&str>) {
    if let Some(value) = session.and_then(|id| HeaderValue::from_str(id).ok()) {
        headers.insert(SESSION_HEADER, value);
    }
}

/// One log line per request once its answer has ended (for a stream, when the last frame went
/// out or the client left). Successful `/ping`s, every few seconds per session, are DEBUG.
async fn access_log(mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    let notes = SharedNotes::default();
    request.extensions_mut().insert(notes.clone());
    // Every request but the health check gets a server span (AgentCore pings every few seconds).
    let path = request.uri().path();
    let span = (path != "/ping").then(|| {
        let route = (path == "/invocations").then_some("/invocations");
        let session = request
            .headers()
            .get(SESSION_HEADER)
            .and_then(|v| v.to_str().ok());
        telemetry::server_span(
            request.headers(),
            request.method().as_str(),
            path,
            route,
            session,
        )
    });
    if let Some(span) = &span {
        request.extensions_mut().insert(span.clone());
    }
    let headers = request.headers();
    let header_text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let mut line = AccessLine {
        started,
        method: request.method().to_string(),
        path: request.uri().path().to_string(),
        request_id: header_text(REQUEST_ID_HEADER),
        session_id: header_text(SESSION_HEADER),
        status: 500,
        notes,
        span,
    };
    let response = next.run(request).await;
    line.status = response.status().as_u16();
    if let Some(session) = response
        .headers()
        .get(SESSION_HEADER)
        .and_then(|v| v.to_str().ok())
    {
        line.session_id = Some(session.to_string());
    }
    if response.body().size_hint().exact().is_some() {
        return response; // a whole body: `line` is dropped, and written, here
    }
    let (parts, body) = response.into_parts();
    let body = body.into_data_stream().map(move |chunk| {
        let _written_when_the_stream_ends = &line;
        chunk
    });
    Response::from_parts(parts, Body::from_stream(body))
}

struct AccessLine {
    started: Instant,
    method: String,
    path: String,
    request_id: Option<String>,
    session_id: Option<String>,
    status: u16,
    notes: SharedNotes,
    span: Option<opentelemetry::Context>,
}

impl Drop for AccessLine {
    fn drop(&mut self) {
        if let Some(span) = &self.span {
            telemetry::end_server_span(span, self.status);
        }
        let notes = self.notes.lock().expect("notes lock");
        let quiet = self.status < 400 && self.path == "/ping";
        let duration_ms = (self.started.elapsed().as_secs_f64() * 10_000.0).round() / 10.0;
        logs::log(
            if quiet { Level::Debug } else { Level::Info },
            "agent.access",
            "request",
            fields! {
                "method" => self.method,
                "path" => self.path,
                "status" => self.status,
                "duration_ms" => duration_ms,
                "request_id" => self.request_id,
                "session_id" => self.session_id,
                "error_code" => notes.error_code,
                "stream" => notes.stream,
            },
        );
    }
}
