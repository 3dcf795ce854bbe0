"""The API's contract and the checks against it: nothing is sent that Gong would refuse.

Owns the digital-interaction body's JSON Schema and the rules it cannot express
(``contract``), the check of a built body (``body_check``) and of a tap's record against
its stream's SCHEMA (``record_check``). Imports only the top-level base modules
(``exceptions``, ``encoding``, ``sdk_hooks``); the sandbox checks bodies with it too.
"""
