//! The broken templates several checks share: each check's `..._fails_on_broken_example` test, beside the check,
//! runs it on one of these and names the problems it must find.

use serde_norway::Value as Yaml;

/// Used by the substitution, function, route-target and pacing checks.
const BROKEN_TEMPLATE: &str = r#"
Resources:
  GetUserFunction:
    Type: AWS::Serverless::Function
    Metadata: {BuildMethod: go1.x}
    Properties: {CodeUri: functions/get-user}
  StrayFunction:
    Type: AWS::Serverless::Function
    Metadata: {BuildMethod: rust-cargolambda, BuildProperties: {Binary: get-user}}
    Properties: {CodeUri: functions/no-such-folder}
  Flow:
    Type: AWS::Serverless::StateMachine
    Properties:
      DefinitionUri: infra/onboarding.asl.json
      DefinitionSubstitutions:
        GetUserFunctionArn: !GetAtt MissingFunction.Arn
        UnusedFunctionArn: !Ref GetUserFunction
  GetUserRoute:
    Type: AWS::ApiGatewayV2::Route
    Properties: {Target: !Sub "integrations/${NoIntegration}"}
  OtherRoute:
    Type: AWS::ApiGatewayV2::Route
    Properties: {Target: !Sub "integrations/${OtherIntegration}"}
  OtherIntegration:
    Type: AWS::ApiGatewayV2::Integration
    Properties: {IntegrationUri: !GetAtt Flow.Arn}
"#;

pub fn broken_template() -> Yaml {
    serde_norway::from_str(BROKEN_TEMPLATE).expect("the broken example parses")
}

/// Used by the route-scope, integration-timeout, event-rule, flow-start, alarm and parameter checks.
const BROKEN_ENTRY_POINTS: &str = r#"
Parameters:
  JwtReadScope: {Type: String}
  Documented: {Type: String}
  Undocumented: {Type: String}
Globals:
  Function: {Timeout: 10}
Resources:
  Reader:
    Type: AWS::Serverless::Function
    Properties:
      LoggingConfig: {LogGroup: !Ref ReaderLogs}
  ReaderLogs: {Type: AWS::Logs::LogGroup}
  ReaderUnauthorized:
    Type: AWS::Logs::MetricFilter
    Properties:
      LogGroupName: !Ref ReaderLogs
      FilterPattern: '{ $.fields.outcome = "Okta.Nope" }'
      MetricTransformations: [{MetricNamespace: ns, MetricName: Lonely}]
  ReaderIntegration:
    Type: AWS::ApiGatewayV2::Integration
    Properties: {IntegrationUri: !GetAtt Reader.Arn, TimeoutInMillis: 29000}
  ReadRoute:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      RouteKey: GET /users/{user}
      AuthorizationType: !If [UseJwt, JWT, AWS_IAM]
      AuthorizationScopes: !If [UseJwt, [!Ref JwtLifecycleScope], !Ref AWS::NoValue]
  UnlockRoute:
    Type: AWS::ApiGatewayV2::Route
    Properties: {RouteKey: "POST /users/{user}/unlock", AuthorizationType: NONE}
  DeactivateRoute:
    Type: AWS::ApiGatewayV2::Route
    Properties: {RouteKey: "POST /users/{user}/deactivate"}
  FlowIntegration:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      IntegrationSubtype: StepFunctions-StartExecution
      RequestParameters: {Input: $request.body}
  Bus: {Type: AWS::Events::EventBus, Properties: {Name: hr}}
  Rule:
    Type: AWS::Events::Rule
    Properties:
      EventBusName: !Ref Bus
      EventPattern: {source: [hr.system]}
      Targets: [{Arn: !Ref Machine, RoleArn: !GetAtt WideRole.Arn, InputPath: $.detail}]
  WideRole:
    Type: AWS::IAM::Role
    Properties:
      Policies:
        - PolicyDocument:
            Statement: [{Effect: Allow, Action: states:StartExecution, Resource: [!Ref Machine, !Ref Other]}]
  Machine:
    Type: AWS::Serverless::StateMachine
    Properties:
      DefinitionUri: infra/return.asl.json
      Policies:
        - StepFunctionsExecutionPolicy: {StateMachineName: other}
        - Statement: [{Effect: Allow, Action: iam:PassRole, Resource: "*"}]
      Events:
        Hr:
          Type: EventBridgeRule
          Properties: {Pattern: {account: [1], source: [hr.system]}, InputPath: $.detail}
"#;

pub fn broken_entry_points() -> Yaml {
    serde_norway::from_str(BROKEN_ENTRY_POINTS).expect("the broken example parses")
}
