//! Contract tests: a real sandbox on 127.0.0.1, driven over HTTP.

mod auth;
mod binary;
mod common;
mod errors;
mod faults;
mod generator;
mod idempotency;
mod limits;
mod openapi;
mod persistence;
mod reads;
mod robustness;
mod sync;
mod webhooks;
mod writes;
