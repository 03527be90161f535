//! What handlers answer with: JSON that records the resource it touched (for the audit log),
//! one item or a 404, and one page of a filtered, ordered collection.

use std::cmp::Ordering;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::error::ApiError;
use super::input::ListParams;
use crate::model::{PageMeta, Resource};

/// The resource a response touched, for the audit log.
#[derive(Debug, Clone)]
pub struct Touched {
    pub kind: &'static str,
    pub id: Option<String>,
}

/// A JSON response that records what it touched.
pub fn json_touching<T: Serialize>(
    status: StatusCode,
    kind: &'static str,
    id: Option<&str>,
    body: &T,
) -> Response {
    let mut resp = (status, axum::Json(body)).into_response();
    resp.extensions_mut().insert(Touched {
        kind,
        id: id.map(str::to_string),
    });
    resp
}

/// One item (200), touching it, or a 404 naming `what` when there is none.
pub fn found<T: Serialize>(
    kind: &'static str,
    id: &str,
    item: Option<T>,
    what: &str,
) -> Result<Response, ApiError> {
    let item = item.ok_or_else(|| ApiError::not_found(what))?;
    Ok(json_touching(StatusCode::OK, kind, Some(id), &item))
}

#[derive(Serialize)]
pub struct Page<T> {
    pub data: Vec<T>,
    pub meta: PageMeta,
}

/// One page of a list (200), touching the kind of thing listed.
pub fn list_page<T: Serialize>(kind: &'static str, data: Vec<T>, meta: PageMeta) -> Response {
    json_touching(StatusCode::OK, kind, None, &Page { data, meta })
}

/// Filters, orders and pages a collection. With `updated_since`, items changed after it are
/// returned ordered by (updated_at, id); tombstones only with `include_deleted`.
pub fn paginate<'a, T: Resource + 'a>(
    items: impl Iterator<Item = &'a T>,
    lp: &ListParams,
    filter: impl Fn(&T) -> bool,
    mut order: impl FnMut(&T, &T) -> Ordering,
) -> (Vec<T>, PageMeta) {
    let mut v: Vec<&T> = items
        .filter(|t| lp.include_deleted || t.deleted_at().is_none())
        .filter(|t| lp.updated_since.is_none_or(|since| t.updated_at() > since))
        .filter(|t| filter(t))
        .collect();
    if lp.updated_since.is_some() {
        v.sort_by(|a, b| {
            a.updated_at()
                .cmp(&b.updated_at())
                .then_with(|| a.id().cmp(b.id()))
        });
    } else {
        v.sort_by(|a, b| order(a, b).then_with(|| a.id().cmp(b.id())));
    }
    let total = v.len() as u64;
    let skip = usize::try_from((lp.page - 1).saturating_mul(lp.page_size)).unwrap_or(usize::MAX);
    let page_size = usize::try_from(lp.page_size).unwrap_or(100);
    let data = v.into_iter().skip(skip).take(page_size).cloned().collect();
    (
        data,
        PageMeta {
            total,
            page: lp.page,
            page_size: lp.page_size,
        },
    )
}
