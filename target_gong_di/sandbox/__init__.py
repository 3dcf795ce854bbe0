"""The Gong-compatible local server (``gong-di-sandbox``): a second product, not the target.

Owns what the sandbox stores (``store``), its HTTP server and fault modes (``server``) and
its command line (``cli``). Imports only ``validation`` (it checks bodies as Gong does) and
the base modules; nothing of the target imports it.
"""
