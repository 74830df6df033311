//! Table definitions come from one place: the `AWS::DynamoDB::Table` resources of
//! `template.yaml`. Local runs and tests create their tables from the same text, and map each
//! table to its physical name through the environment variable the template's `Globals` sets
//! (`DEVICES_TABLE: !Ref DevicesTable`), so the two cannot drift.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{DisplayErrorContext, SdkError};
use aws_sdk_dynamodb::operation::create_table::CreateTableError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TimeToLiveSpecification,
};
use serde_norway::Value;

use super::Tables;
use crate::error::Error;

/// The template, compiled in so the command-line tool and the tests need no file at run time.
pub const TEMPLATE: &str = include_str!("../../../template.yaml");

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyPart {
    pub name: String,
    pub hash: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexSpec {
    pub name: String,
    pub key: Vec<KeyPart>,
    pub projection: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableSpec {
    pub logical_id: String,
    /// The environment variable naming this table for the functions.
    pub env_var: String,
    pub attributes: Vec<(String, String)>,
    pub key: Vec<KeyPart>,
    pub indexes: Vec<IndexSpec>,
    pub ttl_attribute: Option<String>,
    pub billing_mode: String,
    pub point_in_time_recovery: bool,
    pub deletion_policy: Option<String>,
}

/// Reads every table of the template.
pub fn table_specs(template: &str) -> Result<Vec<TableSpec>, Error> {
    let doc: Value = serde_norway::from_str(template).map_err(|e| bad(format!("YAML: {e}")))?;
    let env = doc
        .get("Globals")
        .and_then(|g| g.get("Function"))
        .and_then(|f| f.get("Environment"))
        .and_then(|e| e.get("Variables"))
        .and_then(Value::as_mapping)
        .ok_or_else(|| bad("Globals.Function.Environment.Variables is missing".into()))?;
    let resources = doc
        .get("Resources")
        .and_then(Value::as_mapping)
        .ok_or_else(|| bad("Resources is missing".into()))?;
    let mut specs = Vec::new();
    for (id, resource) in resources {
        if resource.get("Type").and_then(Value::as_str) != Some("AWS::DynamoDB::Table") {
            continue;
        }
        let logical_id = id
            .as_str()
            .ok_or_else(|| bad("a resource id is not text".into()))?;
        let env_var = env
            .iter()
            .find(|(_, v)| ref_target(v) == Some(logical_id))
            .and_then(|(k, _)| k.as_str())
            .ok_or_else(|| bad(format!("no Globals variable is !Ref {logical_id}")))?;
        let props = resource
            .get("Properties")
            .ok_or_else(|| bad(format!("{logical_id}: no Properties")))?;
        specs.push(TableSpec {
            logical_id: logical_id.to_owned(),
            env_var: env_var.to_owned(),
            attributes: list(props, "AttributeDefinitions")
                .iter()
                .map(|a| (text(a, "AttributeName"), text(a, "AttributeType")))
                .collect(),
            key: key_parts(props.get("KeySchema")),
            indexes: list(props, "GlobalSecondaryIndexes")
                .iter()
                .map(|i| IndexSpec {
                    name: text(i, "IndexName"),
                    key: key_parts(i.get("KeySchema")),
                    projection: i
                        .get("Projection")
                        .map(|p| text(p, "ProjectionType"))
                        .unwrap_or_default(),
                })
                .collect(),
            ttl_attribute: props
                .get("TimeToLiveSpecification")
                .filter(|t| t.get("Enabled").and_then(Value::as_bool) == Some(true))
                .map(|t| text(t, "AttributeName")),
            billing_mode: props
                .get("BillingMode")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned(),
            point_in_time_recovery: props
                .get("PointInTimeRecoverySpecification")
                .and_then(|p| p.get("PointInTimeRecoveryEnabled"))
                .and_then(Value::as_bool)
                .unwrap_or(false),
            deletion_policy: resource
                .get("DeletionPolicy")
                .and_then(Value::as_str)
                .map(str::to_owned),
        });
    }
    Ok(specs)
}

/// [`create_tables`] under a store's client and table names: what `devicegate tables create`
/// runs.
pub async fn create_tables_of(store: &super::Store) -> Result<Vec<String>, Error> {
    create_tables(store.client(), store.tables()).await
}

/// Creates every table of the template that does not exist yet, and enables its TTL. Used by
/// `devicegate tables create` for local runs and by the test harness; AWS gets them from SAM.
pub async fn create_tables(client: &Client, tables: &Tables) -> Result<Vec<String>, Error> {
    let mut created = Vec::new();
    for spec in table_specs(TEMPLATE)? {
        let name = tables
            .by_env(&spec.env_var)
            .ok_or_else(|| {
                bad(format!(
                    "{} is not a table variable the code knows",
                    spec.env_var
                ))
            })?
            .to_owned();
        let mut request = client
            .create_table()
            .table_name(&name)
            .billing_mode(BillingMode::PayPerRequest)
            .set_key_schema(Some(key_schema(&spec.key)?));
        for (attr, kind) in &spec.attributes {
            request = request.attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name(attr)
                    .attribute_type(ScalarAttributeType::from(kind.as_str()))
                    .build()
                    .map_err(|e| bad(e.to_string()))?,
            );
        }
        for index in &spec.indexes {
            request = request.global_secondary_indexes(
                GlobalSecondaryIndex::builder()
                    .index_name(&index.name)
                    .set_key_schema(Some(key_schema(&index.key)?))
                    .projection(
                        Projection::builder()
                            .projection_type(ProjectionType::from(index.projection.as_str()))
                            .build(),
                    )
                    .build()
                    .map_err(|e| bad(e.to_string()))?,
            );
        }
        match request.send().await {
            Ok(_) => created.push(name.clone()),
            Err(SdkError::ServiceError(e))
                if matches!(e.err(), CreateTableError::ResourceInUseException(_)) =>
            {
                continue;
            }
            Err(e) => {
                return Err(Error::internal(format!(
                    "CreateTable {name}: {}",
                    DisplayErrorContext(&e)
                )));
            }
        }
        if let Some(attr) = &spec.ttl_attribute {
            client
                .update_time_to_live()
                .table_name(&name)
                .time_to_live_specification(
                    TimeToLiveSpecification::builder()
                        .attribute_name(attr)
                        .enabled(true)
                        .build()
                        .map_err(|e| bad(e.to_string()))?,
                )
                .send()
                .await
                .map_err(|e| {
                    Error::internal(format!(
                        "UpdateTimeToLive {name}: {}",
                        DisplayErrorContext(&e)
                    ))
                })?;
        }
    }
    Ok(created)
}

fn key_schema(parts: &[KeyPart]) -> Result<Vec<KeySchemaElement>, Error> {
    parts
        .iter()
        .map(|p| {
            KeySchemaElement::builder()
                .attribute_name(&p.name)
                .key_type(if p.hash {
                    KeyType::Hash
                } else {
                    KeyType::Range
                })
                .build()
                .map_err(|e| bad(e.to_string()))
        })
        .collect()
}

fn ref_target(value: &Value) -> Option<&str> {
    match value {
        Value::Tagged(tagged) if tagged.tag == "Ref" => tagged.value.as_str(),
        _ => value.get("Ref").and_then(Value::as_str),
    }
}

fn list<'a>(value: &'a Value, name: &str) -> &'a [Value] {
    value
        .get(name)
        .and_then(Value::as_sequence)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn text(value: &Value, name: &str) -> String {
    value
        .get(name)
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned()
}

