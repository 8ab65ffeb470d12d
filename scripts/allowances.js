#!/usr/bin/env node
/**
 * Which `/allow <resource>` lines of a pull request count, for `ase review --allowances`.
 *
 * A blocker (a change that loses state or cannot be applied) is accepted only by someone who can
 * merge and did not write the change:
 *   - the line is in the body of an APPROVED review (a comment, a review that requests changes and
 *     the pull request's description do not count);
 *   - on the pull request's current head commit (a push after the approval needs a new one);
 *   - the reviewer's latest review that decides (approve, request changes, dismissed) is that
 *     approval: a later request for changes, or a dismissal, withdraws it; comments do not;
 *   - the reviewer is not the pull request's author, and not a bot;
 *   - the reviewer's role on the repository is write, maintain or admin.
 * Everything else is reported as ignored, with the reason, so the job log says why a line did not
 * count.
 *
 * Used two ways: `require('./scripts/allowances.js').selectAllowances(...)` from the workflow's
 * actions/github-script step, or on the command line with files that `gh api` wrote:
 *
 *   node scripts/allowances.js --reviews reviews.json --permissions permissions.json \
 *     --author <login> --head-sha <sha> [--description-file body.txt]
 *
 * reviews.json: `gh api --paginate repos/OWNER/REPO/pulls/N/reviews` (an array, or arrays one
 * after another as --paginate writes them); permissions.json: `{ "<login>": "<permission>" }` with
 * the `permission` of `gh api repos/OWNER/REPO/collaborators/<login>/permission` (admin, write,
 * read or none: GitHub reports maintain, and custom roles based on write, as write; triage as read).
 * A `role_name` (maintain, triage, …) is accepted too.
 * Prints the allowances as JSON (`[{ "resource": "…", "by": "<login>" }]`) on stdout and each
 * ignored line on stderr. Exit 0, or 2 for bad input.
 */
'use strict';

const MERGE_ROLES = new Set(['admin', 'maintain', 'write']);
const DECIDING = new Set(['APPROVED', 'CHANGES_REQUESTED', 'DISMISSED']);

/** The resources named by `/allow <resource>` lines of a text (a backquoted resource is unquoted). */
function allowLines(body) {
  const out = [];
  for (const line of String(body ?? '').split(/\r?\n/)) {
    const m = /^\s*\/allow\s+(\S+)/.exec(line);
    if (m) out.push(m[1].replace(/^`(.*)`$/, '$1'));
  }
  return out;
}

const lower = (s) => String(s ?? '').toLowerCase();

/**
 * The allowances that count, and the `/allow` lines that do not (with why).
 * @param {{ reviews: object[], author: string, headSha?: string, permissions: Record<string, string>, description?: string }} input
 * @returns {{ allowances: { resource: string, by: string }[], ignored: { resource: string, by: string, reason: string }[] }}
 */
function selectAllowances({ reviews, author, headSha, permissions, description }) {
  const ordered = [...reviews].sort((a, b) => String(a.submitted_at ?? '').localeCompare(String(b.submitted_at ?? '')) || (a.id ?? 0) - (b.id ?? 0));
  const role = new Map(Object.entries(permissions ?? {}).map(([login, r]) => [lower(login), lower(r)]));
  const latest = new Map();
  for (const r of ordered) if (r.user && DECIDING.has(r.state)) latest.set(lower(r.user.login), r);

  const allowances = new Map();
  const ignored = [];
  for (const resource of allowLines(description)) ignored.push({ resource, by: author, reason: "in the pull request's description: only an approving review by someone other than the author counts" });
  for (const r of ordered) {
    const resources = allowLines(r.body);
    if (resources.length === 0) continue;
    const login = r.user?.login ?? '(unknown)';
    const why = (() => {
      if (!r.user) return 'the review has no author';
      if (r.state !== 'APPROVED') return `in a review that does not approve (${String(r.state).toLowerCase().replace(/_/g, ' ')})`;
      if (r.user.type === 'Bot') return 'a bot cannot allow';
      if (lower(login) === lower(author)) return 'the author of the pull request cannot allow their own change';
      if (latest.get(lower(login)) !== r && latest.get(lower(login))?.state !== 'APPROVED') return `withdrawn: ${login}'s latest review ${latest.get(lower(login)).state === 'DISMISSED' ? 'was dismissed' : 'requests changes'}`;
      if (headSha !== undefined && r.commit_id !== headSha) return `approves an earlier commit (${String(r.commit_id).slice(0, 7)}), not the head (${headSha.slice(0, 7)})`;
      if (!MERGE_ROLES.has(role.get(lower(login)) ?? 'none')) return `${login} has the role '${role.get(lower(login)) ?? 'none'}' on the repository, not write, maintain or admin`;
      return undefined;
    })();
    for (const resource of resources) {
      if (why) ignored.push({ resource, by: login, reason: why });
      else allowances.set(`${resource}\u0000${lower(login)}`, { resource, by: login });
    }
  }
  const sorted = [...allowances.values()].sort((a, b) => a.resource.localeCompare(b.resource) || lower(a.by).localeCompare(lower(b.by)));
  return { allowances: sorted, ignored };
}

/** `gh api --paginate` writes one JSON array per page, back to back: read them all. */
function parsePages(text) {
  const trimmed = text.trim();
  if (trimmed === '') return [];
  try {
    const one = JSON.parse(trimmed);
    return Array.isArray(one) ? one : [one];
  } catch {
    return JSON.parse(`[${trimmed.replace(/\]\s*\[/g, '],[')}]`).flat();
  }
}

function main(argv, io = { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) }) {
  const { readFileSync } = require('node:fs');
  const { parseArgs } = require('node:util');
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: { reviews: { type: 'string' }, permissions: { type: 'string' }, author: { type: 'string' }, 'head-sha': { type: 'string' }, 'description-file': { type: 'string' } },
    }));
  } catch (e) {
    io.stderr(`allowances: ${e.message}\n`);
    return 2;
  }
  const missing = ['reviews', 'permissions', 'author'].filter((k) => values[k] === undefined);
  if (missing.length > 0) {
    io.stderr(`allowances: missing ${missing.map((k) => `--${k}`).join(', ')}\n`);
    return 2;
  }
  const read = (flag, file, parse) => {
    try {
      return parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new Error(`--${flag} ${file}: ${e.code ?? e.message}`);
    }
  };
  let result;
  try {
    result = selectAllowances({
      reviews: read('reviews', values.reviews, parsePages),
      permissions: read('permissions', values.permissions, JSON.parse),
      author: values.author,
      headSha: values['head-sha'],
      description: values['description-file'] === undefined ? undefined : read('description-file', values['description-file'], (t) => t),
    });
  } catch (e) {
    io.stderr(`allowances: ${e.message}\n`);
    return 2;
  }
  io.stdout(`${JSON.stringify(result.allowances)}\n`);
  for (const i of result.ignored) io.stderr(`ignored /allow ${i.resource} from @${i.by}: ${i.reason}\n`);
  return 0;
}

module.exports = { selectAllowances, allowLines, parsePages, main };

if (require.main === module) process.exitCode = main(process.argv.slice(2));
