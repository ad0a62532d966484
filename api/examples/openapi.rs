//! Print the API's OpenAPI document, as `GET /openapi.json` serves it.
//!
//! `cargo run -p vouch-api --example openapi > docs/openapi.json` regenerates the committed
//! copy; a test fails when the copy and the code disagree.

use utoipa::OpenApi as _;

fn main() -> Result<(), serde_json::Error> {
    println!("{}", vouch_api::openapi::ApiDoc::openapi().to_pretty_json()?);
    Ok(())
}
