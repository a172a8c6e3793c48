//! Rules applied to the generated OpenAPI document so that it says what the server does and
//! code generators can use it: every authenticated operation takes bearer and Basic and may
//! answer `401`; operation ids are unique (`<tag>_<handler>`); every response has a
//! description; binary bodies are binary strings, not arrays of integers; the public download
//! path `/d/{token}`, served outside `/api/v1`, is described with its own server (with the
//! `X-Link-Access` header a link with a password needs).
//!
//! utoipa derives the rest from the handlers; these rules are applied here once rather than
//! repeated on each of the handlers' annotations, where a new route could forget them.

use serde_json::{Value, json};

const METHODS: [&str; 7] = ["get", "put", "post", "delete", "options", "head", "patch"];

/// Applies the rules to the document generated from the routes.
pub fn normalise(doc: utoipa::openapi::OpenApi) -> Value {
    let mut value = serde_json::to_value(&doc).expect("the OpenAPI document serializes");
    apply(&mut value);
    value
}

fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
    })
}

/// `429`: any operation may meet a rate limit (`rate_limits.*`).
fn rate_limited() -> Value {
    let header =
        |description: &str| json!({"description": description, "schema": {"type": "string"}});
    json!({
        "description": "`too_many_requests`: the client address or the user went over its rate limit; retry after `Retry-After` seconds",
        "headers": {
            "Retry-After": header("Seconds until a request may pass again"),
            "RateLimit": header("The bucket's state: `\"<policy>\";r=<remaining>;t=<seconds>`"),
            "RateLimit-Policy": header("The limit: `\"<policy>\";q=<requests>;w=60`"),
        },
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
    })
}

fn binary() -> Value {
    json!({"type": "string", "format": "binary"})
}

fn apply(doc: &mut Value) {
    let paths = doc["paths"].as_object_mut().expect("paths");
    for item in paths.values_mut() {
        for method in METHODS {
            if let Some(op) = item.get_mut(method) {
                operation(op);
            }
        }
    }
    // The resumable protocol also takes an upload link instead of credentials.
    for (path, method) in [
        ("/uploads", "post"),
        ("/uploads/{upload_id}", "get"),
        ("/uploads/{upload_id}", "delete"),
        ("/uploads/{upload_id}/parts/{part_no}", "patch"),
        ("/uploads/{upload_id}/complete", "post"),
    ] {
        if let Some(security) = paths
            .get_mut(path)
            .and_then(|item| item.get_mut(method))
            .and_then(|op| op.get_mut("security"))
            .and_then(Value::as_array_mut)
        {
            security.push(json!({"link_token": []}));
        }
    }
    paths.insert("/d/{token}".into(), public_download());
    paths.insert("/d/{token}/{path}".into(), folder_link_download());
    // The event types a webhook may subscribe to: the audit catalogue.
    let mut events: Vec<&str> = ferry_core::audit::Action::ALL
        .iter()
        .map(|a| a.as_str())
        .collect();
    events.extend([ferry_app::webhooks::PING, ferry_app::webhooks::ALL_EVENTS]);
    for schema in ["CreateWebhook", "UpdateWebhook"] {
        if let Some(items) =
            doc["components"]["schemas"][schema]["properties"]["events"].get_mut("items")
        {
            items["enum"] = json!(events);
        }
    }
}

fn operation(op: &mut Value) {
    let tag = op["tags"][0].as_str().unwrap_or("api").to_string();
    if let Some(id) = op["operationId"].as_str() {
        op["operationId"] = json!(format!("{tag}_{id}"));
    }
    let secured = op
        .get("security")
        .and_then(Value::as_array)
        .is_some_and(|s| !s.is_empty());
    let responses = op["responses"].as_object_mut().expect("responses");
    if secured && !responses.contains_key("401") {
        responses.insert(
            "401".into(),
            error_response("`unauthorized`, `token_expired` or `account_disabled`"),
        );
    }
    // HTTP Basic checks a password on every request, with the same lockout as a login.
    if secured && !responses.contains_key("423") {
        responses.insert(
            "423".into(),
            error_response("`account_locked`: too many wrong passwords (HTTP Basic)"),
        );
    }
    match responses.get_mut("429") {
        Some(existing) => {
            let described = existing["description"].as_str().unwrap_or("").to_string();
            existing["description"] = json!(format!("{described}; or `too_many_requests`"));
            existing["headers"] = rate_limited()["headers"].clone();
        }
        None => {
            responses.insert("429".into(), rate_limited());
        }
    }
    for (status, response) in responses.iter_mut() {
        if response.get("description").is_none_or(|d| d == "") {
            response["description"] = json!(reason(status));
        }
        binary_content(response);
        // Content is served with the file's own type (`image/jpeg`, `multipart/byteranges`).
        if let Some(content) = response.get_mut("content").and_then(Value::as_object_mut)
            && let Some(bytes) = content.remove("application/octet-stream")
        {
            content.insert("*/*".into(), bytes);
        }
    }
    if secured {
        op["security"] = json!([{"bearer": []}, {"basic": []}]);
    }
    // Any query parameter or body can be malformed.
    let has_query = op["parameters"]
        .as_array()
        .is_some_and(|ps| ps.iter().any(|p| p["in"] == "query"));
    if (has_query || op.get("requestBody").is_some())
        && let Some(responses) = op["responses"].as_object_mut()
        && !responses.contains_key("400")
    {
        responses.insert(
            "400".into(),
            error_response("`invalid_query`, `malformed_json`, `invalid_field`, `missing_field`…"),
        );
    }
    if let Some(body) = op.get_mut("requestBody") {
        binary_content(body);
    }
}

