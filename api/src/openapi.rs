//! Describe the API as an OpenAPI 3.1 document generated from the handlers' annotations,
//! serve it at `/openapi.json`, and serve Swagger UI over it at `/docs`.
//!
//! The document lists every problem type twice: as the `enum` of the `Problem` schema's
//! `type`, and in `x-problem-types` with each type's status and title.
//!
//! Swagger UI is compiled in from crates.io (`utoipa-swagger-ui`'s `vendored` feature):
//! building never downloads anything, and the node serves it without reaching out.

use crate::problem::{Kind, Problem, TYPE_PREFIX};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use std::sync::LazyLock;
use utoipa::Modify;
use utoipa::OpenApi;
use utoipa::openapi::extensions::Extensions;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{RefOr, Tag};

/// Where the document is served.
pub const DOCUMENT_PATH: &str = "/openapi.json";

/// Where Swagger UI is served.
pub const UI_PATH: &str = "/docs";

/// The API's OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Vouch node API",
        description = "The HTTP API of a Vouch ledger node (`vouchd`). Integrity endpoints need no \
            credentials; confirmation endpoints need an operator-issued bearer token. Every failure \
            is an RFC 9457 problem (`application/problem+json`); see `x-problem-types`. Full \
            reference: `docs/API.md`.",
        license(name = "Apache-2.0"),
    ),
    paths(
        crate::integrity::genesis,
        crate::integrity::checkpoint,
        crate::integrity::checkpoint_at,
        crate::integrity::inclusion,
        crate::integrity::consistency,
        crate::integrity::header_at,
        crate::integrity::export,
        crate::entries::submit,
        crate::confirmations::list,
        crate::confirmations::detail,
        crate::confirmations::bundle,
        crate::audit::self_audit,
        crate::worklist::inbox,
        crate::worklist::reminders,
        crate::worklist::control_sheet,
        crate::oversight::banks,
        crate::oversight::audit_firms,
        crate::lookup::lookup,
        crate::banks::list,
        crate::banks::one,
        crate::drafts::create,
        crate::drafts::show,
        crate::drafts::sign,
        crate::drafts::create_batch,
        crate::drafts::sign_batch,
    ),
    components(schemas(
        crate::problem::ProblemBody,
        crate::integrity::InclusionProof,
        crate::integrity::ConsistencyProof,
        crate::integrity::CertifiedHeader,
        crate::entries::Committed,
        crate::entries::Pending,
        crate::confirmations::StatusName,
        crate::confirmations::ConfirmationSummary,
        crate::confirmations::ConfirmationPage,
        crate::confirmations::ConfirmationDetail,
        crate::confirmations::HistoryEntry,
        crate::confirmations::SignerInfo,
        crate::audit::SelfAudit,
        crate::worklist::WorkItem,
        crate::worklist::WorkList,
        crate::worklist::ControlCounts,
        crate::worklist::ControlRow,
        crate::worklist::ControlSheet,
        crate::oversight::OrgStats,
        crate::oversight::OversightReport,
        crate::lookup::LookupResult,
        crate::banks::BankList,
        crate::banks::BankEntry,
        crate::banks::RulesSource,
        crate::problem::FieldProblem,
        crate::drafts::DraftView,
        crate::drafts::SignBody,
        crate::drafts::BatchBody,
        crate::drafts::BatchView,
        crate::drafts::BatchSigned,
        crate::drafts::BatchRowResult,
    )),
    modifiers(&Security, &ProblemTypes, &Tags),
)]
pub struct ApiDoc;

/// The bearer token scheme.
struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("vouch_<64 hex digits>")
                    .description(Some("An API token issued with `vouchd token issue`."))
                    .build(),
            ),
        );
    }
}

/// Every problem type: the `Problem` schema's `type` enum and `x-problem-types`.
struct ProblemTypes;

impl Modify for ProblemTypes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        if let Some(RefOr::T(Schema::Object(problem))) = components.schemas.get_mut("Problem") {
            let type_schema = ObjectBuilder::new()
                .schema_type(Type::String)
                .description(Some(format!("`{TYPE_PREFIX}<slug>`: one URI per kind of failure.")))
                .enum_values(Some(Kind::ALL.iter().map(|k| k.type_uri())));
            problem.properties.insert("type".into(), type_schema.into());
        }
        let types: Vec<serde_json::Value> = Kind::ALL
            .iter()
            .map(|k| {
                serde_json::json!({
                    "type": k.type_uri(),
                    "status": k.status().as_u16(),
                    "title": k.title(),
                })
            })
            .collect();
        let extensions = openapi.extensions.get_or_insert_with(Extensions::default);
        extensions.merge(Extensions::builder().add("x-problem-types", types).build());
    }
}

/// Tag descriptions.
struct Tags;

impl Modify for Tags {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let tag = |name: &str, description: &str| {
            let mut t = Tag::new(name);
            t.description = Some(description.to_string());
            t
        };
        openapi.tags = Some(vec![
            tag("integrity", "Check the log: no credentials needed."),
            tag("entries", "Submit signed documents: the signatures are the authorization."),
            tag("confirmations", "Read confirmations: a bearer token; each party sees its own."),
            tag("operations", "Operate the node: a regulator's or an operator token."),
            tag("lookup", "Check a document against the ledger: a bearer token."),
            tag("oversight", "Statistics per bank and per audit firm: a regulator's token."),
            tag(
                "drafts",
                "Custodial signing: the node composes, shows, then signs as the token's bound signer.",
            ),
            tag("worklists", "What waits on whom: inboxes, reminders, control sheets; a bearer token."),
            tag("banks", "Each bank's published rules (forms, scopes, fee, contact): a bearer token."),
        ]);
    }
}

static DOCUMENT: LazyLock<String> = LazyLock::new(|| {
    ApiDoc::openapi().to_pretty_json().unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
});

/// `GET /openapi.json`.
pub async fn document() -> Response {
    let mut r = DOCUMENT.as_str().into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

/// Swagger UI at [`UI_PATH`], reading [`DOCUMENT_PATH`]. Its own "no such file" answers
/// (an empty 404) become problems like every other.
pub fn swagger_ui() -> axum::Router {
    let ui: axum::Router = utoipa_swagger_ui::SwaggerUi::new(UI_PATH)
        .config(utoipa_swagger_ui::Config::new([DOCUMENT_PATH]))
        .into();
    ui.layer(axum::middleware::map_response(ui_not_found))
}

async fn ui_not_found(uri: axum::http::Uri, resp: Response) -> Response {
    if resp.status() == axum::http::StatusCode::NOT_FOUND {
        return Problem::new(Kind::NotFound, format!("no Swagger UI file {}", uri.path())).into_response();
    }
    resp
}
