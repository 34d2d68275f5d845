//! The page of a secret shown once (an endpoint just created, or given a new secret): the
//! secret with a copy button, and how to verify deliveries with it in Python and Node. The
//! snippets are the README's (a test keeps them equal).

use maud::{Markup, html};

use crate::console::layout::{page, time};
use crate::console::session::Session;
use entity::webhook_endpoint;

pub const PYTHON_SNIPPET: &str = include_str!("../snippets/verify.py");
pub const NODE_SNIPPET: &str = include_str!("../snippets/verify.mjs");

/// Why the secret is shown.
pub enum Shown {
    Created,
    Rotated,
}

pub fn secret_page(
    session: &Session,
    endpoint: &webhook_endpoint::Model,
    secret: &str,
    shown: Shown,
) -> Markup {
    let title = match shown {
        Shown::Created => "Endpoint created",
        Shown::Rotated => "New signing secret",
    };
    page(
        title,
        Some(session),
        html! {
            h1 { (title) }
            p { "Endpoint " code { (endpoint.public_id) } " → " code { (endpoint.url) } }
            h2 { "Signing secret" }
            p.problem { "Store it now: it is shown this once." }
            p { code.secret id="secret" { (secret) } " " button type="button" data-copy="secret" hidden { "Copy" } }
            @if let (Shown::Rotated, Some(until)) = (shown, endpoint.previous_secret_expires_at) {
                p.notice {
                    "The previous secret keeps signing beside this one until " (time(until))
                    " (24 hours): deliveries carry two signatures until then, so switch your receiver over meanwhile."
                }
            }
            h2 { "Verifying deliveries" }
            p {
                "Deliveries follow Standard Webhooks: any of its libraries verifies them. "
                "Give the secret to your receiver as " code { "GNLC_WEBHOOK_SECRET" } "."
            }
            (snippet("Python", "snippet-python", PYTHON_SNIPPET, "pip install standardwebhooks"))
            (snippet("Node", "snippet-node", NODE_SNIPPET, "npm install standardwebhooks"))
            p { a href=(format!("/console/endpoints/{}", endpoint.public_id)) { "Go to the endpoint" } }
        },
    )
}

fn snippet(language: &str, id: &str, code: &str, install: &str) -> Markup {
    html! {
        h3 { (language) }
        p { code { (install) } }
        pre { code id=(id) { (code) } }
        button type="button" data-copy=(id) hidden { "Copy the " (language) " code" }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_snippets_are_the_readmes() {
        let readme = include_str!("../../../README.md");
        assert!(readme.contains(&format!("```python\n{PYTHON_SNIPPET}```")));
        assert!(readme.contains(&format!("```js\n{NODE_SNIPPET}```")));
    }
}
