//! The staff lock: the desk is a public kiosk until a staff member unlocks it with their PIN,
//! and then carries who they are and their role until they lock it, or it locks itself after
//! a few idle minutes.
//!
//! * PINs are 4 to 8 digits, stored only as Argon2id hashes; no PIN is ever logged, audited or
//!   sent anywhere. Two staff members cannot share a PIN.
//! * Five wrong PINs in a row pause PIN entry for five minutes, doubling with each lock-out in
//!   a row; the message never says whether the name or the PIN was wrong.
//! * Roles: a receptionist sees who is on site, visitors and the roll call; a shift lead also
//!   residents, visits, care notes and incidents; a manager also training, settings, PINs and
//!   the refused writes. What each command needs is declared with the command (the app's
//!   command list) and checked here ([`Desk::authorize`]).
//! * Until the first manager PIN is set, the desk is being set up and the console is open (the
//!   settings must be entered and the staff directory synced to choose that manager); the
//!   console says so on every screen. Once a PIN exists, it never opens without one again.

use std::sync::Arc;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use chrono::{DateTime, TimeDelta, Utc};
use rusqlite::Transaction;
use serde::Serialize;
use serde_json::json;
use ts_rs::TS;

use crate::errors::{blocking, lock};
use crate::ipc::{Code, CommandError};
use crate::secret::Secret;
use crate::store::repo::pins::{self, Attempts, DeskRole, PinHolder};
use crate::store::repo::{self, people};

use super::Desk;

/// Who may call a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Access {
    /// Anyone, the locked kiosk included (the kiosk's own commands: nothing private).
    Kiosk,
    /// A staff member who has unlocked the desk with at least this role.
    Staff(DeskRole),
}

/// The unlocked staff member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct Session {
    /// None while the desk is being set up (before the first manager PIN).
    pub staff_id: Option<String>,
    pub name: String,
    pub role: DeskRole,
}

/// The lock as the window shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct LockStatus {
    /// The unlocked staff member, if any.
    pub session: Option<Session>,
    /// No PIN has been set yet: the console is open until a manager PIN is.
    pub setting_up: bool,
    /// PIN entry is paused until then (after five wrong PINs).
    pub paused_until: Option<DateTime<Utc>>,
    /// Minutes without use after which the console locks itself.
    pub idle_minutes: u32,
}

/// What `watch_lock` streams: the lock changed (unlocked, locked by a person, locked when
/// idle, a PIN removed...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct LockEvent {
    pub status: LockStatus,
    /// Why it changed, in words ("Locked after 5 minutes without use").
    pub reason: Option<String>,
}

/// The setting holding the idle minutes.
pub const IDLE_MINUTES: &str = "staff_lock_idle_minutes";
/// Set (to the time) when the first manager PIN was set: from then on the desk never opens
/// without a PIN.
pub const LOCK_SINCE: &str = "staff_lock_since";
const DEFAULT_IDLE_MINUTES: u32 = 5;
/// Wrong PINs in a row before PIN entry pauses.
pub const MAX_FAILURES: u32 = 5;
/// The first pause; each pause in a row lasts twice as long as the one before.
pub const FIRST_PAUSE: TimeDelta = TimeDelta::minutes(5);

/// The unlocked session and when it was last used, and the lock's two settings.
#[derive(Debug, Default)]
pub(super) struct LockState {
    session: Option<(Session, DateTime<Utc>)>,
    /// Whether the desk is being set up (no PIN yet) and the idle time: read from the store
    /// once, then kept here, so that a command's check costs no trip to the store. Only this
    /// desk changes them, and the two commands that do set them here after their commit.
    settings: Option<(bool, TimeDelta)>,
}

impl LockState {
    /// The unlocked staff member's role, if anyone has unlocked the desk.
    pub(super) fn session_role(&self) -> Option<DeskRole> {
        self.session.as_ref().map(|(s, _)| s.role)
    }

