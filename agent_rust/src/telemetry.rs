//! OpenTelemetry spans for each invocation, as AgentCore's observability pages show them for the
//! Python agent: a server span per request joined to the caller's trace (W3C `traceparent`, and
//! `baggage` for AgentCore's `session.id`), an `invoke_agent` span per turn, a `chat` client span
//! per Bedrock call and an `execute_tool` span per tool call, with the GenAI attributes and the
//! session id. Never a prompt, an answer or tool data: traces are readable by anyone with
//! telemetry access.
//!
//! Configured by the standard variables: `OTEL_TRACES_EXPORTER` (`otlp` or `none`),
//! `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` / `OTEL_EXPORTER_OTLP_ENDPOINT`, `..._PROTOCOL`
//! (`http/protobuf` only), `..._HEADERS`, `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`,
//! `OTEL_BSP_*`, `OTEL_SDK_DISABLED`. Nothing is exported unless an endpoint is set or
//! `OTEL_TRACES_EXPORTER=otlp` asks for the default one: outside AgentCore's Python distro there
//! is no collector to send to. Exports to X-Ray's OTLP endpoint are SigV4-signed (`otlp_http`);
//! `TRACES_SIGV4_SERVICE` names the signing service for any other endpoint (a proxy, a test).

use std::collections::HashMap;

use axum::http::HeaderMap;
use opentelemetry::baggage::BaggageExt;
use opentelemetry::propagation::TextMapCompositePropagator;
use opentelemetry::trace::{SpanKind, Status, TraceContextExt, Tracer};
use opentelemetry::{Context, InstrumentationScope, KeyValue, global};
use opentelemetry_http::HeaderExtractor;
use opentelemetry_otlp::{WithExportConfig as _, WithHttpConfig as _};
use opentelemetry_sdk::propagation::{BaggagePropagator, TraceContextPropagator};
use opentelemetry_sdk::trace::SdkTracerProvider;

use crate::otlp_http::{ExportClient, Signing};
use crate::settings::py_repr;

/// The agent's name in its spans (`gen_ai.agent.name`; Strands calls the Python one "Strands Agents").
pub const AGENT_NAME: &str = "agentcore-agent";
const DEFAULT_ENDPOINT: &str = "http://localhost:4318/v1/traces";

/// Where spans go, when they go anywhere (from the environment, checked at start-up).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceExport {
    /// The traces URL (signal-specific variable as given, or the generic one plus `/v1/traces`).
    pub endpoint: String,
    /// SigV4 signing name for the exports, if they are signed.
    pub sigv4_service: Option<String>,
}

/// Read the trace-export variables; `None` when nothing is to be exported.
pub fn export_from_env(env: &HashMap<String, String>) -> Result<Option<TraceExport>, String> {
    let get = |name: &str| env.get(name).map(|value| value.trim()).unwrap_or("");
    if get("OTEL_SDK_DISABLED").eq_ignore_ascii_case("true") {
        return Ok(None);
    }
    let exporter = get("OTEL_TRACES_EXPORTER");
    if !matches!(exporter, "" | "otlp" | "none") {
        return Err(format!(
            "OTEL_TRACES_EXPORTER must be otlp or none (the Rust agent exports OTLP only); got {}",
            py_repr(exporter)
        ));
    }
    for name in [
        "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
        "OTEL_EXPORTER_OTLP_PROTOCOL",
    ] {
        if !matches!(get(name), "" | "http/protobuf") {
            return Err(format!(
                "{name} must be http/protobuf (the Rust agent exports OTLP over HTTP only); got {}",
                py_repr(get(name))
            ));
        }
    }
    let endpoint = match (
        get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"),
        get("OTEL_EXPORTER_OTLP_ENDPOINT"),
    ) {
        ("", "") => None,
        ("", generic) => Some(format!("{}/v1/traces", generic.trim_end_matches('/'))),
        (traces, _) => Some(traces.to_string()),
    };
    let endpoint = match (exporter, endpoint) {
        ("none", _) | ("", None) => return Ok(None),
        (_, Some(endpoint)) => endpoint,
        (_, None) => DEFAULT_ENDPOINT.to_string(),
    };
    let Ok(uri) = endpoint.parse::<axum::http::Uri>() else {
        return Err(format!(
            "the OTLP traces endpoint must be a URL; got {}",
            py_repr(&endpoint)
        ));
    };
    let sigv4_service = match get("TRACES_SIGV4_SERVICE") {
        "" => uri
            .host()
            .filter(|host| is_xray_host(host))
            .map(|_| "xray".to_string()),
        service => Some(service.to_string()),
    };
    Ok(Some(TraceExport {
        endpoint,
        sigv4_service,
    }))
}

