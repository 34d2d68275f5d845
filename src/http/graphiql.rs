//! GraphiQL at `/graphiql`, pointed at `/graphql`, with the README's example queries as
//! tabs. Its assets come from npm (`web/package.json`, fetched by `npm ci`) and gnlc serves
//! them itself from a folder (a setting), so that it works with no internet access.

use std::path::{Path, PathBuf};

use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use actix_web::{HttpResponse, web};
use serde::Serialize;

/// The README's example queries, a click away in GraphiQL as tabs (the first is open).
pub const EXAMPLES: &[Example] = &[
    Example {
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
        name: "CitiesNearLisbon",
        title: "Cities near Lisbon, nearest first",
        query: "{
  citiesNear(latitude: 38.7223, longitude: -9.1393, radiusKm: 150) { distanceKm city { name } }
}",
    },
    Example {
        name: "NetworkAtAGlance",
        title: "The network at a glance",
        query: "{
  network { cityCount countryCount publishedCityCount publishedCountryCount latestCohort { year } }
}",
    },
];

#[derive(Debug, Serialize)]
pub struct Example {
    /// The operation's name, which GraphiQL shows as the tab's title.
    pub name: &'static str,
    pub title: &'static str,
    /// The query as the README shows it (anonymous; line breaks aside).
    pub query: &'static str,
}

/// The files the page loads: the name it asks for, and where npm puts it.
const ASSETS: [(&str, &str, &str); 4] = [
    (
        "react.production.min.js",
        "react/umd/react.production.min.js",
        "text/javascript; charset=utf-8",
    ),
    (
        "react-dom.production.min.js",
        "react-dom/umd/react-dom.production.min.js",
        "text/javascript; charset=utf-8",
    ),
    (
        "graphiql.min.js",
        "graphiql/graphiql.min.js",
        "text/javascript; charset=utf-8",
    ),
    (
        "graphiql.min.css",
        "graphiql/graphiql.min.css",
        "text/css; charset=utf-8",
    ),
];

/// Where GraphiQL's npm packages are (`GNLC_WEB_ASSETS_DIR`).
#[derive(Debug, Clone)]
pub struct Assets(pub PathBuf);

impl Assets {
    fn missing(&self) -> Vec<PathBuf> {
        ASSETS
            .iter()
            .map(|(_, path, _)| self.0.join(path))
            .filter(|path| !path.is_file())
            .collect()
    }
}

fn page() -> String {
    let examples = serde_json::to_string(EXAMPLES).unwrap_or_else(|_| "[]".to_owned());
    // Inside a <script> element, `<` must not start `</script>`.
    include_str!("graphiql.html").replace("{{EXAMPLES}}", &examples.replace('<', "\\u003c"))
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn missing_page(dir: &Path, missing: &[PathBuf]) -> String {
    let files: String = missing
        .iter()
        .map(|path| {
            format!(
                "<li><code>{}</code></li>",
                escape_html(&path.display().to_string())
            )
        })
        .collect();
    format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>gnlc · GraphiQL's assets are missing</title></head>
<body>
<h1>GraphiQL's assets are missing</h1>
<p>gnlc serves GraphiQL itself, from the npm packages pinned in <code>web/package.json</code>, and looks
for them in <code>{dir}</code> (the <code>--web-assets-dir</code> flag, <code>GNLC_WEB_ASSETS_DIR</code>).
These files are not there:</p>
<ul>{files}</ul>
<p>Fetch them, from the root of gnlc's repository, with:</p>
<pre>npm ci --prefix web</pre>
<p>(or <code>cd web &amp;&amp; npm ci</code>), then reload this page. The API itself, at
<a href="/graphql"><code>/graphql</code></a>, works without them.</p>
</body></html>
"#,
        dir = escape_html(&dir.display().to_string()),
    )
}

pub async fn page_endpoint(assets: web::Data<Assets>) -> HttpResponse {
    let missing = assets.missing();
    if missing.is_empty() {
        HttpResponse::Ok()
            .insert_header((CONTENT_TYPE, "text/html; charset=utf-8"))
            .insert_header((CACHE_CONTROL, "no-cache"))
            .body(page())
    } else {
        tracing::warn!(dir = %assets.0.display(), "GraphiQL's assets are missing: run `npm ci --prefix web`");
        HttpResponse::ServiceUnavailable()
            .insert_header((CONTENT_TYPE, "text/html; charset=utf-8"))
            .body(missing_page(&assets.0, &missing))
    }
}

pub async fn asset_endpoint(assets: web::Data<Assets>, name: web::Path<String>) -> HttpResponse {
    let Some((_, path, content_type)) = ASSETS
        .iter()
        .find(|(served, _, _)| *served == name.as_str())
    else {
        return HttpResponse::NotFound().finish();
    };
    let path = assets.0.join(path);
    match web::block(move || std::fs::read(path)).await {
        Ok(Ok(bytes)) => HttpResponse::Ok()
            .insert_header((CONTENT_TYPE, *content_type))
            .insert_header((CACHE_CONTROL, "public, max-age=3600"))
            .body(bytes),
        Ok(Err(error)) => {
            tracing::warn!(%error, asset = name.as_str(), "GraphiQL asset unreadable: run `npm ci --prefix web`");
            HttpResponse::NotFound().finish()
        }
        Err(error) => {
            tracing::error!(%error, "cannot read a GraphiQL asset");
            HttpResponse::InternalServerError().finish()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_embeds_the_examples_safely() {
        let page = page();
        assert!(page.contains("chisinau"));
        assert!(!page.contains("{{EXAMPLES}}"));
        assert!(
            !page.contains("http://") && !page.contains("https://"),
            "no other host"
        );
    }
}
