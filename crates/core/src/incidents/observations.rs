//! Post-fall observations: the protocol (editable by a manager) and the schedule it makes.
//!
//! By default neurological observations every 30 minutes for 2 hours, hourly for the next 4,
//! then every 2 hours up to 24 hours after the fall was saved, and bruising checks at 24 and 48
//! hours: the common protocol. A schedule is made when a fall with a head injury, an
//! unwitnessed fall, or a fall whose neurological observations were started is saved; it keeps
//! the protocol of that moment.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// One stage: an observation every `every_minutes` until `until_minutes` after the start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ObservationStage {
    pub every_minutes: u32,
    pub until_minutes: u32,
}

/// The protocol: neurological observation stages and bruising checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ObservationProtocol {
    pub stages: Vec<ObservationStage>,
    /// Hours after the start.
    pub bruising_check_hours: Vec<u32>,
}

impl Default for ObservationProtocol {
    fn default() -> Self {
        Self {
            stages: vec![
                ObservationStage {
                    every_minutes: 30,
                    until_minutes: 120,
                },
                ObservationStage {
                    every_minutes: 60,
                    until_minutes: 360,
                },
                ObservationStage {
                    every_minutes: 120,
                    until_minutes: 1440,
                },
            ],
            bruising_check_hours: vec![24, 48],
        }
    }
}

/// The kind of a scheduled observation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObservationKind {
    Neuro,
    Bruising,
}

impl ObservationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Neuro => "neuro",
            Self::Bruising => "bruising",
        }
    }
}

/// The longest a protocol may run (neurological observations), in minutes: 72 hours.
pub const MAX_MINUTES: u32 = 72 * 60;

impl ObservationProtocol {
    /// Checks a protocol as a manager typed it; problems by field (`stages`,
    /// `bruising_check_hours`).
    pub fn check(&self) -> Result<(), BTreeMap<String, String>> {
        let mut fields = BTreeMap::new();
        let mut until = 0;
        if self.stages.is_empty() {
            fields.insert("stages".into(), "Add at least one stage".into());
        }
        for s in &self.stages {
            if !(5..=720).contains(&s.every_minutes) {
                fields.insert(
                    "stages".into(),
                    "Each stage's interval is 5 minutes to 12 hours".into(),
                );
            } else if s.until_minutes <= until || s.until_minutes > MAX_MINUTES {
                fields.insert(
                    "stages".into(),
                    "Each stage must end after the one before, within 72 hours".into(),
                );
            } else if s.until_minutes - until < s.every_minutes {
                fields.insert(
                    "stages".into(),
                    "Each stage must be at least as long as its interval".into(),
                );
            }
            until = s.until_minutes.max(until);
        }
        if self.bruising_check_hours.len() > 10
            || self
                .bruising_check_hours
                .iter()
                .any(|h| !(1..=168).contains(h))
        {
            fields.insert(
                "bruising_check_hours".into(),
                "Bruising checks are 1 to 168 hours after the fall, ten at most".into(),
            );
        }
        if fields.is_empty() {
            Ok(())
        } else {
            Err(fields)
        }
    }

    /// The observations this protocol asks for, started at `start`, in time order.
    pub fn schedule(&self, start: DateTime<Utc>) -> Vec<(ObservationKind, DateTime<Utc>)> {
        let mut out = Vec::new();
        let mut t = 0u32;
        for s in &self.stages {
            if s.every_minutes == 0 {
                continue;
            }
            while t + s.every_minutes <= s.until_minutes {
                t += s.every_minutes;
                out.push((
                    ObservationKind::Neuro,
                    start + TimeDelta::minutes(i64::from(t)),
                ));
            }
        }
        for h in &self.bruising_check_hours {
            out.push((
                ObservationKind::Bruising,
                start + TimeDelta::hours(i64::from(*h)),
            ));
        }
        out.sort_by_key(|(_, at)| *at);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_protocol_is_every_30_min_for_2_h_hourly_for_4_then_2_hourly_to_24() {
        let start = DateTime::parse_from_rfc3339("2026-11-25T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let s = ObservationProtocol::default().schedule(start);
        let neuro: Vec<i64> = s
            .iter()
            .filter(|(k, _)| *k == ObservationKind::Neuro)
            .map(|(_, at)| (*at - start).num_minutes())
            .collect();
        assert_eq!(
            neuro,
            vec![
                30, 60, 90, 120, 180, 240, 300, 360, 480, 600, 720, 840, 960, 1080, 1200, 1320,
                1440
            ]
        );
        let bruising: Vec<i64> = s
            .iter()
            .filter(|(k, _)| *k == ObservationKind::Bruising)
            .map(|(_, at)| (*at - start).num_hours())
            .collect();
        assert_eq!(bruising, vec![24, 48]);
        assert!(ObservationProtocol::default().check().is_ok());
    }

    #[test]
    fn a_protocol_that_goes_backwards_or_never_ends_is_refused() {
        let mut p = ObservationProtocol::default();
        p.stages[1].until_minutes = 60;
        assert!(p.check().unwrap_err().contains_key("stages"));
        let mut p = ObservationProtocol::default();
        p.stages[0].every_minutes = 0;
        assert!(p.check().unwrap_err().contains_key("stages"));
        let p = ObservationProtocol {
            bruising_check_hours: vec![0],
            ..ObservationProtocol::default()
        };
        assert!(p.check().unwrap_err().contains_key("bruising_check_hours"));
    }
}
