//! One agent turn: Bedrock ConverseStream with tool use, as Strands runs it in the Python agent.
//!
//! The user's message goes on the session's history; the model answers in a stream whose text
//! pieces are passed on as deltas; when it stops to use tools, the tools run and their results go
//! back to the model, up to `MAX_CYCLES` calls a turn. A turn that fails or is cancelled puts the
//! history back as it was, so Bedrock never sees a user message without an answer and a retry of
//! the same prompt works. Usage is the sum over this turn's own model calls.
//!
//! Cancellation: the caller holds the receiving end of `Events`; when it goes away (the client
//! left) every wait here ends at once and the turn leaves no trace.
//!
//! Throttling: the SDK retries each call `MODEL_MAX_ATTEMPTS` times (standard mode); on top, a
//! throttled call that produced no text yet is retried with jittered exponential backoff while the
//! time since the first throttled call, plus the next sleep, stays within the budget.

use std::time::{Duration, Instant};

use aws_sdk_bedrockruntime::Client;
use aws_sdk_bedrockruntime::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_bedrockruntime::operation::converse_stream::ConverseStreamError;
use aws_sdk_bedrockruntime::types::error::ConverseStreamOutputError;
use aws_sdk_bedrockruntime::types::{
    ContentBlock, ContentBlockDelta, ContentBlockStart, ConversationRole, ConverseStreamOutput,
    Message, StopReason, SystemContentBlock, ToolConfiguration, ToolResultBlock,
    ToolResultContentBlock, ToolResultStatus, ToolUseBlock,
};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_types::event_stream::RawMessage;
use opentelemetry::Context;
use tokio::sync::mpsc;

use crate::document::parse_tool_input;
use crate::errors::{self, ApiError};
use crate::history::Stored;
use crate::telemetry;
use crate::tools;

/// Model calls a turn may make (each tool round is one more); Strands' loop has no bound.
const MAX_CYCLES: usize = 20;
/// Messages kept per conversation, as Strands' default sliding window.
const WINDOW: usize = 40;
const BASE_DELAY: f64 = 1.0;
const MAX_DELAY: f64 = 20.0;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Usage {
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub total_tokens: i64,
}

impl std::ops::AddAssign<&Usage> for Usage {
    fn add_assign(&mut self, other: &Usage) {
        self.input_tokens += other.input_tokens;
        self.output_tokens += other.output_tokens;
        self.total_tokens += other.total_tokens;
    }
}

#[derive(Debug, Clone)]
pub struct FinalAnswer {
    pub completion: String,
    pub stop_reason: String,
    pub usage: Usage,
}

/// A failed turn: what the caller is told, and what only the log reader gets.
#[derive(Debug, Clone)]
pub struct Failure {
    pub api: ApiError,
    pub exception: String,
    pub cause: String,
}

#[derive(Debug)]
pub enum TurnEvent {
    Delta(String),
    Final(FinalAnswer),
    Failed(Failure),
}

pub type Events = mpsc::Sender<TurnEvent>;

enum Stop {
    Cancelled,
    Failed(Failure),
}

/// The `error.type` of a span whose turn the client abandoned.
const CANCELLED: &str = "cancelled";

/// The turn's span and session, which every model and tool span hangs from, and its system prompt.
struct Spans<'a> {
    agent: Context,
    session: &'a str,
    system: &'a str,
}

pub struct Model {
    pub client: Client,
    pub model_id: String,
    pub retry_budget: Duration,
    pub read_timeout: Duration,
    pub max_attempts: u32,
    pub tools: ToolConfiguration,
}

impl Model {
    /// Run one turn on `history` with `system` as its system prompt; its deltas, then its final
    /// answer or failure, go to `events`. Returns where the turn's new messages start in
    /// `history` once its answer was delivered; else the failure (for the log), or nothing if the
    /// caller left. `trace` is the request's span; the turn's spans (`telemetry`) are its children.
    pub async fn turn(
        &self,
        history: &mut Vec<Stored>,
        prompt: &str,
        system: &str,
        events: &Events,
        trace: &Context,
        session: &str,
    ) -> Result<usize, Option<Failure>> {
        // The window is applied between turns (as Strands applies its conversation manager), so a
        // failed or cancelled turn is undone by cutting the history back to this length.
        trim_window(history);
        let kept = history.len();
        history.push(Stored::user_text(prompt));
        let span = Spans {
            agent: telemetry::agent_span(trace, session, &self.model_id),
            session,
            system,
        };
        let outcome = self.cycles(history, events, &span).await;
        let failure = match outcome {
            Ok(answer) => {
                let usage = &answer.usage;
                telemetry::record_usage(
                    &span.agent,
                    usage.input_tokens,
                    usage.output_tokens,
                    usage.total_tokens,
                );
                if events.send(TurnEvent::Final(answer)).await.is_err() {
                    history.truncate(kept); // nobody heard the answer: as if cancelled
                    telemetry::end_failed(&span.agent, CANCELLED);
                    return Err(None);
                }
                telemetry::end(&span.agent);
                return Ok(kept);
            }
            Err(Stop::Cancelled) => {
                telemetry::end_failed(&span.agent, CANCELLED);
                None
            }
            Err(Stop::Failed(failure)) => {
                telemetry::end_failed(&span.agent, failure.api.code);
                Some(failure)
            }
        };
        history.truncate(kept);
        if let Some(failure) = &failure {
            let _ = events.send(TurnEvent::Failed(failure.clone())).await;
        }
        Err(failure)
    }

