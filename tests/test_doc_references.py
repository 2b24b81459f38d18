"""Every cross-reference in the documents points somewhere: links, quoted section names and file paths.

A reader who follows "see X" and finds nothing loses the thread at the worst moment (issue 17 found four such
dead ends on the way to a first photo). The checker reads README.md, docs/*.md and the deployment files (their
comments and descriptions), and the bot's own messages for section names, and reports:
- a markdown link `[text](path#anchor)` whose file, or whose heading (GitHub's anchor rule), does not exist;
- a quoted section name used as a reference ("X" in docs/y.md, the README's "X", see "X", the section "X",
  "X" below) that is no heading (or bold paragraph title) of the document it names;
- a repository path (`bot/…`, `docs/…`, `tests/…`, `bench/…`, `.ci/…`, or a top-level file such as `app.json`)
  that does not exist.
The checker is tested on made-up broken text first, so a rule that stops finding anything fails too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def quoted_name(tag: str = "") -> str:
    """A name in double, single or curly quotes, as groups qd/qs/qc + tag (one pattern may hold two)."""
    return rf"(?:\"(?P<qd{tag}>[^\"]{{2,100}})\"|'(?P<qs{tag}>[^']{{2,100}})'|“(?P<qc{tag}>[^”]{{2,100}})”)"


DOC_NAME = r"(?:README(?:\.md)?|(?:docs/)?[\w-]+\.md)"
MD_LINK = re.compile(r"!?\[(?:[^\]\[]|\[[^\]]*\])*\]\(([^()\s]+)\)")
# "X" in README.md / "X" in the README / "X" in [docs/y.md](y.md) / "X" of docs/y.md
NAMED_AFTER = re.compile(quoted_name() + r" (?:in|of) (?:the )?(?P<doc>" + DOC_NAME
                         + r"|\[[^\]]+\]\((?P<href>[^)#\s]+)[^)]*\))")
# the README's "X" / docs/y.md's "X"
NAMED_BEFORE = re.compile(r"(?:the )?(?P<doc>" + DOC_NAME + r")'s " + quoted_name())
# see "X" / the section "X" / "X" below / "X" section: the same document (or, from a non-markdown file, any)
SAME_DOC = re.compile(r"(?:\b(?:[Ss]ee|[Ss]ection|[Ss]ections) " + quoted_name("1") + r")|(?:" + quoted_name("2")
                      + r" (?:below|above|section)\b)")
ROOTED_PATH = re.compile(r"(?<![\w./@:-])(?:\.\./)?(?:bot|docs|tests|bench|\.ci)/(?:[\w.-]+/)*[\w.-]*")
TOP_LEVEL = re.compile(r"(?<![\w./@:-])(?:README\.md|manifest\.yml|app\.json|\.env\.example|Procfile|pyproject\.toml|"
                       r"requirements\.txt|\.python-version|FACTS\.md)(?![\w-])")
NOT_REPO_FILES = {"sitecustomize.py"}  # docs/performance.md: a scratch file made for one profiling run


@dataclass(frozen=True)
class Source:
    """One file to check: its path and the prose in it where references can be (comments, descriptions)."""

    path: Path
    prose: str
    markdown: bool


def heading_text(line: str) -> str:
    """A heading or bold title as a reader sees it: no `#`, backticks, emphasis or trailing period."""
    text = re.sub(r"^#+\s*", "", line.strip())
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    return re.sub(r"[`*]", "", text).strip().rstrip(".").strip()


def slug(text: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation other than - and _ dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", text.lower()).replace(" ", "-")


def strip_fences(markdown: str) -> str:
    return re.sub(r"^ *```.*?^ *```[ \t]*$", "", markdown, flags=re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class Targets:
    """What a markdown file offers to be pointed at: its headings and bold paragraph titles, and their anchors."""

    titles: frozenset[str]
    anchors: frozenset[str]

    @classmethod
    def of(cls, markdown: str) -> Targets:
        text = strip_fences(markdown)
        headings = [heading_text(m.group(0)) for m in re.finditer(r"^#{1,6} .+$", text, re.MULTILINE)]
        bold = [heading_text(m.group(1)) for m in re.finditer(r"^\*\*([^*\n]+)\*\*", text, re.MULTILINE)]
        anchors: list[str] = []
        for heading in headings:
            base = slug(heading)
            anchor, n = base, 0
            while anchor in anchors:
                n += 1
                anchor = f"{base}-{n}"
            anchors.append(anchor)
        return cls(frozenset(headings + bold), frozenset(anchors))


def sources(root: Path) -> list[Source]:
    """The documents, and the prose of the deployment files and the CI script: comments and descriptions."""
    found = []
    for path in [root / "README.md", *sorted((root / "docs").glob("*.md"))]:
        found.append(Source(path, path.read_text(encoding="utf-8"), True))
    for name in ("manifest.yml", ".env.example", ".ci/run"):
        comments = re.findall(r"^\s*#(.*)$", (root / name).read_text(encoding="utf-8"), re.MULTILINE)
        found.append(Source(root / name, "\n".join(comments), False))
    app = json.loads((root / "app.json").read_text(encoding="utf-8"))
    texts = [app.get("description", ""), *(spec.get("description", "") for spec in app.get("env", {}).values())]
    found.append(Source(root / "app.json", "\n".join(texts), False))
    return found


def code_sources(root: Path) -> list[Source]:
    """The bot's source: its messages and docstrings name documents too (section names only; its paths are code)."""
    return [Source(p, p.read_text(encoding="utf-8"), False) for p in sorted((root / "bot").rglob("*.py"))]


