"""Microsoft Graph v1.0 as the sandbox emulates it (wire-protocols.md §2)."""
