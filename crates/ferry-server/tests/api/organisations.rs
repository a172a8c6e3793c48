//! Companies, company admins, moderators and policies (#13): system admins manage companies;
//! a company admin reaches exactly its own company (`404` for anything of another); an
//! inactive company's users cannot log in and their links answer `410`; the company quota
//! holds under concurrent uploads; policies refuse downloads, uploads and links on every path
//! (`403 policy_denied`), and client addresses outside `allowed_ip_ranges`, where a forged
//! `X-Forwarded-For` from an untrusted peer changes nothing.

use ferry_api as api;
use ferry_client::Client;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_api_error, assert_field_error, parse};
use crate::{on_both_backends, on_both_backends_with};

on_both_backends!(
    link_pages_show_the_branding_of_the_creators_company,
    admins_create_list_change_and_delete_companies,
    company_input_is_checked,
    company_admins_reach_only_their_company,
    moderators_list_and_block_any_link,
    an_inactive_company_cannot_log_in_and_its_links_are_revoked,
    the_company_quota_holds_under_concurrent_uploads,
    new_users_get_the_default_user_quota,
    can_download_false_refuses_every_download_path,
    upload_and_link_policies_are_enforced,
    the_most_restrictive_policy_wins,
    policies_are_checked_and_scoped,
    a_forged_forwarded_for_from_an_untrusted_peer_is_ignored,
);
on_both_backends_with!(trust_loopback; a_trusted_proxy_decides_the_address);

fn trust_loopback(config: &mut ferry_server::Config) {
    config.server.trusted_proxies = vec!["127.0.0.1/32".into(), "::1/128".into()];
}

