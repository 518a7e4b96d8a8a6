using Microsoft.CodeAnalysis;

namespace InteropGuard.Interop
{
    /// <summary>
    /// A tree's <see cref="InteropScope"/>, looked up the first time it is asked for: a reading of every body that needs
    /// the scope only at a rare shape (IG1001's walk, at a call that hands an owned handle over) pays no lookup for the
    /// bodies that never reach it — four in five on a binding. A mutable struct held in a local or a field of the walk
    /// and passed by reference, so that the first lookup is kept for the rest of the body; it allocates nothing.
    /// </summary>
    internal struct TreeScopeOnAsk
    {
        private readonly InteropContext? _interop;
        private readonly SyntaxTree? _tree;
        private InteropScope? _scope;

        public TreeScopeOnAsk(InteropContext interop, SyntaxTree tree)
        {
            _interop = interop;
            _tree = tree;
            _scope = null;
        }

        /// <summary>One already looked up (the graph's pass over a body whose scope the walk found).</summary>
        public TreeScopeOnAsk(InteropScope scope)
        {
            _interop = null;
            _tree = null;
            _scope = scope;
        }

        /// <summary>The scope if it was asked for already; null otherwise.</summary>
        public InteropScope? IfAsked => _scope;

        /// <summary>The tree's scope (<see cref="InteropContext.ForTree"/>), looked up on the first ask.</summary>
        public InteropScope Get() => _scope ??= _interop!.ForTree(_tree!);
    }
}
