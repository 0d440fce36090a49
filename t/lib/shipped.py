"""Pieces of the shipped example configuration, conf/pyfarm_jobs.conf,
taken as they stand there, for the tests that run them (httpd's access
control, health, compression, the move from pyfarm-master)."""

import os
import re

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHIPPED_CONF = os.path.join(REPO, "conf", "pyfarm_jobs.conf")


def conf_lines():
    with open(SHIPPED_CONF, encoding="utf-8") as f:
        return [line.strip() for line in f]


def section(opening):
    """The active (uncommented) section whose opening line is `opening`
    (e.g. "<Location /pyfarm-jobs-health>"), through its closing line; its
    comment lines left out."""
    lines = conf_lines()
    start = lines.index(opening)
    tag = re.match(r"<(\w+)", opening).group(1)
    end = lines.index(f"</{tag}>", start)
    return "\n".join(line for line in lines[start:end + 1] if not line.startswith("#"))


def commented_block(first):
    """The commented example whose first line, without its "#", starts
    with `first`: the run of "#directive" lines from there to the next bare
    "#", each without its "#"."""
    lines = conf_lines()
    start = next(i for i, line in enumerate(lines) if line.startswith("#" + first))
    block = []
    for line in lines[start:]:
        if not re.match(r"#\S", line):
            break
        block.append(line[1:])
    return "\n".join(block)


def lettered_examples():
    """{letter: [example, ...]}: the access-control examples "a)" to "d)".
    An example is a run of commented configuration lines ("#" right before
    a directive or a section) between bare "#" lines, under the latest
    "# x) " heading and before the next "# --- " section; its lines are
    returned without their "#"."""
    examples, letter, block = {}, None, None
    for text in conf_lines():
        heading = re.match(r"# ([a-z])\) ", text)
        if heading or text.startswith("# --- "):
            letter = heading.group(1) if heading else None
        if text == "#" or not text.startswith("#"):
            if block and letter:
                examples.setdefault(letter, []).append("\n".join(block))
            block = [] if text == "#" else None
        elif block is not None and (block or re.match(r"#\S", text)):
            block.append(text[1:])
        else:
            block = None
    return examples


def example(letter, index=0, paths=None):
    """The shipped example `letter` (its index-th block), each shipped path
    or address of `paths` replaced by the test's."""
    text = lettered_examples()[letter][index]
    for shipped, ours in (paths or {}).items():
        assert shipped in text, f"example {letter}) no longer names {shipped}"
        text = text.replace(shipped, ours)
    return text
