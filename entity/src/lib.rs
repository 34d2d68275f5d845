//! SeaORM entities of gnlc: one module per table.

pub mod city;
pub mod cohort;
pub mod country;
pub mod names;
pub mod region;

pub mod prelude {
    pub use crate::city::Entity as City;
    pub use crate::cohort::Entity as Cohort;
    pub use crate::country::Entity as Country;
    pub use crate::region::Entity as Region;
}
