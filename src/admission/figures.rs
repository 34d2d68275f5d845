//! Settling an intake's published figures: what an intake holds after an admission that
//! gives its figures, and what became of those given differently from the published ones.

use chrono::NaiveDate;
use entity::cohort;

use super::CohortAdmission;

/// One of the figures an intake is published with, named as the admission names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Figure {
    AnnouncedOn,
    NewCityCount,
    NewCountryCount,
    NetworkCityCount,
    NetworkCountryCount,
}

impl Figure {
    pub const ALL: [Figure; 5] = [
        Figure::AnnouncedOn,
        Figure::NewCityCount,
        Figure::NewCountryCount,
        Figure::NetworkCityCount,
        Figure::NetworkCountryCount,
    ];

    /// The name of the admission's field that gives it.
    pub fn name(self) -> &'static str {
        match self {
            Figure::AnnouncedOn => "announcedOn",
            Figure::NewCityCount => "newCityCount",
            Figure::NewCountryCount => "newCountryCount",
            Figure::NetworkCityCount => "networkCityCount",
            Figure::NetworkCountryCount => "networkCountryCount",
        }
    }
}

/// What became of a published figure the admission gave differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FigureOutcome {
    /// The published figure stays: the admission's was not recorded.
    Kept,
    /// The admission's figure replaced the published one (`replace_published_figures`).
    Replaced,
    /// The intake had no such figure: the admission's is recorded.
    Added,
}

/// A published figure of an intake that the admission gave differently, and what became
/// of it. Values are as the API shows them (`38`, `2019-07-17`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FigureChange {
    pub figure: Figure,
    pub outcome: FigureOutcome,
    /// As published before the admission (`None`: the intake did not have it).
    pub published: Option<String>,
    /// As the admission gave it.
    pub admitted: String,
}

/// An intake's published figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Figures {
    pub announced_on: NaiveDate,
    pub new_cities: i32,
    pub new_countries: i32,
    pub network_cities: Option<i32>,
    pub network_countries: Option<i32>,
}

/// The figures an intake holds after an admission, and what became of those the admission
/// gave differently from the published ones. An intake not known before takes the
/// admission's figures.
pub(super) fn settle_figures(
    published: Option<&cohort::Model>,
    admission: &CohortAdmission,
    replace: bool,
) -> (Figures, Vec<FigureChange>) {
    let given = Figures {
        announced_on: admission.announced_on,
        new_cities: admission.new_city_count,
        new_countries: admission.new_country_count,
        network_cities: admission.network_city_count,
        network_countries: admission.network_country_count,
    };
    let Some(published) = published else {
        return (given, Vec::new());
    };
    let changes = &mut Vec::new();
    let settled = Figures {
        announced_on: settle(
            Figure::AnnouncedOn,
            Some(published.announced_on),
            Some(given.announced_on),
            replace,
            changes,
        )
        .unwrap_or(given.announced_on),
        new_cities: settle(
            Figure::NewCityCount,
            Some(published.new_cities),
            Some(given.new_cities),
            replace,
            changes,
        )
        .unwrap_or(given.new_cities),
        new_countries: settle(
            Figure::NewCountryCount,
            Some(published.new_countries),
            Some(given.new_countries),
            replace,
            changes,
        )
        .unwrap_or(given.new_countries),
        network_cities: settle(
            Figure::NetworkCityCount,
            published.network_cities_after,
            given.network_cities,
            replace,
            changes,
        ),
        network_countries: settle(
            Figure::NetworkCountryCount,
            published.network_countries_after,
            given.network_countries,
            replace,
            changes,
        ),
    };
    (settled, std::mem::take(changes))
}

/// One figure's value after an admission. A figure the admission leaves out (a network
/// count) is never erased; one the intake lacks is added; one it holds differently stays,
/// unless `replace`.
fn settle<T: PartialEq + Copy + ToString>(
    figure: Figure,
    published: Option<T>,
    given: Option<T>,
    replace: bool,
    changes: &mut Vec<FigureChange>,
) -> Option<T> {
    let Some(given) = given else {
        return published;
    };
    let outcome = match published {
        None => FigureOutcome::Added,
        Some(published) if published == given => return Some(published),
        Some(_) if replace => FigureOutcome::Replaced,
        Some(_) => FigureOutcome::Kept,
    };
    changes.push(FigureChange {
        figure,
        outcome,
        published: published.map(|value| value.to_string()),
        admitted: given.to_string(),
    });
    match outcome {
        FigureOutcome::Kept => published,
        FigureOutcome::Replaced | FigureOutcome::Added => Some(given),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A network city count published as `published` and given as `given`: the value the
    /// intake keeps, and the change reported.
    fn settled(
        published: Option<i32>,
        given: Option<i32>,
        replace: bool,
    ) -> (Option<i32>, Vec<FigureChange>) {
        let mut changes = Vec::new();
        let figure = Figure::NetworkCityCount;
        let value = settle(figure, published, given, replace, &mut changes);
        (value, changes)
    }

    fn change(outcome: FigureOutcome, published: Option<&str>, admitted: &str) -> FigureChange {
        FigureChange {
            figure: Figure::NetworkCityCount,
            outcome,
            published: published.map(str::to_owned),
            admitted: admitted.to_owned(),
        }
    }

    #[test]
    fn a_published_figure_given_differently_stays_unless_replaced() {
        let kept = change(FigureOutcome::Kept, Some("229"), "230");
        assert_eq!(
            settled(Some(229), Some(230), false),
            (Some(229), vec![kept])
        );
        let replaced = change(FigureOutcome::Replaced, Some("229"), "230");
        assert_eq!(
            settled(Some(229), Some(230), true),
            (Some(230), vec![replaced])
        );
    }

    #[test]
    fn a_figure_the_intake_lacks_is_added_and_one_left_out_is_never_erased() {
        let added = change(FigureOutcome::Added, None, "230");
        assert_eq!(settled(None, Some(230), false), (Some(230), vec![added]));
        assert_eq!(settled(Some(229), None, true), (Some(229), vec![]));
        assert_eq!(settled(Some(229), Some(229), true), (Some(229), vec![]));
    }
}
