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
import random
import shlex
import signal
import sys
import threading
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from . import extra
from .runner.options import IDENTIFIERS, OPTIONS, RUN, TARGET, Option, Options


def _add(group: Any, option: Option, exclusive: dict[str, Any]) -> None:
    """One option of the shared table as an argparse argument (default None: Options holds the defaults)."""
    help_text = option.help + (f" (or {option.env})" if option.env else "")
    target = group
    if option.exclusive:
        if option.exclusive not in exclusive:
            exclusive[option.exclusive] = group.add_mutually_exclusive_group()
        target = exclusive[option.exclusive]
    if option.switch:
        target.add_argument(f"--{option.spelling}", dest=option.name, action="store_true", default=None, help=help_text)
    elif option.repeat:
        target.add_argument(f"--{option.spelling}", dest=option.name, action="append", metavar="NAME", help=help_text)
    else:
        target.add_argument(f"--{option.spelling}", dest=option.name, type=option.type, default=None, help=help_text)


def _options(parser: argparse.ArgumentParser, *groups: str) -> None:
    titles = {TARGET: "target", IDENTIFIERS: "identifiers (filled from the fixtures when the target is the fake)",
              RUN: "run"}
    for name in groups:
        group = parser.add_argument_group(titles[name])
        exclusive: dict[str, Any] = {}
        for option in OPTIONS:
            if option.group == name:
                _add(group, option, exclusive)


def build_parser(note: str | None = None) -> argparse.ArgumentParser:
    """The command line; `note` (the missing-extra sentence) ends every --help text."""
    raw = argparse.RawDescriptionHelpFormatter  # the note stays one line, so the install command stays whole
    parser = argparse.ArgumentParser(prog="sendcloud-contracts", description=__doc__.split("\n\n")[0], epilog=note,
                                     formatter_class=raw)
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="run the contracts; exit 0 only when every contract holds", epilog=note,
                              formatter_class=raw)
    _options(run, TARGET, IDENTIFIERS, RUN)
    report = run.add_argument_group("report")
    report.add_argument("--junit", type=Path, help="write JUnit XML here")
    report.add_argument("-v", "--verbose", action="store_true", help="print what each contract did")
    report.add_argument("-q", "--quiet", action="store_true",
                        help="print only failed contracts and the summary (no progress)")

    drift = commands.add_parser("drift", help="compare live answers (or a published spec) with our schemas",
                                epilog=note, formatter_class=raw)
    _options(drift, TARGET, IDENTIFIERS)
    drift.add_argument("--spec", action="append", type=Path, metavar="FILE",
                       help="compare our schemas with this OpenAPI document instead of calling an API (repeatable); "
                            "Sendcloud publishes them, e.g. https://sendcloud.dev/.openapi/v3/returns/openapi.yaml")
    drift.add_argument("--report", type=Path, help="write the JSON report here")
    drift.add_argument("--markdown", type=Path, help="write a Markdown report here")
    drift.add_argument("--junit", type=Path, help="write JUnit XML here")

    commands.add_parser("list", help="list the contracts", epilog=note, formatter_class=raw)
    return parser


def options_from(args: argparse.Namespace) -> Options:
    """The shared options model from parsed arguments (the environment filling what was not given)."""
    return Options.from_values(vars(args))


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
    from .contracts import select
    from .reporting.progress import Progress
    from .reporting.results import write_results_junit
    from .runner.preflight import PreflightFailed
    from .runner.run import ERROR, FAILED, exit_code, run_all
    from .runner.session import build_context

    try:
        options = options_from(args)
        contracts = select(options.contracts)
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    # Always a seed, so any failure can be replayed: the one given, or a fresh one that is printed.
    seed = options.seed if options.seed is not None else random.SystemRandom().randrange(1, 2**32)
    options = replace(options, seed=seed)
    replay = functools.partial(replay_command, args.argv, seed)
    # Replay commands never carry credentials; when they were options, say where the replay reads them.
    moved = [name for name, given in (("SENDCLOUD_API_KEY", args.api_key), ("SENDCLOUD_API_SECRET", args.api_secret),
                                       ("SENDCLOUD_MOCK_ADMIN_TOKEN", args.admin_token)) if given]
    env_note = f" (with the credentials in {', '.join(moved)})" if moved else ""
    try:
        ctx = build_context(options, notice=lambda line: None if args.quiet else print(line, file=sys.stderr))
    except PreflightFailed as refused:
        print(f"sendcloud-contracts: {refused}", file=sys.stderr, flush=True)
        return refused.code
    except (OSError, ValueError) as exc:  # --return-body unreadable or not JSON
        print(f"sendcloud-contracts: --return-body: {exc}", file=sys.stderr)
        return 2
    transport = ctx.transport
    try:
        progress = Progress(sys.stdout, transport.redact, quiet=args.quiet)
        ctx.on_case = progress.case
        if args.verbose:
            ctx.log = lambda message: progress.line("        " + message)
        mode = "read-only" if options.read_only else "WRITES ENABLED (creates and cancels returns)" \
            if ctx.allow_writes else "reads only (writing contracts need --allow-writes against a real API)"
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
        ctx.close()  # deletes the run's own account on the fake: also after a failure, Ctrl-C or SIGTERM


def cmd_drift(args: argparse.Namespace) -> int:
    from .drift import live_drift
    from .reporting.drift import to_markdown

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
        redact: Any = str
    else:
        from .checks import ERROR, Finding
        from .drift import DriftReport
        from .runner.preflight import UNREACHABLE, PreflightFailed
        from .runner.session import build_context, make_transport

        options = replace(options_from(args), read_only=True)  # drift only reads: no account of its own either
        try:
            ctx = build_context(options, notice=lambda line: print(line, file=sys.stderr))
        except PreflightFailed as refused:
            print(f"sendcloud-contracts: {refused}", file=sys.stderr)
            if refused.code == UNREACHABLE:  # the reports still say so, for CI artefacts
                target = make_transport(options)
                redact = target.redact
                report = DriftReport(target.describe(), [Finding("GET /", "", "unreachable", ERROR, str(refused))],
                                     [{"endpoint": "GET /", "status": None, "findings": 1}])
                _write_drift(args, report, redact)
                target.close()
            return refused.code
        redact = ctx.transport.redact
        try:
            report = live_drift(ctx)
        finally:
            ctx.close()
    _write_drift(args, report, redact)
    summary = report.to_dict()["summary"]
    print(redact(to_markdown(report) if not args.report else
                 f"drift: {summary['errors']} error(s), {summary['info']} info; report in {args.report}"))
    return report.exit_code()


def _write_drift(args: argparse.Namespace, report: Any, redact: Any) -> None:
    from .reporting.drift import write_json, write_markdown, write_report_junit

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
