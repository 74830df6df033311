//! OAuth clients.

use crate::error::Error;
use crate::model::OAuthClient;

use super::Store;
use super::dynamo::{put, tx_put};

impl Store {
    /// Writes a new client; 409 when its id is taken, by a client or by a device (the two share
    /// no ids, so that nothing done to a device can touch a client's tokens, or the reverse).
    pub async fn put_client(&self, client: &OAuthClient) -> Result<(), Error> {
        let items = vec![
            tx_put(
                put(&self.tables.clients, client)?
                    .condition_expression("attribute_not_exists(client_id)"),
            )?,
            self.absent_check(&self.tables.devices, "client_id", &client.client_id)?,
        ];
        match self.transact(items).await? {
            None => Ok(()),
            Some(_) => Err(Error::Conflict(format!(
                "the id {} is taken by another client or a device",
                client.client_id
            ))),
        }
    }

    pub async fn get_client(&self, client_id: &str) -> Result<Option<OAuthClient>, Error> {
        self.get(&self.tables.clients, "client_id", client_id).await
    }

    pub async fn list_clients(&self) -> Result<Vec<OAuthClient>, Error> {
        let mut clients: Vec<OAuthClient> = self.scan_all(&self.tables.clients).await?;
        clients.sort_by(|a, b| a.client_id.cmp(&b.client_id));
        Ok(clients)
    }

    pub async fn disable_client(&self, client_id: &str) -> Result<OAuthClient, Error> {
        self.set_disabled(&self.tables.clients, "client_id", client_id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("no client with id {client_id}")))
    }
}
