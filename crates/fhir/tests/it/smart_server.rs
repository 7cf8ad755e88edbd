//! A SMART Backend Services server on 127.0.0.1 for the auth tests: a token endpoint that
//! verifies each client assertion the way a real one must (signature with the registered
//! public key, `alg`, `typ`, `kid`, `iss` = `sub` = client id, `aud` = the token URL, `exp`
//! at most five minutes ahead, `jti` never seen before, the form's grant and assertion
//! type), `.well-known/smart-configuration`, and `Patient/{id}` reads that demand a valid
//! bearer token. Plain HTTP/1.1 over `std::net` like `server.rs`, one thread a connection.

use std::collections::{HashSet, VecDeque};
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use steadfast_http::reqwest::Url;

pub(crate) const CLIENT_ID: &str = "steadfast-test-client";
pub(crate) const KID: &str = "test-kid-1";
pub(crate) const SCOPE: &str = "system/Patient.rs";

struct State {
    key: DecodingKey,
    alg: Algorithm,
    token_url: String,
    expires_in: AtomicU64,
    valid: Mutex<HashSet<String>>,
    issued: Mutex<Vec<String>>,
    jtis: Mutex<HashSet<String>>,
    assertions: Mutex<Vec<String>>,
    refusals: Mutex<Vec<String>>,
    token_faults: Mutex<VecDeque<u16>>,
    reject_assertions: AtomicBool,
    reject_bearers: AtomicBool,
    discoveries: AtomicU32,
    reads: AtomicU32,
    unauthorized: AtomicU32,
    /// Token answers wait while this is true; `token_asked` counts token requests seen.
    gate: (Mutex<bool>, Condvar),
    token_asked: AtomicU32,
}

pub(crate) struct SmartServer {
    pub(crate) addr: SocketAddr,
    state: Arc<State>,
}

impl SmartServer {
    /// A server whose registered client key is `public_pem` (an RSA or EC public key).
    pub(crate) fn start(public_pem: &str, alg: Algorithm) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let key = match alg {
            Algorithm::ES384 => DecodingKey::from_ec_pem(public_pem.as_bytes()).unwrap(),
            _ => DecodingKey::from_rsa_pem(public_pem.as_bytes()).unwrap(),
        };
        let state = Arc::new(State {
            key,
            alg,
            token_url: format!("http://{addr}/auth/token"),
            expires_in: AtomicU64::new(300),
            valid: Mutex::default(),
            issued: Mutex::default(),
            jtis: Mutex::default(),
            assertions: Mutex::default(),
            refusals: Mutex::default(),
            token_faults: Mutex::default(),
            reject_assertions: AtomicBool::new(false),
            reject_bearers: AtomicBool::new(false),
            discoveries: AtomicU32::new(0),
            reads: AtomicU32::new(0),
            unauthorized: AtomicU32::new(0),
            gate: (Mutex::new(false), Condvar::new()),
            token_asked: AtomicU32::new(0),
        });
        let accept = state.clone();
        // The thread ends with the test binary; a test's server only outlives it idle.
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let state = accept.clone();
                std::thread::spawn(move || serve(&state, conn));
            }
        });
        Self { addr, state }
    }

    pub(crate) fn base(&self) -> String {
        format!("http://{}/fhir", self.addr)
    }

    pub(crate) fn token_url(&self) -> &str {
        &self.state.token_url
    }

    pub(crate) fn expires_in(&self, seconds: u64) {
        self.state.expires_in.store(seconds, Ordering::SeqCst);
    }

    /// Every token issued so far stops being accepted.
    pub(crate) fn revoke_all(&self) {
        self.state.valid.lock().unwrap().clear();
    }

    /// Every bearer token is answered 401 from now on.
    pub(crate) fn reject_bearers(&self) {
        self.state.reject_bearers.store(true, Ordering::SeqCst);
    }

    /// Every token request is refused with 400 `invalid_client`.
    pub(crate) fn reject_assertions(&self) {
        self.state.reject_assertions.store(true, Ordering::SeqCst);
    }

    /// The next token requests are answered with these statuses, in order.
    pub(crate) fn token_faults(&self, statuses: &[u16]) {
        self.state.token_faults.lock().unwrap().extend(statuses);
    }

    /// Token answers wait until [`SmartServer::open_gate`].
    pub(crate) fn close_gate(&self) {
        *self.state.gate.0.lock().unwrap() = true;
    }

    pub(crate) fn open_gate(&self) {
        *self.state.gate.0.lock().unwrap() = false;
        self.state.gate.1.notify_all();
    }

    pub(crate) fn token_requests(&self) -> u32 {
        self.state.token_asked.load(Ordering::SeqCst)
    }

    pub(crate) fn issued(&self) -> Vec<String> {
        self.state.issued.lock().unwrap().clone()
    }

    pub(crate) fn assertions(&self) -> Vec<String> {
        self.state.assertions.lock().unwrap().clone()
    }

    /// Why assertions were refused (empty when every one verified).
    pub(crate) fn refusals(&self) -> Vec<String> {
        self.state.refusals.lock().unwrap().clone()
    }

    pub(crate) fn jtis(&self) -> usize {
        self.state.jtis.lock().unwrap().len()
    }

    pub(crate) fn discoveries(&self) -> u32 {
        self.state.discoveries.load(Ordering::SeqCst)
    }

    pub(crate) fn reads(&self) -> u32 {
        self.state.reads.load(Ordering::SeqCst)
    }

    pub(crate) fn unauthorized(&self) -> u32 {
        self.state.unauthorized.load(Ordering::SeqCst)
    }
}

