//! The homes (locations) and the staff directory.

use crate::ipc::CommandError;
use crate::store::repo::people::{self, Location, Staff};
use crate::store::repo::Page;

use super::Desk;

impl Desk {
    pub async fn list_locations(&self) -> Result<Vec<Location>, CommandError> {
        self.read(people::list_locations).await
    }

    /// The staff directory, each member with their certification summary as of today.
    pub async fn list_staff(
        &self,
        location_id: Option<String>,
    ) -> Result<Vec<Staff>, CommandError> {
        self.read_on_today(move |c, today| {
            people::list_staff(
                c,
                location_id.as_deref().filter(|l| !l.trim().is_empty()),
                Page {
                    limit: 10_000,
                    offset: 0,
                },
                today,
            )
        })
        .await
    }
}
