//! A real local AWS API (moto's server, from PyPI) on a loopback port, for the Secrets Manager and
//! rate-limit table tests.
//! The SDK gets dummy credentials, a region and `AWS_EC2_METADATA_DISABLED`, so it never leaves this machine.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use okta_lifecycle::connection::aws_trust::AwsTrust;
use okta_lifecycle::okta::rate_limit_table::RateLimitTable;

#[derive(Debug)]
pub struct Moto {
    child: Child,
    pub endpoint: String,
}

impl Moto {
    /// Starts `moto_server` (from `$MOTO_SERVER`, the repo's `.venv`, or PATH) on a free port.
    pub fn start() -> Moto {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let program = std::env::var("MOTO_SERVER").unwrap_or_else(|_| {
            let venv = crate::repo_path(".venv/bin/moto_server");
            if venv.exists() {
                venv.to_string_lossy().into_owned()
            } else {
                "moto_server".to_owned()
            }
        });
        let child = Command::new(&program)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|error| {
                panic!("cannot start {program} (install moto[server]): {error}")
            });
        let endpoint = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "moto_server did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Moto { child, endpoint }
    }

    /// The SDK configuration for this server, as the functions build theirs: their HTTPS client (the SDK's connector
    /// with the roots a deployed function trusts, Amazon Trust Services', parsed at the first request even over plain
    /// HTTP), so that these tests cover it.
    pub async fn sdk_config(&self) -> aws_config::SdkConfig {
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .http_client(okta_lifecycle::connection::aws_sdk::http_client(
                AwsTrust::AmazonTrustServices,
            ))
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_secretsmanager::config::Credentials::new(
                "testing", "testing", None, None, "tests",
            ))
            .endpoint_url(&self.endpoint)
            .load()
            .await
    }

    /// A Secrets Manager client for this server.
    pub async fn secrets_client(&self) -> aws_sdk_secretsmanager::Client {
        aws_sdk_secretsmanager::Client::new(&self.sdk_config().await)
    }

    /// Creates the rate-limit table as the template declares it (key `org`, on demand) and returns a client of it
    /// as the functions build theirs.
    pub async fn rate_limit_table(&self, name: &str) -> RateLimitTable {
        let config = self.sdk_config().await;
        let dynamodb = aws_sdk_dynamodb::Client::new(&config);
        dynamodb
            .create_table()
            .table_name(name)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name("org")
                    .attribute_type(ScalarAttributeType::S)
                    .build()
                    .unwrap(),
            )
            .key_schema(
                KeySchemaElement::builder()
                    .attribute_name("org")
                    .key_type(KeyType::Hash)
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
        RateLimitTable::from_config(&config, name.to_owned())
    }

    /// Another process's client of the rate-limit table `name`.
    pub async fn rate_limit_table_client(&self, name: &str) -> RateLimitTable {
        RateLimitTable::from_config(&self.sdk_config().await, name.to_owned())
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
