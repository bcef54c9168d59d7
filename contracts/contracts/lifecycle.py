"""Returns through their life (create, retrieve, list, cancel), lists page by page, and a known return."""

from __future__ import annotations

import itertools
from typing import Any

from .api import cancel, create_return, expect, items, list_page, retrieve, return_body
from .context import Context, ContractFailure, ContractSkipped

MAX_PAGES = 25


def returns_lifecycle(ctx: Context) -> None:
    """create -> retrieve -> list finds it -> v2 shows it -> cancel 202 -> cancel again 409."""
    ctx.require_writes("creates and cancels a return")
    body = return_body(ctx)
    return_id = create_return(ctx)
    found = retrieve(ctx, return_id)
    if found.get("id", return_id) != return_id:
        raise ContractFailure(f"GET /api/v3/returns/{return_id} answered return {found.get('id')}")
    for key in ("from_address", "to_address"):
        sent, got = body[key]["postal_code"], found[key]["postal_code"]
        if sent != got:
            raise ContractFailure(f"{key}.postal_code: sent {sent!r}, the return says {got!r}")
    if found["is_cancellable"] is not True:
        raise ContractFailure("a new return is not cancellable")
    if identity(found, return_id) not in _walk_ids(ctx, 3, page_size=40, until=identity(found, return_id)):
        raise ContractFailure(f"return {return_id} is missing from GET /api/v3/returns")
    retrieve(ctx, return_id, version=2)
    first = cancel(ctx, return_id)
    expect(ctx, "returns_v3_cancel", first, [202], f"cancelling return {return_id}")
    after = retrieve(ctx, return_id)
    if after["is_cancellable"] is not False:
        raise ContractFailure(f"return {return_id} is still cancellable after its cancellation")
    second = cancel(ctx, return_id)
    expect(ctx, "returns_v3_cancel", second, [409], f"cancelling return {return_id} a second time")
    ctx.created_returns.remove(return_id)


def retrieve_known_return(ctx: Context) -> None:
    """The given return (--return-id, else the newest listed) reads as our v3 and v2 schemas say."""
    return_id = ctx.identifiers.return_id
    if return_id is None:
        listed = items(list_page(ctx, 3, page_size=1)) or []
        if listed and "id" not in listed[0]:  # Sendcloud's v3 items carry no id; v2's do
            listed = items(list_page(ctx, 2, page_size=1))
        if listed and "id" in listed[0]:
            return_id = listed[0]["id"]
        elif ctx.allow_writes:
            return_id = create_return(ctx)
        else:
            raise ContractSkipped("needs --return-id (the account lists no returns)")
    v3 = retrieve(ctx, return_id)
    v2 = retrieve(ctx, return_id, version=2)
    if v2.get("id") != return_id:
        raise ContractFailure(f"GET /api/v2/returns/{return_id} answered return {v2.get('id')}")
    if v3.get("id", return_id) != return_id:
        raise ContractFailure(f"GET /api/v3/returns/{return_id} answered return {v3.get('id')}")


def pagination_invariants(ctx: Context) -> None:
    """Small pages neither repeat nor skip, ids fall strictly, and next/previous round-trip (v3 and v2)."""
    total = len(items(list_page(ctx, 3, page_size=3)))
    if total < 3 and ctx.allow_writes:
        for _ in range(5 - total):
            create_return(ctx)
    for version in (3, 2):
        _check_version(ctx, version)


def identity(item: dict[str, Any], fallback: Any = None) -> Any:
    """What tells returns apart: the id (v2, and the fake's v3), else when it was created (Sendcloud's v3)."""
    if "id" in item:
        return item["id"]
    return item.get("created_at", fallback)


def _check_version(ctx: Context, version: int) -> None:
    label = f"v{version}"
    pages = _walk(ctx, version, page_size=2)
    ids = [identity(item) for page in pages for item in items(page)]
    if len(set(ids)) != len(ids):
        repeated = sorted({str(i) for i in ids if ids.count(i) > 1})
        raise ContractFailure(f"{label}: pages of 2 repeat returns {repeated}")
    numeric = all(isinstance(i, int) for i in ids)
    if numeric and any(a <= b for a, b in itertools.pairwise(ids)):
        raise ContractFailure(f"{label}: ids are not strictly descending across pages: {ids}")
    # page_size is documented for v3; for v2 it is an addition of the fake.
    if version == 3 or ctx.transport.is_fake:
        for page in pages:
            if len(items(page)) > 2:
                raise ContractFailure(f"{label}: a page of page_size=2 holds {len(items(page))} returns")
    big = _walk_ids(ctx, version, page_size=40, limit=len(ids))
    if big[: len(ids)] != ids:
        raise ContractFailure(f"{label}: pages of 2 give {ids}, pages of 40 give {big[: len(ids)]} (skipped or "
                              "reordered returns)")
    if pages[0].get("previous") is not None:
        raise ContractFailure(f"{label}: the first page has a previous link")
    if len(pages) > 1:
        back = list_page(ctx, version, url=pages[1]["previous"])
        if _ids(back) != _ids(pages[0]):
            raise ContractFailure(f"{label}: previous of page 2 gives {_ids(back)}, page 1 was {_ids(pages[0])}")
    if len(pages) > 2 and pages[1].get("next"):
        there = list_page(ctx, version, url=pages[1]["next"])
        again = list_page(ctx, version, url=there["previous"])
        if _ids(again) != _ids(pages[1]):
            raise ContractFailure(f"{label}: next then previous from page 2 does not come back to page 2")
    ctx.log(f"pagination_invariants: {label} walked {len(pages)} pages, {len(ids)} returns")


def _walk(ctx: Context, version: int, *, page_size: int) -> list[dict[str, Any]]:
    pages = [list_page(ctx, version, page_size=page_size)]
    while pages[-1].get("next") and len(pages) < MAX_PAGES:
        pages.append(list_page(ctx, version, url=pages[-1]["next"]))
    return pages


def _ids(page: dict[str, Any]) -> list[Any]:
    return [identity(item) for item in items(page)]


def _walk_ids(ctx: Context, version: int, *, page_size: int, until: int | None = None,
              limit: int | None = None) -> list[Any]:
    page = list_page(ctx, version, page_size=page_size)
    ids = _ids(page)
    pages = 1
    while page.get("next") and pages < MAX_PAGES:
        if (until is not None and until in ids) or (limit is not None and len(ids) >= limit):
            break
        page = list_page(ctx, version, url=page["next"])
        ids += _ids(page)
        pages += 1
    return ids
