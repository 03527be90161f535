//! Incidents and falls: what the desk knows about them without a store or a network. The body
//! map's regions ([`body_map`]), the rules of what must be notified ([`duties`]) and the
//! post-fall observation protocol ([`observations`]). The facade (`desk::incidents`) uses them.

pub mod body_map;
pub mod duties;
pub mod observations;
