//! The shared crate's layers (issue 24 item 4): dependencies run one way. `shared/src/lib.rs` lists the layers, top
//! to bottom; this test reads that list and every path of the crate's sources that names a module of the crate
//! (`use` trees and paths in code starting with `crate::`, `super::`, `self::` or a child module's name), resolves
//! each to the module that defines the item (through `pub use` re-exports), and fails when
//! - a module uses a module of its own layer or of a layer above it, or a top-level module has no layer;
//! - files use each other in a cycle (`okta/pacing.rs` ↔ `okta/retry.rs` was one), inside a module or across.
//!
//! A module's own files and the module itself (its `mod.rs`) are one: a parent re-exports and dispatches to its
//! files, which use the parent's shared items; the crate root only declares and re-exports. Paths inside macro calls
//! are tokens, not read. Each check has its broken example below.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use okta_lifecycle_tests::repo_path;
use syn::visit::Visit;

/// A module's path from the crate root: `["okta", "pacing"]`; the root is empty.
type ModPath = Vec<String>;

#[derive(Debug, Default)]
struct Findings {
    /// "`config` (layer 7) uses `guard` (layer 3)", with the file and the path that does it.
    upward: Vec<String>,
    /// Top-level modules the layer list does not place.
    unplaced: Vec<String>,
    /// Each cycle, as the files in it.
    cycles: Vec<Vec<String>>,
    /// Which top-level module uses which (downward or not), so that a reader that saw nothing cannot pass.
    uses: BTreeSet<(String, String)>,
}

/// Every `.rs` file under `src` with its module path.
fn crate_sources(src: &Path) -> Vec<(ModPath, String)> {
    let mut files = Vec::new();
    let mut folders = vec![src.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                folders.push(path);
                continue;
            }
            if path.extension().is_none_or(|extension| extension != "rs") {
                continue;
            }
            let relative = path.strip_prefix(src).unwrap().with_extension("");
            let mut module: ModPath = relative
                .components()
                .map(|part| part.as_os_str().to_string_lossy().into_owned())
                .collect();
            if matches!(module.last().map(String::as_str), Some("mod" | "lib")) {
                module.pop();
            }
            files.push((module, std::fs::read_to_string(&path).unwrap()));
        }
    }
    files.sort();
    files
}

/// The numbered list of the crate root's documentation: each top-level module linked on line `N.` is on layer N.
fn layers_of(lib_rs: &str) -> BTreeMap<String, usize> {
    let mut layers = BTreeMap::new();
    for line in lib_rs.lines() {
        let Some(text) = line.strip_prefix("//! ") else {
            continue;
        };
        let Some((number, rest)) = text.split_once(". ") else {
            continue;
        };
        let Ok(layer) = number.parse::<usize>() else {
            continue;
        };
        let links = rest.split(':').next().unwrap_or_default();
        for name in links.split("[`").skip(1) {
            let name = name.split('`').next().unwrap_or_default();
            layers.insert(name.to_owned(), layer);
        }
    }
    layers
}

/// A path as written, where it was written.
#[derive(Debug)]
struct Reference {
    /// The module the path is written in (an inline module such as `tests` included).
    context: ModPath,
    segments: Vec<String>,
}

/// What one file says: the paths it writes and the names it re-exports.
#[derive(Default)]
struct Reader {
    context: ModPath,
    references: Vec<Reference>,
    /// (module, exported name) → the path it re-exports, written in that module.
    reexports: Vec<(ModPath, String, Vec<String>)>,
}

impl Reader {
    fn use_tree(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree, public: bool) {
        match tree {
            syn::UseTree::Path(path) => {
                prefix.push(path.ident.to_string());
                self.use_tree(prefix, &path.tree, public);
                prefix.pop();
            }
            syn::UseTree::Name(name) => self.leaf(prefix, &name.ident, &name.ident, public),
            syn::UseTree::Rename(rename) => {
                self.leaf(prefix, &rename.ident, &rename.rename, public)
            }
            syn::UseTree::Glob(_) => self.references.push(Reference {
                context: self.context.clone(),
                segments: prefix.clone(),
            }),
            syn::UseTree::Group(group) => {
                for tree in &group.items {
                    self.use_tree(prefix, tree, public);
                }
            }
        }
    }

