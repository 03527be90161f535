//! What must likely be notified about an incident, decided at entry: a table of rules, each
//! with the duty, when it applies, why in words, where the duty comes from, and its clock.
//!
//! The desk advises and records what the person decided; it never blocks saving. The rules are
//! deliberately simple and err towards asking: a manager decides.
//!
//! | duty | applies when | clock | source |
//! |---|---|---|---|
//! | CQC: serious injury | a resident is injured and was taken to hospital, or has a specified (serious) injury, or the severity is high or critical with an injury recorded | without delay | CQC (Registration) Regulations 2009, Regulation 18(2)(a) |
//! | CQC: abuse or allegation | a resident; the type is safeguarding or abuse is suspected or alleged | without delay | Regulation 18(2)(e) |
//! | CQC: police | a resident; the police were told | without delay | Regulation 18(2)(f) |
//! | CQC: death | a resident died | without delay | Regulation 16 |
//! | RIDDOR: death or specified injury | work activity, equipment or the premises contributed, and someone died, or a worker has a specified injury | 10 days | RIDDOR 2013, regulations 4 and 6 |
//! | RIDDOR: over-7-day incapacity | as above, a worker unable to do their normal work for more than 7 days (not counting the day of the accident) | 15 days | RIDDOR 2013, regulation 4(2) |
//! | RIDDOR: non-worker to hospital | as above, someone not at work (a resident, a visitor) taken from the scene to hospital for treatment | 10 days | RIDDOR 2013, regulation 5 |
//! | safeguarding referral | the type is safeguarding or abuse is suspected or alleged | without delay | Care Act 2014, section 42 |
//! | duty of candour | a resident; not a near miss; moderate harm or worse (severity moderate, high or critical) or death | without delay ("as soon as reasonably practicable") | Health and Social Care Act 2008 (Regulated Activities) Regulations 2014, Regulation 20 |
//!
//! RIDDOR's days are calendar days in the home's time zone: due by the end of the Nth day after
//! the day it happened (so a change of clocks moves no deadline). "Without delay" is shown as the
//! time since it happened.

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use ts_rs::TS;

use crate::store::repo::string_enum;

string_enum!(
    /// A duty to notify someone.
    DutyKind {
        CqcSeriousInjury => "cqc_reg18_serious_injury",
        CqcAbuse => "cqc_reg18_abuse",
        CqcPolice => "cqc_reg18_police",
        CqcDeath => "cqc_reg16_death",
        RiddorDeathOrSpecified => "riddor_death_or_specified_injury",
        RiddorOverSevenDay => "riddor_over_seven_day",
        RiddorNonWorkerHospital => "riddor_non_worker_hospital",
        SafeguardingReferral => "safeguarding_referral",
        DutyOfCandour => "duty_of_candour",
    }
);

/// How long a duty allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "kind", content = "days", rename_all = "snake_case")]
#[ts(export)]
pub enum DutyClock {
    /// Shown as the time since it happened.
    WithoutDelay,
    /// Due by the end of this many calendar days after the day it happened (home time).
    CalendarDays(u32),
}

/// What the rules look at, taken from the form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// The person is a resident (not staff, a visitor or someone else).
    pub resident: bool,
    /// The person is a member of staff (at work).
    pub worker: bool,
    /// The desk's type (`fall`, `safeguarding`, `near_miss`, …).
    pub kind: String,
    /// `low`, `moderate`, `high`, `critical`.
    pub severity: String,
    /// Any injury recorded (a body-map region or a head injury).
    pub injured: bool,
    pub died: bool,
    pub hospital_transfer: bool,
    pub specified_injury: bool,
    pub over_seven_day_incapacity: bool,
    /// Work activity, equipment or the premises contributed.
    pub work_related: bool,
    pub abuse_suspected: bool,
    pub police_told: bool,
}

impl Facts {
    fn severity_at_least(&self, level: &str) -> bool {
        let rank = |s: &str| match s {
            "low" => 0,
            "moderate" => 1,
            "high" => 2,
            "critical" => 3,
            _ => -1,
        };
        rank(&self.severity) >= rank(level)
    }
}

