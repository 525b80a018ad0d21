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
    "s3": {"ErrorEquals": ["S3.SlowDownException", "S3.InternalErrorException", "S3.ServiceUnavailableException"],
           "IntervalSeconds": 1, "MaxAttempts": 4, "BackoffRate": 2, "JitterStrategy": "FULL"},
    "scheduler": {"ErrorEquals": ["Scheduler.ThrottlingException", "Scheduler.InternalServerException"],
                  "IntervalSeconds": 2, "MaxAttempts": 4, "BackoffRate": 2, "JitterStrategy": "FULL"},
    # PutEvents throttled, or an entry EventBridge did not take (the completion event).
    "events": {"ErrorEquals": ["EventBridge.ThrottlingException", "EventBridge.InternalException",
                               "EventBridge.FailedEntry"],
               "IntervalSeconds": 1, "MaxAttempts": 4, "BackoffRate": 2, "JitterStrategy": "FULL"},
    "sfn": {"ErrorEquals": ["Sfn.ThrottlingException", "Sfn.InternalServerException"],
            "IntervalSeconds": 1, "MaxAttempts": 4, "BackoffRate": 2, "JitterStrategy": "FULL"},
    # A bulk run's child start (states:startExecution.sync:2): Step Functions' own refusals a later try may pass.
    "child-start": {"ErrorEquals": ["StepFunctions.ExecutionLimitExceededException", "StepFunctions.SdkClientException",
                                    "StepFunctions.AWSStepFunctionsException", "StepFunctions.ThrottlingException"],
                    "IntervalSeconds": 2, "MaxAttempts": 6, "BackoffRate": 2, "JitterStrategy": "FULL"},
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
                   dry_run_reads_ledger: bool = False, subject_status: bool = False) -> dict:
    """The states every user flow shares, around its runbook (a Parallel whose Catch releases the lease).

    `loud`: a stale or duplicate event fails the execution (offboarding: an alarm counts it); otherwise it ends in a
    named Pass state with its report. `dry_run_reads_ledger`: the runbook reads the lease's item (`$.ledger.Item`),
    so a dry run, which takes no lease, reads it. `subject_status`: ResolveUser keeps the user's status too
    (`$.subject.status`), for a runbook that routes on it (onboarding)."""
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
            {"id.$": "$.Payload.user.id", "login.$": "$.Payload.user.login",
             **({"status.$": "$.Payload.properties.status"} if subject_status else {})}, "$.subject", "RecordOrDryRun",
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
            "Catch": [caught([CCF], "AnnounceDuplicate")], "Next": "AcquireLease"},
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
                 "Next": "AnnounceStale"},
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
            # its status: wait, the safe side.
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
        "ForgetBusyEvent": forget_event("AnnounceBusy"),
        "AnnounceBusy": announce(flow, "busy", {"message": "another flow held this user's lease; nothing changed"},
                                 "Busy"),
        "Busy": {"Type": "Fail", "Error": "Flow.Busy",
                 "Cause": "another flow held this user's lease for minutes; nothing was changed: start this event "
                          "again later"},
        "AnnounceStale": announce(flow, "stale", {
            "message": "an event older than the last one applied to this user; nothing changed",
            "eventId.$": "$.admitted.event.id", "eventTime.$": "$.admitted.event.time"}, "Stale"),
        "AnnounceDuplicate": announce(flow, "duplicate", {
            "message": "this event id already ran (or is running); nothing changed",
            "eventId.$": "$.admitted.event.id"}, "Duplicate"),
        **stale_and_duplicate(flow, error_prefix, loud, subject_status),
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
            "Default": "AnnounceSucceeded"},
        "ForgetEvent": forget_event("AnnounceFailed"),
        "ForgetIncompleteEvent": forget_event("AnnounceIncomplete"),
        "AnnounceSucceeded": announce(flow, "succeeded", "$.outcome.summary", "Succeeded"),
        "AnnounceIncomplete": announce(flow, "incomplete", "$.outcome.summary", "Incomplete"),
        "AnnounceFailed": announce(flow, "failed", {"error.$": "$.failure.Error", "cause.$": "$.failure.Cause"},
                                   "Failed"),
        "Failed": {"Type": "Fail", "ErrorPath": "$.failure.Error", "CausePath": "$.failure.Cause"},
        "Incomplete": {"Type": "Fail", "Error": f"{error_prefix}.Incomplete",
                       "CausePath": "States.JsonToString($.outcome.summary)"},
        "Succeeded": {"Type": "Succeed", "OutputPath": "$.outcome.summary"},
    }
    return {"Comment": comment, "StartAt": "Admit", "TimeoutSeconds": timeout, "States": states}


# The bus the completion events go to: the template's CompletionEventBusName (default: the account's default bus).
COMPLETION_BUS = "${CompletionEventBusName}"
COMPLETION_SOURCE = "okta-lifecycle"
COMPLETION_DETAIL_TYPE = "Flow ended"


