"""Ledger values that need no database: body hashes and the repr of stored tokens."""

from __future__ import annotations

from decimal import Decimal

from ledger_examples import tokens

from target_gong_di.ledger import Rejection
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


def pending_identity(record: dict, keys: tuple[str, ...] = ("id",)) -> str:
    return Rejection("s", record, {}, keys, "mapping", ("x",)).identity


def test_a_rejected_record_is_known_by_its_key_values():
    assert pending_identity({"id": 7, "page": "a"}) == pending_identity({"id": 7, "page": "b"})


def test_a_rejected_record_without_keys_is_known_by_its_content():
    assert pending_identity({"page": "a"}, keys=()) != pending_identity({"page": "b"}, keys=())
    assert pending_identity({"page": "a"}, keys=()) == pending_identity({"page": "a"}, keys=())


def test_a_rejected_record_with_a_null_key_value_is_known_by_its_content():
    first, second = ({"id": None, "page": page} for page in "ab")
    assert pending_identity(first) != pending_identity(second)
