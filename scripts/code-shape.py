#!/usr/bin/env python3
"""The shape of src/: lines per layer and the longest functions.

    python3 scripts/code-shape.py [--top N] [SRC]

A function's length is counted from its `fn` line to the line of its closing
brace (brace matching over the code with strings and comments blanked out).
"""
import os
import re
import sys


def blank(text):
    # Comments, strings and char literals blanked, newlines kept.
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append("\n" * text.count("\n", i, j))
            i = j
        elif re.match(r'r#*"', text[i:i + 10]) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            m = re.match(r'r(#*)"', text[i:])
            end = '"' + m.group(1)
            j = text.find(end, i + len(m.group(0)))
            j = n if j < 0 else j + len(end)
            out.append('""' + "\n" * text.count("\n", i, j))
            i = j
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append('""' + "\n" * text.count("\n", i, j))
            i = j + 1
        elif c == "'" and re.match(r"'(\\.|[^\\'])'", text[i:i + 4]):
            m = re.match(r"'(\\.|[^\\'])'", text[i:])
            out.append("' '")
            i += len(m.group(0))
        else:
            out.append(c)
            i += 1
    return "".join(out)


def functions(path):
    code = blank(open(path, encoding="utf-8").read())
    lines = code.split("\n")
    found = []
    for m in re.finditer(r"\bfn\s+([A-Za-z_][A-Za-z0-9_]*)", code):
        start = code.count("\n", 0, m.start())
        # The body's opening brace (skip a declaration ending in ';').
        i, depth = m.end(), 0
        while i < len(code) and code[i] not in "{;":
            i += 1
        if i >= len(code) or code[i] == ";":
            continue
        j = i
        while j < len(code):
            if code[j] == "{":
                depth += 1
            elif code[j] == "}":
                depth -= 1
                if depth == 0:
                    break
            j += 1
        end = code.count("\n", 0, j)
        found.append((end - start + 1, m.group(1), start + 1))
    return found


def main():
    args = sys.argv[1:]
    top = 15
    if "--top" in args:
        k = args.index("--top")
        top = int(args[k + 1])
        del args[k:k + 2]
    src = args[0] if args else os.path.join(os.path.dirname(__file__), "..", "src")
    layers, funcs = {}, []
    for root, _, files in os.walk(src):
        for f in files:
            if not f.endswith(".rs"):
                continue
            path = os.path.join(root, f)
            rel = os.path.relpath(path, src)
            layer = rel.split(os.sep)[0] if os.sep in rel else "(top)"
            if rel.startswith("http" + os.sep):
                parts = rel.split(os.sep)
                layer = "http/" + parts[1] if len(parts) > 2 else "http"
            layers[layer] = layers.get(layer, 0) + sum(1 for _ in open(path, encoding="utf-8"))
            funcs += [(n, name, rel, line) for n, name, line in functions(path)]
    print("| layer | lines |\n|---|---|")
    for layer in sorted(layers):
        print(f"| {layer} | {layers[layer]:,} |")
    print(f"| all | {sum(layers.values()):,} |\n")
    funcs.sort(reverse=True)
    print("| lines | function | where |\n|---|---|---|")
    for n, name, rel, line in funcs[:top]:
        print(f"| {n} | `{name}` | {rel}:{line} |")
    over = [f for f in funcs if f[0] > 120]
    print(f"\nfunctions over 120 lines: {len(over)}")


if __name__ == "__main__":
    main()