def announce(flow: str, outcome: str, summary: dict | str, nxt: str) -> dict:
    """Issue 27 item 5: one event on EventBridge as the flow ends, whatever the end (detail: flow, outcome, user,
    execution, the report's summary), so a team routes it to mail, chat or a ticket with a rule of its own
    (docs/flows.md). A failed announcement is retried, then let go: the flow's own end and its alarms stand."""
    detail = {"flow": flow, "outcome": outcome, "user.$": "$.subject", "execution.$": "$$.Execution.Id"}
    if isinstance(summary, str):
        detail["summary.$"] = summary
    else:
        detail["summary"] = summary
    return {
        "Type": "Task", "Comment": f"Announce the end ({outcome}) on the completion bus.",
        "Resource": "arn:aws:states:::events:putEvents",
        "Parameters": {"Entries": [{"EventBusName": COMPLETION_BUS, "Source": COMPLETION_SOURCE,
                                    "DetailType": COMPLETION_DETAIL_TYPE, "Detail": detail}]},
        "ResultPath": None, "Retry": retry("events"), "Catch": [caught(["States.ALL"], nxt)], "Next": nxt}


RERUN = ("A run that fails forgets its event, so re-sending a failed event runs it again; to run a succeeded one "
         "again, start it with a new event id.")


def stale_and_duplicate(flow: str, error_prefix: str, loud: bool, subject_status: bool = False) -> dict:
    # The user as the report names it: id and login (not the status ResolveUser may keep for the runbook).
    user = ({"user": {"id.$": "$.subject.id", "login.$": "$.subject.login"}} if subject_status
            else {"user.$": "$.subject"})
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
                                 "executionId.$": "$$.Execution.Id", **user,
                                 "message": "a newer event was already applied to this user; nothing changed"},
                  "End": True},
        "Duplicate": {"Type": "Pass", "Comment": "This event id already ran (or is running): nothing to do.",
                      "Parameters": {"flow": flow, "outcome": "duplicate", "eventId.$": "$.admitted.event.id",
                                     "executionId.$": "$$.Execution.Id", **user,
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


def call_map(items: str, item: dict, user_id: str, function: str, payload: dict, failed: str, result_path: str,
             nxt: str, comment: str) -> dict:
    """A Map calling `function` once per item, 4 at a time: each item carries `item` and the call's context under
    `answer`, which the call's answer (or its error) replaces, so that hundreds of items stay small (Step Functions'
    256 KB); a failed call is the item's answer, and the report counts it."""
    return {
        "Type": "Map", "Comment": comment, "ItemsPath": items, "MaxConcurrency": 4,
        "ItemSelector": {**item, "answer": {"userId.$": user_id, "dryRun.$": "$.admitted.dryRun",
                                            "requestedBy.$": "$.admitted.requestedBy"}},
        "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": function, "States": {
            function: {
                "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": f"${{{function}FunctionArn}}", "Payload": {
                    "user.$": "$.answer.userId", **payload, "dryRun.$": "$.answer.dryRun",
                    "executionId.$": "$$.Execution.Id", "requestedBy.$": "$.answer.requestedBy"}},
                "ResultSelector": {"changed.$": "$.Payload.changed", "message.$": "$.Payload.message"},
                "ResultPath": "$.answer", "Retry": retry(*OKTA_FUNCTION),
                "Catch": [caught(["States.ALL"], failed, "$.answer")], "End": True},
            failed: {"Type": "Succeed", "Comment": "The error is the item's answer; the report counts it."},
        }},
        "ResultPath": result_path, "Next": nxt}


def item_map(items: str, kind: str, function: str, payload: dict, failed: str, nxt: str, comment: str,
             result_path: str | None = None) -> dict:
    """A Map over the plan's ids (`{"id"}` items of kind group or app) for the user the runbook read."""
    return call_map(items, {kind: {"id.$": "$$.Map.Item.Value.id"}}, "$.user.id", function, payload, failed,
                    result_path or f"$.{'removed' if kind == 'group' else 'revoked'}", nxt, comment)
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
        # An offboarding also closes the undo of the user's last move (issue 27: Undo.Offboarded).
        ", leaveOpen, leaveSuspendedUser, leaveSince, leaveEventId, lastMove, lastMoveAt",
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


MOVE_KEY = "States.Format('move#{}', $$.Execution.Id)"


def done(comment: str) -> dict:
    """The runbook's last state: only the outcome the wrapper reads (the reads and the items' answers are dropped,
    256 KB state limit)."""
    return {"Type": "Pass", "Comment": comment,
            "Parameters": {"outcome": {"summary.$": "$.outcome.summary", "complete.$": "$.outcome.complete"}},
            "End": True}


