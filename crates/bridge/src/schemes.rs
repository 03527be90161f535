//! Signature schemes: how each provider signs its webhooks, and what event a verified body holds.
//!
//! Everything here works on the raw request bytes, never on re-serialised JSON. Comparisons of
//! signatures are constant-time (`hmac`'s `verify_slice`). The `sign_*` functions are the exact
//! inverse of the verifiers and are public so that test peers (the sandbox, end-to-end tests) can
//! sign deliveries the same way the providers do.

use std::fmt;
use std::str::FromStr;

use axum::http::HeaderMap;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use chrono::{DateTime, FixedOffset, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::Sha256;
use subtle::ConstantTimeEq as _;

type HmacSha256 = Hmac<Sha256>;

/// The prefix of Standard Webhooks secrets.
pub const STANDARD_SECRET_PREFIX: &str = "whsec_";
/// The longest event id or type the bridge accepts.
pub const MAX_ID_LEN: usize = 256;

/// How an endpoint's webhooks are signed.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    clap::ValueEnum,
    utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
#[value(rename_all = "lowercase")]
pub enum Scheme {
    /// CareLoop: `X-CareLoop-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "t.body">`.
    CareLoop,
    /// Standard Webhooks (careCycle, Svix): `webhook-id|svix-id`, `-timestamp`, `-signature`.
    Standard,
    /// LifeLoop: `X-LifeLoop-Signature: <hex HMAC-SHA256 of the body>`.
    LifeLoop,
    /// Loop Connect: `X-Loop-Signature: <hex HMAC-SHA256 of the body>`.
    Loop,
}

impl Scheme {
    /// The scheme's name as used on the command line, in the store and as the event `source`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::CareLoop => "careloop",
            Scheme::Standard => "standard",
            Scheme::LifeLoop => "lifeloop",
            Scheme::Loop => "loop",
        }
    }

    /// Whether this scheme carries a signed timestamp (checked against the tolerance).
    pub fn has_timestamp(self) -> bool {
        matches!(self, Scheme::CareLoop | Scheme::Standard)
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A scheme name that is not one of `careloop`, `standard`, `lifeloop`, `loop`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown scheme {0:?}")]
pub struct UnknownScheme(pub String);

impl FromStr for Scheme {
    type Err = UnknownScheme;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "careloop" => Ok(Scheme::CareLoop),
            "standard" => Ok(Scheme::Standard),
            "lifeloop" => Ok(Scheme::LifeLoop),
            "loop" => Ok(Scheme::Loop),
            other => Err(UnknownScheme(other.to_owned())),
        }
    }
}

/// Why a delivery was refused. Each maps to one HTTP status and one metrics `reason` label.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// A signature header (or the id/timestamp it needs) is absent.
    #[error("missing signature header {0}")]
    MissingSignature(&'static str),
    /// The signature is malformed or matches none of the endpoint's secrets.
    #[error("signature does not verify")]
    BadSignature,
    /// The signed timestamp is outside the tolerance (too old or too far in the future).
    #[error("timestamp outside the tolerance")]
    Timestamp,
    /// The verified body is not JSON.
    #[error("body is not JSON")]
    NotJson,
    /// The verified body is JSON but lacks what an event needs (a type), or a field is unusable.
    #[error("{0}")]
    InvalidEvent(String),
    /// The signed content carries no event id. An unsigned header never stands in for it: a
    /// captured delivery could then be replayed as new events by varying that header.
    #[error("the signed body has no event id")]
    MissingId,
    /// The event happened longer ago than the bridge keeps events (its own `occurred_at` or
    /// timestamp, past the retention and the tolerance).
    #[error("the event is older than the bridge's retention")]
    TooOld,
}

impl Refusal {
    /// The `reason` label of `bridge_webhooks_refused_total`, also the error `code`.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::MissingSignature(_) => "missing_signature",
            Refusal::BadSignature => "invalid_signature",
            Refusal::Timestamp => "timestamp_out_of_tolerance",
            Refusal::NotJson => "invalid_json",
            Refusal::InvalidEvent(_) => "invalid_event",
            Refusal::MissingId => "missing_event_id",
            Refusal::TooOld => "event_too_old",
        }
    }
}

/// The key bytes an HMAC is keyed with, for a stored secret of a scheme.
///
/// Standard Webhooks secrets are `whsec_<base64>` and the key is the decoded bytes; the other
/// schemes key the HMAC with the secret string's bytes, as their reference code does.
pub fn signing_key(scheme: Scheme, secret: &str) -> Result<Vec<u8>, String> {
    if secret.is_empty() {
        return Err("must not be empty".into());
    }
    match scheme {
        Scheme::Standard => {
            let b64 = secret
                .strip_prefix(STANDARD_SECRET_PREFIX)
                .unwrap_or(secret);
            let key = B64
                .decode(b64)
                .map_err(|_| "must be whsec_ followed by base64".to_string())?;
            if key.is_empty() {
                return Err("must not be empty".into());
            }
            Ok(key)
        }
        _ => Ok(secret.as_bytes().to_vec()),
    }
}

fn mac(key: &[u8]) -> HmacSha256 {
    // HMAC accepts keys of any length; new_from_slice never fails for it.
    match HmacSha256::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => unreachable!("HMAC-SHA256 accepts keys of any length"),
    }
}

fn hmac_parts(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut m = mac(key);
    for p in parts {
        m.update(p);
    }
    m.finalize().into_bytes().to_vec()
}

fn verify_parts(key: &[u8], parts: &[&[u8]], signature: &[u8]) -> bool {
    let mut m = mac(key);
    for p in parts {
        m.update(p);
    }
    m.verify_slice(signature).is_ok()
}

