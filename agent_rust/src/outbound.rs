//! One HTTP client for the agent's own outbound calls that are not AWS SDK operations: the
//! metadata service's plain GETs (`credentials`) and the OTLP trace export (`otlp_http`).
//!
//! Why hyper with rustls and the system's roots: the AWS SDK's own client is built on the same
//! crates (hyper 1, hyper-rustls with aws-lc, native roots), so the binary gains no second TLS
//! stack and trusts what the SDK trusts.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

pub type HttpClient = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

/// Largest answer body read: OTLP and metadata answers are small; a misbehaving peer is cut off.
const MAX_ANSWER_BYTES: usize = 4 << 20;

/// A client for `http` and `https` URLs (HTTP/1.1; TLS with the system's certificate roots).
pub fn client() -> Result<HttpClient, String> {
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_native_roots()
        .map_err(|error| format!("cannot load the system's certificate roots: {error}"))?
        .https_or_http()
        .enable_http1()
        .build();
    Ok(Client::builder(TokioExecutor::new()).build(connector))
}

/// Send `request` and read the whole answer (at most `MAX_ANSWER_BYTES`).
pub async fn send(
    client: &HttpClient,
    request: http::Request<Bytes>,
) -> Result<http::Response<Bytes>, String> {
    let answer = client
        .request(request.map(Full::new))
        .await
        .map_err(|error| error.to_string())?;
    let (parts, body) = answer.into_parts();
    let limited = http_body_util::Limited::new(body, MAX_ANSWER_BYTES);
    let bytes = limited
        .collect()
        .await
        .map_err(|error| error.to_string())?
        .to_bytes();
    Ok(http::Response::from_parts(parts, bytes))
}