def move() -> dict:
    flow = "move"
    runbook = {
        "GetUser": okta_call(
            "${GetUserFunctionArn}", {"user.$": "$.subject.id", "include": ["groups", "apps", "appGrants"]},
            {"id.$": "$.Payload.user.id", "login.$": "$.Payload.user.login", "groups.$": "$.Payload.groups",
             "apps.$": "$.Payload.apps"}, "$.user", "Plan",
            comment="The user's groups (rule-managed ones marked, with each group's type) and apps (each with its "
                    "scope and, when a group grants it, which of the user's groups). Nothing is changed yet."),
        "Plan": flow_step(
            "plan", flow, {"admitted.$": "$.admitted", "user.$": "$.user"},
            {"removeGroups.$": "$.Payload.removeGroups", "addGroups.$": "$.Payload.addGroups",
             "revokeApps.$": "$.Payload.revokeApps", "assignApps.$": "$.Payload.assignApps"}, "$.plan",
            "RemoveGroups",
            "From access profile A to B: leave what A grants and B does not, join what only B grants, keep the rest; "
            "never a rule-managed, app-managed or built-in membership, never an app a group grants "
            "(shared/src/flows/mover.rs)."),
        "RemoveGroups": item_map("$.plan.removeGroups", "group", "RemoveUserFromGroup", {"group.$": "$.group.id"},
                                 "GroupNotLeft", "AddGroups", "Leave each direct membership the plan names.",
                                 "$.removed"),
        "AddGroups": item_map("$.plan.addGroups", "group", "AddUserToGroup", {"group.$": "$.group.id"},
                              "GroupNotJoined", "RevokeApps", "Join each group only profile B grants.", "$.added"),
        "RevokeApps": item_map("$.plan.revokeApps", "app", "RevokeAppFromUser", {"app.$": "$.app.id"},
                               "AppNotRevoked", "AssignApps", "Revoke each direct assignment the plan names.",
                               "$.revoked"),
        "AssignApps": item_map("$.plan.assignApps", "app", "AssignAppToUser", {"app.$": "$.app.id"},
                               "AppNotAssigned", "Report",
                               "Assign each app only profile B grants (after the joins: one a joined group grants "
                               "answers unchanged, and the undo leaves it to the group).", "$.assigned"),
        "Report": flow_step(
            "report", flow, {"executionId.$": "$$.Execution.Id", "state.$": "$"},
            {"summary.$": "$.Payload.summary", "complete.$": "$.Payload.complete", "changes.$": "$.Payload.changes"},
            "$.outcome", "RecordMoveOrNot",
            "Each group and app with its change, class and outcome; what the run changed (the before-state an undo "
            "restores)."),
        "RecordMoveOrNot": {
            "Type": "Choice", "Comment": "A dry run records nothing.",
            "Choices": [{"Variable": "$.admitted.dryRun", "BooleanEquals": True, "Next": "Done"}],
            "Default": "RecordMove"},
        "RecordMove": {
            "Type": "Task",
            "Comment": "The move's before-state, for an undo: the memberships and assignments this run changed.",
            "Resource": "arn:aws:states:::dynamodb:putItem",
            "Parameters": {"TableName": LEDGER, "Item": {
                "pk": {"S.$": MOVE_KEY}, "flow": {"S": flow}, "userId": {"S.$": "$.user.id"},
                "login": {"S.$": "$.user.login"}, "executionId": ME,
                "fromProfile": {"S.$": "$.admitted.request.fromProfile"},
                "toProfile": {"S.$": "$.admitted.request.toProfile"}, "recordedAt": {"S.$": "$$.State.EnteredTime"},
                "changes": {"S.$": "States.JsonToString($.outcome.changes)"}}},
            "ResultPath": None, "Retry": retry("dynamodb"), "Next": "MarkLastMove"},
        "MarkLastMove": ledger_update(
            USER_KEY, "SET lastMove = :me, lastMoveAt = :at", "leaseHolder = :me",
            {":me": ME, ":at": {"S.$": "$$.State.EnteredTime"}}, "Done", "Done",
            comment="The user's last move: only it can be undone (a later move replaces it, an offboarding clears "
                    "it)."),
        "Done": done("The outcome for the wrapper."),
    }
    return ledger_wrapper(
        flow, "Move", 900, runbook, {}, "GetUser", "",
        "Move (issue 27): admit the event, record it once, take the user's lease; read the user's groups and apps, "
        "plan the move from access profile A to B, leave, join, revoke and assign what the plan names, report, and "
        "record what changed (move#<execution>) so the undo-move flow can restore it. Fails with Move.Incomplete "
        "(the report as Cause) when a step failed. Generated by infra/generate.py.")


