#!/usr/bin/env python3
"""Writes the rewritten flows' state machines (issue 24): `python3 infra/generate.py` writes infra/<flow>.asl.json,
`--check` exits 1 when a committed file differs from what this script makes (tests/local/test_flow_shapes.py runs it).

Why a generator: ASL has no include. The ledger wrapper (admit, record the event once, take the user's lease,
stale check, the runbook under the lease, release, forget a failed event) and the named retry policies are the same
in every user flow; written here once, each flow adds only its runbook. The output is plain JSONPath ASL that
AWS, cfn-lint, asl-validator, SAM and moto's local interpreter all read as they read the hand-written flows.

Why JSONPath and not JSONata: the reshaping JSONata would save is gone anyway (the flow-step function decides and
shapes, in Rust), and JSONPath runs on the local stack as shipped, where JSONata needs a patched interpreter
(moto 5.2 leaves its JSONata evaluator hook empty; a pure-Python engine can be plugged in, and still differs from
AWS's JavaScript JSONata). See README "The flows".
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

INFRA = Path(__file__).resolve().parent

# --------------------------------------------------------------------------------------------- retry policies
# Named once; every task names the policies it needs.
RETRY = {
    # Lambda's own service errors: the invocation never ran or its answer was lost.
    "lambda": {"ErrorEquals": ["Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException",
                               "Lambda.TooManyRequestsException"],
               "IntervalSeconds": 2, "MaxAttempts": 6, "BackoffRate": 2, "JitterStrategy": "FULL"},
    # Okta's rate limit outlasted the function's own deadline: wait for the window.
    "okta-rate-limited": {"ErrorEquals": ["Okta.RateLimited"], "IntervalSeconds": 10, "MaxAttempts": 12,
                          "BackoffRate": 2, "MaxDelaySeconds": 60, "JitterStrategy": "FULL"},
    # Okta or the secret failed in a way a later try may fix.
    "okta-transient": {"ErrorEquals": ["Okta.Transient", "Config.SecretUnavailable"], "IntervalSeconds": 10,
                       "MaxAttempts": 4, "BackoffRate": 2, "MaxDelaySeconds": 60, "JitterStrategy": "FULL"},
    "dynamodb": {"ErrorEquals": ["DynamoDB.ProvisionedThroughputExceededException", "DynamoDB.ThrottlingException",
                                 "DynamoDB.InternalServerErrorException", "DynamoDB.RequestLimitExceeded"],
                 "IntervalSeconds": 1, "MaxAttempts": 5, "BackoffRate": 2, "JitterStrategy": "FULL"},
    "scheduler": {"ErrorEquals": ["Scheduler.ThrottlingException", "Scheduler.InternalServerException"],
                  "IntervalSeconds": 2, "MaxAttempts": 4, "BackoffRate": 2, "JitterStrategy": "FULL"},
    "sfn": {"ErrorEquals": ["Sfn.ThrottlingException", "Sfn.InternalServerException"],
            "IntervalSeconds": 1, "MaxAttempts": 4, "BackoffRate": 2, "JitterStrategy": "FULL"},
    # The lease wait, a flow's budget for waiting behind another flow of the same user: at most about 2.5 minutes
    # (3 + 4.5 + 6.75 + ... capped at 40 s, 8 attempts), then Flow.Busy (README "The flows": precedence).
    "lease-wait": {"ErrorEquals": ["DynamoDB.ConditionalCheckFailedException"], "IntervalSeconds": 3,
                   "MaxAttempts": 8, "BackoffRate": 1.5, "MaxDelaySeconds": 40, "JitterStrategy": "FULL"},
}
OKTA_FUNCTION = ["lambda", "okta-rate-limited", "okta-transient"]
CCF = "DynamoDB.ConditionalCheckFailedException"
LEDGER = "${LedgerTableName}"
FLOW_STEP = "${FlowStepFunctionArn}"


def retry(*names: str) -> list[dict]:
    return [dict(RETRY[n]) for n in names]


def caught(errors: list[str], nxt: str, result_path: str | None = None) -> dict:
    return {"ErrorEquals": errors, "ResultPath": result_path, "Next": nxt}


def okta_call(function: str, payload: dict, result_selector: dict, result_path: str, nxt: str | None,
              catch: list[dict] | None = None, comment: str | None = None) -> dict:
    """A function task as every flow calls one: who asked and the dry run passed, the three retry policies."""
    state = {"Type": "Task"}
    if comment:
        state["Comment"] = comment
    state.update({
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": function, "Payload": {
            **payload, "dryRun.$": "$.admitted.dryRun", "executionId.$": "$$.Execution.Id",
            "requestedBy.$": "$.admitted.requestedBy"}},
        "ResultSelector": result_selector,
        "ResultPath": result_path,
        "Retry": retry(*OKTA_FUNCTION),
    })
    if catch:
        state["Catch"] = catch
    if nxt:
        state["Next"] = nxt
    else:
        state["End"] = True
    return state


def flow_step(step: str, flow: str, payload: dict, result_selector: dict, result_path: str | None,
              nxt: str | None, comment: str) -> dict:
    """A decision of the flow-step function: no Okta, no AWS; only Lambda's own errors are retried."""
    state = {
        "Type": "Task", "Comment": comment, "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": FLOW_STEP, "Payload": {"step": step, "flow": flow, **payload}},
        "ResultSelector": result_selector, "ResultPath": result_path, "Retry": retry("lambda"),
    }
    state.update({"Next": nxt} if nxt else {"End": True})
    return state