    fn leaf(&mut self, prefix: &[String], ident: &syn::Ident, exported: &syn::Ident, public: bool) {
        let mut segments = prefix.to_vec();
        if ident != "self" {
            segments.push(ident.to_string());
        }
        if public {
            self.reexports
                .push((self.context.clone(), exported.to_string(), segments.clone()));
        }
        self.references.push(Reference {
            context: self.context.clone(),
            segments,
        });
    }
}

impl<'ast> Visit<'ast> for Reader {
    fn visit_item_mod(&mut self, module: &'ast syn::ItemMod) {
        if module.content.is_some() {
            self.context.push(module.ident.to_string());
            syn::visit::visit_item_mod(self, module);
            self.context.pop();
        }
    }

    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        let public = !matches!(item.vis, syn::Visibility::Inherited);
        self.use_tree(&mut Vec::new(), &item.tree, public);
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        if path.leading_colon.is_none() {
            self.references.push(Reference {
                context: self.context.clone(),
                segments: path
                    .segments
                    .iter()
                    .map(|segment| segment.ident.to_string())
                    .collect(),
            });
        }
        syn::visit::visit_path(self, path);
    }
}

struct Crate {
    modules: BTreeSet<ModPath>,
    reexports: BTreeMap<(ModPath, String), Vec<String>>,
}

impl Crate {
    /// The module that defines what `segments`, written in `context`, names; `None` for another crate's item or a
    /// name that is not a path into the crate.
    fn resolve(&self, context: &ModPath, segments: &[String], depth: usize) -> Option<ModPath> {
        let (first, rest) = segments.split_first()?;
        match first.as_str() {
            "crate" => self.walk(Vec::new(), rest, depth),
            "self" => self.walk(context.clone(), rest, depth),
            "super" => {
                let mut parent = context.clone();
                parent.pop();
                let mut rest = rest;
                while rest.first().is_some_and(|segment| segment == "super") {
                    parent.pop();
                    rest = &rest[1..];
                }
                self.walk(parent, rest, depth)
            }
            child
                if self
                    .modules
                    .contains(&[context.as_slice(), &[child.to_owned()]].concat()) =>
            {
                self.walk(context.clone(), segments, depth)
            }
            _ => None,
        }
    }

    fn walk(&self, mut current: ModPath, rest: &[String], depth: usize) -> Option<ModPath> {
        for segment in rest {
            let deeper = [current.as_slice(), std::slice::from_ref(segment)].concat();
            if self.modules.contains(&deeper) {
                current = deeper;
                continue;
            }
            if depth < 8
                && let Some(target) = self.reexports.get(&(current.clone(), segment.clone()))
                && let Some(defined) = self.resolve(&current, target, depth + 1)
            {
                return Some(defined);
            }
            break;
        }
        Some(current)
    }

    /// The file a module path lives in: inline modules (`tests`) belong to their file.
    fn file_of(&self, module: &ModPath, files: &BTreeSet<ModPath>) -> ModPath {
        let mut module = module.clone();
        while !files.contains(&module) {
            module.pop();
        }
        module
    }
}

fn name(module: &ModPath) -> String {
    if module.is_empty() {
        "crate".to_owned()
    } else {
        module.join("::")
    }
}

