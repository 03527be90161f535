//! Request input: JSON bodies and query strings, validated into per-field error codes.

use std::collections::BTreeMap;

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, Uri};
use chrono::{DateTime, NaiveDate, Utc};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::error::ApiError;
use crate::model::Ts;

/// Largest accepted request body.
pub const BODY_LIMIT: usize = 256 * 1024;

/// Whether a Content-Type header names JSON.
pub fn is_json_content_type(v: Option<&axum::http::HeaderValue>) -> bool {
    let Some(v) = v.and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let mime = v
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
}

/// Reads a body with the size limit (413 when over it).
pub async fn read_body(body: axum::body::Body) -> Result<axum::body::Bytes, ApiError> {
    axum::body::to_bytes(body, BODY_LIMIT).await.map_err(|e| {
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
        while let Some(s) = source {
            if s.to_string().contains("length limit") {
                return ApiError::payload_too_large(BODY_LIMIT);
            }
            source = s.source();
        }
        ApiError::bad_request("invalid_body", "the request body could not be read")
    })
}

/// A JSON request body: 415 if it is not declared as JSON, 413 if too large, 400 if it does
/// not parse.
pub struct JsonBody(pub Value);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        if let Some(len) = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok())
        {
            if len > BODY_LIMIT {
                return Err(ApiError::payload_too_large(BODY_LIMIT));
            }
        }
        if !is_json_content_type(req.headers().get(header::CONTENT_TYPE)) {
            return Err(ApiError::unsupported_media_type());
        }
        let bytes = read_body(req.into_body()).await?;
        if bytes.iter().all(|b| b.is_ascii_whitespace()) {
            return Err(ApiError::invalid_json("the body is empty"));
        }
        let v: Value = serde_json::from_slice(&bytes).map_err(ApiError::invalid_json)?;
        Ok(JsonBody(v))
    }
}

/// An optional JSON body (endpoints whose body is optional): an empty body is `{}`.
pub struct OptionalJsonBody(pub Value);

impl<S: Send + Sync> FromRequest<S> for OptionalJsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let declared = req.headers().contains_key(header::CONTENT_TYPE);
        let has_len = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim() != "0");
        if !declared && !has_len {
            let bytes = read_body(req.into_body()).await?;
            if bytes.iter().all(|b| b.is_ascii_whitespace()) {
                return Ok(OptionalJsonBody(Value::Object(Map::new())));
            }
            return Err(ApiError::unsupported_media_type());
        }
        if declared && !has_len && is_json_content_type(req.headers().get(header::CONTENT_TYPE)) {
            let bytes = read_body(req.into_body()).await?;
            if bytes.iter().all(|b| b.is_ascii_whitespace()) {
                return Ok(OptionalJsonBody(Value::Object(Map::new())));
            }
            let v: Value = serde_json::from_slice(&bytes).map_err(ApiError::invalid_json)?;
            return Ok(OptionalJsonBody(v));
        }
        JsonBody::from_request(req, state)
            .await
            .map(|JsonBody(v)| OptionalJsonBody(v))
    }
}

/// The query string as ordered pairs (400 `invalid_query` if it cannot be decoded).
pub struct Query(pub Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for Query {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parse_query(&parts.uri).map(Query)
    }
}

pub fn parse_query(uri: &Uri) -> Result<Vec<(String, String)>, ApiError> {
    axum::extract::Query::<Vec<(String, String)>>::try_from_uri(uri)
        .map(|q| q.0)
        .map_err(|_| ApiError::bad_request("invalid_query", "the query string cannot be decoded"))
}