def ledger_update(key: str, update: str, condition: str | None, values: dict | None, nxt: str,
                  catch_next: str | None, retries: tuple[str, ...] = ("dynamodb",), comment: str | None = None,
                  keep_item: bool = False) -> dict:
    """An update of one ledger item; `keep_item` puts the item as updated at `$.ledger.Item` (the lease: the
    runbook reads the user's open leave from it)."""
    state = {"Type": "Task"}
    if comment:
        state["Comment"] = comment
    parameters = {"TableName": LEDGER, "Key": {"pk": {"S.$": key}}, "UpdateExpression": update}
    if condition:
        parameters["ConditionExpression"] = condition
    if values:
        parameters["ExpressionAttributeValues"] = values
    state.update({"Resource": "arn:aws:states:::dynamodb:updateItem", "Parameters": parameters})
    if keep_item:
        parameters["ReturnValues"] = "ALL_NEW"
        state.update({"ResultSelector": {"Item.$": "$.Attributes"}, "ResultPath": "$.ledger"})
    else:
        state["ResultPath"] = None
    state["Retry"] = retry(*retries)
    if catch_next:
        state["Catch"] = [caught([CCF], catch_next)]
    state["Next"] = nxt
    return state


USER_KEY = "States.Format('user#{}', $.subject.id)"
EVENT_KEY = "States.Format('event#{}', $.admitted.event.key)"
ME = {"S.$": "$$.Execution.Id"}
# Take the lease when nobody holds it or its holder's time is up, and only for an event not older than the last one
# applied to this user (compared as text: the admit step writes every time in one fixed-width UTC form).
LEASE_FREE = "(attribute_not_exists(leaseHolder) OR leaseExpires < :now)"
NOT_STALE = "(attribute_not_exists(lastEventTime) OR lastEventTime <= :time)"
LEASE_SET = "SET leaseHolder = :me, leaseSince = :since, leaseExpires = :expires, leaseFlow = :flow, login = :login"


def lease_values(flow: str) -> dict:
    return {":me": ME, ":since": {"S.$": "$$.State.EnteredTime"}, ":expires": {"N.$": "$.admitted.lease.expires"},
            ":flow": {"S": flow}, ":login": {"S.$": "$.subject.login"}, ":now": {"N.$": "$.admitted.lease.now"},
            ":time": {"S.$": "$.admitted.event.time"}}


