//! A list of words stored as one space-separated text: a webhook endpoint's event types,
//! regions and countries, and the regions and countries an event concerns.

use std::fmt;

/// Words in the order given, stored as one text with a space between them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WordList(Vec<String>);

impl WordList {
    /// The words of a stored text (any run of whitespace separates them).
    pub fn parse(text: &str) -> Self {
        WordList(text.split_whitespace().map(str::to_owned).collect())
    }

    /// The form an endpoint's filter is kept in: sorted, each word once.
    pub fn normalised(words: impl IntoIterator<Item = String>) -> Self {
        let mut words: Vec<String> = words.into_iter().collect();
        words.sort();
        words.dedup();
        WordList(words)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, word: &str) -> bool {
        self.0.iter().any(|w| w == word)
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    /// As an endpoint's filter, where an empty list sets no limit: whether it lets
    /// through something described by `words` (one of them is in the list).
    pub fn lets_through<S: AsRef<str>>(&self, words: impl IntoIterator<Item = S>) -> bool {
        self.is_empty() || words.into_iter().any(|w| self.contains(w.as_ref()))
    }

    pub fn into_vec(self) -> Vec<String> {
        self.0
    }
}

impl From<Vec<String>> for WordList {
    fn from(words: Vec<String>) -> Self {
        WordList(words)
    }
}

/// The stored text: the words with a space between them.
impl fmt::Display for WordList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(list: &[&str]) -> Vec<String> {
        list.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn a_stored_text_reads_back_as_its_words() {
        let list = WordList::parse("  city.admitted \t cohort.admitted ");
        assert_eq!(
            list.iter().collect::<Vec<_>>(),
            ["city.admitted", "cohort.admitted"]
        );
        assert_eq!(list.to_string(), "city.admitted cohort.admitted");
        assert!(WordList::parse("   ").is_empty());
        assert_eq!(WordList::parse("").to_string(), "");
    }

    #[test]
    fn normalised_lists_are_sorted_with_each_word_once() {
        let list = WordList::normalised(words(&["MD", "FR", "MD", "AL"]));
        assert_eq!(list.to_string(), "AL FR MD");
    }

    #[test]
    fn given_lists_keep_their_order() {
        assert_eq!(WordList::from(words(&["b", "a"])).to_string(), "b a");
    }

    #[test]
    fn contains_matches_whole_words_only() {
        let list = WordList::parse("europe south-america");
        assert!(list.contains("europe"));
        assert!(!list.contains("america"));
        assert!(!list.contains("europe south-america"));
    }

    #[test]
    fn an_empty_filter_lets_everything_through_and_a_set_one_needs_a_shared_word() {
        let nothing: [&str; 0] = [];
        assert!(WordList::default().lets_through(["MD"]));
        assert!(WordList::default().lets_through(nothing));
        let filter = WordList::parse("FR MD");
        assert!(filter.lets_through(["AL", "MD"]));
        assert!(!filter.lets_through(["AL"]));
        assert!(!filter.lets_through(nothing));
    }
}
