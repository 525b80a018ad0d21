//! `okta-sim` binary: serves a seed file on a loopback address until SIGTERM/SIGINT.

use std::net::SocketAddr;
use std::process::ExitCode;

use clap::Parser;
use okta_sim::{LimitsConfig, Seed, Simulator};

#[derive(Debug, Parser)]
#[command(
    name = "okta-sim",
    about = "Stateful in-memory Okta org for tests and the local demo"
)]
struct Args {
    /// Loopback address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Seed file (JSON); without it the org only has the Everyone group.
    #[arg(long)]
    seed: Option<std::path::PathBuf>,
    /// API token clients must send as `Authorization: SSWS <token>`. Prefer the environment
    /// variable, which doesn't show in `ps`.
    #[arg(long, env = "OKTA_SIM_TOKEN", hide_env_values = true)]
    token: String,
    /// Enforce Okta's rate-limit buckets, each client's share of them and the concurrency cap (see README, "Okta's limits").
    #[arg(long)]
    okta_limits: bool,
    /// With --okta-limits: how much faster than real time the simulator's clock runs.
    #[arg(long, default_value_t = 1.0)]
    time_scale: f64,
    /// With --okta-limits: fraction (0 to 1) of every bucket another integration consumes.
    #[arg(long, default_value_t = 0.0)]
    background_load: f64,
    /// With --okta-limits: concurrent requests before a 429.
    #[arg(long, default_value_t = 75)]
    concurrency_limit: u32,
    /// With --okta-limits: real milliseconds each request spends in flight.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// With --okta-limits: percent of each bucket one API token or service app may use (Okta's default: 50).
    #[arg(long, default_value_t = 50)]
    client_share_percent: u32,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    if !args.listen.ip().is_loopback() {
        eprintln!(
            "okta-sim: refusing to listen on {}: only loopback addresses are allowed",
            args.listen
        );
        return ExitCode::from(2);
    }
    let seed = match &args.seed {
        Some(p) => match Seed::from_file(p) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("okta-sim: cannot read seed {}: {e}", p.display());
                return ExitCode::from(2);
            }
        },
        None => Seed::empty(),
    };
    let sim = match Simulator::start_on(args.listen, seed, &args.token).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("okta-sim: cannot start: {e}");
            return ExitCode::from(1);
        }
    };
    if args.okta_limits {
        sim.set_okta_limits(Some(LimitsConfig {
            time_scale: args.time_scale,
            background_load: args.background_load,
            concurrency_limit: args.concurrency_limit,
            latency_ms: args.latency_ms,
            client_share_percent: args.client_share_percent,
            ..LimitsConfig::default()
        }));
    }
    // Tests wait for exactly this line on stdout.
    #[allow(clippy::print_stdout)]
    {
        println!("okta-sim listening on {}", sim.url());
    }
    shutdown_signal().await;
    drop(sim);
    ExitCode::SUCCESS
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            (Ok(mut term), Ok(mut int)) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = int.recv() => {}
                }
            }
            _ => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