def ledger_wrapper(flow: str, error_prefix: str, timeout: int, runbook: dict, before_runbook: dict[str, dict],
                   first_runbook_state: str, release_also: str, comment: str, loud: bool = False,
                   dry_run_reads_ledger: bool = False) -> dict:
    """The states every user flow shares, around its runbook (a Parallel whose Catch releases the lease).

    `loud`: a stale or duplicate event fails the execution (offboarding: an alarm counts it); otherwise it ends in a
    named Pass state with its report. `dry_run_reads_ledger`: the runbook reads the lease's item (`$.ledger.Item`),
    so a dry run, which takes no lease, reads it."""
    after_lease = next(iter(before_runbook)) if before_runbook else "Runbook"
    states: dict[str, dict] = {
        "Admit": flow_step(
            "admit", flow, {"input.$": "$", "executionStart.$": "$$.Execution.StartTime", "leaseSeconds": timeout},
            {"admitted.$": "$.Payload"}, "$", "ResolveUser",
            "Who asked, when, for what: identity from the trusted envelope only, event ids namespaced by source, "
            "times from trusted clocks and never in the future, the request validated with its defaults "
            "(shared/src/flows/admit.rs). A refusal fails the execution with Input.Invalid naming the field."),
        "ResolveUser": okta_call(
            "${GetUserFunctionArn}", {"user.$": "$.admitted.user"},
            {"id.$": "$.Payload.user.id", "login.$": "$.Payload.user.login"}, "$.subject", "RecordOrDryRun",
            comment="The ledger is kept per Okta user id, whatever the event calls the user. Read-only."),
        "RecordOrDryRun": {
            "Type": "Choice",
            "Comment": "A dry run changes nothing, the ledger included: no event recorded, no lease taken.",
            "Choices": [{"Variable": "$.admitted.dryRun", "BooleanEquals": True,
                         "Next": "ReadLedger" if dry_run_reads_ledger else "Runbook"}],
            "Default": "RecordEvent"},
        **({"ReadLedger": {
            "Type": "Task", "Comment": "A dry run reads the user's ledger item as the lease would have returned it.",
            "Resource": "arn:aws:states:::dynamodb:getItem",
            "Parameters": {"TableName": LEDGER, "Key": {"pk": {"S.$": USER_KEY}}, "ConsistentRead": True},
            "ResultPath": "$.ledger", "Retry": retry("dynamodb"), "Next": "Runbook"}} if dry_run_reads_ledger else {}),
        "RecordEvent": {
            "Type": "Task",
            "Comment": "Once per event id (EventBridge and the scheduler deliver at least once). A run that failed "
                       "forgot its event (ForgetEvent), and one that never ended is past its runDeadline: either "
                       "may run again.",
            "Resource": "arn:aws:states:::dynamodb:putItem",
            "Parameters": {"TableName": LEDGER, "Item": {
                "pk": {"S.$": EVENT_KEY}, "flow": {"S": flow}, "userId": {"S.$": "$.subject.id"},
                "executionId": ME, "eventTime": {"S.$": "$.admitted.event.time"},
                "eventSource": {"S.$": "$.admitted.event.source"}, "requestedBy": {"S.$": "$.admitted.requestedBy"},
                "runDeadline": {"N.$": "$.admitted.lease.expires"}},
                "ConditionExpression": "attribute_not_exists(pk) OR runDeadline < :now",
                "ExpressionAttributeValues": {":now": {"N.$": "$.admitted.lease.now"}}},
            "ResultPath": None, "Retry": retry("dynamodb"),
            "Catch": [caught([CCF], "Duplicate")], "Next": "AcquireLease"},
        "AcquireLease": ledger_update(
            USER_KEY, LEASE_SET, f"{LEASE_FREE} AND {NOT_STALE}", lease_values(flow), after_lease, "ReadLease",
            keep_item=True, comment="One flow at a time per user. The lease carries its holder and its expiry (the holder's start "
                    "plus its TimeoutSeconds)."),
        "ReadLease": {
            "Type": "Task", "Comment": "Why the lease was not taken: stale event, or who holds it.",
            "Resource": "arn:aws:states:::dynamodb:getItem",
            "Parameters": {"TableName": LEDGER, "Key": {"pk": {"S.$": USER_KEY}}, "ConsistentRead": True},
            "ResultSelector": {"item.$": "$.Item"}, "ResultPath": "$.lease", "Retry": retry("dynamodb"),
            "Next": "LeaseState"},
        "LeaseState": {
            "Type": "Choice",
            "Choices": [
                {"And": [{"Variable": "$.lease.item.lastEventTime.S", "IsPresent": True},
                         {"Variable": "$.lease.item.lastEventTime.S", "StringGreaterThanPath": "$.admitted.event.time"}],
                 "Next": "Stale"},
                {"Variable": "$.lease.item.leaseHolder.S", "IsPresent": False, "Next": "AcquireLease"},
                # Read again after waiting (or after a takeover another flow won): still held, so give up.
                {"Variable": "$.holder", "IsPresent": True, "Next": "ForgetBusyEvent"},
            ],
            "Default": "DescribeLeaseHolder"},
        "DescribeLeaseHolder": {
            "Type": "Task",
            "Comment": "A lease whose execution is no longer running (stopped, failed, timed out) is taken over.",
            "Resource": "arn:aws:states:::aws-sdk:sfn:describeExecution",
            "Parameters": {"ExecutionArn.$": "$.lease.item.leaseHolder.S"},
            "ResultSelector": {"status.$": "$.Status"}, "ResultPath": "$.holder", "Retry": retry("sfn"),
            # The holder is gone (its history expired, or never existed): take over. Any other failure to learn
            # its status: wait, the safe side. (moto's interpreter cannot run this SDK call: locally it always
            # waits; tests/local/README.md.)
            "Catch": [caught(["Sfn.ExecutionDoesNotExistException", "Sfn.InvalidArnException"], "TakeOverLease",
                             "$.holder"),
                      caught(["States.ALL"], "AwaitLease", "$.holder")],
            "Next": "HolderState"},
        "HolderState": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.holder.status", "StringEquals": "RUNNING", "Next": "AwaitLease"}],
            "Default": "TakeOverLease"},
        "TakeOverLease": ledger_update(
            USER_KEY, LEASE_SET, f"leaseHolder = :holder AND {NOT_STALE}",
            {**{k: v for k, v in lease_values(flow).items() if k != ":now"},
             ":holder": {"S.$": "$.lease.item.leaseHolder.S"}},
            after_lease, "AcquireLease", keep_item=True,
            comment="Only the holder just read is replaced; if another flow got there first, start over."),
        "AwaitLease": ledger_update(
            USER_KEY, LEASE_SET, f"{LEASE_FREE} AND {NOT_STALE}", lease_values(flow), after_lease, "ReadLease",
            retries=("lease-wait", "dynamodb"), keep_item=True,
            comment="The holder is running: wait for it (the lease-wait retry policy), then read the lease once more "
                    "(a newer event may have been applied meanwhile: Stale; else Busy)."),
        "ForgetBusyEvent": forget_event("Busy"),
        "Busy": {"Type": "Fail", "Error": "Flow.Busy",
                 "Cause": "another flow held this user's lease for minutes; nothing was changed: start this event "
                          "again later"},
        **stale_and_duplicate(flow, error_prefix, loud),
        **before_runbook,
        "Runbook": {
            "Type": "Parallel",
            "Comment": "The work, under the lease (or a dry run). Any failure inside lands in the Catch, so the lease "
                       "is always released.",
            "Branches": [{"StartAt": first_runbook_state, "States": runbook}],
            "ResultSelector": {"summary.$": "$[0].outcome.summary", "complete.$": "$[0].outcome.complete"},
            "ResultPath": "$.outcome",
            "Catch": [caught(["States.ALL"], "ReleaseLease", "$.failure")],
            "Next": "ReleaseLease"},
        "ReleaseLease": ledger_update(
            USER_KEY,
            "REMOVE leaseHolder, leaseSince, leaseExpires, leaseFlow" + release_also +
            " SET lastEventTime = :time, lastEventId = :event, lastFlow = :flow, lastExecutionId = :me",
            "leaseHolder = :me",
            {":me": ME, ":time": {"S.$": "$.admitted.event.time"}, ":event": {"S.$": "$.admitted.event.key"},
             ":flow": {"S": flow}},
            "Finish", "Finish",
            comment="Recorded whether the runbook succeeded or not: it may have changed the user either way. A dry "
                    "run holds no lease: the condition fails and nothing is written."),
        "Finish": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.failure", "IsPresent": True, "Next": "ForgetEvent"},
                        {"Variable": "$.outcome.complete", "BooleanEquals": False, "Next": "ForgetIncompleteEvent"}],
            "Default": "Succeeded"},
        "ForgetEvent": forget_event("Failed"),
        "ForgetIncompleteEvent": forget_event("Incomplete"),
        "Failed": {"Type": "Fail", "ErrorPath": "$.failure.Error", "CausePath": "$.failure.Cause"},
        "Incomplete": {"Type": "Fail", "Error": f"{error_prefix}.Incomplete",
                       "CausePath": "States.JsonToString($.outcome.summary)"},
        "Succeeded": {"Type": "Succeed", "OutputPath": "$.outcome.summary"},
    }
    return {"Comment": comment, "StartAt": "Admit", "TimeoutSeconds": timeout, "States": states}


