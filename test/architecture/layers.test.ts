/**
 * The layering of STYLE.md "Boundaries", checked on every import of every `src/**\/*.ts` file
 * (static, re-export and dynamic `import()`), read with the TypeScript parser.
 *
 * Layers, outside in: adapters (cli, server) → the root (`src/index.ts`) → domain folders →
 * storage interfaces → core. Arrows point inward only.
 *
 * | layer    | folders                                                    | may import                                              |
 * |----------|------------------------------------------------------------|---------------------------------------------------------|
 * | core     | core                                                       | core only                                               |
 * | storage  | store, artifacts                                           | core, its own folder                                    |
 * | domain   | onnx, registry, tracking, runtime, batch, monitoring,      | core, domain folders, the storage *interfaces* (files   |
 * |          | deployments, serving                                       | directly in store/ or artifacts/), never a backend      |
 * |          |                                                            | (store/sqlite, store/kysely, store/postgres,            |
 * |          |                                                            | artifacts/fs, artifacts/s3), cli, server or index.ts    |
 * | adapter  | cli, server                                                | index.ts, core, its own folder; `import type` of the    |
 * |          |                                                            | storage interfaces (erased at compile time)             |
 * | root     | index.ts                                                   | anything (the composition root)                         |
 *
 * One edge between adapters is allowed: cli → server/index.ts, the HTTP server's one entry, so
 * that `slipway serve` can start it (the server is not part of the library API). Never server → cli.
 *
 * Extra rules: runtime and registry never import each other (the root wires registry events to
 * the runtime); the folder graph has no cycle; each third-party package with a backend or an
 * adapter behind it is imported only where that lives (PACKAGE_OWNERS).
 */
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

type Layer = 'core' | 'storage' | 'domain' | 'adapter' | 'root';

/** Every top-level place in src/ and its layer. A new folder needs a row here before it passes. */
const LAYERS: Record<string, Layer> = {
  core: 'core',
  store: 'storage',
  artifacts: 'storage',
  onnx: 'domain',
  registry: 'domain',
  tracking: 'domain',
  runtime: 'domain',
  batch: 'domain',
  monitoring: 'domain',
  deployments: 'domain',
  // Not in DESIGN.md's layout: the engine behind the protocol adapters, beside runtime/.
  serving: 'domain',
  cli: 'adapter',
  server: 'adapter',
  'index.ts': 'root',
};

/** Backends: only the root (and the backend's own folder) may import them. */
const BACKENDS = ['store/sqlite/', 'store/kysely/', 'store/postgres/', 'artifacts/fs/', 'artifacts/s3/'];

/** Adapter entry files another adapter may import (`slipway serve` starts the HTTP server). */
const ADAPTER_ENTRIES: Record<string, string[]> = { cli: ['server/index.ts'] };

/** Pairs of folders that never import each other, either way. */
const NEVER_BETWEEN: [string, string][] = [['runtime', 'registry']];

/** Third-party packages and the only places that may import them (prefixes of src-relative paths). */
const PACKAGE_OWNERS: Record<string, string[]> = {
  'better-sqlite3': ['store/sqlite/'],
  kysely: ['store/', 'index.ts'],
  fastify: ['server/'],
  commander: ['cli/'],
  'onnxruntime-node': ['onnx/', 'runtime/'],
};

/**
 * Known breaches, each with its reason and what removes it. The test fails if one is no longer
 * needed, so the list only shrinks.
 */
const KNOWN_BREACHES: { from: string; to: string; why: string }[] = [];

interface Edge {
  /** Importing file, relative to src/ with POSIX separators. */
  from: string;
  /** Imported src file (relative to src/), or the bare package name. */
  to: string;
  typeOnly: boolean;
  internal: boolean;
}

const SRC = path.resolve('src');

function sourceFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => path.join(e.parentPath, e.name));
}

