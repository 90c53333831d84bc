"""The Exchange Online admin API (``/adminapi/beta/{tenant}/InvokeCommand``), wire-protocols.md §1."""
