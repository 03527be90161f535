//! Integration tests of loopdesk-bridge: a real server on 127.0.0.1:0, a real SQLite file.

mod common;
mod feed;
mod intake;
