//! WebDriver tests of the real app window. Run one at a time (`--test-threads=1`): each starts
//! the whole app. `commands` starts nothing: it checks that these tests invoke only commands the
//! app has. `single_instance` starts the app binary twice itself, without WebDriver. `release`
//! (ignored unless asked for: `make test-release`) runs the app out of the release package.

mod accessibility;
mod alerts;
mod commands;
mod data_key;
mod demo;
mod incidents;
mod kiosk;
mod reception;
mod release;
mod residents;
mod shell;
mod single_instance;
mod staff_lock;
mod training;
mod updates;
mod visits;
