//! PATCH bodies: telling a field sent as `null` from one left out.

use serde::{Deserialize, Deserializer};

/// Distinguishes a field that is present but `null` (`Some(None)`) from an absent one (`None`).
pub(crate) fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}
