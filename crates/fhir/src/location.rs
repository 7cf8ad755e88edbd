//! The server's base URL and the URLs under it: joining a relative request onto the base
//! (never off its origin), the relative form a dead letter keeps (no scheme, host or
//! credentials), and the form errors show (query values elided).

use steadfast_http::reqwest::Url;

use crate::error::FhirError;

/// A FHIR server's base URL, its path ending in `/` so relative paths land under it.
#[derive(Debug, Clone)]
pub(crate) struct Base {
    url: Url,
}

impl Base {
    /// Parses `base`: `http` or `https`, with a host; a query or fragment is refused.
    pub(crate) fn parse(base: &str) -> Result<Self, FhirError> {
        let mut url = Url::parse(base).map_err(|_| FhirError::InvalidBase {
            reason: "not a URL",
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(FhirError::InvalidBase {
                reason: "the scheme must be http or https",
            });
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(FhirError::InvalidBase { reason: "no host" });
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(FhirError::InvalidBase {
                reason: "a base URL has no query or fragment",
            });
        }
        if !url.path().ends_with('/') {
            let path = format!("{}/", url.path());
            url.set_path(&path);
        }
        Ok(Self { url })
    }

    /// The base URL.
    pub(crate) fn url(&self) -> &Url {
        &self.url
    }

    /// `relative` (`Patient?_count=2`, or `/other/path` from the origin's root) resolved
    /// under the base; `None` when it would leave the base's origin (`//evil.example/`,
    /// `https://evil.example/`).
    pub(crate) fn join(&self, relative: &str) -> Option<Url> {
        let url = self.url.join(relative).ok()?;
        same_origin(&url, &self.url).then_some(url)
    }

    /// `url` as a dead letter keeps it: relative to the base when under it
    /// (`Patient?_count=2`), else from the origin's root (`/other?page=3`); never a scheme,
    /// host or credentials.
    pub(crate) fn relative(&self, url: &Url) -> String {
        let path = url.path();
        let mut out = match path.strip_prefix(self.url.path()) {
            // `a:b/…` would read as a scheme, `/…` or `//host/…` as a path from the root
            // or another host: `./` keeps it under the base.
            Some(rest) if same_origin(url, &self.url) => {
                let first = rest.split('/').next().unwrap_or_default();
                if first.contains(':') || rest.starts_with('/') {
                    format!("./{rest}")
                } else {
                    rest.to_owned()
                }
            }
            // `//x/…` from the root would read as another host: `/.//x/…` does not.
            _ if path.starts_with("//") => format!("/.{path}"),
            _ => path.to_owned(),
        };
        if let Some(q) = url.query() {
            out.push('?');
            out.push_str(q);
        }
        out
    }

    /// `url` as an error shows it: relative, each query value elided
    /// (`Patient?name=…&_count=…`).
    pub(crate) fn shown(&self, url: &Url) -> String {
        let full = self.relative(url);
        elide_query_values(&full)
    }
}

/// `path?k=v&k2=v2` as `path?k=…&k2=…` (steadfast-http's, the workspace's one).
pub(crate) use steadfast_http::elide_query_values;

/// Whether two URLs share scheme, host and port.
pub(crate) fn same_origin(a: &Url, b: &Url) -> bool {
    a.origin() == b.origin()
}

/// `text` if it is a FHIR resource type name (`Patient`): an ASCII letter word starting
/// upper case, at most 64 letters — safe in a path and in a file name.
pub(crate) fn resource_type_name(text: &str) -> Option<&str> {
    let mut chars = text.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_uppercase())
        && text.len() <= 64
        && chars.all(|c| c.is_ascii_alphabetic());
    ok.then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_forms_keep_no_host_or_credentials() {
        let base = Base::parse("https://user:secret@ehr.example/fhir/r4").unwrap();
        assert_eq!(base.url().path(), "/fhir/r4/");
        let page = base.join("Patient?_count=2&name=Ada").unwrap();
        assert_eq!(base.relative(&page), "Patient?_count=2&name=Ada");
        assert_eq!(base.shown(&page), "Patient?_count=…&name=…");
        let other = base.join("/paging/abc?page=3").unwrap();
        assert_eq!(base.relative(&other), "/paging/abc?page=3");
        assert_eq!(base.join(&base.relative(&other)).unwrap(), other);
    }

    #[test]
    fn relative_forms_resolve_back_to_the_same_url() {
        let base = Base::parse("https://ehr.example/fhir/r4").unwrap();
        for rest in [
            "a:b/Patient?x=1",
            "urn:x",
            "/evil.example/x",
            "//evil.example/x?y=2",
            "Patient/p:1",
            "",
        ] {
            let url = Url::parse(&format!("https://ehr.example/fhir/r4/{rest}")).unwrap();
            let relative = base.relative(&url);
            assert_eq!(base.join(&relative), Some(url), "{rest} as {relative}");
        }
        let root = Url::parse("https://ehr.example//evil.example/x").unwrap();
        let relative = base.relative(&root);
        assert_eq!(base.join(&relative), Some(root), "{relative}");
    }

    #[test]
    fn joins_never_leave_the_origin() {
        let base = Base::parse("http://127.0.0.1:8080/fhir").unwrap();
        assert!(base.join("https://evil.example/x").is_none());
        assert!(base.join("//evil.example/x").is_none());
        assert!(base.join("http://127.0.0.1:8081/fhir/x").is_none());
        assert!(base.join("Observation/1").is_some());
        assert!(Base::parse("ftp://x/").is_err());
        assert!(Base::parse("http://x/fhir?a=1").is_err());
    }

    #[test]
    fn type_names() {
        assert_eq!(resource_type_name("Patient"), Some("Patient"));
        for bad in ["", "patient", "../x", "Patient/1", "Pa tient"] {
            assert_eq!(resource_type_name(bad), None, "{bad}");
        }
    }
}
