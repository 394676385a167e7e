# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""tools/docs.py: the Markdown guides to RST, the offline inventory and the HTML link check."""

from __future__ import annotations

import importlib.util
import os

import pytest

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_spec = importlib.util.spec_from_file_location("convox_docs_tool", os.path.join(REPO_ROOT, "tools", "docs.py"))
assert _spec and _spec.loader
docs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(docs)

ANCHORS = {"a.md": ["intro", "details"], "b.md": ["usage"]}


def convert(md_text, md_file="a.md"):
    return docs.Converter(md_file, ANCHORS).convert(md_text)


def test_the_committed_rst_is_up_to_date():
    assert docs.main(["rst", "--check"]) == 0


def test_inline_markup_tables_and_code():
    rst = convert(
        "# Title\n\n## Intro\n\nUse `convox_app`s and **bold** *it*: a_b | c.\n\n"
        "| k | v |\n|---|---|\n| `x` | 1 |\n\n```yaml\n- name: x\n```\n\n## Details\n\n1. one\n2. two\n"
    )
    assert "Use ``convox_app``\\ s and **bold** *it*: a\\_b \\| c." in rst
    assert ".. list-table::\n   :header-rows: 1\n\n   * - k\n     - v\n   * - ``x``\n     - 1" in rst
    assert ".. code-block:: yaml+jinja\n\n    - name: x" in rst
    assert "#. one\n#. two" in rst
    assert rst.count("Title\n=====") == 1 and "Intro\n-----" in rst


def test_links_become_references_and_only_linked_headings_get_labels():
    conv = docs.Converter("a.md", ANCHORS)
    rst = conv.convert(
        "# T\n\n## Intro\n\nSee [usage](b.md#usage), [below](#details) and [site](https://x.example).\n\n## Details\n"
    )
    assert ":ref:`usage <ansible_collections.convox.convox.docsite.guide_b.usage>`" in rst
    assert ":ref:`below <ansible_collections.convox.convox.docsite.guide_a.details>`" in rst
    assert "`site <https://x.example>`__" in rst
    assert ".. _ansible_collections.convox.convox.docsite.guide_a.details:" in rst
    assert "guide_a.intro:" not in rst


def test_links_to_files_of_the_repository_point_at_github():
    rst = convert("# T\n\nThe [playbook](examples/demo.yml).\n")
    assert "`playbook <https://github.com/convox/ansible-collection-convox/blob/main/docs/examples/demo.yml>`__" in rst


@pytest.mark.parametrize(
    ("link", "message"),
    [
        ("b.md#nowhere", "no heading #nowhere"),
        ("missing.md", "is not a file of the repository"),
        ("../../etc/passwd", "is not a file of the repository"),
    ],
)
def test_broken_links_fail(link, message):
    with pytest.raises(docs.DocError, match=message):
        convert(f"# T\n\n[x]({link})\n")


def test_headings_follow_githubs_anchors():
    assert docs.headings("# A title\n\n## Records: the `x` way\n\n## Records: the `x` way\n") == [
        "a-title",
        "records-the-x-way",
        "records-the-x-way-1",
    ]


def test_inventory_resolves_the_ansible_labels(tmp_path):
    inventory = pytest.importorskip("sphinx.util.inventory")
    docs.main(["inventory", str(tmp_path)])
    with open(tmp_path / "ansible_devel.inv", "rb") as f:
        data = inventory.InventoryFile.load(f, "https://docs.example/", os.path.join)
    labels = data["std:label"] if isinstance(data, dict) else data.data["std:label"]
    assert set(labels) == set(docs.ANSIBLE_LABELS)


def test_linkcheck_finds_missing_pages_and_anchors(tmp_path, capsys):
    (tmp_path / "a.html").write_text('<a id="top" href="b.html#here">b</a><a href="https://x.example/">x</a>')
    (tmp_path / "b.html").write_text('<h1 id="here">b</h1><a href="a.html#top">a</a>')
    assert docs.main(["linkcheck", str(tmp_path)]) == 0
    (tmp_path / "b.html").write_text('<a href="a.html#gone">a</a><a href="c.html">c</a>')
    assert docs.main(["linkcheck", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "b.html: a.html#gone (no such anchor)" in err
    assert "b.html: c.html (no such file)" in err
    assert "b.html#here (no such anchor)" in err
