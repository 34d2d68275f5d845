//! `gnlc admit` with a cohort's CSV file: admitted once, refused whole without its header
//! row, published figures kept unless told.

use super::{gnlc_in, run};

#[test]
fn a_cohort_is_admitted_from_a_csv_file_once() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cohort.csv");
    std::fs::write(
        &file,
        "name,country,latitude,longitude,geonames_id,country_name,iso3,region\n\
         Reykjavík,IS,64.1355,-21.8954,3413829,Iceland,ISL,europe-and-north-america\n\
         Bălți,MD,47.76171,27.92902,,Republic of Moldova,MDA,europe-and-north-america\n",
    )
    .unwrap();
    let admit = |file: &std::path::Path| {
        run(gnlc_in(dir.path())
            .args([
                "admit",
                "--year",
                "2026",
                "--announced-on",
                "2026-09-01",
                "--file",
            ])
            .arg(file))
    };
    let (ok, said, errors) = admit(&file);
    assert!(ok, "{errors}");
    assert_eq!(
        said.trim(),
        "admitted the 2026 cohort: 2 cities; 0 deliveries queued"
    );
    let (ok, said, _) = admit(&file);
    assert!(ok);
    assert_eq!(
        said.trim(),
        "the 2026 cohort was already admitted with this content: nothing changed"
    );

    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "name,country,latitude,longitude,country_name,iso3,region\nAtlantis,XA,0,0,,,\n\
         North,MD,95,0,,,\nTórshavn,FO,62,-6.8,Faroe Islands,FRO,nowhere\n",
    )
    .unwrap();
    let (ok, _, errors) = run(gnlc_in(dir.path())
        .args([
            "admit",
            "--year",
            "2027",
            "--announced-on",
            "2027-09-01",
            "--file",
        ])
        .arg(&bad));
    assert!(!ok);
    assert!(
        errors.contains("row 1: country: there is no country with code `XA`"),
        "{errors}"
    );
    assert!(
        errors.contains("row 2: latitude: 95 is not between -90 and 90"),
        "{errors}"
    );
    assert!(
        errors.contains("row 3: newCountries[1]: there is no region with slug `nowhere`"),
        "a joining country's problem against the row describing it: {errors}"
    );
}

/// Writes `csv` to a file in `dir` and runs `gnlc admit --year YEAR --announced-on DATE
/// --file FILE` on it, with more arguments.
fn admit_csv(
    dir: &std::path::Path,
    year: &str,
    date: &str,
    csv: &str,
    more: &[&str],
) -> (bool, String, String) {
    std::fs::write(dir.join("cohort.csv"), csv).unwrap();
    run(gnlc_in(dir)
        .args(["admit", "--year", year, "--announced-on", date])
        .args(["--file", "cohort.csv"])
        .args(more))
}

#[test]
fn a_csv_file_without_its_header_row_is_refused_whole() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, said, errors) = admit_csv(
        dir.path(),
        "2026",
        "2026-09-01",
        "Reykjavík,IS,64.1355,-21.8954,3413829,Iceland,ISL,europe-and-north-america\n\
         Bălți,MD,47.76171,27.92902,,,,\n",
        &[],
    );
    assert!(!ok, "{said}");
    assert!(
        errors.contains("header: the first line is not a header row (it is `Reykjavík,IS,"),
        "{errors}"
    );
    let (ok, _, errors) = admit_csv(
        dir.path(),
        "2026",
        "2026-09-01",
        "name,country,latitude,longitude,geonames\nBălți,MD,47.76171,27.92902,618405\n",
        &[],
    );
    assert!(!ok);
    assert!(
        errors.contains("header: unknown column `geonames`"),
        "{errors}"
    );
}

#[test]
fn an_intake_published_without_its_members_keeps_its_figures_unless_told() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, said, errors) = admit_csv(
        dir.path(),
        "2019",
        "2019-07-17",
        "name,country,latitude,longitude\nBălți,MD,47.76171,27.92902\n",
        &[],
    );
    assert!(ok, "{errors}");
    assert_eq!(
        said.lines().collect::<Vec<_>>(),
        [
            "admitted the 2019 cohort: 1 cities; 0 deliveries queued",
            "kept the published newCityCount 38 (this admission says 1; --replace-published-figures replaces it)",
            "kept the published newCountryCount 23 (this admission says 1; --replace-published-figures replaces it)",
        ]
    );

    let (ok, said, errors) = admit_csv(
        dir.path(),
        "2022",
        "2022-09-02",
        "name,country,latitude,longitude\nSoroca,MD,48.15659,28.28489\n",
        &["--network-cities", "300", "--replace-published-figures"],
    );
    assert!(ok, "{errors}");
    assert_eq!(
        said.lines().collect::<Vec<_>>(),
        [
            "admitted the 2022 cohort: 1 cities; 0 deliveries queued",
            "replaced the published newCityCount 77 with 1",
            "replaced the published newCountryCount 44 with 1",
            "replaced the published networkCityCount 294 with 300",
        ]
    );
}
