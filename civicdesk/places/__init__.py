"""Places: a city's address points, and turning typed addresses into coordinates and back.

The interface every channel calls is `places.lookup` (`match`, `nearest`, the `Place` and `Match`
result types); `places.importer` loads OpenAddresses-style files (`civicdesk import_addresses`).
"""
