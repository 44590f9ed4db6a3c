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

/// A form body (`application/x-www-form-urlencoded`) read as bytes: `+` is a
/// space and `%XX` the byte XX.
fn percent_decoded(raw: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < raw.len() => match (hex(raw[i + 1]), hex(raw[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            other => out.push(other),
        }
        i += 1;
    }
    out
}

/// The first field of a form body whose name or value is not UTF-8 text once
/// decoded (`%FF%FE`): the form readers would replace such bytes by U+FFFD
/// and store what nobody typed, so the form is refused naming the field.
pub fn form_field_not_utf8(body: &[u8]) -> Option<String> {
    body.split(|b| *b == b'&').find_map(|pair| {
        let mut halves = pair.splitn(2, |b| *b == b'=');
        let name = percent_decoded(halves.next().unwrap_or_default());
        let value = percent_decoded(halves.next().unwrap_or_default());
        let name_ok = std::str::from_utf8(&name).is_ok();
        (!name_ok || std::str::from_utf8(&value).is_err())
            .then(|| String::from_utf8_lossy(&name).into_owned())
    })
}

/// The first key that appears twice in one object of the JSON text `bytes`,
/// at any depth: JSON readers keep the last silently, so a body holding one is
/// refused rather than guessed at. `None` for text that is not JSON (the
/// reader refuses it on its own).
pub fn first_duplicate_key(bytes: &[u8]) -> Option<String> {
    let mut found = None;
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let _ = serde::de::DeserializeSeed::deserialize(UniqueKeys(&mut found), &mut de);
    found
}

/// Walks a JSON value, recording the first key repeated within an object.
struct UniqueKeys<'a>(&'a mut Option<String>);

impl<'de> serde::de::DeserializeSeed<'de> for UniqueKeys<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for UniqueKeys<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(UniqueKeys(&mut *self.0))?.is_some() {}
        Ok(())
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = std::collections::HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                *self.0 = Some(key);
                return Err(serde::de::Error::custom("duplicate key"));
            }
            map.next_value_seed(UniqueKeys(&mut *self.0))?;
            if self.0.is_some() {
                return Err(serde::de::Error::custom("duplicate key"));
            }
        }
        Ok(())
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

    #[test]
    fn a_key_given_twice_is_found_at_any_depth() {
        assert_eq!(
            first_duplicate_key(br#"{"text": "a", "text": "b"}"#).as_deref(),
            Some("text")
        );
        assert_eq!(
            first_duplicate_key(br#"{"a": [{"b": 1, "c": {"d": 1, "d": 2}}]}"#).as_deref(),
            Some("d")
        );
        assert_eq!(first_duplicate_key(br#"{"a": {"b": 1}, "b": 2}"#), None);
        assert_eq!(first_duplicate_key(b"not json"), None);
    }

    #[test]
    fn a_form_field_that_is_not_utf8_is_named() {
        assert_eq!(
            form_field_not_utf8(b"csrf=x&headline=%E5%81%9C+%E8%BD%A6"),
            None
        );
        assert_eq!(
            form_field_not_utf8(b"csrf=x&headline=%FF%FE&text=ok").as_deref(),
            Some("headline")
        );
        assert_eq!(form_field_not_utf8(b"a=%E5%81").as_deref(), Some("a"));
        assert_eq!(
            form_field_not_utf8(b"a=100%&b=%4"),
            None,
            "a lone % is itself"
        );
        assert_eq!(form_field_not_utf8(b""), None);
    }
}