    async fn cycles(
        &self,
        history: &mut Vec<Stored>,
        events: &Events,
        span: &Spans<'_>,
    ) -> Result<FinalAnswer, Stop> {
        let mut usage = Usage::default();
        for _ in 0..MAX_CYCLES {
            let (message, stop_reason, text) = self
                .call_with_retries(history, events, &mut usage, span)
                .await?;
            let tool_uses: Vec<ToolUseBlock> = message
                .content()
                .iter()
                .filter_map(|block| block.as_tool_use().ok().cloned())
                .collect();
            history.push(Stored::from_message(message));
            match stop_reason {
                StopReason::ToolUse if !tool_uses.is_empty() => {
                    history.push(Stored::from_message(tool_results(&tool_uses, span)))
                }
                StopReason::MaxTokens => {
                    return Err(Stop::Failed(Failure {
                        api: errors::OUTPUT_TRUNCATED,
                        exception: "MaxTokensReached".into(),
                        cause: "stop_reason max_tokens".into(),
                    }));
                }
                other => {
                    return Ok(FinalAnswer {
                        completion: text,
                        stop_reason: other.as_str().to_string(),
                        usage,
                    });
                }
            }
        }
        Err(Stop::Failed(Failure {
            api: errors::INTERNAL,
            exception: "MaxCyclesReached".into(),
            cause: format!("more than {MAX_CYCLES} model calls in one turn"),
        }))
    }

    async fn call_with_retries(
        &self,
        history: &[Stored],
        events: &Events,
        usage: &mut Usage,
        span: &Spans<'_>,
    ) -> Result<(Message, StopReason, String), Stop> {
        let mut throttled_since: Option<Instant> = None;
        let mut retries: i32 = 0;
        loop {
            let started = Instant::now();
            let mut said_something = false;
            let chat = telemetry::chat_span(&span.agent, span.session, &self.model_id);
            let mut used = Usage::default();
            let called = self
                .call(history, span.system, events, &mut used, &mut said_something)
                .await;
            telemetry::record_usage(
                &chat,
                used.input_tokens,
                used.output_tokens,
                used.total_tokens,
            );
            *usage += &used;
            match &called {
                Ok((_, stop_reason, _)) => telemetry::end_chat(&chat, stop_reason.as_str()),
                Err(Stop::Cancelled) => telemetry::end_failed(&chat, CANCELLED),
                Err(Stop::Failed(failure)) => telemetry::end_failed(&chat, failure.api.code),
            }
            match called {
                Err(Stop::Failed(failure))
                    if failure.api == errors::THROTTLED && !said_something =>
                {
                    let since = *throttled_since.get_or_insert(started);
                    let delay = (BASE_DELAY * 2f64.powi(retries)).min(MAX_DELAY)
                        * (0.5 + rand::random::<f64>() / 2.0);
                    let spent = since.elapsed().as_secs_f64();
                    if spent + delay > self.retry_budget.as_secs_f64() {
                        crate::logs::log(
                            crate::logs::Level::Warning,
                            "agent.retry",
                            "model throttled; retry budget spent, giving up",
                            crate::fields! {"retries" => retries, "spent_seconds" => spent},
                        );
                        return Err(Stop::Failed(failure));
                    }
                    retries += 1;
                    tokio::select! {
                        _ = tokio::time::sleep(Duration::from_secs_f64(delay)) => {}
                        _ = events.closed() => return Err(Stop::Cancelled),
                    }
                }
                other => return other,
            }
        }
    }