RERUN = ("A run that fails forgets its event, so re-sending a failed event runs it again; to run a succeeded one "
         "again, start it with a new event id.")


def stale_and_duplicate(flow: str, error_prefix: str, loud: bool) -> dict:
    if loud:
        return {
            "Stale": {"Type": "Fail", "Error": f"{error_prefix}.Stale",
                      "CausePath": "States.Format('event {} ({}) is older than the last event applied to this user: "
                                   "{} at {} ({} execution {}); nothing changed. Check the user: an older event is "
                                   "not applied over a newer one.', $.admitted.event.key, $.admitted.event.time, "
                                   "$.lease.item.lastEventId.S, $.lease.item.lastEventTime.S, "
                                   "$.lease.item.lastFlow.S, $.lease.item.lastExecutionId.S)"},
            "Duplicate": {"Type": "Fail", "Error": f"{error_prefix}.Duplicate",
                          "CausePath": "States.Format('event {} already ran for user {}, or is running now: nothing "
                                       f"changed. {RERUN}', $.admitted.event.key, $.subject.login)"},
        }
    return {
        "Stale": {"Type": "Pass", "Comment": "An event older than the last one applied to this user changes nothing.",
                  "Parameters": {"flow": flow, "outcome": "stale", "eventId.$": "$.admitted.event.id",
                                 "eventTime.$": "$.admitted.event.time",
                                 "lastEventTime.$": "$.lease.item.lastEventTime.S",
                                 "executionId.$": "$$.Execution.Id", "user.$": "$.subject",
                                 "message": "a newer event was already applied to this user; nothing changed"},
                  "End": True},
        "Duplicate": {"Type": "Pass", "Comment": "This event id already ran (or is running): nothing to do.",
                      "Parameters": {"flow": flow, "outcome": "duplicate", "eventId.$": "$.admitted.event.id",
                                     "executionId.$": "$$.Execution.Id", "user.$": "$.subject",
                                     "message": f"this event id was already applied; nothing changed. {RERUN}"},
                      "End": True},
    }