/// Whether any of `signatures` is the HMAC of `parts` under any of `keys`. The HMAC is computed
/// once per key (however many signatures a header lists) and compared in constant time.
fn any_matches(keys: &[Vec<u8>], parts: &[&[u8]], signatures: &[Vec<u8>]) -> bool {
    let mut found = subtle::Choice::from(0);
    for key in keys {
        let expected = hmac_parts(key, parts);
        for sig in signatures {
            if sig.len() == expected.len() {
                found |= expected.as_slice().ct_eq(sig.as_slice());
            }
        }
    }
    found.into()
}

/// `X-CareLoop-Signature` value for a body sent at unix time `t`: `t=<t>,v1=<hex>`.
pub fn sign_careloop(secret: &str, t: i64, body: &[u8]) -> String {
    let ts = t.to_string();
    let sig = hmac_parts(secret.as_bytes(), &[ts.as_bytes(), b".", body]);
    format!("t={ts},v1={}", hex::encode(sig))
}

/// `webhook-signature` value (`v1,<base64>`) for a Standard Webhooks delivery.
pub fn sign_standard(secret: &str, msg_id: &str, t: i64, body: &[u8]) -> Result<String, String> {
    let key = signing_key(Scheme::Standard, secret)?;
    let ts = t.to_string();
    let sig = hmac_parts(&key, &[msg_id.as_bytes(), b".", ts.as_bytes(), b".", body]);
    Ok(format!("v1,{}", B64.encode(sig)))
}

/// Hex HMAC-SHA256 of the body: the `X-LifeLoop-Signature` and `X-Loop-Signature` value.
pub fn sign_hex(secret: &str, body: &[u8]) -> String {
    hex::encode(hmac_parts(secret.as_bytes(), &[body]))
}

/// A parsed `X-CareLoop-Signature` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CareLoopSignature {
    /// The timestamp exactly as sent (ASCII digits); it is part of the signed content.
    pub t: String,
    /// `t` as a number.
    pub timestamp: i64,
    /// Every well-formed `v1` signature in the header.
    pub v1: Vec<Vec<u8>>,
}

/// Parses `t=<digits>,v1=<hex>[,v1=<hex>...]`. `None` when it is malformed: no or several `t`,
/// a `t` that is not a number, or no valid `v1`.
pub fn parse_careloop_signature(header: &str) -> Option<CareLoopSignature> {
    let mut t: Option<&str> = None;
    let mut v1 = Vec::new();
    for part in header.split(',') {
        let (k, v) = part.trim().split_once('=')?;
        match k.trim() {
            "t" => {
                if t.is_some() {
                    return None;
                }
                t = Some(v.trim());
            }
            "v1" => {
                if let Ok(sig) = hex::decode(v.trim()) {
                    if sig.len() == 32 {
                        v1.push(sig);
                    }
                }
            }
            _ => {}
        }
    }
    let t = t?;
    if t.is_empty() || t.len() > 18 || !t.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let timestamp = t.parse().ok()?;
    if v1.is_empty() {
        return None;
    }
    Some(CareLoopSignature {
        t: t.to_owned(),
        timestamp,
        v1,
    })
}

/// Parses a Standard Webhooks signature list: space-separated `<version>,<base64>` entries.
/// Returns the decoded `v1` signatures; other versions and malformed entries are skipped.
pub fn parse_standard_signatures(header: &str) -> Vec<Vec<u8>> {
    header
        .split_whitespace()
        .filter_map(|entry| entry.split_once(','))
        .filter(|(version, _)| *version == "v1")
        .filter_map(|(_, sig)| B64.decode(sig).ok())
        .collect()
}

/// Parses a hex HMAC header (`X-LifeLoop-Signature`, `X-Loop-Signature`), allowing an optional
/// `sha256=` prefix. `None` when it is not 32 bytes of hex.
pub fn parse_hex_signature(header: &str) -> Option<Vec<u8>> {
    let h = header.trim();
    let h = h.strip_prefix("sha256=").unwrap_or(h);
    let sig = hex::decode(h).ok()?;
    (sig.len() == 32).then_some(sig)
}

fn header<'a>(headers: &'a HeaderMap, name: &'static str) -> Result<&'a str, Refusal> {
    match headers.get(name) {
        None => Err(Refusal::MissingSignature(name)),
        Some(v) => v.to_str().map_err(|_| Refusal::BadSignature),
    }
}

fn header_either<'a>(
    headers: &'a HeaderMap,
    name: &'static str,
    alt: &'static str,
) -> Result<&'a str, Refusal> {
    match header(headers, name) {
        Err(Refusal::MissingSignature(_)) => header(headers, alt).map_err(|e| match e {
            Refusal::MissingSignature(_) => Refusal::MissingSignature(name),
            other => other,
        }),
        other => other,
    }
}

fn check_timestamp(ts: i64, now: i64, tolerance: i64) -> Result<(), Refusal> {
    if now.saturating_sub(ts) > tolerance || ts.saturating_sub(now) > tolerance {
        Err(Refusal::Timestamp)
    } else {
        Ok(())
    }
}

