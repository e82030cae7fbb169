//! Turns what the S3 SDK reports into the engine's errors, one user-actionable kind each.

use std::error::Error as StdError;

use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::http::Response as HttpResponse;

use crate::error::{Access, ServiceDetail};
use crate::Error;

/// What was being done when a request failed, so the error can say so.
#[derive(Debug, Clone)]
pub(crate) struct Attempt<'a> {
    pub bucket: &'a str,
    pub region: &'a str,
    pub endpoint: &'a str,
    pub access_key_id: Option<&'a str>,
    /// "saving “backend/main.py”": slots into "... failed while {operation}".
    pub operation: String,
    pub access: Access,
    pub prefix: String,
}

/// The parts of a service error that decide its meaning.
pub(crate) struct ServiceAnswer {
    pub detail: ServiceDetail,
    /// `x-amz-bucket-region`, sent by AWS when a request went to the wrong region.
    pub bucket_region: Option<String>,
}

impl ServiceAnswer {
    pub fn code(&self) -> Option<&str> {
        self.detail.code.as_deref()
    }

    pub fn status(&self) -> Option<u16> {
        self.detail.status
    }
}

/// The service's answer, if the request got one that parsed as an S3 error.
pub(crate) fn service_answer<E>(err: &SdkError<E, HttpResponse>) -> Option<ServiceAnswer>
where
    E: ProvideErrorMetadata,
{
    match err {
        SdkError::ServiceError(service) => {
            let raw = service.raw();
            Some(ServiceAnswer {
                detail: ServiceDetail {
                    code: service.err().code().map(str::to_string),
                    message: service.err().message().map(str::to_string),
                    status: Some(raw.status().as_u16()),
                },
                bucket_region: raw.headers().get("x-amz-bucket-region").map(str::to_string),
            })
        }
        _ => None,
    }
}

