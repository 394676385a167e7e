# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The guides of the docs site, from their Markdown sources in docs/.

The Markdown files in docs/ are the only source of each guide (GitHub shows them as they are).
antsibull-docs takes a collection's guides as reStructuredText (docs/docsite/rst/ and
docs/docsite/extra-docs.yml), so this tool writes those from the Markdown:

  python tools/docs.py rst            write docs/docsite/rst/guide_*.rst and extra-docs.yml
                                      (also copies each example playbook into the Markdown
                                      block marked with <!-- example: PATH -->)
  python tools/docs.py rst --check    exit 1 when any of those is stale (CI: step docs-lint)
  python tools/docs.py inventory DIR  write DIR/ansible_devel.inv: the few labels of the Ansible
                                      docs that module pages link to, so that Sphinx resolves
                                      them without fetching anything
  python tools/docs.py linkcheck DIR  check every internal link and anchor of the built HTML
                                      (no network: external links are only counted)

Relative links in the Markdown must point at a guide (optionally #heading) or at a file of the
repository; anything else fails the conversion.
"""

from __future__ import annotations

import argparse
import ast
import html.parser
import os
import posixpath
import re
import sys
import zlib
from typing import Optional
from urllib.parse import unquote, urlsplit

from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCS = os.path.join(REPO_ROOT, "docs")
RST_DIR = os.path.join(DOCS, "docsite", "rst")
EXTRA_DOCS = os.path.join(DOCS, "docsite", "extra-docs.yml")
REPO_URL = "https://github.com/convox/ansible-collection-convox/blob/main/"
LABEL_PREFIX = "ansible_collections.convox.convox.docsite."

# (section title, [Markdown file in docs/, ...]) in the order of the site's navigation.
SECTIONS = [
    (
        "Guides",
        [
            "getting-started.md",
            "connecting.md",
            "modules.md",
            "modules-apps.md",
            "modules-builds.md",
            "modules-services.md",
            "modules-rack.md",
            "check-mode.md",
            "input-checks.md",
            "concurrency.md",
            "plugins.md",
        ],
    ),
    ("Python client and emulator", ["client.md", "emulator.md", "performance.md", "architecture.md"]),
]

HEADER = (
    "..\n"
    "  Generated from docs/{source} by tools/docs.py: edit the Markdown file, then run\n"
    "  `python tools/docs.py rst` (CI fails while this file is stale).\n\n"
)
UNDERLINES = {1: "=", 2: "-", 3: "~", 4: "^", 5: '"', 6: "'"}
LANGUAGES = {
    "yaml": "yaml+jinja",
    "yml": "yaml+jinja",
    "bash": "bash",
    "sh": "bash",
    "python": "python",
    "json": "json",
}
EXAMPLE_MARK = re.compile(r"<!-- example: (\S+) -->\n+```yaml\n(.*?)```\n", re.S)


class DocError(Exception):
    pass


def guide_name(md_file: str) -> str:
    return "guide_" + os.path.splitext(md_file)[0].replace("-", "_")


def guide_label(md_file: str, anchor: str = "") -> str:
    label = LABEL_PREFIX + guide_name(md_file)
    return label + "." + anchor if anchor else label


def all_guides() -> list[str]:
    return [md for _title, files in SECTIONS for md in files]


def slug(text: str) -> str:
    """GitHub's anchor for a heading."""
    text = re.sub(r"[^\w\- ]", "", text.strip().lower())
    return text.replace(" ", "-")


def plain_text(node: SyntaxTreeNode) -> str:
    if node.type in ("text", "code_inline"):
        return node.content
    if node.type in ("softbreak", "hardbreak"):
        return " "
    return "".join(plain_text(c) for c in node.children)


def headings(md_text: str) -> list[str]:
    """The anchors of a Markdown file's headings (GitHub's rule, -1, -2... for repeats)."""
    seen: dict[str, int] = {}
    anchors = []
    tree = SyntaxTreeNode(MarkdownIt("commonmark").enable("table").parse(md_text))
    for node in tree.walk():
        if node.type == "heading":
            base = slug(plain_text(node))
            n = seen.get(base, 0)
            seen[base] = n + 1
            anchors.append(base if n == 0 else f"{base}-{n}")
    return anchors


def parses_as_python(code: str) -> bool:
    try:
        ast.parse(code)
    except SyntaxError:
        return False
    return True


def escape(text: str) -> str:
    text = text.replace("\\", "\\\\")
    return re.sub(r"([*`|_<>])", r"\\\1", text)


class Converter:
    """One Markdown guide to reStructuredText."""

    def __init__(self, md_file: str, anchors: dict[str, list[str]]):
        self.md_file = md_file
        self.anchors = anchors  # Markdown file -> its heading anchors
        self.wanted: set[str] = set()  # anchors of this file that links point at
        self.title = ""

    # -- inline ------------------------------------------------------------------------------
    def link_target(self, href: str) -> tuple[str, str]:
        """('ref', label) or ('url', url) for a Markdown link target."""
        parts = urlsplit(href)
        if parts.scheme in ("http", "https", "mailto"):
            return "url", href
        if parts.scheme:
            raise DocError(f"docs/{self.md_file}: unsupported link {href}")
        path = unquote(parts.path)
        target = posixpath.normpath(posixpath.join("docs", path)) if path else "docs/" + self.md_file
        fragment = parts.fragment
        if target.startswith("docs/") and target[5:] in self.anchors:
            md = target[5:]
            if fragment:
                if fragment not in self.anchors[md]:
                    raise DocError(f"docs/{self.md_file}: link {href}: no heading #{fragment} in docs/{md}")
                return "ref", guide_label(md, fragment)
            return "ref", guide_label(md)
        if target.startswith("../") or not os.path.exists(os.path.join(REPO_ROOT, target)):
            raise DocError(f"docs/{self.md_file}: link {href}: {target} is not a file of the repository")
        if target.endswith(".md") and fragment:
            raise DocError(f"docs/{self.md_file}: link {href}: anchors are checked in guides only")
        return "url", REPO_URL + target + ("#" + fragment if fragment else "")

    def inline(self, node: SyntaxTreeNode) -> str:
        pieces: list[tuple[bool, str]] = []  # (is markup, text)
        self._inline(node, pieces, "")
        out = ""
        for i, (markup, text) in enumerate(pieces):
            if markup:
                if out and not re.search(r"[\s\-:/'\"(\[{<]$", out):
                    out += "\\ "
                out += text
                nxt = pieces[i + 1][1] if i + 1 < len(pieces) else ""
                if nxt and not re.match(r"[\s\-.,:;!?/'\")\]}>]", nxt):
                    out += "\\ "
            else:
                out += text
        return out

    def _inline(self, node: SyntaxTreeNode, pieces: list[tuple[bool, str]], wrap: str) -> None:
        for child in node.children:
            kind = child.type
            if kind == "text":
                pieces.append((bool(wrap), wrap + escape(child.content) + wrap if wrap else escape(child.content)))
            elif kind in ("softbreak", "hardbreak"):
                pieces.append((False, " "))
            elif kind == "code_inline":
                content = child.content.strip()
                pieces.append((True, "``" + content + "``") if content else (False, ""))
            elif kind in ("strong", "em"):
                mark = "**" if kind == "strong" else "*"
                inner: list[tuple[bool, str]] = []
                self._inline(child, inner, "")
                if any(m for m, _t in inner):  # RST cannot nest markup: keep the inner markup only
                    pieces.extend(inner)
                else:
                    pieces.append((True, mark + "".join(t for _m, t in inner).strip() + mark))
            elif kind == "link":
                text = plain_text(child).strip()
                how, target = self.link_target(str(child.attrs["href"]))
                text_rst = re.sub(r"([`<>\\])", r"\\\1", text)
                if how == "ref":
                    if target.startswith(guide_label(self.md_file) + "."):
                        self.wanted.add(target.rsplit(".", 1)[1])
                    pieces.append((True, f":ref:`{text_rst} <{target}>`"))
                else:
                    pieces.append((True, f"`{text_rst} <{target}>`__"))
            elif kind == "html_inline":
                continue
            elif kind == "image":
                raise DocError(f"docs/{self.md_file}: images are not supported")
            else:
                self._inline(child, pieces, wrap)

    # -- blocks ------------------------------------------------------------------------------
    def blocks(self, node: SyntaxTreeNode, heading_anchors: list[str]) -> list[str]:
        out: list[str] = []
        for child in node.children:
            out.extend(self.block(child, heading_anchors))
        return out

    def block(self, node: SyntaxTreeNode, heading_anchors: list[str]) -> list[str]:
        kind = node.type
        if kind == "heading":
            level = int(node.tag[1])
            text = self.inline(node.children[0])
            anchor = heading_anchors.pop(0)
            lines = []
            if level == 1:
                if self.title:
                    raise DocError(f"docs/{self.md_file}: more than one level-1 heading")
                self.title = plain_text(node)
            else:
                lines += [f"@@anchor:{anchor}@@"]
            return [*lines, text, UNDERLINES[level] * max(len(text), 3), ""]
        if kind == "paragraph":
            return [self.inline(node.children[0]), ""]
        if kind in ("fence", "code_block"):
            info = (node.info or "").split()
            language = LANGUAGES.get(info[0], "text") if info else "text"
            if language == "python" and not parses_as_python(node.content):
                language = "text"  # an outline of signatures, not code: antsibull-docs lint would reject it
            body = node.content.rstrip("\n").split("\n")
            return [f".. code-block:: {language}", "", *[("    " + line).rstrip() for line in body], ""]
        if kind in ("bullet_list", "ordered_list"):
            out = []
            for item in node.children:
                marker = "* " if kind == "bullet_list" else "#. "
                inner = self.blocks(item, heading_anchors)
                while inner and inner[-1] == "":
                    inner.pop()
                for i, line in enumerate(inner):
                    prefix = marker if i == 0 else " " * len(marker)
                    out.append((prefix + line).rstrip() if line else "")
                if node.children and any(c.type != "paragraph" for c in item.children):
                    out.append("")
            return [*out, ""]
        if kind == "table":
            rows = []
            for section in node.children:  # thead, tbody
                for tr in section.children:
                    rows.append([self.inline(cell.children[0]) if cell.children else "" for cell in tr.children])
            out = [".. list-table::", "   :header-rows: 1", ""]
            for row in rows:
                for i, cell in enumerate(row):
                    out.append(("   * - " if i == 0 else "     - ") + (cell or "\\ "))
            return [*out, ""]
        if kind == "blockquote":
            return [("   " + line).rstrip() for line in self.blocks(node, heading_anchors)]
        if kind == "hr":
            return ["----", ""]
        if kind == "html_block":
            if node.content.strip().startswith("<!--"):
                return []
            raise DocError(f"docs/{self.md_file}: HTML blocks are not supported")
        raise DocError(f"docs/{self.md_file}: unsupported Markdown ({kind})")

    def convert(self, md_text: str) -> str:
        tree = SyntaxTreeNode(MarkdownIt("commonmark").enable("table").parse(md_text))
        lines = self.blocks(tree, headings(md_text))
        if not self.title:
            raise DocError(f"docs/{self.md_file}: no level-1 heading (the guide's title)")
        out = [HEADER.format(source=self.md_file) + f".. _{guide_label(self.md_file)}:", ""]
        for line in lines:
            match = re.fullmatch(r"@@anchor:(.*)@@", line)
            if match:
                if match.group(1) in self.wanted:
                    out += [f".. _{guide_label(self.md_file, match.group(1))}:", ""]
                continue
            out.append(line)
        text = "\n".join(out)
        return re.sub(r"\n{3,}", "\n\n", text).rstrip("\n") + "\n"


def sync_examples(md_file: str, md_text: str) -> str:
    """Copy each marked example playbook into the code block after its mark."""

    def replace(match: re.Match[str]) -> str:
        path = os.path.normpath(os.path.join(DOCS, match.group(1)))
        if not path.startswith(DOCS + os.sep) or not os.path.isfile(path):
            raise DocError(f"docs/{md_file}: example {match.group(1)} is not a file under docs/")
        with open(path, encoding="utf-8") as f:
            body = f.read()
        return f"<!-- example: {match.group(1)} -->\n\n```yaml\n{body.rstrip()}\n```\n"

    return EXAMPLE_MARK.sub(replace, md_text)


def extra_docs() -> str:
    lines = [
        "---",
        "# Generated by tools/docs.py from its SECTIONS (the guides' sources are docs/*.md).",
        "sections:",
    ]
    for title, files in SECTIONS:
        lines += [f"  - title: {title}", "    toctree:"]
        lines += [f"      - {guide_name(md)}" for md in files]
    return "\n".join(lines) + "\n"


def render_all() -> dict[str, str]:
    """Path -> wanted content, for every generated file (and Markdown with examples synced)."""
    sources = {}
    for md in all_guides():
        path = os.path.join(DOCS, md)
        with open(path, encoding="utf-8") as f:
            sources[md] = sync_examples(md, f.read())
    anchors = {md: headings(text) for md, text in sources.items()}
    wanted: dict[str, str] = {os.path.join(DOCS, md): text for md, text in sources.items()}
    # Two passes: the links of every guide decide which headings of the others get labels.
    converters = {md: Converter(md, anchors) for md in sources}
    rendered = {md: conv.convert(sources[md]) for md, conv in converters.items()}
    # Anchors that other guides link to: collect, then convert again with them.
    targets: dict[str, set[str]] = {md: set() for md in sources}
    for text in rendered.values():
        for md_label in re.findall(r"<(" + re.escape(LABEL_PREFIX) + r"[^>]+)>`", text):
            name, _sep, anchor = md_label[len(LABEL_PREFIX) :].partition(".")
            for md in sources:
                if guide_name(md) == name and anchor:
                    targets[md].add(anchor)
    for md, conv in converters.items():
        conv.wanted |= targets[md]
        conv.title = ""
        wanted[os.path.join(RST_DIR, guide_name(md) + ".rst")] = conv.convert(sources[md])
    wanted[EXTRA_DOCS] = extra_docs()
    return wanted


def cmd_rst(check: bool) -> int:
    wanted = render_all()
    stale = []
    for path, text in wanted.items():
        current = None
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                current = f.read()
        if current != text:
            stale.append(os.path.relpath(path, REPO_ROOT))
            if not check:
                with open(path, "w", encoding="utf-8") as f:
                    f.write(text)
    extra = sorted(
        os.path.relpath(os.path.join(RST_DIR, name), REPO_ROOT)
        for name in os.listdir(RST_DIR)
        if os.path.join(RST_DIR, name) not in wanted
    )
    if check:
        if stale or extra:
            sys.stderr.write("stale generated docs (run: python tools/docs.py rst): " + ", ".join(stale + extra) + "\n")
            return 1
        sys.stdout.write(f"{len(wanted)} generated files are up to date\n")
        return 0
    for path in extra:
        os.remove(os.path.join(REPO_ROOT, path))
    sys.stdout.write(f"wrote {len(stale)} file(s), removed {len(extra)}\n")
    return 0


# Labels of the Ansible docs that module pages link to (ansible-doc's standard texts).
ANSIBLE_LABELS = {
    "common_return_values": "reference_appendices/common_return_values.html#common-return-values",
    "ansible_configuration_settings": "reference_appendices/config.html#ansible-configuration-settings",
    "ansible_collections.ansible.builtin.command_module": "collections/ansible/builtin/command_module.html",
    "ansible_collections.ansible.builtin.copy_module": "collections/ansible/builtin/copy_module.html",
    # a module with an action plugin of the same name (the controller path) gets a note linking here
    "action_plugins": "plugins/action.html#action-plugins",
}


def cmd_inventory(dest: str) -> int:
    lines = [f"{name} std:label -1 {uri} -" for name, uri in sorted(ANSIBLE_LABELS.items())]
    header = b"# Sphinx inventory version 2\n# Project: Ansible\n# Version: devel\n"
    header += b"# The remainder of this file is compressed using zlib.\n"
    os.makedirs(dest, exist_ok=True)
    with open(os.path.join(dest, "ansible_devel.inv"), "wb") as f:
        f.write(header + zlib.compress(("\n".join(lines) + "\n").encode()))
    return 0


class _Links(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, Optional[str]]]) -> None:
        for name, value in attrs:
            if name in ("id", "name") and value:
                self.ids.add(value)
            if value and (
                (tag == "a" and name == "href") or (tag in ("link", "script", "img") and name in ("href", "src"))
            ):
                self.links.append(value)


