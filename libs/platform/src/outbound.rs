//! Requests to URLs that callers give us (channel webhooks today; supplier
//! and carrier endpoints later) go through one guarded client, so a caller
//! cannot point us at our own network (server-side request forgery):
//!
//! - no redirects: a 3xx is the receiver's answer, never followed;
//! - https only, plain http only to loopback when loopback is allowed;
//! - loopback, private, link-local (cloud metadata at 169.254.169.254),
//!   carrier-grade NAT, multicast, reserved and unspecified addresses are
//!   refused, as literals in the URL and after DNS resolution. The guard sits
//!   in the client's resolver, so the address checked is the address
//!   connected to: a name that resolves to a public address when registered
//!   and to an internal one later (DNS rebinding) is refused at connect time.
//!
//! `outbound.allow_loopback` lets local development and tests call receivers
//! on 127.0.0.1 / ::1; nothing else internal is ever allowed.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::{Method, RequestBuilder, Url};

use crate::config::OutboundSettings;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutboundError {
    #[error("is not a URL: {0}")]
    NotAUrl(String),
    #[error("must be https (plain http only to loopback in development)")]
    Scheme,
    #[error("must not carry a user name or password")]
    Credentials,
    #[error("must not point at a loopback, private, link-local or reserved address ({0})")]
    Internal(IpAddr),
}

/// The addresses outbound requests may reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub allow_loopback: bool,
}

impl From<&OutboundSettings> for Policy {
    fn from(settings: &OutboundSettings) -> Self {
        Self {
            allow_loopback: settings.allow_loopback,
        }
    }
}

impl Policy {
    /// Whether a request may connect to `ip`.
    pub fn allows(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        if ip.is_loopback() {
            return self.allow_loopback;
        }
        !is_internal(ip)
    }

    /// Checks a URL before it is stored or called: scheme, credentials, and
    /// the host when it is an address literal (names are checked when they
    /// resolve, at connect time).
    pub fn check_url(&self, url: &str) -> Result<Url, OutboundError> {
        let parsed = Url::parse(url).map_err(|e| OutboundError::NotAUrl(e.to_string()))?;
        if !matches!(parsed.scheme(), "https" | "http") {
            return Err(OutboundError::Scheme);
        }
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(OutboundError::Credentials);
        }
        let literal = match parsed.host() {
            Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
            Some(url::Host::Domain(_)) => None,
            None => return Err(OutboundError::NotAUrl("no host".into())),
        };
        let loopback_host = match literal {
            Some(ip) => canonical(ip).is_loopback(),
            None => parsed
                .host_str()
                .is_some_and(|h| h.eq_ignore_ascii_case("localhost")),
        };
        match parsed.scheme() {
            "https" => {}
            "http" if self.allow_loopback && loopback_host => {}
            _ => return Err(OutboundError::Scheme),
        }
        if let Some(ip) = literal
            && !self.allows(ip)
        {
            return Err(OutboundError::Internal(ip));
        }
        Ok(parsed)
    }
}

/// `::ffff:10.0.0.1` and `64:ff9b::a00:1` are IPv4 addresses in IPv6 dress.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
                    IpAddr::V4(Ipv4Addr::new(
                        (s[6] >> 8) as u8,
                        s[6] as u8,
                        (s[7] >> 8) as u8,
                        s[7] as u8,
                    ))
                } else {
                    IpAddr::V6(v6)
                }
            }
        },
        v4 => v4,
    }
}

fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => internal_v4(v4),
        IpAddr::V6(v6) => internal_v6(v6),
    }
}

fn internal_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || a == 0 // "this network"
        || (a == 100 && (64..128).contains(&b)) // carrier-grade NAT
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240 // reserved
}

fn internal_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local (fd00:ec2::254 is AWS metadata)
        || (first & 0xffc0) == 0xfe80 // link-local
        || (first & 0xffc0) == 0xfec0 // site-local (deprecated, still routed internally)
        || ip.to_ipv4().is_some_and(internal_v4) // IPv4-compatible ::a.b.c.d
}

