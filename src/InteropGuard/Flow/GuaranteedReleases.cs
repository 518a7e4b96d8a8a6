using System.Collections.Generic;
using System.Linq;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>
    /// The textbook release, read from the operation tree without a control-flow graph:
    /// <code>
    /// var p = Allocate(...);
    /// try { ...p only read... }
    /// finally { Release(p); ... }
    /// </code>
    /// The try statement follows the declaration directly, the release is the first thing its finally does and matches
    /// the allocator, and every other reference to <c>p</c> is a plain read or a hand-over inside the try block. Whatever path
    /// leaves the try block — a return, a break, an exception — runs the release, and nothing reads <c>p</c> after
    /// it: the path solve of <see cref="ReleaseOnAllPaths"/> can only answer "released, nothing wrong" for such a
    /// site. Most allocations in real bindings are written this way, so the ownership analysis asks this first and
    /// builds the body's graph only for the sites it cannot vouch for.
    /// </summary>
    internal static class GuaranteedReleases
    {
        /// <summary>Does the path solve of <paramref name="site"/> have nothing to find, as the operation tree shows?</summary>
        public static bool NeedsNoSolve(ResourceSite site, IOperation root, ValueUses uses, AllocationCatalogue catalogue, IMethodSymbol? dispose)
            => IsHandedOnAtOnce(site, uses)
               || IsReleasedByFollowingFinally(site, root, uses)
               || IsAssignedInTryAndReleasedByItsFinally(site, root, uses)
               || IsDisposedByUsing(site, root, uses, catalogue, dispose);

        /// <summary>
        /// A site whose value goes straight to a field, a return or a release (<c>_handle = Open();</c>,
        /// <c>return Marshal.AllocHGlobal(n);</c>, <c>Create(out _context);</c>): the method never holds it, so the
        /// solve starts and ends with "handed on". Only shapes the control-flow graph keeps as they are written: no
        /// conditional, coalesce or conditional access between the site and its statement.
        /// </summary>
        public static bool IsHandedOnAtOnce(ResourceSite site, ValueUses uses)
        {
            if (site.Allocator.Kind == ResourceKind.SafeHandleReference || !IsPlainStatementPart(site.Operation))
            {
                return false;
            }

            var use = site.Operation is IArgumentOperation outArgument
                ? outArgument.Value is IFieldReferenceOperation or IPropertyReferenceOperation
                    ? uses.ClassifyStore(outArgument.Value, outArgument)
                    : default
                : uses.Classify(site.Operation);
            return use.Site != null && (use.Kind == ValueUseKind.Escape || use.Kind == ValueUseKind.Release);
        }

        /// <summary>Is <paramref name="site"/> released by the finally of the try statement right after its declaration?</summary>
        public static bool IsReleasedByFollowingFinally(ResourceSite site, IOperation root, ValueUses uses)
        {
            if (site.Operation is not IInvocationOperation
                || site.Allocator.ReallocatedParameter >= 0
                || site.Allocator.Kind == ResourceKind.SafeHandleReference
                || site.Operation.Parent is not IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator }
                || declarator.Symbol.IsRef
                || declarator.Parent is not IVariableDeclarationOperation { Declarators.Length: 1, Parent: IVariableDeclarationGroupOperation { Declarations.Length: 1 } group }
                || group.Parent is not IBlockOperation block)
            {
                return false;
            }

            var index = block.Operations.IndexOf(group);
            if (index < 0
                || index + 1 >= block.Operations.Length
                || block.Operations[index + 1] is not ITryOperation { Finally: { Operations.Length: > 0 } @finally, Catches.Length: 0 } @try)
            {
                return false;
            }

            return IsHeldOnlyForTheTry(site, root, uses, declarator.Symbol, @try, assignment: null);
        }

        /// <summary>
        /// The same guarantee when the local is declared with a constant before the try statement and assigned as a
        /// statement of its block (<c>IntPtr p = IntPtr.Zero; try { p = Allocate(...); ... } finally { Release(p); }</c>):
        /// before the assignment the finally releases the constant, which no path owns. The declaration and the try
        /// statement share a block, so a loop around them declares the local afresh before each try.
        /// </summary>
        public static bool IsAssignedInTryAndReleasedByItsFinally(ResourceSite site, IOperation root, ValueUses uses)
        {
            if (site.Operation is not IInvocationOperation
                || site.Allocator.ReallocatedParameter >= 0
                || site.Allocator.Kind == ResourceKind.SafeHandleReference
                || site.Operation.Parent is not ISimpleAssignmentOperation { Target: ILocalReferenceOperation target, Parent: IExpressionStatementOperation statement } assignment
                || assignment.Value != site.Operation
                || target.Local.IsRef
                || statement.Parent is not IBlockOperation { Parent: ITryOperation { Finally: { Operations.Length: > 0 }, Catches.Length: 0 } @try } tryBody
                || @try.Body != tryBody
                || @try.Parent is not IBlockOperation block)
            {
                return false;
            }

            var declarator = root.Descendants().OfType<IVariableDeclaratorOperation>().FirstOrDefault(d => SymbolEqualityComparer.Default.Equals(d.Symbol, target.Local));
            if (declarator?.Initializer == null
                || !IsNothing(OperationTree.SkipConversions(declarator.Initializer.Value))
                || declarator.Parent is not IVariableDeclarationOperation { Parent: IVariableDeclarationGroupOperation group }
                || group.Parent != block
                || block.Operations.IndexOf(group) > block.Operations.IndexOf(@try))
            {
                return false;
            }

            return IsHeldOnlyForTheTry(site, root, uses, target.Local, @try, assignment);
        }

        /// <summary>A constant (<c>null</c>, <c>0</c>), <c>default</c>, or <c>IntPtr.Zero</c>: a value no path owns.</summary>
        private static bool IsNothing(IOperation value)
            => value.ConstantValue.HasValue
               || value is IDefaultValueOperation
               || (value is IFieldReferenceOperation { Field: { IsStatic: true, Name: "Zero" } field }
                   && field.ContainingType.SpecialType is SpecialType.System_IntPtr or SpecialType.System_UIntPtr);

        /// <summary>
        /// Every reference to <paramref name="local"/> is the release that opens the finally of <paramref name="try"/>,
        /// a read in its block after the statement of <paramref name="assignment"/> (anywhere in it when null), or the
        /// target of that assignment of the site.
        /// </summary>
        private static bool IsHeldOnlyForTheTry(ResourceSite site, IOperation root, ValueUses uses, ILocalSymbol local, ITryOperation @try, ISimpleAssignmentOperation? assignment)
        {
            var release = @try.Finally!.Operations[0];
            var firstIndex = assignment == null ? 0 : @try.Body.Operations.IndexOf(assignment.Parent!) + 1;
            var released = false;
            foreach (var reference in OperationTree.ReferencesTo(root, local))
            {
                if (OperationTree.IsInNestedFunction(reference, root))
                {
                    return false;
                }

                if (assignment != null && reference == assignment.Target)
                {
                    continue;
                }

                var use = uses.Classify(reference);
                if (OperationTree.IsWithin(reference, release))
                {
                    // The release statement is exactly one release of this value, by a deallocator of its family.
                    if (released
                        || use.Kind != ValueUseKind.Release
                        || use.Site.Parent != release
                        || use.Release is not { } deallocator
                        || deallocator.Family != site.Allocator.Family
                        || (site.Allocator.RequiresZeroing && !deallocator.Zeroing))
                    {
                        return false;
                    }

                    released = true;
                    continue;
                }

                // Elsewhere only reads and hand-overs inside the try block: no copy, second release or overwrite. A hand-over
                // (GCHandle.ToIntPtr(h) given to native code as user data, a store in a field) settles the value for the
                // solve; the finally's release then finds nothing owed and nothing released, so the solve reports nothing
                // either way (GuaranteedReleasesTests compares the two on such shapes).
                if (!InStatements(reference, @try.Body, firstIndex)
                    || (use.Kind != ValueUseKind.Use && use.Kind != ValueUseKind.Inspect && use.Kind != ValueUseKind.Escape)
                    || IsWritten(reference))
                {
                    return false;
                }
            }

            return released;
        }

        /// <summary>
        /// <c>using var h = Open();</c> or <c>using (var h = Open()) { ... }</c> of a handle whose <c>Dispose</c> is its
        /// release: disposed on every path out of the scope, and every reference is a read inside it.
        /// </summary>
        public static bool IsDisposedByUsing(ResourceSite site, IOperation root, ValueUses uses, AllocationCatalogue catalogue, IMethodSymbol? dispose)
        {
            if (dispose == null
                || site.Operation is not (IInvocationOperation or IObjectCreationOperation)
                || site.Allocator.Kind == ResourceKind.SafeHandleReference
                || site.Operation.Parent is not IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator }
                || declarator.Symbol.IsRef
                || declarator.Parent is not IVariableDeclarationOperation { Declarators.Length: 1, Parent: IVariableDeclarationGroupOperation { Declarations.Length: 1 } group }
                || !(group.Parent is IUsingDeclarationOperation { IsAsynchronous: false, Parent: IBlockOperation }
                     || group.Parent is IUsingOperation { IsAsynchronous: false } statement && statement.Resources == group)
                || !catalogue.TryGetReceiverRelease(dispose, declarator.Symbol.Type, out var deallocator)
                || deallocator.Family != site.Allocator.Family)
            {
                return false;
            }

            foreach (var reference in OperationTree.ReferencesTo(root, declarator.Symbol))
            {
                var use = uses.Classify(reference);
                if (OperationTree.IsInNestedFunction(reference, root)
                    || (use.Kind != ValueUseKind.Use && use.Kind != ValueUseKind.Inspect)
                    || IsWritten(reference))
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>Between the operation and its statement only calls, arguments and compiler conversions.</summary>
        private static bool IsPlainStatementPart(IOperation operation)
        {
            for (var current = operation.Parent; current != null; current = current.Parent)
            {
                switch (current)
                {
                    case IExpressionStatementOperation:
                    case IReturnOperation:
                        return true;
                    case IArgumentOperation:
                    case IInvocationOperation:
                    case ISimpleAssignmentOperation:
                    case IConversionOperation { OperatorMethod: null }:
                        continue;
                    default:
                        return false;
                }
            }

            return false;
        }

        private static bool InStatements(IOperation operation, IBlockOperation block, int firstIndex)
        {
            for (var i = firstIndex; i < block.Operations.Length; i++)
            {
                if (OperationTree.IsWithin(operation, block.Operations[i]))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>An assignment, increment, <c>ref</c>/<c>out</c> argument or address-of that may change what the local holds.</summary>
        private static bool IsWritten(ILocalReferenceOperation reference)
        {
            var parent = reference.Parent;
            return parent switch
            {
                IAssignmentOperation assignment => assignment.Target == reference,
                IIncrementOrDecrementOperation => true,
                IArgumentOperation argument => argument.Parameter?.RefKind is RefKind.Ref or RefKind.Out,
                IAddressOfOperation => true,
                _ => reference.IsImplicit,
            };
        }
    }
}
