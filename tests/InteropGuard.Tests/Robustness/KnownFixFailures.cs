using System;
using System.Collections.Generic;
using System.Linq;

namespace InteropGuard.Tests.Robustness
{
    /// <summary>A fix that fails a well-formed input today, and why it is not fixed yet.</summary>
    public sealed record KnownFixFailure(string Source, string DiagnosticId, string EquivalenceKey, string Reason);

    /// <summary>
    /// Fixes the well-formed check knows to fail. Each entry is still run: one that starts passing fails the suite so
    /// it is taken off the list.
    /// </summary>
    public static class KnownFixFailures
    {
        public static readonly IReadOnlyList<KnownFixFailure> All = new KnownFixFailure[]
        {
        };

        public static KnownFixFailure? Find(string source, string id, string? key) =>
            All.FirstOrDefault(f => f.Source == source && f.DiagnosticId == id && f.EquivalenceKey == key);
    }
}