function importsOf(file: string): Edge[] {
  const text = fs.readFileSync(file, 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const from = path.relative(SRC, file).split(path.sep).join('/');
  const edges: Edge[] = [];
  const add = (specifier: string, typeOnly: boolean) => {
    if (specifier.startsWith('.')) {
      const target = path.resolve(path.dirname(file), specifier).replace(/\.js$/, '.ts');
      edges.push({
        from,
        to: path.relative(SRC, target).split(path.sep).join('/'),
        typeOnly,
        internal: true,
      });
    } else if (!specifier.startsWith('node:')) {
      const pkg = specifier.startsWith('@')
        ? specifier.split('/').slice(0, 2).join('/')
        : specifier.split('/')[0];
      edges.push({ from, to: pkg, typeOnly, internal: false });
    }
  };
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      add(node.moduleSpecifier.text, node.importClause?.isTypeOnly ?? false);
    } else if (
      ts.isExportDeclaration(node) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      add(node.moduleSpecifier.text, node.isTypeOnly);
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments.length === 1 &&
      ts.isStringLiteralLike(node.arguments[0])
    ) {
      add(node.arguments[0].text, false);
    } else if (
      ts.isImportTypeNode(node) &&
      ts.isLiteralTypeNode(node.argument) &&
      ts.isStringLiteral(node.argument.literal)
    ) {
      add(node.argument.literal.text, true);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return edges;
}

/** The top-level place of a src-relative path: its first folder, or the file itself. */
const placeOf = (rel: string) => (rel.includes('/') ? rel.split('/')[0] : rel);
/** A file directly inside store/ or artifacts/: an interface, not a backend. */
const isStorageInterface = (rel: string) => /^(store|artifacts)\/[^/]+\.ts$/.test(rel);

/** Why an internal import breaks the table, or null when it is allowed. */
function breach(e: Edge): string | null {
  const fromPlace = placeOf(e.from);
  const toPlace = placeOf(e.to);
  const layer = LAYERS[fromPlace];
  const target = LAYERS[toPlace];
  if (!layer || !target) return null; // reported by the "every place has a layer" test
  if (fromPlace === toPlace) {
    // Inside a folder anything goes, except an interface reaching into its own backends.
    if (layer === 'storage' && isStorageInterface(e.from) && BACKENDS.some((b) => e.to.startsWith(b))) {
      return 'a storage interface imports a backend';
    }
    return null;
  }
  for (const [a, b] of NEVER_BETWEEN) {
    if ((fromPlace === a && toPlace === b) || (fromPlace === b && toPlace === a)) {
      return `${a} and ${b} never import each other (the root wires them)`;
    }
  }
  switch (layer) {
    case 'root':
      return null;
    case 'core':
      return 'core imports nothing else of slipway';
    case 'storage':
      return target === 'core' ? null : 'storage imports only core and its own folder';
    case 'domain':
      if (target === 'core' || target === 'domain') return null;
      if (target === 'storage')
        return isStorageInterface(e.to) ? null : 'domain code imports a storage backend';
      return `domain code imports ${target === 'root' ? 'the root (index.ts)' : `the ${toPlace} adapter`}`;
    case 'adapter':
      if (target === 'root' || target === 'core') return null;
      if (target === 'storage' && e.typeOnly && isStorageInterface(e.to)) return null;
      if (ADAPTER_ENTRIES[fromPlace]?.includes(e.to)) return null;
      return `adapters import only index.ts and core (got ${target === 'storage' && isStorageInterface(e.to) ? 'a value import of a storage interface' : `${target} code`})`;
  }
}

const files = sourceFiles(SRC);
const edges = files.flatMap(importsOf);
const internal = edges.filter((e) => e.internal);
const isKnown = (e: Edge) => KNOWN_BREACHES.some((k) => k.from === e.from && k.to === e.to);

describe('layers of src/ (STYLE.md "Boundaries")', () => {
  it('finds the source and its imports', () => {
    expect(files.length).toBeGreaterThan(20);
    expect(internal.some((e) => e.from === 'index.ts' && e.to === 'registry/registry.ts')).toBe(true);
    expect(
      internal.some((e) => e.from === 'index.ts' && e.to === 'store/sqlite/open-sqlite-database.ts'),
    ).toBe(true); // a dynamic import()
  });

  it('every top-level place in src/ has a layer', () => {
    const places = [...new Set(files.map((f) => placeOf(path.relative(SRC, f).split(path.sep).join('/'))))];
    expect(places.filter((p) => !(p in LAYERS))).toEqual([]);
  });

  it('every import is allowed by the layer table', () => {
    const found = internal
      .filter((e) => !isKnown(e))
      .map((e) => ({ e, why: breach(e) }))
      .filter((x) => x.why !== null)
      .map(({ e, why }) => `${e.from} → ${e.to}${e.typeOnly ? ' (type)' : ''}: ${why}`);
    expect(found).toEqual([]);
  });

  it('core imports nothing else of slipway', () => {
    expect(internal.filter((e) => placeOf(e.from) === 'core' && placeOf(e.to) !== 'core')).toEqual([]);
  });

  it('each known breach is still there (remove it from KNOWN_BREACHES once fixed)', () => {
    for (const k of KNOWN_BREACHES) {
      expect(
        internal.some((e) => e.from === k.from && e.to === k.to),
        `${k.from} → ${k.to} is gone: delete its KNOWN_BREACHES row`,
      ).toBe(true);
    }
  });

  it('third-party backends and adapters are imported only where they live', () => {
    const found = edges
      .filter((e) => !e.internal && e.to in PACKAGE_OWNERS)
      .filter((e) => !PACKAGE_OWNERS[e.to].some((p) => e.from === p || e.from.startsWith(p)))
      .map(
        (e) =>
          `${e.from} imports ${e.to}${e.typeOnly ? ' (type)' : ''}; only ${PACKAGE_OWNERS[e.to].join(', ')} may`,
      );
    expect(found).toEqual([]);
  });

  it('the graph of folders has no cycle (the root aside)', () => {
    const graph = new Map<string, Set<string>>();
    for (const e of internal) {
      const a = placeOf(e.from);
      const b = placeOf(e.to);
      if (a === b || a === 'index.ts' || isKnown(e)) continue;
      if (!graph.has(a)) graph.set(a, new Set());
      graph.get(a)!.add(b);
    }
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const walk = (node: string, trail: string[]) => {
      if (state.get(node) === 'done') return;
      if (state.get(node) === 'open') {
        cycles.push([...trail.slice(trail.indexOf(node)), node].join(' → '));
        return;
      }
      state.set(node, 'open');
      for (const next of graph.get(node) ?? []) walk(next, [...trail, node]);
      state.set(node, 'done');
    };
    for (const node of graph.keys()) walk(node, []);
    expect(cycles).toEqual([]);
  });
});
