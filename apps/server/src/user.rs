//! Who the request is for.
//!
//! Today the caller names the user (`X-User-Id` header, or `user_id` in the query for browser
//! navigations that cannot set headers). A signed identity will replace this; it is extracted here
//! and nowhere else, so that swap touches one file.

use std::future::{Ready, ready};

use actix_web::{FromRequest, HttpRequest, dev::Payload};
use integration_core::UserId;

use crate::error::ApiError;

/// The header that names the user.
pub const USER_HEADER: &str = "X-User-Id";

/// The authenticated user of a request.
#[derive(Debug, Clone)]
pub struct CurrentUser(pub UserId);

impl CurrentUser {
    /// The user named by the request, if it names one; an error if it names one badly.
    pub fn optional(req: &HttpRequest) -> Result<Option<Self>, ApiError> {
        let from_header = match req.headers().get(USER_HEADER) {
            Some(value) => Some(
                value
                    .to_str()
                    .map_err(|_| ApiError::InvalidRequest("X-User-Id is not valid text".into()))?
                    .to_owned(),
            ),
            None => None,
        };
        let raw = from_header.or_else(|| query_param(req.query_string(), "user_id"));
        raw.map(|raw| {
            UserId::parse(raw)
                .map(CurrentUser)
                .map_err(|e| ApiError::InvalidRequest(format!("invalid user id: {e}")))
        })
        .transpose()
    }
}

impl FromRequest for CurrentUser {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Self::optional(req).and_then(|user| {
            user.ok_or_else(|| {
                ApiError::InvalidRequest(
                    "missing user: send the X-User-Id header or a user_id query parameter".into(),
                )
            })
        }))
    }
}

fn query_param(query: &str, name: &str) -> Option<String> {
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}