async fn call<T: serde::de::DeserializeOwned>(
    client: &Client,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Result<T, ferry_client::ClientError> {
    let mut req = client.request(method, path);
    if let Some(body) = body {
        req = req.json(&body);
    }
    parse(req.send().await.unwrap()).await
}

async fn company(app: &TestApp, body: Value) -> api::Company {
    call(&app.admin, Method::POST, "/companies", Some(body))
        .await
        .expect("create company")
}

/// Creates `login` through `by` with `extra` fields in the body, and logs it in.
async fn member(app: &TestApp, by: &Client, login: &str, extra: Value) -> (api::User, Client) {
    let password = format!("password-{login}");
    let mut body = json!({"login": login, "password": password});
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    let user: api::User = call(by, Method::POST, "/users", Some(body))
        .await
        .expect("create user");
    let session = app.anon.login(login, &password).await.expect("logs in");
    (user, app.anon.with_token(session.access_token))
}

async fn set_policy(app: &TestApp, kind: &str, id: &str, policy: Value) -> api::Policy {
    call(
        &app.admin,
        Method::PUT,
        &format!("/policies/{kind}/{id}"),
        Some(policy),
    )
    .await
    .expect("set policy")
}

async fn admins_create_list_change_and_delete_companies(app: TestApp) {
    let acme = company(
        &app,
        json!({"name": "Acme", "quota": {"limit_bytes": 1000}, "default_user_quota_bytes": 100,
               "branding": {"display_name": "Acme Corp", "accent_color": "#112233"}}),
    )
    .await;
    assert!(acme.id.starts_with("cmp_"), "{}", acme.id);
    assert_eq!(acme.status, "active");
    assert_eq!(acme.quota.limit_bytes, Some(1000));
    assert_eq!(acme.quota.used_bytes, 0);
    assert_eq!(acme.default_user_quota_bytes, Some(100));
    assert_eq!(acme.branding.display_name, "Acme Corp");
    assert_eq!(acme.branding.accent_color.as_deref(), Some("#112233"));
    let other = company(&app, json!({"name": "Other"})).await;
    assert_eq!(other.branding.display_name, "Other");
    assert_eq!(other.quota.limit_bytes, None);

    let list: api::CompanyList = call(&app.admin, Method::GET, "/companies?limit=1", None)
        .await
        .unwrap();
    assert_eq!(list.companies.len(), 1);
    let rest: api::CompanyList = call(
        &app.admin,
        Method::GET,
        &format!("/companies?cursor={}", list.next_cursor.unwrap()),
        None,
    )
    .await
    .unwrap();
    assert_eq!(rest.companies.len(), 1);
    assert_ne!(rest.companies[0].id, list.companies[0].id);

    let changed: api::Company = call(
        &app.admin,
        Method::PATCH,
        &format!("/companies/{}", acme.id),
        Some(json!({"status": "expired", "branding": {"logo_url": "https://acme.example/l.png"}})),
    )
    .await
    .unwrap();
    assert_eq!(changed.status, "expired");
    assert_eq!(
        changed.branding.logo_url.as_deref(),
        Some("https://acme.example/l.png")
    );
    assert_eq!(changed.branding.display_name, "Acme Corp");

    // A company with users is kept; an empty one goes.
    let (user, _) = member(&app, &app.admin, "worker", json!({"company_id": other.id})).await;
    assert_eq!(user.company_id.as_deref(), Some(other.id.as_str()));
    assert_api_error(
        call::<Value>(
            &app.admin,
            Method::DELETE,
            &format!("/companies/{}", other.id),
            None,
        )
        .await,
        409,
        "conflict",
    );
    let res = app
        .admin
        .request(Method::DELETE, &format!("/companies/{}", acme.id))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_api_error(
        call::<api::Company>(
            &app.admin,
            Method::GET,
            &format!("/companies/{}", acme.id),
            None,
        )
        .await,
        404,
        "not_found",
    );

    // Users see their own company, nothing else, and may not change it.
    let (_, plain) = app.user("plain", None).await;
    assert_api_error(
        call::<api::CompanyList>(&plain, Method::GET, "/companies", None).await,
        403,
        "forbidden",
    );
    let worker = app.anon.with_token(
        app.anon
            .login("worker", "password-worker")
            .await
            .unwrap()
            .access_token,
    );
    let mine: api::Company = call(
        &worker,
        Method::GET,
        &format!("/companies/{}", other.id),
        None,
    )
    .await
    .unwrap();
    assert_eq!(mine.id, other.id);
    assert_api_error(
        call::<api::Company>(
            &worker,
            Method::PATCH,
            &format!("/companies/{}", other.id),
            Some(json!({"name": "Mine now"})),
        )
        .await,
        403,
        "permission_denied",
    );

    let events = app
        .admin
        .audit_events(&[("action", "company.created")])
        .await
        .unwrap();
    assert_eq!(events.events.len(), 2);
    for action in ["company.updated", "company.deleted"] {
        let events = app.admin.audit_events(&[("action", action)]).await.unwrap();
        assert_eq!(events.events.len(), 1, "{action}");
    }
}

async fn company_input_is_checked(app: TestApp) {
    company(&app, json!({"name": "Taken"})).await;
    for (body, code, field) in [
        (json!({}), "invalid_value", "name"),
        (
            json!({"name": "x", "status": "asleep"}),
            "invalid_value",
            "status",
        ),
        (
            json!({"name": "x", "quota": {"limit_bytes": -1}}),
            "invalid_value",
            "quota.limit_bytes",
        ),
        (
            json!({"name": "x", "branding": {"accent_color": "red"}}),
            "invalid_value",
            "branding.accent_color",
        ),
        (
            json!({"name": "x", "branding": {"logo_url": "javascript:alert(1)"}}),
            "invalid_value",
            "branding.logo_url",
        ),
        (json!({"name": "a/b"}), "invalid_name", "name"),
    ] {
        assert_field_error(
            call::<api::Company>(&app.admin, Method::POST, "/companies", Some(body.clone())).await,
            400,
            code,
            field,
        );
    }
    assert_api_error(
        call::<api::Company>(
            &app.admin,
            Method::POST,
            "/companies",
            Some(json!({"name": "TAKEN"})),
        )
        .await,
        409,
        "name_conflict",
    );
    for id in ["cmp_00", "nope", "cmp_zz"] {
        assert_api_error(
            call::<api::Company>(&app.admin, Method::GET, &format!("/companies/{id}"), None).await,
            404,
            "not_found",
        );
    }
    // A user cannot be put into a company that does not exist.
    assert_api_error(
        call::<api::User>(
            &app.admin,
            Method::POST,
            "/users",
            Some(json!({"login": "lost", "password": "password-lost", "company_id": "cmp_00"})),
        )
        .await,
        404,
        "not_found",
    );
}

async fn company_admins_reach_only_their_company(app: TestApp) {
    let a = company(&app, json!({"name": "A"})).await;
    let b = company(&app, json!({"name": "B"})).await;
    let (_, boss) = member(
        &app,
        &app.admin,
        "boss",
        json!({"company_id": a.id, "role": "company_admin"}),
    )
    .await;
    let (b_user, b_client) = member(&app, &app.admin, "bee", json!({"company_id": b.id})).await;

    // Users it creates join its company, whatever the body says about another; never admins.
    let (a_user, ant) = member(&app, &boss, "ant", json!({})).await;
    assert_eq!(a_user.company_id.as_deref(), Some(a.id.as_str()));
    for extra in [json!({"company_id": b.id}), json!({"company_id": null})] {
        let mut body = json!({"login": "x1", "password": "password-x1"});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let r = call::<api::User>(&boss, Method::POST, "/users", Some(body)).await;
        match extra["company_id"].as_str() {
            Some(_) => {
                assert_api_error(r, 404, "not_found");
            }
            // `null` is no company named: the user joins the admin's.
            None => assert_eq!(r.unwrap().company_id.as_deref(), Some(a.id.as_str())),
        }
    }
    for role in ["admin", "moderator"] {
        assert_api_error(
            call::<api::User>(
                &boss,
                Method::POST,
                "/users",
                Some(
                    json!({"login": format!("r{role}"), "password": "password-123", "role": role}),
                ),
            )
            .await,
            403,
            "permission_denied",
        );
    }

    // `?company_id=`: a system admin's filter; a company admin sees nothing of another.
    let of_b: api::UserList = call(
        &app.admin,
        Method::GET,
        &format!("/users?company_id={}", b.id),
        None,
    )
    .await
    .unwrap();
    assert_eq!(
        of_b.users.iter().map(|u| u.id.as_str()).collect::<Vec<_>>(),
        [b_user.id.as_str()]
    );
    let none: api::UserList = call(
        &boss,
        Method::GET,
        &format!("/users?company_id={}", b.id),
        None,
    )
    .await
    .unwrap();
    assert!(none.users.is_empty());
    // Another company's user: 404 on every verb.
    let users: api::UserList = call(&boss, Method::GET, "/users", None).await.unwrap();
    assert!(
        users
            .users
            .iter()
            .all(|u| u.company_id.as_deref() == Some(a.id.as_str()))
    );
    assert!(users.users.iter().any(|u| u.id == a_user.id));
    let path = format!("/users/{}", b_user.id);
    assert_api_error(
        call::<api::User>(&boss, Method::GET, &path, None).await,
        404,
        "not_found",
    );
    assert_api_error(
        call::<api::User>(&boss, Method::PATCH, &path, Some(json!({"name": "x"}))).await,
        404,
        "not_found",
    );
    assert_api_error(
        call::<api::User>(&boss, Method::POST, &format!("{path}/unlock"), None).await,
        404,
        "not_found",
    );
    // Its own users it may change, but not into another company or into an admin.
    let own = format!("/users/{}", a_user.id);
    let renamed: api::User = call(&boss, Method::PATCH, &own, Some(json!({"name": "Ant"})))
        .await
        .unwrap();
    assert_eq!(renamed.name, "Ant");
    assert_api_error(
        call::<api::User>(
            &boss,
            Method::PATCH,
            &own,
            Some(json!({"company_id": b.id})),
        )
        .await,
        404,
        "not_found",
    );
    assert_api_error(
        call::<api::User>(&boss, Method::PATCH, &own, Some(json!({"role": "admin"}))).await,
        403,
        "permission_denied",
    );
    assert_api_error(
        call::<api::User>(
            &boss,
            Method::PATCH,
            &own,
            Some(json!({"company_id": null})),
        )
        .await,
        403,
        "permission_denied",
    );

    // Groups: its own it manages, another company's is 404, members from elsewhere are 404.
    let b_group: api::Group = call(
        &app.admin,
        Method::POST,
        "/groups",
        Some(json!({"name": "B team"})),
    )
    .await
    .unwrap();
    let mine: api::Group = call(
        &boss,
        Method::POST,
        "/groups",
        Some(json!({"name": "A team"})),
    )
    .await
    .unwrap();
    assert_eq!(mine.company_id.as_deref(), Some(a.id.as_str()));
    let listed: api::GroupList = call(&boss, Method::GET, "/groups", None).await.unwrap();
    assert_eq!(
        listed
            .groups
            .iter()
            .map(|g| g.id.as_str())
            .collect::<Vec<_>>(),
        [mine.id.as_str()]
    );
    assert_api_error(
        call::<api::Group>(&boss, Method::GET, &format!("/groups/{}", b_group.id), None).await,
        404,
        "not_found",
    );
    assert_api_error(
        call::<api::Group>(
            &boss,
            Method::PUT,
            &format!("/groups/{}/members/{}", mine.id, b_user.id),
            None,
        )
        .await,
        404,
        "not_found",
    );
    let with_ant: api::Group = call(
        &boss,
        Method::PUT,
        &format!("/groups/{}/members/{}", mine.id, a_user.id),
        None,
    )
    .await
    .unwrap();
    assert_eq!(with_ant.member_count, 1);

    // Policies: its company, groups and users; another's are 404.
    for path in [
        format!("/policies/company/{}", a.id),
        format!("/policies/group/{}", mine.id),
        format!("/policies/user/{}", a_user.id),
    ] {
        // A rule that leaves the company's users free to upload and share below.
        let p: api::Policy = call(
            &boss,
            Method::PUT,
            &path,
            Some(json!({"max_link_expires_in_secs": 86400})),
        )
        .await
        .unwrap();
        assert_eq!(p.max_link_expires_in_secs, Some(86400), "{path}");
    }
    for path in [
        format!("/policies/company/{}", b.id),
        format!("/policies/group/{}", b_group.id),
        format!("/policies/user/{}", b_user.id),
    ] {
        assert_api_error(
            call::<api::Policy>(
                &boss,
                Method::PUT,
                &path,
                Some(json!({"can_upload": false})),
            )
            .await,
            404,
            "not_found",
        );
        assert_api_error(
            call::<api::Policy>(&boss, Method::GET, &path, None).await,
            404,
            "not_found",
        );
    }

    // Another company's folder and link: 404.
    let folder = b_client.create_folder("b-stuff", 0).await.unwrap();
    let file = b_client
        .upload(&folder.id, "b.txt", "bee data")
        .await
        .unwrap();
    let link = b_client
        .create_link(&file.id, &api::CreateLink::default())
        .await
        .unwrap();
    assert_api_error(boss.get_folder(&folder.id).await, 404, "not_found");
    assert_api_error(boss.revoke_link(&link.id).await, 404, "not_found");
    // Its company's links it lists and may block; not another company's.
    let a_folder = ant.create_folder("a-stuff", 0).await.unwrap();
    let a_file = ant.upload(&a_folder.id, "a.txt", "ant data").await.unwrap();
    let a_link = ant
        .create_link(&a_file.id, &api::CreateLink::default())
        .await
        .unwrap();
    let listed = boss.list_my_links(None).await.unwrap();
    let ids: Vec<&str> = listed.links.iter().map(|l| l.id.as_str()).collect();
    assert_eq!(ids, [a_link.id.as_str()]);
    boss.revoke_link(&a_link.id).await.unwrap();
    assert_api_error(
        app.anon.link_content(&a_link.url, &[]).await,
        410,
        "link_revoked",
    );

    // The audit: its company's events, none of another's.
    let events = boss.audit_events(&[("limit", "200")]).await.unwrap();
    assert!(!events.events.is_empty());
    let b_ids = [
        b_user.id.as_str(),
        b.id.as_str(),
        folder.id.as_str(),
        link.id.as_str(),
        b_group.id.as_str(),
    ];
    for e in &events.events {
        assert!(!b_ids.contains(&e.target.id.as_str()), "{e:?}");
        assert_ne!(
            e.actor.as_ref().map(|a| a.id.as_str()),
            Some(b_user.id.as_str()),
            "{e:?}"
        );
    }
    assert!(events.events.iter().any(|e| e.action == "policy.changed"));
    let about_b = boss.audit_events(&[("target", &b_user.id)]).await.unwrap();
    assert!(about_b.events.is_empty(), "{about_b:?}");
}

async fn moderators_list_and_block_any_link(app: TestApp) {
    let (_, owner) = app.user("owner", None).await;
    let (_, moderator) = member(&app, &app.admin, "mod", json!({"role": "moderator"})).await;
    let folder = owner.create_folder("shared", 0).await.unwrap();
    let file = owner.upload(&folder.id, "f.txt", "data").await.unwrap();
    let link = owner
        .create_link(&file.id, &api::CreateLink::default())
        .await
        .unwrap();
    let listed = moderator.list_my_links(None).await.unwrap();
    assert!(listed.links.iter().any(|l| l.id == link.id));
    // The moderator sees links, not the files themselves.
    assert_api_error(moderator.get_file(&file.id).await, 404, "not_found");
    moderator.revoke_link(&link.id).await.unwrap();
    assert_api_error(
        app.anon.link_content(&link.url, &[]).await,
        410,
        "link_revoked",
    );
    // A plain user may not block someone else's link.
    let (_, other) = app.user("other", None).await;
    let link = owner
        .create_link(&file.id, &api::CreateLink::default())
        .await
        .unwrap();
    assert_api_error(other.revoke_link(&link.id).await, 404, "not_found");
}

async fn an_inactive_company_cannot_log_in_and_its_links_are_revoked(app: TestApp) {
    let c = company(&app, json!({"name": "Sleepy"})).await;
    let (_, user) = member(&app, &app.admin, "sleeper", json!({"company_id": c.id})).await;
    let folder = user.create_folder("docs", 0).await.unwrap();
    let file = user.upload(&folder.id, "a.txt", "hello").await.unwrap();
    let link = user
        .create_link(&file.id, &api::CreateLink::default())
        .await
        .unwrap();
    app.anon.link_content(&link.url, &[]).await.unwrap();

    for status in ["inactive", "expired"] {
        let _: api::Company = call(
            &app.admin,
            Method::PATCH,
            &format!("/companies/{}", c.id),
            Some(json!({"status": status})),
        )
        .await
        .unwrap();
        assert_api_error(user.get_folder(&folder.id).await, 401, "company_inactive");
        assert_api_error(
            app.anon.login("sleeper", "password-sleeper").await,
            401,
            "company_inactive",
        );
        // A wrong password says nothing about the company.
        assert_api_error(
            app.anon.login("sleeper", "wrong-password").await,
            401,
            "invalid_credentials",
        );
        assert_api_error(
            app.anon.link_content(&link.url, &[]).await,
            410,
            "link_revoked",
        );
    }
    let _: api::Company = call(
        &app.admin,
        Method::PATCH,
        &format!("/companies/{}", c.id),
        Some(json!({"status": "active"})),
    )
    .await
    .unwrap();
    user.get_folder(&folder.id).await.unwrap();
    app.anon.link_content(&link.url, &[]).await.unwrap();
}

async fn the_company_quota_holds_under_concurrent_uploads(app: TestApp) {
    let c = company(
        &app,
        json!({"name": "Tight", "quota": {"limit_bytes": 1000}}),
    )
    .await;
    let (_, one) = member(&app, &app.admin, "one", json!({"company_id": c.id})).await;
    let (_, two) = member(&app, &app.admin, "two", json!({"company_id": c.id})).await;
    let f1 = one.create_folder("one", 0).await.unwrap();
    let f2 = two.create_folder("two", 0).await.unwrap();
    // 20 uploads of 150 bytes (3000 in all) against 1000: at most 6 fit.
    let mut tasks = Vec::new();
    for i in 0..20 {
        let (client, folder) = if i % 2 == 0 {
            (one.clone(), f1.id.clone())
        } else {
            (two.clone(), f2.id.clone())
        };
        tasks.push(tokio::spawn(async move {
            client
                .upload(&folder, &format!("f{i}.bin"), vec![i as u8; 150])
                .await
        }));
    }
    let mut stored = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => stored += 1,
            Err(e) => {
                assert_api_error::<()>(Err(e), 413, "quota_exceeded");
            }
        }
    }
    let after: api::Company = call(
        &app.admin,
        Method::GET,
        &format!("/companies/{}", c.id),
        None,
    )
    .await
    .unwrap();
    assert!(after.quota.used_bytes <= 1000, "{after:?}");
    assert_eq!(after.quota.used_bytes, stored * 150);
    assert_eq!(stored, 6);
    let users: api::UserList = call(&app.admin, Method::GET, "/users", None).await.unwrap();
    let sum: i64 = users
        .users
        .iter()
        .filter(|u| u.company_id.as_deref() == Some(c.id.as_str()))
        .map(|u| u.quota.used_bytes)
        .sum();
    assert_eq!(sum, after.quota.used_bytes);

    // Deleting gives the space back to the company too.
    let files = one.list_files(&f1.id, None, None).await.unwrap();
    let first = &files.files[0];
    one.delete_file_permanently(&first.id).await.unwrap();
    let later: api::Company = call(
        &app.admin,
        Method::GET,
        &format!("/companies/{}", c.id),
        None,
    )
    .await
    .unwrap();
    assert_eq!(later.quota.used_bytes, after.quota.used_bytes - 150);
}

