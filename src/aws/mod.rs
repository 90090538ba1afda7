//! Reading the customer's AWS account: the standard credential chain and configuration, and a
//! loader that fills an `ekm-check.snapshot/v1` with read-only calls, run concurrently.

pub mod accounts;
pub mod evidence;
pub mod live;
pub mod loader;
pub mod org;
pub mod scan;

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};

/// How to reach AWS: `--profile`, `--region`, `--endpoint-url` and the timeouts.
#[derive(Debug, Clone, Default)]
pub struct AwsOptions {
    pub profile: Option<String>,
    pub region: Option<String>,
    pub endpoint_url: Option<String>,
    pub connect_timeout: Option<Duration>,
    pub read_timeout: Option<Duration>,
    pub max_attempts: Option<u32>,
}

pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(10);
pub const DEFAULT_MAX_ATTEMPTS: u32 = 4;
/// A scan makes many calls per account: throttling is retried at least this often.
pub const SCAN_MIN_ATTEMPTS: u32 = 8;

/// The SDK configuration: aws-config's default chain (environment, profiles, SSO,
/// `credential_process`, IMDS), with the region from `--region`, else from the key's ARN, else
/// the profile's; `--endpoint-url`, else `AWS_ENDPOINT_URL` (and the per-service variables).
pub async fn sdk_config(o: &AwsOptions, region_from_arn: Option<&str>) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(o.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT))
                .read_timeout(o.read_timeout.unwrap_or(DEFAULT_READ_TIMEOUT))
                .build(),
        )
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(o.max_attempts.unwrap_or(DEFAULT_MAX_ATTEMPTS))
                .with_initial_backoff(Duration::from_millis(200)),
        );
    if let Some(p) = &o.profile {
        loader = loader.profile_name(p);
    }
    match o.region.as_deref().or(region_from_arn) {
        Some(r) => loader = loader.region(Region::new(r.to_string())),
        // No region anywhere (e.g. kms_arn is a bare key id, which EKM001 reports): IAM and STS
        // are global, so the role can still be read through us-east-1.
        None => {
            loader = loader.region(
                aws_config::meta::region::RegionProviderChain::default_provider()
                    .or_else(Region::from_static("us-east-1")),
            )
        }
    }
    if let Some(e) = &o.endpoint_url {
        loader = loader.endpoint_url(e);
    }
    loader.load().await
}

/// The region part of an ARN (`arn:aws:kms:REGION:…`).
pub fn region_of(arn: &str) -> Option<&str> {
    arn.split(':').nth(3).filter(|r| !r.is_empty())
}

/// "Code: message" of an SDK error, or its full display for errors that never reached AWS.
pub fn describe_error<E, R>(e: &aws_sdk_kms::error::SdkError<E, R>) -> (Option<String>, String)
where
    E: aws_sdk_kms::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    match e.as_service_error() {
        Some(s) => {
            let code = s.code().unwrap_or("ServiceError").to_string();
            let msg = s.message().unwrap_or_default().to_string();
            (Some(code.clone()), format!("{code}: {msg}"))
        }
        None => {
            // The chain of causes, each once, without the debug dump of the raw response.
            let mut parts: Vec<String> = vec![e.to_string()];
            let mut cur: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
            while let Some(err) = cur {
                let s = err.to_string();
                if !s.is_empty() && !parts.iter().any(|p| p.contains(&s)) {
                    parts.push(s);
                }
                cur = err.source();
            }
            (None, parts.join(": "))
        }
    }
}
