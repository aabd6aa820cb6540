"""One cold start, in a fresh interpreter: import an app and serve its first request.

Run by benchmarks.run as `python -m benchmarks.cold APP_DIR OPERATION`: the
first `POST /leads`, whose DynamoDB call is OPERATION, or with OPERATION
`staff_me` the staff API's first `GET /staff/me`. The clock starts before the
app is imported and stops when the handler returns; AWS is answered by
botocore's Stubber (the client itself is created for real, the way the app
creates it). Prints one JSON object on stdout.
"""

import sys
import time

T0 = time.perf_counter()
C0 = time.process_time()


def main() -> None:
    """Measure, then report on stdout."""
    app_dir, operation = sys.argv[1], sys.argv[2]
    sys.path.insert(0, app_dir)
    import app as module

    t_import = time.perf_counter()
    c_import = time.process_time()

    import os

    from benchmarks.aws import STAFF_ME, LambdaContext, StubbedAWS, api_event, lead_body, staff_event

    aws = StubbedAWS()
    if operation == STAFF_ME:
        # The staff API's first request: its token is checked against the pool's
        # keys, fetched from the JWKS address the harness serves on loopback. It
        # calls no AWS service, so botocore is stubbed only if the app loads it.
        aws.install_when_imported()
        event = staff_event(os.environ["BENCH_STAFF_TOKEN"])
    else:
        aws.install()
        aws.queue("dynamodb", operation, {})
        event = api_event(lead_body())
    real_stdout = sys.stdout
    with open(os.devnull, "w") as sink:
        sys.stdout = sink  # the app's log lines (Lambda would ship them to CloudWatch)
        try:
            response = module.app(event, LambdaContext())
        finally:
            sys.stdout = real_stdout
    t_done = time.perf_counter()
    cpu = time.process_time() - C0

    import json

    # Outside the timed part: which files under the app's directory were imported.
    root = os.path.realpath(app_dir) + os.sep
    loaded = sorted(
        os.path.realpath(m.__file__)[len(root) :]
        for m in list(sys.modules.values())
        if getattr(m, "__file__", None) and os.path.realpath(m.__file__).startswith(root)
    )
    result = {
        "import_ms": (t_import - T0) * 1000,
        "first_request_ms": (t_done - t_import) * 1000,
        "total_ms": (t_done - T0) * 1000,
        "cpu_ms": cpu * 1000,
        "import_cpu_ms": (c_import - C0) * 1000,
        "status": response["statusCode"],
        "calls": dict(aws.calls),
        "clients": dict(aws.clients),
        "unused_stubs": aws.pending(),
        "modules": len(sys.modules),
        "loaded_files": loaded,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