async fn new_users_get_the_default_user_quota(app: TestApp) {
    let c = company(
        &app,
        json!({"name": "Dflt", "default_user_quota_bytes": 4096}),
    )
    .await;
    let (plain, _) = member(&app, &app.admin, "plain", json!({"company_id": c.id})).await;
    assert_eq!(plain.quota.limit_bytes, Some(4096));
    let (own, _) = member(
        &app,
        &app.admin,
        "own",
        json!({"company_id": c.id, "quota_bytes": 10}),
    )
    .await;
    assert_eq!(own.quota.limit_bytes, Some(10));
    let (outside, _) = app.user("outside", None).await;
    assert_eq!(outside.quota.limit_bytes, None);
    assert_eq!(outside.company_id, None);
}

/// A user with a file, a second version of it, a download link and a folder, whose policy then
/// says `can_download: false`.
async fn can_download_false_refuses_every_download_path(app: TestApp) {
    let (user, client) = app.user("reader", None).await;
    let folder = client.create_folder("docs", 0).await.unwrap();
    let file = client.upload(&folder.id, "a.txt", "one").await.unwrap();
    client
        .request(Method::PUT, &format!("/files/{}/content", file.id))
        .body("two")
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
    let link = client
        .create_link(&file.id, &api::CreateLink::default())
        .await
        .unwrap();
    let folder_link: Value = call(
        &client,
        Method::POST,
        &format!("/folders/{}/download-link", folder.id),
        Some(json!({})),
    )
    .await
    .unwrap();
    // `url` is the landing page (`/s/…`); the zip is at `/d/…`.
    let folder_url = folder_link["url"].as_str().unwrap().replace("/s/", "/d/");
    set_policy(&app, "user", &user.id, json!({"can_download": false})).await;

    assert_api_error(client.content(&file.id, &[]).await, 403, "policy_denied");
    assert_api_error(
        parse::<Value>(
            client
                .request(
                    Method::GET,
                    &format!("/files/{}/versions/1/content", file.id),
                )
                .send()
                .await
                .unwrap(),
        )
        .await,
        403,
        "policy_denied",
    );
    assert_api_error(
        client.folder_archive(&folder.id, &[]).await,
        403,
        "policy_denied",
    );
    assert_api_error(
        client.archive(std::slice::from_ref(&file.id), &[]).await,
        403,
        "policy_denied",
    );
    assert_api_error(
        call::<Value>(
            &client,
            Method::POST,
            &format!("/files/{}/temporary-link", file.id),
            None,
        )
        .await,
        403,
        "policy_denied",
    );
    // Links obey their creator's policy, whoever holds them.
    assert_api_error(
        app.anon.link_content(&link.url, &[]).await,
        403,
        "policy_denied",
    );
    assert_api_error(
        app.anon.link_content(&folder_url, &[]).await,
        403,
        "policy_denied",
    );
    assert_api_error(
        app.anon
            .link_content(&format!("{folder_url}/a.txt"), &[])
            .await,
        403,
        "policy_denied",
    );
    let mine: api::Policy = call(&client, Method::GET, "/me/policy", None)
        .await
        .unwrap();
    assert_eq!(mine.can_download, Some(false));
    assert_eq!(mine.can_upload, Some(true));
    // Reading metadata is still allowed.
    client.get_file(&file.id).await.unwrap();

    let events = app
        .admin
        .audit_events(&[("action", "policy.changed")])
        .await
        .unwrap();
    assert_eq!(events.events.len(), 1);
    assert_eq!(events.events[0].target.id, user.id);
}

