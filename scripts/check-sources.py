#!/usr/bin/env python3
"""Checks of the sources that the compiler does not make (run by
scripts/run-tests; exits 1 on any finding, each named file:line):

1. every field of pfj_dir_conf (include/core/dir_config.h) is handled by
   pfj_config_create and pfj_config_merge (src/core/dir_config.c): its
   comment names its unset value ("-1 = unset", "NULL = unset"); create
   sets that value (a 0 or NULL one may be left to apr_pcalloc); merge
   assigns the field from add-> and base-> both;
2. every START_TEST of t/unit/*.c is registered with tcase_add_*test in
   its file, and every suite (Suite *pfj_suite_*(void)) is run by the
   main of its binary (t/unit/check_main.c);
3. every section the code cites (§N or §N.M in mod_pyfarm_jobs.c, src/,
   include/ and t/unit/) is a heading of doc/api.md ("## N." or
   "### N.M"), and no comment cites the reference's spec instead;
4. the indexes the module checks for at startup (pfj_required_indexes of
   src/core/indexes.c, PFJ_REQUIRED_INDEX_COUNT of them) are exactly
   those sql/indexes.sql creates, each named once on both sides.

--root DIR checks another copy of the tree (default: this one)."""
import argparse
import os
import re
import sys

findings = []
root = "."


def finding(path, line, msg):
    findings.append(f"{os.path.relpath(path, root)}:{line}: {msg}")


def strip_comments(text):
    """C comments blanked out, line numbers and literals kept."""
    def blank(m):
        if m.group(0)[0] in "\"'":
            return m.group(0)
        return re.sub(r"[^\n]", " ", m.group(0))
    return re.sub(r"/\*.*?\*/|//[^\n]*|\"(?:\\.|[^\"\\\n])*\""
                  r"|'(?:\\.|[^'\\\n])*'", blank, text, flags=re.S)


def line_of(text, pos):
    return text.count("\n", 0, pos) + 1


def function_body(code, name):
    """(start offset, body text) of the definition of function name."""
    m = re.search(r"^[^\n;]*\b" + name + r"\s*\([^;{]*\)\s*\{", code,
                  re.M | re.S)
    if not m:
        return None, None
    depth, i = 0, m.end() - 1
    for i in range(m.end() - 1, len(code)):
        if code[i] == "{":
            depth += 1
        elif code[i] == "}":
            depth -= 1
            if depth == 0:
                break
    return m.start(), code[m.end():i]


def dir_conf_fields(header_path):
    """[(field, unset value or None, line)] of struct pfj_dir_conf."""
    text = open(header_path).read()
    m = re.search(r"typedef\s+struct\s+pfj_dir_conf\s*\{(.*?)\}\s*"
                  r"pfj_dir_conf\s*;", text, re.S)
    if not m:
        finding(header_path, 1, "no typedef struct pfj_dir_conf found")
        return []
    body, start = m.group(1), m.start(1)
    fields = []
    # a declaration, then the comment that follows it (maybe several lines)
    decl = re.compile(r"([A-Za-z_][\w\s\*]*?[\s\*])(\w+)\s*"
                      r"(?:\[[^\]]*\])?\s*;")
    code = strip_comments(body)
    for d in decl.finditer(code):
        comment = ""
        c = re.match(r"[ \t]*/\*.*?\*/", body[d.end():], re.S)
        if c:
            comment = c.group(0)
        u = re.search(r"(-?\d+|NULL)\s*=\s*unset", comment)
        fields.append((d.group(2), u.group(1) if u else None,
                       line_of(text, start + d.start(2))))
    if not fields:
        finding(header_path, line_of(text, start), "pfj_dir_conf: no fields")
    return fields


