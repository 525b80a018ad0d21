//! Lambda function `flow-step`: the flows' decisions (admit, plan, report); all behaviour lives in the shared
//! crate (`okta_lifecycle::flows`), this binary only names its entry point.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    okta_lifecycle::lambda::run_flow_steps().await
}