def one_line(text: str) -> str:
    """Line breaks (and a comment's or list item's indent) as single spaces, so a phrase wrapped over lines is
    found whole; fenced code is left out."""
    return re.sub(r"\s*\n\s*", " ", strip_fences(text))


def quoted(match: re.Match[str]) -> str:
    """The quoted name a match holds."""
    return match.group(_quote_group(match))


def _quote_group(match: re.Match[str]) -> str:
    return next(k for k, v in match.groupdict().items() if k.startswith("q") and v)


def doc_path(name: str, source: Path, root: Path) -> Path:
    """The file a prose name means: README / the README / README.md, docs/x.md, or x.md beside the source."""
    if name.startswith("README"):
        return root / "README.md"
    if "/" in name:
        return root / name
    beside = source.parent / name
    return beside if beside.exists() else root / "docs" / name


class Checker:
    """Reads each markdown file's headings once, and checks one source's references against them."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.markdown_files = [root / "README.md", *sorted((root / "docs").glob("*.md"))]
        self._targets: dict[Path, Targets] = {}

    def offered(self, path: Path) -> Targets:
        if path not in self._targets:
            self._targets[path] = Targets.of(path.read_text(encoding="utf-8"))
        return self._targets[path]

    def titles(self, path: Path) -> frozenset[str]:
        return self.offered(path).titles if path.exists() else frozenset()

    def sections(self, source: Source, text: str, where: Path, same_doc: bool) -> Iterator[str]:
        """Quoted section names: in the document they name, else (`same_doc`) in this one or any."""
        named: set[int] = set()  # where the quoted names that say their document start
        for match in NAMED_AFTER.finditer(text):
            named.add(_quote_start(match))
            href, doc, name = match.group("href"), match.group("doc"), quoted(match)
            path = (source.path.parent / href).resolve() if href else doc_path(doc, source.path, self.root)
            if not path.exists():
                yield f"{where}: {name!r} in {doc}, which does not exist"
            elif heading_text(name) not in self.titles(path):
                yield f"{where}: no section {name!r} in {path.relative_to(self.root)}"
        for match in NAMED_BEFORE.finditer(text):
            named.add(_quote_start(match))
            name, path = quoted(match), doc_path(match.group("doc"), source.path, self.root)
            if heading_text(name) not in self.titles(path):
                yield f"{where}: no section {name!r} in {match.group('doc')}"
        for match in SAME_DOC.finditer(text) if same_doc else ():
            name = quoted(match)
            places = [source.path] if source.markdown else self.markdown_files
            if _quote_start(match) not in named and not any(heading_text(name) in self.titles(p) for p in places):
                yield f"{where}: no section {name!r} " + ("here" if source.markdown else "in any document")

    def links(self, source: Source, where: Path) -> Iterator[str]:
        """Markdown links to files of the repository, and their anchors."""
        for match in MD_LINK.finditer(strip_fences(source.prose)):
            target = match.group(1)
            if re.match(r"[a-z]+:", target):
                continue
            file_part, _, anchor = target.partition("#")
            path = (source.path.parent / file_part).resolve() if file_part else source.path
            if not path.exists():
                yield f"{where}: link to {target}, which does not exist"
            elif anchor and path.suffix == ".md" and anchor not in self.offered(path).anchors:
                yield f"{where}: link to {target}: no such heading in {path.relative_to(self.root)}"

    def paths(self, source: Source, where: Path) -> Iterator[str]:
        """Repository paths written out (outside a link's target, which `links` checks)."""
        prose = re.sub(r"\]\([^)]*\)", "]", source.prose)
        for match in [*ROOTED_PATH.finditer(prose), *TOP_LEVEL.finditer(prose)]:
            name = match.group(0).rstrip(".")
            base = source.path.parent if name.startswith("../") else self.root
            if Path(name).name not in NOT_REPO_FILES and not (base / name).exists():
                yield f"{where}: {name} does not exist"


def problems(root: Path, docs: Sequence[Source], code: Sequence[Source] = ()) -> list[str]:
    """Every reference in `docs` (and section names that say their document, in `code`) that points nowhere."""
    checker = Checker(root)
    found: list[str] = []
    for source in docs:
        where = source.path.relative_to(root)
        found += checker.sections(source, one_line(source.prose), where, same_doc=True)
        found += checker.links(source, where) if source.markdown else []
        found += checker.paths(source, where)
    for source in code:
        found += checker.sections(source, one_line(source.prose), source.path.relative_to(root), same_doc=False)
    return found


def _quote_start(match: re.Match[str]) -> int:
    """Where the opening quote of the quoted name in `match` is."""
    return match.start(_quote_group(match)) - 1


# --- the checker finds what it should ----------------------------------------------------------------------------

@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A small repository with a README, one doc and the deployment files, all of whose references work."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "bot").mkdir()
    (tmp_path / ".ci").mkdir()
    (tmp_path / "bot" / "a.py").write_text("x = 1\n")
    (tmp_path / "README.md").write_text(
        "# Tool\n\n## Try it in one minute\n\nSee [Setup](docs/setup.md#2-the-app) and `bot/a.py`.\n\n"
        "## Run the tests\n\n`pytest`\n", encoding="utf-8")
    (tmp_path / "docs" / "setup.md").write_text(
        "# Setup\n\n## 2. The app\n\nBack to the README's \"Try it in one minute\"; see \"2. The app\" below.\n\n"
        "**Steady.** A bold title.\n\nSee \"Steady\".\n", encoding="utf-8")
    (tmp_path / "manifest.yml").write_text("# See \"2. The app\" in docs/setup.md.\na: 1\n", encoding="utf-8")
    (tmp_path / ".env.example").write_text("# \"Setup\" in docs/setup.md explains each one.\nA=\n")
    (tmp_path / ".ci" / "run").write_text("# the test command of \"Run the tests\" in README.md\n")
    (tmp_path / "app.json").write_text(json.dumps({"env": {"A": {"description": "see docs/setup.md"}}}))
    return tmp_path


def test_a_repository_whose_references_all_work_has_no_problems(repo: Path) -> None:
    assert problems(repo, sources(repo)) == []


@pytest.mark.parametrize(("name", "old", "new", "problem"), [
    ("README.md", "setup.md#2-the-app", "setup.md#the-app", "link to docs/setup.md#the-app: no such heading"),
    ("README.md", "(docs/setup.md#", "(docs/install.md#", "link to docs/install.md#2-the-app, which does not exist"),
    ("README.md", "`bot/a.py`", "`bot/b.py`", "bot/b.py does not exist"),
    ("docs/setup.md", "README's \"Try it", "README's \"Try it out", "no section 'Try it out in one minute'"),
    ("docs/setup.md", "see \"2. The app\" below", "see \"The ap\" below", "no section 'The ap' here"),
    ("docs/setup.md", "See \"Steady\"", "See \"Steadily\"", "no section 'Steadily' here"),
    ("manifest.yml", "\"2. The app\"", "\"Socket Mode instead of a public URL\"",
     "no section 'Socket Mode instead of a public URL' in docs/setup.md"),
    ("manifest.yml", "in docs/setup.md", "in README.md", "no section '2. The app' in README.md"),
    (".env.example", "\"Setup\" in docs/setup.md", "\"Configuration\" in the README", "no section 'Configuration'"),
    (".ci/run", "\"Run the tests\"", "\"Quick start\"", "no section 'Quick start' in README.md"),
    ("app.json", "see docs/setup.md", "see 'Zoho: the self client' in the README",
     "no section 'Zoho: the self client'"),
    ("app.json", "see docs/setup.md", "see docs/zoho.md", "docs/zoho.md does not exist"),
])
def test_each_kind_of_dead_reference_is_found(repo: Path, name: str, old: str, new: str, problem: str) -> None:
    path = repo / name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    found = problems(repo, sources(repo))
    assert len(found) == 1 and found[0].startswith(f"{name}: ") and problem in found[0], found


def test_a_section_name_wrapped_over_two_lines_is_still_checked(repo: Path) -> None:
    readme = repo / "README.md"
    readme.write_text(readme.read_text(encoding="utf-8") + "\nAs \"2. The\napp\" in docs/setup.md says, and \"2. The\n"
                      "ap\" in docs/setup.md does not.\n", encoding="utf-8")
    assert problems(repo, sources(repo)) == ["README.md: no section '2. The ap' in docs/setup.md"]


def test_anchors_follow_githubs_rule() -> None:
    targets = Targets.of("# A\n## Which data centre: `doctor --find-dc`\n## 3. Generate a grant code\n## A\n")
    assert targets.anchors == {"a", "which-data-centre-doctor---find-dc", "3-generate-a-grant-code", "a-1"}


def test_code_blocks_are_not_read_as_references(repo: Path) -> None:
    readme = repo / "README.md"
    readme.write_text(readme.read_text(encoding="utf-8") + "\n```sh\necho \"Nowhere\" in README.md\n```\n")
    assert problems(repo, sources(repo)) == []


def test_the_bots_messages_name_sections_that_exist(repo: Path) -> None:
    code = repo / "bot" / "a.py"
    code.write_text("HINT = \"See 'Try it in one minute' in README.md.\"\n", encoding="utf-8")
    assert problems(repo, [], code_sources(repo)) == []
    code.write_text("HINT = \"See 'On a laptop with Socket Mode' in README.md.\"\n", encoding="utf-8")
    assert problems(repo, [], code_sources(repo)) == [
        "bot/a.py: no section 'On a laptop with Socket Mode' in README.md"]


# --- and this repository has none --------------------------------------------------------------------------------

def test_every_reference_in_the_documents_points_somewhere() -> None:
    assert problems(ROOT, sources(ROOT), code_sources(ROOT)) == []


def test_the_checker_reads_the_references_issue_17_found() -> None:
    """The files where issue 17 found dead ends still point somewhere the checker follows (a reference rephrased
    into a form it cannot read would otherwise go unchecked)."""
    texts = {s.path.name: one_line(s.prose) for s in sources(ROOT)}
    for name in (".env.example", "manifest.yml", "run"):
        assert any(rx.search(texts[name]) for rx in (NAMED_AFTER, NAMED_BEFORE, SAME_DOC)), f"{name}: no reference"
    assert "docs/zoho.md" in texts["app.json"], "app.json no longer says where the refresh token comes from"
