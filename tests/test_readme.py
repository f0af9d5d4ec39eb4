"""The README's examples run as written, and CI runs the README's two commands."""

import re

from .conftest import FIXTURES, ROOT

README = (ROOT / "README.md").read_text("utf-8")


def _blocks(language):
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


def test_python_examples_run_when_pasted(tmp_path, monkeypatch, capsys):
    (tmp_path / "fixtures").symlink_to(FIXTURES)
    monkeypatch.chdir(tmp_path)
    for block in _blocks("python"):
        exec(compile(block, "README.md", "exec"), {})
    printed = capsys.readouterr().out
    assert "lists" in printed and (tmp_path / "index" / "manifest.json").is_file()


def test_ci_runs_the_two_set_up_commands_verbatim():
    first, second = (block.strip() for block in _blocks("sh")[:2])
    ci = (ROOT / ".ci" / "run").read_text("utf-8").splitlines()
    assert first in ci and second in ci
    assert "recommender build fixtures/articles.jsonl" in first and "pytest" in second
