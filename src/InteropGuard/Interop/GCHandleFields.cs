using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Interop
{
    /// <summary>
    /// A GCHandle field that its class fills from <c>GCHandle.Alloc</c> and that nothing ever frees: the handle (and,
    /// for a Normal or Pinned handle, its object — the instance itself for <c>GCHandle.Alloc(this)</c>, whose finalizer
    /// then never runs) lives as long as the process.
    /// </summary>
    internal sealed class NeverFreedHandleField
    {
        public NeverFreedHandleField(IFieldSymbol field, ImmutableArray<IInvocationOperation> allocations, IMethodSymbol? dispose)
        {
            Field = field;
            Allocations = allocations;
            Dispose = dispose;
        }

        public IFieldSymbol Field { get; }

        /// <summary>The <c>GCHandle.Alloc</c> calls stored into the field, in source order.</summary>
        public ImmutableArray<IInvocationOperation> Allocations { get; }

        /// <summary>The type's own <c>Dispose(bool)</c> or <c>Dispose()</c>, where the release belongs; null when it has none.</summary>
        public IMethodSymbol? Dispose { get; }
    }

    /// <summary>
    /// Per-type summary of GCHandle fields: which are assigned from <c>GCHandle.Alloc</c> and whether any code that can
    /// reach the field frees it. One instance per compilation; each type is read once, when the driver visits it.
    /// </summary>
    /// <remarks>
    /// Only a private instance field of a class is judged: nothing outside the class (and its nested types) can free it,
    /// so reading the class's own syntax is the whole story. The reading stays silent whenever the handle goes where it
    /// cannot follow: copied, returned, passed by value or by reference to any method (a copy of a GCHandle frees the same
    /// slot), or its <c>ToIntPtr</c> value stored or returned — or given to a call while some code of the compilation frees
    /// a handle it recovers with <c>GCHandle.FromIntPtr</c> (the usual "native code hands the user data back to a
    /// callback that frees it").
    /// </remarks>
    internal sealed class GCHandleFields
    {
        private readonly Compilation _compilation;
        private readonly INamedTypeSymbol _gcHandle;
        private readonly Lazy<bool> _freesRecoveredHandles;

        private GCHandleFields(Compilation compilation, INamedTypeSymbol gcHandle)
        {
            _compilation = compilation;
            _gcHandle = gcHandle;
            _freesRecoveredHandles = new Lazy<bool>(FindFreesOfRecoveredHandles, LazyThreadSafetyMode.ExecutionAndPublication);
        }

        public static GCHandleFields? For(Compilation compilation, WellKnownTypes types)
            => types.GCHandle == null ? null : new GCHandleFields(compilation, types.GCHandle);

        /// <summary>The private GCHandle fields of <paramref name="type"/> that are allocated and never freed.</summary>
        public ImmutableArray<NeverFreedHandleField> NeverFreed(INamedTypeSymbol type, CancellationToken cancellationToken)
        {
            if (type.TypeKind != TypeKind.Class)
            {
                return ImmutableArray<NeverFreedHandleField>.Empty;
            }

            List<IFieldSymbol>? fields = null;
            foreach (var member in type.GetMembers())
            {
                if (member is IFieldSymbol { IsStatic: false, IsImplicitlyDeclared: false, DeclaredAccessibility: Accessibility.Private } field
                    && SymbolEqualityComparer.Default.Equals(field.Type, _gcHandle))
                {
                    (fields ??= new List<IFieldSymbol>()).Add(field);
                }
            }

            if (fields == null)
            {
                return ImmutableArray<NeverFreedHandleField>.Empty;
            }

            var found = ImmutableArray.CreateBuilder<NeverFreedHandleField>();
            foreach (var field in fields)
            {
                if (Read(type, field, cancellationToken) is { } allocations)
                {
                    found.Add(new NeverFreedHandleField(field, allocations, DisposeOf(type)));
                }
            }

            return found.ToImmutable();
        }

        /// <summary>The allocations stored into <paramref name="field"/> when it is never freed and never escapes; otherwise null.</summary>
        private ImmutableArray<IInvocationOperation>? Read(INamedTypeSymbol type, IFieldSymbol field, CancellationToken cancellationToken)
        {
            var allocations = ImmutableArray.CreateBuilder<IInvocationOperation>();
            var lentAsUserData = false;
            foreach (var fieldReference in FieldReferencesInType.Of(_compilation, field, type, cancellationToken))
            {
                switch (Classify(fieldReference))
                {
                    case FieldUse.Allocated:
                        allocations.Add((IInvocationOperation)OperationTree.SkipConversions(((ISimpleAssignmentOperation)fieldReference.Parent!).Value));
                        break;
                    case FieldUse.Read:
                        break;
                    case FieldUse.LentAsUserData:
                        lentAsUserData = true;
                        break;
                    default:
                        // Freed, or gone where this reading cannot follow.
                        return null;
                }
            }

            if (allocations.Count == 0 || (lentAsUserData && _freesRecoveredHandles.Value))
            {
                return null;
            }

            return allocations.ToImmutable();
        }

        private enum FieldUse
        {
            Read,
            Allocated,
            LentAsUserData,
            FreedOrEscapes,
        }

        private FieldUse Classify(IFieldReferenceOperation reference)
        {
            var parent = reference.Parent;
            switch (parent)
            {
                case ISimpleAssignmentOperation assignment when assignment.Target == reference:
                    // A new value: an allocation, or a reset (default, a copy of another handle) that frees nothing.
                    return OperationTree.SkipConversions(assignment.Value) is IInvocationOperation { TargetMethod: { Name: "Alloc", IsStatic: true } alloc }
                           && SymbolEqualityComparer.Default.Equals(alloc.ContainingType, _gcHandle)
                        ? FieldUse.Allocated
                        : IsReset(assignment.Value) ? FieldUse.Read : FieldUse.FreedOrEscapes;
                case IInvocationOperation call when call.Instance == reference:
                    // h.Free() frees; AddrOfPinnedObject, Equals, GetHashCode only read.
                    return call.TargetMethod.Name == "Free" ? FieldUse.FreedOrEscapes : FieldUse.Read;
                case IPropertyReferenceOperation property when property.Instance == reference:
                    // IsAllocated, Target: reads (setting Target frees nothing either).
                    return FieldUse.Read;
                case IArgumentOperation { Parent: IInvocationOperation { TargetMethod: { Name: "ToIntPtr", IsStatic: true } toIntPtr } call }
                    when SymbolEqualityComparer.Default.Equals(toIntPtr.ContainingType, _gcHandle):
                    return ClassifyAddress(call);
                case IConversionOperation { OperatorMethod: { } } conversion when conversion.Type?.SpecialType == SpecialType.System_IntPtr:
                    return ClassifyAddress(conversion);
                case IBinaryOperation:
                    // h == other, h != default: a comparison.
                    return FieldUse.Read;
                case INameOfOperation:
                    return FieldUse.Read;
                default:
                    // Copied, returned, passed to a method (by value a copy frees the same slot; by ref the callee may free it).
                    return FieldUse.FreedOrEscapes;
            }
        }

        /// <summary>The handle's address (<c>ToIntPtr</c>): given to a call, it is user data; stored or returned, it is out of sight.</summary>
        private static FieldUse ClassifyAddress(IOperation address)
        {
            var current = address;
            while (current.Parent is IConversionOperation)
            {
                current = current.Parent;
            }

            return current.Parent is IArgumentOperation { Parent: IInvocationOperation or IObjectCreationOperation or IFunctionPointerInvocationOperation }
                ? FieldUse.LentAsUserData
                : FieldUse.FreedOrEscapes;
        }

        private static bool IsReset(IOperation value)
            => OperationTree.SkipConversions(value) is IDefaultValueOperation or IObjectCreationOperation { Arguments.Length: 0 };

        /// <summary>The type's own <c>Dispose(bool)</c>, else its <c>Dispose()</c>: where releasing the field belongs.</summary>
        private static IMethodSymbol? DisposeOf(INamedTypeSymbol type)
        {
            IMethodSymbol? parameterless = null;
            foreach (var method in type.GetMembers("Dispose").OfType<IMethodSymbol>())
            {
                if (method.IsStatic || method.IsAbstract || method.DeclaringSyntaxReferences.Length == 0)
                {
                    continue;
                }

                if (method.Parameters.Length == 1 && method.Parameters[0].Type.SpecialType == SpecialType.System_Boolean)
                {
                    return method;
                }

                if (method.Parameters.Length == 0)
                {
                    parameterless = method;
                }
            }

            return parameterless;
        }

        /// <summary>
        /// Does some code of the compilation free a handle it recovered from an address (<c>GCHandle.FromIntPtr(p).Free()</c>,
        /// or a member that calls both)? Read from syntax, once, and only in trees that name <c>FromIntPtr</c>: a yes only
        /// makes the rule silent.
        /// </summary>
        private bool FindFreesOfRecoveredHandles()
        {
            foreach (var tree in _compilation.SyntaxTrees)
            {
                if (tree.GetText().ToString().IndexOf("FromIntPtr", StringComparison.Ordinal) < 0)
                {
                    continue;
                }

                var root = tree.GetRoot();

                foreach (var member in root.DescendantNodes().OfType<MemberDeclarationSyntax>())
                {
                    if (member is BaseTypeDeclarationSyntax || member is BaseNamespaceDeclarationSyntax)
                    {
                        continue;
                    }

                    var recovers = false;
                    var frees = false;
                    foreach (var call in member.DescendantNodes().OfType<InvocationExpressionSyntax>())
                    {
                        var name = AllocationCandidates.InvokedName(call.Expression);
                        recovers |= name == "FromIntPtr";
                        frees |= name == "Free";
                    }

                    if (recovers && frees)
                    {
                        return true;
                    }
                }
            }

            return false;
        }
    }
}
