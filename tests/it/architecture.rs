//! The shape of the code: no module imports another in a circle, and each
//! layer reaches only down (domain ← storage ← services ← http and the CLI).
//!
//! The graph is read from the source files: every `crate::…`, `super::…` and
//! `self::…` path in a file is an edge to the module (file) it names. A parent
//! module's paths to its own children are composition, not imports, and are
//! left out; a child's path to its parent counts.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A module: its path below the crate root, e.g. `["http", "api", "cases"]`.
type ModPath = Vec<String>;

fn source_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            source_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn module_of(src: &Path, file: &Path) -> Option<ModPath> {
    let rel = file.strip_prefix(src).ok()?;
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop()?;
    match last.as_str() {
        "main.rs" if parts.is_empty() => None, // the binary: a client of the library
        "lib.rs" if parts.is_empty() => Some(parts),
        "mod.rs" => Some(parts),
        name => {
            parts.push(name.trim_end_matches(".rs").to_string());
            Some(parts)
        }
    }
}

/// The text with comments, string and char literals blanked out, so that a
/// path in a doc comment or an SQL string is not read as an import.
fn code_only(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            i += 2;
            while i + 1 < chars.len() && !(chars[i] == '*' && chars[i + 1] == '/') {
                i += 1;
            }
            i += 2;
        } else if c == 'r' && (next == Some('"') || next == Some('#')) && !ident_before(&chars, i) {
            // A raw string: r"…" or r#"…"#.
            let mut j = i + 1;
            let mut hashes = 0;
            while chars.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if chars.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            loop {
                if j >= chars.len() {
                    break;
                }
                if chars[j] == '"' && (0..hashes).all(|k| chars.get(j + 1 + k) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            out.push_str("\"\"");
            i = j;
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == '\'' && chars.get(i + 2) == Some(&'\'') {
            out.push_str("' '");
            i += 3;
        } else if c == '\'' && next == Some('\\') {
            i += 2;
            while i < chars.len() && chars[i] != '\'' {
                i += 1;
            }
            i += 1;
            out.push_str("' '");
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn ident_before(chars: &[char], i: usize) -> bool {
    i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_')
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Every path that starts at `crate`, `super` or `self`, with `use` groups
/// (`crate::a::{b, c::d}`) expanded.
fn paths_in(code: &str) -> Vec<Vec<String>> {
    let chars: Vec<char> = code.chars().collect();
    let mut found = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if is_ident(chars[i]) && !ident_before(&chars, i) {
            let start = i;
            while i < chars.len() && is_ident(chars[i]) {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let preceded_by_path = start >= 2 && chars[start - 1] == ':' && chars[start - 2] == ':';
            if matches!(word.as_str(), "crate" | "super" | "self") && !preceded_by_path {
                let mut prefix = vec![word];
                i = read_tree(&chars, i, &mut prefix, &mut found);
            }
        } else {
            i += 1;
        }
    }
    found
}

/// Reads `::segment::segment…` or `::{…}` after `prefix`, pushing whole paths.
fn read_tree(
    chars: &[char],
    mut i: usize,
    prefix: &mut Vec<String>,
    found: &mut Vec<Vec<String>>,
) -> usize {
    let depth = prefix.len();
    loop {
        let j = skip_space(chars, i);
        if chars.get(j) == Some(&':') && chars.get(j + 1) == Some(&':') {
            let k = skip_space(chars, j + 2);
            if chars.get(k) == Some(&'{') {
                let group = prefix.len();
                let mut m = k + 1;
                loop {
                    m = skip_space(chars, m);
                    match chars.get(m) {
                        Some('}') => {
                            m += 1;
                            break;
                        }
                        Some(',') => m += 1,
                        Some(c) if is_ident(*c) => {
                            let s = m;
                            while m < chars.len() && is_ident(chars[m]) {
                                m += 1;
                            }
                            prefix.push(chars[s..m].iter().collect());
                            m = read_tree(chars, m, prefix, found);
                            prefix.truncate(group);
                        }
                        Some(_) => m += 1,
                        None => break,
                    }
                }
                prefix.truncate(depth);
                return m;
            }
            if chars.get(k).is_some_and(|c| is_ident(*c)) {
                let s = k;
                let mut e = k;
                while e < chars.len() && is_ident(chars[e]) {
                    e += 1;
                }
                prefix.push(chars[s..e].iter().collect());
                i = e;
                continue;
            }
            i = k;
        }
        found.push(prefix.clone());
        prefix.truncate(depth);
        return i;
    }
}

fn skip_space(chars: &[char], mut i: usize) -> usize {
    while chars.get(i).is_some_and(|c| c.is_whitespace()) {
        i += 1;
    }
    i
}

/// The module a path names: the longest prefix that is a known module.
fn resolve(from: &ModPath, path: &[String], modules: &BTreeSet<ModPath>) -> Option<ModPath> {
    let mut base: ModPath = Vec::new();
    let mut rest = path;
    match path.first().map(String::as_str) {
        Some("crate") => rest = &path[1..],
        Some("self") | Some("super") => {
            base = from.clone();
            while let Some(first) = rest.first() {
                match first.as_str() {
                    "self" => rest = &rest[1..],
                    "super" => {
                        base.pop();
                        rest = &rest[1..];
                    }
                    _ => break,
                }
            }
        }
        _ => return None,
    }
    let mut best = base.clone();
    let mut candidate = base;
    for segment in rest {
        candidate.push(segment.clone());
        if modules.contains(&candidate) {
            best = candidate.clone();
        } else {
            break;
        }
    }
    Some(best)
}

struct Graph {
    modules: BTreeSet<ModPath>,
    edges: BTreeMap<ModPath, BTreeSet<ModPath>>,
}

fn read_graph() -> Graph {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    source_files(&src, &mut files);
    let mut texts = Vec::new();
    let mut modules = BTreeSet::new();
    for file in files {
        if let Some(module) = module_of(&src, &file) {
            let text = std::fs::read_to_string(&file).unwrap_or_default();
            modules.insert(module.clone());
            texts.push((module, code_only(&text)));
        }
    }
    let mut edges: BTreeMap<ModPath, BTreeSet<ModPath>> = BTreeMap::new();
    for (module, code) in &texts {
        let out = edges.entry(module.clone()).or_default();
        for path in paths_in(code) {
            let Some(target) = resolve(module, &path, &modules) else {
                continue;
            };
            // A module and its own children: composition, not an import.
            if target.starts_with(module) {
                continue;
            }
            out.insert(target);
        }
    }
    Graph { modules, edges }
}

fn name(m: &ModPath) -> String {
    if m.is_empty() {
        "crate".to_string()
    } else {
        m.join("::")
    }
}

/// Strongly connected components with more than one module (Tarjan).
fn cycles(graph: &Graph) -> Vec<Vec<ModPath>> {
    struct State<'g> {
        graph: &'g Graph,
        index: BTreeMap<&'g ModPath, usize>,
        low: BTreeMap<&'g ModPath, usize>,
        stack: Vec<&'g ModPath>,
        on_stack: BTreeSet<&'g ModPath>,
        next: usize,
        found: Vec<Vec<ModPath>>,
    }
    fn visit<'g>(s: &mut State<'g>, v: &'g ModPath) {
        s.index.insert(v, s.next);
        s.low.insert(v, s.next);
        s.next += 1;
        s.stack.push(v);
        s.on_stack.insert(v);
        let graph = s.graph;
        if let Some(targets) = graph.edges.get(v) {
            for w in targets {
                let Some(w) = graph.modules.get(w) else {
                    continue;
                };
                if !s.index.contains_key(w) {
                    visit(s, w);
                    let low = s.low[v].min(s.low[w]);
                    s.low.insert(v, low);
                } else if s.on_stack.contains(w) {
                    let low = s.low[v].min(s.index[w]);
                    s.low.insert(v, low);
                }
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                component.push(w.clone());
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                s.found.push(component);
            }
        }
    }
    let mut s = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        next: 0,
        found: Vec::new(),
    };
    for m in &graph.modules {
        if !s.index.contains_key(m) {
            visit(&mut s, m);
        }
    }
    s.found
}

#[test]
fn the_graph_reader_sees_grouped_and_relative_paths() {
    let code = code_only(
        "use crate::{a::b::{C, d}, e};\nuse super::f::G; // crate::ignored\nlet x = \"crate::no\"; crate::h::i(self::j::K);",
    );
    let paths: Vec<String> = paths_in(&code).iter().map(|p| p.join("::")).collect();
    assert_eq!(
        paths,
        [
            "crate::a::b::C",
            "crate::a::b::d",
            "crate::e",
            "super::f::G",
            "crate::h::i",
            "self::j::K"
        ]
    );
    let modules: BTreeSet<ModPath> = [vec![], vec!["a".to_string()], vec!["a".into(), "b".into()]]
        .into_iter()
        .collect();
    let from = vec!["a".to_string(), "b".to_string()];
    let to = |p: &str| {
        let path: Vec<String> = p.split("::").map(str::to_string).collect();
        resolve(&from, &path, &modules).map(|m| name(&m))
    };
    assert_eq!(to("crate::a::b::C").as_deref(), Some("a::b"));
    assert_eq!(to("super::x").as_deref(), Some("a"));
    assert_eq!(to("super::super::x").as_deref(), Some("crate"));
}

#[test]
fn no_module_imports_another_in_a_circle() {
    let graph = read_graph();
    assert!(graph.modules.len() > 50, "the source tree was not found");
    let found: Vec<String> = cycles(&graph)
        .iter()
        .map(|c| c.iter().map(name).collect::<Vec<_>>().join(" ↔ "))
        .collect();
    assert!(found.is_empty(), "module cycles:\n{}", found.join("\n"));
}

#[test]
fn pages_and_api_handlers_share_only_the_shared_http_modules() {
    let graph = read_graph();
    let mut wrong = Vec::new();
    for (from, targets) in &graph.edges {
        let from_names: Vec<&str> = from.iter().map(String::as_str).collect();
        for to in targets {
            let to_names: Vec<&str> = to.iter().map(String::as_str).collect();
            let bad = match (from_names.as_slice(), to_names.as_slice()) {
                // A page never imports an API module.
                (["http", "pages", ..], ["http", "api", ..]) => true,
                // An API module never imports another capability's.
                (["http", "api", a], ["http", "api", b]) => a != b,
                (["http", "pages", a], ["http", "pages", b]) => a != b,
                _ => false,
            };
            if bad {
                wrong.push(format!("{} → {}", name(from), name(to)));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "http modules that reach sideways:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn each_layer_reaches_only_down() {
    // What each layer must not use (by the first segment of the module path).
    let forbidden: &[(&str, &[&str])] = &[
        (
            "domain",
            &[
                "app",
                "storage",
                "services",
                "search",
                "http",
                "cli",
                "demo",
                "ops",
                "security",
                "documents",
            ],
        ),
        ("storage", &["services", "http", "cli", "demo", "ops"]),
        ("search", &["services", "http", "cli", "demo", "ops"]),
        ("services", &["http", "cli", "demo", "ops"]),
        ("security", &["services", "http", "cli", "demo", "ops"]),
        (
            "documents",
            &["storage", "services", "http", "cli", "demo", "ops", "app"],
        ),
    ];
    let graph = read_graph();
    let mut wrong = Vec::new();
    for (from, targets) in &graph.edges {
        let Some(layer) = from.first() else { continue };
        for (l, banned) in forbidden {
            if layer != l {
                continue;
            }
            for to in targets {
                if to.first().is_some_and(|t| banned.contains(&t.as_str())) {
                    wrong.push(format!("{} → {}", name(from), name(to)));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "layer violations:\n{}", wrong.join("\n"));
}