/// One rule of the table.
pub struct Rule {
    pub duty: DutyKind,
    /// The duty in a few words.
    pub label: &'static str,
    pub applies: fn(&Facts) -> bool,
    /// Why it applies, for the form.
    pub why: &'static str,
    pub clock: DutyClock,
    pub source: &'static str,
}

/// The rules, in the order the form lists them.
pub const RULES: &[Rule] = &[
    Rule {
        duty: DutyKind::CqcDeath,
        label: "CQC: death of a resident",
        applies: |f| f.resident && f.died,
        why: "A resident died: CQC must be told without delay.",
        clock: DutyClock::WithoutDelay,
        source: "CQC (Registration) Regulations 2009, Regulation 16",
    },
    Rule {
        duty: DutyKind::CqcSeriousInjury,
        label: "CQC: serious injury",
        applies: |f| {
            f.resident
                && !f.died
                && (f.specified_injury
                    || (f.injured && f.hospital_transfer)
                    || (f.injured && f.severity_at_least("high")))
        },
        why: "A resident was seriously injured (hospital, a specified injury, or high severity \
              with an injury): CQC must be told without delay.",
        clock: DutyClock::WithoutDelay,
        source: "CQC (Registration) Regulations 2009, Regulation 18(2)(a)",
    },
    Rule {
        duty: DutyKind::CqcAbuse,
        label: "CQC: abuse or an allegation of abuse",
        applies: |f| f.resident && (f.kind == "safeguarding" || f.abuse_suspected),
        why: "Abuse of a resident is suspected or alleged: CQC must be told without delay.",
        clock: DutyClock::WithoutDelay,
        source: "CQC (Registration) Regulations 2009, Regulation 18(2)(e)",
    },
    Rule {
        duty: DutyKind::CqcPolice,
        label: "CQC: reported to the police",
        applies: |f| f.resident && f.police_told,
        why: "The police were told: CQC must be told without delay.",
        clock: DutyClock::WithoutDelay,
        source: "CQC (Registration) Regulations 2009, Regulation 18(2)(f)",
    },
    Rule {
        duty: DutyKind::RiddorDeathOrSpecified,
        label: "RIDDOR: death or specified injury",
        applies: |f| f.work_related && (f.died || (f.worker && f.specified_injury)),
        why: "Work activity, equipment or the premises contributed to a death or a worker's \
              specified injury: report to the HSE within 10 days.",
        clock: DutyClock::CalendarDays(10),
        source: "RIDDOR 2013, regulations 4(1) and 6",
    },
    Rule {
        duty: DutyKind::RiddorOverSevenDay,
        label: "RIDDOR: over-7-day incapacity",
        applies: |f| f.work_related && f.worker && !f.died && f.over_seven_day_incapacity,
        why: "A worker injured at work cannot do their normal work for more than 7 days: report \
              to the HSE within 15 days.",
        clock: DutyClock::CalendarDays(15),
        source: "RIDDOR 2013, regulation 4(2)",
    },
    Rule {
        duty: DutyKind::RiddorNonWorkerHospital,
        label: "RIDDOR: taken to hospital from the scene",
        applies: |f| f.work_related && !f.worker && !f.died && f.hospital_transfer,
        why: "Someone not at work was taken from the scene to hospital, and work activity, \
              equipment or the premises contributed: report to the HSE within 10 days.",
        clock: DutyClock::CalendarDays(10),
        source: "RIDDOR 2013, regulation 5",
    },
    Rule {
        duty: DutyKind::SafeguardingReferral,
        label: "Safeguarding referral",
        applies: |f| f.kind == "safeguarding" || f.abuse_suspected,
        why: "Abuse or neglect is suspected or alleged: refer to the local authority's \
              safeguarding team without delay.",
        clock: DutyClock::WithoutDelay,
        source: "Care Act 2014, section 42",
    },
    Rule {
        duty: DutyKind::DutyOfCandour,
        label: "Duty of candour",
        applies: |f| {
            f.resident && f.kind != "near_miss" && (f.died || f.severity_at_least("moderate"))
        },
        why: "A resident came to moderate harm or worse: tell them (or their family) what \
              happened and apologise, as soon as reasonably practicable, then in writing.",
        clock: DutyClock::WithoutDelay,
        source: "Health and Social Care Act 2008 (Regulated Activities) Regulations 2014, \
                 Regulation 20",
    },
];

