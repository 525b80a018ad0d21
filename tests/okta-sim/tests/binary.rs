//! The binary: readiness line, token from the environment, loopback-only.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[test]
fn prints_ready_line_and_serves() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_okta-sim"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--seed",
            concat!(env!("CARGO_MANIFEST_DIR"), "/sample-org.json"),
        ])
        .env("OKTA_SIM_TOKEN", "bin-token")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("okta-sim listening on ")
        .expect(&line)
        .to_string();
    assert!(url.starts_with("http://127.0.0.1:"));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let status = rt.block_on(async {
        reqwest::Client::new()
            .get(format!("{url}/api/v1/users/jane.doe"))
            .header("Authorization", "SSWS bin-token")
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    });
    child.kill().unwrap();
    let _ = child.wait();
    assert_eq!(status, 200);
}

#[test]
fn refuses_non_loopback() {
    let out = Command::new(env!("CARGO_BIN_EXE_okta-sim"))
        .args(["--listen", "0.0.0.0:0", "--token", "x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
}
