"""`build_context()`: from `Options` to a ready `Context`, the same for every front end.

It makes the transport (HTTP, or the fake in process), checks that the target answers and
takes the credentials (PreflightFailed, exit 3 or 4, before any contract), picks the fake's
account when none was given, opens the run's own account on the fake for a writing run
(contracts.runner.account), fills the identifiers from the fake's data, decides whether
writes are allowed, and fixes the seed. `Context.close()` undoes what it opened.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable

from ..contracts.context import Context, Identifiers, fake_identifiers
from ..transport import HttpTransport, Transport, WsgiTransport, in_process_app
from .account import close_run_account, open_run_account
from .options import Options
from .preflight import PreflightFailed, check_admin_access, check_credentials, check_reachable

FAKE_KEY, FAKE_SECRET = "test_api_key_stroopwafel", "test_api_secret_stroopwafel"


def make_transport(options: Options, *, read_only: bool | None = None) -> Transport:
    """The transport the options describe (read-only when they say so, or when `read_only` is True)."""
    read_only = options.read_only if read_only is None else read_only
    if options.in_process:
        return WsgiTransport(in_process_app(), options.api_key or FAKE_KEY, options.api_secret or FAKE_SECRET,
                             read_only=read_only)
    return HttpTransport(options.base_url, options.api_key, options.api_secret,
                         service_points_url=options.service_points_url, read_only=read_only,
                         timeout=options.timeout, admin_token=options.admin_token)


def start(transport: Transport, *, own_account: bool = False, notice: Callable[[str], None] = lambda line: None
          ) -> None:
    """Reach the target, pick the fake's account when no credentials were given, check the credentials;
    with `own_account`, on the fake, switch to an account of the run's own.

    Raises PreflightFailed (3 unreachable, 4 credentials refused) before any contract runs.
    """
    check_reachable(transport)
    check_admin_access(transport)
    if transport.use_fake_account():
        notice("no credentials given: using the fake's default fixture account")
    check_credentials(transport)
    if own_account and open_run_account(transport):
        check_credentials(transport)  # also makes an open account exist before its identifiers are read


def identifiers(options: Options, transport: Transport) -> Identifiers:
    """The identifiers given, with the blanks filled from the fake's data (on the fake)."""
    given = Identifiers(brand_domain=options.brand_domain, tracking_number=options.tracking_number,
                        postal_code=options.postal_code, return_id=options.return_id,
                        other_brand_domain=options.other_brand_domain)
    return given.merged(fake_identifiers(transport)) if transport.is_fake else given


def build_context(options: Options, *, notice: Callable[[str], None] = lambda line: None) -> Context:
    """A ready context for `options`; PreflightFailed (its line redacted) when the target cannot be used.

    The caller calls `close()` on it when the run ends, also on failure or interruption.
    """
    return_body = json.loads(options.return_body.read_text(encoding="utf-8")) if options.return_body else None
    transport = make_transport(options)
    try:
        start(transport, own_account=not options.read_only, notice=notice)
        writes = not options.read_only and (options.allow_writes or transport.is_fake)
        seed = options.seed if options.seed is not None else random.SystemRandom().randrange(1, 2**32)
        return Context(transport, identifiers(options, transport), max_examples=options.max_examples,
                       allow_writes=writes, poll_tries=options.poll_tries, poll_interval=options.poll_interval,
                       return_body=return_body, seed=seed, on_close=lambda: close_run_account(transport))
    except PreflightFailed as failed:
        close_run_account(transport)
        transport.close()
        raise PreflightFailed(transport.redact(str(failed)), failed.code) from None
    except BaseException:
        close_run_account(transport)
        transport.close()
        raise
