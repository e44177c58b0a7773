"""The README's "From Python" example runs as written, from the repository's root."""
import os
import pathlib
import re

REPOSITORY = pathlib.Path(__file__).resolve().parents[2]


def python_example():
    text = (REPOSITORY / "README.md").read_text()
    section = text.split("## From Python", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert len(blocks) == 1, "one python block in the README's From Python section"
    return blocks[0]


def test_readme_example_runs(capsys, monkeypatch):
    monkeypatch.chdir(REPOSITORY)
    exec(compile(python_example(), "README.md", "exec"), {"__name__": "readme"})
    output = capsys.readouterr().out
    assert "tokens" in output and "not a .vtok file" in output