/// X-Ray's OTLP endpoint in any partition (`xray.<region>.amazonaws.com`, `.amazonaws.com.cn`,
/// `.c2s.ic.gov`, `.sc2s.sgov.gov`): the exports there must be signed for `xray`.
fn is_xray_host(host: &str) -> bool {
    let Some(rest) = host.strip_prefix("xray.") else {
        return false;
    };
    [
        ".amazonaws.com",
        ".amazonaws.com.cn",
        ".c2s.ic.gov",
        ".sc2s.sgov.gov",
    ]
    .iter()
    .any(|suffix| {
        rest.strip_suffix(suffix)
            .is_some_and(|region| !region.is_empty() && !region.contains('.'))
    })
}

/// Set up propagation, and export when asked; the provider must be shut down to flush.
/// Call inside the Tokio runtime (the exporter sends through it).
pub fn start(
    export: Option<&TraceExport>,
    region: &str,
    credentials: aws_credential_types::provider::SharedCredentialsProvider,
    http: crate::outbound::HttpClient,
) -> Result<Option<SdkTracerProvider>, String> {
    global::set_text_map_propagator(TextMapCompositePropagator::new(vec![
        Box::new(TraceContextPropagator::new()),
        Box::new(BaggagePropagator::new()),
    ]));
    let Some(export) = export else {
        return Ok(None);
    };
    let signing = export.sigv4_service.clone().map(|service| Signing {
        service,
        region: region.to_string(),
        credentials,
    });
    let client = ExportClient::new(tokio::runtime::Handle::current(), http, signing);
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_http_client(client)
        .with_endpoint(export.endpoint.clone())
        .build()
        .map_err(|error| format!("cannot set up the OTLP trace exporter: {error}"))?;
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .build();
    global::set_tracer_provider(provider.clone());
    Ok(Some(provider))
}

fn tracer() -> global::BoxedTracer {
    global::tracer_with_scope(
        InstrumentationScope::builder(AGENT_NAME)
            .with_version(env!("CARGO_PKG_VERSION"))
            .build(),
    )
}

fn session_attribute(session: &str) -> KeyValue {
    KeyValue::new("session.id", session.to_string())
}

/// The server span of a request, child of the caller's span when its headers carry one.
pub fn server_span(
    headers: &HeaderMap,
    method: &str,
    path: &str,
    route: Option<&str>,
    session: Option<&str>,
) -> Context {
    let parent =
        global::get_text_map_propagator(|propagator| propagator.extract(&HeaderExtractor(headers)));
    let session = parent
        .baggage()
        .get("session.id")
        .map(|value| value.as_str().to_string())
        .or_else(|| session.map(str::to_string));
    let mut attributes = vec![
        KeyValue::new("http.method", method.to_string()),
        KeyValue::new("http.target", path.to_string()),
        KeyValue::new("http.scheme", "http"),
    ];
    attributes.extend(route.map(|route| KeyValue::new("http.route", route.to_string())));
    attributes.extend(session.as_deref().map(session_attribute));
    let name = match route {
        Some(route) => format!("{method} {route}"),
        None => method.to_string(),
    };
    child(&parent, name, SpanKind::Server, attributes)
}

/// End a server span with the answer's status (5xx marks it failed, as HTTP semantics say).
pub fn end_server_span(cx: &Context, status: u16) {
    let span = cx.span();
    span.set_attribute(KeyValue::new("http.status_code", i64::from(status)));
    if status >= 500 {
        span.set_status(Status::error(format!("HTTP {status}")));
    }
    span.end();
}

/// A span under `parent` (the caller's remote span, or one of ours).
fn child(parent: &Context, name: String, kind: SpanKind, attributes: Vec<KeyValue>) -> Context {
    let tracer = tracer();
    let span = tracer
        .span_builder(name)
        .with_kind(kind)
        .with_attributes(attributes)
        .start_with_context(&tracer, parent);
    parent.with_span(span)
}

/// One agent turn (`invoke_agent`).
pub fn agent_span(parent: &Context, session: &str, model: &str) -> Context {
    child(
        parent,
        format!("invoke_agent {AGENT_NAME}"),
        SpanKind::Internal,
        vec![
            KeyValue::new("gen_ai.operation.name", "invoke_agent"),
            KeyValue::new("gen_ai.agent.name", AGENT_NAME),
            KeyValue::new("gen_ai.system", "aws.bedrock"),
            KeyValue::new("gen_ai.request.model", model.to_string()),
            session_attribute(session),
        ],
    )
}

