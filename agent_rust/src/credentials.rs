//! Where the agent's AWS credentials come from: the SDK's default chain (environment, shared
//! files, web identity, container and instance metadata), then the metadata service asked
//! without a session token.
//!
//! Why the second step: inside AgentCore the execution role's credentials come from the microVM's
//! metadata service. The SDK's instance-metadata provider only speaks the token protocol
//! (IMDSv2: `PUT /latest/api/token`, then GETs carrying the token) and does not fall back; field
//! reports say AgentCore's service answered only plain GETs, while AWS now turns MMDSv2 (the token
//! protocol) on for every runtime. Both must work, so when the whole chain fails the same two
//! GETs are tried without a token, as botocore (the Python agent's SDK) does on its own. The
//! standard `AWS_EC2_METADATA_SERVICE_ENDPOINT` and `AWS_EC2_METADATA_DISABLED` apply to both.
//! Credentials are cached by the SDK clients until shortly before they expire.

use std::time::{Duration, SystemTime};

use aws_config::default_provider::credentials::DefaultCredentialsChain;
use aws_credential_types::Credentials;
use aws_credential_types::provider::{self, ProvideCredentials, error::CredentialsError, future};
use bytes::Bytes;
use serde::Deserialize;

use crate::outbound::{self, HttpClient};

const DEFAULT_ENDPOINT: &str = "http://169.254.169.254";
const ROLES_PATH: &str = "/latest/meta-data/iam/security-credentials/";
/// The service is link-local: an answer takes milliseconds or never comes.
const METADATA_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Debug)]
pub struct AgentCredentials {
    chain: DefaultCredentialsChain,
    http: HttpClient,
}

impl AgentCredentials {
    pub async fn new(region: &str, http: HttpClient) -> Self {
        let chain = DefaultCredentialsChain::builder()
            .region(aws_config::Region::new(region.to_string()))
            .build()
            .await;
        Self { chain, http }
    }

    async fn credentials(&self) -> provider::Result {
        let failure = match self.chain.provide_credentials().await {
            Ok(credentials) => return Ok(credentials),
            Err(failure) => failure,
        };
        if metadata_disabled() {
            return Err(failure);
        }
        match self.plain_metadata().await {
            Ok(credentials) => Ok(credentials),
            // The chain's error says what was tried first; add why the plain GETs failed too.
            Err(plain) => Err(CredentialsError::provider_error(format!(
                "{}; the metadata service without a token: {plain}",
                DisplayChain(&failure)
            ))),
        }
    }

    /// The role name, then its credentials, by plain GETs (no token).
    async fn plain_metadata(&self) -> Result<Credentials, String> {
        let endpoint = metadata_endpoint();
        let roles = self.get(&format!("{endpoint}{ROLES_PATH}")).await?;
        let role = std::str::from_utf8(&roles)
            .ok()
            .and_then(|text| text.lines().next())
            .map(str::trim)
            .filter(|role| !role.is_empty())
            .ok_or("no role in the metadata service's answer")?;
        let document = self.get(&format!("{endpoint}{ROLES_PATH}{role}")).await?;
        parse_credentials(&document)
    }

    async fn get(&self, url: &str) -> Result<Bytes, String> {
        let request = http::Request::get(url)
            .body(Bytes::new())
            .map_err(|error| format!("{url}: {error}"))?;
        let answer = tokio::time::timeout(METADATA_TIMEOUT, outbound::send(&self.http, request))
            .await
            .map_err(|_| format!("{url}: no answer within {METADATA_TIMEOUT:?}"))??;
        if !answer.status().is_success() {
            return Err(format!("{url} answered {}", answer.status()));
        }
        Ok(answer.into_body())
    }
}

impl ProvideCredentials for AgentCredentials {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(self.credentials())
    }
}

fn metadata_disabled() -> bool {
    std::env::var("AWS_EC2_METADATA_DISABLED").is_ok_and(|value| value.eq_ignore_ascii_case("true"))
}

fn metadata_endpoint() -> String {
    std::env::var("AWS_EC2_METADATA_SERVICE_ENDPOINT")
        .ok()
        .filter(|value| !value.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_ENDPOINT.to_string())
        .trim()
        .trim_end_matches('/')
        .to_string()
}

/// The metadata service's credential document (the fields the instance metadata format has).
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Document {
    code: Option<String>,
    access_key_id: Option<String>,
    secret_access_key: Option<String>,
    token: Option<String>,
    expiration: Option<String>,
}

fn parse_credentials(body: &[u8]) -> Result<Credentials, String> {
    let document: Document = serde_json::from_slice(body)
        .map_err(|error| format!("the credential document is not JSON: {error}"))?;
    if let Some(code) = document.code.as_deref().filter(|code| *code != "Success") {
        return Err(format!("the metadata service answered code {code}"));
    }
    let (Some(key), Some(secret)) = (document.access_key_id, document.secret_access_key) else {
        return Err("the credential document has no AccessKeyId or SecretAccessKey".into());
    };
    let expiry = match document.expiration {
        None => None,
        Some(text) => Some(
            chrono::DateTime::parse_from_rfc3339(&text)
                .map(SystemTime::from)
                .map_err(|_| format!("Expiration is not an RFC 3339 time: {text}"))?,
        ),
    };
    Ok(Credentials::new(
        key,
        secret,
        document.token,
        expiry,
        "metadata-service-plain",
    ))
}

/// An error with its sources, on one line.
struct DisplayChain<'a>(&'a (dyn std::error::Error + 'static));

impl std::fmt::Display for DisplayChain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut current = Some(self.0);
        let mut first = true;
        while let Some(error) = current {
            if !first {
                f.write_str(": ")?;
            }
            write!(f, "{error}")?;
            first = false;
            current = error.source();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_credential_document_becomes_expiring_credentials() {
        let credentials = parse_credentials(
            br#"{"Code":"Success","AccessKeyId":"ASIAEXAMPLE","SecretAccessKey":"s","Token":"t","Expiration":"2026-12-04T10:00:00Z"}"#,
        )
        .unwrap();
        assert_eq!(credentials.access_key_id(), "ASIAEXAMPLE");
        assert_eq!(credentials.session_token(), Some("t"));
        assert_eq!(
            credentials.expiry(),
            Some(SystemTime::from(
                chrono::DateTime::parse_from_rfc3339("2026-12-04T10:00:00Z").unwrap()
            ))
        );
    }

    #[test]
    fn a_failed_document_says_its_code() {
        let error = parse_credentials(br#"{"Code":"AssumeRoleUnauthorizedAccess"}"#).unwrap_err();
        assert_eq!(
            error,
            "the metadata service answered code AssumeRoleUnauthorizedAccess"
        );
    }
}
