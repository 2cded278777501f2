"""Headset buttons and media keys: while a session plays, coach is an MPRIS player on the D-Bus
session bus, so the desktop's media controls, keyboard media keys, Bluetooth headset buttons and
`playerctl` reach it.

    with MediaKeys(player.command) as keys:     # silently off when there is no session bus
        player = Player(..., on_event=both(view, keys.on_event))

PlayPause/Pause/Play pause and resume, Next skips a step, Previous repeats it, Stop is the safety stop
(the guided exit, as the s key), Quit ends the session. The metadata a lock screen shows: the current
exercise as the title, what is happening now (Hold, Get ready, ...) as the artist, the routine as the
album. jeepney (pure Python) speaks the protocol; all socket I/O happens on one thread of ours.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from coach.player.events import Ended, Event, Paused, Resumed, Started, StepChanged, Waiting

BUS_NAME = "org.mpris.MediaPlayer2.coach"
OBJECT_PATH = "/org/mpris/MediaPlayer2"
ROOT_IFACE = "org.mpris.MediaPlayer2"
PLAYER_IFACE = "org.mpris.MediaPlayer2.Player"
PROPS_IFACE = "org.freedesktop.DBus.Properties"
INTROSPECT_IFACE = "org.freedesktop.DBus.Introspectable"

# MPRIS method -> the player command it stands for.
METHOD_COMMANDS = {
    "PlayPause": "toggle-pause", "Pause": "pause", "Play": "resume",
    "Next": "next", "Previous": "repeat", "Stop": "safety-stop",
}
_POLL_S = 0.1

_INTROSPECTION = f"""<!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">
<node>
 <interface name="{ROOT_IFACE}">
  <method name="Raise"/><method name="Quit"/>
  <property name="CanQuit" type="b" access="read"/><property name="CanRaise" type="b" access="read"/>
  <property name="HasTrackList" type="b" access="read"/><property name="Identity" type="s" access="read"/>
  <property name="SupportedUriSchemes" type="as" access="read"/>
  <property name="SupportedMimeTypes" type="as" access="read"/>
 </interface>
 <interface name="{PLAYER_IFACE}">
  {''.join(f'<method name="{name}"/>' for name in METHOD_COMMANDS)}
  <method name="Seek"><arg name="Offset" type="x" direction="in"/></method>
  <method name="SetPosition"><arg name="TrackId" type="o" direction="in"/><arg name="Position" type="x" direction="in"/></method>
  <method name="OpenUri"><arg name="Uri" type="s" direction="in"/></method>
  <signal name="Seeked"><arg name="Position" type="x"/></signal>
  <property name="PlaybackStatus" type="s" access="read"/><property name="Rate" type="d" access="read"/>
  <property name="Metadata" type="a{{sv}}" access="read"/><property name="Volume" type="d" access="read"/>
  <property name="Position" type="x" access="read"/><property name="MinimumRate" type="d" access="read"/>
  <property name="MaximumRate" type="d" access="read"/><property name="CanGoNext" type="b" access="read"/>
  <property name="CanGoPrevious" type="b" access="read"/><property name="CanPlay" type="b" access="read"/>
  <property name="CanPause" type="b" access="read"/><property name="CanSeek" type="b" access="read"/>
  <property name="CanControl" type="b" access="read"/>
 </interface>
 <interface name="{PROPS_IFACE}">
  <method name="Get"><arg type="s" direction="in"/><arg type="s" direction="in"/><arg type="v" direction="out"/></method>
  <method name="GetAll"><arg type="s" direction="in"/><arg type="a{{sv}}" direction="out"/></method>
  <method name="Set"><arg type="s" direction="in"/><arg type="s" direction="in"/><arg type="v" direction="in"/></method>
  <signal name="PropertiesChanged"><arg type="s"/><arg type="a{{sv}}"/><arg type="as"/></signal>
 </interface>