def cmd_linkcheck(root: str) -> int:
    pages: dict[str, _Links] = {}
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            if name.endswith(".html"):
                path = os.path.join(dirpath, name)
                parser = _Links()
                with open(path, encoding="utf-8") as f:
                    parser.feed(f.read())
                pages[os.path.normpath(path)] = parser
    broken = []
    internal = external = 0
    for page, parser in sorted(pages.items()):
        for href in parser.links:
            parts = urlsplit(href)
            if parts.scheme or href.startswith("//"):
                external += 1
                continue
            internal += 1
            target = os.path.normpath(os.path.join(os.path.dirname(page), unquote(parts.path))) if parts.path else page
            if not os.path.exists(target):
                broken.append(f"{os.path.relpath(page, root)}: {href} (no such file)")
            elif parts.fragment and target in pages and parts.fragment not in pages[target].ids:
                broken.append(f"{os.path.relpath(page, root)}: {href} (no such anchor)")
    sys.stdout.write(
        f"links: {len(pages)} pages, {internal} internal links checked, {external} external links not fetched\n"
    )
    if broken:
        sys.stderr.write("broken links:\n  " + "\n  ".join(broken) + "\n")
        return 1
    return 0


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    rst = sub.add_parser("rst")
    rst.add_argument("--check", action="store_true")
    inventory = sub.add_parser("inventory")
    inventory.add_argument("dir")
    linkcheck = sub.add_parser("linkcheck")
    linkcheck.add_argument("dir")
    args = parser.parse_args(argv)
    try:
        if args.command == "rst":
            return cmd_rst(args.check)
        if args.command == "inventory":
            return cmd_inventory(args.dir)
        return cmd_linkcheck(args.dir)
    except DocError as e:
        sys.stderr.write(f"error: {e}\n")
        return 1


if __name__ == "__main__":
    sys.exit(main())
