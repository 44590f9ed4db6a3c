//! JSON read as a form would be. The service inputs hold every field as the
//! text a form sends, so that a form can be shown again exactly as typed and
//! every field gets the same Chinese message; a JSON client may send an id,
//! a year or a version as a number. `as_form` turns numbers and true/false
//! into their text and drops nulls (an absent field), at every depth; an array
//! or object where text belongs is then refused by the input's type.

use serde_json::Value;

/// A JSON value as form text: strings as they are, null as empty, others as JSON.
pub fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// `value` with every number and true/false as text and every null left out.
pub fn as_form(value: Value) -> Value {
    match value {
        Value::Number(n) => Value::String(n.to_string()),
        Value::Bool(b) => Value::String(b.to_string()),
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .filter(|v| !v.is_null())
                .map(as_form)
                .collect(),
        ),
        Value::Object(fields) => Value::Object(
            fields
                .into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, as_form(v)))
                .collect(),
        ),
        other => other,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Deserialize, Default, Debug)]
    #[serde(default)]
    struct Input {
        name: String,
        id: Option<String>,
        ids: Vec<String>,
    }

    fn read(v: Value) -> Result<Input, serde_json::Error> {
        serde_json::from_value(as_form(v))
    }

    #[test]
    fn numbers_and_flags_read_as_the_text_a_form_sends() {
        let i = read(json!({"name": "张三", "id": 12, "ids": [3, "4"]})).unwrap();
        assert_eq!((i.name.as_str(), i.id.as_deref()), ("张三", Some("12")));
        assert_eq!(i.ids, vec!["3", "4"]);
        let i = read(json!({"name": true, "id": 1.5})).unwrap();
        assert_eq!((i.name.as_str(), i.id.as_deref()), ("true", Some("1.5")));
    }

    #[test]
    fn null_is_an_absent_field() {
        let i = read(json!({"name": null, "id": null, "ids": [null, 5]})).unwrap();
        assert_eq!(
            (i.name.as_str(), i.id, i.ids),
            ("", None, vec!["5".to_string()])
        );
    }

    #[test]
    fn arrays_and_objects_where_text_belongs_are_refused() {
        assert!(read(json!({"name": []})).is_err());
        assert!(read(json!({"id": {"a": 1}})).is_err());
        assert!(read(json!({"ids": [[1]]})).is_err());
        assert_eq!(text_of(&json!([1])), "[1]");
    }
}