def forget_event(nxt: str) -> dict:
    return {
        "Type": "Task",
        "Comment": "Only a run that succeeded makes its event a duplicate: a failed or incomplete one forgets it, so "
                   "the same event sent again runs again.",
        "Resource": "arn:aws:states:::dynamodb:deleteItem",
        "Parameters": {"TableName": LEDGER, "Key": {"pk": {"S.$": EVENT_KEY}},
                       "ConditionExpression": "executionId = :me", "ExpressionAttributeValues": {":me": ME}},
        "ResultPath": None, "Retry": retry("dynamodb"), "Catch": [caught([CCF], nxt)], "Next": nxt}


def delete_schedule(prefix: str, nxt: str) -> dict:
    return {
        "Type": "Task",
        "Comment": f"A pending {prefix}-<user id> schedule must not act on a leaver. None pending is the usual case; "
                   "any other failure is left to the ledger (the leave closes with the lease).",
        "Resource": "arn:aws:states:::aws-sdk:scheduler:deleteSchedule",
        "Parameters": {"Name.$": f"States.Format('{prefix}-{{}}', $.subject.id)", "GroupName": "${ScheduleGroupName}"},
        "ResultPath": None, "Retry": retry("scheduler"), "Catch": [caught(["States.ALL"], nxt)], "Next": nxt}


# A leaver action's answer as the report reads it: changed, message, and what it found (clients, owned groups...).
LEAVER_OUTCOME = {"changed.$": "$.Payload.changed", "message.$": "$.Payload.message", "detail.$": "$.Payload"}


