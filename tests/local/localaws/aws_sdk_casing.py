"""The one change moto's Step Functions interpreter needs to run the flows' `aws-sdk:` tasks as AWS does: `apply()`
(moto_speedups applies it too), or `python -m localaws.aws_sdk_casing [moto_server arguments]` for moto_server with
only this change.

AWS: an `arn:aws:states:::aws-sdk:<service>:<action>` task takes its parameters in PascalCase "even if the native
service API is camelCase", and answers in PascalCase too (AWS Step Functions Developer Guide, "Integrating other
services" > AWS SDK integrations). So the flows' lease takeover calls `aws-sdk:sfn:describeExecution` with
`ExecutionArn` and reads `$.Status`, though the Step Functions API itself says `executionArn` and `status`.

moto 5.2.5: its interpreter (LocalStack's, trimmed) leaves `StateTaskService._normalise_parameters` and
`_normalise_response` empty, so that task fails locally with `States.Runtime` "'ExecutionArn'" (botocore finds no such
member). LocalStack's own interpreter fills both from the operation's botocore shapes with the helpers moto kept
(`_to_boto_request`, `_from_boto_response`); this puts that back, for the aws-sdk integration only. The Scheduler
calls the flows make are PascalCase in both casings, so they are sent and answered as before.
"""

from __future__ import annotations

import sys
from functools import lru_cache

from botocore.model import OperationModel
from botocore.session import Session
from moto.server import main
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import state_task_service_aws_sdk

AwsSdkTask = state_task_service_aws_sdk.StateTaskServiceAwsSdk


@lru_cache(maxsize=None)
def operation(boto_service: str, action: str) -> OperationModel:
    model = Session().get_service_model(boto_service)
    return model.operation_model(action[:1].upper() + action[1:])  # describeExecution -> DescribeExecution


def normalise_parameters(self, parameters: dict, boto_service_name=None, service_action_name=None) -> None:
    shape = operation(self._get_boto_service_name(boto_service_name), self.resource.api_action).input_shape
    if shape is not None:
        self._to_boto_request(parameters, shape)


def normalise_response(self, response, boto_service_name=None, service_action_name=None) -> None:
    shape = operation(self._get_boto_service_name(boto_service_name), self.resource.api_action).output_shape
    if shape is not None:
        self._from_boto_response(response, shape)


def apply() -> None:
    # A moto upgrade may move what this patches: fail at start-up, not in a flow.
    if not (hasattr(AwsSdkTask, "_to_boto_request") and hasattr(AwsSdkTask, "_from_boto_response")):
        raise SystemExit("aws_sdk_casing: moto's StateTaskService lost _to_boto_request/_from_boto_response")
    AwsSdkTask._normalise_parameters = normalise_parameters
    AwsSdkTask._normalise_response = normalise_response


if __name__ == "__main__":
    apply()
    main(sys.argv[1:])