def undo_move() -> dict:
    flow = "undo-move"
    record_key = "States.Format('move#{}', $.admitted.request.moveExecution)"
    runbook = {
        "ReadMove": {
            "Type": "Task", "Comment": "The move's record (its before-state); none for an unknown move.",
            "Resource": "arn:aws:states:::dynamodb:getItem",
            "Parameters": {"TableName": LEDGER, "Key": {"pk": {"S.$": record_key}}, "ConsistentRead": True},
            "ResultPath": "$.record", "Retry": retry("dynamodb"), "Next": "GetUser"},
        "GetUser": okta_call(
            "${GetUserFunctionArn}", {"user.$": "$.subject.id"},
            {"id.$": "$.Payload.user.id", "login.$": "$.Payload.user.login",
             "status.$": "$.Payload.properties.status"}, "$.user", "Plan",
            comment="The user's status: a deprovisioned user's access is not restored."),
        "Plan": flow_step(
            "plan", flow, {"admitted.$": "$.admitted", "user.$": "$.user", "ledger.$": "$.ledger",
                           "record.$": "$.record"},
            {"refused.$": "$.Payload.refused", "addGroups.$": "$.Payload.addGroups",
             "removeGroups.$": "$.Payload.removeGroups", "assignApps.$": "$.Payload.assignApps",
             "revokeApps.$": "$.Payload.revokeApps"}, "$.plan", "RefusedOrNot",
            "Refused unless the named move is this user's last and no offboarding came since; else the inverse of "
            "what the move changed (shared/src/flows/undo_move.rs)."),
        "RefusedOrNot": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.plan.refused", "IsNull": False, "Next": "Refused"}],
            "Default": "AddGroups"},
        "Refused": {"Type": "Fail", "Comment": "Nothing changed: the error names why (Undo.*).",
                    "ErrorPath": "$.plan.refused.error", "CausePath": "$.plan.refused.cause"},
        "AddGroups": item_map("$.plan.addGroups", "group", "AddUserToGroup", {"group.$": "$.group.id"},
                              "GroupNotJoined", "RemoveGroups", "Re-join each group the move left.", "$.added"),
        "RemoveGroups": item_map("$.plan.removeGroups", "group", "RemoveUserFromGroup", {"group.$": "$.group.id"},
                                 "GroupNotLeft", "AssignApps", "Leave each group the move joined.", "$.removed"),
        "AssignApps": item_map("$.plan.assignApps", "app", "AssignAppToUser", {"app.$": "$.app.id"},
                               "AppNotAssigned", "RevokeApps", "Re-assign each app the move revoked.",
                               "$.assigned"),
        "RevokeApps": item_map("$.plan.revokeApps", "app", "RevokeAppFromUser", {"app.$": "$.app.id"},
                               "AppNotRevoked", "Report", "Revoke each app the move assigned.", "$.revoked"),
        "Report": flow_step(
            "report", flow, {"executionId.$": "$$.Execution.Id", "state.$": "$"},
            {"summary.$": "$.Payload.summary", "complete.$": "$.Payload.complete"}, "$.outcome", "CloseOrNot",
            "Each restoration and its outcome, and complete or not."),
        "CloseOrNot": {
            "Type": "Choice",
            "Comment": "Only a complete real undo closes the move; an incomplete one may be started again.",
            "Choices": [{"Variable": "$.admitted.dryRun", "BooleanEquals": True, "Next": "Done"},
                        {"Variable": "$.outcome.complete", "BooleanEquals": False, "Next": "Done"}],
            "Default": "MarkUndone"},
        "MarkUndone": {
            "Type": "Task", "Comment": "The move is undone: a second undo of it is Undo.AlreadyUndone.",
            "Resource": "arn:aws:states:::dynamodb:updateItem",
            "Parameters": {"TableName": LEDGER, "Key": {"pk": {"S.$": record_key}},
                           "UpdateExpression": "SET undoneBy = :me, undoneAt = :at",
                           "ConditionExpression": "attribute_exists(pk) AND attribute_not_exists(undoneBy)",
                           "ExpressionAttributeValues": {":me": ME, ":at": {"S.$": "$$.State.EnteredTime"}}},
            "ResultPath": None, "Retry": retry("dynamodb"), "Catch": [caught([CCF], "ForgetLastMove")],
            "Next": "ForgetLastMove"},
        "ForgetLastMove": ledger_update(
            USER_KEY, "REMOVE lastMove, lastMoveAt", "leaseHolder = :me", {":me": ME}, "Done", "Done",
            comment="The user has no move to undo now."),
        "Done": done("The outcome for the wrapper."),
    }
    return ledger_wrapper(
        flow, "UndoMove", 900, runbook, {}, "ReadMove", "",
        "Undo a move (issue 27): admit the request (user, moveExecution), record it once, take the user's lease; read "
        "the move's record and the user, refuse (Undo.UnknownMove, Undo.WrongUser, Undo.AlreadyUndone, "
        "Undo.MovedSince, Undo.Offboarded) or restore the before-state: re-join the groups it left, leave those it "
        "joined, re-assign the apps it revoked, revoke those it assigned. Fails with UndoMove.Incomplete (the report "
        "as Cause) when a step failed. Generated by infra/generate.py.",
        dry_run_reads_ledger=True)


