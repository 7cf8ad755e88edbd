//! Redirects across origins against two servers on 127.0.0.1 (two ports, two origins): not
//! followed by default; followed to an allowed host only through `send_following`, with the
//! request's own headers but no `Referer`; never through `send` or `reqwest()`, and never
//! for a request that carries credentials (any auth header, user info) or a body, not even
//! after a first hop (reqwest restores the first request's headers on each hop).

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use steadfast_http::reqwest::Method;
use steadfast_http::{HttpClient, HttpSettings, Redirects};

/// The headers (lowercased names) of each request a [`Recorder`] got, with its path.
type Log = Arc<Mutex<Vec<(String, Vec<(String, String)>)>>>;

/// A server on 127.0.0.1 that records every request; a path in `redirects` answers `302`
/// (or the status given) to its target, any other path `200 ok`.
struct Recorder {
    base: String,
    log: Log,
}

impl Recorder {
    fn start(redirects: Vec<(&'static str, String)>) -> Self {
        Self::answering("302 Found", redirects)
    }

    fn answering(status: &'static str, redirects: Vec<(&'static str, String)>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let log: Log = Arc::default();
        let seen = log.clone();
        std::thread::spawn(move || {
            for mut conn in listener.incoming().flatten() {
                let mut reader = BufReader::new(conn.try_clone().unwrap());
                let mut first = String::new();
                let _ = reader.read_line(&mut first);
                let path = first.split(' ').nth(1).unwrap_or("").to_owned();
                let mut headers = Vec::new();
                loop {
                    let mut h = String::new();
                    if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                        break;
                    }
                    if let Some((name, value)) = h.split_once(':') {
                        headers.push((name.to_ascii_lowercase(), value.trim().to_owned()));
                    }
                }
                seen.lock().unwrap().push((path.clone(), headers));
                let bare = path.split('?').next().unwrap_or("");
                let _ = match redirects.iter().find(|(p, _)| *p == bare) {
                    Some((_, to)) => write!(
                        conn,
                        "HTTP/1.1 {status}\r\nlocation: {to}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                    ),
                    None => write!(
                        conn,
                        "HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok"
                    ),
                };
            }
        });
        Self { base, log }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn paths(&self) -> Vec<String> {
        self.log
            .lock()
            .unwrap()
            .iter()
            .map(|(p, _)| p.clone())
            .collect()
    }

    /// The names of the headers of the `n`th request.
    fn header_names(&self, n: usize) -> Vec<String> {
        self.log.lock().unwrap()[n]
            .1
            .iter()
            .map(|(k, _)| k.clone())
            .collect()
    }
}

fn client(settings: HttpSettings) -> HttpClient {
    settings.no_proxy().build().unwrap()
}

fn allow_localhost() -> HttpSettings {
    HttpSettings::default().allow_redirect_host("127.0.0.1".parse().unwrap())
}

#[tokio::test]
async fn a_redirect_to_another_origin_is_followed_only_to_an_allowed_host() {
    let cdn = Recorder::start(Vec::new());
    let origin = Recorder::start(vec![("/in.json", cdn.url("/files/in.json?sig=s3cr3t"))]);
    let url = origin.url("/in.json?token=t0k3n");

    for settings in [
        HttpSettings::default(),
        HttpSettings::default().allow_redirect_host("cdn.example".parse().unwrap()),
        HttpSettings::default().redirects(Redirects::Hosts(Vec::new())),
    ] {
        let http = client(settings);
        let response = http.send_following(http.get(&url)).await.unwrap();
        assert_eq!(response.status(), 302);
    }
    assert!(cdn.paths().is_empty());

    // With the host allowed, `send` still follows the same origin only.
    let http = client(allow_localhost());
    let response = http.send(http.get(&url)).await.unwrap();
    assert_eq!(response.status(), 302);
    assert!(cdn.paths().is_empty());

    let response = http
        .send_following(
            http.get(&url)
                .header("range", "bytes=5-")
                .header("if-range", "\"v1\""),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.url().as_str(),
        cdn.url("/files/in.json?sig=s3cr3t")
    );
    assert_eq!(cdn.paths(), ["/files/in.json?sig=s3cr3t"]);
    let names = cdn.header_names(0);
    assert!(names.contains(&"range".to_owned()), "{names:?}");
    assert!(names.contains(&"if-range".to_owned()), "{names:?}");
    // The first URL's query (a token) does not travel as a Referer.
    assert!(!names.contains(&"referer".to_owned()), "{names:?}");
}

#[tokio::test]
async fn credentials_never_follow_a_redirect_to_another_origin() {
    // origin → cdn/hop → cdn/file: after the first hop reqwest strips credentials, but
    // the second (same-host) hop would get the first request's headers back.
    let cdn = Recorder::start(vec![("/hop", "/file".to_owned())]);
    let origin = Recorder::start(vec![("/in.json", cdn.url("/hop"))]);
    let http = client(allow_localhost());
    let url = origin.url("/in.json");

    let requests = || {
        [
            http.get(&url).bearer_auth("secret-token"),
            http.get(&url).header("cookie", "session=secret"),
            http.get(&url)
                .header("proxy-authorization", "Basic c2VjcmV0"),
            http.get(&url).header("x-api-key", "secret-key"),
            http.get(url.replacen("http://", "http://user:secret@", 1)),
            http.request(Method::HEAD, &url)
                .header("x-auth-token", "secret"),
            // A body (a signed client_assertion, a FHIR write) is no plain download either.
            http.request(Method::GET, &url)
                .body("client_assertion=secret"),
        ]
    };
    for request in requests().into_iter().chain(requests()) {
        let response = http.send_following(request).await.unwrap();
        assert_eq!(response.status(), 302);
    }
    for request in requests() {
        let response = http.send(request).await.unwrap();
        assert_eq!(response.status(), 302);
    }
    assert!(cdn.paths().is_empty(), "{:?}", cdn.paths());
    // The same redirect on the same origin is still followed with credentials.
    let same = Recorder::start(vec![("/a", "/b".to_owned())]);
    let response = http
        .send(http.get(same.url("/a")).bearer_auth("secret-token"))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(same.paths(), ["/a", "/b"]);
    assert!(same.header_names(1).contains(&"authorization".to_owned()));

    // Without credentials `send_following` follows the whole chain; `send` does not.
    let response = http.send(http.get(&url)).await.unwrap();
    assert_eq!(response.status(), 302);
    let response = http.send_following(http.get(&url)).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(cdn.paths(), ["/hop", "/file"]);
    // The reqwest client handed out follows the same origin only.
    let response = http.reqwest().get(&url).send().await.unwrap();
    assert_eq!(response.status(), 302);
}

#[tokio::test]
async fn a_body_is_never_sent_on_to_another_origin() {
    // A 307 and a 308 ask for the same method and body again: a POSTed form (the SMART
    // token request's signed client_assertion) must not reach the other origin, through
    // `send` or `send_following`, however the host is allowed.
    let cdn = Recorder::start(Vec::new());
    let http = client(allow_localhost());
    for status in ["307 Temporary Redirect", "308 Permanent Redirect"] {
        let origin = Recorder::answering(status, vec![("/token", cdn.url("/token"))]);
        for following in [false, true] {
            let request = http
                .request(Method::POST, origin.url("/token"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body("client_assertion=signed.secret.jwt");
            let response = if following {
                http.send_following(request).await.unwrap()
            } else {
                http.send(request).await.unwrap()
            };
            assert_eq!(response.status().as_u16() / 100, 3);
        }
        assert_eq!(origin.paths().len(), 2);
    }
    assert!(cdn.paths().is_empty(), "{:?}", cdn.paths());
}
