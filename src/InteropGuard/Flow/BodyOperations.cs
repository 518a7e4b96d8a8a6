using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>
    /// The operations of one body that the analyzers' candidate searches look at — calls and creations, property reads,
    /// arguments, assignments, <c>fixed</c> and <c>stackalloc</c> (operations of kind None), <c>using</c> and
    /// <c>foreach</c> — and whether it holds a lambda, a local function or a goto, found by one walk of the body's
    /// operation tree and shared by every analyzer the driver hands the same tree
    /// (<see cref="Interop.InteropContext.OperationsOf"/>). Each search used to walk the whole body itself (IG1001's
    /// calls that hand raw handles to native code, Ownership's resource sites, EscapingPinnedPointer's pinning scopes,
    /// LastError's "a read after a native call"); each now reads this list with the same switch: every kind its switch
    /// takes is kept here, in the order of <c>DescendantsAndSelf()</c>, so it sees the same operations in the same order
    /// and answers the same.
    /// </summary>
    internal sealed class BodyOperations
    {
        private BodyOperations(IOperation root, List<IOperation> candidates, bool hasFunctions, bool hasGoto)
        {
            Root = root;
            Candidates = candidates;
            HasFunctions = hasFunctions;
            HasGoto = hasGoto;
        }

        /// <summary>The body's root operation (the driver's, shared by the analyzers of one compilation).</summary>
        public IOperation Root { get; }

        /// <summary>The root and its descendants of the kinds <see cref="IsCandidate"/> keeps, in preorder.</summary>
        public List<IOperation> Candidates { get; }

        /// <summary>Does the body hold a lambda or local function (which may capture a variable)?</summary>
        public bool HasFunctions { get; }

        /// <summary>Does the body hold a goto (which may bring control back before an operation)?</summary>
        public bool HasGoto { get; }

        /// <summary>One walk of <paramref name="root"/>'s tree: allocation-free recursion over the child lists, as <see cref="OperationTree.Any"/>.</summary>
        public static BodyOperations Walk(IOperation root)
        {
            var walk = new Walker { Candidates = new List<IOperation>() };
            walk.Note(root);
            walk.Below(root, 0);
            return new BodyOperations(root, walk.Candidates, walk.HasFunctions, walk.HasGoto);
        }

        /// <summary>
        /// The kinds some search reads: an invocation or object creation (a native call, an allocation, a pin, a read of
        /// the last error), a property reference and an argument (resource sites), an assignment (the fields a body
        /// assigns), kind None (<c>fixed</c>, <c>stackalloc</c>), <c>using</c>, a using declaration and <c>foreach</c>
        /// (their hidden Dispose calls).
        /// </summary>
        public static bool IsCandidate(OperationKind kind)
            => kind is OperationKind.Invocation or OperationKind.ObjectCreation or OperationKind.PropertyReference or OperationKind.Argument
                    or OperationKind.SimpleAssignment or OperationKind.None or OperationKind.Using or OperationKind.UsingDeclaration or OperationKind.Loop;

        // The walk's state on the stack of Walk: it allocates nothing but the list.
        private struct Walker
        {
            public List<IOperation> Candidates;
            public bool HasFunctions;
            public bool HasGoto;

            public void Note(IOperation operation) => Note(operation, operation.Kind);

            private void Note(IOperation operation, OperationKind kind)
            {
                if (IsCandidate(kind))
                {
                    Candidates.Add(operation);
                }
                else if (kind is OperationKind.AnonymousFunction or OperationKind.LocalFunction)
                {
                    HasFunctions = true;
                }
                else if (kind == OperationKind.Branch && operation is IBranchOperation { BranchKind: BranchKind.GoTo })
                {
                    HasGoto = true;
                }
            }

            public void Below(IOperation parent, int depth)
            {
                foreach (var child in parent.ChildOperations)
                {
                    var kind = child.Kind;
                    Note(child, kind);
                    if (OperationTree.HasNoChildren(kind))
                    {
                        continue;
                    }

                    if (depth < OperationTree.MaxRecursion)
                    {
                        Below(child, depth + 1);
                    }
                    else
                    {
                        foreach (var descendant in child.Descendants())
                        {
                            Note(descendant);
                        }
                    }
                }
            }
        }
    }
}