/// Maps any failed request to the error a user can act on.
pub(crate) fn classify<E>(err: SdkError<E, HttpResponse>, attempt: &Attempt<'_>) -> Error
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
{
    if let Some(answer) = service_answer(&err) {
        return classify_answer(answer, attempt);
    }
    if let Some(credentials) = find_in_chain::<CredentialsError>(&err) {
        return Error::NoCredentials {
            detail: short_cause(credentials),
        };
    }
    let detail = DisplayErrorContext(&err).to_string();
    match &err {
        SdkError::TimeoutError(_) => Error::StorageTimeout {
            operation: attempt.operation.clone(),
        },
        SdkError::DispatchFailure(failure) if failure.is_timeout() => Error::StorageTimeout {
            operation: attempt.operation.clone(),
        },
        SdkError::DispatchFailure(failure) if failure.is_user() => Error::InvalidStoreSettings {
            reason: format!(
                "requests to {} could not be made: {detail}",
                attempt.endpoint
            ),
        },
        SdkError::DispatchFailure(_) if is_connect_failure(&err, &detail) => {
            Error::EndpointUnreachable {
                endpoint: attempt.endpoint.to_string(),
                detail: short_cause(&err),
            }
        }
        SdkError::DispatchFailure(_) => Error::ConnectionLost {
            endpoint: attempt.endpoint.to_string(),
            operation: attempt.operation.clone(),
            detail: short_cause(&err),
        },
        SdkError::ResponseError(response) => {
            let status = response.raw().status().as_u16();
            let detail = ServiceDetail {
                code: None,
                message: Some(format!(
                    "the answer was not an S3 response: {}",
                    short_cause(&err)
                )),
                status: Some(status),
            };
            if status == 503 || status == 429 {
                Error::StorageBusy {
                    operation: attempt.operation.clone(),
                    detail,
                }
            } else {
                Error::StorageFailed {
                    operation: attempt.operation.clone(),
                    detail,
                }
            }
        }
        _ => Error::StorageFailed {
            operation: attempt.operation.clone(),
            detail: ServiceDetail {
                code: None,
                message: Some(detail),
                status: None,
            },
        },
    }
}

/// Maps an S3 error answer; also used where a caller has looked at the answer first.
pub(crate) fn classify_answer(answer: ServiceAnswer, attempt: &Attempt<'_>) -> Error {
    let code = answer.code().unwrap_or("");
    let message = answer.detail.message.clone().unwrap_or_default();
    let lower = message.to_ascii_lowercase();
    let status = answer.status().unwrap_or(0);
    match code {
        "NoSuchBucket" => Error::BucketNotFound {
            bucket: attempt.bucket.to_string(),
        },
        "SignatureDoesNotMatch" => Error::BadSignature {
            detail: answer.detail,
        },
        "InvalidAccessKeyId" | "NotSignedUp" => Error::UnknownAccessKey {
            access_key_id: attempt.access_key_id.unwrap_or("").to_string(),
            detail: answer.detail,
        },
        // Garage answers a wrong secret or an unknown key with a plain AccessDenied.
        "AccessDenied" | "Forbidden" if lower.contains("signature") => Error::BadSignature {
            detail: answer.detail,
        },
        "AccessDenied" | "Forbidden" if lower.contains("no such key") => Error::UnknownAccessKey {
            access_key_id: attempt.access_key_id.unwrap_or("").to_string(),
            detail: answer.detail,
        },
        _ if code == "PermanentRedirect"
            || status == 301
            || (code == "AuthorizationHeaderMalformed"
                && region_in_message(&message).is_some()) =>
        {
            Error::WrongRegion {
                bucket: attempt.bucket.to_string(),
                configured: attempt.region.to_string(),
                actual: answer
                    .bucket_region
                    .clone()
                    .or_else(|| region_in_message(&message)),
            }
        }
        "AccessDenied" | "AllAccessDisabled" | "Forbidden" => Error::AccessDenied {
            bucket: attempt.bucket.to_string(),
            prefix: attempt.prefix.clone(),
            access: attempt.access,
            detail: answer.detail,
        },
        // A HEAD answer has no body, so only the status is left to go on.
        "" if status == 403 => Error::AccessDenied {
            bucket: attempt.bucket.to_string(),
            prefix: attempt.prefix.clone(),
            access: attempt.access,
            detail: answer.detail,
        },
        "SlowDown"
        | "ServiceUnavailable"
        | "Throttling"
        | "ThrottlingException"
        | "RequestLimitExceeded"
        | "TooManyRequests" => Error::StorageBusy {
            operation: attempt.operation.clone(),
            detail: answer.detail,
        },
        _ if status == 503 || status == 429 => Error::StorageBusy {
            operation: attempt.operation.clone(),
            detail: answer.detail,
        },
        _ => Error::StorageFailed {
            operation: attempt.operation.clone(),
            detail: answer.detail,
        },
    }
}

/// The region a wrong-region answer names: AWS says "expecting 'eu-west-1'", Garage gives
/// the scope it expected ("20250101/garage/s3/aws4_request").
fn region_in_message(message: &str) -> Option<String> {
    let quoted_after = |marker: &str| {
        let start = message.find(marker)? + marker.len();
        let rest = &message[start..];
        let end = rest.find('\'')?;
        Some(rest[..end].to_string())
    };
    if let Some(region) = quoted_after("expecting '") {
        return Some(region);
    }
    let scope = quoted_after("expected: '")?;
    scope.split('/').nth(1).map(str::to_string)
}

fn find_in_chain<'e, T: StdError + 'static>(err: &'e (dyn StdError + 'static)) -> Option<&'e T> {
    let mut current: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = current {
        if let Some(found) = e.downcast_ref::<T>() {
            return Some(found);
        }
        current = e.source();
    }
    None
}

