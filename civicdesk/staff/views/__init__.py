"""Staff workspace views: small functions, one module per area (queue, case page, intake)."""
