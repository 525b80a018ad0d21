"""moto_server with two local speed-ups that change no outcome (and aws_sdk_casing's fix, which is not a speed-up): `python -m localaws.moto_speedups SCALE [moto_server
arguments]`. `bench/suite_time.py` measures a selection of the local tests with and without them (the figures are
in docs/testing.md, "Suite time").

1. Retry waits scaled by SCALE. moto's interpreter sleeps each Retry interval for real (`time.sleep` in
   RetrierDecl, with the full jitter the flows ask for); the flows' backoffs are seconds to a minute
   (infra/generate.py, RETRY). Locally nothing waits on those backoffs: a fault the tests inject is counted
   (`times`), not timed. The attempts, their order, the backoff sequence and what the flows do are unchanged (the
   golden traces compare them); only the clock time between attempts shrinks. Not scaled: the lease wait
   (`DynamoDB.ConditionalCheckFailedException`, the lease-wait policy), which waits for another execution's real
   progress (test_flow_guards' two flows for one user), so it keeps AWS's timing.

2. The ASL syntax tree of a definition parsed once. moto parses the whole definition with its ANTLR grammar (pure
   Python, about half a second for offboarding.asl.json) at CreateStateMachine and again at every StartExecution,
   which was a quarter of the suite's time. The syntax tree is kept per definition text; each execution still gets
   its own evaluation components from moto's own Preprocessor, as before, so no state is shared between
   executions. A definition with a syntax error is never cached (the parse raises as before).
"""

from __future__ import annotations

import sys
import threading
import time

# The Retry policies that wait for something real rather than back off from a fault: kept at full length.
REAL_TIME_ERRORS = frozenset({"DynamoDB.ConditionalCheckFailedException"})
# Syntax trees kept, by definition text: the suite renders a few dozen distinct definitions.
MAX_TREES = 256

_current = threading.local()


class _ScaledSleep:
    """Stands in for the `time` module inside moto's retrier: `sleep` is scaled for the retrier running on this
    thread, everything else is the real `time`."""

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds * getattr(_current, "scale", 1.0))

    def __getattr__(self, name: str):
        return getattr(time, name)


def scale_retry_waits(scale: float) -> None:
    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl

    original = retrier_decl.RetrierDecl._eval_body

    def eval_body(self, env) -> None:  # noqa: ANN001 - moto's signature
        names = {getattr(name, "error_name", None) for name in self.error_equals.error_names}
        _current.scale = 1.0 if names & REAL_TIME_ERRORS else scale
        try:
            original(self, env)
        finally:
            _current.scale = 1.0

    retrier_decl.RetrierDecl._eval_body = eval_body
    retrier_decl.time = _ScaledSleep()


def cache_syntax_trees() -> None:
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
    from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor

    original = AmazonStateLanguageParser.parse
    trees: dict[str, object] = {}
    lock = threading.Lock()

    def parse(definition: str):
        with lock:
            tree = trees.get(definition)
        if tree is None:
            program, tree = original(definition)
            with lock:
                if len(trees) >= MAX_TREES:
                    trees.pop(next(iter(trees)))
                trees[definition] = tree
            return program, tree
        return Preprocessor().visit(tree), tree

    AmazonStateLanguageParser.parse = staticmethod(parse)


def main(argv: list[str]) -> None:
    scale = float(argv[0])
    if not 0 < scale <= 1:
        raise SystemExit(f"moto_speedups: SCALE is in (0, 1], not {argv[0]}")
    scale_retry_waits(scale)
    cache_syntax_trees()
    from .aws_sdk_casing import apply as aws_sdk_casing

    aws_sdk_casing()  # not a speed-up: what AWS does (aws_sdk_casing.py)
    print(f"[moto_speedups] Retry waits x{scale} (not {', '.join(sorted(REAL_TIME_ERRORS))}); ASL syntax trees "
          "cached", file=sys.stderr, flush=True)
    from moto.server import main as moto_main

    moto_main(argv[1:])


if __name__ == "__main__":
    main(sys.argv[1:])