def offboarding() -> dict:
    flow = "offboarding"
    outcome = {"changed.$": "$.Payload.changed", "message.$": "$.Payload.message"}
    runbook = {
        "GetUser": okta_call(
            "${GetUserFunctionArn}", {"user.$": "$.admitted.user", "include": ["groups", "apps"]},
            {"id.$": "$.Payload.user.id", "login.$": "$.Payload.user.login", "status.$": "$.Payload.properties.status",
             "groups.$": "$.Payload.groups", "apps.$": "$.Payload.apps"}, "$.user", "Plan",
            comment="The user with its groups and apps. Nothing has been changed yet: a failure here fails the run."),
        "Plan": flow_step(
            "plan", flow, {"admitted.$": "$.admitted", "user.$": "$.user"},
            {"suspend.$": "$.Payload.suspend", "deactivate.$": "$.Payload.deactivate",
             "removeGroups.$": "$.Payload.removeGroups", "revokeApps.$": "$.Payload.revokeApps",
             "resetFactors.$": "$.Payload.resetFactors", "deactivateDevices.$": "$.Payload.deactivateDevices",
             "revokeGrants.$": "$.Payload.revokeGrants",
             "transferGroupOwnership.$": "$.Payload.transferGroupOwnership",
             "readRemaining.$": "$.Payload.readRemaining"},
            "$.plan", "OffboardUser",
            "Suspend first or not, which groups to leave (not built-in, app, rule-managed or kept ones), which apps "
            "to revoke (not those a group grants), deactivate or not, and which of the revocations of grants, "
            "factors, devices and group ownership run (shared/src/flows/offboarding.rs)."),
        "OffboardUser": okta_call(
            "${OffboardUserFunctionArn}",
            {"user.$": "$.user.id", "suspend.$": "$.plan.suspend", "resetFactors.$": "$.plan.resetFactors",
             "deactivateDevices.$": "$.plan.deactivateDevices", "groups.$": "$.plan.removeGroups",
             "apps.$": "$.plan.revokeApps", "deactivate.$": "$.plan.deactivate"},
            {"suspension.$": "$.Payload.steps.suspension", "sessions.$": "$.Payload.steps.sessions",
             "factors.$": "$.Payload.steps.factors", "devices.$": "$.Payload.steps.devices",
             "groups.$": "$.Payload.steps.groups", "apps.$": "$.Payload.steps.apps",
             "deactivation.$": "$.Payload.steps.deactivation"},
            "$.changes", "RevokeGrantsOrNot", [caught(["States.ALL"], "RevokeGrantsOrNot", "$.changes")],
            comment="The plan's changes in one invocation, in the runbook's order: suspend (ACTIVE), clear sessions "
                    "and OAuth tokens, reset the MFA factors and deactivate the user's own devices (after the "
                    "suspension, so none can be enrolled again meanwhile; before the deactivation, which hides the "
                    "factors), leave each planned group, revoke each planned app, deactivate (mode deactivate). The "
                    "guardrails check the user once, just before the first change; each step and item answers for "
                    "itself, and one that fails does not stop the others (shared/src/actions/offboard.rs)."),
        "RevokeGrantsOrNot": {
            "Type": "Choice", "Comment": "revokeGrants: false skips it (the report says so).",
            "Choices": [{"Variable": "$.plan.revokeGrants", "BooleanEquals": True, "Next": "RevokeUserGrants"}],
            "Default": "TransferOwnershipOrNot"},
        "RevokeUserGrants": okta_call(
            "${RevokeUserGrantsFunctionArn}", {"user.$": "$.user.id"}, LEAVER_OUTCOME, "$.grants",
            "TransferOwnershipOrNot", [caught(["States.ALL"], "TransferOwnershipOrNot", "$.grants")],
            comment="The OAuth grants and refresh tokens apps hold for the user: Okta keeps them across suspension "
                    "and deactivation, so after the cut, any status."),
        "TransferOwnershipOrNot": {
            "Type": "Choice", "Comment": "transferGroupOwnership: false skips it (the report says so).",
            "Choices": [{"Variable": "$.plan.transferGroupOwnership", "BooleanEquals": True,
                         "Next": "TransferGroupOwnership"}],
            "Default": "Verify"},
        "TransferGroupOwnership": okta_call(
            "${TransferGroupOwnershipFunctionArn}", {"user.$": "$.user.id"}, LEAVER_OUTCOME, "$.ownership",
            "Verify", [caught(["States.ALL"], "Verify", "$.ownership")],
            comment="The groups the user owns go to the manager, none left ownerless. It reads every group's "
                    "owners (Okta cannot list a user's groups by ownership): after the cut, in its own invocation "
                    "and deadline."),
        "Verify": okta_call(
            "${GetUserFunctionArn}", {"user.$": "$.user.id", "include": ["groups", "apps"]},
            {"status.$": "$.Payload.properties.status", "groups.$": "$.Payload.groups", "apps.$": "$.Payload.apps"},
            "$.after", "ReadWhatRemainsOrNot", [caught(["States.ALL"], "ReadWhatRemainsOrNot", "$.after")],
            comment="Read the user again: whatever groups and apps remain are the residual access."),
        "ReadWhatRemainsOrNot": {
            "Type": "Choice", "Comment": "Only when one of the revocations (grants, factors, devices, ownership) ran.",
            "Choices": [{"Variable": "$.plan.readRemaining", "BooleanEquals": True, "Next": "ReadWhatRemains"}],
            "Default": "Report"},
        "ReadWhatRemains": okta_call(
            "${GetUserFunctionArn}", {"user.$": "$.user.id", "include": ["clients", "factors", "devices", "ownedGroups"]},
            {"read.$": "$.Payload"}, "$.remaining", "Report", [caught(["States.ALL"], "Report", "$.remaining")],
            comment="Read again what the revocations closed: apps holding grants or refresh tokens, factors, devices, "
                    "owned groups. What remains is in the report, expected (a shared device, a privileged group) "
                    "or not."),
        "Report": flow_step(
            "report", flow, {"executionId.$": "$$.Execution.Id", "state.$": "$"},
            # From here on only the report: the reads and the items' answers are dropped (256 KB state limit).
            {"outcome": {"summary.$": "$.Payload.summary", "complete.$": "$.Payload.complete"}}, "$", None,
            "Each step's outcome, the residual access, and complete or not: outside a dry run the end state must be "
            "proven (SUSPENDED or DEPROVISIONED, only expected residual access)."),
    }
    before = {
        "DeleteReturnSchedule": delete_schedule("return", "DeleteOffboardSchedule"),
        "DeleteOffboardSchedule": delete_schedule("offboard", "Runbook"),
    }
    return ledger_wrapper(
        flow, "Offboarding", 3600, runbook, before, "GetUser",
        ", leaveOpen, leaveSuspendedUser, leaveSince, leaveEventId",
        "Offboarding (complete revocation): admit the event, record it once, take the user's lease, delete pending "
        "schedules; then read the user, plan, and in one invocation suspend when ACTIVE, clear sessions and OAuth tokens, "
        "leave the planned groups, revoke the directly assigned apps, deactivate (mode deactivate); read the user again "
        "and report. A stale or "
        "duplicate event fails as Offboarding.Stale / Offboarding.Duplicate (the failed-offboarding alarm counts "
        "them); a failed step or unproven end state fails as Offboarding.Incomplete with the report as Cause. "
        "Generated by infra/generate.py.", loud=True)


