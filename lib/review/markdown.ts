/**
 * Fitting a review into one GitHub comment. A comment holds at most 65,536 characters; the review
 * is a list of blocks, some optional (diffs in `<details>`) and some with table rows that can be
 * cut. Everything fits as is, or optional blocks are left out (earliest kept first), or rows are
 * cut; the comment always ends by saying what it left out.
 */

/** GitHub's limit on an issue or pull-request comment body, in characters. */
export const GITHUB_COMMENT_LIMIT = 65_536;

/** The first line of every review: how a CI job finds its earlier comment to update it. */
export const COMMENT_MARKER = '<!-- ase-review -->';

export interface Block {
  readonly text: string;
  /** What the block shows, when it may be left out (e.g. 'the attribute diff of …'). */
  readonly optional?: string;
  /** Table rows after `text`, which may be cut from the end. */
  readonly rows?: readonly string[];
  readonly rowsLabel?: string;
}

const NAMED = 8;

function footer(left: readonly string[], limit: number): string {
  if (left.length === 0) return '';
  const named = left.slice(0, NAMED).join('; ');
  const more = left.length > NAMED ? `; and ${left.length - NAMED} more sections` : '';
  return `\n---\n_Left out to stay under the ${limit.toLocaleString('en')}-character comment limit: ${named}${more}. The full review is the command's output with no limit (\`--limit 0\`)._\n`;
}

const render = (b: Block, rows?: number) => {
  const all = b.rows ?? [];
  const kept = rows === undefined ? all : all.slice(0, rows);
  const cut = all.length - kept.length;
  const tail = cut > 0 ? [`| … | ${cut} more left out | |`] : [];
  return [b.text.replace(/\n$/, ''), ...kept, ...tail].join('\n') + '\n';
};

const join = (parts: readonly string[]) => parts.join('\n');

/** The blocks as one Markdown document of at most `limit` characters (0: no limit). */
export function fitComment(blocks: readonly Block[], limit: number): string {
  const full = join(blocks.map((b) => render(b)));
  if (limit <= 0 || full.length <= limit) return full;

  // keep every required block whole; add optional ones in order while they fit
  const required = blocks.filter((b) => b.optional === undefined);
  const requiredSize = join(required.map((b) => render(b))).length;
  const optionalLabels = blocks.filter((b) => b.optional !== undefined).map((b) => b.optional!);
  const reserve = footer(optionalLabels, limit).length + 1;
  if (requiredSize + reserve <= limit) {
    let size = requiredSize;
    const left: string[] = [];
    const kept = blocks.filter((b) => {
      if (b.optional === undefined) return true;
      const len = render(b).length + 1;
      if (size + len + reserve <= limit) {
        size += len;
        return true;
      }
      left.push(b.optional);
      return false;
    });
    return join(kept.map((b) => render(b))) + footer(left, limit);
  }

  // even the tables are too long: cut each table to the same number of rows
  const left = [...optionalLabels];
  const cutRows = (k: number) => join(required.map((b) => render(b, k)));
  const tables = required.filter((b) => (b.rows?.length ?? 0) > 0);
  const worstFooter = footer([...left, ...tables.map((b) => `rows of ${b.rowsLabel ?? 'a table'}`)], limit);
  let lo = 0;
  let hi = Math.max(0, ...tables.map((b) => b.rows!.length));
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (cutRows(mid).length + worstFooter.length <= limit) lo = mid;
    else hi = mid - 1;
  }
  const cuts = tables.filter((b) => b.rows!.length > lo).map((b) => `${b.rows!.length - lo} rows of ${b.rowsLabel ?? 'a table'}`);
  const text = cutRows(lo) + footer([...cuts, ...left], limit);
  // a document of required text alone beyond the limit: cut hard, and say so
  return text.length <= limit ? text : `${text.slice(0, limit - 200)}\n\n_…cut at the ${limit.toLocaleString('en')}-character comment limit._\n`;
}
