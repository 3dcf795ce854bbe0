"""The ledger that decides which STATE is safe when records settle out of order."""

from __future__ import annotations

from target_gong_di.run.checkpoints import Checkpoints


def ledger_with(records: int, state_after: int) -> Checkpoints:
    ledger = Checkpoints()
    for number in range(1, records + 1):
        ledger.record_received()
        if number == state_after:
            ledger.state_received({"after": number})
    return ledger


def test_no_state_is_safe_before_its_records_settle():
    ledger = ledger_with(3, state_after=2)
    ledger.settled(2)
    assert ledger.safe_state is None


def test_state_is_safe_once_every_record_before_it_settles_in_any_order():
    ledger = ledger_with(3, state_after=2)
    ledger.settled(2)
    ledger.settled(1)
    assert ledger.safe_state == {"after": 2}


def test_records_after_a_state_do_not_hold_it_back():
    ledger = ledger_with(5, state_after=2)
    ledger.settled(1)
    ledger.settled(2)
    assert ledger.safe_state == {"after": 2}
    assert ledger.unsettled == 3


def test_newest_safe_state_wins():
    ledger = Checkpoints()
    for number in range(1, 5):
        ledger.record_received()
        ledger.state_received({"after": number})
    for number in (1, 2, 4):
        ledger.settled(number)
    assert ledger.safe_state == {"after": 2}
    ledger.settled(3)
    assert ledger.safe_state == {"after": 4}


def test_state_before_any_record_is_safe_at_once():
    ledger = Checkpoints()
    ledger.state_received({"start": True})
    assert ledger.safe_state == {"start": True}
