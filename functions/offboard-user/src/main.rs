//! Lambda function `offboard-user`: all behaviour lives in the shared crate; this binary only names its action.

use okta_lifecycle::Action;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    okta_lifecycle::lambda::run(Action::OffboardUser).await
}
