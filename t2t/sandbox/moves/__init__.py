"""The mailbox-move service: migration endpoints, batches, migration users, the move
state machine on the sandbox clock, and the catalogue of exceptions it raises.

microsoft-t2t.md §3.6 (endpoints), §6 (batches), §7 (statuses), §9 (errors).
"""
