"""t2t: declarative Exchange Online cross-tenant mailbox migration."""

__version__ = "0.1.0"
