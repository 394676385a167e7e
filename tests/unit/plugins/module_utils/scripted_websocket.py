# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A websocket connection that plays back scripted frames, for the websocket and log tests."""

from __future__ import annotations

import websocket as websocket_lib


class ScriptedConnection:
    """Answers ``recv_data()`` with the given frames in order (an exception in the list is
    raised in its turn), then as a closed connection; records timeouts and ``close()``."""

    def __init__(self, frames):
        self.frames = frames if isinstance(frames, BaseException) else list(frames)
        self.closed = False
        self.timeouts = []

    def settimeout(self, value):
        self.timeouts.append(value)

    def recv_data(self):
        if not self.frames:
            raise websocket_lib.WebSocketConnectionClosedException("closed")
        frame = self.frames.pop(0)
        if isinstance(frame, BaseException):
            raise frame
        return frame

    def close(self):
        self.closed = True
