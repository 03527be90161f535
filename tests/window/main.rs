//! WebDriver tests of the real app window. Run one at a time (`--test-threads=1`): each starts
//! the whole app.

mod accessibility;
mod alerts;
mod residents;
mod shell;
mod visits;
