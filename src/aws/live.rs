//! `--live`: do what OpenAI does, as the checking identity. AssumeRole with the ExternalId, then
//! Encrypt 32 random bytes and Decrypt them as the role; then the confused-deputy probe:
//! AssumeRole without an ExternalId and with a wrong one must both be refused. Nothing is
//! written to the account; neither the credentials nor the bytes are ever printed.

use std::time::Instant;

use aws_sdk_kms::primitives::Blob;

use super::describe_error;
use crate::inputs::{Live, LiveError, Registration};

pub const SESSION_NAME: &str = "ekm-check-selftest";

fn err<E, R>(e: &aws_sdk_kms::error::SdkError<E, R>) -> LiveError
where
    E: aws_sdk_kms::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    let (code, message) = describe_error(e);
    LiveError { code, message }
}

fn ms(t: Instant) -> f64 {
    (t.elapsed().as_secs_f64() * 1000.0 * 10.0).round() / 10.0
}

/// Run the live checks. `caller` is the checking identity's ARN.
pub async fn run(cfg: &aws_config::SdkConfig, reg: &Registration, caller: Option<String>) -> Live {
    let sts = aws_sdk_sts::Client::new(cfg);
    let role = reg.role_arn.clone().unwrap_or_default();
    let external_id = reg.external_id.clone().unwrap_or_default();
    let mut live = Live {
        caller,
        assume: Err(LiveError {
            code: None,
            message: "not attempted".into(),
        }),
        encrypt: None,
        decrypt: None,
        round_trip_matches: None,
        without_external_id: None,
        wrong_external_id: None,
    };
    let t = Instant::now();
    let assumed = sts
        .assume_role()
        .role_arn(&role)
        .role_session_name(SESSION_NAME)
        .external_id(&external_id)
        .duration_seconds(900)
        .send()
        .await;
    let creds = match assumed {
        Ok(out) => {
            live.assume = Ok(ms(t));
            out.credentials().cloned()
        }
        Err(e) => {
            live.assume = Err(err(&e));
            return live;
        }
    };
    let Some(c) = creds else {
        live.assume = Err(LiveError {
            code: None,
            message: "AssumeRole returned no credentials".into(),
        });
        return live;
    };
    let provider = aws_sdk_kms::config::Credentials::new(
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token().to_string()),
        None,
        "ekm-check-live",
    );
    let mut builder = aws_sdk_kms::config::Builder::from(cfg).credentials_provider(provider);
    if let Some(region) = reg.kms_arn.as_deref().and_then(super::region_of) {
        builder = builder.region(aws_config::Region::new(region.to_string()));
    }
    let kms = aws_sdk_kms::Client::from_conf(builder.build());
    let mut plaintext = [0u8; 32];
    if getrandom::fill(&mut plaintext).is_err() {
        live.encrypt = Some(Err(LiveError {
            code: None,
            message: "no random bytes from the operating system".into(),
        }));
        return live;
    }
    let kms_arn = reg.kms_arn.clone().unwrap_or_default();
    let t = Instant::now();
    let enc = kms
        .encrypt()
        .key_id(&kms_arn)
        .plaintext(Blob::new(plaintext.to_vec()))
        .send()
        .await;
    match enc {
        Ok(out) => {
            live.encrypt = Some(Ok(ms(t)));
            if let Some(blob) = out.ciphertext_blob() {
                let t = Instant::now();
                match kms
                    .decrypt()
                    .key_id(&kms_arn)
                    .ciphertext_blob(blob.clone())
                    .send()
                    .await
                {
                    Ok(d) => {
                        live.decrypt = Some(Ok(ms(t)));
                        live.round_trip_matches =
                            Some(d.plaintext().map(|p| p.as_ref()) == Some(&plaintext[..]));
                    }
                    Err(e) => live.decrypt = Some(Err(err(&e))),
                }
            }
        }
        Err(e) => live.encrypt = Some(Err(err(&e))),
    }
    plaintext.fill(0);
    // The confused-deputy probe: both must be refused.
    let without = sts
        .assume_role()
        .role_arn(&role)
        .role_session_name(SESSION_NAME)
        .duration_seconds(900)
        .send()
        .await;
    live.without_external_id = Some(without.map(|_| ()).map_err(|e| err(&e)));
    let wrong = sts
        .assume_role()
        .role_arn(&role)
        .role_session_name(SESSION_NAME)
        .external_id(format!("{external_id}-ekm-check-wrong"))
        .duration_seconds(900)
        .send()
        .await;
    live.wrong_external_id = Some(wrong.map(|_| ()).map_err(|e| err(&e)));
    live
}
