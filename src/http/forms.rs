//! Form and list widgets every page uses: select choices and sortable headers.

/// A choice in a filter or form select: value, label, selected.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// Choices from (value, label) pairs, the one equal to `selected` selected.
pub fn choices(pairs: impl IntoIterator<Item = (String, String)>, selected: &str) -> Vec<Choice> {
    pairs
        .into_iter()
        .map(|(value, label)| Choice {
            selected: value == selected,
            value,
            label,
        })
        .collect()
}

/// A sortable column header.
pub struct SortHeader {
    pub label: String,
    pub href: String,
    /// "▲", "▼" or "".
    pub mark: &'static str,
}