    /// One model call: stream its answer, passing text on; the assistant message it made.
    async fn call(
        &self,
        history: &[Stored],
        system: &str,
        events: &Events,
        usage: &mut Usage,
        said_something: &mut bool,
    ) -> Result<(Message, StopReason, String), Stop> {
        let request = self
            .client
            .converse_stream()
            .model_id(&self.model_id)
            .system(SystemContentBlock::Text(system.to_string()))
            .set_messages(Some(history.iter().map(Stored::to_message).collect()))
            .tool_config(self.tools.clone());
        // Until the answer's headers arrive, the SDK's read timeout may not fire (a server that
        // sends nothing at all): bound every attempt the SDK may make.
        let request_timeout = self.read_timeout * self.max_attempts;
        let mut output = tokio::select! {
            sent = tokio::time::timeout(request_timeout, request.send()) => match sent {
                Ok(sent) => sent.map_err(|error| Stop::Failed(classify_request(&error)))?,
                Err(_elapsed) => return Err(Stop::Failed(read_timeout(request_timeout))),
            },
            _ = events.closed() => return Err(Stop::Cancelled),
        };
        let mut blocks: Vec<Block> = Vec::new();
        let mut stop_reason = StopReason::EndTurn;
        loop {
            let next = tokio::select! {
                next = tokio::time::timeout(self.read_timeout, output.stream.recv()) => next,
                _ = events.closed() => return Err(Stop::Cancelled),
            };
            let event = match next {
                Err(_elapsed) => return Err(Stop::Failed(read_timeout(self.read_timeout))),
                Ok(Err(error)) => return Err(Stop::Failed(classify_stream(&error))),
                Ok(Ok(None)) => break,
                Ok(Ok(Some(event))) => event,
            };
            match event {
                ConverseStreamOutput::ContentBlockStart(start) => {
                    if let Some(ContentBlockStart::ToolUse(tool)) = start.start() {
                        blocks.push(Block::Tool {
                            id: tool.tool_use_id().to_string(),
                            name: tool.name().to_string(),
                            input: String::new(),
                        });
                    }
                }
                ConverseStreamOutput::ContentBlockDelta(delta) => match delta.delta() {
                    Some(ContentBlockDelta::Text(text)) if !text.is_empty() => {
                        match blocks.last_mut() {
                            Some(Block::Text(so_far)) => so_far.push_str(text),
                            _ => blocks.push(Block::Text(text.clone())),
                        }
                        *said_something = true;
                        if events.send(TurnEvent::Delta(text.clone())).await.is_err() {
                            return Err(Stop::Cancelled);
                        }
                    }
                    Some(ContentBlockDelta::ToolUse(piece)) => {
                        if let Some(Block::Tool { input, .. }) = blocks.last_mut() {
                            input.push_str(piece.input());
                        }
                    }
                    _ => {}
                },
                ConverseStreamOutput::MessageStop(stop) => stop_reason = stop.stop_reason().clone(),
                ConverseStreamOutput::Metadata(metadata) => {
                    if let Some(used) = metadata.usage() {
                        usage.input_tokens += i64::from(used.input_tokens());
                        usage.output_tokens += i64::from(used.output_tokens());
                        usage.total_tokens += i64::from(used.total_tokens());
                    }
                }
                _ => {}
            }
        }
        Ok(assistant_message(blocks, stop_reason))
    }
}

enum Block {
    Text(String),
    Tool {
        id: String,
        name: String,
        input: String,
    },
}

fn assistant_message(blocks: Vec<Block>, stop_reason: StopReason) -> (Message, StopReason, String) {
    let mut content = Vec::new();
    let mut text = String::new();
    for block in blocks {
        match block {
            Block::Text(piece) => {
                text.push_str(&piece);
                content.push(ContentBlock::Text(piece));
            }
            Block::Tool { id, name, input } => content.push(ContentBlock::ToolUse(
                ToolUseBlock::builder()
                    .tool_use_id(id)
                    .name(name)
                    .input(parse_tool_input(&input))
                    .build()
                    .expect("id, name and input are set"),
            )),
        }
    }
    if content.is_empty() {
        content.push(ContentBlock::Text(String::new()));
    }
    let message = Message::builder()
        .role(ConversationRole::Assistant)
        .set_content(Some(content))
        .build()
        .expect("role and content are set");
    // The answer's text is the final message's: text said before a tool call was streamed, but
    // belongs to an earlier message.
    (message, stop_reason, text)
}

fn tool_results(uses: &[ToolUseBlock], span: &Spans<'_>) -> Message {
    let content = uses
        .iter()
        .map(|tool_use| {
            let tool = telemetry::tool_span(
                &span.agent,
                span.session,
                tool_use.name(),
                tool_use.tool_use_id(),
            );
            let output = tools::run(tool_use.name(), tool_use.input());
            if output.failed {
                telemetry::end_failed(&tool, "tool_error");
            } else {
                telemetry::end(&tool);
            }
            ContentBlock::ToolResult(
                ToolResultBlock::builder()
                    .tool_use_id(tool_use.tool_use_id())
                    .content(ToolResultContentBlock::Text(output.text))
                    .status(if output.failed {
                        ToolResultStatus::Error
                    } else {
                        ToolResultStatus::Success
                    })
                    .build()
                    .expect("id and content are set"),
            )
        })
        .collect();
    Message::builder()
        .role(ConversationRole::User)
        .set_content(Some(content))
        .build()
        .expect("role and content are set")
}

