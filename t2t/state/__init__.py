"""state layer of t2t (see DESIGN.md)."""