/// Verifies a delivery's signature against the endpoint's keys (see [`signing_key`]; several
/// during a rotation). `now` and `tolerance` are unix seconds. On success, returns the id carried
/// by the signature headers, if the scheme has one (Standard Webhooks).
pub fn verify_signature(
    scheme: Scheme,
    keys: &[Vec<u8>],
    headers: &HeaderMap,
    body: &[u8],
    now: i64,
    tolerance: i64,
) -> Result<Option<String>, Refusal> {
    match scheme {
        Scheme::CareLoop => {
            let raw = header(headers, "x-careloop-signature")?;
            let sig = parse_careloop_signature(raw).ok_or(Refusal::BadSignature)?;
            check_timestamp(sig.timestamp, now, tolerance)?;
            let parts: [&[u8]; 3] = [sig.t.as_bytes(), b".", body];
            let ok = any_matches(keys, &parts, &sig.v1);
            if ok {
                Ok(None)
            } else {
                Err(Refusal::BadSignature)
            }
        }
        Scheme::Standard => {
            let id = header_either(headers, "webhook-id", "svix-id")?;
            let ts_raw = header_either(headers, "webhook-timestamp", "svix-timestamp")?;
            let sig_raw = header_either(headers, "webhook-signature", "svix-signature")?;
            let ts: i64 = ts_raw.trim().parse().map_err(|_| Refusal::BadSignature)?;
            check_timestamp(ts, now, tolerance)?;
            if id.is_empty() || id.len() > MAX_ID_LEN {
                return Err(Refusal::BadSignature);
            }
            let sigs = parse_standard_signatures(sig_raw);
            let ts_str = ts.to_string();
            let parts: [&[u8]; 5] = [id.as_bytes(), b".", ts_str.as_bytes(), b".", body];
            let ok = any_matches(keys, &parts, &sigs);
            if ok {
                Ok(Some(id.to_owned()))
            } else {
                Err(Refusal::BadSignature)
            }
        }
        Scheme::LifeLoop | Scheme::Loop => {
            let name = if scheme == Scheme::LifeLoop {
                "x-lifeloop-signature"
            } else {
                "x-loop-signature"
            };
            let sig = parse_hex_signature(header(headers, name)?).ok_or(Refusal::BadSignature)?;
            let ok = keys.iter().any(|k| verify_parts(k, &[body], &sig));
            if ok {
                Ok(None)
            } else {
                Err(Refusal::BadSignature)
            }
        }
    }
}

/// What the bridge keeps of a verified delivery, besides the raw body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventMeta {
    /// The provider's event id (the dedupe key, with org and source).
    pub id: String,
    /// The event type, e.g. `incident.critical`.
    pub event_type: String,
    /// When the provider says the event happened, as sent.
    pub occurred_at: Option<String>,
    /// The id of the resource the event is about, when the payload names one.
    pub resource_id: Option<String>,
}

impl EventMeta {
    /// `occurred_at` as a time. [`extract_event`] refuses an `occurred_at` that does not parse,
    /// so this is `None` only when the event has none.
    pub fn occurred_time(&self) -> Option<DateTime<Utc>> {
        self.occurred_at.as_deref().and_then(parse_time)
    }
}

/// An RFC 3339 date-time, read as the desk reads the feed's `occurred_at` (chrono's parser).
fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    s.parse::<DateTime<FixedOffset>>()
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

fn str_field<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

fn opt_header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// An event id comes from the signed body only. An unsigned header that names one too must agree
/// with it; a header alone is not used.
fn signed_id_in_body(body: Option<&str>, header: Option<&str>) -> Result<Option<String>, Refusal> {
    if let (Some(b), Some(h)) = (body, header) {
        if b != h {
            return Err(Refusal::InvalidEvent(
                "the X-Loop-Event-Id header does not match the body".into(),
            ));
        }
    }
    Ok(body.map(str::to_owned))
}

/// The signed body value wins over an unsigned header; when both exist they must agree.
fn signed_or_header(
    body: Option<&str>,
    header: Option<&str>,
    what: &str,
) -> Result<Option<String>, Refusal> {
    match (body, header) {
        (Some(b), Some(h)) if b != h => Err(Refusal::InvalidEvent(format!(
            "the {what} header does not match the body"
        ))),
        (Some(b), _) => Ok(Some(b.to_owned())),
        (None, Some(h)) => Ok(Some(h.to_owned())),
        (None, None) => Ok(None),
    }
}

/// Keys naming the resource an event is about, most specific first.
const RESOURCE_KEYS: &[&str] = &[
    "incident_id",
    "fall_id",
    "visit_id",
    "certification_id",
    "course_id",
    "message_id",
    "visitor_id",
    "resident_id",
    "staff_id",
    "staff_user_id",
    "customer_id",
    "call_id",
    "id",
];

fn resource_in(data: &Value) -> Option<String> {
    RESOURCE_KEYS.iter().find_map(|k| match data.get(*k) {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    })
}

fn check_len(value: Option<String>, what: &str) -> Result<String, Refusal> {
    let v = value.ok_or_else(|| Refusal::InvalidEvent(format!("the event has no {what}")))?;
    check_max_len(v, what)
}

fn check_max_len(v: String, what: &str) -> Result<String, Refusal> {
    if v.len() > MAX_ID_LEN {
        return Err(Refusal::InvalidEvent(format!(
            "the event {what} is too long"
        )));
    }
    // A control character (a JSON `\u0000` escape, a line break) is nothing a provider's id or
    // type holds, PostgreSQL text cannot store NUL, and it would garble a log line: refused
    // the same way on both stores.
    if v.chars().any(char::is_control) {
        return Err(Refusal::InvalidEvent(format!(
            "the event {what} has a control character"
        )));
    }
    Ok(v)
}

