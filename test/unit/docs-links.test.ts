/**
 * The README and docs/ stand alone: every relative link leads to a file of this repository (never outside it), and
 * every #anchor to a heading of the page it names.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const pages = ['README.md', 'bench/README.md', ...(readdirSync(join(root, 'docs'), { recursive: true }) as string[])
  .filter((f) => f.endsWith('.md')).map((f) => join('docs', f))];

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
}

function anchorsOf(page: string): Set<string> {
  const text = readFileSync(page, 'utf8').replace(/```[\s\S]*?```/g, '');
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1] ?? '')));
}

/** The targets of a page's Markdown links, outside code blocks. */
function linksOf(page: string): string[] {
  const text = readFileSync(page, 'utf8').replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1] ?? '');
}

test('every relative link of the README and docs/ leads into this repository, to a file and heading that exist', () => {
  const broken: string[] = [];
  for (const page of pages) {
    for (const link of linksOf(join(root, page))) {
      if (/^[a-z]+:/i.test(link)) continue; // https:, mailto:
      const [path = '', anchor] = link.split('#');
      const target = path === '' ? join(root, page) : resolve(dirname(join(root, page)), path);
      if (relative(root, target).startsWith('..')) broken.push(`${page}: ${link} leads outside the repository`);
      else if (!existsSync(target)) broken.push(`${page}: ${link}: no such file`);
      else if (anchor && target.endsWith('.md') && !anchorsOf(target).has(anchor)) broken.push(`${page}: ${link}: no such heading`);
    }
  }
  assert.deepEqual(broken, []);
});

test('the link check sees a link that leaves the repository', () => {
  assert.ok(pages.length >= 8, `README, bench/README and docs/: ${pages.join(', ')}`);
  assert.equal(relative(root, resolve(join(root, 'docs'), '../../shared/DESIGN.md')).startsWith('..'), true);
  assert.equal(slug('1. Build and push the image'), '1-build-and-push-the-image');
});
