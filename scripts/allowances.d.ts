/** Types of scripts/allowances.js (plain JavaScript, so the workflow can require it without a build). */

/** One review as the GitHub REST API returns it (the fields read). */
export interface PullRequestReview {
  readonly id?: number;
  readonly user?: { readonly login: string; readonly type?: string } | null;
  readonly state: string;
  readonly body?: string | null;
  readonly commit_id?: string;
  readonly submitted_at?: string;
}

/** An accepted blocker and who accepted it. */
export interface Allowance {
  readonly resource: string;
  readonly by: string;
}

/** A `/allow` line that did not count, and why. */
export interface IgnoredAllowance extends Allowance {
  readonly reason: string;
}

export function selectAllowances(input: {
  readonly reviews: readonly PullRequestReview[];
  readonly author: string;
  readonly headSha?: string;
  readonly permissions: Readonly<Record<string, string>>;
  readonly description?: string;
}): { allowances: Allowance[]; ignored: IgnoredAllowance[] };

export function allowLines(body: string | null | undefined): string[];
export function parsePages(text: string): unknown[];
export function main(argv: readonly string[], io?: { stdout: (s: string) => void; stderr: (s: string) => void }): number;
