//! `cargo bench --bench startup` (or `make bench`): the plugin's own overheads as
//! Terraform meets them. Prints numbers; asserts nothing (machines here are shared).
//!
//! - cold start: process spawn to the go-plugin handshake line, median of 25 runs
//! - GetProviderSchema round trip over loopback gRPC, median of 200 calls
//! - idle RSS after serving the schema
//! - size of the (stripped) release binary

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tfplugin::proto::tfplugin6 as pb;

const BIN: &str = env!("CARGO_BIN_EXE_terraform-provider-bluegreen");
const COOKIE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

fn spawn() -> (std::process::Child, String, Duration) {
    let started = Instant::now();
    let mut child = Command::new(BIN)
        .env("TF_PLUGIN_MAGIC_COOKIE", COOKIE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "5,6")
        .env_remove("PLUGIN_CLIENT_CERT")
        .env_remove("TF_LOG")
        .env_remove("TF_LOG_PROVIDER")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn provider");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let elapsed = started.elapsed();
    let addr = line.split('|').nth(3).expect("handshake address").to_string();
    (child, addr, elapsed)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

fn main() {
    let mut starts = Vec::new();
    for _ in 0..25 {
        let (mut child, _, t) = spawn();
        starts.push(t);
        let _ = child.kill();
        let _ = child.wait();
    }
    let (mut child, addr, _) = spawn();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let (schema_rtt, rss) = rt.block_on(async {
        let ch = tonic::transport::Endpoint::from_shared(format!("http://{addr}")).unwrap().connect().await.unwrap();
        let mut c = pb::provider_client::ProviderClient::new(ch);
        let mut times = Vec::new();
        for _ in 0..200 {
            let t = Instant::now();
            c.get_provider_schema(pb::get_provider_schema::Request {}).await.unwrap();
            times.push(t.elapsed());
        }
        (median(times), rss_kib(child.id()))
    });
    let _ = child.kill();
    let _ = child.wait();
    let size = std::fs::metadata(BIN).map(|m| m.len()).unwrap_or(0);
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!("| figure | value | target |");
    println!("|---|---|---|");
    println!("| cold start to handshake (median of 25) | {:.2} ms | <= 10 ms |", ms(median(starts)));
    println!("| GetProviderSchema round trip (median of 200) | {:.3} ms | <= 1 ms |", ms(schema_rtt));
    println!("| idle RSS after serving the schema | {:.1} MiB | <= 25 MiB |", rss as f64 / 1024.0);
    println!(
        "| binary size ({}) | {:.1} MiB | <= 30 MiB |",
        if BIN.contains("/release/") { "release, stripped" } else { "debug" },
        size as f64 / 1048576.0
    );
}
