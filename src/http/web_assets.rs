//! Files for browsers served from memory (GraphiQL's scripts and styles, and the console's to
//! come). Each is served under a path naming its content, `…/{digest}/{name}`: a browser may
//! keep it for a year without asking again, and a new build's page asks for new paths.

use actix_web::http::header::{
    AcceptEncoding, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, ETAG, Encoding, Header,
    IF_NONE_MATCH, VARY,
};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse};

use crate::digest::sha256_hex;
use crate::http::etag;

/// What a browser may do with an asset: its path changes with its content.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// One file, its media type, the digest its path and `ETag` carry, and maybe the same file
/// gzipped.
#[derive(Debug, Clone)]
pub struct WebAsset {
    name: String,
    content_type: &'static str,
    body: Bytes,
    digest: String,
    gzip: Option<Bytes>,
}

impl WebAsset {
    /// An asset named `name` (its media type follows the name's extension).
    pub fn new(name: &str, body: impl Into<Bytes>) -> Self {
        let body = body.into();
        Self {
            name: name.to_owned(),
            content_type: content_type_of(name),
            digest: sha256_hex(&body)[..16].to_owned(),
            body,
            gzip: None,
        }
    }

    /// The asset, sent gzipped (`gzip`, made beforehand) to browsers that accept it.
    pub fn with_gzip(self, gzip: Option<Bytes>) -> Self {
        Self { gzip, ..self }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// Where the asset is served, below the folder `prefix` (no trailing `/`).
    pub fn path(&self, prefix: &str) -> String {
        format!("{prefix}/{}/{}", self.digest, self.name)
    }

    /// The answer to a `GET` of the asset at its own path, which a browser keeps.
    pub fn respond(&self, request: &HttpRequest) -> HttpResponse {
        self.answer(request, IMMUTABLE)
    }

    /// The answer to a `GET` of the asset at a path that stays (a page): a browser asks
    /// again every time, and is answered `304` while it has it.
    pub fn respond_revalidated(&self, request: &HttpRequest) -> HttpResponse {
        self.answer(request, "no-cache")
    }

    fn answer(&self, request: &HttpRequest, cache_control: &'static str) -> HttpResponse {
        let gzip = self.gzip.as_ref().filter(|_| accepts_gzip(request));
        // Each encoding is a representation of its own, with its own tag.
        let tag = match gzip {
            Some(_) => format!("\"{}-gzip\"", self.digest),
            None => format!("\"{}\"", self.digest),
        };
        let fresh = request
            .headers()
            .get(IF_NONE_MATCH)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|wanted| etag::matches(wanted, &tag));
        let mut response = if fresh {
            HttpResponse::NotModified()
        } else {
            HttpResponse::Ok()
        };
        response
            .insert_header((ETAG, tag))
            .insert_header((CACHE_CONTROL, cache_control));
        if self.gzip.is_some() {
            response.insert_header((VARY, "Accept-Encoding"));
        }
        if fresh {
            return response.finish();
        }
        response.insert_header((CONTENT_TYPE, self.content_type));
        match gzip {
            Some(gzip) => response
                .insert_header((CONTENT_ENCODING, "gzip"))
                .body(gzip.clone()),
            None => response.body(self.body.clone()),
        }
    }
}

/// Whether the request's `Accept-Encoding` prefers gzip to no encoding at all.
fn accepts_gzip(request: &HttpRequest) -> bool {
    AcceptEncoding::parse(request)
        .ok()
        .and_then(|accept| accept.negotiate([Encoding::gzip(), Encoding::identity()].iter()))
        == Some(Encoding::gzip())
}

/// A set of assets served under one folder.
#[derive(Debug, Clone, Default)]
pub struct WebAssets(Vec<WebAsset>);

impl WebAssets {
    pub fn new(assets: Vec<WebAsset>) -> Self {
        Self(assets)
    }

    pub fn get(&self, name: &str) -> Option<&WebAsset> {
        self.0.iter().find(|asset| asset.name == name)
    }

    /// The asset a path's `{digest}/{name}` names: another build's digest is not found.
    pub fn at(&self, digest: &str, name: &str) -> Option<&WebAsset> {
        self.get(name).filter(|asset| asset.digest == digest)
    }

    pub fn iter(&self) -> impl Iterator<Item = &WebAsset> {
        self.0.iter()
    }
}

/// The media type of a file by its name's extension.
fn content_type_of(name: &str) -> &'static str {
    match name.rsplit_once('.').map(|(_, extension)| extension) {
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json") => "application/json",
        Some("html") => "text/html; charset=utf-8",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_assets_path_follows_its_content() {
        let a = WebAsset::new("app.js", "let a = 1;");
        assert_eq!(
            a.path("/x"),
            WebAsset::new("app.js", "let a = 1;").path("/x")
        );
        assert_ne!(
            a.path("/x"),
            WebAsset::new("app.js", "let a = 2;").path("/x")
        );
        assert!(a.path("/x").starts_with("/x/") && a.path("/x").ends_with("/app.js"));
        assert_eq!(a.content_type, "text/javascript; charset=utf-8");
        assert_eq!(
            WebAsset::new("a.css", "").content_type,
            "text/css; charset=utf-8"
        );
    }
}
