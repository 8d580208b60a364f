/**
 * The settings page's branch picker on a repository with 5,000 branches: Bitbucket calls per search,
 * counted at the Bitbucket stand-in. Ours is the settings resolver's `searchBranches` (Bitbucket filters
 * and sorts server-side); the naive pickers list every branch and filter in the function, either a page
 * of 100 at a time or one branch per request.
 */
// First (through the harness): the platform wraps fetch and installs the SDK's seams before @forge/api loads.
import { ADMIN, openSession, REPO, WORKSPACE } from '../test/page/settings-harness';
import api, { route } from '@forge/api';
import { loadDefaultFixture } from '../local/bitbucket';
import type { BranchSearch, Result } from '../src/core/settings-api';
import { type BenchResult, percentile, round } from './report';

const BRANCHES = 5000;
const TOPICS = ['checkout', 'login', 'search', 'billing', 'payments'];
/** One exact ticket, one topic that 1,000 branches share, and text no branch has. */
const SEARCHES = ['DR-4242', 'checkout', 'no-such-branch'];
const NAIVE_PAGELEN = 100;

const branchName = (i: number): string => `feature/DR-${i}-${TOPICS[i % TOPICS.length]}`;

export async function branchPicker(): Promise<BenchResult> {
  const session = openSession();
  const { platform } = session;
  try {
    const head = platform.bitbucket.branchHead(REPO, 'main');
    if (!head) throw new Error('the stand-in fixture has no main branch');
    const existing = Object.keys(loadDefaultFixture().repositories.find((r) => r.uuid === REPO)?.branches ?? {}).length;
    for (let i = existing; i < BRANCHES; i++) platform.bitbucket.setBranch(REPO, branchName(i), head);

    /** Runs one search and gives the calls it made at the stand-in, its time, and the names it found. */
    const measure = async (search: () => Promise<string[]>) => {
      platform.bitbucket.clearCalls();
      const start = performance.now();
      const names = await search();
      const ms = performance.now() - start;
      const calls = platform.bitbucket.calls;
      return { names, ms, listing: calls.filter((c) => c.path.includes('/refs/branches')).length, total: calls.length };
    };

    const search = session.invokeAs(ADMIN);
    const ours = async (text: string) => {
      const result = (await search('searchBranches', { text })) as Result<BranchSearch>;
      if (!result.ok) throw new Error(`searchBranches refused "${text}": ${result.error.message}`);
      return result.data.branches.map((b) => b.name);
    };

    /** Every branch, page by page, as a picker that filters in the function would have to fetch them. */
    const naive = (text: string, pagelen: number) =>
      platform.run(async () => {
        const names: string[] = [];
        for (let page = 1; ; page++) {
          const response = await api
            .asApp()
            .requestBitbucket(route`/2.0/repositories/${WORKSPACE}/${REPO}/refs/branches?pagelen=${String(pagelen)}&page=${String(page)}`);
          if (!response.ok) throw new Error(`listing branches answered ${response.status}`);
          const body = (await response.json()) as { values: { name: string }[]; next?: string };
          names.push(...body.values.map((b) => b.name).filter((name) => name.toLowerCase().includes(text.toLowerCase())));
          if (!body.next) return names;
        }
      });

    const oursRuns = [];
    const pagedRuns = [];
    for (const text of SEARCHES) {
      const o = await measure(() => ours(text));
      const p = await measure(() => naive(text, NAIVE_PAGELEN));
      // Same question, same answer: ours shows the newest matches, all of them among the naive list.
      const missing = o.names.filter((name) => !p.names.includes(name));
      if (missing.length > 0) throw new Error(`"${text}": ours found ${missing.join(', ')}, which listing every branch did not`);
      oursRuns.push(o);
      pagedRuns.push(p);
    }
    // One branch per request costs the same whatever the text: one search shows it.
    const single = await measure(() => naive(SEARCHES[0] as string, 1));
    if (single.listing !== BRANCHES) throw new Error(`one branch per request made ${single.listing} calls for ${BRANCHES} branches`);

    const perSearch = (runs: { listing: number }[]) => round(runs.reduce((sum, r) => sum + r.listing, 0) / runs.length);
    const ms = (runs: { ms: number }[]) =>
      round(
        percentile(
          runs.map((r) => r.ms),
          50,
        ),
        1,
      );
    const oursCalls = perSearch(oursRuns);
    const withCheck = round(oursRuns.reduce((sum, r) => sum + r.total, 0) / oursRuns.length);
    return {
      name: 'branch-picker',
      title: `Branch picker: Bitbucket calls per search in a repository with ${BRANCHES} branches (searches: ${SEARCHES.join(', ')})`,
      columns: ['picker', 'branch-list calls per search', 'all Bitbucket calls per search', 'ms per search (p50)'],
      rows: [
        ['ours: searchBranches resolver (q=name ~ "…", sort=-target.date)', oursCalls, withCheck, ms(oursRuns)],
        [`naive: list every branch, pagelen ${NAIVE_PAGELEN}, filter here`, perSearch(pagedRuns), perSearch(pagedRuns), ms(pagedRuns)],
        ['naive: one branch per request, filter here', single.listing, single.listing, round(single.ms, 1)],
      ],
      notes: [
        'Counted at the Bitbucket stand-in. Ours also makes the admin check every resolver makes (asUser permissions); the naive pickers run as bare app code here, so they are shown without it.',
        'The milliseconds are the local stand-in answering in-process; on Forge each call is a round trip through the Forge proxy to Bitbucket.',
      ],
      figures: {
        branch_search_calls_ours: oursCalls,
        branch_search_calls_ours_with_admin_check: withCheck,
        branch_search_calls_naive: perSearch(pagedRuns),
        branch_search_calls_one_per_request: single.listing,
      },
    };
  } finally {
    await platform.close();
  }
}
