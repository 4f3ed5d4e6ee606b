"""Staff presence across gateway instances, sans-I/O: is anybody in the staff console right now?

Every instance announces how many staff consoles it holds (:class:`~channels.messages.StaffPresence` on
the broker topic ``presence``, live only) when that number changes and every ``interval`` seconds; every
instance folds all announcements into a :class:`PresenceBoard`. An instance that stops announcing (gone,
cut off) counts as nobody after ``ttl_s``. The citizen's widget learns from it, before asking, whether a
person can answer now; a hand-off request with nobody present gets the other ways to reach the city at
once instead of a silent wait.
"""

from __future__ import annotations

from dataclasses import dataclass

from channels.messages import StaffPresence

__all__ = ["PresenceBoard"]


@dataclass(frozen=True, slots=True)
class _Seen:
    staff: int
    at: float


class PresenceBoard:
    """Staff counts per instance, from announcements; this instance's own count is passed in directly."""

    def __init__(self, *, instance: str, ttl_s: float) -> None:
        self.instance = instance
        self.ttl_s = ttl_s
        self._others: dict[str, _Seen] = {}

    def apply(self, event: StaffPresence, *, now: float) -> None:
        """Fold one announcement (this instance's own are ignored: it knows its count first-hand)."""
        if event.instance != self.instance:
            self._others[event.instance] = _Seen(staff=event.staff, at=now)

    def staff_online(self, *, own: int, now: float) -> int:
        """How many staff consoles are open across all instances that announced within ``ttl_s``."""
        for instance in [i for i, seen in self._others.items() if now - seen.at > self.ttl_s]:
            del self._others[instance]
        return own + sum(seen.staff for seen in self._others.values())
