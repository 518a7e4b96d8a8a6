using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Threading;
using InteropGuard.Flow;
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
        public HandleOwner(IOperation owner, IOperation handle, HandleOwnerKind kind, ISymbol? root)
        {
            Owner = owner;
            Handle = handle;
            Kind = kind;
            Root = root;
        }

        /// <summary>The owner expression (the receiver of the handle read).</summary>
        public IOperation Owner { get; }

        /// <summary>The read of the handle from the owner (<c>owner.Handle</c>, <c>_handle</c>).</summary>
        public IOperation Handle { get; }

        public HandleOwnerKind Kind { get; }

        /// <summary>The local or parameter a later use must reference; null for <c>this</c> and temporaries.</summary>
        public ISymbol? Root { get; }

        public string OwnerText => Owner.IsImplicit && Owner is IInstanceReferenceOperation ? "this" : Owner.Syntax.ToString();
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

        private readonly WellKnownTypes _types;
        private readonly Compilation _compilation;
        private readonly INamedTypeSymbol _disposable;
        private readonly ConcurrentDictionary<ITypeSymbol, bool> _finalizable = new ConcurrentDictionary<ITypeSymbol, bool>(SymbolEqualityComparer.Default);
        private readonly ConcurrentDictionary<IPropertySymbol, bool> _ownFields = new ConcurrentDictionary<IPropertySymbol, bool>(SymbolEqualityComparer.Default);
        private readonly ConcurrentDictionary<IPropertySymbol, GetterShape> _getters = new ConcurrentDictionary<IPropertySymbol, GetterShape>(SymbolEqualityComparer.Default);

        public HandleOwners(WellKnownTypes types, Compilation compilation)
        {
            _types = types;
            _compilation = compilation;
            _disposable = compilation.GetSpecialType(SpecialType.System_IDisposable);
        }

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

        /// <summary>
        /// The owner of the handle <paramref name="value"/> evaluates to; <paramref name="origin"/> gives the single value
        /// assigned to a local, or null when there is none or more than one.
        /// </summary>
        public HandleOwner? Find(IOperation value, Func<ILocalSymbol, IOperation?> origin) => Find(value, origin, 0, 0);

        /// <param name="nesting">How many getters deep this search is (a getter's value is classified by this method too).</param>
        private HandleOwner? Find(IOperation value, Func<ILocalSymbol, IOperation?> origin, int depth, int nesting)
        {
            if (depth > MaxDepth || nesting > MaxDepth)
            {
                return null;
            }

            var read = OperationTree.SkipConversions(value);
            switch (read)
            {
                case ILocalReferenceOperation local when IsRawHandleType(local.Type):
                    return origin(local.Local) is { } assigned ? Find(assigned, origin, depth + 1, nesting) : null;

                case IFieldReferenceOperation field when !field.Field.IsStatic && field.Instance != null && IsRawHandleType(field.Type):
                    return IsFinalizable(field.Instance.Type) ? Owner(field.Instance, read) : null;

                case IPropertyReferenceOperation property when !property.Property.IsStatic && property.Instance != null
                                                              && property.Arguments.IsEmpty && IsRawHandleType(property.Type):
                    var shape = ShapeOf(property.Property, nesting);
                    if (shape == GetterShape.HeldObject || (shape == GetterShape.OwnField && IsFinalizable(property.Instance.Type)))
                    {
                        return Owner(property.Instance, read);
                    }

                    return null;

                default:
                    return null;
            }
        }

        /// <summary>Classifies the receiver; null for static, struct, SafeHandle and unknown owners (not findings).</summary>
        private HandleOwner? Owner(IOperation owner, IOperation handle)
        {
            if (owner.Type is not { TypeKind: TypeKind.Class } || _types.IsHandleWrapper(owner.Type))
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
                    case IInvocationOperation:
                    case IObjectCreationOperation:
                        return root == OperationTree.SkipConversions(owner) ? new HandleOwner(owner, handle, HandleOwnerKind.Temporary, null) : null;
                    default:
                        return null;
                }
            }
        }

        /// <summary>Its class or a base other than SafeHandle/CriticalHandle declares a finalizer.</summary>
        public bool IsFinalizable(ITypeSymbol? type)
        {
            if (type is not { TypeKind: TypeKind.Class } || _types.IsHandleWrapper(type))
            {
                return false;
            }

            return _finalizable.GetOrAdd(type.OriginalDefinition, t =>
            {
                for (var current = t; current != null && current.SpecialType != SpecialType.System_Object; current = current.BaseType)
                {
                    if (current.GetMembers("Finalize").OfType<IMethodSymbol>().Any(m => m.MethodKind == MethodKind.Destructor))
                    {
                        return true;
                    }
                }

                return false;
            });
        }

        /// <summary>
        /// Cached for a getter asked about directly (nesting 0); a getter reached while classifying another getter is
        /// classified again, one level deeper, uncached. So the cached value depends only on the property, not on which
        /// getter was asked about first, and getters returning each other ('A => B; B => A') end at the depth bound
        /// instead of recursing through the cache until the stack overflows.
        /// </summary>
        private GetterShape ShapeOf(IPropertySymbol property, int nesting)
            => nesting == 0 ? _getters.GetOrAdd(property.OriginalDefinition, p => ComputeShape(p, 0)) : ComputeShape(property.OriginalDefinition, nesting);

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

            var returned = ReturnedValue(property);
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
                case null:
                    return GetterShape.None;
                default:
                    var inner = Find(returned, _ => null, 1, nesting + 1);
                    return inner != null && inner.Kind == HandleOwnerKind.This ? GetterShape.HeldObject : GetterShape.None;
            }
        }

        /// <summary>An auto-property, or a source getter returning a field of the same object: the object holds the value.</summary>
        private bool ReturnsOwnField(IPropertySymbol property)
            => _ownFields.GetOrAdd(property.OriginalDefinition, p => IsAutoProperty(p) || ReturnedValue(p) is IFieldReferenceOperation { Instance: IInstanceReferenceOperation });

        private IOperation? ReturnedValue(IPropertySymbol property)
        {
            var getter = property.GetMethod;
            if (getter == null || getter.DeclaringSyntaxReferences.Length != 1
                || !SymbolEqualityComparer.Default.Equals(getter.ContainingAssembly, _compilation.Assembly))
            {
                return null;
            }

            var syntax = getter.DeclaringSyntaxReferences[0].GetSyntax(CancellationToken.None);
#pragma warning disable RS1030 // A handle property's getter is read once per compilation and cached.
            var model = _compilation.GetSemanticModel(syntax.SyntaxTree);
#pragma warning restore RS1030
            var returns = model.GetOperation(syntax)?.DescendantsAndSelf().OfType<IReturnOperation>().ToList();
            return returns != null && returns.Count == 1 && returns[0].ReturnedValue is { } returned ? OperationTree.SkipConversions(returned) : null;
        }

        private static bool IsAutoProperty(IPropertySymbol property)
        {
            var getter = property.GetMethod;
            return getter != null && getter.DeclaringSyntaxReferences.Length == 1
                   && getter.DeclaringSyntaxReferences[0].GetSyntax(CancellationToken.None) is AccessorDeclarationSyntax { Body: null, ExpressionBody: null };
        }
    }
}
