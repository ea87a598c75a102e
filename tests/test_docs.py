"""The README and docs/ stay complete: every command, option and config key documented, every link alive."""

from __future__ import annotations

import dataclasses
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from etl.profiles import CONFIG_KEYS as PROFILE_KEYS
from feedback.cli import main
from feedback.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
README = ROOT / "README.md"
README_MAX_LINES = 150
# Product code and tooling whose HAOCHA_* environment variables must be documented.
ENV_SOURCES = ("feedback", "etl", "dashboards", "bench", "tests", "Makefile", ".ci")
ENV_VAR = re.compile(r"\bHAOCHA_[A-Z][A-Z0-9_]*\b")
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


# --- helpers: each returns what is missing, so the tests below can also show that they fail -------------------

def commands(group: click.Command, path: tuple[str, ...] = ("haocha",)) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    """Every command of a click group, depth first, with its full path (the group itself first)."""
    yield path, group
    if isinstance(group, click.Group):
        for name in sorted(group.commands):
            yield from commands(group.commands[name], (*path, name))


def sections(text: str) -> dict[str, str]:
    """Heading text → the text under it up to the next heading of the same or a higher level."""
    lines = text.splitlines()
    heads = []
    in_code = False
    for i, line in enumerate(lines):
        if line.startswith("```"):
            in_code = not in_code
        m = None if in_code else HEADING.match(line)
        if m:
            heads.append((i, len(m.group(1)), m.group(2)))
    out = {}
    for k, (i, level, title) in enumerate(heads):
        end = next((j for j, lv, _ in heads[k + 1:] if lv <= level), len(lines))
        out[title] = "\n".join(lines[i + 1:end])
    return out


def undocumented_commands(group: click.Command, text: str) -> list[str]:
    """Commands without a section headed `haocha …` in ``text``, and options missing from their section."""
    secs = sections(text)
    missing = []
    for path, cmd in commands(group):
        name = " ".join(path)
        body = secs.get(f"`{name}`")
        if body is None:
            missing.append(name)
            continue
        for param in cmd.params:
            for opt in (*param.opts, *getattr(param, "secondary_opts", ())):
                if opt.startswith("--") and not re.search(re.escape(opt) + r"(?![\w-])", body):
                    missing.append(f"{name} {opt}")
    return missing


def config_keys(settings_cls: type = Settings) -> dict[str, set[str]]:
    """Section → keys the settings loader accepts: every dataclass-valued field of Settings is a section."""
    defaults = settings_cls()
    out: dict[str, set[str]] = {}
    for f in dataclasses.fields(settings_cls):
        value = getattr(defaults, f.name)
        if dataclasses.is_dataclass(value):
            out[f.name] = {g.name for g in dataclasses.fields(value)}
    return out


def toml_keys(path: Path) -> dict[str, set[str]]:
    """Section → keys present in a TOML file such as config.toml ([profiles.*] tables are checked apart)."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return {name: set(table) for name, table in data.items() if isinstance(table, dict) and name != "profiles"}


def undocumented_keys(keys: dict[str, set[str]], text: str) -> list[str]:
    """``section.key`` for every key not named as `key` under a heading naming `[section]` in ``text``."""
    secs = sections(text)
    missing = []
    for section, names in sorted(keys.items()):
        body = next((b for title, b in secs.items() if f"[{section}]" in title), None)
        for key in sorted(names):
            if body is None or f"`{key}`" not in body:
                missing.append(f"{section}.{key}")
    return missing


def env_vars(root: Path = ROOT) -> set[str]:
    """HAOCHA_* environment variables named anywhere in the product code, tests and tooling."""
    found: set[str] = set()
    for name in ENV_SOURCES:
        base = root / name
        files = [base] if base.is_file() else [p for p in base.rglob("*") if p.is_file()]
        for p in files:
            if p.suffix in {".py", ".toml", ""} or p.name == "Makefile":
                try:
                    found |= set(ENV_VAR.findall(p.read_text(encoding="utf-8")))
                except UnicodeDecodeError:
                    continue
    return found


def slug(title: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped (word characters kept), spaces → hyphens."""
    text = re.sub(r"[^\w\- ]", "", title.strip().lower())
    return text.replace(" ", "-")


def broken_links(md: Path) -> list[str]:
    """Relative links of a Markdown file whose target file (or heading anchor) does not exist."""
    text = re.sub(r"```.*?```", "", md.read_text(encoding="utf-8"), flags=re.S)
    broken = []
    for target in LINK.findall(text):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto: …
            continue
        file_part, _, anchor = target.partition("#")
        dest = (md.parent / file_part).resolve() if file_part else md
        if not dest.exists():
            broken.append(target)
        elif anchor and dest.suffix == ".md" and anchor not in {slug(t) for t in sections(dest.read_text("utf-8"))}:
            broken.append(target)
    return broken