fn is_connect_failure(err: &(dyn StdError + 'static), detail: &str) -> bool {
    if let Some(io) = find_in_chain::<std::io::Error>(err) {
        use std::io::ErrorKind::*;
        if matches!(
            io.kind(),
            ConnectionRefused | AddrNotAvailable | HostUnreachable | NetworkUnreachable
        ) {
            return true;
        }
    }
    let lower = detail.to_ascii_lowercase();
    lower.contains("tcp connect error")
        || lower.contains("dns error")
        || lower.contains("failed to lookup address")
        || lower.contains("connection refused")
}

/// The innermost cause: "Connection refused (os error 111)" rather than four layers of
/// "dispatch failure: io error: client error (Connect)".
fn short_cause(err: &(dyn StdError + 'static)) -> String {
    let mut current: &(dyn StdError + 'static) = err;
    while let Some(next) = current.source() {
        current = next;
    }
    let text = current.to_string().trim_end_matches('.').to_string();
    if text.is_empty() {
        DisplayErrorContext(err).to_string()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attempt() -> Attempt<'static> {
        Attempt {
            bucket: "team-bucket",
            region: "us-east-1",
            endpoint: "http://127.0.0.1:1",
            access_key_id: Some("AKIAEXAMPLE"),
            operation: "listing projects".into(),
            access: Access::List,
            prefix: "projects/alice/".into(),
        }
    }

    fn answer(status: u16, code: &str, message: &str) -> ServiceAnswer {
        ServiceAnswer {
            detail: ServiceDetail {
                code: (!code.is_empty()).then(|| code.to_string()),
                message: Some(message.to_string()),
                status: Some(status),
            },
            bucket_region: None,
        }
    }

    #[test]
    fn wrong_regions_are_recognised_in_the_words_of_aws_and_of_garage() {
        let aws = answer(
            400,
            "AuthorizationHeaderMalformed",
            "The authorization header is malformed; the region 'us-east-1' is wrong; expecting 'eu-west-1'",
        );
        match classify_answer(aws, &attempt()) {
            Error::WrongRegion { actual, .. } => assert_eq!(actual.as_deref(), Some("eu-west-1")),
            other => panic!("{other:?}"),
        }
        let garage = answer(
            400,
            "AuthorizationHeaderMalformed",
            "Authorization header malformed, unexpected scope: '20250101/us-east-1/s3/aws4_request', expected: '20250101/garage/s3/aws4_request'",
        );
        match classify_answer(garage, &attempt()) {
            Error::WrongRegion { actual, .. } => assert_eq!(actual.as_deref(), Some("garage")),
            other => panic!("{other:?}"),
        }
        let mut redirect = answer(301, "PermanentRedirect", "use the right endpoint");
        redirect.bucket_region = Some("ap-south-1".into());
        match classify_answer(redirect, &attempt()) {
            Error::WrongRegion { actual, .. } => assert_eq!(actual.as_deref(), Some("ap-south-1")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn garage_style_signature_denials_are_bad_signatures_not_missing_permissions() {
        let err = classify_answer(
            answer(403, "AccessDenied", "Forbidden: Invalid signature"),
            &attempt(),
        );
        assert_eq!(err.code(), "bad_signature");
        let err = classify_answer(
            answer(403, "AccessDenied", "Forbidden: No such key: GK123"),
            &attempt(),
        );
        assert_eq!(err.code(), "unknown_access_key");
        let err = classify_answer(answer(403, "AccessDenied", "Access Denied"), &attempt());
        assert_eq!(err.code(), "access_denied_list");
    }

    #[test]
    fn throttling_and_server_errors_are_told_apart() {
        assert_eq!(
            classify_answer(
                answer(503, "SlowDown", "Please reduce your request rate."),
                &attempt()
            )
            .code(),
            "storage_busy"
        );
        assert_eq!(
            classify_answer(
                answer(500, "InternalError", "We encountered an internal error."),
                &attempt()
            )
            .code(),
            "storage_failed"
        );
        assert_eq!(
            classify_answer(
                answer(404, "NoSuchBucket", "The specified bucket does not exist"),
                &attempt()
            )
            .code(),
            "bucket_not_found"
        );
    }
}
