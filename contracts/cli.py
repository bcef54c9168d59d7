"""`sendcloud-contracts`: run the contracts or the drift check against the fake or the real API.

    sendcloud-contracts run   --base-url URL [identifiers] [--read-only | --allow-writes] [--junit FILE]
    sendcloud-contracts run   --in-process                  (the fake, no server: what our CI runs)
    sendcloud-contracts drift --base-url URL [identifiers] --report FILE.json [--junit F] [--markdown F]
    sendcloud-contracts drift --spec UPSTREAM.yml [--spec ...] [--report F] [--markdown F] [--junit F]
    sendcloud-contracts list

Credentials come from --api-key/--api-secret or SENDCLOUD_API_KEY/SENDCLOUD_API_SECRET;
nothing printed or written contains them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any, Sequence

from .context import Context, Identifiers, fake_identifiers
from .contracts import CONTRACTS, select
from .runner import exit_code, format_result, run_all, write_results_junit
from .transport import PRODUCTION_URL, HttpTransport, Transport, WsgiTransport, in_process_app

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
    target.add_argument("--timeout", type=float, default=30.0, help="seconds per HTTP request")
    ids = parser.add_argument_group("identifiers (filled from the fixtures when the target is the fake)")
    ids.add_argument("--brand-domain", help="a brand whose return portal to use")
    ids.add_argument("--tracking-number", help="an outgoing parcel of that brand")
    ids.add_argument("--postal-code", help="the postal code that parcel was sent to")
    ids.add_argument("--return-id", type=int, help="an existing return to read")
    ids.add_argument("--other-brand-domain", help="a second brand, for the cross-brand token rule")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sendcloud-contracts", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="run the contracts; exit 0 only when every contract holds")
    _target_options(run)
    mode = run.add_mutually_exclusive_group()
    mode.add_argument("--read-only", action="store_true", help="only contracts that read (no create/cancel/announce)")
    mode.add_argument("--allow-writes", action="store_true",
                      help="also run contracts that create and cancel returns on a real API")
    run.add_argument("--contract", action="append", dest="contracts", metavar="NAME",
                     help="run only this contract (repeatable); see `sendcloud-contracts list`")
    run.add_argument("--max-examples", type=int, default=10, help="generated cases per property (default 10)")
    run.add_argument("--seed", type=int, help="Hypothesis seed, for a reproducible run")
    run.add_argument("--return-body", type=Path, help="JSON create body the account accepts (for writes on a real API)")
    run.add_argument("--poll-tries", type=int, default=30, help="label polls before giving up (real API)")
    run.add_argument("--poll-interval", type=float, default=2.0, help="seconds between label polls (real API)")
    run.add_argument("--junit", type=Path, help="write JUnit XML here")
    run.add_argument("-v", "--verbose", action="store_true", help="print what each contract did")

    drift = commands.add_parser("drift", help="compare live answers (or a published spec) with our schemas")
    _target_options(drift)
    drift.add_argument("--spec", action="append", type=Path, metavar="FILE",
                       help="compare our schemas with this OpenAPI document instead of calling an API (repeatable)")
    drift.add_argument("--report", type=Path, help="write the JSON report here")
    drift.add_argument("--markdown", type=Path, help="write a Markdown report here")
    drift.add_argument("--junit", type=Path, help="write JUnit XML here")

    commands.add_parser("list", help="list the contracts")
    return parser


def make_transport(args: argparse.Namespace, *, read_only: bool) -> Transport:
    """The transport the arguments describe; credentials from the arguments or the environment."""
    key = args.api_key or os.environ.get("SENDCLOUD_API_KEY")
    secret = args.api_secret or os.environ.get("SENDCLOUD_API_SECRET")
    if args.in_process:
        return WsgiTransport(in_process_app(), key or FAKE_KEY, secret or FAKE_SECRET, read_only=read_only)
    transport = HttpTransport(args.base_url, key, secret, service_points_url=args.service_points_url,
                              read_only=read_only, timeout=args.timeout)
    if transport.use_fake_account():
        print("no credentials given: using the fake's default fixture account", file=sys.stderr)
    return transport


def identifiers(args: argparse.Namespace, transport: Transport) -> Identifiers:
    given = Identifiers(brand_domain=args.brand_domain, tracking_number=args.tracking_number,
                        postal_code=args.postal_code, return_id=args.return_id,
                        other_brand_domain=args.other_brand_domain)
    return given.merged(fake_identifiers(transport)) if transport.is_fake else given


def _out(transport: Transport, text: str, stream: Any = None) -> None:
    print(transport.redact(text), file=stream or sys.stdout, flush=True)


def cmd_run(args: argparse.Namespace) -> int:
    transport = make_transport(args, read_only=args.read_only)
    try:
        contracts = select(args.contracts)
    except ValueError as exc:
        _out(transport, str(exc), sys.stderr)
        return 2
    try:
        writes = not args.read_only and (args.allow_writes or transport.is_fake)
        ctx = Context(transport, identifiers(args, transport), max_examples=args.max_examples, allow_writes=writes,
                      poll_tries=args.poll_tries, poll_interval=args.poll_interval, seed=args.seed,
                      return_body=json.loads(args.return_body.read_text()) if args.return_body else None,
                      log=(lambda message: _out(transport, "        " + message)) if args.verbose else lambda m: None)
        if not transport.has_credentials:
            _out(transport, "warning: no API key/secret (--api-key/--api-secret or SENDCLOUD_API_KEY/"
                            "SENDCLOUD_API_SECRET); authenticated calls will answer 401", sys.stderr)
        mode = "read-only" if args.read_only else "WRITES ENABLED (creates and cancels returns)" if writes \
            else "reads only (writing contracts need --allow-writes against a real API)"
        _out(transport, f"sendcloud-contracts: {transport.describe()}; {mode}")
        results = run_all(contracts, ctx, on_result=lambda result: _out(transport, format_result(result)))
        if args.junit:
            write_results_junit(results, args.junit, transport.redact)
        counts = {status: sum(1 for r in results if r.status == status)
                  for status in ("passed", "failed", "error", "skipped")}
        _out(transport, ", ".join(f"{n} {status}" for status, n in counts.items()))
        return exit_code(results)
    finally:
        transport.close()


def cmd_drift(args: argparse.Namespace) -> int:
    from .drift import live_drift, to_markdown, write_json, write_markdown, write_report_junit

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
        for extra in reports[1:]:
            report.findings += extra.findings
            report.endpoints += extra.endpoints
            report.target += f", {extra.target}"
        redact = str
    else:
        transport = make_transport(args, read_only=True)
        try:
            ctx = Context(transport, identifiers(args, transport))
            report = live_drift(ctx)
        finally:
            transport.close()
        redact = transport.redact
    if args.report:
        write_json(report, args.report, redact)
    if args.markdown:
        write_markdown(report, args.markdown, redact)
    if args.junit:
        write_report_junit(report, args.junit, redact)
    summary = report.to_dict()["summary"]
    print(redact(to_markdown(report) if not args.report else
                 f"drift: {summary['errors']} error(s), {summary['info']} info; report in {args.report}"))
    return report.exit_code()


def cmd_list(args: argparse.Namespace) -> int:
    for contract in CONTRACTS:
        print(f"{contract.name:26} {'writes' if contract.writes else 'reads '}  {contract.summary}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler = {"run": cmd_run, "drift": cmd_drift, "list": cmd_list}[args.command]
    return handler(args)


if __name__ == "__main__":
    sys.exit(main())
