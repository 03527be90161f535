//! Reception's commands: the kiosk's visitor sign-in and sign-out, staff in and out with their
//! PIN, the console's on-site list, approvals, history and CSV export, residents' outings, the
//! fire roll call and its PDF, and reception's settings. Behaviour lives in
//! `loopdesk_core::desk::reception` and `loopdesk_core::desk::roll_call`; these convert and
//! delegate. Who may call each is in the command list (`lib.rs`): the kiosk's own commands
//! return nothing private.
//!
//! Files (the CSV export, the roll call's PDF) are written by the desk into the user's
//! Downloads folder (the app's data folder, `exports/`, when the system has none) and the
//! command answers where: the window says so, and can print the roll call from its own view.

use std::path::PathBuf;

use loopdesk_core::desk::reception::{
    HistoryQuery, KioskPerson, KioskReception, OutingView, PublicVisitor, ReceptionSettings,
    ResidentChoice, ReturningMatch, ReturningVisitor, SavedFile, SignInOutcome, SignedOut,
    StaffMovement, StaffOnSiteView, VisitorRecord, VisitorSignInForm,
};
use loopdesk_core::desk::roll_call::RollCallView;
use loopdesk_core::ipc::CommandError;
use loopdesk_core::secret::Secret;
use loopdesk_core::store::repo::reception::{Purged, ResidentReception};
use tauri::{AppHandle, Manager, Runtime, State};

use crate::AppState;

/// Where files for the person go: their Downloads folder, else `exports/` in the data folder.
fn files_dir<R: Runtime>(app: &AppHandle<R>, state: &AppState) -> PathBuf {
    app.path()
        .download_dir()
        .unwrap_or_else(|_| state.data_dir.join("exports"))
}

#[tauri::command]
pub async fn kiosk_reception(state: State<'_, AppState>) -> Result<KioskReception, CommandError> {
    state
        .desk_as("kiosk_reception")
        .await?
        .kiosk_reception()
        .await
}

#[tauri::command]
pub async fn find_returning_visitors(
    state: State<'_, AppState>,
    text: String,
) -> Result<Vec<ReturningMatch>, CommandError> {
    state
        .desk_as("find_returning_visitors")
        .await?
        .find_returning_visitors(text)
        .await
}

#[tauri::command]
pub async fn confirm_returning_visitor(
    state: State<'_, AppState>,
    visitor_id: String,
    last_digits: String,
) -> Result<ReturningVisitor, CommandError> {
    state
        .desk_as("confirm_returning_visitor")
        .await?
        .confirm_returning_visitor(visitor_id, Secret::new(last_digits))
        .await
}

#[tauri::command]
pub async fn kiosk_find_residents(
    state: State<'_, AppState>,
    text: String,
) -> Result<Vec<KioskPerson>, CommandError> {
    state
        .desk_as("kiosk_find_residents")
        .await?
        .kiosk_find_residents(text)
        .await
}

#[tauri::command]
pub async fn kiosk_find_staff(
    state: State<'_, AppState>,
    text: String,
) -> Result<Vec<KioskPerson>, CommandError> {
    state
        .desk_as("kiosk_find_staff")
        .await?
        .kiosk_find_staff(text)
        .await
}

#[tauri::command]
pub async fn sign_in_visitor(
    state: State<'_, AppState>,
    form: VisitorSignInForm,
) -> Result<SignInOutcome, CommandError> {
    state
        .desk_as("sign_in_visitor")
        .await?
        .sign_in_visitor(form)
        .await
}

#[tauri::command]
pub async fn visitor_sign_in_status(
    state: State<'_, AppState>,
    sign_in_id: String,
) -> Result<SignInOutcome, CommandError> {
    state
        .desk_as("visitor_sign_in_status")
        .await?
        .visitor_sign_in_status(sign_in_id)
        .await
}

#[tauri::command]
pub async fn kiosk_on_site(state: State<'_, AppState>) -> Result<Vec<PublicVisitor>, CommandError> {
    state.desk_as("kiosk_on_site").await?.kiosk_on_site().await
}

#[tauri::command]
pub async fn sign_out_visitor(
    state: State<'_, AppState>,
    sign_in_id: String,
) -> Result<SignedOut, CommandError> {
    state
        .desk_as("sign_out_visitor")
        .await?
        .sign_out_visitor(sign_in_id)
        .await
}

