//! Conversations kept in AgentCore Memory, so a session outlives its microVM (and this process):
//! the Rust twin of `agent_image/agentcore_agent/memory.py`, on the AWS SDK's
//! `bedrock-agentcore` client.
//!
//! A session's conversation is restored once, before its first turn in this process; a Memory
//! that cannot be read refuses the turn (`memory_unavailable`) rather than answer without it.
//! With long-term namespaces, the actor's relevant records go into the system prompt (best
//! effort: a failed recall is logged and the turn goes on). After an answer, the turn's messages
//! are stored in the background, one event each, in order behind the session's earlier turns,
//! each retried with backoff; a message that cannot be stored stops that session's writes (a gap
//! would garble the conversation read back) and is logged `memory_store_failed`.
//!
//! Events are stored as the Python agent stores them (the message as Strands holds it in a
//! `blob`, its text in a `conversational` payload for the strategies, a sequence number in the
//! metadata), so a stack can switch agents without losing conversations. Memory's session ids
//! are narrower than AgentCore's: an id that does not fit is stored under `h-` + its SHA-256.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_bedrockagentcore::Client;
use aws_sdk_bedrockagentcore::error::ProvideErrorMetadata;
use aws_sdk_bedrockagentcore::types::{
    Content, Conversational, Event, MemoryContent, MetadataValue, PayloadType, Role, SearchCriteria,
};
use aws_smithy_types::DateTime;
use axum::http::HeaderMap;
use base64::Engine as _;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::sync::oneshot;

use crate::document::{from_document, to_document};
use crate::fields;
use crate::history::Stored;
use crate::logs::{self, Level};

/// AgentCore's header naming the end user (the actor a conversation belongs to).
pub const ACTOR_HEADER: &str = "X-Amzn-Bedrock-AgentCore-Runtime-User-Id";
const DEFAULT_ACTOR: &str = "default";
const ACTOR_ID_MAX: usize = 255;
const SESSION_ID_MAX: usize = 100;
const SEQUENCE_KEY: &str = "seq";
const RECALL_TOP_K: i32 = 5;
const STORE_ATTEMPTS: u32 = 5;
const STORE_BACKOFF_SECONDS: f64 = 0.2;
const MAX_TEXT_CHARS: usize = 100_000;
const MAX_QUERY_CHARS: usize = 10_000;

/// The actor a conversation belongs to: AgentCore's user-id header, else the subject of the
/// bearer token (the runtime's JWT authorizer already validated it), else `default`. The error
/// names the source and the rule (the answer is a 400 `invalid_actor_id`).
pub fn actor_id(headers: &HeaderMap) -> Result<String, String> {
    if let Some(user) = headers.get(ACTOR_HEADER) {
        return checked_actor(user.to_str().unwrap_or(""), ACTOR_HEADER);
    }
    let authorization = headers
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    match bearer_subject(authorization) {
        Some(subject) => checked_actor(&subject, "Authorization (the token's sub)"),
        None => Ok(DEFAULT_ACTOR.to_string()),
    }
}

/// Memory's ActorId shape: a letter or digit first, then letters, digits, `-`, `_`, `/`, with
/// single colons between them.
fn checked_actor(value: &str, source: &str) -> Result<String, String> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '/' | ':');
    let valid = (1..=ACTOR_ID_MAX).contains(&value.chars().count())
        && value.starts_with(|c: char| c.is_ascii_alphanumeric())
        && value.chars().all(allowed)
        && !value.contains("::")
        && !value.ends_with(':');
    if valid {
        Ok(value.to_string())
    } else {
        Err(format!(
            "{source} must be 1-{ACTOR_ID_MAX} characters of letters, digits, - _ / and : between them."
        ))
    }
}

fn bearer_subject(authorization: &str) -> Option<String> {
    let (scheme, token) = authorization.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.matches('.').count() != 2 {
        return None;
    }
    let claims = token.split('.').nth(1)?.trim_end_matches('=');
    let decoded = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(claims)
        .ok()?;
    let claims: Value = serde_json::from_slice(&decoded).ok()?;
    claims.get("sub")?.as_str().map(str::to_string)
}

/// The id Memory stores the session under (see the module docs).
pub fn memory_session_id(session_id: &str) -> String {
    let fits = session_id.len() <= SESSION_ID_MAX
        && session_id.starts_with(|c: char| c.is_ascii_alphanumeric())
        && session_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if fits {
        session_id.to_string()
    } else {
        format!("h-{}", hex::encode(Sha256::digest(session_id.as_bytes())))
    }
}

type Key = (String, String);

/// Per session: the next event's sequence number, and whether a store failed for good.
#[derive(Default)]
struct Log {
    sequence: u64,
    broken: bool,
}

#[derive(Default)]
struct State {
    logs: HashMap<Key, Log>,
    /// The newest pending write of each session: the next one waits for it.
    tails: HashMap<Key, (u64, oneshot::Receiver<()>)>,
    generation: u64,
    last_timestamp_ms: i64,
}

