//! The web portal's door: `index.html` for the app's paths with a strict CSP, hashed assets
//! cached for a year (gzip when accepted), and the server's own paths never shadowed.

use crate::helpers::TestApp;
use crate::on_both_backends;

on_both_backends!(the_portal_is_served_without_shadowing_the_server,);

async fn the_portal_is_served_without_shadowing_the_server(app: TestApp) {
    let get = |path: &str| app.raw(reqwest::Method::GET, path);
    let navigate = |path: &str| {
        app.raw(reqwest::Method::GET, path)
            .header("accept", "text/html,application/xhtml+xml,*/*;q=0.8")
    };
    for path in ["/", "/f/fld_0123", "/s/some-token", "/trash"] {
        let res = navigate(path).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        let headers = res.headers().clone();
        assert!(
            headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("default-src 'none'"), "{csp}");
        assert!(csp.contains("script-src 'self'"), "{csp}");
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert_eq!(headers["cache-control"], "no-cache");
        assert_eq!(headers["referrer-policy"], "no-referrer");
        let html = res.text().await.unwrap();
        assert!(html.contains("<div id=\"root\">"), "{html}");
        assert!(!html.contains("<script>"), "no inline script: {html}");
    }

    // A hashed asset: cached for good, gzipped for clients that take it.
    let html = navigate("/").send().await.unwrap().text().await.unwrap();
    let start = html.find("/assets/").unwrap();
    let asset = &html[start..start + html[start..].find('"').unwrap()];
    let res = get(asset)
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("javascript")
    );

    // The server's paths keep the API's JSON 404, and so does a missing asset.
    for path in [
        "/api/v1/nothing-here",
        "/api",
        "/api/v2/x",
        "/d/token/deeper/still",
        "/fileshare/nope",
        "/assets/gone-1234.js",
        "/robots.txt",
    ] {
        let res = navigate(path).send().await.unwrap();
        assert_eq!(res.status(), 404, "{path}");
        let body: ferry_api::ErrorBody = res.json().await.unwrap();
        assert_eq!(body.error.code, "not_found", "{path}");
    }
    // WebDAV is the server's too: a browser there is asked for credentials, not sent the app.
    let res = navigate("/dav/x").send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(res.headers()["www-authenticate"], "Basic realm=\"Ferry\"");
    // A client that does not ask for HTML (an API client, a script) gets the JSON 404.
    let res = get("/some/page").send().await.unwrap();
    assert_eq!(res.status(), 404);
    // Only GET and HEAD reach the app.
    let res = app
        .raw(reqwest::Method::POST, "/some/page")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let res = app
        .raw(reqwest::Method::HEAD, "/")
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}
