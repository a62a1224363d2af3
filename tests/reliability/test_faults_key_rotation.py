"""F15: the encryption key is rotated while syncs run.

The account is connected the product's way (refresh token encrypted in the database under key
A). After the first window the operator adds key B first (``B,A``: a restart of the process);
runs go on, every window with its sessions expired so each run refreshes. After another
window, key A is retired (``B``). With Salesforce rotating refresh tokens, every refresh saves
the new token under the first key, so the stored secrets are re-encrypted under B before A
goes away: no run may fail with an auth error and the oracle holds. Without refresh-token
rotation nothing re-saves the stored secrets, so the operator runs ``ringsync keys rotate``
(with ``B,A`` configured) before retiring A, as docs/operations.md says: then too no run fails
and the connection keeps working under B alone.
"""

from __future__ import annotations

from collections.abc import Callable

from click.testing import Result
from cryptography.fernet import InvalidToken
from generator import generate
from harness import World
from oracle import check, check_settled, rerun
from sf_connection import Connected, connected
from typer.testing import CliRunner

from conftest import SIZE, seeded
from ringsync import cli
from ringsync.errors import AuthError
from ringsync.salesforce.tokens import TokenCipher, generate_key


def _keys_command(world: World, keys: list[str], *args: str) -> Result:
    """Run ``ringsync keys rotate ARGS`` on the world's database with ``keys`` configured."""
    url = world.db.engine.url.render_as_string(hide_password=False)
    env = {
        "RINGSYNC_ENCRYPTION_KEYS": ",".join(keys),
        "RINGSYNC_DATABASE_URL": url,
        "RINGSYNC_ENV_FILE": "",
        "RINGSYNC_DEMO": "false",
    }
    return CliRunner().invoke(cli.app, ["keys", "rotate", "--database-url", url, *args], env=env)


def _rotate_during_play(
    world: World, seed: int, rotation: bool, *, operator_rotates: bool = False
) -> tuple[Connected, str, str]:
    """Play with key B added after window 0 and key A retired later; with
    ``operator_rotates``, run ``ringsync keys rotate`` (and its check) before retiring A."""
    old, new = generate_key(), generate_key()
    world.app.state.sfemu.config.refresh_token_rotation = rotation
    scenario = generate(seed, SIZE)
    conn = connected(world, [old])
    world.baseline(scenario)
    retire_at = min(2, len(scenario.windows) - 1)

    def rotate(window: int) -> None:
        world.app.state.sfemu.tokens.expire_all()
        if window == 1:
            conn.restart([new, old])
        elif window == retire_at:
            if operator_rotates:
                _operator_rotates(world, [new, old])
            conn.restart([new])

    world.play(scenario, between=rotate)
    world.drain()
    check(world, scenario)
    check_settled(world, scenario)
    return conn, old, new


def _operator_rotates(world: World, keys: list[str]) -> None:
    before = _keys_command(world, keys, "--check")
    assert before.exit_code == 1, before.output
    assert "Salesforce connections: 1 not yet under the first key" in before.output
    rotated = _keys_command(world, keys)
    assert rotated.exit_code == 0, rotated.output
    assert "Salesforce connections: 1 re-encrypted" in rotated.output
    after = _keys_command(world, keys, "--check")
    assert after.exit_code == 0, after.output


def _opens(key: str, blob: str) -> bool:
    try:
        TokenCipher([key]).decrypt(blob)
    except AuthError as exc:
        if not isinstance(exc.__cause__, InvalidToken):
            raise
        return False
    return True


@seeded()
def test_key_rotation_during_runs_reencrypts_and_never_fails_auth(
    make_world: Callable[..., World], seed: int
) -> None:
    world = make_world(seed)
    conn, old, new = _rotate_during_play(world, seed, rotation=True)
    try:
        auth = [e for e in world.errors if e.startswith("auth_error")]
        assert not auth, f"{rerun(seed)}: runs failed auth during the rotation: {auth}"
        blob = conn.stored_blob()
        assert _opens(new, blob), f"{rerun(seed)}: stored secrets not under the new key"
        assert not _opens(old, blob), f"{rerun(seed)}: stored secrets still under the old key"
    finally:
        conn.close()


def test_retiring_the_old_key_without_refresh_rotation_keeps_the_connection(
    make_world: Callable[..., World],
) -> None:
    world = make_world(1)
    conn, old, new = _rotate_during_play(world, 1, rotation=False, operator_rotates=True)
    try:
        auth = [e for e in world.errors if e.startswith("auth_error")]
        assert not auth, f"runs failed auth during the rotation: {auth}"
        assert _opens(new, conn.stored_blob())
        assert not _opens(old, conn.stored_blob())
        assert conn.state()[0] == "connected"
    finally:
        conn.close()
