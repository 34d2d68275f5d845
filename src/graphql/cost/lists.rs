//! How long a list field's list can be: a connection's page, `citiesNear`'s `first`, or
//! one of the plain lists of the data, sized by [`ListSizes`].

use async_graphql::parser::types::{BaseType, Type};

use crate::admission::Figure;
use crate::graphql::list_sizes::ListSizes;
use crate::pagination::MAX_PAGE_SIZE;

/// `citiesNear`'s default and largest `first`.
pub(super) const NEAR_DEFAULT: u64 = 20;
pub(super) const NEAR_MAX: u64 = 100;

/// A plain list of the data, sized by [`ListSizes`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DataList {
    Regions,
    Cohorts,
    CountriesOfRegion,
    CitiesOfCountry,
    CitiesOfCohort,
    Endpoints,
    Attempts,
    /// An admission's `publishedFigures`: one at most for each figure.
    PublishedFigures,
}

impl DataList {
    pub(super) fn size(self, sizes: &ListSizes) -> u64 {
        match self {
            DataList::Regions => sizes.regions,
            DataList::Cohorts => sizes.cohorts,
            DataList::CountriesOfRegion => sizes.countries_per_region,
            DataList::CitiesOfCountry => sizes.cities_per_country,
            DataList::CitiesOfCohort => sizes.cities_per_cohort,
            DataList::Endpoints => sizes.endpoints,
            DataList::Attempts => sizes.attempts_per_delivery,
            DataList::PublishedFigures => Figure::ALL.len() as u64,
        }
    }
}

/// Every list of objects in the schema, with what its length is. A list field missing here
/// is counted as [`UNDECLARED_LIST`] long (a test keeps this table complete).
pub(super) const DATA_LISTS: [(&str, &str, DataList); 8] = [
    ("Query", "regions", DataList::Regions),
    ("Query", "cohorts", DataList::Cohorts),
    ("Query", "webhookEndpoints", DataList::Endpoints),
    ("Region", "countries", DataList::CountriesOfRegion),
    ("Country", "cities", DataList::CitiesOfCountry),
    ("Cohort", "cities", DataList::CitiesOfCohort),
    ("Delivery", "attempts", DataList::Attempts),
    (
        "AdmissionResult",
        "publishedFigures",
        DataList::PublishedFigures,
    ),
];
pub(super) const UNDECLARED_LIST: u64 = MAX_PAGE_SIZE;

/// How long a list field's list can be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Length {
    /// Not a list.
    One,
    /// `edges` and `nodes` of a connection: the page its field asked for.
    Page,
    /// `citiesNear`: its `first` argument.
    First,
    Data(DataList),
    /// A list of scalars: one value.
    Scalars,
    Undeclared,
}

/// How long a field's list is, from its declaration alone.
pub(super) fn length(ty: &str, field: &str, declared: &Type) -> Length {
    let is_list = |t: &Type| matches!(t.base, BaseType::List(_));
    if !is_list(declared) {
        return Length::One;
    }
    if ty.ends_with("Connection") && (field == "edges" || field == "nodes") {
        return Length::Page;
    }
    if ty == "Query" && field == "citiesNear" {
        return Length::First;
    }
    // Lists of objects are told apart once every type is known (see `CostModel::add`).
    Length::Scalars
}
