//! The address guard: webhooks go to `http`/`https` URLs on public addresses only, unless
//! private targets are allowed (intranets, tests). Checked when an endpoint is saved and
//! again at every connection, through the resolver the HTTP client uses (DNS can change).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Longest URL accepted for an endpoint.
pub const MAX_URL_LENGTH: usize = 2048;

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum GuardError {
    #[error("`{0}` is not a valid URL")]
    Malformed(String),
    #[error("only http and https URLs are allowed, not `{0}`")]
    Scheme(String),
    #[error("the URL has no host")]
    NoHost,
    #[error("the URL may not carry credentials")]
    Credentials,
    #[error("the URL is longer than {MAX_URL_LENGTH} characters")]
    TooLong,
    #[error(
        "{0} is a loopback, private, link-local or otherwise non-public address \
         (allowed only when gnlc runs with --webhook-allow-private-targets, for development \
         and intranets)"
    )]
    Forbidden(IpAddr),
}

/// Whether an address is one webhooks may not reach by default.
pub fn is_forbidden(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_forbidden_v4(v4),
        IpAddr::V6(v6) => is_forbidden_v6(v6),
    }
}

fn is_forbidden_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_documentation()
        || a == 0 // "this network"
        || (a == 100 && (64..128).contains(&b)) // carrier-grade NAT, 100.64.0.0/10
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments, 192.0.0.0/24
        || (a == 198 && (b == 18 || b == 19)) // benchmarking, 198.18.0.0/15
        || a >= 240 // reserved, 240.0.0.0/4
}

fn is_forbidden_v6(ip: Ipv6Addr) -> bool {
    match embedded_v4(ip) {
        // The address stands for an IPv4 address: it is what that one is.
        Some(Embedded::Translated(v4)) => return is_forbidden_v4(v4),
        // A tunnel reaches the address through IPv4 ones: any forbidden one is refused.
        Some(Embedded::Tunnelled(through)) if through.into_iter().any(is_forbidden_v4) => {
            return true;
        }
        Some(Embedded::Tunnelled(_)) | None => {}
    }
    let s = ip.segments();
    let first = s[0];
    ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local, fc00::/7
        || (first & 0xffc0) == 0xfe80 // link-local, fe80::/10
        || (first & 0xffc0) == 0xfec0 // site-local (deprecated), fec0::/10
        || (first == 0x2001 && s[1] == 0x0db8) // documentation, 2001:db8::/32
        || (first & 0xfff0) == 0x3ff0 // documentation, 3fff::/20
        || (first == 0x2001 && s[1] == 0x0002 && s[2] == 0) // benchmarking, 2001:2::/48
        || (first == 0x0100 && s[1..4] == [0, 0, 0]) // discard-only, 100::/64
        // Local-use IPv4/IPv6 translation, 64:ff9b:1::/48 (RFC 8215): not globally
        // reachable, and where the IPv4 address sits depends on the local translator.
        || (first == 0x0064 && s[1] == 0xff9b && s[2] == 0x0001)
}

/// How an IPv6 address carries IPv4 addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Embedded {
    /// The IPv6 address is another spelling of this IPv4 address, or is translated to it:
    /// IPv4-mapped `::ffff:a.b.c.d`, IPv4-compatible `::a.b.c.d`, SIIT's IPv4-translated
    /// `::ffff:0:a.b.c.d`, NAT64's well-known prefix `64:ff9b::a.b.c.d`.
    Translated(Ipv4Addr),
    /// Packets to it travel over IPv4 through these addresses: 6to4 (`2002:AABB:CCDD::/48`,
    /// its relay) or Teredo (`2001:0:SSSS:SSSS:…`, its server, and its client's address
    /// inverted in the last 32 bits).
    Tunnelled([Ipv4Addr; 2]),
}

fn v4(high: u16, low: u16) -> Ipv4Addr {
    Ipv4Addr::from((u32::from(high) << 16) | u32::from(low))
}