/// An RFC 3339 date-time as JSON Schema's `date-time` format has it: `T` (or `t`) between the
/// date and the time, never a space.
pub fn parse_date_time(s: &str) -> Option<Ts> {
    if !matches!(s.as_bytes().get(10), Some(b'T' | b't')) {
        return None;
    }
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// A `YYYY-MM-DD` date as JSON Schema's `date` format has it: exactly ten characters, the
/// month and day with two digits each.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let shape = s.len() == 10
        && s.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    shape
        .then(|| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
        .flatten()
}

/// Common list parameters.
#[derive(Debug, Clone)]
pub struct ListParams {
    pub page: u64,
    pub page_size: u64,
    pub updated_since: Option<Ts>,
    pub include_deleted: bool,
}

/// Query parameters with per-field validation.
pub struct Params {
    map: BTreeMap<String, String>,
    errors: BTreeMap<String, String>,
}

impl Params {
    pub fn new(q: Query) -> Self {
        Self {
            map: q.0.into_iter().collect(),
            errors: BTreeMap::new(),
        }
    }

    pub fn str(&mut self, k: &str) -> Option<String> {
        self.map.get(k).cloned()
    }

    pub fn enum_<E: DeserializeOwned>(&mut self, k: &str) -> Option<E> {
        let v = self.map.get(k)?;
        match serde_json::from_value(Value::String(v.clone())) {
            Ok(e) => Some(e),
            Err(_) => {
                self.errors.insert(k.into(), "invalid_value".into());
                None
            }
        }
    }

    pub fn ts(&mut self, k: &str) -> Option<Ts> {
        let v = self.map.get(k)?;
        match parse_date_time(v) {
            Some(t) => Some(t),
            None => {
                self.errors.insert(k.into(), "invalid_datetime".into());
                None
            }
        }
    }

    pub fn bool(&mut self, k: &str) -> Option<bool> {
        match self.map.get(k).map(String::as_str) {
            None => None,
            Some("true") | Some("1") => Some(true),
            Some("false") | Some("0") => Some(false),
            Some(_) => {
                self.errors.insert(k.into(), "must_be_boolean".into());
                None
            }
        }
    }

    fn int(&mut self, k: &str, default: u64, min: u64, max: u64) -> u64 {
        match self.map.get(k) {
            None => default,
            Some(v) => match v.parse::<u64>() {
                Ok(n) if (min..=max).contains(&n) => n,
                Ok(_) => {
                    self.errors
                        .insert(k.into(), format!("must_be_between_{min}_and_{max}"));
                    default
                }
                Err(_) => {
                    self.errors.insert(k.into(), "must_be_integer".into());
                    default
                }
            },
        }
    }

    pub fn list(&mut self) -> ListParams {
        ListParams {
            page: self.int("page", 1, 1, 1_000_000),
            page_size: self.int("page_size", 50, 1, 100),
            updated_since: self.ts("updated_since"),
            include_deleted: self.bool("include_deleted").unwrap_or(false),
        }
    }

    pub fn finish(self) -> Result<(), ApiError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::validation(self.errors))
        }
    }
}

/// A JSON object body read field by field; unknown fields are refused.
pub struct Input {
    map: Map<String, Value>,
    prefix: String,
    seen: Vec<String>,
    pub errors: BTreeMap<String, String>,
}

impl Input {
    pub fn new(v: Value) -> Result<Self, ApiError> {
        match v {
            Value::Object(map) => Ok(Self {
                map,
                prefix: String::new(),
                seen: Vec::new(),
                errors: BTreeMap::new(),
            }),
            _ => Err(ApiError::field("body", "must_be_object")),
        }
    }

    fn nested(v: Value, prefix: String, errors: &mut BTreeMap<String, String>) -> Option<Self> {
        match v {
            Value::Object(map) => Some(Self {
                map,
                prefix,
                seen: Vec::new(),
                errors: BTreeMap::new(),
            }),
            _ => {
                errors.insert(
                    prefix.trim_end_matches('.').to_string(),
                    "must_be_object".into(),
                );
                None
            }
        }
    }

    fn name(&self, k: &str) -> String {
        format!("{}{k}", self.prefix)
    }

    pub fn err(&mut self, k: &str, code: &str) {
        let n = self.name(k);
        self.errors.entry(n).or_insert_with(|| code.to_string());
    }

    pub fn has(&self, k: &str) -> bool {
        self.map.contains_key(k)
    }

    /// All keys of the object (all count as known).
    pub fn keys(&mut self) -> Vec<String> {
        let k: Vec<String> = self.map.keys().cloned().collect();
        self.seen.extend(k.iter().cloned());
        k
    }

    /// A raw value.
    pub fn raw(&mut self, k: &str) -> Option<Value> {
        self.take(k)
    }

    fn take(&mut self, k: &str) -> Option<Value> {
        self.seen.push(k.to_string());
        self.map.get(k).cloned()
    }

