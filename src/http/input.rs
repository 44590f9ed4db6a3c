//! Reading loosely typed JSON bodies: a field may be sent as a string or a
//! number, and is read as the text the form would have sent.

/// A JSON body that must be an object (a string, array or null is a 400).
pub type JsonObject = serde_json::Map<String, serde_json::Value>;

/// A JSON value as form text: strings as they are, null as empty, others as JSON.
pub fn text_of(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The field `name` of `body` as text, if it was sent.
pub fn text_field(body: &JsonObject, name: &str) -> Option<String> {
    body.get(name).map(text_of)
}
