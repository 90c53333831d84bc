"""Turn one bulk read into a Fact: present with every record, or unknown with the reason."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

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
        result = await exchange.invoke(cmdlet, params, select=select)
        return Fact.present(tuple(parse(r) for r in result.values))
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
        items = await graph.list_all(path, params, eventual=eventual)
        return Fact.present(tuple(parse(i) for i in items))
    except ClientError as exc:
        return Fact.unknown(f"GET {path} failed: {exc}")
    except (ValueError, TypeError, KeyError) as exc:
        return Fact.unknown(f"GET {path} returned an unreadable item: {exc}")
