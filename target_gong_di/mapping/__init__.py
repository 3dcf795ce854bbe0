"""From a record to a body: a stream's mapping compiled once, applied to each record.

Owns the expression language (``expressions``), the mapping compiler (``compiler``), the
conversion of values to what the API wants (``conversion``, ``timestamps``) and how taps
name streams (``stream_names``). Imports ``validation`` (the body's contract) and the base
modules; nothing here sends, stores or writes anything.
"""