# ------------------------------------------------------------------------------------------------ onboarding
def grant_map(items: str, kind: str, function: str, payload: dict, failed: str, result_path: str, nxt: str,
              comment: str) -> dict:
    """A Map over the admitted request's groups or apps, in order: each item carries what the request named (a
    group's name or id; an app's {app, userName, profile}); the report reads it beside the call's answer."""
    return call_map(items, {kind + ".$": "$$.Map.Item.Value"}, "$.subject.id", function, payload, failed,
                    result_path, nxt, comment)


def status_is(path: str, *statuses: str) -> dict:
    rules = [{"Variable": path, "StringEquals": status} for status in statuses]
    return rules[0] if len(rules) == 1 else {"Or": rules}


def onboarding() -> dict:
    flow = "onboarding"
    outcome = {"changed.$": "$.Payload.changed", "message.$": "$.Payload.message"}
    # The status the password step goes by: the activation's answer when it ran and answered, else the status read.
    after_activation_active = {"Or": [
        {"And": [{"Variable": "$.activated.statusAfter", "IsPresent": True},
                 {"Variable": "$.activated.statusAfter", "StringEquals": "ACTIVE"}]},
        {"And": [{"Variable": "$.activated.statusAfter", "IsPresent": False},
                 {"Variable": "$.subject.status", "StringEquals": "ACTIVE"}]}]}
    runbook = {
        "ActivateOrNot": {
            "Type": "Choice",
            "Comment": "Activate a STAGED or DEPROVISIONED user; send a PROVISIONED user's activation again only when "
                       "asked (resendActivation). Any other status is reported as it is (shared/src/flows/"
                       "onboarding.rs). The status is ResolveUser's read; activate-user reads it again before it "
                       "changes anything.",
            "Choices": [
                {**status_is("$.subject.status", "STAGED", "DEPROVISIONED"), "Next": "ActivateUser"},
                {"And": [status_is("$.subject.status", "PROVISIONED"),
                         {"Variable": "$.admitted.request.resendActivation", "BooleanEquals": True}],
                 "Next": "ActivateUser"}],
            "Default": "AddToGroups"},
        "ActivateUser": okta_call(
            "${ActivateUserFunctionArn}",
            {"user.$": "$.subject.id", "sendEmail.$": "$.admitted.request.sendEmail",
             "resendActivation.$": "$.admitted.request.resendActivation"},
            {**outcome, "statusAfter.$": "$.Payload.user.statusAfter"}, "$.activated", "AddToGroups",
            [caught(["States.ALL"], "AddToGroups", "$.activated")],
            comment="A failure (Policy.Offboarded for a user the ledger records as offboarded) is reported; the "
                    "groups and apps are still granted."),
        "AddToGroups": grant_map(
            "$.admitted.request.groups", "group", "AddUserToGroup", {"group.$": "$.group"}, "GroupNotAdded",
            "$.groups", "AssignApps",
            "Add the user to each group the request names (its access profile's, or the API's, within "
            "LIST_CAP); add-user-to-group checks the grant allow-lists and the admin-role guard."),
        "AssignApps": grant_map(
            "$.admitted.request.apps", "app", "AssignAppToUser",
            {"app.$": "$.app.app", "userName.$": "$.app.userName", "profile.$": "$.app.profile"}, "AppNotAssigned",
            "$.apps", "PasswordOrNot",
            "Assign each app, after the groups (an app a group grants is then found assigned); assign-app-to-user "
            "checks the allow-list and the profile keys it may set."),
        "PasswordOrNot": {
            "Type": "Choice",
            "Comment": "The password step, when asked, for an ACTIVE user only (a reset or expiry means nothing "
                       "before activation).",
            "Choices": [
                {"Variable": "$.admitted.request.password", "StringEquals": "none", "Next": "Report"},
                {"Not": after_activation_active, "Next": "Report"},
                {"Variable": "$.admitted.request.password", "StringEquals": "reset", "Next": "ResetPassword"}],
            "Default": "ExpirePassword"},
        "ResetPassword": okta_call(
            "${ResetPasswordFunctionArn}", {"user.$": "$.subject.id", "sendEmail.$": "$.admitted.request.sendEmail"},
            outcome, "$.password", "Report", [caught(["States.ALL"], "Report", "$.password")]),
        "ExpirePassword": okta_call(
            "${ExpirePasswordFunctionArn}", {"user.$": "$.subject.id"}, outcome, "$.password", "Report",
            [caught(["States.ALL"], "Report", "$.password")]),
        "Report": flow_step(
            "report", flow, {"executionId.$": "$$.Execution.Id", "state.$": "$"},
            {"outcome": {"summary.$": "$.Payload.summary", "complete.$": "$.Payload.complete"}}, "$", None,
            "Each step's and each item's outcome (changed, unchanged, skipped or failed with its error), and "
            "complete or not (shared/src/flows/onboarding.rs)."),
    }
    return ledger_wrapper(
        flow, "Onboarding", 3600, runbook, {}, "ActivateOrNot", "",
        "Onboarding: admit the event (an HR event must name an access profile; the profile is expanded into its "
        "groups and apps), record it once, take the user's lease; activate the user by status, add it to each "
        "group, assign each app, the password step for an ACTIVE user, and report. Fails with Onboarding.Incomplete "
        "(the report as Cause) when a step or item failed, after doing all it could. Generated by infra/generate.py.",
        subject_status=True)