fn serve(state: &State, mut conn: TcpStream) {
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let (mut length, mut authorization) = (0usize, None);
    loop {
        let mut header = String::new();
        match reader.read_line(&mut header) {
            Ok(0) | Err(_) => return,
            Ok(_) if header == "\r\n" => break,
            Ok(_) => {}
        }
        let (name, value) = header.split_once(':').unwrap_or((&header, ""));
        match name.to_ascii_lowercase().as_str() {
            "content-length" => length = value.trim().parse().unwrap_or(0),
            "authorization" => authorization = Some(value.trim().to_owned()),
            _ => {}
        }
    }
    let mut body = vec![0; length];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let mut words = line.split_whitespace();
    let (method, path) = (words.next().unwrap_or(""), words.next().unwrap_or("/"));
    let (status, extra, answer) = match (method, path) {
        ("GET", "/fhir/.well-known/smart-configuration") => {
            state.discoveries.fetch_add(1, Ordering::SeqCst);
            let config = serde_json::json!({
                "token_endpoint": state.token_url,
                "grant_types_supported": ["client_credentials"],
                "token_endpoint_auth_methods_supported": ["private_key_jwt"],
                "token_endpoint_auth_signing_alg_values_supported": ["RS384", "ES384"],
            });
            (200, "", config.to_string())
        }
        ("POST", "/auth/token") => token(state, &String::from_utf8_lossy(&body)),
        ("GET", p) if p.starts_with("/fhir/Patient/") => {
            state.reads.fetch_add(1, Ordering::SeqCst);
            let token = authorization
                .as_deref()
                .and_then(|a| a.strip_prefix("Bearer "));
            let ok = !state.reject_bearers.load(Ordering::SeqCst)
                && token.is_some_and(|t| state.valid.lock().unwrap().contains(t));
            if ok {
                let id = &p["/fhir/Patient/".len()..];
                let patient = serde_json::json!({"resourceType": "Patient", "id": id});
                (200, "", patient.to_string())
            } else {
                state.unauthorized.fetch_add(1, Ordering::SeqCst);
                (
                    401,
                    "www-authenticate: Bearer error=\"invalid_token\"\r\n",
                    String::new(),
                )
            }
        }
        _ => (404, "", String::new()),
    };
    let head = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n{extra}\r\n",
        answer.len()
    );
    let _ = conn.write_all(head.as_bytes());
    let _ = conn.write_all(answer.as_bytes());
    let _ = conn.flush();
}

