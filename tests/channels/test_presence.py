"""Staff presence across instances, folded from announcements: data and a clock, no sockets."""

from __future__ import annotations

from channels.messages import StaffPresence
from channels.presence import PresenceBoard


def test_presence_counts_other_instances_until_they_fall_silent() -> None:
    board = PresenceBoard(instance="A", ttl_s=15.0)
    assert board.staff_online(own=0, now=0.0) == 0
    board.apply(StaffPresence(instance="B", staff=2), now=1.0)
    board.apply(StaffPresence(instance="A", staff=9), now=1.0)  # its own: counted first-hand, not here
    assert board.staff_online(own=1, now=2.0) == 3
    board.apply(StaffPresence(instance="B", staff=0), now=3.0)  # B's consoles closed
    assert board.staff_online(own=0, now=4.0) == 0
    board.apply(StaffPresence(instance="C", staff=1), now=5.0)
    assert board.staff_online(own=0, now=19.0) == 1
    assert board.staff_online(own=0, now=21.0) == 0  # C stopped announcing: gone
