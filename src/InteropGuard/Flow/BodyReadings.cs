using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace InteropGuard.Flow
{
    /// <summary>
    /// The readings of a body with handle calls that its owners ask for, each a walk of the whole body made on the first
    /// ask (most owners need none of them) and kept for the body: the tree's verdicts, asked a second time when the first
    /// pass gives up on a spilled argument, and the graph's answer share them. One object with its two delegates, where
    /// the body made a closure and two delegates, each pass of the verdicts another closure and two delegates, and each
    /// pass read the locals' values again.
    /// </summary>
    internal sealed class BodyReadings
    {
        private readonly IOperation _root;
        private readonly bool _hasFunctions;
        private HashSet<ISymbol>? _captured;
        private Dictionary<ILocalSymbol, IOperation>? _origins;
        private Dictionary<ILocalSymbol, List<IOperation>>? _stored;

        public BodyReadings(IOperation root, bool hasFunctions)
        {
            _root = root;
            _hasFunctions = hasFunctions;
            Origin = OriginOf;
            Stored = StoredIn;
        }

        /// <summary>
        /// Whether an owner search of the current verdict pass read a local's value or the handles stored in a local
        /// array (the tree then leaves the body to the graph): reset by each pass.
        /// </summary>
        public bool ThroughLocals { get; set; }

        /// <summary>The single value a local of the body is assigned (<see cref="LocalOrigins.In(IOperation)"/>); sets <see cref="ThroughLocals"/>.</summary>
        public Func<ILocalSymbol, IOperation?> Origin { get; }

        /// <summary>
        /// The raw handles stored into a local array's elements (<see cref="StoredHandles.In"/>); sets <see cref="ThroughLocals"/>,
        /// which the graph's answer, asked after the verdict passes, does not read.
        /// </summary>
        public Func<ILocalSymbol, IEnumerable<IOperation>> Stored { get; }

        /// <summary>The locals and parameters a lambda or local function of the body captures.</summary>
        public HashSet<ISymbol> Captured => _captured ??= _hasFunctions ? CapturedVariables.In(_root) : new HashSet<ISymbol>(SymbolEqualityComparer.Default);

        /// <summary>
        /// The single value a local of the body is assigned (<see cref="LocalOrigins.In(IOperation)"/>), for a reading
        /// asked after the verdict passes: it does not set <see cref="ThroughLocals"/>.
        /// </summary>
        public IOperation? SingleValue(ILocalSymbol local)
            => (_origins ??= LocalOrigins.In(_root)).TryGetValue(local, out var value) ? value : null;

        private IOperation? OriginOf(ILocalSymbol local)
        {
            ThroughLocals = true;
            return SingleValue(local);
        }

        private IEnumerable<IOperation> StoredIn(ILocalSymbol local)
        {
            ThroughLocals = true;
            return (_stored ??= StoredHandles.In(_root)).TryGetValue(local, out var handles) ? handles : Enumerable.Empty<IOperation>();
        }
    }
}
