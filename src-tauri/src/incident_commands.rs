//! Incidents and falls: the form (its lists, the live advice, save, drafts), the list, the
//! incident's page, the resident's last 90 days, duties, post-fall observations, the protocol
//! and the falls register with its CSV. Behaviour lives in `loopdesk_core::desk::incidents`;
//! these convert and delegate. Who may call each is in the command list (`lib.rs`).

use loopdesk_core::desk::incidents::{
    DueObservation, FallsRegister, IncidentAssessment, IncidentDraft, IncidentFilter, IncidentForm,
    IncidentOptions, IncidentSummary, IncidentView, ObservationReading,
};
use loopdesk_core::desk::reception::SavedFile;
use loopdesk_core::incidents::observations::ObservationProtocol;
use loopdesk_core::ipc::CommandError;
use tauri::{AppHandle, Manager, Runtime, State};

use crate::AppState;

#[tauri::command]
pub async fn incident_form_options(
    state: State<'_, AppState>,
) -> Result<IncidentOptions, CommandError> {
    Ok(state
        .desk_as("incident_form_options")
        .await?
        .incident_form_options())
}

#[tauri::command]
pub async fn assess_incident(
    state: State<'_, AppState>,
    form: IncidentForm,
) -> Result<IncidentAssessment, CommandError> {
    state
        .desk_as("assess_incident")
        .await?
        .assess_incident(form)
        .await
}

/// `incident_id`: an incident not yet on CareLoop being corrected; `draft_id`: the draft the
/// form came from (removed with the save).
#[tauri::command]
pub async fn save_incident(
    state: State<'_, AppState>,
    form: IncidentForm,
    incident_id: Option<String>,
    draft_id: Option<String>,
) -> Result<IncidentView, CommandError> {
    state
        .desk_as("save_incident")
        .await?
        .save_incident(form, incident_id, draft_id)
        .await
}

#[tauri::command]
pub async fn get_incident(
    state: State<'_, AppState>,
    id: String,
) -> Result<IncidentView, CommandError> {
    state.desk_as("get_incident").await?.get_incident(id).await
}

#[tauri::command]
pub async fn list_incidents(
    state: State<'_, AppState>,
    filter: IncidentFilter,
) -> Result<Vec<IncidentSummary>, CommandError> {
    state
        .desk_as("list_incidents")
        .await?
        .list_incidents(filter)
        .await
}

#[tauri::command]
pub async fn resident_incidents(
    state: State<'_, AppState>,
    resident_id: String,
) -> Result<Vec<IncidentSummary>, CommandError> {
    state
        .desk_as("resident_incidents")
        .await?
        .resident_incidents(resident_id)
        .await
}

#[tauri::command]
pub async fn save_incident_draft(
    state: State<'_, AppState>,
    draft_id: Option<String>,
    incident_id: Option<String>,
    form: IncidentForm,
) -> Result<IncidentDraft, CommandError> {
    state
        .desk_as("save_incident_draft")
        .await?
        .save_incident_draft(draft_id, incident_id, form)
        .await
}

#[tauri::command]
pub async fn list_incident_drafts(
    state: State<'_, AppState>,
) -> Result<Vec<IncidentDraft>, CommandError> {
    state
        .desk_as("list_incident_drafts")
        .await?
        .list_incident_drafts()
        .await
}

#[tauri::command]
pub async fn discard_incident_draft(
    state: State<'_, AppState>,
    draft_id: String,
) -> Result<bool, CommandError> {
    state
        .desk_as("discard_incident_draft")
        .await?
        .discard_incident_draft(draft_id)
        .await
}

#[tauri::command]
pub async fn set_incident_status(
    state: State<'_, AppState>,
    incident_id: String,
    status: String,
) -> Result<IncidentView, CommandError> {
    state
        .desk_as("set_incident_status")
        .await?
        .set_incident_status(incident_id, status)
        .await
}

#[tauri::command]
pub async fn decide_incident_duty(
    state: State<'_, AppState>,
    duty_id: String,
    decision: String,
    note: Option<String>,
) -> Result<IncidentView, CommandError> {
    state
        .desk_as("decide_incident_duty")
        .await?
        .decide_incident_duty(duty_id, decision, note)
        .await
}

#[tauri::command]
pub async fn mark_duty_sent(
    state: State<'_, AppState>,
    duty_id: String,
    reference: String,
) -> Result<IncidentView, CommandError> {
    state
        .desk_as("mark_duty_sent")
        .await?
        .mark_duty_sent(duty_id, reference)
        .await
}

#[tauri::command]
pub async fn record_observation(
    state: State<'_, AppState>,
    observation_id: String,
    reading: ObservationReading,
) -> Result<IncidentView, CommandError> {
    state
        .desk_as("record_observation")
        .await?
        .record_observation(observation_id, reading)
        .await
}

#[tauri::command]
pub async fn miss_observation(
    state: State<'_, AppState>,
    observation_id: String,
    reason: String,
) -> Result<IncidentView, CommandError> {
    state
        .desk_as("miss_observation")
        .await?
        .miss_observation(observation_id, reason)
        .await
}

#[tauri::command]
pub async fn due_observations(
    state: State<'_, AppState>,
) -> Result<Vec<DueObservation>, CommandError> {
    state
        .desk_as("due_observations")
        .await?
        .due_observations()
        .await
}

#[tauri::command]
pub async fn get_observation_protocol(
    state: State<'_, AppState>,
) -> Result<ObservationProtocol, CommandError> {
    state
        .desk_as("get_observation_protocol")
        .await?
        .get_observation_protocol()
        .await
}

#[tauri::command]
pub async fn save_observation_protocol(
    state: State<'_, AppState>,
    protocol: ObservationProtocol,
) -> Result<ObservationProtocol, CommandError> {
    state
        .desk_as("save_observation_protocol")
        .await?
        .save_observation_protocol(protocol)
        .await
}

#[tauri::command]
pub async fn falls_register(state: State<'_, AppState>) -> Result<FallsRegister, CommandError> {
    state
        .desk_as("falls_register")
        .await?
        .falls_register()
        .await
}

/// Written into the person's Downloads folder (`exports/` in the data folder when there is
/// none); the answer says where.
#[tauri::command]
pub async fn export_falls_register<R: Runtime>(
    state: State<'_, AppState>,
    app: AppHandle<R>,
) -> Result<SavedFile, CommandError> {
    let dir = app
        .path()
        .download_dir()
        .unwrap_or_else(|_| state.data_dir.join("exports"));
    state
        .desk_as("export_falls_register")
        .await?
        .export_falls_register(dir)
        .await
}
