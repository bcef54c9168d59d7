"""`sendcloud-contracts`: run the contracts or the drift check against the fake or the real API.

    sendcloud-contracts run   --base-url URL [identifiers] [--read-only | --allow-writes] [--junit FILE]
    sendcloud-contracts run   --in-process                  (the fake, no server: what our CI runs)
    sendcloud-contracts drift --base-url URL [identifiers] --report FILE.json [--junit F] [--markdown F]
    sendcloud-contracts drift --spec openapi.yaml [--spec ...] [--report F] [--markdown F] [--junit F]
    sendcloud-contracts list

Credentials come from --api-key/--api-secret or SENDCLOUD_API_KEY/SENDCLOUD_API_SECRET;
nothing printed or written contains them.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import random
import shlex
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from . import extra
from .urls import PRODUCTION_URL

if TYPE_CHECKING:  # the kit's modules import the contracts extra; they load only once it is known to be there
    from .context import Identifiers
    from .transport import Transport

FAKE_KEY, FAKE_SECRET = "test_api_key_stroopwafel", "test_api_secret_stroopwafel"


def _target_options(parser: argparse.ArgumentParser) -> None:
    target = parser.add_argument_group("target")
    target.add_argument("--base-url", default=os.environ.get("SENDCLOUD_BASE_URL", PRODUCTION_URL),
                        help=f"API to check (default {PRODUCTION_URL}, or SENDCLOUD_BASE_URL)")
    target.add_argument("--service-points-url", default=os.environ.get("SENDCLOUD_SERVICE_POINTS_URL"),
                        help="service points API (default https://servicepoints.sendcloud.sc for production, "
                             "else the base URL)")
    target.add_argument("--in-process", action="store_true",
                        help="check a fresh fake in this process (no server, no network)")
    target.add_argument("--api-key", default=None, help="API key (default: SENDCLOUD_API_KEY)")
    target.add_argument("--api-secret", default=None,
                        help="API secret (default: SENDCLOUD_API_SECRET; prefer the variable in CI)")
    target.add_argument("--admin-token", default=None,
                        help="the fake's admin token, for a fake started with --admin-token "
                             "(default: SENDCLOUD_MOCK_ADMIN_TOKEN)")
    target.add_argument("--timeout", type=float, default=30.0, help="seconds per HTTP request")
    ids = parser.add_argument_group("identifiers (filled from the fixtures when the target is the fake)")
    ids.add_argument("--brand-domain", help="a brand whose return portal to use")
    ids.add_argument("--tracking-number", help="an outgoing parcel of that brand")
    ids.add_argument("--postal-code", help="the postal code that parcel was sent to")
    ids.add_argument("--return-id", type=int, help="an existing return to read")
    ids.add_argument("--other-brand-domain", help="a second brand, for the cross-brand token rule")


def build_parser(note: str | None = None) -> argparse.ArgumentParser:
    """The command line; `note` (the missing-extra sentence) ends every --help text."""
    raw = argparse.RawDescriptionHelpFormatter  # the note stays one line, so the install command stays whole
    parser = argparse.ArgumentParser(prog="sendcloud-contracts", description=__doc__.split("\n\n")[0], epilog=note,
                                     formatter_class=raw)
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="run the contracts; exit 0 only when every contract holds", epilog=note,
                              formatter_class=raw)
    _target_options(run)
    mode = run.add_mutually_exclusive_group()
    mode.add_argument("--read-only", action="store_true", help="only contracts that read (no create/cancel/announce)")
    mode.add_argument("--allow-writes", action="store_true",
                      help="also run contracts that create and cancel returns on a real API")
    run.add_argument("--contract", action="append", dest="contracts", metavar="NAME",
                     help="run only this contract (repeatable); see `sendcloud-contracts list`")
    run.add_argument("--max-examples", type=int, default=10, help="generated cases per property (default 10)")
    run.add_argument("--seed", type=int, help="Hypothesis seed (default: a random one, printed, with the command "
                                              "that replays the run)")
    run.add_argument("--return-body", type=Path, help="JSON create body the account accepts (for writes on a real API)")
    run.add_argument("--poll-tries", type=int, default=30, help="label polls before giving up (real API)")
    run.add_argument("--poll-interval", type=float, default=2.0, help="seconds between label polls (real API)")
    run.add_argument("--junit", type=Path, help="write JUnit XML here")
    run.add_argument("-v", "--verbose", action="store_true", help="print what each contract did")
    run.add_argument("-q", "--quiet", action="store_true",
                     help="print only failed contracts and the summary (no progress)")

    drift = commands.add_parser("drift", help="compare live answers (or a published spec) with our schemas",
                                epilog=note, formatter_class=raw)
    _target_options(drift)
    drift.add_argument("--spec", action="append", type=Path, metavar="FILE",
                       help="compare our schemas with this OpenAPI document instead of calling an API (repeatable); "
                            "Sendcloud publishes them, e.g. https://sendcloud.dev/.openapi/v3/returns/openapi.yaml")
    drift.add_argument("--report", type=Path, help="write the JSON report here")
    drift.add_argument("--markdown", type=Path, help="write a Markdown report here")
    drift.add_argument("--junit", type=Path, help="write JUnit XML here")

    commands.add_parser("list", help="list the contracts", epilog=note, formatter_class=raw)
    return parser


def make_transport(args: argparse.Namespace, *, read_only: bool) -> Transport:
    """The transport the arguments describe; credentials from the arguments or the environment."""
    from .transport import HttpTransport, WsgiTransport, in_process_app

    key = args.api_key or os.environ.get("SENDCLOUD_API_KEY")
    secret = args.api_secret or os.environ.get("SENDCLOUD_API_SECRET")
    admin_token = args.admin_token or os.environ.get("SENDCLOUD_MOCK_ADMIN_TOKEN") or None
    if args.in_process:
        return WsgiTransport(in_process_app(), key or FAKE_KEY, secret or FAKE_SECRET, read_only=read_only)
    return HttpTransport(args.base_url, key, secret, service_points_url=args.service_points_url,
                         read_only=read_only, timeout=args.timeout, admin_token=admin_token)


def start(transport: Transport, *, quiet: bool = False, own_account: bool = False) -> None:
    """Reach the target, pick the fake's account when no credentials were given, check the credentials;
    with `own_account`, on the fake, switch to an account of the run's own (see contracts.account).

    Raises PreflightFailed (exit 3 unreachable, 4 credentials refused) before any contract runs.
    """
    from .account import open_run_account
    from .preflight import check_admin_access, check_credentials, check_reachable

    check_reachable(transport)
    check_admin_access(transport)
    if transport.use_fake_account() and not quiet:
        print("no credentials given: using the fake's default fixture account", file=sys.stderr)
    check_credentials(transport)
    if own_account and open_run_account(transport):
        check_credentials(transport)  # also makes an open account exist before its identifiers are read


def identifiers(args: argparse.Namespace, transport: Transport) -> Identifiers:
    from .context import Identifiers, fake_identifiers

    given = Identifiers(brand_domain=args.brand_domain, tracking_number=args.tracking_number,
                        postal_code=args.postal_code, return_id=args.return_id,
                        other_brand_domain=args.other_brand_domain)
    return given.merged(fake_identifiers(transport)) if transport.is_fake else given


def _out(transport: Transport, text: str, stream: Any = None) -> None:
    print(transport.redact(text), file=stream or sys.stdout, flush=True)


# Options a replay command leaves out: it sets its own seed and contracts, writes no report, and never
# carries credentials (they come from SENDCLOUD_API_KEY/SENDCLOUD_API_SECRET).
_REPLAY_DROPS_VALUE = {"--seed", "--contract", "--junit", "--api-key", "--api-secret", "--admin-token"}
_REPLAY_DROPS_FLAG = {"--quiet", "-q", "--verbose", "-v"}


def replay_command(argv: Sequence[str], seed: int, contracts: Sequence[str] | None = None) -> str:
    """The command line that runs `argv` again with `seed` (with only `contracts`, when given)."""
    drops = _REPLAY_DROPS_VALUE if contracts is not None else _REPLAY_DROPS_VALUE - {"--contract"}
    kept: list[str] = []
    skip = False
    for arg in argv:
        if skip:
            skip = False
            continue
        name = arg.split("=", 1)[0]
        if name in drops:
            skip = "=" not in arg
            continue
        if arg in _REPLAY_DROPS_FLAG:
            continue
        kept.append(arg)
    kept += ["--seed", str(seed)]
    for name in contracts or ():
        kept += ["--contract", name]
    return shlex.join(["sendcloud-contracts", *kept])


def cmd_run(args: argparse.Namespace) -> int:
    from .account import close_run_account
    from .context import Context
    from .contracts import select
    from .preflight import PreflightFailed
    from .progress import Progress
    from .runner import ERROR, FAILED, exit_code, run_all, write_results_junit

    try:
        contracts = select(args.contracts)
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    # Always a seed, so any failure can be replayed: the one given, or a fresh one that is printed.
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1, 2**32)
    replay = functools.partial(replay_command, args.argv, seed)
    # Replay commands never carry credentials; when they were options, say where the replay reads them.
    moved = [name for name, given in (("SENDCLOUD_API_KEY", args.api_key), ("SENDCLOUD_API_SECRET", args.api_secret),
                                       ("SENDCLOUD_MOCK_ADMIN_TOKEN", args.admin_token)) if given]
    env_note = f" (with the credentials in {', '.join(moved)})" if moved else ""
    transport = make_transport(args, read_only=args.read_only)
    try:
        try:
            start(transport, quiet=args.quiet, own_account=not args.read_only)
        except PreflightFailed as failed:
            _out(transport, f"sendcloud-contracts: {failed}", sys.stderr)
            return failed.code
        progress = Progress(sys.stdout, transport.redact, quiet=args.quiet)
        writes = not args.read_only and (args.allow_writes or transport.is_fake)
        ctx = Context(transport, identifiers(args, transport), max_examples=args.max_examples, allow_writes=writes,
                      poll_tries=args.poll_tries, poll_interval=args.poll_interval, seed=seed,
                      return_body=json.loads(args.return_body.read_text()) if args.return_body else None,
                      log=(lambda message: progress.line("        " + message)) if args.verbose else lambda m: None,
                      on_case=progress.case)
        mode = "read-only" if args.read_only else "WRITES ENABLED (creates and cancels returns)" if writes \
            else "reads only (writing contracts need --allow-writes against a real API)"
        if transport.run_account is not None:
            mode += "; in an account of its own (deleted at the end)"
        progress.line(f"sendcloud-contracts: {transport.describe()}; {mode}; seed {seed}")
        progress.line(f"replay with: {replay()}{env_note}")
        results = run_all(contracts, ctx, on_start=progress.start, on_result=progress.result)
        failed = [r.name for r in results if r.status in (FAILED, ERROR)]
        if args.junit:
            write_results_junit(results, args.junit, transport.redact,
                                properties={"seed": str(seed), "replay": replay(failed or None)},
                                replay=lambda name: replay([name]))
        counts = {status: sum(1 for r in results if r.status == status)
                  for status in ("passed", "failed", "error", "skipped")}
        progress.line(", ".join(f"{n} {status}" for status, n in counts.items()) + f" (seed {seed})", always=True)
        if failed:
            progress.line(f"replay the failures: {replay(failed)}{env_note}", always=True)
        return exit_code(results)
    finally:
        close_run_account(transport)  # also after a failure, Ctrl-C or SIGTERM
        transport.close()


def cmd_drift(args: argparse.Namespace) -> int:
    from .context import Context
    from .drift import live_drift, to_markdown

    if args.spec:
        from mock_server.config import resource_dir
        from mock_server.spec import ApiSpec

        from .spec_diff import compare_with, load_document

        spec = ApiSpec(resource_dir("schemas"))
        try:
            documents = [(load_document(path), str(path)) for path in args.spec]
        except (OSError, ValueError) as exc:
            print(f"cannot read the OpenAPI document: {exc}", file=sys.stderr)
            return 2
        reports = [compare_with(spec, document, label) for document, label in documents]
        report = reports[0]
        for more in reports[1:]:
            report.findings += more.findings
            report.endpoints += more.endpoints
            report.target += f", {more.target}"
        redact = str
    else:
        from .checks import ERROR, Finding
        from .drift import DriftReport
        from .preflight import UNREACHABLE, PreflightFailed

        transport = make_transport(args, read_only=True)
        redact = transport.redact
        try:
            start(transport)
            ctx = Context(transport, identifiers(args, transport))
            report = live_drift(ctx)
        except PreflightFailed as failed:
            print(redact(f"sendcloud-contracts: {failed}"), file=sys.stderr)
            if failed.code == UNREACHABLE:  # the reports still say so, for CI artefacts
                report = DriftReport(transport.describe(), [Finding("GET /", "", "unreachable", ERROR, str(failed))],
                                     [{"endpoint": "GET /", "status": None, "findings": 1}])
                _write_drift(args, report, redact)
            return failed.code
        finally:
            transport.close()
    _write_drift(args, report, redact)
    summary = report.to_dict()["summary"]
    print(redact(to_markdown(report) if not args.report else
                 f"drift: {summary['errors']} error(s), {summary['info']} info; report in {args.report}"))
    return report.exit_code()


def _write_drift(args: argparse.Namespace, report: Any, redact: Any) -> None:
    from .drift import write_json, write_markdown, write_report_junit

    if args.report:
        write_json(report, args.report, redact)
    if args.markdown:
        write_markdown(report, args.markdown, redact)
    if args.junit:
        write_report_junit(report, args.junit, redact)


def cmd_list(args: argparse.Namespace) -> int:
    from .contracts import CONTRACTS

    for contract in CONTRACTS:
        print(f"{contract.name:26} {'writes' if contract.writes else 'reads '}  {contract.summary}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    missing = extra.missing()
    # Without the extra, --help still works and ends with the sentence; every command is that sentence.
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(extra.message(missing) if missing else None).parse_args(argv)
    args.argv = argv
    if missing:
        print(extra.message(missing), file=sys.stderr)
        return 2
    handler = {"run": cmd_run, "drift": cmd_drift, "list": cmd_list}[args.command]
    previous = _stop_on_sigterm()
    try:
        return handler(args)
    except KeyboardInterrupt:  # the run's clean-up has run (finally blocks) by the time it gets here
        print("sendcloud-contracts: interrupted", file=sys.stderr)
        return INTERRUPTED
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


INTERRUPTED = 130


def _stop_on_sigterm() -> Any:
    """SIGTERM (a CI job cancelled) ends the run as Ctrl-C does, so its clean-up runs; the old handler."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    return signal.signal(signal.SIGTERM, interrupt)


if __name__ == "__main__":
    sys.exit(main())
