"""`coach serve`: the web player and remote for a phone beside the mat."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from coach.cli.options import (
    background_options, compile_options, config_option, history_option, timing_options, voice_choice, voice_options,
)

DEFAULT_PORT = 8765   # coach.web.server.DEFAULT_PORT, without importing the web stack for --help


@click.command()
@click.option("--port", type=click.IntRange(1024, 65535), default=DEFAULT_PORT, show_default=True,
              help="The port to listen on.")
@click.option("--lan", is_flag=True,
              help="Listen on every interface, for a phone on the same network: prints a pairing code and a QR code.")
@click.option("--routines", "personal_dir", type=click.Path(file_okay=False, path_type=Path),
              envvar="COACH_ROUTINES_DIR", help="A folder of your own scripts to list beside the built-in ones "
                                                "(env COACH_ROUTINES_DIR).")
@timing_options
@voice_options
@background_options
@config_option
@history_option
def serve(port, lan, personal_dir, verbosity, hold_scale, breath_scale, engine, voice, rate, cache_dir, background,
          background_level, config_path, history_db) -> None:
    """Serve the library and a player to a web browser: play a routine on your phone.

    By default only this computer can open it. With --lan a phone on the same network can, once
    it is paired with the code shown (scan the QR code). Ctrl-C stops the server.

    \b
    Examples:
      coach serve                 # then open http://127.0.0.1:8765/
      coach serve --lan --port 9000
    """
    from coach.web.server import ServeRequest, open_server

    bound = open_server(ServeRequest(
        port=port, lan=lan, choice=voice_choice(engine, voice, rate), cache_dir=cache_dir, config_path=config_path,
        history_db=history_db, personal_dir=personal_dir, options=compile_options(verbosity, hold_scale, breath_scale),
        background=background, background_level_db=background_level))
    _announce(bound.address, "coach is serving at", "'coach serve --lan' serves a phone on your network")
    click.echo("Ctrl-C stops the server.")
    bound.serve()
    click.echo("coach serve: stopped.")


def _announce(address, what: str, lan_hint: str) -> None:
    from coach.web.server import qr_text

    click.echo(f"{what} {address.url}")
    if address.pairing_code:
        click.echo(f"Pairing code: {address.pairing_code} (once, for one device). On the phone, scan this or open "
                   f"{address.pair_url}")
        click.echo(qr_text(address.pair_url), nl=False)
    else:
        click.echo(f"Only this computer can open it; {lan_hint}.")


def remote_options(func):
    """--remote, --remote-lan, --remote-port: a web page that shows and steers the session."""
    func = click.option("--remote-port", type=click.IntRange(1024, 65535), default=DEFAULT_PORT, show_default=True,
                        help="The remote page's port.")(func)
    func = click.option("--remote-lan", is_flag=True,
                        help="The remote on a phone on the same network (implies --remote): a pairing code and a QR code.")(func)
    return click.option("--remote", is_flag=True,
                        help="Show the session on a web page with pause / next / repeat / safety-stop buttons.")(func)


@contextmanager
def remote_control(on: bool, lan: bool, port: int) -> Iterator[tuple[tuple, tuple]]:
    """(sources, sinks) for the session: the remote's, or none."""
    if not on:
        yield (), ()
        return
    from coach.web.remote import serving_remote
    from coach.web.server import ServeRequest

    with serving_remote(ServeRequest(port=port, lan=lan, port_option="--remote-port"),
                        lambda address: _announce(address, "Remote at", "--remote-lan serves a phone on your network")) as remote:
        yield (remote.attach,), (remote.on_event,)