/// One memory's events for this process's sessions.
pub struct ConversationMemory {
    client: Client,
    memory_id: String,
    namespaces: Vec<String>,
    state: Mutex<State>,
    pending: AtomicUsize,
}

impl ConversationMemory {
    pub fn new(client: Client, memory_id: String, namespaces: Vec<String>) -> Arc<Self> {
        Arc::new(Self {
            client,
            memory_id,
            namespaces,
            state: Mutex::default(),
            pending: AtomicUsize::new(0),
        })
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .expect("the memory state lock is never poisoned")
    }

    /// The session's stored messages, oldest first; `Err` (the cause, for the log) if Memory
    /// could not be read.
    pub async fn restore(&self, actor: &str, session_id: &str) -> Result<Vec<Stored>, String> {
        let mut events = self
            .list_events(actor, &memory_session_id(session_id))
            .await?;
        events.sort_by_key(|event| (event.event_timestamp.as_nanos(), sequence_of(event)));
        self.state()
            .logs
            .entry((actor.to_string(), session_id.to_string()))
            .or_default()
            .sequence = events.len() as u64;
        Ok(events
            .iter()
            .flat_map(|event| event.payload.iter())
            .filter_map(|item| match item {
                PayloadType::Blob(blob) => {
                    Stored::from_strands(from_document(blob).get("message")?)
                }
                _ => None,
            })
            .collect())
    }

    async fn list_events(&self, actor: &str, session: &str) -> Result<Vec<Event>, String> {
        let mut events = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .client
                .list_events()
                .memory_id(&self.memory_id)
                .actor_id(actor)
                .session_id(session)
                .include_payloads(true)
                .max_results(100)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|error| error.code().unwrap_or("SdkError").to_string())?;
            events.extend(page.events().iter().cloned());
            match page.next_token() {
                Some(next) if !next.is_empty() => token = Some(next.to_string()),
                _ => return Ok(events),
            }
        }
    }

    /// Long-term records about the actor relevant to `query` (none without namespaces, or when
    /// Memory fails: the turn goes on without them and a warning says so).
    pub async fn recall(&self, actor: &str, session_id: &str, query: &str) -> Vec<String> {
        if self.namespaces.is_empty() {
            return Vec::new();
        }
        let session = memory_session_id(session_id);
        let query: String = query.chars().take(MAX_QUERY_CHARS).collect();
        let mut texts = Vec::new();
        for template in &self.namespaces {
            let namespace = template
                .replace("{actorId}", actor)
                .replace("{sessionId}", &session);
            let criteria = SearchCriteria::builder()
                .search_query(query.clone())
                .top_k(RECALL_TOP_K)
                .build()
                .expect("the query is set");
            let answer = self
                .client
                .retrieve_memory_records()
                .memory_id(&self.memory_id)
                .namespace(namespace)
                .search_criteria(criteria)
                .send()
                .await;
            match answer {
                Ok(answer) => texts.extend(answer.memory_record_summaries().iter().filter_map(
                    |summary| match summary.content() {
                        Some(MemoryContent::Text(text)) => Some(text.clone()),
                        _ => None,
                    },
                )),
                Err(error) => {
                    logs::log(
                        Level::Warning,
                        "agentcore_agent.memory",
                        "memory recall failed",
                        fields! {"error_code" => "memory_recall_failed", "exception" => error.code().unwrap_or("SdkError")},
                    );
                    return Vec::new();
                }
            }
        }
        texts
    }

    /// Store a turn's messages after the answer, in order behind the session's earlier turns.
    pub fn save(self: &Arc<Self>, actor: &str, session_id: &str, messages: Vec<Value>) {
        let key: Key = (actor.to_string(), session_id.to_string());
        let (done, finished) = oneshot::channel::<()>();
        let (previous, generation) = {
            let mut state = self.state();
            state.generation += 1;
            let generation = state.generation;
            let previous = state.tails.insert(key.clone(), (generation, finished));
            (previous.map(|(_, receiver)| receiver), generation)
        };
        self.pending.fetch_add(1, Ordering::SeqCst);
        let memory = self.clone();
        tokio::spawn(async move {
            if let Some(previous) = previous {
                let _ = previous.await; // finished, or its task ended: either way it is our turn
            }
            memory.write(&key, messages).await;
            let _ = done.send(());
            let mut state = memory.state();
            if state
                .tails
                .get(&key)
                .is_some_and(|(newest, _)| *newest == generation)
            {
                state.tails.remove(&key);
            }
            drop(state);
            memory.pending.fetch_sub(1, Ordering::SeqCst);
        });
    }

    /// Wait (at most `timeout`) for every pending write: a stopping process loses nothing it
    /// could still store.
    pub async fn flush(&self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while self.pending.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn write(&self, key: &Key, messages: Vec<Value>) {
        for message in messages {
            let sequence = {
                let mut state = self.state();
                let log = state.logs.entry(key.clone()).or_default();
                if log.broken {
                    break;
                }
                log.sequence
            };
            let stored = self.store_one(key, sequence, &message).await;
            let mut state = self.state();
            let log = state.logs.entry(key.clone()).or_default();
            if stored {
                log.sequence = sequence + 1;
            } else {
                log.broken = true; // later messages would leave a gap: stop this session's writes
            }
        }
        if self.state().logs.get(key).is_some_and(|log| log.broken) {
            logs::log(
                Level::Error,
                "agentcore_agent.memory",
                "memory store failed",
                fields! {"error_code" => "memory_store_failed", "session_id" => key.1},
            );
        }
    }

    async fn store_one(&self, key: &Key, sequence: u64, message: &Value) -> bool {
        let (actor, session_id) = key;
        let timestamp = self.timestamp();
        for attempt in 0..STORE_ATTEMPTS {
            let sent = self
                .client
                .create_event()
                .memory_id(&self.memory_id)
                .actor_id(actor)
                .session_id(memory_session_id(session_id))
                .event_timestamp(timestamp)
                .set_payload(Some(payload(message)))
                .metadata(
                    SEQUENCE_KEY,
                    MetadataValue::StringValue(sequence.to_string()),
                )
                .send()
                .await;
            match sent {
                Ok(_) => return true,
                Err(error) => {
                    logs::log(
                        Level::Warning,
                        "agentcore_agent.memory",
                        "memory store retry",
                        fields! {"error_code" => "memory_store_retry", "exception" => error.code().unwrap_or("SdkError")},
                    );
                    let backoff = STORE_BACKOFF_SECONDS * 2f64.powi(attempt as i32);
                    tokio::time::sleep(Duration::from_secs_f64(backoff)).await;
                }
            }
        }
        false
    }

    /// Now, strictly after the previous event's time at the millisecond Memory keeps.
    fn timestamp(&self) -> DateTime {
        let mut state = self.state();
        let now = chrono::Utc::now().timestamp_millis();
        state.last_timestamp_ms = now.max(state.last_timestamp_ms + 1);
        DateTime::from_millis(state.last_timestamp_ms)
    }
}

