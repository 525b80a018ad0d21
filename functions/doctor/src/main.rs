//! Lambda function `doctor`: the read-only connection check of `make doctor`, with the deployed secret; all of it
//! lives in the shared crate (`okta_lifecycle::doctor`).

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    okta_lifecycle::lambda::run_doctor().await
}