# ------------------------------------------------------------------------------------------------------ bulk
COUNTS = "${BulkCountsTable}"
DRY_RUN_KEY = {"run": {"S.$": "States.Format('dryrun#{}', $.input.dryRunExecution)"}}


def child_start(flow: str, machine: str) -> dict:
    return {
        "Type": "Task", "Comment": f"The {flow} flow for this line, to its end.",
        "Resource": "arn:aws:states:::states:startExecution.sync:2",
        "Parameters": {"StateMachineArn": f"${{{machine}StateMachineArn}}", "Input.$": "$.start.input",
                       "Name.$": "States.UUID()"},
        "ResultSelector": {"output.$": "$.Output"}, "ResultPath": "$.child", "Retry": retry("child-start"),
        "Catch": [caught(["States.ALL"], "CountFailure", "$.failure")], "Next": "Outcome"}


def bulk() -> dict:
    line_step = flow_step(
        "line", "bulk", {"line.$": "$.line", "index.$": "$.index", "run.$": "$.run", "runTime.$": "$.runTime",
                         "runFlow.$": "$.flow", "dryRun.$": "$.dryRun"},
        {"flow.$": "$.Payload.flow", "input.$": "$.Payload.input"}, "$.start", "Route",
        "The child's start: the line's own fields, and the run's identity for every line (event id "
        "bulk:<run>:<line>, source bulk, the run's start as event time, requestedBy bulk:<run>); a line that sets "
        "one of those, or another flow, fails with Input.Invalid naming the field (shared/src/flows/bulk.rs).")
    line_step["Catch"] = [caught(["States.ALL"], "CountFailure", "$.failure")]
    items = {
        "Line": line_step,
        "Route": {"Type": "Choice", "Comment": "The run's flow (the line step admits no other).",
                  "Choices": [{"Variable": "$.start.flow", "StringEquals": name.lower(), "Next": name}
                              for name in ("Offboarding", "Onboarding", "Leave", "Return")]},
        "Offboarding": child_start("offboarding", "Offboarding"),
        "Onboarding": child_start("onboarding", "Onboarding"),
        "Leave": child_start("leave", "Leave"),
        "Return": child_start("return", "Return"),
        "Outcome": flow_step(
            "outcome", "bulk", {"index.$": "$.index", "runFlow.$": "$.start.flow", "input.$": "$.start.input",
                                "output.$": "$.child.output"},
            {"index.$": "$.Payload.index", "user.$": "$.Payload.user", "flow.$": "$.Payload.flow",
             "outcome.$": "$.Payload.outcome", "report.$": "$.Payload.report"}, "$.result", "Count",
            "The line's outcome from the child's report: changed if any step changed something, else unchanged if "
            "any found it done, else skipped."),
        "Count": {
            "Type": "Task", "Comment": "Counted; the line's result (index, user, flow, outcome, report) goes to S3.",
            "Resource": "arn:aws:states:::dynamodb:updateItem",
            "Parameters": {"TableName": COUNTS, "Key": {"run": {"S.$": "$.run"}}, "UpdateExpression": "ADD #outcome :one",
                           "ExpressionAttributeNames": {"#outcome.$": "$.result.outcome"},
                           "ExpressionAttributeValues": {":one": {"N": "1"}}},
            "ResultPath": None, "OutputPath": "$.result", "Retry": retry("dynamodb"), "End": True},
        "CountFailure": {
            "Type": "Task", "Comment": "Counted as failed, and by its error name (failed <Error>).",
            "Resource": "arn:aws:states:::dynamodb:updateItem",
            "Parameters": {"TableName": COUNTS, "Key": {"run": {"S.$": "$.run"}},
                           "UpdateExpression": "ADD #outcome :one, #error :one",
                           "ExpressionAttributeNames": {"#outcome": "failed",
                                                        "#error.$": "States.Format('failed {}', $.failure.Error)"},
                           "ExpressionAttributeValues": {":one": {"N": "1"}}},
            "ResultPath": None, "Retry": retry("dynamodb"), "Next": "ItemFailed"},
        "ItemFailed": {"Type": "Fail", "Comment": "Counts against the tolerated failures; its cause is in the "
                                                  "results in S3.",
                       "Error": "Bulk.ItemFailed", "CausePath": "States.JsonToString($.failure)"},
    }
    states = {
        "Admit": flow_step(
            "admit", "bulk", {"input.$": "$", "maxConcurrencyCap.$": "States.StringToJson('${BulkMaxConcurrency}')"},
            {"input.$": "$.Payload"}, "$", "MeasureList",
            "The run's settings with their defaults (shared/src/flows/bulk.rs): bucket, key and versionId required; "
            "flow, dryRun, toleratedFailurePercentage, maxConcurrency (only lower than BulkMaxConcurrency), "
            "dryRunExecution; requestedBy from the API's envelope. A refusal is Input.Invalid naming the field."),
        "MeasureList": {
            "Type": "Task",
            "Comment": "The list's size (issue 24: a documented cap on bulk items), before any line runs.",
            "Resource": "arn:aws:states:::aws-sdk:s3:headObject",
            "Parameters": {"Bucket.$": "$.input.bucket", "Key.$": "$.input.key", "VersionId.$": "$.input.versionId"},
            "ResultSelector": {"bytes.$": "$.ContentLength", "cap.$": "States.StringToJson('${BulkMaxListBytes}')"},
            "ResultPath": "$.list", "Retry": retry("s3"), "Next": "PlanOrApply"},
        "PlanOrApply": {
            "Type": "Choice",
            "Comment": "A list over BulkMaxListBytes is refused; then plan, then apply (issue 25): a real run names a "
                       "completed dry run of the same list version.",
            "Choices": [{"Variable": "$.list.bytes", "NumericGreaterThanPath": "$.list.cap", "Next": "ListTooLarge"},
                        {"Variable": "$.input.dryRun", "BooleanEquals": True, "Next": "StartCounts"},
                        {"Variable": "$.input.dryRunExecution", "StringEquals": "", "Next": "RefusalReason"}],
            "Default": "ClaimDryRun"},
        "ClaimDryRun": {
            "Type": "Task",
            "Comment": "One conditional update proves the plan: the named dry run completed (its record exists), read "
                       "the same bucket, key and version for the same flow, was started by another principal, and "
                       "was not applied before; it is then marked applied by this run.",
            "Resource": "arn:aws:states:::dynamodb:updateItem",
            "Parameters": {
                "TableName": COUNTS, "Key": DRY_RUN_KEY, "UpdateExpression": "SET #applied = :me",
                "ConditionExpression": "attribute_exists(#run) AND attribute_not_exists(#applied) AND #bucket = :bucket "
                                       "AND #key = :key AND #version = :version AND #flow = :flow AND #by <> :by",
                "ExpressionAttributeNames": {"#run": "run", "#applied": "appliedBy", "#bucket": "bucket", "#key": "key",
                                             "#version": "versionId", "#flow": "flow", "#by": "requestedBy"},
                "ExpressionAttributeValues": {":me": ME, ":bucket": {"S.$": "$.input.bucket"},
                                              ":key": {"S.$": "$.input.key"}, ":version": {"S.$": "$.input.versionId"},
                                              ":flow": {"S.$": "$.input.flow"}, ":by": {"S.$": "$.input.requestedBy"}},
                "ReturnValues": "ALL_NEW"},
            "ResultSelector": {"dryRunExecution.$": "$.Attributes.execution.S",
                               "approvedBy.$": "$.Attributes.requestedBy.S",
                               "dryRunCounts.$": "States.StringToJson($.Attributes.counts.S)"},
            "ResultPath": "$.approval", "Retry": retry("dynamodb"),
            "Catch": [caught([CCF], "WhyNotApproved")], "Next": "StartCounts"},
        "WhyNotApproved": {
            "Type": "Task", "Comment": "Reads the named dry run's record to say why the run is refused.",
            "Resource": "arn:aws:states:::dynamodb:getItem",
            "Parameters": {"TableName": COUNTS, "Key": DRY_RUN_KEY, "ConsistentRead": True},
            "ResultPath": "$.plan", "Retry": retry("dynamodb"), "Next": "RefusalReason"},
        "RefusalReason": flow_step(
            "refusal", "bulk", {"state.$": "$"}, {"cause.$": "$.Payload.cause"}, "$.refusal", "NotApproved",
            "Which rule of plan-then-apply the run breaks: no dry run named, none completed, already applied, another "
            "list or flow, or the same principal."),
        "NotApproved": {"Type": "Fail", "Error": "Bulk.NotApproved", "CausePath": "$.refusal.cause"},
        "ListTooLarge": {"Type": "Fail", "Error": "Input.Invalid",
                         "CausePath": "States.Format('key: the list is {} bytes, more than BulkMaxListBytes ({}); "
                                      "split it into several runs', $.list.bytes, $.list.cap)"},
        "StartCounts": {
            "Type": "Task", "Comment": "One counter per outcome for this run, added to by every line.",
            "Resource": "arn:aws:states:::dynamodb:putItem",
            "Parameters": {"TableName": COUNTS, "Item": {
                "run": {"S.$": "$$.Execution.Name"}, "changed": {"N": "0"}, "unchanged": {"N": "0"},
                "skipped": {"N": "0"}, "failed": {"N": "0"}}},
            "ResultPath": None, "Retry": retry("dynamodb"), "Next": "Users"},
        "Users": {
            "Type": "Map", "Comment": "One child execution per line.",
            "ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "${BulkInputType}"},
                           "Parameters": {"Bucket.$": "$.input.bucket", "Key.$": "$.input.key",
                                          "VersionId.$": "$.input.versionId"}},
            "ItemSelector": {"line.$": "$$.Map.Item.Value", "index.$": "$$.Map.Item.Index",
                             "run.$": "$$.Execution.Name", "runTime.$": "$$.Execution.StartTime",
                             "flow.$": "$.input.flow", "dryRun.$": "$.input.dryRun"},
            "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                              "StartAt": "Line", "States": items},
            "MaxConcurrencyPath": "$.input.maxConcurrency",
            "ToleratedFailurePercentagePath": "$.input.toleratedFailurePercentage",
            "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject",
                             "Parameters": {"Bucket": "${BulkBucketName}", "Prefix": "results"}},
            "ResultPath": "$.results",
            "Catch": [caught(["States.ExceedToleratedFailureThreshold"], "Summary", "$.stopped")],
            "Next": "Summary"},
        "Summary": {
            "Type": "Task", "Resource": "arn:aws:states:::dynamodb:getItem",
            "Parameters": {"TableName": COUNTS, "Key": {"run": {"S.$": "$$.Execution.Name"}}, "ConsistentRead": True},
            "ResultPath": "$.counts", "Retry": retry("dynamodb"), "Next": "Report"},
        "Report": flow_step(
            "report", "bulk", {"executionId.$": "$$.Execution.Id", "state.$": "$"}, {"summary.$": "$.Payload"},
            "$.report", "RecordPlan",
            "The run's summary: settings, counts, every counter (failed <error> too), where the lines' results are "
            "in S3, the approval applied, and whether the run stopped past its tolerated failures."),
        "RecordPlan": {"Type": "Choice",
                       "Choices": [{"Variable": "$.input.dryRun", "BooleanEquals": True, "Next": "RecordDryRun"}],
                       "Default": "AnyFailed"},
        "RecordDryRun": {
            "Type": "Task", "Comment": "The reviewed plan a real run may apply once.",
            "Resource": "arn:aws:states:::dynamodb:putItem",
            "Parameters": {"TableName": COUNTS, "Item": {
                "run": {"S.$": "States.Format('dryrun#{}', $$.Execution.Name)"}, "execution": ME,
                "bucket": {"S.$": "$.input.bucket"}, "key": {"S.$": "$.input.key"},
                "versionId": {"S.$": "$.input.versionId"}, "flow": {"S.$": "$.input.flow"},
                "requestedBy": {"S.$": "$.input.requestedBy"},
                "counts": {"S.$": "States.JsonToString($.report.summary.counts)"}}},
            "ResultPath": None, "Retry": retry("dynamodb"), "Next": "AnyFailed"},
        "AnyFailed": {"Type": "Choice",
                      "Choices": [{"Variable": "$.report.summary.counts.failed", "NumericGreaterThan": 0,
                                   "Next": "Incomplete"}],
                      "Default": "Done"},
        "Done": {"Type": "Succeed", "OutputPath": "$.report.summary"},
        "Incomplete": {"Type": "Fail", "Error": "Bulk.Incomplete",
                       "CausePath": "States.JsonToString($.report.summary)"},
    }
    return {
        "Comment": "Bulk: one lifecycle flow per line of a list in S3, as fast as Okta's limits allow (the functions "
                   "pace themselves) and at most BulkMaxConcurrency lines at once; the run's settings (flow, event "
                   "ids, event time, requestedBy, dry run) override every line; a summary of outcomes as output, every "
                   "line's report in S3. Plan, then apply (issue 25): a real run names a completed dry run of the "
                   "same object version, started by someone else. Generated by infra/generate.py.",
        "StartAt": "Admit", "TimeoutSeconds": 86400, "States": states}


FLOWS = {"offboarding": offboarding, "leave": leave, "return": return_flow, "onboarding": onboarding, "bulk": bulk,
         "move": move, "undo-move": undo_move}


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
