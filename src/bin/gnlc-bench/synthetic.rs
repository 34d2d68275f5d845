//! A synthetic network for the scale runs: countries and cities that do not exist, named
//! `Synthetic country …` and `Synthetic city …`, written straight into the benchmark's own
//! PostgreSQL database after gnlc has migrated it. Never in the real data or migrations.

use sea_orm::{ConnectionTrait, DatabaseConnection};

/// Adds `countries` countries (spread over the five regions) and `cities` cities (spread
/// over those countries, the globe, and the intakes published without a member list).
pub async fn seed(db: &DatabaseConnection, countries: u32, cities: u32) -> anyhow::Result<()> {
    // Two-letter codes no real member uses; the alpha-3 code is `X` and the same letters.
    db.execute_unprepared(&format!(
        "INSERT INTO country (iso2, iso3, name, region_id)
         SELECT code, 'X' || code, 'Synthetic country ' || code,
                (SELECT id FROM region ORDER BY id OFFSET (n % 5) LIMIT 1)
         FROM (SELECT code, row_number() OVER (ORDER BY code) AS n
               FROM (SELECT chr(65 + a) || chr(65 + b) AS code
                     FROM generate_series(0, 25) a, generate_series(0, 25) b) codes
               WHERE code NOT IN (SELECT iso2 FROM country)
                 AND 'X' || code NOT IN (SELECT iso3 FROM country)) free
         WHERE n <= {countries}"
    ))
    .await?;
    db.execute_unprepared(&format!(
        "INSERT INTO city (slug, name, search_name, country_id, cohort_id, latitude, longitude)
         SELECT 'synthetic-city-' || lpad(n::text, 6, '0'),
                'Synthetic city ' || lpad(n::text, 6, '0'),
                'synthetic city ' || lpad(n::text, 6, '0'),
                (SELECT id FROM country WHERE name LIKE 'Synthetic country %'
                 ORDER BY id OFFSET (n % {countries}) LIMIT 1),
                (SELECT id FROM cohort WHERE year <> 2020 ORDER BY year OFFSET (n % 4) LIMIT 1),
                -60 + (n::bigint * 7919 % 13000) / 100.0,
                -180 + (n::bigint * 104729 % 36000) / 100.0
         FROM generate_series(1, {cities}) n"
    ))
    .await?;
    // What autovacuum does within a minute of such a load: statistics for the planner, and
    // the trigram index's pending entries (a GIN index takes a bulk insert into a list
    // every search reads in full) merged into the index proper.
    db.execute_unprepared("VACUUM ANALYZE").await?;
    Ok(())
}