#[tauri::command]
pub async fn sign_out_with_code(
    state: State<'_, AppState>,
    code: String,
) -> Result<SignedOut, CommandError> {
    state
        .desk_as("sign_out_with_code")
        .await?
        .sign_out_with_code(code)
        .await
}

#[tauri::command]
pub async fn kiosk_staff_sign_in(
    state: State<'_, AppState>,
    staff_id: String,
    pin: String,
) -> Result<StaffMovement, CommandError> {
    state
        .desk_as("kiosk_staff_sign_in")
        .await?
        .kiosk_staff_sign_in(staff_id, Secret::new(pin))
        .await
}

#[tauri::command]
pub async fn kiosk_staff_sign_out(
    state: State<'_, AppState>,
    staff_id: String,
    pin: String,
) -> Result<StaffMovement, CommandError> {
    state
        .desk_as("kiosk_staff_sign_out")
        .await?
        .kiosk_staff_sign_out(staff_id, Secret::new(pin))
        .await
}

#[tauri::command]
pub async fn visitors_on_site(
    state: State<'_, AppState>,
) -> Result<Vec<VisitorRecord>, CommandError> {
    state
        .desk_as("visitors_on_site")
        .await?
        .visitors_on_site()
        .await
}

#[tauri::command]
pub async fn staff_sign_out_visitor(
    state: State<'_, AppState>,
    sign_in_id: String,
) -> Result<VisitorRecord, CommandError> {
    state
        .desk_as("staff_sign_out_visitor")
        .await?
        .staff_sign_out_visitor(sign_in_id)
        .await
}

#[tauri::command]
pub async fn pending_visitor_approvals(
    state: State<'_, AppState>,
) -> Result<Vec<VisitorRecord>, CommandError> {
    state
        .desk_as("pending_visitor_approvals")
        .await?
        .pending_visitor_approvals()
        .await
}

#[tauri::command]
pub async fn approve_visitor(
    state: State<'_, AppState>,
    sign_in_id: String,
) -> Result<VisitorRecord, CommandError> {
    state
        .desk_as("approve_visitor")
        .await?
        .approve_visitor(sign_in_id)
        .await
}

#[tauri::command]
pub async fn decline_visitor(
    state: State<'_, AppState>,
    sign_in_id: String,
) -> Result<VisitorRecord, CommandError> {
    state
        .desk_as("decline_visitor")
        .await?
        .decline_visitor(sign_in_id)
        .await
}

#[tauri::command]
pub async fn visitor_history(
    state: State<'_, AppState>,
    query: HistoryQuery,
) -> Result<Vec<VisitorRecord>, CommandError> {
    state
        .desk_as("visitor_history")
        .await?
        .visitor_history(query)
        .await
}

#[tauri::command]
pub async fn export_visitor_history<R: Runtime>(
    state: State<'_, AppState>,
    query: HistoryQuery,
    app: AppHandle<R>,
) -> Result<SavedFile, CommandError> {
    state
        .desk_as("export_visitor_history")
        .await?
        .export_visitor_history(query, files_dir(&app, &state))
        .await
}

#[tauri::command]
pub async fn automatic_sign_outs(
    state: State<'_, AppState>,
) -> Result<Vec<VisitorRecord>, CommandError> {
    state
        .desk_as("automatic_sign_outs")
        .await?
        .automatic_sign_outs()
        .await
}

#[tauri::command]
pub async fn review_automatic_sign_outs(state: State<'_, AppState>) -> Result<u32, CommandError> {
    state
        .desk_as("review_automatic_sign_outs")
        .await?
        .review_automatic_sign_outs()
        .await
}

#[tauri::command]
pub async fn staff_on_site(
    state: State<'_, AppState>,
) -> Result<Vec<StaffOnSiteView>, CommandError> {
    state.desk_as("staff_on_site").await?.staff_on_site().await
}

#[tauri::command]
pub async fn staff_sign_out_staff(
    state: State<'_, AppState>,
    staff_id: String,
) -> Result<(), CommandError> {
    state
        .desk_as("staff_sign_out_staff")
        .await?
        .staff_sign_out_staff(staff_id)
        .await
}

