//! Integration tests of loopdesk-bridge: a real server on 127.0.0.1:0, a real SQLite file.

mod cli;
mod common;
mod durability;
mod feed;
mod intake;
mod limits;
mod migrate;
mod ops;
mod replay;
