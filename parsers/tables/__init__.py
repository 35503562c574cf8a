"""Report tables: templates as data, rows aligned to them, the contract's table2/3/4 read.

A regular package (not a namespace one), so `from parsers.tables import templates` imports
this package, not the `parsers` front door.
"""