/// The rule of a duty.
pub fn rule(duty: DutyKind) -> &'static Rule {
    RULES.iter().find(|r| r.duty == duty).unwrap_or(&RULES[0])
}

/// The duties that apply to these facts, in the table's order.
pub fn applying(facts: &Facts) -> Vec<&'static Rule> {
    RULES.iter().filter(|r| (r.applies)(facts)).collect()
}

/// When a duty with `clock` is due for an incident that happened at `occurred_at`: the end of
/// the Nth calendar day after its day in `zone` (the first instant of the day after), or none
/// for "without delay".
pub fn due_at(clock: DutyClock, occurred_at: DateTime<Utc>, zone: Tz) -> Option<DateTime<Utc>> {
    match clock {
        DutyClock::WithoutDelay => None,
        DutyClock::CalendarDays(days) => {
            let day =
                crate::clock::date_in(zone, occurred_at) + TimeDelta::days(i64::from(days) + 1);
            Some(crate::clock::start_of_day(zone, day))
        }
    }
}

/// "3 h 20 min", "2 days 4 h", "12 min": a span in words (for the time since it happened).
pub fn span_words(span: TimeDelta) -> String {
    let mins = span.num_minutes().max(0);
    let (days, hours, m) = (mins / 1440, (mins % 1440) / 60, mins % 60);
    match (days, hours) {
        (0, 0) => format!("{m} min"),
        (0, h) => format!("{h} h {m} min"),
        (1, h) => format!("1 day {h} h"),
        (d, h) => format!("{d} days {h} h"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn every_duty_has_one_rule() {
        for d in DutyKind::ALL {
            assert_eq!(RULES.iter().filter(|r| r.duty == *d).count(), 1, "{d}");
        }
    }

    #[test]
    fn riddor_days_are_the_homes_calendar_days_across_a_change_of_clocks() {
        let london = crate::clock::DEFAULT_TIME_ZONE;
        // 20 Oct 2026 10:00 BST; the clocks go back on 25 Oct: due at the end of 30 Oct, GMT.
        let due = due_at(
            DutyClock::CalendarDays(10),
            at("2026-10-20T09:00:00Z"),
            london,
        );
        assert_eq!(due, Some(at("2026-10-31T00:00:00Z")));
        // 20 Mar 2027 12:00 GMT; the clocks go forward on 28 Mar: the end of 30 Mar is 23:00 UTC.
        let due = due_at(
            DutyClock::CalendarDays(10),
            at("2027-03-20T12:00:00Z"),
            london,
        );
        assert_eq!(due, Some(at("2027-03-30T23:00:00Z")));
        // Late on a summer evening (UTC still the day before is no matter): 23:30 BST 1 July.
        let due = due_at(
            DutyClock::CalendarDays(15),
            at("2026-07-01T22:30:00Z"),
            london,
        );
        assert_eq!(due, Some(at("2026-07-16T23:00:00Z")));
        assert_eq!(
            due_at(DutyClock::WithoutDelay, at("2026-07-01T22:30:00Z"), london),
            None
        );
    }

    #[test]
    fn spans_in_words() {
        assert_eq!(span_words(TimeDelta::minutes(12)), "12 min");
        assert_eq!(span_words(TimeDelta::minutes(200)), "3 h 20 min");
        assert_eq!(span_words(TimeDelta::hours(28)), "1 day 4 h");
        assert_eq!(span_words(TimeDelta::hours(52)), "2 days 4 h");
    }
}