    /// `None`: absent. `Some(None)`: explicitly null. `Some(Some(s))`: a string. At most `max`
    /// characters as sent (as the document's `maxLength` counts them), then trimmed; blank is
    /// null.
    pub fn opt_str(&mut self, k: &str, max: usize) -> Option<Option<String>> {
        match self.take(k)? {
            Value::Null => Some(None),
            Value::String(s) => {
                if s.chars().count() > max {
                    self.err(k, "too_long");
                    return None;
                }
                let s = s.trim().to_string();
                if s.is_empty() {
                    Some(None)
                } else {
                    Some(Some(s))
                }
            }
            _ => {
                self.err(k, "must_be_string");
                None
            }
        }
    }

    /// A required field, from what `read` (one of the `opt_` readers) made of it: absent is
    /// `required`, null (or what `read` treats as null) is `null_code`, and an invalid value
    /// has already been reported by `read`.
    fn required<T>(
        &mut self,
        k: &str,
        null_code: &str,
        read: impl FnOnce(&mut Self) -> Option<Option<T>>,
    ) -> Option<T> {
        let present = self.has(k);
        match read(self) {
            Some(Some(v)) => Some(v),
            Some(None) => {
                self.err(k, if present { null_code } else { "required" });
                None
            }
            None => {
                if !present {
                    self.err(k, "required");
                }
                None
            }
        }
    }

    pub fn req_str(&mut self, k: &str, max: usize) -> Option<String> {
        self.required(k, "must_not_be_empty", |i| i.opt_str(k, max))
    }

    /// A non-empty string that may not be null (PATCH of a required field).
    pub fn patch_str(&mut self, k: &str, max: usize) -> Option<String> {
        if !self.has(k) {
            self.take(k);
            return None;
        }
        self.req_str(k, max)
    }

    pub fn opt_enum<E: DeserializeOwned>(&mut self, k: &str) -> Option<Option<E>> {
        match self.take(k)? {
            Value::Null => Some(None),
            v @ Value::String(_) => match serde_json::from_value(v) {
                Ok(e) => Some(Some(e)),
                Err(_) => {
                    self.err(k, "invalid_value");
                    None
                }
            },
            _ => {
                self.err(k, "must_be_string");
                None
            }
        }
    }

    pub fn req_enum<E: DeserializeOwned>(&mut self, k: &str) -> Option<E> {
        self.required(k, "required", |i| i.opt_enum(k))
    }

    pub fn patch_enum<E: DeserializeOwned>(&mut self, k: &str) -> Option<E> {
        if !self.has(k) {
            self.take(k);
            return None;
        }
        self.req_enum(k)
    }

    pub fn opt_ts(&mut self, k: &str) -> Option<Option<Ts>> {
        match self.take(k)? {
            Value::Null => Some(None),
            Value::String(s) => match parse_date_time(&s) {
                Some(t) => Some(Some(t)),
                None => {
                    self.err(k, "invalid_datetime");
                    None
                }
            },
            _ => {
                self.err(k, "invalid_datetime");
                None
            }
        }
    }

    pub fn req_ts(&mut self, k: &str) -> Option<Ts> {
        self.required(k, "required", |i| i.opt_ts(k))
    }

    pub fn patch_ts(&mut self, k: &str) -> Option<Ts> {
        if !self.has(k) {
            self.take(k);
            return None;
        }
        self.req_ts(k)
    }

    pub fn opt_date(&mut self, k: &str) -> Option<Option<NaiveDate>> {
        match self.take(k)? {
            Value::Null => Some(None),
            Value::String(s) => match parse_date(&s) {
                Some(d) => Some(Some(d)),
                None => {
                    self.err(k, "invalid_date");
                    None
                }
            },
            _ => {
                self.err(k, "invalid_date");
                None
            }
        }
    }

    pub fn opt_bool(&mut self, k: &str) -> Option<Option<bool>> {
        match self.take(k)? {
            Value::Null => Some(None),
            Value::Bool(b) => Some(Some(b)),
            _ => {
                self.err(k, "must_be_boolean");
                None
            }
        }
    }

