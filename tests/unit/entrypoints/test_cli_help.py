"""``billing --help`` lists every command with its whole summary, never cut with "..."."""

from __future__ import annotations

from click.testing import CliRunner

from billing.entrypoints.cli import main


def test_the_top_level_help_shows_whole_summaries() -> None:
    shown = CliRunner().invoke(main, ["--help"], terminal_width=80)

    assert shown.exit_code == 0
    text = " ".join(shown.output.split("Commands:")[1].split())
    assert "..." not in text
    for name, command in main.commands.items():
        summary = " ".join(command.get_short_help_str(limit=1_000).split())
        assert f"{name} {summary}" in text
    assert "The database at BILLING_DATABASE_URL (default: a SQLite file under ./var/)." in text
