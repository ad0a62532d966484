//! The OpenAPI document describes exactly what the router serves, and `docs/API.md`
//! names the same routes and problem types.

use crate::Harness;
use axum::body::Body;
use axum::http::Method;
use std::collections::BTreeSet;
use vouch_api::problem::Kind;

async fn document(h: &Harness) -> serde_json::Value {
    let r = h.get("/openapi.json", None).await;
    r.ok();
    assert_eq!(r.content_type(), "application/json");
    r.json()
}

fn documented(doc: &serde_json::Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("path item").keys() {
            if ["get", "post", "put", "delete", "patch", "head", "options"].contains(&method.as_str()) {
                out.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    out
}

#[tokio::test]
async fn the_document_lists_every_route_served_and_no_other() {
    let h = Harness::new();
    let doc = document(&h).await;
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.1")), "OpenAPI 3.1: {}", doc["openapi"]);
    let served: BTreeSet<(String, String)> =
        vouch_api::routes().into_iter().map(|(m, p)| (m.to_string(), p.to_string())).collect();
    assert_eq!(documented(&doc), served);
}

#[tokio::test]
async fn every_documented_route_is_answered_by_a_handler() {
    let h = Harness::new();
    let doc = document(&h).await;
    let id = h.facts.confirmation.request.id.to_hex();
    for (method, path) in documented(&doc) {
        let uri = path.replace("{size}", "3").replace("{height}", "1").replace("{id}", &id);
        let method: Method = method.parse().expect("method");
        let r = h.send(method.clone(), &uri, Some(&h.tokens.regulator), None, Body::empty()).await;
        let body =
            if r.content_type() == "application/problem+json" { r.json() } else { serde_json::Value::Null };
        for slug in ["not-found", "method-not-allowed"] {
            assert_ne!(body["type"], format!("https://vouch.example/problems/{slug}"), "{method} {uri}");
        }
    }
}

#[tokio::test]
async fn every_problem_type_is_listed() {
    let h = Harness::new();
    let doc = document(&h).await;
    let types: BTreeSet<String> = Kind::ALL.iter().map(|k| k.type_uri()).collect();
    let schema_enum: BTreeSet<String> = doc["components"]["schemas"]["Problem"]["properties"]["type"]["enum"]
        .as_array()
        .expect("Problem.type enum")
        .iter()
        .map(|v| v.as_str().expect("uri").to_string())
        .collect();
    assert_eq!(schema_enum, types);
    let listed: BTreeSet<String> = doc["x-problem-types"]
        .as_array()
        .expect("x-problem-types")
        .iter()
        .map(|v| v["type"].as_str().expect("uri").to_string())
        .collect();
    assert_eq!(listed, types);
    for entry in doc["x-problem-types"].as_array().expect("list") {
        let kind = Kind::ALL.iter().find(|k| k.type_uri() == entry["type"]).expect("kind");
        assert_eq!(entry["status"], kind.status().as_u16());
    }
    // Every problem an operation documents is a problem document.
    for item in doc["paths"].as_object().expect("paths").values() {
        for op in item.as_object().expect("item").values() {
            for (status, response) in op["responses"].as_object().expect("responses") {
                if status.starts_with('4') || status.starts_with('5') {
                    assert!(
                        response["content"]["application/problem+json"].is_object(),
                        "{status}: {response}"
                    );
                }
            }
        }
    }
}

#[tokio::test]
async fn the_reference_in_docs_names_every_route_and_problem_type() {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/API.md")).expect("docs/API.md");
    for (method, path) in vouch_api::routes() {
        let (exact, with_query) = (format!("`{method} {path}`"), format!("`{method} {path}?"));
        assert!(text.contains(&exact) || text.contains(&with_query), "docs/API.md does not list {exact}");
    }
    for kind in Kind::ALL {
        let needle = format!("`{}`", kind.slug());
        assert!(text.contains(&needle), "docs/API.md does not list problem {needle}");
    }
}

#[tokio::test]
async fn swagger_ui_is_served_from_the_binary() {
    let h = Harness::new();
    let r = h.get("/docs/", None).await;
    r.ok();
    assert!(r.content_type().starts_with("text/html"), "{}", r.content_type());
    let init = h.get("/docs/swagger-initializer.js", None).await;
    init.ok();
    assert!(init.text().contains("/openapi.json"), "{}", init.text());
}

#[test]
fn the_committed_copy_is_current() {
    use utoipa::OpenApi as _;
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/openapi.json");
    let committed = std::fs::read_to_string(path).expect("docs/openapi.json");
    let now = vouch_api::openapi::ApiDoc::openapi().to_pretty_json().expect("json") + "\n";
    assert!(
        committed == now,
        "docs/openapi.json is stale: cargo run -p vouch-api --example openapi > docs/openapi.json"
    );
}
