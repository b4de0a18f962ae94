"""`envoy-exporter simulate`: a simulated Envoy from a built-in profile or a capture folder."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from types import FrameType

import click

from ..simulator.faults import FAULTS, Chain, Fault, Refused, parse_fault
from ..simulator.profiles import PROFILE_NAMES, load_profile
from ..simulator.server import SimulatedEnvoy
from ..simulator.source import Source


def _load_source(profile: str | None, captures: Path | None) -> Source:
    if (profile is None) == (captures is None):
        raise click.UsageError("give exactly one of --profile NAME or --captures DIR")
    return source_from(profile or "", captures)


def source_from(profile: str, captures: Path | None, hint: str = "--captures") -> Source:
    """A capture folder if given, else a built-in profile; a bad one is a usage error."""
    if captures is not None:
        from ..simulator.captures import CaptureError, CaptureSource

        try:
            return CaptureSource(captures)
        except CaptureError as err:
            raise click.BadParameter(str(err), param_hint=hint) from err
    if profile not in PROFILE_NAMES:
        names = ", ".join(PROFILE_NAMES)
        raise click.BadParameter(
            f"unknown profile {profile!r}; one of: {names}", param_hint="--profile"
        )
    source: Source = load_profile(profile)
    return source


def _parse_faults(specs: tuple[str, ...]) -> Chain | None:
    if not specs:
        return None
    try:
        return Chain(parse_fault(spec) for spec in specs)
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint="--fault") from err


def _switch_off(sim: SimulatedEnvoy, chain: Chain | None, stop: threading.Event) -> None:
    """`--fault refused[:SECONDS]`: stop listening (connections refused), then come back."""
    off: list[Fault] = [f for f in (chain.faults if chain else []) if isinstance(f, Refused)]
    if not off:
        return
    seconds = min((f.seconds for f in off if isinstance(f, Refused) and f.seconds), default=None)
    port = sim.port
    sim.stop()
    click.echo(f"refusing connections{f' for {seconds:g} s' if seconds else ''}", err=True)
    if seconds is None or stop.wait(seconds):
        return
    for fault in off:
        fault.enabled = False
    if chain is not None:
        chain.reopen()  # stop() let go of held requests; hang and delay hold again
    sim.listen_port = port
    sim.start()
    click.echo("listening again", err=True)


def _describe(sim: SimulatedEnvoy) -> list[str]:
    lines = [
        f"url: {sim.base_url}",
        f"host: {sim.host}",
        f"serial: {sim.serial}",
        f"firmware: {sim.firmware}",
    ]
    if sim.legacy:
        # Credentials of a simulated gateway: printing them is the point of this command.
        lines += [f"digest user: {user} / {pw}" for user, pw in sim.local_users.items()]
    else:
        lines += [
            f"token: {sim.token}",
            f"enlighten login url: {sim.enlighten_login_url}",
            f"enlighten token url: {sim.enlighten_token_url}",
            f"enlighten user: {sim.cloud_username} / {sim.cloud_password}",
        ]
    return lines


@click.command()
@click.option("--profile", help=f"A built-in gateway profile: {', '.join(PROFILE_NAMES)}.")
@click.option(
    "--captures",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="A folder of real gateway captures (the layout of envoy-captures).",
)
@click.option(
    "--listen",
    default="127.0.0.1:0",
    show_default=True,
    help="HOST:PORT to serve on; port 0 picks a free port.",
)
@click.option(
    "--fault",
    "faults",
    multiple=True,
    metavar="NAME[:ARG][@PATH]",
    help="Misbehave (repeatable); @PATH limits a fault to paths starting with PATH. "
    + "; ".join(text for _, text in FAULTS.values())
    + ".",
)
def simulate(
    profile: str | None, captures: Path | None, listen: str, faults: tuple[str, ...]
) -> None:
    """Serve a simulated Envoy over real HTTP(S) with real authentication, until Ctrl-C."""
    source = _load_source(profile, captures)
    chain = _parse_faults(faults)
    try:
        sim = SimulatedEnvoy(source, listen=listen, fault=chain)
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint="--listen") from err
    try:
        sim.start()
    except OSError as err:
        raise click.ClickException(f"cannot listen on {listen}: {err}") from err
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = signal.signal(signal.SIGTERM, on_signal)
    try:
        for line in _describe(sim):
            click.echo(line)
        click.echo("serving; Ctrl-C to stop", err=True)
        _switch_off(sim, chain, stop)
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        sim.stop()
