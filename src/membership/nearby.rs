//! The member cities near a point: great-circle distances, and the box that narrows the
//! candidates in the database.

use entity::city;
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter};

use super::{Membership, MembershipError, Result};

/// Most cities `cities_near` returns.
pub const MAX_NEARBY_CITIES: u64 = 100;
/// Mean Earth radius used for great-circle distances (IUGG), in kilometres.
pub const EARTH_RADIUS_KM: f64 = 6371.0088;
/// Largest useful search radius: half the circumference of the globe.
pub const MAX_RADIUS_KM: f64 = std::f64::consts::PI * EARTH_RADIUS_KM;

/// A city and its great-circle distance from a point.
#[derive(Debug, Clone)]
pub struct NearbyCity {
    pub city: city::Model,
    pub distance_km: f64,
}

/// The cities within `radius_km` of a point, nearest first (ties by slug), at most `limit`.
pub async fn cities_near(
    db: &DatabaseConnection,
    latitude: f64,
    longitude: f64,
    radius_km: f64,
    limit: u64,
) -> Result<Vec<NearbyCity>> {
    let invalid = |m: String| Err(MembershipError::InvalidArgument(m));
    if !(-90.0..=90.0).contains(&latitude) {
        return invalid(format!(
            "`latitude` must be between -90 and 90, got {latitude}"
        ));
    }
    if !(-180.0..=180.0).contains(&longitude) {
        return invalid(format!(
            "`longitude` must be between -180 and 180, got {longitude}"
        ));
    }
    if !(radius_km > 0.0 && radius_km <= MAX_RADIUS_KM) {
        return invalid(format!(
            "`radiusKm` must be above 0 and at most {MAX_RADIUS_KM:.0}, got {radius_km}"
        ));
    }
    if limit > MAX_NEARBY_CITIES {
        return invalid(format!(
            "`first` must be between 0 and {MAX_NEARBY_CITIES}, got {limit}"
        ));
    }
    let candidates = city::Entity::find()
        .filter(Membership::Current.condition())
        .filter(bounding_box(latitude, longitude, radius_km))
        .all(db)
        .await?;
    let mut nearby: Vec<NearbyCity> = candidates
        .into_iter()
        .map(|city| {
            let distance_km = great_circle_km(latitude, longitude, city.latitude, city.longitude);
            NearbyCity { city, distance_km }
        })
        .filter(|n| n.distance_km <= radius_km)
        .collect();
    nearby.sort_by(|a, b| {
        a.distance_km
            .total_cmp(&b.distance_km)
            .then_with(|| a.city.slug.cmp(&b.city.slug))
    });
    nearby.truncate(limit as usize);
    Ok(nearby)
}

/// A latitude/longitude box that contains every point within `radius_km`, so the database
/// can discard far cities before distances are computed.
fn bounding_box(latitude: f64, longitude: f64, radius_km: f64) -> Condition {
    let km_per_degree = EARTH_RADIUS_KM.to_radians();
    let dlat = radius_km / km_per_degree;
    let (south, north) = (latitude - dlat, latitude + dlat);
    let mut condition = Condition::all()
        .add(city::Column::Latitude.gte(south.max(-90.0)))
        .add(city::Column::Latitude.lte(north.min(90.0)));
    if south <= -90.0 || north >= 90.0 {
        return condition; // the circle covers a pole: every longitude
    }
    let widest = south.abs().max(north.abs()).to_radians().cos();
    let dlon = dlat / widest;
    if dlon >= 180.0 {
        return condition;
    }
    let (west, east) = (longitude - dlon, longitude + dlon);
    condition = condition.add(if west < -180.0 {
        Condition::any()
            .add(city::Column::Longitude.gte(west + 360.0))
            .add(city::Column::Longitude.lte(east))
    } else if east > 180.0 {
        Condition::any()
            .add(city::Column::Longitude.gte(west))
            .add(city::Column::Longitude.lte(east - 360.0))
    } else {
        Condition::all()
            .add(city::Column::Longitude.gte(west))
            .add(city::Column::Longitude.lte(east))
    });
    condition
}

/// Haversine distance between two points, in kilometres.
pub fn great_circle_km(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (phi1, phi2) = (lat1.to_radians(), lat2.to_radians());
    let dphi = (lat2 - lat1).to_radians();
    let dlambda = (lon2 - lon1).to_radians();
    let a = (dphi / 2.0).sin().powi(2) + phi1.cos() * phi2.cos() * (dlambda / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * a.sqrt().min(1.0).asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn great_circle_distances_match_known_values() {
        // Chișinău to Cahul: 132.93 km on the mean-radius sphere.
        let d = great_circle_km(47.00902, 28.85938, 45.90456, 28.19516);
        assert!((d - 132.932).abs() < 0.01, "{d}");
        // Antipodes on the equator: half the circumference.
        let half = great_circle_km(0.0, 0.0, 0.0, 180.0);
        assert!((half - MAX_RADIUS_KM).abs() < 1e-6, "{half}");
        assert_eq!(great_circle_km(10.0, 20.0, 10.0, 20.0), 0.0);
    }
}
