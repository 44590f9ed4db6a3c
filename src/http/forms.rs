//! Form and list widgets every page uses: select choices, sortable headers,
//! and the lifecycle step chooser.

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

/// A step the user may take now, as the step form offers it.
pub struct StepChoice {
    pub value: &'static str,
    pub label: String,
    /// It ends or undoes work: offered after the others, and the form asks
    /// to confirm it first.
    pub asks_first: bool,
    pub selected: bool,
}

/// The steps in the order the form offers them: the usual ones in their
/// lifecycle order, then those that ask first. The one typed before (after a
/// refusal) is selected, else the first.
pub fn step_choices<A: Copy>(
    actions: &[A],
    value: impl Fn(A) -> &'static str,
    label: impl Fn(A) -> String,
    asks_first: impl Fn(A) -> bool,
    typed: &str,
) -> Vec<StepChoice> {
    let mut ordered: Vec<A> = actions.to_vec();
    ordered.sort_by_key(|a| asks_first(*a));
    let typed = ordered
        .iter()
        .any(|a| value(*a) == typed)
        .then_some(typed)
        .or_else(|| ordered.first().map(|a| value(*a)));
    ordered
        .into_iter()
        .map(|a| StepChoice {
            value: value(a),
            label: label(a),
            asks_first: asks_first(a),
            selected: Some(value(a)) == typed,
        })
        .collect()
}

/// A step form as posted: its fields, and whether the user ticked the box
/// confirming a step that asks first.
#[derive(serde::Deserialize)]
pub struct Confirmed<T> {
    #[serde(flatten)]
    pub input: T,
    #[serde(default)]
    pub confirm: String,
}

impl<T> Confirmed<T> {
    pub fn is_confirmed(&self) -> bool {
        self.confirm == "yes"
    }
}

/// A step that asks first and was not confirmed is refused before the
/// service sees it, as invalid input (the form comes back with the message).
pub fn check_confirmed(
    asks_first: bool,
    confirmed: bool,
) -> Result<(), crate::services::error::AppError> {
    if asks_first && !confirmed {
        return Err(crate::services::error::AppError::Validation(
            crate::domain::validation::FieldErrors::single(
                crate::domain::validation::FieldError::new("confirm", "step_confirm_required"),
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn steps_that_ask_first_come_last_and_the_first_usual_one_is_selected() {
        let all = [
            ("withdraw", true),
            ("accept", false),
            ("merge", true),
            ("key", false),
        ];
        let choices = step_choices(&all, |a| a.0, |a| a.0.to_uppercase(), |a| a.1, "");
        let order: Vec<&str> = choices.iter().map(|c| c.value).collect();
        assert_eq!(order, ["accept", "key", "withdraw", "merge"]);
        assert!(choices[0].selected && !choices[2].selected);
        assert!(choices[2].asks_first && !choices[0].asks_first);
        let again = step_choices(&all, |a| a.0, |a| a.0.to_uppercase(), |a| a.1, "merge");
        assert!(again.iter().find(|c| c.value == "merge").unwrap().selected);
        assert_eq!(again.iter().filter(|c| c.selected).count(), 1);
    }
}
