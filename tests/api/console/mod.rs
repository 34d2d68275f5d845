//! The console for partners and coordinators, spoken to as a browser would: pages by `GET`, forms by
//! `POST` with the session cookie and the CSRF token the page gave.

mod browser;
mod coordinator_access;
mod coordinators;
mod escaping;
mod forgery;
mod isolation;
mod partner;
mod sessions;

use reqwest::StatusCode;
use reqwest::header::{COOKIE, HeaderMap, SET_COOKIE};

use crate::helpers::TestApp;

/// An answer: its status, headers and body.
pub struct Page {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    /// Where a redirect goes.
    pub fn location(&self) -> &str {
        self.headers
            .get("location")
            .and_then(|l| l.to_str().ok())
            .unwrap_or_default()
    }

    /// The CSRF token the page's forms carry.
    pub fn csrf(&self) -> String {
        let marker = r#"name="csrf" value=""#;
        let start = self.body.find(marker).expect("a form with a CSRF token") + marker.len();
        let end = self.body[start..].find('"').unwrap() + start;
        self.body[start..end].to_owned()
    }

    /// The first `ep_…` id the page names.
    pub fn endpoint_id(&self) -> String {
        let start = self.body.find("ep_").expect("an endpoint id");
        self.body[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
            .collect()
    }
}

/// A browser: no redirect followed, the session cookie sent once it has one.
pub struct Browser<'a> {
    app: &'a TestApp,
    client: reqwest::Client,
    pub session: Option<String>,
}

impl<'a> Browser<'a> {
    pub fn new(app: &'a TestApp) -> Self {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Self {
            app,
            client,
            session: None,
        }
    }

    /// A browser signed in with `token`.
    pub async fn signed_in(app: &'a TestApp, token: &str) -> Self {
        let mut browser = Self::new(app);
        let page = browser.post("/console/sign-in", &[("token", token)]).await;
        assert_eq!(page.status, 303, "signed in: {}", page.body);
        assert!(browser.session.is_some(), "a session cookie");
        browser
    }

    async fn send(&mut self, request: reqwest::RequestBuilder) -> Page {
        let request = match &self.session {
            Some(id) => request.header(COOKIE, format!("gnlc_console={id}")),
            None => request,
        };
        let response = request.send().await.expect("request sent");
        let headers = response.headers().clone();
        if let Some(cookie) = headers.get(SET_COOKIE).and_then(|c| c.to_str().ok()) {
            let value = cookie
                .split(';')
                .next()
                .unwrap()
                .trim_start_matches("gnlc_console=");
            self.session = (!value.is_empty()).then(|| value.to_owned());
        }
        Page {
            status: response.status(),
            headers,
            body: response.text().await.unwrap(),
        }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let request = self.client.get(self.app.url(path));
        self.send(request).await
    }

    /// Posts a form as it is (with or without a CSRF token).
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let request = self.client.post(self.app.url(path)).form(fields);
        self.send(request).await
    }

    /// Posts a form with the CSRF token of the page at `from`, as a person would.
    pub async fn submit(&mut self, from: &str, path: &str, fields: &[(&str, &str)]) -> Page {
        let csrf = self.get(from).await.csrf();
        let mut fields = fields.to_vec();
        fields.push(("csrf", &csrf));
        self.post(path, &fields).await
    }

    /// Creates an endpoint through the console's form; returns its id and its page.
    pub async fn create_endpoint(&mut self, url: &str, description: &str) -> (String, Page) {
        let page = self
            .submit(
                "/console/endpoints/new",
                "/console/endpoints",
                &[("url", url), ("description", description)],
            )
            .await;
        assert_eq!(page.status, 200, "{}", page.body);
        (page.endpoint_id(), page)
    }
}
