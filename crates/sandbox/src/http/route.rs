//! [`RouteDef`]: one route, its handler, the scope it needs, and what the OpenAPI document says
//! about it. The resource modules each list theirs; the route table (`table`) collects them.

use axum::http::Method;
use axum::routing::MethodRouter;

use super::state::S;

/// A route and what the OpenAPI document says about it.
pub struct RouteDef {
    pub method: Method,
    /// axum syntax, which is also OpenAPI's: `/v1/residents/{id}`.
    pub path: &'static str,
    pub scope: Option<&'static str>,
    pub extension: bool,
    pub summary: &'static str,
    /// Query parameters: (name, type, description); type is `string`, `integer`, `boolean`,
    /// `date-time` or `enum:a|b|c`.
    pub query: &'static [(&'static str, &'static str, &'static str)],
    /// A paginated list of this schema.
    pub list_of: Option<&'static str>,
    pub body: Option<&'static str>,
    pub body_required: bool,
    pub response: Option<&'static str>,
    pub status: u16,
    pub handler: MethodRouter<S>,
}

impl RouteDef {
    pub fn new(method: Method, path: &'static str, handler: MethodRouter<S>) -> Self {
        Self {
            method,
            path,
            scope: None,
            extension: false,
            summary: "",
            query: &[],
            list_of: None,
            body: None,
            body_required: true,
            response: None,
            status: 200,
            handler,
        }
    }
    pub fn scope(mut self, s: &'static str) -> Self {
        self.scope = Some(s);
        self
    }
    pub fn ext(mut self) -> Self {
        self.extension = true;
        self
    }
    pub fn summary(mut self, s: &'static str) -> Self {
        self.summary = s;
        self
    }
    pub fn query(mut self, q: &'static [(&'static str, &'static str, &'static str)]) -> Self {
        self.query = q;
        self
    }
    pub fn list(mut self, schema: &'static str) -> Self {
        self.list_of = Some(schema);
        self
    }
    pub fn body(mut self, schema: &'static str) -> Self {
        self.body = Some(schema);
        self
    }
    pub fn optional_body(mut self, schema: &'static str) -> Self {
        self.body = Some(schema);
        self.body_required = false;
        self
    }
    pub fn returns(mut self, status: u16, schema: &'static str) -> Self {
        self.status = status;
        self.response = Some(schema);
        self
    }
}