</node>"""


class MediaKeys:
    """coach as an MPRIS player for as long as the `with` block lasts. `command` gets the player's
    command names; it is called on our D-Bus thread (Player.command is thread-safe)."""

    def __init__(self, command: Callable[[str], None], identity: str = "coach"):
        self.command = command
        self.identity = identity
        self.bus_name: str | None = None        # the name we hold while active; None: off
        self._conn: Any = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._outbox: queue.Queue[Any] = queue.Queue()
        self._lock = threading.Lock()
        self._status = "Stopped"
        self._album = ""
        self._title = ""
        self._doing = ""
        self._step = 0
        self._length_us = 0
        self._position_ms = 0.0
        self._position_at = time.monotonic()

    @property
    def active(self) -> bool:
        return self.bus_name is not None

    # -- the session's events ------------------------------------------------------------------------

    def on_event(self, event: Event) -> None:
        """Keep what the desktop shows in step with the session (an EventCallback)."""
        with self._lock:
            if isinstance(event, Started):
                self._album, self._length_us = event.title, event.duration_ms * 1000
                self._set_position(0.0, "Playing")
            elif isinstance(event, StepChanged):
                self._title, self._doing, self._step = event.step.chapter, event.step.label, event.step.index
                self._set_position(event.position_ms, self._status)
            elif isinstance(event, Paused):
                self._set_position(event.position_ms, "Paused")
            elif isinstance(event, (Resumed, Waiting)):
                self._set_position(event.position_ms, "Playing")
            elif isinstance(event, Ended):
                self._set_position(event.result.position_ms, "Stopped")
            else:
                return
            changed = {"PlaybackStatus": ("s", self._status), "Metadata": ("a{sv}", self._metadata())}
        if self.active:
            self._outbox.put(changed)

    def _set_position(self, position_ms: float, status: str) -> None:
        self._position_ms, self._position_at, self._status = position_ms, time.monotonic(), status

    def _metadata(self) -> dict[str, tuple[str, Any]]:
        return {
            "mpris:trackid": ("o", f"/org/mpris/MediaPlayer2/coach/step/{max(self._step, 0)}"),
            "mpris:length": ("x", self._length_us),
            "xesam:title": ("s", self._title or self._album or "coach"),
            "xesam:artist": ("as", [self._doing or "coach"]),
            "xesam:album": ("s", self._album),
        }

    def _properties(self, interface: str) -> dict[str, tuple[str, Any]]:
        with self._lock:
            if interface == ROOT_IFACE:
                return {"CanQuit": ("b", True), "CanRaise": ("b", False), "HasTrackList": ("b", False),
                        "Identity": ("s", self.identity), "SupportedUriSchemes": ("as", []),
                        "SupportedMimeTypes": ("as", [])}
            if interface == PLAYER_IFACE:
                position_ms = self._position_ms
                if self._status == "Playing":
                    position_ms += (time.monotonic() - self._position_at) * 1000
                return {"PlaybackStatus": ("s", self._status), "Rate": ("d", 1.0), "Metadata": ("a{sv}", self._metadata()),
                        "Volume": ("d", 1.0), "Position": ("x", int(position_ms * 1000)), "MinimumRate": ("d", 1.0),
                        "MaximumRate": ("d", 1.0), "CanGoNext": ("b", True), "CanGoPrevious": ("b", True),
                        "CanPlay": ("b", True), "CanPause": ("b", True), "CanSeek": ("b", False),
                        "CanControl": ("b", True)}
            return {}

    # -- the bus -------------------------------------------------------------------------------------

    def __enter__(self) -> MediaKeys:
        if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
            return self   # no desktop session: silently off, keys still work
        try:
            from jeepney.bus_messages import message_bus
            from jeepney.io.blocking import open_dbus_connection

            self._conn = open_dbus_connection(bus="SESSION", auth_timeout=2.0)
            for name in (BUS_NAME, f"{BUS_NAME}.instance{os.getpid()}"):   # a second coach: its own name
                reply = self._conn.send_and_get_reply(message_bus.RequestName(name, 0x4), timeout=2.0)
                if reply.body[0] == 1:   # DBUS_REQUEST_NAME_REPLY_PRIMARY_OWNER
                    self.bus_name = name
                    break
        except Exception:  # noqa: BLE001 - a broken or absent bus must never stop a session
            self._close()
            return self
        if self.bus_name is None:
            self._close()
            return self
        self._thread = threading.Thread(target=self._serve, name="coach-mpris", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
        self._close()
        self.bus_name = None

    def _close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except OSError:
                pass
            self._conn = None

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                self._flush_signals()
                try:
                    message = self._conn.receive(timeout=_POLL_S)
                except TimeoutError:
                    continue
                self._answer(message)
            except Exception:  # noqa: BLE001 - the bus went away: media keys stop, the session goes on
                return
        try:
            self._flush_signals()   # the last state (Stopped) reaches the desktop
        except Exception:  # noqa: BLE001
            pass

    def _flush_signals(self) -> None:
        from jeepney import DBusAddress, new_signal

        emitter = DBusAddress(OBJECT_PATH, interface=PROPS_IFACE)
        while True:
            try:
                changed = self._outbox.get_nowait()
            except queue.Empty:
                return
            self._conn.send(new_signal(emitter, "PropertiesChanged", "sa{sv}as", (PLAYER_IFACE, changed, [])))

    def _answer(self, message: Any) -> None:
        from jeepney import HeaderFields, MessageType, new_error, new_method_return

        header = message.header
        if header.message_type != MessageType.method_call:
            return
        interface = header.fields.get(HeaderFields.interface, "")
        member = header.fields.get(HeaderFields.member, "")
        if header.fields.get(HeaderFields.path) != OBJECT_PATH:
            self._conn.send(new_error(message, "org.freedesktop.DBus.Error.UnknownObject", "s", ("no such object",)))
            return
        if member in METHOD_COMMANDS and interface in (PLAYER_IFACE, ""):
            self.command(METHOD_COMMANDS[member])
            reply = new_method_return(message)
        elif member == "Quit" and interface in (ROOT_IFACE, ""):
            self.command("quit")
            reply = new_method_return(message)
        elif member in ("Raise", "Seek", "SetPosition", "OpenUri"):
            reply = new_method_return(message)   # nothing to raise; a coaching session does not seek
        elif member == "Get" and interface == PROPS_IFACE:
            iface, name = message.body
            props = self._properties(iface)
            if name not in props:
                reply = new_error(message, "org.freedesktop.DBus.Error.UnknownProperty", "s", (f"no property {name}",))
            else:
                reply = new_method_return(message, "v", (props[name],))
        elif member == "GetAll" and interface == PROPS_IFACE:
            reply = new_method_return(message, "a{sv}", (self._properties(message.body[0]),))
        elif member == "Set" and interface == PROPS_IFACE:
            reply = new_error(message, "org.freedesktop.DBus.Error.PropertyReadOnly", "s", ("read-only",))
        elif member == "Introspect" and interface in (INTROSPECT_IFACE, ""):
            reply = new_method_return(message, "s", (_INTROSPECTION,))
        else:
            reply = new_error(message, "org.freedesktop.DBus.Error.UnknownMethod", "s", (f"no method {member}",))
        self._conn.send(reply)