def check_dir_config(root):
    header = os.path.join(root, "include/core/dir_config.h")
    source = os.path.join(root, "src/core/dir_config.c")
    fields = dir_conf_fields(header)
    text = open(source).read()
    code = strip_comments(text)
    bodies = {}
    for fn in ("pfj_config_create", "pfj_config_merge"):
        start, body = function_body(code, fn)
        if body is None:
            finding(source, 1, f"{fn}() not found")
            return len(fields)
        bodies[fn] = (line_of(text, start), body)
    create_line, create = bodies["pfj_config_create"]
    merge_line, merge = bodies["pfj_config_merge"]
    calloc = "apr_pcalloc" in create
    for field, unset, line in fields:
        if unset is None:
            finding(header, line, f"pfj_dir_conf.{field}: its comment does "
                    "not name its unset value (\"-1 = unset\", "
                    "\"NULL = unset\")")
            continue
        sets = re.findall(r"\bc->" + field + r"\s*=\s*([^;]*);", create)
        zero = unset in ("0", "NULL")
        if not sets and not (zero and calloc):
            finding(source, create_line, f"pfj_config_create() does not "
                    f"set {field} to its unset value {unset}")
        for value in sets:
            if value.strip() != unset:
                finding(source, create_line, f"pfj_config_create() sets "
                        f"{field} to {value.strip()}, its unset value is "
                        f"{unset}")
        stmt = re.search(r"\bc->" + field + r"\s*=([^;]*);", merge)
        if stmt is None:
            finding(source, merge_line,
                    f"pfj_config_merge() does not merge {field}")
            continue
        for side in ("add", "base"):
            if not re.search(r"\b" + side + r"->" + field + r"\b",
                             stmt.group(1)):
                finding(source, merge_line, f"pfj_config_merge(): {field} "
                        f"is not taken from {side}->{field}")
    return len(fields)


REGISTER = re.compile(r"\btcase_add_(?:loop_)?(?:test|exit_test|"
                      r"test_raise_signal)\s*\(\s*\w+\s*,\s*(\w+)")


def check_unit_tests(root):
    unit = os.path.join(root, "t/unit")
    tests = 0
    suites = {}
    for name in sorted(os.listdir(unit)):
        if not name.endswith(".c"):
            continue
        path = os.path.join(unit, name)
        text = open(path).read()
        code = strip_comments(text)
        registered = set(REGISTER.findall(code))
        for m in re.finditer(r"^\s*START_TEST\s*\(\s*(\w+)\s*\)", code,
                             re.M):
            tests += 1
            if m.group(1) not in registered:
                finding(path, line_of(text, m.start(1)),
                        f"START_TEST({m.group(1)}) is never registered "
                        "with tcase_add_test")
        for m in re.finditer(r"^Suite\s*\*\s*(pfj_suite_\w+)\s*\(\s*void"
                             r"\s*\)\s*\{", code, re.M):
            suites[m.group(1)] = (path, line_of(text, m.start(1)))
    main = os.path.join(unit, "check_main.c")
    if suites:
        if not os.path.exists(main):
            finding(main, 1, "missing: the suites' main")
        else:
            _, body = function_body(strip_comments(open(main).read()),
                                    "main")
            for suite, (path, line) in sorted(suites.items()):
                if not re.search(r"\b" + suite + r"\s*\(", body or ""):
                    finding(path, line, f"{suite}() is never run by "
                            "check_main.c's main()")
    return tests


SECTION_REF = re.compile(r"§(\d+(?:\.\d+)?)")
SPEC_REF = re.compile(r"spec api\.md|spec §|schema\.md")


def doc_sections(root):
    """The section numbers doc/api.md has headings for."""
    with open(os.path.join(root, "doc", "api.md"), encoding="utf-8") as f:
        return set(re.findall(r"^#{2,3} (\d+(?:\.\d+)?)[. ]", f.read(),
                              flags=re.M))


def cited_files(root):
    yield os.path.join(root, "mod_pyfarm_jobs.c")
    for top in ("src", "include", os.path.join("t", "unit")):
        for folder, _, names in os.walk(os.path.join(root, top)):
            for name in sorted(names):
                if name.endswith((".c", ".h")):
                    yield os.path.join(folder, name)