/// Checks a crate given as its files (module path and text; the root's documentation holds the layers).
fn check(files: &[(ModPath, String)]) -> Findings {
    let lib_rs = &files
        .iter()
        .find(|(module, _)| module.is_empty())
        .unwrap()
        .1;
    let layers = layers_of(lib_rs);
    let file_modules: BTreeSet<ModPath> = files.iter().map(|(module, _)| module.clone()).collect();
    let mut readers = Vec::new();
    let mut modules = file_modules.clone();
    for (module, text) in files {
        let parsed =
            syn::parse_file(text).unwrap_or_else(|error| panic!("{}: {error}", name(module)));
        let mut reader = Reader {
            context: module.clone(),
            ..Reader::default()
        };
        reader.visit_file(&parsed);
        for reference in &reader.references {
            modules.insert(reference.context.clone());
        }
        readers.push((module.clone(), reader));
    }
    let krate = Crate {
        reexports: readers
            .iter()
            .flat_map(|(_, reader)| reader.reexports.iter())
            .map(|(module, exported, target)| ((module.clone(), exported.clone()), target.clone()))
            .collect(),
        modules,
    };
    let mut findings = Findings::default();
    for (module, _) in files {
        if module.len() == 1 && !layers.contains_key(&module[0]) {
            findings.unplaced.push(name(module));
        }
    }
    let mut edges: BTreeMap<ModPath, BTreeSet<ModPath>> = BTreeMap::new();
    for (file, reader) in &readers {
        for reference in &reader.references {
            let Some(target) = krate.resolve(&reference.context, &reference.segments, 0) else {
                continue;
            };
            let target = krate.file_of(&target, &file_modules);
            // A module and its own files are one (see the module's documentation); the root is every module's parent.
            if target.starts_with(file) || file.starts_with(&target) {
                continue;
            }
            let (from, to) = (&file[0], &target[0]);
            findings.uses.insert((from.clone(), to.clone()));
            if from != to
                && let (Some(&above), Some(&below)) = (layers.get(from), layers.get(to))
                && above >= below
            {
                findings.upward.push(format!(
                    "`{from}` (layer {above}) uses `{to}` (layer {below}): {} writes `{}`",
                    name(file),
                    reference.segments.join("::")
                ));
            }
            edges.entry(file.clone()).or_default().insert(target);
        }
    }
    findings.upward.sort();
    findings.upward.dedup();
    findings.cycles = cycles(&edges);
    findings
}

/// The strongly connected groups of more than one file (Tarjan's algorithm).
fn cycles(edges: &BTreeMap<ModPath, BTreeSet<ModPath>>) -> Vec<Vec<String>> {
    struct State<'e> {
        edges: &'e BTreeMap<ModPath, BTreeSet<ModPath>>,
        index: BTreeMap<&'e ModPath, usize>,
        low: BTreeMap<&'e ModPath, usize>,
        stack: Vec<&'e ModPath>,
        found: Vec<Vec<String>>,
    }
    fn visit<'e>(state: &mut State<'e>, node: &'e ModPath) {
        let at = state.index.len();
        state.index.insert(node, at);
        state.low.insert(node, at);
        state.stack.push(node);
        for next in state.edges.get(node).into_iter().flatten() {
            if !state.index.contains_key(next) {
                visit(state, next);
                let low = state.low[node].min(state.low[next]);
                state.low.insert(node, low);
            } else if state.stack.contains(&next) {
                let low = state.low[node].min(state.index[next]);
                state.low.insert(node, low);
            }
        }
        if state.low[node] == state.index[node] {
            let mut group = Vec::new();
            while let Some(member) = state.stack.pop() {
                group.push(name(member));
                if member == node {
                    break;
                }
            }
            if group.len() > 1 {
                group.sort();
                state.found.push(group);
            }
        }
    }
    let mut state = State {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        found: Vec::new(),
    };
    for node in edges.keys() {
        if !state.index.contains_key(node) {
            visit(&mut state, node);
        }
    }
    state.found
}

#[test]
fn the_shared_crate_depends_one_way() {
    let findings = check(&crate_sources(&repo_path("shared/src")));
    assert!(
        findings.unplaced.is_empty(),
        "not in lib.rs's layers: {:?}",
        findings.unplaced
    );
    assert!(findings.upward.is_empty(), "{:#?}", findings.upward);
    assert!(findings.cycles.is_empty(), "{:?}", findings.cycles);
    for (from, to) in [
        ("lambda", "guard"),
        ("guard", "okta"),
        ("okta", "connection"),
        ("config", "error"),
    ] {
        assert!(
            findings.uses.contains(&(from.to_owned(), to.to_owned())),
            "{from} -> {to} not seen: {:?}",
            findings.uses
        );
    }
}

