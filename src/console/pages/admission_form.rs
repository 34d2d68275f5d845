//! The form that admits a cohort: the intake's year, announcement date and figures as
//! `gnlc admit` takes them by flag, and its CSV file pasted in (the same format, read by
//! `cohort_file`). What was typed comes back in it, and every problem is listed against
//! the row (and line) of the file it is about.

use chrono::NaiveDate;
use maud::{Markup, html};

use crate::admission::{CohortAdmission, Problem, problem};
use crate::cohort_file::{self, CohortFile, Intake};
use crate::console::form::Fields;

/// What the form holds, as typed.
#[derive(Debug, Default, Clone)]
pub struct AdmissionValues {
    pub year: String,
    pub announced_on: String,
    pub new_cities: String,
    pub new_countries: String,
    pub network_cities: String,
    pub network_countries: String,
    pub replace_published_figures: bool,
    pub csv: String,
}

/// The intake's optional figures: the form's field names, labels and hints.
const FIGURES: [(&str, &str, &str); 4] = [
    (
        "new_cities",
        "Published number of new cities",
        "Empty: the rows in the file.",
    ),
    (
        "new_countries",
        "Published number of new countries",
        "Empty: the distinct countries in the file.",
    ),
    (
        "network_cities",
        "Network size after the intake: cities",
        "Empty when not published.",
    ),
    (
        "network_countries",
        "Network size after the intake: countries",
        "Empty when not published.",
    ),
];

impl AdmissionValues {
    pub fn from_form(fields: &Fields) -> Self {
        let text = |name| fields.get(name).unwrap_or_default().to_owned();
        Self {
            year: text("year"),
            announced_on: text("announced_on"),
            new_cities: text("new_cities"),
            new_countries: text("new_countries"),
            network_cities: text("network_cities"),
            network_countries: text("network_countries"),
            replace_published_figures: fields.get("replace_published_figures").is_some(),
            csv: text("csv"),
        }
    }

    fn figure(&self, name: &str) -> &str {
        match name {
            "new_cities" => &self.new_cities,
            "new_countries" => &self.new_countries,
            "network_cities" => &self.network_cities,
            _ => &self.network_countries,
        }
    }

    /// The admission the form describes, as `gnlc admit --file` would make it of the same
    /// file and flags, with the file read; or every problem with the fields and the file's
    /// rows.
    pub fn admission(&self) -> Result<(CohortAdmission, CohortFile), Vec<Problem>> {
        let mut problems = Vec::new();
        let year = self.year.trim().parse::<i32>().ok();
        if year.is_none() {
            problems.push(problem(
                None,
                "year",
                format!("`{}` is not a year (e.g. 2026)", self.year.trim()),
            ));
        }
        let announced_on = NaiveDate::parse_from_str(self.announced_on.trim(), "%Y-%m-%d").ok();
        if announced_on.is_none() {
            problems.push(problem(
                None,
                "announced_on",
                format!(
                    "`{}` is not a date as YYYY-MM-DD (e.g. 2026-09-01)",
                    self.announced_on.trim()
                ),
            ));
        }
        let [new_cities, new_countries, network_cities, network_countries] =
            FIGURES.map(|(name, _, _)| {
                let text = self.figure(name).trim();
                let parsed = text.parse::<i32>().ok();
                if parsed.is_none() && !text.is_empty() {
                    problems.push(problem(None, name, format!("`{text}` is not a number")));
                }
                parsed
            });
        let file = match cohort_file::read(self.csv.as_bytes(), || {}) {
            Ok(file) => file,
            Err(file_problems) => {
                problems.extend(file_problems);
                return Err(problems);
            }
        };
        match (year, announced_on) {
            (Some(year), Some(announced_on)) if problems.is_empty() => {
                let intake = Intake {
                    year,
                    announced_on,
                    new_cities,
                    new_countries,
                    network_cities,
                    network_countries,
                    replace_published_figures: self.replace_published_figures,
                };
                Ok((intake.admission(&file), file))
            }
            _ => Err(problems),
        }
    }

    /// The line of the file each row starts on.
    pub fn row_lines(&self) -> Vec<u64> {
        cohort_file::row_lines(self.csv.as_bytes())
    }
}

/// The form's fields (inside a `<form>` the caller writes), as `hidden` ones when the
/// form only carries them on (the admit button of a preview).
pub fn fields(values: &AdmissionValues, hidden: bool) -> Markup {
    if hidden {
        return html! {
            input type="hidden" name="year" value=(values.year);
            input type="hidden" name="announced_on" value=(values.announced_on);
            @for (name, _, _) in FIGURES {
                input type="hidden" name=(name) value=(values.figure(name));
            }
            @if values.replace_published_figures {
                input type="hidden" name="replace_published_figures" value="on";
            }
            input type="hidden" name="csv" value=(values.csv);
        };
    }
    html! {
        label for="year" { "Year" }
        input id="year" name="year" type="number" inputmode="numeric" required
            value=(values.year);
        label for="announced_on" { "Announced on" }
        input id="announced_on" name="announced_on" type="date" required
            value=(values.announced_on) aria-describedby="announced-on-hint";
        p.hint id="announced-on-hint" { "YYYY-MM-DD." }
        @for (name, label, hint) in FIGURES {
            label for=(name) { (label) }
            input id=(name) name=(name) type="number" inputmode="numeric"
                value=(values.figure(name)) aria-describedby=(format!("{name}-hint"));
            p.hint id=(format!("{name}-hint")) { (hint) }
        }
        fieldset {
            legend { "Figures published before" }
            label {
                input type="checkbox" name="replace_published_figures"
                    checked[values.replace_published_figures];
                "Replace the intake's published figures with these"
            }
        }
        label for="csv" { "The cohort's cities (CSV)" }
        p.hint id="csv-hint" {
            "The file of " code { "gnlc admit --file" } ": a header row naming the columns "
            code { "name,country,latitude,longitude" } ", optionally " code { "geonames_id" }
            ", and " code { "country_name,iso3,region" } " for a country joining with the cohort. "
            "Paste it here, or choose the file below."
        }
        textarea.csv id="csv" name="csv" rows="12" required spellcheck="false"
            aria-describedby="csv-hint" { (values.csv) }
        // Shown by the script, which reads the file into the text area.
        div.csv-file hidden {
            label for="csv-file" { "Read the CSV from a file" }
            input id="csv-file" type="file" accept=".csv,text/csv,text/plain" data-fill="csv";
        }
    }
}

/// Every problem, each against its row and the line that row starts on in the file.
pub fn problems(problems: &[Problem], lines: &[u64]) -> Markup {
    html! {
        div role="alert" {
            p { "Nothing was written. Fix these " (problems.len()) " problem(s) and preview again:" }
        }
        div.table-scroll {
            table {
                caption { "Problems, by row of the file (row 1 is the first city, after the header row)" }
                thead { tr {
                    th scope="col" { "Row" }
                    th scope="col" { "Line" }
                    th scope="col" { "Field" }
                    th scope="col" { "Problem" }
                } }
                tbody {
                    @for p in problems {
                        tr {
                            td { @if let Some(row) = p.city { (row) } @else { "—" } }
                            td {
                                @match p.city.and_then(|row| lines.get(row.checked_sub(1)?)) {
                                    Some(line) => { (line) }
                                    None => { "—" }
                                }
                            }
                            td { code { (p.field) } }
                            td { (p.message) }
                        }
                    }
                }
            }
        }
    }
}
