//! "The limit": a minimal Actix handler answering, from memory, the exact bytes gnlc
//! answered to each benchmarked query, over the same HTTP stack (actix-web, the same
//! number of workers). What gnlc could do if its work cost nothing.

use std::net::TcpListener;

use actix_web::http::header::CONTENT_TYPE;
use actix_web::{App, HttpResponse, HttpServer, web};

/// The media type gnlc answers in by default.
pub const MEDIA: &str = "application/graphql-response+json; charset=utf-8";

/// Serves `bodies[i]` at `/i` until the process ends; prints `port=N` first.
pub async fn serve(bodies: Vec<web::Bytes>) -> anyhow::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    println!("port={}", listener.local_addr()?.port());
    let bodies = web::Data::new(bodies);
    HttpServer::new(move || {
        App::new()
            .app_data(bodies.clone())
            .route("/{index}", web::post().to(answer))
    })
    .listen(listener)?
    .run()
    .await?;
    Ok(())
}

async fn answer(
    index: web::Path<usize>,
    _request: web::Bytes,
    bodies: web::Data<Vec<web::Bytes>>,
) -> HttpResponse {
    match bodies.get(index.into_inner()) {
        Some(body) => HttpResponse::Ok()
            .insert_header((CONTENT_TYPE, MEDIA))
            .body(body.clone()),
        None => HttpResponse::NotFound().finish(),
    }
}