    /// A PIN has been set up, so the console needs one (see [`LOCK_SINCE`]); taken to be so
    /// until the settings have been read.
    pub(super) fn lock_enabled(&self) -> bool {
        self.settings.is_none_or(|(setting_up, _)| !setting_up)
    }
}

/// Checks a PIN's shape: 4 to 8 digits.
fn check_pin_shape(pin: &Secret) -> Result<(), CommandError> {
    let p = pin.expose();
    if !(4..=8).contains(&p.chars().count()) || !p.chars().all(|c| c.is_ascii_digit()) {
        return Err(CommandError::invalid_fields(
            "Check the PIN",
            [("pin".to_owned(), "Enter 4 to 8 digits".to_owned())],
        ));
    }
    Ok(())
}

/// The Argon2id hash of `pin` (a PHC string with its own random salt).
fn hash_pin(pin: &Secret) -> Result<String, CommandError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(pin.expose().as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| crate::errors::internal(format!("hashing a PIN: {e}")))
}

/// Whether `pin` matches `hash`.
fn pin_matches(pin: &Secret, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(pin.expose().as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash no PIN matches, checked when a name has no PIN so that a wrong name takes as long as
/// a wrong PIN.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_pin(&Secret::new("decoy-not-a-pin")).unwrap_or_default())
}

fn locked() -> CommandError {
    CommandError::new(
        Code::Locked,
        "The staff console is locked. Unlock it with your PIN.",
    )
}

fn forbidden(role: DeskRole) -> CommandError {
    CommandError::new(
        Code::Forbidden,
        format!(
            "This needs a {} at this desk. Ask one to unlock it.",
            role.words()
        ),
    )
}

/// Whether nothing has been set up yet (no `LOCK_SINCE`), and the idle time, from the store.
fn read_lock_settings(c: &rusqlite::Connection) -> crate::store::Result<(bool, TimeDelta)> {
    let since = repo::settings::get_setting(c, LOCK_SINCE)?;
    let minutes = repo::settings::get_setting(c, IDLE_MINUTES)?
        .and_then(|m| m.parse::<u32>().ok())
        .unwrap_or(DEFAULT_IDLE_MINUTES);
    Ok((since.is_none(), TimeDelta::minutes(i64::from(minutes))))
}

impl Desk {
    /// Checks that the desk's current state allows `access`; a staff command counts as use
    /// (the idle time starts again; the kiosk's own commands do not). Returns the session it
    /// runs in (none on the kiosk).
    pub async fn authorize(&self, access: Access) -> Result<Option<Session>, CommandError> {
        let now = self.clock.now();
        let (setting_up, idle) = self.lock_settings().await?;
        if setting_up {
            return Ok(Some(Session {
                staff_id: None,
                name: "Setting up this desk".into(),
                role: DeskRole::Manager,
            }));
        }
        let (session, expired) = {
            let mut state = lock(&self.lock_state);
            match &mut state.session {
                Some((_, last)) if now - *last > idle => {
                    state.session = None;
                    (None, true)
                }
                Some((session, last)) => {
                    if matches!(access, Access::Staff(_)) {
                        *last = now;
                    }
                    (Some(session.clone()), false)
                }
                None => (None, false),
            }
        };
        if expired {
            self.announce_lock(Some(idle_words(idle))).await;
        }
        // A holder whose PIN went (removed, or they left CareLoop) is locked out at once.
        let session = match session {
            Some(s) => self.still_holds_pin(s).await?,
            None => None,
        };
        match (access, session) {
            (Access::Kiosk, s) => Ok(s),
            (Access::Staff(_), None) => Err(locked()),
            (Access::Staff(need), Some(s)) if s.role.rank() < need.rank() => Err(forbidden(need)),
            (Access::Staff(_), Some(s)) => Ok(Some(s)),
        }
    }

    /// The unlocked staff member (none on the kiosk, a setting-up session before the first
    /// PIN), without counting as use.
    pub(crate) async fn session(&self) -> Result<Option<Session>, CommandError> {
        if self.lock_settings().await?.0 {
            return self.authorize(Access::Kiosk).await;
        }
        Ok(lock(&self.lock_state)
            .session
            .as_ref()
            .map(|(s, _)| s.clone()))
    }

    /// Whether nothing has been set up yet, and the idle time.
    async fn lock_settings(&self) -> Result<(bool, TimeDelta), CommandError> {
        if let Some(kept) = lock(&self.lock_state).settings {
            return Ok(kept);
        }
        let read = self.read(read_lock_settings).await?;
        // A command that changed them since keeps its newer values.
        Ok(*lock(&self.lock_state).settings.get_or_insert(read))
    }

    /// Writes the lock's settings with `f` (in one transaction with what `f` also writes) and
    /// keeps their new values. One change at a time, so that the values kept are the last
    /// committed.
    async fn change_lock_settings(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<(), CommandError> + Send + 'static,
    ) -> Result<(), CommandError> {
        let _one_at_a_time = self.lock_settings_writes.lock().await;
        let now = self
            .save(move |tx| {
                f(tx)?;
                Ok(read_lock_settings(tx)?)
            })
            .await?;
        lock(&self.lock_state).settings = Some(now);
        Ok(())
    }

    pub async fn lock_status(&self) -> Result<LockStatus, CommandError> {
        let (setting_up, idle) = self.lock_settings().await?;
        let paused_until = self.read(pins::attempts).await?.locked_until;
        let now = self.clock.now();
        let session = if setting_up {
            None
        } else {
            let mut state = lock(&self.lock_state);
            if state
                .session
                .as_ref()
                .is_some_and(|(_, last)| now - *last > idle)
            {
                state.session = None;
            }
            state.session.as_ref().map(|(s, _)| s.clone())
        };
        Ok(LockStatus {
            session,
            setting_up,
            paused_until: paused_until.filter(|t| *t > now),
            idle_minutes: u32::try_from(idle.num_minutes()).unwrap_or(DEFAULT_IDLE_MINUTES),
        })
    }

    /// Who can unlock the desk (for the PIN pad's list of names): names only.
    pub async fn pin_holders(&self) -> Result<Vec<PinHolder>, CommandError> {
        Ok(self
            .read(pins::all_pins)
            .await?
            .into_iter()
            .map(|p| p.holder)
            .collect())
    }

    /// Unlocks the desk for `staff_id` with `pin`. A wrong PIN, or a name without one, says
    /// the same and counts towards the pause.
    pub async fn unlock(&self, staff_id: String, pin: Secret) -> Result<LockStatus, CommandError> {
        let holder = self.check_pin(staff_id, pin).await?;
        let now = self.clock.now();
        let session = Session {
            staff_id: Some(holder.staff_id.clone()),
            name: holder.name.clone(),
            role: holder.role,
        };
        self.save(move |tx| {
            repo::audit::audit(
                tx,
                &holder.staff_id,
                "staff_lock.unlock",
                None,
                Some(&json!({"role": holder.role})),
            )?;
            Ok(())
        })
        .await?;
        lock(&self.lock_state).session = Some((session, now));
        self.arm_idle_lock();
        self.announce_lock(None).await;
        self.lock_status().await
    }

    /// Checks `staff_id`'s PIN without unlocking anything (the staff lock's check, shared with
    /// the kiosk's staff sign-in): the holder when it matches. A wrong PIN, or a name without
    /// one, says the same and counts towards the pause; while PIN entry is paused every PIN
    /// is refused.
    pub(crate) async fn check_pin(
        &self,
        staff_id: String,
        pin: Secret,
    ) -> Result<PinHolder, CommandError> {
        let now = self.clock.now();
        let attempts = self.read(pins::attempts).await?;
        if let Some(until) = attempts.locked_until.filter(|t| *t > now) {
            let minutes = (until - now).num_seconds().div_euclid(60) + 1;
            return Err(CommandError::new(
                Code::Paused,
                format!(
                    "PIN entry is paused after {MAX_FAILURES} wrong PINs. Try again in {minutes} \
                     minute{}.",
                    if minutes == 1 { "" } else { "s" }
                ),
            ));
        }
        let stored = self.read(move |c| pins::pin_of(c, &staff_id)).await?;
        let hash = stored
            .as_ref()
            .map(|s| s.hash.clone())
            .unwrap_or_else(|| decoy_hash().to_owned());
        let shaped = check_pin_shape(&pin).is_ok();
        let matches = blocking(move || shaped && pin_matches(&pin, &hash)).await?;
        match stored.filter(|_| matches) {
            Some(stored) => {
                if attempts != Attempts::default() {
                    self.save(move |tx| {
                        pins::set_attempts(tx, &Attempts::default())?;
                        Ok(())
                    })
                    .await?;
                }
                Ok(stored.holder)
            }
            None => {
                let mut a = attempts;
                a.failures += 1;
                let paused = a.failures >= MAX_FAILURES;
                if paused {
                    let pause = FIRST_PAUSE * 2i32.saturating_pow(a.lockouts.min(10));
                    a.locked_until = Some(now + pause);
                    a.lockouts += 1;
                    a.failures = 0;
                }
                self.save(move |tx| {
                    pins::set_attempts(tx, &a)?;
                    repo::audit::audit(tx, "kiosk", "staff_lock.wrong_pin", None, None)?;
                    Ok(())
                })
                .await?;
                let left = MAX_FAILURES - a.failures;
                Err(if paused {
                    CommandError::new(
                        Code::Paused,
                        format!(
                            "That name and PIN do not match. PIN entry is paused for {} minutes.",
                            (a.locked_until.unwrap_or(now) - now).num_minutes()
                        ),
                    )
                } else {
                    CommandError::invalid_fields(
                        "That name and PIN do not match",
                        [(
                            "pin".to_owned(),
                            format!(
                                "That name and PIN do not match. {left} tr{} left before PIN \
                                 entry pauses.",
                                if left == 1 { "y" } else { "ies" }
                            ),
                        )],
                    )
                })
            }
        }
    }

    /// The person at the desk is still using it (typing, reading): the idle time starts again.
    /// Locked: `locked`.
    pub async fn still_here(&self) -> Result<LockStatus, CommandError> {
        self.authorize(Access::Staff(DeskRole::Receptionist))
            .await?;
        self.lock_status().await
    }

    /// The desk's clock was moved forward (an [`crate::clock::OffsetClock`] in a test or the
    /// demo): the idle lock looks at its deadline again now instead of when it would have woken.
    pub fn clock_moved(&self) {
        self.arm_idle_lock();
    }

    /// Locks the desk back to the kiosk.
    pub async fn lock_desk(&self) -> Result<LockStatus, CommandError> {
        let was = lock(&self.lock_state).session.take();
        if let Some((s, _)) = was {
            // The window is told first: the audit line may wait behind a long sync write, and
            // until the window knows, its other commands are refused as `locked`.
            self.announce_lock(Some("Locked".into())).await;
            let actor = s.staff_id.unwrap_or_else(|| "setup".into());
            self.save(move |tx| {
                repo::audit::audit(tx, &actor, "staff_lock.lock", None, None)?;
                Ok(())
            })
            .await?;
        }
        self.lock_status().await
    }

    /// Sets up the first manager PIN (only while no PIN exists): from then on the console
    /// needs a PIN.
    pub async fn set_first_manager_pin(
        &self,
        staff_id: String,
        pin: Secret,
    ) -> Result<LockStatus, CommandError> {
        if !self.lock_settings().await?.0 {
            return Err(CommandError::new(
                Code::Forbidden,
                "A manager PIN is set already: a manager adds the others in Settings.",
            ));
        }
        self.store_pin(staff_id.clone(), pin, DeskRole::Manager, "setup".into())
            .await?;
        let at = repo::ts(&self.clock.now());
        self.change_lock_settings(move |tx| {
            repo::settings::set_setting(tx, LOCK_SINCE, &at)?;
            Ok(())
        })
        .await?;
        // Whoever set it up is that manager now.
        let holder = self
            .read(move |c| pins::pin_of(c, &staff_id))
            .await?
            .map(|p| p.holder);
        if let Some(h) = holder {
            lock(&self.lock_state).session = Some((
                Session {
                    staff_id: Some(h.staff_id),
                    name: h.name,
                    role: h.role,
                },
                self.clock.now(),
            ));
            self.arm_idle_lock();
        }
        self.announce_lock(None).await;
        self.lock_status().await
    }

    /// Every PIN holder and their role (managers).
    pub async fn list_pins(&self) -> Result<Vec<PinHolder>, CommandError> {
        self.pin_holders().await
    }

    /// Adds or resets staff member `staff_id`'s PIN with `role` (managers). A PIN another
    /// staff member has is refused; a role change that would leave no manager is refused.
    pub async fn set_staff_pin(
        &self,
        staff_id: String,
        pin: Secret,
        role: DeskRole,
    ) -> Result<PinHolder, CommandError> {
        let actor = self.actor().await?;
        self.store_pin(staff_id.clone(), pin, role, actor).await?;
        self.after_pin_change(&staff_id).await?;
        self.read(move |c| pins::pin_of(c, &staff_id))
            .await?
            .map(|p| p.holder)
            .ok_or_else(|| crate::errors::internal("a PIN just saved is not there"))
    }

    /// Changes a PIN holder's role (managers); never leaves the desk without a manager.
    pub async fn set_staff_role(
        &self,
        staff_id: String,
        role: DeskRole,
    ) -> Result<PinHolder, CommandError> {
        let actor = self.actor().await?;
        let id = staff_id.clone();
        self.save(move |tx| {
            let Some(current) = pins::pin_of(tx, &id)? else {
                return Err(no_pin());
            };
            if current.holder.role == DeskRole::Manager && role != DeskRole::Manager {
                leave_a_manager(tx, "role")?;
            }
            pins::set_role(tx, &id, role)?;
            repo::audit::audit(
                tx,
                &actor,
                "staff_lock.role",
                Some(("staff", &id)),
                Some(&json!({"role": role})),
            )?;
            Ok(())
        })
        .await?;
        self.after_pin_change(&staff_id).await?;
        self.read(move |c| pins::pin_of(c, &staff_id))
            .await?
            .map(|p| p.holder)
            .ok_or_else(no_pin)
    }

    /// Removes a staff member's PIN (managers): their access ends at once. The last manager's
    /// PIN cannot be removed.
    pub async fn remove_staff_pin(&self, staff_id: String) -> Result<(), CommandError> {
        let actor = self.actor().await?;
        let id = staff_id.clone();
        self.save(move |tx| {
            let Some(current) = pins::pin_of(tx, &id)? else {
                return Err(no_pin());
            };
            if current.holder.role == DeskRole::Manager {
                leave_a_manager(tx, "staff_id")?;
            }
            pins::remove_pin(tx, &id)?;
            repo::audit::audit(tx, &actor, "staff_lock.remove", Some(("staff", &id)), None)?;
            Ok(())
        })
        .await?;
        self.after_pin_change(&staff_id).await
    }

    /// Sets the idle minutes after which the console locks itself (managers): 1 to 60.
    pub async fn set_idle_lock(&self, minutes: u32) -> Result<LockStatus, CommandError> {
        if !(1..=60).contains(&minutes) {
            return Err(CommandError::invalid_fields(
                "Check the time",
                [(
                    "minutes".to_owned(),
                    "Choose from 1 to 60 minutes".to_owned(),
                )],
            ));
        }
        let actor = self.actor().await?;
        self.change_lock_settings(move |tx| {
            repo::settings::set_setting(tx, IDLE_MINUTES, &minutes.to_string())?;
            repo::audit::audit(
                tx,
                &actor,
                "staff_lock.idle_minutes",
                None,
                Some(&json!({"minutes": minutes})),
            )?;
            Ok(())
        })
        .await?;
        self.arm_idle_lock();
        self.lock_status().await
    }

    /// Streams lock changes to `send` until it returns `false` or the desk stops.
    pub fn forward_lock_events(
        self: &Arc<Self>,
        send: impl FnMut(LockEvent) -> bool + Send + 'static,
    ) -> tokio::task::JoinHandle<()> {
        let desk = self.clone();
        crate::events::forward(
            self.lock_events.subscribe(),
            self.shutdown.clone(),
            move || {
                let desk = desk.clone();
                async move {
                    let status = desk.lock_status().await.ok()?;
                    Some(LockEvent {
                        status,
                        reason: None,
                    })
                }
            },
            send,
        )
    }

    /// Whether the desk may show residents' private details now (rooms, care, incidents): a
    /// shift lead or a manager has unlocked it, or it is being set up. The locked kiosk and a
    /// receptionist see a resident only by their public name
    /// ([`people::public_name`]).
    pub(crate) fn sees_private(&self) -> bool {
        let state = lock(&self.lock_state);
        !state.lock_enabled()
            || state
                .session_role()
                .is_some_and(|r| r.rank() >= DeskRole::ShiftLead.rank())
    }

    /// The actor of a write: the unlocked staff member, or `setup`.
    pub(crate) async fn actor(&self) -> Result<String, CommandError> {
        Ok(self
            .session()
            .await?
            .and_then(|s| s.staff_id)
            .unwrap_or_else(|| "setup".into()))
    }

    /// Checks and stores a PIN for `staff_id` (a known, active staff member; a PIN no one else
    /// has).
    async fn store_pin(
        &self,
        staff_id: String,
        pin: Secret,
        role: DeskRole,
        actor: String,
    ) -> Result<(), CommandError> {
        check_pin_shape(&pin)?;
        let id = staff_id.clone();
        let (known, others) = self
            .read(move |c| {
                let known = people::exists(c, people::PeopleTable::Staff, &id)?;
                let others: Vec<String> = pins::all_pins(c)?
                    .into_iter()
                    .filter(|p| p.holder.staff_id != id)
                    .map(|p| p.hash)
                    .collect();
                Ok((known, others))
            })
            .await?;
        if !known {
            return Err(CommandError::invalid_fields(
                "Check the staff member",
                [(
                    "staff_id".to_owned(),
                    "Choose a staff member from the directory".to_owned(),
                )],
            ));
        }
        // Every other holder's hash is checked: two people cannot share a PIN.
        let candidate = pin.clone();
        let taken = blocking(move || others.iter().any(|h| pin_matches(&candidate, h))).await?;
        if taken {
            return Err(CommandError::invalid_fields(
                "Choose another PIN",
                [(
                    "pin".to_owned(),
                    "Someone at this desk already has this PIN: choose another".to_owned(),
                )],
            ));
        }
        let hash = blocking(move || hash_pin(&pin)).await??;
        self.save(move |tx| {
            let replacing = pins::pin_of(tx, &staff_id)?;
            if replacing
                .as_ref()
                .is_some_and(|p| p.holder.role == DeskRole::Manager && role != DeskRole::Manager)
            {
                leave_a_manager(tx, "role")?;
            }
            pins::set_pin(tx, &staff_id, role, &hash)?;
            repo::audit::audit(
                tx,
                &actor,
                if replacing.is_some() {
                    "staff_lock.reset_pin"
                } else {
                    "staff_lock.add_pin"
                },
                Some(("staff", &staff_id)),
                Some(&json!({"role": role})),
            )?;
            Ok(())
        })
        .await
    }

    /// After a PIN changed: the session of its holder follows (their role) or ends (no PIN).
    async fn after_pin_change(&self, staff_id: &str) -> Result<(), CommandError> {
        let id = staff_id.to_owned();
        let now_holder = self.read(move |c| pins::pin_of(c, &id)).await?;
        let ended = {
            let mut state = lock(&self.lock_state);
            let mine = state
                .session
                .as_ref()
                .is_some_and(|(s, _)| s.staff_id.as_deref() == Some(staff_id));
            match (&now_holder, mine) {
                (Some(h), true) => {
                    if let Some((s, _)) = state.session.as_mut() {
                        s.role = h.holder.role;
                    }
                    false
                }
                (None, true) => {
                    state.session = None;
                    true
                }
                _ => false,
            }
        };
        self.announce_lock(ended.then(|| "Your PIN was removed".to_owned()))
            .await;
        Ok(())
    }

    /// The session, if its holder still has a PIN (with their role as it is now); else the
    /// session ends.
    async fn still_holds_pin(&self, session: Session) -> Result<Option<Session>, CommandError> {
        let Some(id) = session.staff_id.clone() else {
            return Ok(Some(session));
        };
        match self.read(move |c| pins::pin_of(c, &id)).await? {
            Some(p) => Ok(Some(Session {
                role: p.holder.role,
                ..session
            })),
            None => {
                lock(&self.lock_state).session = None;
                self.announce_lock(Some("This PIN no longer opens the desk".into()))
                    .await;
                Ok(None)
            }
        }
    }

    async fn announce_lock(&self, reason: Option<String>) {
        if let Ok(status) = self.lock_status().await {
            let _ = self.lock_events.send(LockEvent { status, reason });
        }
    }

    /// Locks the desk when the idle time has passed without use (re-armed on every unlock and
    /// setting change; use moves the deadline, so it re-checks then).
    fn arm_idle_lock(&self) {
        self.idle_wake.notify_one();
    }

    /// The idle-lock task: sleeps until the session's deadline, locks if it has passed.
    pub(super) async fn idle_lock_loop(self: Arc<Self>) {
        loop {
            let deadline = {
                let (_, idle) = match self.lock_settings().await {
                    Ok(s) => s,
                    Err(_) => (false, TimeDelta::minutes(i64::from(DEFAULT_IDLE_MINUTES))),
                };
                lock(&self.lock_state)
                    .session
                    .as_ref()
                    .map(|(_, last)| *last + idle)
            };
            let wait = match deadline {
                Some(at) => (at - self.clock.now())
                    .to_std()
                    .unwrap_or_default()
                    .max(std::time::Duration::from_millis(200)),
                None => std::time::Duration::from_secs(24 * 3600),
            };
            tokio::select! {
                _ = self.shutdown.cancelled() => return,
                _ = self.idle_wake.notified() => continue,
                _ = tokio::time::sleep(wait) => {}
            }
            let Ok((setting_up, idle)) = self.lock_settings().await else {
                continue;
            };
            if setting_up {
                continue;
            }
            let now = self.clock.now();
            let dropped = {
                let mut state = lock(&self.lock_state);
                let expired = state
                    .session
                    .as_ref()
                    .is_some_and(|(_, last)| now - *last > idle);
                if expired {
                    state.session = None;
                }
                expired
            };
            if dropped {
                self.announce_lock(Some(idle_words(idle))).await;
            }
        }
    }
}

fn idle_words(idle: TimeDelta) -> String {
    let minutes = idle.num_minutes();
    format!(
        "Locked after {minutes} minute{} without use",
        if minutes == 1 { "" } else { "s" }
    )
}

fn no_pin() -> CommandError {
    CommandError::new(Code::NotFound, "This staff member has no PIN at this desk.")
}

/// Refuses a change that would leave the desk without a manager (`field`: where to say so).
fn leave_a_manager(tx: &rusqlite::Transaction<'_>, field: &str) -> Result<(), CommandError> {
    let (_, managers) = pins::pin_counts(tx)?;
    if managers <= 1 {
        return Err(CommandError::invalid_fields(
            "This desk needs a manager",
            [(
                field.to_owned(),
                "This is the only manager's PIN: make someone else a manager first".to_owned(),
            )],
        ));
    }
    Ok(())
}
