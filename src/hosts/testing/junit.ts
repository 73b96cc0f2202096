/**
 * JUnit XML (the form CI systems read: Jenkins, GitLab, GitHub's test reporters): one
 * testsuite per test file, one testcase per case, a failure element with what differs.
 * A handful of elements: written here with XML 1.0 escaping (characters XML cannot hold
 * are replaced), rather than with a builder library and its dependencies.
 */

export interface JunitCase {
  name: string;
  /** Seconds. */
  time: number;
  failure?: string;
}

export interface JunitSuite {
  name: string;
  file: string;
  cases: JunitCase[];
}

/** Text for XML 1.0: markup characters escaped, characters it cannot hold replaced by U+FFFD. */
export function xmlText(s: string): string {
  return s
    .replace(/[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

const seconds = (t: number): string => t.toFixed(3);

export function junitXml(suites: readonly JunitSuite[]): string {
  const count = (pick: (c: JunitCase) => boolean): number => suites.reduce((n, s) => n + s.cases.filter(pick).length, 0);
  const time = suites.reduce((t, s) => t + s.cases.reduce((u, c) => u + c.time, 0), 0);
  const out = ['<?xml version="1.0" encoding="UTF-8"?>', `<testsuites name="mta-expr test" tests="${count(() => true)}" failures="${count((c) => c.failure !== undefined)}" errors="0" time="${seconds(time)}">`];
  for (const s of suites) {
    const failures = s.cases.filter((c) => c.failure !== undefined).length;
    out.push(`  <testsuite name="${xmlText(s.name)}" file="${xmlText(s.file)}" tests="${s.cases.length}" failures="${failures}" errors="0" skipped="0" time="${seconds(s.cases.reduce((t, c) => t + c.time, 0))}">`);
    for (const c of s.cases) {
      const head = `    <testcase name="${xmlText(c.name)}" classname="${xmlText(s.name)}" file="${xmlText(s.file)}" time="${seconds(c.time)}"`;
      if (c.failure === undefined) out.push(`${head}/>`);
      else {
        const first = c.failure.split('\n')[0]!;
        out.push(`${head}>`, `      <failure message="${xmlText(first)}" type="policy">${xmlText(c.failure)}</failure>`, '    </testcase>');
      }
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>', '');
  return out.join('\n');
}
