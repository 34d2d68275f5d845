//! SeaORM entities of gnlc: one module per table.

pub mod account;
pub mod api_token;
pub mod city;
pub mod cohort;
pub mod console_session;
pub mod country;
pub mod data_version;
pub mod data_version_listener;
pub mod delivery;
pub mod delivery_attempt;
pub mod event;
pub mod names;
pub mod region;
pub mod server_key;
pub mod webhook_endpoint;

pub mod prelude {
    pub use crate::city::Entity as City;
    pub use crate::cohort::Entity as Cohort;
    pub use crate::country::Entity as Country;
    pub use crate::region::Entity as Region;
}