def check_section_refs(root):
    sections = doc_sections(root)
    cited = 0
    for path in cited_files(root):
        with open(path, encoding="utf-8") as f:
            text = f.read()
        for m in SECTION_REF.finditer(text):
            cited += 1
            if m.group(1) not in sections:
                finding(path, line_of(text, m.start()),
                        f"§{m.group(1)} is no section of doc/api.md")
        for m in SPEC_REF.finditer(text):
            finding(path, line_of(text, m.start()),
                    f"'{m.group(0)}': cite doc/api.md instead")
    return cited


INDEX_LIST = re.compile(r"\bpfj_required_indexes\s*\[[^\]]*\]\s*=\s*\{(.*?)\}\s*;",
                        re.S)
INDEX_COUNT = re.compile(r"#define\s+PFJ_REQUIRED_INDEX_COUNT\s+(\d+)")
CREATE_INDEX = re.compile(r"\bCREATE\s+(?:UNIQUE\s+)?INDEX\s+(?:CONCURRENTLY\s+)?"
                          r"(?:IF\s+NOT\s+EXISTS\s+)?([A-Za-z_][\w$]*)", re.I)


def c_index_names(path):
    """[(name, line)] of the list pfj_required_indexes in path."""
    text = open(path).read()
    m = INDEX_LIST.search(strip_comments(text))
    if not m:
        finding(path, 1, "no pfj_required_indexes[] = {...}; found")
        return []
    return [(s.group(1), line_of(text, m.start(1) + s.start()))
            for s in re.finditer(r'"([^"\\]*)"', m.group(1))]


def sql_index_names(path):
    """[(name, line)] of the CREATE INDEX statements of path (not those
    its comments mention)."""
    text = open(path, encoding="utf-8").read()
    code = re.sub(r"--[^\n]*|/\*.*?\*/",
                  lambda m: re.sub(r"[^\n]", " ", m.group(0)), text, flags=re.S)
    return [(m.group(1).lower(), line_of(text, m.start(1)))
            for m in CREATE_INDEX.finditer(code)]


def check_indexes(root):
    source = os.path.join(root, "src/core/indexes.c")
    header = os.path.join(root, "include/core/indexes.h")
    sql = os.path.join(root, "sql/indexes.sql")
    c_names, sql_names = c_index_names(source), sql_index_names(sql)
    for path, names in ((source, c_names), (sql, sql_names)):
        seen = set()
        for name, line in names:
            if name in seen:
                finding(path, line, f"index {name} is named twice")
            seen.add(name)
    in_sql = {name for name, _ in sql_names}
    in_c = {name for name, _ in c_names}
    for name, line in c_names:
        if name not in in_sql:
            finding(source, line, f"index {name} is checked for but "
                    "sql/indexes.sql does not create it")
    for name, line in sql_names:
        if name not in in_c:
            finding(sql, line, f"index {name} is not in pfj_required_indexes "
                    "(src/core/indexes.c): the startup check would not "
                    "miss it")
    text = open(header).read()
    m = INDEX_COUNT.search(text)
    if not m:
        finding(header, 1, "no #define PFJ_REQUIRED_INDEX_COUNT")
    elif int(m.group(1)) != len(c_names):
        finding(header, line_of(text, m.start(1)),
                f"PFJ_REQUIRED_INDEX_COUNT is {m.group(1)}, "
                f"pfj_required_indexes lists {len(c_names)}")
    return len(c_names)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", default=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), ".."))
    args = ap.parse_args()
    global root
    root = os.path.normpath(args.root)
    fields = check_dir_config(root)
    tests = check_unit_tests(root)
    refs = check_section_refs(root)
    indexes = check_indexes(root)
    if findings:
        for f in findings:
            print(f)
        print(f"check-sources: FAIL ({len(findings)} finding(s))")
        return 1
    print(f"check-sources: ok ({fields} fields of pfj_dir_conf in create "
          f"and merge, {tests} unit tests registered, {refs} section "
          f"references resolved in doc/api.md, {indexes} indexes checked "
          "for as sql/indexes.sql creates them)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