    pub fn req_bool(&mut self, k: &str) -> Option<bool> {
        match self.opt_bool(k) {
            Some(Some(b)) => Some(b),
            Some(None) => {
                self.err(k, "required");
                None
            }
            None => {
                if !self.has(k) {
                    self.err(k, "required");
                }
                None
            }
        }
    }

    /// A non-negative integer.
    pub fn opt_u64(&mut self, k: &str, max: u64) -> Option<Option<u64>> {
        match self.take(k)? {
            Value::Null => Some(None),
            Value::Number(n) => match n.as_u64() {
                Some(v) if v <= max => Some(Some(v)),
                _ => {
                    self.err(k, "out_of_range");
                    None
                }
            },
            _ => {
                self.err(k, "must_be_integer");
                None
            }
        }
    }

    /// An array of objects, each read by `f` with a nested `Input`.
    pub fn opt_array<T>(
        &mut self,
        k: &str,
        max_len: usize,
        mut f: impl FnMut(&mut Input) -> Option<T>,
    ) -> Option<Vec<T>> {
        match self.take(k)? {
            Value::Null => Some(Vec::new()),
            Value::Array(items) => {
                if items.len() > max_len {
                    self.err(k, "too_many_items");
                    return None;
                }
                let mut out = Vec::new();
                let mut ok = true;
                for (i, item) in items.into_iter().enumerate() {
                    let prefix = format!("{}{k}[{i}].", self.prefix);
                    let Some(mut sub) = Input::nested(item, prefix, &mut self.errors) else {
                        ok = false;
                        continue;
                    };
                    let v = f(&mut sub);
                    let errs = sub.finish_errors();
                    if errs.is_empty() {
                        if let Some(v) = v {
                            out.push(v);
                        }
                    } else {
                        ok = false;
                        self.errors.extend(errs);
                    }
                }
                ok.then_some(out)
            }
            _ => {
                self.err(k, "must_be_array");
                None
            }
        }
    }

    /// A nested object; `Some(None)` when null.
    pub fn opt_object<T>(
        &mut self,
        k: &str,
        f: impl FnOnce(&mut Input) -> Option<T>,
    ) -> Option<Option<T>> {
        match self.take(k)? {
            Value::Null => Some(None),
            v => {
                let prefix = format!("{}{k}.", self.prefix);
                let mut sub = Input::nested(v, prefix, &mut self.errors)?;
                let r = f(&mut sub);
                let errs = sub.finish_errors();
                if errs.is_empty() {
                    r.map(Some)
                } else {
                    self.errors.extend(errs);
                    None
                }
            }
        }
    }

    fn finish_errors(mut self) -> BTreeMap<String, String> {
        let unknown: Vec<String> = self
            .map
            .keys()
            .filter(|k| !self.seen.contains(k))
            .cloned()
            .collect();
        for k in unknown {
            self.err(&k, "unknown_field");
        }
        self.errors
    }

    /// Fails with 422 if any field was wrong or unknown.
    pub fn finish(self) -> Result<(), ApiError> {
        let errors = self.finish_errors();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::validation(errors))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("2030-05-12T09:00:00Z", true)]
    #[case("2030-05-12t09:00:00.5z", true)]
    #[case("2030-05-12T09:00:00+01:00", true)]
    #[case("2030-05-12 09:00:00Z", false)]
    #[case("2030-05-12T09:00Z", false)]
    #[case("2030-05-12T09:00:00+0100", false)]
    #[case("2030-5-12T09:00:00Z", false)]
    #[case("", false)]
    fn date_times(#[case] s: &str, #[case] ok: bool) {
        assert_eq!(parse_date_time(s).is_some(), ok, "{s:?}");
    }

    #[rstest]
    #[case("2000-01-01", true)]
    #[case("2000-02-29", true)]
    #[case("2001-02-29", false)]
    #[case("2000-1-1", false)]
    #[case("2000-01-1", false)]
    #[case("+2000-01-01", false)]
    #[case(" 2000-01-01", false)]
    #[case("20000-01-01", false)]
    #[case("2000-01-01T00:00:00Z", false)]
    #[case("", false)]
    fn dates(#[case] s: &str, #[case] ok: bool) {
        assert_eq!(parse_date(s).is_some(), ok, "{s:?}");
    }
}
