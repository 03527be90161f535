//! Integration tests of loopdesk-bridge: a real server on 127.0.0.1:0, on a real SQLite file or
//! a real PostgreSQL (a throw-away cluster, `pg.rs`).

mod cli;
mod common;
mod durability;
mod feed;
mod intake;
mod limits;
mod migrate;
mod ops;
mod pg;
mod pg_admin;
mod replay;
mod replicas;
