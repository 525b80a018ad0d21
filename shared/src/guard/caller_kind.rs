//! Who called, as far as the guardrails care: the entry point recognises the caller (`lambda/caller.rs`), the
//! guardrails decide what each kind of caller may send (`guard.rs`), the answer and the audit record name it.

/// The kind of caller, for the answer's shape and the audit record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallerKind {
    StepFunctions,
    ApiGatewayV2,
    ApiGatewayV1,
    EventBridge,
    Direct,
}

impl CallerKind {
    pub fn audit_name(self) -> &'static str {
        match self {
            CallerKind::StepFunctions => "stepfunctions",
            CallerKind::ApiGatewayV1 | CallerKind::ApiGatewayV2 => "apigateway",
            CallerKind::EventBridge => "eventbridge",
            CallerKind::Direct => "direct",
        }
    }

    pub fn is_http(self) -> bool {
        matches!(self, CallerKind::ApiGatewayV1 | CallerKind::ApiGatewayV2)
    }
}
