"""Ledger values that need no database: body hashes and the repr of stored tokens."""

from __future__ import annotations

from decimal import Decimal

from ledger_examples import tokens

from target_gong_di.ledger.store import (
    body_hash,
)


def test_body_hash_ignores_key_order():
    assert body_hash({"a": 1, "b": {"c": 2, "d": 3}}) == body_hash({"b": {"d": 3, "c": 2}, "a": 1})


def test_body_hash_keeps_decimals_exact():
    assert body_hash({"v": Decimal("0.10000000000000000001")}) != body_hash({"v": Decimal("0.1")})


def test_body_hash_tells_values_apart():
    assert body_hash({"title": "a"}) != body_hash({"title": "b"})


def test_stored_tokens_never_show_in_their_repr(clock):
    assert "rt-2" not in repr(tokens("rt-2", clock))
