//! Read requests into typed values, answering every malformed part with a problem (never
//! axum's plain-text rejections, never a 500): query strings, path parameters, the bearer
//! token and the envelope body.

use crate::Ctx;
use crate::auth::{AuthError, Principal, Secret};
use crate::limits::{AUTHORIZATION_BYTES_MAX, QUERY_BYTES_MAX};
use crate::problem::{Kind, Problem};
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{HeaderMap, header, request::Parts};
use http_body_util::BodyExt as _;
use serde::de::DeserializeOwned;

/// A query string parsed into `T`, which should `deny_unknown_fields`: unknown, repeated or
/// malformed parameters are a 400 `invalid-parameter` naming the parameter.
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Problem> {
        let query = parts.uri.query().unwrap_or("");
        parse_query(query).map(Query)
    }
}

/// Parse a query string into `T`.
pub fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, Problem> {
    if query.len() > QUERY_BYTES_MAX {
        return Err(Problem::new(
            Kind::InvalidParameter,
            format!("query string is {} bytes, at most {QUERY_BYTES_MAX}", query.len()),
        ));
    }
    serde_urlencoded::from_str(query)
        .map_err(|e| Problem::new(Kind::InvalidParameter, format!("query string: {e}")))
}

/// For endpoints without parameters: any query is refused, so a typo is not silently
/// ignored.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct NoQuery {}

/// A path parameter parsed into `T`: one that does not parse is a 400 `invalid-parameter`.
pub struct PathParam<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for PathParam<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(PathParam(value)),
            Err(e) => Err(Problem::new(Kind::InvalidParameter, format!("path: {}", e.body_text()))),
        }
    }
}

/// The caller, from `Authorization: Bearer <token>`: 401 `unauthorized` if the header is
/// missing, malformed, repeated, or names an unknown or revoked token.
pub struct Caller(pub Principal);

impl FromRequestParts<Ctx> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, ctx: &Ctx) -> Result<Self, Problem> {
        let secret = bearer(&parts.headers)?;
        let hash = secret.hash();
        let auth = ctx.auth.clone();
        // The node's authenticator may read a file: off the async threads.
        let found = crate::blocking(move || {
            auth.find(&hash).map_err(|e| match e {
                AuthError::Store(_) => Problem::new(Kind::Store, e.to_string()),
                AuthError::Malformed => unauthorized(e.to_string()),
            })
        })
        .await?;
        let Some(record) = found else {
            return Err(unauthorized("the token is not known to this node".into()));
        };
        Principal::of(&record, ctx.ledger.genesis()).map(Caller)
    }
}

fn unauthorized(detail: String) -> Problem {
    Problem::new(Kind::Unauthorized, detail)
}

/// The bearer token's secret.
fn bearer(headers: &HeaderMap) -> Result<Secret, Problem> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let Some(value) = values.next() else {
        return Err(unauthorized("no Authorization header; send `Authorization: Bearer <token>`".into()));
    };
    if values.next().is_some() {
        return Err(unauthorized("more than one Authorization header".into()));
    }
    if value.len() > AUTHORIZATION_BYTES_MAX {
        return Err(unauthorized(format!(
            "Authorization header is {} bytes, at most {AUTHORIZATION_BYTES_MAX}",
            value.len()
        )));
    }
    let text = value.to_str().map_err(|_| unauthorized("Authorization header is not ASCII".into()))?;
    let (scheme, token) = text.trim().split_once(' ').unwrap_or((text, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(unauthorized("Authorization scheme must be `Bearer`".into()));
    }
    Secret::parse(token.trim()).map_err(|e| unauthorized(e.to_string()))
}

/// A JSON body of at most `MAX` bytes: 415 `unsupported-media-type` unless
/// `Content-Type` is `application/json` (parameters allowed), 413 `body-too-large` beyond
/// `MAX`. The bytes are not parsed here.
pub struct JsonBytes<const MAX: usize>(pub Bytes);

impl<S: Send + Sync, const MAX: usize> FromRequest<S> for JsonBytes<MAX> {
    type Rejection = Problem;

    async fn from_request(req: Request, _: &S) -> Result<Self, Problem> {
        let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
        let essence = content_type.map(|c| c.split(';').next().unwrap_or("").trim());
        if !essence.is_some_and(|e| e.eq_ignore_ascii_case("application/json")) {
            return Err(Problem::new(
                Kind::UnsupportedMediaType,
                format!(
                    "Content-Type is {}, expected application/json",
                    content_type.map_or_else(|| "missing".to_string(), |c| format!("{c:?}"))
                ),
            ));
        }
        let too_large = |got: String| {
            Problem::new(Kind::BodyTooLarge, format!("body is {got} bytes, at most {MAX} bytes are accepted"))
        };
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if let Some(length) = declared
            && length > u64::try_from(MAX).unwrap_or(u64::MAX)
        {
            return Err(too_large(length.to_string()));
        }
        let limited = http_body_util::Limited::new(req.into_body(), MAX);
        match limited.collect().await {
            Ok(collected) => Ok(JsonBytes(collected.to_bytes())),
            Err(e) if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() => {
                Err(too_large("more than that".into()))
            }
            Err(e) => Err(Problem::new(Kind::InvalidParameter, format!("the body could not be read: {e}"))),
        }
    }
}
