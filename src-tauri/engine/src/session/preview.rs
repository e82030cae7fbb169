//! The preview's source: the signed-in user's projects in the session's bucket.

use async_trait::async_trait;

use super::Session;
use crate::store::{ObjectStore, UserId};
use crate::Result;

#[async_trait]
impl crate::preview::PreviewSource for Session {
    fn user(&self) -> Result<UserId> {
        Session::user(self)
    }

    async fn store(&self) -> Result<ObjectStore> {
        Session::store(self).await
    }
}
