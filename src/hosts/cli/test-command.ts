/**
 * `mta-expr test FILE…`: policy unit tests. Every file is read and checked first (a fault
 * stops the run before any case, with its file, line, column and case); then each case
 * runs and prints one line (with what differs on failure), then a summary. `--junit FILE`
 * writes JUnit XML, `--coverage` prints the branch coverage of each configuration,
 * `--coverage-json FILE` writes it. Exit code 0 when every case passes, 1 otherwise.
 */
import { writeFileSync } from 'node:fs';
import { isAbsolute, relative } from 'node:path';
import type { ConfigObjects } from '../config/live.js';
import { str } from '../json.js';
import { selfSignedCertificate } from '../smtp/tls.js';
import { Coverage, type FieldCoverage, type PartLocator } from '../testing/coverage.js';
import { JsonSource } from '../testing/json-source.js';
import { junitXml, type JunitSuite } from '../testing/junit.js';
import { CaseRunner, type CaseResult } from '../testing/runner.js';
import { parseTestFile, TestFileError, type TestFile } from '../testing/test-file.js';
import { CommandError, readText, styles, useColor, type CommandArgs, type FlagValues, type Io } from './io.js';
import { memoryLookups, policySetup, type PolicySetup } from './policy-setup.js';
import { traceLines } from './trace-text.js';

type Styles = ReturnType<typeof styles>;

/** A configuration under test, its coverage, and where its file is. */
interface Covered {
  label: string;
  coverage: Coverage;
  file?: string;
}

/** The lines of a configuration file's blocks, for the coverage report. */
function locator(file: string): PartLocator {
  let source: JsonSource | null = null;
  try {
    source = new JsonSource(file, readText(file));
  } catch {
    return () => undefined;
  }
  const src = source;
  return (object, field, part) => {
    const tries: Array<Array<string | number>> =
      part.kind === 'else' ? [[object, field, 'else']] : [[object, field, 'match', part.condition - 1, part.kind], [object, field, 'match', String(part.condition - 1), part.kind]];
    for (const path of tries) if (src.has(path)) return src.locate(path).line;
    return undefined;
  };
}

/** A path as shown: relative to the working directory when it is inside it. */
function shownPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}

/** The failure lines of a case, as printed under it. */
function failureText(r: CaseResult, s: Styles): string[] {
  return [...r.failures.map((f) => `      ${s.red(f)}`), ...r.traces.flatMap((t) => traceLines(t, '        ').map((l) => s.dim(l)))];
}

const percent = (a: number, b: number): string => (b === 0 ? '100%' : `${Math.floor((a / b) * 1000) / 10}%`);

/** The coverage table of one configuration. */
export function coverageText(c: Covered, s: Styles): string {
  const t = c.coverage.totals();
  const fields = c.coverage.report();
  const out = [
    s.bold(`coverage of ${c.label}: ${t.branches.taken} of ${t.branches.total} branches taken (${percent(t.branches.taken, t.branches.total)}), ${t.outcomes.seen} of ${t.outcomes.total} condition outcomes seen (${percent(t.outcomes.seen, t.outcomes.total)})`),
  ];
  const nameWidth = Math.max(5, ...fields.map((f) => `${f.object}.${f.field}`.length));
  out.push(`  ${'field'.padEnd(nameWidth)}  evaluated  branches  conditions`);
  for (const f of fields) {
    const taken = f.branches.filter((b) => b.taken > 0).length;
    const seen = f.conditions.reduce((n, x) => n + (x.true > 0 ? 1 : 0) + (x.false > 0 ? 1 : 0), 0);
    const conds = f.conditions.length === 0 ? '' : `${seen}/${f.conditions.length * 2}`;
    const line = `  ${`${f.object}.${f.field}`.padEnd(nameWidth)}  ${String(f.evaluated).padStart(9)}  ${`${taken}/${f.branches.length}`.padStart(8)}  ${conds.padStart(10)}`;
    out.push(taken < f.branches.length || seen < f.conditions.length * 2 ? s.red(line.trimEnd()) : line.trimEnd());
  }
  const where = (f: FieldCoverage, line: number | undefined): string => (f.isDefault ? '(default)' : line !== undefined && c.file ? `${c.file}:${line}` : `(${c.label})`);
  const never = fields.flatMap((f) =>
    f.branches.filter((b) => b.taken === 0).map((b) => ({ at: where(f, b.line), line: f.isDefault ? undefined : b.line, name: `${f.object}.${f.field}`, what: `${b.branch}${b.source ? `  ${b.source}` : ''}` })),
  );
  const unseen = fields.flatMap((f) =>
    f.conditions.filter((x) => x.true === 0 || x.false === 0).map((x) => ({ at: where(f, x.line), line: f.isDefault ? undefined : x.line, name: `${f.object}.${f.field}`, what: `if #${x.condition} ${x.source}  never ${x.true === 0 && x.false === 0 ? 'evaluated' : x.true === 0 ? 'true' : 'false'}` })),
  );
  const list = (title: string, rows: Array<{ at: string; name: string; what: string; line?: number }>): void => {
    if (rows.length === 0) return;
    // By line in the file; the defaults, which have none, after.
    rows.sort((x, y) => (x.line ?? Infinity) - (y.line ?? Infinity));
    const a = Math.max(...rows.map((r) => r.at.length));
    const n = Math.max(...rows.map((r) => r.name.length));
    out.push(`  ${title}:`, ...rows.map((r) => `    ${r.at.padEnd(a)}  ${r.name.padEnd(n)}  ${r.what}`));
  };
  list('never taken', never);
  list('conditions not seen both ways', unseen);
  return out.join('\n') + '\n';
}

