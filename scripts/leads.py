"""The staff command line: see, work, export and erase leads.

    ./leads [--local | --stage STAGE | --table NAME] COMMAND ...
    (or, inside the project's virtualenv: python -m scripts.leads ...)

It signs in with the staff member's own AWS credentials (the boto3 default
chain: IAM is the access control) and runs the same store and service code
as the app. Personal details are shown on the terminal and written to
exports on request; nothing here logs them.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from datetime import UTC
from typing import Any, TextIO

from chalicelib.service import WORK_STATUSES
from chalicelib.store import LeadNotFound, StorageUnavailable
from scripts.staff_cli import commands as cmds
from scripts.staff_cli import target as where
from scripts.staff_cli.commands import ALL_STATUSES
from scripts.staff_cli.console import Io, quiet_service_logs
from scripts.staff_cli.errors import NOT_FOUND, CliError, explain
from scripts.staff_cli.render import clinic_zone
from scripts.staff_cli.target import CLINIC_TIMEZONE, PROG, Context, opt, resolve_target


def _common_options() -> argparse.ArgumentParser:
    # SUPPRESS lets these go before or after the command without one erasing the other.
    common = argparse.ArgumentParser(add_help=False)
    where = common.add_argument_group("where the leads are")
    where.add_argument(
        "--local",
        action="store_true",
        default=argparse.SUPPRESS,
        help="the `make run` stack (127.0.0.1:$EMULATOR_PORT, default 5000); no AWS account needed",
    )
    where.add_argument("--stage", default=argparse.SUPPRESS, help="stage name: table next-steps-STAGE-leads")
    where.add_argument("--table", default=argparse.SUPPRESS, help="table name (default: LEADS_TABLE or from --stage)")
    where.add_argument(
        "--topic", default=argparse.SUPPRESS, help="staff topic ARN (default: STAFF_TOPIC_ARN or found by name)"
    )
    where.add_argument("--region", default=argparse.SUPPRESS, help="AWS region (default: your AWS config)")
    where.add_argument("--profile", default=argparse.SUPPRESS, help="AWS profile (default: AWS_PROFILE)")
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="JSON output for scripts")
    common.add_argument(
        "--utc",
        action="store_true",
        default=argparse.SUPPRESS,
        help=f"show times in UTC (default: the clinic's time zone, CLINIC_TIMEZONE, else {CLINIC_TIMEZONE})",
    )
    return common


def build_parser() -> argparse.ArgumentParser:
    """The command line, with a help text for every command."""
    common = _common_options()
    parser = argparse.ArgumentParser(
        prog=PROG,
        parents=[common],
        description="See, work, export and erase Next Steps leads with your own AWS credentials.",
        epilog="Exit codes: 0 done, 1 not confirmed, 2 bad command line, 3 no such lead, "
        "4 someone else changed it first, 5 credentials/region/table/topic missing, 6 AWS unavailable.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, func: Callable[[Context, argparse.Namespace, Io], int], text: str) -> Any:
        sub = commands.add_parser(name, parents=[common], help=text, description=text)
        sub.set_defaults(func=func)
        return sub

    def positive(raw: str) -> int:
        value = int(raw)
        if not 1 <= value <= 500:
            raise argparse.ArgumentTypeError("must be between 1 and 500")
        return value

    listing = command("list", cmds.cmd_list, "Leads by status, newest first (default: new, contacted, scheduled).")
    listing.add_argument("--status", action="append", choices=ALL_STATUSES, help="a status to list (repeatable)")
    listing.add_argument("--spam", action="store_true", help="list suspected spam (kept apart from real leads)")
    listing.add_argument("--limit", type=positive, default=25, help="leads per page (default 25)")
    listing.add_argument("--next", metavar="CURSOR", help="the next page, as printed under the last one")

    show = command("show", cmds.cmd_show, "The whole lead, clearly labelled.")
    show.add_argument("lead_id", metavar="ID")

    status = command("status", cmds.cmd_status, "Record what happened: contacted, scheduled, closed or declined.")
    status.add_argument("lead_id", metavar="ID")
    status.add_argument("new_status", metavar="STATUS", choices=WORK_STATUSES, help=", ".join(WORK_STATUSES))
    status.add_argument(
        "--from",
        dest="from_status",
        choices=ALL_STATUSES,
        help="only if the lead is still in this status (the one you saw); default: its status now",
    )

    restore = command("restore", cmds.cmd_restore, "Move a lead flagged as spam back to new and send its staff notice.")
    restore.add_argument("lead_id", metavar="ID")

    erase = command("erase", cmds.cmd_erase, "Erase a lead and everything stored with it (asks you to type the id).")
    erase.add_argument("lead_id", metavar="ID")
    erase.add_argument("--yes", action="store_true", help="do not ask (for scripts)")

    export = command("export", cmds.cmd_export, "Leads received in a time range, as CSV (for spreadsheets) or JSON.")
    export.add_argument("--since", help="first day (YYYY-MM-DD, UTC) or ISO time; default: the first lead")
    export.add_argument("--until", help="last day, inclusive, or ISO time; default: now")
    export.add_argument("--format", choices=("csv", "json"), default="csv")
    export.add_argument("--output", "-o", metavar="FILE", help="write to FILE (readable by you only) instead of stdout")
    export.add_argument("--status", action="append", choices=ALL_STATUSES, help="only these statuses (repeatable)")
    export.add_argument("--include-spam", action="store_true", help="also export suspected spam")

    command("redrive", cmds.cmd_redrive, "Send failed and dead staff notices again.")

    stats = command(
        "stats", cmds.cmd_stats, "Leads by day and status, how fast notices went out, how fast staff answered."
    )
    stats.add_argument("--since", help="first day (YYYY-MM-DD, UTC); default: --days ago")
    stats.add_argument("--until", help="last day, inclusive; default: today")
    stats.add_argument("--days", type=positive, default=30, help="days back when --since is not given (default 30)")

    audit = command("audit", cmds.cmd_audit, "The audit trail of one UTC day: who read or changed which lead, when.")
    audit.add_argument("--date", help="the day, YYYY-MM-DD (UTC); default: today")
    return parser


def main(
    argv: Sequence[str] | None = None,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    env: dict[str, str] | None = None,
) -> int:
    """Run one command; return its exit code. Every failure is a sentence, never a traceback."""
    io_ = Io(stdin or sys.stdin, stdout or sys.stdout, stderr or sys.stderr)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, or a bad command line (argparse has printed why)
        return int(exc.code or 0)
    args.json = bool(opt(args, "json"))
    environ = dict(os.environ if env is None else env)
    target = resolve_target(args, environ)
    zone_name = (
        environ.get("CLINIC_TIMEZONE") or where.stage_env(target.stage).get("CLINIC_TIMEZONE") or CLINIC_TIMEZONE
    )
    from botocore.exceptions import BotoCoreError, ClientError

    with quiet_service_logs(), cmds.stage_variable(target.stage if env is None else None):
        try:
            ctx = Context(target, environ, UTC if opt(args, "utc") else clinic_zone(zone_name))
            return int(args.func(ctx, args, io_))
        except CliError as exc:
            io_.note(exc.message)
            return exc.code
        except LeadNotFound as exc:
            io_.note(f"No lead with id {exc} in {target.where()}.")
            return NOT_FOUND
        except (StorageUnavailable, ClientError, BotoCoreError) as exc:
            problem = explain(exc, target)
            io_.note(problem.message)
            return problem.code
        except KeyboardInterrupt:
            io_.note("Stopped.")
            return 130


if __name__ == "__main__":
    raise SystemExit(main())