/// The IPv4 addresses an IPv6 address carries, by the form it has.
fn embedded_v4(ip: Ipv6Addr) -> Option<Embedded> {
    let s = ip.segments();
    let tail = v4(s[6], s[7]);
    match s {
        [0, 0, 0, 0, 0, 0xffff, ..] => Some(Embedded::Translated(tail)),
        [0, 0, 0, 0, 0xffff, 0, ..] => Some(Embedded::Translated(tail)),
        [0, 0, 0, 0, 0, 0, ..] if !ip.is_loopback() && !ip.is_unspecified() => {
            Some(Embedded::Translated(tail))
        }
        [0x64, 0xff9b, 0, 0, 0, 0, ..] => Some(Embedded::Translated(tail)),
        [0x2002, high, low, ..] => Some(Embedded::Tunnelled([v4(high, low); 2])),
        [0x2001, 0, high, low, ..] => Some(Embedded::Tunnelled([
            v4(high, low),
            Ipv4Addr::from(!u32::from(tail)),
        ])),
        _ => None,
    }
}

/// Checks a URL's form and, when its host is an IP address, the address itself.
pub fn check_url(url: &str, allow_private: bool) -> Result<Url, GuardError> {
    if url.len() > MAX_URL_LENGTH {
        return Err(GuardError::TooLong);
    }
    let parsed = Url::parse(url).map_err(|_| GuardError::Malformed(url.to_owned()))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(GuardError::Scheme(parsed.scheme().to_owned()));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(GuardError::Credentials);
    }
    match parsed.host() {
        None => return Err(GuardError::NoHost),
        Some(url::Host::Ipv4(ip)) => check_ip(IpAddr::V4(ip), allow_private)?,
        Some(url::Host::Ipv6(ip)) => check_ip(IpAddr::V6(ip), allow_private)?,
        Some(url::Host::Domain(_)) => {}
    }
    Ok(parsed)
}

fn check_ip(ip: IpAddr, allow_private: bool) -> Result<(), GuardError> {
    if !allow_private && is_forbidden(ip) {
        return Err(GuardError::Forbidden(ip));
    }
    Ok(())
}

/// Checks every address a URL's host resolves to now. A host that does not resolve yet
/// passes: the resolver checks again when a delivery connects.
pub async fn check_resolved(url: &Url, allow_private: bool) -> Result<(), GuardError> {
    if allow_private {
        return Ok(());
    }
    if let Some(url::Host::Domain(host)) = url.host() {
        let port = url.port_or_known_default().unwrap_or(443);
        if let Ok(addresses) = tokio::net::lookup_host((host, port)).await {
            for address in addresses {
                check_ip(address.ip(), false)?;
            }
        }
    }
    Ok(())
}