/// Keep the last `WINDOW` messages, starting at a user message that is not a tool result (Bedrock
/// refuses a conversation that starts otherwise).
fn trim_window(history: &mut Vec<Stored>) {
    if history.len() <= WINDOW {
        return;
    }
    let mut start = history.len() - WINDOW;
    while start < history.len() - 1 && !history[start].starts_cleanly() {
        start += 1;
    }
    history.drain(..start);
}

fn read_timeout(waited: Duration) -> Failure {
    Failure {
        api: errors::TIMEOUT,
        exception: "ReadTimeout".into(),
        cause: format!("nothing from the model for {waited:?}"),
    }
}

/// Map a failed ConverseStream request (before its answer streams) to the caller's answer.
fn classify_request(error: &SdkError<ConverseStreamError, HttpResponse>) -> Failure {
    let (api, exception) = match error {
        SdkError::ServiceError(context) => {
            let code = context.err().code().unwrap_or("Unknown");
            (
                errors::for_aws_code(code, context.err().message().unwrap_or("")),
                code.to_string(),
            )
        }
        SdkError::TimeoutError(_) => (errors::TIMEOUT, "TimeoutError".into()),
        SdkError::DispatchFailure(failure) if failure.is_timeout() => {
            (errors::TIMEOUT, "DispatchFailure".into())
        }
        _ if timed_out(error) => (errors::TIMEOUT, "ResponseError".into()),
        _ if mentions_credentials(error) => {
            (errors::CREDENTIALS_MISSING, "CredentialsError".into())
        }
        SdkError::DispatchFailure(_) => (errors::UNREACHABLE, "DispatchFailure".into()),
        SdkError::ResponseError(_) if is_io(error) => {
            (errors::STREAM_FAILED, "ResponseError".into())
        }
        _ => (errors::INTERNAL, "SdkError".into()),
    };
    Failure {
        api,
        exception,
        cause: root_cause(error),
    }
}

/// Map a failure inside the answer's event stream: an exception event Bedrock sent, a broken
/// connection, or an event that could not be read (the agent's problem, like a Strands parse error).
fn classify_stream(error: &SdkError<ConverseStreamOutputError, RawMessage>) -> Failure {
    use ConverseStreamOutputError as E;
    let (api, exception) = match error {
        SdkError::ServiceError(context) => match context.err() {
            E::ModelStreamErrorException(_) => (errors::STREAM_FAILED, "modelStreamErrorException"),
            E::InternalServerException(_) => (errors::STREAM_FAILED, "internalServerException"),
            E::ThrottlingException(_) => (errors::THROTTLED, "throttlingException"),
            E::ServiceUnavailableException(_) => {
                (errors::UNAVAILABLE, "serviceUnavailableException")
            }
            E::ValidationException(invalid) => (
                errors::for_aws_code("ValidationException", invalid.message().unwrap_or("")),
                "validationException",
            ),
            _ => (errors::MODEL_ERROR, "ConverseStreamOutputError"),
        },
        _ if timed_out(error) => (errors::TIMEOUT, "ReadTimeout"),
        SdkError::ResponseError(_) if !is_io(error) => (errors::INTERNAL, "ResponseError"),
        _ => (errors::STREAM_FAILED, "StreamError"),
    };
    Failure {
        api,
        exception: exception.into(),
        cause: root_cause(error),
    }
}

fn sources<'a>(
    error: &'a (dyn std::error::Error + 'static),
) -> impl Iterator<Item = &'a (dyn std::error::Error + 'static)> {
    std::iter::successors(Some(error), |current| current.source())
}

fn mentions_credentials(error: &(dyn std::error::Error + 'static)) -> bool {
    sources(error).any(|e| e.is::<aws_credential_types::provider::error::CredentialsError>())
}

/// The SDK's read timeout fired while the answer streamed in.
fn timed_out(error: &(dyn std::error::Error + 'static)) -> bool {
    sources(error).any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut)
            || e.to_string().to_lowercase().contains("timeout")
            || e.to_string().to_lowercase().contains("timed out")
    })
}

/// A broken connection (as opposed to a stream that arrived but could not be read).
fn is_io(error: &(dyn std::error::Error + 'static)) -> bool {
    sources(error).any(|e| e.is::<std::io::Error>() || e.to_string().contains("connection"))
}

fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let root = sources(error).last().unwrap_or(error);
    let text = root.to_string();
    text.chars().take(200).collect()
}
