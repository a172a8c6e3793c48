//! Company visibility: a folder shown to the company is in its members' directory (and no
//! one else's), members ask for access, whoever may share the folder approves (a share with
//! the role asked for, or one they give within their own) or denies; one answer per request;
//! notices and audit events go with every step.

use ferry_api as api;
use ferry_client::{Client, ClientError};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_api_error, send_json};
use crate::on_both_backends;

on_both_backends!(
    company_members_find_shown_folders_and_ask_for_access,
    managers_decide_within_their_role_and_members_hear_of_it,
);

async fn post<T: serde::de::DeserializeOwned>(
    client: &Client,
    path: &str,
    body: Value,
) -> Result<T, ClientError> {
    send_json(client, Method::POST, path, Some(body)).await
}

async fn get<T: serde::de::DeserializeOwned>(
    client: &Client,
    path: &str,
) -> Result<T, ClientError> {
    send_json(client, Method::GET, path, None).await
}

/// A user `login` of `company` (password `password-<login>`), signed in.
async fn member(app: &TestApp, company: Option<&str>, login: &str) -> (api::User, Client) {
    let password = format!("password-{login}");
    let user: api::User = post(
        &app.admin,
        "/users",
        json!({"login": login, "password": password, "company_id": company}),
    )
    .await
    .unwrap();
    let session = app.anon.login(login, &password).await.unwrap();
    (user, app.anon.with_token(session.access_token))
}

async fn ask(
    client: &Client,
    folder: &str,
    body: Value,
) -> Result<api::AccessRequest, ClientError> {
    post(client, &format!("/folders/{folder}/access-requests"), body).await
}

async fn answer(
    client: &Client,
    request: &str,
    verdict: &str,
    body: Value,
) -> Result<api::AccessRequest, ClientError> {
    post(
        client,
        &format!("/access-requests/{request}/{verdict}"),
        body,
    )
    .await
}

async fn directory(client: &Client) -> Vec<api::DirectoryFolder> {
    get::<api::DirectoryList>(client, "/directory")
        .await
        .unwrap()
        .folders
}

/// The `kind` notices `client` has, newest first.
async fn notices_of(client: &Client, kind: &str) -> Vec<Value> {
    let all: Value = get(client, "/notices").await.unwrap();
    all["notices"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == kind)
        .cloned()
        .collect()
}

