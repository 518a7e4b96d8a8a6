using Microsoft.CodeAnalysis;

namespace InteropGuard.Flow
{
    internal enum LeakKind
    {
        /// <summary>Still owned when a <c>return</c> with a value leaves the method.</summary>
        Return,

        /// <summary>Still owned when the method ends or returns without a value.</summary>
        MethodEnd,

        /// <summary>Still owned when a <c>return</c> without a value leaves the method early.</summary>
        EarlyReturn,

        /// <summary>The last variable holding it is overwritten.</summary>
        Overwrite,

        /// <summary>The same allocation runs again (next loop iteration) while the previous block is still owned.</summary>
        NextIteration,

        /// <summary>An exception thrown by a <c>throw</c> statement leaves the method.</summary>
        Throw,

        /// <summary>A call or creation that may throw does so and the exception leaves the method.</summary>
        MayThrow,

        /// <summary>The result is never stored: discarded or only passed to a call that does not take ownership.</summary>
        Discarded,
    }

    /// <summary>One path on which a tracked value is neither released nor handed on.</summary>
    internal sealed class LeakPath
    {
        public LeakPath(LeakKind kind, SyntaxNode? site, string? variable = null)
        {
            Kind = kind;
            Site = site;
            Variable = variable;
        }

        public LeakKind Kind { get; }

        /// <summary>The syntax the path is named after (the return, the throwing call, the overwrite).</summary>
        public SyntaxNode? Site { get; }

        public string? Variable { get; }

        /// <summary>Lower is reported first: a certain leak on a normal path beats one that needs an exception.</summary>
        public int Priority => Kind switch
        {
            LeakKind.Discarded => 0,
            LeakKind.Return => 1,
            LeakKind.EarlyReturn => 1,
            LeakKind.NextIteration => 2,
            LeakKind.MethodEnd => 3,
            LeakKind.Overwrite => 3,
            LeakKind.Throw => 4,
            _ => 5,
        };
    }
}
