//! What counts as a server address a secret may be sent to: `https://`, or plain `http://` only
//! to this computer (127.0.0.0/8, `::1`, `localhost`: the demo and tests). Anything else is
//! refused with words that say what to type. Secrets are bound to the address they were entered
//! for (see the desk's and the alerts' settings): a changed address never receives them.

use std::net::IpAddr;

use reqwest::Url;

/// Why an address cannot be used, in words for the field it was typed in.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BadAddress(pub String);

/// A checked address: scheme, host, port and path (made to end in `/`), no credentials, query
/// or fragment.
///
/// `what` names the service in messages ("the CareLoop", "the alert bridge") and `example` is
/// an address of the right kind to show.
pub fn check(input: &str, what: &str, example: &str) -> Result<Url, BadAddress> {
    let trimmed = input.trim();
    let enter = || format!("Enter {what} address, like {example}");
    if trimmed.is_empty() {
        return Err(BadAddress(enter()));
    }
    let mut url = Url::parse(trimmed).map_err(|_| BadAddress(enter()))?;
    let Some(host) = url.host_str().map(str::to_owned) else {
        return Err(BadAddress(enter()));
    };
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&host) => {}
        "http" => {
            return Err(BadAddress(format!(
                "Use an https:// address: a plain http:// address is only allowed for this \
                 computer (127.0.0.1 or localhost). For example {example}"
            )))
        }
        _ => return Err(BadAddress(enter())),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(BadAddress(
            "Leave user names and passwords out of the address".into(),
        ));
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    url.set_query(None);
    url.set_fragment(None);
    Ok(url)
}

/// The address as stored in settings: no trailing slash.
pub fn display(url: &Url) -> String {
    url.as_str().trim_end_matches('/').to_owned()
}

/// This computer: `localhost`, 127.0.0.0/8 or `::1` (the host as `Url` gives it, IPv6 in
/// brackets).
fn is_loopback(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
        .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[rstest::rstest]
    #[case::https("https://api.careloop.com", "https://api.careloop.com/")]
    #[case::https_with_path(
        " https://api.example.org/careloop ",
        "https://api.example.org/careloop/"
    )]
    #[case::loopback_v4("http://127.0.0.1:8787", "http://127.0.0.1:8787/")]
    #[case::loopback_range("http://127.8.9.1:1/x?y=1#z", "http://127.8.9.1:1/x/")]
    #[case::loopback_v6("http://[::1]:9", "http://[::1]:9/")]
    #[case::localhost("http://localhost:1420", "http://localhost:1420/")]
    #[case::localhost_upper("http://LOCALHOST", "http://localhost/")]
    fn usable_addresses(#[case] input: &str, #[case] want: &str) {
        assert_eq!(
            check(input, "the CareLoop", "https://x").unwrap().as_str(),
            want
        );
    }

    #[rstest::rstest]
    #[case::plain_http_remote("http://api.careloop.com", "https://")]
    #[case::plain_http_private("http://10.0.0.1", "https://")]
    #[case::plain_http_lookalike("http://localhost.evil.example", "https://")]
    #[case::plain_http_v4_mapped("http://[::ffff:8.8.8.8]", "https://")]
    #[case::not_a_url("api.careloop.com", "Enter the CareLoop address, like https://x")]
    #[case::empty("  ", "Enter the CareLoop address, like https://x")]
    #[case::ftp("ftp://api.careloop.com", "Enter the CareLoop address, like https://x")]
    #[case::credentials("https://u:p@api.careloop.com", "user names and passwords")]
    fn refused_addresses_say_what_to_type(#[case] input: &str, #[case] says: &str) {
        let e = check(input, "the CareLoop", "https://x").unwrap_err();
        assert!(e.0.contains(says), "{input}: {e}");
        assert!(!e.0.contains("relative URL"), "no library words: {e}");
    }
}