async fn company_members_find_shown_folders_and_ask_for_access(app: TestApp) {
    let (acme, _boss) = app.company_with_admin("Acme").await;
    let beta: api::Company = post(&app.admin, "/companies", json!({"name": "Beta"}))
        .await
        .unwrap();
    let (_, ann) = member(&app, Some(&acme.id), "ann").await;
    let (ben_user, ben) = member(&app, Some(&acme.id), "ben").await;
    let (_, dan) = member(&app, Some(&beta.id), "dan").await;
    let (_, carl) = app.user("carl", None).await;

    let handbook: api::Folder = post(
        &ann,
        "/folders",
        json!({"name": "Handbook", "visibility": "company", "description": "How we work"}),
    )
    .await
    .unwrap();
    assert_eq!(handbook.visibility, "company");
    let secret = ann.create_folder("Secret", 0).await.unwrap();
    // Only top-level folders of a company's member are shown to a company.
    assert_api_error(
        post::<api::Folder>(
            &ann,
            "/folders",
            json!({"name": "Sub", "parent_id": handbook.id, "visibility": "company"}),
        )
        .await,
        400,
        "invalid_value",
    );
    assert_api_error(
        post::<api::Folder>(
            &carl,
            "/folders",
            json!({"name": "X", "visibility": "company"}),
        )
        .await,
        400,
        "invalid_value",
    );
    assert_api_error(
        post::<api::Folder>(
            &ann,
            "/folders",
            json!({"name": "Y", "visibility": "public"}),
        )
        .await,
        400,
        "invalid_value",
    );

    // Ben sees the folder in the directory, not inside it.
    let listed = directory(&ben).await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(
        (
            listed[0].id.as_str(),
            listed[0].name.as_str(),
            listed[0].owner.login.as_str()
        ),
        (handbook.id.as_str(), "Handbook", "ann")
    );
    assert_eq!(listed[0].description, "How we work");
    assert_eq!(
        (
            listed[0].role.as_deref(),
            listed[0].pending_request_id.as_deref()
        ),
        (None, None)
    );
    assert_api_error(ben.get_folder(&handbook.id).await, 404, "not_found");
    assert_eq!(directory(&ann).await[0].role.as_deref(), Some("owner"));
    // Another company's member and a user of no company see nothing, and may ask nothing.
    for outsider in [&dan, &carl] {
        assert!(directory(outsider).await.is_empty());
        assert_api_error(
            ask(outsider, &handbook.id, json!({})).await,
            404,
            "not_found",
        );
        assert_api_error(outsider.get_folder(&handbook.id).await, 404, "not_found");
    }
    // A private folder is no one's to ask for.
    assert_api_error(ask(&ben, &secret.id, json!({})).await, 404, "not_found");
    assert_api_error(ask(&ben, "fld_nope", json!({})).await, 404, "not_found");
    assert_api_error(
        ask(&ben, &handbook.id, json!({"role": "owner"})).await,
        400,
        "invalid_value",
    );

    let asked = ask(&ben, &handbook.id, json!({"message": "For onboarding"}))
        .await
        .unwrap();
    assert!(asked.id.starts_with("acr_"));
    assert_eq!(
        (
            asked.status.as_str(),
            asked.role.as_str(),
            asked.user.login.as_str()
        ),
        ("pending", "viewer", "ben")
    );
    assert_api_error(ask(&ben, &handbook.id, json!({})).await, 409, "conflict");
    assert_eq!(
        directory(&ben).await[0].pending_request_id.as_deref(),
        Some(asked.id.as_str())
    );
    // The owner hears of it; the asker may not see or answer the requests.
    let told = notices_of(&ann, "access_request").await;
    assert_eq!(told.len(), 1);
    assert_eq!(told[0]["data"]["request_id"], asked.id.as_str());
    assert_eq!(told[0]["data"]["by"]["login"], "ben");
    assert_eq!(told[0]["data"]["message"], "For onboarding");
    let requests_path = format!("/folders/{}/access-requests", handbook.id);
    assert_api_error(
        get::<api::AccessRequestList>(&ben, &requests_path).await,
        404,
        "not_found",
    );
    assert_api_error(
        answer(&ben, &asked.id, "approve", json!({})).await,
        404,
        "not_found",
    );
    assert_api_error(
        get::<api::AccessRequestList>(&ann, &format!("{requests_path}?status=maybe")).await,
        400,
        "invalid_query",
    );
    let pending: api::AccessRequestList = get(&ann, &format!("{requests_path}?status=pending"))
        .await
        .unwrap();
    assert_eq!(pending.requests.len(), 1);
    assert_eq!(pending.requests[0].message, "For onboarding");

    let approved = answer(&ann, &asked.id, "approve", json!({})).await.unwrap();
    assert_eq!(
        (approved.status.as_str(), approved.role.as_str()),
        ("approved", "viewer")
    );
    assert!(approved.decided_at.is_some());
    assert_api_error(
        answer(&ann, &asked.id, "deny", json!({})).await,
        409,
        "conflict",
    );
    // Ben is a viewer now, at once, with the folder in his root.
    let seen = ben.get_folder(&handbook.id).await.unwrap();
    assert_eq!(
        (seen.role.as_str(), seen.path.as_str()),
        ("viewer", "/Handbook")
    );
    assert!(
        ben.list_folders(false)
            .await
            .unwrap()
            .folders
            .iter()
            .any(|f| f.id == handbook.id)
    );
    let listed = directory(&ben).await;
    assert_eq!(
        (
            listed[0].role.as_deref(),
            listed[0].pending_request_id.as_deref()
        ),
        (Some("viewer"), None)
    );
    assert_api_error(ask(&ben, &handbook.id, json!({})).await, 409, "conflict");
    let decided = notices_of(&ben, "access_request.decided").await;
    assert_eq!(decided.len(), 1);
    assert_eq!(decided[0]["data"]["status"], "approved");
    assert_eq!(decided[0]["data"]["folder_name"], "Handbook");
    for action in ["share.access_requested", "share.access_approved"] {
        assert_eq!(
            app.audit_of(action, &handbook.id).await.len(),
            1,
            "{action}"
        );
    }
    let granted = app.audit_of("permission.changed", &handbook.id).await;
    assert_eq!(granted.len(), 1);
    assert_eq!(granted[0].details["change"], "granted");
    assert_eq!(granted[0].details["principal"]["id"], ben_user.id.as_str());

    // Made private again, the folder leaves the directory; Ben keeps his share.
    let private = ann
        .update_folder(
            &handbook.id,
            &api::UpdateFolder {
                visibility: Some("private".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(private.visibility, "private");
    assert!(directory(&ben).await.is_empty());
    ben.get_folder(&handbook.id).await.unwrap();
    // Showing a folder needs `manage`: a viewer may not.
    assert_api_error(
        ben.update_folder(
            &handbook.id,
            &api::UpdateFolder {
                visibility: Some("company".into()),
                ..Default::default()
            },
        )
        .await,
        403,
        "permission_denied",
    );
}

async fn managers_decide_within_their_role_and_members_hear_of_it(app: TestApp) {
    let (acme, _boss) = app.company_with_admin("Acme").await;
    let (_, ann) = member(&app, Some(&acme.id), "ann").await;
    let (_, mia) = member(&app, Some(&acme.id), "mia").await;
    let (_, ed) = member(&app, Some(&acme.id), "ed").await;
    let (_, ben) = member(&app, Some(&acme.id), "ben").await;
    let (_, cy) = member(&app, Some(&acme.id), "cy").await;
    let plans = ann.create_folder("Plans", 0).await.unwrap();
    // Shown later, by a PATCH.
    ann.update_folder(
        &plans.id,
        &api::UpdateFolder {
            visibility: Some("company".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    for (login, who, role) in [("mia", &mia, "manager"), ("ed", &ed, "editor")] {
        let invitation = ann
            .invite(
                &plans.id,
                &api::CreateCollaboration {
                    user: Some(login.into()),
                    role: role.into(),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        who.accept_invitation(&invitation.id, None).await.unwrap();
    }

    let bens = ask(&ben, &plans.id, json!({"role": "manager"}))
        .await
        .unwrap();
    // An editor sees the folder but may not share it: no requests for them.
    let requests_path = format!("/folders/{}/access-requests", plans.id);
    assert_api_error(
        get::<api::AccessRequestList>(&ed, &requests_path).await,
        403,
        "permission_denied",
    );
    assert_api_error(
        answer(&ed, &bens.id, "approve", json!({})).await,
        403,
        "permission_denied",
    );
    // A manager gives roles below their own only.
    let listed: api::AccessRequestList = get(&mia, &requests_path).await.unwrap();
    assert_eq!(listed.requests.len(), 1);
    assert_api_error(
        answer(&mia, &bens.id, "approve", json!({})).await,
        403,
        "permission_denied",
    );
    let approved = answer(&mia, &bens.id, "approve", json!({"role": "editor"}))
        .await
        .unwrap();
    assert_eq!(
        (approved.status.as_str(), approved.role.as_str()),
        ("approved", "editor")
    );
    assert_eq!(ben.get_folder(&plans.id).await.unwrap().role, "editor");

    // Denied: Cy hears of it, sees nothing more, and may ask again.
    let cys = ask(&cy, &plans.id, json!({})).await.unwrap();
    let denied = answer(&mia, &cys.id, "deny", json!({})).await.unwrap();
    assert_eq!(denied.status, "denied");
    assert_api_error(cy.get_folder(&plans.id).await, 404, "not_found");
    let told = notices_of(&cy, "access_request.decided").await;
    assert_eq!(told.len(), 1);
    assert_eq!(told[0]["data"]["status"], "denied");
    assert_eq!(told[0]["data"]["by"]["login"], "mia");
    assert_eq!(
        app.audit_of("share.access_denied", &plans.id).await.len(),
        1
    );

    // Two managers answering at once: one answer, and Cy's access follows it.
    let again = ask(&cy, &plans.id, json!({})).await.unwrap();
    let (a, b) = tokio::join!(
        answer(&ann, &again.id, "approve", json!({})),
        answer(&mia, &again.id, "deny", json!({})),
    );
    assert_eq!(
        [a.is_ok(), b.is_ok()].iter().filter(|ok| **ok).count(),
        1,
        "{a:?} {b:?}"
    );
    let outcome = a.or(b).unwrap();
    match outcome.status.as_str() {
        "approved" => assert_eq!(cy.get_folder(&plans.id).await.unwrap().role, "viewer"),
        "denied" => {
            assert_api_error(cy.get_folder(&plans.id).await, 404, "not_found");
        }
        other => panic!("{other}"),
    };
    let all: api::AccessRequestList = get(&ann, &requests_path).await.unwrap();
    assert_eq!(
        all.requests
            .iter()
            .map(|r| r.status.as_str())
            .collect::<Vec<_>>()[..2],
        ["approved", "denied"]
    );
}