fn sequence_of(event: &Event) -> i64 {
    event
        .metadata
        .as_ref()
        .and_then(|metadata| metadata.get(SEQUENCE_KEY))
        .and_then(|value| value.as_string_value().ok())
        .and_then(|text| text.parse().ok())
        .unwrap_or(0)
}

/// The message as Strands holds it, plus its text (or its tool results' text) for the
/// long-term strategies.
fn payload(message: &Value) -> Vec<PayloadType> {
    let blocks = message
        .get("content")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let texts = |values: Vec<&Value>| -> String {
        values
            .iter()
            .filter_map(|value| value.get("text").and_then(Value::as_str))
            .filter(|text| !text.is_empty())
            .collect::<Vec<_>>()
            .join("\n")
    };
    let text = texts(blocks.iter().collect());
    let results = texts(
        blocks
            .iter()
            .filter_map(|block| {
                block
                    .pointer("/toolResult/content")
                    .and_then(Value::as_array)
            })
            .flatten()
            .collect(),
    );
    let role = match message.get("role").and_then(Value::as_str) {
        Some("user") => Role::User,
        Some("assistant") => Role::Assistant,
        _ => Role::Other,
    };
    let mut payload = Vec::with_capacity(2);
    let spoken = match (text.is_empty(), results.is_empty()) {
        (false, _) => Some((text, role)),
        (true, false) => Some((results, Role::Tool)),
        (true, true) => None,
    };
    if let Some((text, role)) = spoken {
        let conversational = Conversational::builder()
            .content(Content::Text(text.chars().take(MAX_TEXT_CHARS).collect()))
            .role(role)
            .build()
            .expect("content and role are set");
        payload.push(PayloadType::Conversational(conversational));
    }
    payload.push(PayloadType::Blob(to_document(&json!({"message": message}))));
    payload
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actors_follow_memorys_shape() {
        assert!(checked_actor("alice", "h").is_ok());
        assert!(checked_actor("tenant-1/user_2:admin", "h").is_ok());
        for bad in ["", "bad actor!", ":a", "a:", "a::b", "-a"] {
            let error = checked_actor(bad, ACTOR_HEADER).unwrap_err();
            assert!(error.starts_with(ACTOR_HEADER), "{bad}: {error}");
        }
    }

    #[test]
    fn a_bearer_tokens_subject_is_the_actor() {
        let claims = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(br#"{"sub":"carol"}"#);
        let mut headers = HeaderMap::new();
        headers.insert(
            "authorization",
            format!("Bearer e30.{claims}.sig").parse().unwrap(),
        );
        assert_eq!(actor_id(&headers).unwrap(), "carol");
        assert_eq!(actor_id(&HeaderMap::new()).unwrap(), "default");
    }

    #[test]
    fn session_ids_memory_cannot_hold_are_hashed() {
        assert_eq!(memory_session_id("abc-123_x"), "abc-123_x");
        let hashed =
            memory_session_id("has spaces and more than enough characters to be an AgentCore id");
        assert!(hashed.starts_with("h-") && hashed.len() == 66, "{hashed}");
    }
}
