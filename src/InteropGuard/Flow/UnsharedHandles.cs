using System.Collections.Generic;
using System.Linq;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>
    /// Is a SafeHandle object one that no other thread can reach yet? A local of the function every write of which is an
    /// object this run of the function made — a <c>new</c>, the result of a native call or of a factory the allocation
    /// catalogue knows to return a fresh handle (<see cref="AllocationCatalogue.TryGetAllocator"/>), the <c>out</c>
    /// argument of a native call (<see cref="AllocationCatalogue.ForOutHandle"/>), or null — that nothing hands on
    /// (<see cref="ValueUses"/>: stored, returned, given to a keeping call, captured or copied) before the sites asked
    /// about, nor in a loop around them. Such an object can be disposed only by this thread, so the reference count's
    /// race ("another thread disposes it during the native call") cannot happen. It must also stay reachable: the function
    /// reads the local after each site (<see cref="StraightReads.ReadLater"/>), so the finalizer cannot release it during
    /// the use either. libheif-sharp's decoding options: a decoder name copied with a factory into a fresh handle whose raw
    /// value goes into the native options, and the handle is handed with the options to their owner on return.
    /// </summary>
    internal sealed class UnsharedHandles
    {
        private readonly InteropContext _interop;
        private readonly AllocationCatalogue _catalogue;
        private readonly ValueUses _uses;
        private readonly FreshHandleFactories _factories;

        public UnsharedHandles(InteropContext interop, ValueUses uses)
        {
            _interop = interop;
            _catalogue = uses.Scope.Catalogue;
            _uses = uses;
            _factories = new FreshHandleFactories(interop, uses);
        }

        /// <summary>
        /// True when <paramref name="receiver"/> names such an unshared handle at every one of <paramref name="sites"/> (operations
        /// of <paramref name="function"/>, not inside a lambda or local function). With <paramref name="handedOnlyByReturn"/>,
        /// a hand-over after the sites must also be part of a <c>return</c>: the raw value stored by the sites outlives them, and
        /// only the caller, who receives the handle with whatever holds that value, may end its life.
        /// </summary>
        public bool IsUnsharedAt(IOperation receiver, IOperation function, IReadOnlyList<IOperation> sites, bool handedOnlyByReturn)
        {
            if (OwnersHandle(_interop, receiver) is not ILocalReferenceOperation { Local: { IsRef: false } local } || sites.Count == 0
                || sites.Any(s => OperationTree.IsInNestedFunction(s, function)))
            {
                return false;
            }

            var lastSite = sites.Max(s => s.Syntax.Span.End);
            var declared = false;
            var givenToCaller = false;
            List<IOperation>? usingBodies = null;
            foreach (var operation in function.Descendants())
            {
                if (operation is IVariableDeclaratorOperation declarator && SymbolEqualityComparer.Default.Equals(declarator.Symbol, local))
                {
                    if (OperationTree.IsInNestedFunction(declarator, function) || (declarator.Initializer?.Value is { } initial && !IsFresh(initial)))
                    {
                        return false;
                    }

                    declared = true;
                    continue;
                }

                if (operation is not ILocalReferenceOperation reference || !SymbolEqualityComparer.Default.Equals(reference.Local, local))
                {
                    continue;
                }

                // Read or written by a lambda or local function: it may run anywhere, at any time.
                if (OperationTree.IsInNestedFunction(reference, function))
                {
                    return false;
                }

                var holder = reference.Parent is IDeclarationExpressionOperation declaration ? declaration : (IOperation)reference;
                if (holder.Parent is IArgumentOperation { Parameter: { RefKind: RefKind.Out or RefKind.Ref } parameter } filled)
                {
                    // Native.open(path, out h): the marshaller makes a new handle for the local.
                    if (filled.Parent is not IInvocationOperation call || _catalogue.ForOutHandle(call.TargetMethod, parameter) == null)
                    {
                        return false;
                    }

                    if (holder is IDeclarationExpressionOperation)
                    {
                        declared = true;
                    }

                    continue;
                }

                if (reference.Parent is ISimpleAssignmentOperation assignment && assignment.Target == reference)
                {
                    if (!IsFresh(assignment.Value))
                    {
                        return false;
                    }

                    continue;
                }

                if (IsStoreIntoOutParameter(reference))
                {
                    givenToCaller = true;
                    continue;
                }

                // 'using (opened) { ... }' over the local: disposed when the block ends, and reachable until then.
                if (reference.Parent is IUsingOperation { Resources: var resource, Body: var body } && resource == reference)
                {
                    (usingBodies ??= new List<IOperation>()).Add(body);
                    continue;
                }

                if (!IsHarmlessRead(reference, function, sites, lastSite, handedOnlyByReturn))
                {
                    return false;
                }
            }

            // Stored into an out parameter, the object stays reachable from the caller's variable through the rest of the call.
            return declared && (givenToCaller || sites.All(site => (usingBodies != null && usingBodies.Any(b => OperationTree.IsWithin(site, b) && !WrittenWithin(b, local)))
                                                                   || StraightReads.ReadLater(site, o => IsReadOf(o, local), o => IsWriteOf(o, local))));
        }

        /// <summary>
        /// <c>fs.SafeFileHandle</c> of a <c>FileStream</c>, <c>e.SafeWaitHandle</c> of a <c>WaitHandle</c>: the handle the
        /// object owns and disposes with itself. Whoever can dispose the handle can reach the owner, so the owner is the
        /// object whose sharing is read. So is the object a view was read from (<see cref="HandleViews"/>), and the object of
        /// this compilation that owns the handle (<see cref="OwnedHandleProperties"/>). Anything else is itself.
        /// </summary>
        public static IOperation OwnersHandle(InteropContext interop, IOperation receiver)
        {
            var handle = OperationTree.SkipConversions(receiver);
            if (handle is IPropertyReferenceOperation { Instance: { } owner, Property: { } property }
                && ((property.Name == "SafeFileHandle" && DerivesFrom(property.ContainingType, "System.IO.FileStream"))
                    || (property.Name == "SafeWaitHandle" && DerivesFrom(property.ContainingType, "System.Threading.WaitHandle"))))
            {
                return OperationTree.SkipConversions(owner);
            }

            return OwnedHandleProperties.Of(interop).OwnerOf(handle) ?? HandleViews.Owner(interop, handle);
        }

        private static bool DerivesFrom(INamedTypeSymbol? type, string name)
        {
            for (var current = type; current != null; current = current.BaseType)
            {
                if (current.ToDisplayString() == name)
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>
        /// <c>fileLock = fs</c> into an <c>out</c> parameter: the caller receives the object when the function returns, as
        /// with a <c>return</c>; until then nobody else holds it (ClrMD's <c>AuthenticodeUtil.VerifyDacDll</c> hands the
        /// stream it opened out as the lock that keeps the file in place, before reading its handle for WinVerifyTrust).
        /// </summary>
        private static bool IsStoreIntoOutParameter(ILocalReferenceOperation reference)
            => OperationTree.WithConversions(reference).Parent is ISimpleAssignmentOperation { Target: IParameterReferenceOperation { Parameter.RefKind: RefKind.Out } } assignment
               && assignment.Value == OperationTree.WithConversions(reference);

        /// <summary>
        /// True when <paramref name="receiver"/> is an element of an array field of the object a constructor is building
        /// (<c>logicalTypes[i]</c>), at <paramref name="sites"/> of that constructor: the constructor created the array, every
        /// element it writes is a fresh handle, and until the sites it touches <c>this</c> only to read or write fields and
        /// hands neither the array nor an element to anyone. Nobody else can reach the object before the constructor
        /// returns, so nobody else can reach the handles; the object, its array and the handles stay reachable through each native
        /// call that reads the raw values. DuckDB.NET's appender fills
        /// <c>logicalTypes</c> from a native call and hands the raw values, in a local array, to one that copies them.
        /// </summary>
        /// <param name="nativeUses">The native calls that read the raw values (the sites' own calls, or the calls given the
        /// local array the values were gathered in).</param>
        public bool IsUnsharedDuringConstruction(IOperation receiver, IOperation function, IReadOnlyList<IOperation> sites, IReadOnlyList<IOperation> nativeUses)
        {
            if (OperationTree.SkipConversions(receiver) is not IArrayElementReferenceOperation element
                || OperationTree.SkipConversions(element.ArrayReference) is not IFieldReferenceOperation { Field: { IsStatic: false } field, Instance: { } instance }
                || !FreshObjectFlags.IsOnObjectUnderConstruction(receiver, instance)
                || field.ContainingType?.BaseType?.SpecialType != SpecialType.System_Object
                || sites.Count == 0 || sites.Any(s => OperationTree.IsInNestedFunction(s, function)))
            {
                return false;
            }

            var firstSite = sites.Min(s => s.Syntax.SpanStart);
            var lastSite = sites.Max(s => s.Syntax.Span.End);
            var created = false;
            foreach (var operation in function.Descendants())
            {
                // Once every site is behind (and not in a loop that comes back to them), the object may be handed on.
                var before = operation.Syntax.SpanStart < lastSite || sites.Any(s => SharesLoop(s, operation, function));

                // 'this' before the sites only to reach fields, and the implicit ': base()' into object.
                if (before && operation is IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance } self
                    && !(self.Parent is IFieldReferenceOperation || self.Parent is IInvocationOperation { TargetMethod: { MethodKind: MethodKind.Constructor, ContainingType.SpecialType: SpecialType.System_Object } }))
                {
                    return false;
                }

                if (operation is not IFieldReferenceOperation reference || !SymbolEqualityComparer.Default.Equals(reference.Field, field))
                {
                    continue;
                }

                if (OperationTree.IsInNestedFunction(reference, function)
                    || OperationTree.SkipConversions(reference.Instance!) is not IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance })
                {
                    return false;
                }

                switch (reference.Parent)
                {
                    case ISimpleAssignmentOperation assignment when assignment.Target == reference:
                        // The array is made here, before any site reads it.
                        if (OperationTree.SkipConversions(assignment.Value) is not IArrayCreationOperation || reference.Syntax.SpanStart >= firstSite)
                        {
                            return false;
                        }

                        created = true;
                        continue;
                    case IArrayElementReferenceOperation read when read.ArrayReference == reference:
                        if (read.Parent is ISimpleAssignmentOperation written && written.Target == read)
                        {
                            if (!IsFresh(written.Value))
                            {
                                return false;
                            }

                            continue;
                        }

                        if (before && _uses.Classify(read).Kind is not (ValueUseKind.Use or ValueUseKind.Inspect or ValueUseKind.Release))
                        {
                            return false;
                        }

                        continue;
                    default:
                        if (before)
                        {
                            return false;
                        }

                        continue;
                }
            }

            // The object, and with it the array and the handles, stays reachable through each native use of the values:
            // stored into a field of 'this' ('_chunk = native_make(values)' keeps 'this' across the call), or read after it.
            return created && nativeUses.Count > 0 && nativeUses.All(use =>
                OperationTree.WithEveryConversion(use).Parent is ISimpleAssignmentOperation { Target: IFieldReferenceOperation { Instance: IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance } } } stored
                    && stored.Value == OperationTree.WithEveryConversion(use)
                || StraightReads.ReadLater(
                    use,
                    o => o is IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance },
                    o => o is ISimpleAssignmentOperation { Target: var target } && WritesField(target, field)));
        }

        // The field itself or one of its elements is given another value: the handle read before may be left unreachable.
        private static bool WritesField(IOperation target, IFieldSymbol field)
        {
            var written = target is IArrayElementReferenceOperation element ? OperationTree.SkipConversions(element.ArrayReference) : target;
            return written is IFieldReferenceOperation reference && SymbolEqualityComparer.Default.Equals(reference.Field, field);
        }

        // Used for a call, inspected or disposed here; or handed on only once every site is behind (and not in a loop that
        // comes back to them).
        private bool IsHarmlessRead(ILocalReferenceOperation reference, IOperation function, IReadOnlyList<IOperation> sites, int lastSite, bool handedOnlyByReturn)
        {
            var use = _uses.Classify(reference);
            switch (use.Kind)
            {
                case ValueUseKind.Use:
                case ValueUseKind.Inspect:
                case ValueUseKind.Release:
                    return true;
                case ValueUseKind.Escape:
                    return reference.Syntax.SpanStart >= lastSite
                           && !sites.Any(s => SharesLoop(s, reference, function))
                           && (!handedOnlyByReturn || InReturn(reference, function));
                default:
                    return false;
            }
        }

        /// <summary>
        /// A value this run of the function made: null, a <c>new</c>, a call the catalogue knows to hand out a fresh SafeHandle,
        /// or a factory of the compilation that does (<see cref="FreshHandleFactories"/>).
        /// </summary>
        private bool IsFresh(IOperation value)
        {
            switch (OperationTree.SkipConversions(value))
            {
                case IDefaultValueOperation:
                case ILiteralOperation { ConstantValue: { HasValue: true, Value: null } }:
                case IObjectCreationOperation:
                    return true;
                case IInvocationOperation call:
                    return _factories.IsFresh(call) || OpensNewFile(call.TargetMethod);
                default:
                    return false;
            }
        }

        // File.OpenRead, File.Open, File.Create, File.OpenWrite: a new FileStream over a handle it just opened.
        private static bool OpensNewFile(IMethodSymbol method)
            => method.IsStatic && method.ContainingType?.ToDisplayString() == "System.IO.File"
               && method.Name is "Open" or "OpenRead" or "OpenWrite" or "Create";

        /// <summary>Is <paramref name="other"/> inside a loop of <paramref name="function"/> around <paramref name="site"/>?</summary>
        internal static bool SharesLoop(IOperation site, IOperation other, IOperation function)
        {
            for (var current = site.Parent; current != null && current != function; current = current.Parent)
            {
                if (current is ILoopOperation loop && loop.Syntax.Span.Contains(other.Syntax.Span))
                {
                    return true;
                }
            }

            return false;
        }

        private static bool InReturn(IOperation operation, IOperation function)
        {
            for (var current = operation.Parent; current != null && current != function; current = current.Parent)
            {
                if (current is IReturnOperation { Kind: OperationKind.Return })
                {
                    return true;
                }
            }

            return false;
        }

        private static bool WrittenWithin(IOperation body, ILocalSymbol local) => body.Descendants().Any(o => IsWriteOf(o, local));

        private static bool IsReadOf(IOperation operation, ILocalSymbol local)
            => operation is ILocalReferenceOperation reference && SymbolEqualityComparer.Default.Equals(reference.Local, local)
               && !(reference.Parent is ISimpleAssignmentOperation assignment && assignment.Target == reference);

        private static bool IsWriteOf(IOperation operation, ILocalSymbol local)
            => operation is ISimpleAssignmentOperation { Target: ILocalReferenceOperation target } && SymbolEqualityComparer.Default.Equals(target.Local, local);

        /// <summary>
        /// <c>values[i] = raw</c> into a local array the function created, which it only indexes or gives to native calls
        /// (those calls are added to <paramref name="nativeUses"/>: they read the raw values).
        /// </summary>
        public static bool IsStoreIntoLocalArray(InteropContext interop, IOperation site, IOperation function, List<IOperation> nativeUses)
        {
            if (site is not ISimpleAssignmentOperation { Target: IArrayElementReferenceOperation { ArrayReference: ILocalReferenceOperation { Local: { IsRef: false } array } } })
            {
                return false;
            }

            var created = false;
            foreach (var operation in function.Descendants())
            {
                if (operation is IVariableDeclaratorOperation declarator && SymbolEqualityComparer.Default.Equals(declarator.Symbol, array))
                {
                    created = declarator.Initializer?.Value is { } value && OperationTree.SkipConversions(value) is IArrayCreationOperation;
                    continue;
                }

                if (operation is ILocalReferenceOperation reference && SymbolEqualityComparer.Default.Equals(reference.Local, array)
                    && !(reference.Parent is IArrayElementReferenceOperation element && element.ArrayReference == reference)
                    && !(OperationTree.WithConversions(reference).Parent is IArgumentOperation { Parameter.RefKind: RefKind.None, Parent: IInvocationOperation call } && HeldNativeFunctions.Of(interop).CalledBy(call) != null))
                {
                    return false;
                }

                if (operation is ILocalReferenceOperation given && SymbolEqualityComparer.Default.Equals(given.Local, array)
                    && OperationTree.WithConversions(given).Parent is IArgumentOperation { Parent: IInvocationOperation reader } && !nativeUses.Contains(reader))
                {
                    nativeUses.Add(reader);
                }
            }

            return created;
        }

        /// <summary>The local struct a store into local memory (<see cref="IsStoreIntoLocalMemory"/>) writes, or null (a pointer, an initializer).</summary>
        public static ILocalSymbol? StoredLocal(IOperation site)
        {
            if (site is not ISimpleAssignmentOperation { Target: IFieldReferenceOperation field })
            {
                return null;
            }

            var instance = field.Instance;
            while (instance is IFieldReferenceOperation inner && inner.Type?.IsValueType == true)
            {
                instance = inner.Instance;
            }

            if (instance is ILocalReferenceOperation { Local: { IsRef: false, Type.IsValueType: true } local })
            {
                return local;
            }

            // 'var s = new S { h = raw }': the struct (or the request object) the initializer fills is the local it initializes.
            if (instance is IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ImplicitReceiver })
            {
                for (var current = site.Parent; current != null; current = current.Parent)
                {
                    if (current is IObjectCreationOperation creation)
                    {
                        return ThroughWrappingConversion(creation).Parent switch
                        {
                            // (A local of a class the struct converts to holds a copy: NtCoreLib's optional token parts.)
                            IVariableInitializerOperation { Parent: IVariableDeclaratorOperation { Symbol: { IsRef: false } declared } } => declared,
                            ISimpleAssignmentOperation { Target: ILocalReferenceOperation { Local: { IsRef: false } assigned } } => assigned,
                            _ => null,
                        };
                    }
                }
            }

            return null;
        }

        // 'OptionalTokenOwner opt = new TokenOwner { Owner = raw }': an implicit operator of the compilation that wraps the
        // struct in a class of its own; the local holds the copy.
        private static IOperation ThroughWrappingConversion(IOperation creation)
        {
            var value = OperationTree.WithConversions(creation);
            return value.Parent is IConversionOperation { OperatorMethod: { IsImplicitlyDeclared: false } conversion, Type: { TypeKind: TypeKind.Class } wrapper } wrapped
                   && conversion.Locations.Any(l => l.IsInSource) && wrapper.Locations.Any(l => l.IsInSource)
                ? OperationTree.WithConversions(wrapped)
                : value;
        }

        /// <summary>
        /// <c>native(new S { h = raw })</c>: the store fills a struct made as a call's argument, which lives no longer than the
        /// call (a struct passed by value is copied; the callee cannot keep it).
        /// </summary>
        public static bool IsStoreIntoCallArgument(IOperation site)
        {
            if (site is not ISimpleAssignmentOperation { Target: IFieldReferenceOperation { Instance: IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ImplicitReceiver, Type.IsValueType: true } } })
            {
                return false;
            }

            for (var current = site.Parent; current != null; current = current.Parent)
            {
                if (current is IObjectCreationOperation creation)
                {
                    return OperationTree.WithConversions(creation).Parent is IArgumentOperation { Parameter.RefKind: RefKind.None or RefKind.In };
                }
            }

            return false;
        }

        /// <summary><c>s.h = raw</c>, <c>new S { h = raw }</c>, <c>p-&gt;h = raw</c> (p a local pointer), also into a nested struct field.</summary>
        public static bool IsStoreIntoLocalMemory(IOperation site)
        {
            if (site is not ISimpleAssignmentOperation { Target: IFieldReferenceOperation field })
            {
                return false;
            }

            var instance = field.Instance;
            while (instance is IFieldReferenceOperation inner && inner.Type?.IsValueType == true)
            {
                instance = inner.Instance;
            }

            return instance switch
            {
                ILocalReferenceOperation { Local: { IsRef: false, Type.IsValueType: true } } => true,
                IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ImplicitReceiver, Type.IsValueType: true } => true,
                { Kind: OperationKind.None } dereference => dereference.ChildOperations.Count == 1
                                                            && OperationTree.SkipConversions(dereference.ChildOperations.First()) is ILocalReferenceOperation { Local.Type: IPointerTypeSymbol },
                _ => false,
            };
        }
    }
}
