"""The bot-process harness that end-to-end tests, the fleet tests and the benchmark read the bot through."""

from __future__ import annotations

from pathlib import Path

from bot.fakes.harness import BotProcess


def test_audit_lines_leave_out_a_line_the_bot_is_still_writing() -> None:
    bot = BotProcess({"PORT": "1"})
    try:
        bot._log.write(b'{"event":"command","ref":"a"}\nnot json\n{"event":"command","re')
        assert bot.audit_lines() == [{"event": "command", "ref": "a"}]
        bot._log.write(b'f":"b"}\n')
        assert [line["ref"] for line in bot.audit_lines()] == ["a", "b"]
    finally:
        bot._log.close()
        Path(bot._log.name).unlink()