async fn upload_and_link_policies_are_enforced(app: TestApp) {
    let (user, client) = app.user("writer", None).await;
    let folder = client.create_folder("docs", 0).await.unwrap();
    let file = client.upload(&folder.id, "a.txt", "one").await.unwrap();
    let img = image::RgbaImage::from_pixel(32, 16, image::Rgba([10, 120, 200, 255]));
    let mut bytes = std::io::Cursor::new(Vec::new());
    img.write_to(&mut bytes, image::ImageFormat::Png).unwrap();
    let png = client
        .upload(&folder.id, "p.png", bytes.into_inner())
        .await
        .unwrap();
    let upload_link = client
        .create_upload_link(&folder.id, &api::CreateUploadLink::default())
        .await
        .unwrap();
    set_policy(
        &app,
        "user",
        &user.id,
        json!({"can_upload": false, "max_link_expires_in_secs": 60, "force_watermark": true}),
    )
    .await;
    // Saving someone's link into one's storage adds to it: an upload.
    let (_, giver) = app.user("giver", None).await;
    let gf = giver.create_folder("give", 0).await.unwrap();
    let gfile = giver.upload(&gf.id, "g.txt", "gift").await.unwrap();
    let glink = giver
        .create_link(&gfile.id, &api::CreateLink::default())
        .await
        .unwrap();
    assert_api_error(
        client
            .save_link(
                &glink.url,
                &api::SaveLink {
                    folder_id: folder.id.clone(),
                    ..Default::default()
                },
            )
            .await,
        403,
        "policy_denied",
    );
    // An upload link obeys its creator's policy, whoever holds it.
    assert_api_error(
        app.anon
            .upload_to_link(
                &upload_link.url,
                "via-link.txt",
                "hello",
                &ferry_client::Uploader::default(),
            )
            .await,
        403,
        "policy_denied",
    );
    assert_api_error(
        client.upload(&folder.id, "b.txt", "two").await,
        403,
        "policy_denied",
    );
    assert_api_error(
        parse::<Value>(
            client
                .request(Method::POST, "/uploads")
                .json(&json!({"folder_id": folder.id, "filename": "c.bin", "size": 10}))
                .send()
                .await
                .unwrap(),
        )
        .await,
        403,
        "policy_denied",
    );
    assert_api_error(
        parse::<Value>(
            client
                .request(Method::PUT, &format!("/files/{}/content", file.id))
                .body("new")
                .send()
                .await
                .unwrap(),
        )
        .await,
        403,
        "policy_denied",
    );
    // A link asking for longer than the cap is refused; a forced watermark needs an image.
    assert_api_error(
        client
            .create_link(
                &file.id,
                &api::CreateLink {
                    expires_in: Some(61),
                    ..Default::default()
                },
            )
            .await,
        403,
        "policy_denied",
    );
    assert_api_error(
        client
            .create_link(&file.id, &api::CreateLink::default())
            .await,
        403,
        "policy_denied",
    );
    {
        let link = client
            .create_link(&png.id, &api::CreateLink::default())
            .await
            .unwrap();
        assert!(link.watermark);
        let expires = time::OffsetDateTime::parse(
            &link.expires_at,
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap();
        let created = time::OffsetDateTime::parse(
            &link.created_at,
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap();
        assert!((expires - created).whole_seconds() <= 60, "{link:?}");
    }
    set_policy(&app, "user", &user.id, json!({"can_share_links": false})).await;
    assert_api_error(
        client
            .create_link(&file.id, &api::CreateLink::default())
            .await,
        403,
        "policy_denied",
    );
    assert_api_error(
        call::<Value>(
            &client,
            Method::POST,
            &format!("/folders/{}/download-link", folder.id),
            Some(json!({})),
        )
        .await,
        403,
        "policy_denied",
    );
    // Uploads are allowed again (the policy was replaced).
    client.upload(&folder.id, "b.txt", "two").await.unwrap();
}

async fn the_most_restrictive_policy_wins(app: TestApp) {
    let c = company(&app, json!({"name": "Strict"})).await;
    let (user, client) = member(&app, &app.admin, "member", json!({"company_id": c.id})).await;
    let group: api::Group = call(
        &app.admin,
        Method::POST,
        "/groups",
        Some(json!({"name": "g"})),
    )
    .await
    .unwrap();
    app.admin
        .add_group_member(&group.id, &user.id)
        .await
        .unwrap();
    set_policy(
        &app,
        "company",
        &c.id,
        json!({"max_link_expires_in_secs": 3600, "allowed_ip_ranges": ["127.0.0.0/8", "10.0.0.0/8"]}),
    )
    .await;
    set_policy(
        &app,
        "group",
        &group.id,
        json!({"can_share_links": false, "max_link_expires_in_secs": 600, "allowed_ip_ranges": ["127.0.0.1", "::1"]}),
    )
    .await;
    set_policy(
        &app,
        "user",
        &user.id,
        json!({"can_upload": true, "force_watermark": true}),
    )
    .await;
    let p: api::Policy = call(&client, Method::GET, "/me/policy", None)
        .await
        .unwrap();
    assert_eq!(
        p,
        api::Policy {
            can_download: Some(true),
            can_upload: Some(true),
            can_share_links: Some(false),
            force_watermark: Some(true),
            max_link_expires_in_secs: Some(600),
            allowed_ip_ranges: Some(vec!["127.0.0.1/32".into()]),
        }
    );
    // Leaving the group lifts its rules.
    app.admin
        .remove_group_member(&group.id, &user.id)
        .await
        .unwrap();
    let p: api::Policy = call(&client, Method::GET, "/me/policy", None)
        .await
        .unwrap();
    assert_eq!(p.can_share_links, Some(true));
    assert_eq!(p.max_link_expires_in_secs, Some(3600));
}

async fn policies_are_checked_and_scoped(app: TestApp) {
    let (user, client) = app.user("someone", None).await;
    let path = format!("/policies/user/{}", user.id);
    for (body, field) in [
        (
            json!({"allowed_ip_ranges": ["not-an-ip"]}),
            "allowed_ip_ranges",
        ),
        (
            json!({"allowed_ip_ranges": ["10.0.0.0/33"]}),
            "allowed_ip_ranges",
        ),
        (
            json!({"max_link_expires_in_secs": 0}),
            "max_link_expires_in_secs",
        ),
    ] {
        assert_field_error(
            call::<api::Policy>(&app.admin, Method::PUT, &path, Some(body)).await,
            400,
            "invalid_value",
            field,
        );
    }
    let empty: api::Policy = call(&app.admin, Method::GET, &path, None).await.unwrap();
    assert_eq!(empty, api::Policy::default());
    for bad in [
        "/policies/folder/fld_00",
        "/policies/user/usr_00",
        "/policies/company/cmp_00",
        "/policies/group/grp_00",
    ] {
        assert_api_error(
            call::<api::Policy>(&app.admin, Method::GET, bad, None).await,
            404,
            "not_found",
        );
    }
    // Users set no policies, not even their own.
    assert_api_error(
        call::<api::Policy>(
            &client,
            Method::PUT,
            &path,
            Some(json!({"can_download": true})),
        )
        .await,
        403,
        "forbidden",
    );
}

/// A user limited to `10.0.0.0/8`, logged in.
async fn limited_to_ten(app: &TestApp, login: &str) -> (api::User, Client) {
    let (user, client) = app.user(login, None).await;
    set_policy(
        app,
        "user",
        &user.id,
        json!({"allowed_ip_ranges": ["10.0.0.0/8"]}),
    )
    .await;
    (user, client)
}

/// `GET /me` as `client`, claiming to come from `forwarded_for`.
async fn me_from(
    client: &Client,
    forwarded_for: &str,
) -> Result<api::User, ferry_client::ClientError> {
    let res = client
        .request(Method::GET, "/me")
        .header("x-forwarded-for", forwarded_for)
        .send()
        .await
        .unwrap();
    parse(res).await
}

async fn a_forged_forwarded_for_from_an_untrusted_peer_is_ignored(app: TestApp) {
    let (user, client) = limited_to_ten(&app, "roamer").await;
    // The server is not behind a trusted proxy: 127.0.0.1 is the address, whatever is claimed.
    assert_api_error(me_from(&client, "10.1.2.3").await, 403, "policy_denied");
    let res = app
        .raw(Method::POST, "/api/v1/auth/session")
        .header("x-forwarded-for", "10.1.2.3")
        .json(&json!({"login": "roamer", "password": "password-roamer"}))
        .send()
        .await
        .unwrap();
    assert_api_error(parse::<api::Session>(res).await, 403, "policy_denied");
    set_policy(
        &app,
        "user",
        &user.id,
        json!({"allowed_ip_ranges": ["127.0.0.0/8", "::1"]}),
    )
    .await;
    // Allowed again: an unknown file is 404, not 403.
    assert_api_error(client.get_file("fil_00").await, 404, "not_found");
    assert_eq!(me_from(&client, "10.1.2.3").await.unwrap().id, user.id);
}

async fn a_trusted_proxy_decides_the_address(app: TestApp) {
    let (user, client) = limited_to_ten(&app, "behind").await;
    assert_eq!(me_from(&client, "10.1.2.3").await.unwrap().id, user.id);
    assert_api_error(me_from(&client, "192.0.2.1").await, 403, "policy_denied");
}

/// A link's landing page shows how its creator's company presents itself, for file, folder
/// and upload links alike; a creator without a company shows none.
async fn link_pages_show_the_branding_of_the_creators_company(app: TestApp) {
    let acme = company(
        &app,
        json!({"name": "Acme", "branding": {"display_name": "Acme Files",
               "accent_color": "#112233"}}),
    )
    .await;
    let (_, worker) = member(&app, &app.admin, "worker", json!({"company_id": acme.id})).await;
    let folder = worker.create_folder("out", 0).await.unwrap();
    let file = worker
        .upload(&folder.id, "a.txt", b"branded".to_vec())
        .await
        .unwrap();
    let file_link = worker
        .create_link(&file.id, &api::CreateLink::default())
        .await
        .unwrap();
    let folder_link = worker
        .create_folder_link(&folder.id, &api::CreateLink::default())
        .await
        .unwrap();
    let upload_link = worker
        .create_upload_link(&folder.id, &api::CreateUploadLink::default())
        .await
        .unwrap();
    for url in [&file_link.url, &folder_link.url, &upload_link.url] {
        let info = app.anon.link_info(url).await.unwrap();
        let branding = info.branding.expect("the company's branding");
        assert_eq!(branding.display_name, "Acme Files", "{url}");
        assert_eq!(branding.accent_color.as_deref(), Some("#112233"));
    }
    let (_, loner) = app.user("loner", None).await;
    let own = loner.create_folder("mine", 0).await.unwrap();
    let f = loner
        .upload(&own.id, "b.txt", b"plain".to_vec())
        .await
        .unwrap();
    let plain = loner
        .create_link(&f.id, &api::CreateLink::default())
        .await
        .unwrap();
    assert!(
        app.anon
            .link_info(&plain.url)
            .await
            .unwrap()
            .branding
            .is_none()
    );
}