/// One Bedrock ConverseStream call (`chat`), with the AWS SDK's RPC attributes.
pub fn chat_span(parent: &Context, session: &str, model: &str) -> Context {
    child(
        parent,
        format!("chat {model}"),
        SpanKind::Client,
        vec![
            KeyValue::new("gen_ai.operation.name", "chat"),
            KeyValue::new("gen_ai.system", "aws.bedrock"),
            KeyValue::new("gen_ai.request.model", model.to_string()),
            KeyValue::new("rpc.system", "aws-api"),
            KeyValue::new("rpc.service", "Bedrock Runtime"),
            KeyValue::new("rpc.method", "ConverseStream"),
            session_attribute(session),
        ],
    )
}

/// One tool call (`execute_tool`): its name and id, never its input or result.
pub fn tool_span(parent: &Context, session: &str, tool: &str, call_id: &str) -> Context {
    child(
        parent,
        format!("execute_tool {tool}"),
        SpanKind::Internal,
        vec![
            KeyValue::new("gen_ai.operation.name", "execute_tool"),
            KeyValue::new("gen_ai.tool.name", tool.to_string()),
            KeyValue::new("gen_ai.tool.call.id", call_id.to_string()),
            session_attribute(session),
        ],
    )
}

/// Token counts on a `chat` or `invoke_agent` span.
pub fn record_usage(cx: &Context, input: i64, output: i64, total: i64) {
    let span = cx.span();
    span.set_attribute(KeyValue::new("gen_ai.usage.input_tokens", input));
    span.set_attribute(KeyValue::new("gen_ai.usage.output_tokens", output));
    span.set_attribute(KeyValue::new("gen_ai.usage.total_tokens", total));
}

/// End a `chat` span with the model's stop reason.
pub fn end_chat(cx: &Context, stop_reason: &str) {
    let span = cx.span();
    let reasons = opentelemetry::Array::String(vec![stop_reason.to_string().into()]);
    span.set_attribute(KeyValue::new(
        "gen_ai.response.finish_reasons",
        opentelemetry::Value::Array(reasons),
    ));
    span.end();
}

/// End a span as failed: the error's code (never its text, which may quote the model).
pub fn end_failed(cx: &Context, code: &str) {
    let span = cx.span();
    span.set_attribute(KeyValue::new("error.type", code.to_string()));
    span.set_status(Status::error(code.to_string()));
    span.end();
}

pub fn end(cx: &Context) {
    cx.span().end();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn nothing_is_exported_without_an_endpoint_or_an_explicit_exporter() {
        assert_eq!(export_from_env(&env(&[])).unwrap(), None);
        let none = env(&[
            ("OTEL_TRACES_EXPORTER", "none"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"),
        ]);
        assert_eq!(export_from_env(&none).unwrap(), None);
        let explicit = export_from_env(&env(&[("OTEL_TRACES_EXPORTER", "otlp")]))
            .unwrap()
            .unwrap();
        assert_eq!(explicit.endpoint, DEFAULT_ENDPOINT);
    }

    #[test]
    fn xray_endpoints_are_signed_in_every_partition_and_others_only_when_asked() {
        let traces = |url: &str, service: &str| {
            let mut pairs = vec![("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", url)];
            if !service.is_empty() {
                pairs.push(("TRACES_SIGV4_SERVICE", service));
            }
            export_from_env(&env(&pairs))
                .unwrap()
                .unwrap()
                .sigv4_service
        };
        assert_eq!(
            traces("https://xray.eu-west-1.amazonaws.com/v1/traces", ""),
            Some("xray".into())
        );
        assert_eq!(
            traces("https://xray.cn-north-1.amazonaws.com.cn/v1/traces", ""),
            Some("xray".into())
        );
        assert_eq!(
            traces("https://xray.us-gov-west-1.amazonaws.com/v1/traces", ""),
            Some("xray".into())
        );
        assert_eq!(
            traces("https://xray.amazonaws.com.evil.example/v1/traces", ""),
            None
        );
        assert_eq!(traces("http://127.0.0.1:4318/v1/traces", ""), None);
        assert_eq!(
            traces("http://127.0.0.1:4318/v1/traces", "xray"),
            Some("xray".into())
        );
        let generic = env(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/")]);
        assert_eq!(
            export_from_env(&generic).unwrap().unwrap().endpoint,
            "http://collector:4318/v1/traces"
        );
    }

    #[test]
    fn unsupported_exporters_and_protocols_name_their_variable() {
        let error = export_from_env(&env(&[("OTEL_TRACES_EXPORTER", "zipkin")])).unwrap_err();
        assert!(
            error.starts_with("OTEL_TRACES_EXPORTER must be otlp or none"),
            "{error}"
        );
        let error = export_from_env(&env(&[("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")])).unwrap_err();
        assert!(
            error.starts_with("OTEL_EXPORTER_OTLP_PROTOCOL must be http/protobuf"),
            "{error}"
        );
    }
}