/// Resolves names with the system resolver and keeps only addresses the
/// policy allows; a name with none left fails to connect.
struct GuardedResolver {
    policy: Policy,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy;
        let host = name.as_str().to_string();
        Box::pin(async move {
            let resolved: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = resolved
                .iter()
                .copied()
                .filter(|addr| policy.allows(addr.ip()))
                .collect();
            if allowed.is_empty() {
                let refused = resolved
                    .first()
                    .map(|a| a.ip().to_string())
                    .unwrap_or_else(|| "no address".into());
                return Err(format!(
                    "{host} resolves only to addresses outbound requests may not reach ({refused})"
                )
                .into());
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

/// The one HTTP client for caller-supplied URLs.
#[derive(Clone)]
pub struct OutboundClient {
    client: reqwest::Client,
    policy: Policy,
}

impl OutboundClient {
    pub fn new(policy: Policy, user_agent: &str, timeout: Duration) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .user_agent(user_agent)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .dns_resolver(Arc::new(GuardedResolver { policy }))
            .build()?;
        Ok(Self { client, policy })
    }

    pub fn policy(&self) -> Policy {
        self.policy
    }

    /// A request to `url`, or why it may not be made.
    pub fn request(&self, method: Method, url: &str) -> Result<RequestBuilder, OutboundError> {
        let url = self.policy.check_url(url)?;
        Ok(self.client.request(method, url))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STRICT: Policy = Policy {
        allow_loopback: false,
    };
    const DEV: Policy = Policy {
        allow_loopback: true,
    };

    #[test]
    fn internal_literals_are_refused() {
        for url in [
            "https://127.0.0.1/hook",
            "https://[::1]/hook",
            "https://10.1.2.3/hook",
            "https://172.16.0.1/hook",
            "https://192.168.1.1/hook",
            "https://169.254.169.254/latest/meta-data/",
            "https://100.64.0.1/hook",
            "https://0.0.0.0/hook",
            "https://[fd00:ec2::254]/hook",
            "https://[fe80::1]/hook",
            "https://[::ffff:10.0.0.1]/hook",
            "https://[64:ff9b::a9fe:a9fe]/hook",
            "https://224.0.0.1/hook",
            "https://255.255.255.255/hook",
        ] {
            assert!(
                matches!(STRICT.check_url(url), Err(OutboundError::Internal(_))),
                "{url}"
            );
        }
        // Decimal and hex spellings are normalized by the URL parser first.
        assert!(matches!(
            STRICT.check_url("https://2130706433/"),
            Err(OutboundError::Internal(_))
        ));
        assert!(matches!(
            STRICT.check_url("https://0x7f.1/"),
            Err(OutboundError::Internal(_))
        ));
    }

    #[test]
    fn public_https_passes_and_other_schemes_do_not() {
        assert!(
            STRICT
                .check_url("https://hooks.example.com/crossdock")
                .is_ok()
        );
        assert!(STRICT.check_url("https://93.184.215.14/hook").is_ok());
        assert_eq!(
            STRICT.check_url("http://hooks.example.com/"),
            Err(OutboundError::Scheme)
        );
        assert_eq!(
            STRICT.check_url("file:///etc/passwd"),
            Err(OutboundError::Scheme)
        );
        assert_eq!(
            STRICT.check_url("https://user:pw@hooks.example.com/"),
            Err(OutboundError::Credentials)
        );
        assert!(matches!(
            STRICT.check_url("not a url"),
            Err(OutboundError::NotAUrl(_))
        ));
    }

    #[test]
    fn loopback_only_when_development_allows_it() {
        assert_eq!(
            STRICT.check_url("http://127.0.0.1:9000/hook"),
            Err(OutboundError::Scheme)
        );
        assert!(DEV.check_url("http://127.0.0.1:9000/hook").is_ok());
        assert!(DEV.check_url("http://localhost:9000/hook").is_ok());
        assert!(DEV.check_url("https://[::1]:9000/hook").is_ok());
        // Development allows loopback, nothing else internal.
        assert!(matches!(
            DEV.check_url("https://10.0.0.1/hook"),
            Err(OutboundError::Internal(_))
        ));
        assert_eq!(
            DEV.check_url("http://10.0.0.1/hook"),
            Err(OutboundError::Scheme)
        );
    }

    #[tokio::test]
    async fn names_are_checked_after_resolution() {
        // localhost resolves to loopback: refused at connect time unless allowed.
        let strict = GuardedResolver { policy: STRICT };
        let name: Name = "localhost".parse().unwrap();
        assert!(strict.resolve(name).await.is_err());
        let dev = GuardedResolver { policy: DEV };
        let addrs: Vec<SocketAddr> = dev
            .resolve("localhost".parse().unwrap())
            .await
            .unwrap()
            .collect();
        assert!(!addrs.is_empty() && addrs.iter().all(|a| a.ip().is_loopback()));
    }
}
