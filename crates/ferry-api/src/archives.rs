//! Archives: `POST /archives` asks for a zip of files and folders.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `POST /archives`: what goes into the zip.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ArchiveRequest {
    /// File ids (entries at the top of the zip) and folder ids (top directories), 1..=1000,
    /// each readable by the caller.
    #[schema(min_items = 1, max_items = 1000)]
    pub items: Vec<String>,
}
