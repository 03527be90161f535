//! A small W3C WebDriver client over reqwest: just what the window tests use.
//!
//! Each request uses a fresh connection: tauri-driver drops reused keep-alive connections now
//! and then (about 1 request in 10 with pooling, measured on the build machine), and a request on
//! a fresh connection does not race that.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

#[derive(Debug, thiserror::Error)]
pub enum WebDriverError {
    #[error("WebDriver transport: {0}")]
    Transport(#[from] reqwest::Error),
    #[error("WebDriver error {error}: {message}")]
    Protocol { error: String, message: String },
    #[error("timed out after {0:?} waiting for {1}")]
    Timeout(Duration, String),
}

pub type Result<T, E = WebDriverError> = std::result::Result<T, E>;

const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// An open WebDriver session.
pub struct Session {
    http: reqwest::Client,
    base: String,
    id: String,
}

impl Session {
    /// Opens a session on the driver at `base` (e.g. `http://127.0.0.1:4444`).
    pub async fn new(base: &str, capabilities: Value) -> Result<Self> {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .timeout(Duration::from_secs(120))
            .build()?;
        let body = json!({ "capabilities": { "alwaysMatch": capabilities } });
        let value = send(
            &http,
            reqwest::Method::POST,
            &format!("{base}/session"),
            Some(body),
        )
        .await?;
        let id = value["sessionId"]
            .as_str()
            .ok_or_else(|| WebDriverError::Protocol {
                error: "no session id".into(),
                message: value.to_string(),
            })?
            .to_owned();
        Ok(Self {
            http,
            base: base.to_owned(),
            id,
        })
    }