/** The coverage as JSON. */
function coverageJson(all: readonly Covered[]): unknown {
  return {
    configurations: all.map((c) => ({ configuration: c.label, ...(c.file ? { file: c.file } : {}), totals: c.coverage.totals(), fields: c.coverage.report() })),
  };
}

/** What a file's cases run on: the command line's configuration if it names one, else the file's. */
async function fileSetup(file: TestFile, values: FlagValues, io: Io, shared: Map<string, PolicySetup>): Promise<{ setup: PolicySetup; key: string; configFile?: string }> {
  const fromFlags = str(values.config) !== undefined || str(values.url) !== undefined;
  const configFile = fromFlags ? str(values.config) : file.config;
  const hostname = str(values.hostname) ?? file.hostname;
  const key = `${fromFlags ? 'flags' : (configFile ?? 'defaults')}\0${hostname ?? ''}`;
  let setup = shared.get(key);
  if (setup === undefined) {
    setup = await policySetup({ ...values, ...(hostname !== undefined ? { hostname } : {}) }, io, 'test', fromFlags ? undefined : configFile);
    shared.set(key, setup);
  }
  const env = { ...setup.env };
  if (str(values.lookups) === undefined && file.lookups !== undefined) env.lookups = memoryLookups(file.lookups, `${file.path}: lookups`);
  return { setup: { ...setup, env, users: [...setup.users, ...file.users] }, key, ...(configFile !== undefined ? { configFile } : {}) };
}

/** `mta-expr test`. */
export async function testCommand({ values, positionals, io }: CommandArgs): Promise<number> {
  const files: TestFile[] = [];
  for (const path of positionals) {
    try {
      files.push(parseTestFile(path, readText(path)));
    } catch (e) {
      if (e instanceof TestFileError) throw new CommandError(e.message);
      throw e;
    }
  }
  const setups = new Map<string, PolicySetup>();
  try {
    return await runFiles(files, setups, values, io);
  } finally {
    for (const setup of setups.values()) await setup.close();
  }
}

/** Runs the cases of the files, prints the results and writes the reports; the exit code. */
async function runFiles(files: readonly TestFile[], setups: Map<string, PolicySetup>, values: FlagValues, io: Io): Promise<number> {
  const s = styles(useColor(io, 'stdout'));
  const covered = new Map<ConfigObjects, Covered>();
  let certificate: Promise<{ key: string; cert: string }> | null = null;
  const suites: JunitSuite[] = [];
  let passed = 0;
  let failed = 0;
  for (const file of files) {
    const { setup, configFile } = await fileSetup(file, values, io, setups);
    let cov = covered.get(setup.objects);
    if (cov === undefined) {
      cov = { label: setup.description, coverage: new Coverage(setup.objects, configFile ? locator(configFile) : undefined), ...(configFile ? { file: shownPath(configFile) } : {}) };
      covered.set(setup.objects, cov);
    }
    const runner = new CaseRunner({
      objects: setup.objects,
      users: setup.users,
      env: setup.env,
      coverage: cov.coverage,
      tls: () => (certificate ??= setup.tls ? Promise.resolve(setup.tls) : selfSignedCertificate(str(values.hostname) ?? file.hostname ?? 'localhost')),
    });
    const suite: JunitSuite = { name: file.path, file: file.path, cases: [] };
    suites.push(suite);
    for (const c of file.cases) {
      const r = await runner.run(c);
      if (r.passed) passed++;
      else failed++;
      const label = `${file.path}:${r.line} › ${r.name}`;
      io.stdout.write(r.passed ? `${s.green('PASS')}  ${label}\n` : [`${s.red('FAIL')}  ${label}`, ...failureText(r, s)].join('\n') + '\n');
      suite.cases.push({ name: r.name, time: r.ms / 1000, ...(r.passed ? {} : { failure: r.failures.join('\n') }) });
    }
  }
  const total = passed + failed;
  const summary = `${passed} passed, ${failed} failed`;
  io.stdout.write(`\n${failed > 0 ? s.red(summary) : s.green(summary)} (${total} case${total === 1 ? '' : 's'} in ${files.length} file${files.length === 1 ? '' : 's'})\n`);
  if (values.coverage) for (const c of covered.values()) io.stdout.write('\n' + coverageText(c, s));
  const write = (flag: string, text: string): void => {
    const file = str(values[flag])!;
    try {
      writeFileSync(file, text);
    } catch (e) {
      throw new CommandError(`cannot write ${file}: ${(e as Error).message}`);
    }
  };
  if (str(values.junit) !== undefined) write('junit', junitXml(suites));
  if (str(values['coverage-json']) !== undefined) write('coverage-json', JSON.stringify(coverageJson([...covered.values()]), null, 2) + '\n');
  return failed > 0 ? 1 : 0;
}
