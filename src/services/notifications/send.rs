//! Out of the app: a [`Notifier`] sends one message; two real ones, e-mail
//! over SMTP ([`SmtpNotifier`], lettre) and a group robot's webhook
//! ([`WebhookNotifier`], the text message 企业微信 and 钉钉 robots take).

use std::future::Future;
use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::app::config::Settings;
use crate::domain::notifications::{robot_message, Channel};

/// How long one send may take before it counts as failed.
const SEND_TIMEOUT: Duration = Duration::from_secs(20);

/// A message to send.
#[derive(Debug, Clone, Copy)]
pub struct Outgoing<'a> {
    /// The e-mail address, or the webhook's URL.
    pub address: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
}

/// Sends a message out of the app; the error is what the administrator reads.
pub trait Notifier: Send + Sync {
    fn send(&self, message: &Outgoing<'_>) -> impl Future<Output = Result<(), String>> + Send;
}

/// E-mail over SMTP.
pub struct SmtpNotifier {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl SmtpNotifier {
    /// From the settings: host, port, `smtp_tls` (`starttls`, `tls`, `none`),
    /// credentials and sender. `None` when no host is set.
    pub fn from_settings(s: &Settings) -> Result<Option<Self>, String> {
        let Some(host) = s
            .smtp_host
            .as_deref()
            .map(str::trim)
            .filter(|h| !h.is_empty())
        else {
            return Ok(None);
        };
        let builder = match s.smtp_tls.as_str() {
            "tls" => AsyncSmtpTransport::<Tokio1Executor>::relay(host)
                .map_err(|e| format!("smtp_host {host}: {e}"))?
                .port(s.smtp_port.unwrap_or(465)),
            "none" => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
                .port(s.smtp_port.unwrap_or(25)),
            _ => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)
                .map_err(|e| format!("smtp_host {host}: {e}"))?
                .port(s.smtp_port.unwrap_or(587)),
        };
        let builder = match (&s.smtp_username, &s.smtp_password) {
            (Some(user), Some(password)) if !user.is_empty() => {
                builder.credentials(Credentials::new(user.clone(), password.clone()))
            }
            _ => builder,
        };
        let from: Mailbox = s
            .smtp_from
            .parse()
            .map_err(|e| format!("smtp_from {}: {e}", s.smtp_from))?;
        Ok(Some(Self {
            transport: builder.timeout(Some(SEND_TIMEOUT)).build(),
            from,
        }))
    }
}

impl Notifier for SmtpNotifier {
    async fn send(&self, message: &Outgoing<'_>) -> Result<(), String> {
        let to: Mailbox = message
            .address
            .parse()
            .map_err(|e| format!("address {}: {e}", message.address))?;
        let email = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(message.subject)
            .header(ContentType::TEXT_PLAIN)
            .body(message.body.to_string())
            .map_err(|e| e.to_string())?;
        self.transport
            .send(email)
            .await
            .map(|_| ())
            .map_err(|e| format!("SMTP: {e}"))
    }
}

/// A group robot's webhook: POST `{"msgtype":"text","text":{"content":…}}`.
pub struct WebhookNotifier {
    client: reqwest::Client,
}

impl WebhookNotifier {
    pub fn new() -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .timeout(SEND_TIMEOUT)
            .build()
            .map_err(|e| format!("webhook client: {e}"))?;
        Ok(Self { client })
    }
}

impl Notifier for WebhookNotifier {
    async fn send(&self, message: &Outgoing<'_>) -> Result<(), String> {
        let response = self
            .client
            .post(message.address)
            .json(&robot_message(message.body))
            .send()
            .await
            .map_err(|e| format!("webhook: {e}"))?;
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        if !status.is_success() {
            return Err(format!("webhook: HTTP {status}: {}", first_chars(&text)));
        }
        // Both robots answer 200 with `{"errcode":0,"errmsg":"ok"}`; a refused
        // message (a bad key, a keyword missing) has another errcode.
        if let Ok(answer) = serde_json::from_str::<serde_json::Value>(&text) {
            if let Some(code) = answer.get("errcode").and_then(|c| c.as_i64()) {
                if code != 0 {
                    let why = answer.get("errmsg").and_then(|m| m.as_str()).unwrap_or("");
                    return Err(format!("webhook: errcode {code}: {why}"));
                }
            }
        }
        Ok(())
    }
}

fn first_chars(text: &str) -> String {
    text.chars().take(200).collect()
}

/// The notifiers the settings configure, one per channel.
#[derive(Default)]
pub struct Notifiers {
    pub email: Option<SmtpNotifier>,
    pub webhook: Option<WebhookNotifier>,
}

impl Notifiers {
    pub fn from_settings(s: &Settings) -> Result<Self, String> {
        let webhook = match s.webhook_url.as_deref().map(str::trim) {
            Some(url) if !url.is_empty() => Some(WebhookNotifier::new()?),
            _ => None,
        };
        Ok(Self {
            email: SmtpNotifier::from_settings(s)?,
            webhook,
        })
    }

    /// Send on `channel`; a channel not configured (any more) is an error
    /// the administrator sees, and the message is retried.
    pub async fn send(&self, channel: Channel, message: &Outgoing<'_>) -> Result<(), String> {
        match channel {
            Channel::Email => match &self.email {
                Some(n) => n.send(message).await,
                None => Err("e-mail is not configured (smtp_host)".into()),
            },
            Channel::Webhook => match &self.webhook {
                Some(n) => n.send(message).await,
                None => Err("the webhook is not configured (webhook_url)".into()),
            },
        }
    }
}
