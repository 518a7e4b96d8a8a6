using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>
    /// The operations of one body that the analyzers' candidate searches look at — calls and creations, property reads,
    /// arguments, <c>fixed</c> and <c>stackalloc</c> (operations of kind None), <c>using</c> and <c>foreach</c> — listed
    /// by one walk of the body's operation tree and shared by every analyzer the driver hands the same tree
    /// (<see cref="Interop.InteropContext.OperationsOf"/>). Each search used to walk the whole body itself
    /// (Ownership's resource sites, EscapingPinnedPointer's pinning scopes, LastError's "a read after a native call");
    /// each now reads this list with the same switch: every kind its switch takes is kept here, in the order of
    /// <c>DescendantsAndSelf()</c>, so it sees the same operations in the same order and answers the same.
    /// </summary>
    internal sealed class BodyOperations
    {
        private BodyOperations(IOperation root, List<IOperation> candidates)
        {
            Root = root;
            Candidates = candidates;
        }

        /// <summary>The body's root operation (the driver's, shared by the analyzers of one compilation).</summary>
        public IOperation Root { get; }

        /// <summary>The root and its descendants of the kinds <see cref="IsCandidate"/> keeps, in preorder.</summary>
        public List<IOperation> Candidates { get; }

        /// <summary>One walk of <paramref name="root"/>'s tree: allocation-free recursion over the child lists, as <see cref="OperationTree.Any"/>.</summary>
        public static BodyOperations Walk(IOperation root)
        {
            var candidates = new List<IOperation>();
            Note(root, candidates);
            Below(root, candidates, 0);
            return new BodyOperations(root, candidates);
        }

        /// <summary>
        /// The kinds some search reads: an invocation or object creation (a native call, an allocation, a pin, a read of
        /// the last error), a property reference and an argument (resource sites), kind None (<c>fixed</c>,
        /// <c>stackalloc</c>), <c>using</c>, a using declaration and <c>foreach</c> (their hidden Dispose calls).
        /// </summary>
        public static bool IsCandidate(OperationKind kind)
            => kind is OperationKind.Invocation or OperationKind.ObjectCreation or OperationKind.PropertyReference or OperationKind.Argument
                    or OperationKind.None or OperationKind.Using or OperationKind.UsingDeclaration or OperationKind.Loop;

        private static void Note(IOperation operation, List<IOperation> candidates)
        {
            if (IsCandidate(operation.Kind))
            {
                candidates.Add(operation);
            }
        }

        private static void Below(IOperation parent, List<IOperation> candidates, int depth)
        {
            foreach (var child in parent.ChildOperations)
            {
                var kind = child.Kind;
                if (IsCandidate(kind))
                {
                    candidates.Add(child);
                }

                if (OperationTree.HasNoChildren(kind))
                {
                    continue;
                }

                if (depth < OperationTree.MaxRecursion)
                {
                    Below(child, candidates, depth + 1);
                }
                else
                {
                    foreach (var descendant in child.Descendants())
                    {
                        Note(descendant, candidates);
                    }
                }
            }
        }
    }
}