def readme_problems(text: str, pages: list[str]) -> list[str]:
    """What keeps a README from being the front door: too long, or a docs page it does not link."""
    problems = []
    n = len(text.splitlines())
    if n > README_MAX_LINES:
        problems.append(f"{n} lines (at most {README_MAX_LINES}); move detail to docs/")
    problems += [f"no link to docs/{name}" for name in pages if f"(docs/{name})" not in text]
    return problems


def markdown_files() -> list[Path]:
    return [README, *sorted(DOCS.glob("*.md"))]


# --- the checks ---------------------------------------------------------------------------------------------------

def test_every_command_and_option_is_in_cli_md():
    missing = undocumented_commands(main, (DOCS / "cli.md").read_text(encoding="utf-8"))
    assert not missing, f"document these in docs/cli.md (a `### `haocha …`` section with each option): {missing}"


def test_plugin_commands_are_walked():
    names = {" ".join(path) for path, _ in commands(main)}
    # the outer packages' commands come in through the haocha.commands entry point
    assert {"haocha ingest", "haocha demo", "haocha serve", "haocha users add", "haocha report monthly"} <= names


def test_every_settings_key_is_in_configuration_md():
    keys = config_keys()
    assert {"database", "tasks", "alerts", "dashboard"} <= set(keys)
    missing = undocumented_keys(keys, (DOCS / "configuration.md").read_text(encoding="utf-8"))
    assert not missing, f"document these keys in docs/configuration.md: {missing}"


def test_every_key_of_config_toml_is_in_configuration_md():
    keys = toml_keys(ROOT / "config.toml")
    missing = undocumented_keys(keys, (DOCS / "configuration.md").read_text(encoding="utf-8"))
    assert not missing, f"document these keys of config.toml in docs/configuration.md: {missing}"


def test_every_profile_key_is_in_configuration_md():
    missing = undocumented_keys({"profiles.NAME": set(PROFILE_KEYS)}, (DOCS / "configuration.md").read_text("utf-8"))
    assert not missing, f"document these [profiles.NAME] keys in docs/configuration.md: {missing}"


def test_every_environment_variable_is_in_configuration_md():
    text = (DOCS / "configuration.md").read_text(encoding="utf-8")
    found = env_vars()
    assert {"HAOCHA_CONFIG", "HAOCHA_DATABASE_URL", "HAOCHA_HASH_KEY"} <= found
    missing = sorted(v for v in found if f"`{v}`" not in text)
    assert not missing, f"document these environment variables in docs/configuration.md: {missing}"


@pytest.mark.parametrize("md", markdown_files(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_relative_links_point_to_existing_files(md: Path):
    assert not broken_links(md), f"{md.relative_to(ROOT)}: broken links {broken_links(md)}"


def test_readme_is_the_front_door():
    problems = readme_problems(README.read_text(encoding="utf-8"), [p.name for p in sorted(DOCS.glob("*.md"))])
    assert not problems, f"README.md: {problems}"


# --- the checks can fail ------------------------------------------------------------------------------------------

def test_an_undocumented_command_or_option_is_reported():
    @click.group()
    def root():
        """A root."""

    @root.command("known")
    @click.option("--shown")
    @click.option("--hidden-opt")
    def known(shown, hidden_opt):
        """Documented, but one option is not."""

    @root.command("secret")
    def secret():
        """Not documented."""

    text = "### `haocha`\n\n### `haocha known`\n\n--shown\n\n### `haocha other`\n\n--hidden-opt\n"
    assert undocumented_commands(root, text) == ["haocha known --hidden-opt", "haocha secret"]


def test_an_undocumented_key_is_reported():
    @dataclasses.dataclass(frozen=True)
    class Section:
        shown: int = 1
        hidden: int = 2

    @dataclasses.dataclass(frozen=True)
    class Fake:
        sec: Section = dataclasses.field(default_factory=Section)
        missing_section: Section = dataclasses.field(default_factory=Section)

    text = "## `[sec]`\n\n| `shown` | 1 |\n\n## `[other]`\n\n| `hidden` | 2 |\n"
    assert undocumented_keys(config_keys(Fake), text) == [
        "missing_section.hidden", "missing_section.shown", "sec.hidden"]


def test_a_broken_link_is_reported(tmp_path: Path):
    (tmp_path / "there.md").write_text("# Title\n\n## A section 章节\n", encoding="utf-8")
    md = tmp_path / "page.md"
    md.write_text("[ok](there.md) [anchor](there.md#a-section-章节) [web](https://example.org/x)\n"
                  "[gone](missing.md) [bad anchor](there.md#nowhere) ![img](img/none.png)\n"
                  "```\n[in code](ignored.md)\n```\n", encoding="utf-8")
    assert broken_links(md) == ["missing.md", "there.md#nowhere", "img/none.png"]


def test_a_long_or_unlinked_readme_is_reported():
    long_text = "[cli](docs/cli.md)\n" + "line\n" * README_MAX_LINES
    assert readme_problems(long_text, ["cli.md", "api.md"]) == [
        f"{README_MAX_LINES + 1} lines (at most {README_MAX_LINES}); move detail to docs/", "no link to docs/api.md"]
    assert readme_problems("[cli](docs/cli.md)\n", ["cli.md"]) == []
