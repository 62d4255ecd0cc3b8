import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import ts from 'typescript';
import { parseAllDocuments } from 'yaml';

/**
 * Offline checks of Kubernetes manifests: YAML parsing, the Kubernetes schemas of the
 * kubernetes-models packages (their `validate()`), and a strict field check that those schemas
 * lack (they accept any unknown field, as the API server's non-strict mode does).
 */

const ROOT = join(__dirname, '..', '..');

/** A loose view of a Kubernetes object, enough for the design assertions. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: any;
}

export interface ManifestDoc {
  file: string;
  /** The document's position in its file, from 0. */
  index: number;
  object: K8sObject;
}

export const where = (doc: ManifestDoc): string =>
  `${doc.file}#${doc.index} (${doc.object?.kind} ${doc.object?.metadata?.name})`;

/** Every non-empty YAML document of `file`; throws on any YAML error or warning. */
export function parseYamlFile(path: string, file: string): ManifestDoc[] {
  const docs = parseAllDocuments(readFileSync(path, 'utf8'), { prettyErrors: true });
  if (!Array.isArray(docs)) throw new Error(`${file}: not a YAML stream`);
  const result: ManifestDoc[] = [];
  docs.forEach((doc, index) => {
    const problems = [...doc.errors, ...doc.warnings];
    if (problems.length > 0)
      throw new Error(`${file}#${index}: ${problems.map((p) => p.message).join('\n')}`);
    const object = doc.toJS({ maxAliasCount: 0 }) as K8sObject | null;
    if (object !== null) result.push({ file, index, object });
  });
  return result;
}

/** kubernetes-models' module for an apiVersion and kind, e.g. kubernetes-models/apps/v1/Deployment. */
function modelModule(object: K8sObject): string {
  if (
    typeof object.apiVersion !== 'string' ||
    !/^([a-z0-9.-]+\/)?v[0-9a-z]+$/.test(object.apiVersion)
  )
    throw new Error(`bad apiVersion ${JSON.stringify(object.apiVersion)}`);
  if (typeof object.kind !== 'string' || !/^[A-Z][A-Za-z0-9]*$/.test(object.kind))
    throw new Error(`bad kind ${JSON.stringify(object.kind)}`);
  return `kubernetes-models/${object.apiVersion}/${object.kind}`;
}

/** The schema errors of one object (none: []), from kubernetes-models' `validate()`. */
export async function schemaErrors(object: K8sObject): Promise<string[]> {
  let model: new (data: unknown) => { validate(): void };
  try {
    model = ((await import(modelModule(object))) as Record<string, typeof model>)[object.kind];
  } catch (error) {
    return [`no Kubernetes schema for ${object.apiVersion} ${object.kind}: ${String(error)}`];
  }
  try {
    new model(object).validate();
    return [];
  } catch (error) {
    const errors = (error as { errors?: { instancePath: string; message?: string }[] }).errors;
    return errors
      ? errors.map((e) => `${e.instancePath || '/'} ${e.message ?? 'invalid'}`)
      : [String(error)];
  }
}

const COMPILER_OPTIONS: ts.CompilerOptions = {
  strict: true,
  noEmit: true,
  skipLibCheck: true,
  module: ts.ModuleKind.CommonJS,
  moduleResolution: ts.ModuleResolutionKind.Node10,
  target: ts.ScriptTarget.ES2022,
  types: [],
};

/**
 * Fields a kind does not define, and values of the wrong type, found by type checking each object
 * as an object literal of kubernetes-models' TypeScript interface for its kind (excess property
 * checks reach every nested object). One compilation for all documents; errors by document.
 */
export function strictFieldErrors(docs: ManifestDoc[]): Map<ManifestDoc, string[]> {
  const file = join(ROOT, 'test', '__manifests_strict_check__.ts');
  const lines: string[] = [];
  const starts: number[] = [];
  docs.forEach((doc, i) => {
    lines.push(`import type { I${doc.object.kind} as T${i} } from '${modelModule(doc.object)}';`);
  });
  docs.forEach((doc, i) => {
    starts.push(lines.length);
    lines.push(
      ...`export const doc${i}: T${i} = ${JSON.stringify(doc.object, null, 2)};`.split('\n'),
    );
  });
  const text = lines.join('\n') + '\n';
  const host = ts.createCompilerHost(COMPILER_OPTIONS);
  const { getSourceFile, fileExists } = host;
  host.getSourceFile = (name, version, ...rest) =>
    name === file
      ? ts.createSourceFile(name, text, version)
      : getSourceFile.call(host, name, version, ...rest);
  host.fileExists = (name) => name === file || fileExists.call(host, name);
  const program = ts.createProgram([file], COMPILER_OPTIONS, host);
  const source = program.getSourceFile(file)!;
  const result = new Map<ManifestDoc, string[]>(docs.map((doc) => [doc, []]));
  const diagnostics = [
    ...program.getSyntacticDiagnostics(source),
    ...program.getSemanticDiagnostics(source),
  ];
  for (const diagnostic of diagnostics) {
    const line = source.getLineAndCharacterOfPosition(diagnostic.start ?? 0).line;
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '; ');
    let owner = -1;
    starts.forEach((start, i) => (owner = line >= start ? i : owner));
    if (owner < 0) throw new Error(`strict check: ${message} (line ${line + 1})`);
    const at = text.split('\n')[line].trim();
    result.get(docs[owner])!.push(`${message} at \`${at}\``);
  }
  return result;
}

/** The setting names .env.example documents, i.e. the configuration the app reads. */
export function envExampleKeys(): Set<string> {
  return new Set(Object.keys(parseEnv(readFileSync(join(ROOT, '.env.example'), 'utf8'))));
}

/** Kubernetes label selector semantics (matchLabels and matchExpressions). */
export function selects(
  selector: {
    matchLabels?: Record<string, string>;
    matchExpressions?: { key: string; operator: string; values?: string[] }[];
  },
  labels: Record<string, string> = {},
): boolean {
  const byLabels = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const byExpressions = (selector.matchExpressions ?? []).every(
    ({ key, operator, values = [] }) => {
      if (operator === 'In') return key in labels && values.includes(labels[key]);
      if (operator === 'NotIn') return !(key in labels) || !values.includes(labels[key]);
      if (operator === 'Exists') return key in labels;
      if (operator === 'DoesNotExist') return !(key in labels);
      throw new Error(`unknown selector operator ${operator}`);
    },
  );
  return byLabels && byExpressions;
}