/// Byte bodies as binary strings; a multipart upload as its form.
fn binary_content(holder: &mut Value) {
    let Some(content) = holder.get_mut("content").and_then(Value::as_object_mut) else {
        return;
    };
    for (media_type, media) in content.iter_mut() {
        match media_type.as_str() {
            "application/octet-stream" => media["schema"] = binary(),
            "multipart/form-data" => {
                media["schema"] = json!({
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": binary(), "ttl": {"type": "integer", "minimum": 1}}
                })
            }
            _ => {}
        }
    }
}

fn reason(status: &str) -> String {
    status
        .parse::<u16>()
        .ok()
        .and_then(|s| axum::http::StatusCode::from_u16(s).ok())
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Response")
        .to_string()
}

fn public_download() -> Value {
    let bytes = |description: &str| json!({"description": description, "content": {"*/*": {"schema": binary()}}});
    let params = json!([
        {"name": "token", "in": "path", "required": true, "schema": {"type": "string"}},
        {"name": "X-Link-Access", "in": "header", "required": false, "schema": {"type": "string"},
         "description": "A link access token for this link (`POST /api/v1/links/{token}/unlock`)"}
    ]);
    json!({
        "servers": [{"url": "/", "description": "The server root: links live outside /api/v1"}],
        "get": {
            "tags": ["links"],
            "operationId": "links_download",
            "summary": "Download through a signed link (no credentials). Each request reserves the bytes of its range against the link's budget (`max_downloads × size`) before sending and gives back what it did not deliver. A link with a password needs a link access token from `POST /api/v1/links/{token}/unlock`, as `X-Link-Access` or as the `ferry_link_access` cookie.",
            "parameters": with_zip_params(&params),
            "responses": {
                "200": bytes("The file (a folder link: the zip)"),
                "206": bytes("The requested range(s)"),
                "304": {"description": "If-None-Match matched"},
                "401": error_response("`link_password_required`: the link has a password and no valid link access token for it came with the request"),
                "400": error_response("`invalid_value`: a `format` other than `zip` (folder links)"),
                "403": error_response("`file_infected`: the virus scanner found something in the file"),
                "404": error_response("`not_found`: a malformed or forged token, or (folder links) no such folder under the link's folder"),
                "409": error_response("`scan_pending`: the file is not scanned yet (`scan.policy = block_until_clean`)"),
                "410": error_response("`link_expired`, `link_exhausted`, `link_revoked`, `file_held`, `file_expired` or `folder_expired`"),
                "416": error_response("`range_not_satisfiable`"),
                "429": rate_limited()
            }
        },
        "head": {
            "tags": ["links"],
            "operationId": "links_download_head",
            "summary": "The link's headers (size, type, ETag); counts nothing.",
            "parameters": params,
            "responses": {
                "200": {"description": "The file's headers"},
                "401": {"description": "The link has a password: no valid link access token came with the request"},
                "404": {"description": "A malformed or forged token"},
                "410": {"description": "Expired, used up or revoked"},
                "429": {"description": "Rate limited (`Retry-After`)"}
            }
        }
    })
}

/// `format` and `path` of `GET /d/{token}`, which only folder links read.
fn with_zip_params(params: &Value) -> Value {
    let mut all = params.as_array().cloned().unwrap_or_default();
    all.push(json!({"name": "format", "in": "query", "required": false,
        "schema": {"type": "string", "enum": ["zip"]},
        "description": "Folder links: the download's format (`zip`, the default)"}));
    all.push(json!({"name": "path", "in": "query", "required": false,
        "schema": {"type": "string"},
        "description": "Folder links: a folder under the link's folder to zip instead (`a/b`)"}));
    Value::Array(all)
}

