//! Mints a local development token: `make token ROLE=ops` or `make token CHANNEL=amazon-de`.
//! Reads the HS256 secret from `CROSSDOCK_DEV_SECRET` (the local stack writes it to
//! `.stack/dev-secret`); never use it against production.

use std::time::Duration;

use clap::Parser;
use platform::auth::{Role, TokenRequest, mint_hs256};

#[derive(Parser)]
#[command(about = "Mint a Crossdock development JWT (HS256)")]
struct Args {
    /// Roles, comma-separated: admin, ops, warehouse, buyer, finance, support.
    #[arg(long, value_delimiter = ',')]
    role: Vec<String>,
    /// Make a channel token acting for this channel id.
    #[arg(long)]
    channel: Option<String>,
    /// Token subject.
    #[arg(long, default_value = "developer")]
    subject: String,
    /// Lifetime in hours.
    #[arg(long, default_value_t = 12)]
    hours: u64,
    #[arg(long, env = "CROSSDOCK_DEV_SECRET", hide_env_values = true)]
    secret: String,
    #[arg(long, default_value = "crossdock")]
    issuer: String,
    #[arg(long, default_value = "crossdock")]
    audience: String,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let roles: Vec<Role> = args
        .role
        .iter()
        .filter(|r| !r.is_empty())
        .map(|r| r.parse().map_err(anyhow::Error::msg))
        .collect::<anyhow::Result<_>>()?;
    let channel = args
        .channel
        .as_deref()
        .filter(|c| !c.is_empty())
        .map(|c| c.parse().map_err(|e| anyhow::anyhow!("--channel: {e}")))
        .transpose()?;
    if roles.is_empty() && channel.is_none() {
        anyhow::bail!("give --role (e.g. ops) or --channel (e.g. amazon-de)");
    }
    let token = mint_hs256(
        &args.secret,
        &args.issuer,
        &args.audience,
        TokenRequest {
            subject: &args.subject,
            roles: &roles,
            channel,
            ttl: Duration::from_secs(args.hours * 3600),
        },
    )?;
    println!("{token}");
    Ok(())
}
