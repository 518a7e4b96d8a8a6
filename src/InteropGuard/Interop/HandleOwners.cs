using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Interop
{
    /// <summary>How the object that owns a raw handle is reached where the handle is read.</summary>
    internal enum HandleOwnerKind
    {
        /// <summary><c>this</c>, or a field chain rooted at it.</summary>
        This,

        /// <summary>A local or parameter, or a field chain rooted at one.</summary>
        Variable,

        /// <summary>A value nobody holds: <c>Create().Handle</c>, <c>new Mat(...).Ptr</c>.</summary>
        Temporary,
    }

    /// <summary>A raw handle read from an object whose collection releases it.</summary>
    internal sealed class HandleOwner
    {
        public HandleOwner(IOperation owner, IOperation handle, HandleOwnerKind kind, ISymbol? root, IFieldSymbol? member = null, ILocalSymbol? carrier = null, IFieldSymbol? carrierSource = null)
        {
            Owner = owner;
            Handle = handle;
            Kind = kind;
            Root = root;
            Member = member;
            Carrier = carrier;
            CarrierSource = carrierSource;
        }

        /// <summary>The owner expression (the receiver of the handle read).</summary>
        public IOperation Owner { get; }

        /// <summary>The read of the handle from the owner (<c>owner.Handle</c>, <c>_handle</c>).</summary>
        public IOperation Handle { get; }

        public HandleOwnerKind Kind { get; }

        /// <summary>The local or parameter a later use must reference; null for <c>this</c> and temporaries.</summary>
        public ISymbol? Root { get; }

        /// <summary>
        /// The field of <see cref="Owner"/> (a wrapper struct) that holds the owning object, when the handle travels in a
        /// proxy next to it (<see cref="ProxyOwners"/>): <c>w.Source</c> is what must stay alive. Null otherwise.
        /// </summary>
        public IFieldSymbol? Member { get; }

        /// <summary>
        /// The wrapper local the owner was converted into, when the handle reached the call in that wrapper's proxy
        /// (<c>InputArray a = settings.Matrix;</c> then <c>a.Proxy</c>, <see cref="ProxyOwners"/>): the wrapper's conversion
        /// stored this very object in <see cref="CarrierSource"/>, so a later read of <c>a.Source</c> reads it. Null otherwise.
        /// </summary>
        public ILocalSymbol? Carrier { get; }

        /// <summary>The field of <see cref="Carrier"/> holding the owner object (the wrapper's source field).</summary>
        public IFieldSymbol? CarrierSource { get; }

        /// <summary>
        /// Is <paramref name="operation"/> a read of the owner object through the wrapper it was converted into: the
        /// carrier's source field (<c>a.Source</c>, as <c>GC.KeepAlive(a.Source)</c> gives it), or the carrier read for it?
        /// The carrier is assigned once (its origin is the conversion), so its source is the object whose handle was passed.
        /// </summary>
        public bool IsReadThroughCarrier(IOperation operation)
        {
            if (Carrier == null || CarrierSource == null)
            {
                return false;
            }

            var source = operation is ILocalReferenceOperation ? operation.Parent : operation;
            return source is IFieldReferenceOperation { Instance: ILocalReferenceOperation local } field
                   && (operation is not ILocalReferenceOperation || field.Instance == operation)
                   && SymbolEqualityComparer.Default.Equals(local.Local, Carrier)
                   && SymbolEqualityComparer.Default.Equals(field.Field.OriginalDefinition, CarrierSource.OriginalDefinition);
        }

        public string OwnerText => Owner.IsImplicit && Owner is IInstanceReferenceOperation ? "this" : Owner.Syntax.ToString() + (Member != null ? "." + Member.Name : string.Empty);
    }

    /// <summary>
    /// Which raw handles (IntPtr, nint, pointers) come from an object that releases them when it is collected: its
    /// type or a base (other than SafeHandle/CriticalHandle) declares a finalizer; or a source property hands out a
    /// handle of a SafeHandle or finalizable object it holds in a field; or, for referenced types whose fields are
    /// invisible, an IDisposable class hands the handle out through a property named <c>Handle</c>.
    /// </summary>
    internal sealed class HandleOwners
    {
        private const int MaxDepth = 3;

        // FindAll's answer for most values; its callers read it by index, with no enumerator.
        private static readonly HandleOwner[] NoOwners = new HandleOwner[0];

        private readonly WellKnownTypes _types;
        private readonly Compilation _compilation;
        private readonly INamedTypeSymbol _disposable;
        private readonly Func<INamedTypeSymbol, bool>? _releasesNothing;
        private readonly ConcurrentDictionary<ITypeSymbol, bool> _finalizable = ConcurrentTables.Create<ITypeSymbol, bool>(SymbolEqualityComparer.Default);
        private readonly ConcurrentDictionary<IPropertySymbol, bool> _ownFields = ConcurrentTables.Create<IPropertySymbol, bool>(SymbolEqualityComparer.Default);
        private readonly ConcurrentDictionary<IMethodSymbol, bool> _handleConversions = ConcurrentTables.Create<IMethodSymbol, bool>(SymbolEqualityComparer.Default);
        private readonly ConcurrentDictionary<IPropertySymbol, bool> _interfaceOwned = ConcurrentTables.Create<IPropertySymbol, bool>(SymbolEqualityComparer.Default);
        private readonly ConcurrentDictionary<IPropertySymbol, GetterShape> _getters = ConcurrentTables.Create<IPropertySymbol, GetterShape>(SymbolEqualityComparer.Default);
        private readonly ConcurrentDictionary<(IPropertySymbol Property, IFieldSymbol Field), bool> _recordInterfaceOwned = ConcurrentTables.Create<(IPropertySymbol Property, IFieldSymbol Field), bool>(SymbolPairComparer<IPropertySymbol, IFieldSymbol>.Instance);
        private readonly ConcurrentDictionary<(IPropertySymbol Property, IFieldSymbol Field), GetterShape> _recordGetters = ConcurrentTables.Create<(IPropertySymbol Property, IFieldSymbol Field), GetterShape>(SymbolPairComparer<IPropertySymbol, IFieldSymbol>.Instance);
        private readonly Func<IMethodSymbol, bool>? _isNative;

        // IsHandleRecord's answer per struct type: asked of the parameter and of the value of every struct argument of every
        // call IG1001 reads, where each ask listed the type's members again (GetMembers builds a new array each time).
        private readonly ConcurrentDictionary<ITypeSymbol, bool> _handleRecords = ConcurrentTables.Create<ITypeSymbol, bool>(SymbolEqualityComparer.Default);
        private static readonly Func<ITypeSymbol, bool> HasRawHandleField = HasRawHandleFieldOf;

        /// <param name="releasesNothing">
        /// Whether a class with a finalizer provably releases nothing when collected (Flow's SilentFinalizers, which
        /// this layer cannot name); without it every class with a finalizer counts as releasing.
        /// </param>
        /// <param name="isNative">Whether a method is a native function (the compilation's table, which this layer is given, not asked for).</param>
        /// <param name="callers">The compilation's shared reading of who calls a method.</param>
        public HandleOwners(WellKnownTypes types, Compilation compilation, MethodCallers callers, Func<INamedTypeSymbol, bool>? releasesNothing = null, Func<IMethodSymbol, bool>? isNative = null)
        {
            _isNative = isNative;
            _types = types;
            _compilation = compilation;
            _disposable = compilation.GetSpecialType(SpecialType.System_IDisposable);
            SourceTypes = new Lazy<INamedTypeSymbol[]>(() => ListSourceTypes(compilation), LazyThreadSafetyMode.ExecutionAndPublication);
            Proxies = new ProxyOwners(this, compilation);
            UnderConstruction = new HandleOwnersUnderConstruction(compilation, SourceTypes, callers);
            _releasesNothing = releasesNothing;
        }

        /// <summary>Handles carried in proxy structs next to their owner (<c>w.Proxy</c> owned by <c>w.Source</c>).</summary>
        public ProxyOwners Proxies { get; }

        /// <summary>Owners that are <c>this</c> while the object is being built, held by the code creating it.</summary>
        public HandleOwnersUnderConstruction UnderConstruction { get; }

        private enum GetterShape
        {
            /// <summary>Not a handle this object releases on collection.</summary>
            None,

            /// <summary>Returns a raw field of the object (or is an auto-property): owned when the type is finalizable.</summary>
            OwnField,

            /// <summary>Returns the handle of a SafeHandle or finalizable object the object holds: always owned.</summary>
            HeldObject,
        }

        /// <summary>IntPtr/nint and pointers; UIntPtr/nuint is left out: in bindings it carries sizes, not handles.</summary>
        public static bool IsRawHandleType(ITypeSymbol? type)
            => type != null && (type.SpecialType == SpecialType.System_IntPtr || type is IPointerTypeSymbol);

        /// <summary>An array of raw handles (<c>IntPtr[]</c>): native code reads the handles copied into it during the call.</summary>
        public static bool IsRawHandleArray(ITypeSymbol? type)
            => type is IArrayTypeSymbol { Rank: 1 } array && IsRawHandleType(array.ElementType) && array.ElementType is not IPointerTypeSymbol;

        /// <summary>
        /// An array of structs with a raw handle field (<c>WImageFeatures[]</c> with an <c>IntPtr Descriptors</c>): the
        /// marshaller passes native code the elements in place, handles included, for the duration of the call.
        /// </summary>
        public static bool IsHandleRecordArray(ITypeSymbol? type)
            => type is IArrayTypeSymbol { Rank: 1 } array && IsHandleRecord(array.ElementType);

        /// <summary>
        /// A struct with a raw handle field (not a pointer): what native code reads handles from when it gets the struct
        /// in place — elements of an array (<see cref="IsHandleRecordArray"/>), or a proxy passed by value or by
        /// <c>in</c>/<c>ref</c> (<see cref="ProxyOwners"/>).
        /// </summary>
        public static bool IsHandleRecord(ITypeSymbol? type) => MayBeHandleRecord(type) && HasRawHandleFieldOf(type!);

        /// <summary><see cref="IsHandleRecord"/>, answered once per type of this compilation.</summary>
        public bool IsRecord(ITypeSymbol? type)
            => MayBeHandleRecord(type) && (_handleRecords.TryGetValue(type!, out var known) ? known : _handleRecords.GetOrAdd(type!, HasRawHandleField));

        /// <summary><see cref="IsHandleRecordArray"/>, its element type answered once per type of this compilation.</summary>
        public bool IsRecordArray(ITypeSymbol? type) => type is IArrayTypeSymbol { Rank: 1 } array && IsRecord(array.ElementType);

        private static bool HasRawHandleFieldOf(ITypeSymbol type)
        {
            // A plain loop over the member array allocates no enumerators.
            foreach (var member in type.GetMembers())
            {
                if (member is IFieldSymbol { IsStatic: false } field && field.Type.SpecialType == SpecialType.System_IntPtr)
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>The test of <see cref="IsHandleRecord"/> that lists no members: a struct other than a number, bool, char, decimal or DateTime.</summary>
        public static bool MayBeHandleRecord(ITypeSymbol? type)
            => type is INamedTypeSymbol { TypeKind: TypeKind.Struct } record && !IsPrimitiveValue(record);

        // Asked of every struct argument of every call (ProxyOwners.MayCarryProxyHandle): the numbers, bool, char, decimal
        // and DateTime hold no handle, and listing their members (GetMembers builds a new array each time) was most of the
        // cost of IG1001's walk of the calls on bindings.
        private static bool IsPrimitiveValue(INamedTypeSymbol type)
            => type.SpecialType is (>= SpecialType.System_Boolean and <= SpecialType.System_Double) or SpecialType.System_DateTime;

        /// <summary>
        /// The cheap gate before a call receiving <paramref name="value"/> costs anything more (the native-function table,
        /// a wrapper's parameter summary, the body's owner search): false only when <see cref="FindAll"/> certainly finds
        /// no owner, whatever a local was assigned — a parameter, a call's result, a constant, a static field, a field of
        /// an object that is not finalizable. It follows <see cref="FindAll"/> shape by shape, asking nothing it caches
        /// no answer to: a gate that says no where <see cref="FindAll"/> finds an owner would drop a true finding.
        /// </summary>
        public bool MayHaveOwner(IOperation value)
        {
            if (IsRawHandleType(value.Type))
            {
                return MayBeOwnedRead(OperationTree.SkipConversions(value));
            }

            var read = OperationTree.SkipConversions(value);
            if (IsRecord(value.Type))
            {
                // A proxy read from a wrapper ('w.Proxy'), or a local assigned once from one.
                return read is ILocalReferenceOperation { Local.IsRef: false } || read is IFieldReferenceOperation { Instance: not null };
            }

            if (IsRecordArray(value.Type))
            {
                return read is ILocalReferenceOperation { Local.IsRef: false };
            }

            if (!IsRawHandleArray(value.Type))
            {
                return false;
            }

            return read is ILocalReferenceOperation { Local.IsRef: false }
                   || (read is IArrayCreationOperation { Initializer: { } initializer } && initializer.ElementValues.Any(element => MayBeOwnedRead(OperationTree.SkipConversions(element))));
        }

        /// <summary>
        /// The part of <see cref="MayHaveOwner"/> that reads the value alone, with no table: a type that can carry a handle
        /// (a raw handle, a struct other than a number, an array) and a read that gate follows (a local, a field, a property,
        /// a user-defined conversion, an array creation). Implied by <see cref="MayHaveOwner"/>, so a call none of whose
        /// arguments passes it hands over no handle anything owns, and its callee need not be looked up: most calls of a
        /// binding pass parameters, constants, <c>this</c> and other calls' results.
        /// </summary>
        public static bool MayCarryOwner(IOperation value)
        {
            var type = value.Type;
            return (IsRawHandleType(type) || MayBeHandleRecord(type) || type is IArrayTypeSymbol)
                   && OperationTree.SkipConversions(value).Kind is OperationKind.LocalReference or OperationKind.FieldReference or OperationKind.PropertyReference
                                                                   or OperationKind.Conversion or OperationKind.ArrayCreation;
        }

        /// <summary>The reads <see cref="Find"/> follows: a raw-handle local (through its value), an instance field of a finalizable object, an instance property.</summary>
        private bool MayBeOwnedRead(IOperation read)
            => read switch
            {
                ILocalReferenceOperation local => IsRawHandleType(local.Type),
                IFieldReferenceOperation field => !field.Field.IsStatic && field.Instance != null && IsRawHandleType(field.Type)
                                                  && (IsFinalizable(field.Instance.Type) || MayBeHandedOutRecord(field.Instance)),
                IPropertyReferenceOperation property => !property.Property.IsStatic && property.Instance != null && property.Arguments.IsEmpty && IsRawHandleType(property.Type),
                IConversionOperation { OperatorMethod: { DeclaringSyntaxReferences.IsEmpty: false } } conversion => IsRawHandleType(conversion.Type),
                _ => false,
            };

        /// <summary>
        /// The owners of the handles <paramref name="value"/> carries to native code: its own owner for a raw handle, and
        /// for an array of handles the owners of the handles it is created with (<c>new[] { a.Handle, b.Handle }</c>, or
        /// a local assigned once from such an array), and for a local array of structs holding handles the owners of the
        /// handles <paramref name="storedHandles"/> says were stored into its elements' fields. An array of handles
        /// filled element by element is not followed.
        /// </summary>
        public IReadOnlyList<HandleOwner> FindAll(IOperation value, Func<ILocalSymbol, IOperation?> origin, Func<ILocalSymbol, IEnumerable<IOperation>>? storedHandles = null)
        {
            if (IsRawHandleType(value.Type))
            {
                return Find(value, origin) is { } owner ? new[] { owner } : NoOwners;
            }

            if (IsRecord(value.Type))
            {
                return Proxies.Find(value, origin) is { } owner ? new[] { owner } : NoOwners;
            }

            if (IsRecordArray(value.Type))
            {
                // Structs holding handles ('new WImageFeatures { Descriptors = f.Descriptors.CvPtr }') stored element by
                // element into a local array that goes to native code: native code reads those handles during the call.
                return OperationTree.SkipConversions(value) is ILocalReferenceOperation { Local.IsRef: false } records && storedHandles != null
                    ? storedHandles(records.Local).Select(handle => Find(handle, origin, 0, 0, throughElements: true)).Where(owner => owner != null).Select(owner => owner!).ToList()
                    : NoOwners;
            }

            if (!IsRawHandleArray(value.Type))
            {
                return NoOwners;
            }

            var array = OperationTree.SkipConversions(value);
            if (array is ILocalReferenceOperation { Local.IsRef: false } local)
            {
                array = origin(local.Local) is { } assigned ? OperationTree.SkipConversions(assigned) : array;
            }

            return array is IArrayCreationOperation { Initializer: { } initializer }
                ? initializer.ElementValues.Select(element => Find(element, origin)).Where(owner => owner != null).Select(owner => owner!).ToList()
                : NoOwners;
        }

        /// <summary>
        /// The owner of the handle <paramref name="value"/> evaluates to; <paramref name="origin"/> gives the single value
        /// assigned to a local, or null when there is none or more than one.
        /// </summary>
        public HandleOwner? Find(IOperation value, Func<ILocalSymbol, IOperation?> origin) => Find(value, origin, 0, 0);

        /// <param name="nesting">How many getters deep this search is (a getter's value is classified by this method too).</param>
        private HandleOwner? Find(IOperation value, Func<ILocalSymbol, IOperation?> origin, int depth, int nesting, bool throughElements = false)
        {
            if (depth > MaxDepth || nesting > MaxDepth)
            {
                return null;
            }

            var read = OperationTree.SkipConversions(value);
            switch (read)
            {
                case ILocalReferenceOperation local when IsRawHandleType(local.Type):
                    return origin(local.Local) is { } assigned ? Find(assigned, origin, depth + 1, nesting, throughElements) : null;

                case IFieldReferenceOperation field when !field.Field.IsStatic && field.Instance != null && IsRawHandleType(field.Type):
                    return IsFinalizable(field.Instance.Type) ? Owner(field.Instance, read, throughElements: throughElements) : RecordFieldOwner(field, read, origin, nesting);

                case IPropertyReferenceOperation property when !property.Property.IsStatic && property.Instance != null
                                                              && property.Arguments.IsEmpty && IsRawHandleType(property.Type):
                    if (property.Property.ContainingType.TypeKind == TypeKind.Interface)
                    {
                        return InterfaceOwns(property, nesting, null) ? Owner(property.Instance, read, throughInterface: true) : null;
                    }

                    var shape = ShapeOf(property.Property, nesting);
                    if (shape == GetterShape.HeldObject || (shape == GetterShape.OwnField && IsFinalizable(property.Instance.Type)))
                    {
                        return Owner(property.Instance, read, throughElements: throughElements);
                    }

                    return null;

                case IConversionOperation { OperatorMethod: { } conversion } converted when IsRawHandleType(converted.Type) && HandsOutOperandsField(conversion):
                    // '(IntPtr)block' through 'implicit operator IntPtr(Block b) => b._ptr': the object's own handle, as a getter would read it.
                    return IsFinalizable(converted.Operand.Type) ? Owner(converted.Operand, read, throughElements: throughElements) : null;

                default:
                    return null;
            }
        }

        /// <summary>
        /// A user-defined conversion of this compilation to a raw handle whose every non-zero return is a handle field of
        /// the object converted (clrzmq4's <c>implicit operator IntPtr(DispoIntPtr p) =&gt; p == null ? IntPtr.Zero : p._ptr</c>):
        /// the conversion reads that object's handle as a getter does. Read once per operator.
        /// </summary>
        private bool HandsOutOperandsField(IMethodSymbol conversion)
            => conversion.Parameters.Length == 1
               && _handleConversions.GetOrAdd(conversion.OriginalDefinition, c => ReturnedValues(c) is { Count: > 0 } returned
                                                                                  && returned.All(r => r is IFieldReferenceOperation { Field.IsStatic: false, Instance: IParameterReferenceOperation from } field
                                                                                                       && IsRawHandleType(field.Type)
                                                                                                       && SymbolEqualityComparer.Default.Equals(from.Parameter, c.Parameters[0])));

        /// <summary>
        /// A struct read from a property (<c>store.Context</c>), or a local assigned once from one, whose raw handle field is
        /// read (<c>store.Context.handle</c>): the gate's side of <see cref="RecordFieldOwner"/>.
        /// </summary>
        private static bool MayBeHandedOutRecord(IOperation instance)
            => instance.Type is { TypeKind: TypeKind.Struct }
               && OperationTree.SkipConversions(instance) is IPropertyReferenceOperation { Instance: not null, Arguments.IsEmpty: true } or ILocalReferenceOperation { Local.IsRef: false };

        /// <summary>
        /// The raw handle field of a struct an object hands out through a property (<c>store.Context.handle</c>, where the
        /// getter returns <c>new StoreContext(Native.wasmtime_store_context(NativeHandle))</c>): the getter builds the struct
        /// around a handle, and the field holds what the struct's constructor stored in it. Owned by the property's object
        /// when that handle is, read as a getter's returned handle is (<see cref="ShapeOfReturned"/>).
        /// </summary>
        private HandleOwner? RecordFieldOwner(IFieldReferenceOperation field, IOperation read, Func<ILocalSymbol, IOperation?> origin, int nesting)
        {
            if (field.Instance!.Type is not { TypeKind: TypeKind.Struct })
            {
                return null;
            }

            var instance = OperationTree.SkipConversions(field.Instance);
            if (instance is ILocalReferenceOperation { Local.IsRef: false } local)
            {
                instance = origin(local.Local) is { } assigned ? OperationTree.SkipConversions(assigned) : null;
            }

            if (instance is not IPropertyReferenceOperation { Property.IsStatic: false, Instance: { } holder, Arguments.IsEmpty: true } property)
            {
                return null;
            }

            if (property.Property.ContainingType.TypeKind == TypeKind.Interface)
            {
                return InterfaceOwns(property, nesting, field.Field) ? Owner(holder, read, throughInterface: true) : null;
            }

            var shape = ShapeOf(property.Property, nesting, field.Field);
            return shape == GetterShape.HeldObject || (shape == GetterShape.OwnField && IsFinalizable(holder.Type)) ? Owner(holder, read) : null;
        }

        /// <summary>
        /// Whether the object an interface property is read from owns what it hands out: when the receiver is a class
        /// value cast to the interface (<c>((IStore)caller).Context</c>), that class's implementation decides; otherwise
        /// every implementation in the compilation (<see cref="EveryImplementationOwns"/>).
        /// </summary>
        private bool InterfaceOwns(IPropertyReferenceOperation property, int nesting, IFieldSymbol? recordField)
        {
            if (OperationTree.SkipConversions(property.Instance!).Type is INamedTypeSymbol { TypeKind: TypeKind.Class } type
                && type.FindImplementationForInterfaceMember(property.Property) is IPropertySymbol implementation)
            {
                var shape = implementation.ContainingType.TypeKind == TypeKind.Interface ? GetterShape.None : ShapeOf(implementation, nesting, recordField);
                return shape == GetterShape.HeldObject || (shape == GetterShape.OwnField && IsFinalizable(type));
            }

            return EveryImplementationOwns(property.Property, nesting, recordField);
        }

        /// <summary>The owner <paramref name="owner"/> is, holding <paramref name="handle"/>: see <see cref="Owner"/>.</summary>
        public HandleOwner? OwnerOf(IOperation owner, IOperation handle) => Owner(owner, handle);

        /// <summary>Classifies the receiver; null for static, struct, SafeHandle and unknown owners (not findings).</summary>
        /// <param name="throughElements">
        /// Whether an element of a local array counts as held by the array (<c>features[i].Descriptors</c> is reachable
        /// while <c>features</c> is): asked for the handles of a struct array, whose owners come from loops over arrays.
        /// </param>
        private HandleOwner? Owner(IOperation owner, IOperation handle, bool throughInterface = false, bool throughElements = false)
        {
            if (owner.Type is not { TypeKind: TypeKind.Class or TypeKind.Interface } || (owner.Type.TypeKind == TypeKind.Interface && !throughInterface)
                || _types.IsHandleWrapper(owner.Type))
            {
                return null;
            }

            var root = OperationTree.SkipConversions(owner);
            while (true)
            {
                switch (root)
                {
                    case IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance }:
                        return new HandleOwner(owner, handle, HandleOwnerKind.This, null);
                    case ILocalReferenceOperation local:
                        return local.Local.IsRef ? null : new HandleOwner(owner, handle, HandleOwnerKind.Variable, local.Local);
                    case IParameterReferenceOperation parameter:
                        return parameter.Parameter.RefKind != RefKind.None ? null : new HandleOwner(owner, handle, HandleOwnerKind.Variable, parameter.Parameter);
                    case IFieldReferenceOperation field when !field.Field.IsStatic && field.Instance != null:
                        // An object held in a field stays reachable as long as the object holding it.
                        root = OperationTree.SkipConversions(field.Instance);
                        continue;
                    case IPropertyReferenceOperation property when !property.Property.IsStatic && property.Instance != null && ReturnsOwnField(property.Property):
                        root = OperationTree.SkipConversions(property.Instance);
                        continue;
                    case IArrayElementReferenceOperation element when throughElements:
                        root = OperationTree.SkipConversions(element.ArrayReference);
                        continue;
                    case IInvocationOperation:
                    case IObjectCreationOperation:
                    case IConversionOperation { OperatorMethod: not null }:
                        // A user-defined conversion ('((Scalar)d).Handle') makes a new object as much as 'Scalar.From(d)' does.
                        return root == OperationTree.SkipConversions(owner) ? new HandleOwner(owner, handle, HandleOwnerKind.Temporary, null) : null;
                    default:
                        return null;
                }
            }
        }

        /// <summary>
        /// A handle read through an interface (<c>IHandleOwner owner; owner.Handle</c>) is owned when the interface is
        /// declared in this compilation and every class of this compilation implementing it owns what its implementation
        /// of the property hands out (at least one does; a struct implementing it, whose boxed copies own nothing, or an
        /// implementation that is not a handle owner, is a no). Implementations other assemblies may add are out of sight.
        /// Cached like <see cref="ShapeOf"/>: asked from inside a getter (an implementation returning another object's
        /// interface handle), it is computed one level deeper, uncached, so the search ends at the depth bound.
        /// </summary>
        /// <param name="recordField">
        /// For a struct the property hands out, the raw handle field read from it (<see cref="RecordFieldOwner"/>); null when
        /// the property itself is the handle.
        /// </param>
        private bool EveryImplementationOwns(IPropertySymbol property, int nesting, IFieldSymbol? recordField = null)
            => nesting != 0 ? nesting <= MaxDepth && ComputeEveryImplementationOwns(property.OriginalDefinition, nesting, recordField)
               : recordField == null ? _interfaceOwned.GetOrAdd(property.OriginalDefinition, p => ComputeEveryImplementationOwns(p, 0, null))
               : _recordInterfaceOwned.GetOrAdd((property.OriginalDefinition, recordField.OriginalDefinition), key => ComputeEveryImplementationOwns(key.Property, 0, key.Field));

        private bool ComputeEveryImplementationOwns(IPropertySymbol p, int nesting, IFieldSymbol? recordField)
        {
            var contract = p.ContainingType;
            if (p.IsStatic || !SymbolEqualityComparer.Default.Equals(contract.ContainingAssembly, _compilation.Assembly))
            {
                return false;
            }

            var found = false;
            foreach (var type in SourceTypes.Value)
            {
                if (type.IsAbstract || !type.AllInterfaces.Any(i => SymbolEqualityComparer.Default.Equals(i.OriginalDefinition, contract)))
                {
                    continue;
                }

                if (type.TypeKind != TypeKind.Class || type.IsGenericType
                    || type.FindImplementationForInterfaceMember(p) is not IPropertySymbol implementation
                    || implementation.ContainingType.TypeKind == TypeKind.Interface)
                {
                    return false;
                }

                var shape = ShapeOf(implementation, nesting, recordField);
                if (shape == GetterShape.HeldObject || (shape == GetterShape.OwnField && IsFinalizable(type)))
                {
                    found = true;
                }
                else if (MayRelease(type))
                {
                    return false;
                }
            }

            return found;
        }

        /// <summary>The named types this compilation declares, nested ones included; listed once, for interface owners.</summary>
        public Lazy<INamedTypeSymbol[]> SourceTypes { get; }

        private static INamedTypeSymbol[] ListSourceTypes(Compilation compilation)
        {
            var types = new List<INamedTypeSymbol>();
            var pending = new Stack<INamespaceOrTypeSymbol>();
            pending.Push(compilation.Assembly.GlobalNamespace);
            while (pending.Count > 0)
            {
                foreach (var member in pending.Pop().GetMembers())
                {
                    if (member is INamedTypeSymbol type)
                    {
                        types.Add(type);
                    }

                    if (member is INamespaceOrTypeSymbol container)
                    {
                        pending.Push(container);
                    }
                }
            }

            return types.ToArray();
        }

        /// <summary>
        /// Its class or a base other than SafeHandle/CriticalHandle declares a finalizer, and collection may release
        /// something: a finalizer that provably releases nothing (<c>~T() =&gt; Dispose(false)</c> whose work is all under
        /// <c>if (disposing)</c>, as the constructor's <c>releasesNothing</c> tells) leaves no handle to race with. Cached per type.
        /// </summary>
        public bool IsFinalizable(ITypeSymbol? type)
        {
            if (type is not { TypeKind: TypeKind.Class })
            {
                return false;
            }

            // The SafeHandle/CriticalHandle test is read once per type, inside the entry: asked of the owner of every
            // handle field an argument reads, it walked the base types at every call. The original definition's bases
            // reach SafeHandle exactly when the type's do (neither class is generic), so the entry keyed by it holds
            // the same answer.
            var key = type.OriginalDefinition;
            if (_finalizable.TryGetValue(key, out var finalizable))
            {
                return finalizable;
            }

            return _finalizable.GetOrAdd(key, t =>
            {
                if (_types.IsHandleWrapper(t))
                {
                    return false;
                }

                return Finalizers.InHierarchy(t as INamedTypeSymbol)
                       && !(t is INamedTypeSymbol named && _releasesNothing != null && _releasesNothing(named));
            });
        }

        /// <summary>
        /// Cached for a getter asked about directly (nesting 0); a getter reached while classifying another getter is
        /// classified again, one level deeper, uncached. So the cached value depends only on the property, not on which
        /// getter was asked about first, and getters returning each other ('A => B; B => A') end at the depth bound
        /// instead of recursing through the cache until the stack overflows.
        /// </summary>
        private GetterShape ShapeOf(IPropertySymbol property, int nesting, IFieldSymbol? recordField = null)
            => recordField != null ? (nesting != 0 ? RecordShape(property.OriginalDefinition, recordField, nesting)
                                      : _recordGetters.GetOrAdd((property.OriginalDefinition, recordField.OriginalDefinition), key => RecordShape(key.Property, key.Field, 0)))
               : nesting != 0 ? ComputeShape(property.OriginalDefinition, nesting)
               : _getters.TryGetValue(property.OriginalDefinition, out var shape) ? shape
               : _getters.GetOrAdd(property.OriginalDefinition, p => ComputeShape(p, 0));

        /// <summary>
        /// What a getter that builds a struct hands out in the struct's field <paramref name="field"/>: every value it
        /// returns is <c>new S(..)</c> whose constructor (of this compilation) stores one of its parameters in that field,
        /// and the arguments given for it agree in shape.
        /// </summary>
        private GetterShape RecordShape(IPropertySymbol property, IFieldSymbol field, int nesting)
        {
            if (ReturnedValues(property) is not { } returned)
            {
                return GetterShape.None;
            }

            var shape = GetterShape.None;
            for (var i = 0; i < returned.Count; i++)
            {
                if (returned[i] is not IObjectCreationOperation { Constructor: { } constructor } creation
                    || !SymbolEqualityComparer.Default.Equals(constructor.ContainingType, field.ContainingType)
                    || StoredParameter(constructor, field) is not { } ordinal
                    || creation.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == ordinal) is not { } argument)
                {
                    return GetterShape.None;
                }

                var argumentShape = ShapeOfReturned(OperationTree.SkipConversions(argument.Value), nesting);
                if (argumentShape == GetterShape.None || (i > 0 && argumentShape != shape))
                {
                    return GetterShape.None;
                }

                shape = argumentShape;
            }

            return shape;
        }

        /// <summary>The parameter a source constructor stores in <paramref name="field"/> (<c>this.handle = handle;</c>), its only store there; null otherwise.</summary>
        private int? StoredParameter(IMethodSymbol constructor, IFieldSymbol field)
        {
            // A struct's constructor is read once per property and field, and cached with them.
            var body = SourceBody(constructor);
            int? stored = null;
            foreach (var assignment in body?.DescendantsAndSelf().OfType<ISimpleAssignmentOperation>() ?? Enumerable.Empty<ISimpleAssignmentOperation>())
            {
                if (assignment.Target is IFieldReferenceOperation { Instance: IInstanceReferenceOperation } target && SymbolEqualityComparer.Default.Equals(target.Field, field))
                {
                    if (stored != null || OperationTree.SkipConversions(assignment.Value) is not IParameterReferenceOperation parameter)
                    {
                        return null;
                    }

                    stored = parameter.Parameter.Ordinal;
                }
            }

            return stored;
        }

        private GetterShape ComputeShape(IPropertySymbol property, int nesting)
        {
            var getter = property.GetMethod;
            if (getter == null)
            {
                return GetterShape.None;
            }

            if (getter.DeclaringSyntaxReferences.IsEmpty)
            {
                // Referenced types hide their fields: an IDisposable class handing out "Handle" owns what it hands out
                // (X509Certificate.Handle, Process.Handle, WaitHandle.Handle).
                var owner = property.ContainingType;
                return property.Name == "Handle" && owner.TypeKind == TypeKind.Class && !_types.IsHandleWrapper(owner)
                       && (IsFinalizable(owner) || owner.AllInterfaces.Contains(_disposable, SymbolEqualityComparer.Default))
                    ? GetterShape.HeldObject
                    : GetterShape.None;
            }

            if (IsAutoProperty(property))
            {
                return GetterShape.OwnField;
            }

            // A getter may return zero on some paths ('if (_disposed) return IntPtr.Zero; return _handle;'): zero is no
            // handle, so what it hands out is what its other returns hand out, when they all agree.
            var returned = ReturnedValues(property);
            if (returned == null || returned.Count == 0)
            {
                return GetterShape.None;
            }

            var shape = ShapeOfReturned(returned[0], nesting);
            for (var i = 1; i < returned.Count && shape != GetterShape.None; i++)
            {
                if (ShapeOfReturned(returned[i], nesting) != shape)
                {
                    shape = GetterShape.None;
                }
            }

            return shape;
        }

        private GetterShape ShapeOfReturned(IOperation returned, int nesting)
        {
            switch (returned)
            {
                case IFieldReferenceOperation field when field.Instance is IInstanceReferenceOperation && IsRawHandleType(field.Type):
                    return GetterShape.OwnField;
                case IInvocationOperation { TargetMethod.Name: "DangerousGetHandle", Instance: IFieldReferenceOperation held }
                    when held.Instance is IInstanceReferenceOperation && _types.IsHandleWrapper(held.Type):
                    return GetterShape.HeldObject;
                case ICoalesceOperation { Value: IConditionalAccessOperation { Operation: IFieldReferenceOperation held, WhenNotNull: var whenNotNull } }
                    when held.Instance is IInstanceReferenceOperation && _types.IsHandleWrapper(held.Type)
                         && OperationTree.SkipConversions(whenNotNull) is IInvocationOperation { TargetMethod.Name: "DangerousGetHandle" }:
                    // '_safe?.DangerousGetHandle() ?? IntPtr.Zero': the handle of a SafeHandle the object holds, when it has one.
                    return GetterShape.HeldObject;
                case IInvocationOperation call when _isNative != null && IsRawHandleType(call.Type) && _isNative(call.TargetMethod):
                    return DerivedShape(call, nesting);
                default:
                    var inner = Find(returned, _ => null, 1, nesting + 1);
                    return inner != null && inner.Kind == HandleOwnerKind.This ? GetterShape.HeldObject : GetterShape.None;
            }
        }

        /// <summary>
        /// A handle a native function derives from the object's own handle (<c>Native.wasmtime_store_context(NativeHandle)</c>:
        /// a pointer into the store, valid while the store is): owned as that handle is. The object's handle is a SafeHandle
        /// it holds in a field (directly or through a getter returning that field), or a raw handle field of its own.
        /// </summary>
        private GetterShape DerivedShape(IInvocationOperation call, int nesting)
        {
            var shape = GetterShape.None;
            foreach (var argument in call.Arguments)
            {
                var value = OperationTree.SkipConversions(argument.Value);
                var argumentShape = value switch
                {
                    IFieldReferenceOperation { Instance: IInstanceReferenceOperation } held when _types.IsHandleWrapper(held.Type) => GetterShape.HeldObject,
                    IPropertyReferenceOperation { Instance: IInstanceReferenceOperation, Arguments.IsEmpty: true } held when _types.IsHandleWrapper(held.Type)
                                                                                                                            && ReturnsOwnField(held.Property) => GetterShape.HeldObject,
                    _ when IsRawHandleType(value.Type) => ShapeOfOwnHandle(value, nesting),
                    _ => GetterShape.None,
                };
                if (argumentShape == GetterShape.None)
                {
                    continue;
                }

                if (shape != GetterShape.None && shape != argumentShape)
                {
                    return GetterShape.None;
                }

                shape = argumentShape;
            }

            return shape;
        }

        /// <summary>A raw handle the object holds itself: its field, or a getter of its own that returns one.</summary>
        private GetterShape ShapeOfOwnHandle(IOperation value, int nesting)
            => value switch
            {
                IFieldReferenceOperation { Instance: IInstanceReferenceOperation } => GetterShape.OwnField,
                IPropertyReferenceOperation { Instance: IInstanceReferenceOperation, Arguments.IsEmpty: true } own => ShapeOf(own.Property, nesting + 1),
                _ => GetterShape.None,
            };

        /// <summary>
        /// Whether collecting an object of <paramref name="type"/> may release anything: it is finalizable, or it or a base
        /// holds a SafeHandle in a field. An interface's implementation that can release nothing is no reason to doubt
        /// that the others own what they hand out; it is only the case in which the call is safe anyway.
        /// </summary>
        private bool MayRelease(INamedTypeSymbol type)
        {
            if (IsFinalizable(type))
            {
                return true;
            }

            for (var current = type; current != null && current.SpecialType != SpecialType.System_Object; current = current.BaseType)
            {
                foreach (var member in current.GetMembers())
                {
                    if (member is IFieldSymbol { IsStatic: false } field && (_types.IsHandleWrapper(field.Type) || field.Type.TypeKind is TypeKind.Class or TypeKind.Interface or TypeKind.TypeParameter && IsFinalizableOrUnknown(field.Type)))
                    {
                        return true;
                    }
                }
            }

            return false;
        }

        private bool IsFinalizableOrUnknown(ITypeSymbol type) => type.TypeKind != TypeKind.Class || IsFinalizable(type);

        /// <summary>
        /// The raw handle field of the same object a source getter hands out (every return but zero returns it), or null.
        /// </summary>
        public IFieldSymbol? ReturnedField(IPropertySymbol property)
        {
            var returned = ReturnedValues(property.OriginalDefinition);
            if (returned == null || returned[0] is not IFieldReferenceOperation { Instance: IInstanceReferenceOperation } first || !IsRawHandleType(first.Type))
            {
                return null;
            }

            return returned.All(r => r is IFieldReferenceOperation { Instance: IInstanceReferenceOperation } f && SymbolEqualityComparer.Default.Equals(f.Field, first.Field))
                ? first.Field
                : null;
        }

        /// <summary>An auto-property, or a source getter returning a field of the same object: the object holds the value.</summary>
        internal bool ReturnsOwnField(IPropertySymbol property)
            => _ownFields.GetOrAdd(property.OriginalDefinition, p => IsAutoProperty(p)
                                                                     || (ReturnedValues(p) is { Count: > 0 } returned
                                                                         && returned.All(r => r is IFieldReferenceOperation { Instance: IInstanceReferenceOperation } f
                                                                                              && SymbolEqualityComparer.Default.Equals(f.Field, ((IFieldReferenceOperation)returned[0]).Field))));

        /// <summary>The operations of a method declared once in this compilation (a getter, a constructor); null otherwise.</summary>
        private IOperation? SourceBody(IMethodSymbol method)
        {
            if (method.DeclaringSyntaxReferences.Length != 1 || !SymbolEqualityComparer.Default.Equals(method.ContainingAssembly, _compilation.Assembly))
            {
                return null;
            }

            var syntax = method.DeclaringSyntaxReferences[0].GetSyntax(CancellationToken.None);
#pragma warning disable RS1030 // Asked only by the per-compilation getter and constructor summaries, which cache their answers.
            return _compilation.GetSemanticModel(syntax.SyntaxTree).GetOperation(syntax);
#pragma warning restore RS1030
        }

        /// <summary>
        /// The values a source getter of this compilation returns, without those that are zero (no handle); null when
        /// the getter cannot be read or returns nothing but zero.
        /// </summary>
        private List<IOperation>? ReturnedValues(IPropertySymbol property) => property.GetMethod is { } getter ? ReturnedValues(getter) : null;

        /// <summary>The values a source method (a getter, a conversion operator) returns, zero aside: see <see cref="ReturnedValues(IPropertySymbol)"/>.</summary>
        private List<IOperation>? ReturnedValues(IMethodSymbol method)
        {
            // A handle property's getter is read once per compilation and cached.
            if (SourceBody(method) is not { } body)
            {
                return null;
            }

            var values = new List<IOperation>();
            foreach (var ret in body.DescendantsAndSelf().OfType<IReturnOperation>())
            {
                if (OperationTree.IsInNestedFunction(ret, body))
                {
                    continue;
                }

                if (ret.ReturnedValue is not { } returned)
                {
                    return null;
                }

                AddNonZero(returned, values);
            }

            return values.Count == 0 ? null : values;
        }

        /// <summary>The values <paramref name="returned"/> may be, but zero; both arms of a conditional (<c>_closed ? IntPtr.Zero : _handle</c>).</summary>
        private static void AddNonZero(IOperation returned, List<IOperation> values)
        {
            var value = OperationTree.SkipConversions(returned);
            if (value is IConditionalOperation { WhenFalse: { } whenFalse } conditional)
            {
                AddNonZero(conditional.WhenTrue, values);
                AddNonZero(whenFalse, values);
            }
            else if (!IsZero(value))
            {
                values.Add(value);
            }
        }

        /// <summary><c>IntPtr.Zero</c>, <c>default</c>, <c>0</c>, <c>null</c>, <c>(IntPtr)0</c>, <c>new IntPtr(0)</c>: no handle at all.</summary>
        internal static bool IsZero(IOperation value)
        {
            while (value is IConversionOperation conversion)
            {
                value = conversion.Operand;
            }

            switch (value)
            {
                case IFieldReferenceOperation { Field: { IsStatic: true, Name: "Zero" } field }:
                    return field.ContainingType.SpecialType == SpecialType.System_IntPtr;
                case IDefaultValueOperation:
                    return true;
                case IObjectCreationOperation { Arguments.Length: 1 } creation when creation.Type?.SpecialType == SpecialType.System_IntPtr:
                    return IsZero(creation.Arguments[0].Value);
                default:
                    return value.ConstantValue.HasValue && (value.ConstantValue.Value == null || Equals(value.ConstantValue.Value, 0) || Equals(value.ConstantValue.Value, 0L));
            }
        }

        internal static bool IsAutoProperty(IPropertySymbol property)
        {
            var getter = property.GetMethod;
            return getter != null && getter.DeclaringSyntaxReferences.Length == 1
                   && getter.DeclaringSyntaxReferences[0].GetSyntax(CancellationToken.None) is AccessorDeclarationSyntax { Body: null, ExpressionBody: null };
        }
    }
}
