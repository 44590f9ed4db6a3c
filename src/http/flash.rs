//! The one-time message after a save ("已保存"): the redirect that follows a
//! successful form sets a short cookie naming what was done; the next page
//! shows its words once, and the gate clears the cookie as that page is sent.
//! Only the kind travels, never text, so nothing a client sends is echoed.

use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};

const COOKIE: &str = "lvzhi_flash";

/// What was done, as the next page says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flash {
    Created,
    Saved,
    StepTaken,
    Deleted,
    Recorded,
}

impl Flash {
    pub const ALL: [Flash; 5] = [
        Flash::Created,
        Flash::Saved,
        Flash::StepTaken,
        Flash::Deleted,
        Flash::Recorded,
    ];

    fn as_str(self) -> &'static str {
        match self {
            Flash::Created => "created",
            Flash::Saved => "saved",
            Flash::StepTaken => "step_taken",
            Flash::Deleted => "deleted",
            Flash::Recorded => "recorded",
        }
    }

    pub fn label_key(self) -> &'static str {
        match self {
            Flash::Created => "flash.created",
            Flash::Saved => "flash.saved",
            Flash::StepTaken => "flash.step_taken",
            Flash::Deleted => "flash.deleted",
            Flash::Recorded => "flash.recorded",
        }
    }
}

/// Go to `to` and say there what was done.
pub fn redirect(to: &str, flash: Flash) -> Response {
    let cookie = format!(
        "{COOKIE}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age=60",
        flash.as_str()
    );
    let mut response = Redirect::to(to).into_response();
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// The message a request carries, if any (an unknown value is ignored).
pub fn read(headers: &HeaderMap) -> Option<Flash> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(|(name, _)| *name == COOKIE)
        .find_map(|(_, value)| Flash::ALL.into_iter().find(|f| f.as_str() == value))
}

/// Clears the message once a page has shown it; a redirect passes it on.
pub fn clear_after_shown(had_flash: bool, response: &mut Response) {
    if had_flash && !response.status().is_redirection() {
        response.headers_mut().append(
            header::SET_COOKIE,
            HeaderValue::from_static("lvzhi_flash=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"),
        );
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_flash_survives_the_round_trip_and_unknown_values_are_ignored() {
        for flash in Flash::ALL {
            let response = redirect("/x", flash);
            let set = response.headers().get(header::SET_COOKIE).unwrap();
            let pair = set.to_str().unwrap().split(';').next().unwrap().to_string();
            let mut headers = HeaderMap::new();
            headers.insert(
                header::COOKIE,
                HeaderValue::from_str(&format!("a=b; {pair}")).unwrap(),
            );
            assert_eq!(read(&headers), Some(flash));
        }
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("lvzhi_flash=<script>"),
        );
        assert_eq!(read(&headers), None);
    }
}
