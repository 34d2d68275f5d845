//! Who sees which events: anonymous subscribers the public ones only; a partner its own
//! endpoints' test events too (with a token in `connection_init` or the upgrade's header),
//! never another partner's.

use gnlc::access::Role;
use serde_json::json;

use super::{EVENTS, Socket, types, withdraw};
use crate::helpers::{Backend, spawn_app_with};
use crate::notify::subscribe;

crate::for_each_backend!(token_only_events_reach_their_own_partner_only);

async fn token_only_events_reach_their_own_partner_only(backend: Backend) {
    let app = spawn_app_with(backend, |_| {}).await;
    let admin = app.token(Role::Admin, "UIL").await;
    let partner = app.token(Role::Partner, "Partner").await;
    let other = app.token(Role::Partner, "Other").await;
    let (endpoint, _) = subscribe(&app, &partner, "http://127.0.0.1:9/hooks", json!({})).await;

    let mut anonymous = Socket::ready(&app, None).await;
    let mut own = Socket::ready(
        &app,
        Some(json!({"authorization": format!("Bearer {partner}")})),
    )
    .await;
    let mut by_header = Socket::open_with(
        &app,
        Some("graphql-transport-ws"),
        Some(&format!("Bearer {partner}")),
    )
    .await;
    by_header.init(None).await;
    let mut another = Socket::ready(&app, Some(json!({"token": other}))).await;
    for socket in [&mut anonymous, &mut own, &mut by_header, &mut another] {
        socket.subscribed("all", EVENTS, json!({})).await;
    }
    app.data(
        Some(&partner),
        "mutation($id: ID!) { sendTestEvent(endpointId: $id) { id } }",
        json!({ "id": endpoint }),
    )
    .await;
    withdraw(&app, &admin, "cahul").await;
    for socket in [&mut own, &mut by_header] {
        let events = socket.events("all", 2).await;
        assert_eq!(types(&events), ["webhook.test", "city.withdrawn"]);
    }
    // The test event is not theirs: the next they get is the withdrawal.
    for socket in [&mut anonymous, &mut another] {
        let events = socket.events("all", 1).await;
        assert_eq!(types(&events), ["city.withdrawn"]);
    }
}
