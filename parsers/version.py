"""The parser's version, recorded on every archived report (`reports.parser_version`).

Bump it whenever a change to `parsers/` can change what a report parses to (a table cell, a doubt,
the agency, …): `nianbao reparse` then tells which archived reports were read by an older parser.
Form: date of the change, then a counter for several changes on one day.
"""
PARSER_VERSION = "2026.12.03.1"
