//! Accounts: partners see and manage only their own endpoints, an admin and a partner of
//! the same name share nothing, and a database made before accounts moves to them.

use gnlc::access::{Principal, Role};
use migration::MigratorTrait;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, empty_database};
use crate::notify::{CREATE_ENDPOINT, subscribe};
use crate::{for_each_backend, on_both_backends};

async fn partners_see_and_manage_only_their_own_endpoints(app: TestApp) {
    let admin = app.token(Role::Admin, "UIL").await;
    let alice = app.token(Role::Partner, "Alice").await;
    let alice_again = app.token(Role::Partner, "Alice").await;
    let bob = app.token(Role::Partner, "Bob").await;
    let (alices, _) = subscribe(&app, &alice, "http://127.0.0.1:9/alice", json!({})).await;
    let (bobs, _) = subscribe(&app, &bob, "http://127.0.0.1:9/bob", json!({})).await;

    let list = "{ webhookEndpoints { id owner } }";
    let ids = |data: Value| -> Vec<String> {
        data["webhookEndpoints"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        ids(app.data(Some(&alice), list, json!({})).await),
        vec![alices.clone()]
    );
    assert_eq!(
        ids(app.data(Some(&alice_again), list, json!({})).await),
        vec![alices.clone()],
        "same partner, new token"
    );
    assert_eq!(
        ids(app.data(Some(&bob), list, json!({})).await),
        vec![bobs.clone()]
    );
    assert_eq!(
        ids(app.data(Some(&admin), list, json!({})).await),
        [alices.clone(), bobs.clone()]
    );

    let get = "query($id: ID!) { webhookEndpoint(id: $id) { url } }";
    assert_eq!(
        app.data(Some(&alice), get, json!({ "id": bobs })).await["webhookEndpoint"],
        Value::Null
    );
    let pause = "mutation($id: ID!) { pauseWebhookEndpoint(id: $id) { status } }";
    let delete = "mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }";
    let test = "mutation($id: ID!) { sendTestEvent(endpointId: $id) { id } }";
    let deliveries = "query($id: ID) { deliveries(endpointId: $id) { edges { node { id } } } }";
    for another_partners in [pause, delete, test, deliveries] {
        assert_eq!(
            app.error(Some(&alice), another_partners, json!({ "id": bobs }))
                .await
                .0,
            "NOT_FOUND",
            "{another_partners}"
        );
    }
    assert_eq!(
        app.data(Some(&bob), get, json!({ "id": bobs })).await["webhookEndpoint"]["url"],
        "http://127.0.0.1:9/bob"
    );
    assert_eq!(
        app.data(Some(&admin), pause, json!({ "id": bobs })).await["pauseWebhookEndpoint"]["status"],
        "PAUSED"
    );

    for query in [
        list,
        "{ events { edges { node { id } } } }",
        "{ deliveries { edges { node { id } } } }",
    ] {
        assert_eq!(
            app.error(None, query, json!({})).await.0,
            "UNAUTHENTICATED",
            "{query}"
        );
    }
    let create = json!({ "input": { "url": "http://127.0.0.1:9/x" } });
    assert_eq!(
        app.error(None, CREATE_ENDPOINT, create).await.0,
        "UNAUTHENTICATED"
    );
    let report = "{ cohort(year: 2020) { deliveryReport { partners } } }";
    assert_eq!(
        app.error(Some(&alice), report, json!({})).await.0,
        "FORBIDDEN"
    );
}

/// An admin and a partner whose tokens have the same name are two accounts: neither acts
/// for the other, while the partner's tokens of that name all act for the partner.
async fn an_admin_and_a_partner_with_the_same_name_share_nothing(app: TestApp) {
    let admin = app.token(Role::Admin, "SharedName").await;
    let partner = app.token(Role::Partner, "SharedName").await;
    let partner_again = app.token(Role::Partner, "SharedName").await;
    let (admins, _) = subscribe(&app, &admin, "http://127.0.0.1:9/admin", json!({})).await;
    let (partners, _) = subscribe(&app, &partner, "http://127.0.0.1:9/partner", json!({})).await;

    let list = "{ webhookEndpoints { id owner } }";
    assert_eq!(
        app.data(Some(&partner), list, json!({})).await["webhookEndpoints"],
        json!([{ "id": partners, "owner": "SharedName" }]),
        "the partner does not see the admin's endpoint"
    );
    assert_eq!(
        app.data(Some(&partner_again), list, json!({})).await["webhookEndpoints"],
        json!([{ "id": partners, "owner": "SharedName" }]),
        "the partner's other token acts for the same partner"
    );
    assert_eq!(
        app.data(Some(&admin), list, json!({})).await["webhookEndpoints"]
            .as_array()
            .unwrap()
            .len(),
        2,
        "an admin sees every endpoint"
    );
    for mutation in [
        "mutation($id: ID!) { rotateWebhookEndpointSecret(id: $id) { secret } }",
        "mutation($id: ID!) { pauseWebhookEndpoint(id: $id) { status } }",
        "mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }",
    ] {
        let (code, _) = app
            .error(Some(&partner), mutation, json!({ "id": admins }))
            .await;
        assert_eq!(code, "NOT_FOUND", "{mutation}");
    }
    let get = "query($id: ID!) { webhookEndpoint(id: $id) { status } }";
    assert_eq!(
        app.data(Some(&admin), get, json!({ "id": admins })).await["webhookEndpoint"]["status"],
        "ACTIVE",
        "the admin's endpoint is untouched"
    );
}

/// Tokens and endpoints of a database made before accounts existed move to accounts:
/// tokens by role and name, endpoints to the partner of their owner's name, else the admin
/// of that name, else a new partner account; deliveries stay with their endpoints.
async fn existing_tokens_and_endpoints_move_to_accounts(backend: Backend) {
    let database = empty_database(backend).await;
    let (db, _) = gnlc::database::connect(&database.url, 2).await.unwrap();
    let before_accounts = migration::Migrator::migrations()
        .iter()
        .position(|m| m.name() == "m20261127_000007_create_account")
        .expect("the accounts migration");
    migration::Migrator::up(&db, Some(before_accounts as u32))
        .await
        .unwrap();
    let tokens = [
        ("UIL", "admin", "gnlc_uil"),
        ("Alice", "partner", "gnlc_alice1"),
        ("Alice", "partner", "gnlc_alice2"),
        ("SharedName", "admin", "gnlc_shared_admin"),
        ("SharedName", "partner", "gnlc_shared_partner"),
        ("AdminOnly", "admin", "gnlc_admin_only"),
    ];
    for (name, role, token) in tokens {
        db.execute_unprepared(&format!(
            "INSERT INTO api_token (name, role, token_hash, prefix, created_at) \
             VALUES ('{name}', '{role}', '{}', '{token}', 1)",
            gnlc::access::hash(token)
        ))
        .await
        .unwrap();
    }
    for owner in ["Alice", "SharedName", "AdminOnly", "Gone"] {
        db.execute_unprepared(&format!(
            "INSERT INTO webhook_endpoint (public_id, owner, url, description, event_types, \
             regions, countries, secret, status, created_at, updated_at) VALUES \
             ('ep_{owner}', '{owner}', 'http://127.0.0.1:9/', '', '', '', '', 'whsec_x', 'active', 1, 1)"
        ))
        .await
        .unwrap();
    }
    db.execute_unprepared(
        "INSERT INTO event (public_id, event_type, payload, regions, countries, created_at) \
         VALUES ('msg_1', 'webhook.test', '{}', '', '', 1)",
    )
    .await
    .unwrap();
    db.execute_unprepared(
        "INSERT INTO delivery (event_id, endpoint_id, status, attempt_count, next_attempt_at, \
         created_at, updated_at) SELECT e.id, w.id, 'pending', 0, 1, 1, 1 \
         FROM event e, webhook_endpoint w WHERE w.public_id = 'ep_Alice'",
    )
    .await
    .unwrap();

    gnlc::database::migrate(&db).await.unwrap();

    let accounts: Vec<(String, String)> = entity::account::Entity::find()
        .order_by_asc(entity::account::Column::Name)
        .order_by_asc(entity::account::Column::Role)
        .all(&db)
        .await
        .unwrap()
        .into_iter()
        .map(|a| (a.name, a.role))
        .collect();
    let pairs = |list: &[(&str, &str)]| -> Vec<(String, String)> {
        list.iter()
            .map(|(n, r)| (n.to_string(), r.to_string()))
            .collect()
    };
    assert_eq!(
        accounts,
        pairs(&[
            ("AdminOnly", "admin"),
            ("Alice", "partner"),
            ("Gone", "partner"),
            ("SharedName", "admin"),
            ("SharedName", "partner"),
            ("UIL", "admin"),
        ])
    );
    let owner = |public_id: &'static str| {
        let db = db.clone();
        async move {
            let endpoint = entity::webhook_endpoint::Entity::find()
                .filter(entity::webhook_endpoint::Column::PublicId.eq(public_id))
                .one(&db)
                .await
                .unwrap()
                .unwrap();
            let account = entity::account::Entity::find_by_id(endpoint.account_id)
                .one(&db)
                .await
                .unwrap()
                .unwrap();
            (account.name, account.role)
        }
    };
    assert_eq!(
        [
            owner("ep_Alice").await,
            owner("ep_SharedName").await,
            owner("ep_AdminOnly").await,
            owner("ep_Gone").await,
        ]
        .to_vec(),
        pairs(&[
            ("Alice", "partner"),
            ("SharedName", "partner"),
            ("AdminOnly", "admin"),
            ("Gone", "partner"),
        ])
    );

    // Both of Alice's tokens act for her one account and manage her endpoint; the admin
    // named SharedName is not the partner named SharedName.
    let principal = |token: &'static str| {
        let db = db.clone();
        async move {
            gnlc::access::authenticate(&db, Some(&format!("Bearer {token}")))
                .await
                .unwrap()
        }
    };
    let alice = principal("gnlc_alice1").await;
    assert_eq!(alice.account(), principal("gnlc_alice2").await.account());
    let endpoints = gnlc::webhooks::endpoints::list(&db, &alice).await.unwrap();
    assert_eq!(endpoints.len(), 1);
    assert_eq!(endpoints[0].public_id, "ep_Alice");
    let shared_admin = principal("gnlc_shared_admin").await;
    let shared_partner = principal("gnlc_shared_partner").await;
    assert!(shared_admin.is_admin() && !shared_partner.is_admin());
    assert_ne!(shared_admin.account(), shared_partner.account());
    assert!(matches!(shared_partner, Principal::Token { ref name, .. } if name == "SharedName"));
    let deliveries = entity::delivery::Entity::find().all(&db).await.unwrap();
    assert_eq!(deliveries.len(), 1, "the delivery stayed");
    assert_eq!(deliveries[0].endpoint_id, endpoints[0].id);
}

on_both_backends!(
    partners_see_and_manage_only_their_own_endpoints,
    an_admin_and_a_partner_with_the_same_name_share_nothing,
);

for_each_backend!(existing_tokens_and_endpoints_move_to_accounts,);
