"""senderdeck's engine: models, DNS templates, verification, stats and the API contract.

Nothing below this package imports textual; the UI lives in ``tui``.
"""