def return_flow() -> dict:
    flow = "return"
    runbook = {
        "ReturnOrNot": {
            "Type": "Choice",
            "Comment": "Unsuspend only what an open leave suspended: never a leaver, never someone suspended for "
                       "another reason.",
            "Choices": [{"And": [{"Variable": "$.ledger.Item.leaveOpen.BOOL", "IsPresent": True},
                                 {"Variable": "$.ledger.Item.leaveOpen.BOOL", "BooleanEquals": True},
                                 {"Variable": "$.ledger.Item.leaveSuspendedUser.BOOL", "IsPresent": True},
                                 {"Variable": "$.ledger.Item.leaveSuspendedUser.BOOL", "BooleanEquals": True}],
                         "Next": "UnsuspendUser"}],
            "Default": "ScheduleOrDryRun"},
        "UnsuspendUser": okta_call(
            "${UnsuspendUserFunctionArn}", {"user.$": "$.subject.id"},
            {"changed.$": "$.Payload.changed", "message.$": "$.Payload.message",
             "statusBefore.$": "$.Payload.user.statusBefore", "statusAfter.$": "$.Payload.user.statusAfter"},
            "$.unsuspended", "ScheduleOrDryRun",
            [caught(["States.ALL"], "Report", "$.unsuspended")],
            comment="A failure leaves the leave open and the schedule in place: the report says so."),
        "ScheduleOrDryRun": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.admitted.dryRun", "BooleanEquals": True, "Next": "Report"}],
            "Default": "CloseLeave"},
        "CloseLeave": ledger_update(
            USER_KEY, "REMOVE leaveOpen, leaveSuspendedUser, leaveSince, leaveEventId", None, None,
            "DeleteReturnSchedule", None, comment="The leave is over."),
        "DeleteReturnSchedule": {
            "Type": "Task", "Comment": "The pending return-<user id> schedule, if any (none is the usual case).",
            "Resource": "arn:aws:states:::aws-sdk:scheduler:deleteSchedule",
            "Parameters": {"Name.$": "States.Format('return-{}', $.subject.id)", "GroupName": "${ScheduleGroupName}"},
            "ResultPath": "$.deleted", "Retry": retry("scheduler"),
            "Catch": [caught(["States.ALL"], "Report", "$.deleted")], "Next": "Report"},
        "Report": flow_step(
            "report", flow, {"executionId.$": "$$.Execution.Id", "state.$": "$"},
            {"outcome": {"summary.$": "$.Payload.summary", "complete.$": "$.Payload.complete"}}, "$", None,
            "The unsuspension and the schedule, and complete or not (shared/src/flows/return_flow.rs)."),
    }
    return ledger_wrapper(
        flow, "Return", 900, runbook, {}, "ReturnOrNot", "",
        "Return: admit the event, record it once, take the user's lease; unsuspend the user only if an open leave "
        "suspended it, close the leave and delete the pending return-<user id> schedule. Fails with Return.Incomplete "
        "(the report as Cause) when a step failed. Generated by infra/generate.py.",
        dry_run_reads_ledger=True)