/// Reads the event out of a verified body. `signed_id` is what [`verify_signature`] returned.
pub fn extract_event(
    scheme: Scheme,
    headers: &HeaderMap,
    body: &[u8],
    signed_id: Option<String>,
) -> Result<EventMeta, Refusal> {
    let v: Value = serde_json::from_slice(body).map_err(|_| Refusal::NotJson)?;
    let (id, event_type, occurred_at, resource_id) = match scheme {
        Scheme::CareLoop => (
            str_field(&v, "id").map(str::to_owned),
            signed_or_header(
                str_field(&v, "type"),
                opt_header(headers, "x-careloop-event"),
                "X-CareLoop-Event",
            )?,
            str_field(&v, "occurred_at"),
            v.get("data").and_then(resource_in),
        ),
        Scheme::Standard => (
            signed_id,
            str_field(&v, "type").map(str::to_owned),
            str_field(&v, "timestamp"),
            v.get("data").and_then(resource_in),
        ),
        Scheme::LifeLoop => (
            str_field(&v, "eventId").map(str::to_owned),
            str_field(&v, "eventType").map(str::to_owned),
            str_field(&v, "occurredAt"),
            str_field(&v, "resourceId").map(str::to_owned),
        ),
        Scheme::Loop => (
            signed_id_in_body(str_field(&v, "id"), opt_header(headers, "x-loop-event-id"))?,
            signed_or_header(
                str_field(&v, "type"),
                opt_header(headers, "x-loop-event-type"),
                "X-Loop-Event-Type",
            )?,
            str_field(&v, "occurred_at"),
            v.get("data").and_then(resource_in),
        ),
    };
    let id = check_max_len(id.ok_or(Refusal::MissingId)?, "id")?;
    let event_type = check_len(event_type, "type")?;
    if occurred_at.is_some_and(|t| parse_time(t).is_none()) {
        return Err(Refusal::InvalidEvent(
            "the event's occurred_at is not an RFC 3339 date-time".into(),
        ));
    }
    Ok(EventMeta {
        id,
        event_type,
        occurred_at: occurred_at.map(str::to_owned),
        resource_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{HeaderName, HeaderValue};
    use proptest::prelude::*;
    use rstest::rstest;

    // Published Standard Webhooks vectors (standard-webhooks/standard-webhooks,
    // libraries/rust/src/lib.rs tests).
    const SW_SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
    const SW_MSG_ID: &str = "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk";
    const SW_TS: i64 = 1649367553;
    const SW_PAYLOAD: &[u8] = br#"{"email":"test@example.com","username":"test_user"}"#;
    const SW_SIGNATURE: &str = "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=";
    const SW_OTHER_SIGS: [&str; 3] = [
        "v1,tFtCZ5RDCPxzWQRWXWPgrCgE2frDBe9gjpbWQxnVfsQ=",
        "v1,Mm7xgUVICxZfQ3bgf0h0Dof65L/IFx+PnZvnDWPCX6Q=",
        "v1,9DfC1c3eeOrXB6w/5dIDydLNQaEyww5KalE5jLBZucE=",
    ];

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    fn sw_key() -> Vec<Vec<u8>> {
        vec![signing_key(Scheme::Standard, SW_SECRET).unwrap()]
    }

    fn sw_headers(prefix: &str, sig: &str) -> HeaderMap {
        let ts = SW_TS.to_string();
        headers(&[
            (&format!("{prefix}-id"), SW_MSG_ID),
            (&format!("{prefix}-timestamp"), &ts),
            (&format!("{prefix}-signature"), sig),
        ])
    }

    #[test]
    fn standard_webhooks_published_vector_signs() {
        let sig = sign_standard(SW_SECRET, SW_MSG_ID, SW_TS, SW_PAYLOAD).unwrap();
        assert_eq!(sig, SW_SIGNATURE);
    }

    #[test]
    fn standard_webhooks_published_vector_verifies_with_both_header_families() {
        for prefix in ["webhook", "svix"] {
            let got = verify_signature(
                Scheme::Standard,
                &sw_key(),
                &sw_headers(prefix, SW_SIGNATURE),
                SW_PAYLOAD,
                SW_TS,
                300,
            );
            assert_eq!(got, Ok(Some(SW_MSG_ID.to_owned())), "{prefix}");
        }
    }

    #[test]
    fn standard_webhooks_vector_among_several_signatures_verifies() {
        let multi = format!(
            "{} {} {} {}",
            SW_OTHER_SIGS[0], SW_OTHER_SIGS[1], SW_SIGNATURE, SW_OTHER_SIGS[2]
        );
        let got = verify_signature(
            Scheme::Standard,
            &sw_key(),
            &sw_headers("webhook", &multi),
            SW_PAYLOAD,
            SW_TS,
            300,
        );
        assert_eq!(got, Ok(Some(SW_MSG_ID.to_owned())));
    }

    #[test]
    fn a_long_signature_list_is_checked_entry_by_entry() {
        let mut list = vec![SW_OTHER_SIGS[0]; 2000].join(" ");
        let got = verify_signature(
            Scheme::Standard,
            &sw_key(),
            &sw_headers("webhook", &list),
            SW_PAYLOAD,
            SW_TS,
            300,
        );
        assert_eq!(got, Err(Refusal::BadSignature));
        list.push(' ');
        list.push_str(SW_SIGNATURE);
        let got = verify_signature(
            Scheme::Standard,
            &sw_key(),
            &sw_headers("webhook", &list),
            SW_PAYLOAD,
            SW_TS,
            300,
        );
        assert_eq!(got, Ok(Some(SW_MSG_ID.to_owned())));
    }

    #[test]
    fn standard_webhooks_published_wrong_signatures_refused() {
        let wrong = "v1,R3PTzyfHASBKHH98a7yexTwaJ4yNIcGhFQc1yuN+BPU=";
        let all_wrong = SW_OTHER_SIGS.join(" ");
        for sig in [
            wrong,
            all_wrong.as_str(),
            "v2,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=",
        ] {
            let got = verify_signature(
                Scheme::Standard,
                &sw_key(),
                &sw_headers("webhook", sig),
                SW_PAYLOAD,
                SW_TS,
                300,
            );
            assert_eq!(got, Err(Refusal::BadSignature), "{sig}");
        }
    }

    #[test]
    fn standard_webhooks_timestamp_tolerance_both_ways() {
        for now in [SW_TS + 301, SW_TS - 301] {
            let got = verify_signature(
                Scheme::Standard,
                &sw_key(),
                &sw_headers("webhook", SW_SIGNATURE),
                SW_PAYLOAD,
                now,
                300,
            );
            assert_eq!(got, Err(Refusal::Timestamp));
        }
        for now in [SW_TS + 300, SW_TS - 300] {
            let got = verify_signature(
                Scheme::Standard,
                &sw_key(),
                &sw_headers("webhook", SW_SIGNATURE),
                SW_PAYLOAD,
                now,
                300,
            );
            assert!(got.is_ok());
        }
    }

    #[test]
    fn standard_webhooks_each_missing_header_refused() {
        for missing in ["webhook-id", "webhook-timestamp", "webhook-signature"] {
            let mut h = sw_headers("webhook", SW_SIGNATURE);
            h.remove(missing);
            let got = verify_signature(Scheme::Standard, &sw_key(), &h, SW_PAYLOAD, SW_TS, 300);
            assert_eq!(got, Err(Refusal::MissingSignature(missing)));
        }
    }

    #[test]
    fn standard_secret_must_be_base64() {
        assert!(signing_key(Scheme::Standard, "whsec_not base64!").is_err());
        assert!(signing_key(Scheme::Standard, "whsec_").is_err());
        assert_eq!(
            signing_key(Scheme::Standard, SW_SECRET).unwrap(),
            signing_key(Scheme::Standard, "C2FVsBQIhrscChlQIMV+b5sSYspob7oD").unwrap()
        );
    }

    #[test]
    fn careloop_signature_round_trip() {
        let body = br#"{"id":"evt_1","type":"incident.critical"}"#;
        let sig = sign_careloop("s3cret", 1_747_900_800, body);
        assert!(sig.starts_with("t=1747900800,v1="));
        let keys = vec![b"s3cret".to_vec()];
        let h = headers(&[("x-careloop-signature", &sig)]);
        assert_eq!(
            verify_signature(Scheme::CareLoop, &keys, &h, body, 1_747_900_800, 300),
            Ok(None)
        );
        let wrong = vec![b"other".to_vec()];
        assert_eq!(
            verify_signature(Scheme::CareLoop, &wrong, &h, body, 1_747_900_800, 300),
            Err(Refusal::BadSignature)
        );
    }

    #[test]
    fn careloop_parser_cases() {
        let hexsig = "ab".repeat(32);
        assert!(parse_careloop_signature(&format!("t=1,v1={hexsig}")).is_some());
        assert!(parse_careloop_signature(&format!("v1={hexsig}, t=1")).is_some());
        assert!(parse_careloop_signature(&format!("t=1,t=2,v1={hexsig}")).is_none());
        assert!(parse_careloop_signature(&format!("t=-1,v1={hexsig}")).is_none());
        assert!(parse_careloop_signature("t=1,v1=zz").is_none());
        assert!(parse_careloop_signature("t=1").is_none());
        assert!(parse_careloop_signature("").is_none());
        assert!(parse_careloop_signature(&format!("t=99999999999999999999,v1={hexsig}")).is_none());
    }

    #[test]
    fn hex_signature_round_trip_for_lifeloop_and_loop() {
        let body = br#"{"eventId":"e1","eventType":"resident.created"}"#;
        let sig = sign_hex("k", body);
        for (scheme, name) in [
            (Scheme::LifeLoop, "x-lifeloop-signature"),
            (Scheme::Loop, "x-loop-signature"),
        ] {
            let keys = vec![b"k".to_vec()];
            let h = headers(&[(name, &sig)]);
            assert_eq!(verify_signature(scheme, &keys, &h, body, 0, 300), Ok(None));
            let prefixed = headers(&[(name, &format!("sha256={sig}"))]);
            assert_eq!(
                verify_signature(scheme, &keys, &prefixed, body, 0, 300),
                Ok(None)
            );
            assert_eq!(
                verify_signature(scheme, &keys, &h, b"{}", 0, 300),
                Err(Refusal::BadSignature)
            );
        }
    }

    #[test]
    fn extract_prefers_signed_body_and_refuses_mismatched_headers() {
        let body = br#"{"id":"evt_9","type":"visit.no_show","data":{"visit_id":"v1"}}"#;
        let h = headers(&[
            ("x-loop-event-id", "evt_9"),
            ("x-loop-event-type", "visit.no_show"),
        ]);
        let meta = extract_event(Scheme::Loop, &h, body, None).unwrap();
        assert_eq!(meta.id, "evt_9");
        assert_eq!(meta.resource_id.as_deref(), Some("v1"));
        let h = headers(&[("x-loop-event-id", "evt_other")]);
        assert!(matches!(
            extract_event(Scheme::Loop, &h, body, None),
            Err(Refusal::InvalidEvent(_))
        ));
        // An unsigned type header that disagrees with the signed type is refused too.
        for (scheme, name) in [
            (Scheme::Loop, "x-loop-event-type"),
            (Scheme::CareLoop, "x-careloop-event"),
        ] {
            let h = headers(&[(name, "visit.completed")]);
            assert_eq!(
                extract_event(scheme, &h, body, None),
                Err(Refusal::InvalidEvent(format!(
                    "the {} header does not match the body",
                    if scheme == Scheme::Loop {
                        "X-Loop-Event-Type"
                    } else {
                        "X-CareLoop-Event"
                    }
                ))),
                "{scheme}"
            );
            let agreeing = headers(&[(name, "visit.no_show")]);
            assert!(
                extract_event(scheme, &agreeing, body, None).is_ok(),
                "{scheme}"
            );
        }
        // The type may come from its header when the body has none; the id never does.
        let type_header = headers(&[("x-loop-event-type", "t")]);
        let meta = extract_event(Scheme::Loop, &type_header, br#"{"id":"evt_b"}"#, None).unwrap();
        assert_eq!((meta.id.as_str(), meta.event_type.as_str()), ("evt_b", "t"));
        let only_header = headers(&[("x-loop-event-id", "evt_h"), ("x-loop-event-type", "t")]);
        assert_eq!(
            extract_event(Scheme::Loop, &only_header, b"{}", None),
            Err(Refusal::MissingId)
        );
    }

    /// An event id comes from the signed content only (the body, or the signed Standard Webhooks
    /// id): without it the delivery is refused, whatever unsigned header names one.
    #[rstest]
    #[case::careloop(Scheme::CareLoop, r#"{"type":"t"}"#, &[("x-careloop-event", "t")])]
    #[case::careloop_empty_id(Scheme::CareLoop, r#"{"id":"","type":"t"}"#, &[])]
    #[case::lifeloop(Scheme::LifeLoop, r#"{"eventType":"t","id":"not-the-field"}"#, &[])]
    #[case::loop_without_header(Scheme::Loop, r#"{"type":"t"}"#, &[])]
    #[case::loop_with_id_header(Scheme::Loop, r#"{"type":"t"}"#, &[("x-loop-event-id", "evt_h")])]
    #[case::loop_id_not_a_string(Scheme::Loop, r#"{"id":7,"type":"t"}"#, &[("x-loop-event-id", "7")])]
    #[case::standard_without_signed_id(Scheme::Standard, r#"{"type":"t","id":"evt_b"}"#, &[])]
    fn an_event_without_a_signed_id_is_refused(
        #[case] scheme: Scheme,
        #[case] body: &str,
        #[case] pairs: &[(&str, &str)],
    ) {
        let got = extract_event(scheme, &headers(pairs), body.as_bytes(), None);
        assert_eq!(got, Err(Refusal::MissingId));
    }

    /// `occurred_at` (or the scheme's name for it) is kept as sent when it is an RFC 3339
    /// date-time, absent is fine, anything else is refused: the desk could not read it.
    #[rstest]
    #[case::utc("2026-05-22T08:14:55Z", Some(1_779_437_695))]
    #[case::offset_and_fraction("2026-05-22T10:14:55.250+02:00", Some(1_779_437_695))]
    #[case::date_only("2026-05-22", None)]
    #[case::unix_seconds_as_text("1747901695", None)]
    #[case::words("yesterday", None)]
    fn occurred_at_must_be_a_date_time(
        #[values(Scheme::CareLoop, Scheme::Standard, Scheme::LifeLoop, Scheme::Loop)]
        scheme: Scheme,
        #[case] occurred: &str,
        #[case] unix: Option<i64>,
    ) {
        let key = match scheme {
            Scheme::CareLoop | Scheme::Loop => "occurred_at",
            Scheme::Standard => "timestamp",
            Scheme::LifeLoop => "occurredAt",
        };
        let mut body: Value =
            serde_json::from_slice(&event_body(scheme, "evt_o", "t", serde_json::json!({})))
                .unwrap();
        body[key] = occurred.into();
        let body = body.to_string().into_bytes();
        let got = intake(scheme, &signed_headers(scheme, "evt_o", T0, &body), &body);
        match unix {
            Some(unix) => {
                let m = got.unwrap();
                assert_eq!(m.occurred_at.as_deref(), Some(occurred));
                assert_eq!(m.occurred_time().map(|t| t.timestamp()), Some(unix));
            }
            None => assert!(
                matches!(&got, Err(Refusal::InvalidEvent(m)) if m.contains("occurred_at")),
                "{got:?}"
            ),
        }
    }

    #[test]
    fn an_event_without_occurred_at_has_no_occurred_time() {
        let m = deliver(Scheme::Loop, "evt_n", "t").unwrap();
        assert_eq!((m.occurred_time(), m.occurred_at), (None, None));
    }

    #[test]
    fn extract_careloop_resource_and_lifeloop_fields() {
        let body =
            br#"{"id":"evt_1","type":"incident.critical","occurred_at":"2026-05-22T08:14:55Z",
            "data":{"incident_id":"inc_1","resident_id":"res_1"}}"#;
        let m = extract_event(Scheme::CareLoop, &HeaderMap::new(), body, None).unwrap();
        assert_eq!(m.resource_id.as_deref(), Some("inc_1"));
        assert_eq!(m.occurred_at.as_deref(), Some("2026-05-22T08:14:55Z"));
        let body = br#"{"eventId":"e","eventType":"resident.created","tenant":"t",
            "occurredAt":"2026-06-18T10:30:00Z","resourceId":"res-001"}"#;
        let m = extract_event(Scheme::LifeLoop, &HeaderMap::new(), body, None).unwrap();
        assert_eq!(m.resource_id.as_deref(), Some("res-001"));
        assert_eq!(
            extract_event(Scheme::LifeLoop, &HeaderMap::new(), b"not json", None),
            Err(Refusal::NotJson)
        );
        assert_eq!(
            extract_event(Scheme::LifeLoop, &HeaderMap::new(), b"[1,2]", None),
            Err(Refusal::MissingId)
        );
    }

    /// A unix time for the tests below: signatures are made at `T0 + offset`, checked at `T0`.
    const T0: i64 = 1_747_900_800;
    /// The tolerance the bridge runs with by default (5 minutes).
    const TOLERANCE: i64 = 300;
    const HEX_SECRET: &str = "s3cret";

    fn secret(scheme: Scheme) -> &'static str {
        match scheme {
            Scheme::Standard => SW_SECRET,
            _ => HEX_SECRET,
        }
    }

    /// The signature headers a provider of `scheme` sends with `body` at unix time `t`
    /// (`msg_id` is the Standard Webhooks id; the other schemes carry none).
    fn signed_headers(scheme: Scheme, msg_id: &str, t: i64, body: &[u8]) -> HeaderMap {
        let secret = secret(scheme);
        match scheme {
            Scheme::CareLoop => {
                headers(&[("x-careloop-signature", &sign_careloop(secret, t, body))])
            }
            Scheme::Standard => headers(&[
                ("webhook-id", msg_id),
                ("webhook-timestamp", &t.to_string()),
                (
                    "webhook-signature",
                    &sign_standard(secret, msg_id, t, body).unwrap(),
                ),
            ]),
            Scheme::LifeLoop => headers(&[("x-lifeloop-signature", &sign_hex(secret, body))]),
            Scheme::Loop => headers(&[("x-loop-signature", &sign_hex(secret, body))]),
        }
    }

    /// What the intake does with a delivery: verify at `T0`, then read the event.
    fn intake(scheme: Scheme, headers: &HeaderMap, body: &[u8]) -> Result<EventMeta, Refusal> {
        let keys = vec![signing_key(scheme, secret(scheme)).unwrap()];
        let signed_id = verify_signature(scheme, &keys, headers, body, T0, TOLERANCE)?;
        extract_event(scheme, headers, body, signed_id)
    }

    /// A body of `scheme` for event `id` of type `ty` about `data` (where the resource id is).
    /// Standard Webhooks bodies carry no id: it is the signed `webhook-id` header.
    fn event_body(scheme: Scheme, id: &str, ty: &str, data: Value) -> Vec<u8> {
        let v = match scheme {
            Scheme::CareLoop | Scheme::Loop => {
                serde_json::json!({"id": id, "type": ty, "data": data})
            }
            Scheme::Standard => serde_json::json!({"type": ty, "data": data}),
            Scheme::LifeLoop => serde_json::json!({"eventId": id, "eventType": ty}),
        };
        v.to_string().into_bytes()
    }

    /// A delivery of event `id` of type `ty`, correctly signed at `T0`, through the intake.
    fn deliver(scheme: Scheme, id: &str, ty: &str) -> Result<EventMeta, Refusal> {
        let body = event_body(scheme, id, ty, serde_json::json!({}));
        intake(scheme, &signed_headers(scheme, id, T0, &body), &body)
    }

    #[rstest]
    #[case(Scheme::CareLoop, "careloop", true)]
    #[case(Scheme::Standard, "standard", true)]
    #[case(Scheme::LifeLoop, "lifeloop", false)]
    #[case(Scheme::Loop, "loop", false)]
    fn scheme_names_and_which_schemes_sign_a_timestamp(
        #[case] scheme: Scheme,
        #[case] name: &str,
        #[case] timestamped: bool,
    ) {
        assert_eq!(scheme.as_str(), name);
        assert_eq!(scheme.to_string(), name);
        assert_eq!(name.parse::<Scheme>(), Ok(scheme));
        assert_eq!(scheme.has_timestamp(), timestamped);
        // has_timestamp tells whether a signature made a day ago is refused as stale.
        let body = event_body(scheme, "evt_1", "t", serde_json::json!({}));
        let day_old = signed_headers(scheme, "evt_1", T0 - 86_400, &body);
        let got = intake(scheme, &day_old, &body);
        if timestamped {
            assert_eq!(got, Err(Refusal::Timestamp));
        } else {
            assert_eq!(got.map(|m| m.id), Ok("evt_1".to_owned()));
        }
    }

    #[test]
    fn unknown_scheme_names_are_refused() {
        for name in ["", "CareLoop", "svix", "loop "] {
            assert_eq!(name.parse::<Scheme>(), Err(UnknownScheme(name.to_owned())));
        }
    }

    /// Each refusal's code: the error `code` of the answer and the metrics `reason` label.
    #[rstest]
    #[case(Refusal::MissingSignature("webhook-id"), "missing_signature")]
    #[case(Refusal::BadSignature, "invalid_signature")]
    #[case(Refusal::Timestamp, "timestamp_out_of_tolerance")]
    #[case(Refusal::NotJson, "invalid_json")]
    #[case(Refusal::InvalidEvent("no type".into()), "invalid_event")]
    #[case(Refusal::MissingId, "missing_event_id")]
    #[case(Refusal::TooOld, "event_too_old")]
    fn refusal_codes(#[case] refusal: Refusal, #[case] code: &str) {
        assert_eq!(refusal.code(), code);
    }

    /// The tolerance is inclusive: exactly 5 minutes off either way is accepted, a second more
    /// is refused.
    #[rstest]
    #[case::same_second(0, true)]
    #[case::exactly_tolerance_old(-TOLERANCE, true)]
    #[case::one_second_too_old(-TOLERANCE - 1, false)]
    #[case::exactly_tolerance_ahead(TOLERANCE, true)]
    #[case::one_second_too_far_ahead(TOLERANCE + 1, false)]
    #[case::a_day_old(-86_400, false)]
    #[case::a_day_ahead(86_400, false)]
    fn timestamp_tolerance_bounds(
        #[values(Scheme::CareLoop, Scheme::Standard)] scheme: Scheme,
        #[case] signed_offset: i64,
        #[case] accepted: bool,
    ) {
        let body = event_body(scheme, "evt_ts", "t", serde_json::json!({}));
        let h = signed_headers(scheme, "evt_ts", T0 + signed_offset, &body);
        let got = intake(scheme, &h, &body);
        if accepted {
            assert_eq!(got.map(|m| m.id), Ok("evt_ts".to_owned()));
        } else {
            assert_eq!(got, Err(Refusal::Timestamp));
        }
    }

    /// The Standard Webhooks message id is the event id: 1 to MAX_ID_LEN bytes. Each id is
    /// correctly signed, so only its length decides.
    #[rstest]
    #[case::empty(0, false)]
    #[case::one_byte(1, true)]
    #[case::max_len(MAX_ID_LEN, true)]
    #[case::one_past_max_len(MAX_ID_LEN + 1, false)]
    fn standard_webhooks_id_length(#[case] len: usize, #[case] accepted: bool) {
        let id = "m".repeat(len);
        let got = deliver(Scheme::Standard, &id, "t");
        if accepted {
            assert_eq!(got.map(|m| m.id), Ok(id));
        } else {
            assert_eq!(got, Err(Refusal::BadSignature));
        }
    }

    /// Event ids and types up to MAX_ID_LEN bytes are kept; one byte more is refused.
    #[rstest]
    #[case::id_of_max_len(MAX_ID_LEN, 1, true)]
    #[case::id_one_past_max_len(MAX_ID_LEN + 1, 1, false)]
    #[case::type_of_max_len(1, MAX_ID_LEN, true)]
    #[case::type_one_past_max_len(1, MAX_ID_LEN + 1, false)]
    fn event_id_and_type_length(
        #[values(Scheme::CareLoop, Scheme::LifeLoop, Scheme::Loop)] scheme: Scheme,
        #[case] id_len: usize,
        #[case] type_len: usize,
        #[case] accepted: bool,
    ) {
        let (id, ty) = ("e".repeat(id_len), "t".repeat(type_len));
        let got = deliver(scheme, &id, &ty);
        if accepted {
            let m = got.unwrap();
            assert_eq!((m.id, m.event_type), (id, ty));
        } else {
            assert!(
                matches!(&got, Err(Refusal::InvalidEvent(m)) if m.contains("too long")),
                "{got:?}"
            );
        }
    }

    /// An id or a type with a control character (NUL from a `\u0000` escape, a line break) is
    /// refused as an invalid event, on every scheme and so on both stores.
    #[rstest]
    #[case::nul_in_id("e\u{0}1", "t")]
    #[case::newline_in_id("e\n1", "t")]
    #[case::nul_in_type("e1", "t\u{0}")]
    fn control_characters_in_id_or_type_are_refused(
        #[values(Scheme::CareLoop, Scheme::LifeLoop, Scheme::Loop)] scheme: Scheme,
        #[case] id: &str,
        #[case] ty: &str,
    ) {
        let got = deliver(scheme, id, ty);
        assert!(
            matches!(&got, Err(Refusal::InvalidEvent(m)) if m.contains("control character")),
            "{got:?}"
        );
    }

    /// Standard Webhooks: the type is bounded like the others (the id is bounded at
    /// verification, above).
    #[rstest]
    #[case::type_of_max_len(MAX_ID_LEN, true)]
    #[case::type_one_past_max_len(MAX_ID_LEN + 1, false)]
    fn standard_webhooks_type_length(#[case] type_len: usize, #[case] accepted: bool) {
        let ty = "t".repeat(type_len);
        let got = deliver(Scheme::Standard, "msg_1", &ty);
        assert_eq!(got.is_ok(), accepted, "{got:?}");
    }

    /// The resource id: the most specific key of `data` that names one, string or number.
    #[rstest]
    #[case::string(serde_json::json!({"incident_id": "inc_1"}), Some("inc_1"))]
    #[case::number(serde_json::json!({"incident_id": 42}), Some("42"))]
    #[case::numeric_generic_id(serde_json::json!({"id": 7}), Some("7"))]
    #[case::most_specific_first(serde_json::json!({"id": "x", "visit_id": 9}), Some("9"))]
    #[case::empty_string_skipped(serde_json::json!({"incident_id": "", "resident_id": "r"}), Some("r"))]
    #[case::only_empty(serde_json::json!({"incident_id": ""}), None)]
    #[case::other_types_skipped(serde_json::json!({"incident_id": true, "id": "x"}), Some("x"))]
    #[case::none(serde_json::json!({"severity": "high"}), None)]
    fn resource_id_from_data(
        #[values(Scheme::CareLoop, Scheme::Standard, Scheme::Loop)] scheme: Scheme,
        #[case] data: Value,
        #[case] expected: Option<&str>,
    ) {
        let body = event_body(scheme, "evt_r", "t", data);
        let m = intake(scheme, &signed_headers(scheme, "evt_r", T0, &body), &body).unwrap();
        assert_eq!(m.resource_id.as_deref(), expected);
    }

    /// A CareLoop `t` is 1 to 18 ASCII digits (so it always fits an i64).
    #[rstest]
    #[case::one_digit("1", true)]
    #[case::eighteen_digits("999999999999999999", true)]
    #[case::nineteen_digits("1000000000000000000", false)]
    #[case::empty("", false)]
    #[case::signed("+1", false)]
    #[case::negative("-1", false)]
    #[case::not_a_number("1e3", false)]
    fn careloop_timestamp_format(#[case] t: &str, #[case] accepted: bool) {
        let header = format!("t={t},v1={}", "ab".repeat(32));
        let got = parse_careloop_signature(&header);
        assert_eq!(got.is_some(), accepted, "{t:?}: {got:?}");
        if let Some(sig) = got {
            assert_eq!((sig.t.as_str(), sig.timestamp), (t, t.parse().unwrap()));
        }
    }

    proptest! {
        #[test]
        fn careloop_parser_never_panics(s in ".*") {
            let _ = parse_careloop_signature(&s);
        }

        #[test]
        fn careloop_parser_never_panics_on_near_valid(t in "[0-9-]{0,25}", v in "[0-9a-fA-Fz]{0,70}", junk in "[,= a-z]{0,8}") {
            let _ = parse_careloop_signature(&format!("t={t},v1={v}{junk}"));
        }

        #[test]
        fn standard_parser_never_panics(s in ".*") {
            let _ = parse_standard_signatures(&s);
        }

        #[test]
        fn hex_parser_never_panics(s in ".*") {
            let _ = parse_hex_signature(&s);
        }

        #[test]
        fn verify_never_panics_on_arbitrary_headers(
            scheme in prop_oneof![Just(Scheme::CareLoop), Just(Scheme::Standard), Just(Scheme::LifeLoop), Just(Scheme::Loop)],
            values in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..80), 6),
            body in proptest::collection::vec(any::<u8>(), 0..200),
            now in any::<i64>(),
        ) {
            let names = ["x-careloop-signature", "webhook-id", "webhook-timestamp", "svix-signature", "x-lifeloop-signature", "x-loop-signature"];
            let mut h = HeaderMap::new();
            for (name, v) in names.iter().zip(values) {
                if let Ok(v) = HeaderValue::from_bytes(&v) {
                    h.insert(*name, v);
                }
            }
            let keys = vec![b"k".to_vec()];
            let r = verify_signature(scheme, &keys, &h, &body, now, 300);
            // Random headers never carry a valid MAC.
            prop_assert!(r.is_err());
            let _ = extract_event(scheme, &h, &body, None);
        }
    }
}
