//! The HTTP client the OTLP trace exporter sends through: it signs each export with SigV4 when
//! the destination is an AWS endpoint (X-Ray's OTLP endpoint wants requests signed for `xray`).
//!
//! Why here and not a collector: inside AgentCore only agents started by AWS's Python
//! distribution get the platform's OpenTelemetry collector; any other agent exports to
//! `https://xray.<region>.amazonaws.com/v1/traces` itself, signed with the execution role's
//! credentials (CloudWatch's OTLP endpoint documentation; Transaction Search must be on).
//!
//! Why each send runs on the Tokio runtime: the SDK's batch span processor exports from a thread
//! of its own, outside the runtime, while hyper needs the runtime's reactor; the send is spawned
//! onto the runtime and awaited from that thread.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use aws_credential_types::Credentials;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use bytes::Bytes;
use opentelemetry_http::{HttpClient, HttpError, Request, Response};

use crate::fields;
use crate::logs::{self, Level};
use crate::outbound;

/// Credentials are fetched again this long before they expire.
const REFRESH_BEFORE_EXPIRY: Duration = Duration::from_secs(300);

/// How exports to an AWS endpoint are signed.
#[derive(Debug, Clone)]
pub struct Signing {
    pub service: String,
    pub region: String,
    pub credentials: SharedCredentialsProvider,
}

#[derive(Debug)]
pub struct ExportClient {
    runtime: tokio::runtime::Handle,
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    http: outbound::HttpClient,
    signing: Option<Signing>,
    cached: Mutex<Option<Credentials>>,
    /// Whether the last export failed: a failure is logged when exports start failing and a
    /// recovery when they work again, not once per batch.
    failing: AtomicBool,
}

impl ExportClient {
    pub fn new(
        runtime: tokio::runtime::Handle,
        http: outbound::HttpClient,
        signing: Option<Signing>,
    ) -> Self {
        let inner = Inner {
            http,
            signing,
            cached: Mutex::new(None),
            failing: AtomicBool::new(false),
        };
        Self {
            runtime,
            inner: Arc::new(inner),
        }
    }
}

impl Inner {
    async fn send(&self, request: Request<Bytes>) -> Result<Response<Bytes>, HttpError> {
        let sent = self.signed_send(request).await;
        let failure = match &sent {
            Ok(answer) if answer.status().is_success() => None,
            Ok(answer) => Some(fields! {"status" => answer.status().as_u16()}),
            Err(error) => Some(fields! {"exception" => error.to_string()}),
        };
        match failure {
            Some(fields) if !self.failing.swap(true, Ordering::Relaxed) => logs::log(
                Level::Warning,
                "agent.telemetry",
                "span export failed; spans are being dropped",
                fields,
            ),
            None if self.failing.swap(false, Ordering::Relaxed) => logs::log(
                Level::Info,
                "agent.telemetry",
                "span export works again",
                fields! {},
            ),
            _ => {}
        }
        sent
    }

    async fn signed_send(&self, mut request: Request<Bytes>) -> Result<Response<Bytes>, HttpError> {
        if let Some(signing) = &self.signing {
            self.sign(&mut request, signing).await?;
        }
        Ok(outbound::send(&self.http, request).await?)
    }

    async fn credentials(&self, signing: &Signing) -> Result<Credentials, HttpError> {
        let fresh = |credentials: &Credentials| {
            credentials
                .expiry()
                .is_none_or(|expiry| expiry > SystemTime::now() + REFRESH_BEFORE_EXPIRY)
        };
        let cached = self.cached.lock().expect("credential cache").clone();
        if let Some(credentials) = cached.filter(fresh) {
            return Ok(credentials);
        }
        let credentials = signing.credentials.provide_credentials().await?;
        *self.cached.lock().expect("credential cache") = Some(credentials.clone());
        Ok(credentials)
    }

    async fn sign(&self, request: &mut Request<Bytes>, signing: &Signing) -> Result<(), HttpError> {
        let identity = self.credentials(signing).await?.into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&signing.region)
            .name(&signing.service)
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()?
            .into();
        let uri = request.uri().to_string();
        let headers = request
            .headers()
            .iter()
            .filter_map(|(name, value)| Some((name.as_str(), value.to_str().ok()?)));
        let signable = SignableRequest::new(
            request.method().as_str(),
            &uri,
            headers,
            SignableBody::Bytes(request.body()),
        )?;
        let (instructions, _signature) = sign(signable, &params)?.into_parts();
        instructions.apply_to_request_http1x(request);
        Ok(())
    }
}

#[async_trait]
impl HttpClient for ExportClient {
    async fn send_bytes(&self, request: Request<Bytes>) -> Result<Response<Bytes>, HttpError> {
        let inner = self.inner.clone();
        self.runtime
            .spawn(async move { inner.send(request).await })
            .await?
    }
}
