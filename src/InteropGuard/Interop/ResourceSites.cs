using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Interop
{
    /// <summary>An operation that hands out a resource the method then owns, and what kind of resource it is.</summary>
    internal sealed class ResourceSite
    {
        public ResourceSite(IOperation operation, Allocator allocator)
        {
            Operation = operation;
            Allocator = allocator;
        }

        /// <summary>A call, a <c>new</c> of a SafeHandle, or the <c>out</c> argument a native call fills with one.</summary>
        public IOperation Operation { get; }

        public Allocator Allocator { get; }
    }

    /// <summary>Where resources come from: catalogued calls, SafeHandle creations and SafeHandle out arguments of native calls.</summary>
    internal static class ResourceSites
    {
        public static bool IsSite(IOperation operation, AllocationCatalogue catalogue) => Classify(operation, catalogue, NoReleases) != null;

        /// <summary>Does the body <paramref name="root"/> (an operation tree, not a graph) hand out any tracked resource?</summary>
        public static bool AnyIn(IOperation root, AllocationCatalogue catalogue) => AllIn(root, catalogue).Any();

        /// <summary>The sites of an operation tree (a body with its lambdas and local functions).</summary>
        public static IEnumerable<ResourceSite> AllIn(IOperation root, AllocationCatalogue catalogue)
        {
            // Asked of every body the ownership gates let through: one walk keeps only the operations Classify can read
            // as sites (calls, creations, ref/out arguments, property reads) and notes the released locals on the way,
            // instead of listing every operation of the body and walking that list twice.
            List<IOperation>? candidates = null;
            Dictionary<ILocalSymbol, (Deallocator, IMethodSymbol)>? released = null;
            foreach (var operation in root.Descendants())
            {
                switch (operation)
                {
                    case IInvocationOperation call:
                        NoteRelease(call, catalogue, ref released);
                        break;
                    case IObjectCreationOperation:
                    case IPropertyReferenceOperation:
                    case IArgumentOperation { Parameter.RefKind: RefKind.Out or RefKind.Ref, Parent: IInvocationOperation }:
                        break;
                    case IArgumentOperation { Parameter.RefKind: RefKind.None, Parent: IInvocationOperation filler } when catalogue.RecordFillerOf(filler.TargetMethod) != null:
                        break;
                    default:
                        continue;
                }

                (candidates ??= new List<IOperation>()).Add(operation);
            }

            if (candidates == null)
            {
                yield break;
            }

            foreach (var operation in candidates)
            {
                if (Classify(operation, catalogue, released ?? NoReleases) is { } allocator)
                {
                    yield return new ResourceSite(operation, allocator);
                }
            }
        }

        public static IEnumerable<ResourceSite> In(ControlFlowGraph graph, AllocationCatalogue catalogue)
        {
            // One walk of the graph's operations (each block's, its branch value last) keeps the kinds Classify can read as
            // sites and notes the released locals, instead of copying every operation into a list and walking it twice.
            var candidates = new List<IOperation>();
            Dictionary<ILocalSymbol, (Deallocator, IMethodSymbol)>? released = null;
            foreach (var block in graph.Blocks)
            {
                foreach (var operation in block.Operations)
                {
                    CollectCandidates(operation, catalogue, candidates, ref released);
                }

                if (block.BranchValue != null)
                {
                    CollectCandidates(block.BranchValue, catalogue, candidates, ref released);
                }
            }

            foreach (var operation in candidates)
            {
                if (Classify(operation, catalogue, released ?? NoReleases) is { } allocator)
                {
                    yield return new ResourceSite(operation, allocator);
                }
            }
        }

        private static void CollectCandidates(IOperation top, AllocationCatalogue catalogue, List<IOperation> candidates, ref Dictionary<ILocalSymbol, (Deallocator, IMethodSymbol)>? released)
        {
            foreach (var operation in top.DescendantsAndSelf())
            {
                switch (operation)
                {
                    case IInvocationOperation call:
                        NoteRelease(call, catalogue, ref released);
                        break;
                    case IObjectCreationOperation:
                    case IPropertyReferenceOperation:
                    case IArgumentOperation:
                        break;
                    default:
                        continue;
                }

                candidates.Add(operation);
            }
        }

        private static readonly IReadOnlyDictionary<ILocalSymbol, (Deallocator, IMethodSymbol)> NoReleases = new Dictionary<ILocalSymbol, (Deallocator, IMethodSymbol)>(SymbolEqualityComparer.Default);

        /// <summary>
        /// Notes a local the body passes to a known release (<c>Marshal.FreeCoTaskMem(pidl)</c>) on some path: a method
        /// that releases a native function's out value itself owns it (<see cref="AllocationCatalogue.ForOutAllocation"/>).
        /// </summary>
        private static void NoteRelease(IInvocationOperation call, AllocationCatalogue catalogue, ref Dictionary<ILocalSymbol, (Deallocator, IMethodSymbol)>? released)
        {
            if (catalogue.TryGetDeallocator(call.TargetMethod, out var release)
                && call.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == release.PointerParameter) is { } argument
                && OperationTree.SkipConversions(argument.Value) is ILocalReferenceOperation local)
            {
                released ??= new Dictionary<ILocalSymbol, (Deallocator, IMethodSymbol)>(SymbolEqualityComparer.Default);
                released[local.Local] = (release, call.TargetMethod);
            }
        }

        /// <summary>
        /// The record a filler is given is one the method allocated itself and lends only to native code: a local every
        /// assignment of which is a catalogued allocation (<c>program = Marshal.AllocHGlobal(..)</c>) or zero, read nowhere but as an
        /// argument of a native function or a release, or in a test against zero. A record from elsewhere (a field, a
        /// parameter, a copy handed to managed code) may have its contents released by whoever else holds it.
        /// </summary>
        private static bool IsOwnedRecord(IArgumentOperation argument, AllocationCatalogue catalogue)
        {
            if (OperationTree.SkipConversions(argument.Value) is not ILocalReferenceOperation { Local: { IsRef: false } local }
                || (argument.SemanticModel ?? catalogue.ModelOf(argument.Syntax.SyntaxTree)) is not { } model
                || local.DeclaringSyntaxReferences.Length != 1
                || local.DeclaringSyntaxReferences[0].GetSyntax().FirstAncestorOrSelf<SyntaxNode>(IsBody) is not { } body
                || model.GetOperation(body) is not { } root)
            {
                return false;
            }

            foreach (var operation in root.Descendants())
            {
                switch (operation)
                {
                    case IVariableDeclaratorOperation declarator when SymbolEqualityComparer.Default.Equals(declarator.Symbol, local):
                        if (declarator.Initializer is { } initializer && !IsAllocation(initializer.Value, catalogue))
                        {
                            return false;
                        }

                        break;
                    case ILocalReferenceOperation reference when SymbolEqualityComparer.Default.Equals(reference.Local, local):
                        var user = OperationTree.WithEveryConversion(reference).Parent;
                        var lent = user switch
                        {
                            ISimpleAssignmentOperation assignment when assignment.Target == reference => IsAllocation(assignment.Value, catalogue),
                            IArgumentOperation { Parameter.RefKind: RefKind.None, Parent: IInvocationOperation call } => catalogue.IsNativeFunction(call.TargetMethod) || catalogue.TryGetDeallocator(call.TargetMethod, out _),
                            IBinaryOperation { OperatorKind: BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals } => true,
                            _ => false,
                        };
                        if (!lent)
                        {
                            return false;
                        }

                        break;
                }
            }

            return true;
        }

        private static bool IsBody(SyntaxNode node)
            => node is BaseMethodDeclarationSyntax or AccessorDeclarationSyntax
                or LocalFunctionStatementSyntax or AnonymousFunctionExpressionSyntax;

        /// <summary>A catalogued allocation, or zero (<c>IntPtr program = IntPtr.Zero;</c> before the allocation).</summary>
        private static bool IsAllocation(IOperation value, AllocationCatalogue catalogue)
            => HandleOwners.IsZero(value) || (OperationTree.SkipConversions(value) is IInvocationOperation allocation && catalogue.TryGetAllocator(allocation.TargetMethod, out _));

        private static ILocalSymbol? OutLocal(IOperation value) => value switch
        {
            ILocalReferenceOperation local => local.Local,
            IDeclarationExpressionOperation { Expression: ILocalReferenceOperation declared } => declared.Local,
            _ => null,
        };

        private static bool IsWritten(IPropertyReferenceOperation property)
            => property.Parent is IAssignmentOperation assignment && assignment.Target == property
               || property.Parent is IIncrementOrDecrementOperation
               || property.Parent is IArgumentOperation { Parameter.RefKind: not RefKind.None };

        private static Allocator? Classify(IOperation operation, AllocationCatalogue catalogue, IReadOnlyDictionary<ILocalSymbol, (Deallocator, IMethodSymbol)> released)
        {
            switch (operation)
            {
                case IArgumentOperation { Parameter: { RefKind: RefKind.Out } parameter, Parent: IInvocationOperation call } outArgument when released.Count > 0
                    && OutLocal(outArgument.Value) is { } outLocal && released.TryGetValue(outLocal, out var release):
                    return catalogue.ForOutHandle(call.TargetMethod, parameter) ?? catalogue.ForCataloguedOut(call.TargetMethod, parameter)
                           ?? catalogue.ForOutAllocation(call.TargetMethod, parameter, release.Item1, release.Item2);
                case IInvocationOperation invocation:
                    return catalogue.TryGetAllocator(invocation.TargetMethod, out var allocator) && !catalogue.IsDeliberateRoot(invocation)
                           && !(allocator.Kind == ResourceKind.SafeHandle && catalogue.MakesView(invocation))
                           && !catalogue.CommitsIntoReservation(invocation, allocator)
                        ? allocator
                        : null;
                case IObjectCreationOperation creation:
                    return catalogue.ForHandedOutHandle(creation);
                case IArgumentOperation { Parameter: { } parameter, Parent: IInvocationOperation call } argument:
                    return catalogue.ForOutHandle(call.TargetMethod, parameter) ?? catalogue.ForCataloguedOut(call.TargetMethod, parameter)
                           ?? (catalogue.ForFilledRecord(call.TargetMethod, parameter) is { } filled && IsOwnedRecord(argument, catalogue) ? filled : null);
                case IPropertyReferenceOperation { Property.GetMethod: { } getter, Arguments.IsEmpty: true } property when !IsWritten(property):
                    // A property whose getter returns a fresh allocation (a 'Gch' returning GCHandle.Alloc(this, Pinned)).
                    return catalogue.TryGetAllocator(getter, out var returned) ? returned : null;
                default:
                    return null;
            }
        }
    }
}
