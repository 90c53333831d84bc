"""Migration cmdlets: endpoints, Test-MigrationServerAvailability, batches, migration users,
their statistics and move requests (microsoft-t2t.md §3.6, §6, §7, §9).

References (MicrosoftDocs/office-docs-powershell, exchange/exchange-ps/ExchangePowerShell/):
New-/Set-/Get-/Remove-MigrationEndpoint.md (ExchangeRemoteMove parameter set),
Test-MigrationServerAvailability.md, New-/Set-/Get-/Start-/Stop-/Complete-/Remove-MigrationBatch.md,
Get-/Set-/Remove-MigrationUser.md, Get-MigrationUserStatistics.md, Get-MoveRequest.md.
Output property names follow the objects these cmdlets return in Exchange Online; the
sandbox renders the subset a migration needs (listed per record function).
"""

from __future__ import annotations

from t2t.sandbox.exchange.cmdlets.migration import batches, endpoints, users
from t2t.sandbox.exchange.registry import Registry


def register(registry: Registry) -> None:
    """Every migration cmdlet: endpoints, batches, then users (one module each)."""
    for module in (endpoints, batches, users):
        module.register(registry)