/// The HTTP client's resolver: drops forbidden addresses, and fails when none is left.
/// The proxy deliveries go through, when one is set, is trusted whatever its address.
#[derive(Debug, Clone)]
pub struct GuardedResolver {
    pub allow_private: bool,
    pub proxy_host: Option<String>,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        let allow_private = self.allow_private
            || self
                .proxy_host
                .as_deref()
                .is_some_and(|proxy| proxy.eq_ignore_ascii_case(&host));
        Box::pin(async move {
            let resolved: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = resolved
                .iter()
                .copied()
                .filter(|a| allow_private || !is_forbidden(a.ip()))
                .collect();
            if allowed.is_empty() {
                let refused = resolved
                    .first()
                    .map(|a| a.ip())
                    .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
                return Err(Box::new(GuardError::Forbidden(refused))
                    as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

impl GuardedResolver {
    pub fn shared(allow_private: bool, proxy_host: Option<String>) -> Arc<Self> {
        Arc::new(Self {
            allow_private,
            proxy_host,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forbidden(ip: &str) -> bool {
        is_forbidden(ip.parse().unwrap())
    }

    #[test]
    fn non_public_addresses_are_forbidden() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "240.0.0.1",
            "192.0.2.1",
            "198.18.0.1",
            "::1",
            "::",
            "fe80::1",
            "fc00::1",
            "fd12:3456::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2001:db8::1",
        ] {
            assert!(forbidden(ip), "{ip} should be forbidden");
        }
        for ip in [
            "8.8.8.8",
            "1.1.1.1",
            "2606:4700:4700::1111",
            "::ffff:8.8.8.8",
            "100.128.0.1",
        ] {
            assert!(!forbidden(ip), "{ip} should be allowed");
        }
    }

    #[test]
    fn ipv6_forms_embedding_ipv4_are_judged_by_the_ipv4_addresses() {
        for ip in [
            // NAT64, the well-known prefix 64:ff9b::/96
            "64:ff9b::127.0.0.1",
            "64:ff9b::10.0.0.1",
            "64:ff9b::192.168.1.1",
            // NAT64, local use (64:ff9b:1::/48), whatever it carries
            "64:ff9b:1::7f00:1",
            "64:ff9b:1:0:0:0:808:808",
            "64:ff9b:1:abcd::1",
            // 6to4, 2002::/16: the relay's IPv4 address in bits 16-47
            "2002:7f00:1::1",
            "2002:a00:1::",
            "2002:c0a8:101::1",
            "2002:a9fe:a9fe::1",
            "2002::1",
            // SIIT's IPv4-translated addresses, ::ffff:0:0:0/96
            "::ffff:0:127.0.0.1",
            "::ffff:0:10.0.0.1",
            "::ffff:0:169.254.169.254",
            // Teredo, 2001::/32: a private server (bits 32-63) ...
            "2001:0:a00:1::fefe:fefe",
            "2001:0:7f00:1::fefe:fefe",
            // ... or a client (the last 32 bits, inverted) on loopback or a private network
            "2001:0:808:808::80ff:fffe",
            "2001:0:808:808::f5ff:fffe",
            "2001:0:808:808::3f57:fefe",
        ] {
            assert!(forbidden(ip), "{ip} should be forbidden");
            let url = format!("http://[{ip}]/hooks");
            assert!(
                matches!(check_url(&url, false), Err(GuardError::Forbidden(_))),
                "{url} should be refused"
            );
        }
        for ip in [
            "64:ff9b::8.8.8.8",
            "2002:808:808::1",
            "::ffff:0:8.8.8.8",
            // Teredo with server 8.8.8.8 and client 1.1.1.1
            "2001:0:808:808::fefe:fefe",
        ] {
            assert!(!forbidden(ip), "{ip} should be allowed");
        }
    }

    #[test]
    fn a_refusal_names_the_flag_that_allows_private_targets() {
        let refused = check_url("http://10.0.0.1/", false)
            .unwrap_err()
            .to_string();
        assert!(
            refused.contains("--webhook-allow-private-targets"),
            "{refused}"
        );
    }

    #[test]
    fn urls_are_checked_for_scheme_host_and_literal_addresses() {
        assert!(check_url("https://partner.example/hooks", false).is_ok());
        assert_eq!(
            check_url("ftp://x.example/", false),
            Err(GuardError::Scheme("ftp".into()))
        );
        assert!(matches!(
            check_url("not a url", false),
            Err(GuardError::Malformed(_))
        ));
        assert!(matches!(
            check_url("http://127.0.0.1:9/", false),
            Err(GuardError::Forbidden(_))
        ));
        assert!(matches!(
            check_url("http://[::ffff:7f00:1]/", false),
            Err(GuardError::Forbidden(_))
        ));
        assert!(check_url("http://127.0.0.1:9/", true).is_ok());
        assert_eq!(
            check_url("https://user:pw@x.example/", false),
            Err(GuardError::Credentials)
        );
    }

    #[tokio::test]
    async fn names_resolving_to_loopback_are_refused_unless_allowed() {
        let url = Url::parse("http://localhost:9/").unwrap();
        assert!(matches!(
            check_resolved(&url, false).await,
            Err(GuardError::Forbidden(_))
        ));
        assert!(check_resolved(&url, true).await.is_ok());
    }
}
