//! GraphiQL at `/graphiql`, pointed at `/graphql`, with the README's example queries as
//! tabs. Its files (GraphiQL's and its peers', vendored from npm, and the page's own script and
//! style) are built into the binary and served by gnlc itself, so that it works from
//! `cargo run` alone, with no internet access, under a policy allowing no inline script.

use std::path::Path;
use std::sync::LazyLock;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, Scope, guard, web};
use serde::Serialize;

use crate::http::web_assets::{WebAsset, WebAssets};
use crate::http::{security_headers, vendored};
/// The README's example queries, and a subscription, a click away in GraphiQL as tabs (the
/// first is open).
pub const EXAMPLES: &[Example] = &[
    Example {
        operation: "query",
        name: "CitySearch",
        title: "A search that ignores case and accents",
        query: r#"{
  cities(search: "chisinau") {
    totalCount
    edges { node { name slug country { iso2 region { name } } location { latitude longitude } } }
  }
}"#,
    },
    Example {
        operation: "query",
        name: "Intake2020",
        title: "The 2020 intake and its cities",
        query: "{
  cohort(year: 2020) {
    announcedOn newCityCount newCountryCount networkCityCount networkCountryCount
    cities { name country { name } }
  }
}",
    },
    Example {
        operation: "query",
        name: "RegionTree",
        title: "The whole tree, region → country → city",
        query: "{
  regions {
    name cityCount
    countries { name iso2 iso3 cities { name slug cohort { year } location { latitude longitude } } }
  }
}",
    },
    Example {
        operation: "query",
        name: "CitiesNearLisbon",
        title: "Cities near Lisbon, nearest first",
        query: "{
  citiesNear(latitude: 38.7223, longitude: -9.1393, radiusKm: 150) { distanceKm city { name } }
}",
    },
    Example {
        operation: "query",
        name: "NetworkAtAGlance",
        title: "The network at a glance",
        query: "{
  network { cityCount countryCount publishedCityCount publishedCountryCount latestCohort { year } }
}",
    },
    Example {
        operation: "subscription",
        name: "CohortsAsAdmitted",
        title: "Each cohort as it is admitted, live (run it, then admit one)",
        query: "{
  cohortAdmitted { cursor cohort { year announcedOn cities { name country { name } } } }
}",
    },
];

#[derive(Debug, Serialize)]
pub struct Example {
    /// `query`, or `subscription` (which GraphiQL runs over a WebSocket).
    pub operation: &'static str,
    /// The operation's name, which GraphiQL shows as the tab's title.
    pub name: &'static str,
    pub title: &'static str,
    /// The query as the README shows it (anonymous; line breaks aside).
    pub query: &'static str,
}

/// Where the page's files are served.
const ASSETS_PATH: &str = "/graphiql/assets";

/// The page's own files, beside the vendored ones.
const OWN_FILES: [(&str, &str); 2] = [
    ("gnlc-graphiql.js", include_str!("graphiql.js")),
    ("gnlc-graphiql.css", include_str!("graphiql.css")),
];

/// The page and the files it loads, as served.
#[derive(Debug, Clone)]
pub struct GraphiQL {
    page: WebAsset,
    assets: WebAssets,
}

/// GraphiQL from the files built in, made once per process.
static BUILT_IN: LazyLock<GraphiQL> = LazyLock::new(|| GraphiQL::from_files(vendored::files(None)));

impl GraphiQL {
    /// GraphiQL with the vendored files of `--web-assets-dir` when it holds them all, else
    /// those built into the binary.
    pub fn new(web_assets_dir: Option<&Path>) -> Self {
        match web_assets_dir {
            None => BUILT_IN.clone(),
            Some(dir) => Self::from_files(vendored::files(Some(dir))),
        }
    }

    fn from_files(vendored_files: Vec<(&'static str, Bytes)>) -> Self {
        let (licences, code): (Vec<_>, Vec<_>) = vendored_files
            .into_iter()
            .partition(|(path, _)| vendored::is_licence(path));
        let gzipped = |path: &str| {
            code.iter()
                .find(|(other, _)| other.strip_suffix(".gz") == Some(path))
                .map(|(_, bytes)| bytes.clone())
        };
        let mut assets: Vec<WebAsset> = code
            .iter()
            .filter(|(path, _)| !vendored::is_gzipped(path))
            .map(|(path, bytes)| {
                WebAsset::new(vendored::file_name(path), bytes.clone()).with_gzip(gzipped(path))
            })
            .collect();
        assets.extend(OWN_FILES.map(|(name, text)| WebAsset::new(name, text)));
        assets.push(WebAsset::new("licenses.txt", licence_text(&licences)));
        let assets = WebAssets::new(assets);
        Self {
            page: WebAsset::new("graphiql.html", page(&assets)),
            assets,
        }
    }
}

/// The vendored packages' licences, one after another, each under its package's path.
fn licence_text(licences: &[(&str, Bytes)]) -> String {
    licences
        .iter()
        .map(|(path, text)| format!("{path}\n\n{}\n", String::from_utf8_lossy(text).trim_end()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The page, each `{{name}}` replaced by the path of the asset so named.
fn page(assets: &WebAssets) -> String {
    let examples = serde_json::to_string(EXAMPLES).unwrap_or_else(|_| "[]".to_owned());
    // Inside a <script> element, `<` must not start `</script>`.
    let mut page =
        include_str!("graphiql.html").replace("{{EXAMPLES}}", &examples.replace('<', "\\u003c"));
    for asset in assets.iter() {
        page = page.replace(
            &format!("{{{{{}}}}}", asset.name()),
            &asset.path(ASSETS_PATH),
        );
    }
    page
}

/// `/graphiql` and its files, with the security headers of a page.
pub fn scope() -> Scope<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    // `HEAD` as `GET` (Actix sends no body), as a browser or a cache may ask.
    let read = || web::route().guard(guard::Any(guard::Get()).or(guard::Head()));
    web::scope("/graphiql")
        .wrap(security_headers::pages())
        .route("", read().to(page_endpoint))
        .route("/assets/{digest}/{name}", read().to(asset_endpoint))
}

async fn page_endpoint(graphiql: web::Data<GraphiQL>, request: HttpRequest) -> HttpResponse {
    // Asked for again every time: a new build's page names new assets.
    graphiql.page.respond_revalidated(&request)
}

async fn asset_endpoint(
    graphiql: web::Data<GraphiQL>,
    path: web::Path<(String, String)>,
    request: HttpRequest,
) -> HttpResponse {
    let (digest, name) = path.into_inner();
    match graphiql.assets.at(&digest, &name) {
        Some(asset) => asset.respond(&request),
        None => HttpResponse::NotFound().finish(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_names_its_assets_and_embeds_the_examples_safely() {
        let graphiql = GraphiQL::new(None);
        let page = String::from_utf8_lossy(graphiql.page.body()).into_owned();
        assert!(page.contains("chisinau"));
        assert!(!page.contains("{{"), "every placeholder filled");
        for name in ["graphiql.min.js", "gnlc-graphiql.js", "licenses.txt"] {
            let asset = graphiql.assets.get(name).unwrap();
            assert!(page.contains(&asset.path(ASSETS_PATH)), "{name}");
        }
        assert!(
            !page.contains("http://") && !page.contains("https://"),
            "no other host"
        );
    }
}