#[test]
fn the_layer_list_places_every_top_level_module() {
    let layers = layers_of(&std::fs::read_to_string(repo_path("shared/src/lib.rs")).unwrap());
    for module in [
        "lambda",
        "flows",
        "doctor",
        "guard",
        "actions",
        "okta",
        "connection",
        "config",
        "error",
    ] {
        assert!(layers.contains_key(module), "{module}: {layers:?}");
    }
    assert!(layers["lambda"] < layers["guard"] && layers["guard"] < layers["okta"]);
    assert!(layers["okta"] < layers["connection"] && layers["config"] < layers["error"]);
}

/// A crate from (file, text) pairs, as `crate_sources` gives one.
fn example(files: &[(&str, &str)]) -> Vec<(ModPath, String)> {
    files
        .iter()
        .map(|(path, text)| {
            let module = path
                .split('/')
                .filter(|part| !part.is_empty())
                .map(str::to_owned)
                .collect();
            (module, (*text).to_owned())
        })
        .collect()
}

const EXAMPLE_LIB: &str = "//! 1. [`guard`]: the guardrails.\n//! 2. [`okta`]: the client.\n//! 3. [`config`]: the \
                           connection.\npub mod config;\npub mod guard;\npub mod okta;\n";

/// The checks can fail: the cycles this issue removed, written again in a small crate.
#[test]
fn broken_examples_are_caught() {
    let broken = check(&example(&[
        ("", EXAMPLE_LIB),
        // config ↔ guard: the settings held the guardrails.
        (
            "config",
            "use crate::guard::Guardrails;\npub struct Settings { pub guardrails: Guardrails }\npub enum AuthKind {}",
        ),
        (
            "guard",
            "pub struct Guardrails;\nfn f(kind: crate::config::AuthKind, okta: &crate::okta::OktaClient) {}",
        ),
        // okta/pacing.rs ↔ okta/retry.rs, one of them through the parent's re-export.
        (
            "okta",
            "pub mod client;\npub mod pacing;\npub mod retry;\npub use client::OktaClient;\npub use retry::reset;",
        ),
        ("okta/client", "pub struct OktaClient;"),
        ("okta/pacing", "use super::reset;\npub struct PacingPolicy;"),
        (
            "okta/retry",
            "pub fn reset() {}\nfn policy() -> super::pacing::PacingPolicy { todo!() }",
        ),
        // A module the list does not place.
        ("ledger", "use crate::config::Settings;"),
    ]));
    assert_eq!(
        broken.upward,
        ["`config` (layer 3) uses `guard` (layer 1): config writes `crate::guard::Guardrails`"]
    );
    assert_eq!(
        broken.cycles,
        [["config", "guard"], ["okta::pacing", "okta::retry"]]
            .map(|group| group.map(str::to_owned).to_vec())
    );
    assert_eq!(broken.unplaced, ["ledger"]);

    // A module of the same layer is no lower: two modules on one line must not use each other.
    let same_layer = check(&example(&[
        ("", "//! 1. [`a`], [`b`]: two.\npub mod a;\npub mod b;\n"),
        ("a", "fn f() { crate::b::g() }"),
        ("b", "pub fn g() {}"),
    ]));
    assert_eq!(same_layer.upward.len(), 1, "{:?}", same_layer.upward);

    // The same crate, one way: nothing to report.
    let fixed = check(&example(&[
        ("", EXAMPLE_LIB),
        ("config", "pub struct Connection;"),
        (
            "guard",
            "use crate::okta::OktaClient;\npub struct Guarded { client: OktaClient }",
        ),
        (
            "okta",
            "pub mod client;\npub mod pacing;\npub mod retry;\npub use client::OktaClient;\npub use pacing::reset;",
        ),
        (
            "okta/client",
            "use super::retry::RetryPolicy;\nuse crate::config::Connection;\npub struct OktaClient;",
        ),
        ("okta/pacing", "pub fn reset() {}\npub struct PacingPolicy;"),
        (
            "okta/retry",
            "pub use super::reset;\npub struct RetryPolicy { pacing: super::pacing::PacingPolicy }",
        ),
    ]));
    assert!(
        fixed.upward.is_empty() && fixed.cycles.is_empty() && fixed.unplaced.is_empty(),
        "{fixed:?}"
    );
}
