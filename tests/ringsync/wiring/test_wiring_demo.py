"""``ringsync demo``: the scripted check agrees, catches a difference, and fails clearly."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from ringsync.cli import app
from ringsync.commands import demo as demo_module
from ringsync.commands.demo_check import CheckReport, DemoCheck
from ringsync.commands.demo_setup import DemoOptions, DemoWorld, initial_pull
from ringsync.store.repositories.sync_links import list_links


def test_demo_check_exits_0_when_both_sides_agree(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["demo", "--check", "--data-dir", str(tmp_path / "demo")])

    assert result.exit_code == 0, result.output
    assert "Both sides agree." in result.output
    assert "Activity events recorded" in result.output
    assert (tmp_path / "demo" / "ringsync.db").is_file()


def test_demo_check_starts_from_a_fresh_store_every_time(tmp_path: Path) -> None:
    data_dir = tmp_path / "demo"
    data_dir.mkdir()
    (data_dir / "ringsync.db").write_bytes(b"not a database")

    result = CliRunner().invoke(
        app, ["demo", "--check", "--data-dir", str(data_dir), "--leads", "30", "--contacts", "10"]
    )

    assert result.exit_code == 0, result.output


def test_the_check_reports_a_record_changed_behind_its_back(world: DemoWorld) -> None:
    check = DemoCheck(world)
    report = check.run(initial_pull(world, Console(quiet=True)))
    assert report.agree, report.problems
    assert report.compared > 0
    assert len(report.events) == 24
    with world.product.database.read() as session:
        link = next(
            link for link in list_links(session, world.account_id) if link.sobject == "Lead"
        )
    world.emulator.state.sfemu.org.update("Lead", link.record_id, {"City": "Tampered"})

    problems = check.verify()

    assert len(problems) == 1
    assert f"contact {link.contact_id} / Lead {link.record_id}: city" in problems[0]
    assert "'Tampered' in Salesforce" in problems[0]


def test_demo_check_exits_1_and_lists_the_differences(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disagreeing(options: DemoOptions, console: Console) -> CheckReport:
        del options, console
        return CheckReport(problems=["contact 7 / Lead 00Q000000000001AAA: city differs"])

    monkeypatch.setattr(demo_module, "run_check", disagreeing)

    result = CliRunner().invoke(app, ["demo", "--check", "--data-dir", str(tmp_path)])

    assert result.exit_code == 1
    assert "1 difference(s) between the two sides" in result.output
    assert "contact 7 / Lead 00Q000000000001AAA: city differs" in result.output


def test_demo_refuses_a_port_in_use_with_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]

        result = CliRunner().invoke(
            app, ["demo", "--port", str(port), "--data-dir", str(tmp_path / "demo")]
        )

    assert result.exit_code == 2
    assert f"Error: cannot listen on 127.0.0.1:{port}" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "demo").exists()
