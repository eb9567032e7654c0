"""`closeloop` speaks Simplified Chinese when the user's locale asks for it, English otherwise."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from typer.testing import CliRunner

from closeloop.cli import app
from tests.test_cli_errors import CLOSELOOP

CHINESE = {"CLOSELOOP_LOCALE": "zh_CN", "LANG": "zh_CN.UTF-8"}
ENGLISH = {"CLOSELOOP_LOCALE": "", "LANG": "C.UTF-8", "LC_ALL": "", "LC_MESSAGES": ""}


def run(env: dict[str, str], *args: str) -> str:
    result = CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_roi_report_headers_in_chinese(db_url: str) -> None:
    out = run(CHINESE, "report", "roi", "--db", db_url)
    assert "按渠道的闭环 ROI — 数量" in out
    for header in ("渠道", "投入", "线索", "有效", "商机", "赢单", "收入", "回款", "合计"):
        assert header in out, header
    assert "Spend" not in out and "Closed-loop ROI" not in out


def test_roi_report_stays_english_by_default(db_url: str) -> None:
    out = run(ENGLISH, "report", "roi", "--db", db_url)
    assert "Closed-loop ROI by channel — volume" in out
    assert "Spend" in out and "Total" in out
    assert "投入" not in out


def test_lang_option_wins_over_the_environment(db_url: str) -> None:
    out = run(CHINESE, "--lang", "en", "report", "funnel", "--db", db_url)
    assert "Lead-to-cash funnel" in out
    assert "线索到回款漏斗" in run(ENGLISH, "--lang", "zh_CN", "report", "funnel", "--db", db_url)


def test_user_create_reports_in_chinese(db_url: str) -> None:
    out = run(
        CHINESE,
        "user", "create", "--email", "li.lei@example.cn", "--name", "李雷",
        "--role", "sales_rep", "--db", db_url,
    )  # fmt: skip
    assert "已创建用户" in out and "li.lei@example.cn（sales_rep）" in out
    assert "密码（仅显示这一次）：" in out
    english = run(
        ENGLISH,
        "user", "create", "--email", "han.meimei@example.cn", "--name", "韩梅梅",
        "--role", "sales_rep", "--db", db_url,
    )  # fmt: skip
    assert "(sales_rep) created." in english and "Password (shown only now):" in english


def test_help_in_chinese() -> None:
    out = run(CHINESE, "report", "--help")
    assert "用法：closeloop report" in out
    assert "闭环报表。" in out and "显示本帮助并退出。" in out


def _script(env: dict[str, str], *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("CLOSELOOP_", "LC_"))}
    environment.update(env)
    return subprocess.run(
        [CLOSELOOP, *args], capture_output=True, text=True, cwd=cwd, env=environment, timeout=60
    )


def test_bad_input_error_in_chinese_exit_2(db_url: str, tmp_path: Path) -> None:
    done = _script(CHINESE, "report", "roi", "--by", "region", "--db", db_url, cwd=tmp_path)
    assert done.returncode == 2
    assert (
        done.stderr.strip() == "错误：by: 未知分组 'region'：请从 channel, campaign, content 中选择"
    )
    assert done.stdout == ""
    english = _script(ENGLISH, "report", "roi", "--by", "region", "--db", db_url, cwd=tmp_path)
    assert english.returncode == 2
    assert english.stderr.strip() == (
        "error: by: unknown grouping 'region': choose one of channel, campaign, content"
    )


SLA_RULES = """\
default:
  first_contact_hours: 2
  accept_days: 3
  follow_up_days: 5
  escalate_after_hours: 4
  recycle_after_hours: 16
teams:
  Nowhere:
    accept_days: 2
"""

# (arguments, Chinese line, English line) of errors raised by the services of several domains.
DOMAIN_ERRORS = [
    (
        ("sla", "set", "sla.yaml"),
        "错误：teams.Nowhere: sla.yaml 第 8 行：没有名为 'Nowhere' 的团队（还没有任何团队）",
        "error: teams.Nowhere: sla.yaml line 8: no team named 'Nowhere' (teams: none yet)",
    ),
    (
        ("leads", "unmerge", "42"),
        "错误：id: 没有线索 42",
        "error: id: no lead 42",
    ),
    (
        ("user", "create", "--email", "wang@example.cn", "--name", "王芳", "--role", "sales_rep",
         "--locale", "fr"),
        "错误：locale: 未知语言 'fr'（可选：en, zh_CN）",
        "error: locale: unknown locale 'fr' (one of en, zh_CN)",
    ),
    (
        ("webhook", "add", "ftp://example.cn/hook"),
        "错误：url: 'ftp://example.cn/hook' 不是 http(s) 网址",
        "error: url: 'ftp://example.cn/hook' is not an http(s) URL",
    ),
]  # fmt: skip


def test_domain_errors_in_chinese_exit_2(db_url: str, tmp_path: Path) -> None:
    (tmp_path / "sla.yaml").write_text(SLA_RULES, encoding="utf-8")
    for args, chinese, english in DOMAIN_ERRORS:
        done = _script(CHINESE, "--lang", "zh_CN", *args, "--db", db_url, cwd=tmp_path)
        assert (done.returncode, done.stderr.strip()) == (2, chinese), args
        assert done.stdout == ""
        done = _script(ENGLISH, *args, "--db", db_url, cwd=tmp_path)
        assert (done.returncode, done.stderr.strip()) == (2, english), args
