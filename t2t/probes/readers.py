"""Turn one bulk read into a Fact: present with every record, or unknown with the reason."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from t2t import progress
from t2t.clients import ClientError, ExchangeClient, GraphClient
from t2t.state import Fact

T = TypeVar("T")


async def cmdlet_fact(
    exchange: ExchangeClient,
    cmdlet: str,
    params: Mapping[str, Any],
    parse: Callable[[dict[str, Any]], T],
    *,
    select: Sequence[str] | None = None,
) -> Fact[tuple[T, ...]]:
    try:
        parsed: list[T] = []
        async for page in exchange.pages(cmdlet, params, select=select):
            parsed.extend(parse(r) for r in page.values)  # raw records dropped page by page
            progress.step(len(page.values))
        return Fact.present(tuple(parsed))
    except ClientError as exc:
        return Fact.unknown(f"{cmdlet} failed: {exc}")
    except (ValueError, TypeError, KeyError) as exc:  # a record we cannot parse
        return Fact.unknown(f"{cmdlet} returned an unreadable record: {exc}")


async def graph_fact(
    graph: GraphClient,
    path: str,
    params: Mapping[str, str],
    parse: Callable[[dict[str, Any]], T],
    *,
    eventual: bool = False,
) -> Fact[tuple[T, ...]]:
    try:
        parsed: list[T] = []
        async for page in graph.pages(path, params, eventual=eventual):
            parsed.extend(parse(i) for i in page)
            progress.step(len(page))
        return Fact.present(tuple(parsed))
    except ClientError as exc:
        return Fact.unknown(f"GET {path} failed: {exc}")
    except (ValueError, TypeError, KeyError) as exc:
        return Fact.unknown(f"GET {path} returned an unreadable item: {exc}")