#[tauri::command]
pub async fn reception_find_residents(
    state: State<'_, AppState>,
    text: String,
) -> Result<Vec<ResidentChoice>, CommandError> {
    state
        .desk_as("reception_find_residents")
        .await?
        .reception_find_residents(text)
        .await
}

#[tauri::command]
pub async fn residents_out(state: State<'_, AppState>) -> Result<Vec<OutingView>, CommandError> {
    state.desk_as("residents_out").await?.residents_out().await
}

#[tauri::command]
pub async fn resident_goes_out(
    state: State<'_, AppState>,
    resident_id: String,
    with_whom: String,
) -> Result<OutingView, CommandError> {
    state
        .desk_as("resident_goes_out")
        .await?
        .resident_goes_out(resident_id, with_whom)
        .await
}

#[tauri::command]
pub async fn resident_comes_back(
    state: State<'_, AppState>,
    resident_id: String,
) -> Result<(), CommandError> {
    state
        .desk_as("resident_comes_back")
        .await?
        .resident_comes_back(resident_id)
        .await
}

#[tauri::command]
pub async fn start_roll_call(state: State<'_, AppState>) -> Result<RollCallView, CommandError> {
    state
        .desk_as("start_roll_call")
        .await?
        .start_roll_call()
        .await
}

#[tauri::command]
pub async fn current_roll_call(
    state: State<'_, AppState>,
) -> Result<Option<RollCallView>, CommandError> {
    state
        .desk_as("current_roll_call")
        .await?
        .current_roll_call()
        .await
}

#[tauri::command]
pub async fn get_roll_call(
    state: State<'_, AppState>,
    id: String,
) -> Result<RollCallView, CommandError> {
    state
        .desk_as("get_roll_call")
        .await?
        .get_roll_call(id)
        .await
}

#[tauri::command]
pub async fn tick_roll_call(
    state: State<'_, AppState>,
    roll_call_id: String,
    person_key: String,
    accounted: bool,
) -> Result<RollCallView, CommandError> {
    state
        .desk_as("tick_roll_call")
        .await?
        .tick_roll_call(roll_call_id, person_key, accounted)
        .await
}

#[tauri::command]
pub async fn end_roll_call(
    state: State<'_, AppState>,
    roll_call_id: String,
) -> Result<RollCallView, CommandError> {
    state
        .desk_as("end_roll_call")
        .await?
        .end_roll_call(roll_call_id)
        .await
}

#[tauri::command]
pub async fn save_roll_call_pdf<R: Runtime>(
    state: State<'_, AppState>,
    roll_call_id: String,
    app: AppHandle<R>,
) -> Result<SavedFile, CommandError> {
    state
        .desk_as("save_roll_call_pdf")
        .await?
        .save_roll_call_pdf(roll_call_id, files_dir(&app, &state))
        .await
}

#[tauri::command]
pub async fn get_resident_reception(
    state: State<'_, AppState>,
    resident_id: String,
) -> Result<ResidentReception, CommandError> {
    state
        .desk_as("get_resident_reception")
        .await?
        .get_resident_reception(resident_id)
        .await
}

#[tauri::command]
pub async fn set_resident_reception(
    state: State<'_, AppState>,
    resident_id: String,
    visits_need_approval: bool,
    evacuation_notes: Option<String>,
) -> Result<ResidentReception, CommandError> {
    state
        .desk_as("set_resident_reception")
        .await?
        .set_resident_reception(resident_id, visits_need_approval, evacuation_notes)
        .await
}

#[tauri::command]
pub async fn get_reception_settings(
    state: State<'_, AppState>,
) -> Result<ReceptionSettings, CommandError> {
    state
        .desk_as("get_reception_settings")
        .await?
        .get_reception_settings()
        .await
}

#[tauri::command]
pub async fn save_reception_settings(
    state: State<'_, AppState>,
    settings: ReceptionSettings,
) -> Result<ReceptionSettings, CommandError> {
    state
        .desk_as("save_reception_settings")
        .await?
        .save_reception_settings(settings)
        .await
}

#[tauri::command]
pub async fn purge_reception_records(state: State<'_, AppState>) -> Result<Purged, CommandError> {
    state
        .desk_as("purge_reception_records")
        .await?
        .purge_reception_records()
        .await
}
