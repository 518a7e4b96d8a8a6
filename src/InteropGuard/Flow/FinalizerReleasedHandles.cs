using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>A class that keeps a raw native handle, releases it from its finalizer and hands it out to other code.</summary>
    internal sealed class FinalizerReleasedHandle
    {
        public FinalizerReleasedHandle(INamedTypeSymbol type, ISymbol handle, string release, ISymbol exposedThrough)
        {
            Type = type;
            Handle = handle;
            Release = release;
            ExposedThrough = exposedThrough;
        }

        /// <summary>The class that declares the handle and the finalizer.</summary>
        public INamedTypeSymbol Type { get; }

        /// <summary>The raw handle: a field, or an auto-property.</summary>
        public ISymbol Handle { get; }

        /// <summary>The native function the finalizer releases it with, as messages name it.</summary>
        public string Release { get; }

        /// <summary>The non-private member other code reads the handle through (the handle member itself, or a getter returning it).</summary>
        public ISymbol ExposedThrough { get; }
    }

    /// <summary>
    /// The design behind IG1001 at scale (IG3008): a class keeps a raw <c>IntPtr</c> handle, its finalizer (directly, or
    /// through the methods of the class it calls, such as <c>Dispose(false)</c>) passes it to a native release function,
    /// and a non-private member hands it out. Every native call made with the handed-out value needs the object kept
    /// alive; a SafeHandle passed to the P/Invokes instead protects them all. Computed once per class and cached.
    /// </summary>
    internal sealed class FinalizerReleasedHandles
    {
        /// <summary>How many calls deep the finalizer is followed into the class's own methods (<c>~T() => Dispose(false)</c> is one).</summary>
        private const int MaxDepth = 2;

        private readonly InteropContext _interop;
        private readonly HandleOwners _owners;
        private readonly ConcurrentDictionary<INamedTypeSymbol, FinalizerReleasedHandle?> _declared = ConcurrentTables.Create<INamedTypeSymbol, FinalizerReleasedHandle?>(SymbolEqualityComparer.Default);

        private readonly ConcurrentDictionary<INamedTypeSymbol, FinalizerReleasedHandle?> _inChain = ConcurrentTables.Create<INamedTypeSymbol, FinalizerReleasedHandle?>(SymbolEqualityComparer.Default);
        private readonly System.Func<INamedTypeSymbol, FinalizerReleasedHandle?> _findInChain;

        public FinalizerReleasedHandles(InteropContext interop, HandleOwners owners)
        {
            _interop = interop;
            _owners = owners;
            _findInChain = FindInChain;
        }

        /// <summary>
        /// The design the handle of <paramref name="owner"/> belongs to: the owner's class or a base declares it, and the
        /// handle read is that design's handle (the member itself, or a getter returning it); null otherwise.
        /// </summary>
        public FinalizerReleasedHandle? Of(HandleOwner owner)
            => owner.Owner.Type is INamedTypeSymbol type && DeclaredInChain(type) is { } found && Reads(owner.Handle, found) ? found : null;

        /// <summary>
        /// The design the nearest class of <paramref name="type"/>'s chain that declares one declares, or null. Asked for
        /// every finding, of a few owner types: kept per type, where listing each class's finalizers again allocated.
        /// </summary>
        private FinalizerReleasedHandle? DeclaredInChain(INamedTypeSymbol type)
            => _inChain.TryGetValue(type, out var known) ? known : _inChain.GetOrAdd(type, _findInChain);

        private FinalizerReleasedHandle? FindInChain(INamedTypeSymbol type)
        {
            for (var current = type; current != null && current.SpecialType != SpecialType.System_Object; current = current.BaseType)
            {
                if (Declared(current) is { } found)
                {
                    return found;
                }
            }

            return null;
        }

        private bool Reads(IOperation read, FinalizerReleasedHandle design)
        {
            var member = read switch
            {
                IFieldReferenceOperation reference => (ISymbol)reference.Field.OriginalDefinition,
                IPropertyReferenceOperation reference => reference.Property.OriginalDefinition,
                _ => null,
            };
            return member != null
                   && (SymbolEqualityComparer.Default.Equals(member, design.Handle) || SymbolEqualityComparer.Default.Equals(member, design.ExposedThrough)
                       || (member is IPropertySymbol getter && design.Handle is IFieldSymbol field && SymbolEqualityComparer.Default.Equals(_owners.ReturnedField(getter), field)));
        }

        /// <summary>The design as <paramref name="type"/> itself declares it, or null.</summary>
        public FinalizerReleasedHandle? Declared(INamedTypeSymbol type)
        {
            type = type.OriginalDefinition;
            if (type.TypeKind != TypeKind.Class || type.DeclaringSyntaxReferences.IsEmpty || _interop.Types.IsHandleWrapper(type)
                || Finalizers.DeclaredBy(type) == null)
            {
                return null;
            }

            return _declared.GetOrAdd(type, Compute);
        }

        private FinalizerReleasedHandle? Compute(INamedTypeSymbol type)
        {
            var finalizer = Finalizers.DeclaredBy(type)!;
            var released = new Dictionary<ISymbol, string>(SymbolEqualityComparer.Default);
            var visited = new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default);
            CollectReleases(type, finalizer, 0, visited, released, DisposingFlags.None);

            // Declaration order, so the answer does not depend on which analysis asked first.
            foreach (var handle in type.GetMembers().Where(m => released.ContainsKey(m)))
            {
                if (ExposedThrough(type, handle) is { } exposed)
                {
                    return new FinalizerReleasedHandle(type, handle, released[handle], exposed);
                }
            }

            return null;
        }

        /// <summary>Raw handle members of <paramref name="type"/> that <paramref name="method"/> passes to a native call, with that call's function.</summary>
        private void CollectReleases(INamedTypeSymbol type, IMethodSymbol method, int depth, HashSet<IMethodSymbol> visited, Dictionary<ISymbol, string> released,
                                     IReadOnlyDictionary<IParameterSymbol, bool> flags)
        {
            if (depth > MaxDepth || !visited.Add(method.OriginalDefinition) || _interop.Wrappers.GetBody(method) is not { } body)
            {
                return;
            }

            var scope = _interop.ForTree(body.Syntax.SyntaxTree);
            foreach (var call in body.Descendants().OfType<IInvocationOperation>())
            {
                if (OperationTree.IsInNestedFunction(call, body) || DisposingFlags.Excludes(call, body, flags))
                {
                    continue;
                }

                var target = call.TargetMethod;
                var native = HeldNativeFunctions.Of(_interop).CalledBy(call);
                foreach (var argument in call.Arguments)
                {
                    if (argument.Parameter == null || argument.Parameter.RefKind != RefKind.None || !HandleOwners.IsRawHandleType(argument.Parameter.Type)
                        || HandleMember(type, argument.Value) is not { } handle || released.ContainsKey(handle))
                    {
                        continue;
                    }

                    if (native != null)
                    {
                        released[handle] = native.ToString();
                    }
                    else if (ParameterSummaries.Of(_interop).Get(argument.Parameter.OriginalDefinition, scope, 0).NativeTargets.Targets is { Count: > 0 } targets)
                    {
                        released[handle] = targets[0].Function.ToString();
                    }
                }

                // 'Dispose(false)', 'Release()': the class's own methods, called on this object.
                if (native == null && (call.Instance == null ? target.IsStatic : call.Instance is IInstanceReferenceOperation)
                    && type.Equals(target.ContainingType.OriginalDefinition, SymbolEqualityComparer.Default))
                {
                    CollectReleases(type, target, depth + 1, visited, released, DisposingFlags.Of(call, flags));
                }
            }
        }

        /// <summary>The raw handle field or auto-property of this object <paramref name="value"/> reads, or null.</summary>
        private static ISymbol? HandleMember(INamedTypeSymbol type, IOperation value)
        {
            switch (OperationTree.SkipConversions(value))
            {
                case IFieldReferenceOperation { Instance: IInstanceReferenceOperation, Field: var field }
                    when HandleOwners.IsRawHandleType(field.Type) && type.Equals(field.ContainingType.OriginalDefinition, SymbolEqualityComparer.Default):
                    return field.OriginalDefinition;
                case IPropertyReferenceOperation { Instance: IInstanceReferenceOperation, Property: var property }
                    when HandleOwners.IsRawHandleType(property.Type) && HandleOwners.IsAutoProperty(property) && type.Equals(property.ContainingType.OriginalDefinition, SymbolEqualityComparer.Default):
                    return property.OriginalDefinition;
                default:
                    return null;
            }
        }

        /// <summary>
        /// The member other code reads the handle through: a non-private getter returning it (the API callers are meant to
        /// use, named even when the field is internal too), else the handle member itself when it is not private.
        /// </summary>
        private ISymbol? ExposedThrough(INamedTypeSymbol type, ISymbol handle)
        {
            var getter = handle is IFieldSymbol field
                ? type.GetMembers().OfType<IPropertySymbol>().FirstOrDefault(p => IsReadableOutside(p) && HandleOwners.IsRawHandleType(p.Type)
                                                                                  && SymbolEqualityComparer.Default.Equals(_owners.ReturnedField(p), field))
                : null;
            return getter ?? (IsReadableOutside(handle) ? handle : null);
        }

        private static bool IsReadableOutside(ISymbol member)
            => member switch
            {
                IFieldSymbol field => field.DeclaredAccessibility != Accessibility.Private,
                IPropertySymbol property => property.GetMethod is { } getter && property.DeclaredAccessibility != Accessibility.Private && getter.DeclaredAccessibility != Accessibility.Private,
                _ => false,
            };

    }
}
