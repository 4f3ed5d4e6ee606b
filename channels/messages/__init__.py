"""Every message that crosses the channel layer, as pydantic v2 models.

Each model carries a ``type`` discriminator and ``v`` (schema version, currently 1). The protocol for
embedders is described in docs/protocol.md and exported as JSON Schema with ``rathaus gateway schema``.

Groups:

* chat, client -> gateway: ``chat.send``, ``chat.feedback``, ``chat.handoff``, ``chat.handoff_cancel``,
  ``chat.callback``
* chat, gateway -> client: ``chat.session``, ``chat.history``, ``chat.reply``, ``chat.status``,
  ``chat.waiting``, ``chat.typing``, ``chat.availability``, ``error``
* chat events on the broker topic ``chat:{session}``: ``chat.user`` (what the citizen wrote),
  ``chat.reply``, ``chat.status``; ``chat.waiting``, ``chat.typing`` and ``citizen.presence`` travel live
  only (not stored)
* callback requests on the broker topic ``callbacks``: ``callback.event``
* hand-off queue on the broker topic ``handoff``: ``handoff.event``; staff presence on ``presence``:
  ``staff.presence`` (live only)
* subtitles, gateway -> viewer (broker topic ``subtitles:{stream}``): ``subtitle.cue``,
  ``subtitle.partial``, ``subtitle.stream``
* staff console: staff -> gateway ``staff.take``, ``staff.send``, ``staff.typing``, ``staff.release``,
  ``staff.callback_done``;
  gateway -> staff ``staff.queue`` (once per connection), then ``staff.update`` (one conversation
  changed), ``staff.message``, ``staff.callbacks`` (on connect and after each change), ``error``
* the recordings editor's HTTP API: ``recording.list``, ``recording.subtitles``, ``recording.subtitle_edit``,
  ``recording.edit_refused``

The models live in one module per group (:mod:`~channels.messages.base`, :mod:`~channels.messages.chat`,
:mod:`~channels.messages.events`, :mod:`~channels.messages.recordings`, :mod:`~channels.messages.staff`,
:mod:`~channels.messages.subtitles`), the unions and parsers in :mod:`~channels.messages.parse`; import them
from here.
"""

from __future__ import annotations

from channels.messages import base, chat, events, parse, recordings, staff, subtitles
from channels.messages.base import *  # noqa: F403 - the package's names are its modules' __all__
from channels.messages.chat import *  # noqa: F403
from channels.messages.events import *  # noqa: F403
from channels.messages.parse import *  # noqa: F403
from channels.messages.recordings import *  # noqa: F403
from channels.messages.staff import *  # noqa: F403
from channels.messages.subtitles import *  # noqa: F403

__all__ = [
    *base.__all__, *chat.__all__, *events.__all__, *parse.__all__, *recordings.__all__, *staff.__all__,
    *subtitles.__all__,
]
