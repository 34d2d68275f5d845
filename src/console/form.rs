//! A submitted form's fields (`application/x-www-form-urlencoded`), with repeated names
//! (checkboxes) kept, which serde's form decoding does not allow.

use actix_web::web::Bytes;

/// The fields of a form, in order.
#[derive(Debug, Default)]
pub struct Fields(Vec<(String, String)>);

impl Fields {
    pub fn parse(body: &Bytes) -> Self {
        Self(url::form_urlencoded::parse(body).into_owned().collect())
    }

    /// The first value of a field, if sent.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a field (each ticked checkbox).
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

/// A text's words, split at commas and white space.
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|word| !word.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_fields_and_word_lists_are_kept() {
        let fields = Fields::parse(&Bytes::from_static(
            b"event_type=cohort.admitted&event_type=city.admitted&countries=PT%2C+es+&csrf=x",
        ));
        assert_eq!(
            fields.all("event_type"),
            ["cohort.admitted", "city.admitted"]
        );
        assert_eq!(words(fields.get("countries").unwrap()), ["PT", "es"]);
        assert_eq!(fields.get("csrf"), Some("x"));
        assert_eq!(fields.get("missing"), None);
        assert!(words(" , ").is_empty());
    }
}
