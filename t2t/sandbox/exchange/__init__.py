"""The Exchange Online admin API (``/adminapi/beta/{tenant}/InvokeCommand``).

See wire-protocols.md §1.
"""