    async fn cmd(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Result<Value> {
        let url = format!("{}/session/{}{}", self.base, self.id, path);
        send(&self.http, method, &url, body).await
    }

    /// Finds the first element matching a CSS selector now, if any.
    pub async fn find(&self, css: &str) -> Result<Option<String>> {
        let body = json!({"using": "css selector", "value": css});
        // WebKitWebDriver answers "stale element reference" when a matching element leaves the
        // page while it searches (e.g. a banner going away); asking again sees the page after.
        let mut tries = 0;
        let found = loop {
            match self
                .cmd(reqwest::Method::POST, "/elements", Some(body.clone()))
                .await
            {
                Err(WebDriverError::Protocol { error, .. })
                    if error == "stale element reference" && tries < 5 =>
                {
                    tries += 1;
                }
                other => break other?,
            }
        };
        Ok(found
            .as_array()
            .and_then(|a| a.first())
            .and_then(|e| e[ELEMENT_KEY].as_str())
            .map(str::to_owned))
    }

    /// Waits until an element matching `css` exists, polling the page (never a fixed sleep).
    pub async fn wait_for(&self, css: &str, timeout: Duration) -> Result<String> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(el) = self.find(css).await? {
                return Ok(el);
            }
            if Instant::now() > deadline {
                return Err(WebDriverError::Timeout(timeout, css.to_owned()));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until the element's text satisfies `pred`; returns the text.
    pub async fn wait_for_text(
        &self,
        css: &str,
        timeout: Duration,
        pred: impl Fn(&str) -> bool,
    ) -> Result<String> {
        let deadline = Instant::now() + timeout;
        let mut last = String::new();
        loop {
            if let Some(el) = self.find(css).await? {
                // The element may be re-rendered between find and read.
                if let Ok(text) = self.element_text(&el).await {
                    if pred(&text) {
                        return Ok(text);
                    }
                    last = text;
                }
            }
            if Instant::now() > deadline {
                return Err(WebDriverError::Timeout(
                    timeout,
                    format!("text of {css} (last seen {last:?})"),
                ));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn element_text(&self, element: &str) -> Result<String> {
        let v = self
            .cmd(
                reqwest::Method::GET,
                &format!("/element/{element}/text"),
                None,
            )
            .await?;
        Ok(v.as_str().unwrap_or_default().to_owned())
    }

    pub async fn attribute(&self, element: &str, name: &str) -> Result<Option<String>> {
        let v = self
            .cmd(
                reqwest::Method::GET,
                &format!("/element/{element}/attribute/{name}"),
                None,
            )
            .await?;
        Ok(v.as_str().map(str::to_owned))
    }

    pub async fn click(&self, element: &str) -> Result<()> {
        self.cmd(
            reqwest::Method::POST,
            &format!("/element/{element}/click"),
            Some(json!({})),
        )
        .await?;
        Ok(())
    }

    pub async fn send_keys(&self, element: &str, text: &str) -> Result<()> {
        self.cmd(
            reqwest::Method::POST,
            &format!("/element/{element}/value"),
            Some(json!({ "text": text })),
        )
        .await?;
        Ok(())
    }

    /// Runs `script` in the page as an asynchronous WebDriver script: it ends by calling its
    /// last argument (the callback) with the result.
    pub async fn execute_async(&self, script: &str, args: Vec<Value>) -> Result<Value> {
        self.cmd(
            reqwest::Method::POST,
            "/execute/async",
            Some(json!({ "script": script, "args": args })),
        )
        .await
    }

    /// Runs `script` in the page as a synchronous WebDriver script; returns what it returns.
    pub async fn execute(&self, script: &str, args: Vec<Value>) -> Result<Value> {
        self.cmd(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({ "script": script, "args": args })),
        )
        .await
    }

    /// How long a script may run before the driver gives up on it.
    pub async fn set_script_timeout(&self, timeout: Duration) -> Result<()> {
        let ms = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
        self.cmd(
            reqwest::Method::POST,
            "/timeouts",
            Some(json!({ "script": ms })),
        )
        .await?;
        Ok(())
    }

    /// A PNG of the window.
    /// The window as it is now, as PNG.
    ///
    /// Loopdesk draws without accelerated compositing (src-tauri/src/main.rs), and then
    /// WebKitWebDriver answers a screenshot only at the window's next paint: a still screen
    /// (the Reception clock draws once a minute) would not answer before the request timed out.
    /// So the page is first given paints that change no pixel: a transparent outline put on and
    /// taken off every 100 ms for 5 s, the screenshot being taken at one of them.
    pub async fn screenshot(&self) -> Result<Vec<u8>> {
        use base64::Engine;
        self.execute(PAINTS_SCRIPT, vec![]).await?;
        let v = self.cmd(reqwest::Method::GET, "/screenshot", None).await?;
        base64::engine::general_purpose::STANDARD
            .decode(v.as_str().unwrap_or_default())
            .map_err(|e| WebDriverError::Protocol {
                error: "bad screenshot".into(),
                message: e.to_string(),
            })
    }

    pub async fn close(&self) -> Result<()> {
        self.cmd(reqwest::Method::DELETE, "", None).await?;
        Ok(())
    }
}

async fn send(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    body: Option<Value>,
) -> Result<Value> {
    let mut req = http.request(method, url);
    if let Some(body) = body {
        req = req.json(&body);
    }
    let res = req.send().await?;
    let v: Value = res.json().await?;
    let value = v.get("value").cloned().unwrap_or(Value::Null);
    if let Some(error) = value.get("error").and_then(Value::as_str) {
        return Err(WebDriverError::Protocol {
            error: error.to_owned(),
            message: value["message"].as_str().unwrap_or_default().to_owned(),
        });
    }
    Ok(value)
}

/// Paints that change no pixel, for [`Session::screenshot`]: every 100 ms for 5 s (a repeat
/// restarts the count).
const PAINTS_SCRIPT: &str = "clearInterval(window.__loopdeskPaints);
    const root = document.documentElement.style;
    let left = 50;
    window.__loopdeskPaints = setInterval(() => {
      if (root.outline) root.removeProperty('outline');
      else root.setProperty('outline', '1px solid transparent');
      if (--left <= 0) {
        clearInterval(window.__loopdeskPaints);
        root.removeProperty('outline');
      }
    }, 100);
    return null;";
