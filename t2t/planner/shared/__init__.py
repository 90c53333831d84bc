"""What the planner's domains share: resolutions each of several domains needs, computed once
per plan by `PlanContext` (t2t/planner/context.py). Domains never import one another."""
