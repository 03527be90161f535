//! The training matrix's commands (issue 14): the matrix, its rules, a staff member's training
//! page, renewals, notices and the CSV and PDF exports (managers), and whether each shift lead
//! may lead the next shift (shift leads too). Behaviour lives in
//! `loopdesk_core::desk::training` and `training_export`; these convert and delegate. Files are
//! written into the user's Downloads folder (the data folder's `exports/` when there is none).

use std::path::PathBuf;

use loopdesk_core::desk::reception::SavedFile;
use loopdesk_core::desk::training::{
    RecordCertification, RecordedCertification, SaveTrainingRules, StaffTraining, TrainingNotice,
};
use loopdesk_core::ipc::CommandError;
use loopdesk_core::training::{MatrixFilter, MayLead, TrainingMatrix, TrainingRules};
use tauri::{AppHandle, Manager, Runtime, State};

use crate::AppState;

fn files_dir<R: Runtime>(app: &AppHandle<R>, state: &AppState) -> PathBuf {
    app.path()
        .download_dir()
        .unwrap_or_else(|_| state.data_dir.join("exports"))
}

#[tauri::command]
pub async fn training_matrix(
    state: State<'_, AppState>,
    filter: MatrixFilter,
) -> Result<TrainingMatrix, CommandError> {
    state
        .desk_as("training_matrix")
        .await?
        .training_matrix(filter)
        .await
}

#[tauri::command]
pub async fn training_rules(state: State<'_, AppState>) -> Result<TrainingRules, CommandError> {
    state
        .desk_as("training_rules")
        .await?
        .training_rules()
        .await
}

#[tauri::command]
pub async fn save_training_rules(
    state: State<'_, AppState>,
    rules: SaveTrainingRules,
) -> Result<TrainingRules, CommandError> {
    state
        .desk_as("save_training_rules")
        .await?
        .save_training_rules(rules)
        .await
}

#[tauri::command]
pub async fn staff_training(
    state: State<'_, AppState>,
    staff_id: String,
) -> Result<StaffTraining, CommandError> {
    state
        .desk_as("staff_training")
        .await?
        .staff_training(staff_id)
        .await
}

#[tauri::command]
pub async fn may_lead_list(
    state: State<'_, AppState>,
    location_id: Option<String>,
) -> Result<Vec<MayLead>, CommandError> {
    state
        .desk_as("may_lead_list")
        .await?
        .may_lead_list(location_id)
        .await
}

#[tauri::command]
pub async fn record_certification(
    state: State<'_, AppState>,
    form: RecordCertification,
) -> Result<RecordedCertification, CommandError> {
    state
        .desk_as("record_certification")
        .await?
        .record_certification(form)
        .await
}

#[tauri::command]
pub async fn training_notices(
    state: State<'_, AppState>,
) -> Result<Vec<TrainingNotice>, CommandError> {
    state
        .desk_as("training_notices")
        .await?
        .training_notices()
        .await
}

#[tauri::command]
pub async fn save_training_matrix_csv<R: Runtime>(
    state: State<'_, AppState>,
    filter: MatrixFilter,
    app: AppHandle<R>,
) -> Result<SavedFile, CommandError> {
    state
        .desk_as("save_training_matrix_csv")
        .await?
        .save_training_matrix_csv(filter, files_dir(&app, &state))
        .await
}

#[tauri::command]
pub async fn save_training_matrix_pdf<R: Runtime>(
    state: State<'_, AppState>,
    filter: MatrixFilter,
    app: AppHandle<R>,
) -> Result<SavedFile, CommandError> {
    state
        .desk_as("save_training_matrix_pdf")
        .await?
        .save_training_matrix_pdf(filter, files_dir(&app, &state))
        .await
}
