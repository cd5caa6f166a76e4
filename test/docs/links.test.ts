// Every relative link in README.md and docs/*.md points at a file that exists and, when it names a section, at a
// heading that exists (GitHub's anchors), so that moving a section cannot leave a dead link behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';

const ROOT = new URL('../..', import.meta.url).pathname;
const pages = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** GitHub's anchor for a heading: lower case, punctuation dropped (hyphens kept), spaces to hyphens. */
function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\- _]/gu, '')
    .replace(/ /g, '-');
}

function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    const heading = !fenced && /^#{1,6}\s+(.*)$/.exec(line);
    if (heading) anchors.add(anchorOf(heading[1] ?? ''));
  }
  return anchors;
}

function linksOf(markdown: string): string[] {
  const withoutCode = markdown.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
  return [...withoutCode.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1] as string).filter((href) => !/^[a-z]+:/i.test(href));
}

test('GitHub anchors', () => {
  assert.equal(anchorOf('Keep your SDK: `resilientFetch`'), 'keep-your-sdk-resilientfetch');
  assert.equal(anchorOf('`--fix OUT`'), '--fix-out');
  assert.equal(anchorOf("Where Together's checks disagree, and what tether does"), 'where-togethers-checks-disagree-and-what-tether-does');
});

for (const page of pages) {
  test(`links in ${page} resolve`, () => {
    const broken: string[] = [];
    const text = readFileSync(join(ROOT, page), 'utf8');
    for (const href of linksOf(text)) {
      const [path = '', anchor] = href.split('#');
      const target = path === '' ? join(ROOT, page) : normalize(join(ROOT, dirname(page), path));
      if (!existsSync(target)) {
        broken.push(`${href}: no such file`);
        continue;
      }
      if (anchor !== undefined && target.endsWith('.md') && !anchorsOf(readFileSync(target, 'utf8')).has(anchor)) {
        broken.push(`${href}: no heading with that anchor`);
      }
    }
    assert.deepEqual(broken, []);
  });
}