fn key_parts(value: Option<&Value>) -> Vec<KeyPart> {
    value
        .and_then(Value::as_sequence)
        .map(|parts| {
            parts
                .iter()
                .map(|p| KeyPart {
                    name: text(p, "AttributeName"),
                    hash: text(p, "KeyType") == "HASH",
                })
                .collect()
        })
        .unwrap_or_default()
}

fn bad(why: String) -> Error {
    Error::internal(format!("template.yaml: {why}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_the_code_uses_is_in_the_template_and_vice_versa() -> Result<(), Error> {
        let specs = table_specs(TEMPLATE)?;
        let mut vars: Vec<&str> = specs.iter().map(|s| s.env_var.as_str()).collect();
        vars.sort_unstable();
        let mut known: Vec<&str> = Tables::ENV.iter().map(|(v, _)| *v).collect();
        known.sort_unstable();
        assert_eq!(vars, known);
        Ok(())
    }

    #[test]
    fn tables_are_on_demand_with_recovery_and_retained() -> Result<(), Error> {
        for spec in table_specs(TEMPLATE)? {
            assert_eq!(spec.billing_mode, "PAY_PER_REQUEST", "{}", spec.logical_id);
            assert!(spec.point_in_time_recovery, "{}", spec.logical_id);
            assert_eq!(
                spec.deletion_policy.as_deref(),
                Some("Retain"),
                "{}",
                spec.logical_id
            );
            // One partition key, and a sort key only where a table is read in order (the trail).
            assert!(
                spec.key.first().is_some_and(|k| k.hash),
                "{}",
                spec.logical_id
            );
            assert!(
                spec.key.len() == 1 || spec.logical_id == "AuditTable",
                "{}",
                spec.logical_id
            );
        }
        Ok(())
    }

    #[test]
    fn everything_that_expires_has_ttl() -> Result<(), Error> {
        let specs = table_specs(TEMPLATE)?;
        for id in ["DeviceCodesTable", "TokensTable", "FamiliesTable"] {
            let spec = specs.iter().find(|s| s.logical_id == id);
            assert_eq!(
                spec.and_then(|s| s.ttl_attribute.as_deref()),
                Some("ttl"),
                "{id}"
            );
        }
        Ok(())
    }
}