def return_schedule(action: str, result_path: str, on_error: str) -> dict:
    """Scheduler's createSchedule or updateSchedule for the planned return-<user id> schedule: one time, deleted
    after it runs, as ReturnSchedulerRole (which may start the return flow and nothing else)."""
    return {
        "Type": "Task", "Resource": f"arn:aws:states:::aws-sdk:scheduler:{action}Schedule",
        "Parameters": {
            "Name.$": "$.schedule.name", "GroupName": "${ScheduleGroupName}",
            "ScheduleExpression.$": "$.schedule.expression", "ScheduleExpressionTimezone.$": "$.schedule.timezone",
            "FlexibleTimeWindow": {"Mode": "OFF"}, "ActionAfterCompletion": "DELETE",
            "Description.$": "States.Format('Return from leave, scheduled by {}', $$.Execution.Id)",
            "Target": {"Arn": "${ReturnStateMachineArn}", "RoleArn": "${SchedulerRoleArn}",
                       "Input.$": "States.JsonToString($.schedule.input)",
                       "RetryPolicy": {"MaximumEventAgeInSeconds": 86400, "MaximumRetryAttempts": 10}}},
        "ResultSelector": {"arn.$": "$.ScheduleArn"}, "ResultPath": result_path, "Retry": retry("scheduler"),
        "Catch": [caught(["States.ALL"], on_error, result_path)], "Next": "Report"}


def leave() -> dict:
    flow = "leave"
    runbook = {
        "SuspendUser": okta_call(
            "${SuspendUserFunctionArn}", {"user.$": "$.subject.id"},
            {"changed.$": "$.Payload.changed", "message.$": "$.Payload.message", "userId.$": "$.Payload.user.id",
             "login.$": "$.Payload.user.login", "statusBefore.$": "$.Payload.user.statusBefore",
             "statusAfter.$": "$.Payload.user.statusAfter"},
            "$.suspended", "RecordLeave", [caught(["States.ALL"], "Report", "$.suspended")],
            comment="A failure ends the runbook: no leave recorded, no schedule."),
        "RecordLeave": ledger_update(
            USER_KEY,
            "SET leaveOpen = :open, leaveSince = if_not_exists(leaveSince, :now), "
            "leaveEventId = if_not_exists(leaveEventId, :event), "
            "leaveSuspendedUser = if_not_exists(leaveSuspendedUser, :suspended)",
            "leaseHolder = :me",
            {":open": {"BOOL": True}, ":now": {"S.$": "$.admitted.event.time"}, ":event": {"S.$": "$.admitted.event.id"},
             ":suspended": {"BOOL.$": "$.suspended.changed"}, ":me": ME},
            "ScheduleOrNot", "ScheduleOrNot",
            comment="The open leave, and whether this leave suspended the user (the return unsuspends only then). "
                    "Written only under this execution's lease: a dry run, which holds none, records nothing."),
        "ScheduleOrNot": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.admitted.dryRun", "BooleanEquals": True, "Next": "Report"},
                        {"Variable": "$.admitted.request.returnDate", "IsPresent": False, "Next": "Report"}],
            "Default": "Plan"},
        "Plan": flow_step(
            "plan", flow, {"admitted.$": "$.admitted", "subject.$": "$.subject"},
            {"name.$": "$.Payload.name", "expression.$": "$.Payload.expression", "timezone.$": "$.Payload.timezone",
             "input.$": "$.Payload.input"}, "$.schedule", "UpdateReturnSchedule",
            "The return-<user id> schedule: its time and the input it starts the return flow with "
            "(shared/src/flows/leave.rs)."),
        "UpdateReturnSchedule": dict(return_schedule("update", "$.updated", "CreateReturnSchedule"), Comment=(
            "A pending return schedule (an earlier leave's) is moved; none pending, it is created.")),
        "CreateReturnSchedule": return_schedule("create", "$.created", "Report"),
        "Report": flow_step(
            "report", flow, {"executionId.$": "$$.Execution.Id", "state.$": "$"},
            {"outcome": {"summary.$": "$.Payload.summary", "complete.$": "$.Payload.complete"}}, "$", None,
            "The suspension and the schedule, and complete or not (shared/src/flows/leave.rs)."),
    }
    return ledger_wrapper(
        flow, "Leave", 900, runbook, {}, "SuspendUser", "",
        "Leave: admit the event, record it once, take the user's lease; suspend the user now, record the open leave "
        "and, given returnDate, create (or move) the one-time schedule return-<user id> that starts the return flow "
        "then and deletes itself. Fails with Leave.Incomplete (the report as Cause) when a step failed. Generated by "
        "infra/generate.py.")


FLOWS = {"offboarding": offboarding, "leave": leave, "return": return_flow}


def render(flow: str) -> str:
    return json.dumps(FLOWS[flow](), indent=2) + "\n"


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for flow in FLOWS:
        path = INFRA / f"{flow}.asl.json"
        text = render(flow)
        if check:
            if not path.exists() or path.read_text() != text:
                stale.append(str(path))
        else:
            path.write_text(text)
    if stale:
        print("not what infra/generate.py makes (run it): " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
