//! The tables created for local runs and tests agree with `template.yaml`, table by table.

use devicegate::storage::schema::{TEMPLATE, table_specs};
use devicegate_tests::TestEnv;

#[tokio::test]
async fn created_tables_match_the_template() {
    let env = TestEnv::new().await;
    let client = env.store().client();
    let specs = table_specs(TEMPLATE).unwrap();
    assert_eq!(specs.len(), devicegate::Tables::ENV.len());
    for spec in specs {
        let name = env.store().tables().by_env(&spec.env_var).unwrap();
        let table = client
            .describe_table()
            .table_name(name)
            .send()
            .await
            .unwrap()
            .table
            .unwrap();
        let key: Vec<(String, bool)> = table
            .key_schema()
            .iter()
            .map(|k| {
                (
                    k.attribute_name().to_owned(),
                    k.key_type().as_str() == "HASH",
                )
            })
            .collect();
        let want: Vec<(String, bool)> = spec.key.iter().map(|k| (k.name.clone(), k.hash)).collect();
        assert_eq!(key, want, "{}", spec.logical_id);
        let mut attrs: Vec<(String, String)> = table
            .attribute_definitions()
            .iter()
            .map(|a| {
                (
                    a.attribute_name().to_owned(),
                    a.attribute_type().as_str().to_owned(),
                )
            })
            .collect();
        attrs.sort();
        let mut want_attrs = spec.attributes.clone();
        want_attrs.sort();
        assert_eq!(attrs, want_attrs, "{}", spec.logical_id);
        let mut indexes: Vec<(String, Vec<String>)> = table
            .global_secondary_indexes()
            .iter()
            .map(|i| {
                (
                    i.index_name().unwrap_or("").to_owned(),
                    i.key_schema()
                        .iter()
                        .map(|k| k.attribute_name().to_owned())
                        .collect(),
                )
            })
            .collect();
        indexes.sort();
        let mut want_indexes: Vec<(String, Vec<String>)> = spec
            .indexes
            .iter()
            .map(|i| {
                (
                    i.name.clone(),
                    i.key.iter().map(|k| k.name.clone()).collect(),
                )
            })
            .collect();
        want_indexes.sort();
        assert_eq!(indexes, want_indexes, "{}", spec.logical_id);
        let ttl = client
            .describe_time_to_live()
            .table_name(name)
            .send()
            .await
            .unwrap();
        let ttl_attr = ttl
            .time_to_live_description()
            .filter(|d| d.time_to_live_status().map(|s| s.as_str()) == Some("ENABLED"))
            .and_then(|d| d.attribute_name().map(str::to_owned));
        assert_eq!(ttl_attr, spec.ttl_attribute, "{}", spec.logical_id);
    }
}

/// The one route table (`devicegate::routes`) is what `template.yaml` deploys, function by
/// function, and what `cargo lambda watch` serves locally.
#[test]
fn the_route_table_is_the_templates_and_the_watch_routers() {
    use std::collections::BTreeSet;
    let template = devicegate_tests::template_json();
    let mut deployed = BTreeSet::new();
    for (_, resource) in template["Resources"].as_object().unwrap() {
        if resource["Type"] != "AWS::Serverless::Function" {
            continue;
        }
        let binary = resource["Metadata"]["BuildProperties"]["Binary"]
            .as_str()
            .unwrap()
            .to_owned();
        // The authorizer has no route of its own: API Gateway invokes it for protected routes.
        // The expiry function's one event is the DeviceCodesTable's stream, not a route.
        for (_, event) in resource["Properties"]["Events"]
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(_, e)| e["Type"] == "HttpApi")
        {
            let p = &event["Properties"];
            deployed.insert((
                binary.clone(),
                p["Method"].as_str().unwrap().to_owned(),
                p["Path"].as_str().unwrap().to_owned(),
            ));
        }
    }
    let table: BTreeSet<_> = devicegate::routes::table()
        .into_iter()
        .map(|(f, m, p)| (f.name().to_owned(), m.to_owned(), p.to_owned()))
        .collect();
    assert_eq!(table, deployed);

    let cargo: toml::Table =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.toml"))
            .unwrap()
            .parse()
            .unwrap();
    let watched: BTreeSet<(String, String)> =
        cargo["workspace"]["metadata"]["lambda"]["watch"]["router"]
            .as_table()
            .unwrap()
            .iter()
            .map(|(path, function)| (path.clone(), function.as_str().unwrap().to_owned()))
            .collect();
    let expected: BTreeSet<(String, String)> = table
        .iter()
        .map(|(f, _, p)| (p.clone(), f.clone()))
        .collect();
    assert_eq!(
        watched, expected,
        "[workspace.metadata.lambda.watch.router]"
    );
}