fn folder_link_download() -> Value {
    let bytes = |description: &str| json!({"description": description, "content": {"*/*": {"schema": binary()}}});
    let params = json!([
        {"name": "token", "in": "path", "required": true, "schema": {"type": "string"}},
        {"name": "path", "in": "path", "required": true, "schema": {"type": "string"},
         "description": "The file's path under the link's folder, its segments percent-encoded and separated by `/`"},
        {"name": "X-Link-Access", "in": "header", "required": false, "schema": {"type": "string"},
         "description": "A link access token for this link (`POST /api/v1/links/{token}/unlock`)"}
    ]);
    json!({
        "servers": [{"url": "/", "description": "The server root: links live outside /api/v1"}],
        "get": {
            "tags": ["links"],
            "operationId": "links_download_in_folder",
            "summary": "Download one file under a folder link's folder (no credentials), with Range. Counted against that file's own budget (`max_downloads × size`) as a file link counts its file; the receipt is filed under the folder link.",
            "parameters": params.clone(),
            "responses": {
                "200": bytes("The file"),
                "206": bytes("The requested range(s)"),
                "304": {"description": "If-None-Match matched"},
                "401": error_response("`link_password_required`"),
                "403": error_response("`file_infected`: the virus scanner found something in the file"),
                "404": error_response("`not_found`: a malformed or forged token, not a folder link, or no such live file under its folder"),
                "409": error_response("`scan_pending`: the file is not scanned yet (`scan.policy = block_until_clean`)"),
                "410": error_response("`link_expired`, `link_exhausted` (this file's downloads are used up), `link_revoked` or `folder_expired`"),
                "416": error_response("`range_not_satisfiable`"),
                "429": rate_limited()
            }
        },
        "head": {
            "tags": ["links"],
            "operationId": "links_download_in_folder_head",
            "summary": "The file's headers (size, type, ETag); counts nothing.",
            "parameters": params,
            "responses": {
                "200": {"description": "The file's headers"},
                "401": {"description": "The link has a password: no valid link access token came with the request"},
                "404": {"description": "No such link or file"},
                "410": {"description": "Expired, used up or revoked"},
                "429": {"description": "Rate limited (`Retry-After`)"}
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn document() -> Value {
        crate::http::openapi_document()
    }

    fn operations(doc: &Value) -> Vec<(String, String, Value)> {
        let mut out = Vec::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for method in METHODS {
                if let Some(op) = item.get(method) {
                    out.push((path.clone(), method.to_string(), op.clone()));
                }
            }
        }
        out
    }

    #[test]
    fn operation_ids_are_unique() {
        let doc = document();
        let mut seen = HashSet::new();
        for (path, method, op) in operations(&doc) {
            let id = op["operationId"].as_str().unwrap().to_string();
            assert!(seen.insert(id.clone()), "{id} repeats ({method} {path})");
        }
    }

    #[test]
    fn parameters_are_where_the_server_reads_them() {
        for (path, method, op) in operations(&document()) {
            for p in op["parameters"].as_array().into_iter().flatten() {
                let name = p["name"].as_str().unwrap();
                if p["in"] == "header" {
                    // Read from the headers (the link access token of `/d/{token}`, and of
                    // an upload through a link, with the uploader's name).
                    assert!(
                        ["/d/{token}", "/d/{token}/{path}", "/links/{token}/files"]
                            .contains(&path.as_str()),
                        "{name} of {method} {path}"
                    );
                    continue;
                }
                let in_path = path.contains(&format!("{{{name}}}"));
                let expected = if in_path { "path" } else { "query" };
                assert_eq!(p["in"], expected, "{name} of {method} {path}");
                if !in_path {
                    assert_ne!(p["required"], true, "{name} of {method} {path}");
                }
            }
            for segment in path.split('/').filter(|s| s.starts_with('{')) {
                let name = segment.trim_matches(['{', '}']);
                assert_ne!(
                    name, "id",
                    "{path}: name path parameters as the contract does"
                );
            }
        }
    }

    #[test]
    fn authenticated_operations_take_bearer_and_basic_and_may_answer_401() {
        for (path, method, op) in operations(&document()) {
            let Some(security) = op.get("security") else {
                continue;
            };
            // The resumable protocol also takes an upload link's token.
            let via_link = [
                ("/uploads", "post"),
                ("/uploads/{upload_id}", "get"),
                ("/uploads/{upload_id}", "delete"),
                ("/uploads/{upload_id}/parts/{part_no}", "patch"),
                ("/uploads/{upload_id}/complete", "post"),
            ]
            .contains(&(path.as_str(), method.as_str()));
            let expected = if via_link {
                json!([{"bearer": []}, {"basic": []}, {"link_token": []}])
            } else {
                json!([{"bearer": []}, {"basic": []}])
            };
            assert_eq!(security, &expected, "{method} {path}");
            assert!(op["responses"].get("401").is_some(), "{method} {path}");
            assert!(op["responses"].get("423").is_some(), "{method} {path}");
        }
    }

    #[test]
    fn every_reference_resolves_and_every_response_is_described() {
        let doc = document();
        let text = doc.to_string();
        let schemas = doc["components"]["schemas"].as_object().unwrap();
        for reference in text.split("\"#/components/schemas/").skip(1) {
            let name = reference.split('"').next().unwrap();
            assert!(
                schemas.contains_key(name),
                "{name} is referenced but not defined"
            );
        }
        assert!(!text.contains(r#""items":{"type":"integer","format":"int32","minimum":0}"#));
        for (path, method, op) in operations(&doc) {
            for (status, response) in op["responses"].as_object().unwrap() {
                assert!(
                    response["description"]
                        .as_str()
                        .is_some_and(|d| !d.is_empty()),
                    "{method} {path} {status}"
                );
            }
        }
        assert!(doc["paths"].get("/d/{token}").is_some());
    }
}
