//! Reading cohort files: rows, header, problems by row.

use super::*;

#[test]
fn reads_cities_and_joining_countries() {
    let file = "name,country,latitude,longitude,geonames_id,country_name,iso3,region\n\
                Chișinău,MD,47.00902,28.85938,618426,,,\n\
                Reykjavík,IS,64.1355,-21.8954,,Iceland,ISL,europe-and-north-america\n\
                Akureyri,IS,65.6835,-18.0878,,Iceland,ISL,europe-and-north-america\n";
    let mut rows = 0;
    let CohortFile {
        cities,
        new_countries: countries,
        country_rows,
    } = read(file.as_bytes(), || rows += 1).unwrap();
    assert_eq!(rows, 3);
    assert_eq!(cities.len(), 3);
    assert_eq!(cities[0].name, "Chișinău");
    assert_eq!(cities[0].geonames_id, Some(618426));
    assert_eq!(countries.len(), 1);
    assert_eq!(countries[0].iso3, "ISL");
    assert_eq!(country_rows, [2], "Iceland is described on row 2");
}

/// Each problem's row and field.
fn rows(problems: &[Problem]) -> Vec<(Option<usize>, &str)> {
    problems
        .iter()
        .map(|p| (p.city, p.field.as_str()))
        .collect()
}

#[test]
fn reports_every_bad_row() {
    let file = "name,country,latitude,longitude\nA,MD,north,28\nB,MD,47,28\nC,MD,47,east\n";
    let problems = read(file.as_bytes(), || {}).unwrap_err();
    assert_eq!(
        rows(&problems),
        [(Some(1), "latitude"), (Some(3), "longitude")]
    );
}

fn header_problems(file: &str) -> Vec<String> {
    read(file.as_bytes(), || {})
        .unwrap_err()
        .into_iter()
        .map(|p| {
            assert_eq!((p.city, p.field.as_str()), (None, "header"));
            p.message
        })
        .collect()
}

#[test]
fn a_file_without_its_header_row_is_refused_whole() {
    // Read as a header, the first city would be lost (and with one city, all of them).
    let problems = header_problems("Reykjavík,IS,64.1355,-21.8954\nBălți,MD,47.76171,27.92902\n");
    assert_eq!(
        problems,
        [
            "the first line is not a header row (it is `Reykjavík,IS,64.1355,-21.8954`): \
          add one naming the columns, e.g. `name,country,latitude,longitude`"
        ]
    );
    let problems = header_problems("Reykjavík,IS,64.1355,-21.8954\n");
    assert_eq!(problems.len(), 1);
    assert!(
        header_problems("")[0].starts_with("the file is empty"),
        "an empty file"
    );
}

#[test]
fn every_column_is_known_and_the_required_ones_are_there() {
    let problems = header_problems("name,country,lat,longitude,geonames\nA,MD,47,28,1\n");
    assert_eq!(
        problems,
        [
            "the column `latitude` is missing",
            "unknown column `lat` (the columns are name, country, latitude, longitude, \
             geonames_id, country_name, iso3, region)",
            "unknown column `geonames` (the columns are name, country, latitude, longitude, \
             geonames_id, country_name, iso3, region)",
        ]
    );
    let problems = header_problems("name,country,latitude,longitude,name\n");
    assert_eq!(problems, ["the column `name` is named twice"]);
}

#[test]
fn columns_come_in_any_order_and_case() {
    let file = "Longitude,Latitude,Country,Name\n28.85938,47.00902,MD,Chișinău\n";
    let cities = read(file.as_bytes(), || {}).unwrap().cities;
    assert_eq!(cities.len(), 1);
    assert_eq!(
        (cities[0].name.as_str(), cities[0].latitude),
        ("Chișinău", 47.00902)
    );
}

#[test]
fn a_nul_in_a_cell_is_refused_with_its_row() {
    let file = "name,country,latitude,longitude\nA,MD,47,28\nB\0,MD,47,28\nC,MD\0,47,28\n";
    let problems = read(file.as_bytes(), || {}).unwrap_err();
    assert_eq!(rows(&problems), [(Some(2), "name"), (Some(3), "country")]);
    assert!(problems[0].message.contains("U+0000"), "{problems:?}");
}

#[test]
fn each_row_has_the_line_it_starts_on() {
    let file = "name,country,latitude,longitude\nA,MD,47,28\n\"B\nC\",MD,47,28\nD,MD,47,28\n";
    assert_eq!(row_lines(file.as_bytes()), [2, 3, 5]);
    // Lines ending with CRLF (a Windows file, a browser's text area): the same lines.
    let crlf = file.replace('\n', "\r\n");
    assert_eq!(row_lines(crlf.as_bytes()), [2, 3, 5]);
    assert!(row_lines("".as_bytes()).is_empty());
}

#[test]
fn the_published_counts_default_to_the_files_rows_and_countries() {
    let file = "name,country,latitude,longitude\nA,MD,47,28\nB,md,47,28\nC,IS,64,-21\n";
    let file = read(file.as_bytes(), || {}).unwrap();
    let intake = Intake {
        year: 2026,
        announced_on: NaiveDate::from_ymd_opt(2026, 9, 1).unwrap(),
        new_cities: None,
        new_countries: None,
        network_cities: Some(427),
        network_countries: None,
        replace_published_figures: false,
    };
    let admission = intake.clone().admission(&file);
    assert_eq!(
        (admission.new_city_count, admission.new_country_count),
        (3, 2)
    );
    assert_eq!(admission.network_city_count, Some(427));
    let given = Intake {
        new_cities: Some(5),
        new_countries: Some(4),
        ..intake
    }
    .admission(&file);
    assert_eq!((given.new_city_count, given.new_country_count), (5, 4));
}

#[test]
fn a_joining_countrys_problems_go_to_the_row_describing_it() {
    let file = "name,country,latitude,longitude,country_name,iso3,region\n\
                Akureyri,IS,65.6835,-18.0878,,,\n\
                Reykjavík,IS,64.1355,-21.8954,Iceland,ISL,nowhere\n\
                Tórshavn,FO,62.0,-6.8,Faroe Islands,FRO,nowhere\n";
    let file = read(file.as_bytes(), || {}).unwrap();
    assert_eq!(file.country_rows, [2, 3]);
    let mut problems = vec![
        problem(
            None,
            "newCountries[2]",
            "there is no region with slug `nowhere`",
        ),
        problem(
            None,
            "newCountries[1]",
            "there is no region with slug `nowhere`",
        ),
        problem(None, "newCountries[3]", "not in this file"),
        problem(None, "year", "1800 is not a plausible year"),
        problem(Some(1), "name", "kept"),
    ];
    file.locate(&mut problems);
    let rows: Vec<_> = problems.iter().map(|p| p.city).collect();
    assert_eq!(rows, [Some(3), Some(2), None, None, Some(1)]);
}