/// The token endpoint: a token for a verified assertion, else 400 `invalid_client`.
fn token(state: &State, form: &str) -> (u16, &'static str, String) {
    state.token_asked.fetch_add(1, Ordering::SeqCst);
    {
        let (lock, cv) = &state.gate;
        let mut closed = lock.lock().unwrap();
        while *closed {
            closed = cv.wait(closed).unwrap();
        }
    }
    if let Some(status) = state.token_faults.lock().unwrap().pop_front() {
        return (status, "", String::new());
    }
    let refuse = |why: String| {
        state.refusals.lock().unwrap().push(why);
        let body = serde_json::json!({"error": "invalid_client",
            "error_description": "the assertion does not verify"});
        (400, "", body.to_string())
    };
    let url = Url::parse(&format!("http://x/?{form}")).unwrap();
    let field = |name: &str| {
        url.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    if field("grant_type").as_deref() != Some("client_credentials")
        || field("client_assertion_type").as_deref()
            != Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
        || field("scope").as_deref() != Some(SCOPE)
    {
        return refuse(format!("bad form: {form}"));
    }
    let Some(assertion) = field("client_assertion") else {
        return refuse("no assertion".into());
    };
    state.assertions.lock().unwrap().push(assertion.clone());
    if let Err(why) = verify(state, &assertion) {
        return refuse(why);
    }
    if state.reject_assertions.load(Ordering::SeqCst) {
        return (
            400,
            "",
            serde_json::json!({"error": "invalid_client"}).to_string(),
        );
    }
    let mut issued = state.issued.lock().unwrap();
    let token = format!("tok-{}-{}", issued.len() + 1, std::process::id());
    issued.push(token.clone());
    state.valid.lock().unwrap().insert(token.clone());
    let answer = serde_json::json!({
        "access_token": token,
        "token_type": "bearer",
        "expires_in": state.expires_in.load(Ordering::SeqCst),
        "scope": SCOPE,
    });
    (200, "", answer.to_string())
}

#[derive(serde::Deserialize)]
struct Claims {
    iss: String,
    sub: String,
    exp: u64,
    jti: String,
}

fn verify(state: &State, assertion: &str) -> Result<(), String> {
    let header = jsonwebtoken::decode_header(assertion).map_err(|e| e.to_string())?;
    if header.alg != state.alg || header.typ.as_deref() != Some("JWT") {
        return Err(format!("header {header:?}"));
    }
    if header.kid.as_deref() != Some(KID) {
        return Err(format!("kid {:?}", header.kid));
    }
    let mut validation = Validation::new(state.alg);
    validation.leeway = 0;
    validation.set_audience(&[&state.token_url]);
    validation.set_issuer(&[CLIENT_ID]);
    validation.sub = Some(CLIENT_ID.to_owned());
    // Every claim checked is required (GHSA-h395-gr6q-cpjc: a mistyped optional one would
    // be skipped by jsonwebtoken before 10.3).
    validation.set_required_spec_claims(&["exp", "iss", "sub", "aud"]);
    let claims = jsonwebtoken::decode::<Claims>(assertion, &state.key, &validation)
        .map_err(|e| e.to_string())?
        .claims;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    if claims.exp > now + 300 {
        return Err(format!("exp {} is more than 5 minutes ahead", claims.exp));
    }
    if claims.iss != CLIENT_ID || claims.sub != CLIENT_ID {
        return Err("iss/sub".into());
    }
    if !state.jtis.lock().unwrap().insert(claims.jti.clone()) {
        return Err(format!("jti {} replayed", claims.jti));
    }
    Ok(())
}
