using System.Threading;

namespace InteropGuard.Flow
{
    /// <summary>
    /// How much work a release-on-all-paths solve may do before it gives up (block visits, proportional to the size
    /// of the graph), and, for tests, a count of the transfer steps done. A solve that runs out of budget answers
    /// "gave up", which rules read as silence: a partial result never produces a finding.
    /// </summary>
    internal sealed class FlowBudget
    {
        /// <summary>The budget the analyzers use: no counting.</summary>
        public static readonly FlowBudget Default = new FlowBudget(visitsPerBlock: 64, count: false);

        private readonly bool _count;
        private long _transfers;
        private long _guaranteed;

        public FlowBudget(int visitsPerBlock, bool count, bool fullSolves = false, bool readTreeReleases = true)
        {
            VisitsPerBlock = visitsPerBlock;
            _count = count;
            FullSolves = fullSolves;
            ReadTreeReleases = readTreeReleases;
        }

        /// <summary>
        /// Whether sites the operation tree shows released (<see cref="GuaranteedReleases"/>) skip their solve. For tests:
        /// false solves them too, as the reference the shortcut must agree with.
        /// </summary>
        public bool ReadTreeReleases { get; }

        /// <summary>Sites whose solve the operation tree made unnecessary, when counting.</summary>
        public long GuaranteedSites => Interlocked.Read(ref _guaranteed);

        /// <summary>For tests: solve every site from the graph's entry, as a reference for the sparse solves.</summary>
        public bool FullSolves { get; }

        /// <summary>Block visits allowed to one solve, per block of the graph it runs on.</summary>
        public int VisitsPerBlock { get; }

        /// <summary>Transfer steps (one per operation or branch value a solve steps over), when counting.</summary>
        public long Transfers => Interlocked.Read(ref _transfers);

        public int VisitLimit(int blocks) => VisitsPerBlock * (blocks < 16 ? 16 : blocks);

        public void CountGuaranteedSite()
        {
            if (_count)
            {
                Interlocked.Increment(ref _guaranteed);
            }
        }

        public void CountTransfer()
        {
            if (_count)
            {
                Interlocked.Increment(ref _transfers);
            }
        }
    }
}
